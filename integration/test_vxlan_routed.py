"""The vxlan overlay in routed mode (flannel's VXLAN backend) across three hosts on one machine:
each host leases a host subnet of the network from etcd; peers route to it through the VXLAN device,
with one neighbour and one FDB entry per peer host."""

import base64
import ipaddress
import json
import time

import pytest

import harness
from harness.processes import sh, wait_until
from harness.nft import owned_by
from harness.overlay import add, add_fails_leaving_nothing, mentions, ping_df

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(not harness.etcd_available(), reason="no etcd binary (install etcd-server)")]

VNI = 4243
DEVICE = f"vxlan{VNI}"
# The session's /24 cut into /27s: seven host subnets (the first /27 left out), each one kv-ipam block.
HOST_PREFIX = 27


def routed_conf(cluster, host, name, subnet, vni=VNI, **fields):
    conf = cluster.conf(host, name, vni, subnet, mode="routed", hostSubnetSize=HOST_PREFIX, **fields)
    conf["subnet"] = str(subnet)
    del conf["ipam"]["ranges"]  # the plugin gives kv-ipam the host subnet
    return conf


def subnet_leases(cluster, name):
    """host → the etcd lease its published record is attached to."""
    prefix = (cluster.prefix + f"vxlan/subnets/{name}/").encode()
    end = prefix[:-1] + bytes([prefix[-1] + 1])
    answer = cluster.etcd.post("/v3/kv/range", {"key": base64.b64encode(prefix).decode(),
                                                "range_end": base64.b64encode(end).decode()})
    return {json.loads(base64.b64decode(kv["value"]))["host"]: kv.get("lease") for kv in answer.get("kvs", [])}


def subnets(cluster, name):
    """host → its published record, from etcd."""
    records = cluster.etcd.keys(cluster.prefix + f"vxlan/subnets/{name}/")
    by_host = {}
    for key, value in records.items():
        record = json.loads(value)
        assert key.endswith("/" + record["subnet"].replace("/", "-"))
        by_host[record["host"]] = record
    return by_host


def routes(host, device=DEVICE):
    """peer subnet → next hop of the routes through the device (all onlink)."""
    out = sh("ip", "-n", host.netns.name, "-j", "route", "show", "dev", device).stdout
    found = {}
    for route in json.loads(out) if out.strip() else []:
        if "gateway" in route:
            assert "onlink" in route.get("flags", []), route
            found[route["dst"]] = route["gateway"]
    return found


def expected_routes(records, host):
    return {r["subnet"]: r["subnet"].split("/")[0] for h, r in records.items() if h != host.name}


def peer_state(host, device=DEVICE):
    """What a host holds for its peers: routes, neighbour and FDB entries of the device."""
    return routes(host, device), host.neighbours(device), host.fdb(device)


def expected_peer_state(records, host):
    """Per peer host subnet: a route via the peer device's address, that address at its MAC, the MAC
    behind the peer's VTEP."""
    peers = [r for h, r in records.items() if h != host.name]
    return (expected_routes(records, host), {r["subnet"].split("/")[0]: r["mac"] for r in peers},
            {r["mac"]: r["vtep"] for r in peers})


def test_routed_hosts_lease_distinct_subnets_and_containers_ping_at_the_mtu(cluster, overlay, make_netns, container_id):
    subnet, name = overlay()
    attached = []
    for host in cluster.hosts:
        ns, cid, address, mac, result = add(cluster, host, routed_conf(cluster, host, name, subnet), make_netns, container_id)
        attached.append((host, ns, address, result, cid))
    records = subnets(cluster, name)
    assert set(records) == {"h1", "h2", "h3"}
    leased = [ipaddress.ip_network(r["subnet"]) for r in records.values()]
    assert len(set(leased)) == 3 and all(s.prefixlen == HOST_PREFIX and s.subnet_of(subnet) for s in leased)
    assert {r["vtep"] for r in records.values()} == {h.address for h in cluster.hosts}
    for host, ns, address, result, _ in attached:
        own = ipaddress.ip_network(records[host.name]["subnet"])
        assert ipaddress.ip_address(address) in own
        assert result["ips"][0]["gateway"] == str(own.network_address + 1)
        device = harness.link(DEVICE, host.netns.name)
        assert device["mtu"] == 1450 and "master" not in device, "the device is no bridge port in routed mode"
        # The host knows the container's MAC from the start: a peer's first packet needs no ARP.
        known = json.loads(sh("ip", "-n", host.netns.name, "-j", "neigh", "show", "dev", f"vxbr{VNI}", address).stdout)
        mac = next(i["mac"] for i in result["interfaces"] if i.get("sandbox"))
        assert [n["lladdr"] for n in known] == [mac]
        assert device["address"] == records[host.name]["mac"]
    for host, ns, *_ in attached:
        wait_until(lambda: routes(host) == expected_routes(records, host), timeout=5, what=f"routes of {host.name}")
        peers = [r for h, r in records.items() if h != host.name]
        assert host.neighbours(DEVICE) == {r["subnet"].split("/")[0]: r["mac"] for r in peers}
        assert host.fdb(DEVICE) == {r["mac"]: r["vtep"] for r in peers}
        for other, _, address, *_ in attached:
            if other is not host:
                ping_df(ns, address, 1450)
    too_big = attached[0][1].exec("ping", "-4", "-M", "do", "-s", str(1450 - 27), "-c", "1", "-W", "1", attached[1][2],
                                  check=False)
    assert too_big.returncode != 0

    # CHECK holds; DEL (no namespace) releases the address and the host keeps its subnet, for its
    # grace period (kv-ipam's default: 600 s).
    host, ns, address, result, cid = attached[0]
    conf = routed_conf(cluster, host, name, subnet)
    cluster.invoke(host, "CHECK", harness.request(conf, result), ns, cid).expect_ok()
    cluster.invoke(host, "DEL", harness.request(conf, result), None, cid).expect_ok()
    assert not any(address in key.split("/") or f"\"{address}" in value
               for key, value in cluster.etcd.keys(cluster.prefix + "ipam/").items())
    assert subnets(cluster, name) == dict(records, h1=dict(records["h1"], retiring=True))


def test_a_restarted_agent_keeps_its_subnet_and_reprograms_its_routes(cluster, overlay, make_netns, container_id):
    subnet, name = overlay()
    h1, h2, h3 = cluster.hosts
    c1 = add(cluster, h1, routed_conf(cluster, h1, name, subnet), make_netns, container_id)
    c2 = add(cluster, h2, routed_conf(cluster, h2, name, subnet), make_netns, container_id)
    before = subnets(cluster, name)
    wait_until(lambda: routes(h1) == expected_routes(before, h1), timeout=5, what="h1 routes to h2")

    h1.kill_agent()
    sh("ip", "-n", h1.netns.name, "route", "flush", "dev", DEVICE)
    assert routes(h1) == {}
    # The next ADD starts the agent again: same subnet, routes back, traffic crosses.
    c1b = add(cluster, h1, routed_conf(cluster, h1, name, subnet), make_netns, container_id)
    assert subnets(cluster, name) == before
    assert ipaddress.ip_address(c1b[2]) in ipaddress.ip_network(before["h1"]["subnet"])
    wait_until(lambda: routes(h1) == expected_routes(before, h1), timeout=5, what="h1's routes reprogrammed")
    ping_df(c1b[0], c2[2], 1450)
    ping_df(c2[0], c1[2], 1450)


def test_a_host_whose_agent_stops_leaves_its_peers_routes_within_the_ttl(cluster, overlay, make_netns, container_id):
    ttl = 3
    subnet, name = overlay()
    h1, h2, h3 = cluster.hosts
    for host in cluster.hosts:
        add(cluster, host, routed_conf(cluster, host, name, subnet, hostTTL=ttl), make_netns, container_id)
    records = subnets(cluster, name)
    for host in (h1, h2):
        wait_until(lambda: routes(host) == expected_routes(records, host), timeout=5, what=f"{host.name} programmed")

    h3.kill_agent()
    left = time.monotonic()
    gone = {h: r for h, r in records.items() if h != "h3"}
    wait_until(lambda: routes(h1) == expected_routes(gone, h1) and routes(h2) == expected_routes(gone, h2),
               timeout=ttl + 3, interval=0.05, what="h3's subnet removed from its peers")
    assert time.monotonic() - left <= ttl + 1.5
    assert set(subnets(cluster, name)) == {"h1", "h2"}
    assert h1.fdb(DEVICE) == {records["h2"]["mac"]: h2.address}
    assert h1.neighbours(DEVICE) == {records["h2"]["subnet"].split("/")[0]: records["h2"]["mac"]}

    # h3 comes back with the subnet it remembers in its data directory.
    c3 = add(cluster, h3, routed_conf(cluster, h3, name, subnet, hostTTL=ttl), make_netns, container_id)
    assert subnets(cluster, name)["h3"]["subnet"] == records["h3"]["subnet"]
    wait_until(lambda: routes(h1) == expected_routes(records, h1), timeout=5, what="h3 back on h1")


def test_del_on_one_host_leaves_its_peers_routing_to_its_subnet(cluster, overlay, make_netns, container_id):
    """Routed mode keeps nothing per container on the peers: a DEL removes the container's link,
    address and firewall elements on its own host, and the peers keep one route, neighbour and FDB
    entry for the host subnet, which its other containers still answer on."""
    subnet, name = overlay()
    h1, h2, h3 = cluster.hosts
    confs = {h.name: routed_conf(cluster, h, name, subnet) for h in cluster.hosts}
    c1 = add(cluster, h1, confs["h1"], make_netns, container_id)
    ns2, cid2, a2, _, r2 = add(cluster, h2, confs["h2"], make_netns, container_id)
    c2b = add(cluster, h2, confs["h2"], make_netns, container_id)
    c3 = add(cluster, h3, confs["h3"], make_netns, container_id)
    records = subnets(cluster, name)
    for host in (h1, h3):
        wait_until(lambda: peer_state(host) == expected_peer_state(records, host), timeout=5,
                   what=f"{host.name} programmed")
    ping_df(c1[0], a2, 1450)
    assert owned_by(cid2, h2.netns.name)

    cluster.invoke(h2, "DEL", harness.request(confs["h2"], r2), None, cid2).expect_ok()
    assert not owned_by(cid2, h2.netns.name)
    assert mentions(cluster, cid2) == {}, "the address is released"
    assert subnets(cluster, name) == records, "h2 keeps its subnet"
    for host in (h1, h3):
        assert peer_state(host) == expected_peer_state(records, host)
    ping_df(c1[0], c2b[2], 1450)
    ping_df(c3[0], c2b[2], 1450)
    assert c1[0].exec("ping", "-4", "-c", "1", "-W", "1", a2, check=False).returncode != 0
    # A second DEL of what is gone succeeds.
    cluster.invoke(h2, "DEL", harness.request(confs["h2"], r2), None, cid2).expect_ok()


def test_two_routed_overlays_stay_apart(cluster, overlay, make_netns, container_id):
    h1, h2, _ = cluster.hosts
    (subnet_a, name_a), (subnet_b, name_b) = overlay(), overlay()
    a1, a2 = (add(cluster, h, routed_conf(cluster, h, name_a, subnet_a, vni=201), make_netns, container_id) for h in (h1, h2))
    b1, b2 = (add(cluster, h, routed_conf(cluster, h, name_b, subnet_b, vni=202), make_netns, container_id) for h in (h1, h2))
    ping_df(a1[0], a2[2], 1450)
    ping_df(b1[0], b2[2], 1450)
    for device, name in (("vxlan201", name_a), ("vxlan202", name_b)):
        assert peer_state(h1, device) == expected_peer_state(subnets(cluster, name), h1)
    # Across the overlays nothing answers: neither through the tunnel nor routed by a host into the
    # other overlay's device.
    for source, target in [(a1, b2), (b1, a2), (a2, b1), (b2, a1), (a1, b1)]:
        assert source[0].exec("ping", "-4", "-c", "1", "-W", "1", target[2], check=False).returncode != 0, \
            f"{source[2]} reaches {target[2]}"


def test_etcd_stopped_traffic_keeps_crossing_and_add_is_code_11_leaving_nothing(cluster, overlay, make_netns,
                                                                               container_id):
    subnet, name = overlay()
    h1, h2, h3 = cluster.hosts
    confs = {h.name: routed_conf(cluster, h, name, subnet) for h in cluster.hosts}
    for conf in confs.values():
        conf["store"]["timeout"] = 0.5  # the ipam section's store too: the same object
    ns1, _, a1, _, _ = add(cluster, h1, confs["h1"], make_netns, container_id)
    ns2, _, a2, _, _ = add(cluster, h2, confs["h2"], make_netns, container_id)
    ping_df(ns1, a2, 1450)
    # Frozen rather than killed: connections are accepted and never answered.
    cluster.etcd.freeze()
    failed = []
    try:
        # On a host with its subnet, and on one the overlay has not reached yet.
        for host in (h1, h3):
            add_fails_leaving_nothing(cluster, host, confs[host.name], make_netns(), cid := container_id(), within=3)
            failed.append(cid)
        ping_df(ns1, a2, 1450)
        ping_df(ns2, a1, 1450)
    finally:
        cluster.etcd.thaw()
    for cid in failed:
        assert mentions(cluster, cid) == {}
    assert set(subnets(cluster, name)) == {"h1", "h2"}

    # etcd back: ADD works on both, and h3's new subnet is routed from h1.
    ns1b, _, a1b, _, _ = add(cluster, h1, confs["h1"], make_netns, container_id)
    ns3, _, a3, _, _ = add(cluster, h3, confs["h3"], make_netns, container_id)
    ping_df(ns3, a1b, 1450)
    ping_df(ns1, a3, 1450)


def test_a_host_subnet_left_idle_goes_back_after_the_grace_period_and_leaves_its_peers(cluster, overlay, make_netns,
                                                                                       container_id):
    grace = 2
    subnet, name = overlay()
    h1, h2, h3 = cluster.hosts
    confs = {h.name: routed_conf(cluster, h, name, subnet) for h in cluster.hosts}
    for conf in confs.values():
        conf["ipam"]["blockGracePeriod"] = grace
    c1 = add(cluster, h1, confs["h1"], make_netns, container_id)
    ns2, cid2, a2, _, r2 = add(cluster, h2, confs["h2"], make_netns, container_id)
    c3 = add(cluster, h3, confs["h3"], make_netns, container_id)
    records = subnets(cluster, name)
    for host in (h1, h3):
        wait_until(lambda: peer_state(host) == expected_peer_state(records, host), timeout=5,
                   what=f"{host.name} programmed")
    own = ipaddress.ip_network(records["h2"]["subnet"])
    device_address, gateway = f"{own.network_address}/32", f"{own.network_address + 1}/{own.prefixlen}"
    assert device_address in harness.addresses(DEVICE, h2.netns.name)

    # h2's last container goes: its subnet is still h2's and routed during the grace period...
    cluster.invoke(h2, "DEL", harness.request(confs["h2"], r2), None, cid2).expect_ok()
    assert subnets(cluster, name)["h2"] == dict(records["h2"], retiring=True)
    assert peer_state(h1) == expected_peer_state(records, h1)
    # ...then back in the pool: every peer forgets it, and h2 holds none of its addresses.
    gone = {h: r for h, r in records.items() if h != "h2"}
    wait_until(lambda: set(subnets(cluster, name)) == {"h1", "h3"}, timeout=grace + 3, interval=0.1,
               what="h2's subnet back in the pool")
    for host in (h1, h3):
        wait_until(lambda: peer_state(host) == expected_peer_state(gone, host), timeout=3,
                   what=f"{host.name} forgets h2's subnet")
    wait_until(lambda: device_address not in harness.addresses(DEVICE, h2.netns.name), timeout=3,
               what="h2's device address removed")
    assert gateway not in harness.addresses(f"vxbr{VNI}", h2.netns.name)
    ping_df(c1[0], c3[2], 1450)

    # The next ADD on h2 leases a subnet again (the one it remembers, still free).
    ns2b, _, a2b, _, _ = add(cluster, h2, confs["h2"], make_netns, container_id)
    assert subnets(cluster, name)["h2"] == records["h2"]
    ping_df(c1[0], a2b, 1450)
    ping_df(ns2b, c3[2], 1450)


def test_an_add_during_the_grace_period_keeps_the_host_subnet(cluster, overlay, make_netns, container_id):
    grace = 2
    subnet, name = overlay()
    h1, h2, _ = cluster.hosts
    confs = {h.name: routed_conf(cluster, h, name, subnet) for h in (h1, h2)}
    for conf in confs.values():
        conf["ipam"]["blockGracePeriod"] = grace
    c1 = add(cluster, h1, confs["h1"], make_netns, container_id)
    _, cid2, _, _, r2 = add(cluster, h2, confs["h2"], make_netns, container_id)
    records, leases = subnets(cluster, name), subnet_leases(cluster, name)
    cluster.invoke(h2, "DEL", harness.request(confs["h2"], r2), None, cid2).expect_ok()
    assert subnets(cluster, name)["h2"]["retiring"] is True
    assert subnet_leases(cluster, name)["h2"] != leases["h2"], "a retiring subnet is on the grace period's lease"
    ns2b, _, a2b, _, _ = add(cluster, h2, confs["h2"], make_netns, container_id)
    assert subnets(cluster, name) == records
    # Back on the agent's lease, the record outlives the grace period's.
    assert subnet_leases(cluster, name)["h2"] == leases["h2"], "h2's subnet is on its agent's lease again"
    ping_df(c1[0], a2b, 1450)
