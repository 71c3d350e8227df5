"""Test traffic between namespaces the tests made: tiny servers that answer with the address they
saw the request come from, and a client that asks them. Everything runs with /usr/bin/python3 inside
the namespace (or on the host, for traffic from the host to its own addresses).
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass

import pytest

from harness import BRIDGE_PREFIX, delete_link, sh

PYTHON = "/usr/bin/python3"

# Listens on every address (both families) and answers each TCP connection or UDP datagram with
# "<name> <peer address>".
SERVER = r"""
import socket, sys
name, proto, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET6, kind)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", port))
if kind == socket.SOCK_STREAM:
    s.listen(64)
print("ready", flush=True)
def peer(address):
    return address[0].removeprefix("::ffff:")
while True:
    if kind == socket.SOCK_STREAM:
        c, address = s.accept()
        c.sendall(f"{name} {peer(address)}\n".encode())
        c.close()
    else:
        _, address = s.recvfrom(2048)
        s.sendto(f"{name} {peer(address)}\n".encode(), address)
"""

CLIENT = r"""
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
s = socket.socket(family, kind)
s.settimeout(float(sys.argv[4]))
if int(sys.argv[5]):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", int(sys.argv[5])))
if kind == socket.SOCK_STREAM:
    s.connect((host, port))
    print(s.recv(200).decode().strip())
else:
    s.sendto(b"?", (host, port))
    print(s.recvfrom(200)[0].decode().strip())
"""


def _in(netns: str | None, *argv: str) -> list[str]:
    return (["ip", "netns", "exec", netns] if netns else []) + list(argv)


class Server:
    """A server process; `stop()` ends it (the fixtures call it)."""

    def __init__(self, netns: str, name: str, proto: str, port: int):
        self.name = name
        self.process = subprocess.Popen(_in(netns, PYTHON, "-c", SERVER, name, proto, str(port)),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"server {name} did not start: {self.process.stderr.read()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()


def ask(netns: str | None, proto: str, host: str, port: int, timeout: float = 2.0,
        source_port: int = 0) -> str | None:
    """The server's answer ("<name> <address it saw>"), or None when nothing answered in time.
    `source_port` fixes the client's port, so that a UDP flow can be continued across calls."""
    proc = sh(*_in(netns, PYTHON, "-c", CLIENT, proto, host, str(port), str(timeout), str(source_port)),
              check=False, timeout=timeout + 10)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


# --------------------------------------------------------------------------------------------
# Fixtures (imported by the test modules that use them)


@pytest.fixture
def servers():
    """Factory `servers(netns, name, proto, port)`; every server is stopped at teardown."""
    started: list[Server] = []

    def start(netns: str, name: str, proto: str, port: int) -> Server:
        server = Server(netns, name, proto, port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class Outside:
    """A namespace beyond every test network, reached from the host through a veth: what stands for
    another host on the LAN. `host` is the host's address on that link, `address` the namespace's."""

    netns: str
    host: str
    address: str


@pytest.fixture
def outside(session, make_netns) -> Outside:
    ns = make_netns()
    v4, _ = session.subnets()
    host, address = str(v4.network_address + 1), str(v4.network_address + 2)
    link = f"{BRIDGE_PREFIX}x{session.unique()}"
    sh("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns.name)
    sh("ip", "addr", "add", f"{host}/{v4.prefixlen}", "dev", link)
    sh("ip", "link", "set", link, "up")
    ns.exec("ip", "addr", "add", f"{address}/{v4.prefixlen}", "dev", "eth0")
    ns.exec("ip", "link", "set", "eth0", "up")
    ns.exec("ip", "route", "add", "default", "via", host)
    yield Outside(ns.name, host, address)
    delete_link(link)


def address_of(answer: str | None) -> str | None:
    """The peer address in a server's answer."""
    return answer.split()[1] if answer else None


def in_subnet(address: str, subnet) -> bool:
    return ipaddress.ip_address(address) in subnet
