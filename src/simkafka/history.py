"""History in a Kafka log: how long it stays, how a group goes back in it, and what it is not.

Kafka keeps a topic's records until retention deletes whole segments (by age, ``retention.ms``,
or by size, ``retention.bytes``); a consumer group can go back by resetting its committed
offsets (the admin) or by seeking (the consumer). What a log does not give is an event store's
per-entity optimistic concurrency: :func:`lost_update` shows two writers both appending a
change built on the same version, and a reader folding the log losing one of them.

The experiments take a backend first (``"sim"``, ``"kafka"`` or a cluster), as in
:mod:`simkafka.experiments`, and return the same DataFrame from both;
:func:`retention_timeline` is simulator-only (the broker's retention check runs every 5 minutes).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .clients import NewTopic
from .cluster import SimCluster
from .experiments import (
    Backend,
    _account_events,
    _consumer,
    _new_topic,
    _polls,
    _produce,
    _require_count,
    open_backend,
)
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LOST_UPDATE_COLUMNS",
    "RESET_COLUMNS",
    "RETENTION_COLUMNS",
    "fold_accounts",
    "lost_update",
    "read_all",
    "reset_offsets",
    "retention_timeline",
]

#: Columns of :func:`retention_timeline`: those of ``retention_on_segments``, plus bytes.
RETENTION_COLUMNS = [
    "elapsed_ms",
    "log_start_offset",
    "log_end_offset",
    "segments",
    "records_retained",
    "bytes_retained",
]


# -- retention: by time and by size, whole segments at the retention check ------------------------
def retention_timeline(
    n_events: int = 12,
    *,
    gap_ms: int = 10_000,
    segment_ms: int = 30_000,
    retention_ms: int = -1,
    retention_bytes: int = -1,
    check_interval_ms: int = 30_000,
    step_ms: int = 10_000,
    horizon_ms: int = 240_000,
) -> pd.DataFrame:
    """Simulator only: the log start offset as retention (by time and/or size) deletes segments.

    The auth service sends one event every ``gap_ms`` to a one-partition topic with the given
    ``segment.ms``, ``retention.ms`` and ``retention.bytes`` (-1: no limit); then the clock
    moves on in steps of ``step_ms`` up to ``horizon_ms`` after the first send. The broker's
    retention check runs every ``check_interval_ms`` (``log.retention.check.interval.ms``).

    One row per send and per step: ``elapsed_ms, log_start_offset, log_end_offset, segments,
    records_retained, bytes_retained``. ``frame.attrs["summary"]``: ``segment_bases`` (base
    offsets of the segments once every event is in), ``segment_bytes`` (their sizes) and
    ``jumps``, each ``(elapsed_ms, from, to)``.

    By size: retention.bytes is per partition, and deletes the oldest segments while the log
    stays over it without them, so the log keeps at least ``retention.bytes`` when it can.

    >>> frame = retention_timeline(12, retention_bytes=600)
    >>> frame.attrs["summary"]["segment_bytes"]
    [332, 353, 348]
    >>> frame.attrs["summary"]["jumps"]  # 1033 bytes until the check at 120 s
    [(120000, 0, 4)]
    >>> retention_timeline(12, retention_ms=60_000).attrs["summary"]["jumps"]
    [(120000, 0, 4), (150000, 4, 8), (180000, 8, 12)]
    """
    import pandas as pd

    _require_count("n_events", n_events, minimum=1)
    cluster = SimCluster(seed=0, log_retention_check_interval_ms=check_interval_ms)
    start = cluster.now_ms
    topic = cluster.topic_name("user-accounts")
    admin = cluster.admin()
    admin.create_topics(
        [
            NewTopic(
                topic,
                num_partitions=1,
                replication_factor=1,
                topic_configs={
                    "segment.ms": segment_ms,
                    "retention.ms": retention_ms,
                    "retention.bytes": retention_bytes,
                },
            )
        ]
    )
    admin.close()
    log = cluster.log(TopicPartition(topic, 0))
    rows = []

    def row() -> None:
        rows.append(
            (
                cluster.now_ms - start,
                log.log_start_offset,
                log.log_end_offset,
                sum(1 for s in log.segments if len(s)),
                len(log),
                log.size_bytes,
            )
        )

    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    for i, (key, value) in enumerate(_account_events(n_events)):
        if i:
            cluster.advance(gap_ms)
        producer.send(topic, key=key, value=value)
        producer.flush()
        row()
    producer.close()
    live = [s for s in log.segments if len(s)]
    summary = {
        "segment_bases": [s.base_offset for s in live],
        "segment_bytes": [s.size_bytes for s in live],
    }
    while cluster.now_ms - start < horizon_ms:
        cluster.advance(min(step_ms, horizon_ms - (cluster.now_ms - start)))
        row()
    frame = pd.DataFrame(rows, columns=RETENTION_COLUMNS)
    previous = frame["log_start_offset"].shift(fill_value=0)
    moved = frame.index[frame["log_start_offset"] != previous]
    summary["jumps"] = [
        (int(frame.at[i, "elapsed_ms"]), int(previous[i]), int(frame.at[i, "log_start_offset"]))
        for i in moved
    ]
    frame.attrs["summary"] = summary
    return frame


# -- going back: reset the group's offsets, or seek ----------------------------------------------
#: Columns of :func:`reset_offsets`, in order.
RESET_COLUMNS = ["step", "how", "first_offset", "last_offset", "records_seen", "committed"]


def _refusal(call: Callable[[], Any]) -> str | None:
    """The error name an admin offset call met, or None if it was applied.

    The simulator raises; kafka-python returns the broker's error per partition (a class, or
    ``{"error": class, ...}``, ``NoError`` when applied). Both come down to the error's name.
    """
    try:
        answer = call()
    except Exception as exc:  # the simulator's UnknownMemberIdError, with the fix
        return type(exc).__name__
    for value in answer.values():
        error = value.get("error") if isinstance(value, dict) else value
        name = getattr(error, "__name__", None) if error is not None else None
        if name and name != "NoError":
            return name
    return None


def _earliest(cluster: Any) -> Any:
    """The "earliest" spec of ``reset_group_offsets`` on this backend.

    The simulator takes ``"earliest"``; kafka-python wants ``OffsetSpec.EARLIEST`` (a plain
    int, even -2, is taken as an explicit offset and clamped, not resolved).
    """
    if isinstance(cluster, SimCluster):
        return "earliest"
    from kafka.admin import OffsetSpec

    return OffsetSpec.EARLIEST


def _joined(cluster: Any, member: Any, timeout_ms: int = 30_000) -> list:
    """Poll until the member owns partitions; the records those polls returned."""
    got = []
    deadline = cluster.now_ms + timeout_ms
    while not member.assignment() and cluster.now_ms < deadline:
        got += [r for rs in member.poll(timeout_ms=200).values() for r in rs]
    return got


def reset_offsets(backend: Backend, n_events: int = 12, to_offset: int = 4) -> pd.DataFrame:
    """A group goes back in the log: the admin resets its offsets, or a member seeks.

    ``groups-service`` has read all ``n_events`` of a one-partition topic and committed. A bug
    is found in how it handled events from ``to_offset`` on, so it must process them again:

    1. ``read``: a member reads everything and commits (committed = ``n_events``);
    2. ``alter while running``: the admin's ``alter_group_offsets`` while that member is still
       in the group is refused (``UnknownMemberIdError``): stop the group first;
    3. ``alter_group_offsets``: with the group stopped the admin sets the committed offset to
       ``to_offset``; a new member starts there;
    4. ``reset_group_offsets(earliest)``: the admin resets to the log start offset; a new
       member reads everything again;
    5. ``seek``: a running member, its committed offset at the end, seeks to ``to_offset``
       and reads from there (no admin, no stopping the group).

    One row per step: ``step, how, first_offset, last_offset, records_seen, committed``
    (``committed``: the group's committed offset after the step; -1 offsets when nothing was
    read). ``frame.attrs["summary"]["refused"]`` is the error name of step 2.

    >>> print(reset_offsets("sim", n_events=12, to_offset=4).to_string())
       step                            how  first_offset  last_offset  records_seen  committed
    0     1                           read             0           11            12         12
    1     2            alter while running            -1           -1             0         12
    2     3            alter_group_offsets             4           11             8         12
    3     4  reset_group_offsets(earliest)             0           11            12         12
    4     5                           seek             4           11             8         12
    """
    import pandas as pd

    _require_count("n_events", n_events, minimum=1)
    _require_count("to_offset", to_offset)
    if to_offset > n_events:
        raise ValueError(f"to_offset must be at most n_events ({n_events}), got {to_offset}")
    rows = []
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        _produce(cluster, topic, _account_events(n_events))
        tp = TopicPartition(topic, 0)
        group = cluster.group_name("groups-service")
        admin = cluster.admin()

        def committed() -> int:
            offsets = admin.list_group_offsets(group)[group]
            found = [om.offset for p, om in offsets.items() if tuple(p) == tuple(tp)]
            return int(found[0]) if found else -1

        def read(member: Any, already: Sequence = ()) -> list:
            records = list(already)
            records += [r for b in _polls(cluster, member, topic, {0: n_events}) for r in b]
            if records:
                member.commit({tp: records[-1].offset + 1})
            return records

        def add(how: str, records: Sequence) -> None:
            offsets = [r.offset for r in records]
            rows.append(
                (
                    len(rows) + 1,
                    how,
                    offsets[0] if offsets else -1,
                    offsets[-1] if offsets else -1,
                    len(offsets),
                    committed(),
                )
            )

        member = _consumer(cluster, topic, "groups-service")
        add("read", read(member))
        refused = _refusal(lambda: admin.alter_group_offsets(group, {tp: to_offset}))
        add("alter while running", [])
        member.close()

        admin.alter_group_offsets(group, {tp: to_offset})
        member = _consumer(cluster, topic, "groups-service")
        add("alter_group_offsets", read(member))
        member.close()

        admin.reset_group_offsets(group, {tp: _earliest(cluster)})
        member = _consumer(cluster, topic, "groups-service")
        add("reset_group_offsets(earliest)", read(member))

        already = _joined(cluster, member)  # nothing: committed is at the end
        member.seek(tp, to_offset)
        add("seek", read(member, already))
        member.close()
        admin.close()
    frame = pd.DataFrame(rows, columns=RESET_COLUMNS)
    frame.attrs["summary"] = {
        "events": n_events,
        "to_offset": to_offset,
        "refused": refused,
        "records_seen": dict(zip(frame["how"], frame["records_seen"].astype(int), strict=True)),
    }
    return frame


# -- no compare-and-set per entity: the lost update --------------------------------------------------
#: Columns of :func:`lost_update`: the log as written, one row per record.
LOST_UPDATE_COLUMNS = ["offset", "writer", "based_on_version", "version", "email", "display_name"]

#: The account the two writers change, as the auth service created it.
CREATED = {"email": "ann@playball.example", "display_name": "Ann"}


def fold_accounts(values: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What a reader folding the log believes: per account, the last snapshot written wins.

    Each value is a full snapshot ``{"account", "version", "email", "display_name", ...}``,
    as services commonly publish them ("event-carried state transfer").

    >>> fold_accounts([{"account": "acct-7", "version": 1, "email": "a"},
    ...                {"account": "acct-7", "version": 2, "email": "b"}])
    {'acct-7': {'account': 'acct-7', 'version': 2, 'email': 'b'}}
    """
    state: dict[str, dict[str, Any]] = {}
    for value in values:
        state[value["account"]] = dict(value)
    return state


def lost_update(
    backend: Backend,
    *,
    interleaved: bool = True,
    changes: Sequence[tuple[str, str, str]] = (
        ("profile-service", "email", "ann@newmail.example"),
        ("support-tool", "display_name", "Ann B."),
    ),
    account: str = "acct-7",
) -> pd.DataFrame:
    """Two writers change one account from the same version; Kafka accepts both appends.

    The auth service wrote ``account`` (version 1). Each writer in ``changes`` (``writer,
    field, new value``) reads the account's latest snapshot from the topic (a consumer from
    offset 0, folding with :func:`fold_accounts`), changes one field, and appends a new full
    snapshot with ``version = read version + 1``. With ``interleaved=True`` both read before
    either writes (two services acting at the same moment); with ``False`` each reads after
    the previous one wrote.

    Kafka has no "append only if this key's last version is N": the producer cannot make an
    append conditional on what the log holds, so both appends succeed, both claim the same
    version, and the reader's fold keeps only the last one: the other change is lost.

    One row per record of the topic: ``offset, writer, based_on_version, version, email,
    display_name``. ``frame.attrs["summary"]``: ``appends_accepted``, ``final`` (the fold's
    account), ``lost`` (changes missing from it) and ``duplicate_versions``.

    >>> frame = lost_update("sim")
    >>> print(frame.to_string())
       offset           writer  based_on_version  version                 email display_name
    0       0     auth-service                 0        1  ann@playball.example          Ann
    1       1  profile-service                 1        2   ann@newmail.example          Ann
    2       2     support-tool                 1        2  ann@playball.example       Ann B.
    >>> frame.attrs["summary"]["lost"]
    ['profile-service: email=ann@newmail.example']
    >>> lost_update("sim", interleaved=False).attrs["summary"]["lost"]
    []
    """
    import pandas as pd

    if not changes:
        raise ValueError("changes must name at least one (writer, field, value)")
    for _writer, field, _value in changes:
        if field not in CREATED:
            raise ValueError(f"field {field!r}: change one of {', '.join(CREATED)}")
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        producer = cluster.producer(
            key_serializer=str.encode,
            value_serializer=lambda v: json.dumps(v, sort_keys=True).encode(),
        )
        written = 0

        def append(writer: str, based_on: int, snapshot: dict[str, Any]) -> None:
            nonlocal written
            value = dict(snapshot, account=account, writer=writer, based_on_version=based_on)
            producer.send(topic, key=account, value=value).get()
            written += 1

        def read_latest() -> dict[str, Any]:
            reader = cluster.consumer(
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                value_deserializer=lambda b: json.loads(b),
            )
            tp = TopicPartition(topic, 0)
            reader.assign([tp])
            reader.seek_to_beginning(tp)
            values = [r.value for b in _polls(cluster, reader, topic, {0: written}) for r in b]
            reader.close()
            return fold_accounts(values)[account]

        append("auth-service", 0, dict(CREATED, version=1))
        if interleaved:
            seen = [read_latest() for _ in changes]
        for i, (writer, field, new) in enumerate(changes):
            base = seen[i] if interleaved else read_latest()
            snapshot = {k: base[k] for k in CREATED} | {field: new}
            append(writer, base["version"], dict(snapshot, version=base["version"] + 1))
        producer.close()
        log = read_all(cluster, topic, written)
    frame = pd.DataFrame(
        [
            (r.offset, v["writer"], v["based_on_version"], v["version"], v["email"])
            + (v["display_name"],)
            for r, v in log
        ],
        columns=LOST_UPDATE_COLUMNS,
    )
    final = fold_accounts([v for _, v in log])[account]
    versions = frame["version"].tolist()
    frame.attrs["summary"] = {
        "appends_accepted": len(frame) - 1,
        "final": {k: final[k] for k in ("version", *CREATED)},
        "lost": [f"{w}: {f}={v}" for w, f, v in changes if final[f] != v],
        "duplicate_versions": sorted({v for v in versions if versions.count(v) > 1}),
    }
    return frame


def read_all(cluster: Any, topic: str, end: int) -> list[tuple[Any, dict[str, Any]]]:
    """Every record of partition 0 up to ``end``, with its JSON value: ``[(record, value)]``."""
    reader = cluster.consumer(auto_offset_reset="earliest", enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    reader.assign([tp])
    reader.seek_to_beginning(tp)
    records = [r for b in _polls(cluster, reader, topic, {0: end}) for r in b]
    reader.close()
    return [(r, json.loads(r.value)) for r in records]
