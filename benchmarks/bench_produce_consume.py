"""Produce and consume 200,000 keyed records end to end: simkafka against mockafka-py.

Keys are ``acct-<i mod 1000>`` with 100-byte values on 12 partitions. simkafka routes
each key with murmur2; mockafka-py cannot route keys, so it is given the partition.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RECORDS = 200_000
PARTITIONS = 12
VALUE = b"v" * 100


def _keys() -> list[bytes]:
    return [b"acct-%d" % (i % 1000) for i in range(RECORDS)]


def simkafka_run(keys: list[bytes]) -> float:
    from simkafka import SimCluster

    SimCluster(seed=0)  # imports done before the clock starts
    start = time.perf_counter()
    cluster = SimCluster(seed=0)
    cluster.create_topic("user-accounts", partitions=PARTITIONS)
    producer = cluster.producer()
    send = producer.send
    for key in keys:
        send("user-accounts", key=key, value=VALUE)
    producer.flush()
    consumer = cluster.consumer(
        "user-accounts", group_id="bench", auto_offset_reset="earliest", max_poll_records=5000
    )
    seen = 0
    while seen < RECORDS:
        batch = consumer.poll(timeout_ms=100)
        if not batch:
            break
        for records in batch.values():
            seen += len(records)
    elapsed = time.perf_counter() - start
    assert seen == RECORDS, seen
    return elapsed


def mockafka_run(keys: list[bytes]) -> float:
    from confluent_kafka.admin import NewTopic
    from mockafka import FakeAdminClientImpl, FakeConsumer, FakeProducer

    from simkafka import partitions_for_keys

    parts = partitions_for_keys(keys, PARTITIONS)
    FakeAdminClientImpl(clean=True)  # imports done before the clock starts
    start = time.perf_counter()
    admin = FakeAdminClientImpl(clean=True)
    admin.create_topics([NewTopic("user-accounts", num_partitions=PARTITIONS)])
    producer = FakeProducer()
    for key, part in zip(keys, parts, strict=True):
        producer.produce("user-accounts", key=key, value=VALUE, partition=part)
    consumer = FakeConsumer()
    consumer.subscribe(["user-accounts"])
    seen = 0
    while True:
        msgs = consumer.consume(num_messages=5000)
        if not msgs:
            break
        seen += len(msgs)
    elapsed = time.perf_counter() - start
    assert seen == RECORDS, seen
    return elapsed


def _timed_in_subprocess(side: str) -> float:
    """One run in a fresh interpreter, so neither side's heap slows the other's collector."""
    out = subprocess.run(
        [sys.executable, __file__, "--side", side],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(rounds: int = 3) -> list[dict]:
    # Interleaved rounds, the median of each side: this machine's speed drifts over seconds.
    sims, mocks = [], []
    for _ in range(rounds):
        sims.append(_timed_in_subprocess("simkafka"))
        mocks.append(_timed_in_subprocess("mockafka"))
    sim, mock = statistics.median(sims), statistics.median(mocks)
    return [
        {
            "benchmark": f"produce+consume {RECORDS:,} keyed records, {PARTITIONS} partitions",
            "simkafka": RECORDS / sim,
            "baseline": RECORDS / mock,
            "baseline_name": "mockafka-py",
            "unit": "records/s",
            "ratio": mock / sim,
            "target": ">= 10x",
        }
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--side":
        keys = _keys()
        print(simkafka_run(keys) if sys.argv[2] == "simkafka" else mockafka_run(keys))
    else:
        for row in run():
            print(row)
