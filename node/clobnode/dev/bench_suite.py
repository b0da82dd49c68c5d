"""Every benchmark suite at short settings in one report (`clobnode bench all`), and its headline
figures set against an earlier report, so that a later run shows what moved."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: (name, where in the report, higher is better) of the figures compared between runs.
HEADLINES: tuple[tuple[str, tuple[str | int, ...], bool], ...] = (
    ("engine inputs/s", ("engine", "inputs_per_second"), True),
    ("da orders per blob", ("da", "orders_per_blob"), True),
    ("da signature verify orders/s", ("da", "signature_verify_orders_per_s"), True),
    ("load admitted/s, last step", ("load", "steps", -1, "admittedPerS"), True),
    ("load included p99 ms, first step", ("load", "steps", 0, "endToEndMs", "included", "p99"), False),
    ("load derivation events/s", ("load", "derivation", "eventsPerS"), True),
    ("load derivation messages/s applying", ("load", "derivation", "messagesPerApplyS"), True),
    ("derive full blobs messages/s", ("derive", "derivation", "messagesPerS"), True),
    ("derive headroom over BPO2's ceiling", ("derive", "headroom", "bpo2"), True),
)


def run(load_out: Path) -> dict[str, Any]:
    """engine (200,000 inputs over 10,000 resting), da (one repeat), prove (two small books,
    native only unless the SP1 host is built), load (two 4-second steps), derive (18 full blobs
    in 9-blob blocks)."""
    from clobnode.dev import (
        bench_da,
        bench_derive,
        bench_engine,
        bench_load,
        bench_prove,
    )

    suites: dict[str, Callable[[], dict[str, Any]]] = {
        "engine": lambda: bench_engine.run(200_000, 10_000, 10_000),
        "da": lambda: bench_da.run(6, 1, 1, 8),
        "prove": lambda: bench_prove.run(bench_prove.parse_sizes("1000:100,10000:1000"), planted_asks=0),
        "load": lambda: bench_load.run(bench_load.LoadConfig(rates=(200.0, 800.0), step_s=4.0, ws_clients=5), load_out),
        "derive": lambda: bench_derive.run(bench_derive.DeriveConfig(blobs=18, blobs_per_tx=3)),
    }
    report: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for name, suite in suites.items():
        started = time.perf_counter()
        report[name] = suite()
        report[name]["suiteSeconds"] = round(time.perf_counter() - started, 1)
    return report


def figure(report: dict[str, Any], path: tuple[str | int, ...]) -> float | None:
    value: Any = report
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return float(value) if isinstance(value, int | float) else None


def summary(report: dict[str, Any], before: dict[str, Any] | None = None) -> str:
    """One line a headline figure; with `before`, its value there and the ratio now/before."""
    lines = []
    for name, path, higher_is_better in HEADLINES:
        now = figure(report, path)
        line = f"{name:<36} {now if now is not None else '-':>12}"
        then = figure(before, path) if before is not None else None
        if now is not None and then:
            ratio = now / then
            better = ratio >= 1 if higher_is_better else ratio <= 1
            line += f"   before {then:>12}   now/before {ratio:.2f} ({'better or same' if better else 'worse'})"
        lines.append(line)
    return "\n".join(lines)
