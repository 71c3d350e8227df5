"""What can never work is refused with the code that says so, at once, leaving nothing behind.

Code 11 tells a runtime to try again later, so a problem that lasts must not get it: a `dataDir` that
is a file, lies under /proc or /sys, is too long for the store, or is not the path the config wrote
(invalid UTF-8) is code 7. Names the kernel would cut short (a NUL) or reserves (`all`, `default`),
and MACs no interface may have, are refused before anything is made.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import harness
from conftest import ours

pytestmark = pytest.mark.ours_only

# Of "<dataDir>/store.db": the store's path may be 481 bytes long (SQLite's 512, less what it appends).
LONGEST_DATA_DIR = 481 - len("/store.db")


def too_long_data_dir(root) -> str:
    """A dataDir one byte longer than the store allows, of components a file system accepts."""
    path = str(root)
    while len(path) < LONGEST_DATA_DIR + 1:
        path += "/" + "d" * min(200, LONGEST_DATA_DIR - len(path))
    assert len(path) == LONGEST_DATA_DIR + 1
    return path


def data_dir_for(kind: str, root) -> tuple[str, str]:
    """A dataDir of `kind` under `root`, and what the error must say about it."""
    file = root / "file"
    file.write_text("")
    return {
        "a file": (str(file), "is a regular file, not a directory"),
        "under a file": (f"{file}/store", f"cannot be created: {file} is a regular file, not a directory"),
        "under /proc": ("/proc/swift-cni", "is under /proc, which cannot hold a store"),
        "under /sys": ("/sys/swift-cni", "is under /sys, which cannot hold a store"),
        "too long": (too_long_data_dir(root),
                     f"bytes long; the store inside it needs a dataDir of at most {LONGEST_DATA_DIR}"),
        "a long component": (f"{root}/{'c' * 256}", "has a component of 256 bytes; a file name has at most 255"),
    }[kind]


def run_raw(binary, env: dict[str, str], stdin: bytes) -> harness.Invocation:
    """Runs a plugin on bytes that need not be valid UTF-8."""
    proc = subprocess.run([str(binary)], input=stdin, capture_output=True, env=env, timeout=30)
    return harness.Invocation([str(binary)], env, stdin.decode(errors="replace"), proc.returncode,
                              proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"), 0)


@pytest.mark.parametrize("kind", ["a file", "under a file", "under /proc", "under /sys", "too long",
                                  "a long component"])
@pytest.mark.parametrize("plugin", ["kv-ipam", "bridge"])
def test_a_data_dir_that_can_never_hold_the_store_is_code_7_naming_it(net, make_netns, container_id, tmp_root,
                                                                      plugin, kind):
    data_dir, problem = data_dir_for(kind, tmp_root)
    ns = make_netns()
    before = harness.host_veths()
    conf = net.conf(ipam=net.ipam(dataDir=data_dir))
    result = harness.run_plugin(ours(plugin), net.env("ADD", ns.path, container_id()), conf).expect_error(7)
    assert result.json["msg"].startswith(f'dataDir "{data_dir}" ')
    assert problem in result.json["msg"]
    assert ns.link_names() == ns.baseline
    assert harness.host_veths() - before == set()
    assert not os.path.exists(data_dir) or kind == "a file"


def test_a_data_dir_in_invalid_utf8_is_code_7_and_no_store_is_made(net, make_netns, container_id, tmp_root):
    ns = make_netns()
    conf = json.dumps(net.conf(ipam=net.ipam(dataDir=f"{tmp_root}/PLACEHOLDER"))).encode()
    conf = conf.replace(b"PLACEHOLDER", b"store-\xff\xfe")
    result = run_raw(ours("kv-ipam"), net.env("ADD", ns.path, container_id()), conf).expect_error(7)
    assert "is not valid UTF-8" in result.json["msg"]
    assert os.listdir(tmp_root) == []


def test_gc_says_what_failed_in_its_message(net, tmp_root):
    data_dir, _ = data_dir_for("a file", tmp_root)
    conf = net.conf(version="1.1.0", ipam=net.ipam(dataDir=data_dir))
    conf["cni.dev/valid-attachments"] = []
    result = net.invoke("GC", conf, None, None, ifname=None).expect_error(999)
    assert result.json["msg"].startswith(f'GC could not remove everything: IPAM: dataDir "{data_dir}" is a regular')
    assert not result.json.get("details")


def plugin_conf(net, plugin: str, **fields) -> dict:
    """A config for `plugin` on `net`; a macvlan hangs off the network's bridge name."""
    return net.conf(type=plugin, master=net.bridge, **fields) if plugin == "macvlan" else net.conf(**fields)


def refused_add(net, plugin: str, conf: dict, code: int, ifname: str = "eth0", args: str | None = None,
                container_id: str = f"{harness.NS_PREFIX}refused") -> harness.Invocation:
    """Runs an ADD that must fail with `code` having made nothing: no link in the namespace, no lease."""
    ns = harness.create_netns(f"{harness.NS_PREFIX}refused")
    try:
        env = net.env("ADD", ns.path, container_id, ifname=ifname, args=args)
        result = harness.run_plugin(ours(plugin), env, conf).expect_error(code)
        assert ns.link_names() == ns.baseline
        assert net.leases() == {}
        return result
    finally:
        harness.delete_netns(ns.name)


@pytest.mark.parametrize("name", ["all", "default"])
@pytest.mark.parametrize("plugin", ["bridge", "macvlan"])
def test_a_reserved_interface_name_is_code_4(net, plugin, name):
    result = refused_add(net, plugin, plugin_conf(net, plugin), 4, ifname=name)
    assert result.json["msg"] == f'invalid CNI_IFNAME "{name}": is reserved by the kernel'


def test_a_nul_in_the_bridge_name_is_code_7_and_makes_no_bridge(net):
    result = refused_add(net, "bridge", net.conf(bridge=f"{net.bridge}\0x"), 7)
    assert result.json["details"] == f'bridge: interface name "{net.bridge}\0x" contains a NUL byte'
    assert not harness.link_exists(net.bridge)


def test_a_nul_in_the_master_name_is_code_7(net):
    harness.sh("ip", "link", "add", net.bridge, "type", "bridge")
    result = refused_add(net, "macvlan", net.conf(type="macvlan", master=f"{net.bridge}\0x"), 7)
    assert result.json["msg"] == f'master "{net.bridge}\0x" is not an interface name: it contains a NUL byte'


UNASSIGNABLE_MACS = [("00:00:00:00:00:00", "is all zeros, which no interface may have"),
                     ("ff:ff:ff:ff:ff:ff", "is a multicast address, which no interface may have"),
                     ("01:00:5e:00:00:01", "is a multicast address, which no interface may have")]


@pytest.mark.parametrize("mac, problem", UNASSIGNABLE_MACS)
@pytest.mark.parametrize("source", ["mac", "runtimeConfig.mac", "CNI_ARGS MAC"])
@pytest.mark.parametrize("plugin", ["bridge", "macvlan"])
def test_a_mac_no_interface_may_have_is_code_7(net, plugin, source, mac, problem):
    if plugin == "bridge" and source == "mac":
        pytest.skip("the bridge has no mac key")
    harness.sh("ip", "link", "add", net.bridge, "type", "bridge")
    conf = plugin_conf(net, plugin)
    args = None
    if source == "mac":
        conf["mac"] = mac
    elif source == "runtimeConfig.mac":
        conf["runtimeConfig"] = {"mac": mac}
    else:
        args = f"IgnoreUnknown=1;MAC={mac}"
    result = refused_add(net, plugin, conf, 7, args=args)
    assert result.json["msg"] == f'{source} "{mac}" {problem}'


def test_the_capability_hint_is_for_a_process_without_cap_net_admin(net, make_netns, container_id):
    ns = make_netns()
    env = net.env("ADD", ns.path, container_id())
    proc = subprocess.run(["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", str(ours("bridge"))],
                          input=json.dumps(net.conf()), capture_output=True, text=True, env=env, timeout=30)
    error = json.loads(proc.stdout)
    assert "permission denied (needs CAP_NET_ADMIN, usually root)" in error["msg"], error
    assert ns.link_names() == ns.baseline


@pytest.mark.parametrize("plugin", ["bridge", "macvlan"])
def test_a_container_id_too_long_for_the_records_is_code_4(net, plugin):
    result = refused_add(net, plugin, plugin_conf(net, plugin), 4, container_id="c" * 300)
    assert result.json["details"] == "a container ID is 300 bytes long; at most 64 are allowed"

def test_a_network_name_too_long_for_the_records_is_code_7(net, make_netns):
    conf = net.conf()
    conf["name"] = "n" * 64
    ns = make_netns()
    result = harness.run_plugin(ours("bridge"), net.env("ADD", ns.path, "c0ffee"), conf).expect_error(7)
    assert "a network name is 64 bytes long; at most 63 are allowed" in result.json["msg"] + result.json.get("details", "")
    assert not harness.link_exists(net.bridge)
