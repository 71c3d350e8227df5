"""Names per network: `dnsname` chained after our bridge, answered by `cni-dns`, resolved with dig,
nslookup and ping inside the containers' namespaces through the resolv.conf made from the result."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket

import pytest

import harness
from conftest import ours
from harness import wait_until
from harness.dns import DOMAIN, DNSChain, StubUpstream, responder_pids

pytestmark = pytest.mark.ours_only


@pytest.fixture
def upstream():
    stub = StubUpstream()
    yield stub
    stub.stop()


@pytest.fixture
def dns(tmp_root, upstream):
    ours("dnsname"), ours("cni-dns")
    chain = DNSChain(tmp_root / "dns", [upstream.endpoint])
    chain.data_dir.mkdir()
    yield chain
    chain.cleanup()


def dig(netns, *args: str) -> list[str]:
    """`dig +short` inside `netns` through its resolv.conf: the answers, one per line."""
    proc = netns.exec("dig", "+short", "+search", "+tries=1", "+time=3", *args, check=False)
    assert proc.returncode == 0, f"dig {args} in {netns.name}: {proc.stdout}{proc.stderr}"
    return [line for line in proc.stdout.splitlines() if line and not line.startswith(";")]


def status(netns, *args: str) -> str:
    """The rcode dig reports (`NOERROR`, `NXDOMAIN`, `SERVFAIL`)."""
    proc = netns.exec("dig", "+tries=1", "+time=5", *args, check=False)
    for line in proc.stdout.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip()
    raise AssertionError(f"dig {args} in {netns.name} got no reply:\n{proc.stdout}{proc.stderr}")


def test_two_containers_resolve_each_other_by_name_fqdn_and_alias(dns, net, make_netns, container_id):
    web_ns, db_ns = make_netns(), make_netns()
    web = dns.add(net, web_ns, container_id(), name="web", aliases=["www"])
    db = dns.add(net, db_ns, container_id(), name="db", aliases=["database", "pg"])

    assert web.result["dns"] == {"nameservers": [net.gateway4], "search": [DOMAIN]}
    assert dig(web_ns, "db") == [db.ip()]
    assert dig(web_ns, f"db.{DOMAIN}") == [db.ip()]
    assert dig(web_ns, "pg") == [db.ip()]
    assert dig(db_ns, "www") == [web.ip()]
    lookup = db_ns.exec("nslookup", "web", check=False)
    assert lookup.returncode == 0 and web.ip() in lookup.stdout, lookup.stdout
    wait_until(lambda: web_ns.exec("ping", "-c", "1", "-W", "1", "db", check=False).returncode == 0,
               timeout=10, what="ping db by name")
    assert status(web_ns, f"nobody.{DOMAIN}") == "NXDOMAIN"
    dns.run("CHECK", web).expect_ok()


def test_ptr_names_every_name_of_the_address(dns, net, make_netns, container_id):
    ns = make_netns()
    web = dns.add(net, ns, container_id(), name="web", aliases=["www"])
    assert sorted(dig(ns, "-x", web.ip())) == [f"web.{DOMAIN}.", f"www.{DOMAIN}."]


def test_aaaa_on_a_dual_stack_network(dns, net, make_netns, container_id):
    a_ns, b_ns = make_netns(), make_netns()
    dns.add(net, a_ns, container_id(), name="a", dual=True)
    b = dns.add(net, b_ns, container_id(), name="b", dual=True)
    assert b.result["dns"]["nameservers"] == [net.gateway4, net.gateway6]
    assert dig(a_ns, "AAAA", "b") == [b.ip(6)]
    assert dig(a_ns, "A", "b") == [b.ip(4)]
    # Over IPv6 too, once the container's address has left DAD and can be a source.
    wait_until(lambda: a_ns.exec("dig", "+short", "+tries=1", "+time=1", f"@{net.gateway6}", "AAAA", f"b.{DOMAIN}",
                                 check=False).stdout.split() == [b.ip(6)], timeout=10, what="AAAA over IPv6")


def test_networks_do_not_see_each_others_names_but_a_container_on_both_sees_both(dns, make_network, make_netns,
                                                                                 container_id):
    x, y = make_network(), make_network()
    x_ns, y_ns, both_ns = make_netns(), make_netns(), make_netns()
    on_x = dns.add(x, x_ns, container_id(), name="onx")
    on_y = dns.add(y, y_ns, container_id(), name="ony")
    both_id = container_id()
    dns.add(x, both_ns, both_id, name="both")
    dns.add(y, both_ns, both_id, name="both", ifname="eth1")
    # The resolv.conf of a container on two networks names both gateways; each answers both.
    (harness.namespaces.ETC_NETNS_DIR / both_ns.name / "resolv.conf").write_text(
        f"nameserver {x.gateway4}\nnameserver {y.gateway4}\nsearch {DOMAIN}\n")

    assert status(x_ns, f"ony.{DOMAIN}") == "NXDOMAIN"
    assert status(y_ns, f"onx.{DOMAIN}") == "NXDOMAIN"
    for gateway in (x.gateway4, y.gateway4):
        assert dig(both_ns, f"@{gateway}", f"onx.{DOMAIN}") == [on_x.ip()]
        assert dig(both_ns, f"@{gateway}", f"ony.{DOMAIN}") == [on_y.ip()]


def test_del_removes_the_name_at_once_and_repeats(dns, net, make_netns, container_id):
    ns, gone_ns = make_netns(), make_netns()
    dns.add(net, ns, container_id(), name="stays")
    gone = dns.add(net, gone_ns, container_id(), name="gone")
    assert dig(ns, "gone") == [gone.ip()]
    dns.delete(gone)
    assert status(ns, f"gone.{DOMAIN}") == "NXDOMAIN"
    # Without prevResult or the namespace, repeated.
    plugin, conf = gone.plugins[1]
    for _ in range(2):
        harness.run_plugin(plugin, dns.env(net, "DEL", None, gone.container_id, "eth0", None), conf).expect_ok()


def test_add_then_immediate_query_answers(dns, net, make_netns, container_id):
    asker = make_netns()
    dns.add(net, asker, container_id(), name="asker")
    for n in range(5):
        target = dns.add(net, make_netns(), container_id(), name=f"new{n}")
        assert dig(asker, f"new{n}") == [target.ip()]


def test_shared_names_answer_every_address(dns, net, make_netns, container_id):
    ns = make_netns()
    first = dns.add(net, ns, container_id(), name="one", aliases=["pool"])
    second = dns.add(net, make_netns(), container_id(), name="two", aliases=["pool"])
    assert sorted(dig(ns, "pool")) == sorted([first.ip(), second.ip()])


def test_sigkilled_responder_restarts_on_next_add_with_every_name(dns, net, make_netns, container_id):
    ns = make_netns()
    names = {f"c{n}": dns.add(net, make_netns() if n else ns, container_id(), name=f"c{n}") for n in range(3)}
    [pid] = responder_pids(dns.data_dir)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: pid not in responder_pids(dns.data_dir), what="responder to die")
    names["late"] = dns.add(net, make_netns(), container_id(), name="late")
    assert len(responder_pids(dns.data_dir)) == 1
    for name, named in names.items():
        assert dig(ns, name) == [named.ip()], name


def test_forwarded_names_and_servfail_when_the_upstream_is_down(dns, net, make_netns, container_id, upstream):
    ns = make_netns()
    dns.add(net, ns, container_id(), name="web")
    assert dig(ns, "forwarded.example.") == ["192.0.2.7"]
    assert "forwarded.example" in upstream.queries
    upstream.stop()
    assert status(ns, "forwarded.example.") == "SERVFAIL"


def test_an_answer_too_large_for_udp_goes_over_tcp(dns, net, make_netns, container_id):
    ns = make_netns()
    aliases = [f"alias-number-{n:02d}-of-a-long-list" for n in range(40)]
    web = dns.add(net, ns, container_id(), name="web", aliases=aliases)
    truncated = ns.exec("dig", "+ignore", "+notcp", "+tries=1", "-x", web.ip(), check=False).stdout
    assert " tc" in truncated.split("flags:")[1].split(";")[0], truncated
    assert len(dig(ns, "-x", web.ip())) == 41


def test_port_53_held_on_the_gateway_fails_add_with_the_holder(dns, net, make_netns, container_id):
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: the gateway is not assigned yet
    holder.bind((net.gateway4, 53))
    try:
        run, named = dns.run_add(net, make_netns(), container_id(), name="web")
        failed = run.invocations[-1]
        failed.expect_error(7)
        assert f"pid {os.getpid()}" in failed.json["msg"] and net.gateway4 in failed.json["msg"], failed.describe()
        assert named is None
    finally:
        holder.close()


def test_a_result_without_a_host_gateway_is_code_7(dns, net, make_netns, container_id):
    # What macvlan returns: the container's address and a gateway that is a router outside the host.
    ns = make_netns()
    prev = {"cniVersion": "1.0.0", "interfaces": [{"name": "eth0", "sandbox": ns.path}],
            "ips": [{"address": "192.0.2.10/24", "gateway": "192.0.2.1", "interface": 0}]}
    run = harness.run_plugin(ours("dnsname"), dns.env(net, "ADD", ns, container_id(), "eth0", None),
                             dict(dns.dnsname_conf(net), prevResult=prev))
    run.expect_error(7)
    assert "names need a network whose gateway is on this host" in run.json["msg"], run.describe()


def test_gc_removes_records_of_attachments_no_longer_valid(dns, net, make_netns, container_id):
    ns = make_netns()
    keep = dns.add(net, ns, container_id(), name="keep")
    drop = dns.add(net, make_netns(), container_id(), name="drop")
    plugin, conf = keep.plugins[1]
    gc = dict(conf, cniVersion="1.1.0", **{"cni.dev/valid-attachments": [{"containerID": keep.container_id, "ifname": "eth0"}]})
    harness.run_plugin(plugin, dns.env(net, "GC", None, None, None, None), gc).expect_ok()
    assert status(ns, f"drop.{DOMAIN}") == "NXDOMAIN"
    assert dig(ns, "keep") == [keep.ip()]
    dns.attached.remove(drop)
    dns.run("DEL", drop)


def test_status_is_code_50_without_the_responder_and_ok_with_it(dns, net, tmp_root):
    conf = dict(dns.dnsname_conf(net), cniVersion="1.1.0")
    env = dns.env(net, "STATUS", None, "unused", "eth0", None)
    harness.run_plugin(ours("dnsname"), env, conf).expect_ok()
    alone = tmp_root / "alone"
    alone.mkdir()
    (alone / "dnsname").symlink_to(ours("dnsname"))
    harness.run_plugin(ours("dnsname"), env | {"CNI_PATH": str(alone)}, conf).expect_error(50)
