"""RealCluster's tables: records, partitions and group_state with SimCluster's columns and dtypes.

The same produce, consume and commit run on both backends; the frames agree, except for what
cannot: topic names (run-unique on the broker), timestamps (wall clock there), member ids
(random), and the segment count, which no Kafka API reports (``<NA>`` on the broker).
"""

from __future__ import annotations

import pytest

from simkafka import NewTopic, SimCluster, TopicPartition, errors
from simkafka.real import RealCluster

pd = pytest.importorskip("pandas")
pytest.importorskip("kafka")

pytestmark = pytest.mark.kafka

KEYS = [f"acct-{i}" for i in range(40)]


def produce_consume_commit(cluster) -> tuple[str, str, object]:
    """40 keyed records on 3 partitions; one member of groups-service reads them, commits 5 on p0.

    Each record is its own batch (``get()`` after each send), so that both backends write the
    same batches and hence the same bytes. The member stays open: it owns all partitions.
    """
    topic = cluster.topic_name("user-accounts")
    group = cluster.group_name("groups-service")
    cluster.admin().create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    for i, key in enumerate(KEYS):
        headers = [("seq", str(i).encode())] if i % 2 else None
        producer.send(topic, key=key, value=f"created-{i}", headers=headers).get()
    producer.flush()
    member = cluster.consumer(
        group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    # Know the new topic's partitions before joining, so that the first assignment has them
    # (else the group waits for the next metadata refresh to rebalance).
    assert len(member.partitions_for_topic(topic)) == 3
    member.subscribe([topic])
    cluster.settle(member)
    member.commit({TopicPartition(topic, 0): 5, TopicPartition(topic, 2): 1})
    return topic, group, member


def both_backends(kafka_bootstrap: str, read) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``read(cluster, topic, group, member)`` after the same run on the simulator and the broker."""
    sim = SimCluster(seed=0)
    sim_frame = read(sim, *produce_consume_commit(sim))
    with RealCluster(kafka_bootstrap) as real:
        topic, group, member = produce_consume_commit(real)
        real_frame = read(real, topic, group, member)
        if "topic" in real_frame:
            real_frame["topic"] = real_frame["topic"].str.replace(topic, "user-accounts")
    return sim_frame, real_frame


def test_records_are_the_simulators_bytes_offsets_and_headers(kafka_bootstrap):
    sim, real = both_backends(kafka_bootstrap, lambda c, topic, g, m: c.records(topic))
    assert list(real.columns) == ["partition", "offset", "timestamp", "key", "value", "headers"]
    assert real.dtypes.equals(sim.dtypes)
    assert len(real) == len(KEYS)
    pd.testing.assert_frame_equal(sim.drop(columns="timestamp"), real.drop(columns="timestamp"))
    assert real.loc[real["key"] == b"acct-1", "headers"].item() == (("seq", b"1"),)
    assert real.loc[real["key"] == b"acct-0", "headers"].item() == ()


def test_partitions_agree_and_the_broker_cannot_count_segments(kafka_bootstrap):
    sim, real = both_backends(kafka_bootstrap, lambda c, topic, g, m: c.partitions(topic))
    assert real.dtypes.equals(sim.dtypes)
    assert real["segments"].isna().all()
    assert sim["segments"].tolist() == [1, 1, 1]
    pd.testing.assert_frame_equal(sim.drop(columns="segments"), real.drop(columns="segments"))
    assert real["records"].sum() == len(KEYS)


def test_group_state_agrees_but_for_member_ids(kafka_bootstrap):
    def state(cluster, topic, group, member):
        frame = cluster.group_state(group)
        assert set(frame["owner"]) == {member.member_id}
        return frame.assign(owner="the member")

    sim, real = both_backends(kafka_bootstrap, state)
    assert real.dtypes.equals(sim.dtypes)
    pd.testing.assert_frame_equal(sim, real)
    assert real["committed"].tolist() == [5, pd.NA, 1]
    assert real["lag"].iloc[0] == real["log_end_offset"].iloc[0] - 5


def test_group_state_after_the_member_left_keeps_committed_offsets(kafka_bootstrap):
    def state_after_close(cluster, topic, group, member):
        member.close()
        return cluster.group_state(group)

    sim, real = both_backends(kafka_bootstrap, state_after_close)
    pd.testing.assert_frame_equal(sim, real)
    assert real["owner"].isna().all()
    assert real["committed"].tolist() == [5, pd.NA, 1]


def test_unknown_group_and_topic_are_as_on_the_simulator(kafka_bootstrap):
    sim = SimCluster(seed=0)
    with RealCluster(kafka_bootstrap) as real:
        name = real.group_name("nobody")
        pd.testing.assert_frame_equal(sim.group_state("nobody"), real.group_state(name))
        missing = real.topic_name("missing")
        for table in (real.records, real.partitions):
            with pytest.raises(errors.UnknownTopicOrPartitionError, match="create_topics"):
                table(missing)


def test_empty_topic_reads_as_an_empty_frame(kafka_bootstrap):
    sim = SimCluster(seed=0)
    sim.create_topic("empty", partitions=2)
    with RealCluster(kafka_bootstrap) as real:
        topic = real.topic_name("empty")
        real.admin().create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        pd.testing.assert_frame_equal(sim.records("empty"), real.records(topic))
        empty = real.partitions(topic)
        pd.testing.assert_frame_equal(
            sim.partitions("empty").drop(columns="segments"), empty.drop(columns="segments")
        )
        assert empty["bytes"].tolist() == [0, 0]
