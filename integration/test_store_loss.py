"""A store lost or rolled back under live attachments never hands out an address they hold.

The host keeps its own record of every bridge attachment: the host end of its veth pair, bearing
the attachment's alias, and its firewall elements, which name the addresses it holds. An ADD whose
address IPAM handed out again finds the live holder there, gives it back its lease, and leases
anew; the holder keeps its elements and its connectivity. DEL and GC then clean up as usual.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import harness
from harness import nft

pytestmark = pytest.mark.ours_only

STORE_FILES = ("store.db", "store.db-wal", "store.db-shm")


def remove_store(data_dir: Path) -> None:
    for name in STORE_FILES:
        (data_dir / name).unlink(missing_ok=True)


def damage_wal_tail(data_dir: Path) -> None:
    """Overwrites the last 256 bytes of the write-ahead log: SQLite then drops the frames after
    the last intact commit, as after a torn write, and the store reads as it was before them."""
    wal = data_dir / "store.db-wal"
    size = wal.stat().st_size
    assert size > 256, "the store keeps no write-ahead log to damage"
    with open(wal, "r+b") as f:
        f.seek(size - 256)
        f.write(os.urandom(256))


def live_pair(net, make_netns, container_id, conf):
    attachments = [net.add(make_netns(), container_id(), conf=conf) for _ in range(2)]
    return attachments, {a.ip(): (a.container_id, "eth0") for a in attachments}


@pytest.mark.parametrize("ip_masq", [False, True], ids=["no firewall features", "ipMasq"])
def test_an_add_after_the_store_was_removed_takes_no_live_address(net, make_netns, container_id, ip_masq):
    conf = net.conf(ipMasq=ip_masq)
    attachments, held = live_pair(net, make_netns, container_id, conf)
    remove_store(net.data_dir)

    newcomer = net.add(make_netns(), container_id(), conf=conf)
    assert newcomer.ip() not in held
    # The holders' leases are back in the new store, with their firewall elements untouched.
    assert net.leases() == {**held, newcomer.ip(): (newcomer.container_id, "eth0")}
    for attachment in attachments:
        assert nft.owned_by(attachment.container_id) != []
        attachment.netns.ping(net.gateway4)
        attachment.netns.ping(newcomer.ip())

    for attachment in [*attachments, newcomer]:
        attachment.delete().expect_ok()
        assert nft.owned_by(attachment.container_id) == []
    assert net.leases() == {}


def test_an_add_after_the_write_ahead_log_was_damaged_takes_no_live_address(net, make_netns, container_id):
    conf = net.conf()
    attachments, held = live_pair(net, make_netns, container_id, conf)
    damage_wal_tail(net.data_dir)

    newcomer = net.add(make_netns(), container_id(), conf=conf)
    assert newcomer.ip() not in held
    assert set(held.items()) <= set(net.leases().items())
    for attachment in attachments:
        attachment.netns.ping(newcomer.ip())
    for attachment in [*attachments, newcomer]:
        attachment.delete().expect_ok()
    assert net.leases() == {}


def test_a_holder_whose_host_end_is_gone_loses_its_elements_to_the_new_lease(net, make_netns, container_id):
    conf = net.conf(ipMasq=True)
    stale = net.add(make_netns(), container_id(), conf=conf)
    # Its namespace and link went without a DEL, and the store with them.
    harness.delete_netns(stale.netns.name)
    harness.delete_link(stale.host_veth)
    remove_store(net.data_dir)

    newcomer = net.add(make_netns(), container_id(), conf=conf)
    assert newcomer.ip() == stale.ip()
    assert nft.owned_by(stale.container_id) == []
    assert net.leases() == {newcomer.ip(): (newcomer.container_id, "eth0")}
    newcomer.netns.ping(net.gateway4)
    newcomer.delete().expect_ok()
