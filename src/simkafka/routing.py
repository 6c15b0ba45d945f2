"""Where records land: a topic's partition logs, key routing, skew, keyless records, and clients.

The experiments of notebooks 01 and 02. Those that take a ``backend`` first (a ``SimCluster``,
a ``RealCluster``, ``"sim"`` or ``"kafka"``, as in :mod:`simkafka.experiments`) return the same
columns from both; the others are pure functions of Kafka's routing rules or simulator-only.
pandas is imported inside the functions, and kafka-python and confluent-kafka only where a
real broker is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .clients import NewPartitions
from .cluster import SimCluster
from .errors import KafkaTimeoutError
from .experiments import Backend, _new_topic, open_backend
from .partitioners import PARTITIONERS, murmur2, partitions_for_keys
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "account_log",
    "keyless_spread",
    "murmur2_steps",
    "partition_load",
    "partitions_added",
    "routing_by_client",
    "share_moved",
]

#: The header every auth-service event carries in notebook 01.
AUTH_HEADERS: tuple[tuple[str, bytes], ...] = (("source", b"auth-service"),)

#: How long a confluent-kafka producer may take to deliver, and ``flush()`` to wait (seconds).
CONFLUENT_TIMEOUT_S = 10.0


def _keys(account_ids: Iterable[Any]) -> list[bytes]:
    return [str(a).encode() for a in account_ids]


# -- notebook 01: a topic is a set of partition logs -------------------------------------------
def account_log(
    backend: Backend,
    events: Sequence[tuple[Any, str]],
    partitions: int = 3,
    *,
    headers: Sequence[tuple[str, bytes]] = AUTH_HEADERS,
    delete_before: dict[int, int] | None = None,
) -> pd.DataFrame:
    """The auth service's ``(account_id, event)`` records as the topic's logs keep them.

    Each event is sent keyed by account id, with ``headers``; then, if ``delete_before`` maps
    partitions to offsets, the admin deletes every record below those offsets (Kafka's
    DeleteRecords, what retention also does, a segment at a time). Columns
    ``partition, offset, account_id, event, headers``: every retained record, by partition and
    offset. ``frame.attrs["summary"]`` has each partition's log start and end offsets.

    >>> frame = account_log("sim", [("acct-1", "created"), ("acct-5", "created"),
    ...                             ("acct-1", "deleted")], delete_before={2: 1})
    >>> frame[["partition", "offset", "account_id", "event"]]
       partition  offset account_id    event
    0          0       0     acct-5  created
    1          2       1     acct-1  deleted
    >>> frame.attrs["summary"]["log_start_offset"], frame.attrs["summary"]["log_end_offset"]
    ({0: 0, 1: 0, 2: 1}, {0: 1, 1: 0, 2: 2})
    """
    import pandas as pd

    events = list(events)
    headers = [(str(k), bytes(v)) for k, v in headers]
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
        futures = [
            producer.send(topic, key=str(a), value=e, headers=list(headers)) for a, e in events
        ]
        producer.flush()
        for future in futures:
            future.get()
        if delete_before:
            cluster.admin().delete_records(
                {TopicPartition(topic, p): o for p, o in delete_before.items()}
            )
        records = cluster.records(topic)
        offsets = cluster.partitions(topic)
    frame = pd.DataFrame(
        {
            "partition": records["partition"].astype("int64"),
            "offset": records["offset"].astype("int64"),
            "account_id": [k.decode() for k in records["key"]],
            "event": [v.decode() for v in records["value"]],
            "headers": [tuple(h) for h in records["headers"]],
        }
    )
    frame = frame.sort_values(["partition", "offset"], ignore_index=True)
    frame.attrs["summary"] = {
        "records_sent": len(events),
        "records_retained": len(frame),
        "log_start_offset": dict(
            zip(offsets["partition"].tolist(), offsets["log_start_offset"].tolist(), strict=True)
        ),
        "log_end_offset": dict(
            zip(offsets["partition"].tolist(), offsets["log_end_offset"].tolist(), strict=True)
        ),
    }
    return frame


# -- notebook 02: keys choose partitions -------------------------------------------------------
def murmur2_steps(account_ids: Iterable[Any], partitions: int) -> pd.DataFrame:
    """How the Java (and kafka-python) producer turns a key into a partition, step by step.

    Columns ``account_id, murmur2, positive, partition``: ``murmur2`` is Java's signed 32-bit
    hash of the UTF-8 key, ``positive`` that with the sign bit cleared (Kafka's
    ``toPositive``, not ``abs``), ``partition`` is ``positive % partitions``.

    >>> murmur2_steps(["acct-1", "acct-5"], 3)
      account_id     murmur2   positive  partition
    0     acct-1   294059390  294059390          2
    1     acct-5 -1492800272  654683376          0
    """
    import pandas as pd

    ids = list(account_ids)
    hashes = [murmur2(k) for k in _keys(ids)]
    positive = [h & 0x7FFFFFFF for h in hashes]
    return pd.DataFrame(
        {
            "account_id": [str(a) for a in ids],
            "murmur2": hashes,
            "positive": positive,
            "partition": [p % partitions for p in positive],
        }
    )


def partition_load(account_ids: Iterable[Any], partitions: int) -> pd.DataFrame:
    """How many of these keyed records each partition gets: one row per partition.

    ``account_ids`` has one entry per record (a busy account appears often). Columns
    ``partition, records, share, accounts``: ``accounts`` is how many distinct accounts map to
    the partition. Every record of one key lands in one partition, so a hot key makes its
    partition hot however many partitions there are.

    >>> partition_load(["acct-5"] * 6 + ["acct-1", "acct-4"], 3)
       partition  records  share  accounts
    0          0        6  0.750         1
    1          1        1  0.125         1
    2          2        1  0.125         1
    """
    import pandas as pd

    ids = [str(a) for a in account_ids]
    routed = partitions_for_keys(_keys(ids), partitions)
    records = [0] * partitions
    accounts: list[set[str]] = [set() for _ in range(partitions)]
    for account, p in zip(ids, routed, strict=True):
        records[p] += 1
        accounts[p].add(account)
    total = len(ids) or 1
    return pd.DataFrame(
        {
            "partition": range(partitions),
            "records": records,
            "share": [r / total for r in records],
            "accounts": [len(a) for a in accounts],
        }
    )


def keyless_spread(
    n_records: int,
    partitions: int = 3,
    partitioners: Sequence[str] = ("sticky", "kafka-python", "round_robin"),
    *,
    value_size: int = 100,
    batch_size: int = 16384,
    seed: int = 0,
) -> pd.DataFrame:
    """Where ``n_records`` keyless records land with each partitioner (simulator only).

    One producer per partitioner name (``simkafka.partitioners.PARTITIONERS``) sends
    ``n_records`` values of ``value_size`` bytes without a key to a fresh topic. Columns
    ``partitioner, p0 ... p{n-1}`` (records per partition) and ``switches`` (how often the
    next record went to another partition than the one before). Java's sticky partitioner
    (KIP-794) fills about ``batch_size`` bytes on one partition before it moves on, so a
    burst of small keyless records piles onto one partition; kafka-python draws a partition
    per record; Java's ``RoundRobinPartitioner`` takes turns.

    >>> keyless_spread(9, 3, ["sticky", "round_robin"])
       partitioner  p0  p1  p2  switches
    0       sticky   9   0   0         0
    1  round_robin   3   3   3         8
    """
    import pandas as pd

    if type(n_records) is not int or n_records < 0:
        raise ValueError(f"n_records must be a whole number >= 0, got {n_records!r}")
    rows = []
    for name in partitioners:
        if name not in PARTITIONERS:
            raise ValueError(f"unknown partitioner {name!r}: use one of {', '.join(PARTITIONERS)}")
        cluster = SimCluster(seed=seed)
        cluster.create_topic("user-accounts", partitions=partitions)
        producer = cluster.producer(partitioner=name, batch_size=batch_size)
        value = b"x" * value_size
        chosen = [
            producer.send("user-accounts", value=value).get().partition for _ in range(n_records)
        ]
        counts = [chosen.count(p) for p in range(partitions)]
        switches = sum(a != b for a, b in zip(chosen, chosen[1:], strict=False))
        rows.append([name, *counts, switches])
    columns = ["partitioner", *(f"p{p}" for p in range(partitions)), "switches"]
    return pd.DataFrame(rows, columns=columns)


def share_moved(before: int, after: int) -> float:
    """The share of keys expected to change partition when a topic goes from ``before`` to
    ``after`` partitions, for hashes spread evenly: a key stays only if
    ``hash % before == hash % after``, which repeats every ``lcm(before, after)`` hashes.

    >>> share_moved(3, 4), share_moved(6, 12), share_moved(4, 4)
    (0.75, 0.5, 0.0)
    """
    for name, value in (("before", before), ("after", after)):
        if type(value) is not int or value < 1:
            raise ValueError(f"{name} must be a partition count >= 1, got {value!r}")
    period = math.lcm(before, after)
    stay = sum(1 for h in range(period) if h % before == h % after)
    return 1 - stay / period


def partitions_added(
    backend: Backend, account_ids: Iterable[Any], before: int, after: int
) -> pd.DataFrame:
    """Each account's partition before and after the topic grows from ``before`` to ``after``.

    One ``created`` event per account goes to a topic of ``before`` partitions; the admin adds
    partitions (Kafka's CreatePartitions: a topic can grow, never shrink), and a new producer
    sends an ``email-changed`` per account. Columns ``account_id, before, after, moved``. A
    moved account's new events sit in another partition than its old ones, so a consumer can
    see them in another order. ``frame.attrs["summary"]["moved"]`` counts them.

    >>> partitions_added("sim", ["acct-1", "acct-5", "acct-6"], 3, 4)
      account_id  before  after  moved
    0     acct-1       2      2  False
    1     acct-5       0      0  False
    2     acct-6       0      1   True
    """
    import pandas as pd

    ids = [str(a) for a in account_ids]
    if type(after) is not int or type(before) is not int or not 1 <= before < after:
        raise ValueError(
            f"a topic can only grow: need 1 <= before < after, got before={before!r}, "
            f"after={after!r}"
        )
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", before)
        first = _send_each(cluster, topic, ids, "created")
        cluster.admin().create_partitions({topic: NewPartitions(after)})
        second = _send_each(cluster, topic, ids, "email-changed")
    frame = pd.DataFrame({"account_id": ids, "before": first, "after": second})
    frame["moved"] = frame["before"] != frame["after"]
    frame.attrs["summary"] = {"accounts": len(ids), "moved": int(frame["moved"].sum())}
    return frame


def _send_each(cluster: Any, topic: str, ids: list[str], event: str) -> list[int]:
    """A fresh producer sends ``event`` for each account; the partitions it landed in."""
    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    futures = [producer.send(topic, key=a, value=event) for a in ids]
    producer.flush()
    partitions = [f.get().partition for f in futures]
    producer.close()
    return partitions


def routing_by_client(
    backend: Backend, account_ids: Iterable[Any], partitions: int
) -> pd.DataFrame:
    """The partition each account's record lands in from a kafka-python and a confluent-kafka
    producer, each with its default partitioner.

    kafka-python (like Java) hashes the key with murmur2; confluent-kafka uses librdkafka's
    default ``partitioner=consistent_random``, a CRC32 of the key. On the simulator these are
    the partitioners ``"kafka-python"`` and ``"consistent_random"``; on a real broker both
    clients send to one topic and the broker's acknowledgements say where each record went.
    Columns ``account_id, kafka_python, confluent_kafka, same``.

    >>> routing_by_client("sim", ["acct-1", "acct-2", "acct-5"], 3)
      account_id  kafka_python  confluent_kafka   same
    0     acct-1             2                1  False
    1     acct-2             2                0  False
    2     acct-5             0                0   True
    """
    import pandas as pd

    ids = [str(a) for a in account_ids]
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        java_like = _send_each(cluster, topic, ids, "created")
        if isinstance(cluster, SimCluster):
            producer = cluster.producer(partitioner="consistent_random")
            crc = [
                producer.send(topic, key=k, value=b"created").get().partition for k in _keys(ids)
            ]
        else:
            crc = _confluent_partitions(cluster.bootstrap, topic, _keys(ids))
    frame = pd.DataFrame({"account_id": ids, "kafka_python": java_like, "confluent_kafka": crc})
    frame["same"] = frame["kafka_python"] == frame["confluent_kafka"]
    frame.attrs["summary"] = {"accounts": len(ids), "same_partition": int(frame["same"].sum())}
    return frame


def _confluent_partitions(bootstrap: str, topic: str, keys: list[bytes]) -> list[int]:
    """Send each key with confluent-kafka's default partitioner; the partitions acknowledged.

    Bounded: librdkafka gives up on a record after ``message.timeout.ms``, and ``flush`` waits
    at most :data:`CONFLUENT_TIMEOUT_S`; records still queued then raise KafkaTimeoutError.
    """
    from confluent_kafka import Producer

    timeout_ms = int(CONFLUENT_TIMEOUT_S * 1000)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": "simkafka-routing",
            "message.timeout.ms": timeout_ms,
            "socket.timeout.ms": timeout_ms,
        }
    )
    landed: dict[int, int] = {}
    failures: list[str] = []

    def delivered(index: int):
        def report(error: Any, message: Any) -> None:
            if error is not None:
                failures.append(f"{keys[index]!r}: {error}")
            else:
                landed[index] = message.partition()

        return report

    for i, key in enumerate(keys):
        producer.produce(topic, key=key, value=b"created", on_delivery=delivered(i))
        producer.poll(0)
    remaining = producer.flush(CONFLUENT_TIMEOUT_S)
    if remaining:
        raise KafkaTimeoutError(
            f"confluent-kafka: {remaining} records to {topic!r} were not delivered within "
            f"{CONFLUENT_TIMEOUT_S:g} s; is the broker at {bootstrap} busy?"
        )
    if failures:
        raise KafkaTimeoutError(f"confluent-kafka could not deliver: {'; '.join(failures[:3])}")
    return [landed[i] for i in range(len(keys))]
