#!/usr/bin/env python3
"""Benchmark: `netctl add` + `del` of a bridge conflist, against cnitool doing the same and against
the plugin run directly, in one run.

    sudo python3 integration/bench/bench_netctl.py [--count 100]

Not a test: it prints figures and the target beside them, and exits 0 unless something broke.
  netctl's own overhead (its median minus the plugin's, ADD and DEL each) <= 1 ms
Both wall time and CPU time are shown: on a loaded machine wall time mostly measures waits for a CPU
(each extra process of a runner is one more wait), CPU time what each contender itself costs.

The conflist is one plugin, our bridge with kv-ipam. Three contenders attach a namespace each per
round, in rotating order, every operation timed from spawn to exit of one process:
  plugin   the bridge executable, run with the environment and stdin a runtime builds (the floor);
  netctl   `netctl add|del NETWORK NETNS` (config loading, VERSION-free chaining, the result cache);
  cnitool  cnitool's main over Debian's libcni (golang-github-containernetworking-cni-dev), built
           here with Debian's Go: the package ships libcni's source but not cnitool's, so the
           benchmark builds the same few lines cnitool/cnitool.go runs (LoadConfList,
           AddNetworkList/DelNetworkList with the cnitool-<sha512> container ID), nothing vendored.
Without Go or that package, cnitool is left out and said so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from figures import MS, summary, verdict  # noqa: E402
from lab import Namespaces, install_contenders, pick_base, require_root, settle, workspace  # noqa: E402

CPU: dict[str, list[float]] = {}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str], stdin: bytes = b"", label: str = "") -> tuple[float, bytes]:
    """Wall time from spawn to exit; the CPU time of the process and of every process it waited for
    (the plugin, for a runner) goes to CPU[label]."""
    cpu = cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, input=stdin, capture_output=True)
    elapsed = time.perf_counter() - start
    CPU.setdefault(label, []).append(cpu_seconds() - cpu)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout.decode()}\n{proc.stderr.decode()}")
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="rounds (each contender attaches one namespace per round)")
    args = parser.parse_args()
    require_root()
    print(f"bench: load before the run: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")

    with workspace() as root:
        bin_dir, _ = install_contenders(root, ["bridge", "kv-ipam", "netctl"], [])
        cnitool = harness.build_cnitool(root)
        print(f"bench: {harness.cnitool_availability()}")
        conf_dir, cache_dir, data_dir = root / "net.d", root / "cache", root / "data"
        conf_dir.mkdir()
        network = f"{harness.NS_PREFIX}bench"
        bridge = f"{harness.BRIDGE_PREFIX}nc"
        plugin = {"type": "bridge", "bridge": bridge, "isGateway": True,
                  "ipam": {"type": "kv-ipam", "ranges": [[{"subnet": str(pick_base())}]], "dataDir": str(data_dir)}}
        conflist = {"cniVersion": "1.0.0", "name": network, "plugins": [plugin]}
        (conf_dir / "10-bench.conflist").write_text(json.dumps(conflist))
        request = {**plugin, "name": network, "cniVersion": "1.0.0"}

        base_env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
        netctl = [str(bin_dir / "netctl")]
        paths = ["--conf-dir", str(conf_dir), "--cache-dir", str(cache_dir), "--plugin-dir", str(bin_dir)]
        tool_env = {**base_env, "NETCONFPATH": str(conf_dir), "CNI_PATH": str(bin_dir), "CNI_CACHE_DIR": str(root / "libcni-cache")}

        def plugin_env(command: str, ns: harness.Netns, cid: str) -> dict[str, str]:
            return {**base_env, "CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": ns.path,
                    "CNI_IFNAME": "eth0", "CNI_PATH": str(bin_dir)}

        def run_plugin(ns: harness.Netns, n: int) -> tuple[float, float]:
            cid = f"direct-{n}"
            add, result = timed([str(bin_dir / "bridge")], plugin_env("ADD", ns, cid), json.dumps(request).encode(), "plugin ADD")
            settle()
            stdin = json.dumps({**request, "prevResult": json.loads(result)}).encode()
            delete, _ = timed([str(bin_dir / "bridge")], plugin_env("DEL", ns, cid), stdin, "plugin DEL")
            return add, delete

        def run_netctl(ns: harness.Netns, n: int) -> tuple[float, float]:
            add, _ = timed(netctl + ["add", network, ns.path, "--json"] + paths, base_env, label="netctl ADD")
            settle()
            delete, _ = timed(netctl + ["del", network, ns.path] + paths, base_env, label="netctl DEL")
            return add, delete

        def run_cnitool(ns: harness.Netns, n: int) -> tuple[float, float]:
            add, _ = timed([str(cnitool), "add", network, ns.path], tool_env, label="cnitool ADD")
            settle()
            delete, _ = timed([str(cnitool), "del", network, ns.path], tool_env, label="cnitool DEL")
            return add, delete

        contenders = {"plugin": run_plugin, "netctl": run_netctl}
        if cnitool:
            contenders["cnitool"] = run_cnitool
        figures = {name: ([], []) for name in contenders}
        namespaces = Namespaces()
        names = list(contenders)
        # One untimed round first: the bridge, the store and the page cache exist before timing starts.
        for name, ns in zip(names, namespaces(len(names))):
            contenders[name](ns, -1)
            settle()
        for n in range(args.count):
            order = names[n % len(names):] + names[:n % len(names)]
            for name, ns in zip(order, namespaces(len(order))):
                add, delete = contenders[name](ns, n)
                settle()
                figures[name][0].append(add)
                figures[name][1].append(delete)
                harness.delete_netns(ns.name)

        print(f"bench: {args.count} rounds, load after: {os.getloadavg()[0]:.2f} (1 min)")
        print("wall time, spawn to exit:")
        for name, (adds, dels) in figures.items():
            print(f"  {name:8s} ADD {summary(adds)}   DEL {summary(dels)}")
        print("CPU time (user + system of the process and those it waited for; untouched by waits for a CPU):")
        for name in names:
            print(f"  {name:8s} ADD median {statistics.median(CPU[name + ' ADD']) * MS:7.2f} ms   "
                  f"DEL median {statistics.median(CPU[name + ' DEL']) * MS:7.2f} ms")
        verdicts = []
        for name in [n for n in names if n != "plugin"]:
            for index, op in enumerate(["ADD", "DEL"]):
                wall = (statistics.median(figures[name][index]) - statistics.median(figures["plugin"][index])) * MS
                cpu = (statistics.median(CPU[f"{name} {op}"]) - statistics.median(CPU[f"plugin {op}"])) * MS
                print(f"  {name:8s} {op} overhead over the plugin: wall {wall:+.2f} ms, CPU {cpu:+.2f} ms")
                if name == "netctl":
                    verdicts.append((op, wall, cpu))
        for op, wall, cpu in verdicts:
            print(f"  target: netctl's {op} overhead <= 1 ms: CPU {cpu:+.2f} ms {verdict(cpu <= 1.0)}; "
                  f"wall {wall:+.2f} ms {verdict(wall <= 1.0)}")
        if cnitool:
            for index, op in enumerate(["ADD", "DEL"]):
                ratio = statistics.median(figures["netctl"][index]) / statistics.median(figures["cnitool"][index])
                cpu_ratio = statistics.median(CPU[f"netctl {op}"]) / statistics.median(CPU[f"cnitool {op}"])
                print(f"  netctl / cnitool {op}: wall {ratio:.2f}, CPU {cpu_ratio:.2f}")
        harness.delete_bridge(bridge)


if __name__ == "__main__":
    main()
