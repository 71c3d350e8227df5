"""Removing what test sessions left behind: by this session's prefixes at its end, and whatever a
session that died (its process gone) left before."""

from __future__ import annotations

from pathlib import Path

from . import nft

from .names import BRIDGE_PREFIX, NS_PREFIX, PID
from .namespaces import delete_bridge, delete_netns, links, netns_names


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
