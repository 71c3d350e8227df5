"""The CNI protocol as every plugin speaks it: versions, environment validation, error codes."""

from __future__ import annotations

import json

import pytest

import harness
from conftest import ours

PLUGINS = ["bridge", "macvlan", "portmap", "none", "host", "kv-ipam"]

# A documentation range (RFC 5737): no host routes it, and none of these requests gets far enough
# to use it.
SUBNET = "192.0.2.0/24"


@pytest.fixture
def conf_for(tmp_root):
    """Factory `conf_for(plugin, version)`: a config the plugin would accept, so that what each
    test changes is the only thing wrong with the request. Whatever it names stays unmade: a
    bridge and a master with this session's prefix, a store in `tmp_root`, a host port."""
    def make(plugin: str, version: str = "1.0.0") -> dict:
        ipam = {"type": "kv-ipam", "ranges": [[{"subnet": SUBNET}]], "dataDir": str(tmp_root)}
        keys = {
            "bridge": {"bridge": f"{harness.BRIDGE_PREFIX}proto", "ipam": ipam},
            "macvlan": {"master": f"{harness.BRIDGE_PREFIX}protom", "ipam": ipam},
            "portmap": {"runtimeConfig": {"portMappings": [{"hostPort": 31999, "containerPort": 80}]}},
            "none": {},
            "host": {},
            "kv-ipam": {"ipam": ipam},
        }[plugin]
        return {"cniVersion": version, "name": f"{harness.NS_PREFIX}proto", "type": plugin, **keys}

    return make


def run(plugin: str, command: str | None, stdin, netns: str | None = None, container_id: str | None = None,
        ifname: str | None = "eth0") -> harness.Invocation:
    env = harness.plugin_env(command, container_id, netns, ifname, [harness.ours_dir()])
    return harness.run_plugin(ours(plugin), env, stdin)


def assert_nothing_made(ns: harness.Netns | None, tmp_root) -> None:
    """The namespace holds only what it was made with, and neither the bridge nor a store was made."""
    if ns is not None:
        assert ns.link_names() == ns.baseline
    assert not harness.link_exists(f"{harness.BRIDGE_PREFIX}proto")
    assert list(tmp_root.iterdir()) == []


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_version_lists_every_supported_version(plugin):
    body = run(plugin, "VERSION", {"cniVersion": "1.0.0"}, ifname=None).expect_ok().json
    assert set(harness.ALL_VERSIONS) <= set(body["supportedVersions"])
    # Like libcni's skel: the plugin's own current version, whatever the request said.
    assert body["cniVersion"] == "1.1.0"


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_without_a_command_prints_name_and_versions_to_stderr(plugin):
    result = run(plugin, None, "", ifname=None)
    assert result.returncode == 0, result.describe()
    assert result.stdout == ""
    assert plugin in result.stderr
    for version in harness.ALL_VERSIONS:
        assert version in result.stderr, result.stderr


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_unknown_version_gives_code_1(plugin, conf_for, make_netns, container_id, tmp_root):
    ns = make_netns()
    run(plugin, "ADD", conf_for(plugin, "0.9.9"), ns.path, container_id()).expect_error(1)
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("command,version", [("CHECK", "0.3.1"), ("GC", "1.0.0"), ("STATUS", "1.0.0")])
def test_a_command_newer_than_the_config_version_gives_code_1(plugin, command, version, conf_for, make_netns,
                                                              container_id, tmp_root):
    ns = make_netns() if command == "CHECK" else None
    result = run(plugin, command, conf_for(plugin, version), ns and ns.path, ns and container_id(),
                 ns and "eth0").expect_error(1)
    assert command in result.json["msg"]
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_malformed_json_gives_code_6(plugin, make_netns, container_id, tmp_root):
    ns = make_netns()
    run(plugin, "ADD", '{"cniVersion": "1.0.0", "name": "x", ', ns.path, container_id()).expect_error(6)
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("missing", ["CNI_NETNS", "CNI_IFNAME", "CNI_CONTAINERID"])
def test_missing_environment_is_code_4_naming_the_variable(plugin, missing, conf_for, make_netns, container_id,
                                                           tmp_root):
    ns = make_netns()
    env = harness.plugin_env("ADD", container_id(), ns.path, "eth0", [harness.ours_dir()])
    del env[missing]
    result = harness.run_plugin(ours(plugin), env, conf_for(plugin)).expect_error(4)
    # The spec wants code 4 messages to name the variable.
    assert missing in result.json["msg"] + " " + (result.json.get("details") or "")
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("container,code", [("bad/id!", 4), ("-leading-dash", 4), ("", 3)])
def test_container_id_is_validated(plugin, container, code, conf_for, make_netns, tmp_root):
    ns = make_netns()
    run(plugin, "ADD", conf_for(plugin), ns.path, container).expect_error(code)
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("ifname", ["abcdefghijklmnop", "eth/0", "eth:0", "eth 0", ".", "..", ""])
def test_interface_name_is_validated(plugin, ifname, conf_for, make_netns, container_id, tmp_root):
    ns = make_netns()
    run(plugin, "ADD", conf_for(plugin), ns.path, container_id(), ifname).expect_error(4)
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("name", ["bad name", "-dash", "slash/name", ""])
def test_network_name_is_validated(plugin, name, conf_for, make_netns, container_id, tmp_root):
    ns = make_netns()
    run(plugin, "ADD", dict(conf_for(plugin), name=name), ns.path, container_id()).expect_error(7)
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_missing_namespace_path_on_add_gives_code_3(plugin, conf_for, container_id, tmp_root):
    before = harness.host_veths()
    run(plugin, "ADD", conf_for(plugin), f"/run/netns/{harness.NS_PREFIX}does-not-exist",
        container_id()).expect_error(3)
    assert harness.host_veths() - before == set()
    assert_nothing_made(None, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", [p for p in PLUGINS if p != "host"])  # host exists to take it
def test_own_namespace_as_container_namespace_gives_code_8(plugin, conf_for, container_id, tmp_root):
    # A unique interface name, so a plugin that wrongly went ahead could not collide with a real one.
    ifname = f"sct{harness.PID % 100000}x"
    before = harness.host_veths()
    run(plugin, "ADD", conf_for(plugin), f"/proc/{harness.PID}/ns/net", container_id(), ifname).expect_error(8)
    assert not harness.link_exists(ifname)
    assert harness.host_veths() - before == set()
    assert_nothing_made(None, tmp_root)


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_unknown_command_is_code_4(plugin, conf_for, make_netns, container_id, tmp_root):
    ns = make_netns()
    run(plugin, "FROB", conf_for(plugin), ns.path, container_id()).expect_error(4)
    assert_nothing_made(ns, tmp_root)


@pytest.mark.ours_only
def test_bad_json_creates_nothing(net, make_netns, container_id):
    ns = make_netns()
    text = json.dumps(net.conf())[:-20]  # cut off inside the ipam section; names the bridge already
    assert net.bridge in text
    net.invoke("ADD", text, ns.path, container_id()).expect_error(6)
    assert not harness.link_exists(net.bridge)
    assert ns.link_names() == ns.baseline
    assert net.leases() == {}
    assert list(net.data_dir.iterdir()) == []


@pytest.mark.ours_only
def test_a_value_of_the_wrong_json_type_gives_code_6(net, make_netns, container_id):
    ns = make_netns()
    conf = net.conf()
    conf["mtu"] = "large"
    net.invoke("ADD", conf, ns.path, container_id()).expect_error(6)
    assert not harness.link_exists(net.bridge)


@pytest.mark.ours_only
def test_unknown_fields_are_ignored(net, make_netns, container_id):
    ns = make_netns()
    conf = net.conf(someFutureOption={"nested": [1, 2]})
    conf["ipam"]["anotherUnknown"] = True
    net.add(ns, container_id(), conf=conf)


@pytest.mark.ours_only
@pytest.mark.parametrize("version", harness.ALL_VERSIONS)
def test_every_version_adds_and_answers_in_kind(net, make_netns, container_id, version):
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(version=version))
    assert attachment.result["cniVersion"] == version
    assert ("version" in attachment.result["ips"][0]) == (version < "1.0.0")
    attachment.delete().expect_ok()
    assert net.leases() == {}


@pytest.mark.ours_only
def test_prev_result_of_an_older_version_is_accepted_on_del(net, make_netns, container_id):
    ns = make_netns()
    attachment = net.add(ns, container_id(), conf=net.conf(version="0.3.1"))
    # A 0.3.1 result, with "version" in ips, as prevResult of a 1.0.0 DEL.
    attachment.invoke("DEL", conf=net.conf(version="1.0.0")).expect_ok()
    assert net.leases() == {}
