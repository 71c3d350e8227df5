"""prevResult chaining as libcni does it, for a network configuration list (conflist) or a single
plugin: ADD runs the plugins in order, each given the previous one's result as `prevResult`, and
the last one's result is what a runtime caches; CHECK (in order) and DEL (in reverse order) give
every plugin that cached result. This is the one place that builds a chained request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .processes import Invocation, run_plugin


def request(conf: dict, prev_result: dict | None) -> dict:
    """The stdin of one plugin of a chain: its config, with `prev_result` as `prevResult` (left out
    when there is none, as for the first plugin of an ADD or a DEL with nothing cached)."""
    return dict(conf) if prev_result is None else dict(conf, prevResult=prev_result)


def plugin_confs(conflist: dict) -> list[dict]:
    """The config of each plugin of `conflist` as libcni hands it over: the plugin's entry with the
    list's `name` and `cniVersion`."""
    return [dict(plugin, name=conflist["name"], cniVersion=conflist["cniVersion"]) for plugin in conflist["plugins"]]


@dataclass
class ChainRun:
    """What running a chain did: every plugin run, in the order they ran, and the chain's result
    (after ADD the last plugin's, which a runtime caches; after CHECK or DEL the cached one given)."""

    invocations: list[Invocation]
    result: dict | None

    def expect_ok(self) -> "ChainRun":
        for invocation in self.invocations:
            invocation.expect_ok()
        return self


def run_chain(command: str, plugins: list[tuple[Path, dict]], env: dict[str, str],
              cached: dict | None = None, kill: tuple[int, float] | None = None) -> ChainRun:
    """Runs `command` over `plugins` (executable and config, in conflist order) with `env`, feeding
    prevResult as libcni does (see the module's doc; `cached` is the ADD's result for CHECK and DEL).
    Stops at the first plugin that fails, as libcni does. `kill` is `(n, seconds)`: the n-th plugin
    to run (0 is the first, in the command's order) is sent SIGKILL if it runs that long, which
    fails the chain as any failure does."""
    prev = None if command == "ADD" else cached
    invocations = []
    for position, (binary, conf) in enumerate(reversed(plugins) if command == "DEL" else plugins):
        kill_after = kill[1] if kill and kill[0] == position else None
        invocation = run_plugin(binary, env, request(conf, prev), kill_after=kill_after)
        invocations.append(invocation)
        if invocation.returncode != 0:
            break
        if command == "ADD":
            prev = invocation.json
    return ChainRun(invocations, prev)
