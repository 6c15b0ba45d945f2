"""Notebook 08: events versus commands, and why Kafka is not an event store (the lost update).

Built into notebooks/08-events-versus-commands.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import exercise, golden, kafka, md, solution

NAME = "08-events-versus-commands"

CELLS = [
    md(
        """
# 08 - Events versus commands, and why Kafka is not an event store

**What you'll learn:** the difference between an *event* (a fact that happened, for anyone
to read) and a *command* (a request to one handler); why a Kafka topic is a good home for
events; and whether Kafka can be an *event store* (a database that keeps each account's
changes as events and is the source of truth for its state): what happens when two services
change the same account at the same moment, on the simulator and on the real broker, and how
to design around it.

**Time:** about 25 minutes. **Needs:** the simulator only; Kafka is optional (its cells print
one line and move on without it).

The story: PlayBall's *auth service* publishes account events, keyed by account id, to
`user-accounts`. Other teams now want to *change* accounts too: the profile service lets a
user change their e-mail, and the support tool lets staff fix a display name.
"""
    ),
    md(
        """
## 1. Events and commands

Both are records in a topic. The difference is the contract:

| | event | command |
|---|---|---|
| says | something **happened**: `account-email-changed` | please **do** something: `send-welcome-email` |
| tense | past: a fact, cannot be refused | imperative: may fail or be refused |
| readers | any number of groups, unknown to the writer | one handler (one consumer group) |
| writer expects | nothing back | an outcome |

Kafka's log fits events well: every group reads the whole topic (notebook
[03](03-consumer-groups.ipynb)), and a new service can replay history (notebook
[07](07-retention-and-replay.ipynb)). Commands also work in Kafka: a topic read by a single
consumer group, so that one member handles each command (keyed by account id, to keep one
account's commands in order). But nothing in Kafka sends back a reply or says that a command
failed. You build that yourself.

On the simulator: three groups read the same four events (`account-created`), and one group
of two workers (`email-workers`) shares the commands (`send-welcome-email`).
"""
    ),
    golden(
        """
from simkafka import NewTopic, SimCluster

cluster = SimCluster(seed=0)
cluster.admin().create_topics(
    [
        NewTopic("user-accounts", num_partitions=2, replication_factor=1),
        NewTopic("email-commands", num_partitions=2, replication_factor=1),
    ]
)
producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
for account in ["acct-1", "acct-2", "acct-3", "acct-4"]:
    producer.send("user-accounts", key=account, value="account-created")
    producer.send("email-commands", key=account, value="send-welcome-email")
producer.flush()


def read(consumer):
    return [r for rs in consumer.poll(timeout_ms=1000).values() for r in rs]


for group in ["groups-service", "audit-service", "email-service"]:
    reader = cluster.consumer("user-accounts", group_id=group, auto_offset_reset="earliest")
    print(f"event readers, {group:>14}: {len(read(reader))} events")
    reader.close()

workers = [
    cluster.consumer("email-commands", group_id="email-workers", auto_offset_reset="earliest")
    for _ in range(2)
]
cluster.settle(*workers)
for number, worker in enumerate(workers, start=1):
    handled = sorted(r.key.decode() for r in read(worker))
    print(f"command handler, worker {number}: {handled}")
"""
    ),
    md(
        """
Every group got every event. Each command was handled once, by one of the two workers.

## 2. Two writers, one account

Now the profile service and the support tool both change account `acct-7`. The records in
`user-accounts` are *snapshots*: each holds the whole account (`email`, `display_name` and a
`version` number), not just what changed. Each writer:

1. reads the account's latest state from `user-accounts`: it reads the topic from offset 0
   and keeps, per account, the last snapshot it sees (this is called *folding* the log);
2. changes one field;
3. appends a new full snapshot with `version` = the version it read + 1.

Both act at the same moment: both read version 1 before either writes. `lost_update` (from
`simkafka.history`) runs this. The table is the topic after both writes, one row per record
(`based_on_version`: the version the writer had read); below it, the summary.

**Predict, then run.** Will Kafka accept both appends? After both, what e-mail and what
display name does a reader that folds the log believe `acct-7` has?
"""
    ),
    golden(
        """
from simkafka.history import lost_update

race = lost_update("sim")
print(race.to_string(index=False))
print()
summary = race.attrs["summary"]
print("appends accepted:", summary["appends_accepted"])
print("versions written twice:", summary["duplicate_versions"])
final = summary["final"]
print(
    f"a reader folding the log believes: version {final['version']},",
    f"email {final['email']}, display name {final['display_name']}",
)
print("lost:", "; ".join(summary["lost"]) or "nothing")
"""
    ),
    md(
        """
Kafka accepted both appends: offsets 1 and 2. Both say `version` 2. The support tool's
snapshot still had the **old** e-mail, because it read before the profile service wrote. A
reader that folds the log keeps the last snapshot, so the user's new e-mail is gone. This is
a **lost update**.

An *event store* (EventStoreDB, now KurrentDB, or a database table with a version column)
prevents this with **optimistic concurrency**: "append this to `acct-7` only if its last
version is still 1". The second writer is refused, reads again, and retries on version 2.

Kafka has no such check. `producer.send(topic, key, value, ...)` cannot say "only if this
key's last record is at version N", and the broker never looks at earlier records of a key
before appending. What Kafka 4.x does offer is different:

- the **idempotent producer** (on by default in Java's producer since Kafka 3.0) drops
  duplicates of a batch that the *same* producer retried. It does not compare with other
  producers' writes.
- **transactions** make a group of writes (and a consumer's offset commit) all-or-nothing:
  exactly-once *read-process-write* within Kafka. They do not check what is already in the
  log for a key either.
- **log compaction** (a topic setting, `cleanup.policy=compact`: the broker deletes the older
  records of each key and keeps its latest) is the same "last one wins", so it would also
  keep the support tool's snapshot.

The version numbers in the records are only data. Kafka does not read them.
"""
    ),
    *exercise(
        """
**Exercise 1.** Predict first: if the support tool reads the account only *after* the profile
service has written (they take turns), is anything lost? Check with
`lost_update("sim", interleaved=False)`: print the table and its `.attrs["summary"]`.
"""
    ),
    solution(
        """
turns = lost_update("sim", interleaved=False)
print(turns.to_string(index=False))
print("a reader folding the log believes:", turns.attrs["summary"]["final"])
print("lost:", turns.attrs["summary"]["lost"])
# Nothing is lost: the support tool read version 2 (with the new e-mail) and wrote version 3.
# The race needs both services to read before either writes, and nothing in Kafka stops that.
"""
    ),
    md(
        """
## 3. The same on real Kafka

The same two writers, with kafka-python, against the real broker. The broker accepts both
appends too.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree
from simkafka.history import lost_update

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    sim_race = lost_update("sim")
    kafka_race = lost_update("kafka")
    print(kafka_race.to_string(index=False))
    print("Kafka: appends accepted:", kafka_race.attrs["summary"]["appends_accepted"])
    print("Kafka: lost:", kafka_race.attrs["summary"]["lost"])
    print("same table as the simulator:", frames_agree(sim_race, kafka_race))
"""
    ),
    md(
        """
## 4. Where Kafka fits

Kafka is very good at carrying events from the service that owns the data to everyone else,
in order per key, and at keeping them for replay. It does not decide which change wins. So
pair it with something that does:

- **One owner per entity writes.** The auth service owns accounts and keeps them in its
  database, which checks versions (`UPDATE ... WHERE version = 1`). Other services send it
  *commands*; it publishes the resulting *events*. To publish only what the database
  committed, use the *outbox* pattern (the service writes the event to an "outbox" table in
  the same database transaction, and a relay copies that table to Kafka) or change data
  capture (a tool such as Debezium reads the database's own change log and publishes it).
- **A single writer per key, through a partition.** Send the changes as commands keyed by
  account id. All of `acct-7`'s commands land in one partition, and one member of the handler
  group reads that partition in order. It applies each change to the **current** state, so
  no change is based on an old version. (This needs the handler to keep its state, and only
  one live owner of the partition: that is what a consumer group gives you.)
- **An event store** (or a database with optimistic concurrency) when you need "append if
  version is N" for every entity; Kafka can still carry its events to other services.
"""
    ),
    *exercise(
        """
**Exercise 2.** Build the single-writer fix on a fresh `SimCluster(seed=0)`. Create a topic
`account-commands` with 3 partitions. The profile service and the support tool each send one
command keyed `acct-7`: `{"field": "email", "value": "ann@newmail.example"}` and
`{"field": "display_name", "value": "Ann B."}` (as JSON). One consumer of group
`account-handler` reads them and applies each to the current state
`{"email": "ann@playball.example", "display_name": "Ann", "version": 1}`, adding 1 to the
version each time. Print the final state: is anything lost? In which partition were both
commands? (Hint: `value_serializer=lambda v: json.dumps(v).encode()` sends dicts as JSON;
`json.loads(record.value)` reads one back.)
"""
    ),
    solution(
        """
import json

from simkafka import NewTopic, SimCluster

ex_cluster = SimCluster(seed=0)
ex_cluster.admin().create_topics(
    [NewTopic("account-commands", num_partitions=3, replication_factor=1)]
)
ex_producer = ex_cluster.producer(
    key_serializer=str.encode, value_serializer=lambda v: json.dumps(v).encode()
)
ex_producer.send(
    "account-commands", key="acct-7", value={"field": "email", "value": "ann@newmail.example"}
)
ex_producer.send(
    "account-commands", key="acct-7", value={"field": "display_name", "value": "Ann B."}
)
ex_producer.flush()

handler = ex_cluster.consumer(
    "account-commands", group_id="account-handler", auto_offset_reset="earliest"
)
state = {"email": "ann@playball.example", "display_name": "Ann", "version": 1}
for records in handler.poll(timeout_ms=1000).values():
    for record in records:
        command = json.loads(record.value)
        state[command["field"]] = command["value"]  # applied to the current state
        state["version"] += 1
        print("partition", record.partition, "offset", record.offset, "->", state)
handler.close()
# Both changes are kept (version 3): one partition, one reader, in order.
"""
    ),
    md(
        """
## Recap

- An **event** states a fact in the past tense, for any number of readers. A **command** asks
  one handler to do something. Both can travel in Kafka; only commands expect an outcome, and
  Kafka does not carry it back.
- Kafka appends whatever it is sent. It has **no per-key optimistic concurrency**: no
  "append only if this account's last version is N".
- So two writers that read the same version both succeed, and a reader that folds the log
  loses one update. It happened on the simulator and on the real broker alike.
- The idempotent producer and transactions give exactly-once *within Kafka* (no duplicates
  from retries, all-or-nothing writes); they are not a compare-and-set per key.
- Let one owner decide (a database with a version check, or a single writer per key through a
  partition), and use Kafka to carry the resulting events to everyone else.

**Next:** [09 - Capstone](09-capstone.ipynb): design PlayBall's topics, keys, partitions and
groups, and check the design on both backends.
"""
    ),
]
