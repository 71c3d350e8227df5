"""Test networks as the tests see them: a `Stack` (which main plugin and which IPAM), a `Network`
(name, bridge, subnets, store) and the `Attachment`s its ADDs made."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .chain import request
from .names import ours_dir
from .namespaces import Netns
from .processes import Invocation, plugin_env, run_plugin


def host_local_leases(data_dir: Path, network: str) -> dict[str, tuple[str, str]]:
    """Leases of the reference host-local: one file per IP in `<dataDir>/<network>/`, `id\\r\\nifname`."""
    directory = Path(data_dir) / network
    if not directory.is_dir():
        return {}
    leases = {}
    for entry in directory.iterdir():
        try:
            ipaddress.ip_address(entry.name)
        except ValueError:
            continue  # lock, last_reserved_ip.N
        lines = entry.read_text().replace("\r\n", "\n").split("\n")
        leases[entry.name] = (lines[0].strip(), lines[1].strip() if len(lines) > 1 else "")
    return leases


@dataclass(frozen=True)
class Stack:
    """A main plugin plus an IPAM type, and where the main plugin finds delegates."""

    name: str
    bridge: Path
    ipam_type: str
    cni_path: tuple[Path, ...]
    leases: Callable[[Path, str], dict[str, tuple[str, str]]] = field(compare=False)
    max_version: str = "1.1.0"

    @property
    def ours_bridge(self) -> bool:
        return self.bridge.parent == ours_dir()

    def failure_code(self, ours: int) -> int:
        """The CNI code this stack's main plugin reports for a failure ours reports as `ours`: the
        reference plugins report every failure past the protocol checks as 999 (a plain Go error)."""
        return ours if self.ours_bridge else 999

    @property
    def executables(self) -> list[Path]:
        """The files this stack executes: the main plugin and, when it delegates, the IPAM plugin."""
        found = [self.bridge]
        if not (self.ours_bridge and self.ipam_type == "kv-ipam"):
            found.append(next((d / self.ipam_type for d in self.cni_path if (d / self.ipam_type).exists()),
                              self.cni_path[0] / self.ipam_type))
        return found


@dataclass
class Attachment:
    """A container attached by a successful ADD: what was asked and what the plugin answered."""

    network: "Network"
    netns: Netns
    container_id: str
    ifname: str
    conf: dict
    result: dict

    @property
    def host_veth(self) -> str:
        return self.result["interfaces"][1]["name"]

    @property
    def addresses(self) -> list[str]:
        return [ip["address"] for ip in self.result.get("ips", [])]

    def address(self, version: int = 4) -> str:
        return next(a for a in self.addresses if ipaddress.ip_interface(a).version == version)

    def ip(self, version: int = 4) -> str:
        return str(ipaddress.ip_interface(self.address(version)).ip)

    def invoke(self, command: str, netns_path: str | None = "", conf: dict | None = None) -> Invocation:
        """Runs `command` for this attachment with the ADD's result as prevResult, as a runtime does."""
        path = self.netns.path if netns_path == "" else netns_path
        return self.network.invoke(command, request(conf or self.conf, self.result), path, self.container_id,
                                   self.ifname)

    def delete(self, netns_path: str | None = "") -> Invocation:
        return self.invoke("DEL", netns_path)

    def check(self) -> Invocation:
        return self.invoke("CHECK")


class Network:
    """One test network: a unique name, bridge, v4 and v6 subnets, a private dataDir, and a stack."""

    def __init__(self, stack: Stack, name: str, bridge: str, v4: ipaddress.IPv4Network,
                 v6: ipaddress.IPv6Network, data_dir: Path):
        self.stack, self.name, self.bridge, self.v4, self.v6, self.data_dir = stack, name, bridge, v4, v6, data_dir

    @property
    def gateway4(self) -> str:
        return str(self.v4.network_address + 1)

    @property
    def gateway6(self) -> str:
        return str(self.v6.network_address + 1)

    def v4_host(self, n: int) -> str:
        return str(self.v4.network_address + n)

    def ipam(self, dual: bool = False, **extra) -> dict:
        ranges = [[{"subnet": str(self.v4)}]]
        if dual:
            ranges.append([{"subnet": str(self.v6)}])
        return {"type": self.stack.ipam_type, "ranges": ranges, "dataDir": str(self.data_dir), **extra}

    def conf(self, version: str = "1.0.0", dual: bool = False, ipam: dict | None = None, **fields) -> dict:
        """A bridge request config; `fields` override or add plugin keys."""
        body = {"cniVersion": version, "name": self.name, "type": "bridge", "bridge": self.bridge,
                "isGateway": True, "ipam": ipam if ipam is not None else self.ipam(dual)}
        body.update(fields)
        return body

    def env(self, command: str, netns_path: str | None, container_id: str | None, ifname: str | None = "eth0",
            args: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
        return plugin_env(command, container_id, netns_path, ifname, self.stack.cni_path, args, extra)

    def invoke(self, command: str, conf: dict | str, netns_path: str | None, container_id: str | None,
               ifname: str | None = "eth0", args: str | None = None, extra_env: dict[str, str] | None = None,
               binary: Path | None = None) -> Invocation:
        env = self.env(command, netns_path, container_id, ifname, args, extra_env)
        return run_plugin(binary or self.stack.bridge, env, conf)

    def add(self, netns: Netns, container_id: str, ifname: str = "eth0", conf: dict | None = None,
            args: str | None = None) -> Attachment:
        body = conf or self.conf()
        result = self.invoke("ADD", body, netns.path, container_id, ifname, args).expect_ok().json
        return Attachment(self, netns, container_id, ifname, body, result)

    def leases(self) -> dict[str, tuple[str, str]]:
        return self.stack.leases(self.data_dir, self.name)
