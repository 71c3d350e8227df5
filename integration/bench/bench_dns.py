#!/usr/bin/env python3
"""Queries per second, latency, server CPU per query and RSS of cni-dns, aardvark-dns and dnsmasq,
measured with dnsperf in the same run, on the same names; and of cni-dns-nio-bench, the same Zone
behind a SwiftNIO datagram channel instead of cni-dns's recvmmsg loop (built here with
SWIFT_CNI_BENCH=1, which adds it and swift-nio to the package; --no-nio leaves it out).

    flock /tmp/swift-cni-integration.lock integration/bench/bench_dns.py [--seconds 5] [--names 1000]

Each server gets the same N names (nameK.dns.podman -> 10.88.x.y) plus one "client" container whose
address is the one dnsperf sends from, so that the client is registered (container queries) or not
(the host, another runtime's container). cni-dns gets its names as a runtime gives them: one real
`dnsname` ADD per container, with a prevResult naming its address and the gateway (several ADDs run
at once, as a runtime starting many containers does); the first ADD starts cni-dns. Servers listen
on their own loopback addresses, port 53 (cni-dns's gateway is added to `lo` for the run, since
dnsname only accepts gateways of this host): traffic stays on this machine. Throughput runs use dnsperf with 1 and 4
threads (4 clients each); latency comes from a separate run at a fixed 20k queries/s with per-query
output. Server CPU is utime+stime from /proc/<pid>/stat across the throughput run. RSS is VmRSS after
the runs, and again for cni-dns with 10,000 names (registered by 10,000 ADDs, and rebuilt by a
restart from the store).

Needs root, dnsperf, dnsmasq (2.90) and aardvark-dns (/usr/lib/podman/aardvark-dns, package
aardvark-dns); build cni-dns and dnsname first (swift build -c release --product cni-dns, dnsname).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import NS_PREFIX, create_netns, delete_netns, sh  # noqa: E402
from harness.dns import Registrar, responder_lock_free, responder_pids  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CNI_DNS = ROOT / ".build/release/cni-dns"
DNSNAME = ROOT / ".build/release/dnsname"
AARDVARK = Path("/usr/lib/podman/aardvark-dns")
CLIENT = "127.0.20.1"        # registered: a container address in every server's configuration
STRANGER = "127.0.20.2"      # unregistered
SERVERS = {"cni-dns": "127.0.10.1", "aardvark-dns": "127.0.10.2", "dnsmasq": "127.0.10.3"}
# The SwiftNIO contender answers from cni-dns's store as cni-dns's gateway, on another port.
NIO = "cni-dns-nio"
NIO_PORT = 10053
PORTS = {NIO: NIO_PORT}
LATENCY_RATE = 20000


def address(k: int) -> str:
    return f"10.88.{k // 250}.{k % 250 + 2}"


def wait_port(ip: str, timeout: float = 5.0, port: int = 53) -> None:
    """Waits until ip:port answers a query (any answer)."""
    query = bytes.fromhex("abcd01000001000000000000") + b"\x04ping\x00\x00\x01\x00\x01"
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.1)
        while time.monotonic() < deadline:
            s.sendto(query, (ip, port))
            try:
                s.recv(512)
                return
            except OSError:
                continue
    raise RuntimeError(f"no DNS server answered on {ip}:{port}")


def register(registrar: Registrar, names: int, gateway: str) -> float:
    """nameK for every K and the client, each by its own dnsname ADD, 4 at a time; the seconds taken."""
    def add(k: int) -> None:
        name, ip = (f"name{k}", address(k)) if k < names else ("client", CLIENT)
        registrar.add("bench", f"c{k}", "eth0", [name], [ip], [gateway], upstreams=[])

    start = time.monotonic()
    add(0)  # starts cni-dns
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(add, range(1, names + 1)))
    return time.monotonic() - start


class Background:
    """A server that runs detached from us (not our child): signalled and waited for by its pids."""

    name = "server"

    def pids(self) -> list[int]:
        raise NotImplementedError

    def send_signal(self, signum: int) -> None:
        for pid in self.pids():
            os.kill(pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pids():
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.name, timeout)
            time.sleep(0.05)


class Detached(Background):
    """cni-dns as dnsname started it, detached: found by its data directory."""

    name = "cni-dns"

    def __init__(self, data: Path):
        self.data = data
        self.pid = responder_pids(data)[0]

    def pids(self) -> list[int]:
        return responder_pids(self.data)

    def wait(self, timeout: float) -> None:
        # A killed responder loses its command line before the kernel closes its lock: a restart
        # before the lock is free exits at once, seeing another instance.
        deadline = time.monotonic() + timeout
        super().wait(timeout)
        while not responder_lock_free(self.data):
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.name, timeout)
            time.sleep(0.01)


def start_cni_dns(work: Path, names: int, netns) -> Detached:
    data = work / "cni-dns"
    seconds = register(Registrar(data, netns, DNSNAME), names, SERVERS["cni-dns"])
    print(f"cni-dns: {names + 1} dnsname ADDs in {seconds:.1f} s")
    wait_port(SERVERS["cni-dns"])
    return Detached(data)


class Forked(Background):
    """A server that forks into the background (aardvark-dns run): its pid, found by its config path."""

    name = "aardvark-dns"

    def __init__(self, marker: str):
        self.pid = int(subprocess.run(["pgrep", "-f", marker], check=True, capture_output=True,
                                      text=True).stdout.split()[0])

    def pids(self) -> list[int]:
        return [self.pid] if Path(f"/proc/{self.pid}").exists() else []


def start_aardvark(work: Path, names: int) -> Forked:
    config = work / "aardvark"
    config.mkdir()
    lines = [SERVERS["aardvark-dns"]]
    lines += [f"{k:064x} {address(k)}  name{k}" for k in range(names)]
    lines.append(f"{names:064x} {CLIENT}  client")
    (config / "bench").write_text("\n".join(lines) + "\n")
    # As netavark starts it; it forks and the parent exits once the server runs.
    subprocess.run([AARDVARK, "--config", config, "-p", "53", "run"], check=True,
                   stdout=subprocess.DEVNULL, stderr=open(work / "aardvark.log", "w"))
    wait_port(SERVERS["aardvark-dns"])
    return Forked(str(config))


def start_dnsmasq(work: Path, names: int) -> subprocess.Popen:
    hosts = work / "dnsmasq.hosts"
    hosts.write_text("".join(f"{address(k)} name{k}.dns.podman name{k}\n" for k in range(names))
                     + f"{CLIENT} client.dns.podman client\n")
    # As containers/dnsname runs it: hosts file, the domain answered locally, bound to the gateway only.
    process = subprocess.Popen(
        ["dnsmasq", "--keep-in-foreground", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
         f"--addn-hosts={hosts}", "--local=/dns.podman/", "--domain=dns.podman", f"--listen-address={SERVERS['dnsmasq']}",
         "--bind-interfaces", "--except-interface=none", "--port=53", f"--pid-file={work}/dnsmasq.pid", "--user=root",
         "--log-facility=/dev/null"],
        stdout=subprocess.DEVNULL, stderr=open(work / "dnsmasq.log", "w"))
    wait_port(SERVERS["dnsmasq"])
    return process


def build_nio() -> Path:
    """cni-dns-nio-bench, which only this benchmark builds (SWIFT_CNI_BENCH adds it and swift-nio)."""
    env = {**os.environ, "SWIFT_CNI_BENCH": "1"}
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "cni-dns-nio-bench"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return ROOT / ".build/release/cni-dns-nio-bench"


def start_nio(binary: Path, data: Path, work: Path) -> subprocess.Popen:
    process = subprocess.Popen([binary, "--data-dir", data, "--address", SERVERS["cni-dns"], "--port", str(NIO_PORT)],
                               stdout=subprocess.DEVNULL, stderr=open(work / "nio.log", "w"))
    try:
        wait_port(SERVERS["cni-dns"], port=NIO_PORT)
    except RuntimeError:
        process.kill()
        raise RuntimeError(f"cni-dns-nio-bench did not answer: {(work / 'nio.log').read_text()}") from None
    return process


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024


def rss_parts(pid: int) -> str:
    """Where the resident memory is: anonymous (heap, stacks) and file-backed (the binary's text)."""
    status = Path(f"/proc/{pid}/status").read_text()
    parts = {name: int(re.search(rf"{name}:\s+(\d+) kB", status).group(1)) / 1024 for name in ("RssAnon", "RssFile")}
    return f"anon {parts['RssAnon']:.1f}, file {parts['RssFile']:.1f}"


def dnsperf(server: str, queries: Path, seconds: float, threads: int, source: str, extra=(), port: int = 53) -> str:
    command = ["dnsperf", "-s", server, "-p", str(port), "-a", source, "-d", str(queries), "-l", str(seconds),
               "-T", str(threads), "-c", str(4 * threads), "-q", "500", *extra]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def throughput(pid: int, server: str, queries: Path, seconds: float, threads: int, source: str, port: int = 53) -> dict:
    before = cpu_seconds(pid)
    output = dnsperf(server, queries, seconds, threads, source, port=port)
    cpu = cpu_seconds(pid) - before
    completed = int(re.search(r"Queries completed:\s+(\d+)", output).group(1))
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", output).group(1))
    return {"qps": qps, "completed": completed, "cpu": cpu, "per_cpu_s": completed / cpu if cpu else float("inf")}


def latency(server: str, queries: Path, source: str, port: int = 53) -> tuple[float, float]:
    output = dnsperf(server, queries, 2, 1, source, ("-Q", str(LATENCY_RATE), "-v"), port=port)
    values = sorted(float(line.split()[-1]) for line in output.splitlines() if line.startswith("> NOERROR"))
    return values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))]


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def rss_with_10k_names(work: Path, netns, processes: dict) -> float:
    """cni-dns's RSS with 10,000 names registered by 10,000 ADDs, and rebuilt by a restart from the
    store; the larger. The responder is kept in `processes` so that the caller stops it."""
    big = work / "big"
    big.mkdir()
    large = start_cni_dns(big, 10000, netns)
    processes["cni-dns-10k"] = large
    rss_added, parts_added = rss_mb(large.pid), rss_parts(large.pid)
    # After a SIGKILL the next start reads all 10,000 records at once: the other way the zone is built.
    large.kill()
    large.wait(5)
    processes["cni-dns-10k"] = restarted = subprocess.Popen(
        [CNI_DNS, "--data-dir", large.data, "--foreground"], stdout=subprocess.DEVNULL,
        stderr=open(work / "cni-dns-restart.log", "w"))
    wait_port(SERVERS["cni-dns"], timeout=10)  # 10,000 records read and decoded before it binds
    rss_reloaded, parts_reloaded = rss_mb(restarted.pid), rss_parts(restarted.pid)
    print(f"cni-dns RSS with 10000 names: {rss_added:.1f} MB ({parts_added}) after the ADDs, "
          f"{rss_reloaded:.1f} MB ({parts_reloaded}) after a restart")
    return max(rss_added, rss_reloaded)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--no-nio", action="store_true", help="leave out the SwiftNIO contender (and its build)")
    parser.add_argument("--rss-only", action="store_true",
                        help="only cni-dns's RSS with 10,000 names (after the ADDs and after a restart)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_dns: needs root (port 53)")
    for tool in ("dnsperf", "dnsmasq"):
        if not shutil.which(tool):
            sys.exit(f"bench_dns: {tool} is not installed")
    if not AARDVARK.exists() or not CNI_DNS.exists() or not DNSNAME.exists():
        sys.exit(f"bench_dns: need {AARDVARK}, {CNI_DNS} and {DNSNAME}")

    work = Path(tempfile.mkdtemp(prefix="swift-cni-bench-dns."))
    processes: dict[str, subprocess.Popen | Forked | Detached] = {}
    gateway = f"{SERVERS['cni-dns']}/32"
    netns = create_netns(f"{NS_PREFIX}benchdns")
    sh("ip", "addr", "add", gateway, "dev", "lo")
    try:
        if args.rss_only:
            print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
            rss_10k = rss_with_10k_names(work, netns, processes)
            print(f"RSS with 10000 names: {rss_10k:.1f} MB (target <= 15): {verdict(rss_10k <= 15)}")
            return 0
        queries = work / "queries"
        queries.write_text("".join(f"name{k}.dns.podman A\n" for k in range(args.names)))
        processes["cni-dns"] = start_cni_dns(work, args.names, netns)
        servers = dict(SERVERS)
        if not args.no_nio:
            processes[NIO] = start_nio(build_nio(), processes["cni-dns"].data, work)
            servers[NIO] = SERVERS["cni-dns"]
        processes["aardvark-dns"] = start_aardvark(work, args.names)
        processes["dnsmasq"] = start_dnsmasq(work, args.names)

        results: dict[tuple[str, int], dict] = {}
        print(f"{args.names} names, {args.seconds:g} s per run, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        print(f"{'server':13} {'threads':>7} {'q/s':>9} {'q per server CPU-s':>19} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>7}")
        for name, ip in servers.items():
            pid, port = processes[name].pid, PORTS.get(name, 53)
            p50, p99 = latency(ip, queries, CLIENT, port)
            for threads in (1, 4):
                result = throughput(pid, ip, queries, args.seconds, threads, CLIENT, port)
                result.update(p50=p50, p99=p99, rss=rss_mb(pid))
                results[(name, threads)] = result
                print(f"{name:13} {threads:7} {result['qps']:9.0f} {result['per_cpu_s']:19.0f} {p50 * 1000:7.3f} "
                      f"{p99 * 1000:7.3f} {result['rss']:7.1f}")
        unregistered = {name: throughput(processes[name].pid, ip, queries, args.seconds, 4, STRANGER, PORTS.get(name, 53))
                        for name, ip in servers.items()}
        print("unregistered client (4 threads): " + "  ".join(
            f"{name} {r['qps']:.0f} q/s ({r['qps'] / results[(name, 4)]['qps']:.2f}x registered)"
            for name, r in unregistered.items()))

        if NIO in processes:
            nio = max(results[(NIO, t)]["qps"] for t in (1, 4))
            ours_now = max(results[("cni-dns", t)]["qps"] for t in (1, 4))
            print(f"cni-dns (recvmmsg loop) vs the SwiftNIO loop over the same Zone: {ours_now / nio:.2f}x q/s, "
                  f"{results[('cni-dns', 4)]['per_cpu_s'] / results[(NIO, 4)]['per_cpu_s']:.2f}x queries per CPU-s, "
                  f"RSS {results[('cni-dns', 4)]['rss']:.1f} / {results[(NIO, 4)]['rss']:.1f} MB")
            processes.pop(NIO).terminate()
        first = processes.pop("cni-dns")
        first.terminate()
        first.wait(5)
        rss_10k = rss_with_10k_names(work, netns, processes)

        ours = max(results[("cni-dns", t)]["qps"] for t in (1, 4))
        aardvark = max(results[("aardvark-dns", t)]["qps"] for t in (1, 4))
        dnsmasq = max(results[("dnsmasq", t)]["qps"] for t in (1, 4))
        per_cpu = results[("cni-dns", 4)]["per_cpu_s"]
        ratio_unregistered = unregistered["cni-dns"]["qps"] / results[("cni-dns", 4)]["qps"]
        print(f"q/s vs dnsmasq: {ours / dnsmasq:.2f}x (target >= 1): {verdict(ours >= dnsmasq)}")
        print(f"q/s vs aardvark-dns: {ours / aardvark:.2f}x (target >= 1.3): {verdict(ours >= 1.3 * aardvark)}")
        print(f"answered queries per server CPU-second: {per_cpu:.0f} (target >= 150000): {verdict(per_cpu >= 150000)}")
        print(f"RSS with 10000 names: {rss_10k:.1f} MB (target <= 15): {verdict(rss_10k <= 15)}")
        print(f"unregistered / registered: {ratio_unregistered:.2f} (target >= 0.8): {verdict(ratio_unregistered >= 0.8)}")
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
        sh("ip", "addr", "del", gateway, "dev", "lo", check=False)
        delete_netns(netns.name)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
