"""Writes DNS records straight into a local store (store.db of a data dir), as the dnsname plugin
would, for benchmarks that need thousands of names without thousands of ADDs."""
import json
import sqlite3


def put_records(store_db, records):
    """records: iterable of (network, container_id, ifname, value dict). One transaction, one revision."""
    db = sqlite3.connect(store_db)
    try:
        db.execute("BEGIN IMMEDIATE")
        revision = db.execute("SELECT revision FROM store WHERE id = 0").fetchone()[0] + 1
        for seq, (network, container, ifname, value) in enumerate(records):
            key = f"dns/{network}/{container}/{ifname}".encode()
            blob = json.dumps(value, separators=(",", ":")).encode()
            db.execute("INSERT OR REPLACE INTO kv (key, value, create_revision, mod_revision, version) "
                       "VALUES (?, ?, ?, ?, 1)", (key, blob, revision, revision))
            db.execute("INSERT INTO history (revision, seq, key, value, create_revision, version) "
                       "VALUES (?, ?, ?, ?, ?, 1)", (revision, seq, key, blob, revision))
        db.execute("UPDATE store SET revision = ? WHERE id = 0", (revision,))
        db.execute("COMMIT")
        return revision
    finally:
        db.close()


def record(names, addresses, gateways, domain="dns.podman", upstreams=()):
    return {"domain": domain, "names": list(names), "addresses": list(addresses),
            "gateways": list(gateways), "upstreams": list(upstreams)}


def remove_records(store_db, owners):
    """owners: iterable of (network, container_id, ifname). One transaction, one revision."""
    db = sqlite3.connect(store_db)
    try:
        db.execute("BEGIN IMMEDIATE")
        revision = db.execute("SELECT revision FROM store WHERE id = 0").fetchone()[0] + 1
        for seq, (network, container, ifname) in enumerate(owners):
            key = f"dns/{network}/{container}/{ifname}".encode()
            db.execute("DELETE FROM kv WHERE key = ?", (key,))
            db.execute("INSERT INTO history (revision, seq, key, value, create_revision, version) "
                       "VALUES (?, ?, ?, NULL, 0, 0)", (revision, seq, key))
        db.execute("UPDATE store SET revision = ? WHERE id = 0", (revision,))
        db.execute("COMMIT")
        return revision
    finally:
        db.close()
