"""Fixtures for the integration tests: namespaces, networks and plugin stacks, always cleaned up.

Run with `python3 -m pytest integration` as root. `--stack reference` (or SWIFT_CNI_STACK=reference)
runs the generic tests against the reference bridge + host-local instead of ours, which checks the
harness itself; tests marked `ours_only` are skipped then.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import harness
from harness.overlay import build_cluster
from harness import (BRIDGE_PREFIX, NS_PREFIX, PID, REFERENCE_DIR, Network, Stack, create_netns, delete_bridge,
                     delete_netns, host_local_leases, ours_dir)

# --------------------------------------------------------------------------------------------
# The one place that reads kv-ipam's leases. Tests assert leases only through this.


def leases(data_dir: Path, network: str) -> dict[str, tuple[str, str]]:
    """Leases of `network` in the kv-ipam store under `data_dir`: {ip: (container ID, ifname)}.

    Asks `kv-ipam leases`, so no test knows how the store keeps them. No store yet means no leases.
    """
    query = subprocess.run([str(ours_dir() / "kv-ipam"), "leases", "--data-dir", os.path.abspath(data_dir),
                            "--network", network], capture_output=True, text=True, timeout=30)
    assert query.returncode == 0, f"kv-ipam leases exited {query.returncode}:\n{query.stderr}"
    return {ip: (lease["containerID"], lease["ifname"]) for lease in json.loads(query.stdout) for ip in lease["ips"]}


def store_file(data_dir: Path) -> Path | None:
    """The kv-ipam SQLite database in `data_dir` (there must be at most one), or None."""
    if not data_dir.is_dir():
        return None
    candidates = [p for p in data_dir.iterdir()
                  if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal"))
                  and p.read_bytes()[:16] == b"SQLite format 3\x00"]
    assert len(candidates) <= 1, f"expected one SQLite store in {data_dir}, found {candidates}"
    return candidates[0] if candidates else None


# --------------------------------------------------------------------------------------------
# Stacks


def _stacks() -> dict[str, Stack]:
    ours, ref = ours_dir(), REFERENCE_DIR
    return {
        "ours": Stack("ours", ours / "bridge", "kv-ipam", (ours, ref), leases),
        "reference": Stack("reference", ref / "bridge", "host-local", (ref,), host_local_leases, "1.0.0"),
        "ours-bridge+host-local": Stack("ours-bridge+host-local", ours / "bridge", "host-local", (ref, ours),
                                        host_local_leases),
        "reference-bridge+kv-ipam": Stack("reference-bridge+kv-ipam", ref / "bridge", "kv-ipam", (ours, ref),
                                          leases, "1.0.0"),
    }


STACKS = _stacks()


def pytest_addoption(parser):
    parser.addoption("--stack", default=os.environ.get("SWIFT_CNI_STACK", "ours"), choices=["ours", "reference"],
                     help="run the generic tests against our plugins (default) or the reference ones")


def pytest_configure(config):
    config.addinivalue_line("markers", "ours_only: exercises behaviour only our plugins have")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--stack") == "reference":
        skip = pytest.mark.skip(reason="--stack reference: tests our plugins only")
        for item in items:
            if "ours_only" in item.keywords:
                item.add_marker(skip)


def require(stack: Stack) -> Stack:
    missing = [str(p) for p in stack.executables if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"stack {stack.name}: missing executables {missing} "
                    f"(build with `swift build -c release`, or set SWIFT_CNI_BIN)", pytrace=False)
    return stack


def ours(name: str) -> Path:
    """Path of one of our executables, failing the test clearly when it was not built."""
    path = ours_dir() / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not built (run `swift build -c release`, or set SWIFT_CNI_BIN)", pytrace=False)
    return path


@pytest.fixture
def stack(request) -> Stack:
    """The stack the generic tests run against (ours unless --stack reference)."""
    return require(STACKS[request.config.getoption("--stack")])


# --------------------------------------------------------------------------------------------
# Session set-up: address space, temp root, sweeps


class Session:
    def __init__(self):
        # A /15: room for 512 networks of a /24 each in one session.
        self.v4_base = self._pick(["10.250.0.0/15", "10.252.0.0/15", "10.246.0.0/15", "10.248.0.0/15"])
        self.v6_base = self._pick(["fd5c:250::/48", "fd5c:251::/48", "fd5c:252::/48"])
        self.root = Path(tempfile.mkdtemp(prefix=f"sct{PID}-"))
        self._subnets = itertools.count(1)
        self._names = itertools.count(1)

    @staticmethod
    def _pick(candidates: list[str]):
        for text in candidates:
            network = ipaddress.ip_network(text)
            if not harness.host_routes_overlap(network):
                return network
        pytest.exit(f"every candidate test range {candidates} overlaps a host route", returncode=3)

    def unique(self) -> int:
        return next(self._names)

    def subnets(self) -> tuple[ipaddress.IPv4Network, ipaddress.IPv6Network]:
        index = next(self._subnets)
        count = 1 << (24 - self.v4_base.prefixlen)
        assert index < count, f"test session ran out of its {count} /24s"
        v4 = ipaddress.ip_network(f"{self.v4_base.network_address + (index << 8)}/24")
        v6 = ipaddress.ip_network(f"{self.v6_base.network_address + (index << 64)}/64")
        return v4, v6


@pytest.fixture(scope="session")
def session():
    harness.sweep_dead_sessions()
    reference_tables = harness.absent_reference_tables()
    state = Session()
    yield state
    harness.sweep()
    harness.remove_reference_tables(reference_tables)
    shutil.rmtree(state.root, ignore_errors=True)


@pytest.fixture
def tmp_root(session) -> Path:
    path = Path(tempfile.mkdtemp(prefix="t", dir=session.root))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def etcd(tmp_root):
    """A real etcd on free loopback ports with a scratch data directory, stopped at teardown."""
    server = harness.EtcdServer(tmp_root)
    yield server
    server.stop()


@pytest.fixture
def make_netns(session):
    """Factory for namespaces `sct<pid>-<n>`, all deleted (with /etc/netns/<n>) at teardown."""
    made = []

    def make() -> harness.Netns:
        name = f"{NS_PREFIX}{session.unique()}"
        made.append(name)
        return create_netns(name)

    yield make
    for name in made:
        delete_netns(name)


@pytest.fixture
def container_id(session):
    """Factory for unique, valid container IDs."""
    return lambda: f"{NS_PREFIX}c{session.unique()}"


@pytest.fixture
def make_network(session, request):
    """Factory for networks with their own bridge `scbr<pid%1000><n>`, subnets and dataDir."""
    made: list[Network] = []

    def make(stack: Stack | None = None) -> Network:
        chosen = require(stack or STACKS[request.config.getoption("--stack")])
        n = session.unique()
        v4, v6 = session.subnets()
        data_dir = Path(tempfile.mkdtemp(prefix=f"data{n}-", dir=session.root))
        network = Network(chosen, f"{NS_PREFIX}net{n}", f"{BRIDGE_PREFIX}{n}", v4, v6, data_dir)
        made.append(network)
        return network

    yield make
    for network in made:
        delete_bridge(network.bridge)
        shutil.rmtree(network.data_dir, ignore_errors=True)


@pytest.fixture
def net(make_network) -> Network:
    """One network on the default stack."""
    return make_network()


# --------------------------------------------------------------------------------------------
# The overlay's hosts (test_vxlan*.py)


@pytest.fixture
def cluster(make_netns, session, tmp_root):
    underlay, _ = session.subnets()
    built = build_cluster(make_netns, underlay, tmp_root)
    try:
        yield built
    finally:
        # Shown by pytest only when the test failed.
        for host in built.hosts:
            log = host.data_dir / "vxlan-agent.log"
            if log.exists():
                print(f"--- {host.name} agent log\n" + log.read_text()[-3000:])
        built.teardown()


@pytest.fixture
def overlay(session):
    """A fresh overlay subnet and network name."""
    def make():
        subnet, _ = session.subnets()
        return subnet, f"{harness.NS_PREFIX}ov{session.unique()}"
    return make
