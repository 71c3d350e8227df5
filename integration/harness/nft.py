"""swift-cni's nftables tables as the tests see them, through the `nft` command (tests may use it;
the plugins never do).

Every element the plugins add carries its owner as a comment, `<role> <network>/<containerID>/<ifname>`,
which is what the helpers here search for.
"""

from __future__ import annotations

import json
import re

from .processes import sh

TABLE = "swift-cni"
FAMILIES = ("inet", "bridge")


def _nft(*args: str, netns: str | None = None, **options):
    """Runs `nft`, in namespace `netns` when given (the tables are per namespace)."""
    return sh(*(("ip", "netns", "exec", netns) if netns else ()), "nft", *args, **options)


def table_exists(family: str = "inet", netns: str | None = None) -> bool:
    return _nft("list", "table", family, TABLE, netns=netns, check=False).returncode == 0


def listing(netns: str | None = None) -> str:
    """`nft list table` of both our tables (empty text for a missing one)."""
    parts = []
    for family in FAMILIES:
        proc = _nft("list", "table", family, TABLE, netns=netns, check=False)
        if proc.returncode == 0:
            parts.append(proc.stdout)
    return "\n".join(parts)


def _listed(netns: str | None = None):
    """(family, set or map JSON, element JSON, the element's key part) for every element `nft -j`
    lists in our tables, expiring ones included."""
    for family in FAMILIES:
        proc = _nft("-j", "list", "table", family, TABLE, netns=netns, check=False)
        if proc.returncode != 0:
            continue
        for item in json.loads(proc.stdout)["nftables"]:
            body = item.get("set") or item.get("map")
            for elem in (body or {}).get("elem", []):
                yield family, body, elem, elem[0] if "map" in item else elem


def elements(netns: str | None = None) -> list[tuple[str, str, object, str]]:
    """Every element of our tables: (family, set name, key as nft's JSON gives it, owner comment).

    Elements with a timeout are left out: the plugins never add one, and removal gives each element
    a timeout of one millisecond, after which the kernel treats it as gone. (A plugin returns only
    once its removals have expired; `expire_soon` makes longer ones.)"""
    found = []
    for family, body, _, key in _listed(netns):
        if isinstance(key, dict) and "timeout" in key.get("elem", {}):
            continue
        if isinstance(key, dict) and "elem" in key:
            found.append((family, body["name"], key["elem"]["val"], key["elem"].get("comment", "")))
        else:
            found.append((family, body["name"], key, ""))
    return found


def owned_by(text: str, netns: str | None = None) -> list[tuple[str, str, object, str]]:
    """Elements whose owner comment contains `text` (a container ID, a network name)."""
    return [e for e in elements(netns) if text in e[3]]


def delete_elements(chosen: list[tuple[str, str, object, str]]) -> None:
    """Deletes elements as `elements()` lists them: in one batch, or one by one (skipping any nft
    cannot name) when the batch is refused."""
    commands = [{"delete": {"element": {"family": family, "table": TABLE, "name": name, "elem": [key]}}}
                for family, name, key, _ in chosen]
    if not commands:
        return
    if sh("nft", "-j", "-f", "-", input=json.dumps({"nftables": commands}), check=False).returncode != 0:
        for command in commands:
            sh("nft", "-j", "-f", "-", input=json.dumps({"nftables": [command]}), check=False)


def expire_soon(text: str, seconds: int) -> None:
    """Gives every element whose owner comment contains `text` a timeout that ends in `seconds`:
    what a plugin's removal does, with one millisecond, made slow enough to be caught in the act."""
    commands = []
    for family, body, elem, key in _listed():
        if isinstance(key, dict) and text in key.get("elem", {}).get("comment", ""):
            key["elem"].update(timeout=seconds, expires=seconds)
            commands.append({"add": {"element": {"family": family, "table": TABLE, "name": body["name"],
                                                 "elem": [elem]}}})
    sh("nft", "-j", "-f", "-", input=json.dumps({"nftables": commands}))


def rebuild_without_timeouts(netns: str, family: str = "inet") -> None:
    """Rebuilds our table in `netns` with sets that take no timeouts, as builds before removal by
    expiry made them (such a table stays until the next reboot). Only its schema marker may be in
    it: nft cannot carry owner records over."""
    markers = [e for e in elements(netns) if e[0] == family]
    assert all(e[3].startswith("swift-cni schema") for e in markers), "the table holds someone's state"
    table = _nft("list", "table", family, TABLE, netns=netns).stdout
    table = re.sub(r"\n\s*elements = \{[^}]*\}", "", table)
    table = table.replace("flags interval,timeout", "flags interval").replace("flags timeout", "")
    _nft("delete", "table", family, TABLE, netns=netns)
    _nft("-f", "-", netns=netns, input=table)
    _nft("-j", "-f", "-", netns=netns, input=json.dumps({"nftables": [
        {"add": {"element": {"family": family, "table": TABLE, "name": name,
                             "elem": [{"elem": {"val": key, "comment": comment}}]}}}
        for _, name, key, comment in markers]}))


def sweep(network_prefix: str) -> list[str]:
    """Removes every element owned by a network named with `network_prefix` (a test session's), then
    our tables if nothing else is left in them. Returns what it removed."""
    mine = [e for e in elements() if f" {network_prefix}" in e[3]]
    delete_elements(mine)
    removed = [f"nft element {e[1]} of {e[3]}" for e in mine]
    # What is left may be the schema markers alone: the tables are then empty of anyone's state.
    if all(e[3].startswith("swift-cni schema") for e in elements()):
        for family in FAMILIES:
            if table_exists(family):
                sh("nft", "delete", "table", family, TABLE)
                removed.append(f"nft table {family} {TABLE}")
    return removed


def sweep_dead_sessions(alive) -> list[str]:
    """Removes elements of test networks (`sct<pid>-…`) whose session `alive(pid)` says is gone."""
    stale = []
    for element in elements():
        network = element[3].partition(" ")[2]
        pid = network[3:network.find("-")] if network.startswith("sct") and "-" in network else ""
        if pid.isdigit() and not alive(int(pid)):
            stale.append(element)
    delete_elements(stale)
    return [f"nft element {e[1]} of {e[3]}" for e in stale]
