#!/usr/bin/env python3
"""Benchmark: our bridge + kv-ipam against the reference bridge + host-local, in one run.

    sudo python3 integration/bench/bench_bridge.py [--count 200] [--version-runs 300]

Not a test: it prints figures and the targets beside them, and exits 0 unless something broke.
  ADD median            <= 0.30 x reference ADD median
  DEL median            <= 1.25 x a bare `ip link del` of a veth (the kernel's own cost), same run
                           (also shown: the same for a veth that is a bridge port, as the plugin's are)
  2-parallel throughput >= 3 x reference (ADD and DEL of all containers, 2 at a time)
  VERSION start-up      <= reference `loopback` (median of many runs)
Namespaces and veths are created outside the timed regions; every operation is timed from the
spawn to the exit of one process, the same way for every contender. Everything is removed at the end.

Each contender makes all its containers alone, one ADD after another. Run side by side, one plugin's
leftovers bill the other: the reference leaves IPv6 on each host veth, two routes per port in the
host's IPv6 table, and the kernel walks them under the RTNL lock that every link change takes;
interleaved per container, that lock wait added about 1 ms to each of our ADDs (setting the port's
alias went from 0.04 to 0.49 ms). The veths of the kernel baseline are made after the ADDs for the
same reason. DELs then take turns per container with the bare deletions, in rotating order: a DEL is
mostly the kernel waiting out RCU grace periods, whose length drifts with time, so they are compared
side by side.

Our DEL returns once the link has left the namespaces and leaves the kernel's freeing of it to a
detached process. The benchmark adopts those (as a subreaper) and, untimed, waits for them after
each step, so that no deletion of ours still pending bills the next one. In the parallel round it
also prints how long after our last DEL the kernel finished, and the throughput with that counted.
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from harness import BRIDGE_PREFIX, NS_PREFIX, Network, Stack  # noqa: E402
from lab import Namespaces, install_contenders, pick_base, require_root, settle, workspace  # noqa: E402
from figures import summary, verdict  # noqa: E402



class Contender:
    """One stack on its own network, with its namespaces and container IDs made up front."""

    def __init__(self, label: str, network: Network, namespaces: list[harness.Netns]):
        self.label, self.network, self.namespaces = label, network, namespaces
        self.conf = network.conf(version="1.0.0")
        self.round = 0

    def ids(self) -> list[str]:
        return [f"{NS_PREFIX}{self.label}-r{self.round}-{i}" for i in range(len(self.namespaces))]

    def run(self, command: str, i: int, container_id: str) -> harness.Invocation:
        result = self.network.invoke(command, self.conf, self.namespaces[i].path, container_id)
        if result.returncode != 0:
            raise RuntimeError(f"{self.label} {command} failed:\n{result.describe()}")
        return result

    def sequential(self, command: str, ids: list[str]) -> list[float]:
        return [self.run(command, i, cid).seconds for i, cid in enumerate(ids)]

    def parallel(self, command: str, ids: list[str], workers: int = 2) -> tuple[float, list[float]]:
        """(wall seconds, per-operation seconds) for all containers, `workers` processes at a time."""
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda pair: self.run(command, *pair), enumerate(ids)))
        return time.perf_counter() - start, [r.seconds for r in results]


def prepare_veths(namespaces: list[harness.Netns], tag: str, bridge: str | None = None) -> list[str]:
    """Veths with the peer in a namespace, like an attachment's (not timed); with `bridge`, the
    host ends are made ports of it, as the plugin's are."""
    names = [f"{BRIDGE_PREFIX}{tag}{i}" for i in range(len(namespaces))]
    for name, ns in zip(names, namespaces):
        harness.sh("ip", "link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", ns.name)
        if bridge:
            harness.sh("ip", "link", "set", name, "master", bridge)
        harness.sh("ip", "link", "set", name, "up")
        harness.sh("ip", "-n", ns.name, "link", "set", "eth0", "up")
    return names


def time_link_del(name: str) -> float:
    start = time.perf_counter()
    subprocess.run(["ip", "link", "del", "dev", name], check=True)
    return time.perf_counter() - start


def version_startup(binary: Path, runs: int) -> list[float]:
    env = harness.plugin_env("VERSION")
    timings = []
    for _ in range(runs):
        result = harness.run_plugin(binary, env, '{"cniVersion": "1.0.0"}')
        if result.returncode != 0:
            raise RuntimeError(result.describe())
        timings.append(result.seconds)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="containers per contender (default 200)")
    parser.add_argument("--version-runs", type=int, default=300, help="VERSION runs per binary (default 300)")
    options = parser.parse_args()
    require_root()

    base = pick_base()
    blocks = list(base.subnets(new_prefix=22))
    v6_base = ipaddress.ip_network("fd5c:250::/48")
    with workspace() as root:
        ours_dir, reference_dir = install_contenders(root, ["bridge", "kv-ipam"], ["bridge", "host-local", "loopback"])
        print(f"bench: {options.count} containers per contender")
        ours_stack = Stack("ours", ours_dir / "bridge", "kv-ipam", (ours_dir,), lambda *_: {})
        reference_stack = Stack("reference", reference_dir / "bridge", "host-local", (reference_dir,),
                                harness.host_local_leases)
        print("bench: creating namespaces (not timed)")
        namespaces = Namespaces()

        def network(stack: Stack, index: int) -> Network:
            data_dir = root / f"data-{stack.name}"
            data_dir.mkdir()
            v6 = ipaddress.ip_network(f"{v6_base.network_address + (index << 64)}/64")
            return Network(stack, f"{NS_PREFIX}bench-{stack.name}", f"{BRIDGE_PREFIX}b{index}", blocks[index], v6,
                           data_dir)

        ours = Contender("ours", network(ours_stack, 1), namespaces(options.count))
        reference = Contender("ref", network(reference_stack, 2), namespaces(options.count))
        port_bridge = f"{BRIDGE_PREFIX}bp"
        harness.sh("ip", "link", "add", port_bridge, "type", "bridge")
        harness.sh("ip", "link", "set", port_bridge, "up")

        # Warm-up: creates both bridges and the stores, so the first timed ADD is not special.
        for contender in (ours, reference):
            cid = f"{NS_PREFIX}{contender.label}-warmup"
            contender.run("ADD", 0, cid)
            contender.run("DEL", 0, cid)

        print("bench: sequential ADD, each contender alone")
        ids = {c.label: c.ids() for c in (ours, reference)}
        seq = {c.label: {"ADD": c.sequential("ADD", ids[c.label]), "DEL": []} for c in (ours, reference)}
        bare_veths = prepare_veths(namespaces(options.count), "v")
        port_veths = prepare_veths(namespaces(options.count), "p", port_bridge)
        print("bench: sequential DEL, taking turns with bare `ip link del` of a veth and of a bridge port")
        bare, bare_port = [], []
        for i in range(options.count):
            steps = [lambda c=c: seq[c.label]["DEL"].append(c.run("DEL", i, ids[c.label][i]).seconds)
                     for c in (ours, reference)]
            steps += [lambda: bare.append(time_link_del(bare_veths[i])),
                      lambda: bare_port.append(time_link_del(port_veths[i]))]
            for step in steps[i % 4:] + steps[:i % 4]:
                step()
                settle()

        print("bench: 2 in parallel")
        par, drains = {}, {}
        for contender in (ours, reference):
            contender.round += 1
            round_ids = contender.ids()
            add_wall, add_each = contender.parallel("ADD", round_ids)
            del_wall, del_each = contender.parallel("DEL", round_ids)
            drains[contender.label] = settle()
            par[contender.label] = (add_wall, add_each, del_wall, del_each)

        print(f"bench: VERSION start-up, {options.version_runs} runs each (interleaved)")
        startup = {"ours bridge": [], "ours kv-ipam": [], "reference loopback": []}
        binaries = {"ours bridge": ours_dir / "bridge", "ours kv-ipam": ours_dir / "kv-ipam",
                    "reference loopback": reference_dir / "loopback"}
        for _ in range(options.version_runs):
            for label, binary in binaries.items():
                startup[label] += version_startup(binary, 1)

        n = options.count
        add_ratio = statistics.median(seq["ours"]["ADD"]) / statistics.median(seq["ref"]["ADD"])
        del_ratio = statistics.median(seq["ours"]["DEL"]) / statistics.median(bare)
        ours_tp = 2 * n / (par["ours"][0] + par["ours"][2])
        ref_tp = 2 * n / (par["ref"][0] + par["ref"][2])
        version_ratio = statistics.median(startup["ours bridge"]) / statistics.median(startup["reference loopback"])

        print()
        print(f"== sequential, {n} containers")
        print(f"ADD  ours bridge+kv-ipam        {summary(seq['ours']['ADD'])}")
        print(f"ADD  reference bridge+host-local {summary(seq['ref']['ADD'])}")
        print(f"     ratio ours/reference {add_ratio:.3f}   (target <= 0.30: {verdict(add_ratio <= 0.30)})")
        print(f"DEL  ours bridge+kv-ipam        {summary(seq['ours']['DEL'])}")
        print(f"DEL  reference bridge+host-local {summary(seq['ref']['DEL'])}")
        print(f"DEL  bare ip link del           {summary(bare)}")
        print(f"DEL  bare ip link del, bridge port {summary(bare_port)}")
        print(f"     ratio ours/bare {del_ratio:.3f}   (target <= 1.25: {verdict(del_ratio <= 1.25)});"
              f" ours/bare bridge port {statistics.median(seq['ours']['DEL']) / statistics.median(bare_port):.3f}")
        print()
        print(f"== 2 in parallel, {n} containers (ADD all, then DEL all)")
        for label, name in (("ours", "ours bridge+kv-ipam"), ("ref", "reference bridge+host-local")):
            add_wall, add_each, del_wall, del_each = par[label]
            print(f"{name:30s} ADD {n / add_wall:7.1f}/s ({summary(add_each)})   "
                  f"DEL {n / del_wall:7.1f}/s ({summary(del_each)})")
        tp_ratio = ours_tp / ref_tp
        print(f"     ADD+DEL throughput ours {ours_tp:.1f}/s, reference {ref_tp:.1f}/s, ratio {tp_ratio:.2f}"
              f"   (target >= 3: {verdict(tp_ratio >= 3)})")
        drained_tp = 2 * n / (par["ours"][0] + par["ours"][2] + drains["ours"])
        print(f"     the kernel finished freeing our links {drains['ours'] * 1000:.0f} ms after our last DEL;"
              f" counting that, ours {drained_tp:.1f}/s, ratio {drained_tp / ref_tp:.2f}")
        add_tp_ratio = (n / par["ours"][0]) / (n / par["ref"][0])
        print(f"     ADD-only throughput ratio {add_tp_ratio:.2f}   (target >= 3: {verdict(add_tp_ratio >= 3)})")
        print()
        print(f"== VERSION start-up, {options.version_runs} runs")
        for label, values in startup.items():
            print(f"{label:30s} {summary(values)}")
        print(f"     ratio ours bridge/reference loopback {version_ratio:.3f}"
              f"   (target <= 1.0: {verdict(version_ratio <= 1.0)})")
        return 0


if __name__ == "__main__":
    sys.exit(main())
