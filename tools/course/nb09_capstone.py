"""Notebook 09: capstone. Design PlayBall's topics, keys, partitions and groups; check them.

Built into notebooks/09-capstone.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import exercise, golden, kafka, md, shown, solution

NAME = "09-capstone"

CELLS = [
    md(
        """
# 09 - Capstone: design PlayBall's topics, and check the design

**What you'll learn:** to put the course together. You choose, for each topic, the key and
the number of partitions, and for each service, its consumer group and how many consumers it
runs. Then a checker sends PlayBall's events the way you designed, runs your groups, and
reports what holds: which order is kept, how many consumers can actually work, and how even
the load is. First on the simulator, then on the real broker.

**Time:** about 50 minutes. **Needs:** the simulator only; Kafka is optional (its cells
print one line and moves on without it).

PlayBall now runs matches as well as accounts:

- the *match service* publishes `match-events` (kickoff, goal, yellow card, substitution,
  final whistle). Each event has a `match_id`, a `team_id` (two teams per match), a
  `player_id` and a `tournament_id` (one tournament, the spring cup);
- the *auth service* publishes `user-accounts` events (created, e-mail changed, joined team,
  deleted), each with an `account_id`;
- the *scoreboard* service must see each match's events **in order** (a goal after the
  kickoff, never before), and needs 4 consumers at peak;
- the *group-management service* (group `groups-service`) must see each account's events in
  order, and runs 3 consumers.
"""
    ),
    md(
        """
## 1. The questions, and what the course said

1. **Which key?** Records with the same key go to the same partition, and Kafka keeps order
   only *within a partition* (notebook [02](02-keyed-routing-and-ordering.ipynb)). So key by
   the entity whose order matters.
2. **How many partitions?** In a group, each partition has one owner, so a group can use at
   most as many consumers as there are partitions that receive records (notebook
   [03](03-consumer-groups.ipynb)).
3. **Which groups?** One group per service: every group reads everything (notebook
   [03](03-consumer-groups.ipynb)).
4. **How even?** A key with few values (or one "hot" value) puts most records in a few
   partitions, and one consumer does most of the work (notebook
   [02](02-keyed-routing-and-ordering.ipynb), hot keys).

`check_design` (from `simkafka.design`) takes a design as a dict, sends PlayBall's sample
events the way the design says, runs each group's consumers, and returns a table with one
row per group:

- `order_kept`: every `order_by` value's events (every match's, say) sit in one partition;
- `sees_everything`: every partition that received records has an owner in the group;
- `max_useful_consumers`: the partitions that received records, the most consumers that can
  work;
- `active_consumers`: the consumers that actually got records;
- `skew`: the busiest consumer's records over the mean per consumer (1.0 is even; 2.0 means
  one consumer does twice its share).

Its `.attrs["summary"]` says `ok` (True when nothing fails) and lists the `problems` in words.

The sample: 4 matches of 6 events each and 6 accounts of 4 events each.
"""
    ),
    golden(
        """
import pandas as pd

from simkafka.design import check_design, playball_events

events = pd.DataFrame(playball_events())
print(events["topic"].value_counts().to_string())
print()
match_fields = ["match_id", "team_id", "player_id", "tournament_id", "event"]
print(events.loc[events["topic"] == "match-events", match_fields].head(5).to_string(index=False))
print()
print(
    events.loc[events["topic"] == "user-accounts", ["account_id", "event"]]
    .head(3)
    .to_string(index=False)
)
"""
    ),
    md(
        """
## 2. A first design: key match events by team

A first idea: the scoreboard shows team statistics, so key `match-events` by `team_id`.

**Predict, then run.** Is each match's order kept?
"""
    ),
    golden(
        """
by_team = {
    "topics": {"match-events": {"partitions": 4, "key": "team_id"}},
    "groups": {"scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"}},
}
first = check_design("sim", by_team)
print(first.drop(columns=["topic", "partitions"]).to_string(index=False))
for problem in first.attrs["summary"]["problems"]:
    print("-", problem)
"""
    ),
    md(
        """
The two teams of a match hash to different partitions for 3 of the 4 matches. Then a goal by
team B can be read before the kickoff by team A: another consumer owns it, or the same one
reads the partitions in its own order. The key must be the entity whose order you need.

The load is uneven too (skew 2.0). The picture shows why: `key_routing` (from
`simkafka.design`) computes where each team's events go, with the same hash as the producer,
and `key_distribution` (notebook [02](02-keyed-routing-and-ordering.ipynb)) draws it. Eight
team keys on four partitions do not split two by two: one partition got four teams.
"""
    ),
    shown(
        """
from simkafka.design import key_routing
from simkafka.viz import key_distribution

key_distribution(key_routing(by_team, "match-events"))
"""
    ),
    *exercise(
        """
**Exercise 1.** Someone suggests the key `tournament_id`: "then *everything* is in order".
Check it with 4 partitions and 4 consumers. Is the order kept? How many consumers work? Why
is that a bad design?
"""
    ),
    solution(
        """
by_tournament = {
    "topics": {"match-events": {"partitions": 4, "key": "tournament_id"}},
    "groups": {"scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"}},
}
hot = check_design("sim", by_tournament)
print(
    hot[["order_kept", "max_useful_consumers", "active_consumers", "skew"]].to_string(index=False)
)
for problem in hot.attrs["summary"]["problems"]:
    print("-", problem)
# Order is kept (one partition holds everything), but only one consumer of four works:
# skew 4.0. A single hot key gives up all parallelism.
"""
    ),
    *exercise(
        """
**Exercise 2.** Write a design that passes: `match-events` for the scoreboard (4 consumers,
order by `match_id`) and `user-accounts` for `groups-service` (3 consumers, order by
`account_id`). Choose the keys and partition counts. Check it: `.attrs["summary"]["ok"]`
should be `True`. Then try `user-accounts` with 2 partitions and 3 consumers: what goes
wrong?
"""
    ),
    solution(
        """
playball = {
    "topics": {
        "match-events": {"partitions": 4, "key": "match_id"},
        "user-accounts": {"partitions": 3, "key": "account_id"},
    },
    "groups": {
        "scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"},
        "groups-service": {"topic": "user-accounts", "consumers": 3, "order_by": "account_id"},
    },
}
result = check_design("sim", playball)
print(result.drop(columns=["topic"]).to_string(index=False))
print("ok:", result.attrs["summary"]["ok"])

too_few = {
    "topics": {"user-accounts": {"partitions": 2, "key": "account_id"}},
    "groups": {
        "groups-service": {"topic": "user-accounts", "consumers": 3, "order_by": "account_id"}
    },
}
print(check_design("sim", too_few).attrs["summary"]["problems"])
# With 2 partitions the third consumer owns nothing and gets nothing to do.
"""
    ),
    md(
        """
## 3. The course's design

The design below keys each topic by the entity whose order matters, and gives each group as
many partitions as consumers (one answer to exercise 2).
"""
    ),
    golden(
        """
design = {
    "topics": {
        "match-events": {"partitions": 4, "key": "match_id"},
        "user-accounts": {"partitions": 3, "key": "account_id"},
    },
    "groups": {
        "scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"},
        "groups-service": {"topic": "user-accounts", "consumers": 3, "order_by": "account_id"},
    },
}
checked = check_design("sim", design)
print(checked.drop(columns=["topic"]).to_string(index=False))
print("ok:", checked.attrs["summary"]["ok"])
"""
    ),
    shown(
        """
from simkafka.viz import panels

fig, (left, right) = panels(1, 2, width=11, height=4.2)
key_distribution(key_routing(design, "match-events"), ax=left)
key_distribution(key_routing(design, "user-accounts"), ax=right)
fig.suptitle("match-events keyed by match_id (left), user-accounts keyed by account_id (right)")
fig
"""
    ),
    md(
        """
Every order is kept and every consumer works. With only 4 matches and 6 accounts in this
sample, the hash does not spread them perfectly: skew 1.5 for accounts, since one partition
got 3 accounts' events and another only 1 (right). With thousands of accounts the load evens
out. In production you would also leave room to grow: more partitions than today's
consumers, since adding partitions later moves keys to other partitions (notebook
[02](02-keyed-routing-and-ordering.ipynb)).
"""
    ),
    md(
        """
## 4. The same design on real Kafka

The checker creates the topics on the broker, sends the events with kafka-python, runs each
group's consumers in their own threads until the broker's group is stable, and asks who
owns what. kafka-python's producer hashes the keys with the same murmur2 as the simulator
(and as Java's producer), and kafka-python's consumers share the partitions with the same
range assignor (notebook [03](03-consumer-groups.ipynb)), so the table should be the same.
"""
    ),
    kafka(
        """
from simkafka.design import check_design
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    on_kafka = check_design("kafka", design)
    print(on_kafka.drop(columns=["topic"]).to_string(index=False))
    print("ok on Kafka:", on_kafka.attrs["summary"]["ok"])
    print("same table as the simulator:", frames_agree(checked, on_kafka))
"""
    ),
    md(
        """
## 5. From the database to the topic: the outbox, and its order

The design keys `user-accounts` by `account_id` so that `groups-service` sees each account's
events in order. That order must exist when the events reach Kafka. The auth service changes
its database *and* sends an event: if it crashes between the two, one is lost. The
**transactional outbox** writes the event into an `outbox` table of the same database, in the
same transaction as the change: both are saved or neither. A *publisher* then reads the
outbox and sends each row to Kafka.

`simkafka.outbox.Outbox` is that database, a real SQLite one (Python's `sqlite3`): an
`accounts` table and an `outbox` table. **Predict:** the service crashes inside the
transaction of `acct-1`'s rename. What do the two tables keep?
"""
    ),
    golden(
        """
from simkafka.outbox import Outbox, SimulatedCrash

auth_db = Outbox()
auth_db.change("acct-1", "created")
try:
    auth_db.change("acct-1", "renamed", crash_before_commit=True)
except SimulatedCrash as crash:
    print("crash:", crash)
print(auth_db.counts())
print(auth_db.rows()[["id", "account_id", "event", "payload"]].to_string(index=False))
"""
    ),
    md(
        """
Neither the rename nor its event: the account is still at version 1, and the outbox has one
row. Now the service runs for a while: six accounts live through `created`,
`email-verified`, `renamed`, `joined-group`, `deleted`, their changes interleaved. The
outbox holds 30 rows in commit order.

Draining the outbox one row at a time is slow, so a common first publisher runs **several
workers concurrently**: each claims the next 2 unclaimed rows and sends them. Nothing stops
worker B from sending `acct-3`'s second event while worker A still holds its first.
`outbox_ordering` writes the outbox, publishes it, reads the topic back as a consumer would,
and compares with the delivery checker of notebook 05 (`check_delivery`). On the simulator,
which worker moves next is a seeded random choice, the same on every run.

**Predict:** Kafka keeps order per key. Does the topic have each account's events in order?
"""
    ),
    golden(
        """
import json

from simkafka.outbox import outbox_ordering

racing = outbox_ordering("sim", "concurrent", workers=3, seed=0)
print(racing[["check", "count"]].to_string(index=False))
print(racing.attrs["summary"])
for key, (_, earlier), (_, later) in racing.set_index("check").loc["order_per_key", "examples"]:
    first, then = json.loads(earlier), json.loads(later)
    print(
        f"{key}: {then['event']} (version {then['version']}) reached the topic before "
        f"{first['event']} (version {first['version']})"
    )
"""
    ),
    md(
        """
Nothing is lost or duplicated, but `order_per_key` counts 3 violations: the checker names
the account, the record committed earlier, and the later one that reached the topic first.
Kafka kept exactly the order it was given; the publisher gave the wrong one. `acct-3` is
`deleted` before it is `renamed`, for every consumer, forever: the log is immutable.

The fix keeps the workers but gives each **key** to one worker: the worker is chosen by
hashing the account id (as the producer picks a partition), and each worker sends its rows in
outbox order. Workers still interleave; one account's rows never do. Five seeds each:
"""
    ),
    golden(
        """
from simkafka.outbox import outbox_runs

runs = outbox_runs("sim", range(5))
print(runs.pivot(index="seed", columns="publisher", values="order_per_key").to_string())
print("lost in all runs:", int(runs["lost"].sum()))
"""
    ),
    md(
        """
On the real Kafka, `mode="seeded"` runs one thread per worker and makes them take the turns
of the simulator's interleaving: the topic's log must be the simulator's, record for record.
`mode="free"` lets the threads claim and send as fast as they can, as a real deployment
would; the violations then depend on timing, so they vary from run to run, but only the
concurrent publisher has any.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.outbox import outbox_ordering

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    for publisher in ("concurrent", "per-key"):
        on_sim = outbox_ordering("sim", publisher, seed=0)
        seeded = outbox_ordering("kafka", publisher, seed=0)
        violations = seeded.attrs["summary"]["order_per_key"]
        same = seeded.attrs["log"].equals(on_sim.attrs["log"])
        print(f"{publisher}, seeded on Kafka: {violations} violations; simulator's log: {same}")
        for run in range(3):
            free = outbox_ordering("kafka", publisher, seed=run, mode="free").attrs["summary"]
            print(f"  free threads, run {run}: {free['order_per_key']} violations")
"""
    ),
    md(
        """
Two more things a real outbox publisher needs:

- a row is marked published only after the broker acknowledged it; a crash in between sends
  it again, so consumers must be idempotent (the payload's `version` lets them skip what they
  have seen);
- a retried send must not overtake the next one: `outbox_ordering` allows one request in
  flight (`max_in_flight_requests_per_connection=1`); the idempotent producer
  (`enable_idempotence`) keeps order with more.
"""
    ),
    md(
        """
## 6. What the checker does not check

- **Keys must stay stable.** If a producer in another language uses a different hash
  (librdkafka's default is CRC32, notebook [02](02-keyed-routing-and-ordering.ipynb)), the
  same key lands elsewhere.
- **Growing partitions moves keys**, so order per key can break at the moment you add them
  (notebook [02](02-keyed-routing-and-ordering.ipynb)).
- **Members come and go**: each rebalance pauses the group (notebook
  [04](04-rebalancing.ipynb)).
- **Processing order is not the whole story**: a crash re-delivers what was not committed
  (notebook [05](05-offsets-and-delivery.ipynb)), and two writers can still lose an update
  (notebook [08](08-events-versus-commands.ipynb)).
- **Retention** decides how far back a new service can replay (notebook
  [07](07-retention-and-replay.ipynb)).

## Recap

- Key by the entity whose order you need; order holds only within a partition.
- Partitions cap how many consumers of one group can work; extra consumers sit idle.
- One group per service; each reads everything.
- A key with few or hot values skews the load, and a single key gives up all parallelism.
- Check a design on the simulator first; the broker gives the same answer.
- Order per key starts before Kafka: write events to an outbox in the database's
  transaction, and publish each key's rows in order (one worker per key); concurrent
  publishing breaks it, and the checker shows where.
"""
    ),
    md(
        """
## The course so far

You have finished the core of the course; notebooks 10 and 11 go further. What each notebook
showed:

- [00 - Setup](00-setup.ipynb): the simulator runs anywhere; the real Kafka and RabbitMQ are
  optional.
- [01 - Records, topics and partitions](01-records-topics-partitions.ipynb): a topic is a set
  of logs; a record gets an offset in one partition, and reading removes nothing.
- [02 - Keyed routing and ordering](02-keyed-routing-and-ordering.ipynb): the key picks the
  partition, so order holds per key; hot keys skew; adding partitions moves keys.
- [03 - Consumer groups](03-consumer-groups.ipynb): one owner per partition in a group, idle
  extra consumers, and every group reads everything.
- [04 - Rebalancing](04-rebalancing.ipynb): members come and go; eager versus cooperative,
  and the two timeouts.
- [05 - Offsets and delivery](05-offsets-and-delivery.ipynb): commit after processing is
  at least once, commit first is at most once; `auto_offset_reset`; lag.
- [06 - A log versus a queue](06-log-versus-queue.ipynb): RabbitMQ removes what was
  acknowledged; Kafka keeps it for every group, and for replay.
- [07 - Retention and replay](07-retention-and-replay.ipynb): whole segments are deleted,
  never at once; new groups replay, stopped groups reset their offsets.
- [08 - Events versus commands](08-events-versus-commands.ipynb): events for everyone,
  commands for one handler; Kafka has no per-key version check, so two writers can lose an
  update.
- 09 - Capstone (here): a design of keys, partitions and groups, checked on both backends;
  an outbox that keeps each account's order from the database to the topic.
- [10 - Replication and failover](10-replication-and-failover.ipynb) (next): three brokers,
  the ISR and the high watermark, `acks` and `min.insync.replicas`, brokers stopped and
  crashed on a real three-node cluster.
- [11 - Share groups](11-share-groups.ipynb): Kafka's own queues (KIP-932), many members
  on one partition, acknowledged record by record.

## Where to go next

- Run the course's broker cells if you have not: [00 - Setup](00-setup.ipynb) says how to
  start Kafka and RabbitMQ.
- What this course left out, in Kafka's own documentation:
  the idempotent producer and transactions
  ([delivery semantics](https://kafka.apache.org/documentation/#semantics)),
  [log compaction](https://kafka.apache.org/documentation/#compaction), Kafka Connect and
  Kafka Streams. (Replication has notebook 10; share groups notebook 11.)
- Kafka's [design](https://kafka.apache.org/documentation/#design) and
  [consumer configuration](https://kafka.apache.org/documentation/#consumerconfigs) pages,
  now that the words in them are familiar.
- [docs/simulator.md](../docs/simulator.md): what the simulator models exactly, and what it
  simplifies.
"""
    ),
    md(
        """
## Closing note: what the article claimed, and what we measured

The course followed an article whose claims you have now seen run rather than taken on
trust. The figures, from this course's runs (the simulator's are computed here; the brokers'
come from the results `make bench-brokers` saved, with the machine and versions that made
them; [docs/claims.md](../docs/claims.md) has the whole story):
"""
    ),
    golden(
        """
from simkafka.formats import sizes
from simkafka.outbox import outbox_runs

bytes_by_format = sizes().set_index("format")["bytes"]
print(
    f"1. formats (notebook 01): 8 account events take {bytes_by_format['json']} B as JSON, "
    f"{bytes_by_format['avro']} B as Avro ({bytes_by_format['avro+schema-id']} B with a "
    "registry id)"
)
violations = outbox_runs("sim", range(5)).groupby("publisher")["order_per_key"].apply(list)
print(
    f"2. the outbox (section 5): per-key order violations over seeds 0-4: concurrent "
    f"{violations['concurrent']}, per key {violations['per-key']}"
)
"""
    ),
    shown(
        """
from simkafka.claims import caption, load_results, table

saved = load_results()
kafka_rates = table(saved, "kafka_throughput")
rabbit_rates = table(saved, "rabbitmq_throughput")


def thousands(frame, column):
    return " / ".join(f"{v / 1000:,.0f}k" for v in frame[column])


def levels(frame):
    return " / ".join(f"{v / 1e6:g}M" if v >= 1e6 else f"{v / 1e3:g}k" if v else "0"
                      for v in frame["stored"])  # fmt: skip


print("3. throughput as stored data grows (notebook 07):")
print(f"   Kafka, {levels(kafka_rates)} records in the log: produce "
      f"{thousands(kafka_rates, 'produce_per_s')}, consume "
      f"{thousands(kafka_rates, 'consume_per_s')} per second")  # fmt: skip
print(f"   RabbitMQ, {levels(rabbit_rates)} messages queued: publish "
      f"{thousands(rabbit_rates, 'produce_per_s')}, consume "
      f"{thousands(rabbit_rates, 'consume_per_s')} per second")  # fmt: skip
kafka_kept = table(saved, "kafka_bytes_per_reader").set_index("readers")
rabbit_kept = table(saved, "rabbitmq_bytes_per_reader").set_index("readers")
print("4. bytes kept for 1 and 8 readers (notebook 06):")
print(f"   Kafka's log {kafka_kept.loc[1, 'stored_bytes']:,} and "
      f"{kafka_kept.loc[8, 'stored_bytes']:,}; RabbitMQ's message_bytes "
      f"{rabbit_kept.loc[1, 'message_bytes']:,} and {rabbit_kept.loc[8, 'message_bytes']:,}, "
      f"its node's binary memory +{rabbit_kept.loc[1, 'binary_growth']:,} and "
      f"+{rabbit_kept.loc[8, 'binary_growth']:,}")  # fmt: skip
print(caption(saved["machine"]))
"""
    ),
    md(
        """
What held: Kafka's rates stayed flat from an empty log to 5 million records, and one topic
costs the same bytes for one group or eight. What needed care: RabbitMQ's publishing stayed
flat too, but consuming slowed by about a quarter once the queue was deep; RabbitMQ counts a
copy of each message per queue and each queue keeps its own entry per message, yet the
message bodies were held once in memory, shared between the queues. And two things the
article takes for granted only hold if you build them: a value format that can change shape
(a schema, aliases, defaults), and an order per key that starts in the database (an outbox
published per key).

**Next:** [10 - Replication and failover](10-replication-and-failover.ipynb): what happens
when a broker dies.
"""
    ),
]
