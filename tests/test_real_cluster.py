"""RealCluster: SimCluster's factories on a real Kafka, with timeouts, errors and cleanup.

"One experiment, two backends": ``keyed_routing`` below is written once against the
factories and gives the same DataFrame on the simulator and on the broker.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from simkafka import NewPartitions, NewTopic, OffsetAndMetadata, SimCluster, TopicPartition, errors
from simkafka.real import MAX_ADVANCE_MS, BrokerNotAvailableError, RealCluster

pd = pytest.importorskip("pandas")
pytest.importorskip("kafka")


def keyed_routing(cluster, keys: list[str], partitions: int):
    """Which partition each key lands on: columns key, partition (an experiment, both backends)."""
    topic = cluster.topic_name("keyed-routing")
    cluster.admin().create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
    )
    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    futures = [producer.send(topic, key=key, value="x") for key in keys]
    producer.flush()
    return pd.DataFrame({"key": keys, "partition": [f.get().partition for f in futures]})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kafka_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t is not threading.main_thread()}


def _wait_for(predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_missing_broker_is_one_line_within_five_seconds():
    before = _kafka_threads()
    address = f"127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(BrokerNotAvailableError) as info:
        RealCluster(address)
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        f"Kafka is not reachable at {address} - start it with `make brokers-up` "
        "(or `docker compose up -d`)"
    )
    assert isinstance(info.value, errors.KafkaError)
    assert _kafka_threads() == before


@pytest.mark.kafka
def test_one_experiment_two_backends_same_frame(kafka_bootstrap):
    keys = [f"acct-{i}" for i in range(1000)]
    sim = keyed_routing(SimCluster(seed=0), keys, partitions=7)
    with RealCluster(kafka_bootstrap) as cluster:
        real = keyed_routing(cluster, keys, partitions=7)
    pd.testing.assert_frame_equal(sim, real)
    assert sim["partition"].nunique() == 7


@pytest.mark.kafka
def test_round_trip_with_simkafka_types_and_cleanup(kafka_bootstrap):
    before = _kafka_threads()
    with RealCluster(kafka_bootstrap) as cluster:
        topic = cluster.topic_name("user-accounts")
        group = cluster.group_name("groups-service")
        assert topic == f"simkafka-user-accounts-{cluster.run_id}"
        assert cluster.topic_name("user-accounts") == topic  # stable within a run
        assert group == f"simkafka-groups-service-{cluster.run_id}"
        admin = cluster.admin()
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        admin.create_partitions({topic: NewPartitions(4)})

        producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
        sent = [producer.send(topic, key="acct-42", value=f"event-{i}").get() for i in range(5)]
        partition = sent[0].partition
        assert [m.offset for m in sent] == [0, 1, 2, 3, 4]
        assert {m.partition for m in sent} == {partition}

        tp = TopicPartition(topic, partition)
        consumer = cluster.consumer(
            group_id=group, enable_auto_commit=False, value_deserializer=bytes.decode
        )
        consumer.assign([tp])
        consumer.seek(tp, 1)
        values = []
        deadline = time.monotonic() + 10
        while len(values) < 4 and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                values += [r.value for r in records]
        assert values == ["event-1", "event-2", "event-3", "event-4"]
        assert consumer.position(tp) == 5
        assert consumer.end_offsets([tp]) == {tp: 5}
        consumer.commit({tp: OffsetAndMetadata(5, "", -1)})
        assert consumer.committed(tp) == 5
        consumer.commit({tp: 3})  # a plain int is accepted too
        assert admin.list_group_offsets({group: [tp]})[group][tp].offset == 3
        assert topic in admin.list_topics()

    assert cluster._closed
    with RealCluster(kafka_bootstrap) as checker:
        admin = checker.admin()
        assert _wait_for(lambda: topic not in admin.list_topics())
        assert group not in {g["group_id"] for g in admin.list_groups()}
    assert _wait_for(lambda: _kafka_threads() == before), _kafka_threads() - before


@pytest.mark.kafka
def test_kafka_errors_become_simkafka_errors_of_the_same_name(kafka_bootstrap):
    with RealCluster(kafka_bootstrap) as cluster:
        topic = cluster.topic_name("errors")
        admin = cluster.admin()
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        with pytest.raises(errors.TopicAlreadyExistsError, match="already exists"):
            admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        with pytest.raises(errors.InvalidPartitionsError, match="would not be an increase"):
            admin.create_partitions({topic: NewPartitions(1)})

        missing = cluster.topic_name("never-created")
        producer = cluster.producer(max_block_ms=1000)
        started = time.monotonic()
        with pytest.raises(errors.UnknownTopicOrPartitionError) as info:
            producer.send(missing, value=b"x")
        assert time.monotonic() - started < 5
        assert f"admin.create_topics([NewTopic({missing!r}" in str(info.value)
        assert "\n" not in str(info.value)
        assert missing not in admin.list_topics()  # the broker did not auto-create it


@pytest.mark.kafka
def test_settle_gives_each_partition_one_owner_and_skips_no_record(kafka_bootstrap):
    with RealCluster(kafka_bootstrap) as cluster:
        topic = cluster.topic_name("settle")
        group = cluster.group_name("settle")
        cluster.admin().create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        producer = cluster.producer()
        for i in range(30):
            producer.send(topic, key=b"acct-%d" % i, value=b"x")
        producer.flush()
        members = [
            cluster.consumer(
                topic,
                group_id=group,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                partition_assignment_strategy=["range"],
            )
            for _ in range(3)
        ]
        assert cluster.settle(*members, timeout_s=20) >= 1
        owned = sorted(tp for m in members for tp in m.assignment())
        assert owned == [(topic, p) for p in range(3)]
        assert all(len(m.assignment()) == 1 for m in members)
        assert len({m.generation for m in members}) == 1
        assert all(m.member_id for m in members)

        for m in members:
            (tp,) = m.assignment()
            assert m.position(tp) == 0  # settle fetched nothing away
        got = 0
        deadline = time.monotonic() + 10
        while got < 30 and time.monotonic() < deadline:
            for m in members:
                got += sum(len(b) for b in m.poll(timeout_ms=100).values())
        assert got == 30


@pytest.mark.kafka
def test_advance_sleeps_for_real_and_is_bounded(kafka_bootstrap):
    with RealCluster(kafka_bootstrap, timeout_s=5) as cluster:
        started = time.monotonic()
        cluster.advance(50)
        assert time.monotonic() - started >= 0.05
        with pytest.raises(errors.IllegalArgumentError, match="at most"):
            cluster.advance(MAX_ADVANCE_MS + 1)
        with pytest.raises(errors.IllegalArgumentError):
            cluster.advance(-1)
    with pytest.raises(errors.IllegalStateError, match="closed"):
        cluster.producer()
