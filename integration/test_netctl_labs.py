"""netctl's labs: the shipped topologies come up, carry their traffic and go down leaving nothing;
`lab up` twice is `lab up` once; a failing step rolls back; objects that are not the lab's are never
taken over; bad files and bad command lines exit 1 and 2 with messages naming what is wrong; and
`netctl netns|veth|bridge` do what `ip` would."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness
from harness import BRIDGE_PREFIX, NS_PREFIX, PID, REPO, nft, ours_dir, sh
from traffic import address_of, ask, outside, servers  # noqa: F401 (fixtures)

LABS = REPO / "conf" / "labs"
STATE_DIR = Path("/run/netctl/labs")
# The shipped labs' addresses, which must not be routed on the host running them.
SHIPPED_RANGE = ipaddress.ip_network("10.213.0.0/16")

pytestmark = pytest.mark.ours_only


def netctl(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    return sh(str(ours_dir() / "netctl"), *args, check=check, timeout=timeout)


# --------------------------------------------------------------------------------------------
# What the host looks like, to compare before and after


def snapshot(markers: tuple[str, ...]) -> dict:
    """Everything of the host a lab could leave that mentions one of `markers` (the lab's names and
    subnets; other sessions change the rest of the host meanwhile): namespaces, host links (with alias
    and master), host routes in every table, nftables elements and other nftables objects; and the
    host's forwarding sysctl and the lab state files, whole."""
    def mine(items) -> list[str]:
        return sorted(text for text in map(str, items) if any(marker in text for marker in markers))

    ruleset = json.loads(sh("nft", "-j", "list", "ruleset").stdout)["nftables"]
    return {
        "namespaces": mine(harness.netns_names()),
        "links": mine((l["ifname"], l.get("ifalias", ""), l.get("master", "")) for l in harness.links()),
        "routes": mine(json.dumps(r, sort_keys=True) for r in json.loads(sh("ip", "-j", "route", "show", "table", "all").stdout)),
        "nft elements": mine(nft.elements()),
        "nft other": mine(json.dumps(item, sort_keys=True) for item in ruleset if "set" not in item and "map" not in item),
        "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text(),
        "lab states": sorted(p.name for p in STATE_DIR.glob("*.json")) if STATE_DIR.is_dir() else [],
    }


def markers_of(lab: str, *names: str) -> tuple[str, ...]:
    """What the lab's objects mention: its tag, its firewall owner, and `names` (object names, subnets)."""
    return (f"netctl-lab:{lab}", f"lab {lab}/") + names


def clean_up(before: dict, lab: str, file: Path | None, markers: tuple[str, ...]) -> None:
    """`lab down`, then removes by force whatever is new since `before` (so a broken down cannot leak)."""
    if file is not None:
        netctl("lab", "down", str(file), check=False)
    after = snapshot(markers)
    for name in set(after["namespaces"]) - set(before["namespaces"]):
        harness.delete_netns(name)
    for entry in set(after["links"]) - set(before["links"]):
        harness.delete_link(eval(entry)[0])
    nft.delete_elements(nft.owned_by(f"lab {lab}/"))
    Path("/proc/sys/net/ipv4/ip_forward").write_text(before["ip_forward"])
    (STATE_DIR / f"{lab}.json").unlink(missing_ok=True)


@pytest.fixture
def lab_host():
    """Yields `bring(file, lab)`, which snapshots the host and registers the lab for clean-up; at the end
    asserts nothing the test made is left, and removes it if it is."""
    registered: list[tuple[dict, str, Path, tuple[str, ...]]] = []

    def bring(file: Path, lab: str, *names: str) -> Snapshot:
        markers = markers_of(lab, *names)
        before = snapshot(markers)
        registered.append((before, lab, file, markers))
        return Snapshot(before, markers)

    yield bring
    for before, lab, file, markers in reversed(registered):
        clean_up(before, lab, file, markers)


@dataclass
class Snapshot:
    before: dict
    markers: tuple[str, ...]

    def unchanged(self) -> bool:
        return snapshot(self.markers) == self.before


def shipped(name: str) -> Path:
    if harness.host_routes_overlap(SHIPPED_RANGE):
        pytest.skip(f"the host routes part of {SHIPPED_RANGE}, which the shipped labs use")
    return LABS / name


def assert_up_output(out: str, lab: str, steps: int, outcome: str = "done") -> None:
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == steps, out
    assert all(line.startswith(f"[{i}/{steps}] ") and line.endswith(f": {outcome}") for i, line in enumerate(lines, 1)), out
    assert f"lab {lab} is up" in out, out


def down_and_compare(file: Path, host: Snapshot) -> None:
    netctl("lab", "down", str(file))
    assert snapshot(host.markers) == host.before
    assert all(entry["file"] != str(file) for entry in json.loads(netctl("lab", "ls", "--json").stdout))


def in_ns(netns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs a command through `netctl netns exec`, the way the labs' READMEs say to."""
    return netctl("netns", "exec", netns, "--", *args, check=check)


def ping(netns: str, address: str) -> None:
    harness.wait_until(lambda: in_ns(netns, "ping", "-c", "1", "-W", "1", address, check=False).returncode == 0,
                       timeout=10, interval=0.05, what=f"ping {address} from {netns}")


# --------------------------------------------------------------------------------------------
# The shipped labs


def test_veth_pair_lab_pings_and_leaves_nothing(lab_host):
    file = shipped("veth-pair.yaml")
    host = lab_host(file, "veth-pair", "lab-a", "lab-b", "veth-a", "veth-b", "10.213.")
    dry = netctl("lab", "up", "--dry-run", str(file))
    assert dry.stdout.splitlines()[:3] == ["[1/3] namespace lab-a", "[2/3] namespace lab-b",
                                           "[3/3] veth veth-a (lab-a) 10.213.1.1/24 <-> veth-b (lab-b) 10.213.1.2/24"]
    assert host.unchanged()
    up = netctl("lab", "up", str(file))
    assert_up_output(up.stdout, "veth-pair", 3)
    ping("lab-a", "10.213.1.2")
    ping("lab-b", "10.213.1.1")
    assert harness.link("veth-a", "lab-a")["ifalias"] == "netctl-lab:veth-pair"
    down_and_compare(file, host)


def test_bridge_nat_lab_bridges_three_namespaces_and_masquerades(lab_host, outside, servers):
    file = shipped("bridge-nat.yaml")
    host = lab_host(file, "bridge-nat", "lab-c", "labbr0", "labc", "10.213.")
    netctl("lab", "up", str(file))
    ping("lab-c1", "10.213.2.13")
    ping("lab-c2", "10.213.2.1")
    assert set(harness.bridge_ports("labbr0")) == {"labc1", "labc2", "labc3"}
    # Beyond the host, the lab's addresses are hidden behind the host's own.
    servers(outside.netns, "outside", "tcp", 7000)
    for netns in ("lab-c1", "lab-c3"):
        assert address_of(ask(netns, "tcp", outside.address, 7000)) == outside.host
    assert len(nft.owned_by("lab bridge-nat/")) > 0
    down_and_compare(file, host)
    assert nft.owned_by("lab bridge-nat/") == []


def test_vxlan_lab_carries_the_containers_traffic_over_the_tunnel(lab_host):
    file = shipped("vxlan.yaml")
    host = lab_host(file, "vxlan", "lab-host", "lab-ctr", "under", "vx42", "10.213.")
    netctl("lab", "up", str(file))

    def tunnelled() -> int:
        entry = json.loads(sh("ip", "-n", "lab-host1", "-j", "-s", "link", "show", "vx42").stdout)[0]
        return entry["stats64"]["tx"]["packets"]

    sent = tunnelled()
    ping("lab-ctr1", "10.213.4.2")
    assert tunnelled() > sent, "the ping did not go through the VXLAN link"
    vxlan = harness.link("vx42", "lab-host2")["linkinfo"]["info_data"]
    assert (vxlan["id"], vxlan["remote"], vxlan["local"], vxlan["link"], vxlan["port"]) == (42, "10.213.3.1", "10.213.3.2", "under2", 4789)
    down_and_compare(file, host)


# --------------------------------------------------------------------------------------------
# Idempotence, rollback, ownership


def lab_file(tmp_path: Path, lab: str, text: str) -> Path:
    file = tmp_path / f"{lab}.yaml"
    file.write_text(text)
    return file


def test_up_twice_is_up_once_and_down_leaves_nothing(lab_host, tmp_path, session):
    lab, ns, bridge = f"t{PID}-twice", f"{NS_PREFIX}tw", f"{BRIDGE_PREFIX}tw"
    v4, _ = session.subnets()
    gateway, peer = v4.network_address + 1, v4.network_address + 2
    file = lab_file(tmp_path, lab, f"""
name: {lab}
namespaces: [{ns}]
bridges: [{{name: {bridge}, addresses: ["{gateway}/24"]}}]
veths:
  - a: {{name: {bridge}p, master: {bridge}}}
    b: {{name: eth0, namespace: {ns}, addresses: ["{peer}/24"]}}
routes: [{{namespace: {ns}, to: default, via: "{gateway}"}}]
sysctls:
  - {{namespace: {ns}, key: net.ipv4.conf.all.forwarding, value: 1}}
  - {{key: net/ipv4/conf/{bridge}/arp_ignore, value: 1}}   # the host's, on the lab's own bridge
masquerade: ["{v4}"]
""")
    host = lab_host(file, lab, ns, bridge, str(v4.network_address)[:-1])
    first = netctl("lab", "up", str(file))
    state = json.loads(netctl("lab", "ls", "--json").stdout)
    links = snapshot(host.markers)["links"]
    second = netctl("lab", "up", str(file))
    assert second.stdout.count(": already there") == 7, second.stdout
    assert ": done" not in second.stdout
    assert json.loads(netctl("lab", "ls", "--json").stdout) == state
    assert snapshot(host.markers)["links"] == links
    assert "done" in first.stdout
    assert in_ns(ns, "cat", "/proc/sys/net/ipv4/conf/all/forwarding").stdout.strip() == "1"
    ping(ns, str(gateway))
    [recorded] = [o for entry in state if entry["name"] == lab for o in entry["objects"] if o["kind"] == "sysctl"]
    assert recorded == {"kind": "sysctl", "name": f"net/ipv4/conf/{bridge}/arp_ignore", "previous": "0", "value": "1"}
    down = netctl("lab", "down", lab)
    assert f"sysctl net/ipv4/conf/{bridge}/arp_ignore (back to 0): removed" in down.stdout, down.stdout
    assert host.unchanged()
    assert "is not up" in netctl("lab", "down", str(file)).stdout


def test_a_failing_third_step_rolls_back_everything(lab_host, tmp_path, session):
    lab, ns, bridge = f"t{PID}-fail", f"{NS_PREFIX}fl", f"{BRIDGE_PREFIX}fl"
    v4, _ = session.subnets()
    unreachable = v4.network_address + 1
    # The gateway is on no link of the namespace: the kernel refuses the route, the third step.
    file = lab_file(tmp_path, lab, f"""
name: {lab}
namespaces: [{ns}]
bridges: [{{name: {bridge}}}]
routes: [{{namespace: {ns}, to: "{v4}", via: "{unreachable}"}}]
""")
    host = lab_host(file, lab, ns, bridge, str(v4.network_address)[:-1])
    failed = netctl("lab", "up", str(file), check=False)
    assert failed.returncode == 1
    assert "step 3/3" in failed.stderr and "rolled back (2 objects removed)" in failed.stderr, failed.stderr
    assert "[3/3] route" in failed.stdout and "FAILED" in failed.stdout
    assert host.unchanged()
    assert all(entry["name"] != lab for entry in json.loads(netctl("lab", "ls", "--json").stdout))
    assert "is not up; nothing to remove" in netctl("lab", "down", str(file)).stdout
    assert host.unchanged()


def test_objects_that_are_not_the_labs_are_never_taken_over(lab_host, tmp_path, make_netns):
    theirs = make_netns()
    lab, ns = f"t{PID}-foreign", f"{NS_PREFIX}fo"
    file = lab_file(tmp_path, lab, f"name: {lab}\nnamespaces: [{ns}, {theirs.name}]\n")
    host = lab_host(file, lab, ns, theirs.name)
    failed = netctl("lab", "up", str(file), check=False)
    assert failed.returncode == 1
    assert f"namespace {theirs.name} exists and is not part of lab {lab}" in failed.stderr, failed.stderr
    assert host.unchanged()  # the lab's own namespace rolled back, the other one still there
    assert theirs.name in harness.netns_names()


def test_down_leaves_a_link_that_lost_the_labs_tag(lab_host, tmp_path):
    lab, bridge = f"t{PID}-tag", f"{BRIDGE_PREFIX}tg"
    file = lab_file(tmp_path, lab, f"name: {lab}\nbridges: [{{name: {bridge}}}]\n")
    host = lab_host(file, lab, bridge)
    netctl("lab", "up", str(file))
    sh("ip", "link", "set", bridge, "alias", "someone else's")
    down = netctl("lab", "down", str(file))
    assert "kept: changed since" in down.stdout
    assert harness.link_exists(bridge)
    harness.delete_link(bridge)
    assert host.unchanged()


# --------------------------------------------------------------------------------------------
# Crash safety: `up` killed at any point leaves only what `down` removes


def killed_up(file: Path, syscall: str, n: int) -> bool:
    """Runs `lab up` under strace, which sends it SIGKILL as it enters its n-th `syscall` (counted per
    thread), before the call runs. False if `up` finished first."""
    run = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", f"--inject={syscall}:signal=SIGKILL:when={n}",
                          str(ours_dir() / "netctl"), "lab", "up", str(file)], capture_output=True, text=True, timeout=60)
    if run.returncode == 0:
        return False
    assert run.returncode in (-9, 137), (syscall, n, run.returncode, run.stderr)
    return True


def lab_state(lab: str) -> list[dict]:
    path = STATE_DIR / f"{lab}.json"
    return json.loads(path.read_text())["objects"] if path.exists() else []


def made_but_not_recorded(lab: str) -> bool:
    """Whether the kill left an object in the kernel that the state file has only as intended."""
    for obj in lab_state(lab):
        if not obj.get("intended"):
            continue
        if obj["kind"] == "namespace" and Path("/run/netns", obj["name"]).exists():
            return True
        if obj["kind"] == "link" and any(harness.link_exists(name, obj.get("namespace")) for name in (obj["name"], obj["staging"])
                                         if obj.get("namespace") is None or Path("/run/netns", obj["namespace"]).exists()):
            return True
    return False


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to kill `lab up` at each system call")
def test_up_killed_at_any_point_leaves_exactly_what_down_removes(lab_host, tmp_path, session):
    """Kills `lab up` before each of its netlink and nftables requests, namespace creations and state-file
    renames in turn. After each kill, either `up` again completes the lab, or `down` removes what the killed
    run made and leaves objects of the same names that someone else made meanwhile."""
    lab, ns1, ns2, bridge = f"t{PID}-crash", f"{NS_PREFIX}k1", f"{NS_PREFIX}k2", f"{BRIDGE_PREFIX}kb"
    port = f"{BRIDGE_PREFIX}kp"
    v4, _ = session.subnets()
    gateway, peer = v4.network_address + 1, v4.network_address + 2
    file = lab_file(tmp_path, lab, f"""
name: {lab}
namespaces: [{ns1}, {ns2}]
bridges: [{{name: {bridge}, addresses: ["{gateway}/24"]}}]
veths:
  - a: {{name: {port}, master: {bridge}}}
    b: {{name: eth0, namespace: {ns1}, addresses: ["{peer}/24"]}}
  - a: {{name: k12, namespace: {ns1}}}
    b: {{name: k21, namespace: {ns2}}}
routes: [{{namespace: {ns1}, to: default, via: "{gateway}"}}]
sysctls: [{{key: net/ipv4/conf/{bridge}/arp_ignore, value: 1}}]
masquerade: ["{v4}"]
""")
    host = lab_host(file, lab, ns1, ns2, bridge, port, "nclab", str(v4.network_address)[:-1])
    kills, windows = 0, 0
    for syscall in ("unshare", "sendmsg", "sendto", "rename"):
        for n in range(1, 500):
            if not killed_up(file, syscall, n):
                break
            kills += 1
            windows += made_but_not_recorded(lab)
            if n % 2:
                # `up` again finishes the lab as if nothing had happened.
                netctl("lab", "up", str(file))
                assert netctl("lab", "up", str(file)).stdout.count(": already there") == 8, (syscall, n)
                assert harness.link(port)["ifalias"] == f"netctl-lab:{lab}" and harness.link(port)["operstate"] != "DOWN"
                down_and_compare(file, host)
                continue
            # Names the killed run had not made yet are free: someone takes them before `down`.
            theirs_ns = [name for name in (ns1, ns2) if name not in harness.netns_names()]
            theirs_links = [name for name in (bridge, port) if not harness.link_exists(name)]
            for name in theirs_ns:
                sh("ip", "netns", "add", name)
            for name in theirs_links:
                sh("ip", "link", "add", name, "type", "bridge")
            netctl("lab", "down", str(file))
            assert all(name in harness.netns_names() for name in theirs_ns), (syscall, n)
            assert all(harness.link_exists(name) for name in theirs_links), (syscall, n)
            for name in theirs_ns:
                harness.delete_netns(name)
            for name in theirs_links:
                harness.delete_link(name)
            assert snapshot(host.markers) == host.before, (syscall, n)
        else:
            pytest.fail(f"`lab up` made more than 500 {syscall} calls")
        down_and_compare(file, host)
    assert kills > 50 and windows > 5, (kills, windows)


def test_up_stopped_as_its_link_appears_and_killed_leaves_nothing_after_down(lab_host, tmp_path, session):
    """SIGSTOP the moment `up`'s bridge shows in /sys/class/net (under its staging name or its own), then
    SIGKILL: whatever the state file had recorded by then, `down` removes the lab and the next `up` works."""
    lab, ns, bridge = f"t{PID}-stop", f"{NS_PREFIX}st", f"{BRIDGE_PREFIX}sb"
    v4, _ = session.subnets()
    file = lab_file(tmp_path, lab, f"""
name: {lab}
namespaces: [{ns}]
bridges: [{{name: {bridge}, addresses: ["{v4.network_address + 1}/24"]}}]
veths: [{{a: {{name: {bridge}p, master: {bridge}}}, b: {{name: eth0, namespace: {ns}}}}}]
""")
    host = lab_host(file, lab, ns, bridge, "nclab")
    def appeared() -> bool:
        return any(name == bridge or name.startswith("nclab") for name in os.listdir("/sys/class/net"))

    up = subprocess.Popen([str(ours_dir() / "netctl"), "lab", "up", str(file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not appeared() and up.poll() is None and time.monotonic() < deadline:
            pass
        up.send_signal(signal.SIGSTOP)
        assert up.poll() is None, "`lab up` finished before its bridge appeared"
        assert ns in harness.netns_names() and lab_state(lab), "stopped before the bridge step"
    finally:
        up.kill()
        up.wait()
    netctl("lab", "down", str(file))
    assert host.unchanged()
    netctl("lab", "up", str(file))
    assert harness.link(bridge)["ifalias"] == f"netctl-lab:{lab}"
    down_and_compare(file, host)


def test_down_after_a_crash_removes_only_what_carries_the_labs_tag(lab_host, tmp_path):
    """The state file a killed `up` leaves, written out: `down` removes the half-made objects it names and
    none of the objects of the same names that are someone else's."""
    lab = f"t{PID}-own"
    theirs, replaced, placeholder = f"{NS_PREFIX}ot", f"{NS_PREFIX}or", f"{NS_PREFIX}op"
    their_link, unfinished, staging = f"{BRIDGE_PREFIX}ot", f"{BRIDGE_PREFIX}ou", f"nclab{PID:010x}"[:15]
    file = lab_file(tmp_path, lab, f"name: {lab}\nnamespaces: [{theirs}]\n")
    host = lab_host(file, lab, theirs, replaced, placeholder, their_link, unfinished, staging)
    try:
        sh("ip", "netns", "add", theirs)        # made after the kill, under a name the lab meant to use
        sh("ip", "netns", "add", replaced)      # made after someone removed the lab's own
        sh("ip", "link", "add", their_link, "type", "bridge")
        Path("/run/netns", placeholder).touch()  # a namespace creation killed before it was pinned
        sh("ip", "link", "add", staging, "type", "bridge")  # a link killed before it was tagged and renamed
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        (STATE_DIR / f"{lab}.json").write_text(json.dumps({"lab": lab, "file": str(file), "objects": [
            {"kind": "namespace", "name": replaced},
            {"kind": "namespace", "name": placeholder, "intended": True},
            {"kind": "link", "name": unfinished, "staging": staging, "intended": True},
            {"kind": "link", "name": their_link, "staging": "nclabffffffffff", "intended": True},
            {"kind": "namespace", "name": theirs, "intended": True},
        ]}))
        down = netctl("lab", "down", lab)
        assert f"namespace {replaced}: kept" in down.stdout, down.stdout
        assert {theirs, replaced} <= set(harness.netns_names()) and placeholder not in harness.netns_names()
        assert harness.link_exists(their_link) and not harness.link_exists(staging)
        assert lab_state(lab) == []
    finally:
        for name in (theirs, replaced, placeholder):
            harness.delete_netns(name)
        for name in (their_link, staging):
            harness.delete_link(name)
    assert host.unchanged()


# --------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("text, field", [
    ("name: x\nveth: []\n", "veth: unknown field"),
    ("name: x\nnamespaces: [a]\nveths:\n  - a: {name: v1, namespace: a}\n    b: {name: v2, namespace: zz}\n",
     "veths[0].b.namespace: \"zz\" is not among the lab's namespaces"),
    ("name: x\nbridges: [{name: b0, addresses: [10.1.2.3]}]\n", "bridges[0].addresses[0]"),
    ("name: x\n  bad: indentation\n", "invalid YAML: line 2"),
])
def test_a_bad_file_exits_1_naming_the_file_and_field(tmp_path, text, field):
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    markers = markers_of("x")
    before = snapshot(markers)
    failed = netctl("lab", "up", str(file), check=False)
    assert failed.returncode == 1
    assert f"{file}: {field}" in failed.stderr, failed.stderr
    assert snapshot(markers) == before


def test_usage_errors_exit_2_and_missing_files_exit_1(tmp_path):
    assert netctl("lab", "up", check=False).returncode == 2
    assert netctl("veth", "add", "only-one", check=False).returncode == 2
    bad_address = netctl("bridge", "add", "b0", "--addr", "10.1.2.3", check=False)
    assert bad_address.returncode == 2 and "10.1.2.3" in bad_address.stderr
    missing = netctl("lab", "up", str(tmp_path / "nope.yaml"), check=False)
    assert missing.returncode == 1 and str(tmp_path / "nope.yaml") in missing.stderr
    for command in (["netns"], ["netns", "add"], ["netns", "del"], ["netns", "ls"], ["netns", "exec"], ["veth"],
                    ["veth", "add"], ["veth", "del"], ["bridge"], ["bridge", "add"], ["bridge", "del"], ["lab"],
                    ["lab", "up"], ["lab", "down"], ["lab", "ls"]):
        assert "Example:" in netctl(*command, "--help").stdout, command


# --------------------------------------------------------------------------------------------
# The single-object commands


def test_netns_veth_and_bridge_commands(session):
    a, b, bridge = f"{NS_PREFIX}ca", f"{NS_PREFIX}cb", f"{BRIDGE_PREFIX}cm"
    v4, _ = session.subnets()
    etc = Path("/etc/netns") / a
    try:
        netctl("netns", "add", a)
        netctl("netns", "add", b)
        assert "exists already" in netctl("netns", "add", a, check=False).stderr
        listed = {entry["name"]: entry for entry in json.loads(netctl("netns", "ls", "--json").stdout)}
        assert listed[a] == {"name": a, "links": 0}
        assert a in sh("ip", "netns", "list").stdout  # ip netns sees ours

        netctl("veth", "add", "va", "vb", "--ns-a", a, "--ns-b", b,
               "--addr-a", f"{v4.network_address + 1}/24", "--addr-b", f"{v4.network_address + 2}/24")
        ping(a, str(v4.network_address + 2))
        assert in_ns(a, "ls", "/sys/class/net").stdout.split() == ["lo", "va"]
        assert in_ns(a, "sh", "-c", "exit 7", check=False).returncode == 7

        etc.mkdir(parents=True)
        (etc / "resolv.conf").write_text("nameserver 10.213.255.53\n")
        assert in_ns(a, "cat", "/etc/resolv.conf").stdout == "nameserver 10.213.255.53\n"

        netctl("bridge", "add", bridge, "--addr", f"{v4.network_address + 129}/25", "--ns", b)
        assert harness.link(bridge, b)["linkinfo"]["info_kind"] == "bridge"
        refused = netctl("bridge", "del", "vb", "--ns", b, check=False)
        assert refused.returncode == 1 and "not a bridge" in refused.stderr
        netctl("bridge", "del", bridge, "--ns", b)
        assert not harness.link_exists(bridge, b)
        netctl("veth", "del", "vb", "--ns", b)
        assert not harness.link_exists("va", a)

        netctl("netns", "del", a)
        assert not Path("/run/netns", a).exists()
        assert netctl("netns", "del", a, check=False).returncode == 1
    finally:
        for name in (a, b):
            harness.delete_netns(name)
        shutil.rmtree(etc, ignore_errors=True)
