"""netctl's runner and inspection, run as a person or a runtime runs them: against our bridge+portmap
and the reference bridge+portmap+firewall+tuning chain, with its own configuration directory and
result cache per test, inside namespaces the test makes (all removed at teardown)."""

from __future__ import annotations

import base64
import os
import ipaddress
import json
import subprocess
from pathlib import Path

import pytest

import harness
from conftest import STACKS, leases, ours
from harness import REFERENCE_DIR, nft
from harness.dns import DOMAIN, responder_pids


class NetCtl:
    """netctl with a configuration directory, a cache directory and a plugin path of the test's own."""

    def __init__(self, root: Path, plugin_dirs: list[Path]):
        self.conf_dir = root / "net.d"
        self.cache_dir = root / "cache"
        self.conf_dir.mkdir()
        self.plugin_dirs = plugin_dirs

    def write(self, name: str, conflist: dict | str) -> Path:
        path = self.conf_dir / name
        path.write_text(conflist if isinstance(conflist, str) else json.dumps(conflist))
        return path

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(ours("netctl")), *args, "--conf-dir", str(self.conf_dir), "--cache-dir", str(self.cache_dir)]
        for directory in self.plugin_dirs:
            cmd += ["--plugin-dir", str(directory)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        return proc

    def cache_file(self, network: str, container_id: str, ifname: str = "eth0") -> Path:
        return self.cache_dir / "results" / f"{network}-{container_id}-{ifname}"


def ours_conflist(net, port_mappings: bool = True) -> dict:
    plugins = [{"type": "bridge", "bridge": net.bridge, "isGateway": True, "ipMasq": True,
                "ipam": {"type": "kv-ipam", "ranges": [[{"subnet": str(net.v4)}]], "dataDir": str(net.data_dir)}}]
    if port_mappings:
        plugins.append({"type": "portmap", "capabilities": {"portMappings": True}})
    return {"cniVersion": "1.0.0", "cniVersions": ["1.0.0", "1.1.0"], "name": net.name, "plugins": plugins}


def reference_conflist(net) -> dict:
    return {"cniVersion": "1.0.0", "name": net.name, "plugins": [
        {"type": "bridge", "bridge": net.bridge, "isGateway": True, "ipMasq": True,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": str(net.v4)}]], "dataDir": str(net.data_dir)}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
        {"type": "firewall"},
        {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.rp_filter": "2"}},
    ]}


def host_local_ips(net) -> set[str]:
    directory = net.data_dir / net.name
    return {p.name for p in directory.iterdir() if _is_ip(p.name)} if directory.is_dir() else set()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def mapping(port: int) -> str:
    return "portMappings=" + json.dumps([{"hostPort": port, "containerPort": 80, "protocol": "tcp"}])


@pytest.fixture
def netctl(tmp_root):
    return NetCtl(tmp_root, [harness.ours_dir(), REFERENCE_DIR])


@pytest.fixture
def ours_net(make_network):
    return make_network(STACKS["ours"])


def test_runner_drives_our_bridge_and_portmap(netctl, ours_net, make_netns, container_id, session):
    net, ns, cid = ours_net, make_netns(), container_id()
    path = netctl.write("10-ours.conflist", ours_conflist(net))
    port = 20000 + session.unique()
    result = json.loads(netctl("add", net.name, ns.path, "--container-id", cid, "--cap", mapping(port), "--json").stdout)

    # Negotiated from cniVersions: our plugins speak 1.1.0.
    assert result["cniVersion"] == "1.1.0"
    address = result["ips"][0]["address"]
    assert ipaddress.ip_interface(address).ip in net.v4
    assert address in harness.addresses("eth0", ns.name)
    ns.ping(str(net.v4.network_address + 1))
    assert [ip for ip, owner in leases(net.data_dir, net.name).items() if owner == (cid, "eth0")] == [address.split("/")[0]]
    assert any(e[3].startswith("portmap ") for e in nft.owned_by(cid))

    cached = json.loads(netctl.cache_file(net.name, cid).read_text())
    assert cached["kind"] == "cniCacheV1" and cached["containerId"] == cid and cached["ifName"] == "eth0"
    assert cached["networkName"] == net.name and cached["netns"] == ns.path
    assert base64.b64decode(cached["config"]) == path.read_bytes()
    assert cached["result"]["ips"][0]["address"] == address
    assert cached["capabilityArgs"]["portMappings"][0]["hostPort"] == port

    netctl("check", net.name, ns.path, "--container-id", cid)
    netctl("status", net.name)
    netctl("del", net.name, ns.path, "--container-id", cid)
    assert not netctl.cache_file(net.name, cid).exists()
    assert (cid, "eth0") not in leases(net.data_dir, net.name).values()
    assert nft.owned_by(cid) == []
    assert ns.link_names() == set(ns.baseline)


def test_runner_drives_the_reference_chain(netctl, make_network, make_netns, container_id, session):
    net = make_network(STACKS["reference"])
    ns, cid = make_netns(), container_id()
    netctl.write("20-ref.conflist", reference_conflist(net))
    port = 20000 + session.unique()
    result = json.loads(netctl("add", net.name, ns.name, "--container-id", cid, "--cap", mapping(port), "--json").stdout)

    assert result["cniVersion"] == "1.0.0"
    address = result["ips"][0]["address"]
    assert address in harness.addresses("eth0", ns.name)
    assert host_local_ips(net) == {address.split("/")[0]}
    assert ns.exec("sysctl", "-n", "net.ipv4.conf.eth0.rp_filter").stdout.strip() == "2"  # tuning ran
    ns.ping(str(net.v4.network_address + 1))
    host_veth = next(i["name"] for i in result["interfaces"] if "sandbox" not in i and i["name"] != net.bridge)
    assert harness.link_exists(host_veth)
    netctl("check", net.name, ns.name, "--container-id", cid)

    # DEL after the namespace is gone: everything comes from the cache.
    harness.delete_netns(ns.name)
    netctl("del", net.name, ns.name, "--container-id", cid)
    assert host_local_ips(net) == set()
    assert not harness.link_exists(host_veth)
    assert not netctl.cache_file(net.name, cid).exists()


def test_del_from_the_cache_when_namespace_and_configuration_are_gone(netctl, ours_net, make_netns, container_id):
    net, ns, cid = ours_net, make_netns(), container_id()
    path = netctl.write("10-ours.conflist", ours_conflist(net, port_mappings=False))
    netctl("add", net.name, ns.path, "--container-id", cid)
    assert (cid, "eth0") in leases(net.data_dir, net.name).values()
    harness.delete_netns(ns.name)
    path.unlink()

    proc = netctl("del", net.name, ns.path, "--container-id", cid)
    assert "using the configuration cached at ADD time" in proc.stderr
    assert (cid, "eth0") not in leases(net.data_dir, net.name).values()
    assert not netctl.cache_file(net.name, cid).exists()
    # A second DEL finds nothing cached and no configuration: an error that names the network.
    again = netctl("del", net.name, ns.path, "--container-id", cid, check=False)
    assert again.returncode == 1 and f'no network "{net.name}"' in again.stderr


def test_gc_deletes_attachments_whose_namespace_is_gone(netctl, ours_net, make_netns, container_id):
    net = ours_net
    netctl.write("10-ours.conflist", ours_conflist(net, port_mappings=False))
    kept, gone = make_netns(), make_netns()
    kept_id, gone_id = container_id(), container_id()
    netctl("add", net.name, kept.path, "--container-id", kept_id)
    netctl("add", net.name, gone.path, "--container-id", gone_id)
    harness.delete_netns(gone.name)

    report = json.loads(netctl("gc", net.name, "--json").stdout)
    assert report["deleted"] == [f"{net.name}/{gone_id}/eth0"]
    assert report["valid"] == [f"{net.name}/{kept_id}/eth0"]
    owners = set(leases(net.data_dir, net.name).values())
    assert (kept_id, "eth0") in owners and (gone_id, "eth0") not in owners
    assert netctl.cache_file(net.name, kept_id).exists() and not netctl.cache_file(net.name, gone_id).exists()
    netctl("del", net.name, kept.path, "--container-id", kept_id)


def test_inspect_agrees_with_the_kernel_and_the_store(netctl, ours_net, make_netns, container_id, session):
    net = ours_net
    netctl.write("10-ours.conflist", ours_conflist(net))
    attached = {}
    for _ in range(2):
        ns, cid = make_netns(), container_id()
        port = 20000 + session.unique()
        netctl("add", net.name, ns.path, "--container-id", cid, "--cap", mapping(port))
        attached[cid] = (ns, port)

    report = json.loads(netctl("network", "inspect", net.name, "--json").stdout)
    assert report["driver"] == "bridge" and report["bridge"] == net.bridge and report["ipam"] == "kv-ipam"
    assert report["subnets"][0]["subnet"] == str(net.v4)
    store = leases(net.data_dir, net.name)
    by_id = {a["containerID"]: a for a in report["attachments"]}
    assert set(by_id) == set(attached)
    for cid, (ns, port) in attached.items():
        entry = by_id[cid]
        kernel_ips = [a for a in harness.addresses("eth0", ns.name) if not a.startswith("fe80")]
        assert entry["ips"] == kernel_ips
        assert entry["mac"] == harness.link("eth0", ns.name)["address"]
        assert sorted(entry["leasedIPs"]) == sorted(ip for ip, owner in store.items() if owner == (cid, "eth0"))
        assert entry["hostVeth"] in harness.bridge_ports(net.bridge)
        assert entry["publishedPorts"] == [f"{port}->80/tcp"]
        assert entry["problems"] == []

    listing = json.loads(netctl("network", "ls", "--json").stdout)
    assert [(n["name"], n["driver"], n["attachments"]) for n in listing] == [(net.name, "bridge", 2)]
    assert {tuple(lease["addresses"]) for lease in json.loads(netctl("leases", net.name, "--json").stdout)} == \
        {tuple(ip for ip, owner in store.items() if owner == (cid, "eth0")) for cid in attached}

    # A host veth removed behind the plugins' back: the lease is left without its link.
    victim = next(iter(attached))
    harness.delete_link(by_id[victim]["hostVeth"])
    flagged = {a["containerID"]: a for a in json.loads(netctl("network", "inspect", net.name, "--json").stdout)["attachments"]}
    assert any("lease without link" in p for p in flagged[victim]["problems"])
    assert all(not a["problems"] for c, a in flagged.items() if c != victim)
    for cid, (ns, _) in attached.items():
        netctl("del", net.name, ns.path, "--container-id", cid)


def test_bad_input_exits_non_zero_naming_what_is_wrong(netctl, ours_net, make_netns, container_id):
    net, ns, cid = ours_net, make_netns(), container_id()

    unknown = netctl("add", "no-such-net", ns.path, check=False)
    assert unknown.returncode == 1 and 'no network "no-such-net"' in unknown.stderr and str(netctl.conf_dir) in unknown.stderr

    broken = netctl.write("05-broken.conflist", '{"cniVersion": "1.0.0", "name": ')
    bad = netctl("add", "anything", ns.path, check=False)
    assert bad.returncode == 1 and str(broken) in bad.stderr and "invalid JSON" in bad.stderr
    listed = netctl("network", "ls", check=False)
    assert listed.returncode == 1 and str(broken) in listed.stderr
    broken.unlink()

    conflist = ours_conflist(net, port_mappings=False)
    conflist["plugins"].append({"type": "no-such-plugin"})
    netctl.write("10-missing.conflist", conflist)
    missing = netctl("add", net.name, ns.path, "--container-id", cid, check=False)
    assert missing.returncode == 1 and '"no-such-plugin"' in missing.stderr
    # The ADD was rolled back: no lease, no interface, nothing cached.
    assert (cid, "eth0") not in leases(net.data_dir, net.name).values()
    assert ns.link_names() == set(ns.baseline)
    assert not netctl.cache_file(net.name, cid).exists()

    usage = netctl("add", net.name, check=False)
    assert usage.returncode == 2 and "Missing expected argument" in usage.stderr
    bad_cap = netctl("add", net.name, ns.path, "--cap", "portMappings=[", check=False)
    assert bad_cap.returncode == 2 and "--cap portMappings" in bad_cap.stderr


def test_help_and_completion():
    netctl = str(ours("netctl"))
    for sub in (["add"], ["del"], ["network", "inspect"], ["doctor"], ["dns", "query"], ["leases"], ["gc"]):
        proc = subprocess.run([netctl, *sub, "--help"], capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0 and "Example:" in proc.stdout, sub
    assert "Exit status" in subprocess.run([netctl, "--help"], capture_output=True, text=True, timeout=30).stdout
    completion = subprocess.run([netctl, "--generate-completion-script", "bash"], capture_output=True, text=True, timeout=30)
    assert completion.returncode == 0 and "_netctl" in completion.stdout and "inspect" in completion.stdout


def test_netctl_finds_its_command_line_beside_it_or_in_libexec(tmp_root):
    """The runner commands need only netctl; everything else runs netctl-cli, beside it or in
    ../libexec/swift-cni/, with the same output and status as from the build directory."""
    built, cli = ours("netctl"), ours("netctl-cli")
    expected = subprocess.run([str(built), "network", "--help"], capture_output=True, text=True, timeout=30)
    assert expected.returncode == 0 and "inspect" in expected.stdout
    beside, distro = tmp_root / "beside", tmp_root / "usr"
    for directory in (beside, distro / "bin", distro / "libexec/swift-cni"):
        directory.mkdir(parents=True)
    for target in (beside / "netctl", distro / "bin/netctl"):
        target.write_bytes(built.read_bytes())
        target.chmod(0o755)
    for target in (beside / "netctl-cli", distro / "libexec/swift-cni/netctl-cli"):
        target.write_bytes(cli.read_bytes())
        target.chmod(0o755)
    (tmp_root / "link").symlink_to(distro / "bin/netctl")  # a link is resolved to netctl's own directory
    for netctl in (beside / "netctl", distro / "bin/netctl", tmp_root / "link"):
        proc = subprocess.run([str(netctl), "network", "--help"], capture_output=True, text=True, timeout=30)
        assert (proc.returncode, proc.stdout) == (0, expected.stdout), netctl
        usage = subprocess.run([str(netctl), "add", "mynet"], capture_output=True, text=True, timeout=30)
        assert usage.returncode == 2 and "Missing expected argument" in usage.stderr, netctl

    (beside / "netctl-cli").unlink()
    missing = subprocess.run([str(beside / "netctl"), "--help"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and f"{beside}/netctl-cli" in missing.stderr and "libexec/swift-cni" in missing.stderr
    # The runner itself does not need it: an unknown network is its own error, not a missing netctl-cli.
    runner = subprocess.run([str(beside / "netctl"), "status", "no-such-net", "--conf-dir", str(tmp_root)],
                            capture_output=True, text=True, timeout=30)
    assert runner.returncode == 1 and 'no network "no-such-net"' in runner.stderr and "netctl-cli" not in runner.stderr


def test_doctor_reports_what_the_host_has(netctl, ours_net):
    netctl.write("10-ours.conflist", ours_conflist(ours_net))
    proc = netctl("doctor", "--json", check=False)
    checks = {c["name"]: c for c in json.loads(proc.stdout)}
    forwarding = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()
    assert checks["IPv4 forwarding"]["found"] == f"net/ipv4/ip_forward = {forwarding}"
    assert (checks["IPv4 forwarding"]["verdict"] == "ok") == (forwarding == "1")
    assert checks["store"]["verdict"] == "ok" and str(ours_net.data_dir) in checks["store"]["found"]
    assert proc.returncode == (1 if any(c["verdict"] == "problem" for c in checks.values()) else 0)


@pytest.fixture
def cnitool(tmp_root):
    binary = harness.build_cnitool(tmp_root)
    if binary is None:
        pytest.skip(harness.cnitool_availability())
    return binary


def test_the_cache_interoperates_with_libcni(netctl, cnitool, make_network, make_netns, container_id):
    """What netctl adds, libcni (cnitool, podman) deletes from the cache, and the other way round."""
    net = make_network(STACKS["reference"])
    netctl.write("20-ref.conflist", reference_conflist(net))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NETCONFPATH": str(netctl.conf_dir), "CNI_CACHE_DIR": str(netctl.cache_dir),
           "CNI_PATH": f"{harness.ours_dir()}:{REFERENCE_DIR}"}

    def run_cnitool(*args: str, cid: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(cnitool), *args], env={**env, "CNITOOL_CONTAINERID": cid}, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, f"cnitool {args} exited {proc.returncode}:\n{proc.stderr}"
        return proc

    ours_ns, ours_id = make_netns(), container_id()
    netctl("add", net.name, ours_ns.path, "--container-id", ours_id)
    run_cnitool("check", net.name, ours_ns.path, cid=ours_id)      # libcni reads netctl's entry as its prevResult
    harness.delete_netns(ours_ns.name)
    run_cnitool("del", net.name, ours_ns.path, cid=ours_id)
    assert not netctl.cache_file(net.name, ours_id).exists() and host_local_ips(net) == set()

    their_ns, their_id = make_netns(), container_id()
    added = json.loads(run_cnitool("add", net.name, their_ns.path, cid=their_id).stdout)
    assert netctl.cache_file(net.name, their_id).exists()
    netctl("check", net.name, their_ns.path, "--container-id", their_id)
    report = json.loads(netctl("network", "inspect", net.name, "--json").stdout)
    assert [(a["containerID"], a["ips"]) for a in report["attachments"]] == [(their_id, [added["ips"][0]["address"]])]
    harness.delete_netns(their_ns.name)
    netctl("del", net.name, their_ns.path, "--container-id", their_id)
    assert not netctl.cache_file(net.name, their_id).exists() and host_local_ips(net) == set()


def test_dns_query_asks_the_networks_responder(netctl, ours_net, make_netns, container_id):
    net, ns, cid = ours_net, make_netns(), container_id()
    conflist = ours_conflist(net, port_mappings=False)
    conflist["plugins"].append({"type": "dnsname", "domainName": DOMAIN, "dataDir": str(net.data_dir), "upstreams": []})
    netctl.write("30-dns.conflist", conflist)
    try:
        result = json.loads(netctl("add", net.name, ns.path, "--container-id", cid, "--args", "IgnoreUnknown=1;K8S_POD_NAME=web",
                                   "--json").stdout)
        address = result["ips"][0]["address"].split("/")[0]
        answer = json.loads(netctl("dns", "query", "web", "--network", net.name, "--json").stdout)
        assert answer["server"] == str(net.v4.network_address + 1) and answer["rcode"] == 0
        assert [r.split()[-1] for r in answer["records"]] == [address]
        missing = netctl("dns", "query", "nobody", "--network", net.name, check=False)
        assert missing.returncode == 1 and "NXDOMAIN" in missing.stdout

        entry = json.loads(netctl("network", "inspect", net.name, "--json").stdout)["attachments"][0]
        assert any(name.startswith("web") for name in entry["dnsNames"])
        checks = [c for c in json.loads(netctl("doctor", "--json", check=False).stdout) if c["name"] == "DNS responder"]
        assert checks and checks[0]["verdict"] == "ok" and "running" in checks[0]["found"]
        netctl("del", net.name, ns.path, "--container-id", cid)
    finally:
        for pid in responder_pids(net.data_dir):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def test_results_are_converted_to_the_lists_version(netctl, ours_net, make_netns, container_id):
    net, ns, cid = ours_net, make_netns(), container_id()
    conflist = ours_conflist(net)
    conflist["cniVersion"] = "0.4.0"
    del conflist["cniVersions"]
    netctl.write("10-old.conflist", conflist)
    result = json.loads(netctl("add", net.name, ns.path, "--container-id", cid, "--json").stdout)
    assert result["cniVersion"] == "0.4.0" and result["ips"][0]["version"] == "4"
    cached = json.loads(netctl.cache_file(net.name, cid).read_text())["result"]
    assert cached["cniVersion"] == "0.4.0" and cached["ips"][0]["version"] == "4"
    netctl("check", net.name, ns.path, "--container-id", cid)
    netctl("del", net.name, ns.path, "--container-id", cid)

    conflist["cniVersion"] = "0.3.1"
    netctl.write("10-old.conflist", conflist)
    netctl("add", net.name, ns.path, "--container-id", cid)
    refused = netctl("check", net.name, ns.path, "--container-id", cid, check=False)
    assert refused.returncode == 1 and "does not support the CHECK command" in refused.stderr
    netctl("del", net.name, ns.path, "--container-id", cid)
    assert (cid, "eth0") not in leases(net.data_dir, net.name).values()
