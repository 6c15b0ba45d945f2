"""A dashboard step redraws in under 100 ms at 12 partitions, 6 consumers and 10,000 records.

A step is what the ``step`` button (and each tick of ``play``) does: every member polls and
commits, the simulated clock moves, and the panels whose content changed are drawn again
(matplotlib's Agg into PNG). Reported as the median of several steps, after one warm-up, in
wall-clock time and in this process's CPU time: on a shared machine the wall clock also
counts other processes' turns, the CPU time only the step's own work.
For comparison, producing 50 records: the log is read again and its panel drawn in full
(its title counts the records, so the cached background is drawn again too).
"""

from __future__ import annotations

import statistics
import time

WHAT = "12 partitions, 6 consumers, 10,000 records"


def _timed(action) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def dashboard_times_ms(
    partitions: int = 12, consumers: int = 6, records: int = 10_000, steps: int = 15
) -> dict[str, list[tuple[float, float]]]:
    """``{"step": [(wall, cpu) ...], "produce": [...]}`` in milliseconds."""
    from simkafka.widgets import Dashboard

    dash = Dashboard(partitions=partitions, consumers=consumers, keys=8, records_per_poll=20)
    dash.produce(records)
    dash.step()
    return {
        "step": [_timed(dash.step) for _ in range(steps)],
        "produce": [_timed(lambda: dash.produce(50)) for _ in range(max(3, steps // 3))],
    }


def _row(name: str, value: float, target: str) -> dict:
    return {
        "benchmark": name,
        "simkafka": value,
        "baseline": None,
        "baseline_name": "",
        "unit": "ms",
        "ratio": None,
        "target": target,
    }


def run() -> list[dict]:
    times = dashboard_times_ms()
    step_wall = statistics.median(w for w, _ in times["step"])
    step_cpu = statistics.median(c for _, c in times["step"])
    produce_wall = statistics.median(w for w, _ in times["produce"])
    return [
        _row(f"dashboard step, {WHAT} (wall clock)", step_wall, "< 100 ms"),
        _row(f"dashboard step, {WHAT} (CPU time)", step_cpu, "< 100 ms"),
        _row(f"dashboard produce 50, log drawn in full, {WHAT} (wall clock)", produce_wall, ""),
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']}: {row['simkafka']:.1f} {row['unit']} (target {row['target']})")
