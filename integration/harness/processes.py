"""Running commands and plugins: a plugin run is an `Invocation`, timed from spawn to reaping, with
its exit code, both streams and its CNI error code; and the process-level conditions some tests
set up (a subreaper, a cgroup that allows no fork)."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .names import NS_PREFIX


def sh(*args: str, check: bool = True, timeout: float = 30, input: str | None = None) -> subprocess.CompletedProcess:
    """Runs a command, capturing text output. Raises with both streams shown when `check` fails."""
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02, what: str = "condition") -> None:
    """Polls `predicate` until it holds; fails after `timeout` seconds. Used instead of fixed sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Invocation:
    """One plugin run: exit code, both streams and stdout parsed as JSON when it is JSON."""

    argv: list[str]
    env: dict[str, str]
    stdin: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def json(self):
        try:
            return json.loads(self.stdout) if self.stdout.strip() else None
        except json.JSONDecodeError:
            return None

    @property
    def killed(self) -> bool:
        """Whether the run ended by SIGKILL (`run_plugin`'s `kill_after`) rather than on its own."""
        return self.returncode == -signal.SIGKILL

    @property
    def code(self) -> int | None:
        """The CNI error code from stdout, if the plugin printed a CNI error."""
        body = self.json
        return body.get("code") if isinstance(body, dict) else None

    def describe(self) -> str:
        cni = {k: v for k, v in self.env.items() if k.startswith("CNI_")}
        return (f"{' '.join(self.argv)} exited {self.returncode} after {self.seconds:.3f}s\n"
                f"env: {cni}\nstdin: {self.stdin}\nstdout: {self.stdout}\nstderr: {self.stderr}")

    def expect_ok(self) -> "Invocation":
        assert self.returncode == 0, "plugin failed:\n" + self.describe()
        return self

    def expect_error(self, code: int) -> "Invocation":
        """Asserts a failure reported as a CNI error object with `code`."""
        assert self.returncode != 0, "plugin succeeded but should have failed:\n" + self.describe()
        body = self.json
        assert isinstance(body, dict) and "code" in body and "msg" in body, \
            "error is not a CNI error object on stdout:\n" + self.describe()
        assert body["code"] == code, f"expected CNI error code {code}, got {body['code']}:\n" + self.describe()
        return self


def plugin_env(command: str | None, container_id: str | None = None, netns: str | None = None,
               ifname: str | None = None, cni_path: Iterable[Path | str] = (), args: str | None = None,
               extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: only PATH plus the CNI_* variables given (none is set implicitly)."""
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
    values = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": netns,
              "CNI_IFNAME": ifname, "CNI_ARGS": args}
    env.update({k: v for k, v in values.items() if v is not None})
    paths = [str(p) for p in cni_path]
    if paths:
        env["CNI_PATH"] = ":".join(paths)
    env.update(extra or {})
    return env


def run_plugin(binary: Path | str, env: dict[str, str], stdin: str | dict | None, timeout: float = 60,
               kill_after: float | None = None) -> Invocation:
    """Runs a plugin to its end with `stdin` as its input, both streams captured. With `kill_after`,
    a plugin still running that many seconds after it was spawned is sent SIGKILL (see
    `Invocation.killed`).

    `seconds` spans spawning to reaping and nothing else: the streams are in-memory files filled and
    read outside that span, and the process is spawned and waited for directly. (`subprocess.run`
    with pipes added about 2 ms of Python's own work to every figure, the same for every plugin,
    which hid real differences between short-lived plugins.)"""
    text = stdin if isinstance(stdin, str) else json.dumps(stdin) if stdin is not None else ""
    streams = [os.memfd_create(name) for name in ("stdin", "stdout", "stderr")]
    try:
        os.write(streams[0], text.encode())
        os.lseek(streams[0], 0, os.SEEK_SET)
        start = time.perf_counter()
        pid = os.posix_spawn(str(binary), [str(binary)], env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(streams)])
        status = _reap(pid, timeout, [str(binary)], kill_after)
        seconds = time.perf_counter() - start
        stdout, stderr = (_read_all(fd) for fd in streams[1:])
    finally:
        for fd in streams:
            os.close(fd)
    return Invocation([str(binary)], env, text, os.waitstatus_to_exitcode(status), stdout, stderr, seconds)


def _reap(pid: int, timeout: float, argv: list[str], kill_after: float | None = None) -> int:
    """The wait status of `pid`, killing it if it outlives `timeout` seconds, or first, without
    calling that a failure, if it outlives `kill_after` seconds."""
    pidfd = os.pidfd_open(pid)
    try:
        # select takes fractions of a millisecond, poll only whole ones: kill points fall inside
        # runs of a few milliseconds.
        if kill_after is not None and not select.select([pidfd], [], [], kill_after)[0]:
            os.kill(pid, signal.SIGKILL)
        waiter = select.poll()
        waiter.register(pidfd, select.POLLIN)
        if not waiter.poll(timeout * 1000):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise subprocess.TimeoutExpired(argv, timeout)
    finally:
        os.close(pidfd)
    return os.waitpid(pid, 0)[1]


def _read_all(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def start_plugin(binary: Path | str, env: dict[str, str], stdin: str | dict) -> subprocess.Popen:
    """Starts a plugin without waiting; feed it with `finish_plugin`."""
    proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    proc._cni_stdin = stdin if isinstance(stdin, str) else json.dumps(stdin)  # type: ignore[attr-defined]
    proc._cni_env = env  # type: ignore[attr-defined]
    proc._cni_start = time.perf_counter()  # type: ignore[attr-defined]
    return proc


def finish_plugin(proc: subprocess.Popen, timeout: float = 120) -> Invocation:
    out, err = proc.communicate(proc._cni_stdin, timeout=timeout)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - proc._cni_start  # type: ignore[attr-defined]
    return Invocation(list(proc.args), proc._cni_env, proc._cni_stdin, proc.returncode, out, err,  # type: ignore
                      seconds)


@contextlib.contextmanager
def adopting_orphans():
    """Makes this process the subreaper of what it starts, as conmon is: a process whose parent
    exits comes back to this one instead of to init. Yields a function that waits for
    every such process to end and returns `(name, exit code)` for each."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36

    def collect() -> list[tuple[str, int]]:
        ended = []
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                return ended
            # The name is readable until the process is reaped.
            name = Path(f"/proc/{info.si_pid}/comm").read_text().strip()
            ended.append((name, os.waitstatus_to_exitcode(os.waitpid(info.si_pid, 0)[1])))

    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        yield collect
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


@contextlib.contextmanager
def limited_to_one_process(binary: Path, scratch: Path):
    """Yields an executable that runs `binary` in a fresh pids cgroup allowing one process, so that
    `binary` cannot fork. The cgroup is removed afterwards."""
    v1 = Path("/sys/fs/cgroup/pids")
    root = v1 if v1.is_dir() else Path("/sys/fs/cgroup")
    group = root / f"{NS_PREFIX}one-process"
    group.mkdir()
    try:
        (group / "pids.max").write_text("1\n")
        wrapper = scratch / "one-process"
        wrapper.write_text(f'#!/bin/sh\necho $$ > {group}/cgroup.procs && exec {binary}\n')
        wrapper.chmod(0o755)
        yield wrapper
    finally:
        group.rmdir()
