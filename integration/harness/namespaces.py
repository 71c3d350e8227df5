"""Network namespaces and links as `ip` shows them, and the namespaces tests make (each with the
`/etc/netns/<name>/resolv.conf` that `ip netns exec` expects)."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .names import BRIDGE_PREFIX, NS_PREFIX
from .processes import sh, wait_until

NETNS_RUN_DIR = Path("/run/netns")
ETC_NETNS_DIR = Path("/etc/netns")


def links(netns: str | None = None) -> list[dict]:
    """`ip -j -d link show` in the host namespace or in `netns`."""
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["-j", "-d", "link", "show"]
    out = sh(*cmd).stdout
    return json.loads(out) if out.strip() else []


def link(name: str, netns: str | None = None) -> dict | None:
    for entry in links(netns):
        if entry.get("ifname") == name:
            return entry
    return None


def link_exists(name: str, netns: str | None = None) -> bool:
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["link", "show", "dev", name]
    return sh(*cmd, check=False).returncode == 0


def bridge_ports(bridge: str) -> list[str]:
    proc = sh("ip", "-j", "link", "show", "master", bridge, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    return [entry["ifname"] for entry in json.loads(proc.stdout)]


def host_veths() -> set[str]:
    """Host-side veths that belong to this session: on one of our bridges, with the peer in one of our
    namespaces, or tagged with one of our names. Others' veths (other sessions on this machine) are
    left out, so before/after comparisons stay meaningful while they run."""
    ours_ids = {entry["id"] for entry in json.loads(sh("ip", "-j", "netns", "list").stdout or "[]")
                if entry.get("name", "").startswith(NS_PREFIX) and "id" in entry}
    found = set()
    for entry in links():
        if entry.get("linkinfo", {}).get("info_kind") != "veth":
            continue
        if (entry.get("master", "").startswith(BRIDGE_PREFIX) or entry.get("link_netnsid") in ours_ids
                or NS_PREFIX in (entry.get("ifalias") or "") or entry["ifname"].startswith(BRIDGE_PREFIX)):
            found.add(entry["ifname"])
    return found


def addresses(ifname: str, netns: str | None = None) -> list[str]:
    """Addresses on `ifname` as `ip/prefix` strings (all families, all scopes)."""
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["-j", "addr", "show", "dev", ifname]
    proc = sh(*cmd, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    result = []
    for entry in json.loads(proc.stdout):
        for info in entry.get("addr_info", []):
            result.append(f"{info['local']}/{info['prefixlen']}")
    return result


def routes(netns: str, family: str = "-4") -> list[dict]:
    out = sh("ip", "-n", netns, family, "-j", "route", "show").stdout
    return json.loads(out) if out.strip() else []


def delete_link(name: str, netns: str | None = None) -> None:
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["link", "del", "dev", name]
    sh(*cmd, check=False)


def host_routes_overlap(network: ipaddress._BaseNetwork) -> bool:
    """Whether any route in the host's main tables (either family) overlaps `network`."""
    family = "-4" if network.version == 4 else "-6"
    out = sh("ip", family, "-j", "route", "show", "table", "all").stdout
    for entry in json.loads(out) if out.strip() else []:
        dst = entry.get("dst", "")
        if dst in ("default", "", "multicast") or entry.get("type") in ("local", "broadcast", "multicast", "anycast"):
            continue
        try:
            if ipaddress.ip_network(dst, strict=False).overlaps(network):
                return True
        except ValueError:
            continue
    return False


@dataclass
class Netns:
    """A network namespace the test made; `path` is what goes into CNI_NETNS."""

    name: str
    baseline: frozenset[str] = frozenset()  # link names right after creation (lo, maybe sit0/tunl0)

    @property
    def path(self) -> str:
        return str(NETNS_RUN_DIR / self.name)

    def exec(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        return sh("ip", "netns", "exec", self.name, *args, check=check, timeout=timeout)

    def ping(self, address: str, timeout: float = 10.0) -> None:
        """Pings until one echo comes back, or fails after `timeout` seconds."""
        ip = ipaddress.ip_interface(address).ip if "/" in address else ipaddress.ip_address(address)
        cmd = ["ping", "-6" if ip.version == 6 else "-4", "-c", "1", "-W", "1", str(ip)]
        wait_until(lambda: self.exec(*cmd, check=False).returncode == 0, timeout=timeout, interval=0.05,
                   what=f"ping {ip} from {self.name}")

    def links(self) -> list[dict]:
        return links(self.name)

    def link_names(self) -> set[str]:
        return {entry["ifname"] for entry in self.links()}


def create_netns(name: str) -> Netns:
    """Creates a namespace with an `/etc/netns/<name>/resolv.conf` (as `ip netns exec` expects)."""
    sh("ip", "netns", "add", name)
    etc = ETC_NETNS_DIR / name
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "resolv.conf").write_text("# swift-cni integration test namespace\nnameserver 127.0.0.1\n")
    return Netns(name, frozenset(entry["ifname"] for entry in links(name)))


def delete_netns(name: str) -> None:
    if (NETNS_RUN_DIR / name).exists():
        sh("ip", "netns", "del", name, check=False)
    shutil.rmtree(ETC_NETNS_DIR / name, ignore_errors=True)


def netns_names() -> list[str]:
    names = []
    if NETNS_RUN_DIR.is_dir():
        names += [p.name for p in NETNS_RUN_DIR.iterdir()]
    if ETC_NETNS_DIR.is_dir():
        names += [p.name for p in ETC_NETNS_DIR.iterdir()]
    return sorted(set(names))


def delete_bridge(name: str) -> None:
    """Deletes `name` and any port still enslaved to it (their peers' namespaces may be gone)."""
    for port in bridge_ports(name):
        delete_link(port)
    delete_link(name)
