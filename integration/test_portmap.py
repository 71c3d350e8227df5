"""The portmap plugin, chained after our bridge: published ports reached from another namespace,
from the host, via 127.0.0.1 and by hairpin; UDP; conflicts; DEL without state; CHECK; GC."""

from __future__ import annotations

import pytest

import harness
from harness import nft
from conftest import ours
from traffic import address_of, ask, outside, servers  # noqa: F401 (fixtures)

pytestmark = pytest.mark.ours_only


class Portmap:
    """Runs our portmap plugin for attachments, as a runtime chaining it after the bridge would, and
    removes every mapping it made at teardown."""

    def __init__(self, session):
        self.session = session
        self.made: list[harness.Attachment] = []

    def port(self) -> int:
        """A host port no other test of this session uses."""
        return 31000 + self.session.unique()

    def invoke(self, command: str, attachment: harness.Attachment, mappings: list[dict] | None = None,
               prev: bool = True, netns_path: str | None = "", version: str = "1.0.0",
               **options) -> harness.Invocation:
        conf = {"cniVersion": version, "name": attachment.network.name, "type": "portmap", **options}
        if mappings is not None:
            conf["runtimeConfig"] = {"portMappings": mappings}
        path = attachment.netns.path if netns_path == "" else netns_path
        env = harness.plugin_env(command, attachment.container_id, path, attachment.ifname)
        if command == "ADD":
            self.made.append(attachment)
        return harness.run_plugin(ours("portmap"), env, harness.request(conf, attachment.result if prev else None))

    def publish(self, attachment: harness.Attachment, *mappings: dict, **options) -> harness.Invocation:
        return self.invoke("ADD", attachment, list(mappings), **options)

    def cleanup(self) -> None:
        for attachment in self.made:
            self.invoke("DEL", attachment, prev=False, netns_path=None)


@pytest.fixture
def portmap(session):
    plugin = Portmap(session)
    yield plugin
    plugin.cleanup()


def tcp(host_port: int, container_port: int = 8080, **extra) -> dict:
    return {"hostPort": host_port, "containerPort": container_port, "protocol": "tcp", **extra}


def portmap_elements(container_id: str) -> list:
    return [e for e in nft.owned_by(container_id) if e[3].startswith("portmap ")]


def test_published_tcp_port_is_reachable_from_everywhere(net, make_netns, container_id, outside, servers, portmap):
    conf = net.conf(isDefaultGateway=True)
    web = net.add(make_netns(), container_id(), conf=conf)
    neighbour = net.add(make_netns(), container_id(), conf=conf)
    servers(web.netns.name, "web", "tcp", 8080)
    port = portmap.port()
    result = portmap.publish(web, tcp(port)).expect_ok().json
    assert result["ips"] == web.result["ips"] and result["interfaces"] == web.result["interfaces"]

    # Another host on the LAN (a namespace routed through the host): its own address arrives.
    assert ask(outside.netns, "tcp", outside.host, port) == f"web {outside.address}"
    # The host itself, on any of its addresses.
    assert address_of(ask(None, "tcp", outside.host, port))
    assert address_of(ask(None, "tcp", net.gateway4, port))
    # 127.0.0.1 (route_localnet on the bridge, and masquerading so the reply returns).
    assert ask(None, "tcp", "127.0.0.1", port) == f"web {net.gateway4}"
    # Hairpin: the container itself and its neighbour, through the published port.
    assert ask(web.netns.name, "tcp", net.gateway4, port) == f"web {net.gateway4}"
    assert ask(neighbour.netns.name, "tcp", outside.host, port) == f"web {net.gateway4}"


def test_published_port_reachable_from_another_isolated_network(make_network, make_netns, container_id, servers,
                                                                portmap):
    home, other = make_network(), make_network()
    web = home.add(make_netns(), container_id(), conf=home.conf(isDefaultGateway=True))
    stranger = other.add(make_netns(), container_id(), conf=other.conf(isDefaultGateway=True))
    servers(web.netns.name, "web", "tcp", 8080)
    port = portmap.port()
    portmap.publish(web, tcp(port)).expect_ok()

    assert ask(stranger.netns.name, "tcp", web.ip(), 8080, timeout=1) is None  # isolated...
    assert address_of(ask(stranger.netns.name, "tcp", other.gateway4, port)) == stranger.ip()  # ...but published


def test_udp_mapping(net, make_netns, container_id, outside, servers, portmap):
    dns = net.add(make_netns(), container_id(), conf=net.conf(isDefaultGateway=True))
    servers(dns.netns.name, "dns", "udp", 5353)
    port = portmap.port()
    portmap.publish(dns, {"hostPort": port, "containerPort": 5353, "protocol": "udp"}).expect_ok()
    assert ask(outside.netns, "udp", outside.host, port) == f"dns {outside.address}"
    assert ask(None, "udp", "127.0.0.1", port) == f"dns {net.gateway4}"
    # Not published for TCP.
    assert ask(outside.netns, "tcp", outside.host, port, timeout=1) is None


def test_a_udp_flow_follows_the_mapping_to_its_new_container(net, make_netns, container_id, outside, servers,
                                                               portmap):
    """The stale conntrack entry of a flow that went to the old container is forgotten."""
    conf = net.conf(isDefaultGateway=True)
    old, new = net.add(make_netns(), container_id(), conf=conf), net.add(make_netns(), container_id(), conf=conf)
    servers(old.netns.name, "old", "udp", 5353)
    servers(new.netns.name, "new", "udp", 5353)
    port, source = portmap.port(), portmap.port()
    mapping = {"hostPort": port, "containerPort": 5353, "protocol": "udp"}

    portmap.publish(old, mapping).expect_ok()
    assert ask(outside.netns, "udp", outside.host, port, source_port=source) == f"old {outside.address}"
    portmap.invoke("DEL", old, [mapping]).expect_ok()
    portmap.publish(new, mapping).expect_ok()
    assert ask(outside.netns, "udp", outside.host, port, source_port=source) == f"new {outside.address}"


def test_a_second_container_cannot_take_a_published_port(net, make_netns, container_id, outside, servers, portmap):
    conf = net.conf(isDefaultGateway=True)
    first, second = net.add(make_netns(), container_id(), conf=conf), net.add(make_netns(), container_id(), conf=conf)
    servers(first.netns.name, "first", "tcp", 8080)
    port, other_port = portmap.port(), portmap.port()
    portmap.publish(first, tcp(port)).expect_ok()
    before = nft.owned_by(net.name)

    refused = portmap.publish(second, tcp(other_port), tcp(port)).expect_error(7)
    assert f"tcp port {port}" in refused.json["msg"] and first.container_id in refused.json["msg"]
    assert nft.owned_by(net.name) == before
    assert portmap_elements(second.container_id) == []
    assert ask(outside.netns, "tcp", outside.host, port) == f"first {outside.address}"

    # The same port on a given host address is a different key, and so is another protocol.
    portmap.publish(second, tcp(port, hostIP=outside.host), {"hostPort": port, "containerPort": 1,
                                                              "protocol": "udp"}).expect_ok()


def test_a_port_on_its_way_out_is_taken_once_it_has_expired(net, make_netns, container_id, portmap):
    """A DEL gives its elements a timeout of a millisecond rather than deleting them. An ADD that
    meets one of those waits until it has expired instead of calling it a conflict. The first
    mapping here is made to expire in a second, standing in for a DEL whose expiry has not passed."""
    conf = net.conf()
    first, second = net.add(make_netns(), container_id(), conf=conf), net.add(make_netns(), container_id(), conf=conf)
    port = portmap.port()
    portmap.publish(first, tcp(port)).expect_ok()
    nft.expire_soon(f"portmap {net.name}/{first.container_id}/", seconds=1)
    assert portmap_elements(first.container_id) == []

    taken = portmap.publish(second, tcp(port))
    taken.expect_ok()
    assert taken.seconds >= 0.5
    assert any(str(port) in str(e[2]) for e in portmap_elements(second.container_id))


def test_host_ip_restricts_the_listening_address(net, make_netns, container_id, outside, servers, portmap):
    web = net.add(make_netns(), container_id(), conf=net.conf(isDefaultGateway=True))
    servers(web.netns.name, "web", "tcp", 8080)
    port = portmap.port()
    portmap.publish(web, tcp(port, hostIP=outside.host)).expect_ok()
    assert ask(outside.netns, "tcp", outside.host, port) == f"web {outside.address}"
    assert ask(None, "tcp", net.gateway4, port, timeout=1) is None


def test_del_needs_neither_prev_result_nor_runtime_config_nor_namespace(net, make_netns, container_id, portmap):
    ns = make_netns()
    web = net.add(ns, container_id(), conf=net.conf(ipam=net.ipam(dual=True)))
    portmap.publish(web, tcp(portmap.port()), {"hostPort": portmap.port(), "containerPort": 53,
                                               "protocol": "udp"}).expect_ok()
    assert len(portmap_elements(web.container_id)) >= 6  # v4 and v6 mappings, masquerade, record

    harness.delete_netns(ns.name)
    portmap.invoke("DEL", web, prev=False, netns_path=None).expect_ok()
    assert portmap_elements(web.container_id) == []
    portmap.invoke("DEL", web, prev=False, netns_path=None).expect_ok()
    # The bridge's own elements are another owner's, and stay until the bridge's DEL.
    assert nft.owned_by(web.container_id) != []
    web.delete().expect_ok()
    assert nft.owned_by(web.container_id) == []


def test_check_verifies_the_mappings(net, make_netns, container_id, portmap):
    web = net.add(make_netns(), container_id())
    port = portmap.port()
    portmap.publish(web, tcp(port)).expect_ok()
    portmap.invoke("CHECK", web, [tcp(port)]).expect_ok()
    portmap.invoke("CHECK", web, [tcp(port + 1)]).expect_error(999)

    nft.delete_elements([e for e in portmap_elements(web.container_id) if e[1] == "publish4"])
    failed = portmap.invoke("CHECK", web, [tcp(port)]).expect_error(999)
    assert f"tcp port {port}" in failed.json["msg"]


def test_no_mappings_pass_prev_result_through_and_touch_nothing(net, make_netns, container_id, portmap):
    web = net.add(make_netns(), container_id())
    result = portmap.invoke("ADD", web, []).expect_ok().json
    assert result["ips"] == web.result["ips"]
    result = portmap.invoke("ADD", web, None).expect_ok().json
    assert result["ips"] == web.result["ips"]
    assert portmap_elements(web.container_id) == []


def test_gc_removes_mappings_of_stale_attachments(net, make_netns, container_id, portmap):
    keep, stale = net.add(make_netns(), container_id()), net.add(make_netns(), container_id())
    portmap.publish(keep, tcp(portmap.port())).expect_ok()
    portmap.publish(stale, tcp(portmap.port())).expect_ok()
    gc = {"cniVersion": "1.1.0", "name": net.name, "type": "portmap",
          "cni.dev/valid-attachments": [{"containerID": keep.container_id, "ifname": "eth0"}]}
    harness.run_plugin(ours("portmap"), harness.plugin_env("GC"), gc).expect_ok()
    assert portmap_elements(stale.container_id) == []
    assert portmap_elements(keep.container_id) != []


def test_bad_mappings_are_refused(net, make_netns, container_id, portmap):
    web = net.add(make_netns(), container_id())
    assert portmap.publish(web, tcp(0)).expect_error(7)
    assert portmap.publish(web, {"hostPort": 80, "containerPort": 80, "protocol": "icmp"}).expect_error(7)
    assert portmap.publish(web, tcp(80, hostIP="not-an-ip")).expect_error(7)
    assert portmap_elements(web.container_id) == []


def test_many_mappings_of_one_container(net, make_netns, container_id, outside, servers, portmap):
    """Enough mappings that the owner record spans several elements (see OwnerRecord)."""
    web = net.add(make_netns(), container_id(), conf=net.conf(isDefaultGateway=True))
    servers(web.netns.name, "web", "tcp", 8080)
    ports = [portmap.port() for _ in range(40)]
    mappings = [tcp(port) for port in ports]
    portmap.publish(web, *mappings).expect_ok()
    records = [e for e in portmap_elements(web.container_id) if e[1] == "owners"]
    assert len(records) > 1
    portmap.invoke("CHECK", web, mappings).expect_ok()
    assert ask(outside.netns, "tcp", outside.host, ports[-1]) == f"web {outside.address}"

    portmap.invoke("DEL", web, prev=False, netns_path=None).expect_ok()
    assert portmap_elements(web.container_id) == []
