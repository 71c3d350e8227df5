#!/usr/bin/env python3
"""Benchmark: the etcd store against the local store, and allocators against one etcd, in one run.

    sudo python3 integration/bench/bench_etcd.py [--count 100] [--allocations 1000]

Not a test: it prints figures and the targets beside them, and exits 0 unless something broke.
etcd (Debian's etcd-server) runs on loopback with its defaults, fsync included, data in a scratch
directory.
  bridge ADD median, etcd store     <= local-store bridge ADD median + 1.5 ms (sequential ADDs)
  kv-ipam ADDs/s, 4 in parallel     on each store (one plugin run per ADD, no namespace work)
  naive CAS allocator, 4 processes  read the range, pick the lowest free address, create it if
                                    absent, retry on conflict: allocations/s and attempts lost
  block allocator, 4 processes      >= 3000 allocations/s and >= 5 x naive CAS: four host IDs, each
                                    process leasing in a loop through the IPAM module on one connection
                                    (kv-ipam-bench, built here with SWIFT_CNI_BENCH=1)
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from harness import BRIDGE_PREFIX, EtcdServer  # noqa: E402
from lab import Namespaces, install_contenders, pick_base, require_root, workspace  # noqa: E402
from figures import MS, summary, verdict  # noqa: E402


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def naive_cas_worker(endpoint: str, subnet: str, count: int, results) -> None:
    """One client of the naive allocator: its own HTTP connection, like a plugin's."""
    import http.client
    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))

    def post(path: str, body: dict) -> dict:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        return json.loads(connection.getresponse().read())

    network = ipaddress.ip_network(subnet)
    prefix = "/naive/ips/"
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    allocated = attempts = 0
    while allocated < count:
        attempts += 1
        taken = {base64.b64decode(kv["key"]).decode()[len(prefix):]
                 for kv in post("/v3/kv/range", {"key": b64(prefix), "range_end": b64(end), "keys_only": True}).get("kvs", [])}
        free = next(str(a) for a in network.hosts() if str(a) not in taken)
        key = b64(prefix + free)
        answer = post("/v3/kv/txn", {"compare": [{"key": key, "target": "CREATE", "result": "EQUAL", "create_revision": "0"}],
                                     "success": [{"request_put": {"key": key, "value": b64("x")}}]})
        if answer.get("succeeded"):
            allocated += 1
    results.put((allocated, attempts))


def naive_cas(etcd: EtcdServer, subnet: str, total: int, clients: int = 4) -> tuple[float, float]:
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=naive_cas_worker, args=(etcd.endpoint, subnet, total // clients, results))
               for _ in range(clients)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    outcomes = [results.get() for _ in workers]
    elapsed = time.perf_counter() - start
    for worker in workers:
        worker.join()
    allocated = sum(a for a, _ in outcomes)
    attempts = sum(t for _, t in outcomes)
    keys = etcd.keys("/naive/ips/")
    assert len(keys) == allocated, f"naive CAS: {len(keys)} keys for {allocated} allocations"
    return allocated / elapsed, 1 - allocated / attempts


def build_block_allocator() -> Path:
    """kv-ipam-bench, which only the benchmark builds."""
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SWIFT_CNI_BENCH": "1"}
    subprocess.run(["swift", "build", "-c", "release", "--product", "kv-ipam-bench"], cwd=repo, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return repo / ".build" / "release" / "kv-ipam-bench"


def block_allocators(etcd: EtcdServer, binary: Path, subnet: str, total: int, clients: int = 4) -> float:
    """Allocations per second of `clients` allocator processes, one host ID each, started together."""
    ipam = json.dumps({"type": "kv-ipam", "subnet": subnet,
                       "store": {"type": "etcd", "endpoints": [etcd.endpoint], "prefix": "/blocks/"}})
    workers = [subprocess.Popen([str(binary), ipam, "bench-blocks", f"host{n}", str(total // clients)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for n in range(clients)]
    start = time.perf_counter()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        worker.stdin.close()
        assert worker.wait() == 0, "a block allocator failed"
    elapsed = time.perf_counter() - start
    leased = [k for k in etcd.keys("/blocks/") if "/ips/" in k]
    assert len(leased) == total // clients * clients, f"block allocators: {len(leased)} addresses for {total} leases"
    owners = [v.split("\n")[0] for k, v in etcd.keys("/blocks/").items() if "/blocks/" in k.removeprefix("/blocks/")]
    assert owners, "no blocks were claimed"
    return total // clients * clients / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100, help="sequential bridge ADDs per store")
    parser.add_argument("--parallel-adds", type=int, default=200, help="kv-ipam ADDs per store, 4 at a time")
    parser.add_argument("--allocations", type=int, default=1000, help="allocations of each allocator, 4 clients")
    args = parser.parse_args()
    require_root()
    base = pick_base()
    with workspace() as root:
        bin_dir, _ = install_contenders(root, ["bridge", "kv-ipam"], [])
        stack = harness.Stack("ours", bin_dir / "bridge", "kv-ipam", (bin_dir,), lambda *_: {})
        etcd = EtcdServer(root)
        try:
            subnets = list(base.subnets(new_prefix=22))
            namespaces = Namespaces()

            def store_of(kind: str) -> dict:
                return {"store": {"type": "etcd", "endpoints": [etcd.endpoint], "prefix": "/bench/"}} if kind == "etcd" else {}

            medians = {}
            for index, kind in enumerate(["local", "etcd"]):
                data_dir = root / f"data-{kind}"
                net = harness.Network(stack, f"bench-{kind}", f"{BRIDGE_PREFIX}e{index}", subnets[index],
                                      ipaddress.ip_network("fd5c:250::/64"), data_dir)
                conf = net.conf(ipam={**net.ipam(), **store_of(kind)})
                spaces = namespaces(args.count)
                times = []
                for number, ns in enumerate(spaces):
                    run = net.invoke("ADD", conf, ns.path, f"bench-{kind}-{number}").expect_ok()
                    times.append(run.seconds)
                # No `settle()`: it waits for every child, and etcd is one.
                for number, ns in enumerate(spaces):
                    net.invoke("DEL", conf, ns.path, f"bench-{kind}-{number}").expect_ok()
                medians[kind] = statistics.median(times)
                print(f"bridge ADD, {kind:5} store: {summary(times)}")
            extra = (medians["etcd"] - medians["local"]) * MS
            print(f"  etcd ADD - local ADD = {extra:+.2f} ms (target <= +1.50 ms): {verdict(extra <= 1.5)}")

            kv_ipam = bin_dir / "kv-ipam"
            ns = namespaces(1)[0]
            for index, kind in enumerate(["local", "etcd"]):
                net = harness.Network(stack, f"bench-par-{kind}", f"{BRIDGE_PREFIX}p{index}", subnets[2 + index],
                                      ipaddress.ip_network("fd5c:250::/64"), root / f"par-{kind}")
                conf = net.conf(ipam={**net.ipam(), **store_of(kind)})["ipam"]
                conf = {"cniVersion": "1.0.0", "name": net.name, "type": "kv-ipam", "ipam": conf}

                def add(number: int) -> None:
                    harness.run_plugin(kv_ipam, net.env("ADD", ns.path, f"par-{kind}-{number}"), conf).expect_ok()

                start = time.perf_counter()
                with ThreadPoolExecutor(4) as pool:
                    list(pool.map(add, range(args.parallel_adds)))
                elapsed = time.perf_counter() - start
                print(f"kv-ipam ADDs, 4 in parallel, {kind:5} store: {args.parallel_adds / elapsed:7.0f} ADDs/s")

            rate, lost = naive_cas(etcd, str(subnets[4]), args.allocations)
            print(f"naive CAS allocator, 4 processes: {rate:7.0f} allocations/s, {lost:.0%} of attempts lost")
            blocks = block_allocators(etcd, build_block_allocator(), str(subnets[5]), args.allocations)
            print(f"block allocator, 4 processes: {blocks:7.0f} allocations/s (target >= 3000): {verdict(blocks >= 3000)}; "
                  f"{blocks / rate:.1f} x naive CAS (target >= 5): {verdict(blocks >= 5 * rate)}")
        finally:
            etcd.stop()


if __name__ == "__main__":
    main()
