"""A real etcd for a test: Debian's etcd-server on loopback, free ports, a temporary data directory.

`EtcdServer` starts it (and waits until it answers), stops, kills, freezes (SIGSTOP) and restarts it,
and reads or writes keys through the v3 JSON gateway, so that tests check etcd itself rather than
what our client says about it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def etcd_available() -> bool:
    return os.access(ETCD, os.X_OK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def _prefix_end(prefix: bytes) -> bytes:
    end = bytearray(prefix)
    while end:
        if end[-1] < 0xFF:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return b"\0"


class EtcdServer:
    def __init__(self, root: Path, extra_args: list[str] | None = None, scheme: str = "http"):
        self.dir = Path(tempfile.mkdtemp(prefix="etcd-", dir=root))
        self.client_port = _free_port()
        self.peer_port = _free_port()
        self.scheme = scheme
        self.extra_args = extra_args or []
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None
        self.start()

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.client_port}"

    def start(self) -> None:
        client = self.endpoint
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.proc = subprocess.Popen(
            [ETCD, "--name", "t", "--data-dir", str(self.dir / "data"),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", f"t={peer}",
             "--logger", "zap", "--log-level", "error", *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "etcd.log", "ab"))
        deadline = time.monotonic() + 20
        while True:
            try:
                self.post("/v3/kv/range", {"key": _b64("\0"), "count_only": True}, timeout=0.5)
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"etcd did not start: {(self.dir / 'etcd.log').read_text()[-2000:]}")
                time.sleep(0.02)

    def stop(self, remove: bool = True) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self) -> None:
        self.stop(remove=False)
        self.start()

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def post(self, path: str, body: dict, timeout: float = 5) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = self.token
        request = urllib.request.Request(self.endpoint + path, json.dumps(body).encode(), headers)
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())

    def requests(self) -> dict[str, int]:
        """etcd's count of the requests it has served, by gRPC method (the JSON gateway's included)."""
        counts: dict[str, int] = {}
        with urllib.request.urlopen(self.endpoint + "/metrics", timeout=5) as answer:
            for line in answer.read().decode().splitlines():
                if line.startswith("grpc_server_started_total{"):
                    method = line.split('grpc_method="', 1)[1].split('"', 1)[0]
                    counts[method] = counts.get(method, 0) + int(float(line.rsplit(" ", 1)[1]))
        return counts

    def keys(self, prefix: str = "") -> dict[str, str]:
        """Every key under `prefix` with its value, as etcd holds them."""
        start = prefix.encode() or b"\0"
        answer = self.post("/v3/kv/range", {"key": _b64(start), "range_end": _b64(_prefix_end(prefix.encode()))})
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode(errors="replace")
                for kv in answer.get("kvs", [])}

    def enable_auth(self, user: str, password: str) -> None:
        self.post("/v3/auth/user/add", {"name": "root", "password": password})
        self.post("/v3/auth/user/grant", {"user": "root", "role": "root"})
        if user != "root":
            self.post("/v3/auth/user/add", {"name": user, "password": password})
            self.post("/v3/auth/user/grant", {"user": user, "role": "root"})
        self.post("/v3/auth/enable", {})
        self.token = self.post("/v3/auth/authenticate", {"name": "root", "password": password})["token"]
