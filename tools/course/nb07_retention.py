"""Notebook 07: retention and replay. How long a log keeps history, and how groups go back in it.

Built into notebooks/07-retention-and-replay.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import exercise, golden, kafka, md, shown, solution

NAME = "07-retention-and-replay"

CELLS = [
    md(
        """
# 07 - Retention and replay: how long history stays, and how to go back

**What you'll learn:** how Kafka deletes old records (by age with `retention.ms`, by size
with `retention.bytes`), why it deletes whole *segments* and never single records, why
deletion is never immediate, how a new consumer group replays a topic from offset 0, and how
to send an existing group back: reset its committed offsets with the admin, or `seek`.

**Time:** about 30 minutes. **Needs:** the simulator only; Kafka is optional (its cells print one
line and move on without it).

The story: PlayBall's *auth service* has published user-account events, keyed by account
id, to `user-accounts` for months, and the *group-management service* (group
`groups-service`) has read them all. Now two things happen. A new *audit service* wants the
whole history. And a bug is found in the group-management service: it must process part of
the topic again. Both only work if the records are still there.
"""
    ),
    md(
        """
## 1. A log is kept in segments

A partition's log is not one file. The broker writes it in *segments*: files of consecutive
records. It writes only to the newest segment, the *active* one. It starts a new segment
(it *rolls*) when the active one is full (`segment.bytes`, 1 GiB by default) or old
(`segment.ms`, 7 days by default). The age is checked when the next record arrives: a segment
rolls by age only when something is written after it has grown old.

Retention deletes **whole segments**, oldest first. A segment can go when:

- **by time** (`retention.ms`, 7 days by default): its **newest** record is older than
  `retention.ms`;
- **by size** (`retention.bytes`, per partition, unlimited by default): the partition stays at
  or over `retention.bytes` even without it.

The broker checks this every `log.retention.check.interval.ms` (5 minutes by default), not
all the time.

`retention_timeline` (from `simkafka.history`) runs this on the simulator. The auth service
sends one event every 10 s to a one-partition topic with `segment.ms` = 30 s. Then the clock
moves on to 240 s. We set the retention check to every 30 s so that the story fits in four
minutes. The simulated clock moves only when asked, so this takes no real time.

Like the course's other experiments, it returns a table (a pandas DataFrame, one row per
moment) with a short summary attached as `.attrs["summary"]`, a plain dict: here the offsets
where the segments start, and each jump of the log start offset (the first offset still in
the log, notebook [01](01-records-topics-partitions.ipynb)).

**Predict, then run.** `retention.ms` is 60 s. The first event (offset 0) is written at 0 s.
When is offset 0 deleted? And how many records go with it?
"""
    ),
    golden(
        """
from simkafka.history import retention_timeline

by_time = retention_timeline(12, retention_ms=60_000)
summary = by_time.attrs["summary"]
print("segments start at offsets:", summary["segment_bases"])
for elapsed_ms, old, new in summary["jumps"]:
    print(f"at {elapsed_ms // 1000:>3} s the log start offset jumps {old} -> {new}")
"""
    ),
    md(
        """
Three things to see:

- **Whole segments.** The log start offset jumps 0 -> 4 -> 8 -> 12. It never moves one
  record at a time. Offsets 0 to 3 share a segment, so they go together. (Offset 3, written
  at 30 s, still joined the first segment: that segment was not older than `segment.ms` yet.
  Offset 4, at 40 s, started the second.)
- **Later than `retention.ms`.** Offset 0 was written at 0 s and lives until 120 s, twice
  `retention.ms`. Its segment could go only when its newest record (offset 3, written at
  30 s) was more than 60 s old. That was after 90 s. The next retention check was at 120 s.
- **The active segment.** While the auth service kept writing, the active segment's newest
  record was always fresh, so it could not expire. The last segment went only after the
  writes stopped. (Then the broker rolls a new, empty active segment first, so the log end
  offset stays 12 and the next record still gets offset 12.)

So `retention.ms` is a minimum, not a promise to delete at that moment. A record can
stay up to about `segment.ms` + `retention.ms` + `log.retention.check.interval.ms`.
On a real broker with the defaults, that is 7 days + 7 days + 5 minutes.

The table behind this has one row per send and per 10 s step; here is every third row (every
30 s). `segments` counts the segments that still hold records:
"""
    ),
    golden(
        """
print(by_time.iloc[::3].to_string(index=False))
"""
    ),
    md(
        """
The same as a picture: the retained records (blue) lie between the log start offset and the
log end offset; the log start offset climbs in steps, one segment at a time, each at a
retention check.
"""
    ),
    shown(
        """
from simkafka.viz import retention

retention(by_time)
"""
    ),
    md(
        """
## 2. Retention by size

Now no time limit, but `retention.bytes` = 600 bytes per partition. Each event is about 83
bytes on disk (Kafka's record format: a 61-byte batch header, plus the record). So a segment
of 4 events is about 350 bytes.

**Predict, then run.** The partition goes over 600 bytes after the 8th event (at 70 s).
Is the first segment deleted at the next retention check?
"""
    ),
    golden(
        """
by_size = retention_timeline(12, retention_bytes=600)
print("segment sizes (bytes):", by_size.attrs["summary"]["segment_bytes"])
print("largest size reached: ", by_size["bytes_retained"].max(), "bytes")
for elapsed_ms, old, new in by_size.attrs["summary"]["jumps"]:
    print(f"at {elapsed_ms // 1000:>3} s the log start offset jumps {old} -> {new}")
print("size at the end:      ", by_size["bytes_retained"].iloc[-1], "bytes")
"""
    ),
    md(
        """
No. A segment is deleted by size only if the partition is **still at least**
`retention.bytes` without it. At the check of 90 s (865 bytes) removing the first segment
(332 bytes) would leave 533 bytes, under 600, so it stays. At 120 s the log has 1033 bytes;
without the first segment it has 701, so the segment goes. The log ends at 701 bytes: more
than `retention.bytes`, and it stays there. `retention.bytes` is a floor you keep, not a
ceiling you never pass.

Real topics often set both limits. A segment goes when either one allows it.
"""
    ),
    *exercise(
        """
**Exercise 1.** Kafka's default retention check runs every 5 minutes (300 000 ms), not every
30 s. Run `retention_timeline` with `retention_ms=60_000`, `check_interval_ms=300_000` and
`horizon_ms=600_000` (the clock runs to 10 minutes), and print the jumps in its
`.attrs["summary"]`. When is the first deletion, and how many segments go at once? Why?
"""
    ),
    solution(
        """
slow = retention_timeline(12, retention_ms=60_000, check_interval_ms=300_000, horizon_ms=600_000)
print(slow.attrs["summary"]["jumps"])
# [(300000, 0, 12)]: nothing happens until the first check at 300 s. By then every segment
# has expired, so all three go at once and the log start offset jumps from 0 to 12.
"""
    ),
    md(
        """
## 3. A new service replays history

The audit service starts with a new group, `audit-service`. A new group has no committed
offsets, so where does it begin? That is the consumer setting `auto_offset_reset`, which
notebook [05](05-offsets-and-delivery.ipynb) introduced:

- `"latest"` (the default): at the log end. It sees only events written from now on.
- `"earliest"`: at the log start offset. It replays everything that is still retained.

Two new groups on the same six events: the audit service with `"earliest"`, and a new
dashboard that only wants what happens from now on, with `"latest"`:
"""
    ),
    golden(
        """
from simkafka import NewTopic, SimCluster

cluster = SimCluster(seed=0)
cluster.admin().create_topics([NewTopic("user-accounts", num_partitions=1, replication_factor=1)])
producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
for i in range(6):
    producer.send("user-accounts", key=f"acct-{i % 3}", value=f"event-{i}")
producer.flush()

for group, reset in [("audit-service", "earliest"), ("dashboard", "latest")]:
    consumer = cluster.consumer(
        "user-accounts", group_id=group, auto_offset_reset=reset, enable_auto_commit=False
    )
    records = [r for rs in consumer.poll(timeout_ms=1000).values() for r in rs]
    print(f"{group:>13} ({reset}): {len(records)} records, offsets {[r.offset for r in records]}")
    consumer.close()
"""
    ),
    md(
        """
`auto_offset_reset` is used only when the group has **no committed offset** for a
partition (or its committed offset is no longer in the log). Once a group has committed, it
continues from there, whatever the setting.

`retention_and_replay` (from `simkafka.experiments`) tells the whole story in one table:
`audit-service` replays 12 events from offset 0; then its offsets are reset (section 4 shows
how) and it reads them all again; then the records before offset 6 are deleted (with the
admin's `delete_records`, as in notebook 01; section 5 says why it stands in for retention
here), and a new group, `reporting-service`, with `"earliest"`, can start only at offset 6.
What is deleted cannot be replayed.
"""
    ),
    golden(
        """
from simkafka.experiments import retention_and_replay

replay = retention_and_replay("sim", n_events=12)
print(replay.to_string(index=False))
"""
    ),
    shown(
        """
retention(replay)
"""
    ),
    md(
        """
## 4. Sending a group back: reset its offsets, or seek

The bug in the group-management service affected the events from offset 4 on. After the fix,
`groups-service` must process them again. Its committed offset is 12 (the end). There are
two ways back (below, `tp` is the partition, `TopicPartition("user-accounts", 0)`):

- **The admin**: `admin.alter_group_offsets(group, {tp: 4})` sets the committed offset, and
  `admin.reset_group_offsets(group, {tp: "earliest"})` resets it to the log start offset
  (the command line does the same:
  `kafka-consumer-groups.sh --bootstrap-server 127.0.0.1:9092 --group groups-service --reset-offsets --to-offset 4 --topic user-accounts --execute`).
  The group must be **stopped**: while it has members, the broker refuses with
  `UnknownMemberIdError`. Its members would overwrite the new offset with their next commit.
- **The consumer**: a running member calls `consumer.seek(tp, 4)`. Its next poll reads from
  offset 4; it commits as usual. No stopping, but you need code in the service for it.

`reset_offsets` does all of these in turn on one partition with 12 events:
"""
    ),
    golden(
        """
from simkafka.history import reset_offsets

going_back = reset_offsets("sim", n_events=12, to_offset=4)
print(going_back.to_string(index=False))
print("refused while running:", going_back.attrs["summary"]["refused"])
"""
    ),
    md(
        """
Step 2 read nothing (`-1`: no offset): the admin was refused because the first member was
still running. Each other way back re-reads from the chosen offset, and the group's committed
offset (`committed`) is at the end again afterwards (12). Going back means **processing
twice**: the group-management service must be safe to run on an event it has seen before
(idempotent), or it will, for example, send the same e-mail twice.
"""
    ),
    *exercise(
        """
**Exercise 2.** On a fresh `SimCluster(seed=0)`, create `user-accounts` with 1 partition,
send 10 events, and let a member of `groups-service` read them all and commit. Then close
it, set the group's committed offset to 7 with `admin.alter_group_offsets`, and start a new
member. Which offsets does it read? (Hint: `consumer.commit()` with no arguments commits the
positions it reached.)
"""
    ),
    solution(
        """
from simkafka import NewTopic, SimCluster, TopicPartition

ex_cluster = SimCluster(seed=0)
ex_admin = ex_cluster.admin()
ex_admin.create_topics([NewTopic("user-accounts", num_partitions=1, replication_factor=1)])
ex_producer = ex_cluster.producer()
for i in range(10):
    ex_producer.send("user-accounts", key=b"acct-1", value=f"event-{i}".encode())
ex_producer.flush()

first = ex_cluster.consumer(
    "user-accounts", group_id="groups-service", auto_offset_reset="earliest"
)
print(
    "first member:", len([r for rs in first.poll(timeout_ms=1000).values() for r in rs]), "records"
)
first.commit()
first.close()

ex_admin.alter_group_offsets("groups-service", {TopicPartition("user-accounts", 0): 7})
second = ex_cluster.consumer("user-accounts", group_id="groups-service")
print(
    "new member reads offsets",
    [r.offset for rs in second.poll(timeout_ms=1000).values() for r in rs],
)
second.close()
"""
    ),
    md(
        """
## 5. The same on real Kafka

Now `retention_and_replay` and `reset_offsets` on the real broker (Kafka 4.x, with
kafka-python), compared with the simulator's tables.

Be aware of one difference. On the real broker, time-based retention cannot be shown
quickly. The broker checks retention every 5 minutes (`log.retention.check.interval.ms`, and
the course's broker keeps Kafka's default), and a segment must also be old enough first. So
`retention_and_replay` moves the log start offset with the admin's `delete_records`
(Kafka's DeleteRecords request) on **both** backends. DeleteRecords moves the log start
offset to exactly the offset you give; the broker removes the files of whole segments behind
it later. For a consumer it is the same as retention: records before the log start offset
are gone. Sections 1 and 2 showed retention itself, on the simulator.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree, retention_and_replay

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    sim_replay = retention_and_replay("sim", n_events=12)
    kafka_replay = retention_and_replay("kafka", n_events=12)
    print(kafka_replay.to_string(index=False))
    print(
        "Kafka log start offset after DeleteRecords:",
        kafka_replay.attrs["summary"]["log_start_offset_after"],
    )
    print("same table as the simulator:", frames_agree(sim_replay, kafka_replay))
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree
from simkafka.history import reset_offsets

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    sim_back = reset_offsets("sim", n_events=12, to_offset=4)
    kafka_back = reset_offsets("kafka", n_events=12, to_offset=4)
    both = sim_back[["how", "records_seen"]].rename(columns={"records_seen": "simulator"})
    both["Kafka"] = kafka_back["records_seen"]
    print(both.to_string(index=False))
    print("Kafka refused while running:", kafka_back.attrs["summary"]["refused"])
    print("same table as the simulator:", frames_agree(sim_back, kafka_back))
"""
    ),
    md(
        """
## 6. Comparing the two

| | simulator | real Kafka |
|---|---|---|
| deleted by age or size | whole segments, at the retention check (sections 1 and 2) | the same rules, but the check runs every 5 minutes |
| `delete_records` | log start offset moves exactly | the same |
| new group, `earliest` | replays from the log start offset | the same |
| reset while the group runs | `UnknownMemberIdError` | the same error, from the broker |
| reset / seek, then read | re-reads from the chosen offset | the same |

One difference in the clients, not in Kafka: to reset to the earliest offset, the
simulator's admin takes `"earliest"`, kafka-python's takes `OffsetSpec.EARLIEST` (from
`kafka.admin`). The experiment passes the right one to each backend.
"""
    ),
    md(
        """
## 7. Does a long log slow Kafka down?

Kafka keeps everything until retention deletes it, so a topic may hold millions of records.
The article claims that *Kafka's performance does not depend on how much is already
stored*. Why it should: a producer appends to the end of the active segment, and a consumer
reads from an offset it knows, found through the segment's sparse offset index; neither
looks at the older segments. A RabbitMQ queue, by contrast, is built to be short: it holds
what is not yet consumed, and a deep queue is a sign of trouble.

`make bench-brokers` measured it on the real brokers: batches of 500,000 records of 100
bytes produced to and consumed from one partition (confluent-kafka) as the log held 0, 1.5 and
5 million records; and batches of 50,000 messages published to and consumed (with acks)
from one classic queue (pika) holding 0, 100,000 and 1 million messages. Three runs each; the
plot shows the median. It reads the saved results, so it needs no broker:
"""
    ),
    shown(
        """
from simkafka.claims import load_results, plot_throughput, table

results = load_results()
plot_throughput(results)
"""
    ),
    shown(
        """
for name in ("kafka_throughput", "rabbitmq_throughput"):
    rates = table(results, name)[["stored", "produce_per_s", "consume_per_s", "produce_runs"]]
    print(name)
    print(rates.to_string(index=False))
"""
    ),
    md(
        """
What the saved results say: Kafka's consumer read about 216,000 records a second whether the
log held nothing, 1.5 million or 5 million records, and its producer wrote 650,000-735,000 a
second, up and down with no trend (the spread of one machine's runs). The claim holds for
Kafka. RabbitMQ's publishing stayed flat too (about 21,000-24,000 a second), but consuming fell
from about 43,000 a second on an empty queue to about 31,000-33,000 once the queue held
100,000 messages or more: for a queue, what is stored does matter.

Regenerate the results on your machine with `make bench-brokers` (about 3 minutes, both
brokers running; it loads about 6.5 million records and deletes its topic and queue at the
end), then re-run these cells.

Read the two panels separately: the clients differ (librdkafka in C for Kafka, pika in pure
Python for RabbitMQ), so the heights compare clients as much as brokers. What each panel
shows is whether its own line stays flat as what is stored grows. A small version runs here
if Kafka is up (a few seconds):
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    from simkafka.brokers import kafka_bootstrap
    from simkafka.claims import kafka_throughput

    live = kafka_throughput(kafka_bootstrap(), stored=(0, 500_000), batch=100_000, repeats=1)
    print(live[["stored", "produce_per_s", "consume_per_s"]].to_string(index=False))
"""
    ),
    md(
        """
## Recap

- A partition's log is a list of segments. Retention deletes **whole segments**, oldest
  first, so the log start offset jumps.
- By time, a segment goes when its **newest** record is older than `retention.ms`; by size,
  while the partition stays at least `retention.bytes` without it.
- Deletion is never immediate. The broker checks every `log.retention.check.interval.ms`
  (5 minutes), and the active segment keeps fresh records. `retention.ms` is a minimum.
- A new group with `auto_offset_reset="earliest"` replays everything still retained. What
  retention deleted cannot be replayed.
- To go back, reset a **stopped** group's offsets with the admin
  (`alter_group_offsets`, `reset_group_offsets`), or `seek` in a running member. Either way
  the service processes those events twice, so it must be idempotent.
- Producing and consuming cost the same whether the log holds nothing or millions of
  records: Kafka touches only the end of the log and the offsets it reads.

**Next:** [08 - Events versus commands](08-events-versus-commands.ipynb): what belongs in a
Kafka topic, and why Kafka is not an event store.
"""
    ),
]
