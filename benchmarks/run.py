"""``make bench``: every benchmark in one table, ratios measured in the same run."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

MODULES = [
    "bench_routing",
    "bench_assignors",
    "bench_produce_consume",
    "bench_rebalance",
    "bench_widgets",
]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def main() -> int:
    rows = []
    started = time.perf_counter()
    for name in MODULES:
        module = importlib.import_module(name)
        rows.extend(module.run())
    header = ["benchmark", "simkafka", "baseline", "unit", "ratio", "target"]
    table = [header]
    for r in rows:
        baseline = _fmt(r.get("baseline"))
        if r.get("baseline_name"):
            baseline = f"{baseline} ({r['baseline_name']})"
        ratio = r.get("ratio")
        table.append(
            [
                r["benchmark"],
                _fmt(r["simkafka"]),
                baseline,
                r["unit"],
                "-" if ratio is None else f"{ratio:.1f}x",
                r.get("target", ""),
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n{len(rows)} benchmarks in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
