"""The `none` (loopback only) and `host` (share the host's stack) plugins."""

from __future__ import annotations

import ipaddress
import json

import pytest

import harness
from conftest import ours

pytestmark = pytest.mark.ours_only

NONE_CONF = {"cniVersion": "1.0.0", "name": "sctnone", "type": "none"}
HOST_CONF = {"cniVersion": "1.0.0", "name": "scthost", "type": "host"}


def run(plugin: str, command: str, netns: str | None, cid: str, conf: dict, ifname: str = "eth0"):
    env = harness.plugin_env(command, cid, netns, ifname, [harness.ours_dir()])
    return harness.run_plugin(ours(plugin), env, conf)


def lo_is_up(netns: str) -> bool:
    return "UP" in harness.link("lo", netns)["flags"]


# --------------------------------------------------------------------------------------------
# none


@pytest.mark.parametrize("version", ["0.3.1", "1.0.0"])
def test_none_brings_loopback_up_and_reports_it(make_netns, container_id, version):
    ns = make_netns()
    assert not lo_is_up(ns.name)
    result = run("none", "ADD", ns.path, container_id(), dict(NONE_CONF, cniVersion=version)).expect_ok().json

    assert lo_is_up(ns.name)
    assert result["cniVersion"] == version
    assert result["interfaces"][0]["name"] == "lo"
    assert result["interfaces"][0]["sandbox"] == ns.path
    addresses = {ip["address"] for ip in result["ips"]}
    assert addresses == {"127.0.0.1/8", "::1/128"}
    assert all(ip["interface"] == 0 for ip in result["ips"])
    assert ns.exec("ping", "-c", "1", "-W", "1", "127.0.0.1").returncode == 0


def test_none_passes_a_prev_result_through(make_netns, container_id):
    ns = make_netns()
    prev = {"cniVersion": "1.0.0",
            "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:01", "sandbox": ns.path}],
            "ips": [{"address": "10.250.255.9/24", "gateway": "10.250.255.1", "interface": 0}],
            "routes": [{"dst": "0.0.0.0/0", "gw": "10.250.255.1"}],
            "dns": {"nameservers": ["192.0.2.53"]}}
    result = run("none", "ADD", ns.path, container_id(), harness.request(NONE_CONF, prev)).expect_ok().json
    assert lo_is_up(ns.name)
    for key in ("interfaces", "ips", "routes"):
        assert result[key] == prev[key]
    assert result["dns"]["nameservers"] == ["192.0.2.53"]


def test_none_check_and_del(make_netns, container_id):
    ns = make_netns()
    cid = container_id()
    result = run("none", "ADD", ns.path, cid, NONE_CONF).expect_ok().json
    run("none", "CHECK", ns.path, cid, harness.request(NONE_CONF, result)).expect_ok()
    run("none", "DEL", ns.path, cid, harness.request(NONE_CONF, result)).expect_ok()
    run("none", "DEL", ns.path, cid, harness.request(NONE_CONF, result)).expect_ok()
    harness.delete_netns(ns.name)
    run("none", "DEL", ns.path, cid, NONE_CONF).expect_ok()
    run("none", "DEL", None, cid, NONE_CONF).expect_ok()


def test_none_refuses_a_missing_namespace(container_id):
    run("none", "ADD", f"/run/netns/{harness.NS_PREFIX}gone", container_id(), NONE_CONF).expect_error(3)


# --------------------------------------------------------------------------------------------
# host


def host_global_addresses() -> dict[str, set[str]]:
    """{ifname: {ip/prefix}} of the host's global-scope addresses."""
    found: dict[str, set[str]] = {}
    for entry in json.loads(harness.sh("ip", "-j", "addr", "show").stdout):
        for info in entry.get("addr_info", []):
            if info.get("scope") == "global":
                found.setdefault(entry["ifname"], set()).add(f"{info['local']}/{info['prefixlen']}")
    return found


@pytest.mark.parametrize("path", [f"/proc/{harness.PID}/ns/net", "/proc/self/ns/net"])
def test_host_accepts_the_host_namespace_and_reports_its_interfaces(container_id, path):
    before = {entry["ifname"] for entry in harness.links()}
    result = run("host", "ADD", path, container_id(), HOST_CONF).expect_ok().json

    names = [i["name"] for i in result["interfaces"]]
    expected = host_global_addresses()
    assert set(expected) <= set(names), (names, expected)
    reported = {(names[ip["interface"]], ip["address"]) for ip in result["ips"] if "interface" in ip}
    for ifname, addresses in expected.items():
        for address in addresses:
            assert (ifname, address) in reported, (ifname, address, result["ips"])
    for ip in result["ips"]:
        ipaddress.ip_interface(ip["address"])
    # Reporting creates nothing on the host. (Links may vanish meanwhile: the kernel tears down the
    # namespaces of earlier tests asynchronously.)
    assert {entry["ifname"] for entry in harness.links()} - before == set()


def test_host_refuses_another_namespace_with_code_7(make_netns, container_id):
    ns = make_netns()
    result = run("host", "ADD", ns.path, container_id(), HOST_CONF)
    result.expect_error(7)
    assert result.json["msg"].strip()
    assert ns.link_names() == ns.baseline


def test_host_check_and_del(container_id):
    cid = container_id()
    path = f"/proc/{harness.PID}/ns/net"
    result = run("host", "ADD", path, cid, HOST_CONF).expect_ok().json
    run("host", "CHECK", path, cid, harness.request(HOST_CONF, result)).expect_ok()
    run("host", "DEL", path, cid, harness.request(HOST_CONF, result)).expect_ok()
    run("host", "DEL", path, cid, harness.request(HOST_CONF, result)).expect_ok()
    assert harness.link_exists("lo")


def test_host_check_refuses_another_namespace(make_netns, container_id):
    ns = make_netns()
    cid = container_id()
    prev = {"cniVersion": "1.0.0", "interfaces": [], "ips": []}
    run("host", "CHECK", ns.path, cid, harness.request(HOST_CONF, prev)).expect_error(7)
