"""Consumer lag over time: how far a consumer group is behind the log, step by step.

A partition's lag is Kafka's ``log end offset - committed offset`` (what
``kafka-consumer-groups.sh --describe`` shows). While producers append faster than the
group's members process, lag grows; when the producers pause, the members catch up and it
shrinks. :func:`lag_over_time` runs that on either backend and returns the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import KafkaTimeoutError
from .experiments import READ_TIMEOUT_MS, Backend, _new_topic, _require_count, open_backend
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LAG_COLUMNS", "lag_over_time"]

#: Columns of :func:`lag_over_time`, in order.
LAG_COLUMNS = ["time_ms", "partition", "member", "lag"]

#: The default load: five busy steps (12 records each), then five quiet ones.
DEFAULT_PRODUCE = (12, 12, 12, 12, 12, 0, 0, 0, 0, 0)


def _per_step(name: str, value: int | Sequence[int], steps: int) -> list[int]:
    """``value`` for every step: an int repeated, or one int per step."""
    if isinstance(value, int) and not isinstance(value, bool):
        _require_count(name, value)
        return [value] * steps
    values = list(value)
    if len(values) != steps:
        raise ValueError(f"{name} has {len(values)} values for {steps} steps: give one per step")
    for v in values:
        _require_count(name, v)
    return values


def _quotas(available: dict[int, int], budget: int) -> dict[int, int]:
    """Share ``budget`` records among partitions one at a time, in partition order.

    >>> _quotas({0: 5, 1: 1, 2: 4}, 6)
    {0: 3, 1: 1, 2: 2}
    """
    quota = dict.fromkeys(available, 0)
    while budget > 0 and any(quota[p] < available[p] for p in quota):
        for p in sorted(quota):
            if budget > 0 and quota[p] < available[p]:
                quota[p] += 1
                budget -= 1
    return quota


def _process(cluster: Any, member: Any, topic: str, ends: dict[int, int], budget: int) -> int:
    """The member reads at most ``budget`` records from its partitions, then commits.

    The budget is shared among its partitions one record at a time; each partition is
    read alone (the others paused) with ``max_records`` set to what is left of its share,
    so exactly its share is processed on both backends. Returns the records read.
    """
    owned = sorted(tp[1] for tp in member.assignment() if tp[0] == topic)
    tps = {p: TopicPartition(topic, p) for p in owned}
    start = {p: member.position(tps[p]) for p in owned}
    quota = _quotas({p: ends[p] - start[p] for p in owned}, budget)
    deadline = cluster.now_ms + READ_TIMEOUT_MS
    for p in owned:
        target = start[p] + quota[p]
        if quota[p] == 0:
            continue
        others = [tps[q] for q in owned if q != p]
        member.pause(*others)
        try:
            while (position := member.position(tps[p])) < target:
                if cluster.now_ms >= deadline:
                    raise KafkaTimeoutError(
                        f"partition {p} was read to offset {position}, not {target}, within "
                        f"{READ_TIMEOUT_MS} ms"
                    )
                member.poll(timeout_ms=200, max_records=target - position)
        finally:
            member.resume(*others)
    if owned:
        member.commit({tps[p]: start[p] + quota[p] for p in owned})
    return sum(quota.values())


def lag_over_time(
    backend: Backend,
    *,
    partitions: int = 3,
    consumers: int = 2,
    produce_per_step: int | Sequence[int] = DEFAULT_PRODUCE,
    consume_per_step: int | Sequence[int] = 4,
    steps: int | None = None,
    step_ms: int = 1000,
    strategy: str = "range",
    seed: int = 0,
) -> pd.DataFrame:
    """Each partition's lag after each step, as producers outpace the group and then pause.

    ``consumers`` members (``member-1``, ``member-2`` ...: their ``client_id``) of
    ``groups-service`` share a topic of ``partitions`` partitions with ``strategy``. Each step,
    the producer appends ``produce_per_step`` records, round robin over the partitions; then
    each member processes at most ``consume_per_step`` records (shared among its partitions
    one at a time, in partition order) and commits; then the group's lag is read with
    ``cluster.group_state``. Either rate is an int, or one int per step (``steps`` defaults to
    that length, else 10).

    One row per step and partition: ``time_ms`` (the step's logical time, ``step * step_ms``:
    the same on both backends, where wall time is noisy), ``partition``, ``member`` (the
    owner's name; a member beyond the partition count owns nothing and has no rows) and
    ``lag``. ``frame.attrs["summary"]`` has ``produced``, ``consumed``, ``max_lag`` (the
    largest total lag) and ``final_lag``.

    >>> frame = lag_over_time("sim", partitions=2, consumers=2, produce_per_step=[6, 6, 0],
    ...                       consume_per_step=2)
    >>> frame
       time_ms  partition    member  lag
    0     1000          0  member-1    1
    1     1000          1  member-2    1
    2     2000          0  member-1    2
    3     2000          1  member-2    2
    4     3000          0  member-1    0
    5     3000          1  member-2    0
    >>> frame.attrs["summary"]
    {'produced': 12, 'consumed': 12, 'max_lag': 4, 'final_lag': 0}
    """
    import pandas as pd

    _require_count("partitions", partitions, 1)
    _require_count("consumers", consumers, 1)
    _require_count("step_ms", step_ms, 1)
    if steps is None:
        lengths = [len(v) for v in (produce_per_step, consume_per_step) if not isinstance(v, int)]
        steps = lengths[0] if lengths else 10
    _require_count("steps", steps, 1)
    produce = _per_step("produce_per_step", produce_per_step, steps)
    consume = _per_step("consume_per_step", consume_per_step, steps)

    rows = []
    consumed = 0
    with open_backend(backend, seed) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        group = cluster.group_name("groups-service")
        members = [
            cluster.consumer(
                topic,
                group_id=group,
                client_id=f"member-{i}",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                partition_assignment_strategy=[strategy],
            )
            for i in range(1, consumers + 1)
        ]
        producer = cluster.producer(value_serializer=str.encode)
        try:
            cluster.settle(*members)
            names = {m.member_id: f"member-{i}" for i, m in enumerate(members, start=1)}
            ends = dict.fromkeys(range(partitions), 0)
            seq = 0
            for step in range(1, steps + 1):
                futures = []
                for _ in range(produce[step - 1]):
                    p = seq % partitions
                    futures.append(producer.send(topic, value=f"event#{seq}", partition=p))
                    ends[p] += 1
                    seq += 1
                producer.flush()
                for future in futures:
                    future.get()
                for member in members:
                    consumed += _process(cluster, member, topic, ends, consume[step - 1])
                state = cluster.group_state(group)
                owned = state[state["topic"] == topic].dropna(subset=["owner"])
                for p, owner, lag in zip(
                    owned["partition"], owned["owner"], owned["lag"], strict=True
                ):
                    rows.append((step * step_ms, int(p), names[owner], int(lag)))
        finally:
            producer.close()
            for member in members:
                member.close(autocommit=False)
    frame = pd.DataFrame(rows, columns=LAG_COLUMNS)
    totals = frame.groupby("time_ms")["lag"].sum()
    frame.attrs["summary"] = {
        "produced": sum(produce),
        "consumed": consumed,
        "max_lag": int(totals.max()) if len(totals) else 0,
        "final_lag": int(totals.iloc[-1]) if len(totals) else 0,
    }
    return frame
