"""Share-group experiments (notebook 11), the same tables on the simulator and the real broker.

A share group (KIP-932) is Kafka's own queue: its members read the same partitions, each
record goes to one of them at a time, and each is acknowledged on its own. The experiments:

* :func:`work_sharing`: three members, one partition: a consumer group gives the partition
  to one member, a share group to all three;
* :func:`acknowledgements`: accept, release (delivered again, ``delivery_count`` 2) and
  reject, and a record released until ``share.delivery.count.limit`` archives it;
* :func:`crash_redelivery`: a member crashes holding records; another gets exactly those
  again, with delivery count 2;
* :func:`lock_expiry`: a member that stops without acknowledging loses its records when
  the acquisition lock (``share.record.lock.duration.ms``) runs out.

Who gets which record depends on timing on a real broker, so :func:`must_agree` reduces a
frame to what must agree between the backends (every record processed, the redelivery
counts, no partition exclusivity); the fidelity report compares that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .experiments import Backend, _account_events, _consumer, _new_topic, open_backend
from .share import AcknowledgeType, configure_share_group

if TYPE_CHECKING:
    import pandas as pd

#: Columns of the per-record tables.
SHARE_COLUMNS = ["system", "member", "partition", "offset", "value", "delivery_count"]
#: How long, in the backend's time, a loop waits for records (simulated or wall clock).
WAIT_MS = 30_000


def _is_sim(cluster: Any) -> bool:
    return hasattr(cluster, "share_groups")


def _produce_each(cluster: Any, topic: str, events: list[tuple[str, str]]) -> None:
    """One record per request: the broker acquires whole record batches where it can, so a
    batch of twelve would go to one member; one record per batch lets members share them."""
    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    for key, value in events:
        producer.send(topic, key=key, value=value)
        producer.flush()
    producer.close()


def _share_setup(
    cluster: Any, n_events: int, partitions: int = 1, **group_config: Any
) -> tuple[str, str]:
    """A topic with ``n_events`` account events (round-robin over partitions) and a share group
    that starts from the earliest offset (a new share group starts at the end by default)."""
    topic = _new_topic(cluster, "user-accounts", partitions)
    events = _account_events(n_events)
    if partitions > 1:
        producer = cluster.producer(value_serializer=str.encode)
        for i, (_, value) in enumerate(events):
            producer.send(topic, value=value, partition=i % partitions)
            producer.flush()
        producer.close()
    else:
        _produce_each(cluster, topic, events)
    group = cluster.group_name("groups-service")
    configure_share_group(cluster, group, {"share.auto.offset.reset": "earliest", **group_config})
    return topic, group


def _member(cluster: Any, topic: str, group: str, **config: Any) -> Any:
    config.setdefault("share_acknowledgement_mode", "explicit")
    return cluster.share_consumer(topic, group_id=group, **config)


def _row(system: str, member: str, r: Any) -> dict:
    value = r.value.decode() if isinstance(r.value, bytes) else r.value
    return {
        "system": system,
        "member": member,
        "partition": int(r.partition),
        "offset": int(r.offset),
        "value": value,
        "delivery_count": int(getattr(r, "delivery_count", 1)),
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


def _first_records(cluster: Any, member: Any, timeout_ms: int = WAIT_MS) -> list:
    """The first non-empty poll's records (a real member takes seconds to join)."""
    deadline = cluster.now_ms + timeout_ms
    while cluster.now_ms < deadline:
        got = member.poll(timeout=0.5)
        if got:
            return got
    return []


def _until(cluster: Any, done: Any, step: Any, timeout_ms: int = WAIT_MS) -> None:
    """Call ``step()`` until ``done()`` or the backend's clock passed ``timeout_ms``."""
    deadline = cluster.now_ms + timeout_ms
    while not done() and cluster.now_ms < deadline:
        step()


# -- 1. work sharing ------------------------------------------------------------------------
def work_sharing(
    backend: Backend, n_events: int = 12, members: int = 3, partitions: int = 1
) -> pd.DataFrame:
    """``members`` readers of a ``partitions``-partition topic, as a consumer group and as a
    share group; who processed which record.

    Each share-group member polls in turn (``max_poll_records=2``) and accepts what it got.
    The consumer group's members read in turn too, but only the partitions' owners get
    anything: one member per partition. Columns :data:`SHARE_COLUMNS` (``system``
    ``consumer-group`` or ``share-group``); ``frame.attrs["summary"]`` per system:
    ``members_with_work``, ``members_per_partition`` and ``processed_once``.

    >>> frame = work_sharing("sim", n_events=6)
    >>> frame[frame.system == "share-group"][["member", "offset", "delivery_count"]]
          member  offset  delivery_count
    6   member-1       0               1
    7   member-1       1               1
    8   member-2       2               1
    9   member-2       3               1
    10  member-3       4               1
    11  member-3       5               1
    >>> {s: v["members_with_work"] for s, v in frame.attrs["summary"].items()}
    {'consumer-group': 1, 'share-group': 3}
    """
    rows: list[dict] = []
    names = [f"member-{i + 1}" for i in range(members)]
    with open_backend(backend) as cluster:
        topic, share_group = _share_setup(cluster, n_events, partitions)
        group_members = [_consumer(cluster, topic, "groups-service-cg") for _ in names]
        cluster.settle(*group_members)
        seen_cg: list[dict] = []

        def cg_turn() -> None:
            for name, c in zip(names, group_members, strict=True):
                for records in c.poll(timeout_ms=200).values():
                    seen_cg.extend(_row("consumer-group", name, r) for r in records)

        _until(cluster, lambda: len(seen_cg) >= n_events, cg_turn)
        for c in group_members:
            c.close()
        rows += sorted(seen_cg, key=lambda r: (r["partition"], r["offset"]))
        share_members = [_member(cluster, topic, share_group, max_poll_records=2) for _ in names]
        seen_sg: list[dict] = []

        def sg_turn() -> None:
            for name, m in zip(names, share_members, strict=True):
                got = m.poll(timeout=0.5)
                for r in got:
                    seen_sg.append(_row("share-group", name, r))
                    m.acknowledge(r)
                if got:
                    m.commit_sync()

        _until(cluster, lambda: len(seen_sg) >= n_events, sg_turn)
        for m in share_members:
            m.close()
        rows += seen_sg
    frame = _frame(rows)
    frame.attrs["summary"] = {
        system: _sharing_summary(frame[frame.system == system], n_events, partitions)
        for system in ("consumer-group", "share-group")
    }
    return frame


def _sharing_summary(part: pd.DataFrame, n_events: int, partitions: int) -> dict:
    per_partition = part.groupby("partition")["member"].nunique()
    return {
        "members_with_work": int(part["member"].nunique()),
        "members_per_partition": {p: int(per_partition.get(p, 0)) for p in range(partitions)},
        "processed_once": sorted(part["offset"].tolist()) == list(range(n_events))
        if partitions == 1
        else len(part) == n_events,
    }


# -- 2. acknowledgements --------------------------------------------------------------------
#: Columns of :func:`acknowledgements`.
ACK_COLUMNS = ["round", "offset", "value", "delivery_count", "ack"]


def acknowledgements(backend: Backend, delivery_count_limit: int = 2) -> pd.DataFrame:
    """One member acknowledges three records: accept, release, reject; released ones come back.

    The member accepts offset 0, rejects offset 2, and releases offset 1 every time it gets
    it: it is delivered again (``delivery_count`` 2, 3, ...) until ``delivery_count_limit``
    (the group's ``share.delivery.count.limit``, at least 2), then archived: never again.
    One row per delivery: ``round, offset, value, delivery_count, ack``.

    >>> acknowledgements("sim")
       round  offset      value  delivery_count      ack
    0      1       0  created#0               1   accept
    1      1       1  created#1               1  release
    2      1       2  created#2               1   reject
    3      2       1  created#1               2  release
    >>> acknowledgements("sim").attrs["summary"]
    {'delivered': 4, 'archived_after': 2, 'accepted': [0], 'rejected': [2]}
    """
    import pandas as pd

    choice = {0: AcknowledgeType.ACCEPT, 1: AcknowledgeType.RELEASE, 2: AcknowledgeType.REJECT}
    rows = []
    with open_backend(backend) as cluster:
        topic, group = _share_setup(
            cluster, 3, **{"share.delivery.count.limit": delivery_count_limit}
        )
        member = _member(cluster, topic, group)
        rounds = 0
        # Wait long for the first round (a real member joins in a few seconds), then a
        # little for each redelivery; stop when a round brings nothing.
        wait = WAIT_MS
        while rounds <= delivery_count_limit:
            got = _first_records(cluster, member, wait)
            if not got:
                break
            rounds += 1
            for r in got:
                ack = choice[r.offset]
                member.acknowledge(r, ack)
                rows.append(
                    (rounds, r.offset, r.value.decode(), r.delivery_count, ack.name.lower())
                )
            member.commit_sync()
            wait = 3000
        member.close()
    frame = pd.DataFrame(rows, columns=ACK_COLUMNS)
    frame.attrs["summary"] = {
        "delivered": len(frame),
        "archived_after": int(frame[frame.offset == 1]["delivery_count"].max()),
        "accepted": sorted(frame[frame.ack == "accept"]["offset"].tolist()),
        "rejected": sorted(frame[frame.ack == "reject"]["offset"].tolist()),
    }
    return frame


# -- 3. a crash -----------------------------------------------------------------------------
def crash_redelivery(
    backend: Backend, n_events: int = 6, held: int = 3, accepted: int = 1
) -> pd.DataFrame:
    """A member acquires ``held`` records, accepts the first ``accepted``, and crashes.

    On the simulator ``crash()``: the connection drops, and the broker releases what the
    member held at once (it stays a member until ``share.session.timeout.ms``). On a real
    broker the member is closed without acknowledging the rest; the broker releases its
    records as it leaves. Either way a second member gets exactly the unacknowledged records
    again, with ``delivery_count`` 2, and the others once.

    >>> frame = crash_redelivery("sim")
    >>> frame[["member", "offset", "delivery_count"]].values.tolist()
    [['first', 0, 1], ['first', 1, 1], ['first', 2, 1], ['second', 1, 2], ['second', 2, 2], ['second', 3, 1], ['second', 4, 1], ['second', 5, 1]]
    >>> frame.attrs["summary"]
    {'events': 6, 'redelivered': [1, 2], 'delivery_counts': {1: 6, 2: 2}, 'processed': 6}
    """
    if not 0 <= accepted <= held <= n_events:
        raise ValueError(f"need 0 <= accepted <= held <= n_events, got {accepted}, {held}")
    rows: list[dict] = []
    with open_backend(backend) as cluster:
        topic, group = _share_setup(cluster, n_events)
        first = _member(cluster, topic, group, max_poll_records=held)
        got = _first_records(cluster, first)
        for i, r in enumerate(got):
            rows.append(_row("share-group", "first", r))
            if i < accepted:
                first.acknowledge(r)
        first.commit_sync()
        _die(cluster, first)
        second = _member(cluster, topic, group)
        done: set[int] = {r["offset"] for r in rows[:accepted]}

        def step() -> None:
            got = second.poll(timeout=0.5)
            for r in got:
                rows.append(_row("share-group", "second", r))
                second.acknowledge(r)
                done.add(r.offset)
            if got:
                second.commit_sync()

        _until(cluster, lambda: len(done) >= n_events, step)
        second.close()
    frame = _frame(rows).drop(columns="system")
    second_rows = frame[frame.member == "second"]
    counts = frame["delivery_count"].value_counts()
    frame.attrs["summary"] = {
        "events": n_events,
        "redelivered": sorted(second_rows[second_rows.delivery_count > 1]["offset"].tolist()),
        "delivery_counts": {int(k): int(v) for k, v in sorted(counts.items())},
        "processed": int(frame["offset"].nunique()),
    }
    return frame


def _die(cluster: Any, member: Any) -> None:
    """The member's process dies without acknowledging (see :func:`crash_redelivery`)."""
    if _is_sim(cluster):
        member.crash()
    else:
        member.close()


# -- 4. the acquisition lock ------------------------------------------------------------------
def lock_expiry(backend: Backend, n_events: int = 3, lock_ms: int = 15_000) -> pd.DataFrame:
    """A member acquires records and stalls (alive, not acknowledging): when the lock runs out
    (``share.record.lock.duration.ms``, at least 15 s on the broker) another member gets them.

    Columns ``member, offset, delivery_count, after_ms`` (``after_ms``: since the stalled
    member acquired, rounded down to seconds; on a real broker the wait is the lock plus
    the broker's timer granularity).

    >>> lock_expiry("sim")[["member", "offset", "delivery_count", "after_ms"]]
        member  offset  delivery_count  after_ms
    0  stalled       0               1         0
    1  stalled       1               1         0
    2  stalled       2               1         0
    3  patient       0               2     15000
    4  patient       1               2     15000
    5  patient       2               2     15000
    """
    import pandas as pd

    rows = []
    with open_backend(backend) as cluster:
        topic, group = _share_setup(cluster, n_events, **{"share.record.lock.duration.ms": lock_ms})
        stalled = _member(cluster, topic, group)
        got = _first_records(cluster, stalled)
        t0 = cluster.now_ms
        rows += [("stalled", r.offset, r.delivery_count, 0) for r in got]
        patient = _member(cluster, topic, group)
        again: list = []

        def step() -> None:
            for r in patient.poll(timeout=0.5):
                again.append(r)
                rows.append(
                    ("patient", r.offset, r.delivery_count, (cluster.now_ms - t0) // 1000 * 1000)
                )
                patient.acknowledge(r)
            patient.commit_sync()

        _until(cluster, lambda: len(again) >= len(got), step, lock_ms + WAIT_MS)
        patient.close()
        for r in got:
            stalled.acknowledge(r, AcknowledgeType.RELEASE)
        stalled.close()  # its acknowledgements come too late: the records are done
    frame = pd.DataFrame(rows, columns=["member", "offset", "delivery_count", "after_ms"])
    late = frame[frame.member == "patient"]
    frame.attrs["summary"] = {
        "redelivered": sorted(late["offset"].tolist()),
        "after_lock": bool((late["after_ms"] >= lock_ms).all()),
    }
    return frame


# -- what must agree between the backends ------------------------------------------------------
def must_agree(frame: pd.DataFrame) -> pd.DataFrame:
    """The facts of a share-group experiment that the simulator and a broker must share.

    Which member gets which record depends on timing on a real broker; these do not: every
    record processed, how many members had work and per partition (no exclusivity in a share
    group), and the redelivery counts. One row per fact: ``fact, value`` (values as text).

    >>> must_agree(crash_redelivery("sim"))
                  fact         value
    0           events             6
    1      redelivered        [1, 2]
    2  delivery_counts  {1: 6, 2: 2}
    3        processed             6
    """
    import pandas as pd

    summary = frame.attrs.get("summary", {})
    rows = []
    for key, value in summary.items():
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            rows += [(f"{key}.{k}", str(v)) for k, v in value.items()]
        else:
            rows.append((key, str(value)))
    out = pd.DataFrame(rows, columns=["fact", "value"])
    out.attrs["summary"] = dict(rows)
    return out


def real_broker_share_version(bootstrap: str) -> int:
    """The broker's finalized ``share.version`` feature level (1: share groups enabled)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        features = admin.describe_features()
    finally:
        admin.close()
    finalized = features.get("share.version", {}).get("finalized")
    return 0 if not finalized else int(finalized[1])


# -- the fourth column of log_versus_queue ----------------------------------------------------
def share_side(cluster: Any, events: list[tuple[str, str]]) -> tuple[list[dict], dict]:
    """Kafka's share group as :func:`simkafka.experiments.log_versus_queue` runs it: the
    RabbitMQ competing-consumers scenario on a one-partition topic.

    Two members (``max_poll_records=1``) take turns, each accepting its record before its
    next poll; ``first`` crashes holding its third record, which the broker releases and
    ``second`` gets again (``delivery_count`` 2). Then a new consumer group reads the topic
    from offset 0: the log still holds every event.
    """
    from .records import TopicPartition

    n = len(events)
    topic = _new_topic(cluster, "user-accounts-shared", 1)
    _produce_each(cluster, topic, events)
    group = cluster.group_name("groups-service-share")
    configure_share_group(cluster, group, {"share.auto.offset.reset": "earliest"})
    # The second member joins once the first has its first record, as RabbitMQ's second
    # consumer starts after the first took a message: a real member takes seconds to join.
    members = {"first": _member(cluster, topic, group, max_poll_records=1)}
    pending = {"first": _first_records(cluster, members["first"])}
    members["second"] = _member(cluster, topic, group, max_poll_records=1)
    crash_on = min(2, (n - 2) // 2)  # the first's 3rd record, as in the RabbitMQ scenario
    rows: list[dict] = []
    accepted: set[int] = set()
    active = ["first", "second"]
    seen = {"first": 0, "second": 0}
    turn = 0
    deadline = cluster.now_ms + WAIT_MS
    while len(accepted) < n and active and cluster.now_ms < deadline:
        role = active[turn % len(active)]
        member = members[role]
        got = pending.pop(role, None) or _first_records(
            cluster, member, 5_000 if len(active) > 1 else WAIT_MS
        )
        if not got:
            turn += 1
            continue
        for r in got:
            rows.append(
                {
                    "reader": role,
                    "key": r.key.decode(),
                    "event": r.value.decode(),
                    "redelivered": r.delivery_count > 1,
                }
            )
            seen[role] += 1
            if role == "first" and seen[role] == crash_on + 1:
                _die(cluster, member)  # acquired, never acknowledged: released
                active.remove(role)
                break
            member.acknowledge(r)
            accepted.add(r.offset)
        else:
            member.commit_sync()
        turn += 1
    for role in active:
        members[role].close()
    replay = _consumer(cluster, topic, "replay-share")
    tp = TopicPartition(topic, 0)
    replayed = 0
    deadline = cluster.now_ms + WAIT_MS
    while replayed < n and cluster.now_ms < deadline:
        replayed += sum(len(b) for b in replay.poll(timeout_ms=200).values())
    left = int(replay.end_offsets([tp])[tp]) - int(replay.beginning_offsets([tp])[tp])
    replay.close()
    return rows, {"left_after_reading": left, "replay_possible": replayed == n}


def share_column_facts(frame: pd.DataFrame) -> pd.DataFrame:
    """What must agree in :func:`~simkafka.experiments.log_versus_queue`'s share-group column
    (who got which record, and so the order, depends on timing on a real broker): deliveries
    in all (each member's copies summed), records left in the log, replay, the redeliveries,
    and the checker's lost and duplicated counts, each a row (``DataFrame.equals`` ignores
    ``attrs``, so nothing that must agree is kept only there).
    """
    import pandas as pd

    facts = frame.attrs["summary"]["kafka-share-group"]
    check = frame.attrs["check"]["kafka-share-group"]
    share = frame[frame.system == "kafka-share-group"]
    out = pd.DataFrame(
        {
            "fact": [
                "deliveries",
                "left_after_reading",
                "replay_possible",
                "redelivered",
                "lost",
                "duplicated",
            ],
            "value": [
                str(sum(facts["copies_per_reader"].values())),
                str(facts["left_after_reading"]),
                str(facts["replay_possible"]),
                str(int(share["redelivered"].sum())),
                str(check["lost"]),
                str(check["duplicated"]),
            ],
        }
    )
    out.attrs["summary"] = {
        k: facts[k] for k in ("copies_per_reader", "left_after_reading", "replay_possible")
    }
    return out
