"""Value formats: JSON and Avro for the account events, on the simulator and the real Kafka.

The lessons of notebook 01's value-format section: the same events take fewer bytes in Avro,
a schema lets a newer reader read older data (defaults, aliases), a rename without an alias
loses the field without a word, and a strict writer refuses a record the schema does not fit.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from simkafka import NewTopic, SimCluster, TopicPartition
from simkafka.formats import (
    account_events,
    avro_deserializer,
    avro_serializer,
    evolution,
    json_deserializer,
    json_serializer,
    load_schema,
    sizes,
    stored_bytes,
)


def _round_trip(cluster, serialize, deserialize) -> list[dict]:
    topic = cluster.topic_name("account-events")
    cluster.admin().create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    producer = cluster.producer(key_serializer=str.encode, value_serializer=serialize)
    for event in account_events():
        producer.send(topic, key=event["account_id"], value=event).get()
    producer.close()
    reader = cluster.consumer(group_id=None, value_deserializer=deserialize)
    tp = TopicPartition(topic, 0)
    reader.assign([tp])
    reader.seek_to_beginning(tp)
    got = [r.value for r in reader.poll(timeout_ms=5000, max_records=100).get(tp, [])]
    reader.close()
    return got


@pytest.mark.parametrize(
    "serialize, deserialize",
    [
        (json_serializer, json_deserializer),
        (avro_serializer("v1"), avro_deserializer("v1")),
        (avro_serializer("v1", framing="schema-id"), avro_deserializer("v1", framing="schema-id")),
    ],
    ids=["json", "avro", "avro+schema-id"],
)
def test_events_come_back_as_sent_through_the_simulator(serialize, deserialize) -> None:
    assert _round_trip(SimCluster(seed=0), serialize, deserialize) == account_events()


def test_avro_is_smaller_than_json_and_the_registry_header_costs_five_bytes() -> None:
    table = sizes().set_index("format")["bytes"]
    assert table["avro"] < table["json"] / 2
    assert table["avro+schema-id"] - table["avro"] == 5 * len(account_events())
    assert table["avro-file"] > table["json"]  # the schema inside every value


def test_schema_id_framing_is_a_zero_byte_and_the_id() -> None:
    value = avro_serializer("v1", framing="schema-id", schema_id=7)(account_events()[0])
    assert value[:5] == b"\x00\x00\x00\x00\x07"
    with pytest.raises(ValueError, match="not Confluent-framed"):
        avro_deserializer("v1", framing="schema-id")(b"\x01" + value[1:])


def test_new_reader_reads_old_data_through_alias_and_default() -> None:
    old = account_events()[0]
    got = avro_deserializer("v1", "v2")(avro_serializer("v1")(old))
    assert got["email_address"] == old["email"]
    assert got["display_name"] is None  # the default of the added field


def test_rename_without_alias_loses_the_field_silently_and_strict_writer_refuses() -> None:
    table = evolution().set_index("case")
    assert table.loc["new reader, old data (alias)", "email_read"] == account_events()[0]["email"]
    for silent in (
        "new reader, old data (no alias)",
        "old reader, new data",
        "renamed dict, old schema (not strict)",
        "new producer, old consumer",
    ):
        assert table.loc[silent, "email_read"] is None
        assert table.loc[silent, "outcome"].startswith("e-mail lost, no error")
    assert table.loc["renamed dict, old schema (strict)", "outcome"].startswith("refused")


def test_unknown_schema_version_names_the_versions() -> None:
    with pytest.raises(ValueError, match=r"\('v1', 'v2'\)"):
        load_schema("v3")


def test_without_fastavro_json_works_and_avro_says_how_to_install() -> None:
    code = (
        "import sys; sys.modules['fastavro'] = None\n"
        "from simkafka import formats\n"
        "print(formats.json_deserializer(formats.json_serializer({'a': 1})))\n"
        "try:\n"
        "    formats.avro_serializer()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "{'a': 1}"
    assert "pip install fastavro" in out.stdout


@pytest.mark.kafka
def test_real_kafka_stores_the_same_bytes_and_gives_the_events_back(kafka_bootstrap) -> None:
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as real:
        assert _round_trip(real, avro_serializer("v1"), avro_deserializer("v1")) == (
            account_events()
        )
    assert stored_bytes("kafka").equals(stored_bytes("sim"))
