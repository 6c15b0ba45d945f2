"""simkafka.routing: the lessons of notebooks 01 and 02, on the simulator and on the broker.

The simulator tests check each lesson against Kafka's rules (dense offsets from 0, a moved
log start offset, murmur2 mod n, CRC32 for librdkafka, sticky batches). The broker tests run
each backend experiment on both backends and compare the frames.
"""

from __future__ import annotations

import zlib

import pytest

from simkafka import SimCluster, partition_for_key
from simkafka.experiments import frames_agree
from simkafka.real import RealCluster
from simkafka.routing import (
    account_log,
    keyless_spread,
    murmur2_steps,
    partition_load,
    partitions_added,
    routing_by_client,
    share_moved,
)

EVENTS = [
    ("acct-1", "created"),
    ("acct-4", "created"),
    ("acct-5", "created"),
    ("acct-1", "email-changed"),
    ("acct-9", "created"),
    ("acct-4", "deleted"),
    ("acct-1", "email-changed"),
    ("acct-5", "email-changed"),
]
ACCOUNTS = [f"acct-{i}" for i in range(40)]


def test_each_partition_is_a_log_with_dense_offsets_from_zero():
    frame = account_log("sim", EVENTS)
    for _partition, log in frame.groupby("partition"):
        assert log["offset"].tolist() == list(range(len(log)))
    assert len(frame) == len(EVENTS)
    assert set(frame["headers"]) == {(("source", b"auth-service"),)}
    summary = frame.attrs["summary"]
    assert summary["log_start_offset"] == {0: 0, 1: 0, 2: 0}
    assert summary["log_end_offset"] == frame.groupby("partition").size().to_dict()


def test_an_accounts_events_stay_in_send_order_in_one_partition():
    frame = account_log("sim", EVENTS)
    acct1 = frame[frame["account_id"] == "acct-1"]
    assert acct1["partition"].nunique() == 1
    assert acct1["event"].tolist() == ["created", "email-changed", "email-changed"]


def test_deleting_records_moves_the_log_start_offset_and_never_renumbers():
    frame = account_log("sim", EVENTS, delete_before={2: 2})
    summary = frame.attrs["summary"]
    assert summary["log_start_offset"][2] == 2
    assert summary["log_end_offset"][2] == 3, "the end offset does not move"
    assert frame[frame["partition"] == 2]["offset"].tolist() == [2]
    assert summary["records_retained"] == len(EVENTS) - 2


def test_murmur2_steps_end_where_the_java_producer_puts_the_key():
    steps = murmur2_steps(ACCOUNTS, 6)
    expected = [partition_for_key(a.encode(), 6) for a in ACCOUNTS]
    assert steps["partition"].tolist() == expected
    assert (steps["positive"] >= 0).all()
    negative = steps[steps["murmur2"] < 0]
    assert len(negative) > 0, "some hashes are negative: toPositive matters"
    assert (negative["positive"] == negative["murmur2"] + 2**31).all(), "sign bit cleared, not abs"


def test_a_hot_key_makes_its_partition_hot():
    keys = ["acct-5"] * 500 + ACCOUNTS * 10
    load = partition_load(keys, 3)
    hot = partition_for_key(b"acct-5", 3)
    assert load["records"].sum() == len(keys)
    assert load.loc[hot, "share"] > 0.5
    assert load["share"].sum() == pytest.approx(1.0)
    assert load["accounts"].sum() == len(set(keys))


def test_sticky_keeps_keyless_records_on_one_partition_until_a_batch_is_full():
    frame = keyless_spread(100, 3, ["sticky", "kafka-python", "round_robin"]).set_index(
        "partitioner"
    )
    counts = frame[["p0", "p1", "p2"]]
    # 100 records of 109 bytes (100-byte values, no key) stay under batch_size=16384.
    assert sorted(counts.loc["sticky"]) == [0, 0, 100]
    assert frame.loc["sticky", "switches"] == 0
    assert counts.loc["round_robin"].tolist() == [34, 33, 33]
    assert frame.loc["round_robin", "switches"] == 99
    assert frame.loc["kafka-python", "switches"] > 50, "a fresh random draw per record"


def test_sticky_moves_on_after_about_a_batch_of_bytes():
    frame = keyless_spread(1000, 3, ["sticky", "kafka-python"], value_size=1000)
    sticky, per_record = frame["switches"].tolist()
    # Records of just over 1000 bytes: 17 fill batch_size=16384, so a new draw comes at most
    # every 17 records (and may draw the same partition again).
    assert 0 < sticky <= 1000 // 17
    assert per_record > 10 * sticky


@pytest.mark.parametrize(("before", "after", "share"), [(3, 4, 0.75), (6, 12, 0.5), (4, 8, 0.5)])
def test_share_moved_predicts_how_many_keys_change_partition(before, after, share):
    assert share_moved(before, after) == share
    keys = [f"acct-{i}".encode() for i in range(20_000)]
    moved = sum(partition_for_key(k, before) != partition_for_key(k, after) for k in keys)
    assert moved / len(keys) == pytest.approx(share, abs=0.02)


def test_adding_partitions_moves_keys_as_the_modulo_says():
    frame = partitions_added("sim", ACCOUNTS, 3, 4)
    assert frame["before"].tolist() == [partition_for_key(a.encode(), 3) for a in ACCOUNTS]
    assert frame["after"].tolist() == [partition_for_key(a.encode(), 4) for a in ACCOUNTS]
    assert frame.attrs["summary"]["moved"] == int(frame["moved"].sum()) > 0


def test_a_topic_cannot_shrink():
    with pytest.raises(ValueError, match="can only grow"):
        partitions_added("sim", ACCOUNTS, 4, 3)


def test_confluent_kafka_routes_by_crc32_where_kafka_python_uses_murmur2():
    frame = routing_by_client("sim", ACCOUNTS, 6)
    assert frame["kafka_python"].tolist() == [partition_for_key(a.encode(), 6) for a in ACCOUNTS]
    assert frame["confluent_kafka"].tolist() == [zlib.crc32(a.encode()) % 6 for a in ACCOUNTS]
    assert 0 < frame.attrs["summary"]["same_partition"] < len(ACCOUNTS)


def test_results_do_not_depend_on_the_seed_for_keyed_records():
    a = routing_by_client(SimCluster(seed=1), ACCOUNTS[:10], 3)
    b = routing_by_client(SimCluster(seed=99), ACCOUNTS[:10], 3)
    assert a.equals(b)


# -- the real broker gives the simulator's frames ----------------------------------------------
@pytest.fixture
def real_cluster(kafka_bootstrap):
    with RealCluster(kafka_bootstrap) as cluster:
        yield cluster


@pytest.mark.kafka
def test_the_broker_keeps_the_same_logs(real_cluster):
    simulated = account_log("sim", EVENTS, delete_before={2: 2})
    real = account_log(real_cluster, EVENTS, delete_before={2: 2})
    assert frames_agree(simulated, real), f"{simulated}\n{real}"


@pytest.mark.kafka
def test_the_broker_moves_the_same_keys_when_partitions_are_added(real_cluster):
    simulated = partitions_added("sim", ACCOUNTS, 3, 4)
    real = partitions_added(real_cluster, ACCOUNTS, 3, 4)
    assert frames_agree(simulated, real), f"{simulated}\n{real}"


@pytest.mark.kafka
def test_both_clients_land_keys_where_the_simulator_says(real_cluster):
    simulated = routing_by_client("sim", ACCOUNTS, 6)
    real = routing_by_client(real_cluster, ACCOUNTS, 6)
    assert frames_agree(simulated, real), f"{simulated}\n{real}"
