"""Unknown configuration keys: accepted, and named in one warning line on stderr.

Runtimes add keys of their own, so an unknown key is never an error; a misspelt key of our own plugins is
named, so that a default silently left in place does not go unnoticed. Keys the reference plugins accept
run silently.
"""

from __future__ import annotations

import pytest

import harness
from conftest import STACKS, ours

pytestmark = pytest.mark.ours_only


def warning(plugin: str, *keys: str) -> str:
    names = ", ".join(f'"{key}"' for key in keys)
    return f"{plugin}: warning: unknown configuration {'key' if len(keys) == 1 else 'keys'} {names} ignored\n"


def test_a_misspelt_bridge_key_is_named_once_and_the_add_succeeds(make_network, make_netns, container_id):
    net = make_network(STACKS["ours"])
    ns = make_netns()
    cid = container_id()
    conf = net.conf(brige="typo", hairpinMod=True)
    added = net.invoke("ADD", conf, ns.path, cid)
    try:
        assert added.expect_ok().stderr == warning("bridge", "brige", "hairpinMod")
        assert added.json["ips"] and "eth0" in ns.link_names(), added.describe()
        assert harness.bridge_ports(net.bridge) == [added.json["interfaces"][1]["name"]]
    finally:
        deleted = net.invoke("DEL", conf, ns.path, cid).expect_ok()
    assert deleted.stderr == warning("bridge", "brige", "hairpinMod")
    assert harness.bridge_ports(net.bridge) == []


def test_a_misspelt_key_of_an_in_process_kv_ipam_section_is_named_with_its_path(make_network, make_netns,
                                                                                 container_id):
    net = make_network(STACKS["ours"])
    ns = make_netns()
    cid = container_id()
    ipam = net.ipam()
    ipam["ranges"][0][0]["gw"] = net.gateway4
    ipam["routes"] = [{"dst": "0.0.0.0/0", "gateway": net.gateway4}]
    conf = net.conf(ipam=ipam)
    added = net.invoke("ADD", conf, ns.path, cid)
    try:
        assert added.expect_ok().stderr == warning("bridge", "ipam.ranges[0][0].gw", "ipam.routes[0].gateway")
    finally:
        net.invoke("DEL", conf, ns.path, cid).expect_ok()


def test_kv_ipam_delegated_by_the_reference_bridge_names_only_its_own_section(make_network, make_netns,
                                                                              container_id):
    net = make_network(STACKS["reference-bridge+kv-ipam"])
    ns = make_netns()
    cid = container_id()
    conf = net.conf(ipam=net.ipam(dataDirr="/nowhere"), somethingOfTheReferenceBridge=True)
    added = net.invoke("ADD", conf, ns.path, cid).expect_ok()
    try:
        assert added.stderr == warning("kv-ipam", "ipam.dataDirr")
        assert set(net.leases()) == {a.split("/")[0] for a in (ip["address"] for ip in added.json["ips"])}
    finally:
        net.invoke("DEL", conf, ns.path, cid).expect_ok()
    assert net.leases() == {}


def test_every_key_the_reference_bridge_accepts_runs_silently(make_network, make_netns, container_id):
    net = make_network(STACKS["ours"])
    ns = make_netns()
    reference_keys = {
        "isDefaultGateway": False, "forceAddress": False, "ipMasq": False, "ipMasqBackend": "nftables", "mtu": 1500,
        "hairpinMode": False, "promiscMode": False, "vlan": 0, "vlanTrunk": [], "preserveDefaultVlan": False,
        "macspoofchk": False, "enabledad": False, "disableContainerInterface": False, "portIsolation": False,
        "capabilities": {"mac": True, "ips": True}, "runtimeConfig": {"mac": "02:00:00:12:34:56"},
        "args": {"cni": {"ips": []}}, "dns": {"nameservers": ["192.0.2.53"]}, "cniVersions": ["1.0.0"],
    }
    conf = net.conf(**reference_keys)
    attachment = net.add(ns, container_id(), conf=conf)
    try:
        assert attachment.check().expect_ok().stderr == ""
    finally:
        assert attachment.delete().expect_ok().stderr == ""


def test_portmap_and_macvlan_name_their_own_misspelt_keys_and_accept_the_references(make_network, make_netns,
                                                                                     container_id, tmp_root):
    """Both run a DEL that finds nothing to remove: the warning comes from reading the config."""
    ns = make_netns()
    cid = container_id()
    net = make_network(STACKS["ours"])

    def delete(plugin: str, **keys) -> harness.Invocation:
        conf = {"cniVersion": "1.0.0", "name": net.name, "type": plugin, **keys}
        env = harness.plugin_env("DEL", cid, ns.path, "eth0", (harness.ours_dir(),))
        return harness.run_plugin(ours(plugin), env, conf).expect_ok()

    assert delete("portmap", snat=True, masqAll=False, backend="nftables", markMasqBit=None,
                  externalSetMarkChain=None, conditionsV4=None, conditionsV6=None).stderr == ""
    assert delete("portmap", snatt=False).stderr == warning("portmap", "snatt")
    ipam = {"type": "kv-ipam", "subnet": str(net.v4), "dataDir": str(tmp_root)}
    assert delete("macvlan", master="lo", mode="bridge", mtu=0, mac="", linkInContainer=False, bcqueuelen=100,
                  ipam=ipam).stderr == ""
    assert delete("macvlan", mastr="lo", ipam=ipam).stderr == warning("macvlan", "mastr")
