"""cni-dns on its own: names registered by the real `dnsname` ADD (a prevResult per attachment,
no bridge), gateways on loopback addresses (127.53.N.x, unique per run, added to `lo` for the test
and removed after), the responder started by the first ADD, queried with dig. test_dns.py runs the
whole chain inside namespaces."""
from __future__ import annotations

import os
import random
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import NS_PREFIX, create_netns, delete_netns, sh
from harness.dns import Registrar, responder_lock_free, responder_pids
from harness.names import ours_dir
from harness.processes import wait_until

CNI_DNS = ours_dir() / "cni-dns"
CORPUS = Path(__file__).resolve().parent / "fuzz-corpus" / "dns"


class Responder:
    """The gateways and clients of one test, the registrar, and the responder it starts."""

    def __init__(self, data: Path, registrar: Registrar, base: int):
        self.data, self.registrar = data, registrar
        self.gw, self.gw2, self.gw3, self.gw4 = (f"127.53.{base}.{k}" for k in (1, 2, 3, 4))
        self.client = f"127.53.{base}.10"
        self.upstream = f"127.53.{base}.99"

    @property
    def pid(self) -> int:
        pids = responder_pids(self.data)
        assert len(pids) == 1, f"cni-dns processes for {self.data}: {pids}"
        return pids[0]

    def add(self, network: str, container: str, names: list[str], addresses: list[str], gateways: list[str],
            upstreams: list[str] | None = None) -> dict:
        return self.registrar.add(network, container, "eth0", names, addresses, gateways, upstreams=upstreams)

    def delete(self, network: str, container: str) -> None:
        self.registrar.delete(network, container)


def dig(server: str, *args: str, source: str | None = None) -> str:
    command = ["dig", f"@{server}", "+tries=1", "+timeout=3", *args]
    if source:
        command += ["-b", source]
    return subprocess.run(command, capture_output=True, text=True, timeout=20).stdout


def short(server: str, *args: str, source: str | None = None) -> list[str]:
    return sorted(dig(server, "+short", *args, source=source).split())


@pytest.fixture
def responder(tmp_path):
    data = tmp_path / "data"
    base = random.randrange(1, 250)
    gateways = [f"127.53.{base}.{k}/32" for k in (1, 2, 3, 4)]
    netns = create_netns(f"{NS_PREFIX}cnidns{base}")
    added = []
    try:
        for gateway in gateways:
            sh("ip", "addr", "add", gateway, "dev", "lo")
            added.append(gateway)
        r = Responder(data, Registrar(data, netns), base)
        r.add("app", "c1", ["web", "www"], [r.client, "fd53::10"], [r.gw], upstreams=[r.upstream])
        r.add("app", "c2", ["web"], ["10.53.0.3"], [r.gw], upstreams=[r.upstream])
        r.add("other", "c3", ["secret"], ["10.54.0.3"], [r.gw2], upstreams=[])
        yield r
    finally:
        for pid in responder_pids(data):
            os.kill(pid, signal.SIGKILL)
        for gateway in added:
            sh("ip", "addr", "del", gateway, "dev", "lo", check=False)
        delete_netns(netns.name)


def test_names_answer_over_udp_and_tcp(responder):
    r = responder
    assert short(r.gw, "web.dns.podman", source=r.client) == sorted([r.client, "10.53.0.3"])
    assert short(r.gw, "WWW", "AAAA", source=r.client) == ["fd53::10"]
    assert short(r.gw, "+tcp", "web", source=r.client) == sorted([r.client, "10.53.0.3"])
    assert short(r.gw, "-x", r.client, source=r.client) == ["web.dns.podman.", "www.dns.podman."]
    assert "status: NXDOMAIN" in dig(r.gw, "nobody.dns.podman", source=r.client)
    # Scoping: other's names are not app's; an unknown client at other's gateway sees other.
    assert "status: NXDOMAIN" in dig(r.gw, "secret.dns.podman", source=r.client)
    assert short(r.gw2, "secret", source="127.0.0.1") == ["10.54.0.3"]


def test_large_answers_set_tc_and_go_over_tcp(responder):
    r = responder
    addresses = [f"10.53.1.{k}" for k in range(1, 41)]
    for k, address in enumerate(addresses):
        r.add("app", f"a{k}", ["many"], [address], [r.gw])
    udp = dig(r.gw, "+ignore", "+noedns", "many.dns.podman")
    assert " tc " in udp.split("flags:")[1].split(";")[0] + " "
    assert short(r.gw, "many.dns.podman") == sorted(addresses)  # dig retries over TCP


def test_forwarding_and_servfail(responder):
    r = responder
    assert "status: SERVFAIL" in dig(r.gw, "+timeout=8", "example.com", "MX", source=r.client)
    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    upstream.bind((r.upstream, 53))
    upstream.settimeout(10)
    reply = subprocess.Popen(["dig", f"@{r.gw}", "+tries=1", "+timeout=5", "-b", r.client, "example.com", "TXT"],
                             stdout=subprocess.PIPE, text=True)
    query, peer = upstream.recvfrom(4096)
    # The answer: the query with QR and RA set, rcode 0, no records (NODATA).
    upstream.sendto(query[:2] + bytes([query[2] | 0x80, 0x80]) + query[4:], peer)
    upstream.close()
    assert "status: NOERROR" in reply.communicate(timeout=10)[0]


class TruncatingUpstream:
    """An upstream on `address`:53 that answers every UDP query truncated (TC, no records), so the
    responder must ask again over TCP. Over TCP it answers A 192.0.2.53, or, as a black hole,
    accepts connections into its backlog and never reads them."""

    ANSWER = "192.0.2.53"

    def __init__(self, address: str, black_hole: bool):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((address, 53))
        self.udp.settimeout(0.1)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((address, 53))
        self.tcp.listen(8)
        self.tcp.settimeout(0.1)
        self.truncated = threading.Event()
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._serve_udp, daemon=True)]
        if not black_hole:
            self.threads.append(threading.Thread(target=self._serve_tcp, daemon=True))
        for thread in self.threads:
            thread.start()

    def _serve_udp(self) -> None:
        while not self.stopped.is_set():
            try:
                query, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            self.udp.sendto(query[:2] + bytes([query[2] | 0x82, 0x80]) + query[4:], peer)
            self.truncated.set()

    def _serve_tcp(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.tcp.accept()
            except socket.timeout:
                continue
            with connection:
                connection.settimeout(5)
                length = struct.unpack("!H", connection.recv(2))[0]
                query = b""
                while len(query) < length:
                    query += connection.recv(length - len(query))
                end = 12
                while query[end]:
                    end += 1 + query[end]
                # The question alone (not the query's OPT record), then the answer.
                answer = (query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + query[12:end + 5]
                          + struct.pack("!HHHIH", 0xC00C, 1, 1, 30, 4) + socket.inet_aton(self.ANSWER))
                connection.sendall(struct.pack("!H", len(answer)) + answer)

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.udp.close()
        self.tcp.close()


@pytest.fixture
def truncating(responder, request):
    stub = TruncatingUpstream(responder.upstream, black_hole=request.param)
    yield stub
    stub.stop()


@pytest.mark.parametrize("truncating", [False], indirect=True)
def test_a_truncated_upstream_answer_is_fetched_over_tcp(responder, truncating):
    r = responder
    assert short(r.gw, "example.com", "A", source=r.client) == [TruncatingUpstream.ANSWER]
    assert truncating.truncated.is_set()


@pytest.mark.parametrize("truncating", [True], indirect=True)
def test_a_black_holed_tcp_upstream_does_not_delay_local_answers(responder, truncating):
    r = responder
    forwarded = subprocess.Popen(["dig", f"@{r.gw}", "+tries=1", "+timeout=8", "-b", r.client, "example.com", "A"],
                                 stdout=subprocess.PIPE, text=True)
    started = time.monotonic()
    assert truncating.truncated.wait(5), "the upstream got no UDP query"
    # The responder is now waiting on a TCP connection the upstream never reads (2 s timeout).
    for _ in range(3):
        before = time.monotonic()
        assert short(r.gw, "web", source=r.client) == sorted([r.client, "10.53.0.3"])
        assert time.monotonic() - before < 0.5, "a local answer waited on the TCP upstream"
    assert time.monotonic() - started < 2, "the local answers did not all come inside the TCP timeout"
    assert "status: SERVFAIL" in forwarded.communicate(timeout=10)[0]


def test_listeners_follow_records_and_it_exits_when_none_remain(responder):
    r = responder
    pid = r.pid
    r.add("third", "c9", ["nine"], ["10.55.0.9"], [r.gw3])
    assert short(r.gw3, "nine") == ["10.55.0.9"]
    r.delete("third", "c9")
    assert "status:" not in dig(r.gw3, "nine")
    for network, container in (("app", "c1"), ("app", "c2"), ("other", "c3")):
        r.delete(network, container)
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), timeout=5, what="cni-dns exiting")
    assert "no records left, exiting" in (r.data / "cni-dns.log").read_text()


def test_a_held_port_fails_the_add_with_its_holder(responder):
    r = responder
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind((r.gw4, 53))
    try:
        failure = r.registrar.run_add("fourth", "c4", "eth0", ["four"], ["10.56.0.4"], [r.gw4])
        failure.expect_error(7)
        assert f"(pid {os.getpid()})" in failure.stdout and r.gw4 in failure.stdout
    finally:
        holder.close()


def test_sigkill_loses_nothing(responder):
    r = responder
    os.kill(r.pid, signal.SIGKILL)
    wait_until(lambda: not responder_pids(r.data) and responder_lock_free(r.data), timeout=5, what="cni-dns gone")
    # Started as a service manager would; it rebuilds every name from the store.
    process = subprocess.Popen([CNI_DNS, "--data-dir", r.data, "--foreground"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: short(r.gw, "web", source=r.client) == sorted([r.client, "10.53.0.3"]),
                   timeout=10, what="names answering after the restart")
    finally:
        process.kill()
        process.wait()


def test_a_second_instance_exits_at_once(responder):
    pid = responder.pid
    subprocess.run([CNI_DNS, "--data-dir", responder.data], check=True, timeout=5)
    assert responder_pids(responder.data) == [pid]


def test_malformed_packets_leave_it_answering(responder):
    r = responder
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for seed in sorted(CORPUS.iterdir()):
            s.sendto(seed.read_bytes(), (r.gw, 53))
        for length in range(0, 40):
            s.sendto(os.urandom(length), (r.gw, 53))
    with socket.create_connection((r.gw, 53), timeout=5) as t:
        t.sendall(b"\x00\x05\xc0\x0c\xc0")  # a framed runt
    assert short(r.gw, "web", source=r.client) == sorted([r.client, "10.53.0.3"])
