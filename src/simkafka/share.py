"""Share groups (KIP-932, Kafka 4.2+): Kafka's own queues, on the simulated broker.

Members of a share group read the same partitions cooperatively: each fetch *acquires*
records for a while (an acquisition lock, ``share.record.lock.duration.ms``), the member
acknowledges each one (accept, release or reject), and what is released, or whose lock
expires, is delivered again (``delivery_count`` + 1) until ``share.delivery.count.limit``,
when it is archived. The group keeps, per partition, the share-partition start offset (SPSO:
below it everything is done) and end offset (SPEO: the next record never acquired yet); the
records between them are the in-flight window, at most ``share.partition.max.record.locks``.

>>> from simkafka import SimCluster
>>> cluster = SimCluster(seed=1)
>>> cluster.create_topic("user-accounts", partitions=1)
>>> producer = cluster.producer()
>>> for i in range(3):
...     _ = producer.send("user-accounts", value=f"created#{i}".encode())
>>> configure_share_group(cluster, "groups-service", {"share.auto.offset.reset": "earliest"})
>>> a = cluster.share_consumer("user-accounts", group_id="groups-service", max_poll_records=2,
...                            share_acknowledgement_mode="explicit")
>>> b = cluster.share_consumer("user-accounts", group_id="groups-service", max_poll_records=2)
>>> [(r.offset, r.delivery_count) for r in a.poll(timeout=1)]
[(0, 1), (1, 1)]
>>> [(r.offset, r.delivery_count) for r in b.poll(timeout=1)]
[(2, 1)]
>>> a.acknowledge(a.last_poll[0], AcknowledgeType.RELEASE)  # offset 0: not now, to anyone
>>> a.acknowledge(a.last_poll[1])                           # offset 1: accepted, done
>>> _ = a.commit_sync()
>>> [(r.offset, r.delivery_count) for r in b.poll(timeout=1)]  # b's poll accepts offset 2
[(0, 2)]
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import (
    IllegalArgumentError,
    IllegalStateError,
    InvalidConfigurationError,
    InvalidRecordStateError,
    KafkaConfigurationError,
)
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

    from .cluster import SimCluster


class AcknowledgeType(enum.IntEnum):
    """How a member acknowledges a record (values as in Kafka's protocol and confluent-kafka)."""

    ACCEPT = 1  # processed: done for good
    RELEASE = 2  # not processed: available again, to any member
    REJECT = 3  # unprocessable: archived, never delivered again


class RecordState(enum.Enum):
    """A record's state in its share-partition (Kafka's ``RecordState``)."""

    AVAILABLE = "available"
    ACQUIRED = "acquired"
    ACKNOWLEDGED = "acknowledged"
    ARCHIVED = "archived"


#: Group configurations with Kafka's names and defaults (set per group with the admin's
#: incremental alter configs on the GROUP resource; here ``configure_share_group``).
SHARE_GROUP_DEFAULTS: dict[str, Any] = {
    "share.auto.offset.reset": "latest",
    "share.record.lock.duration.ms": 30_000,
    "share.delivery.count.limit": 5,
    "share.partition.max.record.locks": 2000,
    "share.session.timeout.ms": 45_000,
}

#: The broker's bounds on the group configurations (Kafka 4.3's static broker defaults:
#: ``group.share.min.record.lock.duration.ms`` is 15 s, the max 60 s, and so on).
SHARE_GROUP_BOUNDS: dict[str, tuple[int, int]] = {
    "share.record.lock.duration.ms": (15_000, 60_000),
    "share.delivery.count.limit": (2, 10),
    "share.partition.max.record.locks": (100, 10_000),
    "share.session.timeout.ms": (45_000, 60_000),
}

#: The share consumer's configuration, as ``cluster.share_consumer`` takes it.
SHARE_CONSUMER_DEFAULTS: dict[str, Any] = {
    "group_id": None,
    "client_id": "share-consumer",
    "max_poll_records": 500,
    "share_acknowledgement_mode": "implicit",
}


@dataclass(frozen=True)
class ShareRecord:
    """A record a share consumer acquired: where it is, what it holds, its delivery count."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    delivery_count: int

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


@dataclass
class _InFlight:
    state: RecordState = RecordState.AVAILABLE
    delivery_count: int = 0
    member: str | None = None
    lock_until: int | None = None


@dataclass
class SharePartition:
    """One partition as one share group sees it: SPSO, SPEO and the in-flight records."""

    topic: str
    partition: int
    start_offset: int  # SPSO: every record below it is acknowledged or archived
    end_offset: int  # SPEO: the next offset never acquired
    in_flight: dict[int, _InFlight] = field(default_factory=dict)

    def advance_start(self, log_start: int) -> None:
        """Move the SPSO past the finished records (and past records deleted from the log)."""
        if self.start_offset < log_start:
            for off in range(self.start_offset, log_start):
                self.in_flight.pop(off, None)
            self.start_offset = log_start
            self.end_offset = max(self.end_offset, log_start)
        while self.start_offset < self.end_offset:
            rec = self.in_flight.get(self.start_offset)
            if rec is None or rec.state not in (RecordState.ACKNOWLEDGED, RecordState.ARCHIVED):
                break
            del self.in_flight[self.start_offset]
            self.start_offset += 1

    def locks_held(self) -> int:
        """Records in the window not yet finished: what counts against the lock limit."""
        return (
            self.end_offset
            - self.start_offset
            - sum(
                r.state in (RecordState.ACKNOWLEDGED, RecordState.ARCHIVED)
                for r in self.in_flight.values()
            )
        )


def simple_assignment(
    members: list[str], partitions: list[TopicPartition], current: Mapping[str, set]
) -> dict[str, set[TopicPartition]]:
    """The share groups' ``simple`` assignor (Kafka 4.3, homogeneous subscriptions).

    Each partition gets ``ceil(members / partitions)`` members (the *desired sharing*), so
    with more members than partitions every member has work and a partition is shared; each
    member gets a balanced count of partitions. Existing assignments are kept where that stays
    balanced (stickiness), then revoked where a member or a partition has too many, then the
    gaps are filled. Kafka iterates hash sets where this walks members in join order and
    partitions in order, so which member gets which partition may differ from a broker's; the
    counts are the same.

    >>> tps = [TopicPartition("t", p) for p in range(2)]
    >>> sorted((m, sorted(p.partition for p in ps))
    ...        for m, ps in simple_assignment(["a", "b", "c"], tps, {}).items())
    [('a', [0, 1]), ('b', [0]), ('c', [1])]
    >>> {m: len(ps) for m, ps in simple_assignment(["a", "b"], tps[:1], {}).items()}
    {'a': 1, 'b': 1}
    """
    import math

    if not members or not partitions:
        return {m: set() for m in members}
    n_m, n_p = len(members), len(partitions)
    sharing = -(-n_m // n_p)
    precise = sharing * n_p / n_m
    desired = [math.ceil(precise * (i + 1)) - math.ceil(precise * i) for i in range(n_m)]
    target = set(partitions)
    by_member = {m: [tp for tp in sorted(current.get(m, ())) if tp in target] for m in members}
    for i, m in enumerate(members):  # revoke from members with too many
        del by_member[m][desired[i] :]
    by_partition: dict[TopicPartition, list[str]] = {tp: [] for tp in partitions}
    for m in members:
        for tp in by_member[m]:
            by_partition[tp].append(m)
    for tp, ms in by_partition.items():  # revoke from partitions shared more than desired
        for m in ms[sharing:]:
            by_member[m].remove(tp)
        del ms[sharing:]
    unfilled = [i for i, m in enumerate(members) if len(by_member[members[i]]) < desired[i]]
    cursor = 0
    for tp in partitions:
        tries = 0
        while len(by_partition[tp]) < sharing and unfilled and tries < len(unfilled):
            i = unfilled[cursor % len(unfilled)]
            m = members[i]
            if m in by_partition[tp]:
                cursor += 1
                tries += 1
                continue
            by_partition[tp].append(m)
            by_member[m].append(tp)
            tries = 0
            if len(by_member[m]) >= desired[i]:
                unfilled.remove(i)
            else:
                cursor += 1
    return {m: set(by_member[m]) for m in members}


@dataclass
class _Member:
    member_id: str
    client_id: str
    topics: set[str]
    assignment: set[TopicPartition] = field(default_factory=set)
    crashed_at: int | None = None


class ShareGroup:
    """A share group's state on the broker: config, members, assignment, share-partitions."""

    def __init__(self, broker: ShareGroups, group_id: str) -> None:
        self.broker = broker
        self.group_id = group_id
        self.config = dict(SHARE_GROUP_DEFAULTS)
        #: the configs set on this group (alter_configs), as describe_configs reports them
        self.modified: set[str] = set()
        self.members: dict[str, _Member] = {}
        self.partitions: dict[TopicPartition, SharePartition] = {}
        self.epoch = 0

    @property
    def cluster(self) -> SimCluster:
        return self.broker.cluster

    def _event(self, event: str, tp: TopicPartition | None = None, **kw: Any) -> None:
        self.cluster.record_event(
            event,
            topic=None if tp is None else tp.topic,
            partition=None if tp is None else tp.partition,
            group=self.group_id,
            **kw,
        )

    # -- membership ------------------------------------------------------------------------
    def join(self, member_id: str, client_id: str, topics: set[str]) -> None:
        self.members[member_id] = _Member(member_id, client_id, set(topics))
        self._event("share_join", member=member_id, detail=client_id)
        self.reassign()

    def leave(self, member_id: str, reason: str) -> None:
        if self.members.pop(member_id, None) is None:
            return
        self.release_member(member_id, reason)
        self._event("share_leave", member=member_id, detail=reason)
        self.reassign()

    def reassign(self) -> None:
        """Run the simple assignor over the live members (in join order)."""
        topics = sorted({t for m in self.members.values() for t in m.topics})
        tps = [
            TopicPartition(t, p)
            for t in topics
            if t in self.cluster.topics
            for p in range(self.cluster.num_partitions(t))
        ]
        ids = list(self.members)
        new = simple_assignment(ids, tps, {m: self.members[m].assignment for m in ids})
        self.epoch += 1
        for m, tps_of in new.items():
            self.members[m].assignment = tps_of
            self._event(
                "share_assign",
                member=m,
                generation=self.epoch,
                count=len(tps_of),
                detail=",".join(f"{tp.topic}-{tp.partition}" for tp in sorted(tps_of)),
            )

    # -- share-partitions --------------------------------------------------------------------
    def share_partition(self, tp: TopicPartition) -> SharePartition:
        """The group's state of ``tp``, initialised at first use from ``share.auto.offset.reset``."""
        sp = self.partitions.get(tp)
        log = self.cluster.log(tp)
        if sp is None:
            reset = self.config["share.auto.offset.reset"]
            start = log.log_start_offset if reset == "earliest" else log.high_watermark
            sp = self.partitions[tp] = SharePartition(tp.topic, tp.partition, start, start)
            self._event("share_partition_initialised", tp, offset=start, detail=reset)
        sp.advance_start(log.log_start_offset)
        return sp

    def acquire(self, member_id: str, max_records: int) -> list[ShareRecord]:
        """Acquire up to ``max_records`` for ``member_id`` from its partitions: released
        records first (lowest offsets), then new ones, within the lock limit."""
        now = self.cluster.now_ms
        lock_ms = int(self.config["share.record.lock.duration.ms"])
        limit = int(self.config["share.partition.max.record.locks"])
        out: list[ShareRecord] = []
        for tp in sorted(self.members[member_id].assignment):
            if len(out) >= max_records:
                break
            sp = self.share_partition(tp)
            log = self.cluster.log(tp)
            offsets = [
                o for o in sorted(sp.in_flight) if sp.in_flight[o].state is RecordState.AVAILABLE
            ]
            room = limit - sp.locks_held()
            new_end = min(log.high_watermark, sp.end_offset + max(room, 0))
            offsets += range(sp.end_offset, new_end)
            offsets = offsets[: max_records - len(out)]
            if not offsets:
                continue
            by_offset = {
                r.offset: r for r in log.read(min(offsets), max(offsets) - min(offsets) + 1)
            }
            for off in offsets:
                rec = sp.in_flight.setdefault(off, _InFlight())
                rec.state, rec.member, rec.lock_until = (
                    RecordState.ACQUIRED,
                    member_id,
                    now + lock_ms,
                )
                rec.delivery_count += 1
                r = by_offset[off]
                out.append(
                    ShareRecord(tp.topic, tp.partition, off, r.key, r.value, rec.delivery_count)
                )
                self._event(
                    "share_acquire",
                    tp,
                    offset=off,
                    member=member_id,
                    count=rec.delivery_count,
                    detail=f"lock until +{lock_ms} ms",
                )
            sp.end_offset = max(sp.end_offset, max(offsets) + 1)
        return out

    def has_work(self, member_id: str) -> bool:
        """Whether a fetch by ``member_id`` would acquire anything now."""
        limit = int(self.config["share.partition.max.record.locks"])
        member = self.members.get(member_id)
        for tp in sorted(member.assignment if member else ()):
            sp = self.share_partition(tp)
            if any(r.state is RecordState.AVAILABLE for r in sp.in_flight.values()):
                return True
            if sp.end_offset < self.cluster.log(tp).high_watermark and sp.locks_held() < limit:
                return True
        return False

    def acknowledge(
        self, member_id: str, tp: TopicPartition, offset: int, kind: AcknowledgeType
    ) -> InvalidRecordStateError | None:
        """Apply one acknowledgement; an error (not raised) if the member no longer holds it."""
        sp = self.share_partition(tp)
        rec = sp.in_flight.get(offset)
        if rec is None or rec.state is not RecordState.ACQUIRED or rec.member != member_id:
            return InvalidRecordStateError(
                f"record {tp.topic}-{tp.partition}@{offset} is not acquired by this member "
                "(its lock expired or it was released): it may already be with another member"
            )
        if kind is AcknowledgeType.ACCEPT:
            self._finish(sp, offset, rec, RecordState.ACKNOWLEDGED, "accept", member_id)
        elif kind is AcknowledgeType.REJECT:
            self._finish(sp, offset, rec, RecordState.ARCHIVED, "reject", member_id)
        else:
            self._make_available(sp, offset, rec, "release", member_id)
        sp.advance_start(self.cluster.log(tp).log_start_offset)
        return None

    def _finish(self, sp, offset, rec, state, how, member_id) -> None:
        rec.state, rec.member, rec.lock_until = state, None, None
        tp = TopicPartition(sp.topic, sp.partition)
        self._event(
            "share_ack", tp, offset=offset, member=member_id, count=rec.delivery_count, detail=how
        )
        if state is RecordState.ARCHIVED:
            self._event("share_archived", tp, offset=offset, count=rec.delivery_count, detail=how)

    def _make_available(self, sp, offset, rec, how, member_id) -> None:
        """Back to AVAILABLE, or ARCHIVED if it was delivered ``share.delivery.count.limit`` times."""
        tp = TopicPartition(sp.topic, sp.partition)
        self._event(
            "share_ack" if how == "release" else f"share_{how}",
            tp,
            offset=offset,
            member=member_id,
            count=rec.delivery_count,
            detail=how,
        )
        if rec.delivery_count >= int(self.config["share.delivery.count.limit"]):
            rec.state, rec.member, rec.lock_until = RecordState.ARCHIVED, None, None
            self._event(
                "share_archived",
                tp,
                offset=offset,
                count=rec.delivery_count,
                detail="delivery count limit",
            )
        else:
            rec.state, rec.member, rec.lock_until = RecordState.AVAILABLE, None, None

    def release_member(self, member_id: str, why: str) -> None:
        """The broker releases what a member holds when its connection goes (or it leaves)."""
        for sp in self.partitions.values():
            for offset, rec in sorted(sp.in_flight.items()):
                if rec.state is RecordState.ACQUIRED and rec.member == member_id:
                    self._make_available(sp, offset, rec, "released", member_id)
            sp.advance_start(
                self.cluster.log(TopicPartition(sp.topic, sp.partition)).log_start_offset
            )

    # -- timers --------------------------------------------------------------------------------
    def next_deadline(self) -> int | None:
        times = [
            r.lock_until
            for sp in self.partitions.values()
            for r in sp.in_flight.values()
            if r.lock_until is not None
        ]
        timeout = int(self.config["share.session.timeout.ms"])
        times += [m.crashed_at + timeout for m in self.members.values() if m.crashed_at is not None]
        return min(times) if times else None

    def fire_timers(self) -> None:
        now = self.cluster.now_ms
        for sp in self.partitions.values():
            for offset, rec in sorted(sp.in_flight.items()):
                if rec.lock_until is not None and rec.lock_until <= now:
                    self._make_available(sp, offset, rec, "lock_expired", rec.member)
            sp.advance_start(
                self.cluster.log(TopicPartition(sp.topic, sp.partition)).log_start_offset
            )
        timeout = int(self.config["share.session.timeout.ms"])
        for m in [m for m in self.members.values() if m.crashed_at is not None]:
            if m.crashed_at + timeout <= now:
                self.leave(m.member_id, "session timed out")

    def state(self) -> pd.DataFrame:
        """One row per share-partition: SPSO, SPEO, and in-flight records by state."""
        import pandas as pd

        rows = []
        for tp in sorted(self.partitions):
            sp = self.share_partition(tp)
            counts = {s: 0 for s in RecordState}
            for r in sp.in_flight.values():
                counts[r.state] += 1
            owners = sorted(m for m, mem in self.members.items() if tp in mem.assignment)
            rows.append(
                (
                    tp.topic,
                    tp.partition,
                    sp.start_offset,
                    sp.end_offset,
                    counts[RecordState.AVAILABLE],
                    counts[RecordState.ACQUIRED],
                    counts[RecordState.ACKNOWLEDGED],
                    counts[RecordState.ARCHIVED],
                    len(owners),
                )
            )
        return pd.DataFrame(
            rows,
            columns=[
                "topic",
                "partition",
                "start_offset",
                "end_offset",
                "available",
                "acquired",
                "acknowledged",
                "archived",
                "members",
            ],
        )


class ShareGroups:
    """The simulated broker's share-group coordinator: every share group of one SimCluster."""

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.groups: dict[str, ShareGroup] = {}

    def group(self, group_id: str) -> ShareGroup:
        if group_id not in self.groups:
            self.groups[group_id] = ShareGroup(self, group_id)
        return self.groups[group_id]

    def next_deadline(self) -> int | None:
        times = [t for g in self.groups.values() if (t := g.next_deadline()) is not None]
        return min(times) if times else None

    def fire_timers(self) -> None:
        for g in list(self.groups.values()):
            g.fire_timers()


def _share_groups(cluster: SimCluster) -> ShareGroups:
    if cluster.share_groups is None:
        cluster.share_groups = ShareGroups(cluster)
    return cluster.share_groups


def configure_share_group(cluster: Any, group_id: str, configs: Mapping[str, Any]) -> None:
    """Set share-group configs (``share.auto.offset.reset``, ``share.record.lock.duration.ms``,
    ...) on either backend, with the admin's ``alter_configs`` on the GROUP resource (on a
    broker, IncrementalAlterConfigs); ``group_id`` is the backend's name for the group. A
    value the broker refuses raises InvalidConfigurationError with its reason.

    >>> from simkafka import SimCluster
    >>> configure_share_group(SimCluster(), "g", {"share.record.lock.duration.ms": 1000})
    Traceback (most recent call last):
    ...
    simkafka.errors.InvalidConfigurationError: [Error 40] InvalidConfigurationError: share.record.lock.duration.ms=1000 is outside the broker's bounds 15000..60000: share.record.lock.duration.ms must be between group.share.min.record.lock.duration.ms and group.share.max.record.lock.duration.ms (static broker configs)
    """
    from .clients import ConfigResource, ConfigResourceType

    admin = cluster.admin()
    try:
        resource = ConfigResource(ConfigResourceType.GROUP, group_id, {**configs})
        answer = admin.alter_configs([resource])["group"][group_id]
    finally:
        admin.close()
    if answer != "OK":
        text = str(answer)
        prefix = "[Error 40] InvalidConfigurationError: "
        raise InvalidConfigurationError(text[len(prefix) :] if text.startswith(prefix) else text)


def set_share_group_config(
    cluster: SimCluster, group_id: str, configs: Mapping[str, Any], validate_only: bool = False
) -> None:
    """The simulated broker's side of ``alter_configs`` for a GROUP resource: each value
    checked as Kafka 4.3.1 checks it, all or nothing."""
    checked = {}
    for name, value in configs.items():
        if name not in SHARE_GROUP_DEFAULTS:
            raise InvalidConfigurationError(
                f"unknown share group config {name!r}: use one of {', '.join(SHARE_GROUP_DEFAULTS)}"
            )
        if name == "share.auto.offset.reset":
            if value not in ("earliest", "latest"):
                raise InvalidConfigurationError(
                    f"share.auto.offset.reset must be 'earliest' or 'latest', got {value!r}"
                )
        else:
            lo, hi = SHARE_GROUP_BOUNDS[name]
            value = int(value)
            if not lo <= value <= hi:
                raise InvalidConfigurationError(
                    f"{name}={value} is outside the broker's bounds {lo}..{hi}: {name} must be "
                    f"between group.{name.replace('share.', 'share.min.', 1)} and "
                    f"group.{name.replace('share.', 'share.max.', 1)} (static broker configs)"
                )
        checked[name] = value
    if validate_only:
        return
    group = _share_groups(cluster).group(group_id)
    for name, value in checked.items():
        group.config[name] = value
        group.modified.add(name)
        cluster.record_event("share_group_config", group=group_id, detail=f"{name}={value}")


def share_group_configs(
    cluster: SimCluster, group_id: str, modified_only: bool = True
) -> dict[str, tuple[Any, bool]]:
    """``{config: (value, set on the group?)}`` for a share group (defaults for an unknown one)."""
    groups = cluster.share_groups
    group = None if groups is None else groups.groups.get(group_id)
    config = SHARE_GROUP_DEFAULTS if group is None else group.config
    modified = set() if group is None else group.modified
    return {k: (v, k in modified) for k, v in config.items() if not modified_only or k in modified}


class _ShareConsumerBase:
    """What the simulator's share consumer and the real one's adapter share."""

    config: dict[str, Any]
    _closed: bool

    @property
    def group_id(self) -> str:
        return self.config["group_id"]

    def _check_open(self) -> None:
        if self._closed:
            raise IllegalStateError(
                "this share consumer is closed; create a new one with cluster.share_consumer()"
            )


class SimShareConsumer(_ShareConsumerBase):
    """A share consumer shaped like confluent-kafka's ``ShareConsumer``.

    ``poll(timeout)`` (seconds) returns a list of :class:`ShareRecord`. In ``explicit``
    acknowledgement mode every record of a poll must be acknowledged (``acknowledge(record,
    AcknowledgeType.X)``) before the next poll; in ``implicit`` mode (the default) the next
    poll or ``commit_sync`` accepts what the last poll returned. Acknowledgements reach the
    broker on the next ``poll``, ``commit_sync`` or ``close``.
    """

    _kind = "share_consumer"

    def __init__(self, cluster: SimCluster, *topics: str, **config: Any) -> None:
        unknown = sorted(set(config) - set(SHARE_CONSUMER_DEFAULTS))
        if unknown:
            raise KafkaConfigurationError(
                f"unknown share consumer configuration {', '.join(unknown)}; use "
                f"{', '.join(sorted(SHARE_CONSUMER_DEFAULTS))}"
            )
        self.config = {**SHARE_CONSUMER_DEFAULTS, **config}
        if not self.config["group_id"]:
            raise KafkaConfigurationError("a share consumer needs group_id=...")
        if self.config["share_acknowledgement_mode"] not in ("implicit", "explicit"):
            raise KafkaConfigurationError(
                "share_acknowledgement_mode must be 'implicit' or 'explicit', got "
                f"{self.config['share_acknowledgement_mode']!r}"
            )
        self._cluster = cluster
        self._group = _share_groups(cluster).group(self.config["group_id"])
        n = cluster.next_client_number()
        self.member_id = f"{self.config['client_id']}-{n}-{cluster.uuid()}"
        self._topics: set[str] = set()
        self._pending: dict[tuple[TopicPartition, int], AcknowledgeType] = {}
        self.last_poll: list[ShareRecord] = []
        self._closed = False
        self._joined = False
        if topics:
            self.subscribe(list(topics))

    def subscribe(self, topics: Iterable[str]) -> None:
        self._check_open()
        self._topics = set(topics)
        if self._joined:
            self._group.members[self.member_id].topics = set(self._topics)
            self._group.reassign()

    def subscription(self) -> list[str]:
        return sorted(self._topics)

    def assignment(self) -> set[TopicPartition]:
        member = self._group.members.get(self.member_id)
        return set() if member is None else set(member.assignment)

    def acknowledge(
        self, record: ShareRecord, ack_type: AcknowledgeType = AcknowledgeType.ACCEPT
    ) -> None:
        """Mark one polled record accepted, released or rejected (sent with the next call)."""
        self._check_open()
        if self.config["share_acknowledgement_mode"] != "explicit":
            raise IllegalStateError(
                "acknowledge() needs share_acknowledgement_mode='explicit' (implicit mode "
                "accepts every record of a poll at the next poll)"
            )
        self._pending[(record.topic_partition, record.offset)] = AcknowledgeType(ack_type)

    def _send_acks(self) -> dict[TopicPartition, Exception | None]:
        if self.config["share_acknowledgement_mode"] == "implicit":
            for r in self.last_poll:
                self._pending.setdefault((r.topic_partition, r.offset), AcknowledgeType.ACCEPT)
        results: dict[TopicPartition, Exception | None] = {}
        for (tp, offset), kind in sorted(self._pending.items()):
            err = self._group.acknowledge(self.member_id, tp, offset, kind)
            if results.get(tp) is None:
                results[tp] = err
        self._pending.clear()
        self.last_poll = []
        return results

    def poll(self, timeout: float = 0) -> list[ShareRecord]:
        """Acknowledge what is pending, then acquire records, waiting up to ``timeout`` seconds
        of simulated time for some to become available (new records, released, lock expired)."""
        self._check_open()
        if not self._topics:
            raise IllegalStateError("subscribe to a topic before poll(): consumer.subscribe([...])")
        if self.config["share_acknowledgement_mode"] == "explicit":
            missing = [
                r for r in self.last_poll if (r.topic_partition, r.offset) not in self._pending
            ]
            if missing:
                raise IllegalStateError(
                    f"{len(missing)} records of the last poll are not acknowledged: in explicit "
                    "mode acknowledge(record, type) each one before polling again"
                )
        if not self._joined:
            self._group.join(self.member_id, self.config["client_id"], self._topics)
            self._joined = True
        self._send_acks()
        max_records = int(self.config["max_poll_records"])
        group, me = self._group, self.member_id
        if timeout > 0 and not group.has_work(me):
            deadline = self._cluster.now_ms + int(timeout * 1000)
            self._cluster.advance_to(deadline, until=lambda: group.has_work(me))
        got = group.acquire(me, max_records)
        self.last_poll = got
        return list(got)

    def commit_sync(self, timeout: float | None = None) -> dict[TopicPartition, Exception | None]:
        """Send the pending acknowledgements; per partition ``None`` or the broker's error."""
        self._check_open()
        return self._send_acks()

    def close(self) -> None:
        """Send pending acknowledgements and leave the group (what is still held is released)."""
        if self._closed:
            return
        if self._joined:
            self._send_acks()
            self._group.leave(self.member_id, "the consumer closed")
        self._closed = True

    def crash(self) -> None:
        """The process dies: pending acknowledgements are lost; its connection drops, so the
        broker releases its acquired records at once; the member stays in the group (holding
        its partitions) until ``share.session.timeout.ms`` expires."""
        self._check_open()
        if self._joined:
            self._group.release_member(self.member_id, "connection closed")
            self._group.members[self.member_id].crashed_at = self._cluster.now_ms
            self._cluster.record_event("share_crash", group=self.group_id, member=self.member_id)
        self._pending.clear()
        self._closed = True

    def __enter__(self) -> SimShareConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def share_group_state(cluster: SimCluster, group_id: str) -> pd.DataFrame:
    """The simulator's share-partitions of a group (see :meth:`ShareGroup.state`)."""
    groups = cluster.share_groups
    if groups is None or group_id not in groups.groups:
        raise IllegalArgumentError(f"no share group {group_id!r} on this cluster yet")
    return groups.groups[group_id].state()
