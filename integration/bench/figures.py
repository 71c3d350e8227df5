"""What every benchmark prints: medians, percentiles and verdicts against a target."""

from __future__ import annotations

import statistics

MS = 1000.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values) * MS:7.2f} ms   p95 {percentile(values, 0.95) * MS:7.2f} ms"


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"
