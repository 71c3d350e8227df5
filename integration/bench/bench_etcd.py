#!/usr/bin/env python3
"""Benchmark: the etcd store against the local store, and allocators against one etcd, in one run.

    sudo python3 integration/bench/bench_etcd.py [--count 100] [--allocations 1000]

Not a test: it prints figures and the targets beside them, and exits 0 unless something broke.
Two etcds (Debian's etcd-server) run on loopback with their defaults, fsync included: one with its
data on disk, as clusters run, and one with its data on tmpfs, where an fsync costs nothing, so
that the part of each figure that is etcd's disk shows. Beside each ADD figure, the requests one ADD
sends etcd (from etcd's own gRPC counters).
  bridge ADD median, etcd store     <= local-store bridge ADD median + 1.5 ms (sequential ADDs)
  kv-ipam ADDs/s, 4 in parallel     on each store (one plugin run per ADD, no namespace work)
  naive CAS allocator, 4 processes  read the range, pick the lowest free address, create it if
                                    absent, retry on conflict: allocations/s and attempts lost
  block allocator, 4 processes      >= 3000 allocations/s and >= 5 x naive CAS: four host IDs, each
                                    process leasing in a loop through the IPAM module on one connection
                                    (kv-ipam-bench, built here with SWIFT_CNI_BENCH=1)
  one-key transactions, 4 processes the same processes, each step the least an allocation can send
                                    (one create-if-absent of one key): the ceiling etcd and its JSON
                                    gateway set on this machine, whatever the allocator does
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


def block_allocators(etcd: EtcdServer, binary: Path, subnet: str, total: int, clients: int = 4,
                     floor: bool = False) -> float:
    """Allocations per second of `clients` allocator processes, one host ID each, started together;
    with `floor`, one-key transactions per second of the same processes instead."""
    prefix = "/floor/" if floor else "/blocks/"
    ipam = json.dumps({"type": "kv-ipam", "subnet": subnet,
                       "store": {"type": "etcd", "endpoints": [etcd.endpoint], "prefix": prefix}})
    workers = [subprocess.Popen([str(binary), ipam, "bench-blocks", f"host{n}", str(total // clients),
                                 *(["--floor"] if floor else [])],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for n in range(clients)]
    start = time.perf_counter()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        worker.stdin.close()
        assert worker.wait() == 0, "a block allocator failed"
    elapsed = time.perf_counter() - start
    if floor:
        made = etcd.keys(prefix)
        assert len(made) == total // clients * clients, f"one-key transactions: {len(made)} keys for {total}"
        return len(made) / elapsed
    leased = [k for k in etcd.keys("/blocks/") if "/ips/" in k]
    assert len(leased) == total // clients * clients, f"block allocators: {len(leased)} addresses for {total} leases"
    owners = [v.split("\n")[0] for k, v in etcd.keys("/blocks/").items() if "/blocks/" in k.removeprefix("/blocks/")]
    assert owners, "no blocks were claimed"
    return total // clients * clients / elapsed


def cpu_seconds(etcd: EtcdServer) -> float:
    """The CPU time etcd has used, user and system."""
    fields = Path(f"/proc/{etcd.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests_per_run(before: dict[str, int], after: dict[str, int], runs: int) -> str:
    spent = {m: (after.get(m, 0) - before.get(m, 0)) / runs for m in after}
    return ", ".join(f"{m} {n:.2f}" for m, n in sorted(spent.items()) if n > 0) or "none"


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
        tmpfs = Path(tempfile.mkdtemp(prefix=f"sct{harness.PID}-bench-", dir="/dev/shm"))
        servers = {"etcd": EtcdServer(root), "etcd-tmpfs": EtcdServer(tmpfs)}
        try:
            subnets = iter(base.subnets(new_prefix=22))
            namespaces = Namespaces()
            kinds = ["local", *servers]

            def store_of(kind: str) -> dict:
                if kind == "local":
                    return {}
                return {"store": {"type": "etcd", "endpoints": [servers[kind].endpoint], "prefix": "/bench/"}}

            medians = {}
            for index, kind in enumerate(kinds):
                net = harness.Network(stack, f"bench-{kind}", f"{BRIDGE_PREFIX}e{index}", next(subnets),
                                      ipaddress.ip_network("fd5c:250::/64"), root / f"data-{kind}")
                conf = net.conf(ipam={**net.ipam(), **store_of(kind)})
                spaces = namespaces(args.count)
                before = servers[kind].requests() if kind in servers else {}
                times = []
                for number, ns in enumerate(spaces):
                    run = net.invoke("ADD", conf, ns.path, f"bench-{kind}-{number}").expect_ok()
                    times.append(run.seconds)
                sent = requests_per_run(before, servers[kind].requests(), args.count) if kind in servers else ""
                # No `settle()`: it waits for every child, and etcd is one.
                for number, ns in enumerate(spaces):
                    net.invoke("DEL", conf, ns.path, f"bench-{kind}-{number}").expect_ok()
                medians[kind] = statistics.median(times)
                print(f"bridge ADD, {kind:10} store: {summary(times)}" + (f"   requests per ADD: {sent}" if sent else ""))
            for kind in servers:
                extra = (medians[kind] - medians["local"]) * MS
                print(f"  {kind} ADD - local ADD = {extra:+.2f} ms (target <= +1.50 ms): {verdict(extra <= 1.5)}")

            kv_ipam = bin_dir / "kv-ipam"
            ns = namespaces(1)[0]
            for index, kind in enumerate(kinds):
                net = harness.Network(stack, f"bench-par-{kind}", f"{BRIDGE_PREFIX}p{index}", next(subnets),
                                      ipaddress.ip_network("fd5c:250::/64"), root / f"par-{kind}")
                conf = net.conf(ipam={**net.ipam(), **store_of(kind)})["ipam"]
                conf = {"cniVersion": "1.0.0", "name": net.name, "type": "kv-ipam", "ipam": conf}

                def add(number: int) -> None:
                    harness.run_plugin(kv_ipam, net.env("ADD", ns.path, f"par-{kind}-{number}"), conf).expect_ok()

                before = servers[kind].requests() if kind in servers else {}
                start = time.perf_counter()
                with ThreadPoolExecutor(4) as pool:
                    list(pool.map(add, range(args.parallel_adds)))
                elapsed = time.perf_counter() - start
                sent = (requests_per_run(before, servers[kind].requests(), args.parallel_adds)
                        if kind in servers else "")
                print(f"kv-ipam ADDs, 4 in parallel, {kind:10} store: {args.parallel_adds / elapsed:7.0f} ADDs/s"
                      + (f"   requests per ADD: {sent}" if sent else ""))

            allocator = build_block_allocator()
            for kind, etcd in servers.items():
                rate, lost = naive_cas(etcd, str(next(subnets)), args.allocations)
                print(f"naive CAS allocator, 4 processes, {kind}: {rate:7.0f} allocations/s, {lost:.0%} of attempts lost")
                cpu, before = cpu_seconds(etcd), etcd.requests()
                blocks = block_allocators(etcd, allocator, str(next(subnets)), args.allocations)
                cpu = (cpu_seconds(etcd) - cpu) / args.allocations
                print(f"block allocator, 4 processes, {kind}: {blocks:7.0f} allocations/s (target >= 3000): "
                      f"{verdict(blocks >= 3000)}; {blocks / rate:.1f} x naive CAS (target >= 5): {verdict(blocks >= 5 * rate)}")
                print(f"  etcd CPU per allocation {cpu * MS:.2f} ms (so at most {1 / cpu:.0f}/s per core it has); requests per "
                      f"allocation: {requests_per_run(before, etcd.requests(), args.allocations)}")
                cpu = cpu_seconds(etcd)
                ceiling = block_allocators(etcd, allocator, str(next(subnets)), args.allocations, floor=True)
                cpu = (cpu_seconds(etcd) - cpu) / args.allocations
                print(f"one-key transactions, 4 processes, {kind}: {ceiling:7.0f}/s, etcd CPU {cpu * MS:.2f} ms each; "
                      f"block allocator / one-key = {blocks / ceiling:.2f}")
        finally:
            for etcd in servers.values():
                etcd.stop()
            shutil.rmtree(tmpfs, ignore_errors=True)


if __name__ == "__main__":
    main()
