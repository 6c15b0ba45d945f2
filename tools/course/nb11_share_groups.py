"""Notebook 11: share groups (KIP-932), Kafka's own queues, between a consumer group and RabbitMQ.

Built into notebooks/11-share-groups.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import KAFKA, RABBITMQ, code, exercise, golden, md, shown, solution

NAME = "11-share-groups"

CELLS = [
    md(
        """
# 11 - Share groups: Kafka's own queues

**What you'll learn:** what a *share group* (KIP-932, production-ready since Kafka 4.2) does
that a consumer group cannot: many members working one partition together, each record
acknowledged on its own (accept, release, reject), redelivered with a *delivery count* when
a member lets it go, crashes or stalls past its *acquisition lock*, and archived after too
many attempts. And what it keeps from the log: a new reader can still replay everything.

**Time:** about 30 minutes. **Needs:** the simulator only; Kafka (and RabbitMQ for one cell)
are optional: their cells print one line and move on without them.

The story goes on from notebook [06](06-log-versus-queue.ipynb): the auth service publishes
account events to `user-accounts`, a topic with **one partition** (one order for all).
The group-management service needs three workers on it. In a consumer group a partition has
one owner, so two of the three would sit idle.
"""
    ),
    md(
        """
## 1. Three workers, one partition

`work_sharing` (from `simkafka.sharing`) sends 12 events and reads them twice with three
members: as a consumer group, then as a share group (each member polls in turn, at most
2 records a poll, and accepts what it got). The table: who processed which record.
"""
    ),
    golden(
        """
from simkafka.sharing import work_sharing

sharing = work_sharing("sim", n_events=12, members=3)
print(sharing.pivot_table(index="member", columns="system", values="offset", aggfunc=list))
for system, facts in sharing.attrs["summary"].items():
    print(f"{system}: {facts}")
"""
    ),
    md(
        """
The consumer group gave the partition to one member, which read everything in order. The
share group gave it to all three: each fetch **acquires** the next records for that member
only, so they take turns through the same partition. No record went to two members.

Which member gets which partition is the broker's *simple* assignor's choice. It aims at
`ceil(members / partitions)` members per partition (the *desired sharing*) and a balanced
number of partitions per member; more members than partitions all get work.
"""
    ),
    golden(
        """
from simkafka import TopicPartition
from simkafka.share import simple_assignment

for members, partitions in [(3, 1), (3, 2), (2, 3), (6, 3)]:
    tps = [TopicPartition("user-accounts", p) for p in range(partitions)]
    names = [f"m{i + 1}" for i in range(members)]
    plan = simple_assignment(names, tps, {})
    per_member = {m: sorted(tp.partition for tp in plan[m]) for m in names}
    print(f"{members} members, {partitions} partitions: {per_member}")
"""
    ),
    md(
        """
## 2. Acknowledging each record

A share-group member acknowledges **each record**, not an offset:

| type | means | the record |
|---|---|---|
| `ACCEPT` | processed | done for good |
| `RELEASE` | not now | available again, to any member, its `delivery_count` + 1 on the next delivery |
| `REJECT` | cannot be processed | archived: never delivered again |

Kafka 4.2's Java client adds a fourth type, `RENEW` (KIP-1222): not an outcome but "still
working on it", which restarts the record's acquisition lock. Neither the simulator nor the
course's client (confluent-kafka) has it, so a slow member here can only finish in time.

A record delivered `share.delivery.count.limit` times (5 by default, at least 2) is archived
too: a *poison* record stops coming back. `acknowledgements` accepts offset 0, releases
offset 1 every time, and rejects offset 2, with the limit at 2.
"""
    ),
    golden(
        """
from simkafka.sharing import acknowledgements

acks = acknowledgements("sim", delivery_count_limit=2)
print(acks.to_string(index=False))
print(acks.attrs["summary"])
"""
    ),
    md(
        """
Underneath, the group keeps per partition a **start offset** (below it every record is done)
and an **end offset** (the next record never acquired). Between them is the **in-flight
window**: records acquired, released, or done but not yet passed by the start offset. The
window holds at most `share.partition.max.record.locks` records (2000 by default): once it
is full, nothing new is acquired until the oldest records are done. Here the limit is 100 and
the topic has 150 records.
"""
    ),
    golden(
        """
from simkafka import AcknowledgeType, SimCluster, configure_share_group
from simkafka.share import share_group_state

cluster = SimCluster(seed=0)
cluster.create_topic("user-accounts", partitions=1)
producer = cluster.producer()
for i in range(150):
    producer.send("user-accounts", value=f"event#{i}".encode())
producer.flush()
configure_share_group(
    cluster,
    "groups-service",
    {"share.auto.offset.reset": "earliest", "share.partition.max.record.locks": 100},
)
a, b = (
    cluster.share_consumer(
        "user-accounts", group_id="groups-service", share_acknowledgement_mode="explicit"
    )
    for _ in range(2)
)
held = a.poll(timeout=1)
print("a acquired", len(held), "- b gets", len(b.poll(timeout=1)), "(the window is full)")
for r in held[:10]:
    a.acknowledge(r, AcknowledgeType.ACCEPT)
for r in held[10:]:
    a.acknowledge(r, AcknowledgeType.RELEASE)
a.commit_sync()
print("after 10 accepted and 90 released, b gets", len(b.poll(timeout=1)))
print(share_group_state(cluster, "groups-service").to_string(index=False))
"""
    ),
    md(
        """
`share.auto.offset.reset` is `latest` by default: a new share group starts at the end of the
log, like a consumer group with `auto_offset_reset="latest"`. The experiments set it to
`earliest`. It is a **group config**, set on the broker with the admin client's incremental
alter configs on the GROUP resource (`configure_share_group` does that on either backend),
as are `share.record.lock.duration.ms`, `share.delivery.count.limit` and
`share.partition.max.record.locks`.

## 3. The acquisition lock

An acquired record is locked for `share.record.lock.duration.ms` (30 s by default; the
broker refuses less than 15 s, its `group.share.min.record.lock.duration.ms`). A member that
stalls, alive but never acknowledging, loses its records when the lock runs out: another
member gets them, `delivery_count` 2. The simulator waits on its simulated clock, so this
takes no time here. On the real broker it takes the whole lock, at least 15 s: this notebook
does not run it there; tests/test_sharing.py does, and it took about 20 s on the course machine.
"""
    ),
    golden(
        """
from simkafka.sharing import lock_expiry

print(lock_expiry("sim", lock_ms=15_000).to_string(index=False))
"""
    ),
    md(
        """
## 4. A crash

`crash_redelivery`: the first member acquires three records, accepts the first, and
crashes. Its connection drops, so the broker releases the two it still held at once (the
member itself stays in the group until `share.session.timeout.ms`, 45 s). The second member
gets exactly those two again, with `delivery_count` 2, then the rest.
"""
    ),
    golden(
        """
from simkafka.sharing import crash_redelivery

crash = crash_redelivery("sim", n_events=6, held=3, accepted=1)
print(crash[["member", "offset", "value", "delivery_count"]].to_string(index=False))
print(crash.attrs["summary"])
"""
    ),
    md(
        """
Compare notebook [05](05-offsets-and-delivery.ipynb): a consumer group redelivers from the
last **committed offset**, everything after it, in order. A share group redelivers **the
records that were not acknowledged**, one by one: nothing the first member accepted comes
back.

## 5. Four columns: log, share group, fanout, competing consumers

The drawing of notebook 06 with a fourth column. The same events go through a Kafka log
(three groups), a share group (two members; `first` crashes holding its third record), a
RabbitMQ fanout, and a RabbitMQ queue with two competing consumers (the same crash).
"""
    ),
    shown(
        """
from simkafka import viz
from simkafka.experiments import log_versus_queue

four = log_versus_queue("sim", n_events=8, share_group=True)
fig = viz.log_versus_queue(four)
fig
"""
    ),
    golden(
        """
for system, facts in four.attrs["summary"].items():
    print(
        f"{system:>18}: left {facts['left_after_reading']}, replay "
        f"{facts['replay_possible']}, order kept {facts['order_kept']}, "
        f"copies {facts['copies_per_reader']}"
    )
"""
    ),
    md(
        """
The share group shares work and redelivers like the competing consumers, but its records are
still in the log afterwards (8 left after reading) and a new consumer group replays them all.
In RabbitMQ the acknowledged messages are gone. The redelivered record also lands in another
place: the share group hands the released record out first (lowest offset first), RabbitMQ
puts it back at the head of its queue, behind the message the second consumer already holds.

**Order is not kept, though "order kept" printed True above.** Members of a share group work
on records of the same partition at the same time, so nothing orders one account's events
across members: a share group gives up per-key order to share the work. The simulator's
members take strict turns, so in this run each record happened to arrive in offset order; on
the real broker the same column came out `order_kept False` (section 6). When one account's
events must be processed in order, as for notebook 09's `groups-service`, use a consumer
group.

## 6. The same on the real broker

The same experiments on Kafka 4.3.1. Who gets which record depends on timing there, so the
cell compares what must agree: every record processed once, how many members had work and per
partition, the acknowledgements, and the redelivery counts (`must_agree`); for the four
columns, the deliveries in all, the records left, replay, the redelivered, lost and duplicated
(`share_column_facts`), not who got what and in which order.
"""
    ),
    code(
        """
from simkafka.environment import broker_notice
from simkafka.sharing import must_agree

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    for name, run in [
        ("work_sharing", lambda b: must_agree(work_sharing(b))),
        ("acknowledgements", lambda b: acknowledgements(b)),
        ("crash_redelivery", lambda b: must_agree(crash_redelivery(b))),
    ]:
        simulated, real = run("sim"), run("kafka")
        print(f"{name}: the broker agrees with the simulator: {simulated.equals(real)}")
""",
        KAFKA,
    ),
    code(
        """
from simkafka.environment import broker_notice
from simkafka.sharing import share_column_facts

notice = broker_notice("kafka") or broker_notice("rabbitmq")
if notice:
    print(notice)
else:
    real_four = log_versus_queue("real", n_events=8, share_group=True)
    print(real_four.attrs["summary"]["kafka-share-group"])
    same = share_column_facts(four).equals(share_column_facts(real_four))
    print("the share-group column agrees with the simulator:", same)
""",
        KAFKA,
        RABBITMQ,
    ),
    md(
        """
| | simulator | Kafka 4.3.1 (confluent-kafka's ShareConsumer) |
|---|---|---|
| every record processed once, members with work, members per partition | tables above | the same |
| acknowledgements, delivery counts, archive at the limit | tables above | the same |
| a crash: what is redelivered, with which count | the unacknowledged records, count 2 | the same |
| who gets which record | members in strict turns | timing: which member's fetch comes first |
| what one fetch acquires | record by record, up to `max_poll_records` | whole record batches where it can, so the experiments send one record per batch |
| the lock expiring | exactly `share.record.lock.duration.ms` later | about 15-16 s for a 15 s lock |
| a crash | `crash()`: connection gone, records released at once | the experiment closes the member without acknowledging: released as it leaves. A member killed with SIGKILL (tests/test_sharing.py): its records came back 0.5 s after the kill (lock 30 s); the member stayed for its 45 s session |
| a member joining | at its first poll | about 5 s to the first records |

## Exercises
"""
    ),
    exercise(
        """
**Exercise 1.** With 5 members and 2 partitions, how many members does each partition get,
and how many partitions does each member get? Predict, then check with `simple_assignment`.
"""
    ),
    solution(
        """
tps = [TopicPartition("user-accounts", p) for p in range(2)]
plan = simple_assignment([f"m{i}" for i in range(5)], tps, {})
print({tp.partition: sum(tp in a for a in plan.values()) for tp in tps})  # 3 each: ceil(5/2)
print(sorted(len(a) for a in plan.values()))  # 6 places over 5 members: one member has 2
"""
    ),
    exercise(
        """
**Exercise 2.** Raise the delivery count limit to 4 with `acknowledgements("sim",
delivery_count_limit=4)`. How many times is offset 1 delivered before it is archived? What
would a consumer group do with a record its handler always fails on?
"""
    ),
    solution(
        """
four_tries = acknowledgements("sim", delivery_count_limit=4)
print(four_tries[four_tries.offset == 1]["delivery_count"].tolist())  # [1, 2, 3, 4]
# A consumer group has no per-record count: the member retries, skips it (commits past it),
# or sends it to a dead-letter topic itself. A share group archives it after the limit.
"""
    ),
    exercise(
        """
**Exercise 3.** In `crash_redelivery`, let the first member accept none of the four records
it holds (`held=4, accepted=0`). Which offsets come back, and which are delivered once? Then
read the topic with a new consumer group (`cluster.consumer(...,
auto_offset_reset="earliest")`) on a `SimCluster` of your own: can it still replay
everything after the share group is done?
"""
    ),
    solution(
        """
again = crash_redelivery("sim", n_events=6, held=4, accepted=0)
print(again[["member", "offset", "delivery_count"]].to_string(index=False))
print(again.attrs["summary"])  # offsets 0-3 come back (count 2); 4 and 5 are delivered once

mine = SimCluster(seed=0)
mine.create_topic("user-accounts", partitions=1)
producer = mine.producer()
for i in range(6):
    producer.send("user-accounts", value=f"event#{i}".encode())
producer.flush()
configure_share_group(mine, "workers", {"share.auto.offset.reset": "earliest"})
worker = mine.share_consumer(
    "user-accounts", group_id="workers", share_acknowledgement_mode="explicit"
)
done = 0
while records := worker.poll(timeout=1):
    for r in records:
        worker.acknowledge(r, AcknowledgeType.ACCEPT)
    worker.commit_sync()
    done += len(records)
print("the share group accepted", done)
replay = mine.consumer("user-accounts", group_id="replay", auto_offset_reset="earliest")
offsets = [r.offset for rs in replay.poll(timeout_ms=1000).values() for r in rs]
print("a new consumer group reads offsets", offsets)
# Yes: accepting records in a share group removes nothing from the log.
"""
    ),
    md(
        """
## Closing note: which client drove the real share group, and why

kafka-python, the course's client everywhere else, has no share consumer. The real share
group here is driven by **confluent-kafka 2.16's `ShareConsumer`** (librdkafka 2.16; marked
*Preview*), wrapped by `simkafka.real_share.RealShareConsumer` in the simulator's shape
(`poll(timeout)`, `acknowledge(record, type)`, `commit_sync`, `close`). It works against the
course's Kafka 4.3.1, so Kafka's own console share consumer (a subprocess) was not needed.
The broker needed no change either: a 4.3.1 cluster formatted by the launcher has the
`share.version` feature finalized at level 1 (`describe_features`, asserted by
tests/test_sharing.py). Measured today on the course machine: a member's first records
arrive about 5 s after it starts, the three experiments take about 7, 8 and 10 s, and the
lock-expiry run about 20 s.

## Recap

- A **share group**'s members read the same partitions; each fetch **acquires** records for
  one member, under a lock (`share.record.lock.duration.ms`).
- Each record is acknowledged: **accept** (done), **release** (again, `delivery_count` + 1),
  **reject** (archived). After `share.delivery.count.limit` deliveries it is archived.
- A crashed member's unacknowledged records come back to the others; a stalled member's come
  back when the lock expires. Nothing accepted is redelivered.
- More members than partitions all get work: `ceil(members / partitions)` per partition.
- It is still a log: reading removes nothing, and a new consumer group can replay it.

**Previous:** [10 - Replication and failover](10-replication-and-failover.ipynb).
**Back to** [06 - A log versus a queue](06-log-versus-queue.ipynb) for the RabbitMQ side.
"""
    ),
]
