"""SimProducer, SimConsumer and SimAdmin: Kafka clients shaped like kafka-python 3.x.

The constructor arguments, method names and return types follow kafka-python's
KafkaProducer, KafkaConsumer and KafkaAdminClient for the subset the course uses,
so one experiment function runs unchanged on the simulator and on a real broker.
"""

from __future__ import annotations

import enum
import functools
import math
import random
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import assignors
from .errors import (
    BrokerResponseError,
    CommitFailedError,
    FencedInstanceIdError,
    IllegalArgumentError,
    IllegalStateError,
    InvalidConfigurationError,
    KafkaConfigurationError,
    KafkaError,
    MessageSizeTooLargeError,
    NoError,
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
    UnknownMemberIdError,
    UnknownTopicOrPartitionError,
)
from .log import (
    BATCH_OVERHEAD,
    RecordColumns,
    field_size,
    headers_size,
    record_size,
    varint_size,
)
from .partitioners import DEFAULT_BATCH_SIZE, Partitioner, make_partitioner
from .records import OffsetAndMetadata, OffsetAndTimestamp, RecordMetadata, TopicPartition

if TYPE_CHECKING:
    from .cluster import SimCluster


def _check_config(kind: str, config: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(config) - set(known))
    if unknown:
        raise KafkaConfigurationError(
            f"unknown {kind} configuration {', '.join(unknown)}; the simulator accepts "
            f"kafka-python's names: {', '.join(sorted(known))}"
        )
    merged = dict(known)
    merged.update(config)
    return merged


def _requires_open(method: Callable) -> Callable:
    """Refuse a call on a closed client, as Kafka's clients do."""

    @functools.wraps(method)
    def wrapper(self, *args: Any, **kwargs: Any) -> Any:
        self._check_open()
        return method(self, *args, **kwargs)

    return wrapper


class _Closable:
    _closed = False
    _kind = "client"

    def _check_open(self) -> None:
        if self._closed:
            raise IllegalStateError(
                f"this {self._kind} is closed; create a new one with cluster.{self._kind}()"
            )


# --------------------------------------------------------------------------------------------
# Producer
# --------------------------------------------------------------------------------------------
class _Batch(RecordColumns):
    """Records for one partition collected in the producer's accumulator, sent together.

    The records are kept in columns, as the log keeps them (``simkafka.log.RecordColumns``).
    ``room`` is what is left of ``batch_size`` for more records, kept exact in Kafka's v2
    format as records are added.
    """

    __slots__ = (
        "producer",
        "tp",
        "created_ms",
        "first_ts",
        "batch_size",
        "room",
        "base_offset",
        "log_append_ms",
        "callbacks",
        "done",
        "error",
        "errbacks",
    )

    def __init__(
        self,
        producer: SimProducer,
        tp: TopicPartition,
        created_ms: int,
        first_ts: int,
        batch_size: int,
    ) -> None:
        super().__init__()
        self.producer = producer
        self.tp = tp
        self.created_ms = created_ms
        self.first_ts = first_ts
        self.batch_size = batch_size
        self.room = batch_size - BATCH_OVERHEAD
        self.base_offset: int | None = None
        self.log_append_ms: int | None = None
        self.callbacks: list[tuple[int, Callable]] = []
        #: acknowledged (or failed): on one broker at once, with replication as ``acks`` asks
        self.done = False
        self.error: Exception | None = None
        self.errbacks: list[Callable] = []

    @property
    def nbytes(self) -> int:
        """The batch's size in Kafka's v2 format."""
        return self.batch_size - self.room

    def complete(self) -> None:
        """The broker acknowledged the batch: its futures resolve, its callbacks run."""
        self.done = True
        if self.callbacks:
            future_for = FutureRecordMetadata
            for index, cb in self.callbacks:
                cb(_new_future(future_for, (self, index))._metadata())

    def fail(self, error: Exception) -> None:
        """The broker refused the batch (or it timed out): its futures raise ``error``."""
        self.done = True
        self.error = error
        for eb in self.errbacks:
            eb(error)


class FutureRecordMetadata(tuple):
    """What ``send()`` returns: resolves to RecordMetadata once its batch reaches the log.

    A (batch, index) pair: one is made per record sent, so it is kept as small as a tuple.
    """

    __slots__ = ()

    @property
    def _batch(self) -> _Batch:
        return self[0]

    @property
    def _index(self) -> int:
        return self[1]

    @property
    def is_done(self) -> bool:
        return self._batch.done

    def succeeded(self) -> bool:
        return self._batch.done and self._batch.error is None

    def failed(self) -> bool:
        return self._batch.error is not None

    @property
    def exception(self) -> Exception | None:
        return self._batch.error

    def get(self, timeout: float | None = None) -> RecordMetadata:
        """The record's partition and offset; sends its batch now if it is still waiting.

        With replication and ``acks='all'`` the batch may wait for the ISR: simulated time
        passes until it is acknowledged or fails. A failed batch raises its error.
        """
        batch = self[0]
        if not batch.done:
            if batch.base_offset is None:
                batch.producer._send_batch(batch)
            if not batch.done:
                cluster = batch.producer._cluster
                cluster.advance_to(cluster.now_ms + 10 * 60_000, until=lambda: batch.done)
        if batch.error is not None:
            raise batch.error
        return self._metadata()

    def _metadata(self) -> RecordMetadata:
        batch, i = self._batch, self._index
        ts = batch.timestamps[i] if batch.log_append_ms is None else batch.log_append_ms
        return RecordMetadata(
            batch.tp.topic,
            batch.tp.partition,
            batch.tp,
            batch.base_offset + i,
            ts,
            None,
            *batch.sizes(i),
        )  # type: ignore[operator]

    def add_callback(
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> FutureRecordMetadata:
        """Call ``fn(*args, record_metadata, **kwargs)`` when the record is in the log."""
        if self.is_done:
            if self._batch.error is None:
                fn(*args, self._metadata(), **kwargs)
        else:
            self._batch.callbacks.append((self._index, lambda md: fn(*args, md, **kwargs)))
        return self

    def add_errback(
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> FutureRecordMetadata:
        """Call ``fn(*args, exception, **kwargs)`` if the broker refuses the record.

        On one broker that never happens; with replication, ``acks='all'`` can fail
        (NotEnoughReplicasError) and a partition without a running leader refuses writes.
        """
        batch = self._batch
        if batch.error is not None:
            fn(*args, batch.error, **kwargs)
        elif not batch.done:
            batch.errbacks.append(lambda error: fn(*args, error, **kwargs))
        return self


_new_future = tuple.__new__

# varint_size(n) and field_size(n - 1) for n up to a batch's size: looked up per record sent.
_VARINT_SIZE = tuple(varint_size(n) for n in range(DEFAULT_BATCH_SIZE))
_FIELD_SIZE = tuple(field_size(n) for n in range(-1, DEFAULT_BATCH_SIZE))


class _TopicState:
    """What a producer keeps per topic: its partitions, keys already routed, open batches."""

    __slots__ = ("topic", "n", "partition_of", "open")

    def __init__(self, logs: list, partitioner: Partitioner | None) -> None:
        self.topic = logs[0].topic
        self.n = len(logs)
        # A keyed record's partition depends only on its key and the partition count for
        # every named partitioner except round-robin, so it is computed once per key.
        self.partition_of = None if partitioner is None else _KeyPartitions(self, partitioner)
        self.open: dict[int, _Batch] = {}


class _KeyPartitions(dict):
    """A topic's keys and their partitions, each asked of the partitioner once."""

    __slots__ = ("state", "partitioner")

    def __init__(self, state: _TopicState, partitioner: Partitioner) -> None:
        super().__init__()
        self.state = state
        self.partitioner = partitioner

    def __missing__(self, key: bytes) -> int:
        state = self.state
        partition = self[key] = self.partitioner.partition(state.topic, key, state.n, 0)
        return partition


def _acks(value: Any) -> int:
    """kafka-python's ``acks`` (0, 1, 'all' or -1) as the protocol's -1, 0 or 1."""
    if value in ("all", -1, "-1"):
        return -1
    if value in (0, 1, "0", "1"):
        return int(value)
    raise KafkaConfigurationError(f"acks must be 0, 1 or 'all', got {value!r}")


PRODUCER_DEFAULTS: dict[str, Any] = {
    "bootstrap_servers": "simkafka",
    "client_id": None,
    "key_serializer": None,
    "value_serializer": None,
    "acks": -1,
    "enable_idempotence": True,
    "compression_type": None,
    "retries": float("inf"),
    "batch_size": 16384,
    "linger_ms": 0,
    "partitioner": "kafka-python",
    "max_request_size": 1048576,
    "request_timeout_ms": 30000,
    "delivery_timeout_ms": 120000,
    "max_block_ms": 60000,
    "max_in_flight_requests_per_connection": 5,
    "retry_backoff_ms": 100,
}


def _describe_partition(log: Any) -> dict:
    """A partition as kafka-python's describe_topics gives it (leader -1: none)."""
    part = log.replicated
    if part is None:
        return {
            "partition_index": log.partition,
            "leader_id": 1,
            "replica_nodes": [1],
            "isr_nodes": [1],
            "error_code": 0,
        }
    return {
        "partition_index": log.partition,
        "leader_id": -1 if part.leader is None else part.leader,
        "leader_epoch": part.leader_epoch,
        "replica_nodes": list(part.replicas),
        "isr_nodes": list(part.isr),
        "eligible_leader_replicas": list(part.elr),
        "error_code": 0,
    }


class SimProducer(_Closable):
    """A KafkaProducer on the simulator: serializers, partitioner, batching by batch_size/linger_ms.

    ``partitioner`` is a name from ``simkafka.partitioners`` ("kafka-python", the default as in
    kafka-python; "sticky" as Java's producer; "round_robin"; "consistent_random" as
    librdkafka) or a callable ``(key_bytes, all_partitions, available_partitions) -> int``.

    >>> from simkafka import SimCluster
    >>> cluster = SimCluster()
    >>> cluster.create_topic("user-accounts", partitions=3)
    >>> producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    >>> [producer.send("user-accounts", key="acct-7", value=e).get().offset
    ...  for e in ("created", "email-changed")]  # one key, one partition, in order
    [0, 1]
    >>> producer.send("no-such-topic", value="x")
    Traceback (most recent call last):
    ...
    simkafka.errors.UnknownTopicOrPartitionError: [Error 3] UnknownTopicOrPartitionError: topic 'no-such-topic' does not exist (topics: user-accounts); create it with admin.create_topics([NewTopic('no-such-topic', num_partitions=3, replication_factor=1)])
    """

    _kind = "producer"

    def __init__(self, cluster: SimCluster, **config: Any) -> None:
        self._cluster = cluster
        self.config = _check_config("producer", config, PRODUCER_DEFAULTS)
        n = cluster.next_client_number()
        if self.config["client_id"] is None:
            self.config["client_id"] = f"producer-{n}"
        if self.config["batch_size"] < 1:
            raise KafkaConfigurationError("batch_size must be at least 1 byte")
        part = self.config["partitioner"]
        rng = random.Random(cluster.rng.getrandbits(64))
        if isinstance(part, str):
            self._partitioner = make_partitioner(
                part, rng=rng, batch_size=self.config["batch_size"]
            )
            self._custom = None
        elif callable(part) and not hasattr(part, "partition"):
            self._partitioner = None
            self._custom = part
        else:
            raise KafkaConfigurationError(
                f"partitioner must be a name such as 'sticky' or 'kafka-python', or a callable "
                f"(key_bytes, all_partitions, available_partitions) -> int; got {part!r}"
            )
        self._topics: dict[str, _TopicState] = {}
        self._ready: list[_Batch] = []
        self._key_serializer = self.config["key_serializer"]
        self._value_serializer = self.config["value_serializer"]
        self._batch_size = self.config["batch_size"]
        self._acks = _acks(self.config["acks"])
        self._max_request_size = self.config["max_request_size"]
        # The partitioner whose keyed partitions are remembered per key (not round-robin's).
        memo = self._partitioner is not None and self._partitioner.name != "round_robin"
        self._key_partitioner = self._partitioner if memo else None

    def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        headers: list[tuple[str, bytes]] | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> FutureRecordMetadata:
        """Serialize, pick a partition, and add the record to its partition's batch."""
        # The hot path of every experiment: rare cases are handled in helper methods.
        state = self._topics.get(topic)
        if state is None:
            state = self._topic_state(topic)
        if key is not None:
            if self._key_serializer is not None:
                key = self._key_serializer(key)
            if key.__class__ is not bytes:
                key = self._as_bytes(key, "key")
            ks = len(key)
        elif value is None:
            raise IllegalArgumentError("Need at least one: key or value")
        else:
            ks = -1
        if value is not None:
            if self._value_serializer is not None:
                value = self._value_serializer(value)
            if value.__class__ is not bytes:
                value = self._as_bytes(value, "value")
            vs = len(value)
        else:
            vs = -1
        ts = self._cluster._now if timestamp_ms is None else int(timestamp_ms)
        hs = 1 if headers is None else headers_size(headers)
        if partition is None and key and state.partition_of is not None:
            partition = state.partition_of[key]
        else:
            partition = self._choose_partition(state, topic, key, ks, vs, hs, partition)
        batch = state.open.get(partition)
        if batch is None:
            batch = self._new_batch(state, partition, ts)
        keys = batch.keys
        index = len(keys)
        # Exact v2 record size (DefaultRecord.sizeInBytes): deltas are relative to the batch's
        # first record; the tables answer for all but huge records.
        td = ts - batch.first_ts
        try:
            body = (
                (2 if td == 0 else varint_size(td) + 1)
                + _VARINT_SIZE[index]
                + _FIELD_SIZE[ks + 1]
                + _FIELD_SIZE[vs + 1]
                + hs
            )
            rsize = body + _VARINT_SIZE[body]
        except IndexError:
            rsize = record_size(ks, vs, hs, index, td)
        room = batch.room - rsize
        if room < 0:
            batch, index = self._full_batch(state, batch, partition, ts, ks, vs, hs, rsize)
            keys = batch.keys
            room = batch.room
        if headers is None and ks >= 0 and vs >= 0:
            batch.timestamps.append(ts)
            keys.append(key)
            batch.values.append(value)
        else:
            batch.add(ts, key, value, headers)
        batch.room = room
        return _new_future(FutureRecordMetadata, (batch, index))

    def _topic_state(self, topic: str) -> _TopicState:
        """The first record for a topic (or the first since it changed, or since close())."""
        self._check_open()
        state = self._topics[topic] = _TopicState(self._cluster._logs(topic), self._key_partitioner)
        return state

    def _choose_partition(
        self, state: _TopicState, topic: str, key, ks: int, vs: int, hs: int, partition
    ) -> int:
        """An explicit partition (checked), a custom partitioner's, or the named one's for a keyless record."""
        n = state.n
        if partition is None:
            if self._custom is not None:
                all_parts = list(range(n))
                partition = self._custom(key, all_parts, all_parts)
            else:
                partition = self._partitioner.partition(
                    topic, key, n, record_size(ks, vs, hs, 0, 0)
                )
        if partition.__class__ is not int or not 0 <= partition < n:
            raise UnknownTopicOrPartitionError(
                f"topic {topic!r} has partitions 0..{n - 1}; partition {partition!r} does not exist"
            )
        return partition

    def _new_batch(self, state: _TopicState, partition: int, ts: int) -> _Batch:
        tp = TopicPartition(state.topic, partition)
        batch = _Batch(self, tp, self._cluster._now, ts, self._batch_size)
        state.open[partition] = batch
        return batch

    def _full_batch(self, state, batch, partition, ts, ks, vs, hs, rsize):
        """The record does not fit: close the batch (unless empty) and start a new one.

        Returns the batch the record goes in and its index there; the batch's ``room`` is
        what will be left after the record.
        """
        if len(batch):
            self._ready.append(batch)
            batch = self._new_batch(state, partition, ts)
            rsize = record_size(ks, vs, hs, 0, 0)
        if rsize + BATCH_OVERHEAD > self._max_request_size:
            raise MessageSizeTooLargeError(
                f"the record is {rsize + BATCH_OVERHEAD} bytes, larger than max_request_size="
                f"{self._max_request_size}; raise max_request_size or send smaller values"
            )
        # A record larger than batch_size gets a batch of its own (room below 0: full).
        batch.room -= rsize
        return batch, 0

    def _metadata_changed(self, topic: str) -> None:
        """The cluster created, deleted or grew a topic: route its keys afresh."""
        state = self._topics.pop(topic, None)
        if state is not None:
            for batch in state.open.values():
                self._ready.append(batch)

    @staticmethod
    def _as_bytes(obj: Any, what: str) -> bytes:
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return bytes(obj)
        raise TypeError(
            f"the record's {what} must be bytes, got {type(obj).__name__}: pass "
            f"{what}_serializer=str.encode (or lambda v: json.dumps(v).encode()) to the producer, "
            f"or send {what}=... .encode()"
        )

    # -- sending batches -------------------------------------------------------------------------
    def _open_batches(self) -> list[_Batch]:
        return [b for state in self._topics.values() for b in state.open.values()]

    def _next_linger_deadline(self) -> int | None:
        if self._ready:
            return self._cluster.now_ms
        created = [b.created_ms for b in self._open_batches()]
        return min(created) + self.config["linger_ms"] if created else None

    def _drain(self, force: bool = False) -> None:
        """Send the full batches, then every open batch past linger_ms (all if ``force``)."""
        if self._ready:
            ready, self._ready = self._ready, []
            for batch in ready:
                self._append(batch)
        now = self._cluster.now_ms
        linger = self.config["linger_ms"]
        for state in self._topics.values():
            for partition, batch in list(state.open.items()):
                if force or now >= batch.created_ms + linger:
                    del state.open[partition]
                    self._append(batch)

    def _send_batch(self, batch: _Batch) -> None:
        """Send one batch now (a future's get()), with the batches that were ready before it."""
        while self._ready:
            self._append(self._ready.pop(0))
        state = self._topics.get(batch.tp.topic)
        if state is not None and state.open.get(batch.tp.partition) is batch:
            del state.open[batch.tp.partition]
            self._append(batch)

    def _append(self, batch: _Batch) -> None:
        cluster = self._cluster
        if batch.tp.topic not in cluster.topics:
            raise UnknownTopicOrPartitionError(
                f"topic {batch.tp.topic!r} was deleted before this producer's batch was sent"
            )
        log = cluster.log(batch.tp)
        replication = cluster.replication
        if replication is not None:
            acks = self._acks
            try:
                replication.check_produce(batch.tp, acks)
            except KafkaError as error:
                batch.base_offset = -1
                cluster.record_event(
                    "produce_failed",
                    topic=batch.tp.topic,
                    partition=batch.tp.partition,
                    count=len(batch),
                    member=self.config["client_id"],
                    detail=f"acks={acks}: {type(error).__name__}",
                )
                if acks == 0:  # fire and forget: the producer never hears of it
                    batch.complete()
                else:
                    batch.fail(error)
                return
        base, count = log.append_columns(batch, batch.nbytes, cluster.now_ms)
        batch.base_offset = base
        if log.config.message_timestamp_type == "LogAppendTime":
            batch.log_append_ms = cluster.now_ms
        cluster.record_event(
            "append",
            topic=batch.tp.topic,
            partition=batch.tp.partition,
            offset=base,
            count=count,
            member=self.config["client_id"],
        )
        if replication is not None:
            replication.appended(log, base, count)
            if self._acks == -1 and not replication.wait_for_acks(
                batch, batch.tp, self.config["request_timeout_ms"]
            ):
                return
        batch.complete()

    def flush(self, timeout: float | None = None) -> None:
        """Send every waiting batch now."""
        self._check_open()
        self._drain(force=True)

    def partitions_for(self, topic: str) -> set[int]:
        return set(range(self._cluster.num_partitions(topic)))

    def close(self, timeout: float | None = None) -> None:
        """Send what is waiting, then refuse further sends."""
        if not self._closed:
            self.flush()
            self._closed = True
            self._topics = {}  # so that send() asks _topic_state, which refuses
            self._cluster._forget_producer(self)

    def metrics(self, raw: bool = False) -> dict:
        return {}

    def __enter__(self) -> SimProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Consumer
# --------------------------------------------------------------------------------------------
CONSUMER_DEFAULTS: dict[str, Any] = {
    "bootstrap_servers": "simkafka",
    "client_id": None,
    "group_id": None,
    "group_instance_id": None,
    "key_deserializer": None,
    "value_deserializer": None,
    "auto_offset_reset": "latest",
    "enable_auto_commit": True,
    "auto_commit_interval_ms": 5000,
    "default_offset_commit_callback": None,
    "max_poll_records": 500,
    "max_poll_interval_ms": 300000,
    "session_timeout_ms": 45000,
    "heartbeat_interval_ms": 3000,
    "partition_assignment_strategy": ("range", "roundrobin"),
    "consumer_timeout_ms": float("inf"),
    "fetch_max_wait_ms": 500,
    "fetch_min_bytes": 1,
    "fetch_max_bytes": 52428800,
    "max_partition_fetch_bytes": 1048576,
    "request_timeout_ms": 30000,
    "isolation_level": "read_uncommitted",
    "allow_auto_create_topics": False,
    "exclude_internal_topics": True,
    "api_version": None,
    "metadata_max_age_ms": 300000,
    "retry_backoff_ms": 100,
    "reconnect_backoff_ms": 50,
    "reconnect_backoff_max_ms": 30000,
    "check_crcs": True,
    "client_rack": "",
    "connections_max_idle_ms": 540000,
    "enable_incremental_fetch_sessions": True,
}


def _strategy_name(strategy: Any) -> str:
    """Accept an assignor name or kafka-python's assignor classes (which carry ``.name``)."""
    name = strategy if isinstance(strategy, str) else getattr(strategy, "name", None)
    if name not in assignors.ASSIGNORS:
        raise KafkaConfigurationError(
            f"unknown partition_assignment_strategy {strategy!r}; use one of "
            f"{', '.join(assignors.ASSIGNORS)}"
        )
    return name


class SimConsumer(_Closable):
    """A KafkaConsumer on the simulator, a member of a consumer group when ``group_id`` is set.

    Extras the real client does not have: ``crash()`` (stop without leaving the group),
    and ``member_id`` / ``generation`` properties for tables.

    >>> from simkafka import SimCluster
    >>> cluster = SimCluster(seed=1)
    >>> cluster.create_topic("user-accounts", partitions=3)
    >>> a = cluster.consumer("user-accounts", group_id="groups-service")
    >>> b = cluster.consumer("user-accounts", group_id="groups-service")
    >>> cluster.settle(a, b)  # rounds until every member has its partitions
    2
    >>> sorted(len(c.assignment()) for c in (a, b))  # one owner per partition
    [1, 2]
    >>> b.crash()
    >>> cluster.advance(45_001)  # session.timeout.ms later, b is out of the group
    >>> cluster.settle(a)
    1
    >>> len(a.assignment())
    3
    """

    _kind = "consumer"

    def __init__(self, cluster: SimCluster, *topics: str, **config: Any) -> None:
        self._cluster = cluster
        self.config = _check_config("consumer", config, CONSUMER_DEFAULTS)
        n = cluster.next_client_number()
        group_id = self.config["group_id"]
        if self.config["client_id"] is None:
            self.config["client_id"] = f"consumer-{group_id or 'nogroup'}-{n}"
        # kafka-python still accepts the old names.
        legacy = {"smallest": "earliest", "largest": "latest"}
        reset = self.config["auto_offset_reset"]
        self.config["auto_offset_reset"] = legacy.get(reset, reset)
        if self.config["auto_offset_reset"] not in ("earliest", "latest", "none"):
            raise KafkaConfigurationError(
                f"auto_offset_reset must be 'earliest', 'latest' or 'none', "
                f"got {self.config['auto_offset_reset']!r}"
            )
        strategies = self.config["partition_assignment_strategy"]
        if isinstance(strategies, (str, type)) or not isinstance(strategies, Iterable):
            strategies = (strategies,)
        self._protocols = [_strategy_name(s) for s in strategies]
        if not self._protocols:
            raise KafkaConfigurationError(
                "partition_assignment_strategy needs at least one assignor"
            )
        kinds = {assignors.rebalance_protocol(p) for p in self._protocols}
        # As in Java: a cooperative assignor listed with eager ones means eager until all switch.
        self._cooperative = kinds == {"cooperative"}
        if self.config["session_timeout_ms"] <= self.config["heartbeat_interval_ms"]:
            raise KafkaConfigurationError(
                "heartbeat_interval_ms must be lower than session_timeout_ms (Kafka advises a third)"
            )
        self._subscription: list[str] = []
        self._pattern = None
        self._listener = None
        self._manual = False
        self._assignment: list[TopicPartition] = []
        self._positions: dict[TopicPartition, int] = {}
        self._paused: set[TopicPartition] = set()
        self._member_id: str | None = None
        self._generation = -1
        self._needs_rejoin = False
        self._next_auto_commit = cluster.now_ms + self.config["auto_commit_interval_ms"]
        self._previous_assignment: list[TopicPartition] = []
        self._rotate = 0
        self._iter_buffer: deque = deque()
        if topics:
            if not all(isinstance(t, str) for t in topics):
                raise TypeError(
                    f"topics are passed one by one as strings: cluster.consumer('user-accounts', "
                    f"group_id=...), not {topics!r}"
                )
            self.subscribe(topics)

    # -- identity ------------------------------------------------------------------------------
    @property
    def member_id(self) -> str | None:
        """The member id the coordinator gave this consumer (None before it joins)."""
        return self._member_id

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def group_id(self) -> str | None:
        return self.config["group_id"]

    # -- subscription ----------------------------------------------------------------------------
    def subscribe(
        self, topics: Iterable[str] = (), pattern: str | None = None, listener=None
    ) -> None:
        """Join the group for these topics (or a regex ``pattern``); partitions come by rebalance."""
        self._check_open()
        if self._manual:
            raise IllegalStateError(
                "this consumer assigned partitions itself with assign(); call unsubscribe() first"
            )
        if self.group_id is None:
            raise KafkaConfigurationError(
                "subscribe() needs a consumer group: pass group_id='...' to the consumer, or use "
                "assign([TopicPartition(topic, p)]) to read partitions without a group"
            )
        if isinstance(topics, str):
            topics = [topics]
        if not isinstance(topics, Iterable) or not all(isinstance(t, str) for t in topics):
            raise TypeError(f"subscribe() takes a list of topic names, got {topics!r}")
        topics = list(topics)
        if bool(topics) == bool(pattern):
            raise IllegalStateError("subscribe() takes topics or a pattern, not both nor neither")
        if pattern is not None:
            import re

            self._pattern = re.compile(pattern)
            topics = [t for t in sorted(self._cluster.topics) if self._pattern.fullmatch(t)]
        self._subscription = sorted(set(topics))
        self._listener = listener
        if self._member_id is not None:
            self._needs_rejoin = True

    @_requires_open
    def subscription(self) -> set[str] | None:
        return set(self._subscription) if self._subscription else None

    def unsubscribe(self) -> None:
        """Leave the group (or drop a manual assignment)."""
        self._check_open()
        self._leave_group("unsubscribe")
        self._subscription = []
        self._pattern = None
        self._manual = False
        self._assignment = []
        self._positions.clear()
        self._paused.clear()

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Read exactly these partitions, without group management."""
        self._check_open()
        if self._subscription:
            raise IllegalStateError("this consumer subscribed to topics; call unsubscribe() first")
        partitions = [TopicPartition(*tp) for tp in partitions]
        for tp in partitions:
            self._cluster.log(tp)
        self._manual = True
        self._assignment = sorted(set(partitions))
        self._positions = {tp: p for tp, p in self._positions.items() if tp in self._assignment}

    @_requires_open
    def assignment(self) -> set[TopicPartition]:
        return set(self._assignment)

    # -- the group -------------------------------------------------------------------------------
    def _ensure_active_group(self) -> None:
        """Join, rejoin or pick up a new assignment, as the client does at the top of poll()."""
        coord = self._cluster.coordinator
        gid = self.group_id
        member = coord.member(gid, self._member_id)
        if self._member_id is not None and member is None:
            reason = coord.group(gid).removed.get(self._member_id, "")
            if reason.startswith("fenced"):
                self._closed = True
                raise FencedInstanceIdError(reason)
            self._lose_partitions(reason)
        if self._pattern is not None and self._member_id is not None:
            matched = sorted(t for t in self._cluster.topics if self._pattern.fullmatch(t))
            if matched != self._subscription:
                self._needs_rejoin = True  # metadata shows a new (or gone) matching topic
        for _ in range(4):
            member = coord.member(gid, self._member_id)
            group = coord.group(gid)
            if member is None:
                self._join(first=True)
                continue
            # The coordinator answered every member when the join completed: take that
            # answer first, even if a newer rebalance has already begun.
            if member.generation > self._generation and (
                not member.awaiting_join or group.state == "PreparingRebalance"
            ):
                self._on_join_complete(member.assignment, member.generation)
                continue
            if self._needs_rejoin or (
                group.state == "PreparingRebalance" and not member.awaiting_join
            ):
                self._join(first=False)
                continue
            break

    def _join(self, first: bool) -> None:
        coord = self._cluster.coordinator
        if not first:
            self._on_join_prepare()
        self._needs_rejoin = False
        if self._pattern is not None:
            self._subscription = sorted(
                t for t in self._cluster.topics if self._pattern.fullmatch(t)
            )
        self._member_id = coord.join(
            self.group_id,
            self._member_id,
            client_id=self.config["client_id"],
            group_instance_id=self.config["group_instance_id"],
            topics=self._subscription,
            protocols=self._protocols,
            # Eager members revoke everything before rejoining; the sticky assignor still
            # learns their previous assignment (Java sends it as user data).
            owned=list(self._assignment if self._cooperative else self._previous_assignment),
            session_timeout_ms=self.config["session_timeout_ms"],
            rebalance_timeout_ms=self.config["max_poll_interval_ms"],
            heartbeat_interval_ms=self.config["heartbeat_interval_ms"],
        )

    def _on_join_prepare(self) -> None:
        """Before rejoining: auto-commit, then (eager) revoke every partition."""
        if self.config["enable_auto_commit"] and self._assignment:
            try:
                self._commit_positions()
            except KafkaError:
                pass
        if not self._cooperative and self._assignment:
            revoked = list(self._assignment)
            self._previous_assignment = revoked
            self._assignment = []
            # Positions are kept: kafka-python 3.x resumes a partition it gets back from its
            # own position (Java's consumer re-reads the committed offset instead).
            self._event_partitions("revoke", revoked)
            if self._listener is not None:
                self._listener.on_partitions_revoked(revoked)

    def _on_join_complete(self, assignment: list[TopicPartition], generation: int) -> None:
        self._generation = generation
        # As kafka-python (and Java's classic consumer): the auto-commit timer restarts now.
        self._next_auto_commit = self._cluster.now_ms + self.config["auto_commit_interval_ms"]
        new = sorted(assignment)
        if self._cooperative:
            owned = set(self._assignment)
            revoked = sorted(owned - set(new))
            added = sorted(set(new) - owned)
            if revoked:
                self._assignment = [tp for tp in self._assignment if tp not in revoked]
                for tp in revoked:
                    self._positions.pop(tp, None)
                self._event_partitions("revoke", revoked)
                if self._listener is not None:
                    self._listener.on_partitions_revoked(revoked)
                # Cooperative protocol: give them up, then rejoin so others can take them.
                self._needs_rejoin = True
            self._assignment = sorted(set(self._assignment) | set(added))
            self._event_partitions("assign", added)
            if self._listener is not None:
                self._listener.on_partitions_assigned(added)
        else:
            self._assignment = new
            self._positions = {tp: p for tp, p in self._positions.items() if tp in new}
            self._event_partitions("assign", new)
            if self._listener is not None:
                self._listener.on_partitions_assigned(new)
        self._previous_assignment = list(self._assignment)
        self._paused &= set(self._assignment)  # a partition given back starts unpaused

    def _lose_partitions(self, reason: str) -> None:
        """The coordinator removed this member: its partitions are lost, not cleanly revoked."""
        lost = list(self._assignment)
        self._member_id = None
        self._generation = -1
        self._assignment = []
        self._positions.clear()
        self._paused.clear()
        self._previous_assignment = []
        if lost:
            self._event_partitions("lost", lost, detail=reason)
            if self._listener is not None:
                handler = getattr(self._listener, "on_partitions_lost", None)
                (handler or self._listener.on_partitions_revoked)(lost)

    def _event_partitions(self, kind: str, tps: list[TopicPartition], detail: str = "") -> None:
        if not tps and kind == "assign":
            self._cluster.record_event(
                kind,
                group=self.group_id,
                member=self._member_id,
                generation=self._generation,
                detail=detail or "no partitions",
            )
        for tp in tps:
            self._cluster.record_event(
                kind,
                topic=tp.topic,
                partition=tp.partition,
                group=self.group_id,
                member=self._member_id,
                generation=self._generation,
                detail=detail,
            )

    def _leave_group(self, reason: str) -> None:
        if self._member_id is None or self.group_id is None:
            return
        coord = self._cluster.coordinator
        if coord.member(self.group_id, self._member_id) is not None:
            if self._assignment:
                self._event_partitions("revoke", list(self._assignment))
                if self._listener is not None:
                    self._listener.on_partitions_revoked(list(self._assignment))
            if self.config["group_instance_id"]:
                coord.static_close(self.group_id, self._member_id)
            else:
                coord.leave(self.group_id, self._member_id, reason)
        self._member_id = None
        self._generation = -1

    # -- poll ------------------------------------------------------------------------------------
    def poll(
        self, timeout_ms: int = 0, max_records: int | None = None, update_offsets: bool = True
    ) -> dict[TopicPartition, list]:
        """Fetch records; may join the group or finish a rebalance first. Waits up to timeout_ms.

        Waiting moves the simulated clock (so other members' sessions may expire meanwhile).
        """
        self._check_open()
        if not self._subscription and not self._manual:
            raise IllegalStateError(
                "poll() needs partitions: call subscribe([topic]) or assign([TopicPartition(...)])"
            )
        if not isinstance(timeout_ms, (int, float)) or timeout_ms < 0:
            raise IllegalArgumentError(f"timeout_ms must be a number >= 0, got {timeout_ms!r}")
        max_records = self.config["max_poll_records"] if max_records is None else max_records
        if max_records < 1:
            raise IllegalArgumentError("max_records must be at least 1")
        cluster = self._cluster
        deadline = cluster.now_ms + max(0, int(timeout_ms))
        stalled = 0
        while True:
            self._group_turn()
            if self._manual:
                self._maybe_auto_commit()
            records = self._fetch(max_records, update_offsets)
            if records or cluster.now_ms >= deadline:
                return records
            # Wake early for news (data, a rebalance), but never spin without time moving.
            before = cluster.now_ms
            self._wait(deadline, until=self._has_news if stalled < 2 else None)
            stalled = stalled + 1 if cluster.now_ms == before else 0

    def _next_wake(self) -> int | None:
        """When a producer batch or a group change could next bring records to this consumer."""
        polling = self._cluster.coordinator.polling
        polling.add(self._member_id)
        try:
            return self._cluster._next_timer(client_timers_only=True)
        finally:
            polling.discard(self._member_id)

    def _wait(self, until_ms: int, until=None) -> None:
        """Let time pass while blocked inside poll(): the heartbeat thread keeps the member alive."""
        polling = self._cluster.coordinator.polling
        member_id = self._member_id
        if member_id is not None:
            polling.add(member_id)
        try:
            self._cluster.advance_to(until_ms, until=until)
        finally:
            polling.discard(member_id)

    def _group_turn(self) -> None:
        """The group part of poll() (timers, auto-commit, join, sync), without fetching."""
        self._check_open()
        cluster = self._cluster
        cluster.drain_producers()
        cluster.coordinator.fire_timers()
        if self.group_id is not None and not self._manual:
            cluster.coordinator.record_poll(self.group_id, self._member_id)
            self._maybe_auto_commit()
            self._ensure_active_group()

    def _is_settled(self) -> bool:
        coord = self._cluster.coordinator
        member = coord.member(self.group_id, self._member_id)
        return (
            member is not None
            and coord.group(self.group_id).state == "Stable"
            and member.generation == self._generation
            and not self._needs_rejoin
        )

    def _has_news(self) -> bool:
        """Something a waiting poll should wake for: data, or a change in the group."""
        coord = self._cluster.coordinator
        if self.group_id is not None and not self._manual:
            member = coord.member(self.group_id, self._member_id)
            if member is None or member.generation != self._generation:
                return True
            if (
                coord.group(self.group_id).state == "PreparingRebalance"
                and not member.awaiting_join
            ):
                return True
        for tp in self._assignment:
            pos = self._positions.get(tp)
            log = self._cluster.topics.get(tp.topic)
            if log is None or tp.partition >= len(log):
                continue
            if pos is None or pos < log[tp.partition].high_watermark:
                return True
        return False

    def _fetch(self, max_records: int, update_offsets: bool) -> dict[TopicPartition, list]:
        out: dict[TopicPartition, list] = {}
        parts = [tp for tp in self._assignment if tp not in self._paused]
        if not parts:
            return out
        cluster = self._cluster
        start = self._rotate % len(parts)
        self._rotate += 1
        remaining = max_records
        kd = self.config["key_deserializer"]
        vd = self.config["value_deserializer"]
        for tp in parts[start:] + parts[:start]:
            if remaining <= 0:
                break
            logs = cluster.topics.get(tp.topic)
            if logs is None or tp.partition >= len(logs):
                continue
            log = logs[tp.partition]
            pos = self._positions.get(tp)
            if pos is None:
                pos = self._initial_position(tp, log)
            if pos < log.log_start_offset or pos > log.log_end_offset:
                pos = self._out_of_range(tp, pos, log)
            batch = log.read(pos, min(remaining, log.high_watermark - pos))
            if not batch:
                self._positions[tp] = pos
                continue
            if kd is not None or vd is not None:
                batch = [
                    r._replace(
                        key=kd(r.key) if kd is not None and r.key is not None else r.key,
                        value=vd(r.value) if vd is not None and r.value is not None else r.value,
                    )
                    for r in batch
                ]
            out[tp] = batch
            remaining -= len(batch)
            self._positions[tp] = pos + len(batch) if update_offsets else pos
            cluster.record_event(
                "fetch",
                topic=tp.topic,
                partition=tp.partition,
                offset=pos,
                count=len(batch),
                group=self.group_id,
                member=self._member_id or self.config["client_id"],
                generation=self._generation,
            )
        return out

    def _initial_position(self, tp: TopicPartition, log) -> int:
        """Where to start: the group's committed offset, else auto_offset_reset."""
        if self.group_id is not None:
            committed = self._cluster.coordinator.group(self.group_id).offsets.get(tp)
            if committed is not None:
                self._positions[tp] = committed.offset
                return committed.offset
        return self._reset(tp, log, "no committed offset")

    def _reset(self, tp: TopicPartition, log, why: str) -> int:
        policy = self.config["auto_offset_reset"]
        if policy == "none":
            raise NoOffsetForPartitionError(
                f"{tp}: {why} and auto_offset_reset='none'; seek() to an offset, or use "
                "auto_offset_reset='earliest' or 'latest'"
            )
        pos = log.log_start_offset if policy == "earliest" else log.high_watermark
        self._positions[tp] = pos
        self._cluster.record_event(
            "offset_reset",
            topic=tp.topic,
            partition=tp.partition,
            offset=pos,
            group=self.group_id,
            member=self._member_id or self.config["client_id"],
            detail=f"{why}: reset to {policy}",
        )
        return pos

    def _out_of_range(self, tp: TopicPartition, pos: int, log) -> int:
        why = f"offset {pos} is out of range [{log.log_start_offset}, {log.log_end_offset}]" + (
            " (deleted by retention)" if pos < log.log_start_offset else ""
        )
        if self.config["auto_offset_reset"] == "none":
            raise OffsetOutOfRangeError(
                f"{tp}: {why}; seek_to_beginning() or seek_to_end(), or set "
                "auto_offset_reset='earliest' or 'latest'"
            )
        return self._reset(tp, log, why)

    def __iter__(self) -> SimConsumer:
        return self

    def __next__(self):
        """Yield records one by one; stop after consumer_timeout_ms without any."""
        while not self._iter_buffer:
            timeout = self.config["consumer_timeout_ms"]
            if math.isinf(timeout):
                got = self.poll(timeout_ms=0)
                if not got:
                    # Only a producer's batch or a group change can bring records now.
                    wake = self._next_wake()
                    if wake is None:
                        raise IllegalStateError(
                            "iterating would wait forever: nothing more can arrive in the "
                            "simulator; pass consumer_timeout_ms=1000 to stop iteration when "
                            "records run out"
                        )
                    self._wait(wake)
            else:
                got = self.poll(timeout_ms=int(timeout))
                if not got:
                    raise StopIteration
            for batch in got.values():
                self._iter_buffer.extend(batch)
        return self._iter_buffer.popleft()

    # -- offsets ----------------------------------------------------------------------------------
    def _maybe_auto_commit(self) -> None:
        if not self.config["enable_auto_commit"] or self.group_id is None:
            return
        now = self._cluster.now_ms
        if now >= self._next_auto_commit:
            self._next_auto_commit = now + self.config["auto_commit_interval_ms"]
            if self._positions:
                try:
                    self._commit_positions()
                except (CommitFailedError, UnknownMemberIdError):
                    pass

    def _commit_positions(self) -> None:
        offsets = {
            tp: OffsetAndMetadata(pos, "", -1)
            for tp, pos in self._positions.items()
            if tp in self._assignment
        }
        if offsets:
            self._do_commit(offsets)

    def _do_commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        if self.group_id is None:
            raise KafkaConfigurationError(
                "commit needs a consumer group: pass group_id='...' to the consumer"
            )
        member_id = None if self._manual else self._member_id
        if not self._manual and member_id is None:
            raise CommitFailedError(
                "commit failed: this consumer is not a member of its group yet (poll() first)"
            )
        self._cluster.coordinator.commit(self.group_id, member_id, self._generation, offsets)

    def commit(self, offsets: dict[TopicPartition, Any] | None = None, timeout_ms=None) -> None:
        """Commit the given offsets, or the positions of all assigned partitions (synchronously)."""
        self._check_open()
        self._cluster.coordinator.fire_timers()
        if offsets is None:
            self._commit_positions()
            return
        normalised = {}
        for tp, om in offsets.items():
            if type(om) is int:
                om = OffsetAndMetadata(om, "", -1)
            if not isinstance(om, tuple) or type(om[0]) is not int or om[0] < 0:
                raise TypeError(
                    f"offsets must be {{TopicPartition: OffsetAndMetadata(offset, '', -1)}} (or an "
                    f"int offset >= 0), got {om!r} for {tp}"
                )
            normalised[TopicPartition(*tp)] = OffsetAndMetadata(*om)
        self._do_commit(normalised)

    def commit_async(self, offsets=None, callback=None):
        """As commit(), but errors go to ``callback(offsets, exception)`` instead of being raised.

        The simulator completes the commit at once; the callback runs before this returns.
        """
        try:
            self.commit(offsets)
            error = None
        except (CommitFailedError, BrokerResponseError) as exc:
            error = exc
        cb = callback or self.config["default_offset_commit_callback"]
        if cb is not None:
            cb(offsets, error)

    @_requires_open
    def committed(self, partition: TopicPartition, metadata: bool = False, timeout_ms=None):
        """The group's committed offset for a partition (None if never committed)."""
        if self.group_id is None:
            raise KafkaConfigurationError("committed() needs group_id")
        om = self._cluster.coordinator.group(self.group_id).offsets.get(TopicPartition(*partition))
        if om is None:
            return None
        return om if metadata else om.offset

    @_requires_open
    def position(self, partition: TopicPartition, timeout_ms=None) -> int:
        """The offset of the next record this consumer will fetch from the partition."""
        tp = TopicPartition(*partition)
        self._require_assigned(tp, "position")
        if tp not in self._positions:
            log = self._cluster.log(tp)
            pos = self._initial_position(tp, log)
            self._positions[tp] = pos
        return self._positions[tp]

    @_requires_open
    def highwater(self, partition: TopicPartition) -> int:
        return self._cluster.log(TopicPartition(*partition)).high_watermark

    def _require_assigned(self, tp: TopicPartition, what: str) -> None:
        if tp not in self._assignment:
            raise IllegalStateError(
                f"{what}: partition {tp} is not assigned to this consumer (assignment: "
                f"{sorted(self._assignment)}); poll() until the group assigns it, or assign() it"
            )

    @_requires_open
    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Fetch from ``offset`` next; an offset out of range is reset at the next fetch."""
        tp = TopicPartition(*partition)
        if not isinstance(offset, int) or offset < 0:
            raise IllegalArgumentError(f"offset must be an int >= 0, got {offset!r}")
        self._require_assigned(tp, "seek")
        self._positions[tp] = offset
        self._cluster.record_event(
            "seek",
            topic=tp.topic,
            partition=tp.partition,
            offset=offset,
            group=self.group_id,
            member=self._member_id or self.config["client_id"],
        )

    @_requires_open
    def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        for tp in [TopicPartition(*p) for p in partitions] or list(self._assignment):
            self.seek(tp, self._cluster.log(tp).log_start_offset)

    @_requires_open
    def seek_to_end(self, *partitions: TopicPartition) -> None:
        for tp in [TopicPartition(*p) for p in partitions] or list(self._assignment):
            self.seek(tp, self._cluster.log(tp).high_watermark)

    @_requires_open
    def pause(self, *partitions: TopicPartition) -> None:
        for tp in partitions:
            self._require_assigned(TopicPartition(*tp), "pause")
            self._paused.add(TopicPartition(*tp))

    @_requires_open
    def resume(self, *partitions: TopicPartition) -> None:
        for tp in partitions:
            self._paused.discard(TopicPartition(*tp))

    @_requires_open
    def paused(self) -> set[TopicPartition]:
        return self._paused & set(self._assignment)

    @_requires_open
    def beginning_offsets(self, partitions: Iterable[TopicPartition], timeout_ms=None):
        self._cluster.drain_producers()
        return {
            TopicPartition(*tp): self._cluster.log(TopicPartition(*tp)).log_start_offset
            for tp in partitions
        }

    @_requires_open
    def end_offsets(self, partitions: Iterable[TopicPartition], timeout_ms=None):
        self._cluster.drain_producers()
        return {
            TopicPartition(*tp): self._cluster.log(TopicPartition(*tp)).high_watermark
            for tp in partitions
        }

    @_requires_open
    def offsets_for_times(self, timestamps: dict[TopicPartition, int], timeout_ms=None):
        self._cluster.drain_producers()
        out = {}
        for tp, ts in timestamps.items():
            found = self._cluster.log(TopicPartition(*tp)).offset_for_timestamp(ts)
            out[TopicPartition(*tp)] = None if found is None else OffsetAndTimestamp(*found)
        return out

    @_requires_open
    def topics(self) -> set[str]:
        return set(self._cluster.topics)

    @_requires_open
    def partitions_for_topic(self, topic: str) -> set[int] | None:
        logs = self._cluster.topics.get(topic)
        return None if logs is None else set(range(len(logs)))

    # -- ending ---------------------------------------------------------------------------------
    def close(self, autocommit: bool = True, timeout_ms=None) -> None:
        """Commit (if auto-commit is on), leave the group, and refuse further calls."""
        if self._closed:
            return
        if autocommit and self.config["enable_auto_commit"] and self.group_id is not None:
            try:
                self._commit_positions()
            except (CommitFailedError, UnknownMemberIdError, KafkaConfigurationError):
                pass
        self._leave_group("the consumer closed")
        self._closed = True

    def crash(self) -> None:
        """Simulate the process dying: no commit, no LeaveGroup; the session times out later."""
        self._check_open()
        if self._member_id is not None and self.group_id is not None:
            self._cluster.coordinator.crash(self.group_id, self._member_id)
        self._closed = True

    def metrics(self, raw: bool = False) -> dict:
        return {}

    def __enter__(self) -> SimConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Admin
# --------------------------------------------------------------------------------------------
class NewTopic:
    """A topic to create, as kafka-python's ``kafka.admin.NewTopic``."""

    def __init__(
        self,
        name: str,
        num_partitions: int = -1,
        replication_factor: int = -1,
        replica_assignments: dict | None = None,
        topic_configs: dict[str, object] | None = None,
    ) -> None:
        self.name = name
        self.num_partitions = num_partitions
        self.replication_factor = replication_factor
        self.replica_assignments = replica_assignments or {}
        self.topic_configs = topic_configs or {}

    def __repr__(self) -> str:
        return f"NewTopic({self.name!r}, {self.num_partitions}, {self.replication_factor})"


class NewPartitions:
    """A new total partition count for a topic, as kafka-python's ``kafka.admin.NewPartitions``."""

    def __init__(self, total_count: int, new_assignments: list | None = None) -> None:
        self.total_count = total_count
        self.new_assignments = new_assignments


class ConfigResourceType(enum.IntEnum):
    """Kinds of config resource, as kafka-python's ``kafka.admin.ConfigResourceType``."""

    TOPIC = 2
    BROKER = 4
    GROUP = 32


class ConfigResource:
    """A resource and its configs, as kafka-python's ``kafka.admin.ConfigResource``."""

    def __init__(self, resource_type: Any, name: str, configs: dict | None = None) -> None:
        if isinstance(resource_type, str):
            resource_type = ConfigResourceType[resource_type.upper()]
        self.resource_type = ConfigResourceType(int(resource_type))
        self.name = name
        self.configs = configs

    def __repr__(self) -> str:
        return f"ConfigResource({self.resource_type.name}, {self.name!r}, {self.configs!r})"


def _group_resources(config_resources: Iterable[Any], what: str) -> list[ConfigResource]:
    out = [ConfigResource(r.resource_type, r.name, r.configs) for r in config_resources]
    for r in out:
        if r.resource_type is not ConfigResourceType.GROUP:
            raise KafkaConfigurationError(
                f"{what}: the simulator keeps configs of GROUP resources (share groups) only; "
                "give a topic its configs at creation: NewTopic(name, 3, 1, topic_configs={...})"
            )
    return out


#: The broker's default partition count (num.partitions) for a topic created with -1.
DEFAULT_NUM_PARTITIONS = 1


def _offset_spec(spec: Any) -> str | None:
    """``"earliest"`` / ``"latest"`` for those words or kafka-python's OffsetSpec members."""
    if spec in ("earliest", "latest"):
        return spec
    name = getattr(spec, "name", None) if spec.__class__ is not int else None
    return {"EARLIEST": "earliest", "LATEST": "latest"}.get(name)


class SimAdmin(_Closable):
    """A KafkaAdminClient on the simulator: topics, groups and offsets.

    >>> from simkafka import NewTopic, SimCluster
    >>> admin = SimCluster().admin()
    >>> _ = admin.create_topics([NewTopic("user-accounts", num_partitions=3, replication_factor=1)])
    >>> admin.list_topics()
    ['user-accounts']
    >>> admin.create_topics([NewTopic("bad", num_partitions=0, replication_factor=1)])
    Traceback (most recent call last):
    ...
    simkafka.errors.InvalidPartitionsError: [Error 37] InvalidPartitionsError: a topic needs at least 1 partition, got 0: create it with NewTopic('bad', num_partitions=3, replication_factor=1)
    """

    _kind = "admin"

    def __init__(self, cluster: SimCluster, **config: Any) -> None:
        self._cluster = cluster
        self.config = config

    def create_topics(self, new_topics, timeout_ms=None, validate_only=False, raise_errors=True):
        """Create topics from NewTopic objects, names, or kafka-python's dict form."""
        self._check_open()
        specs: list[tuple[str, int, int, dict]] = []
        if isinstance(new_topics, dict):
            for name, data in new_topics.items():
                specs.append(
                    (
                        name,
                        data.get("num_partitions", -1),
                        data.get("replication_factor", -1),
                        data.get("configs", {}),
                    )
                )
        else:
            for t in new_topics:
                if isinstance(t, str):
                    specs.append((t, -1, -1, {}))
                else:
                    specs.append((t.name, t.num_partitions, t.replication_factor, t.topic_configs))
        results = []
        for name, parts, rf, configs in specs:
            parts = DEFAULT_NUM_PARTITIONS if parts == -1 else parts
            try:
                if validate_only:
                    self._cluster.validate_new_topic(name, parts, rf, configs)
                else:
                    self._cluster.create_topic(name, parts, rf, configs)
                results.append({"name": name, "error_code": 0, "error_message": None})
            except BrokerResponseError as exc:
                if raise_errors:
                    raise
                results.append({"name": name, "error_code": exc.errno, "error_message": str(exc)})
        return {"topics": results}

    def delete_topics(self, topics, timeout_ms=None, raise_errors=True):
        self._check_open()
        results = []
        for name in topics:
            try:
                self._cluster.delete_topic(name)
                results.append({"name": name, "error_code": 0})
            except BrokerResponseError as exc:
                if raise_errors:
                    raise
                results.append({"name": name, "error_code": exc.errno})
        return {"topics": results}

    @_requires_open
    def create_partitions(
        self, topic_partitions, timeout_ms=None, validate_only=False, raise_errors=True
    ):
        """Grow topics: ``{topic: NewPartitions(total_count)}``. Keys map to new partitions after."""
        self._check_open()
        results = []
        for name, spec in topic_partitions.items():
            total = spec.total_count if hasattr(spec, "total_count") else int(spec)
            if not validate_only:
                self._cluster.add_partitions(name, total)
            results.append({"name": name, "error_code": 0})
        return {"results": results}

    @_requires_open
    def list_topics(self) -> list[str]:
        return sorted(self._cluster.topics)

    @_requires_open
    def describe_topics(self, topics: list[str] | None = None) -> list[dict]:
        names = sorted(self._cluster.topics) if topics is None else topics
        out = []
        for name in names:
            logs = self._cluster._logs(name)
            out.append(
                {
                    "name": name,
                    "error_code": 0,
                    "is_internal": False,
                    "partitions": [_describe_partition(log) for log in logs],
                }
            )
        return out

    @_requires_open
    def describe_configs_for_topic(self, topic: str) -> dict[str, str]:
        cfg = self._cluster.topic_configs[self._cluster._logs(topic)[0].topic]
        return {name: str(getattr(cfg, attr)) for name, attr in cfg.NAMES.items() if attr}

    @_requires_open
    def alter_configs(
        self, config_resources, validate_only=False, raise_on_unknown=True, incremental=None
    ):
        """Set share-group configs (``ConfigResource(ConfigResourceType.GROUP, group, {...})``),
        checked as the broker checks them; ``{"group": {name: "OK" or the error}}``, as
        kafka-python answers.

        >>> from simkafka import SimCluster
        >>> from simkafka.clients import ConfigResource
        >>> admin = SimCluster().admin()
        >>> admin.alter_configs([ConfigResource("group", "g", {"share.auto.offset.reset": "earliest"})])
        {'group': {'g': 'OK'}}
        >>> admin.describe_configs([ConfigResource("group", "g")])["group"]["g"]["share.auto.offset.reset"]["value"]
        'earliest'
        """
        from .share import set_share_group_config

        out: dict[str, dict[str, str]] = {"group": {}}
        for r in _group_resources(config_resources, "alter_configs"):
            try:
                set_share_group_config(self._cluster, r.name, r.configs or {}, validate_only)
                out["group"][r.name] = "OK"
            except InvalidConfigurationError as exc:
                out["group"][r.name] = str(exc)
        return out

    @_requires_open
    def describe_configs(self, config_resources, include_synonyms=False, config_filter="modified"):
        """A group's configs: ``{"group": {name: {key: {"value": ..., ...}}}}``; with
        ``config_filter="modified"`` (kafka-python's default) only those set on the group."""
        from .share import share_group_configs

        out: dict[str, dict[str, dict]] = {"group": {}}
        for r in _group_resources(config_resources, "describe_configs"):
            found = share_group_configs(
                self._cluster, r.name, modified_only=config_filter == "modified"
            )
            if r.configs is not None:
                found = {k: v for k, v in found.items() if k in r.configs}
            out["group"][r.name] = {
                k: {
                    "value": str(v),
                    "read_only": False,
                    "config_source": "DYNAMIC_GROUP_CONFIG" if modified else "DEFAULT_CONFIG",
                    "is_sensitive": False,
                    "synonyms": [],
                }
                for k, (v, modified) in found.items()
            }
        return out

    @_requires_open
    def list_groups(self, broker_ids=None, states_filter=None, types_filter=None) -> list[dict]:
        out = []
        for gid, group in sorted(self._cluster.coordinator.groups.items()):
            if states_filter and group.state not in states_filter:
                continue
            out.append(
                {
                    "group_id": gid,
                    "protocol_type": "consumer",
                    "group_state": group.state,
                    "group_type": "classic",
                }
            )
        return out

    @_requires_open
    def describe_groups(self, group_ids: list[str], group_coordinator_id=None) -> dict[str, dict]:
        out = {}
        for gid in group_ids:
            group = self._cluster.coordinator.groups.get(gid)
            if group is None:
                out[gid] = {"group_id": gid, "group_state": "Dead", "members": []}
                continue
            out[gid] = {
                "group_id": gid,
                "group_state": group.state,
                "protocol_type": "consumer",
                "protocol_data": group.protocol,
                "generation": group.generation,
                "leader": group.leader,
                "members": [
                    {
                        "member_id": m.member_id,
                        "group_instance_id": m.group_instance_id,
                        "client_id": m.client_id,
                        "member_assignment": {"assignment": sorted(m.assignment)},
                    }
                    for m in group.members.values()
                ],
            }
        return out

    @_requires_open
    def list_group_offsets(self, group_specs) -> dict[str, dict[TopicPartition, OffsetAndMetadata]]:
        if isinstance(group_specs, str):
            group_specs = {group_specs: None}
        elif not isinstance(group_specs, dict):
            group_specs = {g: None for g in group_specs}
        out = {}
        for gid, partitions in group_specs.items():
            offsets = dict(self._cluster.coordinator.group(gid).offsets)
            if partitions is not None:
                offsets = {tp: om for tp, om in offsets.items() if tp in set(partitions)}
            out[gid] = offsets
        return out

    @_requires_open
    def alter_group_offsets(self, group_id: str, offsets, group_coordinator_id=None):
        """Set a group's committed offsets; ``{TopicPartition: NoError or the error class}``.

        As in Kafka, the group must have no active members: while it has some, every
        partition answers ``UnknownMemberIdError`` and nothing changes. Like kafka-python,
        the answer is returned per partition, not raised: check it (stop, i.e. close, the
        group's consumers first).
        """
        group = self._cluster.coordinator.group(group_id)
        normalised = {
            TopicPartition(*tp): om if isinstance(om, OffsetAndMetadata) else OffsetAndMetadata(om)
            for tp, om in offsets.items()
        }
        if group.members:
            return {tp: UnknownMemberIdError for tp in normalised}
        self._cluster.coordinator.commit(group_id, None, -1, normalised)
        return {tp: NoError for tp in normalised}

    @_requires_open
    def reset_group_offsets(self, group_id: str, offset_specs, group_coordinator_id=None):
        """Reset a group's offsets: ``{TopicPartition: {"error": class, "offset": int}}``.

        A spec is ``"earliest"`` / ``"latest"`` (or kafka-python's ``OffsetSpec.EARLIEST`` /
        ``OffsetSpec.LATEST``), or a plain int: an explicit offset, clamped as kafka-python
        clamps it (a negative offset or one past the log end becomes the log end offset, one
        before the log start the log start offset). Refused per partition with
        ``UnknownMemberIdError`` while the group has active members.
        """
        resolved = {}
        for tp, spec in offset_specs.items():
            log = self._cluster.log(TopicPartition(*tp))
            where = _offset_spec(spec)
            if where == "earliest":
                off = log.log_start_offset
            elif where == "latest":
                off = log.log_end_offset
            else:
                # kafka-python's clamp: negative or past the end -> the end; before the start
                # -> the start.
                off = int(spec)
                if off < 0 or off > log.log_end_offset:
                    off = log.log_end_offset
                elif off < log.log_start_offset:
                    off = log.log_start_offset
            resolved[TopicPartition(*tp)] = off
        answer = self.alter_group_offsets(group_id, resolved)
        return {tp: {"error": answer[tp], "offset": off} for tp, off in resolved.items()}

    @_requires_open
    def delete_groups(self, group_ids: list[str], group_coordinator_id=None):
        coord = self._cluster.coordinator
        out = {}
        for gid in group_ids:
            group = coord.groups.get(gid)
            if group is not None and group.members:
                from .errors import NonEmptyGroupError

                raise NonEmptyGroupError(
                    f"group {gid!r} still has members; close its consumers first"
                )
            coord.groups.pop(gid, None)
            self._cluster.record_event("group_deleted", group=gid)
            out[gid] = None
        return out

    @_requires_open
    def list_partition_offsets(self, topic_partition_specs, isolation_level=None, timeout_ms=None):
        """``{TopicPartition: 'earliest' | 'latest' | timestamp}`` -> OffsetAndTimestamp."""
        self._cluster.drain_producers()
        out = {}
        for tp, spec in topic_partition_specs.items():
            tp = TopicPartition(*tp)
            log = self._cluster.log(tp)
            if spec in ("earliest", -2):
                out[tp] = OffsetAndTimestamp(log.log_start_offset, -1)
            elif spec in ("latest", -1):
                out[tp] = OffsetAndTimestamp(log.high_watermark, -1)
            else:
                found = log.offset_for_timestamp(int(spec))
                out[tp] = OffsetAndTimestamp(*(found or (-1, -1)))
        return out

    @_requires_open
    def delete_records(self, records_to_delete: dict[TopicPartition, int], timeout_ms=None):
        """Move each partition's log start offset up to the given offset."""
        self._cluster.drain_producers()
        records_to_delete = {
            tp: self._cluster.log(TopicPartition(*tp)).log_end_offset if offset == -1 else offset
            for tp, offset in records_to_delete.items()
        }  # -1 means up to the high watermark, as in Kafka's DeleteRecords
        for tp, offset in records_to_delete.items():
            log = self._cluster.log(TopicPartition(*tp))
            if not 0 <= offset <= log.log_end_offset:
                raise OffsetOutOfRangeError(
                    f"{tp}: cannot delete before offset {offset}: the log ends at "
                    f"{log.log_end_offset}"
                )
            log.delete_records_before(offset)
            self._cluster.record_event(
                "records_deleted", topic=tp.topic, partition=tp.partition, offset=offset
            )
        return {
            TopicPartition(*tp): {"low_watermark": off} for tp, off in records_to_delete.items()
        }

    def close(self) -> None:
        self._closed = True
