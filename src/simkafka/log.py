"""One partition's log: an append-only, ordered, immutable sequence of records.

Offsets start at 0 and never repeat. Records live in segments; retention deletes
whole segments, oldest first, so the log start offset jumps. Sizes follow Kafka's
record batch format (magic v2), so ``segment.bytes`` and ``retention.bytes`` mean
what they mean on a broker.
"""

from __future__ import annotations

import functools
import gc
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count, repeat

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


def field_size(size: int) -> int:
    """Bytes a key or value of ``size`` bytes takes in a record, its length included (-1: null).

    >>> [field_size(n) for n in (-1, 0, 6, 100)]
    [1, 1, 7, 102]
    """
    return varint_size(size) + max(size, 0)


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


#: Headers of a record sent without any. Records are immutable, headers included: a tuple,
#: never a shared list. (kafka-python gives a fresh list; compare with ``list(headers)``.)
NO_HEADERS: tuple = ()

#: Turns a plain tuple in ConsumerRecord's field order into a ConsumerRecord in C.
_as_record = functools.partial(tuple.__new__, ConsumerRecord)


class RecordColumns:
    """Records kept one column per field: record ``i`` is ``timestamps[i]``, ``keys[i]``,
    ``values[i]`` and ``headers.get(i, NO_HEADERS)``.

    A producer's batch and a log segment both keep records this way, so a batch lands in a
    segment by extending lists, and a read makes its ConsumerRecords in C from slices of the
    columns. Columns of shared, immutable objects cost the garbage collector nothing per
    record, where one tuple per record is scanned again and again as the log grows.
    """

    __slots__ = ("timestamps", "keys", "values", "headers", "nulls")

    def __init__(self) -> None:
        self.timestamps: list[int] = []
        self.keys: list[bytes | None] = []
        self.values: list[bytes | None] = []
        #: the headers of the records that have any, by index
        self.headers: dict[int, tuple] = {}
        #: how many records have a null key or value (their size is -1, not a len)
        self.nulls = 0

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, timestamp: int, key: bytes | None, value: bytes | None, headers=None) -> None:
        """Add one record (``headers`` a sequence of ``(str, bytes)`` pairs, or None)."""
        if headers:
            self.headers[len(self.keys)] = tuple(headers)
        if key is None or value is None:
            self.nulls += 1
        self.timestamps.append(timestamp)
        self.keys.append(key)
        self.values.append(value)

    def extend(self, other: RecordColumns, timestamps: list[int] | None = None) -> None:
        """Append ``other``'s records (with ``timestamps`` instead of theirs, if given)."""
        if other.headers:
            start = len(self.keys)
            self.headers.update({start + i: h for i, h in other.headers.items()})
        self.nulls += other.nulls
        self.timestamps.extend(other.timestamps if timestamps is None else timestamps)
        self.keys.extend(other.keys)
        self.values.extend(other.values)

    def sizes(self, i: int) -> tuple[int, int, int]:
        """Record ``i``'s serialized key, value and header sizes, as kafka-python reports them."""
        key, value = self.keys[i], self.values[i]
        return (
            -1 if key is None else len(key),
            -1 if value is None else len(value),
            header_bytes(self.headers.get(i)),
        )

    def consumer_records(
        self, topic: str, partition: int, timestamp_type: int, lo: int, hi: int, offset: int
    ) -> list[ConsumerRecord]:
        """Records ``lo`` to ``hi`` (exclusive) as ConsumerRecords, the first at ``offset``."""
        keys, values = self.keys[lo:hi], self.values[lo:hi]
        timestamps = self.timestamps[lo:hi]
        headers = self.headers
        if self.nulls or (headers and any(lo <= i < hi for i in headers)):
            return [
                ConsumerRecord(
                    topic,
                    partition,
                    0,
                    offset + j,
                    ts,
                    timestamp_type,
                    k,
                    v,
                    h := headers.get(lo + j, NO_HEADERS),
                    None,
                    -1 if k is None else len(k),
                    -1 if v is None else len(v),
                    header_bytes(h),
                )
                for j, (ts, k, v) in enumerate(zip(timestamps, keys, values, strict=True))
            ]
        # The common case, all in C: zip's tuples in ConsumerRecord's field order, each
        # copied into a ConsumerRecord. Thousands of records are made at once and none can
        # be part of a cycle, so the collector is held off meanwhile (it would only scan
        # the new records again and again).
        rows = zip(
            repeat(topic),
            repeat(partition),
            repeat(0),
            count(offset),
            timestamps,
            repeat(timestamp_type),
            keys,
            values,
            repeat(NO_HEADERS),
            repeat(None),
            map(len, keys),
            map(len, values),
            repeat(-1),
        )
        if not gc.isenabled():
            return list(map(_as_record, rows))
        gc.disable()
        try:
            return list(map(_as_record, rows))
        finally:
            gc.enable()


class Segment(RecordColumns):
    """A run of consecutive records; the newest segment of a log is the active one."""

    __slots__ = ("base_offset", "created_ms", "rolling_ts", "size_bytes", "largest_timestamp")

    def __init__(self, base_offset: int, created_ms: int) -> None:
        super().__init__()
        self.base_offset = base_offset
        self.created_ms = created_ms
        #: largest timestamp of the first batch: segment.ms counts from it (LogSegment.rollingBasedTimestamp)
        self.rolling_ts: int | None = None
        self.size_bytes = 0
        self.largest_timestamp = -1

    @property
    def next_offset(self) -> int:
        return self.base_offset + len(self.keys)

    def __repr__(self) -> str:
        return (
            f"Segment(base_offset={self.base_offset}, records={len(self)}, "
            f"size_bytes={self.size_bytes}, largest_timestamp={self.largest_timestamp})"
        )


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
    #: acks=all needs this many in-sync replicas (``simkafka.replication``)
    min_insync_replicas: int = 1
    #: whether a replica outside the ISR may become leader, losing records
    unclean_leader_election_enable: str = "false"

    #: Kafka topic config names this class accepts, mapped to field names.
    NAMES = {
        "retention.ms": "retention_ms",
        "retention.bytes": "retention_bytes",
        "segment.bytes": "segment_bytes",
        "segment.ms": "segment_ms",
        "message.timestamp.type": "message_timestamp_type",
        "min.insync.replicas": "min_insync_replicas",
        "unclean.leader.election.enable": "unclean_leader_election_enable",
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
            if attr == "unclean_leader_election_enable":
                if str(raw).lower() not in ("true", "false"):
                    raise InvalidConfigurationError(
                        f"unclean.leader.election.enable must be true or false, not {raw!r}"
                    )
                values[attr] = str(raw).lower()
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
        if self.min_insync_replicas < 1:
            raise InvalidConfigurationError(
                f"min.insync.replicas must be at least 1, got {self.min_insync_replicas}"
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
        #: the partition's replicas (a ``replication.PartitionReplicas``) on a replicated cluster
        self.replicated = None

    @property
    def log_end_offset(self) -> int:
        """The offset the next appended record will get (the high watermark on one broker)."""
        return self.segments[-1].next_offset

    @property
    def high_watermark(self) -> int:
        """Consumers read below this offset: the log end on one broker; with replication, the
        offset every in-sync replica has (set by ``simkafka.replication``)."""
        return self.log_end_offset if self.replicated is None else self.replicated.high_watermark

    @property
    def size_bytes(self) -> int:
        return sum(s.size_bytes for s in self.segments)

    def __len__(self) -> int:
        """Records currently retained."""
        return self.log_end_offset - self.log_start_offset

    @property
    def timestamp_type(self) -> int:
        """CREATE_TIME (the producer's clock) or LOG_APPEND_TIME (the broker's), per topic."""
        if self.config.message_timestamp_type == "LogAppendTime":
            return LOG_APPEND_TIME
        return CREATE_TIME

    def append(
        self, batch: Sequence[tuple[bytes | None, bytes | None, list, int]], now_ms: int
    ) -> tuple[int, int]:
        """Append one producer batch of ``(key, value, headers, timestamp)``; return (base offset, count)."""
        if not batch:
            return self.log_end_offset, 0
        first_ts = batch[0][3]
        columns = RecordColumns()
        nbytes = BATCH_OVERHEAD
        for i, (k, v, h, ts) in enumerate(batch):
            ks = -1 if k is None else len(k)
            vs = -1 if v is None else len(v)
            nbytes += record_size(ks, vs, headers_size(h), i, ts - first_ts)
            columns.add(ts, k, v, h)
        return self.append_columns(columns, nbytes, now_ms)

    def append_columns(
        self,
        batch: RecordColumns,
        batch_bytes: int,
        now_ms: int,
        max_timestamp: int | None = None,
    ) -> tuple[int, int]:
        """Append a producer batch; return (base offset, count).

        The batch lands in the active segment, rolled first if it would overflow
        ``segment.bytes`` or the segment is older than ``segment.ms``. ``batch_bytes`` is
        the batch's size in Kafka's v2 format (the producer computes it as it batches).
        With ``message.timestamp.type=LogAppendTime`` the broker's clock replaces the
        producer's timestamps. ``max_timestamp``, the batch's newest timestamp, saves a pass.
        """
        n = len(batch)
        if not n:
            return self.log_end_offset, 0
        active = self.segments[-1]
        timestamps = None
        if self.config.message_timestamp_type == "LogAppendTime":
            batch_max_ts = now_ms
            timestamps = [now_ms] * n
        elif max_timestamp is None:
            batch_max_ts = max(batch.timestamps)
        else:
            batch_max_ts = max_timestamp
        # As LogSegment.shouldRoll: roll a non-empty segment when the batch would overflow
        # segment.bytes, or when the batch's newest timestamp is more than segment.ms past
        # the segment's first batch.
        if len(active) and (
            active.size_bytes + batch_bytes > self.config.segment_bytes
            or batch_max_ts - active.rolling_ts > self.config.segment_ms
        ):
            active = self._roll(now_ms)
        if not len(active):
            active.created_ms = now_ms
            active.rolling_ts = batch_max_ts
        base = active.next_offset
        active.extend(batch, timestamps)
        if batch_max_ts > active.largest_timestamp:
            active.largest_timestamp = batch_max_ts
        active.size_bytes += batch_bytes
        return base, n

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
        topic, partition, tstype = self.topic, self.partition, self.timestamp_type
        out: list[ConsumerRecord] = []
        for seg in self.segments[i:]:
            lo = offset - seg.base_offset
            hi = min(end, seg.next_offset) - seg.base_offset
            if hi > lo:
                out += seg.consumer_records(topic, partition, tstype, lo, hi, offset)
                offset += hi - lo
            if offset >= end:
                break
        return out

    def all_records(self) -> list[ConsumerRecord]:
        """Every retained record, oldest first."""
        return self.read(self.log_start_offset, len(self))

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """The first (offset, timestamp) whose timestamp is at or after ``timestamp``, or None."""
        for seg in self.segments:
            if seg.largest_timestamp < timestamp:
                continue
            for offset, ts in enumerate(seg.timestamps, seg.base_offset):
                if ts >= timestamp and offset >= self.log_start_offset:
                    return offset, ts
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
            if not len(seg) or not predicate(seg):
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

    def truncate_to(self, offset: int) -> None:
        """Drop every record at ``offset`` and after (a follower truncating to its new leader).

        Whole segments after it go; the segment holding ``offset`` is cut, its bytes scaled to
        the records it keeps (a cut batch has no exact v2 size).

        >>> log = PartitionLog("accounts", 0, TopicConfig())
        >>> log.append([(None, b"a", [], 1), (None, b"b", [], 2), (None, b"c", [], 3)], now_ms=3)
        (0, 3)
        >>> log.truncate_to(1)
        >>> log.log_end_offset, [r.value for r in log.all_records()]
        (1, [b'a'])
        """
        if offset >= self.log_end_offset:
            return
        offset = max(offset, self.log_start_offset)
        while len(self.segments) > 1 and self.segments[-1].base_offset >= offset:
            self.segments.pop()
            self._bases.pop()
        seg = self.segments[-1]
        keep = offset - seg.base_offset
        if keep < len(seg):
            seg.size_bytes = seg.size_bytes * keep // len(seg)
            del seg.timestamps[keep:], seg.keys[keep:], seg.values[keep:]
            seg.headers = {i: h for i, h in seg.headers.items() if i < keep}
            seg.nulls = sum(
                k is None or v is None for k, v in zip(seg.keys, seg.values, strict=True)
            )
            seg.largest_timestamp = max(seg.timestamps, default=-1)

    def delete_records_before(self, offset: int) -> None:
        """Move the log start offset forward (the admin DeleteRecords call), dropping whole segments."""
        self.log_start_offset = max(self.log_start_offset, offset)
        while len(self.segments) > 1 and self.segments[1].base_offset <= offset:
            del self.segments[0]
            del self._bases[0]
