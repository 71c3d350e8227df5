"""Names across hosts: dnsname chained after vxlan writes its records to the overlay's etcd, and every
host's cni-dns answers, for the overlays it serves, the names of containers on every host."""

import os
import signal

import pytest

import harness
from harness.chain import request
from harness.dns import responder_lock_free, responder_pids, write_resolv_conf
from harness.names import ours_dir
from harness.processes import plugin_env, run_plugin, wait_until
from test_vxlan_routed import routed_conf

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(not harness.etcd_available(), reason="no etcd binary (install etcd-server)")]

VNI = 4242


def dnsname_conf(cluster, host, network_conf):
    return {"cniVersion": "1.0.0", "name": network_conf["name"], "type": "dnsname", "domainName": "ov.test",
            "upstreams": [], "store": cluster.store(host), "dataDir": str(host.data_dir)}


def attach(cluster, host, conf, make_netns, container_id, name):
    """vxlan then dnsname, as a runtime runs the chain; the container's resolv.conf from the result."""
    ns, cid = make_netns(), container_id()
    env = plugin_env("ADD", cid, ns.path, "eth0", [ours_dir()], args=f"K8S_POD_NAME={name}")
    result = run_plugin(host.plugin("vxlan"), env, conf).expect_ok().json
    result = run_plugin(host.plugin("dnsname"), env, request(dnsname_conf(cluster, host, conf), result)).expect_ok().json
    write_resolv_conf(ns, result)
    return ns, cid, result


def detach(cluster, host, conf, cid):
    env = plugin_env("DEL", cid, None, "eth0", [ours_dir()])
    run_plugin(host.plugin("dnsname"), env, dnsname_conf(cluster, host, conf)).expect_ok()
    run_plugin(host.plugin("vxlan"), env, conf).expect_ok()


def answers(ns, name):
    proc = ns.exec("dig", "+short", "+search", "+tries=1", "+time=2", name, check=False)
    return [line for line in proc.stdout.splitlines() if line and not line.startswith(";")]


def address(result):
    return result["ips"][0]["address"].split("/")[0]


def stop_responders(cluster):
    for host in cluster.hosts:
        for pid in responder_pids(host.data_dir):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("mode", ["l2", "routed"])
def test_names_resolve_and_ping_across_hosts_and_go_with_del(cluster, overlay, make_netns, container_id, mode):
    h1, h2 = cluster.hosts[0], cluster.hosts[1]
    subnet, name = overlay()
    confs = {h.name: (routed_conf(cluster, h, name, subnet) if mode == "routed" else cluster.conf(h, name, VNI, subnet))
             for h in (h1, h2)}
    try:
        web, _, web_result = attach(cluster, h1, confs[h1.name], make_netns, container_id, "web")
        db, db_cid, db_result = attach(cluster, h2, confs[h2.name], make_netns, container_id, "db")
        wait_until(lambda: answers(web, "db") == [address(db_result)], timeout=10, what="db from h1")
        # h1 knows h2's record, yet listens on its own gateway only: in routed mode never on h2's.
        listening = {line.split()[3] for line in h1.netns.exec("ss", "-Hlun", "sport", "=", "53").stdout.splitlines()}
        assert listening == {f"{server}:53" for server in web_result["dns"]["nameservers"]}, listening
        if mode == "routed":
            assert web_result["dns"]["nameservers"] != db_result["dns"]["nameservers"]
        assert answers(db, "web.ov.test") == [address(web_result)]
        web.exec("ping", "-c", "1", "-W", "2", "db")
        # A responder killed: the next ADD on its host starts one that answers the other host's names.
        for pid in responder_pids(h1.data_dir):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: responder_lock_free(h1.data_dir), timeout=5, what="h1's responder gone")
        app, _, _ = attach(cluster, h1, confs[h1.name], make_netns, container_id, "app")
        assert answers(app, "db") == [address(db_result)]
        detach(cluster, h2, confs[h2.name], db_cid)
        wait_until(lambda: answers(web, "db") == [], timeout=5, interval=0.05, what="db gone on h1")
        assert answers(web, "app") != []
    finally:
        stop_responders(cluster)


def test_two_overlays_names_stay_apart(cluster, overlay, make_netns, container_id):
    h1, h2 = cluster.hosts[0], cluster.hosts[1]
    (subnet_a, name_a), (subnet_b, name_b) = overlay(), overlay()
    a1 = cluster.conf(h1, name_a, VNI, subnet_a)
    a2 = cluster.conf(h2, name_a, VNI, subnet_a)
    b2 = cluster.conf(h2, name_b, VNI + 1, subnet_b)
    try:
        x, _, _ = attach(cluster, h1, a1, make_netns, container_id, "x")
        _, _, y_result = attach(cluster, h2, a2, make_netns, container_id, "y")
        z, _, _ = attach(cluster, h2, b2, make_netns, container_id, "z")
        wait_until(lambda: answers(x, "y") == [address(y_result)], timeout=10, what="y from x")
        assert answers(x, "z") == [] and answers(z, "y") == [] and answers(z, "x") == []
    finally:
        stop_responders(cluster)
