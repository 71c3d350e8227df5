"""Address management through the bridge: requested addresses, concurrency, crashes, the store."""

from __future__ import annotations

import ipaddress
import random
import signal
import time
from pathlib import Path

import pytest

import harness
from conftest import ours, store_file


def requested(net, how: str, ip: str) -> tuple[dict, str | None]:
    """A config and CNI_ARGS that request `ip` in the way named by `how`."""
    conf = net.conf()
    if how == "CNI_ARGS":
        return conf, f"IgnoreUnknown=1;IP={ip}"
    if how == "args.cni.ips":
        conf["args"] = {"cni": {"ips": [ip]}}
    else:
        conf["runtimeConfig"] = {"ips": [f"{ip}/{net.v4.prefixlen}"]}
    return conf, None


@pytest.mark.parametrize("how", ["CNI_ARGS", "args.cni.ips", "runtimeConfig.ips"])
def test_requested_address_is_handed_out(net, make_netns, container_id, how):
    ns = make_netns()
    wanted = net.v4_host(77)
    conf, args = requested(net, how, wanted)
    attachment = net.add(ns, container_id(), conf=conf, args=args)
    assert attachment.address() == f"{wanted}/{net.v4.prefixlen}"
    assert attachment.address() in harness.addresses("eth0", ns.name)
    assert net.leases() == {wanted: (attachment.container_id, "eth0")}


@pytest.mark.parametrize("how", ["CNI_ARGS", "args.cni.ips", "runtimeConfig.ips"])
def test_requested_address_outside_the_range_fails_and_allocates_nothing(net, make_netns, container_id, how):
    ns = make_netns()
    outside = str(net.v4.broadcast_address + 5)  # just past this network's /24
    conf, args = requested(net, how, outside)
    before = harness.host_veths()
    net.invoke("ADD", conf, ns.path, container_id(), args=args).expect_error(net.stack.failure_code(7))
    assert net.leases() == {}
    if net.stack.ours_bridge:  # the reference leaves its veth for the runtime's DEL
        assert ns.link_names() == ns.baseline
        assert harness.bridge_ports(net.bridge) == []
        assert harness.host_veths() - before == set()


def test_requested_address_already_taken_fails_and_keeps_the_owner(net, make_netns, container_id):
    a, b = make_netns(), make_netns()
    wanted = net.v4_host(90)
    owner = net.add(a, container_id(), args=f"IgnoreUnknown=1;IP={wanted}")
    # Taken is worth retrying (11): the owner may go away.
    net.invoke("ADD", net.conf(), b.path, container_id(),
               args=f"IgnoreUnknown=1;IP={wanted}").expect_error(net.stack.failure_code(11))
    assert net.leases() == {wanted: (owner.container_id, "eth0")}
    if net.stack.ours_bridge:
        assert b.link_names() == b.baseline


def test_gateway_is_never_requested_successfully(net, make_netns, container_id):
    ns = make_netns()
    net.invoke("ADD", net.conf(), ns.path, container_id(),
               args=f"IgnoreUnknown=1;IP={net.gateway4}").expect_error(net.stack.failure_code(7))
    assert net.leases() == {}


def test_legacy_subnet_range_form(net, make_netns, container_id):
    start, end = net.v4_host(100), net.v4_host(101)
    ipam = {"type": net.stack.ipam_type, "subnet": str(net.v4), "rangeStart": start, "rangeEnd": end,
            "gateway": net.gateway4, "dataDir": str(net.data_dir)}
    conf = net.conf(ipam=ipam)
    got = sorted(net.add(make_netns(), container_id(), conf=conf).ip() for _ in range(2))
    assert got == [start, end]
    # An exhausted range is worth retrying (11): addresses come free as containers go.
    net.invoke("ADD", conf, make_netns().path, container_id()).expect_error(net.stack.failure_code(11))
    assert len(net.leases()) == 2


def test_allocation_continues_after_the_last_one_handed_out(net, make_netns, container_id):
    """Round robin, like host-local: a released address is not immediately reused."""
    ns = make_netns()
    first = net.add(ns, container_id())
    first.delete().expect_ok()
    second = net.add(ns, container_id())
    assert ipaddress.ip_address(second.ip()) > ipaddress.ip_address(first.ip())


def test_fifty_parallel_adds_get_fifty_distinct_addresses(net, make_netns, container_id):
    namespaces = [make_netns() for _ in range(50)]
    ids = [container_id() for _ in namespaces]
    conf = net.conf()
    procs = [harness.start_plugin(net.stack.bridge, net.env("ADD", ns.path, cid), conf)
             for ns, cid in zip(namespaces, ids)]
    results = [harness.finish_plugin(p) for p in procs]
    for result in results:
        result.expect_ok()

    addresses = [r.json["ips"][0]["address"].split("/")[0] for r in results]
    assert len(set(addresses)) == 50
    assert net.leases() == {ip: (cid, "eth0") for ip, cid in zip(addresses, ids)}
    assert len(harness.bridge_ports(net.bridge)) == 50
    for ns, ip in zip(namespaces, addresses):
        assert f"{ip}/{net.v4.prefixlen}" in harness.addresses("eth0", ns.name)
    for ns in namespaces[::10]:
        ns.ping(net.gateway4)

    procs = [harness.start_plugin(net.stack.bridge, net.env("DEL", ns.path, cid), conf)
             for ns, cid in zip(namespaces, ids)]
    for p in procs:
        harness.finish_plugin(p).expect_ok()
    assert net.leases() == {}
    assert harness.bridge_ports(net.bridge) == []


def test_sigkill_during_add_then_del_leaves_nothing(net, make_netns, container_id):
    """Kill ADD at moments spread over its run; after DEL no link and no lease may remain."""
    conf = net.conf()
    # How long a whole ADD takes here (bridge already present), to spread the kill points over it.
    warm_ns = make_netns()
    net.add(warm_ns, container_id(), conf=conf).delete().expect_ok()
    probe_id = container_id()
    duration = net.invoke("ADD", conf, warm_ns.path, probe_id).expect_ok().seconds
    net.invoke("DEL", conf, warm_ns.path, probe_id).expect_ok()

    rng = random.Random(1234)
    killed_midway = 0
    partial = 0  # rounds where the kill left something for DEL to clean up
    rounds = 0
    for round_ in range(60):  # until enough kills landed mid-way
        if round_ >= 12 and partial >= 6:
            break
        rounds += 1
        ns = make_netns()
        cid = container_id()
        before = harness.host_veths()
        proc = harness.start_plugin(net.stack.bridge, net.env("ADD", ns.path, cid), conf)
        proc.stdin.write(proc._cni_stdin)
        proc.stdin.close()
        time.sleep(duration * rng.uniform(0.05, 1.1))
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
            killed_midway += 1
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()

        if killed and (net.leases() or harness.host_veths() - before or ns.link_names() != ns.baseline):
            partial += 1
        net.invoke("DEL", conf, ns.path, cid).expect_ok()

        assert net.leases() == {}, f"round {round_}: lease left behind"
        assert ns.link_names() == ns.baseline, f"round {round_}: container side left behind"
        left = harness.host_veths() - before
        assert left == set(), f"round {round_}: host veth left behind:\n" + "\n".join(
            harness.sh("ip", "-d", "link", "show", "dev", name, check=False).stdout for name in left)
        assert harness.bridge_ports(net.bridge) == [], f"round {round_}: bridge port left behind"
        harness.delete_netns(ns.name)
    print(f"killed before ADD finished: {killed_midway} of {rounds}; left partial state: {partial}")
    assert partial >= 3, f"only {partial} of {rounds} kills caught ADD with work half done; proved little"


@pytest.mark.ours_only
def test_store_is_one_sqlite_file_in_data_dir(net, make_netns, container_id):
    net.add(make_netns(), container_id())
    database = store_file(net.data_dir)
    assert database is not None and database.parent == net.data_dir


@pytest.mark.ours_only
def test_corrupt_store_is_reported_by_name_and_not_recreated(net, make_netns, container_id):
    first = net.add(make_netns(), container_id())
    first.delete().expect_ok()
    database = store_file(net.data_dir)
    for side in (Path(str(database) + "-wal"), Path(str(database) + "-shm")):
        side.unlink(missing_ok=True)
    garbage = b"this is not a database\n" * 512
    database.write_bytes(garbage)

    ns = make_netns()
    result = net.invoke("ADD", net.conf(), ns.path, container_id()).expect_error(5)
    assert str(database) in result.json["msg"] + " " + (result.json.get("details") or "")
    assert database.read_bytes() == garbage
    assert ns.link_names() == ns.baseline


@pytest.mark.ours_only
def test_status_succeeds_with_a_writable_store(net):
    net.invoke("STATUS", net.conf(version="1.1.0"), None, None, ifname=None).expect_ok()


@pytest.mark.ours_only
def test_status_fails_with_50_when_the_store_cannot_be_written(net, tmp_root):
    blocker = tmp_root / "not-a-directory"
    blocker.write_text("")
    conf = net.conf(version="1.1.0", ipam=net.ipam())
    conf["ipam"]["dataDir"] = str(blocker / "store")
    net.invoke("STATUS", conf, None, None, ifname=None).expect_error(50)


@pytest.mark.ours_only
def test_kv_ipam_standalone_answers_an_ipam_result(net, make_netns, container_id):
    """Called directly, as a delegate: addresses only, no interfaces, and the namespace untouched."""
    kv_ipam = ours("kv-ipam")
    ns = make_netns()
    cid = container_id()
    conf = net.conf(dual=True)
    env = net.env("ADD", ns.path, cid)
    result = harness.run_plugin(kv_ipam, env, conf).expect_ok().json

    assert not result.get("interfaces")
    assert all("interface" not in ip for ip in result["ips"])
    by_family = {ipaddress.ip_interface(ip["address"]).version: ip for ip in result["ips"]}
    assert set(by_family) == {4, 6}
    assert by_family[4]["gateway"] == net.gateway4
    assert by_family[6]["gateway"] == net.gateway6
    owned = {ip: owner for ip, owner in net.leases().items()}
    assert owned == {str(ipaddress.ip_interface(ip["address"]).ip): (cid, "eth0") for ip in result["ips"]}

    assert ns.link_names() == ns.baseline
    assert not harness.link_exists(net.bridge)

    check = harness.request(conf, result)
    harness.run_plugin(kv_ipam, net.env("CHECK", ns.path, cid), check).expect_ok()
    harness.run_plugin(kv_ipam, net.env("DEL", None, cid), check).expect_ok()
    assert net.leases() == {}
    harness.run_plugin(kv_ipam, net.env("CHECK", ns.path, cid), check).expect_error(7)


@pytest.mark.ours_only
def test_kv_ipam_leases_are_per_interface(net, make_netns, container_id):
    """One container with two interfaces on one network holds two leases; DEL of one keeps the other."""
    ns = make_netns()
    cid = container_id()
    eth0 = net.add(ns, cid, "eth0")
    eth1 = net.add(ns, cid, "eth1")
    assert net.leases() == {eth0.ip(): (cid, "eth0"), eth1.ip(): (cid, "eth1")}
    eth1.delete().expect_ok()
    assert net.leases() == {eth0.ip(): (cid, "eth0")}
    assert harness.link_exists("eth0", ns.name) and not harness.link_exists("eth1", ns.name)
