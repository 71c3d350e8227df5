"""cni-dns on its own: records written straight into a store, the responder on loopback gateway
addresses (127.53.N.x, unique per run), queried with dig. The dnsname plugin's tests run it through
ADD and DEL inside namespaces."""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harness.names import ours_dir
from harness.processes import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
from dns_store import put_records, record, remove_records  # noqa: E402

CNI_DNS = ours_dir() / "cni-dns"
CORPUS = Path(__file__).resolve().parent / "fuzz-corpus" / "dns"


class Responder:
    def __init__(self, data: Path):
        self.data = data
        self.process: subprocess.Popen | None = None
        base = random.randrange(1, 250)
        self.gw = f"127.53.{base}.1"
        self.gw2 = f"127.53.{base}.2"
        self.client = f"127.53.{base}.10"
        self.upstream = f"127.53.{base}.99"

    @property
    def store(self) -> Path:
        return self.data / "store.db"

    def start(self) -> None:
        self.process = subprocess.Popen([CNI_DNS, "--data-dir", self.data],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.answers(), what="cni-dns answering")

    def answers(self) -> bool:
        try:
            return self.control({"status": True}) is not None
        except OSError:
            return False

    def control(self, request: dict) -> dict:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.data / "cni-dns.sock"))
            s.sendall(json.dumps(request).encode() + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return json.loads(reply)

    def put(self, *records) -> dict:
        return self.control({"sync": put_records(self.store, records)})

    def remove(self, *owners) -> dict:
        return self.control({"sync": remove_records(self.store, owners)})


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
    data.mkdir()
    # The first start creates the store and exits, finding no records.
    subprocess.run([CNI_DNS, "--data-dir", data], check=True, timeout=10)
    r = Responder(data)
    put_records(r.store, [
        ("app", "c1", "eth0", record(["web", "www"], [r.client, "fd53::10"], [r.gw], upstreams=[r.upstream])),
        ("app", "c2", "eth0", record(["web"], ["10.53.0.3"], [r.gw], upstreams=[r.upstream])),
        ("other", "c3", "eth0", record(["secret"], ["10.54.0.3"], [r.gw2])),
    ])
    r.start()
    yield r
    if r.process and r.process.poll() is None:
        r.process.kill()
        r.process.wait()


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
    r.put(*[("app", f"a{k}", "eth0", record(["many"], [a], [r.gw])) for k, a in enumerate(addresses)])
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


def test_listeners_follow_records_and_it_exits_when_none_remain(responder):
    r = responder
    gw3 = r.gw.rsplit(".", 1)[0] + ".3"
    reply = r.put(("third", "c9", "eth0", record(["nine"], ["10.55.0.9"], [gw3])))
    assert reply["unbound"] == []
    assert short(gw3, "nine") == ["10.55.0.9"]
    r.remove(("third", "c9", "eth0"))
    assert "status:" not in dig(gw3, "nine")
    r.remove(("app", "c1", "eth0"), ("app", "c2", "eth0"), ("other", "c3", "eth0"))
    r.process.wait(timeout=5)
    assert r.process.returncode == 0


def test_a_held_port_is_reported_with_its_holder(responder):
    r = responder
    gw4 = r.gw.rsplit(".", 1)[0] + ".4"
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind((gw4, 53))
    try:
        reply = r.put(("fourth", "c4", "eth0", record(["four"], ["10.56.0.4"], [gw4])))
        assert [u["address"] for u in reply["unbound"]] == [gw4]
        assert f"(pid {os.getpid()})" in reply["unbound"][0]["holder"]
    finally:
        holder.close()


def test_sigkill_loses_nothing(responder):
    r = responder
    r.process.send_signal(signal.SIGKILL)
    r.process.wait()
    r.start()
    assert short(r.gw, "web", source=r.client) == sorted([r.client, "10.53.0.3"])


def test_a_second_instance_exits_at_once(responder):
    subprocess.run([CNI_DNS, "--data-dir", responder.data], check=True, timeout=5)
    assert responder.process.poll() is None


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
