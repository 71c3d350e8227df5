"""Installing as users install CNI plugins (`integration/install`) and the release archive
(`.ci/release`): what lands where, and that what landed runs and names the release's version."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

import harness
from conftest import ours
from harness import REPO, ours_dir

pytestmark = pytest.mark.ours_only

# Every executable the suite ships; the package may add more, never fewer.
SHIPPED = {"bridge", "none", "host", "kv-ipam", "macvlan", "portmap", "dnsname", "cni-dns", "netctl", "netctl-cli"}
PLUGINS = SHIPPED - {"cni-dns", "netctl", "netctl-cli"}


def suite_version() -> str:
    """SuiteVersion.current, read from the one file that writes it."""
    text = (REPO / "Sources/CNI/SuiteVersion.swift").read_text()
    return re.search(r'public static let current = "(\d+\.\d+\.\d+)"', text).group(1)


@functools.cache
def package_executables() -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "SWIFT_CNI_BENCH"}
    env["PATH"] = "/opt/swift/usr/bin:" + env.get("PATH", "")
    described = subprocess.run(["swift", "package", "describe", "--type", "json"], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=300, check=True)
    return {p["name"] for p in json.loads(described.stdout)["products"] if "executable" in p["type"]}


def is_static(path: Path) -> bool:
    return "INTERP" not in harness.sh("readelf", "-l", str(path)).stdout


def banner(binary: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
    return subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def built():
    for name in SHIPPED:
        ours(name)
    return ours_dir()


def test_install_puts_every_executable_conflist_and_unit_in_place_and_a_plugin_runs_from_there(
        built, tmp_root, net, make_netns, container_id):
    prefix, conf_dir, units = tmp_root / "opt/cni/bin", tmp_root / "etc/cni/net.d", tmp_root / "etc/systemd/system"
    (conf_dir).mkdir(parents=True)
    kept = conf_dir / "10-swift-bridge.conflist"
    kept.write_text('{"mine": true}\n')  # a user's file of the same name is not overwritten
    proc = subprocess.run([str(REPO / "integration/install"), "--prefix", str(prefix), "--with-conf", str(conf_dir),
                           "--with-units", str(units), "--from", str(built)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr

    installed = {p.name for p in prefix.iterdir()}
    assert installed == package_executables() and SHIPPED <= installed
    for name in installed:
        path = prefix / name
        assert path.stat().st_mode & 0o777 == 0o755 and is_static(path), name
    examples = {p.name for p in (REPO / "conf").glob("*.conflist")}
    assert {p.name for p in conf_dir.iterdir()} == examples
    assert kept.read_text() == '{"mine": true}\n' and str(kept) in proc.stderr
    for name in examples - {kept.name}:
        assert (conf_dir / name).read_bytes() == (REPO / "conf" / name).read_bytes()
    unit = (units / "cni-dns.service").read_text()
    assert f"ExecStart={prefix}/cni-dns --foreground" in unit

    # A runtime pointed at the prefix: bridge with kv-ipam in-process, ADD, ping, DEL.
    ns, cid = make_netns(), container_id()
    env = net.env("ADD", ns.path, cid)
    env["CNI_PATH"] = str(prefix)
    added = harness.run_plugin(prefix / "bridge", env, net.conf()).expect_ok().json
    assert added["ips"]
    ns.ping(net.gateway4)
    env["CNI_COMMAND"] = "DEL"
    harness.run_plugin(prefix / "bridge", env, net.conf()).expect_ok()
    assert net.leases() == {}


def test_release_archive_lists_every_executable_verifies_and_prints_the_version(built, tmp_root):
    version = suite_version()
    proc = subprocess.run([str(REPO / ".ci/release"), "--from", str(built), "--output", str(tmp_root / "out")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    archive = tmp_root / "out" / f"swift-cni-linux-amd64-v{version}.tgz"
    assert proc.stdout.strip().endswith(archive.name) and archive.is_file()

    with tarfile.open(archive) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers() if m.name not in (".", "./")}
        assert all(m.uid == 0 and m.gid == 0 for m in members.values())
        tar.extractall(tmp_root / "x", filter="tar")
    executables = {name for name, m in members.items() if m.isfile() and m.mode & 0o111}
    assert executables == package_executables() and SHIPPED <= executables
    assert set(members) == executables | {"LICENSE"}

    check = subprocess.run(["sha256sum", "-c", f"{archive.name}.sha256"], cwd=archive.parent,
                           capture_output=True, text=True)
    assert check.returncode == 0 and f"{archive.name}: OK" in check.stdout, check.stdout + check.stderr
    archive.write_bytes(archive.read_bytes() + b"\0")  # and the check can fail
    assert subprocess.run(["sha256sum", "-c", f"{archive.name}.sha256"], cwd=archive.parent,
                          capture_output=True).returncode != 0

    extracted = tmp_root / "x"
    for name in executables:
        assert is_static(extracted / name), name
    for plugin in PLUGINS:
        about = banner(extracted / plugin)  # no CNI_COMMAND: skel's text, on stderr
        assert about.returncode == 0
        assert about.stderr.splitlines()[0] == f"CNI {plugin} plugin v{version} (swift-cni)"
        assert about.stderr.splitlines()[1].startswith("CNI protocol versions supported: ")
        flag = banner(extracted / plugin, "--version")
        assert flag.returncode == 0 and flag.stdout.splitlines()[0] == f"CNI {plugin} plugin v{version} (swift-cni)"
    dns = banner(extracted / "cni-dns", "--version")
    assert dns.returncode == 0 and dns.stdout.strip() == f"cni-dns v{version} (swift-cni)"
