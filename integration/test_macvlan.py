"""The macvlan plugin end to end: connectivity by mode, requested MAC/IP/MTU, refusals, DEL, CHECK, GC.

This kernel has no dummy or vlan module, so the master is a bridge in the host namespace, named and
removed like the bridge tests' bridges, with one port: a veth whose peer is a "neighbour" namespace
standing in for another machine on the master's segment. Tests that need the master elsewhere (inside
the container, or in a namespace playing the host) build their own veths inside namespaces.

`--stack reference` runs the generic tests against the reference macvlan + host-local.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import time
from dataclasses import dataclass

import pytest

import harness
from conftest import leases as kv_leases
from harness import REFERENCE_DIR, Netns, Network, Stack, ours_dir


def _stacks() -> dict[str, Stack]:
    ours, ref = ours_dir(), REFERENCE_DIR
    return {
        "ours": Stack("ours-macvlan", ours / "macvlan", "kv-ipam", (ours, ref), kv_leases),
        "reference": Stack("reference-macvlan", ref / "macvlan", "host-local", (ref,), harness.host_local_leases,
                           "1.0.0"),
        "ours-macvlan+host-local": Stack("ours-macvlan+host-local", ours / "macvlan", "host-local", (ref, ours),
                                         harness.host_local_leases),
        "reference-macvlan+kv-ipam": Stack("reference-macvlan+kv-ipam", ref / "macvlan", "kv-ipam", (ours, ref),
                                           kv_leases, "1.0.0"),
    }


STACKS = _stacks()


@dataclass
class Lan:
    """A macvlan network: its master, a neighbour host on the master's segment, subnets and store."""

    net: Network
    neighbour: Netns

    @property
    def master(self) -> str:
        return self.net.bridge

    @property
    def neighbour_ip4(self) -> str:
        return str(self.net.v4.network_address + 254)

    @property
    def neighbour_ip6(self) -> str:
        return str(self.net.v6.network_address + 0xfe)

    def conf(self, version: str = "1.0.0", dual: bool = False, ipam: dict | None = None, **fields) -> dict:
        body = {"cniVersion": version, "name": self.net.name, "type": "macvlan", "master": self.master,
                "ipam": ipam if ipam is not None else self.net.ipam(dual)}
        body.update(fields)
        return body

    def add(self, ns: Netns, container_id: str, conf: dict | None = None, args: str | None = None,
            ifname: str = "eth0") -> harness.Attachment:
        return self.net.add(ns, container_id, ifname, conf or self.conf(), args)

    def invoke(self, command: str, conf: dict, ns: Netns | None, container_id: str | None,
               args: str | None = None) -> harness.Invocation:
        return self.net.invoke(command, conf, ns.path if ns else None, container_id, "eth0" if ns else None, args)


def make_segment(master: str, neighbour: Netns, v4: str, v6: str, netns: str | None = None) -> None:
    """Makes `master` (in namespace `netns`) a veth whose peer `eth0` in `neighbour` holds `v4` and `v6`."""
    side = ["-n", netns] if netns else []
    harness.sh("ip", *side, "link", "add", master, "type", "veth", "peer", "name", "eth0", "netns", neighbour.name)
    harness.sh("ip", *side, "link", "set", master, "up")
    _bring_up_neighbour(neighbour, v4, v6)


def _bring_up_neighbour(neighbour: Netns, v4: str, v6: str) -> None:
    harness.sh("ip", "-n", neighbour.name, "addr", "add", v4, "dev", "eth0")
    harness.sh("ip", "-n", neighbour.name, "addr", "add", v6, "dev", "eth0", "nodad")
    harness.sh("ip", "-n", neighbour.name, "link", "set", "eth0", "up")


@pytest.fixture
def make_lan(request, make_network, make_netns):
    """Factory for a Lan on the given stack (the --stack one by default). The master bridge and its port
    go with the network's teardown (`delete_bridge`), the neighbour with its namespace."""
    def make(stack: Stack | None = None) -> Lan:
        net = make_network(stack or STACKS[request.config.getoption("--stack")])
        lan = Lan(net, make_netns())
        port = f"{net.bridge}n"
        harness.sh("ip", "link", "add", net.bridge, "type", "bridge")
        harness.sh("ip", "link", "set", net.bridge, "up")
        harness.sh("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", lan.neighbour.name)
        harness.sh("ip", "link", "set", port, "master", net.bridge, "up")
        _bring_up_neighbour(lan.neighbour, f"{lan.neighbour_ip4}/{net.v4.prefixlen}",
                            f"{lan.neighbour_ip6}/{net.v6.prefixlen}")
        return lan

    return make


@pytest.fixture
def lan(make_lan) -> Lan:
    return make_lan()


def macvlan_info(ns: Netns, ifname: str = "eth0") -> dict:
    entry = harness.link(ifname, ns.name)
    assert entry is not None, f"{ifname} missing from {ns.name}"
    info = entry.get("linkinfo", {})
    assert info.get("info_kind") == "macvlan", entry
    return {"mode": info.get("info_data", {}).get("mode"), "mac": entry["address"], "mtu": entry["mtu"],
            "flags": entry["flags"], "link": entry.get("link"), "link_index": entry.get("link_index")}


def host_macvlans_on(master: str) -> list[str]:
    """macvlans in the host namespace hanging off `master` (a plugin that creates links on the host first,
    under temporary names, would leave them here)."""
    return [entry["ifname"] for entry in harness.links()
            if entry.get("linkinfo", {}).get("info_kind") == "macvlan" and entry.get("link") == master]


def cannot_ping(ns: Netns, address: str) -> bool:
    return ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", address, check=False).returncode != 0


def assert_nothing_left(lan: Lan, ns: Netns, host_macvlans: list[str] | None = None) -> None:
    """No link in the container beyond its own, no lease, and no macvlan on the master but `host_macvlans`."""
    assert ns.link_names() == ns.baseline
    assert lan.net.leases() == {}
    assert host_macvlans_on(lan.master) == (host_macvlans or [])


# --------------------------------------------------------------------------------------------
# Connectivity and result


def test_bridge_mode_containers_reach_each_other_and_the_segment(lan, make_netns, container_id):
    a, b = make_netns(), make_netns()
    first = lan.add(a, container_id())
    second = lan.add(b, container_id())

    assert first.ip() != second.ip()
    for attachment in (first, second):
        info = macvlan_info(attachment.netns)
        assert info["mode"] == "bridge" and "UP" in info["flags"]
        assert info["mac"] == attachment.result["interfaces"][0]["mac"]
    assert first.result["interfaces"][0]["mac"] != second.result["interfaces"][0]["mac"]

    a.ping(second.ip())
    b.ping(first.ip())
    a.ping(lan.neighbour_ip4)
    lan.neighbour.ping(second.ip())


def test_private_mode_isolates_containers_from_each_other_but_not_from_the_segment(lan, make_netns, container_id):
    conf = lan.conf(mode="private")
    a, b = make_netns(), make_netns()
    first = lan.add(a, container_id(), conf=conf)
    second = lan.add(b, container_id(), conf=conf)
    assert macvlan_info(a)["mode"] == "private"

    a.ping(lan.neighbour_ip4)
    b.ping(lan.neighbour_ip4)
    assert cannot_ping(a, second.ip())
    assert cannot_ping(b, first.ip())


@pytest.mark.parametrize("mode", ["bridge", "private", "vepa"])
def test_mode_is_applied(lan, make_netns, container_id, mode):
    ns = make_netns()
    lan.add(ns, container_id(), conf=lan.conf(mode=mode))
    assert macvlan_info(ns)["mode"] == mode


def test_dual_stack_pings_over_ipv6(lan, make_netns, container_id):
    conf = lan.conf(dual=True)
    a, b = make_netns(), make_netns()
    first = lan.add(a, container_id(), conf=conf)
    second = lan.add(b, container_id(), conf=conf)
    for attachment in (first, second):
        assert sorted(ipaddress.ip_interface(x).version for x in attachment.addresses) == [4, 6]
        present = harness.addresses("eth0", attachment.netns.name)
        assert attachment.address(4) in present and attachment.address(6) in present
    a.ping(second.ip(6))
    a.ping(lan.neighbour_ip6)


@pytest.mark.parametrize("version", ["0.3.1", "1.0.0"])
def test_result_shape(lan, make_netns, container_id, version):
    ns = make_netns()
    result = lan.add(ns, container_id(), conf=lan.conf(version=version)).result

    assert result["cniVersion"] == version
    assert len(result["interfaces"]) == 1, result
    interface = result["interfaces"][0]
    assert interface["name"] == "eth0" and interface["sandbox"] == ns.path
    assert interface["mac"].lower() == macvlan_info(ns)["mac"]
    assert len(result["ips"]) == 1
    ip = result["ips"][0]
    assert ip["interface"] == 0
    assert ip["gateway"] == lan.net.gateway4
    assert ipaddress.ip_interface(ip["address"]).network == lan.net.v4
    assert ("version" in ip) == (version == "0.3.1")


def test_routes_from_ipam_are_installed(lan, make_netns, container_id):
    ns = make_netns()
    lan.add(ns, container_id(), conf=lan.conf(ipam=lan.net.ipam(routes=[{"dst": "0.0.0.0/0"}])))
    installed = {r["dst"]: r.get("gateway") for r in harness.routes(ns.name)}
    assert installed.get("default") == lan.net.gateway4


def test_without_ipam_the_interface_is_up_without_addresses(lan, make_netns, container_id):
    ns = make_netns()
    result = lan.add(ns, container_id(), conf=lan.conf(ipam={})).result
    assert [i["name"] for i in result["interfaces"]] == ["eth0"]
    assert not result.get("ips")
    assert "UP" in macvlan_info(ns)["flags"]
    assert [a for a in harness.addresses("eth0", ns.name) if not a.startswith("fe80:")] == []


@pytest.mark.ours_only
def test_add_announces_the_addresses_to_the_segment(lan, make_netns, container_id):
    """Gratuitous ARP and an unsolicited neighbour advertisement: the neighbour learns the container's MAC
    without sending anything itself. It is told to accept such news about unknown neighbours, which for
    IPv6 the kernel does only on a router (RFC 9131), hence forwarding."""
    lan.neighbour.exec("sysctl", "-qw", "net.ipv4.conf.eth0.arp_accept=1", "net.ipv6.conf.eth0.forwarding=1",
                       "net.ipv6.conf.eth0.accept_untracked_na=1")
    ns = make_netns()
    attachment = lan.add(ns, container_id(), conf=lan.conf(dual=True))
    mac = attachment.result["interfaces"][0]["mac"].lower()

    def learned(ip: str) -> bool:
        out = harness.sh("ip", "-n", lan.neighbour.name, "-j", "neigh", "show", "dev", "eth0").stdout
        return any(e.get("dst") == ip and e.get("lladdr", "").lower() == mac for e in json.loads(out or "[]"))

    harness.wait_until(lambda: learned(attachment.ip(4)), timeout=5, what="gratuitous ARP reaching the neighbour")
    harness.wait_until(lambda: learned(attachment.ip(6)), timeout=5,
                       what="unsolicited neighbour advertisement reaching the neighbour")


# --------------------------------------------------------------------------------------------
# What the runtime asks for


@pytest.mark.parametrize("source", ["runtimeConfig", "CNI_ARGS", "config"])
def test_requested_mac_and_ip_are_honoured(lan, make_netns, container_id, source):
    ns = make_netns()
    mac = "02:42:0a:fa:00:42"
    wanted = lan.net.v4_host(40)
    conf = lan.conf()
    args = f"IgnoreUnknown=1;IP={wanted}"
    if source == "runtimeConfig":
        conf["runtimeConfig"] = {"mac": mac}
    elif source == "CNI_ARGS":
        args += f";MAC={mac}"
    else:
        conf["mac"] = mac
    attachment = lan.add(ns, container_id(), conf=conf, args=args)

    assert attachment.ip() == wanted
    assert attachment.address() in harness.addresses("eth0", ns.name)
    assert attachment.result["interfaces"][0]["mac"].lower() == mac
    assert macvlan_info(ns)["mac"] == mac
    assert lan.net.leases() == {wanted: (attachment.container_id, "eth0")}


def test_runtime_mac_beats_cni_args_beats_config(lan, make_netns, container_id):
    conf = lan.conf(mac="02:42:0a:fa:00:01")
    args = "IgnoreUnknown=1;MAC=02:42:0a:fa:00:02"
    ns = make_netns()
    lan.add(ns, container_id(), conf=conf, args=args)
    assert macvlan_info(ns)["mac"] == "02:42:0a:fa:00:02"

    conf["runtimeConfig"] = {"mac": "02:42:0a:fa:00:03"}
    other = make_netns()
    lan.add(other, container_id(), conf=conf, args=args)
    assert macvlan_info(other)["mac"] == "02:42:0a:fa:00:03"


def test_mtu_up_to_the_masters_is_applied(lan, make_netns, container_id):
    ns = make_netns()
    lan.add(ns, container_id(), conf=lan.conf(mtu=1400))
    assert macvlan_info(ns)["mtu"] == 1400
    ns = make_netns()
    lan.add(ns, container_id(), conf=lan.conf(mtu=0))
    assert macvlan_info(ns)["mtu"] == harness.link(lan.master)["mtu"]


@pytest.mark.ours_only
def test_mtu_above_the_masters_is_refused_and_leaves_nothing(lan, make_netns, container_id):
    ns = make_netns()
    result = lan.invoke("ADD", lan.conf(mtu=9000), ns, container_id()).expect_error(7)
    assert "MTU" in result.json["msg"] and "1500" in result.json["msg"]
    assert_nothing_left(lan, ns)


# --------------------------------------------------------------------------------------------
# Refusals: code 7 naming the problem, nothing left behind


def _nonexistent_master(lan: Lan, ns: Netns) -> tuple[dict, str]:
    return lan.conf(master=f"{lan.master}x"), "not found"


def _bad_mode(lan: Lan, ns: Netns) -> tuple[dict, str]:
    return lan.conf(mode="bogus"), "bogus"


def _tiny_mtu(lan: Lan, ns: Netns) -> tuple[dict, str]:
    return lan.conf(mtu=50), "MTU"


def _passthru_on_a_macvlan(lan: Lan, ns: Netns) -> tuple[dict, str]:
    # On the master bridge, so it goes when the bridge does.
    child = f"{lan.master}m"
    harness.sh("ip", "link", "add", child, "link", lan.master, "type", "macvlan", "mode", "bridge")
    return lan.conf(master=child, mode="passthru"), "itself a macvlan"


def _master_is_a_passthru_macvlan(lan: Lan, ns: Netns) -> tuple[dict, str]:
    child = f"{lan.master}m"
    harness.sh("ip", "link", "add", child, "link", lan.master, "type", "macvlan", "mode", "passthru")
    return lan.conf(master=child), "passthru"


def _passthru_with_a_requested_mac(lan: Lan, ns: Netns) -> tuple[dict, str]:
    return lan.conf(mode="passthru", mac="02:42:0a:fa:00:09"), "passthru"


@pytest.mark.ours_only
@pytest.mark.parametrize("problem", [_nonexistent_master, _bad_mode, _tiny_mtu, _passthru_on_a_macvlan,
                                     _master_is_a_passthru_macvlan, _passthru_with_a_requested_mac],
                         ids=lambda f: f.__name__.strip("_"))
def test_bad_configuration_is_code_7_and_leaves_nothing(lan, make_netns, container_id, problem):
    ns = make_netns()
    conf, words = problem(lan, ns)
    made_by_the_test = host_macvlans_on(lan.master)
    result = lan.invoke("ADD", conf, ns, container_id()).expect_error(7)
    assert words in result.json["msg"], result.describe()
    assert_nothing_left(lan, ns, made_by_the_test)


@pytest.mark.ours_only
@pytest.mark.parametrize("first_mode,second_mode", [("bridge", "passthru"), ("passthru", "bridge")])
def test_passthru_conflicts_on_a_shared_master_are_code_7(lan, make_netns, container_id, first_mode, second_mode):
    """Only the kernel sees the master's macvlans in other namespaces: its refusal becomes code 7."""
    a, b = make_netns(), make_netns()
    first = lan.add(a, container_id(), conf=lan.conf(mode=first_mode))
    result = lan.invoke("ADD", lan.conf(mode=second_mode), b, container_id()).expect_error(7)
    assert lan.master in result.json["msg"] and "passthru" in result.json["msg"]
    assert b.link_names() == b.baseline
    assert lan.net.leases() == {first.ip(): (first.container_id, "eth0")}
    if first_mode == "passthru":
        assert macvlan_info(a)["mac"] == harness.link(lan.master)["address"]
    a.ping(lan.neighbour_ip4)


@pytest.mark.ours_only
@pytest.mark.parametrize("ipam_problem,code", [("address outside the range", 7), ("unreachable route gateway", 999)])
def test_failure_after_the_link_exists_removes_it_and_releases_the_address(lan, make_netns, container_id,
                                                                           ipam_problem, code):
    ns = make_netns()
    if ipam_problem == "address outside the range":
        result = lan.invoke("ADD", lan.conf(), ns, container_id(), args="IgnoreUnknown=1;IP=198.51.100.7")
    else:
        ipam = lan.net.ipam(routes=[{"dst": "198.51.100.0/24", "gw": "203.0.113.1"}])
        result = lan.invoke("ADD", lan.conf(ipam=ipam), ns, container_id())
    result.expect_error(code)
    assert_nothing_left(lan, ns)


@pytest.mark.ours_only
def test_second_add_of_the_same_interface_fails_and_keeps_the_first(lan, make_netns, container_id):
    ns = make_netns()
    first = lan.add(ns, container_id())
    again = lan.invoke("ADD", lan.conf(), ns, container_id())
    again.expect_error(4)
    assert first.address() in harness.addresses("eth0", ns.name)
    assert lan.net.leases() == {first.ip(): (first.container_id, "eth0")}
    ns.ping(lan.neighbour_ip4)


# --------------------------------------------------------------------------------------------
# Master placement


@pytest.mark.ours_only
def test_link_in_container_uses_a_master_inside_the_container(make_lan, make_netns, container_id):
    """(The reference of Debian 12, plugins 1.1.1, predates `linkInContainer`.)"""
    lan = make_lan()
    ns, outside = make_netns(), make_netns()
    make_segment("m0", outside, f"{lan.neighbour_ip4}/24", f"{lan.neighbour_ip6}/64", netns=ns.name)
    attachment = lan.add(ns, container_id(), conf=lan.conf(master="m0", linkInContainer=True))

    info = macvlan_info(ns)
    assert info["link"] == "m0"  # a parent in the same namespace is shown by name
    ns.ping(lan.neighbour_ip4)
    assert host_macvlans_on(lan.master) == []

    attachment.check().expect_ok()
    attachment.delete().expect_ok()
    assert not harness.link_exists("eth0", ns.name)
    assert harness.link_exists("m0", ns.name)
    assert lan.net.leases() == {}


@pytest.mark.ours_only
def test_without_master_the_default_route_interface_is_used(make_lan, make_netns, container_id):
    """The plugin runs in a namespace playing the host, whose default route leaves through a veth."""
    lan = make_lan()
    host, ns, outside = make_netns(), make_netns(), make_netns()
    make_segment("uplink0", outside, f"{lan.neighbour_ip4}/24", f"{lan.neighbour_ip6}/64", netns=host.name)
    harness.sh("ip", "-n", host.name, "route", "add", "default", "dev", "uplink0")
    conf = lan.conf()
    del conf["master"]

    env = lan.net.env("ADD", ns.path, container_id())
    start = time.perf_counter()
    proc = subprocess.run(["ip", "netns", "exec", host.name, str(lan.net.stack.bridge)], input=json.dumps(conf),
                          env=env, capture_output=True, text=True, timeout=60)
    harness.Invocation(["ip", "netns", "exec", host.name, str(lan.net.stack.bridge)], env, json.dumps(conf),
                       proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start).expect_ok()

    uplink = harness.link("uplink0", host.name)
    assert macvlan_info(ns)["link_index"] == uplink["ifindex"]
    ns.ping(lan.neighbour_ip4)


@pytest.mark.ours_only
def test_without_master_or_default_route_is_code_7(lan, make_netns, container_id):
    """linkInContainer without a master looks for the container's default route, which a fresh one lacks."""
    ns = make_netns()
    conf = lan.conf(linkInContainer=True)
    del conf["master"]
    result = lan.invoke("ADD", conf, ns, container_id()).expect_error(7)
    assert "default route" in result.json["msg"]
    assert_nothing_left(lan, ns)


# --------------------------------------------------------------------------------------------
# DEL, CHECK, GC, STATUS


def test_del_removes_the_link_and_the_lease(lan, make_netns, container_id):
    ns = make_netns()
    attachment = lan.add(ns, container_id())
    assert lan.net.leases() == {attachment.ip(): (attachment.container_id, "eth0")}
    attachment.delete().expect_ok()
    assert not harness.link_exists("eth0", ns.name)
    assert lan.net.leases() == {}


def test_del_twice_succeeds(lan, make_netns, container_id):
    ns = make_netns()
    attachment = lan.add(ns, container_id())
    attachment.delete().expect_ok()
    attachment.delete().expect_ok()
    assert ns.link_names() == ns.baseline
    assert lan.net.leases() == {}


@pytest.mark.parametrize("netns_given", ["stale path", "empty"])
def test_del_after_the_namespace_is_gone_releases_the_lease(lan, make_netns, container_id, netns_given):
    ns = make_netns()
    attachment = lan.add(ns, container_id())
    path = ns.path
    harness.delete_netns(ns.name)
    attachment.delete(netns_path=path if netns_given == "stale path" else None).expect_ok()
    assert lan.net.leases() == {}
    harness.wait_until(lambda: host_macvlans_on(lan.master) == [], what="no macvlan left on the master")


@pytest.mark.ours_only
def test_del_leaves_an_interface_that_is_not_a_macvlan(lan, make_netns, container_id):
    ns = make_netns()
    harness.sh("ip", "-n", ns.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
    lan.invoke("DEL", lan.conf(), ns, container_id()).expect_ok()
    assert harness.link_exists("eth0", ns.name)


def test_check_after_add_succeeds(lan, make_netns, container_id):
    ns = make_netns()
    lan.add(ns, container_id(), conf=lan.conf(dual=True)).check().expect_ok()


@pytest.mark.parametrize("change", ["mode", "address", "interface"])
def test_check_notices_a_change(lan, make_netns, container_id, change):
    ns = make_netns()
    attachment = lan.add(ns, container_id())
    if change == "mode":
        harness.sh("ip", "-n", ns.name, "link", "set", "eth0", "type", "macvlan", "mode", "private")
    elif change == "address":
        harness.sh("ip", "-n", ns.name, "addr", "del", attachment.address(), "dev", "eth0")
    else:
        harness.delete_link("eth0", ns.name)
    attachment.check().expect_error(999)


@pytest.mark.ours_only
def test_check_notices_another_master(make_lan, make_netns, container_id):
    lan = make_lan()
    other = f"{lan.master}o"
    harness.sh("ip", "link", "add", other, "type", "bridge")
    try:
        ns = make_netns()
        attachment = lan.add(ns, container_id())
        result = attachment.invoke("CHECK", conf=dict(attachment.conf, master=other)).expect_error(999)
        assert other in result.json["msg"]
    finally:
        harness.delete_link(other)


@pytest.mark.ours_only
def test_gc_releases_the_leases_of_stale_attachments(lan, make_netns, container_id):
    conf = lan.conf(version="1.1.0")
    keep_ns, stale_ns = make_netns(), make_netns()
    keep = lan.add(keep_ns, container_id(), conf=conf)
    stale = lan.add(stale_ns, container_id(), conf=conf)
    assert set(lan.net.leases()) == {keep.ip(), stale.ip()}
    harness.delete_netns(stale_ns.name)

    gc = dict(conf)
    gc["cni.dev/valid-attachments"] = [{"containerID": keep.container_id, "ifname": keep.ifname}]
    lan.invoke("GC", gc, None, None).expect_ok()
    assert lan.net.leases() == {keep.ip(): (keep.container_id, "eth0")}
    keep_ns.ping(lan.neighbour_ip4)


@pytest.mark.ours_only
def test_status_forwards_to_ipam(lan):
    lan.invoke("STATUS", lan.conf(version="1.1.0"), None, None).expect_ok()
    lan.invoke("STATUS", lan.conf(version="1.1.0", ipam={}), None, None).expect_ok()


# --------------------------------------------------------------------------------------------
# Concurrency, interop, examples


def test_thirty_parallel_adds_get_distinct_addresses_and_interfaces(lan, make_netns, container_id):
    namespaces = [make_netns() for _ in range(30)]
    ids = [container_id() for _ in namespaces]
    procs = [harness.start_plugin(lan.net.stack.bridge, lan.net.env("ADD", ns.path, cid), lan.conf())
             for ns, cid in zip(namespaces, ids)]
    results = [harness.finish_plugin(p).expect_ok().json for p in procs]

    ips = [r["ips"][0]["address"] for r in results]
    macs = [r["interfaces"][0]["mac"].lower() for r in results]
    assert len(set(ips)) == 30 and len(set(macs)) == 30
    for ns, mac in zip(namespaces, macs):
        assert ns.link_names() == ns.baseline | {"eth0"}
        assert macvlan_info(ns)["mac"] == mac
    assert {ip.split("/")[0] for ip in ips} == set(lan.net.leases())
    assert host_macvlans_on(lan.master) == []
    namespaces[0].ping(results[29]["ips"][0]["address"].split("/")[0])


@pytest.mark.ours_only
@pytest.mark.parametrize("stack_name", ["ours-macvlan+host-local", "reference-macvlan+kv-ipam"])
def test_interop_stack_end_to_end(make_lan, make_netns, container_id, stack_name):
    """Our macvlan with the reference host-local, and the reference macvlan with our kv-ipam."""
    lan = make_lan(STACKS[stack_name])
    a, b = make_netns(), make_netns()
    first = lan.add(a, container_id())
    second = lan.add(b, container_id())
    assert lan.net.leases() == {first.ip(): (first.container_id, "eth0"), second.ip(): (second.container_id, "eth0")}
    a.ping(second.ip())
    first.check().expect_ok()
    first.delete().expect_ok()
    second.delete().expect_ok()
    assert lan.net.leases() == {}


def test_reference_control_stack(make_lan, make_netns, container_id):
    """The reference macvlan + host-local through the same harness: if this fails, the harness is wrong."""
    lan = make_lan(STACKS["reference"])
    a, b = make_netns(), make_netns()
    first = lan.add(a, container_id())
    second = lan.add(b, container_id())
    a.ping(second.ip())
    first.delete().expect_ok()
    second.delete().expect_ok()
    assert lan.net.leases() == {}


@pytest.mark.ours_only
def test_example_config(lan, make_netns, container_id):
    """conf/60-swift-macvlan.conflist through ADD, CHECK and DEL, with master, subnet and store rewritten."""
    conflist = json.loads((harness.REPO / "conf" / "60-swift-macvlan.conflist").read_text())
    conflist["name"] = lan.net.name
    [conf] = harness.plugin_confs(conflist)
    assert conf["type"] == "macvlan"
    conf["master"] = lan.master
    conf["ipam"]["ranges"] = [[{"subnet": str(lan.net.v4)}]]
    conf["ipam"]["dataDir"] = str(lan.net.data_dir)

    ns = make_netns()
    attachment = lan.add(ns, container_id(), conf=conf)
    assert set(lan.net.leases()) == {attachment.ip()}
    attachment.check().expect_ok()
    attachment.delete().expect_ok()
    assert lan.net.leases() == {}
