"""Notebook 00: what is available, and how to start the brokers.

Built into notebooks/00-setup.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import GOLDEN, code, md

NAME = "00-setup"

CELLS = [
    md(
        """
# 00 - Setup: is everything ready?

**What you'll learn:** how this course runs every experiment twice, first on `SimCluster`
(an exact, deterministic simulator of Kafka that runs inside this notebook) and then on a
real broker, and whether this machine has what it needs.

**Time:** about 5 minutes. **Needs:** nothing. Kafka and RabbitMQ are optional: a cell that
needs one says how to start it, and moves on.

The running example of the whole course: an *auth service* publishes user-account events
(account created, e-mail changed, account deleted) to the topic `user-accounts`, keyed by
account id, and a *group-management service* consumes them.
"""
    ),
    md(
        """
## 1. Check the environment

One line per piece. The simulator is always ready; a broker that is not running is fine
for now.
"""
    ),
    code(
        """
from simkafka.environment import check_environment

for line in check_environment():
    print(line)
"""
    ),
    md(
        """
## 2. Hello, simulator

A few words first (notebook 01 explains each one properly):

- a Kafka **cluster** is one or more servers, the **brokers**, that store the records;
- a **topic** is a named stream of records, here `user-accounts`; it is split into
  **partitions**, separate logs the records are appended to;
- a **producer** is the client that writes records, a **consumer** the one that reads them.

Create a simulated cluster (the seed makes every run the same), then the topic
`user-accounts` with 3 partitions, with the same admin call you would make against Kafka.
"""
    ),
    code(
        """
from simkafka import NewTopic, SimCluster

cluster = SimCluster(seed=0)
admin = cluster.admin()
_ = admin.create_topics([NewTopic("user-accounts", num_partitions=3, replication_factor=1)])
"""
    ),
    md(
        """
Send one event keyed by account id `acct-42`. The producer picks the partition from the
key (a hash of the key, modulo the number of partitions, as Kafka's Java client does;
notebook 02 shows the arithmetic), so every event of account 42 lands in the same partition. The
*offset* is the record's position in that partition's log: the first record gets offset 0.
"""
    ),
    code(
        """
producer = cluster.producer()
metadata = producer.send("user-accounts", key=b"acct-42", value=b"created").get()
print(f"simulator: key b'acct-42' -> partition {metadata.partition}, offset {metadata.offset}")
""",
        GOLDEN,
    ),
    md(
        """
## 3. The same on real Kafka

Now the same record through a real broker, with kafka-python (a Python client library for
Kafka). The cell creates a topic with a unique name and 3 partitions (the course's broker
creates no topic by itself), sends the record, compares its partition with the simulator's,
and deletes the topic. Without Kafka it prints how to start it, and stops.
"""
    ),
    code(
        """
from simkafka.environment import broker_notice, kafka_hello

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    kafka_partition = kafka_hello(key=b"acct-42")
    print(f"simulator: partition {metadata.partition}")
    print(f"Kafka:     partition {kafka_partition}")
    assert kafka_partition == metadata.partition, "the simulator and Kafka should agree"
    print("agree")
""",
        "requires-kafka",
    ),
    md(
        """
## 4. RabbitMQ, for the comparisons later

Some notebooks set Kafka's log beside a classic queue. A round trip: declare a fresh
exclusive queue, publish one message, get it back, acknowledge it.
"""
    ),
    code(
        """
from simkafka.environment import broker_notice, rabbitmq_hello

notice = broker_notice("rabbitmq")
print(notice or rabbitmq_hello())
""",
        "requires-rabbitmq",
    ),
    md(
        """
## Recap

- The simulator needs nothing and is always ready; seeded, it prints the same thing on
  every run and every machine.
- A keyed record goes to the partition its key hashes to: the simulator and Kafka pick the
  same one.
- An offset is a record's position in its partition's log, starting at 0.
- A cell that needs a broker tells you how to start it (`make brokers-up`) instead of failing.

**Next:** [01 - records, topics and partitions](01-records-topics-partitions.ipynb).
"""
    ),
]
