"""What every benchmark sets up the same way: root, an address range the host does not route, and
numbered namespaces made on demand (and swept with the rest of the session's by `harness.sweep`)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import harness
from harness import NS_PREFIX, REFERENCE_DIR


def require_root() -> None:
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root")


def install_contenders(root: Path, ours: list[str], reference: list[str]) -> tuple[Path, Path]:
    """Copies our named plugins (from the build) and the reference's (from REFERENCE_DIR) into two
    fresh directories under `root`, as installing plugins into a runtime's plugin directory
    (/opt/cni/bin) does, and returns (ours, reference). Stops the run, saying how to get them,
    unless all are there.

    Every contender runs from copies made here, the same way. This matters for us: the page cache
    holds a file in the pieces it was written in. The linker writes our executables 4 KB at a time,
    and the kernel maps and unmaps those pages one by one; a copy, like a file read back from disk, is
    cached in large folios. The same bytes start about 0.3 ms sooner from a copy (VERSION, median of
    600 runs: 0.84 against 1.27 ms). The reference plugins start no faster from a copy."""
    built = harness.ours_dir()
    sources = [(built, ours, "ours"), (REFERENCE_DIR, reference, "reference")]
    for source, names, _ in sources:
        for name in names:
            if not os.access(source / name, os.X_OK):
                raise SystemExit(f"bench: {source / name} missing (swift build -c release; "
                                 "apt install containernetworking-plugins)")
    print(f"bench: ours from {built}, reference from {REFERENCE_DIR}, each copied into the run's own plugin directory")
    targets = []
    for source, names, label in sources:
        target = root / f"{label}-bin"
        target.mkdir()
        for name in names:
            shutil.copy2(source / name, target / name)
        targets.append(target)
    return targets[0], targets[1]


def pick_base() -> ipaddress.IPv4Network:
    """The first of a few /16s that no route of the host overlaps."""
    for text in ["10.250.0.0/16", "10.251.0.0/16", "10.252.0.0/16", "10.253.0.0/16"]:
        network = ipaddress.ip_network(text)
        if not harness.host_routes_overlap(network):
            return network
    raise SystemExit("every candidate benchmark range overlaps a host route")


class Namespaces:
    """Creates namespaces named `<NS_PREFIX><n>`, numbered across every call."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self, count: int) -> list[harness.Netns]:
        result = []
        for _ in range(count):
            self.made += 1
            result.append(harness.create_netns(f"{NS_PREFIX}{self.made}"))
        return result


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A scratch directory for the run's stores, with this process adopting what our DELs leave
    running (see `settle`). On the way out, whatever the run made is removed,
    even after a failure: namespaces, links and firewall elements of this session, the directory, and
    the iptables-nft tables (`nat`, `filter`) that the reference plugins bring into being and
    leave behind."""
    global _settle
    harness.sweep_dead_sessions()
    reference_tables = harness.absent_reference_tables()
    root = Path(tempfile.mkdtemp(prefix=f"sct{harness.PID}-bench-"))
    try:
        with harness.adopting_orphans() as _settle:
            yield root
    finally:
        removed = harness.sweep() + harness.remove_reference_tables(reference_tables)
        shutil.rmtree(root, ignore_errors=True)
        print(f"bench: cleaned up {len(removed)} namespaces, links, elements and tables")


_settle = None


def settle() -> float:
    """Waits, untimed, until every process a DEL of ours left to finish the kernel's work has ended
    (the bench adopts them: see `workspace`), so that none of it bills the next contender's step.
    Returns the seconds waited."""
    start = time.perf_counter()
    _settle()
    return time.perf_counter() - start
