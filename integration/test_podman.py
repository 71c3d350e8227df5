"""podman 4.3 with its CNI backend running our plugins, as podman users run them.

Two conflists, each test run on both: one written by hand (our bridge with kv-ipam, portmap,
dnsname) and the one `podman network create` writes (bridge with host-local, portmap, firewall,
tuning, dnsname), where ours answer bridge, portmap and dnsname because our directory comes first in
`cni_plugin_dirs`, and the reference plugins answer host-local, firewall and tuning. podman's whole
configuration, store and run root are in a scratch directory (harness/podman.py); the image is a
busybox-static root file system imported locally.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import harness
from conftest import leases, ours
from harness import BRIDGE_PREFIX, REFERENCE_DIR, bridge_ports, delete_bridge, host_local_leases, links, nft
from harness import podman as podman_harness
from harness.dns import DOMAIN, responder_pids
from traffic import outside  # noqa: F401 (fixture)

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(podman_harness.available() is not None,
                                 reason=podman_harness.available() or "")]

# What `podman network create` leaves unset and the plugins then default to.
HOST_LOCAL_DIR = Path("/var/lib/cni/networks")
DEFAULT_DATA_DIR = Path("/var/lib/swift-cni")

KINDS = ["hand-written", "podman-created"]


@dataclass
class PodmanNetwork:
    """A network podman knows, with where its plugins keep their state."""

    name: str
    kind: str
    subnet: ipaddress.IPv4Network
    bridge: str
    data_dir: Path  # dnsname's store (and kv-ipam's, for the hand-written conflist)
    conflist: dict = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return str(self.subnet.network_address + 1)

    def leases(self) -> dict[str, tuple[str, str]]:
        """{ip: (container ID, ifname)} from kv-ipam's store or host-local's files."""
        if self.kind == "hand-written":
            return leases(self.data_dir, self.name)
        return host_local_leases(HOST_LOCAL_DIR, self.name)

    def leases_of(self, container_id: str) -> list[str]:
        return sorted(ip for ip, (owner, _) in self.leases().items() if owner == container_id)


def store_mentions(data_dir: Path, text: str) -> list[str]:
    """Keys of the local store in `data_dir` whose key or value contains `text`, read with the
    `sqlite3` shell as docs/store.md shows operators."""
    database = data_dir / "store.db"
    if not database.exists():
        return []
    proc = harness.sh("sqlite3", "-readonly", "-json", str(database), "select key, value from kv")
    rows = json.loads(proc.stdout) if proc.stdout.strip() else []
    return [str(row["key"]) for row in rows if text in str(row["key"]) or text in str(row["value"])]


def published_to(port: int) -> list[str]:
    """The container addresses swift-cni's publish4 map sends TCP host port `port` to."""
    return re.findall(rf'tcp \. {port} comment "[^"]*" : ([0-9.]+) \. 80', nft.listing())


def host_links_of(container_id: str) -> list[str]:
    """Host links whose alias names the container (our bridge tags its host veths so)."""
    return [entry["ifname"] for entry in links() if container_id in (entry.get("ifalias") or "")]


def fetch(netns: str | None, url: str) -> str | None:
    """The body of `url` fetched by Python on the host or in `netns`, or None when nothing answered."""
    code = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode().strip())"
    argv = (["ip", "netns", "exec", netns] if netns else []) + ["/usr/bin/python3", "-c", code, url]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return proc.stdout.strip() if proc.returncode == 0 else None


# --------------------------------------------------------------------------------------------
# Fixtures


# The reference firewall plugin's iptables chains, which it creates on first use and never removes.
FIREWALL_CHAINS = ("CNI-FORWARD", "CNI-ADMIN")
FIREWALL_JUMP = ("FORWARD", "-m", "comment", "--comment", "CNI firewall plugin rules", "-j", "CNI-FORWARD")


def firewall_chains(tool: str) -> bool:
    return subprocess.run([tool, "-S", FIREWALL_CHAINS[0]], capture_output=True).returncode == 0


def remove_firewall_chains(tool: str) -> None:
    subprocess.run([tool, "-D", *FIREWALL_JUMP], capture_output=True)
    for chain in FIREWALL_CHAINS:
        subprocess.run([tool, "-F", chain], capture_output=True)
    for chain in FIREWALL_CHAINS:
        subprocess.run([tool, "-X", chain], capture_output=True)


@pytest.fixture(scope="module")
def podman(session):
    # Resolved before podman exists, so a missing build fails clearly instead of "network not found".
    for plugin in ("bridge", "portmap", "dnsname", "cni-dns", "kv-ipam"):
        ours(plugin)
    had_chains = {tool: firewall_chains(tool) for tool in ("iptables", "ip6tables")}
    instance = podman_harness.Podman(Path(session.root) / f"podman{session.unique()}",
                                     [harness.ours_dir(), REFERENCE_DIR])
    try:
        yield instance
    finally:
        try:
            instance.close()
        finally:
            for tool, had in had_chains.items():
                if not had:
                    remove_firewall_chains(tool)


class Networks:
    """Makes networks for one test; `cleanup` removes the containers, networks, bridges, host-local
    directories and responders the test left."""

    def __init__(self, podman: podman_harness.Podman, session):
        self.podman, self.session = podman, session
        self.made: list[PodmanNetwork] = []
        self.default_responders = set(responder_pids(DEFAULT_DATA_DIR))

    def make(self, kind: str) -> PodmanNetwork:
        n = self.session.unique()
        name, subnet = f"{harness.NS_PREFIX}pm{n}", self.session.subnets()[0]
        if kind == "hand-written":
            data_dir = Path(self.session.root) / f"pmdata{n}"
            network = PodmanNetwork(name, kind, subnet, f"{BRIDGE_PREFIX}p{n}", data_dir)
            self.made.append(network)
            network.conflist = json.loads(self.podman.write_conflist(name, [
                {"type": "bridge", "bridge": network.bridge, "isGateway": True, "ipMasq": True, "hairpinMode": True,
                 "ipam": {"type": "kv-ipam", "dataDir": str(data_dir), "ranges": [[{"subnet": str(subnet)}]],
                          "routes": [{"dst": "0.0.0.0/0"}]}},
                {"type": "portmap", "capabilities": {"portMappings": True}},
                {"type": "dnsname", "domainName": DOMAIN, "dataDir": str(data_dir), "capabilities": {"aliases": True}},
            ]).read_text())
        else:
            network = PodmanNetwork(name, kind, subnet, "", DEFAULT_DATA_DIR)
            self.made.append(network)
            network.conflist = self.podman.create_network(name, str(subnet))
            network.bridge = network.conflist["plugins"][0]["bridge"]
            types = [plugin["type"] for plugin in network.conflist["plugins"]]
            assert types == ["bridge", "portmap", "firewall", "tuning", "dnsname"], network.conflist
        return network

    def cleanup(self) -> None:
        self.podman.remove_all()
        for network in self.made:
            self.podman.remove_network(network.name)
            if network.bridge:
                delete_bridge(network.bridge)
            if network.kind == "podman-created":
                shutil.rmtree(HOST_LOCAL_DIR / network.name, ignore_errors=True)
        # A responder exits once its networks have no names; one this test started and left is ended.
        # (An exited one may stay a zombie a while: its command line is empty, so it is not listed.)
        def started() -> set[int]:
            return {pid for network in self.made for pid in responder_pids(network.data_dir)
                    if network.data_dir != DEFAULT_DATA_DIR or pid not in self.default_responders}

        try:
            harness.wait_until(lambda: not started(), timeout=5, what="the responders to exit")
        except AssertionError:
            for pid in started():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


@pytest.fixture
def networks(podman, session):
    made = Networks(podman, session)
    try:
        yield made
    finally:
        made.cleanup()


@pytest.fixture(params=KINDS)
def network(request, networks) -> PodmanNetwork:
    return networks.make(request.param)


def name(session, what: str) -> str:
    return f"pm{session.unique()}-{what}"


# --------------------------------------------------------------------------------------------
# Tests


def test_podman_loads_the_network_as_a_bridge_network_with_dns(network, podman):
    """podman probes every plugin of a conflist with VERSION and drops the conflist if one refuses;
    this one is listed, on its bridge, with DNS (the dnsname plugin)."""
    listed = json.loads(podman("network", "inspect", network.name).stdout)[0]
    assert listed["name"] == network.name and listed["network_interface"] == network.bridge
    assert listed["dns_enabled"] is True


def test_a_plugin_error_reaches_the_podman_user_and_leaves_nothing(networks, podman, session):
    """An address outside the subnet: podman leaves that check to kv-ipam, whose CNI error podman
    prints; the failed ADD is rolled back."""
    network = networks.make("hand-written")
    outside_subnet = str(network.subnet.network_address + 256)
    failed = podman.run_failing(name(session, "bad"), [network.name], "--ip", outside_subnet)
    assert failed.returncode == 126, failed.stderr
    assert 'plugin type="bridge" failed (add)' in failed.stderr and outside_subnet in failed.stderr, failed.stderr
    assert network.leases() == {} and bridge_ports(network.bridge) == []
    assert nft.owned_by(f"{network.name}/") == []


def test_containers_ping_each_other_by_ip_name_and_alias(network, podman, session):
    web = podman.run(name(session, "web"), [network.name], "--network-alias", "frontend")
    client = podman.run(name(session, "client"), [network.name])
    web_ip = web.ip(network.name)
    assert ipaddress.ip_address(web_ip) in network.subnet

    resolv = client.exec("cat", "/etc/resolv.conf").stdout
    assert f"nameserver {network.gateway}" in resolv and DOMAIN in resolv, resolv
    client.pings(web_ip)
    client.pings(web.name)
    client.pings("frontend")
    assert client.resolves(f"{web.name}.{DOMAIN}") == web_ip
    assert client.resolves("frontend") == web_ip
    web.pings(client.name)
    assert client.fetch(f"http://{web.name}/") == web.name


def test_published_port_reaches_the_container_from_the_host_and_another_namespace(network, podman, session,
                                                                                  outside):
    port = 32000 + session.unique()
    web = podman.run(name(session, "web"), [network.name], "-p", f"{port}:80")
    assert published_to(port) == [web.ip(network.name)]
    assert fetch(outside.netns, f"http://{outside.host}:{port}/") == web.name  # another host on the LAN
    assert fetch(None, f"http://{outside.host}:{port}/") == web.name  # the host, to its own address
    assert fetch(None, f"http://127.0.0.1:{port}/") == web.name  # the host, over loopback


def test_requested_ip_and_mac_are_honoured(network, podman, session):
    address, mac = str(network.subnet.network_address + 77), "02:5c:00:00:00:77"
    web = podman.run(name(session, "web"), [network.name], "--ip", address, "--mac-address", mac)
    assert web.interface() == ([f"{address}/{network.subnet.prefixlen}"], mac)
    assert web.ip(network.name) == address
    assert web.networks()[network.name]["MacAddress"] == mac
    assert network.leases_of(web.id) == [address]
    client = podman.run(name(session, "client"), [network.name])
    client.pings(web.name)
    assert client.resolves(web.name) == address


def test_network_connect_and_disconnect(networks, podman, session):
    first, second = networks.make("hand-written"), networks.make("podman-created")
    roamer = podman.run(name(session, "roamer"), [first.name])
    stay = podman.run(name(session, "stay"), [second.name])
    assert not roamer.has_interface("eth1")

    podman("network", "connect", second.name, roamer.name)
    addresses, _ = roamer.interface("eth1")
    second_ip = roamer.ip(second.name)
    assert addresses == [f"{second_ip}/{second.subnet.prefixlen}"]
    assert second.leases_of(roamer.id) == [second_ip]
    roamer.pings(stay.ip(second.name))
    stay.pings(roamer.name)
    assert stay.resolves(roamer.name) == second_ip

    podman("network", "disconnect", second.name, roamer.name)
    assert not roamer.has_interface("eth1")
    assert second.leases_of(roamer.id) == []
    assert stay.resolves(roamer.name) is None
    assert store_mentions(second.data_dir, roamer.id) == []
    assert first.leases_of(roamer.id) == [roamer.ip(first.name)]  # the first network is untouched
    roamer.pings(first.gateway)


def test_rm_f_leaves_no_link_lease_dns_record_or_firewall_element(network, podman, session):
    port = 32000 + session.unique()
    gone = podman.run(name(session, "gone"), [network.name], "--network-alias", "doomed", "-p", f"{port}:80")
    other = podman.run(name(session, "other"), [network.name])
    gone_ip, sandbox = gone.ip(network.name), gone.inspect()["NetworkSettings"]["SandboxKey"]
    # Everything that should go is there first.
    assert len(bridge_ports(network.bridge)) == 2 and host_links_of(gone.id)
    assert network.leases_of(gone.id) == [gone_ip]
    assert other.resolves("doomed") == gone_ip
    assert store_mentions(network.data_dir, gone.id)
    assert nft.owned_by(gone.id) and published_to(port) == [gone_ip]
    assert gone_ip in harness.sh("nft", "list", "ruleset").stdout

    podman("rm", "-f", "-t", "0", gone.name)

    assert host_links_of(gone.id) == [] and len(bridge_ports(network.bridge)) == 1
    assert not Path(sandbox).exists()
    assert network.leases_of(gone.id) == []
    assert other.resolves(gone.name) is None and other.resolves("doomed") is None
    assert store_mentions(network.data_dir, gone.id) == []
    assert nft.owned_by(gone.id) == [] and published_to(port) == []
    ruleset = harness.sh("nft", "list", "ruleset").stdout
    assert gone_ip not in ruleset and gone.id not in ruleset
    other.pings(network.gateway)


def test_a_restarted_container_keeps_working(network, podman, session):
    port = 32000 + session.unique()
    web = podman.run(name(session, "web"), [network.name], "--network-alias", "frontend", "-p", f"{port}:80")
    client = podman.run(name(session, "client"), [network.name])
    client.pings(web.name)

    podman("restart", "-t", "0", web.name)

    web_ip = web.ip(network.name)
    assert network.leases_of(web.id) == [web_ip]  # one lease, whichever address it got
    assert len(bridge_ports(network.bridge)) == 2
    client.pings(web.name)
    assert client.resolves("frontend") == web_ip
    web.pings(client.name)
    assert fetch(None, f"http://127.0.0.1:{port}/") == web.name
    assert published_to(port) == [web_ip]

