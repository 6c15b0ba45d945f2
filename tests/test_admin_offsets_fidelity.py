"""The admin's group-offset calls answer as kafka-python does, on both backends.

kafka-python's ``alter_group_offsets`` and ``reset_group_offsets`` do not raise when the broker
refuses: they return the answer per partition (``NoError`` or the error class). A plain int
is an explicit offset, clamped as kafka-python clamps it (negative: the log end); "earliest" / "latest" (turned into
kafka-python's ``OffsetSpec`` by the real backend) resolve on the broker.
"""

from __future__ import annotations

import pytest

from simkafka import NewTopic, SimCluster, TopicPartition

pytest.importorskip("kafka")


def _run(cluster) -> dict:
    topic = cluster.topic_name("user-accounts")
    group = cluster.group_name("groups-service")
    cluster.admin().create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    producer = cluster.producer()
    for i in range(10):
        producer.send(topic, key=b"acct-1", value=b"e%d" % i)
    producer.flush()
    tp = TopicPartition(topic, 0)
    admin = cluster.admin()
    member = cluster.consumer(topic, group_id=group, auto_offset_reset="earliest")
    cluster.settle(member)
    out = {}
    running = admin.alter_group_offsets(group, {tp: 3})
    out["alter while running"] = [getattr(v, "__name__", v) for v in running.values()]
    member.close()

    def committed() -> int:
        return admin.list_group_offsets(group)[group][tp].offset

    applied = admin.alter_group_offsets(group, {tp: 3})
    out["alter when stopped"] = ([v.__name__ for v in applied.values()], committed())
    for spec in ("earliest", "latest", -1, -2, 99, 4):
        answer = admin.reset_group_offsets(group, {tp: spec})[tp]
        out[f"reset {spec}"] = (answer["error"].__name__, answer["offset"], committed())
    return out


EXPECTED = {
    "alter while running": ["UnknownMemberIdError"],
    "alter when stopped": (["NoError"], 3),
    "reset earliest": ("NoError", 0, 0),
    "reset latest": ("NoError", 10, 10),
    "reset -1": ("NoError", 10, 10),  # kafka-python: a negative int becomes the log end
    "reset -2": ("NoError", 10, 10),  # (not "earliest": that is OffsetSpec.EARLIEST)
    "reset 99": ("NoError", 10, 10),  # clamped down to the log end
    "reset 4": ("NoError", 4, 4),
}


def test_simulator_answers_group_offset_changes_per_partition() -> None:
    assert _run(SimCluster(seed=0)) == EXPECTED


@pytest.mark.kafka
def test_real_broker_answers_group_offset_changes_as_the_simulator(kafka_bootstrap: str) -> None:
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        assert _run(cluster) == EXPECTED
