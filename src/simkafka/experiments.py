"""Experiments that run unchanged on the simulator and on a real Kafka, returning DataFrames.

The running example: an **auth service** publishes user-account events (``created``,
``renamed``, ``deleted`` ...) to a topic, keyed by account id; a **group-management service**
(the consumer group ``groups-service``) consumes them. Each experiment takes a backend,

* a ``SimCluster`` (exact, deterministic, instant), or
* a ``RealCluster`` (kafka-python against a broker; every wait bounded), or
* the strings ``"sim"`` / ``"kafka"``, which open (and afterwards close) one for the call,

uses only the kafka-python-shaped factories (``admin()``, ``producer()``, ``consumer()``) and
the backend's names (``topic_name``, ``group_name``), and returns a pandas DataFrame whose
columns are the same from both backends. What cannot agree never enters a frame: topics and
groups appear by their base names (``groups-service``, not ``simkafka-groups-service-1a2b3c4d``),
members by their role (``first``, ``second``), not their member ids, and there are no
timestamps. So ``keyed_routing(SimCluster(), ...)`` and ``keyed_routing(RealCluster(), ...)``
compare with ``DataFrame.equals``; :func:`fidelity_report` does that for every experiment.

Each frame carries ``frame.attrs["summary"]`` (the lesson in numbers) and, where records are
consumed, ``frame.attrs["check"]``: the counts of :func:`simkafka.checkers.check_delivery`.

``python -m simkafka.experiments --fidelity`` prints the fidelity table (needs a broker).
pandas is imported inside the functions, so ``import simkafka`` works without it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .clients import NewTopic
from .cluster import SimCluster
from .errors import TopicAlreadyExistsError
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

#: Anything an experiment accepts as a backend.
Backend = Any  # SimCluster | RealCluster | "sim" | "kafka"

#: How long (in the backend's milliseconds: simulated or wall clock) a consumer may read.
READ_TIMEOUT_MS = 30_000

#: A crashed member leaves its group after this long (Kafka's minimum is 6 s by default):
#: short, so that on the simulator the second member does not wait 45 simulated seconds.
SESSION_TIMEOUT_MS = 10_000

#: The events of the running example, in the order an account lives through them.
ACCOUNT_EVENTS = ("created", "email-verified", "renamed", "joined-group", "deleted")


def _require_count(name: str, value: Any, minimum: int = 0) -> None:
    """A count argument must be a whole number of at least ``minimum``; say which one is not."""
    if type(value) is not int or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")


# -- backends ----------------------------------------------------------------------------------
@contextlib.contextmanager
def open_backend(backend: Backend, seed: int = 0) -> Iterator[Any]:
    """The cluster to run on: ``"sim"`` opens ``SimCluster(seed)``, ``"kafka"`` a RealCluster.

    A cluster passed in is used as it is and left open (its owner closes it); one opened
    here is closed on exit (a RealCluster deletes its topics and groups).

    >>> with open_backend("sim", seed=3) as cluster:
    ...     type(cluster).__name__, cluster.topic_name("user-accounts")
    ('SimCluster', 'user-accounts')
    """
    if not isinstance(backend, str):
        if not all(hasattr(backend, a) for a in ("admin", "producer", "consumer", "topic_name")):
            raise ValueError(f"backend must be a cluster, 'sim' or 'kafka', got {backend!r}")
        yield backend
        return
    name = backend.strip().lower()
    if name in ("sim", "simulator"):
        yield SimCluster(seed=seed)
    elif name in ("kafka", "real", "broker"):
        from .brokers import kafka_bootstrap
        from .real import RealCluster

        with RealCluster(kafka_bootstrap()) as cluster:
            yield cluster
    else:
        raise ValueError(f"backend must be a cluster, 'sim' or 'kafka', got {backend!r}")


def _is_sim(cluster: Any) -> bool:
    return isinstance(cluster, SimCluster)


def _new_topic(cluster: Any, base: str, partitions: int) -> str:
    """Create this backend's topic for ``base`` (``base-2``, ... if an earlier call made it)."""
    admin = cluster.admin()
    for attempt in range(1, 100):
        name = cluster.topic_name(base if attempt == 1 else f"{base}-{attempt}")
        try:
            admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
            return name
        except TopicAlreadyExistsError:
            continue
    raise TopicAlreadyExistsError(f"topics {base!r} to {base}-99 all exist on this backend")


def _produce(cluster: Any, topic: str, records: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """The auth service sends ``(key, value)`` records in order; returns what was acknowledged.

    Columns ``seq, key, value, partition, offset``: the produced side of ``check_delivery``.
    """
    import pandas as pd

    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    futures = [producer.send(topic, key=k, value=v) for k, v in records]
    producer.flush()
    metadata = [f.get() for f in futures]
    producer.close()
    return pd.DataFrame(
        {
            "seq": range(len(records)),
            "key": [k for k, _ in records],
            "value": [v for _, v in records],
            "partition": [m.partition for m in metadata],
            "offset": [m.offset for m in metadata],
        }
    )


def _ends(produced: pd.DataFrame) -> dict[int, int]:
    """Each partition's log end offset after the produce (for a topic only this run wrote)."""
    return {int(p): int(o) + 1 for p, o in produced.groupby("partition")["offset"].max().items()}


def _consumer(cluster: Any, topic: str, group: str, **config: Any) -> Any:
    """A member of ``group`` (the backend's name for it), reading from the earliest offset."""
    config.setdefault("enable_auto_commit", False)
    config.setdefault("auto_offset_reset", "earliest")
    return cluster.consumer(topic, group_id=cluster.group_name(group), **config)


def _caught_up(consumer: Any, topic: str, ends: dict[int, int]) -> bool:
    """Whether the member owns every partition and its position reached each log end."""
    owned = {(tp[0], tp[1]) for tp in consumer.assignment()}
    if any((topic, p) not in owned for p in ends):
        return False
    return all(consumer.position(TopicPartition(topic, p)) >= end for p, end in ends.items())


def _polls(
    cluster: Any,
    consumer: Any,
    topic: str,
    ends: dict[int, int],
    *,
    max_records: int | None = None,
    timeout_ms: int = READ_TIMEOUT_MS,
) -> Iterator[list]:
    """Each non-empty poll's records, in delivery order, until caught up or the time is up.

    Time is the backend's: simulated on a SimCluster (a waiting poll moves its clock), the
    wall clock on a RealCluster; either way the loop ends.
    """
    deadline = cluster.now_ms + timeout_ms
    while cluster.now_ms < deadline:
        got = consumer.poll(timeout_ms=200, max_records=max_records)
        batch = [r for records in got.values() for r in records]
        if batch:
            yield batch
        if _caught_up(consumer, topic, ends):
            return


def _die(cluster: Any, consumer: Any) -> None:
    """The member's process dies: no commit.

    On the simulator ``consumer.crash()``: no commit and no LeaveGroup, so the group waits
    for the session to time out. A real client cannot crash on request; closing it with
    ``autocommit=False`` is the closest: nothing is committed, but it does send LeaveGroup, so
    the group rebalances at once instead of after ``session_timeout_ms``. What the next member
    reads (from the last committed offset) is the same either way.
    """
    if _is_sim(cluster):
        consumer.crash()
    else:
        consumer.close(autocommit=False)


def _seen_frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=list(columns))


def _check_counts(produced: pd.DataFrame, seen: pd.DataFrame) -> dict[str, int]:
    from .checkers import check_delivery

    report = check_delivery(produced, seen)
    return {c: int(n) for c, n in zip(report["check"], report["count"], strict=True)}


def _account_events(n_events: int, accounts: int = 5) -> list[tuple[str, str]]:
    """``n_events`` events of the running example, over a few accounts, values unique."""
    return [
        (f"acct-{i % accounts}", f"{ACCOUNT_EVENTS[(i // accounts) % len(ACCOUNT_EVENTS)]}#{i}")
        for i in range(n_events)
    ]


# -- 1. keys choose partitions -----------------------------------------------------------------
def keyed_routing(backend: Backend, account_ids: Iterable[Any], partitions: int) -> pd.DataFrame:
    """Where each account's events land: the partition is murmur2 of the key, mod partitions.

    The auth service keys each event by account id (``str(account_id)``, UTF-8): the key is
    what the producer hashes. Columns ``account_id, key, partition``, one row per account.

    >>> keyed_routing("sim", ["acct-0", "acct-4", "acct-1", "acct-2"], partitions=3)
      account_id        key  partition
    0     acct-0  b'acct-0'          0
    1     acct-4  b'acct-4'          1
    2     acct-1  b'acct-1'          2
    3     acct-2  b'acct-2'          2
    """
    import pandas as pd

    accounts = list(account_ids)
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        produced = _produce(cluster, topic, [(str(a), "created") for a in accounts])
    frame = pd.DataFrame(
        {
            "account_id": accounts,
            "key": [str(a).encode() for a in accounts],
            "partition": produced["partition"].tolist(),
        }
    )
    frame.attrs["summary"] = {
        "accounts": len(accounts),
        "partitions_used": int(frame["partition"].nunique()),
    }
    return frame


# -- 2. order holds per key --------------------------------------------------------------------
def order_per_key(
    backend: Backend, events: Sequence[tuple[Any, str]], partitions: int
) -> pd.DataFrame:
    """Each account's events come back in the order they were sent, across many partitions.

    ``events`` is a list of ``(account_id, event)`` in send order. One member of
    ``groups-service`` reads them all. Columns ``account_id, partition, offset, event, seq``
    (``seq``: the event's place in ``events``), sorted by partition and offset: within an
    account, ``seq`` only grows. ``frame.attrs["check"]["order_per_key"]`` is 0.

    >>> events = [("acct-1", "created"), ("acct-4", "created"), ("acct-1", "renamed"),
    ...           ("acct-4", "deleted"), ("acct-1", "deleted")]
    >>> frame = order_per_key("sim", events, partitions=3)
    >>> frame
      account_id  partition  offset    event  seq
    0     acct-4          1       0  created    1
    1     acct-4          1       1  deleted    3
    2     acct-1          2       0  created    0
    3     acct-1          2       1  renamed    2
    4     acct-1          2       2  deleted    4
    >>> frame.attrs["check"]["order_per_key"], frame.attrs["check"]["lost"]
    (0, 0)
    """
    events = list(events)
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        produced = _produce(cluster, topic, [(str(a), e) for a, e in events])
        member = _consumer(cluster, topic, "groups-service")
        where = zip(produced["partition"].tolist(), produced["offset"].tolist(), strict=True)
        seq_of = dict(zip(where, produced["seq"].tolist(), strict=True))
        rows = [
            {
                "account_id": events[seq_of[(r.partition, r.offset)]][0],
                "key": r.key.decode(),
                "partition": r.partition,
                "offset": r.offset,
                "event": r.value.decode(),
                "seq": seq_of[(r.partition, r.offset)],
            }
            for batch in _polls(cluster, member, topic, _ends(produced))
            for r in batch
        ]
        member.close()
    seen = _seen_frame(rows, ["account_id", "key", "partition", "offset", "event", "seq"])
    check = _check_counts(produced, seen.rename(columns={"event": "value"}))
    frame = seen.drop(columns="key").sort_values(["partition", "offset"], ignore_index=True)
    frame.attrs["check"] = check
    frame.attrs["summary"] = {
        "events": len(events),
        "seen": len(frame),
        "order_per_key_violations": check["order_per_key"],
    }
    return frame


# -- 3. every group reads everything -----------------------------------------------------------
def groups_read_everything(
    backend: Backend,
    n_events: int,
    groups: Sequence[str] = ("groups-service", "audit-service"),
    partitions: int = 3,
) -> pd.DataFrame:
    """Each consumer group reads the whole topic: a log is not a queue, reading removes nothing.

    The auth service sends ``n_events``; one member of each group reads until it reached the
    end of every partition. Columns ``group, records_seen, distinct_offsets, all_records``.

    >>> groups_read_everything("sim", 12)
                group  records_seen  distinct_offsets  all_records
    0  groups-service            12                12         True
    1   audit-service            12                12         True
    """
    import pandas as pd

    _require_count("n_events", n_events)
    if isinstance(groups, str) or len(set(groups)) != len(tuple(groups)):
        raise ValueError(
            f"groups must be distinct group names, e.g. ('groups-service', "
            f"'audit-service'), got {groups!r}"
        )
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        produced = _produce(cluster, topic, _account_events(n_events))
        ends = _ends(produced)
        rows = []
        checks = {}
        for group in groups:
            member = _consumer(cluster, topic, group)
            seen = _seen_frame(
                [
                    {"partition": r.partition, "offset": r.offset}
                    for batch in _polls(cluster, member, topic, ends)
                    for r in batch
                ],
                ["partition", "offset"],
            )
            member.close()
            checks[group] = check = _check_counts(produced, seen)
            distinct = len(seen.drop_duplicates())
            rows.append(
                {
                    "group": group,
                    "records_seen": len(seen),
                    "distinct_offsets": distinct,
                    "all_records": bool(distinct == n_events and check["lost"] == 0),
                }
            )
    frame = pd.DataFrame(rows, columns=["group", "records_seen", "distinct_offsets", "all_records"])
    frame.attrs["check"] = checks
    frame.attrs["summary"] = {
        "events": n_events,
        "groups_with_everything": int(frame["all_records"].sum()),
    }
    return frame


# -- 4 and 5. commits and crashes: at-least-once, at-most-once ---------------------------------
_DELIVERY_COLUMNS = ["member", "offset", "value", "delivery"]


def _deliveries(rows: list[tuple[str, Any]]) -> pd.DataFrame:
    """``(member, record)`` pairs in processing order as ``member, offset, value, delivery``."""
    times: dict[int, int] = {}
    out = []
    for member, r in rows:
        times[r.offset] = times.get(r.offset, 0) + 1
        out.append(
            {
                "member": member,
                "offset": r.offset,
                "value": r.value.decode(),
                "delivery": times[r.offset],
            }
        )
    return _seen_frame(out, _DELIVERY_COLUMNS)


def _second_member(cluster: Any, topic: str, ends: dict[int, int]) -> list[tuple[str, Any]]:
    """A new member of ``groups-service`` reads from the committed offset to the end."""
    second = _consumer(cluster, topic, "groups-service", session_timeout_ms=SESSION_TIMEOUT_MS)
    rows = [("second", r) for batch in _polls(cluster, second, topic, ends) for r in batch]
    second.close()
    return rows


def _first_member(cluster: Any, n_events: int) -> tuple[str, pd.DataFrame, dict[int, int], Any]:
    """A one-partition topic with ``n_events`` account events and the group's first member."""
    topic = _new_topic(cluster, "user-accounts", 1)
    produced = _produce(cluster, topic, _account_events(n_events))
    first = _consumer(cluster, topic, "groups-service", session_timeout_ms=SESSION_TIMEOUT_MS)
    return topic, produced, _ends(produced), first


def redelivery_after_crash(backend: Backend, n_events: int, commit_after: int) -> pd.DataFrame:
    """At-least-once: what a member processed but did not commit is delivered again.

    On a one-partition topic, the first member of ``groups-service`` (auto-commit off)
    processes all ``n_events``, commits after the first ``commit_after`` of them (offset
    ``commit_after``, the next one to read), then dies before committing the rest. On the
    simulator that is ``consumer.crash()``; on a real broker it is ``close(autocommit=False)``,
    which leaves the group without committing (a real crash would not send LeaveGroup, so the
    group would wait ``session_timeout_ms`` first; what is re-read is the same). A second
    member of the group then reads from the committed offset.

    Columns ``member, offset, value, delivery`` (1: first time, 2: again), in processing
    order. ``frame.attrs["summary"]["seen_twice"]`` is ``n_events - commit_after``: exactly
    the uncommitted records, nothing lost (``frame.attrs["check"]``).

    >>> frame = redelivery_after_crash("sim", n_events=5, commit_after=3)
    >>> frame[frame.member == "second"]
       member  offset      value  delivery
    5  second       3  created#3         2
    6  second       4  created#4         2
    >>> frame.attrs["summary"]
    {'events': 5, 'committed_offset': 3, 'seen_twice': 2, 'lost': 0}
    """
    _require_count("n_events", n_events)
    if not 0 <= commit_after <= n_events:
        raise ValueError(f"commit_after must be between 0 and n_events, got {commit_after}")
    with open_backend(backend) as cluster:
        topic, produced, ends, first = _first_member(cluster, n_events)
        rows: list[tuple[str, Any]] = []
        for batch in _polls(cluster, first, topic, ends):
            for r in batch:
                rows.append(("first", r))  # processed
                if len(rows) == commit_after:
                    first.commit({TopicPartition(topic, r.partition): r.offset + 1})
        _die(cluster, first)
        rows += _second_member(cluster, topic, ends)
    return _summarised(
        _deliveries(rows), produced, rows, committed_offset=commit_after, n_events=n_events
    )


def lost_by_committing_first(
    backend: Backend, n_events: int, batch: int, crash_after: int | None = None
) -> pd.DataFrame:
    """At-most-once: commit a batch before processing it, crash mid-batch, and records are lost.

    On a one-partition topic, the first member of ``groups-service`` polls ``batch`` records
    at a time (``max_records``), commits the position after the batch *before* processing it,
    and dies after processing ``crash_after`` records (default: halfway through the second
    batch). On the simulator that is ``consumer.crash()``; on a real broker
    ``close(autocommit=False)``, which leaves the group without committing. The second member
    starts from the committed offset: the rest of the crashed batch is never processed.

    Columns ``member, offset, value, delivery`` as in :func:`redelivery_after_crash`;
    ``frame.attrs["summary"]["lost"]`` counts the records nobody processed.

    >>> frame = lost_by_committing_first("sim", n_events=10, batch=4)
    >>> frame.offset.tolist()
    [0, 1, 2, 3, 4, 5, 8, 9]
    >>> frame.attrs["summary"]
    {'events': 10, 'committed_offset': 8, 'seen_twice': 0, 'lost': 2}
    """
    _require_count("n_events", n_events)
    _require_count("batch", batch, minimum=1)
    if crash_after is None:
        crash_after = min(batch + batch // 2, n_events)
    if not 0 <= crash_after <= n_events:
        raise ValueError(f"crash_after must be between 0 and n_events, got {crash_after}")
    with open_backend(backend) as cluster:
        topic, produced, ends, first = _first_member(cluster, n_events)
        rows: list[tuple[str, Any]] = []
        committed = 0
        if crash_after > 0:
            for records in _polls(cluster, first, topic, ends, max_records=batch):
                committed = records[-1].offset + 1
                first.commit({TopicPartition(topic, records[-1].partition): committed})
                for r in records:
                    rows.append(("first", r))  # processed, after the commit
                    if len(rows) == crash_after:
                        break
                if len(rows) == crash_after:
                    break
        _die(cluster, first)
        rows += _second_member(cluster, topic, ends)
    return _summarised(
        _deliveries(rows), produced, rows, committed_offset=committed, n_events=n_events
    )


def _summarised(
    frame: pd.DataFrame,
    produced: pd.DataFrame,
    rows: list[tuple[str, Any]],
    *,
    committed_offset: int,
    n_events: int,
) -> pd.DataFrame:
    seen = _seen_frame(
        [{"member": m, "partition": r.partition, "offset": r.offset} for m, r in rows],
        ["member", "partition", "offset"],
    )
    check = _check_counts(produced, seen)
    frame.attrs["check"] = check
    frame.attrs["summary"] = {
        "events": n_events,
        "committed_offset": committed_offset,
        "seen_twice": int((frame["delivery"] == 2).sum()),
        "lost": check["lost"],
    }
    return frame


# -- 6. a log is not a queue: the same events to Kafka and to RabbitMQ --------------------------
#: Columns of :func:`log_versus_queue`, in order.
LOG_VERSUS_QUEUE_COLUMNS = ["system", "reader", "seq", "event", "redelivered"]

#: Longest a real RabbitMQ may take to push one expected delivery (seconds).
QUEUE_WAIT_S = 5.0


@contextlib.contextmanager
def _open_queue(queue: Any, cluster: Any, seed: int = 0) -> Iterator[Any]:
    """The message queue to run on: ``"sim"`` a SimQueue, ``"real"`` a RealQueue (closed on
    exit: it deletes what it declared); ``None`` the kind that matches ``cluster``. A queue
    passed in is used as it is and left open."""
    if queue is None:
        queue = "sim" if _is_sim(cluster) else "real"
    if not isinstance(queue, str):
        yield queue
        return
    name = queue.strip().lower()
    if name in ("sim", "simulator"):
        from .queue import SimQueue

        with SimQueue(seed=seed) as mq:
            yield mq
    elif name in ("real", "rabbitmq", "broker"):
        from .brokers import rabbitmq_url
        from .real_queue import RealQueue

        with RealQueue(rabbitmq_url()) as mq:
            yield mq
    else:
        raise ValueError(f"queue must be a SimQueue, a RealQueue, 'sim' or 'real', got {queue!r}")


def _pump(mq: Any, done: Callable[[], bool], what: str) -> None:
    """Run the queue's consumer callbacks until ``done()``; bounded on a real broker.

    A SimQueue pushes at once and never waits, so if ``done()`` does not hold once its waiting
    callbacks ran, it never will.
    """
    from .queue import SimQueue

    deadline = time.monotonic() + QUEUE_WAIT_S
    while not done():
        if isinstance(mq, SimQueue):
            if mq.process_data_events() == 0:
                raise RuntimeError(f"the simulated broker delivered nothing for {what}")
        elif time.monotonic() > deadline:
            raise TimeoutError(f"RabbitMQ delivered nothing for {what} in {QUEUE_WAIT_S} s")
        else:
            mq.process_data_events(time_limit=0.5, max_messages=1, quiet=0.05)


def _event_ids(n_events: int, accounts: int = 5) -> list[tuple[str, str]]:
    """``(account, "acct-3:email-changed")`` pairs: the auth service's events, ids unique."""
    once = accounts * len(ACCOUNT_EVENTS)
    return [
        (key, f"{key}:{value.split('#')[0]}" + (f"#{i}" if i >= once else ""))
        for i, (key, value) in enumerate(_account_events(n_events, accounts))
    ]


def _log_side(cluster: Any, events: list[tuple[str, str]]) -> tuple[list[dict], dict, int]:
    """Kafka: two groups read everything and commit; then a new group replays from offset 0."""
    topic = _new_topic(cluster, "user-accounts", 1)  # one partition: one total order
    produced = _produce(cluster, topic, events)
    ends = _ends(produced)
    rows: list[dict] = []
    left = 0
    for group in ("groups-service", "audit-service", "replay"):
        member = _consumer(cluster, topic, group)
        for r in (r for batch in _polls(cluster, member, topic, ends) for r in batch):
            rows.append({"reader": group, "key": r.key.decode(), "event": r.value.decode()})
        member.commit()  # done reading: and still nothing leaves the log
        tp = TopicPartition(topic, 0)
        start = next(iter(member.beginning_offsets([tp]).values()))
        end = next(iter(member.end_offsets([tp]).values()))
        left = int(end) - int(start)
        member.close()
    return rows, {"left_after_reading": left}, len(produced)


def _fanout_side(mq: Any, events: list[tuple[str, str]]) -> tuple[list[dict], dict]:
    """RabbitMQ fanout: each bound queue gets a copy; acked copies are gone; a late queue
    gets nothing of the past."""
    key_of = {e: k for k, e in events}
    ch = mq.channel()
    ch.exchange_declare("user-accounts", exchange_type="fanout")
    readers = ("groups-service", "audit-service")
    for q in readers:
        ch.queue_declare(q)
        ch.queue_bind(q, "user-accounts")
    for key, event in events:
        ch.basic_publish("user-accounts", key, event.encode())
    rows: list[dict] = []
    for q in readers:
        for _ in range(len(events) + 1):  # bounded: one get more than was sent
            method, _, body = ch.basic_get(q)
            if method is None:
                break
            event = body.decode()
            rows.append(
                {
                    "reader": q,
                    "key": key_of[event],
                    "event": event,
                    "redelivered": bool(method.redelivered),
                }
            )
            ch.basic_ack(method.delivery_tag)  # processed: this queue's copy is gone
    late = "reporting-service"  # bound after the events were published
    ch.queue_declare(late)
    ch.queue_bind(late, "user-accounts")
    method, _, body = ch.basic_get(late)
    if method is not None:
        rows.append({"reader": late, "key": "", "event": body.decode(), "redelivered": False})
        ch.basic_ack(method.delivery_tag)
    left = sum(ch.queue_declare(q, passive=True).method.message_count for q in (*readers, late))
    ch.close()
    return rows, {"left_after_reading": int(left), "late_reader": late}


def _competing_side(mq: Any, events: list[tuple[str, str]]) -> tuple[list[dict], dict]:
    """One queue, two consumers at prefetch 1; the first crashes holding an unacked message."""
    n = len(events)
    key_of = {e: k for k, e in events}
    setup = mq.channel()
    queue = "account-events"
    setup.queue_declare(queue)
    for _, event in events:
        setup.basic_publish("", queue, event.encode())
    roles = ("first", "second")
    inbox: dict[str, deque] = {role: deque() for role in roles}
    channels = {}
    for role in roles:  # the first consumer takes event 0, the second event 1
        ch = channels[role] = mq.channel()
        ch.basic_qos(prefetch_count=1)
        ch.basic_consume(
            queue,
            lambda _ch, method, _props, body, role=role: inbox[role].append((method, body)),
        )
        _pump(mq, lambda role=role: bool(inbox[role]), f"the {role} consumer")
    crash_on = min(2, (n - 2) // 2)  # the first's 3rd message, while the second holds one
    active = list(roles)
    seen = {role: 0 for role in roles}
    acked: set[str] = set()
    rows: list[dict] = []
    turn = 0
    while len(acked) < n and active:
        role = active[turn % len(active)]
        if not inbox[role]:
            held = sum(len(inbox[o]) for o in active if o != role)
            if n - len(acked) - held <= 0:
                turn += 1
                continue
            _pump(mq, lambda role=role: bool(inbox[role]), f"the {role} consumer")
        method, body = inbox[role].popleft()
        event = body.decode()
        rows.append(
            {
                "reader": role,
                "key": key_of[event],
                "event": event,
                "redelivered": bool(method.redelivered),
            }
        )
        seen[role] += 1
        if role == "first" and seen[role] == crash_on + 1:
            channels[role].crash()  # received, never acked: the broker requeues it
            active.remove(role)
            continue
        channels[role].basic_ack(method.delivery_tag)  # processed: gone for good
        acked.add(event)
        turn += 1
    left = setup.queue_declare(queue, passive=True).method.message_count
    replayed = setup.basic_get(queue)[0] is not None  # anything of the past for a newcomer?
    for role in active:
        channels[role].close()
    setup.close()
    return rows, {"left_after_reading": int(left), "replay_possible": replayed}


def log_versus_queue(
    backend: Backend, queue: Any = None, n_events: int = 12, *, share_group: bool = False
) -> pd.DataFrame:
    """The same account events through a Kafka log and through RabbitMQ queues.

    The auth service publishes ``n_events`` user-account events keyed by account id:

    * ``kafka``: to a one-partition topic (one total order). ``groups-service`` and
      ``audit-service`` each read everything and commit; then a new group, ``replay``, reads
      from offset 0 and gets everything again: reading removes nothing from the log.
    * ``rabbitmq-fanout``: to a fanout exchange bound to the queues ``groups-service`` and
      ``audit-service``. Each queue gets its own copy; acked messages are gone (0 left), and
      ``reporting-service``, bound afterwards, gets nothing of the past: no replay.
    * ``rabbitmq-competing``: to one queue with two competing consumers at prefetch 1: each
      gets the next message only after acking its last, so they take turns. ``first`` crashes
      (``channel.crash()``) holding its third message unacked; the broker requeues it and
      ``second`` gets it with ``redelivered=True``, after a newer one: the order changes.
    * ``kafka-share-group`` (with ``share_group=True``): Kafka's own queue, a share group
      (KIP-932) with the same two competing members and the same crash: the record is
      redelivered (``delivery_count`` 2), and yet a new consumer group can still replay the
      whole log (:func:`simkafka.sharing.share_side`).

    ``cluster`` and ``queue`` are backends (``queue=None``: the kind matching ``cluster``), or
    ``log_versus_queue("sim")`` / ``log_versus_queue("real")`` opens (and cleans up) a
    SimCluster and SimQueue, or a RealCluster and RealQueue. Columns ``system, reader, seq,
    event, redelivered`` (``seq``: delivery order for that reader); ``frame.attrs["summary"]``
    per system: ``copies_per_reader``, ``left_after_reading``, ``replay_possible``,
    ``order_kept``; ``frame.attrs["check"]``: :func:`~simkafka.checkers.check_delivery`'s
    counts per reader (Kafka, fanout) and for the competing consumers together.

    >>> frame = log_versus_queue("sim", n_events=6)
    >>> frame[frame.system == "rabbitmq-competing"]
                    system  reader  seq                  event  redelivered
    30  rabbitmq-competing   first    0         acct-0:created        False
    31  rabbitmq-competing  second    0         acct-1:created        False
    32  rabbitmq-competing   first    1         acct-2:created        False
    33  rabbitmq-competing  second    1         acct-3:created        False
    34  rabbitmq-competing   first    2         acct-4:created        False
    35  rabbitmq-competing  second    2  acct-0:email-verified        False
    36  rabbitmq-competing  second    3         acct-4:created         True
    >>> {s: v["replay_possible"] for s, v in frame.attrs["summary"].items()}
    {'kafka': True, 'rabbitmq-fanout': False, 'rabbitmq-competing': False}
    """
    import pandas as pd

    if n_events < 2:
        raise ValueError(f"n_events must be at least 2 (two competing consumers), got {n_events}")
    events = _event_ids(n_events)
    publish_index = {e: i for i, (_, e) in enumerate(events)}
    if isinstance(backend, str) and queue is None:
        queue = "sim" if backend.strip().lower() in ("sim", "simulator") else "real"
    with open_backend(backend) as kafka, _open_queue(queue, kafka) as mq:
        log_rows, log_facts, _ = _log_side(kafka, events)
        fan_rows, fan_facts = _fanout_side(mq, events)
        comp_rows, comp_facts = _competing_side(mq, events)
        if share_group:
            from .sharing import share_side

            share_rows, share_facts = share_side(kafka, events)
    parts = {
        "kafka": (log_rows, ("groups-service", "audit-service", "replay")),
        "rabbitmq-fanout": (
            fan_rows,
            ("groups-service", "audit-service", fan_facts["late_reader"]),
        ),
        "rabbitmq-competing": (comp_rows, ("first", "second")),
    }
    facts = {
        "kafka": log_facts,
        "rabbitmq-fanout": fan_facts,
        "rabbitmq-competing": comp_facts,
    }
    if share_group:  # the middle column: after the log, before RabbitMQ's queues
        parts = {
            "kafka": parts["kafka"],
            "kafka-share-group": (share_rows, ("first", "second")),
            **{s: p for s, p in parts.items() if s != "kafka"},
        }
        facts["kafka-share-group"] = share_facts
    produced = pd.DataFrame({"key": [k for k, _ in events], "value": [e for _, e in events]})
    rows, summary, check = [], {}, {}
    for system, (got, readers) in parts.items():
        seqs: dict[str, int] = {}
        for r in got:
            seqs[r["reader"]] = seqs.get(r["reader"], 0) + 1
            rows.append(
                {
                    "system": system,
                    "reader": r["reader"],
                    "seq": seqs[r["reader"]] - 1,
                    "event": r["event"],
                    "redelivered": bool(r.get("redelivered", False)),
                }
            )

        def seen(of: Sequence[dict]) -> pd.DataFrame:
            return pd.DataFrame(
                {"key": [r["key"] for r in of], "value": [r["event"] for r in of]},
                columns=["key", "value"],
            )

        if system in ("rabbitmq-competing", "kafka-share-group"):  # sharing: check together
            check[system] = _check_counts(produced, seen(got))
        else:
            for reader in readers:
                check[f"{system}/{reader}"] = _check_counts(
                    produced, seen([r for r in got if r["reader"] == reader])
                )
        in_order = all(
            [publish_index[r["event"]] for r in got if r["reader"] == reader]
            == sorted(publish_index[r["event"]] for r in got if r["reader"] == reader)
            for reader in readers
        )
        summary[system] = {
            "copies_per_reader": {reader: seqs.get(reader, 0) for reader in readers},
            "left_after_reading": facts[system]["left_after_reading"],
            "replay_possible": {
                "kafka": seqs.get("replay", 0) == n_events,
                "rabbitmq-fanout": seqs.get(fan_facts["late_reader"], 0) > 0,
            }.get(system, facts[system].get("replay_possible")),
            "order_kept": in_order,
        }
    frame = pd.DataFrame(rows, columns=LOG_VERSUS_QUEUE_COLUMNS)
    frame.attrs["summary"] = summary
    frame.attrs["check"] = check
    return frame


# -- fidelity: every experiment on both backends -----------------------------------------------
def _default_runs() -> dict[str, Callable[[Any], pd.DataFrame]]:
    """The experiments with the course's arguments, as ``{name: run(cluster)}``."""
    accounts = [f"acct-{i}" for i in range(40)]
    events = [(f"acct-{i % 6}", ACCOUNT_EVENTS[i // 6 % len(ACCOUNT_EVENTS)]) for i in range(30)]
    return {
        "keyed_routing": lambda c: keyed_routing(c, accounts, partitions=7),
        "order_per_key": lambda c: order_per_key(c, events, partitions=3),
        "groups_read_everything": lambda c: groups_read_everything(c, 30),
        "redelivery_after_crash": lambda c: redelivery_after_crash(c, 10, commit_after=4),
        "lost_by_committing_first": lambda c: lost_by_committing_first(c, 10, batch=4),
        "log_versus_queue": lambda c: log_versus_queue(c, None, n_events=12),
        "group_ownership": lambda c: group_ownership(c),
        "retention_and_replay": lambda c: retention_and_replay(c, n_events=12),
    }


def _course_runs() -> dict[str, Callable[[Any], pd.DataFrame]]:
    """The course notebooks' own two-backend experiments (in the modules behind them), with
    the arguments their tests use; each module's tests also compare them one by one.

    ``rebalancing.removal_timing`` is left out: its times come from the broker's clock
    (within about a second of the simulator's; tests/test_rebalancing.py checks that).
    ``static_restart`` is compared as rebalanced yes/no (``rebalancing.rebalanced``).
    """
    from . import delivery, design, history, lag, rebalancing, routing

    accounts = [f"acct-{i}" for i in range(40)]
    events = [(f"acct-{i % 6}", ACCOUNT_EVENTS[i // 6 % len(ACCOUNT_EVENTS)]) for i in range(8)]
    return {
        "routing.account_log": lambda c: routing.account_log(c, events, delete_before={2: 2}),
        "routing.partitions_added": lambda c: routing.partitions_added(c, accounts, 3, 4),
        "routing.routing_by_client": lambda c: routing.routing_by_client(c, accounts, 6),
        "rebalancing.rebalance_timeline": lambda c: rebalancing.rebalance_timeline(c, "range"),
        "rebalancing.rebalance_timeline(cooperative)": lambda c: rebalancing.rebalance_timeline(
            c, "cooperative-sticky"
        ),
        "rebalancing.assignor_moves": lambda c: rebalancing.assignor_moves(c),
        "rebalancing.static_restart": lambda c: rebalancing.rebalanced(
            rebalancing.static_restart(c)
        ),
        "rebalancing.slow_processing": lambda c: rebalancing.slow_processing(c, 4000),
        "delivery.resume_after_crash": lambda c: delivery.resume_after_crash(c),
        "delivery.auto_commit_duplicates": lambda c: delivery.auto_commit_duplicates(c),
        "delivery.auto_commit_loses": lambda c: delivery.auto_commit_loses(c),
        "delivery.new_group_start": lambda c: delivery.new_group_start(c),
        "delivery.consumer_lag": lambda c: delivery.consumer_lag(c),
        "lag.lag_over_time": lambda c: lag.lag_over_time(c),
        "history.reset_offsets": lambda c: history.reset_offsets(c),
        "history.lost_update": lambda c: history.lost_update(c),
        "design.check_design": lambda c: design.check_design(c, design.PLAYBALL_DESIGN),
    }


def _share_runs() -> dict[str, Callable[[Any], pd.DataFrame]]:
    """The share-group experiments (``simkafka.sharing``), as what must agree: who gets which
    record depends on timing on a broker. ``lock_expiry`` is left out of the report (it waits
    the broker's 15 s minimum lock); tests/test_sharing.py compares it."""
    from . import sharing

    return {
        "sharing.work_sharing": lambda c: sharing.must_agree(sharing.work_sharing(c)),
        "sharing.acknowledgements": lambda c: sharing.acknowledgements(c),
        "sharing.crash_redelivery": lambda c: sharing.must_agree(sharing.crash_redelivery(c)),
        "log_versus_queue(share_group)": lambda c: sharing.share_column_facts(
            log_versus_queue(c, None, n_events=12, share_group=True)
        ),
    }


def frames_agree(simulated: pd.DataFrame, real: pd.DataFrame) -> bool:
    """Same columns, rows, values and summary: what the fidelity report calls agreement."""
    return (
        list(simulated.columns) == list(real.columns)
        and simulated.reset_index(drop=True).equals(real.reset_index(drop=True))
        and simulated.attrs.get("summary") == real.attrs.get("summary")
        and simulated.attrs.get("check") == real.attrs.get("check")
    )


def _describe(frame: pd.DataFrame) -> str:
    summary = frame.attrs.get("summary", {})
    return ", ".join(f"{k}={v}" for k, v in summary.items()) or f"{len(frame)} rows"


def fidelity_report(bootstrap: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Run every experiment on a SimCluster and on a real Kafka; do they tell the same story?

    Columns ``experiment, simulator, real, agree``: the simulator's and the broker's summary
    (``frame.attrs["summary"]``), and whether the whole frames (and checks) are equal.
    Needs a broker (``python -m simkafka.brokers up``); raises BrokerNotAvailableError if
    there is none.
    """
    import pandas as pd

    from .brokers import kafka_bootstrap
    from .real import RealCluster

    rows = []
    for name, run in {**_default_runs(), **_course_runs(), **_share_runs()}.items():
        simulated = run(SimCluster(seed=seed))
        # A fresh cluster each, as backend="kafka" opens: run-unique group names, so no
        # member of an earlier experiment (a crashed one waits out its session) joins in.
        with RealCluster(bootstrap or kafka_bootstrap()) as real_cluster:
            real = run(real_cluster)
            rows.append(
                {
                    "experiment": name,
                    "simulator": _describe(simulated),
                    "real": _describe(real),
                    "agree": frames_agree(simulated, real),
                }
            )
    return pd.DataFrame(rows, columns=["experiment", "simulator", "real", "agree"])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m simkafka.experiments --fidelity``: print the fidelity table; 1 if any differ."""
    parser = argparse.ArgumentParser(prog="python -m simkafka.experiments", description=__doc__)
    parser.add_argument(
        "--fidelity", action="store_true", help="run every experiment on both backends"
    )
    parser.add_argument(
        "--bootstrap", default=None, help="Kafka's host:port (default: the course's)"
    )
    args = parser.parse_args(argv)
    if not args.fidelity:
        parser.print_help()
        return 0

    from .errors import BrokerNotAvailableError
    from .queue import AMQPConnectionError

    try:
        table = fidelity_report(args.bootstrap)
    except (BrokerNotAvailableError, AMQPConnectionError) as exc:
        print(exc, file=sys.stderr)
        return 2
    # One block per experiment: some summaries are too wide for a table row.
    for row in table.itertuples(index=False):
        print(f"{row.experiment}: {'agree' if row.agree else 'DIFFER'}")
        print(f"    simulator: {row.simulator}")
        print(f"    real:      {row.real}")
    print(f"{int(table['agree'].sum())} of {len(table)} experiments agree")
    return 0 if table["agree"].all() else 1


# -- rebalancing: who owns which partition as members come and go -------------------------------
def group_ownership(
    backend: Backend,
    partitions: int = 6,
    script: Sequence[tuple[str, str]] = (
        ("join", "a"),
        ("join", "b"),
        ("join", "c"),
        ("leave", "b"),
        ("crash", "c"),
    ),
    strategy: Any = "range",
    *,
    session_timeout_ms: int = 6000,
    settle_timeout_s: float = 30.0,
) -> pd.DataFrame:
    """Members of ``groups-service`` join, leave, crash and restart; who owns each partition.

    ``script``: ``(action, member)`` steps, ``action`` one of ``join``, ``leave`` (close:
    LeaveGroup, an immediate rebalance), ``crash`` (no LeaveGroup: the group rebalances only
    when the session, ``session_timeout_ms``, expires) and ``restart``. After each step the
    group settles (see :class:`simkafka.members.GroupMembers`). One row per step and owned
    partition: ``step, action, member, generation, partition, owner``. Members are their
    names (on both backends the range assignor orders them by name: a member id starts with
    its client_id, the name); ``generation`` counts the group's generations from 1 as this
    experiment saw them (the broker's numbers depend on the group's past). A step after
    which no member is left has no rows.

    >>> frame = group_ownership("sim", partitions=3, script=[("join", "a"), ("join", "b"),
    ...                                                      ("crash", "a")])
    >>> frame
       step action member  generation  partition owner
    0     1   join      a           1          0     a
    1     1   join      a           1          1     a
    2     1   join      a           1          2     a
    3     2   join      b           2          0     a
    4     2   join      b           2          1     a
    5     2   join      b           2          2     b
    6     3  crash      a           3          0     b
    7     3  crash      a           3          1     b
    8     3  crash      a           3          2     b
    """
    import pandas as pd

    from .members import GroupMembers

    actions = ("join", "leave", "crash", "restart")
    script = [(str(a), str(m)) for a, m in script]
    for action, _ in script:
        if action not in actions:
            raise ValueError(f"unknown action {action!r}: use one of {', '.join(actions)}")
    columns = ["step", "action", "member", "generation", "partition", "owner"]
    rows = []
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        group_id = cluster.group_name("groups-service")
        with GroupMembers(
            cluster, topic, group_id, strategy=strategy, session_timeout_ms=session_timeout_ms
        ) as group:
            for step, (action, member) in enumerate(script, start=1):
                getattr(group, action)(member)
                group.settle(timeout_s=settle_timeout_s)
                for gen, partition, owner in group.ownership().itertuples(index=False):
                    rows.append((step, action, member, int(gen), int(partition), owner))
    frame = pd.DataFrame(rows, columns=columns)
    numbers = {g: i for i, g in enumerate(sorted(frame["generation"].unique()), start=1)}
    frame["generation"] = frame["generation"].map(numbers).astype("int64")
    # The listener's own rows are left out of the summary: kafka-python also calls
    # on_partitions_revoked(()) for a member that owns nothing, the simulator does not.
    frame.attrs["summary"] = {
        "steps": len(script),
        "generations": len(numbers),
        "moves": int(_moves(frame)),
    }
    return frame


def _moves(frame: pd.DataFrame) -> int:
    """How many times a partition changed owner from one step to the next."""
    owners = frame.pivot_table(index="step", columns="partition", values="owner", aggfunc="first")
    changed = owners.ne(owners.shift()) & owners.shift().notna() & owners.notna()
    return int(changed.to_numpy().sum())


# -- retention and replay: history stays until retention deletes it ----------------------------
#: Columns of :func:`retention_and_replay`, in order.
RETENTION_AND_REPLAY_COLUMNS = ["phase", "group", "first_offset", "last_offset", "records_seen"]


def _read_from_start(cluster: Any, topic: str, group: str, end: int) -> tuple[list, int]:
    """A new member of ``group`` reads partition 0 to ``end``; (records, log start offset)."""
    member = _consumer(cluster, topic, group)
    tp = TopicPartition(topic, 0)
    records = [r for batch in _polls(cluster, member, topic, {0: end}) for r in batch]
    log_start = int(member.beginning_offsets([tp])[tp])
    if records:
        member.commit({tp: records[-1].offset + 1})
    member.close()
    return records, log_start


def retention_and_replay(
    backend: Backend, n_events: int = 12, delete_before: int | None = None
) -> pd.DataFrame:
    """A log keeps history: a new service replays it, a reset re-reads it, until it is deleted.

    The auth service sends ``n_events`` to a one-partition topic. Then

    * ``replay``: a new service, the group ``audit-service`` (``auto_offset_reset="earliest"``,
      no committed offset), reads from offset 0 and sees every event; it commits its position;
    * ``reset``: with the group stopped, an admin resets its offsets to the earliest one, the
      log start offset (``reset_group_offsets``), and a new member of ``audit-service`` reads everything again;
    * ``after-retention``: the records before ``delete_before`` (default ``n_events // 2``)
      are deleted, and a newly started group, ``reporting-service`` (earliest), starts at the
      new log start offset, not at 0: what is deleted cannot be replayed.

    How the log start offset moves: with the admin's ``delete_records`` (Kafka's
    DeleteRecords), on both backends. Time-based retention on a real broker waits for
    ``log.retention.check.interval.ms`` (5 minutes by default, and the course's broker keeps
    the default), far too slow for an experiment; ``delete_records`` is deterministic and moves
    the log start offset exactly to ``delete_before``. Retention itself (whole segments
    deleted, at the broker's retention check) is shown on the simulator by
    :func:`retention_on_segments`.

    Columns ``phase, group, first_offset, last_offset, records_seen`` (groups by their base
    names); ``frame.attrs["summary"]`` has the log start offset before and after the deletion
    and the records seen per phase.

    >>> frame = retention_and_replay("sim", n_events=12)
    >>> frame
                 phase              group  first_offset  last_offset  records_seen
    0           replay      audit-service             0           11            12
    1            reset      audit-service             0           11            12
    2  after-retention  reporting-service             6           11             6
    >>> frame.attrs["summary"]["log_start_offset_after"]
    6
    """
    import pandas as pd

    if n_events < 1:
        raise ValueError(f"n_events must be at least 1, got {n_events}")
    if delete_before is None:
        delete_before = n_events // 2
    if not 0 <= delete_before <= n_events:
        raise ValueError(f"delete_before must be between 0 and n_events, got {delete_before}")
    rows = []
    starts = {}
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        _produce(cluster, topic, _account_events(n_events))
        tp = TopicPartition(topic, 0)
        admin = cluster.admin()
        for phase, group in (
            ("replay", "audit-service"),
            ("reset", "audit-service"),
            ("after-retention", "reporting-service"),
        ):
            if phase == "reset":
                # To earliest, i.e. the log start offset (an int: kafka-python's
                # reset_group_offsets takes an OffsetSpec, not the string "earliest").
                admin.reset_group_offsets(cluster.group_name(group), {tp: starts["replay"]})
            elif phase == "after-retention":
                admin.delete_records({tp: delete_before})
            records, starts[phase] = _read_from_start(cluster, topic, group, n_events)
            offsets = [r.offset for r in records]
            rows.append(
                {
                    "phase": phase,
                    "group": group,
                    "first_offset": offsets[0] if offsets else -1,
                    "last_offset": offsets[-1] if offsets else -1,
                    "records_seen": len(offsets),
                }
            )
        admin.close()
    frame = pd.DataFrame(rows, columns=RETENTION_AND_REPLAY_COLUMNS)
    frame.attrs["summary"] = {
        "events": n_events,
        "log_start_offset_before": starts["reset"],
        "log_start_offset_after": starts["after-retention"],
        "records_seen": {row["phase"]: row["records_seen"] for row in rows},
    }
    return frame


def retention_on_segments(
    n_events: int = 12,
    *,
    gap_ms: int = 10_000,
    segment_ms: int = 30_000,
    retention_ms: int = 60_000,
    check_interval_ms: int = 30_000,
    step_ms: int = 10_000,
    horizon_ms: int = 240_000,
) -> pd.DataFrame:
    """Simulator only: time-based retention deletes whole segments, at the retention check.

    The auth service sends one event every ``gap_ms`` to a one-partition topic with
    ``segment.ms`` and ``retention.ms`` as given (``retention_ms=-1``: keep forever). A
    segment rolls when a record's timestamp is more than ``segment.ms`` past the segment's
    first; a segment is deletable once its newest timestamp is more than ``retention.ms`` old,
    but it is deleted only when the broker's retention check runs (every
    ``check_interval_ms``, Kafka's ``log.retention.check.interval.ms``). The clock then moves
    on in steps of ``step_ms`` (``cluster.advance``) up to ``horizon_ms`` after the first send.

    One row per step: ``elapsed_ms`` (since the first send), ``log_start_offset``,
    ``log_end_offset``, ``segments``, ``records_retained``. The log start offset jumps from
    one segment's base offset to the next, never record by record.
    ``frame.attrs["summary"]``: ``segment_bases`` (the segments' base offsets once all events
    are in) and ``jumps``, each ``(elapsed_ms, from, to)``.

    >>> frame = retention_on_segments(12)
    >>> frame.attrs["summary"]["jumps"]
    [(120000, 0, 4), (150000, 4, 8), (180000, 8, 12)]
    >>> retention_on_segments(12, retention_ms=-1).attrs["summary"]["jumps"]
    []
    """
    if not isinstance(n_events, int) or isinstance(n_events, bool):
        raise ValueError(
            "retention_on_segments is simulator-only and takes no backend: call "
            "retention_on_segments(n_events=12); on a real broker time-based retention waits "
            "for log.retention.check.interval.ms (5 minutes by default)"
        )
    from .history import retention_timeline

    frame = retention_timeline(
        n_events,
        gap_ms=gap_ms,
        segment_ms=segment_ms,
        retention_ms=retention_ms,
        check_interval_ms=check_interval_ms,
        step_ms=step_ms,
        horizon_ms=horizon_ms,
    )
    summary = frame.attrs["summary"]
    frame = frame.drop(columns="bytes_retained")
    frame.attrs["summary"] = {k: summary[k] for k in ("segment_bases", "jumps")}
    return frame


if __name__ == "__main__":
    sys.exit(main())
