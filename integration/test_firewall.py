"""The bridge's firewall on nftables: ipMasq, isolation between networks, macspoofchk, and the
bookkeeping that makes DEL and GC remove exactly what ADD made (table `inet swift-cni`)."""

from __future__ import annotations

import json
import random
import signal
import time

import pytest

import harness
from harness import nft
from traffic import address_of, ask, outside, servers  # noqa: F401 (fixtures)

pytestmark = pytest.mark.ours_only


def gateway_conf(net, **fields) -> dict:
    """A bridge config whose containers route everything via the bridge."""
    return net.conf(isDefaultGateway=True, **fields)


def test_ip_masq_hides_container_addresses_from_outside(make_network, make_netns, container_id, outside, servers):
    masqueraded, plain = make_network(), make_network()
    inside = masqueraded.add(make_netns(), container_id(), conf=gateway_conf(masqueraded, ipMasq=True))
    control = plain.add(make_netns(), container_id(), conf=gateway_conf(plain))
    servers(outside.netns, "outside", "tcp", 7000)

    # The peer sees the host's address on its link, not the container's.
    assert address_of(ask(inside.netns.name, "tcp", outside.address, 7000)) == outside.host
    # Without ipMasq the container's own address arrives.
    assert address_of(ask(control.netns.name, "tcp", outside.address, 7000)) == control.ip()
    # Inside its own network a container is never masqueraded.
    neighbour = masqueraded.add(make_netns(), container_id(), conf=gateway_conf(masqueraded, ipMasq=True))
    servers(neighbour.netns.name, "neighbour", "tcp", 7001)
    assert address_of(ask(inside.netns.name, "tcp", neighbour.ip(), 7001)) == inside.ip()

    owned = nft.owned_by(inside.container_id)
    assert {name for _, name, _, _ in owned} >= {"masquerade4", "local4", "isolated4", "owners"}


def test_ip_masq_covers_ipv6(make_network, make_netns, container_id, outside, servers):
    net = make_network()
    conf = gateway_conf(net, ipMasq=True, ipam=net.ipam(dual=True))
    a = net.add(make_netns(), container_id(), conf=conf)
    owned = {name for _, name, _, _ in nft.owned_by(a.container_id)}
    assert {"masquerade6", "local6", "isolated6"} <= owned


def test_networks_are_isolated_but_a_container_on_both_reaches_both(make_network, make_netns, container_id,
                                                                     servers):
    red, blue = make_network(), make_network()
    a = red.add(make_netns(), container_id(), conf=gateway_conf(red))
    a2 = red.add(make_netns(), container_id(), conf=gateway_conf(red))
    b = blue.add(make_netns(), container_id(), conf=gateway_conf(blue))
    for attachment in (a, a2, b):
        servers(attachment.netns.name, attachment.container_id, "tcp", 7000)

    # Same network and the gateway: fine. The other network: dropped, both ways.
    assert ask(a.netns.name, "tcp", a2.ip(), 7000)
    a.netns.ping(red.gateway4)
    assert ask(a.netns.name, "tcp", b.ip(), 7000, timeout=1) is None
    assert ask(b.netns.name, "tcp", a.ip(), 7000, timeout=1) is None

    # A container attached to both networks (eth0 on red, eth1 on blue) reaches both.
    both_ns = make_netns()
    on_red = red.add(both_ns, container_id(), conf=red.conf())
    on_blue = blue.add(both_ns, on_red.container_id, ifname="eth1", conf=blue.conf())
    assert ask(both_ns.name, "tcp", a.ip(), 7000)
    assert ask(both_ns.name, "tcp", b.ip(), 7000)
    # ... while the two networks stay apart through it.
    servers(both_ns.name, "both", "tcp", 7001)
    assert ask(b.netns.name, "tcp", on_blue.ip(), 7001)
    assert ask(a.netns.name, "tcp", on_blue.ip(), 7001, timeout=1) is None


def test_isolation_can_be_switched_off_per_network(make_network, make_netns, container_id, servers):
    isolated, open_ = make_network(), make_network()
    a = isolated.add(make_netns(), container_id(), conf=gateway_conf(isolated))
    b = open_.add(make_netns(), container_id(), conf=gateway_conf(open_, networkIsolation=False))
    servers(a.netns.name, "a", "tcp", 7000)
    servers(b.netns.name, "b", "tcp", 7000)

    assert address_of(ask(a.netns.name, "tcp", b.ip(), 7000)) == a.ip()
    assert address_of(ask(b.netns.name, "tcp", a.ip(), 7000)) == b.ip()
    # Only the host's record of who holds the address, which every bridge attachment has.
    assert {name for _, name, _, _ in nft.owned_by(b.container_id)} == {"owners", "local4"}


def test_macspoofchk_drops_frames_with_another_source_mac(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(macspoofchk=True))
    ns.ping(net.gateway4)
    assert any(name == "macspoof-allowed" for _, name, _, _ in nft.owned_by(attachment.container_id))

    ns.exec("ip", "link", "set", "eth0", "address", "02:00:00:de:ad:01")
    ns.exec("ip", "neigh", "flush", "all")
    harness.sh("ip", "neigh", "flush", "dev", net.bridge)
    assert ns.exec("ping", "-c", "2", "-W", "1", net.gateway4, check=False).returncode != 0

    ns.exec("ip", "link", "set", "eth0", "address", attachment.result["interfaces"][2]["mac"])
    ns.ping(net.gateway4)


def test_del_after_the_namespace_is_gone_removes_every_element(net, make_netns, container_id):
    conf = net.conf(ipMasq=True, macspoofchk=True, ipam=net.ipam(dual=True))
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=conf)
    assert len(nft.owned_by(attachment.container_id)) >= 8

    harness.delete_netns(ns.name)
    attachment.delete().expect_ok()
    assert nft.owned_by(attachment.container_id) == []
    # Removed elements expire within a jiffy, and DEL returns only once they have: not even an
    # expiring one is listed.
    assert attachment.container_id not in nft.listing()
    attachment.delete().expect_ok()
    attachment.delete(netns_path=None).expect_ok()


def test_del_deletes_from_a_table_whose_sets_take_no_timeouts(net, make_netns, container_id):
    """Removal expires elements, which needs sets made with timeouts; a table made by an earlier
    build has none. DEL then deletes, and ADD still works. The plugin runs in a namespace of the
    test's standing in for the host, so that rebuilding the table touches nobody else's state."""
    host = make_netns()
    conf = net.conf(ipMasq=True)

    def run(command: str, ns: harness.Netns, cid: str) -> None:
        variables = (f"{name}={value}" for name, value in net.env(command, ns.path, cid).items())
        harness.sh("ip", "netns", "exec", host.name, "env", *variables, str(net.stack.bridge), input=json.dumps(conf))

    first, second = make_netns(), make_netns()
    first_id, second_id = container_id(), container_id()
    run("ADD", first, first_id)
    run("DEL", first, first_id)
    nft.rebuild_without_timeouts(host.name)
    assert "timeout" not in nft.listing(host.name)

    run("ADD", second, second_id)
    assert len(nft.owned_by(second_id, host.name)) >= 4
    run("DEL", second, second_id)
    assert second_id not in nft.listing(host.name)


def test_del_needs_no_prev_result(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(ipMasq=True))
    net.invoke("DEL", net.conf(ipMasq=True), ns.path, attachment.container_id).expect_ok()
    assert nft.owned_by(attachment.container_id) == []


def test_check_notices_a_missing_element(net, make_netns, container_id):
    attachment = net.add(make_netns(), container_id(), conf=net.conf(ipMasq=True))
    attachment.check().expect_ok()
    masquerade = [e for e in nft.owned_by(attachment.container_id) if e[1] == "masquerade4"]
    nft.delete_elements(masquerade)
    failed = attachment.check().expect_error(999)
    assert "masquerad" in failed.json["msg"]


def test_gc_removes_the_firewall_state_of_stale_attachments(net, make_netns, container_id):
    conf = net.conf(version="1.1.0", ipMasq=True)
    keep = net.add(make_netns(), container_id(), conf=conf)
    stale = net.add(make_netns(), container_id(), conf=conf)
    gc = dict(conf)
    gc["cni.dev/valid-attachments"] = [{"containerID": keep.container_id, "ifname": keep.ifname}]
    net.invoke("GC", gc, None, None, ifname=None).expect_ok()
    assert nft.owned_by(stale.container_id) == []
    assert nft.owned_by(keep.container_id) != []



def test_an_address_handed_out_again_takes_the_elements_of_its_stale_holder(net, make_netns, container_id,
                                                                            tmp_path):
    """A bridge attachment whose lease and interfaces are gone but whose DEL never ran still holds
    its address's elements; the next attachment given that address evicts it. (Its lease is lost
    here by giving the second ADD a store of its own; test_store_loss covers a holder still there.)"""
    conf = net.conf(ipMasq=True, macspoofchk=True)
    stale = net.add(make_netns(), container_id(), conf=conf)
    harness.delete_netns(stale.netns.name)
    harness.delete_link(stale.host_veth)
    fresh = net.add(make_netns(), container_id(), conf=dict(conf, ipam=net.ipam(dataDir=str(tmp_path))))
    assert fresh.ip() == stale.ip()
    assert nft.owned_by(stale.container_id) == []
    assert {name for _, name, _, _ in nft.owned_by(fresh.container_id)} >= {"masquerade4", "isolated4", "owners"}
    fresh.check().expect_ok()


def test_sigkill_during_add_then_del_or_gc_leaves_no_element(net, make_netns, container_id):
    """Kill ADD at moments spread over its run, then clean up with DEL (odd rounds) or GC (even
    rounds): no element of the killed attachment may remain."""
    conf = net.conf(version="1.1.0", ipMasq=True, macspoofchk=True)
    warm_ns = make_netns()
    probe = container_id()
    duration = net.invoke("ADD", conf, warm_ns.path, probe).expect_ok().seconds
    net.invoke("DEL", conf, warm_ns.path, probe).expect_ok()

    rng = random.Random(4321)
    caught_with_elements = 0
    for round_ in range(24):
        ns = make_netns()
        cid = container_id()
        proc = harness.start_plugin(net.stack.bridge, net.env("ADD", ns.path, cid), conf)
        proc.stdin.write(proc._cni_stdin)
        proc.stdin.close()
        time.sleep(duration * rng.uniform(0.3, 1.1))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
        if nft.owned_by(cid):
            caught_with_elements += 1

        if round_ % 2:
            net.invoke("DEL", conf, ns.path, cid).expect_ok()
        else:
            gc = dict(conf)
            gc["cni.dev/valid-attachments"] = []
            net.invoke("GC", gc, None, None, ifname=None).expect_ok()
        assert nft.owned_by(cid) == [], f"round {round_}: elements left behind"
        harness.delete_netns(ns.name)
    print(f"rounds that left elements for DEL/GC to remove: {caught_with_elements}")
    assert caught_with_elements >= 2


def test_other_tables_are_never_touched(make_network, make_netns, container_id):
    foreign = f"sctforeign{harness.PID}"
    harness.sh("nft", "-f", "-", input=f"""
        table inet {foreign} {{
            set blocked {{ type ipv4_addr; elements = {{ 192.0.2.1, 192.0.2.2 }} }}
            chain forward {{ type filter hook forward priority 10; policy accept;
                ip daddr @blocked counter drop
                ip saddr 198.51.100.0/24 counter accept
            }}
            chain postrouting {{ type nat hook postrouting priority 110; policy accept;
                ip saddr 203.0.113.0/24 masquerade
            }}
        }}
    """)
    try:
        before = harness.sh("nft", "list", "table", "inet", foreign).stdout
        net = make_network()
        conf = net.conf(ipMasq=True, macspoofchk=True)
        ns = make_netns()
        attachment = net.add(ns, container_id(), conf=conf)
        attachment.check().expect_ok()
        attachment.delete().expect_ok()
        assert harness.sh("nft", "list", "table", "inet", foreign).stdout == before
    finally:
        harness.sh("nft", "delete", "table", "inet", foreign, check=False)
