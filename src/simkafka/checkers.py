"""Delivery checkers: what a consumer saw, against what the producer sent.

In the spirit of the Kafka workload of Jepsen's Maelstrom: compare the records a producer
sent (``produced``) with the records a consumer loop saw (``seen``, in the order it saw
them) and report, as one small table, every anomaly a learner should know by name:

``lost``
    a record the producer sent (and the broker acknowledged) that no consumer saw;
``duplicated``
    a record seen more than once (at-least-once delivery re-delivers after a crash);
``unexpected``
    a record seen that was never sent (a stale topic, a wrong offset reset);
``order_per_key``
    a key's records seen out of the order they were sent in (Kafka keeps order only per
    partition, so per key only while a key always lands on the same partition);
``offsets_backwards``
    within a partition (and within one member, if the frame has a ``member`` column), an
    offset not greater than the previous one seen: the consumer went back, by a seek, a
    rebalance, or a restart from an older committed offset.

The frames are plain pandas DataFrames, so a learner can build them in their own poll loop::

    seen.append({"partition": r.partition, "offset": r.offset, "key": r.key, "value": r.value})

A record is identified by ``(partition, offset)`` when both frames have those columns,
otherwise by ``(key, value)`` (so make values unique, e.g. ``"acct-42:created:7"``).

pandas is imported inside the functions: ``import simkafka`` works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: The checks, in the order ``check_delivery`` reports them.
CHECKS = ("lost", "duplicated", "unexpected", "order_per_key", "offsets_backwards")

#: Columns of the table ``check_delivery`` returns.
CHECK_COLUMNS = ("check", "count", "examples")

#: How many examples each row of the table names at most.
MAX_EXAMPLES = 5


def _identity_columns(produced: pd.DataFrame, seen: pd.DataFrame) -> list[str]:
    """``partition, offset`` when both frames know them, else ``key, value``."""
    by_offset = ["partition", "offset"]
    if all(c in produced.columns and c in seen.columns for c in by_offset):
        return by_offset
    by_content = ["key", "value"]
    missing = [c for c in by_content if c not in produced.columns or c not in seen.columns]
    if missing:
        raise ValueError(
            "check_delivery needs columns 'partition' and 'offset' in both frames, or else "
            f"'key' and 'value' in both; missing {missing}"
        )
    return by_content


def _ids(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return list(zip(*(frame[c].tolist() for c in columns), strict=True))


def _python(value: Any) -> Any:
    """numpy scalars as plain Python values, so that examples print as Kafka's numbers."""
    return value.item() if hasattr(value, "item") else value


def _example(identity: tuple) -> tuple:
    return tuple(_python(v) for v in identity)


def _order_per_key(produced: pd.DataFrame, seen: pd.DataFrame, columns: list[str]) -> list:
    """Keys whose first deliveries come in a different order than they were sent.

    Only first deliveries count: a record delivered again after a crash is a duplicate,
    reported as such, not an order violation. Each violation is named
    ``(key, earlier_record, later_record)``: ``later_record`` was sent after ``earlier_record``
    but seen before it.
    """
    if "key" not in seen.columns or "key" not in produced.columns:
        return []
    order = produced["seq"].tolist() if "seq" in produced.columns else range(len(produced))
    seq: dict[tuple, Any] = {}
    for identity, s in zip(_ids(produced, columns), order, strict=True):
        seq.setdefault(identity, s)
    last: dict[Any, tuple[int, tuple]] = {}
    first_seen: set[tuple] = set()
    violations = []
    for key, identity in zip(seen["key"].tolist(), _ids(seen, columns), strict=True):
        if identity in first_seen or identity not in seq:
            continue
        first_seen.add(identity)
        s = seq[identity]
        if key in last and s < last[key][0]:
            violations.append((_python(key), _example(identity), _example(last[key][1])))
        if key not in last or s > last[key][0]:
            last[key] = (s, identity)
    return violations


def _offsets_backwards(seen: pd.DataFrame) -> list:
    """``(member?, partition, previous_offset, offset)`` where an offset did not move forward."""
    if "partition" not in seen.columns or "offset" not in seen.columns:
        return []
    who = seen["member"].tolist() if "member" in seen.columns else [None] * len(seen)
    last: dict[tuple, int] = {}
    found = []
    for member, partition, offset in zip(
        who, seen["partition"].tolist(), seen["offset"].tolist(), strict=True
    ):
        where = (member, partition)
        if where in last and offset <= last[where]:
            head = (_python(member),) if "member" in seen.columns else ()
            found.append((*head, _python(partition), _python(last[where]), _python(offset)))
        last[where] = offset
    return found


def check_delivery(produced: pd.DataFrame, seen: pd.DataFrame) -> pd.DataFrame:
    """Compare what was sent with what was seen: one row per check (count 0 when it holds).

    ``produced`` has one row per record sent, in send order (or with a ``seq`` column), with
    ``partition`` and ``offset`` from the ``RecordMetadata`` and/or ``key`` and ``value``.
    ``seen`` has one row per record delivered to the application, in the order it came, with
    the same columns and optionally ``member``. Returns columns ``check, count, examples``.

    >>> import pandas as pd
    >>> produced = pd.DataFrame({"partition": [0, 0, 0], "offset": [0, 1, 2],
    ...                          "key": ["acct-1"] * 3, "value": ["created", "renamed", "deleted"]})
    >>> seen = produced.iloc[[0, 1, 1]]          # offset 1 twice, offset 2 never
    >>> check_delivery(produced, seen)
                   check  count     examples
    0               lost      1     [(0, 2)]
    1         duplicated      1     [(0, 1)]
    2         unexpected      0           []
    3      order_per_key      0           []
    4  offsets_backwards      1  [(0, 1, 1)]
    """
    import pandas as pd

    produced, seen = pd.DataFrame(produced), pd.DataFrame(seen)
    if seen.empty and len(seen.columns) == 0:  # a consumer that read nothing
        seen = produced.iloc[0:0]
    columns = _identity_columns(produced, seen)
    sent = _ids(produced, columns)
    got = _ids(seen, columns)
    sent_set = set(sent)
    counts: dict[tuple, int] = {}
    for identity in got:
        counts[identity] = counts.get(identity, 0) + 1
    lost = [i for i in sent if i not in counts]
    duplicated = [i for i, n in counts.items() if n > 1]
    unexpected = [i for i in counts if i not in sent_set]
    found = {
        "lost": [_example(i) for i in lost],
        "duplicated": [_example(i) for i in duplicated],
        "unexpected": [_example(i) for i in unexpected],
        "order_per_key": _order_per_key(produced, seen, columns),
        "offsets_backwards": _offsets_backwards(seen),
    }
    return pd.DataFrame(
        {
            "check": list(CHECKS),
            "count": [len(found[c]) for c in CHECKS],
            "examples": [found[c][:MAX_EXAMPLES] for c in CHECKS],
        },
        columns=list(CHECK_COLUMNS),
    )


def anomalies(report: pd.DataFrame) -> dict[str, int]:
    """The checks of a ``check_delivery`` table that found something, as ``{check: count}``.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"partition": [0, 0], "offset": [0, 1]})
    >>> anomalies(check_delivery(frame, frame))
    {}
    """
    return {c: int(n) for c, n in zip(report["check"], report["count"], strict=True) if n}
