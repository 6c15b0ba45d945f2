"""Notebook 06: a Kafka log beside RabbitMQ queues, with the same events.

Built into notebooks/06-log-versus-queue.ipynb by tools/build_notebooks.py. The experiment
is simkafka.experiments.log_versus_queue; its drawing is simkafka.viz.log_versus_queue.
"""

from __future__ import annotations

from course import KAFKA, RABBITMQ, code, exercise, golden, md, rabbitmq, shown, solution

NAME = "06-log-versus-queue"

CELLS = [
    md(
        """
# 06 - A log versus a queue: Kafka beside RabbitMQ

**What you'll learn:** what changes when the same events go through a Kafka log and
through RabbitMQ queues: a queue removes a message once it is acknowledged, gives each
queue its own copy, can change the order when a consumer crashes, and cannot replay; a log
keeps every record for every group, in order, and replays. Then the bytes each keeps for N
readers, and Kafka's share groups as a column in between.

**Time:** about 30 minutes. **Needs:** the simulator only; Kafka and RabbitMQ are optional (their
cells run the comparison and the byte count on both real brokers).

The story: the auth service publishes user-account events. The group-management service
and an audit service both need every event, and later a reporting service arrives and
wants the history. Which system gives each of them what it needs?
"""
    ),
    md(
        """
## 1. A queue forgets what was acknowledged

In RabbitMQ a producer publishes a message to an *exchange*, which routes it to the
*queues* bound to it; the exchange named `""` (the default one) delivers straight to the
queue whose name is the message's routing key. A consumer takes a message from a queue and
*acknowledges* it (`basic_ack`) when it is done. `SimQueue` simulates one RabbitMQ broker
with the method names of pika, the usual Python client for RabbitMQ (the real-broker cells
use pika itself). **Predict:** after reading and acknowledging 3 messages, how many are left
in the queue?
"""
    ),
    golden(
        """
from simkafka.queue import SimQueue

mq = SimQueue(seed=0)
ch = mq.channel()
ch.queue_declare("account-events")
for event in ("acct-0:created", "acct-1:created", "acct-0:renamed"):
    ch.basic_publish("", "account-events", event.encode())  # default exchange, to that queue
# passive=True only asks about the queue; message_count: messages ready to be delivered
print("ready before:", ch.queue_declare("account-events", passive=True).method.message_count)
for _ in range(3):
    method, _props, body = ch.basic_get("account-events")
    ch.basic_ack(method.delivery_tag)  # done with this message
    print("got", body.decode())
print("ready after: ", ch.queue_declare("account-events", passive=True).method.message_count)
"""
    ),
    md(
        """
Gone: once acknowledged, the broker deletes a message, and nobody can read it again. In Kafka, reading moves only the reader's own
offset (notebook 05); the records stay in the log until retention deletes them.

## 2. The same events, both ways

`log_versus_queue` publishes the same 8 account events three ways:

- **kafka**: to a one-partition topic. `groups-service` and `audit-service` (two consumer
  groups) each read everything and commit; then a new group, `replay`, reads from offset 0.
- **rabbitmq-fanout**: to a *fanout exchange* bound to two queues, `groups-service` and
  `audit-service`: each queue gets its own copy, and each service acknowledges its copies.
  Then `reporting-service` binds its new queue to the exchange.
- **rabbitmq-competing**: to *one* queue with two *competing consumers* (prefetch 1: each
  holds at most one unacknowledged message). `first` crashes while holding its third
  message; the broker requeues it and `second` gets it, flagged `redelivered`.

`log_versus_queue` returns a table (a pandas DataFrame) with one row per delivery; a
summary per system rides along in `deliveries.attrs["summary"]` (pandas' place for extra
facts about a table), printed first.

**Predict:** how many events does `replay` get? And `reporting-service`? Does `second`
process the events in the order they were published?
"""
    ),
    golden(
        """
from simkafka.experiments import log_versus_queue

deliveries = log_versus_queue("sim", n_events=8)
for system, facts in deliveries.attrs["summary"].items():
    print(system)
    for name, value in facts.items():
        print(f"    {name}: {value}")
"""
    ),
    md(
        """
Each row of `deliveries` is one delivery: which reader got which event, in which order
(`seq` counts each reader's deliveries from 0), and whether it was a redelivery. The
competing consumers:
"""
    ),
    golden(
        """
competing = deliveries[deliveries.system == "rabbitmq-competing"]
print(competing[["reader", "seq", "event", "redelivered"]].to_string(index=False))
"""
    ),
    md(
        """
`first` received `acct-4:created` and crashed before acknowledging it. RabbitMQ put it back
and `second` got it *after* `acct-0:email-verified`, which was published later. Had the two
events been about the same account, the group service would have applied them in the wrong
order. In Kafka, one partition is read by one member of a group at a time, in offset order;
a crash makes the next member re-read from the committed offset (notebook 05), in order.

The whole picture: a row per reader, a cell per delivery, numbered by publish order and
coloured by account; ↻ marks a redelivery.
"""
    ),
    shown(
        """
from simkafka import viz

viz.log_versus_queue(deliveries)
"""
    ),
    md(
        """
| | Kafka log | RabbitMQ fanout | RabbitMQ competing consumers |
|---|---|---|---|
| a copy per service | yes: a group reads everything | yes: a queue per service | no: they share the work |
| left after reading | all of it (until retention) | nothing | nothing |
| a newcomer sees the past | yes: `replay` from offset 0 | no: `reporting-service` gets only new messages | no |
| order after a crash | kept per partition | kept per queue | changed: the requeued message comes later |

## 3. The same on the real brokers

The same experiment with kafka-python against Kafka and pika against RabbitMQ
(`RealCluster` and `RealQueue`). The cell compares every delivery with the simulator's.
"""
    ),
    code(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree

notice = broker_notice("kafka") or broker_notice("rabbitmq")
if notice:
    print(notice)
else:
    real = log_versus_queue("real", n_events=8)
    for system, facts in real.attrs["summary"].items():
        print(f"{system}: {facts}")
    print("same deliveries as the simulator:", frames_agree(deliveries, real))
""",
        KAFKA,
        RABBITMQ,
    ),
    md(
        """
On RabbitMQ alone, a crash with unacknowledged messages: they come back, flagged
`redelivered` (the one-line round trip of notebook 00, then the requeue).
"""
    ),
    rabbitmq(
        """
from simkafka.environment import broker_notice

notice = broker_notice("rabbitmq")
if notice:
    print(notice)
else:
    from simkafka.brokers import rabbitmq_url
    from simkafka.real_queue import RealQueue

    with RealQueue(rabbitmq_url()) as real_mq:
        real_ch = real_mq.channel()
        real_ch.queue_declare("account-events")
        real_ch.basic_publish("", "account-events", b"acct-0:created")
        method, _props, body = real_ch.basic_get("account-events")
        print("got", body.decode(), "redelivered:", method.redelivered)
        real_ch.basic_nack(method.delivery_tag, requeue=True)  # not processed: back it goes
        method, _props, body = real_ch.basic_get("account-events")
        print("got", body.decode(), "redelivered:", method.redelivered)
        real_ch.basic_ack(method.delivery_tag)
"""
    ),
    exercise(
        """
**Exercise 1.** Run `log_versus_queue("sim", n_events=12)`. How many deliveries does each
reader of each system get? (Hint: `groupby(["system", "reader"]).size()`.) Which reader
would you use for a new reporting service that needs last week's events?
"""
    ),
    solution(
        """
twelve = log_versus_queue("sim", n_events=12)
print(twelve.groupby(["system", "reader"], sort=False).size())
# Kafka's `replay` group gets all 12; RabbitMQ's late `reporting-service` queue gets none:
# only a log can give a newcomer the past.
"""
    ),
    exercise(
        """
**Exercise 2.** On a `SimQueue`, publish `acct-7:created` then `acct-7:deleted` to one
queue. Take the first with `basic_get`, `basic_nack(..., requeue=True)` it, then take two
messages. In which order does the consumer see them, and which is `redelivered`? Compare
with section 2, where the order changed.
"""
    ),
    solution(
        """
mq_2 = SimQueue(seed=0)
ch_2 = mq_2.channel()
ch_2.queue_declare("q")
for event in (b"acct-7:created", b"acct-7:deleted"):
    ch_2.basic_publish("", "q", event)
method, _props, body = ch_2.basic_get("q")
ch_2.basic_nack(method.delivery_tag, requeue=True)
for _ in range(2):
    method, _props, body = ch_2.basic_get("q")
    print(body.decode(), "redelivered:", method.redelivered)
    ch_2.basic_ack(method.delivery_tag)
# created (redelivered) comes first again: a classic queue puts a requeued message back at
# its original position. Order changes only when another consumer took later messages
# meanwhile, as in section 2.
"""
    ),
    md(
        """
## 4. One copy, or a copy per queue

The article says: *Kafka keeps one copy; RabbitMQ copies the message to every subscriber's
queue.* Section 2 showed the behaviour; here we count the bytes. One topic read by N
consumer groups, against one fanout exchange bound to N queues, with the same messages:
2,000 of 1,000 bytes each.

On the simulator first: `sim_bytes_per_reader` (from `simkafka.claims`) reads one topic with
N groups and asks the partition's size in Kafka's format; it binds N queues to a fanout
exchange and sums `message_bytes` from `SimQueue.queues()`, the figure RabbitMQ reports
(the sum of the message bodies a queue holds). **Predict:** how do the two grow with N?
"""
    ),
    golden(
        """
from simkafka.claims import sim_bytes_per_reader

print(sim_bytes_per_reader(range(1, 9), records=2000, size=1000).to_string(index=False))
"""
    ),
    md(
        """
The log stays at 2.1 MB, whatever the number of groups: a group keeps only its committed
offsets (one number per partition, in Kafka's `__consumer_offsets` topic). (The simulator
sends each record on its own, `.get()` after each send, so each is a batch of one with its
batch header; `make bench-brokers` lets the producer batch, which is why its log below is
smaller for the same records.) The queues hold
2 MB of bodies each: 16 MB for 8 readers.

`make bench-brokers` measured the same on the real brokers, from their own figures: Kafka's
DescribeLogDirs (the topic's size on disk), and RabbitMQ's `rabbitmqctl list_queues name
messages message_bytes memory` and `rabbitmq-diagnostics memory_breakdown`. It saved the
results with the machine and versions; the plot reads that file, so it needs no broker:
"""
    ),
    shown(
        """
from simkafka.claims import load_results, plot_bytes_per_reader, table

results = load_results()
plot_bytes_per_reader(results)
"""
    ),
    shown(
        """
kafka_kept = table(results, "kafka_bytes_per_reader")[["readers", "stored_bytes"]]
rabbit_kept = table(results, "rabbitmq_bytes_per_reader")
kept = kafka_kept.merge(rabbit_kept.drop(columns=["records", "value_bytes"]), on="readers")
print(kept.rename(columns={"stored_bytes": "kafka_log_bytes"}).to_string(index=False))
"""
    ),
    md(
        """
Kafka: one log, the same size for 1 reader or 8. RabbitMQ reports `message_bytes` N times
over, and each queue's own memory (`queue_memory`: the queue process, with an entry for
every message it holds) grows with N as well. But the node's *binary* memory, where message
bodies live, grew by about one copy whatever N was: RabbitMQ (Erlang) shares a large body
between the queues it was routed to, and each queue keeps a reference and its own
bookkeeping. So the claim holds for what each queue costs and what the broker reports, and
is too strong for the bodies themselves, in memory. The difference that matters is the one
of section 2: a queue's copy is gone once acknowledged, the log's stays for every group and
for replay.

To measure it yourself (both brokers; a few seconds, small sizes):
"""
    ),
    code(
        """
from simkafka.environment import broker_notice

notice = broker_notice("kafka") or broker_notice("rabbitmq")
if notice:
    print(notice)
else:
    from simkafka.brokers import kafka_bootstrap, rabbitmq_url
    from simkafka.claims import kafka_bytes_per_reader, rabbitmq_bytes_per_reader

    live_kafka = kafka_bytes_per_reader(kafka_bootstrap(), readers=[1, 2, 4], records=500)
    live_rabbit = rabbitmq_bytes_per_reader(rabbitmq_url(), readers=[1, 2, 4], records=500)
    print(live_kafka.to_string(index=False))
    print(live_rabbit.to_string(index=False))
""",
        KAFKA,
        RABBITMQ,
    ),
    md(
        """
## 5. Kafka 4.x and queues: share groups

Kafka 4.x adds a second kind of group, the **share group** (KIP-932, "Queues for Kafka"):
consumers of a share group take records from the same partitions cooperatively, without
owning a partition each, acknowledge each record, and the broker counts delivery attempts,
like competing consumers on a queue. The records stay in the log (other groups and replay
still work). It was early access in Kafka 4.0, a preview in 4.1, and is production-ready
since 4.2. kafka-python speaks only consumer groups; the simulator models share groups, and
on the real broker confluent-kafka's `ShareConsumer` drives them. Here is the drawing of
section 2 with a share group as the second column (notebook
[11](11-share-groups.ipynb) is all about it):
"""
    ),
    shown(
        """
with_share = log_versus_queue("sim", n_events=8, share_group=True)
fig = viz.log_versus_queue(with_share)
fig
"""
    ),
    md(
        """
The share group's two members split the work and the crashed member's record comes back
(↻), as with RabbitMQ's competing consumers, yet the log still holds all 8 events for replay.

## Recap

- A queue deletes a message once it is acknowledged; a log keeps it for every group until
  retention.
- Fanout gives each bound queue a copy, but only of messages published after it was
  bound: a newcomer cannot replay. A new Kafka group can read from offset 0.
- Competing consumers share one queue's work; a crash requeues unacknowledged messages and
  the order seen can change. A Kafka group keeps order per partition.
- The simulator and the real brokers give the same deliveries.
- Bytes: a topic is one log whatever the number of groups; RabbitMQ counts a copy per
  queue (`message_bytes`), and each queue keeps its own entry per message.

**Next:** [07 - retention and replay](07-retention-and-replay.ipynb): how long a log keeps
its records, and how a group reads them again.
"""
    ),
]
