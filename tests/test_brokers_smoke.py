"""Smoke tests of the real brokers: a round trip through Kafka and through RabbitMQ.

Kafka (kafka-python): create a uniquely named topic with several partitions, produce keyed
records, consume them all back in a consumer group, delete the topic and the group. RabbitMQ
(pika): declare a fresh queue, publish with confirms, consume, ack, delete. Every network call
has a timeout, so a broken broker fails a test instead of hanging it.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterator

import pytest

kafka = pytest.importorskip(
    "kafka", reason="kafka-python is not installed (pip install -e .[real])"
)
pika = pytest.importorskip("pika", reason="pika is not installed (pip install -e .[real])")

from kafka.admin import ConfigResource, ConfigResourceType  # noqa: E402
from kafka.structs import TopicPartition  # noqa: E402

TIMEOUT_MS = 15_000
PARTITIONS = 3
RECORDS = 30
KEYS = 6


@pytest.fixture
def admin(kafka_bootstrap: str) -> Iterator[kafka.KafkaAdminClient]:
    client = kafka.KafkaAdminClient(
        bootstrap_servers=kafka_bootstrap,
        client_id="simkafka-smoke",
        request_timeout_ms=TIMEOUT_MS,
    )
    yield client
    client.close()


@pytest.fixture
def topic(admin: kafka.KafkaAdminClient) -> Iterator[str]:
    name = f"simkafka-smoke-{uuid.uuid4().hex[:12]}"
    admin.create_topics(
        {name: {"num_partitions": PARTITIONS, "replication_factor": 1}},
        timeout_ms=TIMEOUT_MS,
        wait_for_metadata=True,
    )
    yield name
    admin.delete_topics([name], timeout_ms=TIMEOUT_MS)


@pytest.mark.kafka
def test_kafka_round_trip_through_a_consumer_group(
    kafka_bootstrap: str, admin: kafka.KafkaAdminClient, topic: str
) -> None:
    producer = kafka.KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        acks="all",
        max_block_ms=TIMEOUT_MS,
        request_timeout_ms=TIMEOUT_MS,
    )
    sent: dict[bytes, tuple[int, int]] = {}
    try:
        for i in range(RECORDS):
            key, value = f"key-{i % KEYS}".encode(), f"value-{i}".encode()
            metadata = producer.send(topic, key=key, value=value).get(timeout=TIMEOUT_MS / 1000)
            sent[value] = (metadata.partition, metadata.offset)
        producer.flush(timeout=TIMEOUT_MS / 1000)
    finally:
        producer.close(timeout=10)

    group = f"simkafka-smoke-{uuid.uuid4().hex[:12]}"
    consumer = kafka.KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=TIMEOUT_MS + 5_000,
    )
    received = []
    try:
        deadline = time.monotonic() + 60
        while len(received) < RECORDS and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1_000).values():
                received.extend(records)
        consumer.commit()
        committed = {p: consumer.committed(TopicPartition(topic, p)) for p in range(PARTITIONS)}
    finally:
        consumer.close()
    admin.delete_groups([group])

    assert len(received) == RECORDS
    assert {r.value: (r.partition, r.offset) for r in received} == sent
    partitions_of_key = defaultdict(set)
    for record in received:
        partitions_of_key[record.key].add(record.partition)
    assert all(len(partitions) == 1 for partitions in partitions_of_key.values())
    ends: dict[int, int] = defaultdict(int)
    for partition, offset in sent.values():
        ends[partition] = max(ends[partition], offset + 1)
    assert {p: committed[p] for p in ends} == ends


@pytest.mark.kafka
def test_kafka_creates_no_topic_by_itself(admin: kafka.KafkaAdminClient) -> None:
    broker_id = str(admin.describe_cluster()["brokers"][0]["broker_id"])
    configs = admin.describe_configs(
        [ConfigResource(ConfigResourceType.BROKER, broker_id)], config_filter="all"
    )
    assert configs["broker"][broker_id]["auto.create.topics.enable"]["value"] == "false"


@pytest.mark.rabbitmq
def test_rabbitmq_round_trip_through_a_fresh_queue(rabbitmq_url: str) -> None:
    parameters = pika.URLParameters(rabbitmq_url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = 10
    parameters.stack_timeout = 15
    parameters.blocked_connection_timeout = 10
    connection = pika.BlockingConnection(parameters)
    queue = f"simkafka-smoke-{uuid.uuid4().hex[:12]}"
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(queue=queue, durable=False, auto_delete=False)
        bodies = [f"message-{i}".encode() for i in range(5)]
        for body in bodies:
            channel.basic_publish(exchange="", routing_key=queue, body=body, mandatory=True)
        received = []
        for method, _properties, body in channel.consume(queue, inactivity_timeout=10):
            if method is None:
                break
            channel.basic_ack(method.delivery_tag)
            received.append(body)
            if len(received) == len(bodies):
                break
        channel.cancel()
        assert received == bodies
        assert channel.queue_declare(queue=queue, passive=True).method.message_count == 0
        channel.queue_delete(queue=queue)
    finally:
        connection.close()
