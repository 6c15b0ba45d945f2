"""A partition is an append-only, ordered, immutable log addressed by offsets."""

import pytest

from simkafka import SimCluster, TopicPartition
from simkafka.errors import InvalidConfigurationError
from simkafka.log import BATCH_OVERHEAD, PartitionLog, TopicConfig, record_size, varint_size


def test_offsets_start_at_zero_and_are_dense():
    log = PartitionLog("t", 0, TopicConfig())
    log.append([(b"k", b"a", [], 1), (b"k", b"b", [], 2)], now_ms=2)
    log.append([(b"k", b"c", [], 3)], now_ms=3)
    assert [r.offset for r in log.all_records()] == [0, 1, 2]
    assert (log.log_start_offset, log.log_end_offset) == (0, 3)


def test_reading_does_not_remove_records():
    log = PartitionLog("t", 0, TopicConfig())
    log.append([(None, b"v%d" % i, [], i) for i in range(5)], now_ms=5)
    first = log.read(0, 10)
    second = log.read(0, 10)
    assert first == second and len(first) == 5


def test_varint_sizes_match_kafka_zigzag():
    assert varint_size(0) == 1
    assert varint_size(-1) == 1
    assert varint_size(63) == 1
    assert varint_size(64) == 2
    assert varint_size(-65) == 2


def test_batch_bytes_follow_the_v2_format():
    # One record, key 1 byte, value 1 byte, no headers: body 1+1+1+1+1+1+1+1 = 7? computed exactly
    body = 1 + 1 + 1 + (1 + 1) + (1 + 1) + 1
    assert record_size(1, 1, 1, 0, 0) == 1 + body
    log = PartitionLog("t", 0, TopicConfig())
    log.append([(b"k", b"v", [], 0)], now_ms=0)
    assert log.size_bytes == BATCH_OVERHEAD + 1 + body


def test_segment_rolls_when_segment_bytes_would_overflow():
    cfg = TopicConfig(segment_bytes=1024 * 1024)
    log = PartitionLog("t", 0, cfg)
    value = b"x" * 100_000
    for i in range(12):
        log.append([(None, value, [], i)], now_ms=i)
    assert len(log.segments) == 2
    assert all(s.size_bytes <= cfg.segment_bytes for s in log.segments)
    assert log.segments[1].base_offset == log.segments[0].next_offset


def test_segment_rolls_after_segment_ms():
    log = PartitionLog("t", 0, TopicConfig(segment_ms=1000))
    log.append([(None, b"a", [], 0)], now_ms=0)
    log.append([(None, b"b", [], 500)], now_ms=500)
    log.append([(None, b"c", [], 1000)], now_ms=1000)  # exactly segment.ms later: stays
    log.append([(None, b"d", [], 1001)], now_ms=1001)  # more than segment.ms: a new segment
    assert [s.base_offset for s in log.segments] == [0, 3]


def test_retention_deletes_whole_segments_so_log_start_jumps():
    log = PartitionLog("t", 0, TopicConfig(segment_ms=1000, retention_ms=5000))
    for t in range(0, 4000, 250):  # a segment spans more than 1000 ms: 0..1000, 1250..2250, ...
        log.append([(None, b"v", [], t)], now_ms=t)
    log.append([(None, b"new", [], 9000)], now_ms=9000)
    assert [s.base_offset for s in log.segments] == [0, 5, 10, 15, 16]
    deleted = log.apply_retention(now_ms=9000)
    # Segments whose newest record is older than 5 s are gone; the first kept one stays whole.
    assert [s.base_offset for s in deleted] == [0, 5, 10, 15]
    assert log.log_start_offset == 16
    assert log.read(16, 10)[0].value == b"new"


def test_retention_stops_at_first_segment_it_keeps():
    log = PartitionLog("t", 0, TopicConfig(segment_ms=1000, retention_ms=5000))
    log.append([(None, b"old", [], 0)], now_ms=0)
    log.append([(None, b"late", [], 8000)], now_ms=1000)  # newer timestamp in the 2nd segment
    log.append([(None, b"x", [], 2000)], now_ms=2000)
    deleted = log.apply_retention(now_ms=7000)
    assert [s.base_offset for s in deleted] == [0]
    assert log.log_start_offset == 1


def test_active_segment_is_rolled_then_deleted_when_all_expired():
    log = PartitionLog("t", 0, TopicConfig(retention_ms=1000))
    log.append([(None, b"a", [], 0), (None, b"b", [], 0)], now_ms=0)
    log.apply_retention(now_ms=5000)
    assert (log.log_start_offset, log.log_end_offset, len(log)) == (2, 2, 0)


def test_retention_ms_minus_one_keeps_forever():
    log = PartitionLog("t", 0, TopicConfig(retention_ms=-1, segment_ms=1))
    for t in range(0, 20, 2):
        log.append([(None, b"v", [], t)], now_ms=t)
    assert log.apply_retention(now_ms=10**12) == []
    assert len(log) == 10


def test_retention_bytes_deletes_only_while_the_log_stays_over_the_limit():
    # Kafka deletes oldest segments only while the log would still hold >= retention.bytes,
    # so a log may exceed retention.bytes by less than one segment.
    log = PartitionLog("t", 0, TopicConfig(segment_ms=1, retention_ms=-1, retention_bytes=300))
    for t in range(0, 10, 2):  # one segment per record: 2 ms apart, segment.ms=1
        log.append([(None, b"x" * 100, [], t)], now_ms=t)
    seg_size = log.segments[0].size_bytes
    deleted = log.apply_retention(now_ms=10)
    assert len(deleted) == 3
    assert log.size_bytes == 2 * seg_size
    assert log.size_bytes - seg_size < 300 <= log.size_bytes


def test_segment_bytes_below_kafka_minimum_is_refused():
    with pytest.raises(InvalidConfigurationError, match="segment.ms"):
        TopicConfig.from_kafka({"segment.bytes": "1000"})


def test_unknown_topic_config_names_the_known_ones():
    with pytest.raises(InvalidConfigurationError, match="retention.ms"):
        TopicConfig.from_kafka({"retention.hours": "1"})


def test_retention_runs_on_the_brokers_check_interval():
    cluster = SimCluster(log_retention_check_interval_ms=60_000)
    cluster.create_topic("t", 1, config={"retention.ms": "1000", "segment.ms": "100"})
    p = cluster.producer()
    p.send("t", b"old").get()
    cluster.advance(500)
    p.send("t", b"old2").get()
    cluster.advance(2000)  # past retention.ms, but the check has not run yet
    log = cluster.log(TopicPartition("t", 0))
    assert log.log_start_offset == 0
    cluster.advance(60_000)
    assert log.log_start_offset == 2
    deleted = cluster.events("segment_deleted")
    assert list(deleted["offset"]) == [0, 1]
