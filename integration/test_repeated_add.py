"""An ADD repeated for an attachment replaces what that attachment left, and nothing else.

A runtime repeats an ADD whose plugin was killed: the bridge's veth pair (named after the attachment)
or the macvlan (tagged with it) may be there, half configured, with its lease held. The next ADD
replaces it and gets the same address; an interface of that name that belongs to something else is
code 4 and is left alone, with no lease taken.
"""

from __future__ import annotations

import pytest

import harness
from harness import nft
from conftest import ours
from test_macvlan import lan, make_lan, macvlan_info  # noqa: F401 (fixtures)

pytestmark = pytest.mark.ours_only


def attachment_link_name(prefix: str, network: str, container_id: str, ifname: str) -> str:
    """A name our plugins make for an attachment: `prefix`, then the top hex digits of FNV-1a 64 of
    its canonical text, to 15 bytes."""
    value = 0xcbf29ce484222325
    for byte in f"{network}/{container_id}/{ifname}".encode():
        value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    digits = 15 - len(prefix)
    return prefix + format(value >> (64 - 4 * digits), f"0{digits}x")


def host_veth_name(network: str, container_id: str, ifname: str) -> str:
    """The bridge plugin's name for an attachment's host end."""
    return attachment_link_name("veth", network, container_id, ifname)


def assert_gone(net, ns, cid: str, before: set[str]) -> None:
    assert net.leases() == {}
    assert ns.link_names() == ns.baseline
    assert harness.host_veths() - before == set()
    assert nft.owned_by(cid) == []


@pytest.mark.parametrize("alias", ["none yet", "its own tag"])
def test_an_add_killed_after_the_lease_and_the_pair_is_completed_by_the_next_add(
        net, make_netns, container_id, alias):
    ns = make_netns()
    cid = container_id()
    conf = net.conf()
    before = harness.host_veths()
    # What an ADD killed half way leaves: the lease, and the pair as the plugin names it, down,
    # without addresses, off the bridge.
    leased = harness.run_plugin(ours("kv-ipam"), net.env("ADD", ns.path, cid), conf).expect_ok().json
    host_veth = host_veth_name(net.name, cid, "eth0")
    harness.sh("ip", "link", "add", host_veth, "type", "veth", "peer", "name", "eth0", "netns", ns.name)
    if alias == "its own tag":
        harness.sh("ip", "link", "set", host_veth, "alias", f"swift-cni/{net.name}/{cid}/eth0")

    attachment = net.add(ns, cid, conf=conf)
    assert attachment.host_veth == host_veth
    assert attachment.address() == leased["ips"][0]["address"]
    assert net.leases() == {attachment.ip(): (cid, "eth0")}
    assert attachment.address() in harness.addresses("eth0", ns.name)
    assert harness.bridge_ports(net.bridge) == [host_veth]
    ns.ping(net.gateway4)

    attachment.delete().expect_ok()
    assert_gone(net, ns, cid, before)


def test_an_add_repeated_after_a_complete_one_replaces_it_with_the_same_address(net, make_netns, container_id):
    ns = make_netns()
    cid = container_id()
    before = harness.host_veths()
    first = net.add(ns, cid)
    again = net.add(ns, cid)
    assert again.host_veth == first.host_veth
    assert again.address() == first.address()
    assert net.leases() == {first.ip(): (cid, "eth0")}
    assert harness.link(first.host_veth)["ifalias"] == f"swift-cni/{net.name}/{cid}/eth0"
    assert nft.owned_by(cid) != []
    ns.ping(net.gateway4)

    again.delete().expect_ok()
    assert_gone(net, ns, cid, before)


@pytest.mark.parametrize("other", ["a veth with another peer", "the pair of another container",
                                   "a pair tagged for another attachment"])
def test_an_interface_of_that_name_that_is_not_the_attachments_is_code_4_and_left_alone(
        net, make_netns, container_id, other):
    ns = make_netns()
    cid, stranger = container_id(), container_id()
    host_end = f"{net.bridge}o"
    if other == "the pair of another container":
        host_end = host_veth_name(net.name, stranger, "eth0")
    elif other == "a pair tagged for another attachment":
        host_end = host_veth_name(net.name, cid, "eth0")
    harness.sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", ns.name)
    if other == "a pair tagged for another attachment":
        harness.sh("ip", "link", "set", host_end, "alias", f"swift-cni/{net.name}/{stranger}/eth0")
    try:
        peer = harness.link("eth0", ns.name)
        result = net.invoke("ADD", net.conf(), ns.path, cid).expect_error(4)
        assert "CNI_IFNAME eth0 already exists" in result.json["msg"]
        assert harness.link("eth0", ns.name)["ifindex"] == peer["ifindex"]
        assert harness.link_exists(host_end)
        assert net.leases() == {}
    finally:
        harness.delete_link(host_end)


def test_a_macvlan_add_repeated_for_the_attachment_replaces_its_macvlan(lan, make_netns, container_id):  # noqa: F811
    ns = make_netns()
    cid = container_id()
    first = lan.add(ns, cid)
    assert harness.link("eth0", ns.name)["ifalias"] == f"swift-cni/{lan.net.name}/{cid}/eth0"
    # Down and stripped of its addresses, as an ADD killed before configuring it leaves it.
    harness.sh("ip", "-n", ns.name, "addr", "flush", "dev", "eth0")
    harness.sh("ip", "-n", ns.name, "link", "set", "eth0", "down")

    again = lan.add(ns, cid)
    assert again.address() == first.address()
    assert again.address() in harness.addresses("eth0", ns.name)
    assert macvlan_info(ns)["link_index"] == harness.link(lan.master)["ifindex"]
    assert lan.net.leases() == {first.ip(): (cid, "eth0")}
    ns.ping(lan.neighbour_ip4)

    again.delete().expect_ok()
    assert ns.link_names() == ns.baseline
    assert lan.net.leases() == {}


@pytest.mark.parametrize("alias", ["none yet", "its own tag"])
def test_a_macvlan_a_killed_add_left_under_its_made_name_is_replaced(lan, make_netns, container_id,  # noqa: F811
                                                                     alias):
    ns = make_netns()
    cid = container_id()
    made = attachment_link_name("mv", lan.net.name, cid, "eth0")
    harness.sh("ip", "link", "add", "link", lan.master, "name", made, "netns", ns.name, "type", "macvlan",
               "mode", "bridge")
    if alias == "its own tag":
        harness.sh("ip", "-n", ns.name, "link", "set", made, "alias", f"swift-cni/{lan.net.name}/{cid}/eth0")

    attachment = lan.add(ns, cid)
    assert ns.link_names() == ns.baseline | {"eth0"}
    assert attachment.address() in harness.addresses("eth0", ns.name)
    ns.ping(lan.neighbour_ip4)
    attachment.delete().expect_ok()
    assert ns.link_names() == ns.baseline
    assert lan.net.leases() == {}


def test_a_macvlan_del_removes_what_a_killed_add_left_under_its_made_name(lan, make_netns, container_id):  # noqa: F811
    ns = make_netns()
    cid = container_id()
    harness.sh("ip", "link", "add", "link", lan.master, "name", attachment_link_name("mv", lan.net.name, cid, "eth0"),
               "netns", ns.name, "type", "macvlan", "mode", "bridge")
    lan.invoke("DEL", lan.conf(), ns, cid).expect_ok()
    assert ns.link_names() == ns.baseline


def test_a_macvlan_of_that_name_without_the_attachments_tag_is_code_4(lan, make_netns, container_id):  # noqa: F811
    ns = make_netns()
    harness.sh("ip", "link", "add", "link", lan.master, "name", "eth0", "netns", ns.name, "type", "macvlan",
               "mode", "bridge")
    index = harness.link("eth0", ns.name)["ifindex"]
    lan.invoke("ADD", lan.conf(), ns, container_id()).expect_error(4)
    assert harness.link("eth0", ns.name)["ifindex"] == index
    assert lan.net.leases() == {}
