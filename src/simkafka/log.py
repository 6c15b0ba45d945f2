"""One partition's log: an append-only, ordered, immutable sequence of records.

Offsets start at 0 and never repeat. Records live in segments; retention deletes
whole segments, oldest first, so the log start offset jumps. Sizes follow Kafka's
record batch format (magic v2), so ``segment.bytes`` and ``retention.bytes`` mean
what they mean on a broker.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from .records import CREATE_TIME, LOG_APPEND_TIME, ConsumerRecord

#: Bytes of a record batch header in Kafka's v2 format (DefaultRecordBatch.RECORD_BATCH_OVERHEAD).
BATCH_OVERHEAD = 61


def varint_size(value: int) -> int:
    """Bytes Kafka's zig-zag varint encoding takes for ``value`` (ByteUtils.sizeOfVarint).

    >>> [varint_size(v) for v in (0, -1, 63, 64, 100_000)]
    [1, 1, 1, 2, 3]
    """
    if -64 <= value < 64:
        return 1
    v = (value << 1) ^ (value >> 63)
    size = 1
    while v >= 0x80:
        v >>= 7
        size += 1
    return size


def record_size(
    key_size: int, value_size: int, header_size: int, offset_delta: int, timestamp_delta: int
) -> int:
    """Bytes one record takes inside a v2 batch (DefaultRecord.sizeInBytes).

    ``key_size``/``value_size`` are -1 for a null key or value; ``header_size`` is the
    encoded headers' bytes including their count.

    >>> record_size(6, 100, 1, 0, 0)
    115
    """
    body = 1 + varint_size(timestamp_delta) + varint_size(offset_delta)
    body += varint_size(key_size) + max(key_size, 0)
    body += varint_size(value_size) + max(value_size, 0)
    body += header_size
    return varint_size(body) + body


def headers_size(headers: Sequence[tuple[str, bytes]] | None) -> int:
    """Bytes of a record's encoded headers, count included (as in DefaultRecord)."""
    if not headers:
        return 1
    size = varint_size(len(headers))
    for hkey, hvalue in headers:
        kb = len(hkey.encode("utf-8"))
        size += varint_size(kb) + kb
        if hvalue is None:
            size += varint_size(-1)
        else:
            size += varint_size(len(hvalue)) + len(hvalue)
    return size


def header_bytes(headers: Sequence[tuple[str, bytes | None]] | None) -> int:
    """A record's ``serialized_header_size`` as kafka-python reports it: -1 without headers."""
    if not headers:
        return -1
    return sum(len(k.encode("utf-8")) + (0 if v is None else len(v)) for k, v in headers)


#: How a producer hands a record to the log: ``(timestamp, key, value, headers, key size,
#: value size, serialized header size)``, with headers as a tuple of ``(str, bytes)`` pairs.
PendingRecord = tuple

#: Turns a stored plain tuple into a ConsumerRecord in C, without a Python-level call.
_as_record = functools.partial(tuple.__new__, ConsumerRecord)

#: Headers of a record sent without any. Records are immutable, headers included: a tuple,
#: never a shared list. (kafka-python gives a fresh list; compare with ``list(headers)``.)
NO_HEADERS: tuple = ()


@dataclass
class Segment:
    """A run of consecutive records; the newest segment of a log is the active one."""

    base_offset: int
    created_ms: int
    #: largest timestamp of the first batch: segment.ms counts from it (LogSegment.rollingBasedTimestamp)
    rolling_ts: int | None = None
    #: plain tuples in ConsumerRecord's field order (see ``PartitionLog.append_stored``)
    records: list[tuple] = field(default_factory=list)
    size_bytes: int = 0
    largest_timestamp: int = -1

    @property
    def next_offset(self) -> int:
        return self.base_offset + len(self.records)


@dataclass(frozen=True)
class TopicConfig:
    """The per-topic settings the simulator models, named as Kafka's topic configs.

    Defaults are Kafka 4.x broker defaults. ``retention_ms=-1`` and
    ``retention_bytes=-1`` mean keep forever.
    """

    retention_ms: int = 7 * 24 * 3600 * 1000
    retention_bytes: int = -1
    segment_bytes: int = 1024 * 1024 * 1024
    segment_ms: int = 7 * 24 * 3600 * 1000
    message_timestamp_type: str = "CreateTime"

    #: Kafka topic config names this class accepts, mapped to field names.
    NAMES = {
        "retention.ms": "retention_ms",
        "retention.bytes": "retention_bytes",
        "segment.bytes": "segment_bytes",
        "segment.ms": "segment_ms",
        "message.timestamp.type": "message_timestamp_type",
        "cleanup.policy": None,
    }

    @classmethod
    def from_kafka(cls, configs: dict[str, object] | None) -> TopicConfig:
        """Build from Kafka-named configs (``{"retention.ms": "60000"}``), validated as Kafka does."""
        from .errors import InvalidConfigurationError

        values: dict[str, object] = {}
        for name, raw in (configs or {}).items():
            if name not in cls.NAMES:
                known = ", ".join(sorted(cls.NAMES))
                raise InvalidConfigurationError(
                    f"topic config {name!r} is not modelled by the simulator; use one of: {known}"
                )
            attr = cls.NAMES[name]
            if attr is None:
                if str(raw) != "delete":
                    raise InvalidConfigurationError(
                        f"cleanup.policy={raw!r} is not modelled; the simulator only deletes "
                        "old segments (cleanup.policy=delete), it does not compact"
                    )
                continue
            if attr == "message_timestamp_type":
                if raw not in ("CreateTime", "LogAppendTime"):
                    raise InvalidConfigurationError(
                        f"message.timestamp.type must be CreateTime or LogAppendTime, not {raw!r}"
                    )
                values[attr] = raw
                continue
            try:
                values[attr] = int(raw)  # type: ignore[call-overload]
            except (TypeError, ValueError):
                raise InvalidConfigurationError(
                    f"topic config {name} must be a whole number, got {raw!r}"
                ) from None
        config = cls(**values)  # type: ignore[arg-type]
        config.validate()
        return config

    def validate(self) -> None:
        """Reject values a Kafka 4.x broker rejects (LogConfig's validators)."""
        from .errors import InvalidConfigurationError

        if self.segment_bytes < MIN_SEGMENT_BYTES:
            raise InvalidConfigurationError(
                f"segment.bytes={self.segment_bytes} is below Kafka's minimum of "
                f"{MIN_SEGMENT_BYTES} (1 MiB); to see segments roll sooner, lower segment.ms"
            )
        if self.segment_ms < 1:
            raise InvalidConfigurationError(f"segment.ms must be at least 1, got {self.segment_ms}")
        if self.retention_ms < -1:
            raise InvalidConfigurationError(
                f"retention.ms must be -1 (keep forever) or at least 0, got {self.retention_ms}"
            )


#: Kafka 4.x refuses smaller segments (LogConfig: segment.bytes at least 1 MiB).
MIN_SEGMENT_BYTES = 1024 * 1024


class PartitionLog:
    """The records of one partition, in segments, addressed by offset.

    >>> log = PartitionLog("accounts", 0, TopicConfig())
    >>> log.append([(b"acct-1", b"created", [], 1000)], now_ms=1000)
    (0, 1)
    >>> log.log_start_offset, log.log_end_offset
    (0, 1)
    >>> log.read(0, 10)[0].value
    b'created'
    """

    def __init__(self, topic: str, partition: int, config: TopicConfig) -> None:
        self.topic = topic
        self.partition = partition
        self.config = config
        self.segments: list[Segment] = [Segment(base_offset=0, created_ms=0)]
        self._bases: list[int] = [0]
        self.log_start_offset = 0

    @property
    def log_end_offset(self) -> int:
        """The offset the next appended record will get (the high watermark on one broker)."""
        return self.segments[-1].next_offset

    @property
    def size_bytes(self) -> int:
        return sum(s.size_bytes for s in self.segments)

    def __len__(self) -> int:
        """Records currently retained."""
        return self.log_end_offset - self.log_start_offset

    def append(
        self, batch: Sequence[tuple[bytes | None, bytes | None, list, int]], now_ms: int
    ) -> tuple[int, int]:
        """Append one producer batch of ``(key, value, headers, timestamp)``; return (base offset, count)."""
        if not batch:
            return self.log_end_offset, 0
        first_ts = batch[0][3]
        stored = []
        nbytes = BATCH_OVERHEAD
        for i, (k, v, h, ts) in enumerate(batch):
            ks = -1 if k is None else len(k)
            vs = -1 if v is None else len(v)
            nbytes += record_size(ks, vs, headers_size(h), i, ts - first_ts)
            stored.append((ts, k, v, tuple(h) if h else NO_HEADERS, ks, vs, header_bytes(h)))
        return self.append_stored(stored, nbytes, now_ms)

    def append_stored(
        self,
        batch: list[PendingRecord],
        batch_bytes: int,
        now_ms: int,
        max_timestamp: int | None = None,
    ) -> tuple[int, int]:
        """Append a producer batch (see ``PendingRecord``); return (base offset, count).

        The batch lands in the active segment, rolled first if it would overflow
        ``segment.bytes`` or the segment is older than ``segment.ms``. ``batch_bytes`` is
        the batch's size in Kafka's v2 format (the producer computes it as it batches).
        With ``message.timestamp.type=LogAppendTime`` the broker's clock replaces the
        producer's timestamps. ``max_timestamp``, the batch's newest timestamp, saves a pass.
        """
        if not batch:
            return self.log_end_offset, 0
        active = self.segments[-1]
        log_append = self.config.message_timestamp_type == "LogAppendTime"
        if log_append:
            batch_max_ts = now_ms
        elif max_timestamp is None:
            batch_max_ts = max(r[0] for r in batch)
        else:
            batch_max_ts = max_timestamp
        # As LogSegment.shouldRoll: roll a non-empty segment when the batch would overflow
        # segment.bytes, or when the batch's newest timestamp is more than segment.ms past
        # the segment's first batch.
        if active.records and (
            active.size_bytes + batch_bytes > self.config.segment_bytes
            or batch_max_ts - active.rolling_ts > self.config.segment_ms
        ):
            active = self._roll(now_ms)
        if not active.records:
            active.created_ms = now_ms
            active.rolling_ts = batch_max_ts
        base = active.next_offset
        topic, partition = self.topic, self.partition
        # Stored as plain tuples in ConsumerRecord's field order: a plain tuple of immutable
        # values is dropped from the garbage collector's watch once seen, however long the
        # log grows (a named tuple never is). ``read`` makes the ConsumerRecords.
        largest = batch_max_ts
        if log_append:
            new = [
                (topic, partition, 0, base + i, now_ms, LOG_APPEND_TIME, k, v, h, None, ks, vs, hs)
                for i, (_ts, k, v, h, ks, vs, hs) in enumerate(batch)
            ]
        else:
            new = [
                (topic, partition, 0, base + i, ts, CREATE_TIME, k, v, h, None, ks, vs, hs)
                for i, (ts, k, v, h, ks, vs, hs) in enumerate(batch)
            ]
        active.records.extend(new)
        if largest > active.largest_timestamp:
            active.largest_timestamp = largest
        active.size_bytes += batch_bytes
        return base, len(batch)

    def _roll(self, now_ms: int) -> Segment:
        seg = Segment(base_offset=self.log_end_offset, created_ms=now_ms)
        self.segments.append(seg)
        self._bases.append(seg.base_offset)
        return seg

    def read(self, offset: int, max_records: int) -> list[ConsumerRecord]:
        """Records from ``offset`` on, at most ``max_records``; the caller checks the range."""
        end = min(offset + max_records, self.log_end_offset)
        if offset >= end:
            return []
        i = bisect_right(self._bases, offset) - 1
        seg = self.segments[i]
        lo = offset - seg.base_offset
        hi = end - seg.base_offset
        if hi <= len(seg.records):
            return list(map(_as_record, seg.records[lo:hi]))
        out = seg.records[lo:]
        for seg in self.segments[i + 1 :]:
            out.extend(seg.records[: end - seg.base_offset])
            if end <= seg.next_offset:
                break
        return list(map(_as_record, out))

    def all_records(self) -> list[ConsumerRecord]:
        """Every retained record, oldest first."""
        return self.read(self.log_start_offset, len(self))

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """The first (offset, timestamp) whose timestamp is at or after ``timestamp``, or None."""
        for seg in self.segments:
            if seg.largest_timestamp < timestamp:
                continue
            for rec in map(_as_record, seg.records):
                if rec.timestamp >= timestamp and rec.offset >= self.log_start_offset:
                    return rec.offset, rec.timestamp
        return None

    def apply_retention(self, now_ms: int) -> list[Segment]:
        """Delete whole segments past ``retention.ms`` or beyond ``retention.bytes``; return them.

        As in Kafka's UnifiedLog.deleteOldSegments: segments are examined oldest
        first and deletion stops at the first one that is kept; if every segment,
        the active one included, is deletable, a new empty active segment is rolled
        first so the log end offset is kept.
        """
        deleted: list[Segment] = []
        retention_ms = self.config.retention_ms
        if retention_ms >= 0:
            deleted += self._delete_while(lambda seg: now_ms - seg.largest_timestamp > retention_ms)
        retention_bytes = self.config.retention_bytes
        if retention_bytes >= 0:
            excess = [self.size_bytes - retention_bytes]

            def too_big(seg: Segment) -> bool:
                if excess[0] - seg.size_bytes >= 0:
                    excess[0] -= seg.size_bytes
                    return True
                return False

            deleted += self._delete_while(too_big)
        return deleted

    def _delete_while(self, predicate) -> list[Segment]:
        count = 0
        for seg in self.segments:
            if not seg.records or not predicate(seg):
                break
            count += 1
        if count == 0:
            return []
        if count == len(self.segments):
            self._roll(self.segments[-1].created_ms)
        deleted = self.segments[:count]
        del self.segments[:count]
        del self._bases[:count]
        self.log_start_offset = self.segments[0].base_offset
        return deleted

    def delete_records_before(self, offset: int) -> None:
        """Move the log start offset forward (the admin DeleteRecords call), dropping whole segments."""
        self.log_start_offset = max(self.log_start_offset, offset)
        while len(self.segments) > 1 and self.segments[1].base_offset <= offset:
            del self.segments[0]
            del self._bases[0]
