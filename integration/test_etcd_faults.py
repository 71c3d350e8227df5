"""Faults of a real etcd under the plugins: a DEL while it is down, empty blocks going back, frozen and
restarted servers. One etcd per test, on loopback, stopped afterwards."""

import ipaddress
import json
import tempfile
import time
from pathlib import Path

import pytest

import harness
from harness import EtcdServer, nft, ours_dir, wait_until

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(not harness.etcd_available(), reason="no etcd binary (install etcd-server)")]


def etcd_ipam(net, etcd, data_dir=None, **store):
    ipam = {**net.ipam(), "store": {"type": "etcd", "endpoints": [etcd.endpoint], "prefix": "/t/", **store}}
    if data_dir is not None:
        ipam["dataDir"] = str(data_dir)
    return ipam


def holders(etcd) -> dict[str, str]:
    """{address: holder's container ID} as etcd holds them."""
    return {k.rsplit("/", 1)[1]: v.split("/")[1] for k, v in etcd.keys("/t/").items() if "/ips/" in k}


def owners(etcd) -> set[str]:
    """The container IDs etcd has an owner key for."""
    return {k.split("/owners/", 1)[1].split("/")[0] for k in etcd.keys("/t/") if "/owners/" in k}


def blocks(etcd) -> dict[str, str]:
    """{block: owner host}."""
    return {k.split("/blocks/", 1)[1]: v.split("\n")[0] for k, v in etcd.keys("/t/").items() if "/blocks/" in k}


@pytest.mark.parametrize("fault,completion", [("frozen", "ADD"), ("killed", "GC")])
def test_a_del_while_etcd_is_down_succeeds_and_the_release_completes_once_it_is_back(
        net, make_netns, container_id, etcd, fault, completion):
    conf = net.conf("1.1.0", ipam=etcd_ipam(net, etcd, timeout=0.5), ipMasq=True, macspoofchk=True)
    ns = make_netns()
    gone = net.add(ns, container_id(), conf=conf)
    address = gone.ip()
    assert holders(etcd) == {address: gone.container_id}

    if fault == "frozen":
        etcd.freeze()
    else:
        etcd.stop(remove=False)
    try:
        started = time.monotonic()
        net.invoke("DEL", conf, ns.path, gone.container_id).expect_ok()
        assert time.monotonic() - started < 2.0
    finally:
        if fault == "frozen":
            etcd.thaw()
        else:
            etcd.start()
    assert not harness.link_exists(gone.host_veth)
    assert ns.link_names() == ns.baseline
    assert nft.owned_by(f"/{gone.container_id}/") == []
    assert holders(etcd) == {address: gone.container_id}, "the address stays held until the release completes"

    # Another host (its own dataDir and host ID) that reaches etcd finds the address taken.
    other_host = Path(tempfile.mkdtemp(prefix="otherhost-", dir=net.data_dir))
    other = net.conf("1.1.0", ipam=etcd_ipam(net, etcd, data_dir=other_host, hostID="other"))
    run = net.invoke("ADD", other, make_netns().path, container_id(), args=f"IP={address}")
    run.expect_error(11)
    assert address in run.stdout

    if completion == "ADD":
        later = net.add(make_netns(), container_id(), conf=conf)
        assert holders(etcd) == {later.ip(): later.container_id}
        assert owners(etcd) == {later.container_id}
    else:
        # The deleted attachment is listed as valid on purpose: only the recorded release can free it.
        gc = dict(conf, **{"cni.dev/valid-attachments": [{"containerID": gone.container_id, "ifname": "eth0"}]})
        net.invoke("GC", gc, None, None, ifname=None).expect_ok()
        assert holders(etcd) == {} and owners(etcd) == set()
    # Recorded once, released once: a further run has nothing left to do.
    net.invoke("DEL", conf, ns.path, gone.container_id).expect_ok()


def test_a_frozen_etcd_fails_an_add_in_time_leaving_nothing_on_the_host_or_in_etcd(net, make_netns, container_id, etcd):
    conf = net.conf("1.1.0", ipam=etcd_ipam(net, etcd, timeout=0.5), ipMasq=True, macspoofchk=True)
    ns = make_netns()
    cid = container_id()
    veths = harness.host_veths()
    # A first ADD makes the network's firewall table and claims a block, so the frozen ADD has more to undo.
    first = net.add(make_netns(), container_id(), conf=conf)
    before = etcd.keys("/t/")
    etcd.freeze()
    try:
        started = time.monotonic()
        run = net.invoke("ADD", conf, ns.path, cid)
        elapsed = time.monotonic() - started
    finally:
        etcd.thaw()
    run.expect_error(11)
    assert etcd.endpoint.split("//")[1] in run.stdout
    # One timeout for the request, one more at most to settle a commit whose answer was lost.
    assert elapsed < 2.0
    assert ns.link_names() == ns.baseline
    assert harness.host_veths() - veths == {first.host_veth}
    assert nft.owned_by(f"/{cid}/") == []
    assert etcd.keys("/t/") == before


def test_parallel_adds_across_an_etcd_kill_hand_out_no_address_twice_and_leak_none(net, make_netns, container_id, etcd):
    kv_ipam = ours_dir() / "kv-ipam"
    ns = make_netns()
    conf = net.conf(ipam=etcd_ipam(net, etcd, timeout=1))
    runs = []
    for index in range(24):
        runs.append((cid := container_id(), harness.start_plugin(kv_ipam, net.env("ADD", ns.path, cid), conf)))
        if index == 8:
            etcd.stop(remove=False)
            etcd.start()
    outcomes = {cid: harness.finish_plugin(proc) for cid, proc in runs}
    for run in outcomes.values():
        assert run.returncode == 0 or run.code == 11, run.describe()
    held = holders(etcd)
    # Every successful ADD holds exactly what it was told, and no address is held twice.
    for cid, run in outcomes.items():
        if run.returncode == 0:
            told = {ip["address"].split("/")[0] for ip in run.json["ips"]}
            assert {a for a, holder in held.items() if holder == cid} == told, run.describe()
    assert set(held.values()) <= set(outcomes)
    # A failed ADD is followed by its DEL, as a runtime does; then nothing is left.
    for cid in outcomes:
        harness.run_plugin(kv_ipam, net.env("DEL", None, cid), conf).expect_ok()
    assert holders(etcd) == {} and owners(etcd) == set()


def test_an_empty_block_goes_back_after_the_grace_period_and_another_host_claims_it(net, make_netns, container_id, etcd):
    kv_ipam = ours_dir() / "kv-ipam"
    ns = make_netns()

    def host(name: str) -> dict:
        data_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=net.data_dir))
        ipam = etcd_ipam(net, etcd, data_dir=data_dir, hostID=name)
        return {"cniVersion": "1.0.0", "name": net.name, "type": "kv-ipam", "ipam": {**ipam, "blockGracePeriod": 2}}

    a, b = host("a"), host("b")
    cid = container_id()
    harness.run_plugin(kv_ipam, net.env("ADD", ns.path, cid), a).expect_ok()
    (block,) = blocks(etcd)
    assert blocks(etcd) == {block: "a"}
    harness.run_plugin(kv_ipam, net.env("DEL", None, cid), a).expect_ok()
    assert blocks(etcd) == {block: "a"}, "the block stays claimed during the grace period"
    # etcd grants at least 2 s and expires leases on a 500 ms tick.
    wait_until(lambda: blocks(etcd) == {}, timeout=10, what="the empty block's key to expire")
    result = harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), b).expect_ok().json
    assert ipaddress.ip_address(result["ips"][0]["address"].split("/")[0]) in ipaddress.ip_network(block)
    assert blocks(etcd) == {block: "b"}


class AnswerLosingProxy:
    """A TCP relay in front of etcd that does to the first `/v3/kv/txn` what a network can: `lose`
    relays it and drops etcd's answer (the commit applies, the client never hears), `delay` holds it
    back unanswered and hands it to etcd only after the client's next transaction got through."""

    def __init__(self, etcd: EtcdServer, mode: str):
        import socket
        import threading
        self.etcd, self.mode = etcd, mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.struck = threading.Event()
        self.next_txn_answered = threading.Event()
        self.lock = threading.Lock()
        self.txns = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        import threading
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client) -> None:
        import socket
        import threading
        server = socket.create_connection(("127.0.0.1", self.etcd.client_port))
        relaying = threading.Event()
        relaying.set()

        def answers():
            try:
                while data := server.recv(65536):
                    if relaying.is_set():
                        client.sendall(data)
                        if self.struck.is_set():
                            self.next_txn_answered.set()
            except OSError:
                pass  # the client side went first
        threading.Thread(target=answers, daemon=True).start()
        pending = b""
        try:
            while True:
                while b"\r\n\r\n" not in pending:
                    if not (data := client.recv(65536)):
                        return
                    pending += data
                head, _, rest = pending.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    rest += client.recv(65536)
                request, pending = head + b"\r\n\r\n" + rest[:length], rest[length:]
                with self.lock:
                    first_txn = request.startswith(b"POST /v3/kv/txn ") and self.txns == 0
                    self.txns += request.startswith(b"POST /v3/kv/txn ")
                if first_txn and self.mode == "lose":
                    relaying.clear()
                    self.struck.set()
                    server.sendall(request)
                elif first_txn and self.mode == "delay":
                    self.struck.set()
                    threading.Thread(target=self._deliver_late, args=(request,), daemon=True).start()
                else:
                    server.sendall(request)
        finally:
            client.close()
            server.close()

    def _deliver_late(self, request: bytes) -> None:
        import socket
        self.next_txn_answered.wait(10)
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", self.etcd.client_port)) as late:
            late.sendall(request)
            self.late_answer = late.recv(65536)


@pytest.mark.parametrize("mode", ["lose", "delay"])
def test_an_add_whose_commit_answer_is_lost_is_settled_by_reading_back(net, make_netns, container_id, etcd, mode):
    """`lose`: etcd applies the commit but its answer never arrives. `delay`: the commit reaches
    etcd only after the client gave up on it. Either way the ADD holds one address, the one it
    returns, and the block counts one lease."""
    proxy = AnswerLosingProxy(etcd, mode)
    try:
        # 2 s, not less: the settling read-back must not time out too when the machine is busy.
        conf = net.conf(ipam={**net.ipam(), "store": {"type": "etcd", "endpoints": [proxy.endpoint], "prefix": "/t/",
                                                      "timeout": 2}})
        cid = container_id()
        run = harness.run_plugin(ours_dir() / "kv-ipam", net.env("ADD", make_netns().path, cid), conf).expect_ok()
        assert proxy.struck.is_set()
        if mode == "delay":
            wait_until(lambda: hasattr(proxy, "late_answer"), timeout=10, what="the late commit's answer")
            assert b'"succeeded":true' not in proxy.late_answer, "the late commit must fail against the fence"
        told = [ip["address"].split("/")[0] for ip in run.json["ips"]]
        assert holders(etcd) == {address: cid for address in told}
        assert owners(etcd) == {cid}
        (state,) = [v for k, v in etcd.keys("/t/").items() if "/blocks/" in k]
        assert state.split("\n")[2].count("1") == len(told)
    finally:
        proxy.close()
