"""The etcd store over TLS: certificates made here with openssl, Debian's etcd run with TLS, client
certificate authentication and etcd's own authentication, and bridge + kv-ipam against it; then every
way TLS or the credentials can be wrong, each answered with code 7 naming the file, the endpoint or
what does not match, and nothing written to etcd."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness
from harness import EtcdServer, ours_dir
from harness.etcd import _b64, _prefix_end

pytestmark = [pytest.mark.ours_only,
              pytest.mark.skipif(not harness.etcd_available(), reason="no etcd binary (install etcd-server)"),
              pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")]

PREFIX = "/t/"


@dataclass
class Pki:
    """A CA with a server certificate for 127.0.0.1 and a client certificate (without a CommonName), plus an
    unrelated CA with a client certificate of its own and a server certificate for another address."""
    dir: Path

    def path(self, name: str) -> str:
        return str(self.dir / name)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(dir: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
             "-subj", f"/CN={name}", "-keyout", f"{name}-key.pem", "-out", f"{name}.pem", cwd=dir)


def _issue(dir: Path, ca: str, name: str, extensions: str, subject: str | None = None) -> None:
    (dir / f"{name}.ext").write_text(extensions)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject or f"/CN={name}",
             "-keyout", f"{name}-key.pem", "-out", f"{name}.csr", cwd=dir)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}-key.pem", "-CAcreateserial",
             "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=dir)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    dir = tmp_path_factory.mktemp("pki")
    _make_ca(dir, "ca")
    # etcd 3.4's JSON gateway dials etcd's gRPC port with the server's own certificate as its client
    # certificate: under --client-cert-auth that certificate must be good for client authentication too.
    _issue(dir, "ca", "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
    _issue(dir, "ca", "elsewhere", "subjectAltName=IP:127.0.0.2,DNS:etcd.example\nextendedKeyUsage=serverAuth,clientAuth\n")
    # With authentication on, etcd's gateway refuses a client certificate that has a CommonName (it
    # could not pass the name on as the user): the user comes from the password.
    _issue(dir, "ca", "cni", "extendedKeyUsage=clientAuth\n", subject="/O=swift-cni/OU=cni")
    _issue(dir, "ca", "named", "extendedKeyUsage=clientAuth\n")
    _make_ca(dir, "rogue-ca")
    _issue(dir, "rogue-ca", "rogue", "extendedKeyUsage=clientAuth\n")
    (dir / "garbage.pem").write_text("this is not a certificate\n")
    (dir / "password").write_text("tls-pa55\n")
    return Pki(dir)


class TLSEtcd(EtcdServer):
    """etcd serving clients only over TLS (`--client-cert-auth`: a client certificate the CA signed
    is required), read and written here through the gateway with the test's own client certificate."""

    def __init__(self, root: Path, pki: Pki, server_cert: str = "server"):
        self.context = ssl.create_default_context(cafile=pki.path("ca.pem"))
        self.context.load_cert_chain(pki.path("cni.pem"), pki.path("cni-key.pem"))
        if server_cert != "server":
            self.context.check_hostname = False
        super().__init__(root, scheme="https", extra_args=[
            "--cert-file", pki.path(f"{server_cert}.pem"), "--key-file", pki.path(f"{server_cert}-key.pem"),
            "--trusted-ca-file", pki.path("ca.pem"), "--client-cert-auth"])

    def post(self, path: str, body: dict, timeout: float = 5) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = self.token
        request = urllib.request.Request(self.endpoint + path, json.dumps(body).encode(), headers)
        with urllib.request.urlopen(request, timeout=timeout, context=self.context) as answer:
            return json.loads(answer.read())

    def authentications(self) -> int:
        """How many times etcd has been asked to authenticate (its gRPC server's counter)."""
        request = urllib.request.Request(self.endpoint + "/metrics")
        with urllib.request.urlopen(request, timeout=5, context=self.context) as answer:
            for line in answer.read().decode().splitlines():
                if line.startswith("grpc_server_started_total") and 'grpc_method="Authenticate"' in line:
                    return int(float(line.rsplit(" ", 1)[1]))
        return 0

    def enable_auth_for_prefix(self, user: str, password: str, prefix: str) -> None:
        """etcd's authentication on, with `user` allowed to read and write under `prefix` only."""
        self.post("/v3/auth/user/add", {"name": "root", "password": "root-" + password})
        self.post("/v3/auth/user/grant", {"user": "root", "role": "root"})
        self.post("/v3/auth/role/add", {"name": user})
        self.post("/v3/auth/role/grant", {"name": user, "perm": {
            "permType": "READWRITE", "key": _b64(prefix), "range_end": _b64(_prefix_end(prefix.encode()))}})
        self.post("/v3/auth/user/add", {"name": user, "password": password})
        self.post("/v3/auth/user/grant", {"user": user, "role": user})
        self.post("/v3/auth/enable", {})
        self.token = self.post("/v3/auth/authenticate", {"name": "root", "password": "root-" + password})["token"]


@pytest.fixture
def tls_etcd(tmp_root, pki):
    server = TLSEtcd(tmp_root, pki)
    server.enable_auth_for_prefix("cni", "tls-pa55", PREFIX)
    yield server
    server.stop()


def tls_store(pki: Pki, endpoint: str, **overrides) -> dict:
    store = {"type": "etcd", "endpoints": [endpoint], "prefix": PREFIX, "timeout": 2,
             "caFile": pki.path("ca.pem"), "certFile": pki.path("cni.pem"), "keyFile": pki.path("cni-key.pem"),
             "username": "cni", "passwordFile": pki.path("password")}
    store.update(overrides)
    return {k: v for k, v in store.items() if v is not None}


def lease_keys(etcd: EtcdServer) -> dict[str, str]:
    return {k: v for k, v in etcd.keys(PREFIX).items() if "/ips/" in k or "/owners/" in k}


def message(run) -> str:
    body = json.loads(run.stdout)
    return body["msg"] + " " + body.get("details", "")


def test_bridge_add_check_del_over_tls_with_a_client_certificate_and_a_password(net, make_netns, container_id,
                                                                             tls_etcd, pki):
    ns = make_netns()
    cid = container_id()
    conf = net.conf(ipam={**net.ipam(dual=True), "store": tls_store(pki, tls_etcd.endpoint)})
    result = net.invoke("ADD", conf, ns.path, cid).expect_ok().json
    addresses = sorted(ip["address"].split("/")[0] for ip in result["ips"])
    assert sorted(k.rsplit("/", 1)[1] for k in lease_keys(tls_etcd) if "/ips/" in k) == addresses
    assert "eth0" in ns.link_names()
    net.invoke("CHECK", harness.request(conf, result), ns.path, cid).expect_ok()
    net.invoke("DEL", harness.request(conf, result), ns.path, cid).expect_ok()
    assert lease_keys(tls_etcd) == {}


def test_the_token_is_kept_for_the_next_plugin_run_and_only_for_the_same_password(net, make_netns, container_id,
                                                                                  tls_etcd, pki):
    """etcd checks a password with bcrypt: a plugin run keeps the token (mode 0600, in dataDir) so the
    next run does not authenticate again; a run with another password never uses it."""
    kv_ipam = ours_dir() / "kv-ipam"
    ns = make_netns()
    conf = net.conf(ipam={**net.ipam(), "store": tls_store(pki, tls_etcd.endpoint)})
    harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), conf).expect_ok()
    token_file = net.data_dir / "etcd-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert "tls-pa55" not in token_file.read_text()
    before = tls_etcd.authentications()
    harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), conf).expect_ok()
    assert tls_etcd.authentications() == before, "the second run authenticated again"
    assert len([k for k in lease_keys(tls_etcd) if "/ips/" in k]) == 2

    wrong = net.conf(ipam={**net.ipam(), "store": tls_store(pki, tls_etcd.endpoint, passwordFile=None, password="wrong")})
    run = harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), wrong).expect_error(7)
    assert "cni" in message(run)
    assert len([k for k in lease_keys(tls_etcd) if "/ips/" in k]) == 2

    # A token etcd no longer accepts (setting a user's password revokes the user's tokens) is replaced.
    tls_etcd.post("/v3/auth/user/changepw", {"name": "cni", "password": "tls-pa55"})
    harness.run_plugin(kv_ipam, net.env("ADD", ns.path, container_id()), conf).expect_ok()
    assert len([k for k in lease_keys(tls_etcd) if "/ips/" in k]) == 3


def test_the_tls_example_config(make_network, make_netns, container_id, tls_etcd, pki):
    """conf/81-swift-bridge-etcd-tls.conflist through ADD, CHECK and DEL, its files and endpoint the test's."""
    from conftest import STACKS
    from test_conf import CONF_DIR, rewrite_ipam, run_list

    config = json.loads((CONF_DIR / "81-swift-bridge-etcd-tls.conflist").read_text())
    net = make_network(STACKS["ours"])
    config["name"] = net.name
    plugin = config["plugins"][0]
    plugin["bridge"] = net.bridge
    rewrite_ipam(plugin["ipam"], net)
    store = plugin["ipam"]["store"]
    assert set(store) >= {"caFile", "certFile", "keyFile", "username", "passwordFile"}
    # The test's etcd user may write under PREFIX only.
    store.update(tls_store(pki, tls_etcd.endpoint))
    cni_path = (ours_dir(),)
    ns = make_netns()
    cid = container_id()
    result = run_list("ADD", config, cni_path, ns.path, cid, None)
    address = result["ips"][0]["address"].split("/")[0]
    assert [k.rsplit("/", 1)[1] for k in lease_keys(tls_etcd) if "/ips/" in k] == [address]
    run_list("CHECK", config, cni_path, ns.path, cid, result)
    run_list("DEL", config, cni_path, ns.path, cid, result)
    assert lease_keys(tls_etcd) == {}


# (what to change in the store object, the texts the error must hold: {endpoint} is the TLS endpoint, {plain}
# the same with http://)
REFUSALS = {
    "unreadable CA file": (lambda p, e: {"caFile": p.path("absent-ca.pem")}, ["absent-ca.pem", "No such file"]),
    "CA file without a certificate": (lambda p, e: {"caFile": p.path("garbage.pem")}, ["garbage.pem", "no PEM certificate"]),
    "unreadable client certificate": (lambda p, e: {"certFile": p.path("absent.pem")}, ["certFile", "absent.pem"]),
    "key of another certificate": (lambda p, e: {"keyFile": p.path("rogue-key.pem")},
                                   ["rogue-key.pem", "does not belong", "cni.pem"]),
    "server certificate from another CA": (lambda p, e: {"caFile": p.path("rogue-ca.pem")},
                                           ["{endpoint}", "not accepted", "rogue-ca.pem"]),
    "no client certificate": (lambda p, e: {"certFile": None, "keyFile": None}, ["{endpoint}", "refused the TLS session"]),
    "client certificate from another CA": (lambda p, e: {"certFile": p.path("rogue.pem"), "keyFile": p.path("rogue-key.pem")},
                                           ["{endpoint}", "refused the TLS session"]),
    "client certificate with a CommonName": (lambda p, e: {"certFile": p.path("named.pem"), "keyFile": p.path("named-key.pem")},
                                             ["{endpoint}", "CommonName", "named.pem"]),
    "plain HTTP to the TLS endpoint": (lambda p, e: {"endpoints": [e.replace("https://", "http://")], "caFile": None,
                                                     "certFile": None, "keyFile": None},
                                       ["{plain}", "speaks TLS", "https://"]),
    "wrong password": (lambda p, e: {"passwordFile": None, "password": "wrong"}, ["cni", "{endpoint}"]),
    "user without permission on the prefix": (lambda p, e: {"prefix": "/elsewhere/"}, ["permission denied"]),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_tls_and_auth_errors_are_code_7_naming_what_is_wrong(case, net, make_netns, container_id, tls_etcd, pki):
    change, texts = REFUSALS[case]
    store = tls_store(pki, tls_etcd.endpoint)
    store.update(change(pki, tls_etcd.endpoint))
    store = {k: v for k, v in store.items() if v is not None}
    conf = net.conf(ipam={**net.ipam(dual=True), "store": store})
    ns = make_netns()
    run = net.invoke("ADD", conf, ns.path, container_id()).expect_error(7)
    for text in (t.format(endpoint=tls_etcd.endpoint, plain=tls_etcd.endpoint.replace("https://", "http://")) for t in texts):
        assert text in message(run), f"{case}: {text!r} not in {message(run)!r}"
    assert ns.link_names() == ns.baseline
    assert tls_etcd.keys("/") == {}, "a refused ADD wrote to etcd"


def test_a_certificate_for_another_address_is_named_as_a_mismatch(net, make_netns, container_id, tmp_root, pki):
    server = TLSEtcd(tmp_root, pki, server_cert="elsewhere")
    try:
        conf = net.conf(ipam={**net.ipam(), "store": tls_store(pki, server.endpoint, username=None, passwordFile=None)})
        ns = make_netns()
        run = net.invoke("ADD", conf, ns.path, container_id()).expect_error(7)
        assert server.endpoint in message(run) and "IP address mismatch" in message(run) and "127.0.0.1" in message(run)
        assert server.keys("/") == {}
    finally:
        server.stop()


def test_tls_to_a_plain_endpoint_is_named(net, make_netns, container_id, tmp_root, pki):
    plain = EtcdServer(tmp_root)
    try:
        endpoint = plain.endpoint.replace("http://", "https://")
        conf = net.conf(ipam={**net.ipam(), "store": tls_store(pki, endpoint, username=None, passwordFile=None)})
        ns = make_netns()
        run = net.invoke("ADD", conf, ns.path, container_id()).expect_error(7)
        assert endpoint in message(run) and "is it a TLS endpoint" in message(run)
        assert plain.keys("/") == {}
    finally:
        plain.stop()
