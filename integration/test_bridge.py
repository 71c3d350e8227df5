"""The bridge plugin end to end: connectivity, result shapes, DEL, CHECK, GC."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

import harness
from conftest import STACKS


def test_two_containers_ping_each_other_and_the_gateway(net, make_netns, container_id):
    a, b = make_netns(), make_netns()
    first = net.add(a, container_id())
    second = net.add(b, container_id())

    assert first.ip() != second.ip()
    assert harness.link_exists(net.bridge)
    assert net.gateway4 + "/24" in harness.addresses(net.bridge)
    assert set(harness.bridge_ports(net.bridge)) == {first.host_veth, second.host_veth}

    a.ping(second.ip())
    b.ping(first.ip())
    a.ping(net.gateway4)
    b.ping(net.gateway4)


def test_dual_stack_gets_one_address_per_family_and_pings_over_ipv6(net, make_netns, container_id):
    conf = net.conf(dual=True)
    a, b = make_netns(), make_netns()
    first = net.add(a, container_id(), conf=conf)
    second = net.add(b, container_id(), conf=conf)

    for attachment in (first, second):
        families = sorted(ipaddress.ip_interface(x).version for x in attachment.addresses)
        assert families == [4, 6], attachment.result
        assert ipaddress.ip_interface(attachment.address(4)).ip in net.v4
        assert ipaddress.ip_interface(attachment.address(6)).ip in net.v6
        # The container side really carries both addresses.
        present = harness.addresses(attachment.ifname, attachment.netns.name)
        assert attachment.address(4) in present and attachment.address(6) in present

    a.ping(second.ip(6))
    b.ping(first.ip(6))
    a.ping(second.ip(4))
    a.ping(net.gateway6)


@pytest.mark.parametrize("version", ["0.3.1", "1.0.0"])
def test_result_shape(net, make_netns, container_id, version):
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(version=version))
    result = attachment.result

    assert result["cniVersion"] == version
    interfaces = result["interfaces"]
    assert len(interfaces) == 3, interfaces
    bridge, host_veth, container = interfaces
    assert bridge["name"] == net.bridge and not bridge.get("sandbox")
    assert harness.link(host_veth["name"])["master"] == net.bridge and not host_veth.get("sandbox")
    assert container["name"] == "eth0" and container["sandbox"] == ns.path
    assert container["mac"].lower() == harness.link("eth0", ns.name)["address"].lower()
    assert bridge["mac"].lower() == harness.link(net.bridge)["address"].lower()

    assert len(result["ips"]) == 1
    ip = result["ips"][0]
    assert ip["interface"] == 2
    assert ip["gateway"] == net.gateway4
    assert ipaddress.ip_interface(ip["address"]).network == net.v4
    if version == "0.3.1":
        assert ip["version"] == "4"
    else:
        assert "version" not in ip


def test_routes_from_ipam_reach_the_result_and_the_container(net, make_netns, container_id):
    ipam = net.ipam(routes=[{"dst": "0.0.0.0/0"}, {"dst": "198.51.100.0/24"}])
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(ipam=ipam))

    destinations = {r["dst"]: r.get("gw", net.gateway4) for r in attachment.result.get("routes", [])}
    assert destinations == {"0.0.0.0/0": net.gateway4, "198.51.100.0/24": net.gateway4}
    installed = {r["dst"]: r.get("gateway") for r in harness.routes(ns.name)}
    assert installed.get("default") == net.gateway4
    assert installed.get("198.51.100.0/24") == net.gateway4


@pytest.mark.ours_only
def test_dns_comes_from_resolv_conf_unless_the_config_sets_it(net, make_netns, container_id, tmp_root):
    """The reference bridge drops IPAM's dns; ours reports it, and a `dns` in the config wins."""
    resolv = tmp_root / "resolv.conf"
    resolv.write_text("nameserver 192.0.2.53\nsearch example.test\noptions ndots:2\n")
    conf = net.conf(ipam=net.ipam(resolvConf=str(resolv)))
    from_ipam = net.add(make_netns(), container_id(), conf=conf).result["dns"]
    assert from_ipam["nameservers"] == ["192.0.2.53"]
    assert from_ipam["search"] == ["example.test"]
    assert from_ipam["options"] == ["ndots:2"]

    conf["dns"] = {"nameservers": ["198.51.100.53"], "domain": "override.test"}
    overridden = net.add(make_netns(), container_id(), conf=conf).result["dns"]
    assert overridden["nameservers"] == ["198.51.100.53"]
    assert overridden["domain"] == "override.test"


def test_is_default_gateway_installs_a_default_route(net, make_netns, container_id):
    ns = make_netns()
    net.add(ns, container_id(), conf=net.conf(isDefaultGateway=True))
    installed = {r["dst"]: r.get("gateway") for r in harness.routes(ns.name)}
    assert installed.get("default") == net.gateway4


@pytest.mark.ours_only
def test_ports_make_no_ipv6_chatter_and_ipv4_only_containers_get_no_ipv6(net, make_netns, container_id):
    # Link-local addresses would bring DAD, router solicitations and MLD reports that the bridge floods
    # to every port, making each ADD cost more the more containers there are. (The reference keeps them.)
    v4_only = net.add(make_netns(), container_id())
    dual = net.add(make_netns(), container_id(), conf=net.conf(dual=True))

    for attachment in (v4_only, dual):
        assert [a for a in harness.addresses(attachment.host_veth) if ":" in a] == []
    assert [a for a in harness.addresses("eth0", v4_only.netns.name) if ":" in a] == []
    dual_v6 = [a for a in harness.addresses("eth0", dual.netns.name) if ":" in a]
    assert dual.address(6) in dual_v6 and any(a.startswith("fe80:") for a in dual_v6)


@pytest.mark.ours_only
def test_both_veth_ends_have_one_queue_each_way(net, make_netns, container_id):
    # Without an explicit count the kernel allocates one queue per CPU and then cuts each end down
    # to one, waiting out an RCU grace period under the RTNL lock each time.
    attachment = net.add(make_netns(), container_id())
    for netns, name in ((None, attachment.host_veth), (attachment.netns.name, "eth0")):
        prefix = ("ip", "-n", netns) if netns else ("ip",)
        details = harness.sh(*prefix, "-d", "link", "show", name).stdout
        assert "numtxqueues 1 numrxqueues 1" in details, details


def multicast_snooping(bridge: str) -> str:
    return Path(f"/sys/class/net/{bridge}/bridge/multicast_snooping").read_text().strip()


@pytest.mark.ours_only
def test_a_bridge_the_plugin_makes_has_multicast_snooping_off(net, make_netns, container_id):
    # With snooping on, each port coming up re-arms timers on every other port of the bridge.
    net.add(make_netns(), container_id())
    assert multicast_snooping(net.bridge) == "0"


def test_an_existing_bridge_keeps_its_multicast_snooping(net, make_netns, container_id):
    harness.sh("ip", "link", "add", net.bridge, "type", "bridge", "mcast_snooping", "1")
    net.add(make_netns(), container_id())
    assert multicast_snooping(net.bridge) == "1"


@pytest.mark.ours_only
def test_a_full_bridge_is_a_clear_try_again_error_that_leaves_nothing(net, make_netns, container_id):
    # A Linux bridge holds at most 1024 ports. Fill one with veth pairs whose peers sit in a namespace of
    # their own, so that deleting it removes them all in one batch rather than one by one.
    harness.sh("ip", "link", "add", net.bridge, "type", "bridge")
    fillers = make_netns()
    names = [f"{harness.BRIDGE_PREFIX}f{i}" for i in range(1024)]
    batch = "".join(f"link add {n} type veth peer name p{i} netns {fillers.name}\nlink set {n} master {net.bridge}\n"
                    for i, n in enumerate(names))
    harness.sh("ip", "-force", "-batch", "-", input=batch, check=False, timeout=120)
    try:
        ns = make_netns()
        refused = net.invoke("ADD", net.conf(), ns.path, container_id()).expect_error(11)
        assert "1024 ports" in refused.json["msg"]
        assert net.leases() == {}
        assert not harness.link_exists("eth0", ns.name)
    finally:
        harness.delete_netns(fillers.name)
        harness.wait_until(lambda: not harness.bridge_ports(net.bridge), timeout=60, what="the filler ports to go")


def test_mtu_applies_to_both_ends(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(mtu=1280))
    assert harness.link("eth0", ns.name)["mtu"] == 1280
    assert harness.link(attachment.host_veth)["mtu"] == 1280


def v4(addresses: list[str]) -> list[str]:
    return [a for a in addresses if ipaddress.ip_interface(a).version == 4]


def test_a_bridge_with_another_address_is_refused_unless_force_address(net, make_netns, container_id):
    harness.sh("ip", "link", "add", net.bridge, "type", "bridge")
    foreign = str(net.v4.network_address + 200) + f"/{net.v4.prefixlen}"
    harness.sh("ip", "addr", "add", foreign, "dev", net.bridge)
    ns = make_netns()

    refused = net.invoke("ADD", net.conf(), ns.path, container_id()).expect_error(net.stack.failure_code(7))
    assert "already has an IP address" in refused.json["msg"]
    assert v4(harness.addresses(net.bridge)) == [foreign]
    assert net.leases() == {}
    if net.stack.ours_bridge:  # the reference leaves its veth pair for the runtime's DEL
        assert not harness.link_exists("eth0", ns.name)

    elsewhere = make_netns()
    forced = net.add(elsewhere, container_id(), conf=net.conf(forceAddress=True))
    assert v4(harness.addresses(net.bridge)) == [net.gateway4 + f"/{net.v4.prefixlen}"]
    elsewhere.ping(net.gateway4)
    forced.delete().expect_ok()


def test_del_removes_host_veth_container_interface_and_lease(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id())
    assert net.leases() == {attachment.ip(): (attachment.container_id, "eth0")}

    attachment.delete().expect_ok()

    assert not harness.link_exists(attachment.host_veth)
    assert not harness.link_exists("eth0", ns.name)
    assert net.leases() == {}


def test_del_twice_succeeds(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id())
    attachment.delete().expect_ok()
    attachment.delete().expect_ok()
    assert not harness.link_exists(attachment.host_veth)
    assert net.leases() == {}


@pytest.mark.ours_only
def test_del_leaves_the_kernels_wait_to_a_child_that_ends_by_itself(net, make_netns, container_id):
    """DEL returns once the link has left the namespaces; a child process waits out the kernel's
    freeing of it. Run with pipes, as a Go runtime does: the child must not hold them open."""
    ns = make_netns()
    attachment = net.add(ns, container_id())
    body = harness.request(attachment.conf, attachment.result)
    env = net.env("DEL", ns.path, attachment.container_id)
    with harness.adopting_orphans() as orphans:
        harness.finish_plugin(harness.start_plugin(net.stack.bridge, env, body), timeout=10).expect_ok()
        assert not harness.link_exists(attachment.host_veth)
        assert not harness.link_exists("eth0", ns.name)
        assert net.leases() == {}
        assert orphans() == [("cni-link-del", 0)]


@pytest.mark.ours_only
def test_del_that_cannot_start_a_child_removes_the_link_itself(net, make_netns, container_id, tmp_root):
    ns = make_netns()
    attachment = net.add(ns, container_id())
    body = harness.request(attachment.conf, attachment.result)
    with harness.adopting_orphans() as orphans, \
            harness.limited_to_one_process(net.stack.bridge, tmp_root) as confined:
        net.invoke("DEL", body, ns.path, attachment.container_id, binary=confined).expect_ok()
        assert orphans() == []
    assert not harness.link_exists(attachment.host_veth)
    assert not harness.link_exists("eth0", ns.name)
    assert net.leases() == {}


def test_the_same_attachment_can_be_added_again_right_after_del(net, make_netns, container_id):
    ns = make_netns()
    cid = container_id()
    net.add(ns, cid).delete().expect_ok()
    again = net.add(ns, cid)
    ns.ping(net.gateway4)
    assert net.leases() == {again.ip(): (cid, "eth0")}


@pytest.mark.parametrize("netns_given", ["stale path", "empty"])
def test_del_after_the_namespace_is_gone_releases_everything(net, make_netns, container_id, netns_given):
    ns = make_netns()
    attachment = net.add(ns, container_id())
    path = ns.path
    harness.delete_netns(ns.name)

    attachment.delete(netns_path=path if netns_given == "stale path" else None).expect_ok()

    gone = lambda: not harness.link_exists(attachment.host_veth)
    if net.stack.ours_bridge:
        assert gone(), "DEL returned while the host veth still exists"
    else:  # the reference leaves it to the kernel's asynchronous namespace teardown
        harness.wait_until(gone, what="host veth removal")
    assert net.leases() == {}


@pytest.mark.ours_only
def test_del_without_netns_removes_the_host_veth_while_the_namespace_lives(net, make_netns, container_id):
    """The host veth name is derived from (network, container, ifname), so DEL needs no namespace."""
    ns = make_netns()
    attachment = net.add(ns, container_id())
    attachment.delete(netns_path=None).expect_ok()
    assert not harness.link_exists(attachment.host_veth)
    assert not harness.link_exists("eth0", ns.name)
    assert net.leases() == {}


def test_released_address_can_be_handed_out_again(net, make_netns, container_id):
    ns = make_netns()
    wanted = net.v4_host(40)
    first = net.add(ns, container_id(), args=f"IgnoreUnknown=1;IP={wanted}")
    first.delete().expect_ok()
    second = net.add(ns, container_id(), args=f"IgnoreUnknown=1;IP={wanted}")
    assert second.ip() == wanted
    assert net.leases() == {wanted: (second.container_id, "eth0")}


def test_second_add_of_the_same_interface_keeps_the_attachment_working(net, make_netns, container_id):
    ns = make_netns()
    cid = container_id()
    first = net.add(ns, cid)
    again = net.invoke("ADD", net.conf(), ns.path, cid)
    if net.stack.ours_bridge:
        again.expect_ok()  # ours replaces its own pair: see test_repeated_add.py
    else:
        again.expect_error(net.stack.failure_code(4))
    assert harness.link_exists(first.host_veth)
    assert first.address() in harness.addresses("eth0", ns.name)
    ns.ping(net.gateway4)


def test_check_after_add_succeeds(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id())
    attachment.check().expect_ok()


def test_check_notices_a_removed_address(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id())
    harness.sh("ip", "-n", ns.name, "addr", "del", attachment.address(), "dev", "eth0")
    attachment.check().expect_error(999)


def test_check_notices_a_removed_interface(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id())
    harness.delete_link("eth0", ns.name)
    attachment.check().expect_error(999)


@pytest.mark.ours_only
def test_check_needs_at_least_0_4_0(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(version="0.3.1"))
    attachment.check().expect_error(1)


@pytest.mark.ours_only
def test_gc_removes_stale_attachments_and_keeps_valid_ones(net, make_netns, container_id):
    conf = net.conf(version="1.1.0")
    keep_ns, stale_ns = make_netns(), make_netns()
    keep = net.add(keep_ns, container_id(), conf=conf)
    stale = net.add(stale_ns, container_id(), conf=conf)
    assert set(net.leases()) == {keep.ip(), stale.ip()}

    gc = dict(conf)
    gc["cni.dev/valid-attachments"] = [{"containerID": keep.container_id, "ifname": keep.ifname}]
    net.invoke("GC", gc, None, None, ifname=None).expect_ok()

    assert net.leases() == {keep.ip(): (keep.container_id, "eth0")}
    assert not harness.link_exists(stale.host_veth)
    assert harness.link_exists(keep.host_veth)
    keep_ns.ping(net.gateway4)


@pytest.mark.ours_only
def test_gc_accepts_the_legacy_attachments_key(net, make_netns, container_id):
    conf = net.conf(version="1.1.0")
    keep_ns, stale_ns = make_netns(), make_netns()
    keep = net.add(keep_ns, container_id(), conf=conf)
    net.add(stale_ns, container_id(), conf=conf)
    harness.delete_netns(stale_ns.name)  # a runtime that crashed after the namespace went away

    gc = dict(conf)
    gc["cni.dev/attachments"] = [{"containerID": keep.container_id, "ifname": keep.ifname}]
    net.invoke("GC", gc, None, None, ifname=None).expect_ok()
    assert net.leases() == {keep.ip(): (keep.container_id, "eth0")}
    assert harness.link_exists(keep.host_veth)


@pytest.mark.ours_only
def test_gc_needs_1_1_0(net):
    conf = net.conf(version="1.0.0")
    conf["cni.dev/valid-attachments"] = []
    net.invoke("GC", conf, None, None, ifname=None).expect_error(1)


def test_concurrent_first_adds_share_one_bridge(make_network, make_netns, container_id):
    """Several processes racing to create the bridge all succeed and end up on the same one."""
    net = make_network()
    namespaces = [make_netns() for _ in range(6)]
    procs = [harness.start_plugin(net.stack.bridge, net.env("ADD", ns.path, container_id()), net.conf())
             for ns in namespaces]
    results = [harness.finish_plugin(p) for p in procs]
    for result in results:
        result.expect_ok()
    assert len(harness.bridge_ports(net.bridge)) == len(namespaces)
    assert harness.addresses(net.bridge).count(net.gateway4 + "/24") == 1
    for ns in namespaces:
        ns.ping(net.gateway4)


@pytest.mark.ours_only
@pytest.mark.parametrize("stack_name", ["ours-bridge+host-local", "reference-bridge+kv-ipam"])
def test_interop_stack_end_to_end(make_network, make_netns, container_id, stack_name):
    """Our bridge with the reference host-local, and the reference bridge with our kv-ipam."""
    net = make_network(STACKS[stack_name])
    a, b = make_netns(), make_netns()
    first = net.add(a, container_id())
    second = net.add(b, container_id())
    assert net.leases() == {first.ip(): (first.container_id, "eth0"), second.ip(): (second.container_id, "eth0")}
    a.ping(second.ip())
    b.ping(net.gateway4)

    first.check().expect_ok()
    first.delete().expect_ok()
    second.delete().expect_ok()
    assert net.leases() == {}
    assert harness.bridge_ports(net.bridge) == []


def test_reference_control_stack(make_network, make_netns, container_id):
    """The reference bridge + host-local through the same harness: if this fails, the harness is wrong."""
    net = make_network(STACKS["reference"])
    a, b = make_netns(), make_netns()
    first = net.add(a, container_id())
    second = net.add(b, container_id())
    a.ping(second.ip())
    assert net.leases() == {first.ip(): (first.container_id, "eth0"), second.ip(): (second.container_id, "eth0")}
    first.delete().expect_ok()
    second.delete().expect_ok()
    assert net.leases() == {}
