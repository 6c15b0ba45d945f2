"""SimCluster: one simulated Kafka broker with its topics, group coordinator and clock.

Time moves only when something asks it to (``advance``, a poll that waits), and
everything that happens is one row in one event list, which the tables, the
drawings and the tests all read.
"""

from __future__ import annotations

import random
import uuid as _uuid
from typing import TYPE_CHECKING, Any

from .coordinator import GroupCoordinator
from .errors import (
    IllegalArgumentError,
    InvalidPartitionsError,
    InvalidReplicationFactorError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)
from .log import PartitionLog, TopicConfig
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

    from .clients import SimAdmin, SimConsumer, SimProducer
    from .replication import Replication
    from .share import ShareGroups, SimShareConsumer

#: 2026-01-01T00:00:00Z: simulated time starts here unless told otherwise.
DEFAULT_START_MS = 1_767_225_600_000

#: Columns of ``SimCluster.events()``, in order.
EVENT_COLUMNS = (
    "time_ms",
    "event",
    "topic",
    "partition",
    "offset",
    "count",
    "group",
    "member",
    "generation",
    "detail",
)

#: Columns of ``partitions(topic)``, the same from SimCluster and RealCluster.
PARTITIONS_COLUMNS = (
    "partition",
    "log_start_offset",
    "log_end_offset",
    "records",
    "segments",
    "bytes",
)
#: Columns of ``group_state(group_id)``, the same from SimCluster and RealCluster.
GROUP_STATE_COLUMNS = ("topic", "partition", "owner", "committed", "log_end_offset", "lag")


def partitions_frame(rows: list[tuple]) -> pd.DataFrame:
    """The ``partitions`` table from its rows (``segments`` and ``bytes`` may be unknown)."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(PARTITIONS_COLUMNS))
    for col in ("segments", "bytes"):
        df[col] = df[col].astype("Int64")
    return df


def group_state_frame(rows: list[tuple]) -> pd.DataFrame:
    """The ``group_state`` table from its rows (``committed`` and ``lag`` may be unknown)."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(GROUP_STATE_COLUMNS))
    for col in ("committed", "lag"):
        df[col] = df[col].astype("Int64")
    return df


class SimCluster:
    """An exact, deterministic, in-process Kafka for experiments and drawings.

    >>> cluster = SimCluster(seed=7)
    >>> cluster.create_topic("user-accounts", partitions=3)
    >>> producer = cluster.producer()
    >>> producer.send("user-accounts", key=b"acct-42", value=b"created").get().partition
    0
    >>> consumer = cluster.consumer("user-accounts", group_id="groups-service",
    ...                             auto_offset_reset="earliest")
    >>> [r.value for batch in consumer.poll(timeout_ms=100).values() for r in batch]
    [b'created']
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        start_time_ms: int = DEFAULT_START_MS,
        group_initial_rebalance_delay_ms: int = 0,
        log_retention_check_interval_ms: int = 300_000,
        brokers: int | None = None,
        broker_session_timeout_ms: int = 9000,
        replica_lag_time_max_ms: int = 30000,
        eligible_leader_replicas: bool = True,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._now = start_time_ms
        self.start_time_ms = start_time_ms
        self.topics: dict[str, list[PartitionLog]] = {}
        self.topic_configs: dict[str, TopicConfig] = {}
        self.coordinator = GroupCoordinator(self, group_initial_rebalance_delay_ms)
        self.retention_check_interval_ms = log_retention_check_interval_ms
        self._next_retention_check = start_time_ms + log_retention_check_interval_ms
        self._events: list[tuple] = []
        self._producers: list[SimProducer] = []
        self._client_counter = 0
        #: brokers, replicas and the controller (``simkafka.replication``), with ``brokers=N``;
        #: without it the cluster is one broker and every partition has one copy
        self.replication: Replication | None = None
        #: the share groups (``simkafka.share``), made at the first share consumer
        self.share_groups: ShareGroups | None = None
        if brokers is not None:
            from .replication import Replication

            self.replication = Replication(
                self,
                brokers,
                broker_session_timeout_ms=broker_session_timeout_ms,
                replica_lag_time_max_ms=replica_lag_time_max_ms,
                eligible_leader_replicas=eligible_leader_replicas,
            )

    # -- the clock ---------------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        """Simulated time in milliseconds since the epoch."""
        return self._now

    def advance(self, ms: int) -> None:
        """Let ``ms`` milliseconds of simulated time pass, firing every timer due on the way.

        Sessions of crashed members expire, batches past ``linger_ms`` are sent, retention
        checks run, all at the simulated moment they are due.
        """
        if ms < 0:
            raise IllegalArgumentError(f"time only moves forward: advance({ms}) is negative")
        self.advance_to(self._now + ms)

    def advance_to(self, target_ms: int, until: Any = None) -> None:
        """Move the clock to ``target_ms``, stopping early when ``until()`` becomes true."""
        while True:
            self._fire_timers()
            if self._now >= target_ms or (until is not None and until()):
                return
            nxt = self._next_timer()
            self._now = target_ms if nxt is None or nxt > target_ms else max(nxt, self._now)

    def _next_timer(self, client_timers_only: bool = False) -> int | None:
        """The next moment a timer fires; without the broker's retention check if asked."""
        times = [] if client_timers_only else [self._next_retention_check]
        t = self.coordinator.next_deadline()
        if t is not None:
            times.append(t)
        for producer in self._producers:
            t = producer._next_linger_deadline()
            if t is not None:
                times.append(t)
        if self.share_groups is not None:
            t = self.share_groups.next_deadline()
            if t is not None:
                times.append(t)
        if self.replication is not None and not client_timers_only:
            t = self.replication.next_deadline()
            if t is not None:
                times.append(t)
        later = [t for t in times if t > self._now]
        return min(later) if later else None

    def _fire_timers(self) -> None:
        self.drain_producers()
        if self.replication is not None:
            self.replication.fire_timers()
        self.coordinator.fire_timers()
        if self.share_groups is not None:
            self.share_groups.fire_timers()
        while self._now >= self._next_retention_check:
            self._run_retention()
            self._next_retention_check += self.retention_check_interval_ms

    def drain_producers(self, force: bool = False) -> None:
        """Send every producer batch that is ready (full, or past linger_ms; all if ``force``)."""
        for producer in self._producers:
            producer._drain(force=force)

    def _run_retention(self) -> None:
        for topic, logs in self.topics.items():
            for log in logs:
                for seg in log.apply_retention(self._now):
                    self.record_event(
                        "segment_deleted",
                        topic=topic,
                        partition=log.partition,
                        offset=seg.base_offset,
                        count=len(seg),
                        detail=f"log start offset now {log.log_start_offset}",
                    )

    def run_retention_now(self) -> None:
        """Run the broker's retention check at once (normally every log_retention_check_interval_ms)."""
        self.drain_producers()
        self._run_retention()

    # -- names -------------------------------------------------------------------------------
    def topic_name(self, base: str) -> str:
        """The name this backend uses for topic ``base``: the simulator's are its own.

        A RealCluster adds a prefix and a run id, so that runs on a shared broker never meet;
        an experiment asks its backend, and runs unchanged on both.
        """
        return base

    def group_name(self, base: str) -> str:
        """The name this backend uses for consumer group ``base`` (see ``topic_name``)."""
        return base

    # -- ids and randomness --------------------------------------------------------------------
    def uuid(self) -> str:
        """A random UUID drawn from the seeded generator, so member ids are reproducible."""
        return str(_uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def next_client_number(self) -> int:
        self._client_counter += 1
        return self._client_counter

    # -- topics ------------------------------------------------------------------------------
    def validate_new_topic(
        self,
        name: str,
        partitions: int,
        replication_factor: int = 1,
        config: dict[str, object] | None = None,
    ) -> TopicConfig:
        """Check a topic as the broker does before creating it; return its config."""
        if not isinstance(name, str) or not name or len(name) > 249:
            raise IllegalArgumentError(f"invalid topic name {name!r}: use 1 to 249 characters")
        bad = [c for c in name if not (c.isascii() and (c.isalnum() or c in "._-"))]
        if bad or name in (".", ".."):
            raise IllegalArgumentError(
                f"invalid topic name {name!r}: use only ASCII letters, digits, '.', '_' and '-'"
            )
        if name in self.topics:
            raise TopicAlreadyExistsError(f"topic {name!r} already exists")
        if not isinstance(partitions, int) or isinstance(partitions, bool) or partitions < 1:
            raise InvalidPartitionsError(
                f"a topic needs at least 1 partition, got {partitions!r}: "
                f"create it with NewTopic({name!r}, num_partitions=3, replication_factor=1)"
            )
        if replication_factor == 0 or replication_factor < -1:
            raise InvalidReplicationFactorError(
                f"replication factor must be at least 1, got {replication_factor}: "
                "use replication_factor=1"
            )
        if self.replication is not None:
            self.replication.check_replication_factor(replication_factor)
        elif replication_factor not in (1, -1):
            raise InvalidReplicationFactorError(
                f"replication factor {replication_factor} is larger than the 1 broker "
                "available: use replication_factor=1 (or SimCluster(brokers=3) for replicas)"
            )
        return TopicConfig.from_kafka(config)

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: dict[str, object] | None = None,
    ) -> None:
        """Create a topic (what ``admin.create_topics`` does), validated as the broker does."""
        topic_config = self.validate_new_topic(name, partitions, replication_factor, config)
        self.topic_configs[name] = topic_config
        self.topics[name] = [PartitionLog(name, p, topic_config) for p in range(partitions)]
        if self.replication is not None:
            self.replication.add_topic(name, range(partitions), replication_factor, config)
        self.record_event("topic_created", topic=name, count=partitions, detail=str(config or {}))
        # Consumers learn of new topics from metadata; the simulator refreshes it at once.
        self._tell_producers(name)
        self.coordinator.metadata_changed({name})

    def delete_topic(self, name: str) -> None:
        self._logs(name)
        self.drain_producers(force=True)
        del self.topics[name]
        del self.topic_configs[name]
        if self.replication is not None:
            self.replication.remove_topic(name)
        self._tell_producers(name)
        self.record_event("topic_deleted", topic=name)
        self.coordinator.metadata_changed({name})

    def add_partitions(self, name: str, total: int) -> None:
        """Grow a topic to ``total`` partitions (Kafka can add partitions, never remove them)."""
        logs = self._logs(name)
        if total <= len(logs):
            raise InvalidPartitionsError(
                f"topic {name!r} has {len(logs)} partitions; the new count must be larger "
                f"(Kafka never removes partitions), got {total}"
            )
        config = self.topic_configs[name]
        before = len(logs)
        logs.extend(PartitionLog(name, p, config) for p in range(before, total))
        if self.replication is not None:
            self.replication.add_partitions(name, range(before, total))
        self._tell_producers(name)
        self.record_event("partitions_added", topic=name, count=total)
        self.coordinator.metadata_changed({name})

    def _tell_producers(self, topic: str) -> None:
        for producer in self._producers:
            producer._metadata_changed(topic)

    def _logs(self, topic: str) -> list[PartitionLog]:
        logs = self.topics.get(topic)
        if logs is None:
            known = ", ".join(sorted(self.topics)) or "none yet"
            raise UnknownTopicOrPartitionError(
                f"topic {topic!r} does not exist (topics: {known}); create it with "
                f"admin.create_topics([NewTopic({topic!r}, num_partitions=3, replication_factor=1)])"
            )
        return logs

    def log(self, tp: TopicPartition) -> PartitionLog:
        """The log of one partition, or UnknownTopicOrPartitionError naming the fix."""
        logs = self._logs(tp.topic)
        if not 0 <= tp.partition < len(logs):
            raise UnknownTopicOrPartitionError(
                f"topic {tp.topic!r} has partitions 0..{len(logs) - 1}; "
                f"partition {tp.partition} does not exist"
            )
        return logs[tp.partition]

    def num_partitions(self, topic: str) -> int:
        return len(self._logs(topic))

    def partition_counts(self, topics: set[str] | list[str]) -> dict[str, int]:
        """``{topic: partition count}`` for the topics that exist (a missing one has none)."""
        return {t: len(self.topics[t]) for t in sorted(topics) if t in self.topics}

    # -- brokers (with SimCluster(brokers=N): simkafka.replication) ---------------------------
    def _replication(self, what: str) -> Replication:
        if self.replication is None:
            raise IllegalArgumentError(
                f"{what}: this SimCluster is one broker; model brokers with SimCluster(brokers=3)"
            )
        return self.replication

    def stop_broker(self, broker_id: int, *, kill: bool = False) -> None:
        """Stop a broker: a controlled shutdown (its leaderships move first), or ``kill``."""
        self.drain_producers()
        self._replication("stop_broker").stop_broker(broker_id, kill=kill)
        self._fire_timers()

    def start_broker(self, broker_id: int) -> None:
        """Start a stopped broker again: it catches up, and rejoins the ISR when it has."""
        self._replication("start_broker").start_broker(broker_id)
        self._fire_timers()

    def pause_broker(self, broker_id: int) -> None:
        """Freeze a broker (as SIGSTOP, or a long GC pause): it stops fetching and heartbeating."""
        self.drain_producers()
        self._replication("pause_broker").pause_broker(broker_id)

    def resume_broker(self, broker_id: int) -> None:
        """Thaw a paused broker."""
        self._replication("resume_broker").resume_broker(broker_id)
        self._fire_timers()

    def replicas(self, topic: str) -> pd.DataFrame:
        """One row per partition: leader, leader epoch, replicas, ISR, ELR, high watermark."""
        self._logs(topic)
        self.drain_producers()
        return self._replication("replicas").frame(topic)

    def replica_logs(self, topic: str) -> pd.DataFrame:
        """One row per replica: its broker, that broker's state, its log end offset, in ISR."""
        self._logs(topic)
        self.drain_producers()
        return self._replication("replica_logs").replica_logs(topic)

    def brokers(self) -> pd.DataFrame:
        """One row per broker: id, state (up, down, paused), fenced by the controller."""
        return self._replication("brokers").brokers_frame()

    # -- clients -----------------------------------------------------------------------------
    def producer(self, **config: Any) -> SimProducer:
        """A producer with kafka-python's KafkaProducer configuration names."""
        from .clients import SimProducer

        producer = SimProducer(self, **config)
        self._producers.append(producer)
        return producer

    def consumer(self, *topics: str, **config: Any) -> SimConsumer:
        """A consumer with kafka-python's KafkaConsumer signature: topics, then configuration."""
        from .clients import SimConsumer

        return SimConsumer(self, *topics, **config)

    def share_consumer(self, *topics: str, **config: Any) -> SimShareConsumer:
        """A share-group member (KIP-932), shaped like confluent-kafka's ShareConsumer."""
        from .share import SimShareConsumer

        return SimShareConsumer(self, *topics, **config)

    def admin(self, **config: Any) -> SimAdmin:
        """An admin client with kafka-python's KafkaAdminClient method names."""
        from .clients import SimAdmin

        return SimAdmin(self, **config)

    def settle(self, *consumers: SimConsumer, max_rounds: int = 10) -> int:
        """Let each open consumer take its group-protocol turns, without fetching, until stable.

        In Kafka every member rejoins from its own poll loop; in one Python process they take
        turns. Returns the rounds it took. Records are not fetched, so none are skipped.
        """
        live = [c for c in consumers if not c._closed and c.group_id is not None]
        for rounds in range(1, max_rounds + 1):
            for c in live:
                c._group_turn()
            if all(c._is_settled() for c in live):
                return rounds
        raise IllegalArgumentError(
            f"the group did not settle in {max_rounds} rounds; is every member passed to settle()?"
        )

    def _forget_producer(self, producer: SimProducer) -> None:
        if producer in self._producers:
            self._producers.remove(producer)

    # -- the event list ------------------------------------------------------------------------
    def record_event(
        self,
        event: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
        count: int | None = None,
        group: str | None = None,
        member: str | None = None,
        generation: int | None = None,
        detail: str = "",
        time_ms: int | None = None,
    ) -> None:
        """Append one row to the event list (the only place events are kept)."""
        when = self._now if time_ms is None else time_ms
        self._events.append(
            (when, event, topic, partition, offset, count, group, member, generation, detail)
        )

    def events(self, kind: str | None = None) -> pd.DataFrame:
        """Every event so far as a DataFrame (columns EVENT_COLUMNS), optionally of one kind."""
        import pandas as pd

        self.drain_producers()
        rows = self._events if kind is None else [e for e in self._events if e[1] == kind]
        df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
        for col in ("partition", "offset", "count", "generation"):
            df[col] = df[col].astype("Int64")
        return df

    def records(self, topic: str) -> pd.DataFrame:
        """Every retained record of a topic: partition, offset, timestamp, key, value, headers."""
        import pandas as pd

        self.drain_producers()
        rows = [
            (r.partition, r.offset, r.timestamp, r.key, r.value, r.headers)
            for log in self._logs(topic)
            for r in log.all_records()
        ]
        return pd.DataFrame(
            rows, columns=["partition", "offset", "timestamp", "key", "value", "headers"]
        )

    def partitions(self, topic: str) -> pd.DataFrame:
        """One row per partition: log start and end offsets, retained records, segments, bytes.

        ``segments`` and ``bytes`` are nullable ``Int64``, as on RealCluster, where no Kafka
        API reports the segment count.
        """

        self.drain_producers()
        rows = [
            (
                log.partition,
                log.log_start_offset,
                log.log_end_offset,
                len(log),
                len(log.segments),
                log.size_bytes,
            )
            for log in self._logs(topic)
        ]
        return partitions_frame(rows)

    def group_state(self, group_id: str) -> pd.DataFrame:
        """One row per partition the group subscribes to or committed: owner, committed, lag."""
        self.drain_producers()
        group = self.coordinator.groups.get(group_id)
        if group is None:
            return group_state_frame([])
        owner = {tp: m.member_id for m in group.members.values() for tp in m.assignment}
        topics = {t for m in group.members.values() for t in m.topics} | {
            tp.topic for tp in group.offsets
        }
        rows = []
        for topic in sorted(t for t in topics if t in self.topics):
            for log in self.topics[topic]:
                tp = TopicPartition(topic, log.partition)
                committed = group.offsets.get(tp)
                end = log.log_end_offset
                lag = None if committed is None else end - committed.offset
                rows.append(
                    (
                        topic,
                        log.partition,
                        owner.get(tp),
                        None if committed is None else committed.offset,
                        end,
                        lag,
                    )
                )
        return group_state_frame(rows)

    def members(self, group_id: str) -> pd.DataFrame:
        """One row per group member: client id, instance id, generation, assigned partitions."""
        import pandas as pd

        group = self.coordinator.groups.get(group_id)
        rows = []
        if group is not None:
            for m in group.members.values():
                rows.append(
                    (
                        m.member_id,
                        m.client_id,
                        m.group_instance_id,
                        m.generation,
                        m.member_id == group.leader,
                        sorted(m.assignment),
                    )
                )
        return pd.DataFrame(
            rows,
            columns=[
                "member",
                "client_id",
                "group_instance_id",
                "generation",
                "leader",
                "assignment",
            ],
        )
