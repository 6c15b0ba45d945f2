"""One rebalance of a 100-member consumer group on the simulator (join of one more member)."""

from __future__ import annotations

import time


def _group(members: int, partitions: int, strategy: str):
    from simkafka import SimCluster

    cluster = SimCluster(seed=0)
    cluster.create_topic("user-accounts", partitions=partitions)
    consumers = [
        cluster.consumer(
            "user-accounts", group_id="bench", partition_assignment_strategy=[strategy]
        )
        for _ in range(members)
    ]
    cluster.settle(*consumers)
    return cluster, consumers


def rebalance_seconds(members: int = 100, partitions: int = 1000, strategy: str = "range") -> float:
    cluster, consumers = _group(members, partitions, strategy)
    newcomer = cluster.consumer(
        "user-accounts", group_id="bench", partition_assignment_strategy=[strategy]
    )
    start = time.perf_counter()
    cluster.settle(*consumers, newcomer)
    return time.perf_counter() - start


def run() -> list[dict]:
    rows = []
    for strategy in ("range", "cooperative-sticky"):
        best = min(rebalance_seconds(strategy=strategy) for _ in range(3))
        rows.append(
            {
                "benchmark": f"rebalance of a 100-member group, 1000 partitions ({strategy})",
                "simkafka": best * 1000,
                "baseline": None,
                "baseline_name": "",
                "unit": "ms",
                "ratio": None,
                "target": "< 50 ms",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
