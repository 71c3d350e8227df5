"""Every example config in conf/ works, silently: run through ADD, CHECK and DEL as a runtime would.

The network and bridge names, subnets and dataDir are rewritten to this session's test values, so nothing the
examples name is touched on the host.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

import harness
from conftest import STACKS
from harness import REFERENCE_DIR, ours_dir

pytestmark = pytest.mark.ours_only

CONF_DIR = harness.REPO / "conf"

# Which plugin directory comes first in CNI_PATH for each example (the type names overlap).
CASES = [
    ("10-swift-bridge.conflist", "ours"),
    ("20-swift-none.conflist", "ours"),
    ("30-swift-host.conflist", "ours"),
    ("40-bridge-host-local.conflist", "ours"),
    ("40-bridge-host-local.conflist", "reference"),
    ("50-kv-ipam-reference-bridge.conflist", "reference"),
    ("50-kv-ipam-reference-bridge.conflist", "ours"),
    ("70-swift-bridge-portmap.conflist", "ours"),
]


# Examples whose plugin hangs off a host interface they name: run by that plugin's own tests, on a master
# the test creates, rather than here on a real interface of this machine.
RUN_ELSEWHERE = {"60-swift-macvlan.conflist": "test_macvlan.py::test_example_config",
                 # Needs an etcd: run against one that test started.
                 "80-swift-bridge-etcd.conflist": "test_etcd.py::test_example_config",
                 "81-swift-bridge-etcd-tls.conflist": "test_etcd_tls.py::test_the_tls_example_config",
                 # Needs hosts on an underlay and an etcd they reach.
                 "90-swift-vxlan.conflist": "test_vxlan.py::test_example_config"}


def test_every_example_is_covered():
    assert {name for name, _ in CASES} | set(RUN_ELSEWHERE) == {p.name for p in CONF_DIR.glob("*.conflist")}


def test_the_examples_can_be_installed_together():
    """Distinct network names, bridges and subnets, so that copying all of conf/ into /etc/cni/net.d works."""
    names, bridges, subnets = [], [], []
    for path in sorted(CONF_DIR.glob("*.conflist")):
        config = json.loads(path.read_text())
        names.append(config["name"])
        for plugin in config["plugins"]:
            if plugin["type"] == "bridge":
                bridges.append(plugin.get("bridge", "cni0"))
            ipam = plugin.get("ipam", {})
            entries = [entry for range_set in ipam.get("ranges", []) for entry in range_set]
            subnets += [ipaddress.ip_network(entry["subnet"]) for entry in entries + ([ipam] if "subnet" in ipam else [])]
    assert len(set(names)) == len(names), names
    assert len(set(bridges)) == len(bridges), bridges
    clashes = [(a, b) for i, a in enumerate(subnets) for b in subnets[i + 1:] if a.version == b.version and a.overlaps(b)]
    assert clashes == []


def rebase(address: str, old: ipaddress._BaseNetwork, new: ipaddress._BaseNetwork) -> str:
    offset = int(ipaddress.ip_address(address)) - int(old.network_address)
    return str(new.network_address + offset)


def rewrite_ipam(ipam: dict, net: harness.Network) -> None:
    """Points every range at the test subnets (keeping offsets) and the store at the test dataDir."""
    def rewrite_range(entry: dict) -> None:
        old = ipaddress.ip_network(entry["subnet"])
        new = net.v4 if old.version == 4 else net.v6
        entry["subnet"] = str(new)
        for key in ("rangeStart", "rangeEnd", "gateway"):
            if key in entry:
                entry[key] = rebase(entry[key], old, new)

    for range_set in ipam.get("ranges", []):
        for entry in range_set:
            rewrite_range(entry)
    if "subnet" in ipam:
        rewrite_range(ipam)
    ipam["dataDir"] = str(net.data_dir)


def locate(plugin_type: str, cni_path) -> Path:
    """The executable a runtime would pick for `plugin_type`: the first match in CNI_PATH."""
    for directory in cni_path:
        if (directory / plugin_type).exists():
            return directory / plugin_type
    pytest.fail(f"no {plugin_type} in {[str(d) for d in cni_path]} (build ours, install the reference)",
                pytrace=False)


def run_list(command: str, config: dict, cni_path, netns: str, cid: str, cached: dict | None) -> dict:
    """Runs every plugin of the conflist `config` as libcni does, each found on `cni_path`."""
    plugins = [(locate(conf["type"], cni_path), conf) for conf in harness.plugin_confs(config)]
    env = harness.plugin_env(command, cid, netns, "eth0", cni_path)
    run = harness.run_chain(command, plugins, env, cached).expect_ok()
    # An example names no key its plugin does not read: it would print a warning.
    for invocation in run.invocations:
        assert invocation.stderr == "", invocation.describe()
    return run.result


def leases(ipam: dict, net: harness.Network) -> dict:
    reader = harness.host_local_leases if ipam["type"] == "host-local" else STACKS["ours"].leases
    return reader(net.data_dir, net.name)


@pytest.mark.parametrize("name,first", CASES)
def test_example_config(name, first, make_network, make_netns, container_id):
    config = json.loads((CONF_DIR / name).read_text())
    net = make_network(STACKS["reference"])  # only its names, subnets and dataDir are used here
    cni_path = (ours_dir(), REFERENCE_DIR) if first == "ours" else (REFERENCE_DIR, ours_dir())
    config["name"] = net.name
    ipam = None
    for plugin in config["plugins"]:
        locate(plugin["type"], cni_path)
        if "bridge" in plugin:
            plugin["bridge"] = net.bridge
        if "ipam" in plugin:
            ipam = plugin["ipam"]
            rewrite_ipam(ipam, net)
            locate(ipam["type"], cni_path)

    is_host = any(p["type"] == "host" for p in config["plugins"])
    ns_path = f"/proc/{harness.PID}/ns/net" if is_host else make_netns().path
    cid = container_id()
    result = run_list("ADD", config, cni_path, ns_path, cid, None)

    assert result["cniVersion"] == config["cniVersion"]
    if ipam is not None:
        families = {ipaddress.ip_network(r[0]["subnet"]).version for r in ipam.get("ranges", [])} or {4}
        assert {ipaddress.ip_interface(ip["address"]).version for ip in result["ips"]} == families, result
        addresses = {str(ipaddress.ip_interface(ip["address"]).ip) for ip in result["ips"]}
        assert all(ipaddress.ip_address(a) in net.v4 or ipaddress.ip_address(a) in net.v6 for a in addresses)
        assert set(leases(ipam, net)) == addresses
    else:
        assert result["interfaces"] and result["ips"], result

    run_list("CHECK", config, cni_path, ns_path, cid, result)
    run_list("DEL", config, cni_path, ns_path, cid, result)
    if ipam is not None:
        assert leases(ipam, net) == {}
        assert harness.bridge_ports(net.bridge) == []
