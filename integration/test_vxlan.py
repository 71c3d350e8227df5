"""The vxlan overlay across three hosts on one machine: hosts are namespaces on an underlay bridge in
a switch namespace, where etcd runs; containers are namespaces attached from their host."""

import ipaddress
import json
import os
import signal
import time

import pytest

import harness
from harness.nft import owned_by
from harness.overlay import add, add_fails_leaving_nothing, mentions, ping_df
from harness.processes import sh, wait_until

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(not harness.etcd_available(), reason="no etcd binary (install etcd-server)")]

VNI = 4242
DEVICE = f"vxlan{VNI}"


def test_containers_on_three_hosts_reach_each_other_at_the_overlay_mtu(cluster, overlay, make_netns, container_id):
    subnet, name = overlay()
    attached = []
    for host in cluster.hosts:
        ns, cid, address, mac, result = add(cluster, host, cluster.conf(host, name, VNI, subnet), make_netns, container_id)
        attached.append((host, ns, cid, address, mac))
    # The underlay is 1500 and IPv4: 50 bytes of headers leave 1450 for the device, bridge and containers.
    for host, ns, *_ in attached:
        assert harness.link(DEVICE, host.netns.name)["mtu"] == 1450
        assert ns.exec("cat", "/sys/class/net/eth0/mtu").stdout.strip() == "1450"
    records = cluster.records()
    assert len(records) == 3
    assert {r["host"] for r in records.values()} == {"h1", "h2", "h3"}
    assert {r["vtep"] for r in records.values()} == {h.address for h in cluster.hosts}
    for host, ns, _, _, _ in attached:
        for other_host, _, _, address, mac in attached:
            if other_host is host:
                continue
            ping_df(ns, address, 1450)
        # Exactly the other hosts' containers, nothing learnt or flooded.
        wait_until(lambda: host.fdb(DEVICE) == {m: h.address for h, _, _, _, m in attached if h is not host},
                   timeout=5, what=f"FDB of {host.name}")
        assert host.neighbours(DEVICE) == {a: m for h, _, _, a, m in attached if h is not host}

    # A packet one byte over the MTU does not cross: the MTU is really the limit.
    _, ns1, _, _, _ = attached[0]
    too_big = ns1.exec("ping", "-4", "-M", "do", "-s", str(1450 - 27), "-c", "1", "-W", "1", attached[1][3], check=False)
    assert too_big.returncode != 0


def test_del_on_one_host_removes_its_entries_on_the_others(cluster, overlay, make_netns, container_id):
    subnet, name = overlay()
    h1, h2, h3 = cluster.hosts
    conf1, conf2 = cluster.conf(h1, name, VNI, subnet), cluster.conf(h2, name, VNI, subnet)
    ns1, cid1, a1, m1, r1 = add(cluster, h1, conf1, make_netns, container_id)
    ns2, cid2, a2, m2, r2 = add(cluster, h2, conf2, make_netns, container_id)
    ns2b, cid2b, a2b, m2b, _ = add(cluster, h2, conf2, make_netns, container_id)
    ping_df(ns1, a2, 1450)
    wait_until(lambda: set(h1.fdb(DEVICE)) == {m2, m2b}, timeout=5, what="h1 knows both of h2's containers")

    # DEL needs no namespace.
    cluster.invoke(h2, "DEL", harness.request(conf2, r2), None, cid2).expect_ok()
    wait_until(lambda: h1.fdb(DEVICE) == {m2b: h2.address}, timeout=5, what="h1 forgets the deleted container")
    assert h1.neighbours(DEVICE) == {a2b: m2b}
    assert a2 not in {ip.split("/")[0] for r in cluster.records().values() for ip in r["ips"]}
    ping_df(ns1, a2b, 1450)
    # A second DEL of what is gone succeeds.
    cluster.invoke(h2, "DEL", harness.request(conf2, r2), None, cid2).expect_ok()


def test_a_restarted_agent_reprograms_exactly_what_etcd_says(cluster, overlay, make_netns, container_id):
    subnet, name = overlay()
    h1, h2, h3 = cluster.hosts
    confs = {h.name: cluster.conf(h, name, VNI, subnet) for h in cluster.hosts}
    ns1, cid1, a1, m1, _ = add(cluster, h1, confs["h1"], make_netns, container_id)
    ns2, cid2, a2, m2, r2 = add(cluster, h2, confs["h2"], make_netns, container_id)
    ns3, cid3, a3, m3, _ = add(cluster, h3, confs["h3"], make_netns, container_id)
    wait_until(lambda: set(h1.fdb(DEVICE)) == {m2, m3}, timeout=5, what="h1 programmed")

    h1.kill_agent()
    # While h1's agent is down: h2's container leaves, and a stale entry appears by hand.
    cluster.invoke(h2, "DEL", harness.request(confs["h2"], r2), None, cid2).expect_ok()
    sh("bridge", "-n", h1.netns.name, "fdb", "append", "02:00:00:00:00:99", "dev", DEVICE, "dst", "10.9.9.9")
    sh("ip", "-n", h1.netns.name, "neigh", "replace", "10.9.9.99", "lladdr", "02:00:00:00:00:99", "dev", DEVICE,
       "nud", "permanent")
    assert m2 in h1.fdb(DEVICE)

    # The next ADD on h1 starts the agent again, which reconciles on start.
    ns1b, *_ = add(cluster, h1, confs["h1"], make_netns, container_id)
    wait_until(lambda: h1.agent_pid() is not None, timeout=5, what="agent restarted")
    wait_until(lambda: h1.fdb(DEVICE) == {m3: h3.address}, timeout=5, what="h1 holds exactly h3's container")
    assert h1.neighbours(DEVICE) == {a3: m3}
    ping_df(ns1, a3, 1450)


def test_two_vnis_stay_apart(cluster, overlay, make_netns, container_id):
    h1, h2, _ = cluster.hosts
    subnet_a, name_a = overlay()
    subnet_b, name_b = overlay()
    a1 = add(cluster, h1, cluster.conf(h1, name_a, 101, subnet_a), make_netns, container_id)
    a2 = add(cluster, h2, cluster.conf(h2, name_a, 101, subnet_a), make_netns, container_id)
    b1 = add(cluster, h1, cluster.conf(h1, name_b, 102, subnet_b), make_netns, container_id)
    b2 = add(cluster, h2, cluster.conf(h2, name_b, 102, subnet_b), make_netns, container_id)
    ping_df(a1[0], a2[2], 1450)
    ping_df(b1[0], b2[2], 1450)
    assert set(h1.fdb("vxlan101")) == {a2[3]} and set(h1.fdb("vxlan102")) == {b2[3]}
    # Across the overlays: nothing answers, neither through the tunnel nor routed by the host.
    for source, target in [(a1, b2), (b1, a2), (a2, b1)]:
        assert source[0].exec("ping", "-4", "-c", "1", "-W", "1", target[2], check=False).returncode != 0


def test_too_large_mtu_is_code_7_and_leaves_nothing(cluster, overlay, make_netns, container_id):
    h1 = cluster.hosts[0]
    subnet, name = overlay()
    ns = make_netns()
    run = cluster.invoke(h1, "ADD", cluster.conf(h1, name, VNI, subnet, mtu=1451), ns, container_id()).expect_error(7)
    assert "1450" in run.stdout
    assert ns.link_names() == ns.baseline
    assert cluster.records() == {}
    assert not harness.link_exists(DEVICE, h1.netns.name)
    # A smaller MTU is taken as given, everywhere.
    ns, cid, address, mac, result = add(cluster, h1, cluster.conf(h1, name, VNI, subnet, mtu=1400), make_netns, container_id)
    assert harness.link(DEVICE, h1.netns.name)["mtu"] == 1400
    assert ns.exec("cat", "/sys/class/net/eth0/mtu").stdout.strip() == "1400"


def test_etcd_down_is_code_11_with_nothing_half_done_and_traffic_keeps_flowing(cluster, overlay, make_netns, container_id):
    h1, h2, h3 = cluster.hosts
    subnet, name = overlay()

    def impatient(host):
        conf = cluster.conf(host, name, VNI, subnet)
        conf["store"]["timeout"] = 0.5
        conf["ipam"]["store"]["timeout"] = 0.5
        return conf

    conf1 = impatient(h1)
    ns1, _, a1, _, _ = add(cluster, h1, conf1, make_netns, container_id)
    ns2, _, a2, _, _ = add(cluster, h2, cluster.conf(h2, name, VNI, subnet), make_netns, container_id)
    ping_df(ns1, a2, 1450)
    cluster.etcd.stop(remove=False)
    try:
        add_fails_leaving_nothing(cluster, h1, conf1, make_netns(), cid := container_id(), within=3)
        # A host's first ADD makes neither the overlay's device nor its bridge.
        add_fails_leaving_nothing(cluster, h3, impatient(h3), make_netns(), container_id(), within=3)
        # Existing traffic keeps flowing.
        ping_df(ns1, a2, 1450)
        ping_df(ns2, a1, 1450)
    finally:
        cluster.etcd.start()
    assert mentions(cluster, cid) == {}


def test_check_gc_and_status(cluster, overlay, make_netns, container_id):
    h1, h2, _ = cluster.hosts
    subnet, name = overlay()
    conf = cluster.conf(h1, name, VNI, subnet, cniVersion="1.1.0")
    ns, cid, address, mac, result = add(cluster, h1, conf, make_netns, container_id)
    stale_ns, stale_cid, _, stale_mac, _ = add(cluster, h1, conf, make_netns, container_id)
    peer = add(cluster, h2, cluster.conf(h2, name, VNI, subnet), make_netns, container_id)
    cluster.invoke(h1, "CHECK", harness.request(conf, result), ns, cid).expect_ok()
    cluster.invoke(h1, "STATUS", conf, None, None).expect_ok()

    # GC on h1 keeps the listed attachment, and never touches h2's records.
    gc = dict(conf, **{"cni.dev/valid-attachments": [{"containerID": cid, "ifname": "eth0"}]})
    cluster.invoke(h1, "GC", gc, None, None).expect_ok()
    hosts_macs = {(r["host"], r["mac"]) for r in cluster.records().values()}
    assert hosts_macs == {("h1", mac), ("h2", peer[3])}
    wait_until(lambda: set(h2.fdb(DEVICE)) == {mac}, timeout=5, what="h2 forgets the collected container")

    # CHECK fails once the record is gone.
    cluster.etcd.post("/v3/kv/deleterange", {"key": __import__("base64").b64encode(
        f"{cluster.prefix}vxlan/attachments/{name}/{cid}/eth0".encode()).decode()})
    cluster.invoke(h1, "CHECK", harness.request(conf, result), ns, cid).expect_error(999)

    cluster.etcd.stop(remove=False)
    try:
        short = dict(conf, store=dict(conf["store"], timeout=0.5))
        cluster.invoke(h1, "STATUS", short, None, None).expect_error(50)
    finally:
        cluster.etcd.start()


def test_a_host_whose_agent_stops_leaves_its_peers_within_the_ttl_and_comes_back(cluster, overlay, make_netns,
                                                                                  container_id):
    ttl = 3
    subnet, name = overlay()
    confs = {h.name: cluster.conf(h, name, VNI, subnet, hostTTL=ttl) for h in cluster.hosts}
    h1, h2, h3 = cluster.hosts
    c1 = add(cluster, h1, confs["h1"], make_netns, container_id)
    c2 = add(cluster, h2, confs["h2"], make_netns, container_id)
    c3 = add(cluster, h3, confs["h3"], make_netns, container_id)
    wait_until(lambda: set(h1.fdb(DEVICE)) == {c2[3], c3[3]} and set(h2.fdb(DEVICE)) == {c1[3], c3[3]},
               timeout=5, what="all hosts programmed")
    assert set(cluster.etcd.keys(cluster.prefix + "vxlan/hosts/")) == {cluster.prefix + f"vxlan/hosts/{h.name}"
                                                                        for h in cluster.hosts}

    h3.kill_agent()
    left = time.monotonic()
    wait_until(lambda: h1.fdb(DEVICE) == {c2[3]: h2.address} and h2.fdb(DEVICE) == {c1[3]: h1.address},
               timeout=ttl + 3, interval=0.05, what="h3's container removed from its peers")
    # etcd checks lease expiry every half second; the agents see the deletion at once.
    assert time.monotonic() - left <= ttl + 1.5
    assert h1.neighbours(DEVICE) == {c2[2]: c2[3]}
    assert len(cluster.records()) == 3, "the attachments stay: only the host's agent is gone"

    # An ADD on h3 starts its agent again: h3 is back, with both its containers.
    c3b = add(cluster, h3, confs["h3"], make_netns, container_id)
    wait_until(lambda: set(h1.fdb(DEVICE)) == {c2[3], c3[3], c3b[3]}, timeout=5, what="h3 back on h1")
    ping_df(c1[0], c3[2], 1450)


def test_example_config(cluster, overlay, make_netns, container_id):
    """conf/90-swift-vxlan.conflist on two hosts, with the endpoints, subnet and dataDir rewritten to the test's."""
    from test_conf import CONF_DIR

    subnet, name = overlay()
    attached = []
    for host in cluster.hosts[:2]:
        config = json.loads((CONF_DIR / "90-swift-vxlan.conflist").read_text())
        plugin = dict(config["plugins"][0], name=name, cniVersion=config["cniVersion"])
        plugin["underlay"] = "eth0"
        plugin["dataDir"] = plugin["ipam"]["dataDir"] = str(host.data_dir)
        for store in (plugin["store"], plugin["ipam"]["store"]):
            store.update(endpoints=[cluster.etcd.endpoint], hostID=host.name)
        plugin["ipam"]["ranges"] = [[{"subnet": str(subnet), "gateway": str(subnet.network_address + 1)}]]
        run = cluster.invoke(host, "ADD", plugin, ns := make_netns(), cid := container_id()).expect_ok()
        assert run.stderr == "", "an example config must not warn"
        attached.append((host, plugin, ns, cid, run.json))
    ping_df(attached[0][2], attached[1][4]["ips"][0]["address"].split("/")[0], 1450)
    for host, plugin, ns, cid, result in attached:
        cluster.invoke(host, "CHECK", harness.request(plugin, result), ns, cid).expect_ok()
        cluster.invoke(host, "DEL", harness.request(plugin, result), ns, cid).expect_ok()
    assert cluster.records() == {}


def test_an_address_leased_again_before_the_agent_has_seen_its_del_is_taken(cluster, overlay, make_netns,
                                                                            container_id):
    """h2's container goes and its address is asked for on h1 before h1's agent has seen the DEL
    (frozen here, so it does not): h1 still isolates the address for h2's container, and the ADD
    takes that stale entry over rather than failing."""
    subnet, name = overlay()
    h1, h2, _ = cluster.hosts
    conf1, conf2 = cluster.conf(h1, name, VNI, subnet), cluster.conf(h2, name, VNI, subnet)
    ns1, _, a1, _, _ = add(cluster, h1, conf1, make_netns, container_id)
    _, cid2, a2, _, r2 = add(cluster, h2, conf2, make_netns, container_id)
    wait_until(lambda: owned_by(f"vxlanpeer {name}/{cid2}/", h1.netns.name), timeout=5, what="h1 isolates h2's container")
    agent = h1.agent_pid()
    os.kill(agent, signal.SIGSTOP)
    try:
        cluster.invoke(h2, "DEL", harness.request(conf2, r2), None, cid2).expect_ok()
        ns, cid, address, _, _ = add(cluster, h1, dict(conf1, args={"cni": {"ips": [a2]}}), make_netns, container_id)
    finally:
        os.kill(agent, signal.SIGCONT)
    assert address == a2
    assert not owned_by(f"vxlanpeer {name}/{cid2}/", h1.netns.name)
    assert owned_by(f"bridge {name}/{cid}/", h1.netns.name)
    ns.ping(a1)


def test_a_failure_after_the_lease_takes_back_the_record_the_links_and_the_lease(cluster, overlay, make_netns,
                                                                                 container_id):
    """ADD writes the record beside the kernel work: when the kernel work fails, the record that was
    written is deleted again, with the links and the lease."""
    h1 = cluster.hosts[0]
    subnet, name = overlay()
    conf = cluster.conf(h1, name, VNI, subnet)
    add(cluster, h1, conf, make_netns, container_id)
    kept = dict(cluster.records())
    # A route via a gateway off the container's subnet: the kernel refuses it after the lease.
    bad = dict(conf, ipam=dict(conf["ipam"], routes=[{"dst": "198.51.100.0/24", "gw": "203.0.113.1"}]))
    key = f"{cluster.prefix}vxlan/attachments/{name}/{(cid := container_id())}/eth0"
    before = int(cluster.etcd.post("/v3/kv/range", {"key": b64(key)})["header"]["revision"])
    links = sh("ip", "-n", h1.netns.name, "-o", "link", "show").stdout.count("\n")
    run = cluster.invoke(h1, "ADD", bad, ns := make_netns(), cid).expect_error(999)
    assert "203.0.113.1" in run.json["msg"]
    after = int(cluster.etcd.post("/v3/kv/range", {"key": b64(key)})["header"]["revision"])
    written = [rev for rev in range(before + 1, after + 1)
               if cluster.etcd.post("/v3/kv/range", {"key": b64(key), "revision": rev}).get("kvs")]
    assert written, "the record was never written: the failure came before the lease"
    assert cluster.records() == kept
    assert ns.link_names() == ns.baseline
    assert not any(cid in key or cid in value for key, value in cluster.etcd.keys(cluster.prefix + "ipam/").items())
    assert sh("ip", "-n", h1.netns.name, "-o", "link", "show").stdout.count("\n") == links


def b64(text: str) -> str:
    return __import__("base64").b64encode(text.encode()).decode()
