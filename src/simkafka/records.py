"""The data a Kafka client hands you: topic-partitions, records, send results.

Field names and order follow kafka-python 3.x, so code written against
``kafka.structs`` and ``kafka.consumer.fetcher.ConsumerRecord`` reads these too
(a ``TopicPartition`` here equals and hashes like kafka-python's).
"""

from __future__ import annotations

from typing import NamedTuple


class TopicPartition(NamedTuple):
    """One partition of one topic: the unit of order, ownership and offsets."""

    topic: str
    partition: int


class OffsetAndMetadata(NamedTuple):
    """A committed offset: the next offset the group will read, plus free-form metadata."""

    offset: int
    metadata: str = ""
    leader_epoch: int = -1


class OffsetAndTimestamp(NamedTuple):
    """Answer of ``offsets_for_times``: the first offset at or after a timestamp."""

    offset: int
    timestamp: int
    leader_epoch: int = -1


class RecordMetadata(NamedTuple):
    """Where the broker put a produced record: its partition and offset."""

    topic: str
    partition: int
    topic_partition: TopicPartition
    offset: int
    timestamp: int
    checksum: int | None
    serialized_key_size: int
    serialized_value_size: int
    serialized_header_size: int


class ConsumerRecord(NamedTuple):
    """One record as a consumer receives it: key, value, timestamp, headers, and its offset."""

    topic: str
    partition: int
    leader_epoch: int
    offset: int
    timestamp: int
    timestamp_type: int
    key: object
    value: object
    headers: list[tuple[str, bytes]]
    checksum: int | None
    serialized_key_size: int
    serialized_value_size: int
    serialized_header_size: int


#: ``timestamp_type`` values, as in Kafka: the producer's clock or the broker's append time.
CREATE_TIME = 0
LOG_APPEND_TIME = 1
