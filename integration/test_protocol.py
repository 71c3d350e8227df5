"""The CNI protocol as every plugin speaks it: versions, environment validation, error codes."""

from __future__ import annotations

import json

import pytest

import harness
from conftest import ours

PLUGINS = ["bridge", "none", "host", "kv-ipam"]


def minimal_conf(plugin: str, version: str, data_dir) -> dict:
    conf = {"cniVersion": version, "name": "sctproto", "type": plugin}
    if plugin in ("bridge", "kv-ipam"):
        conf["ipam"] = {"type": "kv-ipam", "subnet": "10.250.255.0/24", "dataDir": str(data_dir)}
    return conf


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_version_lists_every_supported_version(plugin):
    result = harness.run_plugin(ours(plugin), harness.plugin_env("VERSION"), {"cniVersion": "1.0.0"}).expect_ok()
    body = result.json
    assert set(harness.ALL_VERSIONS) <= set(body["supportedVersions"])
    # Like libcni's skel: the plugin's own current version, whatever the request said.
    assert body["cniVersion"] == "1.1.0"


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_without_a_command_prints_name_and_versions_to_stderr(plugin):
    result = harness.run_plugin(ours(plugin), harness.plugin_env(None), "")
    assert result.returncode == 0, result.describe()
    assert result.stdout == ""
    assert plugin in result.stderr
    for version in harness.ALL_VERSIONS:
        assert version in result.stderr, result.stderr


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_unknown_version_gives_code_1(plugin, make_netns, container_id, tmp_root):
    ns = make_netns()
    env = harness.plugin_env("ADD", container_id(), ns.path, "eth0", [harness.ours_dir()])
    result = harness.run_plugin(ours(plugin), env, minimal_conf(plugin, "0.9.9", tmp_root))
    result.expect_error(1)
    assert ns.link_names() == ns.baseline


@pytest.mark.ours_only
@pytest.mark.parametrize("plugin", PLUGINS)
def test_malformed_json_gives_code_6(plugin, make_netns, container_id):
    ns = make_netns()
    env = harness.plugin_env("ADD", container_id(), ns.path, "eth0", [harness.ours_dir()])
    harness.run_plugin(ours(plugin), env, '{"cniVersion": "1.0.0", "name": "x", ').expect_error(6)


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
def test_wrong_json_types_give_code_6_or_7(net, make_netns, container_id):
    ns = make_netns()
    conf = net.conf()
    conf["mtu"] = "large"
    net.invoke("ADD", conf, ns.path, container_id()).expect_error()
    assert net.invoke("ADD", conf, ns.path, container_id()).code in (6, 7)
    assert not harness.link_exists(net.bridge)


@pytest.mark.ours_only
@pytest.mark.parametrize("container,code", [("bad/id!", 4), ("-leading-dash", 4), ("", 3)])
def test_container_id_is_validated(net, make_netns, container, code):
    ns = make_netns()
    net.invoke("ADD", net.conf(), ns.path, container).expect_error(code)
    assert not harness.link_exists(net.bridge)
    assert net.leases() == {}


@pytest.mark.ours_only
@pytest.mark.parametrize("ifname", ["abcdefghijklmnop", "eth/0", "eth:0", "eth 0", ".", "..", ""])
def test_interface_name_is_validated(net, make_netns, container_id, ifname):
    ns = make_netns()
    net.invoke("ADD", net.conf(), ns.path, container_id(), ifname=ifname).expect_error(4)
    assert ns.link_names() == ns.baseline
    assert net.leases() == {}


@pytest.mark.ours_only
@pytest.mark.parametrize("name", ["bad name", "-dash", "slash/name", ""])
def test_network_name_is_validated(net, make_netns, container_id, name):
    ns = make_netns()
    conf = net.conf()
    conf["name"] = name
    net.invoke("ADD", conf, ns.path, container_id()).expect_error(7)
    assert not harness.link_exists(net.bridge)


@pytest.mark.ours_only
def test_missing_namespace_path_on_add_gives_code_3_and_creates_nothing(net, container_id):
    before = harness.host_veths()
    net.invoke("ADD", net.conf(), f"/run/netns/{harness.NS_PREFIX}does-not-exist", container_id()).expect_error(3)
    assert net.leases() == {}
    assert harness.host_veths() - before == set()
    assert harness.bridge_ports(net.bridge) == []


@pytest.mark.ours_only
@pytest.mark.parametrize("missing", ["CNI_NETNS", "CNI_IFNAME", "CNI_CONTAINERID"])
def test_missing_environment_is_refused(net, make_netns, container_id, missing):
    ns = make_netns()
    env = net.env("ADD", ns.path, container_id())
    del env[missing]
    result = harness.run_plugin(net.stack.bridge, env, net.conf())
    result.expect_error()
    # An absent container ID may count as empty (3) or as a missing variable (4, as libcni's skel says).
    assert result.code in ((3, 4) if missing == "CNI_CONTAINERID" else (4,)), result.describe()
    if result.code == 4:  # the spec wants code 4 messages to name the variable
        assert missing in result.json["msg"] + " " + (result.json.get("details") or "")
    assert ns.link_names() == ns.baseline


@pytest.mark.ours_only
def test_unknown_command_is_refused(net, make_netns, container_id):
    ns = make_netns()
    net.invoke("FROB", net.conf(), ns.path, container_id()).expect_error(4)


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
    body = net.conf(version="1.0.0")
    body["prevResult"] = attachment.result  # a 0.3.1 result with "version" in ips
    net.invoke("DEL", body, ns.path, attachment.container_id).expect_ok()
    assert net.leases() == {}
