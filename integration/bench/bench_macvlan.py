#!/usr/bin/env python3
"""Benchmark: our macvlan + kv-ipam against the reference macvlan + host-local, in one run.

    sudo python3 integration/bench/bench_macvlan.py [--count 200] [--dual-stack 10]

Not a test: it prints figures and the targets beside them, and exits 0 unless something broke.
  ADD median  <= 0.40 x reference ADD median
  DEL median  <= 1.10 x reference DEL median
Also shown, for scale: a bare `ip link add` / `ip link del` of a macvlan in a namespace (the kernel's
own cost, plus one `ip` process), and a few dual-stack ADDs of each (see below).

Both contenders hang their macvlans off the same master: a bridge in the host namespace with one port
(a veth to a neighbour namespace, so the master has a carrier as a real NIC would). The timed runs
are IPv4 only: with IPv6 the reference waits for duplicate address detection to finish (about 2 s
per ADD; ours marks the addresses nodad), which measures the kernel's DAD timer rather than the
plugins, so that is shown separately, untargeted. Namespaces are created outside the timed
regions; every operation is timed from the spawn to the exit of one process, the same way for each
contender. Everything is removed at the end.

Each contender makes all its containers alone, one ADD after another, so that neither pays for the
other's leftovers: the reference's macvlans keep IPv6 on, and the duplicate address detection and
router solicitations that follow take the RTNL lock that every link change, in any namespace, waits
for. DELs then take turns per container, alternating which contender goes first: a DEL is mostly
the kernel waiting out RCU grace periods, whose length drifts with time, so they are compared side
by side.

Our DEL returns once the macvlan has left the namespace and leaves the kernel's freeing of it to a
detached process; the benchmark waits for those after each step, untimed (`lab.settle`).
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from harness import BRIDGE_PREFIX, NS_PREFIX  # noqa: E402
from lab import Namespaces, install_contenders, pick_base, require_root, settle, workspace  # noqa: E402
from figures import summary, verdict  # noqa: E402

ADD_TARGET = 0.40
DEL_TARGET = 1.10


class Contender:
    """One plugin + IPAM on its own network (name, subnet, store), with its namespaces made up front."""

    def __init__(self, label: str, plugin: Path, ipam_type: str, cni_path: tuple[Path, ...], master: str,
                 subnets: list[ipaddress._BaseNetwork], data_dir: Path, namespaces: list[harness.Netns]):
        self.label, self.plugin, self.cni_path, self.namespaces = label, plugin, cni_path, namespaces
        data_dir.mkdir()
        self.conf = {"cniVersion": "1.0.0", "name": f"{NS_PREFIX}bench-{label}", "type": "macvlan",
                     "master": master,
                     "ipam": {"type": ipam_type, "ranges": [[{"subnet": str(s)}] for s in subnets],
                              "dataDir": str(data_dir)}}

    def container_id(self, i: int) -> str:
        return f"{NS_PREFIX}{self.label}-{i}"

    def run(self, command: str, i: int, container_id: str | None = None) -> float:
        env = harness.plugin_env(command, container_id or self.container_id(i), self.namespaces[i].path, "eth0",
                                 self.cni_path)
        result = harness.run_plugin(self.plugin, env, self.conf)
        if result.returncode != 0:
            raise RuntimeError(f"{self.label} {command} failed:\n{result.describe()}")
        return result.seconds


def bare_macvlan(master: str, namespaces: list[harness.Netns]) -> tuple[list[float], list[float]]:
    """Times `ip link add` (created inside the namespace) and `ip link del` of a macvlan on `master`."""
    adds, dels = [], []
    for ns in namespaces:
        start = time.perf_counter()
        subprocess.run(["ip", "link", "add", "eth0", "link", master, "netns", ns.name, "type", "macvlan",
                        "mode", "bridge"], check=True)
        adds.append(time.perf_counter() - start)
    for ns in namespaces:
        start = time.perf_counter()
        subprocess.run(["ip", "-n", ns.name, "link", "del", "eth0"], check=True)
        dels.append(time.perf_counter() - start)
    return adds, dels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="containers per contender (default 200)")
    parser.add_argument("--dual-stack", type=int, default=10, help="dual-stack ADDs per contender (default 10)")
    options = parser.parse_args()
    require_root()
    if options.count > 250:
        raise SystemExit("bench: at most 250 containers per contender (one /24 each)")

    subnets = list(pick_base().subnets(new_prefix=24))
    master = f"{BRIDGE_PREFIX}mv"
    namespaces = Namespaces()

    with workspace() as root:
        ours_dir, reference_dir = install_contenders(root, ["macvlan"], ["macvlan", "host-local"])
        print(f"bench: {options.count} containers per contender")
        print(f"bench: master {master} (a bridge with one port), creating namespaces (not timed)")
        [neighbour] = namespaces(1)
        harness.sh("ip", "link", "add", master, "type", "bridge")
        harness.sh("ip", "link", "set", master, "up")
        harness.sh("ip", "link", "add", f"{master}n", "type", "veth", "peer", "name", "eth0", "netns", neighbour.name)
        harness.sh("ip", "link", "set", f"{master}n", "master", master, "up")
        harness.sh("ip", "-n", neighbour.name, "link", "set", "eth0", "up")

        ours = Contender("ours", ours_dir / "macvlan", "kv-ipam", (ours_dir,), master, [subnets[1]],
                         root / "data-ours", namespaces(options.count))
        reference = Contender("ref", reference_dir / "macvlan", "host-local", (reference_dir,), master, [subnets[2]],
                              root / "data-ref", namespaces(options.count))
        baseline_namespaces = namespaces(options.count)
        v6 = ipaddress.ip_network("fd5c:250::/48").subnets(new_prefix=64)
        ours_dual = Contender("ours6", ours.plugin, "kv-ipam", ours.cni_path, master, [subnets[3], next(v6)],
                              root / "data-ours6", namespaces(options.dual_stack))
        reference_dual = Contender("ref6", reference.plugin, "host-local", reference.cni_path, master,
                                   [subnets[4], next(v6)], root / "data-ref6", namespaces(options.dual_stack))

        # Warm-up: creates the stores and pages the binaries in, so the first timed ADD is not special.
        for contender in (ours, reference):
            contender.run("ADD", 0, f"{NS_PREFIX}{contender.label}-warmup")
            contender.run("DEL", 0, f"{NS_PREFIX}{contender.label}-warmup")

        print("bench: sequential ADD, each contender alone; then DEL, taking turns")
        times = {contender.label: {"ADD": [contender.run("ADD", i) for i in range(options.count)], "DEL": []}
                 for contender in (ours, reference)}
        for i in range(options.count):
            for contender in (ours, reference) if i % 2 == 0 else (reference, ours):
                times[contender.label]["DEL"].append(contender.run("DEL", i))
                settle()

        print("bench: bare `ip link add` / `ip link del` of a macvlan (kernel baseline)")
        bare_add, bare_del = bare_macvlan(master, baseline_namespaces)

        print(f"bench: {options.dual_stack} dual-stack ADDs each")
        dual = {"ours6": [], "ref6": []}
        for i in range(options.dual_stack):
            for contender in (ours_dual, reference_dual):
                dual[contender.label].append(contender.run("ADD", i))

        n = options.count
        add_ratio = statistics.median(times["ours"]["ADD"]) / statistics.median(times["ref"]["ADD"])
        del_ratio = statistics.median(times["ours"]["DEL"]) / statistics.median(times["ref"]["DEL"])
        print()
        print(f"== sequential, {n} containers")
        print(f"ADD  ours macvlan+kv-ipam          {summary(times['ours']['ADD'])}")
        print(f"ADD  reference macvlan+host-local  {summary(times['ref']['ADD'])}")
        print(f"ADD  bare ip link add               {summary(bare_add)}")
        print(f"     ratio ours/reference {add_ratio:.3f}   (target <= {ADD_TARGET:.2f}: "
              f"{verdict(add_ratio <= ADD_TARGET)})")
        print(f"DEL  ours macvlan+kv-ipam          {summary(times['ours']['DEL'])}")
        print(f"DEL  reference macvlan+host-local  {summary(times['ref']['DEL'])}")
        print(f"DEL  bare ip link del               {summary(bare_del)}")
        print(f"     ratio ours/reference {del_ratio:.3f}   (target <= {DEL_TARGET:.2f}: "
              f"{verdict(del_ratio <= DEL_TARGET)})")
        if options.dual_stack:
            print()
            print(f"== dual-stack ADD, {options.dual_stack} containers (no target)")
            print(f"ADD  ours macvlan+kv-ipam          {summary(dual['ours6'])}")
            print(f"ADD  reference macvlan+host-local  {summary(dual['ref6'])}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
