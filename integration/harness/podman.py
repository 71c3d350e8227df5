"""podman 4.3 with its CNI backend, configured entirely inside one scratch directory: its own
containers.conf, storage.conf, store, run root and network config directory, so nothing under /etc
changes. Plugins are looked up in our directory first, then the reference plugins'.

The image is a busybox-static root file system built here and `podman import`ed: no registry.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
from pathlib import Path

from .processes import wait_until

IMAGE = "localhost/swift-cni-busybox:test"

# The applets the tests run inside containers; every one is a link to the one static busybox.
APPLETS = ("sh", "ip", "ping", "nslookup", "wget", "httpd", "sleep", "cat")


def available() -> str | None:
    """Why podman cannot run here, or None when it can."""
    for tool in ("podman", "runc", "conmon"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (.ci/install-deps installs it)"
    if shutil.which("busybox") is None or not _static(Path(shutil.which("busybox"))):
        return "busybox-static is not installed (.ci/install-deps installs it)"
    return None


def _static(path: Path) -> bool:
    return subprocess.run(["ldd", str(path)], capture_output=True, text=True).returncode != 0


class Podman:
    """Runs podman against a private configuration under `root`; `close()` removes every container,
    network, mount and file it made."""

    def __init__(self, root: Path, plugin_dirs: list[Path]):
        self.root = root
        self.net_dir = root / "net.d"
        self.net_dir.mkdir(parents=True)
        self.storage = root / "storage"
        self.runroot = root / "run"
        conf, storage_conf = root / "containers.conf", root / "storage.conf"
        dirs = ", ".join(json.dumps(str(d)) for d in plugin_dirs)
        # Rootful podman lacks CAP_SYS_RESOURCE here, so rlimits may not exceed the current hard ones;
        # crun refuses hybrid cgroups, runc does not. conmon runs `podman container cleanup` (the DEL
        # when a container stops) with only these variables, so they must name the same configuration.
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage_conf),
                    # No host-wide /etc/swift-cni/store.json: our plugins use their local store.
                    "SWIFT_CNI_STORE_CONFIG": str(root / "no-store.json")}
        passed = [f"{key}={self.env[key]}" for key in ("CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF",
                                                         "SWIFT_CNI_STORE_CONFIG")]
        conf.write_text(f"""[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "{root / 'tmp'}"
conmon_env_vars = {json.dumps(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + passed)}

[network]
network_backend = "cni"
cni_plugin_dirs = [{dirs}]
network_config_dir = "{self.net_dir}"
""")
        storage_conf.write_text(f"""[storage]
driver = "overlay"
graphroot = "{self.storage}"
runroot = "{self.runroot}"
""")
        self._import_image()

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        argv = ["podman", "--root", str(self.storage), "--runroot", str(self.runroot), "--storage-driver",
                "overlay", *args]
        proc = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc

    def _import_image(self) -> None:
        rootfs = self.root / "rootfs.tar"
        busybox = Path(shutil.which("busybox"))
        with tarfile.open(rootfs, "w") as tar:
            def add_dir(name: str):
                info = tarfile.TarInfo(name)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)

            def add_text(name: str, text: str):
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))

            for name in ("bin", "etc", "www", "tmp"):
                add_dir(name)
            tar.add(busybox, "bin/busybox")
            for applet in APPLETS:
                info = tarfile.TarInfo(f"bin/{applet}")
                info.type, info.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(info)
            add_text("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
            add_text("etc/group", "root:x:0:\n")
        self("import", "--change", "CMD=/bin/sh", str(rootfs), IMAGE)

    # ----------------------------------------------------------------------------------------
    # Containers

    def run(self, name: str, networks: list[str], *options: str) -> "Container":
        """`podman run -d` of a container serving HTTP on port 80 (its body is the container's name)
        on `networks`, with ping allowed. Fails the test if podman does."""
        serve = ("sh", "-c", f"echo {name} > /www/index.html && exec httpd -f -p 80 -h /www")
        argv = ["run", "-d", "--name", name, "--cap-add", "NET_RAW", *self._network_options(networks), *options,
                IMAGE, *serve]
        container_id = self(*argv).stdout.strip().splitlines()[-1]
        return Container(self, name, container_id)

    def run_failing(self, name: str, networks: list[str], *options: str) -> subprocess.CompletedProcess:
        """`podman run -d` expected to fail: podman's exit status and output."""
        return self("run", "-d", "--name", name, *self._network_options(networks), *options, IMAGE, "sleep",
                    "600", check=False)

    @staticmethod
    def _network_options(networks: list[str]) -> list[str]:
        return [f"--network={','.join(networks)}"]

    def remove_all(self) -> None:
        self("rm", "-a", "-f", "-t", "0", check=False)

    # ----------------------------------------------------------------------------------------
    # Networks

    def write_conflist(self, name: str, plugins: list[dict], version: str = "1.0.0") -> Path:
        path = self.net_dir / f"{name}.conflist"
        path.write_text(json.dumps({"cniVersion": version, "name": name, "plugins": plugins}, indent=2))
        return path

    def create_network(self, name: str, subnet: str) -> dict:
        """`podman network create --subnet`: the conflist podman writes, as written."""
        self("network", "create", "--subnet", subnet, name)
        return json.loads((self.net_dir / f"{name}.conflist").read_text())

    def remove_network(self, name: str) -> None:
        self("network", "rm", "-f", name, check=False)
        (self.net_dir / f"{name}.conflist").unlink(missing_ok=True)

    def processes(self) -> list[int]:
        """Processes whose command line names this instance's store: conmon, podman's cleanup."""
        wanted = str(self.storage).encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    if wanted in (entry / "cmdline").read_bytes():
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    # ----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Removes every container and image, unmounts what podman left mounted under `root`, and
        deletes `root`."""
        self.remove_all()
        self("rmi", "-a", "-f", check=False)
        # conmon, and the `podman container cleanup` it runs when a container exits, outlive `rm`.
        try:
            wait_until(lambda: not self.processes(), timeout=30, interval=0.1, what="podman's processes to exit")
        except AssertionError:
            for pid in self.processes():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        mounted = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                   if line.split()[1].startswith(str(self.root))]
        for point in sorted(mounted, key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class Container:
    """A container podman runs; `id` is the 64-hex ID podman passes as CNI_CONTAINERID."""

    def __init__(self, podman: Podman, name: str, container_id: str):
        self.podman, self.name, self.id = podman, name, container_id

    def exec(self, *argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return self.podman("exec", self.name, *argv, check=check, timeout=timeout)

    def inspect(self) -> dict:
        return json.loads(self.podman("inspect", self.name).stdout)[0]

    def networks(self) -> dict:
        """{network name: podman's view of the attachment (IPAddress, MacAddress, ...)}."""
        return self.inspect()["NetworkSettings"]["Networks"]

    def ip(self, network: str) -> str:
        return self.networks()[network]["IPAddress"]

    def interface(self, ifname: str = "eth0") -> tuple[list[str], str]:
        """(IPv4 addresses as ip/prefix, MAC) of `ifname` as the kernel in the container shows them."""
        lines = self.exec("ip", "-4", "addr", "show", "dev", ifname).stdout.splitlines()
        addresses = [line.split()[1] for line in lines if line.strip().startswith("inet ")]
        mac = self.exec("cat", f"/sys/class/net/{ifname}/address").stdout.strip()
        return addresses, mac

    def has_interface(self, ifname: str) -> bool:
        return self.exec("ip", "link", "show", "dev", ifname, check=False).returncode == 0

    def pings(self, target: str, timeout: float = 10.0) -> None:
        """Pings `target` (an address or a name) until one echo comes back, or fails."""
        last: list[subprocess.CompletedProcess] = []

        def once() -> bool:
            last[:] = [self.exec("ping", "-c", "1", "-W", "1", target, check=False)]
            return last[0].returncode == 0

        try:
            wait_until(once, timeout=timeout, interval=0.1, what=f"ping {target} from {self.name}")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{last[0].stdout}{last[0].stderr}") from None

    def resolves(self, name: str) -> str | None:
        """The IPv4 address busybox nslookup gives for `name` (through the container's resolv.conf),
        or None when the name does not resolve."""
        proc = self.exec("nslookup", "-type=a", name, check=False)
        if proc.returncode != 0:
            return None
        answers = proc.stdout.split("Name:", 1)
        if len(answers) < 2:
            return None
        for line in answers[1].splitlines():
            if line.strip().startswith("Address:"):
                return line.split()[-1]
        return None

    def fetch(self, url: str) -> str | None:
        # busybox 1.35's wget crashes with -q or -T; the progress goes to stderr.
        proc = self.exec("wget", "-O", "-", url, check=False, timeout=15)
        return proc.stdout.strip() if proc.returncode == 0 else None
