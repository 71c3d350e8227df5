"""cnitool: its main over Debian's libcni (golang-github-containernetworking-cni-dev), built with Debian's
Go. The package ships libcni's source but not cnitool's, so this builds the same few lines
cnitool/cnitool.go runs: LoadConfList from NETCONFPATH, plugins from CNI_PATH, the cnitool-<sha512>
container ID of the namespace path (or CNITOOL_CONTAINERID, an addition for tests), AddNetworkList/CheckNetworkList/DelNetworkList; the result cache
in CNI_CACHE_DIR (libcni's default, /var/lib/cni, when unset). Nothing is vendored: the source is
written and built in a scratch directory."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

LIBCNI = Path("/usr/share/gocode/src/github.com/containernetworking/cni/libcni")

CNITOOL_MAIN = r'''
package main

import (
	"context"
	"crypto/sha512"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
)

func main() {
	conf, err := libcni.LoadConfList(os.Getenv("NETCONFPATH"), os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	netns, _ := filepath.Abs(os.Args[3])
	sum := sha512.Sum512([]byte(netns))
	id := fmt.Sprintf("cnitool-%x", sum[:10])
	if override := os.Getenv("CNITOOL_CONTAINERID"); override != "" {
		id = override
	}
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: netns, IfName: "eth0"}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(os.Getenv("CNI_PATH")), os.Getenv("CNI_CACHE_DIR"), nil)
	switch os.Args[1] {
	case "add":
		result, err := cni.AddNetworkList(context.TODO(), conf, rt)
		if err == nil {
			err = result.Print()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "check":
		err = cni.CheckNetworkList(context.TODO(), conf, rt)
	case "del":
		err = cni.DelNetworkList(context.TODO(), conf, rt)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
'''


def cnitool_availability() -> str:
    go = shutil.which("go")
    if go is None or not LIBCNI.is_dir():
        return "cnitool cannot be built: needs Debian's golang-go and golang-github-containernetworking-cni-dev (.ci/install-deps)"
    version = subprocess.run([go, "version"], capture_output=True, text=True).stdout.strip()
    return f"cnitool built from Debian's libcni ({LIBCNI.parent}) with {version}"


def build_cnitool(scratch: Path) -> Path | None:
    """Builds cnitool into `scratch`; None when Go or libcni's source is missing."""
    go = shutil.which("go")
    if go is None or not LIBCNI.is_dir():
        return None
    source = scratch / "cnitool-src"
    source.mkdir(exist_ok=True)
    (source / "main.go").write_text(CNITOOL_MAIN)
    env = {**os.environ, "GOPATH": "/usr/share/gocode", "GO111MODULE": "off", "GOCACHE": str(scratch / "go-cache"),
           "GOFLAGS": "", "CGO_ENABLED": "0"}
    binary = scratch / "cnitool"
    build = subprocess.run([go, "build", "-o", str(binary), "main.go"], cwd=source, env=env, capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(f"go build of cnitool failed:\n{build.stderr}")
    return binary
