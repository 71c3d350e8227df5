#!/usr/bin/env python3
"""Benchmark: our bridge (ipMasq) + portmap on nftables against the reference bridge (ipMasq) +
portmap on iptables, in one run.

    sudo python3 integration/bench/bench_portmap.py [--count 200] [--curve 1000]

Not a test: it prints figures and the targets beside them, and exits 0 unless something broke.
  ADD median (bridge + portmap)   <= 0.2 x reference
  DEL median (portmap + bridge)   <= 0.4 x reference
  our ADD at container 1000       <= 1.2 x our ADD at container 10 (the curve)
Every container publishes one TCP port. An ADD is the chain a runtime runs (bridge, then portmap
with its prevResult); a DEL the reverse, with prevResult and runtimeConfig as a runtime passes them.
Each plugin run is timed from spawn to exit; namespaces are made outside the timed regions. Each
contender makes all its containers alone, so that neither pays for the other's leftovers (the
reference bridge leaves IPv6 on every host veth, and the kernel walks their routes under the RTNL
lock every link change takes); the DELs then take turns per container, since a DEL is mostly the
kernel waiting out RCU grace periods whose length drifts with time. The curve attaches `--curve`
containers to one network and prints the median ADD over the ten containers ending at 10, 100, 500
and 1000. Nothing is removed before the curve ends: namespaces deleted earlier would still be torn
down by the kernel, in the background, while the first containers of the curve are timed.

The curve's points are minutes apart, and this machine's speed drifts over minutes (a VERSION run,
printed beside each point, moves by up to a quarter). So the target is judged side by side, as the
DELs are: with the big network back at 999 containers and a second network holding 9, container
1000 of the one and container 10 of the other are added one after the other, in alternating order,
then both removed again (untimed), `--turns` times, and their medians compared. Everything is removed at the end.

Our bridge DEL returns once the link has left the namespaces and leaves the kernel's freeing of it
to a detached process; the benchmark waits for those after each step, untimed (`lab.settle`).
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from harness import BRIDGE_PREFIX, NS_PREFIX, Network, Stack  # noqa: E402
from lab import Namespaces, install_contenders, pick_base, require_root, settle, workspace  # noqa: E402
from figures import MS, summary, verdict  # noqa: E402



class Chain:
    """bridge (ipMasq) then portmap, for one stack on its own network."""

    def __init__(self, label: str, network: Network, portmap: Path, first_port: int):
        self.label, self.network, self.portmap, self.first_port = label, network, portmap, first_port
        self.bridge_conf = network.conf(version="1.0.0", ipMasq=True, isDefaultGateway=True)
        self.results: dict[str, dict] = {}

    def mappings(self, i: int) -> list[dict]:
        return [{"hostPort": self.first_port + i, "containerPort": 8080, "protocol": "tcp"}]

    def plugins(self, i: int) -> list[tuple[Path, dict]]:
        portmap_conf = {"cniVersion": "1.0.0", "name": self.network.name, "type": "portmap",
                        "runtimeConfig": {"portMappings": self.mappings(i)}}
        return [(self.network.stack.bridge, self.bridge_conf), (self.portmap, portmap_conf)]

    def _run(self, command: str, i: int, netns: harness.Netns, cid: str, cached: dict | None) -> harness.ChainRun:
        run = harness.run_chain(command, self.plugins(i), self.network.env(command, netns.path, cid), cached)
        for invocation in run.invocations:
            if invocation.returncode != 0:
                raise RuntimeError(f"{self.label} {command} failed:\n{invocation.describe()}")
        return run

    def container_id(self, i: int, tag: str | None) -> str:
        return f"{NS_PREFIX}{self.label}-{i if tag is None else tag}"

    def add(self, i: int, netns: harness.Netns, tag: str | None = None) -> tuple[float, float]:
        """(bridge seconds, portmap seconds) for container `i`, its ID made of the chain's label and
        `tag` (`i` unless given)."""
        cid = self.container_id(i, tag)
        run = self._run("ADD", i, netns, cid, None)
        self.results[cid] = run.result
        bridge, portmap = run.invocations
        return bridge.seconds, portmap.seconds

    def delete(self, i: int, netns: harness.Netns, tag: str | None = None) -> tuple[float, float]:
        """(portmap seconds, bridge seconds) for what `add` made: a runtime deletes in reverse order,
        giving each plugin the result it cached."""
        cid = self.container_id(i, tag)
        portmap, bridge = self._run("DEL", i, netns, cid, self.results.pop(cid)).invocations
        return portmap.seconds, bridge.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="containers per contender (default 200)")
    parser.add_argument("--curve", type=int, default=1000, help="containers for our ADD curve (default 1000)")
    parser.add_argument("--turns", type=int, default=40,
                        help="ADDs of container 1000 and of container 10, taking turns (default 40 each)")
    options = parser.parse_args()
    require_root()
    if options.curve < 1000:
        raise SystemExit("bench: --curve must be at least 1000 (the curve reports container 1000)")

    base = pick_base()
    blocks = list(base.subnets(new_prefix=21))
    v6_base = ipaddress.ip_network("fd5c:250::/48")
    namespaces = Namespaces()

    def network(stack: Stack, index: int, label: str) -> Network:
        data_dir = root / f"data-{label}"
        data_dir.mkdir()
        v6 = ipaddress.ip_network(f"{v6_base.network_address + (index << 64)}/64")
        return Network(stack, f"{NS_PREFIX}bench-{label}", f"{BRIDGE_PREFIX}p{index}", blocks[index], v6, data_dir)

    with workspace() as root:
        n = options.count
        ours_dir, reference_dir = install_contenders(root, ["bridge", "portmap"], ["bridge", "portmap", "host-local"])
        print(f"bench: {n} containers per contender, one published port each")
        ours_stack = Stack("ours", ours_dir / "bridge", "kv-ipam", (ours_dir,), lambda *_: {})
        reference_stack = Stack("reference", reference_dir / "bridge", "host-local", (reference_dir,),
                                harness.host_local_leases)
        print("bench: creating namespaces (not timed)")
        ours = Chain("ours", network(ours_stack, 1, "ours"), ours_dir / "portmap", 40000)
        reference = Chain("reference", network(reference_stack, 2, "ref"), reference_dir / "portmap", 45000)
        spaces = {"ours": namespaces(n + 1), "reference": namespaces(n + 1)}

        # Warm-up: bridges, stores, tables and chains exist before the first timed ADD.
        for chain in (ours, reference):
            chain.add(n, spaces[chain.label][n], "warmup")
            chain.delete(n, spaces[chain.label][n], "warmup")

        print("bench: sequential ADD, each contender alone; then DEL, taking turns per container")
        times = {label: {"bridge ADD": [], "portmap ADD": [], "ADD": [], "portmap DEL": [], "bridge DEL": [],
                         "DEL": []} for label in ("ours", "reference")}
        for chain in (ours, reference):
            for i in range(n):
                bridge, portmap = chain.add(i, spaces[chain.label][i])
                t = times[chain.label]
                t["bridge ADD"].append(bridge)
                t["portmap ADD"].append(portmap)
                t["ADD"].append(bridge + portmap)
        for i in range(n):
            for chain in ((ours, reference) if i % 2 == 0 else (reference, ours)):
                portmap, bridge = chain.delete(i, spaces[chain.label][i])
                settle()
                t = times[chain.label]
                t["portmap DEL"].append(portmap)
                t["bridge DEL"].append(bridge)
                t["DEL"].append(bridge + portmap)

        print(f"bench: our ADD curve over {options.curve} containers on one network")
        curve_chain = Chain("curve", network(ours_stack, 3, "curve"), ours_dir / "portmap", 50000)
        curve_spaces = namespaces(options.curve)
        curve_parts = []
        startup = {}  # a plugin start with no work (VERSION) at each point: what the machine itself costs
        for i, ns in enumerate(curve_spaces):
            curve_parts.append(curve_chain.add(i, ns))
            if i + 1 in (10, 100, 500, 1000):
                startup[i + 1] = statistics.median(
                    harness.run_plugin(ours_dir / "portmap", harness.plugin_env("VERSION"), "{}").seconds
                    for _ in range(10))
        curve = [sum(parts) for parts in curve_parts]

        print(f"bench: container 1000 and container 10 side by side, {options.turns} turns")
        kept = 999  # container 1000 is the one the turns add
        for i in range(kept, options.curve):
            curve_chain.delete(i, curve_spaces[i])
        small_chain = Chain("small", network(ours_stack, 4, "small"), ours_dir / "portmap", 52000)
        small_spaces = namespaces(9)
        for i, ns in enumerate(small_spaces):
            small_chain.add(i, ns)
        turns = {"1000": [], "10": []}
        arms = [("1000", curve_chain), ("10", small_chain)]
        turn_spaces = iter(namespaces(2 * options.turns))  # made up front, as the curve's are
        for turn in range(options.turns):
            # Both ADDs back to back, then both DELs: only a turn's first ADD follows deletions, and
            # which arm goes first alternates.
            made = []
            for label, chain in (arms if turn % 2 == 0 else arms[::-1]):
                i, ns, tag = 1000 + turn, next(turn_spaces), f"t{turn}"
                turns[label].append(sum(chain.add(i, ns, tag)))
                made.append((chain, i, ns, tag))
            for chain, i, ns, tag in made:
                chain.delete(i, ns, tag)
            settle()
        for i, ns in enumerate(small_spaces):
            small_chain.delete(i, ns)
        for i, ns in enumerate(curve_spaces[:kept]):
            curve_chain.delete(i, ns)

        print()
        print(f"== sequential, {n} containers (bridge with ipMasq, then portmap with one TCP port)")
        for what in ("ADD", "DEL"):
            for label in ("ours", "reference"):
                print(f"{what}  {label:9s} chain   {summary(times[label][what])}")
                for part in (f"bridge {what}", f"portmap {what}"):
                    print(f"       {label:9s} {part.split()[0]:7s} {summary(times[label][part])}")
        add_ratio = statistics.median(times["ours"]["ADD"]) / statistics.median(times["reference"]["ADD"])
        del_ratio = statistics.median(times["ours"]["DEL"]) / statistics.median(times["reference"]["DEL"])
        print(f"     ADD ratio ours/reference {add_ratio:.3f}   (target <= 0.2: {verdict(add_ratio <= 0.2)})")
        print(f"     DEL ratio ours/reference {del_ratio:.3f}   (target <= 0.4: {verdict(del_ratio <= 0.4)})")
        for what in ("ADD", "DEL"):
            ratio = statistics.median(times["ours"][f"portmap {what}"]) / statistics.median(
                times["reference"][f"portmap {what}"])
            print(f"     portmap {what} alone: ratio ours/reference {ratio:.3f}")
        print()
        print("== our ADD (bridge + portmap) as the network fills, median of the 10 containers ending at each point")
        points = {}
        for point in (10, 100, 500, 1000):
            window = curve[point - 10:point]
            points[point] = statistics.median(window)
            bridge = statistics.median(parts[0] for parts in curve_parts[point - 10:point])
            portmap = statistics.median(parts[1] for parts in curve_parts[point - 10:point])
            print(f"container {point:5d}   {points[point] * MS:7.2f} ms   (bridge {bridge * MS:6.2f} ms, "
                  f"portmap {portmap * MS:6.2f} ms; a VERSION run {startup[point] * MS:5.2f} ms)")
        print(f"     container 1000 / container 10 along the curve = {points[1000] / points[10]:.3f}"
              f" (VERSION {startup[1000] / startup[10]:.3f})")
        print("== container 1000 (999 on its network) and container 10 (9 on its network), added in turns")
        for label in ("10", "1000"):
            print(f"container {label:>5s}   {summary(turns[label])}")
        growth = statistics.median(turns["1000"]) / statistics.median(turns["10"])
        print(f"     container 1000 / container 10 = {growth:.3f}   (target <= 1.2: {verdict(growth <= 1.2)})")
        return 0


if __name__ == "__main__":
    sys.exit(main())
