"""Share-group experiments on both backends: what must agree does (every record processed,
the redelivery counts, no partition exclusivity)."""

from __future__ import annotations

import warnings

import pytest

from simkafka import SimCluster, configure_share_group
from simkafka.errors import BrokerNotAvailableError, InvalidConfigurationError
from simkafka.experiments import log_versus_queue
from simkafka.real import RealCluster
from simkafka.sharing import (
    acknowledgements,
    crash_redelivery,
    lock_expiry,
    must_agree,
    real_broker_share_version,
    share_column_facts,
    work_sharing,
)


def _agree(run, real_cluster):
    simulated = must_agree(run(SimCluster(seed=0)))
    real = must_agree(run(real_cluster))
    assert simulated.equals(real), f"\nsimulator:\n{simulated}\nreal:\n{real}"
    return simulated


def test_a_share_group_spreads_one_partition_over_every_member():
    frame = work_sharing("sim", n_events=12, members=3)
    summary = frame.attrs["summary"]
    assert summary["consumer-group"]["members_per_partition"] == {0: 1}
    assert summary["share-group"]["members_per_partition"] == {0: 3}
    assert summary["share-group"]["processed_once"]


def test_two_partitions_three_members_every_member_works_partitions_shared():
    frame = work_sharing("sim", n_events=12, members=3, partitions=2)
    summary = frame.attrs["summary"]["share-group"]
    assert summary["members_with_work"] == 3
    assert summary["members_per_partition"] == {0: 2, 1: 2}  # ceil(3 / 2) members each


def test_the_released_record_is_archived_at_the_delivery_count_limit():
    frame = acknowledgements("sim", delivery_count_limit=3)
    assert frame[frame.offset == 1]["delivery_count"].tolist() == [1, 2, 3]
    assert frame.attrs["summary"]["archived_after"] == 3


def test_a_crash_redelivers_exactly_the_unacknowledged_records():
    frame = crash_redelivery("sim", n_events=8, held=4, accepted=2)
    assert frame.attrs["summary"]["redelivered"] == [2, 3]
    assert frame.attrs["summary"]["processed"] == 8


def test_lock_expiry_waits_the_lock_on_the_simulated_clock():
    frame = lock_expiry("sim", lock_ms=20_000)
    assert frame[frame.member == "patient"]["after_ms"].tolist() == [20_000] * 3


def test_log_versus_queue_gains_a_share_group_column():
    frame = log_versus_queue("sim", n_events=6, share_group=True)
    share = frame[frame.system == "kafka-share-group"]
    assert set(share.reader) == {"first", "second"}
    assert share.redelivered.sum() == 1
    summary = frame.attrs["summary"]["kafka-share-group"]
    assert summary["replay_possible"] and summary["left_after_reading"] == 6
    assert frame.attrs["check"]["kafka-share-group"]["lost"] == 0
    assert list(dict.fromkeys(frame.system))[:2] == ["kafka", "kafka-share-group"]


def test_the_share_column_facts_leave_out_the_timing():
    facts = share_column_facts(log_versus_queue("sim", n_events=12, share_group=True))
    assert dict(zip(facts["fact"], facts["value"], strict=True)) == {
        "deliveries": "13",
        "left_after_reading": "12",
        "replay_possible": "True",
        "redelivered": "1",
        "lost": "0",
        "duplicated": "1",
    }
    assert facts.attrs["summary"]["copies_per_reader"] == {"first": 3, "second": 10}


def test_the_log_versus_queue_drawing_has_a_fourth_column():
    from simkafka import viz

    frame = log_versus_queue("sim", n_events=6, share_group=True)
    fig = viz.log_versus_queue(frame)
    titles = [ax.get_title(loc="left").splitlines()[0] for ax in fig.axes]
    assert titles[1] == "Kafka share group (KIP-932): members share one partition"
    assert len(titles) == 4


def test_missing_broker_is_one_line():
    with pytest.raises(BrokerNotAvailableError, match="not reachable at 127.0.0.1:1"):
        from simkafka.real_share import RealShareConsumer

        RealShareConsumer("127.0.0.1:1", "t", group_id="g")


# -- the real broker --------------------------------------------------------------------------
@pytest.mark.kafka
def test_the_broker_has_share_groups_enabled(kafka_bootstrap):
    """Kafka 4.3.1 formatted by the launcher finalizes share.version=1: no launcher flag."""
    assert real_broker_share_version(kafka_bootstrap) == 1


# work_sharing, acknowledgements and the log_versus_queue column are compared on the broker
# by the fidelity report (tests/test_experiments.py::test_fidelity_report_agrees_everywhere).
@pytest.mark.kafka
def test_crash_redelivery_agrees_with_the_broker_and_cleans_up(kafka_bootstrap):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RealCluster that cannot delete its groups warns
        with RealCluster(kafka_bootstrap) as cluster:
            facts = _agree(crash_redelivery, cluster)
    assert facts.attrs["summary"]["redelivered"] == "[1, 2]"


@pytest.mark.kafka
@pytest.mark.slow
def test_lock_expiry_agrees_with_the_broker(kafka_bootstrap):
    """About 20 s: the broker's minimum lock is 15 s (group.share.min.record.lock.duration.ms)."""
    with RealCluster(kafka_bootstrap) as cluster:
        _agree(lock_expiry, cluster)


@pytest.mark.kafka
def test_the_broker_refuses_a_lock_below_its_minimum_as_the_simulator_does(kafka_bootstrap):
    with RealCluster(kafka_bootstrap) as cluster:
        group = cluster.group_name("bounds")
        with pytest.raises(InvalidConfigurationError, match="group.share.min.record.lock"):
            configure_share_group(cluster, group, {"share.record.lock.duration.ms": 1000})
    with pytest.raises(InvalidConfigurationError, match="group.share.min.record.lock"):
        configure_share_group(SimCluster(), "bounds", {"share.record.lock.duration.ms": 1000})


_KILLED_MEMBER = r"""
import sys, time
from confluent_kafka import ShareConsumer
c = ShareConsumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[3],
                   "share.acknowledgement.mode": "explicit", "max.poll.records": 3,
                   "log_level": 3})
c.subscribe([sys.argv[2]])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    got = c.poll(0.5)
    if got:
        print(" ".join(str(m.offset()) for m in got), flush=True)
        time.sleep(60)  # holds its records until killed
"""


@pytest.mark.kafka
def test_a_killed_members_records_come_back_at_once_as_on_the_simulator(kafka_bootstrap):
    """SIGKILL (a real crash, no LeaveGroup): the broker releases the member's records when
    its connection drops, long before their 30 s lock, as ``SimShareConsumer.crash()`` does."""
    import subprocess
    import sys
    import time

    from simkafka.clients import NewTopic
    from simkafka.sharing import _produce_each

    with warnings.catch_warnings():
        # the killed member stays in the group for its 45 s session: the group cannot be
        # deleted at the end, and RealCluster warns so
        warnings.simplefilter("ignore")
        with RealCluster(kafka_bootstrap, timeout_s=3) as cluster:  # short failed cleanup
            topic = cluster.topic_name("killed")
            cluster.admin().create_topics([NewTopic(topic, 1, 1)])
            group = cluster.group_name("killed")
            configure_share_group(cluster, group, {"share.auto.offset.reset": "earliest"})
            _produce_each(cluster, topic, [("acct-0", f"created#{i}") for i in range(3)])
            child = subprocess.Popen(
                [sys.executable, "-c", _KILLED_MEMBER, kafka_bootstrap, topic, group],
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                held = [int(o) for o in child.stdout.readline().split()]
                other = cluster.share_consumer(
                    topic, group_id=group, share_acknowledgement_mode="explicit"
                )
                before = [r.offset for _ in range(6) for r in other.poll(timeout=0.5)]
            finally:
                child.kill()
                child.wait(timeout=10)
            killed_at = time.monotonic()
            again = []
            while len(again) < 3 and time.monotonic() - killed_at < 25:
                for r in other.poll(timeout=0.5):
                    again.append((r.offset, r.delivery_count))
                    other.acknowledge(r)
            waited = time.monotonic() - killed_at
            other.commit_sync()
    assert held == [0, 1, 2] and before == []  # the killed member held all three
    assert again == [(0, 2), (1, 2), (2, 2)]
    assert waited < 10  # the lock is 30 s: released by the dropped connection, not the lock


@pytest.mark.kafka
def test_describe_configs_of_a_share_group_agrees_with_the_broker(kafka_bootstrap):
    from simkafka.clients import ConfigResource

    def described(cluster):
        group = cluster.group_name("described")
        configure_share_group(
            cluster,
            group,
            {"share.auto.offset.reset": "earliest", "share.delivery.count.limit": 3},
        )
        answer = cluster.admin().describe_configs([ConfigResource("group", group)])
        return {k: (v["value"], v["config_source"]) for k, v in answer["group"][group].items()}

    with RealCluster(kafka_bootstrap) as cluster:
        real = described(cluster)
    assert (
        described(SimCluster())
        == real
        == {
            "share.auto.offset.reset": ("earliest", "DYNAMIC_GROUP_CONFIG"),
            "share.delivery.count.limit": ("3", "DYNAMIC_GROUP_CONFIG"),
        }
    )
