"""Notebook 02: keyed routing, ordering per key, hot keys, keyless records, partition changes.

Built into notebooks/02-keyed-routing-and-ordering.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import exercise, golden, kafka, md, shown, solution

NAME = "02-keyed-routing-and-ordering"

CELLS = [
    md(
        """
# 02 - Keyed routing and ordering

**What you'll learn:** how a record's key picks its partition; why Kafka keeps order only
within a partition, and so only per key; what a hot key does; where records *without* a key
go; what adding partitions does to the keys; and why a confluent-kafka producer puts the
same key in another partition than a Java or kafka-python one.

**Time:** about 30 minutes. **Needs:** nothing for sections 1-6 (the simulator). Section 7
uses a real Kafka if one is running; without it, those cells print one line and move on.

The story goes on: the auth service keys every account event by account id, and the
group-management service must apply each account's events in the order they happened.
"""
    ),
    md(
        """
## 1. The key picks the partition

The producer, not the broker, picks each record's partition: the broker stores a record where
it is told. So the rule depends on the *client library* the producer uses. Kafka's own client
is written in Java; from Python you use kafka-python (this course's real-broker cells) or
confluent-kafka (a wrapper around the C library librdkafka). A Java producer (and
kafka-python, which copies it) computes, for a record with a key:

1. `murmur2(key)`: a 32-bit hash of the key's bytes, as a signed Java `int`;
2. `toPositive(...)`: the hash with its sign bit cleared (not the absolute value);
3. `% partitions`: the remainder, a partition number from 0 to partitions - 1.

No state, no randomness: the same key and the same partition count give the same partition,
on every producer, every time.
"""
    ),
    golden(
        """
from simkafka.routing import murmur2_steps

ACCOUNTS = [f"acct-{i}" for i in range(1, 9)]
print(murmur2_steps(ACCOUNTS, partitions=3).to_string(index=False))
"""
    ),
    md(
        """
`acct-3` and `acct-5` have negative hashes: clearing the sign bit adds 2^31 (2,147,483,648),
which is not the same as taking the absolute value. The simulator's `murmur2` is bit-exact
with Java's.

## 2. Order holds within a partition, so per key

A consumer reads each partition in offset order. (Several consumers can share a topic as a
*consumer group*, notebook 03; within a group each partition is read by one consumer at a
time. The group-management service's group is `groups-service`.)

**Predict, then run:** the auth service sends five events, interleaving `acct-1` and
`acct-4`; `seq` numbers them in the order they were sent, 0 to 4. One consumer of
`groups-service` reads the whole topic. Does it get all five in the order they were sent?
Does it get each account's events in order?
"""
    ),
    golden(
        """
from simkafka.experiments import order_per_key

events = [
    ("acct-1", "created"),
    ("acct-4", "created"),
    ("acct-1", "email-changed"),
    ("acct-4", "deleted"),
    ("acct-1", "deleted"),
]
frame = order_per_key("sim", events, partitions=3)
print(frame.to_string(index=False))
print("all events, partition by partition: seq", frame["seq"].tolist())
for account, rows in frame.groupby("account_id", sort=False):
    seqs = rows["seq"].tolist()
    print(f"{account}: seq {seqs}, in the order sent: {rows['seq'].is_monotonic_increasing}")
"""
    ),
    md(
        """
The table lists what the consumer read, partition by partition: `acct-4`'s events
(`seq` 1, 3) in partition 1, `acct-1`'s (`seq` 0, 2, 4) in partition 2. The order *across*
partitions is lost (`acct-4`'s `seq` 1 came out before `acct-1`'s `seq` 0); the order
*within* each account is kept.

Why only within a partition? Each partition is its own log with its own offsets; partitions
can live on different brokers and be read by different consumers, each at its own speed.
Kafka keeps no sequence across partitions, so nothing says whether offset 0 of partition 1
came before or after offset 0 of partition 2. That is why the auth service keys by account
id: every event of one account goes to one partition, so it is read in the order it was
written. Events that must stay in order need the same key.

## 3. Hot keys

A key always goes to the same partition, so a busy key makes its partition busy. Say one
account (a service account that syncs every minute) sends 40% of all events:
"""
    ),
    golden(
        """
from simkafka.routing import partition_load

busy = ["acct-5"] * 400 + [f"acct-{i}" for i in range(100, 120)] * 30
print(partition_load(busy, partitions=3).to_string(index=False))
"""
    ),
    shown(
        """
import pandas as pd

from simkafka import partition_for_key
from simkafka.viz import key_distribution

counts = pd.Series(busy).value_counts()
routing = pd.DataFrame(
    {
        "key": counts.index,
        "partition": [partition_for_key(k.encode(), 3) for k in counts.index],
        "records": counts.values,
    }
)
key_distribution(routing)
"""
    ),
    md(
        """
In the drawing each bar is a partition and each coloured band one key (colours repeat: there
are more keys than colours); the dashed line is what every partition would get if the load
were even. Partition 0 gets over half the records, and the one consumer that reads it does
over half the work, whatever the number of partitions: a key cannot be split. The usual
fixes change the key (for instance account id plus a sub-key, giving up order across the
sub-keys) or give the hot key its own topic.

## 4. Records without a key

A record without a key (`key=None`) has no hash. What happens depends on the client. First,
a word on *batches*: a producer does not send records one by one, it groups the records for
one partition into a batch (up to `batch.size`, 16 KiB by default) and sends the batch in one
request.

- **Java (sticky since Kafka 2.4, KIP-480; in its current form since 3.3, KIP-794):** the
  built-in *sticky* partitioner sends keyless records to one partition until about
  `batch.size` bytes went there, then picks another at random (favouring partitions whose
  brokers keep up). Fewer, fuller batches; but a burst of
  small records all lands on one partition.
- **kafka-python** (the client of this course's real-broker cells): a random partition for
  each record.
- **Java's `RoundRobinPartitioner`** (opt-in): takes turns, and ignores keys altogether.
- **librdkafka / confluent-kafka:** random, kept on one partition for
  `sticky.partitioning.linger.ms` (10 ms by default).

**Predict, then run:** 100 keyless records of 100 bytes, 3 partitions. How many land on each
partition with each partitioner?
"""
    ),
    golden(
        """
from simkafka.routing import keyless_spread

print(keyless_spread(100, partitions=3).to_string(index=False))
"""
    ),
    md(
        """
With the sticky partitioner all 100 records went to one partition: a 100-byte value takes
109 bytes in a batch (9 bytes of record framing), so 100 records are about 11 KB, less than
one 16 KiB batch. `switches` counts how often the next record went to another partition than
the one before: kafka-python's random pick lands elsewhere about two times in three (59 of 99),
round-robin every time.

A longer run: 3,000 records. The sticky partitioner now draws a new partition after about
150 records (16,384 / 109 bytes); a draw may pick the same partition again.
"""
    ),
    golden(
        """
print(keyless_spread(3000, partitions=3).to_string(index=False))
"""
    ),
    md(
        """
Eleven moves in 3,000 records, and the shares are still far from even: at any moment the
sticky partitioner feeds one partition, and only a long run evens out. It trades balance
for fuller batches. Keyless records have no order to keep, so if they must be spread, the
random and round-robin strategies do that.

## 5. Adding partitions moves keys

A topic can grow (`admin.create_partitions`), never shrink. But the partition is
`hash % partitions`: change the count and most keys map elsewhere. Kafka moves no old
record, so an account's old events stay in the old partition and its new events go to the
new one, and a consumer may read the new ones first.

**Predict, then run:** 1,000 accounts, the topic grows from 3 to 4 partitions. What share
of accounts now lands in a different partition? And from 6 to 12?
"""
    ),
    golden(
        """
from simkafka.routing import partitions_added, share_moved

MANY = [f"acct-{i}" for i in range(1000)]
for before, after in [(3, 4), (6, 12)]:
    moved = partitions_added("sim", MANY, before, after)
    share = moved["moved"].mean()
    print(f"{before} -> {after} partitions: {share:.1%} of accounts moved ", end="")
    print(f"(expected for an even hash: {share_moved(before, after):.0%})")
"""
    ),
    md(
        """
A key stays only if `hash % 3 == hash % 4`, which holds for 3 of every 12 hash values: 75%
move. Doubling keeps half the keys (a key in partition p goes to p or p + 6). Either way,
choose the partition count up front, with room to grow, for keyed topics.

The drawing counts, for each old partition (row), where its accounts went (column); outlined
cells are accounts that kept their partition.
"""
    ),
    shown(
        """
from simkafka.viz import key_remapping

grown = partitions_added("sim", MANY, 3, 4)
before = grown[["account_id", "before"]].set_axis(["key", "partition"], axis=1)
after = grown[["account_id", "after"]].set_axis(["key", "partition"], axis=1)
key_remapping(before, after)
"""
    ),
    md(
        """
## 6. Another client, another partition

A Java service and a Python service built on confluent-kafka both write `user-accounts`.
librdkafka's default partitioner is not murmur2: its configuration reference
(CONFIGURATION.md) lists `partitioner`'s default as `consistent_random`, "CRC32 hash of key
(Empty and NULL keys are randomly partitioned)". A different hash sends the same key to
another partition, and then one account's events sit in two partitions: per-account order is
lost.

**Predict, then run:** 12 accounts, 6 partitions, one record each from a kafka-python
producer and from a confluent-kafka one. For how many accounts do the two agree?

`routing_by_client` (from `simkafka.routing`) sends each account's record through both; on
the simulator, with its `"kafka-python"` (murmur2) and `"consistent_random"` (CRC32)
partitioners.
"""
    ),
    golden(
        """
from simkafka.routing import routing_by_client

IDS = [f"acct-{i}" for i in range(1, 13)]
by_client = routing_by_client("sim", IDS, partitions=6)
print(by_client.to_string(index=False))
print(f"same partition from both clients: {by_client['same'].sum()} of {len(IDS)}")
"""
    ),
    md(
        """
The two clients agree for only 3 of 12 accounts, about what chance gives (one in six). The
broker cannot help: it stores each record where the producer said. A fleet that mixes
clients must use one rule everywhere: in librdkafka, `partitioner=murmur2_random` is the
Java-compatible one (murmur2 for keys, random for keyless records).
"""
    ),
    md(
        """
## Exercises
"""
    ),
    exercise(
        """
**Exercise 1.** The topic has 6 partitions. Which of `acct-1` ... `acct-30` share a
partition with `acct-1`? After the topic grows to 12 partitions, which of them still do?
Use `partition_for_key(key_bytes, partitions)` (`from simkafka import partition_for_key`).
"""
    ),
    solution(
        """
from simkafka import partition_for_key

ex1_ids = [f"acct-{i}" for i in range(2, 31)]
for n in (6, 12):
    home = partition_for_key(b"acct-1", n)
    mates = [a for a in ex1_ids if partition_for_key(a.encode(), n) == home]
    print(f"{n} partitions: acct-1 in partition {home}, with {mates}")
# With 12 partitions the mates are a subset of the 6-partition ones: doubling splits each
# partition in two (p stays p or becomes p + 6), it never brings keys together.
"""
    ),
    exercise(
        """
**Exercise 2.** Check the fix of section 6 on more accounts. On a new `SimCluster`, create
a 6-partition `user-accounts` and send one record for each of `acct-0` ... `acct-99` through
three producers, made with `cluster.producer(partitioner=...)` and the names
`"kafka-python"`, `"consistent_random"` and `"murmur2_random"`. For each, how many accounts
land in the same partition as with `"kafka-python"`?
"""
    ),
    solution(
        """
from simkafka import NewTopic, SimCluster

ex2 = SimCluster(seed=0)
ex2.admin().create_topics([NewTopic("user-accounts", num_partitions=6, replication_factor=1)])
ex2_keys = [f"acct-{i}".encode() for i in range(100)]
ex2_where = {}
for name in ("kafka-python", "consistent_random", "murmur2_random"):
    ex2_producer = ex2.producer(partitioner=name)
    ex2_where[name] = [
        ex2_producer.send("user-accounts", key=k, value=b"created").get().partition
        for k in ex2_keys
    ]
for name, parts in ex2_where.items():
    same = sum(a == b for a, b in zip(parts, ex2_where["kafka-python"], strict=True))
    print(f"{name:18} same partition as kafka-python for {same} of 100 accounts")
"""
    ),
    md(
        """
## 7. On real Kafka: two clients, two answers

Now section 6 with real clients: one topic of 6 partitions on the real broker gets one record
per account from a **kafka-python** producer and one from a **confluent-kafka** producer,
both with their default partitioner; the broker's acknowledgements say where each record
went. Beside them, the simulator's answers from section 6.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree
from simkafka.routing import routing_by_client

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    IDS = [f"acct-{i}" for i in range(1, 13)]
    on_sim = routing_by_client("sim", IDS, partitions=6)
    on_kafka = routing_by_client("kafka", IDS, partitions=6)
    table = on_kafka[["account_id", "kafka_python", "confluent_kafka"]].assign(
        sim_murmur2=on_sim["kafka_python"], sim_consistent_random=on_sim["confluent_kafka"]
    )
    print(table.to_string(index=False))
    same = on_kafka.attrs["summary"]["same_partition"]
    print(f"same partition from both clients: {same} of {len(IDS)}")
    print("simulator and Kafka agree:", frames_agree(on_sim, on_kafka))
"""
    ),
    md(
        """
Both real producers land exactly where the simulator's partitioners say, and they disagree
with each other for most accounts. A mixed fleet must configure one partitioner everywhere
(in librdkafka: `partitioner=murmur2_random`).

Adding partitions on the real broker moves the same accounts as on the simulator:
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree
from simkafka.routing import partitions_added

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    GROWN = [f"acct-{i}" for i in range(200)]
    on_sim = partitions_added("sim", GROWN, 3, 4)
    on_kafka = partitions_added("kafka", GROWN, 3, 4)
    print(f"moved on the simulator: {on_sim['moved'].sum()}, on Kafka: {on_kafka['moved'].sum()}")
    print("simulator and Kafka agree:", frames_agree(on_sim, on_kafka))
"""
    ),
    md(
        """
And order per key holds on the real broker too, with the same partitions and offsets:
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree, order_per_key

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    on_kafka = order_per_key("kafka", events, partitions=3)
    print(on_kafka.to_string(index=False))
    print("simulator and Kafka agree:", frames_agree(order_per_key("sim", events, 3), on_kafka))
"""
    ),
    md(
        """
## Recap

- A keyed record goes to `toPositive(murmur2(key)) % partitions` (Java, kafka-python, and
  the simulator, bit for bit). Same key, same count: same partition.
- Kafka orders records within a partition only. Keying by account id keeps each account's
  events in one partition, so in order; across keys there is no order.
- A hot key makes one partition (and its consumer) hot; more partitions do not help it.
- Keyless records: Java's sticky partitioner fills about one batch on a partition before
  moving on; kafka-python picks at random per record; round-robin takes turns.
- Adding partitions moves most keys (75% from 3 to 4, 50% when doubling); old records stay.
- The producer picks the partition: confluent-kafka's default `consistent_random` (CRC32)
  disagrees with Java's murmur2. Use `murmur2_random` to match.

**Next:** [03 - Consumer groups](03-consumer-groups.ipynb): how the group-management service
shares the partitions among its members.
"""
    ),
]
