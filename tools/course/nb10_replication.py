"""Notebook 10: replication and failover. Three brokers, a leader per partition, the ISR, acks.

Built into notebooks/10-replication-and-failover.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import exercise, golden, kafka_cluster, md, shown, solution

NAME = "10-replication-and-failover"

CELLS = [
    md(
        """
# 10 - Replication and failover: what happens when a broker dies

**What you'll learn:** how Kafka keeps each partition on several brokers (its *replicas*:
one *leader*, the others *followers*), what the *in-sync replica set* (ISR) is, why
consumers read only up to the *high watermark*, what `acks=0`, `1` and `all` and
`min.insync.replicas` promise, how leadership moves when a broker stops or crashes, and which
acknowledged records a failover can lose.

**Time:** about 40 minutes. **Needs:** the simulator only. The three-node Kafka cluster is
optional (`make brokers-up NODES=3`; its cells print one line and move on without it).

The story: PlayBall's *payments service* writes every payment to `payments`. Until now every
topic in the course lived on one broker: while it was down, the topic was unavailable, and
if its disk was lost, so were the records. Production clusters
have several brokers and keep three copies of each partition. This notebook breaks brokers on
purpose, first on the simulator, then on a real three-node cluster, and compares the two.
"""
    ),
    md(
        """
## 1. Three brokers, three replicas

`SimCluster(brokers=3)` models three brokers. A topic created with `replication_factor=3`
has one replica of each partition on each broker. One replica is the **leader**: producers
write to it and consumers read from it. The others are **followers**: they fetch the
leader's new records, all the time, and append them to their own copy.

`failover.sim_cluster()` is such a cluster with the same timeouts as the course's real
cluster (section 8 says why they are shorter than Kafka's defaults).
`cluster.replicas(topic)` is one row per partition:

- `replicas`: the brokers that hold a copy, in Kafka's order (the first is the *preferred*
  leader);
- `isr`: the **in-sync replicas**, those that are caught up with the leader;
- `elr`: the *eligible leader replicas* (section 6);
- `high_watermark`: the offset up to which every replica in the ISR has the records.
"""
    ),
    golden(
        """
from simkafka import failover

cluster = failover.sim_cluster(seed=1)
cluster.create_topic("payments", partitions=3, replication_factor=3)
producer = cluster.producer(acks="all", value_serializer=str.encode)
for i in range(12):
    producer.send("payments", value=f"payment-{i}", partition=i % 3).get()
print(cluster.replicas("payments").to_string(index=False))
"""
    ),
    md(
        """
Each partition has a different leader (brokers 1, 2 and 3), so each broker leads one
partition and follows the other two: the load of serving clients is spread. Every replica
is in the ISR, and each high watermark is 4: all four records of each partition are on all
three brokers.

The same as a picture: a strip per replica, as long as its log; the leader's is dark. The
dashed line is the high watermark.
"""
    ),
    shown(
        """
from simkafka import viz

viz.replica_logs(cluster.replica_logs("payments"))
"""
    ),
    md(
        """
## 2. The leader stops: leadership moves

When a broker shuts down cleanly (SIGTERM, a *controlled shutdown*), it first asks the
*controller* (the part of the cluster that keeps the metadata) to move its leaderships to
other brokers. The controller picks, for each partition, the first replica that is **in the
ISR** and alive. Nothing is lost: every replica in the ISR had every record up to the high
watermark.

`failover.leader_failover` writes 3 records with `acks="all"`, stops the leader, writes 3
more, starts the old leader again, writes 3 more. Each row is one step: who leads (by role:
brokers get their ids by chance), how many replicas are in the ISR, whether the writes
worked, and how many records a consumer can read.

**Predict, then run.** After the old leader is back, who leads: the old leader or the
follower that took over?
"""
    ),
    golden(
        """
sim_failover = failover.leader_failover("sim")
print(sim_failover.to_string(index=False))
print(sim_failover.attrs["summary"])
"""
    ),
    md(
        """
The follower keeps the leadership. The old leader comes back as a follower, fetches what it
missed, and rejoins the ISR (3 again). Kafka can give leadership back to the preferred
replica later (`auto.leader.rebalance.enable`, checked every 5 minutes); the course's
cluster turns that off, so that leadership moves only when we move it.

The same experiment on the real three-node cluster (about 7 s: stopping a node takes about
a second, starting one about three):
"""
    ),
    kafka_cluster(
        """
from simkafka.environment import broker_notice

notice = broker_notice("kafka-cluster")
if notice:
    print(notice)
else:
    kafka_failover = failover.leader_failover("kafka-cluster")
    print(kafka_failover.to_string(index=False))
    print("same table as the simulator:", kafka_failover.equals(sim_failover))
    print("Kafka, milliseconds per step:", kafka_failover.attrs["timings_ms"])
"""
    ),
    md(
        """
## 3. The ISR, and why consumers stop at the high watermark

A follower is **in sync** while it keeps up with the leader. Two things take it out of the
ISR:

- the **leader** drops a follower that has not caught up for `replica.lag.time.max.ms`
  (Kafka's default 30 s; 5 s here), checking every half of that;
- the **controller** *fences* a broker that has sent no heartbeat for
  `broker.session.timeout.ms` (Kafka's default 9 s; 3 s here), and removes it from every ISR.

A follower that catches up again rejoins the ISR.

The **high watermark** is the smallest log end offset over the ISR: the records every in-sync
replica has. A consumer reads only below it. Records above it are on the leader, maybe on
some followers, but not yet *committed*: if the leader died now, the next leader might not
have them. Showing them to a consumer would show records that could vanish.

Here a follower freezes (`pause_broker`: SIGSTOP, like a very long garbage-collection
pause). The producer writes with `acks=1`: the leader answers as soon as *it* has the
record.

**Predict, then run.** The frozen follower is in the ISR. Can a consumer read the new
records before the follower is out of the ISR?
"""
    ),
    golden(
        """
cluster = failover.sim_cluster(seed=1)
cluster.create_topic("payments", partitions=1, replication_factor=3)
row = cluster.replicas("payments").iloc[0]
frozen = [b for b in row.replicas if b != row.leader][0]
producer = cluster.producer(acks=1, value_serializer=str.encode)
producer.send("payments", value="payment-0").get()
cluster.pause_broker(frozen)
for i in range(1, 4):
    producer.send("payments", value=f"payment-{i}").get()


def show(when):
    row = cluster.replicas("payments").iloc[0]
    end = cluster.partitions("payments").log_end_offset[0]
    print(f"{when:<22} ISR {row.isr}  leader's log end {end}  high watermark {row.high_watermark}")


show("follower frozen")
cluster.advance(2_999)
show("2.999 s later")
cluster.advance(1)
show("3 s: fenced")
cluster.resume_broker(frozen)
show("resumed, caught up")
"""
    ),
    md(
        """
While the frozen follower was in the ISR, the high watermark stayed at 1: the leader had 4
records, but a consumer could read only the first. After `broker.session.timeout.ms` the
controller fenced the silent broker and took it out of the ISR; the high watermark jumped to
4. When the follower came back it fetched the three records and rejoined.

(Here the controller was quicker than the leader's own check: 3 s against 5 s. With Kafka's
defaults it is the same order, 9 s against 30 s.)
"""
    ),
    md(
        """
## 4. `acks` and `min.insync.replicas`

What the producer waits for:

| `acks` | the leader answers when | the record can still be lost if |
|---|---|---|
| `0` | never (the producer does not wait) | anything goes wrong, silently |
| `1` | it has appended the record | the leader dies before a follower fetched it |
| `all` (`-1`) | every replica **in the ISR** has it | every replica in the ISR is lost |

`acks=all` waits for the ISR, and the ISR can shrink to the leader alone: then `acks=all` is
no better than `acks=1`. `min.insync.replicas` (a topic config, default 1) closes that gap:
with fewer in-sync replicas than that, the leader **refuses** `acks=all` writes with
`NotEnoughReplicasError` before appending anything.

`failover.min_insync_writes` makes two topics, `min.insync.replicas` 2 and 3, stops one
follower of both, writes, and starts it again.

**Predict, then run.** With one of three replicas down, which `acks=all` write fails? And
the `acks=1` write to the `min.insync.replicas=3` topic?
"""
    ),
    golden(
        """
sim_min_isr = failover.min_insync_writes("sim")
print(sim_min_isr.to_string(index=False))
"""
    ),
    md(
        """
With one follower down the ISR has 2 replicas: enough for `min.insync.replicas=2`, too few
for 3, so that `acks=all` write is refused. The `acks=1` write is **acknowledged** (the
leader has it) but the consumer still reads 1 record: Kafka 4.x does not advance the high
watermark while the ISR is smaller than `min.insync.replicas` (the "strict min ISR" rule of
KIP-966). The record appears only when the follower is back and the ISR has healed: then 3
records (`a-0`, `o-2`, `a-3`) are readable. (`a-1` was refused; it never existed.)

`RF=3, min.insync.replicas=2, acks=all` is the usual production choice: one broker can be
down and writes go on; every acknowledged write is on at least two brokers.

On the real cluster:
"""
    ),
    kafka_cluster(
        """
from simkafka.environment import broker_notice

notice = broker_notice("kafka-cluster")
if notice:
    print(notice)
else:
    kafka_min_isr = failover.min_insync_writes("kafka-cluster")
    print(kafka_min_isr.to_string(index=False))
    print("same table as the simulator:", kafka_min_isr.equals(sim_min_isr))
"""
    ),
    md(
        """
## 5. What `acks=1` can lose

To lose a record acknowledged with `acks=1`, the leader must die with records no follower
has fetched. Followers fetch within milliseconds, so on a real cluster this is a race. To
make it happen on purpose, `failover.acks_one_loss` **freezes both followers** (SIGSTOP),
waits one second (so that no fetch is in flight), writes two records with `acks=1` (the
leader acknowledges both), **kills** the leader (SIGKILL, a crash), then thaws the
followers. After `broker.session.timeout.ms` the controller fences the dead leader and
elects a follower: a clean election, from the ISR. When the old leader comes back it
**truncates** its log to match the new leader.

**Predict, then run.** Which of `a-0` (written with `acks=all` before the freeze), `o-1` and
`o-2` survive?
"""
    ),
    golden(
        """
sim_loss = failover.acks_one_loss("sim")
print(sim_loss.to_string(index=False))
"""
    ),
    md(
        """
`o-1` and `o-2` were acknowledged and are gone: only the dead leader had them, and the old
leader threw them away when it rejoined as a follower. The election was *clean* (the new
leader was in the ISR); what made the loss possible is `acks=1`. With `acks=all` the leader
would not have answered while the followers were frozen (exercise 3).

The real cluster does the same (about 11 s: the crash is noticed after the 3 s session
timeout). The timeline below draws both runs: the stretch without a leader, and the stretch
with the ISR short of a replica.
"""
    ),
    kafka_cluster(
        """
from simkafka.environment import broker_notice

notice = broker_notice("kafka-cluster")
if notice:
    print(notice)
else:
    kafka_loss = failover.acks_one_loss("kafka-cluster")
    print(kafka_loss.to_string(index=False))
    print("same table as the simulator:", kafka_loss.equals(sim_loss))
    print("Kafka, milliseconds per step:", kafka_loss.attrs["timings_ms"])
    viz.failover_timeline(
        {"simulator": sim_loss.attrs["timeline"], "Kafka": kafka_loss.attrs["timeline"]}
    )
"""
    ),
    shown(
        """
viz.failover_timeline({"simulator": sim_loss.attrs["timeline"]})
"""
    ),
    md(
        """
## 6. Unclean leader election: losing `acks=all` records

If every replica in the ISR is gone, the controller has a choice:

- **wait** for one of them to come back (the default, `unclean.leader.election.enable=false`):
  the partition has no leader meanwhile, and refuses reads and writes; or
- **elect any live replica** (`unclean.leader.election.enable=true`): the partition is
  available again at once, but the new leader may lack records that were acknowledged,
  even with `acks=all`.

Kafka 4.x adds **eligible leader replicas** (ELR, KIP-966, on by default for clusters
formatted by 4.1 or later; the course's 4.3.1 cluster reports
`eligible.leader.replicas.version=1`): a replica that leaves the ISR when the ISR is at or
below `min.insync.replicas` stays eligible, because the high watermark (which cannot advance
while the ISR is below `min.insync.replicas`) could not pass it. When the
ISR is empty the controller elects from the ELR first, then the last leader if it is back,
and only then, if allowed, any replica. A broker that crashed (SIGKILL) leaves the ELR when
it registers again.

`failover.unclean_election_loss` runs this on the simulator only, with five brokers and two
replicas: the follower stops, the leader takes three `acks=all` writes alone
(`min.insync.replicas=1`), then crashes, then the follower comes back.
"""
    ),
    golden(
        """
print(failover.unclean_election_loss().to_string(index=False))
"""
    ),
    md(
        """
Without unclean election the partition waits, and when the last leader returns all three
records are there. With it, the follower leads at once and the three acknowledged records
are gone for good.

**Why not on the real cluster?** Its three nodes are also its three *controller voters*
(KRaft, combined mode): the metadata quorum needs two of three. This experiment needs two
replicas of a partition down at once, and with two of three nodes down there is no quorum:
no fencing, no election, and a node started alone cannot even register (it gives up after
about a minute). A cluster with separate controllers, or five nodes, could run it.
"""
    ),
    md(
        """
## 7. Exercises
"""
    ),
    exercise(
        """
**Exercise 1.** A topic has `replication_factor=3` and `min.insync.replicas=2`. Predict how
many of its three brokers can be *stopped* (controlled shutdown) before an `acks=all` write
fails. Check it on `SimCluster(brokers=5)` (five brokers, so that the quorum survives) with a
topic of 3 replicas: stop its followers one by one and write after each.
"""
    ),
    solution(
        """
from simkafka import SimCluster

five = SimCluster(seed=2, brokers=5)
five.create_topic("ex1", 1, replication_factor=3, config={"min.insync.replicas": "2"})
row = five.replicas("ex1").iloc[0]
ex_producer = five.producer(acks="all", retries=0)
for follower in [b for b in row.replicas if b != row.leader]:
    five.stop_broker(follower)
    try:
        ex_producer.send("ex1", value=b"x").get()
        outcome = "ok"
    except Exception as error:
        outcome = type(error).__name__
    print(f"stopped broker {follower}: ISR {list(five.replicas('ex1').isr[0])}, write {outcome}")
"""
    ),
    exercise(
        """
**Exercise 2.** The course's cluster fences a silent broker after 3 s. Kafka's default
`broker.session.timeout.ms` is 9000. Run `failover.acks_one_loss` on a simulator with the
default, and compare `attrs["timings_ms"]["leader_moved"]`. What does a shorter session
timeout cost in production?
"""
    ),
    solution(
        """
from simkafka import SimCluster

default_timeouts = SimCluster(seed=0, brokers=3)  # Kafka's defaults: 9000 and 30000
slow = failover.acks_one_loss(default_timeouts)
print("leader moved after", slow.attrs["timings_ms"]["leader_moved"], "ms (default session)")
print("course cluster:     ", sim_loss.attrs["timings_ms"]["leader_moved"], "ms")
# A shorter session fences brokers that only paused (a long GC, a slow disk): leadership
# moves, and moves back, more often.
"""
    ),
    exercise(
        """
**Exercise 3.** In the freeze of section 5, write with `acks="all"` instead of `acks=1`.
What does the producer get back, and is any acknowledged record lost? (Use the simulator:
freeze both followers, wait a second, send with `acks="all"` and `request_timeout_ms=5000`.)
"""
    ),
    solution(
        """
cluster = failover.sim_cluster()
cluster.create_topic("ex3", 1, replication_factor=3)
row = cluster.replicas("ex3").iloc[0]
for follower in [b for b in row.replicas if b != row.leader]:
    cluster.pause_broker(follower)
cluster.advance(1000)
try:
    cluster.producer(acks="all", request_timeout_ms=5000).send("ex3", value=b"x").get()
    print("acknowledged")
except Exception as error:
    print("not acknowledged:", type(error).__name__)
# Two of three voters are frozen: no controller, so the ISR cannot shrink and the leader
# waits for followers that never fetch. The write times out: nothing was acknowledged, so
# nothing acknowledged can be lost.
"""
    ),
    md(
        """
## 8. Comparing the two

| | simulator | three-node Kafka 4.3.1 |
|---|---|---|
| who leads after each step, ISR size, which writes fail, what is readable | the tables above | the same tables (`equals` is True) |
| leadership moves on a controlled shutdown | at once | during the shutdown (visible 17 ms after `stop-node` returned, measured) |
| a crashed leader is replaced | exactly `broker.session.timeout.ms` after the quorum is back | about 3.7 s (the 3 s session, then the election) |
| a follower catches up | at once (fetching takes no time) | within a second of starting (starting a node takes 2-4 s) |
| a frozen follower's in-flight fetch | none | a fetch already waiting at the leader still delivers; the experiment waits 1 s so none is |
| unclean election | modelled (section 6) | not runnable here: two nodes down leave no quorum |

The course's cluster is faster than Kafka's defaults, for teaching:
`broker.session.timeout.ms=3000` (default 9000), `replica.lag.time.max.ms=5000` (default
30000), and `auto.leader.rebalance.enable=false`. Measured on the course machine (2 cores)
today: the three-node cluster starts in 4-7 s; the three real experiments take about 7, 6 and
11 s, about 25 s with their comparisons against the simulator.

## Recap

- A partition has one **leader** and followers; a replica is **in sync** while it keeps up.
  Out of the ISR after `replica.lag.time.max.ms` without catching up, or when the controller
  fences its broker after `broker.session.timeout.ms`.
- Consumers read only below the **high watermark**, the records every in-sync replica has.
  In Kafka 4.x it does not move while the ISR is smaller than `min.insync.replicas`.
- `acks=1` is acknowledged by the leader alone and is lost if the leader dies first;
  `acks=all` waits for the ISR; `min.insync.replicas` refuses `acks=all` when the ISR is too
  small (`NotEnoughReplicasError`).
- A clean election picks a leader from the ISR (or, in 4.x, from the eligible leader
  replicas) and loses nothing acknowledged with `acks=all`; an unclean one can lose it.
- Three combined nodes tolerate one failure, not two: the metadata quorum needs a majority.

A question to take back to [09 - Capstone](09-capstone.ipynb): which of PlayBall's topics
need `replication_factor=3, min.insync.replicas=2` and `acks="all"`, and which can afford less?

**Next:** [11 - Share groups](11-share-groups.ipynb): Kafka's own queues.
"""
    ),
]
