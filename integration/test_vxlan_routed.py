"""The vxlan overlay in routed mode (flannel's VXLAN backend) across three hosts on one machine:
each host leases a host subnet of the network from etcd; peers route to it through the VXLAN device,
with one neighbour and one FDB entry per peer host."""

import ipaddress
import json
import time

import pytest

import harness
from harness.processes import sh, wait_until
from test_vxlan import add, cluster, overlay, ping_df  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(not harness.etcd_available(), reason="no etcd binary (install etcd-server)")]

VNI = 4243
DEVICE = f"vxlan{VNI}"
# The session's /24 cut into /27s: seven host subnets (the first /27 left out), each one kv-ipam block.
HOST_PREFIX = 27


def routed_conf(cluster, host, name, subnet, **fields):
    conf = cluster.conf(host, name, VNI, subnet, mode="routed", hostSubnetSize=HOST_PREFIX, **fields)
    conf["subnet"] = str(subnet)
    del conf["ipam"]["ranges"]  # the plugin gives kv-ipam the host subnet
    return conf


def subnets(cluster, name):
    """host → its published record, from etcd."""
    records = cluster.etcd.keys(cluster.prefix + f"vxlan/subnets/{name}/")
    by_host = {}
    for key, value in records.items():
        record = json.loads(value)
        assert key.endswith("/" + record["subnet"].replace("/", "-"))
        by_host[record["host"]] = record
    return by_host


def routes(host):
    """peer subnet → next hop of the routes through the device (all onlink)."""
    out = sh("ip", "-n", host.netns.name, "-j", "route", "show", "dev", DEVICE).stdout
    found = {}
    for route in json.loads(out) if out.strip() else []:
        if "gateway" in route:
            assert "onlink" in route.get("flags", []), route
            found[route["dst"]] = route["gateway"]
    return found


def expected_routes(records, host):
    return {r["subnet"]: r["subnet"].split("/")[0] for h, r in records.items() if h != host.name}


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

    # CHECK holds; DEL (no namespace) releases the address and the host keeps its subnet.
    host, ns, address, result, cid = attached[0]
    conf = routed_conf(cluster, host, name, subnet)
    cluster.invoke(host, "CHECK", harness.request(conf, result), ns, cid).expect_ok()
    cluster.invoke(host, "DEL", harness.request(conf, result), None, cid).expect_ok()
    assert not any(address in key.split("/") or f"\"{address}" in value
               for key, value in cluster.etcd.keys(cluster.prefix + "ipam/").items())
    assert subnets(cluster, name) == records


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
