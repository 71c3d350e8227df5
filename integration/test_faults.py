"""Faults: kill -9 at random points of ADD and DEL of the bridge, the macvlan and a bridge+portmap
chain, then what a runtime does next (DEL; GC with no valid attachment; DEL again; ADD again, then
DEL). Afterwards the attachment may hold no lease, no link (container side, host veth, bridge port,
macvlan) and no firewall element.

Kill points are seeded: SWIFT_CNI_FAULT_SEED (default 13) picks them; the seed is printed, and named
in every failure with the round's kill point. A round kills one plugin of the chain (chosen at
random) after a random delay between 0 and that plugin's typical run time for the command, which
each test measures first. The same seed gives the same delays; where in the plugin's work a delay
lands depends on the machine. Many kills land before the plugin has changed anything (start-up is
much of a run), so a test runs SWIFT_CNI_FAULT_ROUNDS rounds (default 8) and then more, up to eight
times as many, until half that many kills have left something behind to clean up.
"""

from __future__ import annotations

import os
import random
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import harness
from harness import Netns, Network, nft
from conftest import STACKS, ours
from test_macvlan import STACKS as MACVLAN_STACKS, host_macvlans_on, make_lan  # noqa: F401 (fixture)

pytestmark = pytest.mark.ours_only

SEED = int(os.environ.get("SWIFT_CNI_FAULT_SEED", "13"))
ROUNDS = int(os.environ.get("SWIFT_CNI_FAULT_ROUNDS", "8"))
VERSION = "1.1.0"  # GC needs it
IFNAME = "eth0"


@dataclass
class Subject:
    """A conflist on a test network (one main plugin, or the bridge then portmap) and what an
    attachment of it holds on this host."""

    name: str
    net: Network
    plugins: list[tuple[Path, dict]]  # in conflist order
    macvlan_master: str | None = None
    veths_before: set[str] = field(default_factory=harness.host_veths)

    @property
    def gc_needs_namespace_gone(self) -> bool:
        """GC assumes a stale attachment's namespace is gone: a macvlan lives only there, so GC
        cannot see it, and a runtime removes the namespace first."""
        return self.macvlan_master is not None

    def run(self, command: str, ns: Netns, container_id: str, cached: dict | None = None,
            kill: tuple[int, float] | None = None) -> harness.ChainRun:
        env = self.net.env(command, ns.path, container_id, IFNAME)
        return harness.run_chain(command, self.plugins, env, cached, kill)

    def gc(self) -> harness.ChainRun:
        """GC as libcni runs it over the list, with no attachment valid."""
        plugins = [(binary, dict(conf, **{"cni.dev/valid-attachments": []})) for binary, conf in self.plugins]
        return harness.run_chain("GC", plugins, harness.plugin_env("GC"))

    def typical_seconds(self, make_netns, container_id) -> dict[str, list[float]]:
        """Median run time of each plugin for ADD and for DEL (both in the order they run), over
        three attachments made after a first one has created the bridge and the store."""
        runs: dict[str, list[list[float]]] = {"ADD": [], "DEL": []}
        ns = make_netns()
        for round_ in range(4):
            cid = container_id()
            added = self.run("ADD", ns, cid).expect_ok()
            deleted = self.run("DEL", ns, cid, added.result).expect_ok()
            if round_:
                runs["ADD"].append([i.seconds for i in added.invocations])
                runs["DEL"].append([i.seconds for i in deleted.invocations])
        harness.delete_netns(ns.name)
        return {command: [statistics.median(column) for column in zip(*rows)] for command, rows in runs.items()}

    def held(self, ns: Netns, container_id: str) -> list[str]:
        """What the attachment still holds, one line per thing; empty when nothing."""
        found = [f"lease {ip} of {'/'.join(owner)}" for ip, owner in self.net.leases().items()]
        if Path(ns.path).exists():
            found += [f"link {name} in {ns.name}" for name in sorted(ns.link_names() - ns.baseline)]
        if self.macvlan_master:
            found += [f"macvlan {name} on the host" for name in host_macvlans_on(self.macvlan_master)]
        else:
            found += [f"host veth {name}" for name in sorted(harness.host_veths() - self.veths_before)]
            found += [f"port {name} of {self.net.bridge}" for name in harness.bridge_ports(self.net.bridge)]
        found += [f"nft element {e[1]} {e[2]} of {e[3]}" for e in nft.owned_by(f"/{container_id}/")]
        return found


def _bridge(make_network, make_lan, session) -> Subject:
    net = make_network(STACKS["ours"])
    return Subject("bridge", net, [(net.stack.bridge, net.conf(VERSION, ipMasq=True, macspoofchk=True))])


def _macvlan(make_network, make_lan, session) -> Subject:
    lan = make_lan(MACVLAN_STACKS["ours"])
    return Subject("macvlan", lan.net, [(lan.net.stack.bridge, lan.conf(VERSION))], macvlan_master=lan.master)


def _bridge_portmap(make_network, make_lan, session) -> Subject:
    net = make_network(STACKS["ours"])
    mappings = [{"hostPort": 31000 + session.unique(), "containerPort": 8080, "protocol": "tcp"},
                {"hostPort": 31000 + session.unique(), "containerPort": 53, "protocol": "udp"}]
    portmap = {"cniVersion": VERSION, "name": net.name, "type": "portmap", "snat": True,
               "runtimeConfig": {"portMappings": mappings}}
    return Subject("bridge+portmap", net, [(net.stack.bridge, net.conf(VERSION, ipMasq=True)),
                                           (ours("portmap"), portmap)])


@pytest.fixture(params=[_bridge, _macvlan, _bridge_portmap], ids=["bridge", "macvlan", "portmap"])
def subject(request, make_network, make_lan, session):
    """The chain under test. At the end, even after a failure, a GC with no valid attachment removes
    whatever the network's attachments still hold; the fixtures remove the rest."""
    chosen = request.param(make_network, make_lan, session)
    yield chosen
    chosen.gc()


class Faults:
    """The seeded kill points of one test on one subject, and what its rounds found."""

    def __init__(self, test: str, subject: Subject, make_netns, container_id):
        self.subject, self.make_netns, self.container_id = subject, make_netns, container_id
        self.typical = subject.typical_seconds(make_netns, container_id)
        self.random = random.Random(f"{SEED}/{test}/{subject.name}")
        self.killed = self.left = 0
        self.where = ""
        print(f"fault seed {SEED} (SWIFT_CNI_FAULT_SEED), {ROUNDS} rounds or more; typical ms: "
              + ", ".join(f"{c} {[round(s * 1000, 2) for s in times]}" for c, times in self.typical.items()))

    def rounds(self, command: str):
        """Yields a fresh namespace, a container ID and a kill point for `command` per round, and
        removes the namespace after the round."""
        round_ = 0
        while round_ < ROUNDS or (self.left < ROUNDS // 2 and round_ < 8 * ROUNDS):
            ns = self.make_netns()
            yield ns, self.container_id(), self._kill_point(round_, command)
            harness.delete_netns(ns.name)
            round_ += 1
        print(f"{self.killed} of {round_} rounds killed a plugin, {self.left} of them left state behind")
        # Kills that all land before a plugin has done anything would prove nothing.
        assert self.left >= 1, f"seed {SEED}: no round's kill left anything to clean up"

    def _kill_point(self, round_: int, command: str) -> tuple[int, float]:
        """`run_chain`'s kill: a plugin of the chain and a delay within its typical run time."""
        times = self.typical[command]
        position = self.random.randrange(len(times))
        delay = self.random.uniform(0, times[position])
        plugins = self.subject.plugins if command == "ADD" else list(reversed(self.subject.plugins))
        self.where = (f"seed {SEED}, round {round_}: {plugins[position][1]['type']} {command} "
                      f"killed after {delay * 1000:.2f} ms")
        return position, delay

    def note(self, run: harness.ChainRun, ns: Netns, container_id: str) -> None:
        """Counts a killed run, and one that left something for the next step to clean up."""
        if run.invocations[-1].killed:
            self.killed += 1
            self.left += bool(self.subject.held(ns, container_id))

    def assert_nothing_held(self, ns: Netns, container_id: str, after: str) -> None:
        held = self.subject.held(ns, container_id)
        assert held == [], f"[{self.where}] after {after}, the attachment still holds:\n" + "\n".join(held)


@pytest.fixture
def faults(request, subject, make_netns, container_id) -> Faults:
    return Faults(request.node.originalname, subject, make_netns, container_id)


def test_kill_during_add_then_del(subject, faults):
    for ns, cid, kill in faults.rounds("ADD"):
        faults.note(subject.run("ADD", ns, cid, kill=kill), ns, cid)
        # The ADD failed, so the runtime has no result to give the DEL.
        subject.run("DEL", ns, cid).expect_ok()
        faults.assert_nothing_held(ns, cid, "DEL")


def test_kill_during_add_then_gc(subject, faults):
    for ns, cid, kill in faults.rounds("ADD"):
        faults.note(subject.run("ADD", ns, cid, kill=kill), ns, cid)
        if subject.gc_needs_namespace_gone:
            harness.delete_netns(ns.name)
        subject.gc().expect_ok()
        faults.assert_nothing_held(ns, cid, "GC")


def test_kill_during_del_then_del_again(subject, faults):
    for ns, cid, kill in faults.rounds("DEL"):
        added = subject.run("ADD", ns, cid).expect_ok()
        faults.note(subject.run("DEL", ns, cid, added.result, kill=kill), ns, cid)
        subject.run("DEL", ns, cid, added.result).expect_ok()
        faults.assert_nothing_held(ns, cid, "the second DEL")


def test_kill_during_add_then_add_again_then_del(subject, faults):
    for ns, cid, kill in faults.rounds("ADD"):
        faults.note(subject.run("ADD", ns, cid, kill=kill), ns, cid)
        again = subject.run("ADD", ns, cid)
        assert again.invocations[-1].returncode == 0, \
            f"[{faults.where}] the repeated ADD failed:\n" + again.invocations[-1].describe()
        # A whole attachment: the addresses of its result are leased to it, and its interface is there.
        leased = sorted(ip for ip, owner in subject.net.leases().items() if owner == (cid, IFNAME))
        assert leased == sorted(ip["address"].split("/")[0] for ip in again.result["ips"]), faults.where
        assert IFNAME in ns.link_names(), faults.where
        subject.run("DEL", ns, cid, again.result).expect_ok()
        faults.assert_nothing_held(ns, cid, "the repeated ADD's DEL")
