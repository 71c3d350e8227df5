"""What this session's objects are called and where the plugins are.

Everything the tests create on the host carries a per-process prefix (namespaces `sct<pid>-…`,
bridges `scbr<pid % 1000>…`), so a sweep can find and remove it even after a crash, and two
sessions on one machine never touch each other's objects.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
REFERENCE_DIR = Path(os.environ.get("SWIFT_CNI_REFERENCE_DIR", "/usr/lib/cni"))

PID = os.getpid()
NS_PREFIX = f"sct{PID}-"
BRIDGE_PREFIX = f"scbr{PID % 1000:03d}"

ALL_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]


def ours_dir() -> Path:
    """Where our built plugins live (`SWIFT_CNI_BIN`, default `.build/release`)."""
    return Path(os.environ.get("SWIFT_CNI_BIN", REPO / ".build" / "release")).resolve()
