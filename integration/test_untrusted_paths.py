"""Paths from a config or a runtime are not trusted to name what they should.

`ipam.resolvConf` is read only if it is a regular file of at most 64 KiB: `/dev/zero` would be read
until memory ran out, and a FIFO would block the open forever. CNI_NETNS is used only if it is a
regular file, as namespace files are: a FIFO there would block ADD, CHECK and DEL in `open`. Each
failure comes at once, with a code, and leaves no lease behind.
"""

from __future__ import annotations

import os

import pytest

import harness
from conftest import ours

pytestmark = pytest.mark.ours_only

# Far above what these plugins take, far below a hang; the run is killed after TIMEOUT.
FAST = 5.0
TIMEOUT = 10.0

RESOLV_CONF_LIMIT = 64 * 1024


def odd_file(kind: str, directory) -> tuple[str, str]:
    """A path of `kind` under `directory`, and what the error must say about it."""
    path = directory / kind.replace(" ", "-")
    if kind == "character device":
        return "/dev/zero", "/dev/zero is a character device, not a regular file"
    if kind == "FIFO":
        os.mkfifo(path)
        return str(path), f"{path} is a FIFO, not a regular file"
    if kind == "directory":
        path.mkdir()
        return str(path), f"{path} is a directory, not a regular file"
    if kind == "too large":
        path.write_text("#" * RESOLV_CONF_LIMIT + "\nnameserver 192.0.2.53\n")
        return str(path), f"{path} is larger than the {RESOLV_CONF_LIMIT} bytes accepted"
    assert kind == "missing"
    return str(path), f"{path}: No such file or directory"


def run(binary: str, command: str, conf: dict, netns: str, cid: str, net) -> harness.Invocation:
    """Runs one of our plugins, killed if it outlives TIMEOUT, asserting it ended within FAST."""
    env = net.env(command, netns, cid)
    outcome = harness.run_plugin(ours(binary), env, conf, timeout=TIMEOUT)
    assert outcome.seconds < FAST, f"{binary} {command} took {outcome.seconds:.1f}s:\n" + outcome.describe()
    return outcome


@pytest.mark.parametrize("kind", ["character device", "FIFO", "directory", "too large", "missing"])
@pytest.mark.parametrize("plugin", ["kv-ipam", "bridge"])
def test_a_resolv_conf_that_is_no_small_regular_file_fails_the_add_at_once_and_leases_nothing(
        net, make_netns, container_id, tmp_root, plugin, kind):
    path, problem = odd_file(kind, tmp_root)
    ns = make_netns()
    before = harness.host_veths()
    conf = net.conf(ipam=net.ipam(resolvConf=path))
    failure = run(plugin, "ADD", conf, ns.path, container_id(), net).expect_error(7)
    assert failure.json["msg"] == f"resolvConf cannot be read: {problem}"
    assert net.leases() == {}
    assert ns.link_names() == ns.baseline
    assert harness.host_veths() - before == set()


@pytest.fixture
def fifo(tmp_root) -> str:
    path = tmp_root / "netns-fifo"
    os.mkfifo(path)
    return str(path)


def add_conf(plugin: str, net) -> dict:
    """A valid ADD config for `plugin` on `net` (macvlan's master need not exist: nothing gets that far)."""
    if plugin in ("bridge", "kv-ipam"):
        return net.conf()
    if plugin == "macvlan":
        return {"cniVersion": "1.0.0", "name": net.name, "type": "macvlan", "master": net.bridge, "ipam": net.ipam()}
    return {"cniVersion": "1.0.0", "name": net.name, "type": plugin}


@pytest.mark.parametrize("plugin", ["bridge", "macvlan", "host", "none", "kv-ipam"])
def test_a_netns_that_is_a_fifo_fails_the_add_at_once_with_code_3(net, container_id, fifo, plugin):
    failure = run(plugin, "ADD", add_conf(plugin, net), fifo, container_id(), net).expect_error(3)
    assert failure.json["details"] == f"netns {fifo} is a FIFO, not a network namespace"
    assert net.leases() == {}


def test_a_netns_that_is_a_fifo_fails_the_check_at_once_with_code_3(net, make_netns, container_id, fifo):
    attachment = net.add(make_netns(), container_id())
    try:
        body = dict(attachment.conf, prevResult=attachment.result)
        run("bridge", "CHECK", body, fifo, attachment.container_id, net).expect_error(3)
        for plugin in ("none", "host"):
            conf = dict(add_conf(plugin, net), prevResult={"cniVersion": "1.0.0"})
            run(plugin, "CHECK", conf, fifo, container_id(), net).expect_error(3)
    finally:
        attachment.delete().expect_ok()


def test_a_del_with_a_netns_that_is_a_fifo_still_releases_the_lease(net, make_netns, container_id, fifo):
    """DEL passes a path that is no namespace on to the plugin, as a missing one: macvlan must not block
    opening it, and releases the lease as when the namespace is gone."""
    cid = container_id()
    lease = run("kv-ipam", "ADD", net.conf(), make_netns().path, cid, net).expect_ok().json
    assert net.leases() == {lease["ips"][0]["address"].split("/")[0]: (cid, "eth0")}
    run("macvlan", "DEL", add_conf("macvlan", net), fifo, cid, net).expect_ok()
    assert net.leases() == {}
