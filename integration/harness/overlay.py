"""Several hosts on one machine for the overlay: each host is a namespace with an `eth0` on an
underlay bridge that lives in a switch namespace of its own, where etcd also runs (see
/work/shared/reference/multihost.md). Plugins run on a host through a wrapper that enters its
namespace, so links they create land there and the agent they start runs there."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .etcd import ETCD
from .names import ours_dir
from .namespaces import Netns
from .nft import elements
from .processes import Invocation, plugin_env, run_plugin, sh, wait_until


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _prefix_end(prefix: bytes) -> bytes:
    end = bytearray(prefix)
    while end and end[-1] == 0xFF:
        end.pop()
    end[-1] += 1
    return bytes(end)


@dataclass
class Host:
    name: str          # "h1"
    netns: Netns
    address: str       # underlay address, no prefix
    data_dir: Path
    bin_dir: Path      # wrappers that run our binaries inside the host's namespace

    def plugin(self, name: str = "vxlan") -> Path:
        return self.bin_dir / name

    def agent_pid(self) -> int | None:
        """The agent holding this host's lock (its pid is written in the lock file), if it runs."""
        lock = self.data_dir / "vxlan-agent.lock"
        try:
            pid = int(lock.read_text().strip() or "0")
        except (OSError, ValueError):
            return None
        if pid <= 0:
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        # A reused pid must be an agent of this directory.
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        return pid if any(b"vxlan-agent" in part for part in cmdline) and str(self.data_dir).encode() in cmdline else None

    def kill_agent(self) -> None:
        pid = self.agent_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: self.agent_pid() is None, timeout=5, what=f"agent of {self.name} gone")

    def links(self) -> list[dict]:
        out = sh("ip", "-n", self.netns.name, "-j", "link", "show").stdout
        return json.loads(out) if out.strip() else []

    def fdb(self, device: str) -> dict[str, str]:
        """MAC → remote VTEP of the device's own permanent entries."""
        out = sh("bridge", "-n", self.netns.name, "-j", "fdb", "show", "dev", device).stdout
        entries = json.loads(out) if out.strip() else []
        return {e["mac"]: e["dst"] for e in entries if "dst" in e and e["mac"] != "00:00:00:00:00:00"}

    def neighbours(self, device: str) -> dict[str, str]:
        """IP → MAC of the device's permanent neighbour entries."""
        out = sh("ip", "-n", self.netns.name, "-j", "neigh", "show", "dev", device, "nud", "permanent").stdout
        entries = json.loads(out) if out.strip() else []
        return {e["dst"]: e["lladdr"] for e in entries if "lladdr" in e}


class EtcdOnUnderlay:
    """etcd in the switch namespace, listening on the switch's underlay address only."""

    def __init__(self, switch: Netns, address: str, root: Path):
        self.switch = switch
        self.address = address
        self.dir = Path(tempfile.mkdtemp(prefix="etcd-", dir=root))
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}:2379"

    def start(self) -> None:
        peer = "http://127.0.0.1:2380"
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.switch.name, ETCD, "--name", "t", "--data-dir", str(self.dir / "data"),
             "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", f"t={peer}",
             "--logger", "zap", "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "etcd.log", "ab"))
        wait_until(lambda: self._answers(), timeout=20, interval=0.05, what="etcd on the underlay")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"etcd did not start: {(self.dir / 'etcd.log').read_text()[-2000:]}")
        try:
            self.post("/v3/kv/range", {"key": _b64(b"\0"), "count_only": True}, timeout=1)
            return True
        except RuntimeError:
            return False

    def stop(self, remove: bool = True) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        if remove:
            import shutil
            shutil.rmtree(self.dir, ignore_errors=True)

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel and never answered."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def post(self, path: str, body: dict, timeout: float = 5) -> dict:
        proc = sh("ip", "netns", "exec", self.switch.name, "curl", "-sS", "--max-time", str(timeout), "-X", "POST",
                  self.endpoint + path, "-d", json.dumps(body), check=False, timeout=timeout + 5)
        if proc.returncode != 0:
            raise RuntimeError(f"etcd {path}: {proc.stderr}")
        return json.loads(proc.stdout)

    def keys(self, prefix: str) -> dict[str, str]:
        answer = self.post("/v3/kv/range", {"key": _b64(prefix.encode()), "range_end": _b64(_prefix_end(prefix.encode()))})
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode(errors="replace")
                for kv in answer.get("kvs", [])}


@dataclass
class Cluster:
    switch: Netns
    etcd: EtcdOnUnderlay
    hosts: list[Host]
    prefix: str = "/t/"
    _procs: list = field(default_factory=list)

    def store(self, host: Host) -> dict:
        return {"type": "etcd", "endpoints": [self.etcd.endpoint], "prefix": self.prefix, "hostID": host.name}

    def conf(self, host: Host, name: str, vni: int, subnet: ipaddress.IPv4Network, **fields) -> dict:
        store = self.store(host)
        body = {"cniVersion": "1.0.0", "name": name, "type": "vxlan", "vni": vni, "underlay": "eth0",
                "ipMasq": False, "store": store, "dataDir": str(host.data_dir),
                "ipam": {"type": "kv-ipam", "ranges": [[{"subnet": str(subnet)}]], "store": store,
                         "dataDir": str(host.data_dir)}}
        body.update(fields)
        return body

    def invoke(self, host: Host, command: str, conf: dict, netns: Netns | None, cid: str | None,
               plugin: str = "vxlan") -> Invocation:
        env = plugin_env(command, cid, netns.path if netns else None, "eth0" if cid else None, [ours_dir()])
        return run_plugin(host.plugin(plugin), env, conf)

    def records(self) -> dict[str, dict]:
        return {k: json.loads(v) for k, v in self.etcd.keys(self.prefix + "vxlan/attachments/").items()}

    def teardown(self) -> None:
        for host in self.hosts:
            host.kill_agent()
        self.etcd.stop()


def add(cluster: Cluster, host: Host, conf: dict, make_netns, container_id) -> tuple:
    """ADD of a new container on `host`: (namespace, container ID, address, MAC, result)."""
    ns = make_netns()
    cid = container_id()
    result = cluster.invoke(host, "ADD", conf, ns, cid).expect_ok().json
    address = result["ips"][0]["address"].split("/")[0]
    mac = next(i["mac"] for i in result["interfaces"] if i.get("sandbox"))
    return ns, cid, address, mac, result


def ping_df(ns: Netns, address: str, mtu: int, timeout: float = 10.0) -> None:
    """A ping of exactly the overlay's MTU with fragmentation forbidden, until one answer comes back."""
    cmd = ["ping", "-4", "-M", "do", "-s", str(mtu - 28), "-c", "1", "-W", "1", address]
    wait_until(lambda: ns.exec(*cmd, check=False).returncode == 0, timeout=timeout, interval=0.05,
               what=f"ping -M do -s {mtu - 28} {address} from {ns.name}")


def add_fails_leaving_nothing(cluster: Cluster, host: Host, conf: dict, ns: Netns, cid: str, within: float) -> None:
    """An ADD with the store unreachable: code 11 within `within` seconds, no link made (in the
    container or on the host) and no firewall element added on the host."""
    links = {link["ifname"] for link in host.links()}
    firewall = elements(host.netns.name)
    started = time.monotonic()
    cluster.invoke(host, "ADD", conf, ns, cid).expect_error(11)
    assert time.monotonic() - started < within
    assert ns.link_names() == ns.baseline
    assert {link["ifname"] for link in host.links()} == links
    assert elements(host.netns.name) == firewall


def mentions(cluster: Cluster, cid: str) -> dict[str, str]:
    """The store's keys (address leases, records) whose key or value names container `cid`."""
    return {k: v for k, v in cluster.etcd.keys(cluster.prefix).items() if cid in k or cid in v}


def build_cluster(make_netns, underlay: ipaddress.IPv4Network, root: Path, count: int = 3,
                  mtu: int = 1500) -> Cluster:
    """A switch namespace with bridge `ul` (and etcd on its `.254`), and `count` hosts with `eth0`
    at `.1`, `.2`..., all at `mtu`."""
    switch = make_netns()
    base = underlay.network_address
    switch_address = str(base + 254)
    sh("ip", "-n", switch.name, "link", "set", "lo", "up")
    sh("ip", "-n", switch.name, "link", "add", "ul", "mtu", str(mtu), "type", "bridge")
    sh("ip", "-n", switch.name, "addr", "add", f"{switch_address}/{underlay.prefixlen}", "dev", "ul")
    sh("ip", "-n", switch.name, "link", "set", "ul", "up")
    hosts = []
    for index in range(1, count + 1):
        netns = make_netns()
        sh("ip", "-n", switch.name, "link", "add", f"u{index}", "mtu", str(mtu), "type", "veth",
           "peer", "name", "eth0", "netns", netns.name)
        sh("ip", "-n", switch.name, "link", "set", f"u{index}", "master", "ul", "up")
        address = str(base + index)
        sh("ip", "-n", netns.name, "link", "set", "eth0", "mtu", str(mtu))
        sh("ip", "-n", netns.name, "addr", "add", f"{address}/{underlay.prefixlen}", "dev", "eth0")
        sh("ip", "-n", netns.name, "link", "set", "eth0", "up")
        sh("ip", "-n", netns.name, "link", "set", "lo", "up")
        host_dir = Path(tempfile.mkdtemp(prefix=f"h{index}-", dir=root))
        data_dir = host_dir / "data"
        data_dir.mkdir()
        bin_dir = host_dir / "bin"
        bin_dir.mkdir()
        for binary in ("vxlan", "bridge", "kv-ipam", "dnsname"):
            wrapper = bin_dir / binary
            wrapper.write_text(f"#!/bin/sh\nexec nsenter --net={netns.path} -- {ours_dir() / binary}\n")
            wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        hosts.append(Host(f"h{index}", netns, address, data_dir, bin_dir))
    etcd = EtcdOnUnderlay(switch, switch_address, root)
    return Cluster(switch, etcd, hosts)
