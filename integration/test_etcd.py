"""kv-ipam and bridge on the etcd store: a real etcd per test, on loopback, stopped afterwards."""

import json
import time

import pytest

import harness
from harness import EtcdServer, ours_dir

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(not harness.etcd_available(), reason="no etcd binary (install etcd-server)")]


def etcd_ipam(net, etcd_server_or_endpoints, **store):
    endpoints = ([etcd_server_or_endpoints.endpoint] if isinstance(etcd_server_or_endpoints, EtcdServer)
                 else etcd_server_or_endpoints)
    return {**net.ipam(dual=True), "store": {"type": "etcd", "endpoints": endpoints, "prefix": "/t/", **store}}


def lease_keys(etcd) -> dict[str, str]:
    """The keys that hold leases: an address or an attachment."""
    return {k: v for k, v in etcd.keys("/t/").items() if "/ips/" in k or "/owners/" in k}


def test_kv_ipam_leases_live_in_etcd(net, make_netns, container_id, etcd):
    kv_ipam = ours_dir() / "kv-ipam"
    ns = make_netns()
    cid = container_id()
    conf = net.conf(ipam=etcd_ipam(net, etcd))
    result = harness.run_plugin(kv_ipam, net.env("ADD", ns.path, cid), conf).expect_ok().json
    addresses = sorted(ip["address"].split("/")[0] for ip in result["ips"])
    held = lease_keys(etcd)
    assert sorted(k.rsplit("/", 1)[1] for k in held if "/ips/" in k) == addresses
    assert all(cid in v for k, v in held.items() if "/ips/" in k)
    assert net.leases() == {}, "nothing may reach the local store when etcd is chosen"

    check = harness.request(conf, result)
    harness.run_plugin(kv_ipam, net.env("CHECK", ns.path, cid), check).expect_ok()
    harness.run_plugin(kv_ipam, net.env("DEL", None, cid), check).expect_ok()
    assert lease_keys(etcd) == {}


def test_an_add_after_another_on_the_host_is_one_request_to_etcd(net, make_netns, container_id, etcd):
    """The host keeps its blocks as it last wrote them in dataDir, so the next plugin run commits
    without reading them; a garbled copy costs one read, never a wrong lease."""
    kv_ipam = ours_dir() / "kv-ipam"
    conf = net.conf(ipam=etcd_ipam(net, etcd))
    ns = make_netns()
    ids = [container_id() for _ in range(3)]

    def add(cid: str) -> tuple[dict[str, int], str]:
        before = etcd.requests()
        result = harness.run_plugin(kv_ipam, net.env("ADD", ns.path, cid), conf).expect_ok().json
        after = etcd.requests()
        return {m: after[m] - before.get(m, 0) for m in after if after[m] != before.get(m, 0)}, result["ips"][0]["address"]

    _, first = add(ids[0])
    sent, second = add(ids[1])
    assert sent == {"Txn": 1}, f"an ADD on a host that has added before sent {sent}"
    for kept in (net.data_dir / "ipam-blocks").iterdir():
        kept.write_bytes(b"7 3 nonsense\nab")
    sent, third = add(ids[2])
    assert sent == {"Range": 1, "Txn": 1}, f"with a garbled copy of the blocks an ADD sent {sent}"
    assert len({first, second, third}) == 3
    for cid in ids:
        harness.run_plugin(kv_ipam, net.env("DEL", None, cid), conf).expect_ok()
    assert lease_keys(etcd) == {}


def test_unreachable_etcd_is_code_11_within_the_timeout_naming_the_endpoints(net, make_netns, container_id):
    ns = make_netns()
    endpoints = ["http://127.0.0.1:9", "http://127.0.0.1:11"]
    conf = net.conf(ipam=etcd_ipam(net, endpoints, timeout=0.5))
    started = time.monotonic()
    run = harness.run_plugin(ours_dir() / "kv-ipam", net.env("ADD", ns.path, container_id()), conf).expect_error(11)
    assert time.monotonic() - started < 2.0
    message = json.loads(run.stdout)["msg"] + json.loads(run.stdout).get("details", "")
    assert "127.0.0.1:9" in message and "127.0.0.1:11" in message


def test_the_host_wide_store_file_is_used_when_the_config_names_none(net, make_netns, container_id, etcd, tmp_root):
    store_file = tmp_root / "store.json"
    store_file.write_text(json.dumps({"type": "etcd", "endpoints": [etcd.endpoint], "prefix": "/t/"}))
    ns = make_netns()
    cid = container_id()
    conf = net.conf(ipam=net.ipam(dual=True))
    env = net.env("ADD", ns.path, cid, extra={"SWIFT_CNI_STORE_CONFIG": str(store_file)})
    harness.run_plugin(ours_dir() / "kv-ipam", env, conf).expect_ok()
    assert len([k for k in lease_keys(etcd) if "/ips/" in k]) == 2
    assert net.leases() == {}


def test_credentials_from_a_password_file_and_a_wrong_password_is_code_7(net, make_netns, container_id, etcd, tmp_root):
    etcd.enable_auth("cni", "pa55word")
    good = tmp_root / "etcd.pw"
    good.write_text("pa55word\n")
    bad = tmp_root / "wrong.pw"
    bad.write_text("nope\n")
    ns = make_netns()
    kv_ipam = ours_dir() / "kv-ipam"
    conf = net.conf(ipam=etcd_ipam(net, etcd, username="cni", passwordFile=str(good)))
    harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), conf).expect_ok()
    assert len([k for k in lease_keys(etcd) if "/ips/" in k]) == 2

    refused = net.conf(ipam=etcd_ipam(net, etcd, username="cni", passwordFile=str(bad)))
    run = harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), refused).expect_error(7)
    assert "cni" in run.stdout and etcd.endpoint in run.stdout
    missing = net.conf(ipam=etcd_ipam(net, etcd, username="cni", passwordFile=str(tmp_root / "absent.pw")))
    run = harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), missing).expect_error(7)
    assert "absent.pw" in run.stdout


def test_example_config(make_network, make_netns, container_id, etcd):
    """conf/80-swift-bridge-etcd.conflist through ADD, CHECK and DEL, with its endpoint at the test's etcd."""
    from conftest import STACKS
    from test_conf import CONF_DIR, rewrite_ipam, run_list

    config = json.loads((CONF_DIR / "80-swift-bridge-etcd.conflist").read_text())
    net = make_network(STACKS["ours"])
    config["name"] = net.name
    plugin = config["plugins"][0]
    plugin["bridge"] = net.bridge
    rewrite_ipam(plugin["ipam"], net)
    plugin["ipam"]["store"]["endpoints"] = [etcd.endpoint]
    cni_path = (ours_dir(),)
    ns = make_netns()
    cid = container_id()
    result = run_list("ADD", config, cni_path, ns.path, cid, None)
    address = result["ips"][0]["address"].split("/")[0]
    assert [k.rsplit("/", 1)[1] for k in etcd.keys("/swift-cni/") if "/ips/" in k] == [address]
    run_list("CHECK", config, cni_path, ns.path, cid, result)
    run_list("DEL", config, cni_path, ns.path, cid, result)
    assert not [k for k in etcd.keys("/swift-cni/") if "/ips/" in k or "/owners/" in k]


def test_four_hosts_lease_1000_addresses_from_one_slash_22_in_blocks(net, make_netns, session, etcd):
    """Four kv-ipam runs at a time, one per host ID, 250 ADDs each: every address once, and each block
    counts exactly the leases in it."""
    import ipaddress
    from concurrent.futures import ThreadPoolExecutor

    kv_ipam = ours_dir() / "kv-ipam"
    ns = make_netns()
    # The base's last /22, past the /24s a session hands out.
    subnet = list(session.v4_base.subnets(new_prefix=22))[-1]
    ipam = {"type": "kv-ipam", "subnet": str(subnet), "dataDir": str(net.data_dir)}

    def host(number: int) -> None:
        conf = {"cniVersion": "1.0.0", "name": net.name, "type": "kv-ipam",
                "ipam": {**ipam, "store": {"type": "etcd", "endpoints": [etcd.endpoint], "prefix": "/t/",
                                           "hostID": f"host{number}"}}}
        for n in range(250):
            harness.run_plugin(kv_ipam, net.env("ADD", ns.path, f"h{number}-{n}"), conf).expect_ok()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(host, range(4)))
    keys = etcd.keys("/t/")
    addresses = [ipaddress.ip_address(k.rsplit("/", 1)[1]) for k in keys if "/ips/" in k]
    assert len(addresses) == 1000 and len(set(addresses)) == 1000
    assert all(a in subnet for a in addresses)
    blocks = {ipaddress.ip_network(k.split("/blocks/", 1)[1]): v.split("\n") for k, v in keys.items() if "/blocks/" in k}
    assert {owner for owner, _, _ in blocks.values()} == {f"host{n}" for n in range(4)}
    assert all(block.prefixlen == 26 and block.subnet_of(subnet) for block in blocks)
    for block, (_, _, used) in blocks.items():
        assert used.count("1") == sum(a in block for a in addresses), f"block {block} miscounts its leases"
