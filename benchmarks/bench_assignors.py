"""Sticky assignment at group scale: simkafka's assignors against kafka-python's, same run.

For each size (members x partitions, over 10 topics every member subscribes to) it times a
fresh ``sticky`` assignment and a ``cooperative-sticky`` rebalance after one member joins
(its first round), against kafka-python's StickyPartitionAssignor and
CooperativeStickyAssignor on the same input.
``ratio`` is how many times faster simkafka is. A kafka-python run that would take longer
than ``max_baseline_s`` is not run: its time is extrapolated from the smaller sizes.

    python benchmarks/bench_assignors.py
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections import namedtuple
from collections.abc import Callable
from functools import partial
from pathlib import Path

if __name__ == "__main__":  # runnable from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from simkafka.assignors import assign

SIZES = [(10, 100), (100, 1000), (300, 3000), (1000, 10000)]
BASELINES = {
    "fresh": "kafka-python StickyPartitionAssignor",
    "join": "kafka-python CooperativeStickyAssignor",
}
TOPICS = 10
TARGET_S = 1.0

_Member = namedtuple("_Member", "member_id group_instance_id metadata")


class _ClusterMetadata:
    """The two ClusterMetadata calls kafka-python's assignors make."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def topics(self) -> set[str]:
        return set(self.counts)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = self.counts.get(topic)
        return None if n is None else set(range(n))


def _kafka_python_sticky(subs, counts, current=None) -> dict:
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
    from kafka.structs import TopicPartition

    assignor = StickyPartitionAssignor()
    members = []
    for member, topics in subs.items():
        owned = None
        if current is not None and member in current:
            owned = [TopicPartition(t, p) for t, p in current[member]]
        members.append(_Member(member, None, assignor._metadata(topics, owned, generation=1)))
    return assignor.assign(_ClusterMetadata(counts), members)


def _kafka_python_cooperative(subs, counts, current) -> dict:
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription

    owned_type = ConsumerProtocolSubscription.TopicPartition
    members = []
    for member, topics in subs.items():
        by_topic: dict[str, list[int]] = {}
        for t, p in current.get(member, ()):
            by_topic.setdefault(t, []).append(p)
        owned = [owned_type(topic=t, partitions=ps) for t, ps in by_topic.items()]
        metadata = ConsumerProtocolSubscription(
            version=2, topics=list(topics), user_data=b"", owned_partitions=owned, generation_id=1
        )
        members.append(_Member(member, None, metadata))
    return CooperativeStickyAssignor().assign(_ClusterMetadata(counts), members)


def _group(members: int, partitions: int) -> tuple[dict, dict, dict]:
    counts = {f"topic-{i}": partitions // TOPICS for i in range(TOPICS)}
    subs = {f"consumer-{i:05d}": list(counts) for i in range(members)}
    joined = {**subs, "consumer-joining": list(counts)}
    return counts, subs, joined


def _time(function: Callable[[], object], budget_s: float = 2.0, rounds: int = 5) -> float:
    """Fastest of up to ``rounds`` runs, stopping once ``budget_s`` is spent."""
    best, spent = math.inf, 0.0
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        function()
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent > budget_s:
            break
    return best


def _extrapolate(measured: list[tuple[int, float]], partitions: int) -> float:
    """Power law through the two largest measured sizes: t = a * partitions ** b."""
    (p1, t1), (p2, t2) = measured[-2:]
    exponent = math.log(t2 / t1) / math.log(p2 / p1)
    return t2 * (partitions / p2) ** exponent


def run(max_baseline_s: float = 60.0) -> list[dict]:
    """Time the sticky assignors; one row per (assignor, size)."""
    rows: list[dict] = []
    measured: dict[str, list[tuple[int, float]]] = {"fresh": [], "join": []}
    for members, partitions in SIZES:
        counts, subs, joined = _group(members, partitions)
        previous = assign("sticky", subs, counts)
        as_pairs = {m: [tuple(tp) for tp in tps] for m, tps in previous.items()}
        cases = {
            "fresh": (
                f"sticky, fresh assignment, {members} members x {partitions} partitions",
                partial(assign, "sticky", subs, counts),
                partial(_kafka_python_sticky, subs, counts),
            ),
            "join": (
                f"cooperative-sticky, one member joins, {members} members x {partitions} "
                "partitions",
                partial(assign, "cooperative-sticky", joined, counts, as_pairs),
                partial(_kafka_python_cooperative, joined, counts, as_pairs),
            ),
        }
        for case, (name, ours, theirs) in cases.items():
            ours_s = _time(ours)
            history = measured[case]
            estimate = _extrapolate(history, partitions) if len(history) >= 2 else 0.0
            row = {
                "benchmark": name,
                "simkafka": ours_s,
                "unit": "s",
                "target": f"< {TARGET_S:g} s",
                "baseline_name": BASELINES[case],
            }
            if estimate > max_baseline_s:
                # Not run: the ratio is against the extrapolated time, and says so.
                row["baseline"] = (
                    f"skipped (>{max_baseline_s:.0f} s), ~{estimate:.0f} s extrapolated"
                )
                row["ratio"] = estimate / ours_s
            else:
                base_s = _time(theirs, budget_s=max_baseline_s / 10, rounds=3)
                history.append((partitions, base_s))
                row["baseline"] = base_s
                row["ratio"] = base_s / ours_s
            rows.append(row)
    return rows


if __name__ == "__main__":
    from bench_routing import format_table

    print(format_table(run()))
