"""Notebook 05: offsets, commits and delivery guarantees.

Built into notebooks/05-offsets-and-delivery.ipynb by tools/build_notebooks.py. The
experiments live in simkafka.delivery and simkafka.experiments; this notebook calls them.
"""

from __future__ import annotations

from course import exercise, golden, kafka, md, shown, solution

NAME = "05-offsets-and-delivery"

KAFKA_GUARD = """
from simkafka.environment import broker_notice

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
"""


def on_kafka(body: str) -> str:
    """A broker cell: the notice check, then ``body`` (indented) when Kafka is there."""
    indented = "\n".join(f"    {line}" if line else "" for line in body.strip().splitlines())
    return KAFKA_GUARD.strip() + "\n" + indented


CELLS = [
    md(
        """
# 05 - Offsets and delivery: what a consumer reads twice, or never

**What you'll learn:** what an offset commit is; where a consumer group resumes after a
crash; why committing *after* processing gives at-least-once delivery (duplicates) and
committing *before* gives at-most-once (losses); how auto-commit can do either; why a new
group does not see old records by default; and what consumer lag is.

**Time:** about 30 minutes. **Needs:** the simulator only; Kafka is optional (its cells
repeat each experiment on the real broker and compare).

The story so far: the *auth service* publishes user-account events (`created`,
`email-verified`, `renamed`, ...) keyed by account id to `user-accounts`, and the
*group-management service* reads them in the consumer group `groups-service`. Its process
will crash in this notebook. What happens to the events it was working on?
"""
    ),
    md(
        """
## 1. Offsets, positions and commits

Three numbers matter for one partition and one group:

- the **log end offset**: the offset the next record sent will get;
- the consumer's **position**: the offset of the next record *this consumer* will fetch. It
  lives in the consumer's memory and moves forward as `poll()` returns records;
- the group's **committed offset**: a position the consumer *saved* in Kafka (in the
  internal topic `__consumer_offsets`) with `commit()`. It survives the consumer. When a
  member starts, or takes over a partition, it starts reading at the committed offset.

By convention the committed offset is the *next* offset to read, not the last one
processed: after processing offset 3, commit 4.
"""
    ),
    golden(
        """
from simkafka import NewTopic, SimCluster, TopicPartition

cluster = SimCluster(seed=0)
cluster.admin().create_topics([NewTopic("user-accounts", num_partitions=1, replication_factor=1)])
producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
for i in range(6):
    producer.send("user-accounts", key=f"acct-{i % 3}", value=f"created#{i}")
producer.flush()

tp = TopicPartition("user-accounts", 0)
member = cluster.consumer(
    "user-accounts",
    group_id="groups-service",
    enable_auto_commit=False,
    auto_offset_reset="earliest",
)
batch = member.poll(timeout_ms=1000, max_records=4)[tp]
print("poll returned offsets", [r.offset for r in batch])
print("position:", member.position(tp), " committed:", member.committed(tp))
member.commit({tp: batch[-1].offset + 1})  # processed 0-3: the next to read is 4
print("after commit(4): committed:", member.committed(tp))
"""
    ),
    md(
        """
The group's view, as Kafka's command-line tool `kafka-consumer-groups.sh --describe` would
show it (`cluster.group_state` gives the same table on the simulator and on a real
broker). **Lag** is the log end offset minus the committed offset: how many records the
group still has to process (section 7).
"""
    ),
    golden(
        """
state = cluster.group_state("groups-service")
print(state[["partition", "committed", "log_end_offset", "lag"]].to_string(index=False))
"""
    ),
    md(
        """
In a drawing: each cell is a record (coloured by key); ▲ is the group's committed offset,
▼ the member's position. They differ until the member commits what it has read.
"""
    ),
    shown(
        """
from simkafka import viz

member.poll(timeout_ms=1000, max_records=1)  # reads offset 4: position 5, committed still 4
viz.partition_logs(
    cluster.records("user-accounts"),
    cluster.partitions("user-accounts"),
    committed={"groups-service": {0: member.committed(tp)}},
    positions={"member": {0: member.position(tp)}},
)
"""
    ),
    md(
        """
## 2. Resume after a crash

A member that processes a record and then commits its offset + 1, record after record,
can crash at any moment: the next member of the group starts at the committed offset.
`resume_after_crash` runs that on a one-partition topic with 10 events: the first member
processes 4, then its process dies (no commit, no goodbye to the group). A second member
joins once the group notices. The experiment returns a table (a pandas DataFrame) with a
row per record processed and by whom; a summary of the run rides along in
`table.attrs["summary"]` (pandas' place for extra facts about a table): how many events,
the group's committed offset at the crash, how many records were processed twice
(`seen_twice`) and how many never (`lost`).

**Predict, then run:** at which offset does the second member start?
"""
    ),
    golden(
        """
from simkafka.delivery import resume_after_crash

resumed = resume_after_crash("sim", n_events=10, processed=4)
for who, offsets in resumed.groupby("member", sort=False)["offset"]:
    print(f"{who:>6} processed offsets {offsets.tolist()}")
print(resumed.attrs["summary"])
"""
    ),
    md(
        """
The same on the real broker. A kafka-python client cannot crash on request, so the real
member closes without committing (`close(autocommit=False)`); what the second member reads
is the same. The cell compares the whole table with the simulator's.
"""
    ),
    kafka(
        on_kafka(
            """
from simkafka.experiments import frames_agree

real = resume_after_crash("kafka", n_events=10, processed=4)
print("simulator:", resumed.attrs["summary"])
print("Kafka:    ", real.attrs["summary"])
print("same table:", frames_agree(resumed, real))
"""
        )
    ),
    md(
        """
Committing after every record is safe but costs a round trip to the broker per record.
Real services commit less often, in batches. Then the order of *process* and *commit*
decides what a crash costs.

## 3. At-least-once: process, then commit

The member processes all 10 events but commits only after the first 4 (offset 4), then
crashes. **Predict:** which offsets will the group process twice?
"""
    ),
    golden(
        """
from simkafka.experiments import lost_by_committing_first, redelivery_after_crash

at_least_once = redelivery_after_crash("sim", n_events=10, commit_after=4)
twice = at_least_once[at_least_once.delivery == 2]
print("processed twice:", twice["offset"].tolist())
print(at_least_once.attrs["summary"])
"""
    ),
    md(
        """
Offsets 4 to 9 were processed but not committed, so the next member reads them again.
Nothing is lost, some records are processed twice: **at-least-once** delivery. The usual
fix is to make processing *idempotent* (processing a record twice has the effect of once),
e.g. the group service upserts by account id and event id instead of appending.
"""
    ),
    kafka(
        on_kafka(
            """
from simkafka.experiments import frames_agree

real = redelivery_after_crash("kafka", n_events=10, commit_after=4)
print("simulator:", at_least_once.attrs["summary"])
print("Kafka:    ", real.attrs["summary"])
print("same table:", frames_agree(at_least_once, real))
"""
        )
    ),
    md(
        """
## 4. At-most-once: commit, then process

Now the member polls 4 records at a time and commits the position after the batch
*before* processing it. It crashes halfway through the second batch (after processing 6
records). **Predict:** which offsets does nobody ever process?
"""
    ),
    golden(
        """
at_most_once = lost_by_committing_first("sim", n_events=10, batch=4)
processed = set(at_most_once["offset"])
print("never processed:", [o for o in range(10) if o not in processed])
print(at_most_once.attrs["summary"])
"""
    ),
    md(
        """
Offsets 6 and 7 were committed (the commit said "done up to 8") but never processed: they
are lost for this group. **At-most-once**: nothing twice, but possibly never.
"""
    ),
    kafka(
        on_kafka(
            """
from simkafka.experiments import frames_agree

real = lost_by_committing_first("kafka", n_events=10, batch=4)
print("simulator:", at_most_once.attrs["summary"])
print("Kafka:    ", real.attrs["summary"])
print("same table:", frames_agree(at_most_once, real))
"""
        )
    ),
    md("The three strategies side by side (simulator):"),
    golden(
        """
import pandas as pd

strategies = pd.DataFrame(
    {
        "commit after every record": resumed.attrs["summary"],
        "process, then commit": at_least_once.attrs["summary"],
        "commit, then process": at_most_once.attrs["summary"],
    }
).T[["committed_offset", "seen_twice", "lost"]]
print(strategies.to_string())
"""
    ),
    exercise(
        """
**Exercise 1.** With `redelivery_after_crash("sim", n_events=10, commit_after=...)`, which
values of `commit_after` make the group process *no* record twice? And what does the
duplicate count tell you in general? Try a few values and print `seen_twice` for each.
"""
    ),
    solution(
        """
for commit_after in (0, 4, 9, 10):
    run = redelivery_after_crash("sim", n_events=10, commit_after=commit_after)
    print(commit_after, run.attrs["summary"]["seen_twice"])
# Only commit_after=10: the member committed everything it processed before it died.
# In general the duplicates are exactly the records processed after the last commit.
"""
    ),
    md(
        """
## 5. Auto-commit: when does it commit, and what?

By default (`enable_auto_commit=True`, in kafka-python as in Java's client) you never
call `commit()`. So when does the consumer commit? Not on a timer thread: **inside
`poll()`**. At the start of each `poll()`, if `auto_commit_interval_ms` (5000 by default)
has passed since the last auto-commit, the consumer commits its current *positions*: the
offset after the last record that *earlier* polls returned. It also commits on `close()`
and before a rebalance. (That is how kafka-python and Java's consumer are written: the
auto-commit check is part of `poll()` itself.)

So auto-commit commits what was **returned**, never what was **processed**. Whether that
duplicates or loses depends on where the processing happens.

### 5a. Processing inside the poll loop: duplicates

The member polls 4 records, processes them, and polls again one interval later (here
`auto_commit_interval_ms=1000`), which returns offsets 4-7. It processes them and crashes
before the next poll. **Predict:** what is committed when it crashes, and what is
processed twice? The table below is the member's *timeline*: one row per poll.
"""
    ),
    golden(
        """
from simkafka.delivery import auto_commit_duplicates, auto_commit_loses

duplicates = auto_commit_duplicates("sim", n_events=10, batch=4, interval_ms=1000)
print(duplicates.attrs["timeline"].to_string(index=False))
print(duplicates.attrs["summary"])
"""
    ),
    md(
        """
Read the timeline: `committed` is the group's committed offset right after each poll.
Poll 1 committed nothing (the interval had not passed); poll 2 committed 4, the position
after poll 1's records. Offsets 4-7 were processed but their commit would have come with
poll 3, which never happened: processed twice. As long as every record is processed before
the next `poll()`, auto-commit is at-least-once.
"""
    ),
    md(
        """
### 5b. Processing in another thread: losses

Now the poll loop hands each batch to a worker (a queue in memory) and polls on at once.
The worker processes 2 records per loop, so it falls behind. **Predict:** after three
polls, the member dies. Which records are lost?
"""
    ),
    golden(
        """
lost_auto = auto_commit_loses("sim", n_events=10, batch=4, interval_ms=1000, worker_pace=2)
print(lost_auto.attrs["timeline"].to_string(index=False))
print(lost_auto.attrs["summary"])
"""
    ),
    md(
        """
Poll 3 committed 8: everything polls 1 and 2 had *returned*. But the worker had only
processed up to offset 5. Offsets 6 and 7 were committed and never processed: lost. (8 and
9 were returned by poll 3 but not committed, so the next member reads them.) With
auto-commit, records handed to other threads need their own commit logic: turn
auto-commit off and commit what the worker finished.
"""
    ),
    md(
        """
Both on the real broker, with kafka-python's own auto-commit (the cell sleeps through
the intervals, a few seconds):
"""
    ),
    kafka(
        on_kafka(
            """
from simkafka.experiments import frames_agree

for name, simulated, run in (
    ("duplicates", duplicates, auto_commit_duplicates),
    ("losses", lost_auto, auto_commit_loses),
):
    real = run("kafka")
    same = frames_agree(simulated, real) and simulated.attrs["timeline"].equals(
        real.attrs["timeline"]
    )
    print(f"{name}: Kafka {real.attrs['summary']}, same as the simulator: {same}")
"""
        )
    ),
    exercise(
        """
**Exercise 2.** In 5b, how fast must the worker be (`worker_pace`, records per loop) so
that nothing is lost? Run `auto_commit_loses("sim", worker_pace=...)` for paces 1 to 4 and
print `lost` from each summary. Why does that pace suffice here?
"""
    ),
    solution(
        """
for pace in range(1, 5):
    run = auto_commit_loses("sim", worker_pace=pace)
    print(pace, run.attrs["summary"]["lost"])
# From pace 4 (the batch size) on, the worker finishes each batch before the next poll,
# so every auto-commit covers only processed records: the in-loop case of 5a again.
"""
    ),
    md(
        """
## 6. A new group does not see old records

Two new services are deployed after the auth service has sent 6 events: a `dashboard`
that shows sign-ups as they happen, and the `audit-service`, which must keep a record of
every event. Their groups have no committed offset, so where does each start? The setting
`auto_offset_reset` decides: `"latest"` starts at the log end, `"earliest"` at the log
start. **Its default is `"latest"`** (kafka-python and Java agree). The dashboard keeps the
default; the audit service sets `"earliest"`.

**Predict:** after 3 more events, how many records does each group read, starting at which
offset?
"""
    ),
    golden(
        """
from simkafka.delivery import new_group_start

new_groups = new_group_start("sim", old_events=6, new_events=3)
print(new_groups.to_string(index=False))
"""
    ),
    md(
        """
The dashboard never sees the 6 old events: with the default, a new group starts at the
log end, which is why a freshly deployed service "does not see the old records". The audit
service reads all 9. `auto_offset_reset` only applies when the group has **no committed
offset** (or it points outside the log, e.g. after retention deleted those records). Once
the group committed, it resumes there, whatever the setting. A service that must see
history sets `"earliest"` when it is first deployed (notebook 07 replays the log for
`audit-service`).

On the broker: the same table, and kafka-python's own default.
"""
    ),
    kafka(
        on_kafka(
            """
from kafka import KafkaConsumer

real = new_group_start("kafka", old_events=6, new_events=3)
print(real.to_string(index=False))
print("same table:", real.equals(new_groups))
default = KafkaConsumer.DEFAULT_CONFIG["auto_offset_reset"]
print("kafka-python's default auto_offset_reset:", default)
"""
        )
    ),
    md(
        """
## 7. Consumer lag

**Lag** = log end offset − committed offset, per partition: the records the group has
not yet committed as processed. It is the first number to watch on a running service: lag
that keeps growing means the group cannot keep up. Here one member reads 12 events, 4 per
poll, committing after each poll; then the auth service sends 3 more.
"""
    ),
    golden(
        """
from simkafka.delivery import consumer_lag

lag_steps = consumer_lag("sim", n_events=12, batch=4, more_events=3)
print(lag_steps.to_string(index=False))
"""
    ),
    kafka(
        on_kafka(
            """
real = consumer_lag("kafka", n_events=12, batch=4, more_events=3)
print(real.to_string(index=False))
print("same table:", real.equals(lag_steps))
"""
        )
    ),
    md(
        """
Over a longer run: a producer sends 12 records per step for 5 steps while two members
process 4 each per step, then the producer pauses. `simkafka.lag.lag_over_time` gives the
lag of each partition after each step; the drawing colours each line by the member that
owns the partition.
"""
    ),
    shown(
        """
from simkafka import viz
from simkafka.lag import lag_over_time

lag_history = lag_over_time("sim", partitions=3, consumers=2)
total = lag_history.groupby("time_ms")["lag"].sum()
print("total lag after each step:", total.tolist())
viz.lag_over_time(lag_history)
"""
    ),
    md(
        """
The lag is not spread evenly. With 3 partitions and 2 members, `member-1` owns two
partitions (0 and 1) and gets twice the records, so its partitions fall behind: their two
lines lie exactly on top of each other, so you see one blue line. `member-2` keeps up with
partition 2 (the green line at 0). When the producer pauses, `member-1` catches up. (The
labels at the right end name the partitions where their lines end, all at lag 0.)
"""
    ),
    exercise(
        """
**Exercise 3.** Use `cluster` from section 1 (the member has read offset 4 and not
committed it). Compute the lag yourself from `member.committed(tp)` and
`member.end_offsets([tp])`, then commit the member's position and check that
`cluster.group_state("groups-service")` shows lag 1.
"""
    ),
    solution(
        """
end = member.end_offsets([tp])[tp]
print("lag by hand:", end - member.committed(tp))
member.commit()  # commits the position: 5
print(cluster.group_state("groups-service")[["committed", "log_end_offset", "lag"]])
"""
    ),
    md(
        """
## Recap

- The **committed offset** is where a group resumes: the next offset to read, saved in
  Kafka. A consumer's **position** is only in its memory.
- **Process, then commit**: a crash re-delivers what was processed after the last commit
  (at-least-once; make processing idempotent). **Commit, then process**: a crash loses what
  was committed but not processed (at-most-once).
- **Auto-commit** commits inside `poll()`, every `auto_commit_interval_ms`, the positions
  after what earlier polls *returned*. Processing each batch before the next poll makes it
  at-least-once; handing records to another thread can lose them.
- A group with no committed offset starts at `auto_offset_reset`, **`"latest"` by
  default**: a new service does not see old records unless it asks for `"earliest"`.
- **Lag** = log end offset − committed offset.
- The simulator and Kafka give the same tables for every experiment here.

**Next:** [06 - a log versus a queue](06-log-versus-queue.ipynb): the same events through
Kafka and RabbitMQ.
"""
    ),
]
