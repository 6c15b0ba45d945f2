"""The simulator against a real Kafka 4.x broker: where they could disagree, run both and compare.

Routing of keys, the assignment a real group gets from the range and roundrobin assignors
(for the members' real ids), and what a new member of a group resumes from after another
member crashed before committing.
"""

import threading
import time
import uuid

import pytest

from simkafka import SimCluster, TopicPartition, assign

pytestmark = pytest.mark.kafka

kafka = pytest.importorskip("kafka")


@pytest.fixture
def admin(kafka_bootstrap):
    from kafka.admin import KafkaAdminClient

    client = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=10_000)
    yield client
    client.close()


@pytest.fixture
def group(admin):
    """A unique consumer group name; the group is deleted after the test."""
    names = []

    def make() -> str:
        names.append(f"fidelity-{uuid.uuid4().hex[:10]}")
        return names[-1]

    yield make
    if names:
        admin.delete_groups(names)


@pytest.fixture
def topic(admin):
    created = []

    def make(partitions: int) -> str:
        name = f"fidelity-{uuid.uuid4().hex[:10]}"
        admin.create_topics(
            {name: {"num_partitions": partitions, "replication_factor": 1}},
            wait_for_metadata=True,
        )
        created.append(name)
        return name

    yield make
    if created:
        admin.delete_topics(created)


def _producer(bootstrap):
    from kafka import KafkaProducer

    return KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, request_timeout_ms=10_000)


def test_every_key_lands_where_the_simulator_puts_it(kafka_bootstrap, topic):
    name = topic(7)
    keys = [b"acct-%d" % i for i in range(9000)] + [uuid.UUID(int=i).bytes for i in range(1000)]
    producer = _producer(kafka_bootstrap)
    futures = [producer.send(name, key=k, value=b"x") for k in keys]
    producer.flush(timeout=30)
    real = [f.get(timeout=30).partition for f in futures]
    producer.close(timeout=10)

    cluster = SimCluster(seed=0)
    cluster.create_topic(name, 7)
    sim_producer = cluster.producer()
    sim = [sim_producer.send(name, key=k, value=b"x").get().partition for k in keys]
    assert sim == real


def _run_group(bootstrap, name, group, n, strategy, stop, ready, out):
    """N real consumers in threads, polling until told to stop; records their assignment."""
    from kafka import KafkaConsumer
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    assignor = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}
    consumers = [
        KafkaConsumer(
            name,
            bootstrap_servers=bootstrap,
            group_id=group,
            partition_assignment_strategy=[assignor[strategy]],
            enable_auto_commit=False,
            request_timeout_ms=20_000,
            # If the leader assigns before it sees the new topic's partitions, the next
            # metadata refresh (not Kafka's 5-minute default) makes the group rebalance.
            metadata_max_age_ms=1000,
        )
        for _ in range(n)
    ]

    def loop(c):
        try:
            while not stop.is_set():
                c.poll(timeout_ms=100)
        finally:
            out[c.group_metadata().member_id] = sorted(c.assignment())

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in consumers]
    for t in threads:
        t.start()
    ready.append((consumers, threads))


@pytest.mark.parametrize("strategy", ["range", "roundrobin"])
def test_group_assignment_matches_kafkas_for_the_real_member_ids(
    kafka_bootstrap, topic, group, admin, strategy
):
    name = topic(7)
    group = group()
    stop = threading.Event()
    ready: list = []
    final: dict = {}
    _run_group(kafka_bootstrap, name, group, 3, strategy, stop, ready, final)
    consumers, threads = ready[0]
    deadline = time.monotonic() + 60
    description = None
    while time.monotonic() < deadline:
        info = admin.describe_groups([group])[group]
        members = info.get("members", [])
        if (
            info.get("group_state") == "Stable"
            and len(members) == 3
            and all(c.group_metadata().generation_id > 0 for c in consumers)
            and sum(len(c.assignment()) for c in consumers) == 7
        ):
            description = info
            break
        time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    for c in consumers:
        c.close(autocommit=False)
    assert description is not None, "the real group did not become stable within 60 s"

    subscriptions = {member_id: [name] for member_id in final}
    expected = assign(strategy, subscriptions, {name: 7})
    real = {m: [tuple(tp) for tp in tps] for m, tps in final.items()}
    assert real == {m: sorted(tps) for m, tps in expected.items()}


def test_uncommitted_records_are_redelivered_to_the_next_member(kafka_bootstrap, topic, group):
    """A member reads 10 records, commits after 4, then dies: the next one starts at 4."""
    from kafka import KafkaConsumer

    name = topic(1)
    group = group()
    producer = _producer(kafka_bootstrap)
    for i in range(10):
        producer.send(name, key=b"acct-1", value=b"%d" % i)
    producer.flush(timeout=30)
    producer.close(timeout=10)

    def first_values(consumer, want):
        got = []
        deadline = time.monotonic() + 30
        while len(got) < want and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                got.extend(int(r.value) for r in records)
        return got

    config = dict(
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=20_000,
    )
    first = KafkaConsumer(name, **config)
    seen_first = first_values(first, 10)
    first.commit({kafka.TopicPartition(name, 0): kafka.structs.OffsetAndMetadata(4, "", -1)})
    first.close(autocommit=False)  # leaves the group without committing the rest
    second = KafkaConsumer(name, **config)
    seen_second = first_values(second, 6)
    second.close(autocommit=False)

    cluster = SimCluster(seed=0)
    cluster.create_topic(name, 1)
    p = cluster.producer()
    for i in range(10):
        p.send(name, key=b"acct-1", value=b"%d" % i)
    sim_first = cluster.consumer(
        name, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    sim_seen_first = [int(r.value) for rs in sim_first.poll(1000).values() for r in rs]
    sim_first.commit({TopicPartition(name, 0): 4})
    sim_first.close(autocommit=False)
    sim_second = cluster.consumer(
        name, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    sim_seen_second = [int(r.value) for rs in sim_second.poll(1000).values() for r in rs]

    assert seen_first == sim_seen_first == list(range(10))
    assert seen_second == sim_seen_second == [4, 5, 6, 7, 8, 9]
