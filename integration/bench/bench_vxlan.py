#!/usr/bin/env python3
"""Benchmark: the vxlan overlay on two namespace hosts, against our bridge on the same host (on the same etcd, and on its local store).

    sudo python3 integration/bench/bench_vxlan.py [--count 30] [--latency-count 50] [--tcp-seconds 5]

Not a test: it prints figures and the targets beside them, and exits 0 unless something broke.
  ADD median                 <= 1.3 x our bridge's ADD median, printed against bridge with kv-ipam on the same
                             etcd and against bridge on its default local store (as bridge users run it)
  ADD on A -> first ping answer from B, p50 and p95 over --latency-count containers: p95 <= 200 ms in l2
                             mode, <= 50 ms in routed mode (a second overlay, on the same hosts and etcd)
Hosts are namespaces on an underlay bridge in a switch namespace, where etcd runs
(integration/harness/overlay.py). Both plugins run on host A through the same wrapper (nsenter into
A's namespace), ADDs alternating per container, each timed from spawn to exit. The latency is
measured from ADD's return to the timestamp (`ping -D`) of the first answer of a ping every 2 ms
started right after it, from a container on host B: it includes B's agent seeing the record through
its etcd watch and programming its VXLAN device, and the ping process's start (a few ms). In routed
mode A's host subnet is routed on B from A's first container on (printed as one sample), so the
containers after it need nothing new on B.
TCP throughput (iperf3, one stream, --tcp-seconds each, no target: reported) from B's container to
a container on A over the overlay, then from host B's namespace to host A's over the bare underlay,
and the ratio overlay/underlay.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from harness import NS_PREFIX  # noqa: E402
from harness.overlay import build_cluster  # noqa: E402
from harness.processes import plugin_env, run_plugin, wait_until  # noqa: E402
from figures import MS, percentile, summary, verdict  # noqa: E402
from lab import pick_base, require_root  # noqa: E402


IPERF_PORT = 5201


def tcp_throughput(server: harness.Netns, client: harness.Netns, address: str, seconds: int) -> float:
    """Bits/s received by a one-shot `iperf3 -s -1` bound to `address` in `server`, from one TCP
    stream of `seconds` sent by `iperf3 -c` in `client`."""
    in_server = ["nsenter", f"--net={server.path}", "--"]
    proc = subprocess.Popen([*in_server, "iperf3", "-s", "-1", "-B", address, "-p", str(IPERF_PORT)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def listening() -> bool:
            if proc.poll() is not None:
                raise SystemExit(f"iperf3 server on {address} exited: {proc.stderr.read()}")
            return bool(subprocess.run([*in_server, "ss", "-Hltn", f"sport = :{IPERF_PORT}"],
                                       capture_output=True, text=True).stdout.strip())
        wait_until(listening, timeout=5, what=f"iperf3 listening on {address}")
        run = subprocess.run(["nsenter", f"--net={client.path}", "--", "iperf3", "-c", address,
                              "-p", str(IPERF_PORT), "-t", str(seconds), "-J"],
                             capture_output=True, text=True, timeout=seconds + 30)
        report = json.loads(run.stdout) if run.stdout.strip() else {}
        if run.returncode != 0 or "error" in report:
            raise SystemExit(f"iperf3 to {address} failed: {report.get('error', '')}{run.stderr}")
        proc.wait(timeout=10)
        return report["end"]["sum_received"]["bits_per_second"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--latency-count", type=int, default=50)
    parser.add_argument("--tcp-seconds", type=int, default=5)
    args = parser.parse_args()
    require_root()
    harness.sweep_dead_sessions()
    base = pick_base()
    underlay, overlay, bridged, bridged_local = (ipaddress.ip_network(f"{base.network_address + (i << 8)}/24")
                                                 for i in (1, 2, 3, 4))
    routed = ipaddress.ip_network(f"{base.network_address + (16 << 8)}/20")
    root = Path(tempfile.mkdtemp(prefix=f"sct{harness.PID}-bench-"))
    made: list[str] = []

    def make_netns() -> harness.Netns:
        name = f"{NS_PREFIX}{len(made) + 1}"
        made.append(name)
        return harness.create_netns(name)

    cluster = None
    try:
        cluster = build_cluster(make_netns, underlay, root, count=2)
        a, b = cluster.hosts
        name = f"{NS_PREFIX}overlay"
        vxlan_a = cluster.conf(a, name, 4242, overlay)
        vxlan_b = cluster.conf(b, name, 4242, overlay)
        # Routed mode with the default host subnets (/24) of a /20: kv-ipam gets A's host subnet from the plugin.
        routed_a, routed_b = ({**cluster.conf(h, f"{NS_PREFIX}routed", 4243, routed), "mode": "routed",
                               "subnet": str(routed), "ipam": {"type": "kv-ipam", "dataDir": str(h.data_dir)}}
                              for h in (a, b))
        store = cluster.store(a)
        bridge_a = {"cniVersion": "1.0.0", "name": f"{NS_PREFIX}bridged", "type": "bridge", "bridge": "benchbr0",
                    "isGateway": True, "isDefaultGateway": True,
                    "ipam": {"type": "kv-ipam", "ranges": [[{"subnet": str(bridged)}]], "store": store,
                             "dataDir": str(a.data_dir)}}
        # As bridge users run it: kv-ipam on the host's own store (SQLite in its dataDir).
        local_a = {"cniVersion": "1.0.0", "name": f"{NS_PREFIX}bridgedlocal", "type": "bridge", "bridge": "benchbr1",
                   "isGateway": True, "isDefaultGateway": True,
                   "ipam": {"type": "kv-ipam", "ranges": [[{"subnet": str(bridged_local)}]],
                            "dataDir": str(a.data_dir / "local")}}

        def add(host, plugin, conf, ns, cid):
            env = plugin_env("ADD", cid, ns.path, "eth0", [harness.ours_dir()])
            return run_plugin(host.plugin(plugin), env, conf).expect_ok()

        def first_answer(host, conf, pinger, label) -> float:
            """Seconds from an ADD on `host` returning to the first answer of its container to `pinger`."""
            run = add(host, "vxlan", conf, make_netns(), f"{NS_PREFIX}lat-{label}")
            returned = time.time()
            address = run.json["ips"][0]["address"].split("/")[0]
            ping = subprocess.run(["nsenter", f"--net={pinger.path}", "--", "ping", "-4", "-D", "-n", "-i", "0.002",
                                   "-c", "1", "-w", "3", address], capture_output=True, text=True)
            answer = re.search(r"^\[(\d+\.\d+)\] \d+ bytes from", ping.stdout, re.M)
            if not answer:
                raise SystemExit(f"no answer from {address} within 3 s:\n{ping.stdout}{ping.stderr}")
            return float(answer.group(1)) - returned

        # B's pinger, and one warm-up ADD of each plugin on A (first use creates the bridges and the device).
        pinger = make_netns()
        add(b, "vxlan", vxlan_b, pinger, f"{NS_PREFIX}pinger")
        add(a, "vxlan", vxlan_a, make_netns(), f"{NS_PREFIX}warm-v")
        add(a, "bridge", bridge_a, make_netns(), f"{NS_PREFIX}warm-b")
        add(a, "bridge", local_a, make_netns(), f"{NS_PREFIX}warm-l")

        print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        contenders = {"vxlan": ("vxlan", vxlan_a), "bridge etcd": ("bridge", bridge_a), "bridge local": ("bridge", local_a)}
        times = {label: [] for label in contenders}
        for index in range(args.count):
            # Each contender in turn first, so that none always follows another.
            labels = list(contenders)[index % 3:] + list(contenders)[:index % 3]
            for label in labels:
                plugin, conf = contenders[label]
                run = add(a, plugin, conf, make_netns(), f"{NS_PREFIX}{label.replace(' ', '-')}-{index}")
                times[label].append(run.seconds)
        for label, values in times.items():
            print(f"ADD {label:12} ({args.count}): {summary(values)}")
        # The target is judged against our bridge on the same store as the vxlan (etcd); the ratio
        # against bridge on its local store is reported beside it.
        ratio = statistics.median(times["vxlan"]) / statistics.median(times["bridge etcd"])
        print(f"ADD ratio vxlan/bridge etcd (same store): {ratio:.2f}  (target <= 1.3: {verdict(ratio <= 1.3)})")
        ratio = statistics.median(times["vxlan"]) / statistics.median(times["bridge local"])
        print(f"ADD ratio vxlan/bridge local: {ratio:.2f}  (reported; the target is against bridge etcd)")

        def first_answers(conf, pinger, label, target):
            latencies = [first_answer(a, conf, pinger, f"{label}-{index}") for index in range(args.latency_count)]
            p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
            print(f"ADD on A -> first answer from B, {label} ({args.latency_count}): p50 {p50 * MS:.1f} ms   "
                  f"p95 {p95 * MS:.1f} ms  (target p95 <= {target * MS:.0f} ms: {verdict(p95 <= target)})")

        first_answers(vxlan_a, pinger, "l2", 0.2)

        # Routed mode: B's pinger on B's host subnet, then A's first container (which leases A's host
        # subnet, so B's agent must route it), then containers on a host subnet B already routes.
        routed_pinger = make_netns()
        add(b, "vxlan", routed_b, routed_pinger, f"{NS_PREFIX}routed-pinger")
        print(f"ADD on A -> first answer from B, routed, A's first container (1): "
              f"{first_answer(a, routed_a, routed_pinger, 'routed-first') * MS:.1f} ms")
        first_answers(routed_a, routed_pinger, "routed", 0.05)

        receiver = make_netns()
        run = add(a, "vxlan", vxlan_a, receiver, f"{NS_PREFIX}iperf")
        overlay_bps = tcp_throughput(receiver, pinger, run.json["ips"][0]["address"].split("/")[0], args.tcp_seconds)
        underlay_bps = tcp_throughput(a.netns, b.netns, a.address, args.tcp_seconds)
        print(f"TCP B -> A, 1 stream, {args.tcp_seconds} s: overlay {overlay_bps / 1e9:.2f} Gbit/s   "
              f"bare underlay {underlay_bps / 1e9:.2f} Gbit/s   ratio overlay/underlay {overlay_bps / underlay_bps:.2f}")
        print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        return 0
    finally:
        if cluster:
            cluster.teardown()
        for name in made:
            harness.delete_netns(name)
        harness.sweep()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
