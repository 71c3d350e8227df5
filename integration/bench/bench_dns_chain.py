#!/usr/bin/env python3
"""Benchmark: the cost of names in the chain. Our bridge + dnsname (records in the store, one
cni-dns for the host) against the reference bridge + host-local + containers/dnsname (Debian's
golang-github-containernetworking-plugin-dnsname, which writes hosts files and starts or signals a
dnsmasq per network), in one run.

    sudo python3 integration/bench/bench_dns_chain.py [--count 100]

Not a test: it prints figures and the target beside them, and exits 0 unless something broke.
  ADD median (bridge + dnsname)   <= 0.2 x reference
Every container has a name (K8S_POD_NAME) and one alias. Each contender attaches its containers
alone, on its own network, each plugin run timed from spawn to exit; namespaces are made outside
the timed regions. The first ADD of each contender starts its server (cni-dns, dnsmasq) and is
reported on its own, outside the medians: it happens once per host (ours) or network (theirs).
Then every container is removed again (DEL, timed and reported), which ends both servers.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402
from harness import BRIDGE_PREFIX, NS_PREFIX, Network, Stack  # noqa: E402
from harness.dns import responder_pids  # noqa: E402
from lab import Namespaces, install_contenders, pick_base, require_root, workspace  # noqa: E402
from figures import MS, summary, verdict  # noqa: E402

REFERENCE_STATE = Path("/run/containers/cni/dnsname")  # containers/dnsname's fixed state directory


class Chain:
    """bridge then dnsname, for one stack on its own network."""

    def __init__(self, label: str, network: Network, dnsname: Path, dns_conf: dict):
        self.label, self.network, self.dnsname = label, network, dnsname
        self.bridge_conf = network.conf(version="1.0.0")
        self.dns_conf = {"cniVersion": "1.0.0", "name": network.name, "type": "dnsname",
                         "domainName": "dns.podman", "capabilities": {"aliases": True}, **dns_conf}
        self.results: dict[str, dict] = {}

    def plugins(self, i: int) -> list[tuple[Path, dict]]:
        conf = dict(self.dns_conf, runtimeConfig={"aliases": {self.network.name: [f"alias{i}"]}})
        return [(self.network.stack.bridge, self.bridge_conf), (self.dnsname, conf)]

    def _run(self, command: str, i: int, netns: harness.Netns, cached: dict | None) -> harness.ChainRun:
        cid = f"{NS_PREFIX}{self.label}-{i}"
        env = self.network.env(command, netns.path, cid, args=f"IgnoreUnknown=1;K8S_POD_NAME={self.label}{i}")
        run = harness.run_chain(command, self.plugins(i), env, cached)
        for invocation in run.invocations:
            if invocation.returncode != 0:
                raise RuntimeError(f"{self.label} {command} failed:\n{invocation.describe()}")
        return run

    def add(self, i: int, netns: harness.Netns) -> tuple[float, float]:
        run = self._run("ADD", i, netns, None)
        self.results[str(i)] = run.result
        bridge, dnsname = run.invocations
        return bridge.seconds, dnsname.seconds

    def delete(self, i: int, netns: harness.Netns) -> tuple[float, float]:
        dnsname, bridge = self._run("DEL", i, netns, self.results.pop(str(i))).invocations
        return dnsname.seconds, bridge.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="containers per contender (default 100)")
    options = parser.parse_args()
    require_root()
    base = pick_base()
    blocks = list(base.subnets(new_prefix=22))
    v6_base = ipaddress.ip_network("fd5c:250::/48")
    namespaces = Namespaces()

    with workspace() as root:
        n = options.count
        ours_dir, reference_dir = install_contenders(root, ["bridge", "dnsname", "cni-dns"],
                                                     ["bridge", "host-local", "dnsname"])

        def network(stack: Stack, index: int, label: str) -> Network:
            data_dir = root / f"data-{label}"
            data_dir.mkdir()
            v6 = ipaddress.ip_network(f"{v6_base.network_address + (index << 64)}/64")
            return Network(stack, f"{NS_PREFIX}dns-{label}", f"{BRIDGE_PREFIX}d{index}", blocks[index], v6, data_dir)

        ours_stack = Stack("ours", ours_dir / "bridge", "kv-ipam", (ours_dir,), lambda *_: {})
        reference_stack = Stack("reference", reference_dir / "bridge", "host-local", (reference_dir,),
                                harness.host_local_leases)
        ours_net = network(ours_stack, 1, "ours")
        ours = Chain("ours", ours_net, ours_dir / "dnsname", {"dataDir": str(ours_net.data_dir / "dns"),
                                                             "upstreams": ["127.0.0.1:9"]})
        reference = Chain("ref", network(reference_stack, 2, "ref"), reference_dir / "dnsname", {})
        print(f"bench: {n} containers per contender, each with a name and an alias; creating namespaces (not timed)")
        spaces = {chain.label: namespaces(n + 1) for chain in (ours, reference)}

        times = {chain.label: {k: [] for k in ("bridge ADD", "dnsname ADD", "ADD", "dnsname DEL", "bridge DEL", "DEL")}
                 for chain in (ours, reference)}
        first = {}
        try:
            for chain in (ours, reference):
                for i in range(n + 1):
                    bridge, dnsname = chain.add(i, spaces[chain.label][i])
                    if i == 0:
                        first[chain.label] = (bridge, dnsname)
                        continue
                    t = times[chain.label]
                    t["bridge ADD"].append(bridge)
                    t["dnsname ADD"].append(dnsname)
                    t["ADD"].append(bridge + dnsname)
            for i in range(n, -1, -1):
                for chain in ((ours, reference) if i % 2 == 0 else (reference, ours)):
                    dnsname, bridge = chain.delete(i, spaces[chain.label][i])
                    if i == 0:
                        continue
                    t = times[chain.label]
                    t["dnsname DEL"].append(dnsname)
                    t["bridge DEL"].append(bridge)
                    t["DEL"].append(bridge + dnsname)
        finally:
            stray = responder_pids(ours_net.data_dir / "dns")
            for pid in stray:
                os.kill(pid, 9)
            pidfile = REFERENCE_STATE / reference.network.name / "pidfile"
            if pidfile.exists():
                try:
                    os.kill(int(pidfile.read_text().split()[0]), 9)
                    stray.append("dnsmasq")
                except (ValueError, ProcessLookupError):
                    pass
            harness.sh("rm", "-rf", str(REFERENCE_STATE / reference.network.name))
            if stray:
                print(f"bench: servers still running after the last DEL, killed: {stray}")

        print()
        print(f"== sequential, {n} containers (bridge, then dnsname with a name and one alias)")
        for label, chain in (("ours", ours), ("reference", reference)):
            bridge, dnsname = first[chain.label]
            print(f"first ADD {label:9s} bridge {bridge * MS:7.2f} ms   dnsname {dnsname * MS:7.2f} ms (starts the server)")
        for what in ("ADD", "DEL"):
            for label, chain in (("ours", ours), ("reference", reference)):
                t = times[chain.label]
                print(f"{what}  {label:9s} chain   {summary(t[what])}")
                for part in (f"bridge {what}", f"dnsname {what}"):
                    print(f"       {label:9s} {part.split()[0]:7s} {summary(t[part])}")
        ratio = statistics.median(times["ours"]["ADD"]) / statistics.median(times["ref"]["ADD"])
        part = statistics.median(times["ours"]["dnsname ADD"]) / statistics.median(times["ref"]["dnsname ADD"])
        print(f"     ADD ratio ours/reference {ratio:.3f}   (target <= 0.2: {verdict(ratio <= 0.2)})")
        print(f"     dnsname ADD alone, ours/reference {part:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
