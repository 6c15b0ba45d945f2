"""Consumer groups: one owner per partition, rebalances on join, leave and crash."""

import pytest

from simkafka import SimCluster, TopicPartition
from simkafka.errors import (
    CommitFailedError,
    FencedInstanceIdError,
    IllegalStateError,
    KafkaConfigurationError,
)

TOPIC = "user-accounts"


def make(partitions=6, seed=0):
    cluster = SimCluster(seed=seed)
    cluster.create_topic(TOPIC, partitions=partitions)
    return cluster


def consumers(cluster, n, **config):
    config.setdefault("group_id", "groups-service")
    config.setdefault("auto_offset_reset", "earliest")
    return [cluster.consumer(TOPIC, **config) for _ in range(n)]


def owners(cs):
    out = {}
    for c in cs:
        for tp in c.assignment():
            assert tp not in out, f"{tp} owned twice"
            out[tp] = c.member_id
    return out


def test_each_partition_has_exactly_one_owner():
    cluster = make(6)
    cs = consumers(cluster, 3)
    cluster.settle(*cs)
    own = owners(cs)
    assert set(own) == {TopicPartition(TOPIC, p) for p in range(6)}
    assert sorted(len(c.assignment()) for c in cs) == [2, 2, 2]


def test_extra_consumer_sits_idle():
    cluster = make(3)
    cs = consumers(cluster, 4)
    cluster.settle(*cs)
    sizes = sorted(len(c.assignment()) for c in cs)
    assert sizes == [0, 1, 1, 1]


def test_range_assignment_follows_member_id_order():
    cluster = make(5)
    cs = consumers(cluster, 2)
    cluster.settle(*cs)
    first, second = sorted(cs, key=lambda c: c.member_id)
    assert sorted(tp.partition for tp in first.assignment()) == [0, 1, 2]
    assert sorted(tp.partition for tp in second.assignment()) == [3, 4]


def test_every_group_reads_everything():
    cluster = make(3)
    p = cluster.producer()
    for i in range(30):
        p.send(TOPIC, key=b"acct-%d" % i, value=b"e%d" % i)
    seen = {}
    for group in ("groups-service", "audit-service"):
        (c,) = consumers(cluster, 1, group_id=group)
        got = c.poll(timeout_ms=100)
        seen[group] = sorted(r.value for rs in got.values() for r in rs)
    assert seen["groups-service"] == seen["audit-service"]
    assert len(seen["groups-service"]) == 30


def test_join_triggers_a_rebalance_with_a_new_generation():
    cluster = make(4)
    (a,) = consumers(cluster, 1)
    a.poll(100)
    assert a.generation == 1 and len(a.assignment()) == 4
    (b,) = consumers(cluster, 1)
    cluster.settle(a, b)
    assert a.generation == b.generation == 2
    assert len(a.assignment()) == len(b.assignment()) == 2


def test_eager_rebalance_revokes_everything_first():
    cluster = make(4)
    a, b = consumers(cluster, 2)
    cluster.settle(a, b)
    (c,) = consumers(cluster, 1)
    cluster.settle(a, b, c)
    ev = cluster.events()
    revoked = ev[(ev.event == "revoke") & (ev.generation == 1)]
    # Every partition was revoked in the third member's rebalance (eager protocol).
    assert len(revoked) == 4


def test_cooperative_rebalance_revokes_only_what_moves():
    cluster = make(6)
    a, b = consumers(cluster, 2, partition_assignment_strategy=["cooperative-sticky"])
    cluster.settle(a, b)
    before = {c.member_id: set(c.assignment()) for c in (a, b)}
    seen = len(cluster.events())
    (c,) = consumers(cluster, 1, partition_assignment_strategy=["cooperative-sticky"])
    cluster.settle(a, b, c)
    assert sorted(len(x.assignment()) for x in (a, b, c)) == [2, 2, 2]
    ev = cluster.events()[seen:]
    revoked = ev[ev.event == "revoke"]
    assert len(revoked) == 2  # only the two partitions that moved to the new member
    for m in (a, b):
        assert set(m.assignment()) <= before[m.member_id]
    # Two rounds: the moving partitions were unowned for one generation.
    assert c.generation == a.generation >= 3


def test_leaving_member_hands_its_partitions_over():
    cluster = make(4)
    a, b = consumers(cluster, 2)
    cluster.settle(a, b)
    b.close()
    cluster.settle(a)
    assert len(a.assignment()) == 4
    assert "leave" in set(cluster.events()["event"])


def test_crashed_member_is_removed_after_session_timeout():
    cluster = make(4)
    a, b = consumers(cluster, 2, session_timeout_ms=10_000)
    cluster.settle(a, b)
    b.crash()
    cluster.advance(9_000)
    cluster.settle(a)
    assert len(a.assignment()) == 2  # still waiting for b's session to run out
    cluster.advance(1_001)
    cluster.settle(a)
    assert len(a.assignment()) == 4
    assert list(cluster.events("session_timeout")["member"]) == [b.member_id]


def test_slow_consumer_is_removed_after_max_poll_interval():
    cluster = make(2)
    a, b = consumers(cluster, 2, max_poll_interval_ms=20_000)
    cluster.settle(a, b)
    b.poll(0)
    for _ in range(30):  # a keeps polling, b is busy processing for 30 s
        a.poll(timeout_ms=1000)
    assert len(a.assignment()) == 2
    assert list(cluster.events("poll_timeout")["member"]) == [b.member_id]
    with pytest.raises(CommitFailedError, match="max_poll_interval_ms"):
        b.commit()


def test_member_that_does_not_rejoin_in_time_is_dropped():
    cluster = make(2)
    a, b = consumers(cluster, 2, enable_auto_commit=False, max_poll_interval_ms=20_000)
    cluster.settle(a, b)
    a.poll(0)
    (c,) = consumers(cluster, 1, enable_auto_commit=False, max_poll_interval_ms=20_000)
    c.poll(0)  # c joins; the rebalance now waits for a and b to rejoin
    b.poll(0)
    for _ in range(25):
        c.poll(timeout_ms=1000)
        b.poll(0)
    assert a.member_id not in set(cluster.members("groups-service")["member"])
    assert len(b.assignment()) + len(c.assignment()) == 2
    with pytest.raises(CommitFailedError):
        a.commit()


def test_static_member_restart_within_session_causes_no_rebalance():
    cluster = make(4)
    a = cluster.consumer(TOPIC, group_id="g", group_instance_id="groups-1")
    b = cluster.consumer(TOPIC, group_id="g", group_instance_id="groups-2")
    cluster.settle(a, b)
    gen = a.generation
    before = set(b.assignment())
    b.close()
    seen = len(cluster.events())
    cluster.advance(5_000)
    b2 = cluster.consumer(TOPIC, group_id="g", group_instance_id="groups-2")
    cluster.settle(a, b2)
    assert a.generation == gen and b2.generation == gen
    assert set(b2.assignment()) == before
    assert "rebalance_start" not in set(cluster.events()["event"][seen:])


def test_static_member_gone_past_session_timeout_rebalances():
    cluster = make(4)
    a = cluster.consumer(TOPIC, group_id="g", group_instance_id="groups-1")
    b = cluster.consumer(TOPIC, group_id="g", group_instance_id="groups-2")
    cluster.settle(a, b)
    b.close()
    cluster.advance(46_000)
    cluster.settle(a)
    assert len(a.assignment()) == 4


def test_duplicate_instance_id_fences_the_old_member():
    cluster = make(2)
    a = cluster.consumer(TOPIC, group_id="g", group_instance_id="same")
    cluster.settle(a)
    b = cluster.consumer(TOPIC, group_id="g", group_instance_id="same")
    cluster.settle(b)
    with pytest.raises(FencedInstanceIdError):
        a.poll()


def test_listener_sees_revoke_before_assign():
    calls = []

    class Listener:
        def on_partitions_revoked(self, revoked):
            calls.append(("revoked", sorted(p.partition for p in revoked)))

        def on_partitions_assigned(self, assigned):
            calls.append(("assigned", sorted(p.partition for p in assigned)))

    cluster = make(2)
    a = cluster.consumer(group_id="g")
    a.subscribe([TOPIC], listener=Listener())
    cluster.settle(a)
    b = cluster.consumer(TOPIC, group_id="g")
    cluster.settle(a, b)
    assert calls[0] == ("assigned", [0, 1])
    assert calls[1] == ("revoked", [0, 1])
    assert calls[2][0] == "assigned" and len(calls[2][1]) == 1


def test_adding_partitions_triggers_a_rebalance():
    cluster = make(2)
    a, b = consumers(cluster, 2)
    cluster.settle(a, b)
    from simkafka import NewPartitions

    cluster.admin().create_partitions({TOPIC: NewPartitions(4)})
    cluster.settle(a, b)
    assert len(a.assignment()) + len(b.assignment()) == 4


def test_unknown_assignor_is_a_clear_error():
    cluster = make(1)
    with pytest.raises(KafkaConfigurationError, match="range"):
        cluster.consumer(TOPIC, group_id="g", partition_assignment_strategy=["fair"])


def test_poll_without_subscription_is_a_clear_error():
    cluster = make(1)
    with pytest.raises(IllegalStateError, match="subscribe"):
        cluster.consumer(group_id="g").poll()


def test_subscribe_without_group_names_the_fix():
    cluster = make(1)
    with pytest.raises(KafkaConfigurationError, match="group_id"):
        cluster.consumer(TOPIC)


def test_kafka_python_assignor_classes_are_accepted():
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    cluster = make(4)
    c = cluster.consumer(
        TOPIC, group_id="g", partition_assignment_strategy=[RoundRobinPartitionAssignor]
    )
    cluster.settle(c)
    assert cluster.coordinator.groups["g"].protocol == "roundrobin"


def test_calls_on_a_closed_consumer_fail():
    cluster = make(1)
    (c,) = consumers(cluster, 1)
    c.close()
    with pytest.raises(IllegalStateError, match="closed"):
        c.poll()


def test_a_crashed_member_misses_heartbeats_until_its_session_ends():
    cluster = make(2)
    a, b = consumers(cluster, 2, session_timeout_ms=10_000, heartbeat_interval_ms=3_000)
    cluster.settle(a, b)
    b.crash()
    crashed_at = cluster.now_ms
    cluster.advance(20_000)
    missed = cluster.events("heartbeat_missed")
    assert list(missed["count"]) == [1, 2, 3]
    assert list(missed["time_ms"] - crashed_at) == [3_000, 6_000, 9_000]
    expired = cluster.events("session_timeout")
    assert list(expired["time_ms"] - crashed_at) == [10_001]


def test_every_call_on_a_closed_client_names_the_fix():
    cluster = make(1)
    (c,) = consumers(cluster, 1)
    c.close()
    for call in (lambda: c.position(TopicPartition(TOPIC, 0)), c.assignment, c.topics):
        with pytest.raises(IllegalStateError, match="cluster.consumer"):
            call()
    admin = cluster.admin()
    admin.close()
    with pytest.raises(IllegalStateError, match="cluster.admin"):
        admin.list_topics()


def test_newcomer_mistakes_get_a_message_not_a_traceback():
    cluster = make(1)
    with pytest.raises(TypeError, match="one by one"):
        cluster.consumer([TOPIC], group_id="g")
    c = cluster.consumer(group_id="g", auto_offset_reset="smallest")  # kafka-python's old name
    assert c.config["auto_offset_reset"] == "earliest"
    with pytest.raises(TypeError, match="list of topic names"):
        c.subscribe(5)
    c.subscribe([TOPIC])
    from simkafka.errors import IllegalArgumentError

    with pytest.raises(IllegalArgumentError, match="timeout_ms"):
        c.poll(-5)
    c.poll(0)
    with pytest.raises(TypeError, match="OffsetAndMetadata"):
        c.commit({TopicPartition(TOPIC, 0): "5"})


def test_delete_records_to_minus_one_means_the_high_watermark():
    cluster = make(1)
    p = cluster.producer()
    for i in range(5):
        p.send(TOPIC, value=b"%d" % i)
    tp = TopicPartition(TOPIC, 0)
    cluster.admin().delete_records({tp: -1})
    assert cluster.log(tp).log_start_offset == 5
