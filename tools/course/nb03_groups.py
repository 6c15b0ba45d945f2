"""Notebook 03: consumer groups. One owner per partition, idle extra members, many groups.

Built into notebooks/03-consumer-groups.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import exercise, golden, kafka, md, shown, solution

NAME = "03-consumer-groups"

CELLS = [
    md(
        """
# 03 - Consumer groups: sharing the work, and reading everything

**What you'll learn:** how a *consumer group* splits a topic's partitions among its members
(each partition has exactly one owner in the group), why a member beyond the number of
partitions sits idle, and why several groups can each read the whole topic.

**Time:** about 25 minutes. **Needs:** the simulator; Kafka is optional (its cells print one
line and move on without it).

The story so far: the *auth service* publishes user-account events, keyed by account id, to
the topic `user-accounts`. The *group-management service* reacts to them. One copy of that
service is no longer enough, so we run several copies. They share one group id,
`groups-service`, and Kafka splits the work between them.
"""
    ),
    md(
        """
## 1. A group and its members

A consumer that sets `group_id` is a *member* of that group. The members of a group agree,
through the *group coordinator* (one of the brokers, in charge of this group), on who reads
which partition. Two rules:

- every partition of the topic is owned by **exactly one** member of the group;
- a member may own several partitions, or none.

The first rule is what keeps an account's events in order: they all sit in one partition
(the key chooses it, notebook 02), and one member reads that partition from start to end.
It also keeps the bookkeeping simple: the group has one position (offset) per partition,
so only one member can be moving it.

In production each member is a separate process running a consumer. Here `GroupMembers`
(from `simkafka.members`) runs several named members of one group in this notebook. `join`
starts a member, and `settle()` waits until the group has agreed. The agreement is called a
*rebalance*, and notebook 04 is about it. `assignment(name)` lists the partitions that
member owns.
"""
    ),
    golden(
        """
from simkafka import SimCluster
from simkafka.members import GroupMembers

cluster = SimCluster(seed=0)
cluster.create_topic("user-accounts", partitions=3)
group = GroupMembers(cluster, "user-accounts", "groups-service")

group.join("a")
group.settle()
print("a alone:", {name: group.assignment(name) for name in group.names})
"""
    ),
    md(
        """
One member owns all three partitions. Now the service scales out.

**Predict, then run.** The topic has 3 partitions. Members `b`, `c` and then `d` join, one
after the other. After each join, who owns which partition? And what does `d` get?
"""
    ),
    golden(
        """
for name in ["b", "c", "d"]:
    group.join(name)
    group.settle()
    owned = {member: group.assignment(member) for member in group.names}
    print(f"after {name} joins: {owned}")
"""
    ),
    md(
        """
The same as a drawing: one row per member, its partitions as boxes in its colour.
"""
    ),
    shown(
        """
from simkafka.viz import group_ownership as draw_ownership

draw_ownership(group.ownership(), members=group.names)
"""
    ),
    md(
        """
`d` owns nothing. With 3 partitions and one owner per partition, at most 3 members of a
group can read; a fourth member is *idle*. It is still a member (it takes part in every
rebalance and would take over if someone left), but it reads nothing. To read with more
members, the topic needs more partitions: choose the partition count for the largest group
you expect to run.

The table `ownership()` lists, for each partition, its owner and the group's *generation*: a
number the coordinator increases at every rebalance. Four joins, four rebalances:
"""
    ),
    golden(
        """
print(group.ownership().to_string(index=False))
"""
    ),
    md(
        """
## 2. Who decides? The assignor

After each rebalance one member, the group *leader*, runs an *assignor*: a pure function
from "members and what they subscribe to" to "who owns which partition". The default of
kafka-python (and the one `GroupMembers` uses) is `range`: it sorts the members by member
id (which starts with the member's name here) and gives each a contiguous range of
partitions, the first members one extra when the count does not divide evenly.

The same function is in `simkafka.assign`, so you can ask it directly, without a group:
"""
    ),
    golden(
        """
from simkafka import assign

subscriptions = {name: ["user-accounts"] for name in ["a", "b", "c", "d"]}
result = assign("range", subscriptions, {"user-accounts": 3})
for member, partitions in result.items():
    print(member, [tp.partition for tp in partitions])
"""
    ),
    md(
        """
The same answer as the group's. Notebook 04 compares this assignor with the others
(`roundrobin`, `sticky`, `cooperative-sticky`).

Before going on, the members leave, and the group is empty again.
"""
    ),
    golden(
        """
group.close()
print("members left:", group.names)
"""
    ),
    md(
        """
## 3. Several groups: each one reads everything

Later, an *audit service* arrives, then a brand-new service that wants the whole history.
Each uses its own group id: `audit-service`, `new-service`.

**Predict, then run.** The auth service sends 12 events. Then one member of each of three
groups reads. How many records does each group see? Does the second group find fewer
because the first already read them?

`groups_read_everything` (from `simkafka.experiments`) runs that experiment. `records_seen`
is how many records the group received, `distinct_offsets` how many different positions,
and `all_records` whether nothing was missing.
"""
    ),
    golden(
        """
from simkafka.experiments import groups_read_everything

three_groups = ("groups-service", "audit-service", "new-service")
sim_groups = groups_read_everything("sim", 12, groups=three_groups)
print(sim_groups.to_string(index=False))
"""
    ),
    md(
        """
Every group read all 12. Groups do not share work with each other: **each group reads
every record of the topic**, and reading removes nothing. A topic is a log, not a queue: a
record stays until retention deletes it, whoever read it. Inside one group, members *share*
the records (each record goes to the one member that owns its partition); across groups,
every group gets them *all*. That is how one topic feeds many services, each at its own
pace, each with its own position in every partition (its *committed offsets*, notebook 05).

## 4. The same on the real broker

Now the same two experiments on Kafka. `group_ownership(backend, partitions, script)` (from
`simkafka.experiments`) runs members of `groups-service` through a script, a list of steps
such as `("join", "a")`, and returns who owns each partition after each step. With
`backend="kafka"` the members are real kafka-python consumers, each polling in its own
thread, and the real broker's coordinator runs the rebalances. The names of topics and
groups are made unique for the run (a broker outlives a notebook), and the table shows the
names as on the simulator.

This cell takes about 5 seconds: on a real broker a member learns of a rebalance at its
next *heartbeat*, the "still alive" message each member sends the coordinator (about every
second here).
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree, group_ownership

four_joins = [("join", "a"), ("join", "b"), ("join", "c"), ("join", "d")]
sim_owners = group_ownership("sim", partitions=3, script=four_joins)

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    kafka_owners = group_ownership("kafka", partitions=3, script=four_joins)

    def owners(frame, step):
        rows = frame[frame.step == step]
        return " ".join(f"p{p}:{o}" for p, o in zip(rows.partition, rows.owner, strict=True))

    print(f"{'after':10}{'simulator':17}Kafka")
    for step, (_, name) in enumerate(four_joins, start=1):
        print(f"{name + ' joins':10}{owners(sim_owners, step):17}{owners(kafka_owners, step)}")
    idle = sorted({m for _, m in four_joins} - set(kafka_owners[kafka_owners.step == 4].owner))
    print("idle on Kafka after d joins:", idle)
    print("same table on both:", frames_agree(sim_owners, kafka_owners))
"""
    ),
    md(
        """
And every group reading everything, on the broker:
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree, groups_read_everything

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    kafka_groups = groups_read_everything("kafka", 12, groups=three_groups)
    print(kafka_groups.to_string(index=False))
    print("same table as the simulator:", frames_agree(sim_groups, kafka_groups))
"""
    ),
    md(
        """
## 5. Comparing the two

Both experiments give the same table on the simulator and on Kafka: the same owner for each
partition after each join, `d` idle, and every group reading all 12 records. What differs
is not in the tables:

- **Time.** The simulator settles a group at once on its simulated clock; the broker takes
  a few seconds of wall-clock time, because members learn of a rebalance from their
  heartbeats.
- **Member ids.** The broker names a member `"<client_id>-<random uuid>"`; the simulator
  builds the same shape from its seeded random generator. The tables show member names, so
  they compare.
- **The protocol.** Both speak Kafka's *classic* group protocol (JoinGroup, SyncGroup,
  Heartbeat), where the group leader, a client, runs the assignor. Kafka 4.x also offers the
  newer *consumer* protocol of KIP-848, where the broker itself assigns partitions and a
  rebalance no longer stops every member at once. kafka-python and this simulator use the
  classic one, which Kafka 4.x still serves.
"""
    ),
    md(
        """
## Exercises
"""
    ),
    exercise(
        """
**Exercise 1.** The topic `user-accounts` is created with **4** partitions, and the
group-management service runs **6** copies (`a` to `f`). Predict: how many members are
idle, and how many partitions does each busy member own? Check with `simkafka.assign`
(range), then with `GroupMembers` on a fresh `SimCluster`.
"""
    ),
    solution(
        """
from simkafka import SimCluster, assign
from simkafka.members import GroupMembers

names = ["a", "b", "c", "d", "e", "f"]
by_assign = assign("range", {n: ["user-accounts"] for n in names}, {"user-accounts": 4})
print("assign:", {m: [tp.partition for tp in tps] for m, tps in by_assign.items()})

ex_cluster = SimCluster(seed=1)
ex_cluster.create_topic("user-accounts", partitions=4)
with GroupMembers(ex_cluster, "user-accounts", "groups-service") as ex_group:
    for n in names:
        ex_group.join(n)
    ex_group.settle()
    owned = {n: ex_group.assignment(n) for n in ex_group.names}
print("group: ", owned)
print("idle:", [n for n, parts in owned.items() if not parts])  # e and f: 4 partitions, 6 members
"""
    ),
    exercise(
        """
**Exercise 2.** Inside a group the members share the records; across groups each gets
them all. Show both at once on the simulator: create `user-accounts` with 3 partitions and
send 12 events with keys `acct-0` to `acct-5`. Then let `groups-service` read with **two**
members and `audit-service` with **one**. Count the records each member received.

Hints: make each member with
`cluster.consumer("user-accounts", group_id=..., auto_offset_reset="earliest")` (the last
argument makes a new group start from the oldest record; notebook 05 explains it). Call
`cluster.settle(m1, m2, m3)` with all the members before reading, so the groups have agreed
who owns what, then a few `poll(timeout_ms=100)` calls per member.
"""
    ),
    solution(
        """
from simkafka import SimCluster

ex_cluster = SimCluster(seed=2)
ex_cluster.create_topic("user-accounts", partitions=3)
producer = ex_cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
for i in range(12):
    producer.send("user-accounts", key=f"acct-{i % 6}", value=f"event-{i}")
producer.flush()


def member(group_id):
    return ex_cluster.consumer("user-accounts", group_id=group_id, auto_offset_reset="earliest")


readers = {
    "groups-service/1": member("groups-service"),
    "groups-service/2": member("groups-service"),
    "audit-service/1": member("audit-service"),
}
ex_cluster.settle(*readers.values())
counts = {}
for name, consumer in readers.items():
    got = 0
    for _ in range(5):
        got += sum(len(batch) for batch in consumer.poll(timeout_ms=100).values())
    counts[name] = got
print(counts)  # the two groups-service members add up to 12; audit-service alone reads 12
"""
    ),
    md(
        """
## Recap

- A consumer group shares a topic's partitions among its members: **each partition has
  exactly one owner** in the group, so each account's events are read in order by one
  member.
- A group can have more members than partitions, but the extra members are **idle**: the
  partition count caps how many members read in parallel.
- The assignor (here `range`) is a pure function, run by the group leader after each
  rebalance; `simkafka.assign` is the same function.
- **Every group reads every record.** Reading removes nothing: a topic is a log, and each
  group keeps its own offsets.
- The simulator and Kafka give the same ownership and the same counts; the broker takes
  seconds where the simulator takes none.

**Next:** [04 - Rebalancing](04-rebalancing.ipynb): what happens when members join, leave or
crash, and how to make it hurt less.
"""
    ),
]
