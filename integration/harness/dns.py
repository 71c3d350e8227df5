"""Networks with `dnsname` chained after `bridge`, the `cni-dns` responders they start, and a stub
upstream resolver: what the DNS tests and the chain-cost benchmark share."""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from .chain import ChainRun, run_chain
from .names import ours_dir
from .namespaces import ETC_NETNS_DIR, Netns
from .networks import Network
from .processes import Invocation, plugin_env, run_plugin

DOMAIN = "dns.podman"


@dataclass
class Named:
    """A container attached to a network by bridge + dnsname: the chain's result is the cached one."""

    network: Network
    netns: Netns
    container_id: str
    ifname: str
    plugins: list
    env_args: str | None
    result: dict

    def ip(self, version: int = 4) -> str:
        for ip in self.result["ips"]:
            address = ip["address"].split("/")[0]
            if (":" in address) == (version == 6):
                return address
        raise AssertionError(f"no IPv{version} address in {self.result}")


class DNSChain:
    """Runs `bridge` then `dnsname` as libcni runs a conflist, all dnsname configs sharing
    `data_dir` (so one responder serves every network of a test)."""

    def __init__(self, data_dir: Path, upstreams: list[str], bridge: Path | None = None,
                 dnsname: Path | None = None, cni_path: tuple[Path, ...] | None = None):
        self.data_dir, self.upstreams = data_dir, upstreams
        self.bridge = bridge or ours_dir() / "bridge"
        self.dnsname = dnsname or ours_dir() / "dnsname"
        self.cni_path = cni_path
        self.attached: list[Named] = []

    def dnsname_conf(self, network: Network, aliases: list[str] = (), **fields) -> dict:
        conf = {"cniVersion": "1.0.0", "name": network.name, "type": "dnsname", "domainName": DOMAIN,
                "dataDir": str(self.data_dir), "upstreams": self.upstreams, "capabilities": {"aliases": True}}
        if aliases:
            conf["runtimeConfig"] = {"aliases": {network.name: list(aliases)}}
        conf.update(fields)
        return conf

    def env(self, network: Network, command: str, netns: Netns | None, container_id: str, ifname: str,
            args: str | None) -> dict[str, str]:
        env = network.env(command, netns.path if netns else None, container_id, ifname, args)
        if self.cni_path is not None:
            env["CNI_PATH"] = ":".join(str(p) for p in self.cni_path)
        return env

    def run_add(self, network: Network, netns: Netns, container_id: str, name: str | None = None,
                aliases: list[str] = (), dual: bool = False, ifname: str = "eth0") -> tuple[ChainRun, Named | None]:
        """ADD over the chain; the attachment is remembered (for `cleanup`) whether or not it worked."""
        args = f"IgnoreUnknown=1;K8S_POD_NAME={name}" if name else None
        plugins = [(self.bridge, network.conf(dual=dual)), (self.dnsname, self.dnsname_conf(network, aliases))]
        run = run_chain("ADD", plugins, self.env(network, "ADD", netns, container_id, ifname, args))
        named = Named(network, netns, container_id, ifname, plugins, args, run.result or {})
        self.attached.append(named)
        return run, (named if run.invocations[-1].returncode == 0 and len(run.invocations) == 2 else None)

    def add(self, network: Network, netns: Netns, container_id: str, name: str | None = None,
            aliases: list[str] = (), dual: bool = False, ifname: str = "eth0") -> Named:
        """ADD that must succeed; the namespace's resolv.conf is then written from the result."""
        run, named = self.run_add(network, netns, container_id, name, aliases, dual, ifname)
        run.expect_ok()
        assert named is not None
        write_resolv_conf(netns, named.result)
        return named

    def run(self, command: str, named: Named, netns: bool = True) -> ChainRun:
        return run_chain(command, named.plugins,
                         self.env(named.network, command, named.netns if netns else None, named.container_id,
                                  named.ifname, named.env_args),
                         cached=named.result or None)

    def delete(self, named: Named) -> None:
        self.run("DEL", named).expect_ok()
        if named in self.attached:
            self.attached.remove(named)

    def cleanup(self) -> None:
        """DELs what is still attached, then ends a responder of `data_dir` that is still running."""
        for named in reversed(self.attached):
            self.run("DEL", named)
        self.attached.clear()
        for pid in responder_pids(self.data_dir):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


class Registrar:
    """Registers names as a runtime does, without a bridge: the real `dnsname` ADD and DEL, each ADD
    given a prevResult that names the container's addresses and the network's gateways (which
    must be addresses of this host). `netns` is any namespace other than ours: dnsname never enters
    it, the CNI runner only checks that it is one."""

    def __init__(self, data_dir: Path, netns: Netns, dnsname: Path | None = None):
        self.data_dir, self.netns = data_dir, netns
        self.dnsname = dnsname or ours_dir() / "dnsname"

    def conf(self, network: str, aliases: list[str], domain: str, upstreams: list[str] | None) -> dict:
        conf = {"cniVersion": "1.0.0", "name": network, "type": "dnsname", "domainName": domain,
                "dataDir": str(self.data_dir), "capabilities": {"aliases": True},
                "runtimeConfig": {"aliases": {network: list(aliases)}}}
        if upstreams is not None:
            conf["upstreams"] = list(upstreams)
        return conf

    def prev_result(self, ifname: str, addresses: list[str], gateways: list[str]) -> dict:
        """Each address with the first gateway of its family."""
        ips = []
        for address in addresses:
            family = ":" in address
            gateway = next((g for g in gateways if (":" in g) == family), None)
            ip = {"address": f"{address}/{128 if family else 32}", "interface": 0}
            if gateway:
                ip["gateway"] = gateway
            ips.append(ip)
        return {"cniVersion": "1.0.0", "interfaces": [{"name": ifname, "sandbox": self.netns.path}], "ips": ips}

    def env(self, command: str, container: str, ifname: str, name: str | None) -> dict[str, str]:
        args = f"IgnoreUnknown=1;K8S_POD_NAME={name}" if name else None
        return plugin_env(command, container, self.netns.path, ifname, (self.dnsname.parent,), args)

    def run_add(self, network: str, container: str, ifname: str, names: list[str], addresses: list[str],
                gateways: list[str], domain: str = DOMAIN, upstreams: list[str] | None = None) -> Invocation:
        """dnsname ADD for one attachment: the first of `names` is the container's name, the rest aliases."""
        conf = dict(self.conf(network, names[1:], domain, upstreams),
                    prevResult=self.prev_result(ifname, addresses, gateways))
        return run_plugin(self.dnsname, self.env("ADD", container, ifname, names[0] if names else None), conf)

    def add(self, *args, **kwargs) -> dict:
        return self.run_add(*args, **kwargs).expect_ok().json

    def delete(self, network: str, container: str, ifname: str = "eth0") -> None:
        """dnsname DEL as a runtime sends it after a restart: no prevResult."""
        run_plugin(self.dnsname, self.env("DEL", container, ifname, None),
                   self.conf(network, [], DOMAIN, None)).expect_ok()


def write_resolv_conf(netns: Netns, result: dict) -> None:
    """`/etc/netns/<ns>/resolv.conf` from a result's `dns`, as a runtime writes the container's."""
    dns = result.get("dns", {})
    lines = [f"nameserver {server}" for server in dns.get("nameservers", [])]
    if dns.get("search"):
        lines.append("search " + " ".join(dns["search"]))
    lines.append("options timeout:2 attempts:1")
    (ETC_NETNS_DIR / netns.name / "resolv.conf").write_text("\n".join(lines) + "\n")


def responder_lock_free(data_dir: Path) -> bool:
    """Whether no process holds `cni-dns`'s lock in `data_dir`. A killed process loses its command
    line before the kernel closes its files, so this, not `responder_pids`, says it is gone."""
    try:
        descriptor = os.open(Path(data_dir) / "cni-dns.lock", os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


def responder_pids(data_dir: Path) -> list[int]:
    """The `cni-dns` processes serving `data_dir`, by their command lines."""
    wanted = str(data_dir).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"cni-dns") and wanted in argv:
            found.append(int(entry.name))
    return found


class StubUpstream:
    """A resolver on loopback that answers every A question with `address` over UDP: the upstream
    forwarded names go to, on this machine only."""

    def __init__(self, address: str = "192.0.2.7"):
        self.address = socket.inet_aton(address)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.queries: list[str] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                query, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(query) < 12:
                continue
            name, end = _question(query)
            self.queries.append(name)
            qtype = struct.unpack("!H", query[end:end + 2])[0]
            answers = 1 if qtype == 1 else 0
            reply = query[:2] + struct.pack("!HHHHH", 0x8180, 1, answers, 0, 0) + query[12:end + 4]
            if answers:
                reply += struct.pack("!HHHIH", 0xC00C, 1, 1, 30, 4) + self.address
            try:
                self.sock.sendto(reply, peer)
            except OSError:
                return

    def stop(self) -> None:
        """Closes the socket: queries to the port are refused from then on."""
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


def _question(query: bytes) -> tuple[str, int]:
    labels, position = [], 12
    while query[position]:
        length = query[position]
        labels.append(query[position + 1:position + 1 + length].decode(errors="replace"))
        position += 1 + length
    return ".".join(labels), position + 1
