"""Notebook 01: records, topics, partitions and offsets.

Built into notebooks/01-records-topics-partitions.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import code, exercise, golden, kafka, md, shown, solution

NAME = "01-records-topics-partitions"

CELLS = [
    md(
        """
# 01 - Records, topics and partitions

**What you'll learn:** what a Kafka record is (key, value, timestamp, headers); what a topic
is (a set of partitions, each an append-only log); what an offset is; and what the log start
and log end offsets of a partition tell you.

**Time:** about 30 minutes. **Needs:** nothing for sections 1-4 and 6 (the simulator; section 6
also uses fastavro, installed with the course). Section 5 and one cell of section 6 use a real
Kafka if one is running; without it, those cells print one line and move on.

The story: the *auth service* publishes an event each time a user account changes (created,
e-mail changed, deleted) to the topic `user-accounts`, keyed by account id.
"""
    ),
    md(
        """
## 1. A record

Kafka runs as a **cluster** of servers called **brokers**; they store the records. A
**producer** is a client that sends records to the brokers, a **consumer** one that reads
them. A **record** is what a producer sends and a consumer reads. It has four parts:

- **key**: bytes, or none. Here the account id. The producer uses it to pick a partition.
- **value**: bytes. Here the event. Kafka never looks inside keys or values.
- **timestamp**: milliseconds since 1970, set by the producer when it sends.
- **headers**: a list of `(name, bytes)` pairs, for metadata such as who sent the record.

Create a simulated cluster, then a topic with 3 partitions through the *admin* client (the
client that creates and deletes topics), then a producer.
"""
    ),
    code(
        """
from simkafka import NewTopic, SimCluster

cluster = SimCluster(seed=1)
admin = cluster.admin()
_ = admin.create_topics([NewTopic("user-accounts", num_partitions=3, replication_factor=1)])
producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
"""
    ),
    md(
        """
The serializers turn our strings into bytes: Kafka only stores bytes. `send` returns at
once with a *future* (an answer that comes later); `.get()` waits for the broker's answer:
the partition and offset where the record was stored, and its timestamp.
"""
    ),
    golden(
        """
from datetime import UTC, datetime

metadata = producer.send(
    "user-accounts", key="acct-1", value="created", headers=[("source", b"auth-service")]
).get()
when = datetime.fromtimestamp(metadata.timestamp / 1000, UTC)
print(f"partition {metadata.partition}, offset {metadata.offset}")
print(f"timestamp {metadata.timestamp} ms = {when:%Y-%m-%d %H:%M:%S} UTC (the simulated clock)")
"""
    ),
    md(
        """
The broker put the record in **partition 2** at **offset 0**: the first record of a
partition gets offset 0. The simulator's clock starts at 2026-01-01 and only moves when
asked, so the timestamp is the same on every run.

## 2. A topic is a set of logs

A partition is a *log*: a list that only grows at its end. Each new record gets the next
offset of its partition. A topic's partitions are separate logs, with separate offsets.

The auth service sends seven more events. The producer picks each record's partition from
its key, so all events of one account go to one partition.

**Predict, then run:** `acct-1` already has one record at partition 2, offset 0. It gets
two more events below. Which partition, and which offsets? And will `acct-4`'s first event
get offset 0 or offset 1?
"""
    ),
    golden(
        """
EVENTS = [
    ("acct-4", "created"),
    ("acct-5", "created"),
    ("acct-1", "email-changed"),
    ("acct-9", "created"),
    ("acct-4", "deleted"),
    ("acct-1", "email-changed"),
    ("acct-5", "email-changed"),
]
for account, event in EVENTS:
    meta = producer.send(
        "user-accounts", key=account, value=event, headers=[("source", b"auth-service")]
    ).get()
    print(f"{account:7} {event:14} -> partition {meta.partition}, offset {meta.offset}")
"""
    ),
    md(
        """
`acct-1` goes on in partition 2 (offsets 1 and 2). `acct-4` starts at offset 0: offsets
count per partition, not per topic. So a record's address is the triple
**(topic, partition, offset)**.

`cluster.records(topic)` lists every record the topic keeps, partition by partition:
"""
    ),
    golden(
        """
records = cluster.records("user-accounts")
for r in records.itertuples():
    headers = ", ".join(f"{k}={v.decode()}" for k, v in r.headers)
    key, value = r.key.decode(), r.value.decode()
    print(f"p{r.partition} offset {r.offset}: {key:7} {value:14} [{headers}]")
"""
    ),
    md(
        """
`cluster.partitions(topic)` summarises each log:

- **log start offset**: the first offset the partition still keeps (0 until old records are
  deleted);
- **log end offset**: the offset the *next* record will get (one past the last record);
- **records**: end minus start.
"""
    ),
    golden(
        """
OFFSETS = ["partition", "log_start_offset", "log_end_offset", "records"]
print(cluster.partitions("user-accounts")[OFFSETS].to_string(index=False))
"""
    ),
    md(
        """
The same logs as a drawing: one strip per partition, one cell per offset, coloured by key.
Each strip grows only to the right. The solid line marks each partition's log start offset
(here 0, on the axis), the dashed line its log end offset: where the next record will go.
"""
    ),
    shown(
        """
from simkafka.viz import partition_logs

partition_logs(cluster.records("user-accounts"), cluster.partitions("user-accounts"))
"""
    ),
    md(
        """
## 3. Reading removes nothing, and records never change

A consumer reads a partition from an offset of its choice. Here a consumer reads on its own
(`group_id=None`; notebook 03 shows consumers that share the work in a *group*). `assign`
gives it partition 2, `seek` sets the offset it reads from next, and `poll` returns what it
read as a dict: partition -> list of records. It reads from offset 1, then again from
offset 0.
"""
    ),
    golden(
        """
from simkafka import TopicPartition

reader = cluster.consumer(group_id=None)
p2 = TopicPartition("user-accounts", 2)
reader.assign([p2])

for start in (1, 0):
    reader.seek(p2, start)
    batch = reader.poll(timeout_ms=100)[p2]
    print(f"from offset {start}:", [(r.offset, r.value.decode()) for r in batch])
print("records kept:", cluster.partitions("user-accounts")["records"].tolist())
"""
    ),
    md(
        """
Reading twice gave the same records, and the topic still keeps all 8: a Kafka log is not a
queue, reading does not remove. Other services (an audit service, a new search service) can
read the same records later, each at its own pace.

Records are also **immutable**: there is no "update record at offset 1". When `acct-1`
changes its e-mail again, the auth service appends a new event; the old ones stay. The
current state of an account is what you get by reading its events in order.

## 4. The log start offset moves: old records are deleted

Logs do not grow forever. Kafka deletes old records by *retention* (by age or by size,
notebook 07), or when an admin asks with `delete_records`. Either way, records disappear
from the **start** of the log.

**Predict, then run:** we delete the records of partition 2 below offset 2. What is the
offset of the first record still in partition 2: 0 or 2? And the log end offset?
"""
    ),
    golden(
        """
_ = admin.delete_records({TopicPartition("user-accounts", 2): 2})
print(cluster.partitions("user-accounts")[OFFSETS].to_string(index=False))
reader.seek_to_beginning(p2)
batch = reader.poll(timeout_ms=100)[p2]
print("partition 2 from its start:", [(r.offset, r.value.decode()) for r in batch])
"""
    ),
    shown(
        """
partition_logs(cluster.records("user-accounts"), cluster.partitions("user-accounts"))
"""
    ),
    md(
        """
In the drawing, offsets 0 and 1 of partition 2 are gone (grey). The first record left is
still at offset 2: offsets are never renumbered or reused, so an offset names one record
forever. The log start offset moved to 2, the log end offset did not move, and partition 2
now keeps one record.

## 5. The same on real Kafka

The same steps on a real broker, with `RealCluster`: it has the same `admin()`,
`producer()`, `consumer()`, `records()` and `partitions()` as `SimCluster`, backed by
kafka-python. A broker outlives this notebook, so the topic gets a unique name
(`real.topic_name("user-accounts")`), and leaving the `with` block deletes it.

Timestamps differ (the real producer uses the wall clock) and so does the topic name;
partitions, offsets, keys, values and headers should not.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_address, broker_notice

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    from simkafka.real import RealCluster

    with RealCluster(broker_address("kafka")) as real:
        topic = real.topic_name("user-accounts")
        real.admin().create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        real_producer = real.producer(key_serializer=str.encode, value_serializer=str.encode)
        for account, event in [("acct-1", "created"), *EVENTS]:
            real_producer.send(
                topic, key=account, value=event, headers=[("source", b"auth-service")]
            )
        real_producer.flush()
        print("topic:", topic)
        for r in real.records(topic).itertuples():
            print(f"p{r.partition} offset {r.offset}: {r.key.decode():7} {r.value.decode()}")
        _ = real.admin().delete_records({TopicPartition(topic, 2): 2})
        print(real.partitions(topic)[OFFSETS].to_string(index=False))
"""
    ),
    md(
        """
Now compare. `account_log` (from `simkafka.routing`, the course's module for notebooks 01
and 02) does all of the above on either backend, `"sim"` or `"kafka"`, and returns the
records kept as a table, without timestamps or topic names. `frames_agree` says whether the
two tables, and each partition's log start and end offsets, are equal.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree
from simkafka.routing import account_log

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    sent = [("acct-1", "created"), *EVENTS]
    on_sim = account_log("sim", sent, delete_before={2: 2})
    on_kafka = account_log("kafka", sent, delete_before={2: 2})
    side_by_side = on_sim[["partition", "offset", "account_id", "event"]].merge(
        on_kafka[["partition", "offset", "event"]],
        on=["partition", "offset"],
        how="outer",
        suffixes=("_sim", "_kafka"),
    )
    print(side_by_side.to_string(index=False))
    print("simulator and Kafka agree (records, log start and end offsets):", end=" ")
    print(frames_agree(on_sim, on_kafka))
"""
    ),
    md(
        """
## 6. What is in the value: JSON or Avro

Kafka stores keys and values as bytes and never looks inside. The *format* of the value is
a choice of the producer's `value_serializer`, and every consumer must know it. Two common
choices for events like the auth service's:

- **JSON**: text that names every field in every record. Anyone can read it; nothing says
  what a valid event is.
- **Avro**: compact binary written with a **schema**, a JSON document that lists the fields
  and their types. The bytes hold only the values, so a reader needs the writer's schema to
  read them at all. The course keeps the account event's schema in the repository
  (`src/simkafka/schemas/account-event-v1.avsc`).

`simkafka.formats` gives the serializers for both, as plain functions that fit
`value_serializer` and `value_deserializer` on either backend. Here are the same eight
events as dicts, then their sizes in each format:

- `avro+schema-id` is Avro with Confluent's 5-byte header (a zero byte and a 4-byte schema
  id), what a *schema registry* client writes, so that a reader can look the schema up;
- `avro-file` is an Avro file per value: the schema travels inside every record.
"""
    ),
    golden(
        """
from simkafka.formats import account_events, sizes

events = account_events()
for event in events[:3]:
    print(event)
print()
table = sizes(events)
print(table.to_string(index=False))
print("all eight events in one Avro file (the schema once):", table.attrs["all_in_one_file"], "B")
"""
    ),
    md(
        """
Avro takes less than half of JSON's bytes: no field names, numbers as variable-length
integers. The registry header adds 5 bytes per record. Shipping the schema inside each value
costs six times JSON: the schema is what makes Avro small, so it must live somewhere else
(a registry, or the repository), shared by producers and consumers.

The serializers work on the simulator as on a real producer. Each record also costs Kafka's
own framing (a record batch header, and each record's offset delta, timestamp delta, key and
headers), so the log keeps more than the values. **Predict:** does Avro's saving of about
400 bytes on 8 records survive in the log?
"""
    ),
    golden(
        """
from simkafka.formats import avro_deserializer, avro_serializer, stored_bytes

fmt_cluster = SimCluster(seed=1)
fmt_cluster.admin().create_topics([NewTopic("accounts-avro", 1, 1)])
to_avro = fmt_cluster.producer(key_serializer=str.encode, value_serializer=avro_serializer("v1"))
for event in events:
    to_avro.send("accounts-avro", key=event["account_id"], value=event).get()
avro_reader = fmt_cluster.consumer(group_id=None, value_deserializer=avro_deserializer("v1"))
avro_p0 = TopicPartition("accounts-avro", 0)
avro_reader.assign([avro_p0])
avro_reader.seek_to_beginning(avro_p0)
first = avro_reader.poll(timeout_ms=100)[avro_p0][0]
print("the log keeps:", fmt_cluster.records("accounts-avro")["value"][0])
print("the reader gets:", first.value)
print()
on_sim_sizes = stored_bytes("sim", events)
print(on_sim_sizes.to_string(index=False))
"""
    ),
    md(
        """
It does: the log keeps 933 bytes for Avro against 1,360 for JSON. On a real Kafka the
broker reports the size of each partition on disk (the admin's `describe_log_dirs`);
`stored_bytes("kafka")` sends the same records there and reads those figures:
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree
from simkafka.formats import stored_bytes

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    on_kafka_sizes = stored_bytes("kafka", events)
    print(on_kafka_sizes.to_string(index=False))
    print("the broker's figures equal the simulator's:", frames_agree(on_sim_sizes, on_kafka_sizes))
"""
    ),
    md(
        """
### What a schema buys, and what it costs, when the event changes shape

Version 2 of the account event (`account-event-v2.avsc`) renames `email` to
`email_address` and adds `display_name` with a default. Avro's *schema resolution* reads
data written with one schema as another: a field the writer did not have gets the reader's
default; a reader's field finds a renamed one only through its `aliases`. `evolution()`
tries each case, and one more: a producer that renames the key in its dict but still
writes with schema v1. fastavro's `strict_allow_default=True` (on in `avro_serializer`)
refuses a record with a field the schema does not know; without it, the field is dropped.

**Predict:** in which cases does the reader end up without the e-mail, and get no error?
"""
    ),
    golden(
        """
from simkafka.formats import evolution

changes = evolution()
print(changes[["case", "format", "writer", "reader", "email_read"]].to_string(index=False))
print()
for case, outcome in zip(changes["case"], changes["outcome"], strict=True):
    print(f"{case:38} {outcome}")
"""
    ),
    md(
        """
What the schema buys: the new reader reads old events, with the rename followed through
the alias and the new field filled from its default, and a strict writer refuses an event
that does not fit, at the producer, before it reaches any consumer. What it costs: every
producer and consumer needs the schema (Avro bytes mean nothing without it); a rename still
breaks old readers (`old reader, new data`), so a rename is really an add and a later
remove; and without the alias, or with a lenient writer, the e-mail is lost with no error.
JSON loses it silently too: nothing checks it at all.
"""
    ),
    md(
        """
## Exercises

Use a fresh `SimCluster` in each exercise, so the cluster above stays as it is.
"""
    ),
    exercise(
        """
**Exercise 1.** Create a topic `user-accounts` with **4** partitions on a new
`SimCluster(seed=2)`. Send three events for `acct-7` (`created`, `email-changed`,
`deleted`) and one for `acct-8` (`created`). Before you run it, write down which offsets
the `acct-7` events get. Then print the `partitions` table: which partitions are empty?
"""
    ),
    solution(
        """
ex1 = SimCluster(seed=2)
ex1.admin().create_topics([NewTopic("user-accounts", num_partitions=4, replication_factor=1)])
ex1_producer = ex1.producer(key_serializer=str.encode, value_serializer=str.encode)
ex1_events = [
    ("acct-7", "created"),
    ("acct-7", "email-changed"),
    ("acct-7", "deleted"),
    ("acct-8", "created"),
]
for account, event in ex1_events:
    ex1_meta = ex1_producer.send("user-accounts", key=account, value=event).get()
    print(f"{account} {event:14} -> partition {ex1_meta.partition}, offset {ex1_meta.offset}")
print(ex1.partitions("user-accounts")[OFFSETS].to_string(index=False))
# acct-7's events get offsets 0, 1, 2 of one partition; partitions no key mapped to stay empty
# (log start offset = log end offset = 0).
"""
    ),
    exercise(
        """
**Exercise 2.** On a new `SimCluster(seed=3)` with a 3-partition `user-accounts`, send the
eight events of this notebook (`acct-1 created` first, then `EVENTS`). Then, in one
`delete_records` call, delete the records below offset 1 in partition 0 and below offset 2
in partition 2. Predict first: how many records are kept, and what are each partition's log
start and log end offsets? Check with the `partitions` table. Then read partition 0 from its
beginning (`seek_to_beginning`): which offset comes first?
"""
    ),
    solution(
        """
ex2 = SimCluster(seed=3)
ex2_admin = ex2.admin()
ex2_admin.create_topics([NewTopic("user-accounts", num_partitions=3, replication_factor=1)])
ex2_producer = ex2.producer(key_serializer=str.encode, value_serializer=str.encode)
for account, event in [("acct-1", "created"), *EVENTS]:
    ex2_producer.send("user-accounts", key=account, value=event).get()
_ = ex2_admin.delete_records(
    {TopicPartition("user-accounts", 0): 1, TopicPartition("user-accounts", 2): 2}
)
print(ex2.partitions("user-accounts")[OFFSETS].to_string(index=False))

ex2_reader = ex2.consumer(group_id=None)
ex2_p0 = TopicPartition("user-accounts", 0)
ex2_reader.assign([ex2_p0])
ex2_reader.seek_to_beginning(ex2_p0)
ex2_batch = ex2_reader.poll(timeout_ms=100)[ex2_p0]
print("partition 0 from its start:", [(r.offset, r.value.decode()) for r in ex2_batch])
# 5 of 8 records kept. Log start offsets 1, 0, 2; log end offsets 3, 2, 3: deleting never
# moves the end. Partition 0 now starts at offset 1 (acct-9 created); nothing is renumbered.
"""
    ),
    md(
        """
## Recap

- A **record** is a key, a value (both bytes), a timestamp and headers.
- A **topic** is a set of **partitions**; each partition is an append-only **log**.
- An **offset** is a record's position in its partition, from 0; a record's address is
  (topic, partition, offset). Offsets are per partition, never renumbered, never reused.
- **Log end offset**: the offset of the next record. **Log start offset**: the first one
  still kept; deleting old records (retention, `delete_records`) moves it forward.
- Reading removes nothing, and records never change: a change is a new record.
- The simulator and a real Kafka keep the same logs, offset for offset.
- The value's format is the producer's choice: Avro is less than half of JSON's size, and its
  schema lets a newer reader read old events (defaults, aliases), at the price of sharing
  the schema and changing it only in compatible steps.

**Next:** [02 - Keyed routing and ordering](02-keyed-routing-and-ordering.ipynb): how the key
picks the partition, and why order holds only within a partition.
"""
    ),
]
