"""Offsets and delivery guarantees: where a consumer group resumes, and what it reads twice or never.

The experiments of notebook 05, each on the simulator and on a real Kafka (``backend`` first,
as in :mod:`simkafka.experiments`): a member resumes from its group's committed offset after
a crash; auto-commit (which commits, inside ``poll()``, the positions of the records earlier
polls *returned*) duplicates or loses records; a new group starts at the log end by default
(``auto_offset_reset="latest"``); consumer lag is the log end offset minus the committed one.
Frames hold no names, member ids or timestamps, so both backends give equal frames.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .experiments import (
    READ_TIMEOUT_MS,
    SESSION_TIMEOUT_MS,
    Backend,
    _account_events,
    _consumer,
    _deliveries,
    _die,
    _ends,
    _first_member,
    _new_topic,
    _polls,
    _produce,
    _require_count,
    _second_member,
    _summarised,
    open_backend,
)
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

#: Columns of the timeline the auto-commit experiments keep in ``frame.attrs["timeline"]``.
TIMELINE_COLUMNS = ["poll", "committed", "returned", "processed"]

#: Columns of :func:`new_group_start`.
NEW_GROUP_COLUMNS = ["group", "auto_offset_reset", "first_offset", "records_seen"]

#: Columns of :func:`consumer_lag`.
LAG_COLUMNS = ["step", "committed", "log_end_offset", "lag"]


def _span(offsets: Sequence[int]) -> str:
    """``"4-7"`` for consecutive offsets, ``"4"`` for one, ``"-"`` for none."""
    if not offsets:
        return "-"
    return str(offsets[0]) if len(offsets) == 1 else f"{offsets[0]}-{offsets[-1]}"


def _next_batch(cluster: Any, consumer: Any, batch: int) -> list:
    """The records of the next poll that returns any (at most ``batch``); [] on timeout."""
    deadline = cluster.now_ms + READ_TIMEOUT_MS
    while cluster.now_ms < deadline:
        got = consumer.poll(timeout_ms=200, max_records=batch)
        records = [r for rs in got.values() for r in rs]
        if records:
            return records
    return []


def _join(cluster: Any, consumer: Any, tp: TopicPartition) -> list:
    """Poll until the group assigned ``tp`` to ``consumer``; the records those polls returned."""
    deadline = cluster.now_ms + READ_TIMEOUT_MS
    records: list = []
    while tp not in consumer.assignment():
        if cluster.now_ms >= deadline:
            raise TimeoutError(f"the group did not assign {tp} within {READ_TIMEOUT_MS} ms")
        records += [r for rs in consumer.poll(timeout_ms=200).values() for r in rs]
    return records


# -- resume where the group committed ----------------------------------------------------------
def resume_after_crash(backend: Backend, n_events: int = 10, processed: int = 4) -> pd.DataFrame:
    """A member that commits after every record crashes; the next one resumes exactly there.

    On a one-partition topic the first member of ``groups-service`` processes ``processed``
    records, committing each one's offset + 1 (the *next* offset to read) right after
    processing it, then dies (as in :func:`~simkafka.experiments.redelivery_after_crash`).
    A second member starts from the committed offset: nothing twice, nothing lost.
    Columns ``member, offset, value, delivery``.

    >>> frame = resume_after_crash("sim", n_events=6, processed=4)
    >>> frame.groupby("member", sort=False)["offset"].agg(list).to_dict()
    {'first': [0, 1, 2, 3], 'second': [4, 5]}
    >>> frame.attrs["summary"]
    {'events': 6, 'committed_offset': 4, 'seen_twice': 0, 'lost': 0}
    """
    _require_count("n_events", n_events)
    if not 0 <= processed <= n_events:
        raise ValueError(f"processed must be between 0 and n_events, got {processed}")
    with open_backend(backend) as cluster:
        topic, produced, ends, first = _first_member(cluster, n_events)
        rows: list[tuple[str, Any]] = []
        if processed:
            for batch in _polls(cluster, first, topic, ends):
                for r in batch[: processed - len(rows)]:
                    rows.append(("first", r))  # processed, then committed
                    first.commit({TopicPartition(topic, r.partition): r.offset + 1})
                if len(rows) == processed:
                    break
        _die(cluster, first)
        rows += _second_member(cluster, topic, ends)
    return _summarised(
        _deliveries(rows), produced, rows, committed_offset=processed, n_events=n_events
    )


# -- auto-commit: duplicates and losses --------------------------------------------------------
def _auto_commit_run(
    backend: Backend, n_events: int, batch: int, interval_ms: int, pace: int | None, polls: int
) -> pd.DataFrame:
    """The auto-committing member polls ``polls`` times, ``interval_ms`` apart, then dies.

    ``pace=None``: it processes each batch in its poll loop before polling again.
    ``pace=k``: it hands each batch to a worker (a queue in memory) and polls on; the worker
    processes ``k`` records per loop. The group's committed offset is read after each poll:
    what auto-commit did inside that poll.
    """
    import pandas as pd

    _require_count("n_events", n_events, minimum=1)
    _require_count("batch", batch, minimum=1)
    _require_count("interval_ms", interval_ms, minimum=1)
    _require_count("polls", polls, minimum=1)
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        tp = TopicPartition(topic, 0)
        produced = _produce(cluster, topic, _account_events(n_events))
        first = _consumer(
            cluster,
            topic,
            "groups-service",
            enable_auto_commit=True,
            auto_commit_interval_ms=interval_ms,
            session_timeout_ms=SESSION_TIMEOUT_MS,
        )
        worker: deque = deque()
        rows: list[tuple[str, Any]] = []
        timeline = []
        for number in range(1, polls + 1):
            if number > 1:
                cluster.advance(interval_ms)  # the loop's work takes a while
            records = _next_batch(cluster, first, batch)
            committed = first.committed(tp)
            worker.extend(records)
            done = [worker.popleft() for _ in range(min(len(worker), pace or len(worker)))]
            rows += [("first", r) for r in done]
            timeline.append(
                {
                    "poll": number,
                    "committed": committed,
                    "returned": _span([r.offset for r in records]),
                    "processed": _span([r.offset for r in done]),
                }
            )
        committed = first.committed(tp) or 0
        _die(cluster, first)  # before its next poll: whatever is in the worker is gone
        rows += _second_member(cluster, topic, _ends(produced))
    frame = _summarised(
        _deliveries(rows), produced, rows, committed_offset=committed, n_events=n_events
    )
    steps = pd.DataFrame(timeline, columns=TIMELINE_COLUMNS)
    steps["committed"] = steps["committed"].astype("Int64")
    frame.attrs["timeline"] = steps
    return frame


def auto_commit_duplicates(
    backend: Backend, n_events: int = 10, batch: int = 4, interval_ms: int = 1000
) -> pd.DataFrame:
    """Auto-commit with processing in the poll loop: a crash re-delivers the last batch.

    The member (``enable_auto_commit=True``, ``auto_commit_interval_ms=interval_ms``) polls
    ``batch`` records, processes them, and polls again ``interval_ms`` later. Auto-commit runs
    at the start of that second poll and commits the position after the records the first
    poll returned. The member processes the second batch and crashes before its next poll, so
    that batch was processed but never committed: the next member reads it again.
    ``frame.attrs["timeline"]``: per poll, the committed offset after it, the offsets it
    returned and those processed.

    >>> frame = auto_commit_duplicates("sim")
    >>> frame.attrs["timeline"]
       poll  committed returned processed
    0     1       <NA>      0-3       0-3
    1     2          4      4-7       4-7
    >>> frame.attrs["summary"]
    {'events': 10, 'committed_offset': 4, 'seen_twice': 4, 'lost': 0}
    """
    return _auto_commit_run(backend, n_events, batch, interval_ms, pace=None, polls=2)


def auto_commit_loses(
    backend: Backend,
    n_events: int = 10,
    batch: int = 4,
    interval_ms: int = 1000,
    worker_pace: int = 2,
) -> pd.DataFrame:
    """Auto-commit with processing handed to a worker: a crash loses what the worker held.

    The poll loop hands each batch to a worker and polls again ``interval_ms`` later; the
    worker processes ``worker_pace`` records per loop, falling behind. Each later poll
    auto-commits the position after everything polls returned so far, processed or not.
    After three polls the member dies: the committed offset is past records the worker never
    processed, and the next member starts at the committed offset. Those records are lost.

    >>> frame = auto_commit_loses("sim")
    >>> frame.attrs["timeline"]
       poll  committed returned processed
    0     1       <NA>      0-3       0-1
    1     2          4      4-7       2-3
    2     3          8      8-9       4-5
    >>> frame.attrs["summary"]
    {'events': 10, 'committed_offset': 8, 'seen_twice': 0, 'lost': 2}
    """
    _require_count("worker_pace", worker_pace, minimum=1)
    return _auto_commit_run(backend, n_events, batch, interval_ms, pace=worker_pace, polls=3)


# -- a new group: auto_offset_reset ------------------------------------------------------------
def new_group_start(backend: Backend, old_events: int = 6, new_events: int = 3) -> pd.DataFrame:
    """Where a group with no committed offset starts: ``auto_offset_reset`` decides.

    The auth service has sent ``old_events``. Two new services start: a ``dashboard`` with
    the default, ``auto_offset_reset="latest"`` (start at the log end), and the
    ``audit-service``, which needs the history, with ``"earliest"`` (start at the log start).
    Once both have their start position, the auth service sends ``new_events`` more.
    Columns ``group, auto_offset_reset, first_offset, records_seen``.

    >>> new_group_start("sim")
               group auto_offset_reset  first_offset  records_seen
    0      dashboard            latest             6             3
    1  audit-service          earliest             0             9
    """
    import pandas as pd

    _require_count("old_events", old_events)
    _require_count("new_events", new_events, minimum=1)
    events = _account_events(old_events + new_events)
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        tp = TopicPartition(topic, 0)
        old = _produce(cluster, topic, events[:old_events])
        groups = {"dashboard": "latest", "audit-service": "earliest"}
        members, seen = {}, {}
        for group, reset in groups.items():
            member = cluster.consumer(
                topic,
                group_id=cluster.group_name(group),
                auto_offset_reset=reset,
                session_timeout_ms=SESSION_TIMEOUT_MS,
            )
            # Join and take a start position now, before the new events: "latest" means
            # the log end when the group first looks, not when the topic was created.
            seen[group] = _join(cluster, member, tp)
            member.position(tp)
            members[group] = member
        new = _produce(cluster, topic, events[old_events:])
        ends = {0: old_events + new_events}
        rows = []
        for group, member in members.items():
            seen[group] += [r for b in _polls(cluster, member, topic, ends) for r in b]
            offsets = [r.offset for r in seen[group]]
            member.close()
            rows.append(
                {
                    "group": group,
                    "auto_offset_reset": groups[group],
                    "first_offset": offsets[0] if offsets else -1,
                    "records_seen": len(offsets),
                }
            )
    frame = pd.DataFrame(rows, columns=NEW_GROUP_COLUMNS)
    frame.attrs["summary"] = {
        "old_events": len(old),
        "new_events": len(new),
        "seen": {row["group"]: row["records_seen"] for row in rows},
    }
    return frame


# -- consumer lag ------------------------------------------------------------------------------
def consumer_lag(
    backend: Backend, n_events: int = 12, batch: int = 4, more_events: int = 3
) -> pd.DataFrame:
    """Consumer lag is the log end offset minus the group's committed offset.

    One member of ``groups-service`` reads a one-partition topic ``batch`` records per poll
    and commits after each; the group's lag is read after each commit (``group_state``, on
    both backends from the group's committed offset and the log end offset). Then the auth
    service sends ``more_events``: the log end moves, the committed offset does not, the lag
    grows. Columns ``step, committed, log_end_offset, lag``.

    >>> consumer_lag("sim")
                    step  committed  log_end_offset  lag
    0       after poll 1          4              12    8
    1       after poll 2          8              12    4
    2       after poll 3         12              12    0
    3  after 3 new sends         12              15    3
    """
    import pandas as pd

    _require_count("n_events", n_events, minimum=1)
    _require_count("batch", batch, minimum=1)
    _require_count("more_events", more_events)
    events = _account_events(n_events + more_events)
    rows = []
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        group = cluster.group_name("groups-service")
        produced = _produce(cluster, topic, events[:n_events])
        member = _consumer(cluster, topic, "groups-service")

        def lag(step: str) -> None:
            state = cluster.group_state(group)
            # This topic's row: the group may have committed on other topics of the cluster.
            row = state[(state["topic"] == topic) & (state["partition"] == 0)].iloc[0]
            rows.append(
                {
                    "step": step,
                    "committed": int(row["committed"]),
                    "log_end_offset": int(row["log_end_offset"]),
                    "lag": int(row["lag"]),
                }
            )

        for number, records in enumerate(
            _polls(cluster, member, topic, _ends(produced), max_records=batch), start=1
        ):
            member.commit({TopicPartition(topic, 0): records[-1].offset + 1})
            lag(f"after poll {number}")
        if more_events:
            _produce(cluster, topic, events[n_events:])
            lag(f"after {more_events} new sends")
        member.close()
    frame = pd.DataFrame(rows, columns=LAG_COLUMNS)
    frame.attrs["summary"] = {"lag": frame["lag"].tolist()}
    return frame
