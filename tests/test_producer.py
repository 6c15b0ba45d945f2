"""Producers pick partitions, batch records, and get back partition and offset."""

import json

import pytest

from simkafka import SimCluster, TopicPartition, partition_for_key
from simkafka.errors import IllegalArgumentError, IllegalStateError, UnknownTopicOrPartitionError


@pytest.fixture
def cluster():
    c = SimCluster(seed=1)
    c.create_topic("user-accounts", partitions=6)
    return c


def test_key_lands_on_the_murmur2_partition(cluster):
    p = cluster.producer()
    for i in range(200):
        key = f"acct-{i}".encode()
        md = p.send("user-accounts", key=key, value=b"x").get()
        assert md.partition == partition_for_key(key, 6)


def test_one_keys_events_stay_in_order(cluster):
    p = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    for i in range(50):
        p.send("user-accounts", key=f"acct-{i % 5}", value=f"event-{i}")
    p.flush()
    df = cluster.records("user-accounts")
    for _key, rows in df.groupby("key"):
        assert rows["partition"].nunique() == 1
        seq = [int(v.decode().split("-")[1]) for v in rows.sort_values("offset")["value"]]
        assert seq == sorted(seq)


def test_send_returns_offsets_in_send_order_per_partition(cluster):
    p = cluster.producer()
    futures = [p.send("user-accounts", key=b"same", value=b"%d" % i) for i in range(10)]
    offsets = [f.get().offset for f in futures]
    assert offsets == list(range(10))


def test_records_are_batched_until_linger_or_flush(cluster):
    p = cluster.producer(linger_ms=50)
    f = p.send("user-accounts", key=b"a", value=b"1")
    assert not f.is_done
    cluster.advance(49)
    assert not f.is_done
    cluster.advance(1)
    assert f.is_done


def test_batch_size_closes_a_batch(cluster):
    p = cluster.producer(batch_size=500, linger_ms=10_000)
    for _i in range(20):
        p.send("user-accounts", key=b"k", value=b"x" * 100)
    p.flush()
    appends = cluster.events("append")
    assert len(appends) > 1
    assert appends["count"].sum() == 20


def test_callbacks_fire_when_the_batch_lands(cluster):
    seen = []
    p = cluster.producer(linger_ms=5)
    p.send("user-accounts", key=b"k", value=b"v").add_callback(lambda md: seen.append(md.offset))
    assert seen == []
    p.flush()
    assert seen == [0]


def test_serializers_turn_values_into_bytes(cluster):
    p = cluster.producer(value_serializer=lambda v: json.dumps(v).encode())
    p.send("user-accounts", key=b"acct-1", value={"event": "created"}).get()
    assert cluster.records("user-accounts")["value"].tolist() == [b'{"event": "created"}']


def test_a_str_key_without_serializer_names_the_fix(cluster):
    p = cluster.producer()
    with pytest.raises(TypeError, match="key_serializer"):
        p.send("user-accounts", key="acct-1", value=b"v")


def test_unknown_topic_is_an_error_not_auto_created(cluster):
    p = cluster.producer()
    with pytest.raises(UnknownTopicOrPartitionError, match="create_topics"):
        p.send("no-such-topic", value=b"v")
    assert "no-such-topic" not in cluster.topics


def test_explicit_partition_out_of_range(cluster):
    with pytest.raises(UnknownTopicOrPartitionError, match="0..5"):
        cluster.producer().send("user-accounts", value=b"v", partition=6)


def test_key_and_value_both_none_refused(cluster):
    with pytest.raises(IllegalArgumentError):
        cluster.producer().send("user-accounts")


def test_closed_producer_refuses_sends(cluster):
    p = cluster.producer()
    p.close()
    with pytest.raises(IllegalStateError, match="closed"):
        p.send("user-accounts", value=b"v")


def test_timestamps_come_from_the_simulated_clock(cluster):
    p = cluster.producer()
    start = cluster.now_ms
    p.send("user-accounts", key=b"a", value=b"1").get()
    cluster.advance(1234)
    md = p.send("user-accounts", key=b"a", value=b"2").get()
    assert md.timestamp == start + 1234


def test_log_append_time_uses_the_broker_clock():
    c = SimCluster()
    c.create_topic("t", 1, config={"message.timestamp.type": "LogAppendTime"})
    p = c.producer(linger_ms=100)
    f = p.send("t", value=b"v", timestamp_ms=5)
    c.advance(100)
    assert f.get().timestamp == c.now_ms
    assert c.records("t")["timestamp"].tolist() == [c.now_ms]


def test_headers_travel_with_the_record(cluster):
    cluster.producer().send(
        "user-accounts", key=b"a", value=b"v", headers=[("source", b"auth-service")]
    ).get()
    c = cluster.consumer(group_id="g", auto_offset_reset="earliest")
    c.assign([TopicPartition("user-accounts", partition_for_key(b"a", 6))])
    (rec,) = [r for rs in c.poll(100).values() for r in rs]
    assert rec.headers == (("source", b"auth-service"),)  # immutable, like the record


def test_same_seed_same_run():
    def run(seed):
        c = SimCluster(seed=seed)
        c.create_topic("t", 4)
        p = c.producer(partitioner="sticky", batch_size=200)
        parts = [p.send("t", value=b"x" * 50).get().partition for _ in range(40)]
        return parts

    assert run(3) == run(3)


@pytest.mark.parametrize("key_len", [0, 5, 63, 64, 200, 9000])
@pytest.mark.parametrize("value_len", [None, 0, 63, 64, 100, 9000])
def test_batch_bytes_match_the_v2_format_for_any_sizes(key_len, value_len):
    from simkafka.log import PartitionLog, TopicConfig

    c = SimCluster()
    c.create_topic("t", 1)
    p = c.producer(batch_size=10**7, max_request_size=10**7)
    batch = [
        (b"k" * key_len, None if value_len is None else b"v" * value_len, [], c.now_ms)
        for _ in range(70)
    ]
    for k, v, _h, _ts in batch:
        p.send("t", key=k, value=v)
    p.flush()
    expected = PartitionLog("t", 0, TopicConfig())
    expected.append(batch, now_ms=c.now_ms)
    assert c.log(TopicPartition("t", 0)).size_bytes == expected.size_bytes


def test_a_record_larger_than_max_request_size_is_refused():
    from simkafka.errors import MessageSizeTooLargeError

    c = SimCluster()
    c.create_topic("t", 1)
    with pytest.raises(MessageSizeTooLargeError, match="max_request_size"):
        c.producer().send("t", value=b"x" * 2_000_000)


def test_adding_partitions_routes_keys_anew():
    c = SimCluster()
    c.create_topic("t", 2)
    p = c.producer()
    key = next(b"acct-%d" % i for i in range(100) if partition_for_key(b"acct-%d" % i, 5) >= 2)
    assert p.send("t", key=key, value=b"1").get().partition == partition_for_key(key, 2)
    from simkafka import NewPartitions

    c.admin().create_partitions({"t": NewPartitions(5)})
    assert p.send("t", key=key, value=b"2").get().partition == partition_for_key(key, 5)
