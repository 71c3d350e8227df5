"""Removing what test sessions left behind: by this session's prefixes at its end, and whatever a
session that died (its process gone) left before."""

from __future__ import annotations

from pathlib import Path

from . import nft

from .names import BRIDGE_PREFIX, NS_PREFIX, PID
from .namespaces import delete_bridge, delete_netns, links, netns_names
from .processes import sh


def sweep(ns_prefix: str = NS_PREFIX, bridge_prefix: str = BRIDGE_PREFIX) -> list[str]:
    """Removes every namespace and bridge carrying our prefixes. Returns what it removed."""
    removed = []
    for name in netns_names():
        if name.startswith(ns_prefix):
            delete_netns(name)
            removed.append(f"netns {name}")
    for entry in links():
        name = entry.get("ifname", "")
        if name.startswith(bridge_prefix):
            delete_bridge(name)
            removed.append(f"link {name}")
    removed += nft.sweep(ns_prefix)
    return removed


# The iptables-nft tables the reference plugins (portmap, firewall, containers' dnsname) make on
# first use and never remove.
REFERENCE_TABLES = (("ip", "nat"), ("ip6", "nat"), ("ip", "filter"), ("ip6", "filter"))


def absent_reference_tables() -> list[tuple[str, str]]:
    """The reference plugins' tables that do not exist yet: the ones a run may bring into being."""
    return [table for table in REFERENCE_TABLES if not _table_present(*table)]


def remove_reference_tables(absent: list[tuple[str, str]]) -> list[str]:
    """Deletes those of `absent` (from `absent_reference_tables` at the start) that exist now."""
    removed = []
    for family, name in absent:
        if _table_present(family, name):
            sh("nft", "delete", "table", family, name)
            removed.append(f"nft table {family} {name}")
    return removed


def _table_present(family: str, name: str) -> bool:
    return sh("nft", "list", "table", family, name, check=False).returncode == 0


def sweep_dead_sessions() -> list[str]:
    """Removes namespaces left by earlier test sessions whose process is gone."""
    removed = []
    for name in netns_names():
        if not name.startswith("sct") or "-" not in name:
            continue
        pid_text = name[3:name.index("-")]
        if pid_text.isdigit() and int(pid_text) != PID and not Path(f"/proc/{pid_text}").exists():
            delete_netns(name)
            removed.append(name)
    removed += nft.sweep_dead_sessions(lambda pid: pid == PID or Path(f"/proc/{pid}").exists())
    return removed
