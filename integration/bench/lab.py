"""What every benchmark sets up the same way: root, an address range the host does not route, and
numbered namespaces made on demand (and swept with the rest of the session's by `harness.sweep`)."""

from __future__ import annotations

import ipaddress
import os

import harness
from harness import NS_PREFIX


def require_root() -> None:
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root")


def pick_base() -> ipaddress.IPv4Network:
    """The first of a few /16s that no route of the host overlaps."""
    for text in ["10.250.0.0/16", "10.251.0.0/16", "10.252.0.0/16", "10.253.0.0/16"]:
        network = ipaddress.ip_network(text)
        if not harness.host_routes_overlap(network):
            return network
    raise SystemExit("every candidate benchmark range overlaps a host route")


class Namespaces:
    """Creates namespaces named `<NS_PREFIX><n>`, numbered across every call."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self, count: int) -> list[harness.Netns]:
        result = []
        for _ in range(count):
            self.made += 1
            result.append(harness.create_netns(f"{NS_PREFIX}{self.made}"))
        return result
