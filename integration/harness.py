"""Plumbing shared by the integration tests and the benchmark.

Everything the tests create on the host carries a per-process prefix (namespaces `sct<pid>-…`,
bridges `scbr<pid % 1000>…`), so a sweep can find and remove it even after a crash, and two
sessions on one machine never touch each other's objects.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import json
import os
import select
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

REPO = Path(__file__).resolve().parent.parent
REFERENCE_DIR = Path(os.environ.get("SWIFT_CNI_REFERENCE_DIR", "/usr/lib/cni"))
NETNS_RUN_DIR = Path("/run/netns")
ETC_NETNS_DIR = Path("/etc/netns")

PID = os.getpid()
NS_PREFIX = f"sct{PID}-"
BRIDGE_PREFIX = f"scbr{PID % 1000:03d}"

ALL_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]


def ours_dir() -> Path:
    """Where our built plugins live (`SWIFT_CNI_BIN`, default `.build/release`)."""
    return Path(os.environ.get("SWIFT_CNI_BIN", REPO / ".build" / "release")).resolve()


# --------------------------------------------------------------------------------------------
# Shell helpers


def sh(*args: str, check: bool = True, timeout: float = 30, input: str | None = None) -> subprocess.CompletedProcess:
    """Runs a command, capturing text output. Raises with both streams shown when `check` fails."""
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02, what: str = "condition") -> None:
    """Polls `predicate` until it holds; fails after `timeout` seconds. Used instead of fixed sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Links and namespaces


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
    import nft  # nft imports this module
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
    import nft  # nft imports this module
    removed += nft.sweep_dead_sessions(lambda pid: pid == PID or Path(f"/proc/{pid}").exists())
    return removed


# --------------------------------------------------------------------------------------------
# Running plugins


@dataclass
class Invocation:
    """One plugin run: exit code, both streams and stdout parsed as JSON when it is JSON."""

    argv: list[str]
    env: dict[str, str]
    stdin: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def json(self):
        try:
            return json.loads(self.stdout) if self.stdout.strip() else None
        except json.JSONDecodeError:
            return None

    @property
    def code(self) -> int | None:
        """The CNI error code from stdout, if the plugin printed a CNI error."""
        body = self.json
        return body.get("code") if isinstance(body, dict) else None

    def describe(self) -> str:
        cni = {k: v for k, v in self.env.items() if k.startswith("CNI_")}
        return (f"{' '.join(self.argv)} exited {self.returncode} after {self.seconds:.3f}s\n"
                f"env: {cni}\nstdin: {self.stdin}\nstdout: {self.stdout}\nstderr: {self.stderr}")

    def expect_ok(self) -> "Invocation":
        assert self.returncode == 0, "plugin failed:\n" + self.describe()
        return self

    def expect_error(self, code: int | None = None) -> "Invocation":
        assert self.returncode != 0, "plugin succeeded but should have failed:\n" + self.describe()
        body = self.json
        assert isinstance(body, dict) and "code" in body and "msg" in body, \
            "error is not a CNI error object on stdout:\n" + self.describe()
        if code is not None:
            assert body["code"] == code, f"expected CNI error code {code}, got {body['code']}:\n" + self.describe()
        return self


def plugin_env(command: str | None, container_id: str | None = None, netns: str | None = None,
               ifname: str | None = None, cni_path: Iterable[Path | str] = (), args: str | None = None,
               extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: only PATH plus the CNI_* variables given (none is set implicitly)."""
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
    values = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": netns,
              "CNI_IFNAME": ifname, "CNI_ARGS": args}
    env.update({k: v for k, v in values.items() if v is not None})
    paths = [str(p) for p in cni_path]
    if paths:
        env["CNI_PATH"] = ":".join(paths)
    env.update(extra or {})
    return env


def run_plugin(binary: Path | str, env: dict[str, str], stdin: str | dict | None, timeout: float = 60) -> Invocation:
    """Runs a plugin to its end with `stdin` as its input, both streams captured.

    `seconds` spans spawning to reaping and nothing else: the streams are in-memory files filled and
    read outside that span, and the process is spawned and waited for directly. (`subprocess.run`
    with pipes added about 2 ms of Python's own work to every figure, the same for every plugin,
    which hid real differences between short-lived plugins.)"""
    text = stdin if isinstance(stdin, str) else json.dumps(stdin) if stdin is not None else ""
    streams = [os.memfd_create(name) for name in ("stdin", "stdout", "stderr")]
    try:
        os.write(streams[0], text.encode())
        os.lseek(streams[0], 0, os.SEEK_SET)
        start = time.perf_counter()
        pid = os.posix_spawn(str(binary), [str(binary)], env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(streams)])
        status = _reap(pid, timeout, [str(binary)])
        seconds = time.perf_counter() - start
        stdout, stderr = (_read_all(fd) for fd in streams[1:])
    finally:
        for fd in streams:
            os.close(fd)
    return Invocation([str(binary)], env, text, os.waitstatus_to_exitcode(status), stdout, stderr, seconds)


def _reap(pid: int, timeout: float, argv: list[str]) -> int:
    """The wait status of `pid`, killing it if it outlives `timeout` seconds."""
    pidfd = os.pidfd_open(pid)
    try:
        waiter = select.poll()
        waiter.register(pidfd, select.POLLIN)
        if not waiter.poll(timeout * 1000):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise subprocess.TimeoutExpired(argv, timeout)
    finally:
        os.close(pidfd)
    return os.waitpid(pid, 0)[1]


def _read_all(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def start_plugin(binary: Path | str, env: dict[str, str], stdin: str | dict) -> subprocess.Popen:
    """Starts a plugin without waiting; feed it with `finish_plugin`."""
    proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    proc._cni_stdin = stdin if isinstance(stdin, str) else json.dumps(stdin)  # type: ignore[attr-defined]
    proc._cni_env = env  # type: ignore[attr-defined]
    proc._cni_start = time.perf_counter()  # type: ignore[attr-defined]
    return proc


def finish_plugin(proc: subprocess.Popen, timeout: float = 120) -> Invocation:
    out, err = proc.communicate(proc._cni_stdin, timeout=timeout)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - proc._cni_start  # type: ignore[attr-defined]
    return Invocation(list(proc.args), proc._cni_env, proc._cni_stdin, proc.returncode, out, err,  # type: ignore
                      seconds)


@contextlib.contextmanager
def adopting_orphans():
    """Makes this process the subreaper of what it starts, as conmon is: a process whose parent
    exits comes back to this one instead of to init. Yields a function that waits for
    every such process to end and returns `(name, exit code)` for each."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36

    def collect() -> list[tuple[str, int]]:
        ended = []
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                return ended
            # The name is readable until the process is reaped.
            name = Path(f"/proc/{info.si_pid}/comm").read_text().strip()
            ended.append((name, os.waitstatus_to_exitcode(os.waitpid(info.si_pid, 0)[1])))

    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        yield collect
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


@contextlib.contextmanager
def limited_to_one_process(binary: Path, scratch: Path):
    """Yields an executable that runs `binary` in a fresh pids cgroup allowing one process, so that
    `binary` cannot fork. The cgroup is removed afterwards."""
    v1 = Path("/sys/fs/cgroup/pids")
    root = v1 if v1.is_dir() else Path("/sys/fs/cgroup")
    group = root / f"{NS_PREFIX}one-process"
    group.mkdir()
    try:
        (group / "pids.max").write_text("1\n")
        wrapper = scratch / "one-process"
        wrapper.write_text(f'#!/bin/sh\necho $$ > {group}/cgroup.procs && exec {binary}\n')
        wrapper.chmod(0o755)
        yield wrapper
    finally:
        group.rmdir()


# --------------------------------------------------------------------------------------------
# Lease stores


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


# --------------------------------------------------------------------------------------------
# Stacks: which bridge binary and which IPAM type a test runs


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
        """Runs `command` for this attachment with the final ADD result as prevResult, as a runtime does."""
        body = dict(conf or self.conf)
        body["prevResult"] = self.result
        path = self.netns.path if netns_path == "" else netns_path
        return self.network.invoke(command, body, path, self.container_id, self.ifname)

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
