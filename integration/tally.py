"""Adds up `swift test` and pytest results into the one closing line `N passed, M failed, K skipped`.

Exits 1 if anything failed (including a run that crashed before reporting), else 0.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SWIFT_TESTING_RUN = re.compile(r"Test run with (\d+) tests?\b")
SWIFT_TESTING_FAILED = re.compile(r"\bTest (?!run with |case )(.+?) failed after")
XCTEST_EXECUTED = re.compile(r"Executed (\d+) tests?, with (\d+) failures?")
XCTEST_CASE_FAILED = re.compile(r"Test Case '.*' failed \(")
XCTEST_CASE_SKIPPED = re.compile(r"Test Case '.*' skipped \(")
SWIFT_TESTING_SKIPPED = re.compile(r"\bTest (?!run with |case )(.+?) skipped")


def swift_counts(log: Path, returncode: int) -> tuple[int, int, int, list[str]]:
    """(passed, failed, skipped, notes) from a `swift test` log with both XCTest and Swift Testing."""
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()
    notes = []
    passed = failed = skipped = 0

    executed = [m for m in map(XCTEST_EXECUTED.search, lines) if m]
    if executed:
        total = int(executed[-1].group(1))  # the last one is the "All tests" suite
        xc_failed = sum(1 for line in lines if XCTEST_CASE_FAILED.search(line))
        if xc_failed == 0 and int(executed[-1].group(2)) > 0:
            xc_failed = 1
        xc_skipped = sum(1 for line in lines if XCTEST_CASE_SKIPPED.search(line))
        passed += total - xc_failed - xc_skipped
        failed += xc_failed
        skipped += xc_skipped

    runs = [m for m in map(SWIFT_TESTING_RUN.search, lines) if m]
    if runs:
        total = int(runs[-1].group(1))
        st_failed = sum(1 for line in lines if SWIFT_TESTING_FAILED.search(line))
        st_skipped = sum(1 for line in lines if SWIFT_TESTING_SKIPPED.search(line))
        if st_failed == 0 and "failed after" in runs[-1].string:
            st_failed = 1
        passed += total - st_failed - st_skipped
        failed += st_failed
        skipped += st_skipped

    if returncode != 0 and failed == 0:
        failed = 1
        notes.append(f"swift test exited {returncode} without reporting a failing test (build error?)")
    return max(passed, 0), failed, skipped, notes


def pytest_counts(junit: Path, returncode: int) -> tuple[int, int, int, list[str]]:
    notes = []
    if not junit.exists():
        return 0, 1, 0, [f"pytest exited {returncode} and wrote no report"]
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    if returncode not in (0, 1) and failures == 0:
        failures = 1
        notes.append(f"pytest exited {returncode} (interrupted, usage error or no tests collected)")
    return tests - failures - skipped, failures, skipped, notes


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--swift-log", type=Path, required=True)
    parser.add_argument("--swift-rc", type=int, required=True)
    parser.add_argument("--junit", type=Path, required=True)
    parser.add_argument("--pytest-rc", type=int, required=True)
    parser.add_argument("--build-rc", type=int, default=0)
    parser.add_argument("--fuzz", action="append", default=[], metavar="TARGET=RC",
                        help="a bounded fuzz run of TARGET and its exit status; each counts as one test")
    args = parser.parse_args()

    s_pass, s_fail, s_skip, s_notes = swift_counts(args.swift_log, args.swift_rc)
    p_pass, p_fail, p_skip, p_notes = pytest_counts(args.junit, args.pytest_rc)
    notes = s_notes + p_notes
    build_failed = 1 if args.build_rc != 0 else 0
    if build_failed:
        notes.append(f"swift build -c release exited {args.build_rc}")

    fuzz_failed = []
    for run in args.fuzz:
        target, _, rc = run.partition("=")
        if int(rc) != 0:
            fuzz_failed.append(target)
            notes.append(f"fuzz target {target} exited {rc}")
    f_pass, f_fail = len(args.fuzz) - len(fuzz_failed), len(fuzz_failed)

    for note in notes:
        print(f"note: {note}")
    print(f"unit (swift test): {s_pass} passed, {s_fail} failed, {s_skip} skipped; "
          f"integration (pytest): {p_pass} passed, {p_fail} failed, {p_skip} skipped; "
          f"fuzz: {f_pass} passed, {f_fail} failed")
    passed = s_pass + p_pass + f_pass
    failed, skipped = s_fail + p_fail + f_fail + build_failed, s_skip + p_skip
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
