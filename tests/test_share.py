"""Share groups on the simulator: acquisition locks, acknowledgements, delivery counts, the
in-flight window, the simple assignor."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simkafka import AcknowledgeType, SimCluster, TopicPartition, configure_share_group
from simkafka.errors import (
    IllegalStateError,
    InvalidConfigurationError,
    InvalidRecordStateError,
    KafkaConfigurationError,
)
from simkafka.share import RecordState, share_group_state, simple_assignment

TOPIC = "user-accounts"
GROUP = "groups-service"


def _cluster(n: int = 6, partitions: int = 1, **group_config) -> SimCluster:
    cluster = SimCluster(seed=3)
    cluster.create_topic(TOPIC, partitions=partitions)
    producer = cluster.producer()
    for i in range(n):
        producer.send(TOPIC, key=f"acct-{i % 3}".encode(), value=f"event#{i}".encode())
    producer.flush()
    configure_share_group(cluster, GROUP, {"share.auto.offset.reset": "earliest", **group_config})
    return cluster


def _member(cluster: SimCluster, **config):
    config.setdefault("share_acknowledgement_mode", "explicit")
    return cluster.share_consumer(TOPIC, group_id=GROUP, **config)


def test_more_members_than_partitions_all_get_work():
    cluster = _cluster(n=9)
    members = [_member(cluster, max_poll_records=2) for _ in range(3)]
    got = {i: [] for i in range(3)}
    for _ in range(3):
        for i, m in enumerate(members):
            for r in m.poll(timeout=0.1):
                got[i].append(r.offset)
                m.acknowledge(r)
            m.commit_sync()
    assert all(got[i] for i in got)
    assert sorted(o for offs in got.values() for o in offs) == list(range(9))
    state = share_group_state(cluster, GROUP)
    assert state.loc[0, "members"] == 3 and state.loc[0, "start_offset"] == 9


def test_latest_is_the_default_reset_a_new_group_skips_the_past():
    cluster = SimCluster()
    cluster.create_topic(TOPIC)
    producer = cluster.producer()
    producer.send(TOPIC, value=b"old")
    producer.flush()
    member = cluster.share_consumer(TOPIC, group_id="late")
    assert member.poll(timeout=1) == []
    producer.send(TOPIC, value=b"new")
    producer.flush()
    assert [r.value for r in member.poll(timeout=1)] == [b"new"]


def test_release_redelivers_with_delivery_count_two():
    cluster = _cluster(n=2)
    a = _member(cluster)
    first = a.poll(timeout=1)
    a.acknowledge(first[0], AcknowledgeType.RELEASE)
    a.acknowledge(first[1], AcknowledgeType.ACCEPT)
    a.commit_sync()
    again = a.poll(timeout=1)
    assert [(r.offset, r.delivery_count) for r in again] == [(0, 2)]


def test_reject_archives_the_record_for_good():
    cluster = _cluster(n=2)
    a = _member(cluster)
    for r in a.poll(timeout=1):
        a.acknowledge(r, AcknowledgeType.REJECT)
    a.commit_sync()
    assert a.poll(timeout=5) == []
    assert (cluster.events("share_archived")["detail"] == "reject").sum() == 2
    assert share_group_state(cluster, GROUP).loc[0, "start_offset"] == 2


def test_lock_expiry_on_the_simulated_clock_redelivers_to_another_member():
    cluster = _cluster(n=3, **{"share.record.lock.duration.ms": 15_000})
    slow, other = _member(cluster), _member(cluster)
    start = cluster.now_ms
    held = slow.poll(timeout=1)  # acquires all three, then never acknowledges
    assert len(held) == 3 and other.poll(timeout=1) == []
    again = other.poll(timeout=20)  # waits on the simulated clock until the locks expire
    assert cluster.now_ms - start == 15_000
    assert [(r.offset, r.delivery_count) for r in again] == [(0, 2), (1, 2), (2, 2)]
    slow.acknowledge(held[0])
    results = slow.commit_sync()
    assert isinstance(results[TopicPartition(TOPIC, 0)], InvalidRecordStateError)


def test_delivery_count_limit_archives_a_poison_record():
    cluster = _cluster(n=1, **{"share.delivery.count.limit": 3})
    a = _member(cluster)
    counts = []
    for _ in range(5):
        for r in a.poll(timeout=1):
            counts.append(r.delivery_count)
            a.acknowledge(r, AcknowledgeType.RELEASE)
        a.commit_sync()
    assert counts == [1, 2, 3]
    assert cluster.events("share_archived")["detail"].tolist() == ["delivery count limit"]


def test_crash_releases_held_records_at_once_and_the_member_leaves_after_the_session():
    cluster = _cluster(n=4)
    a, b = _member(cluster, max_poll_records=2), _member(cluster, max_poll_records=2)
    a_got = a.poll(timeout=1)
    b_got = b.poll(timeout=1)
    for r in b_got:
        b.acknowledge(r)
    b.commit_sync()
    a.crash()
    redelivered = b.poll(timeout=1)
    assert [r.offset for r in a_got] == [r.offset for r in redelivered]
    assert {r.delivery_count for r in redelivered} == {2}
    assert share_group_state(cluster, GROUP).loc[0, "members"] == 2  # still in the group
    cluster.advance(45_000)
    assert share_group_state(cluster, GROUP).loc[0, "members"] == 1


def test_in_flight_window_is_capped_by_max_record_locks():
    cluster = _cluster(n=150, **{"share.partition.max.record.locks": 100})
    a, b = _member(cluster), _member(cluster)
    held = a.poll(timeout=1)
    assert len(held) == 100
    assert b.poll(timeout=1) == []  # 100 locks held: nothing more can be acquired
    for r in held[:10]:
        a.acknowledge(r)
    for r in held[10:]:
        a.acknowledge(r, AcknowledgeType.RELEASE)
    a.commit_sync()
    assert len(b.poll(timeout=1)) == 100  # 90 released + 10 new, the window slid by 10


def test_implicit_mode_accepts_at_the_next_poll():
    cluster = _cluster(n=3)
    a = cluster.share_consumer(TOPIC, group_id=GROUP, max_poll_records=2)
    assert [r.offset for r in a.poll(timeout=1)] == [0, 1]
    assert [r.offset for r in a.poll(timeout=1)] == [2]
    assert share_group_state(cluster, GROUP).loc[0, "acknowledged"] == 0  # 0 and 1 done: SPSO 2
    assert share_group_state(cluster, GROUP).loc[0, "start_offset"] == 2


def test_explicit_mode_refuses_a_poll_with_unacknowledged_records():
    cluster = _cluster(n=2)
    a = _member(cluster)
    a.poll(timeout=1)
    with pytest.raises(IllegalStateError, match="not acknowledged"):
        a.poll(timeout=1)


def test_configs_are_checked_as_the_broker_does():
    cluster = SimCluster()
    with pytest.raises(InvalidConfigurationError, match="group.share.min.record.lock"):
        configure_share_group(cluster, GROUP, {"share.record.lock.duration.ms": 1000})
    with pytest.raises(InvalidConfigurationError, match="unknown share group config"):
        configure_share_group(cluster, GROUP, {"share.nope": 1})
    with pytest.raises(KafkaConfigurationError, match="group_id"):
        cluster.share_consumer(TOPIC)


def test_simple_assignor_desired_sharing():
    tps = [TopicPartition("t", p) for p in range(3)]
    six = simple_assignment([f"m{i}" for i in range(6)], tps, {})
    per_partition = {tp: sum(tp in a for a in six.values()) for tp in tps}
    assert set(per_partition.values()) == {2}
    assert {len(a) for a in six.values()} == {1}
    two = simple_assignment(["a", "b"], tps, {})
    assert sorted(len(a) for a in two.values()) == [1, 2]


@settings(max_examples=60, deadline=None)
@given(members=st.integers(1, 8), partitions=st.integers(1, 6), drop=st.integers(0, 7))
def test_simple_assignor_is_balanced_and_covers_every_partition(members, partitions, drop):
    tps = [TopicPartition("t", p) for p in range(partitions)]
    ids = [f"m{i}" for i in range(members)]
    first = simple_assignment(ids, tps, {})
    survivors = [m for i, m in enumerate(ids) if i != drop % members] or ids
    for assignment, who in ((first, ids), (simple_assignment(survivors, tps, first), survivors)):
        sharing = -(-len(who) // partitions)
        counts = [sum(tp in a for a in assignment.values()) for tp in tps]
        assert all(1 <= c <= sharing for c in counts)  # every partition has a member
        sizes = [len(assignment[m]) for m in who]
        assert max(sizes) - min(sizes) <= 1


@settings(max_examples=40, deadline=None)
@given(
    acks=st.lists(st.sampled_from(list(AcknowledgeType)), min_size=1, max_size=40),
    members=st.integers(1, 4),
)
def test_every_record_ends_accepted_or_archived(acks, members):
    """Whatever the acknowledgements, each record is finished exactly once, and a released
    record comes back until accepted, rejected or out of deliveries."""
    cluster = _cluster(n=8, **{"share.delivery.count.limit": 3})
    ms = [_member(cluster, max_poll_records=3) for _ in range(members)]
    step = 0
    for _ in range(40):
        for m in ms:
            for r in m.poll(timeout=0.01):
                m.acknowledge(r, acks[step % len(acks)])
                step += 1
            m.commit_sync()
    group = cluster.share_groups.groups[GROUP]
    sp = group.share_partition(TopicPartition(TOPIC, 0))
    states = {o: r.state for o, r in sp.in_flight.items()}
    assert sp.start_offset == 8 or all(
        s in (RecordState.ACKNOWLEDGED, RecordState.ARCHIVED) for s in states.values()
    )
    acked = cluster.events("share_ack")
    accepted = acked[acked.detail == "accept"]["offset"].tolist()
    assert len(accepted) == len(set(accepted))
    assert cluster.events("share_acquire")["count"].max() <= 3


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["poll", "ack", "release", "reject", "wait", "crash", "join"]),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_no_record_is_held_by_two_members_and_the_start_offset_never_skips_work(steps):
    """Any interleaving of polls, acknowledgements, lock expiries, crashes and joins: a record
    is acquired by at most one member at a time, everything below the start offset is done,
    and nothing is delivered more than the limit."""
    cluster = _cluster(n=10, **{"share.delivery.count.limit": 3})
    members = [_member(cluster, max_poll_records=3) for _ in range(2)]
    held: dict[int, list] = {0: [], 1: []}
    group = cluster.share_groups.groups[GROUP]
    tp = TopicPartition(TOPIC, 0)
    for action, who in steps:
        i = who % len(members)
        m = members[i]
        if m._closed:
            continue
        if action == "poll":
            for r in held.get(i, []):
                m.acknowledge(r, AcknowledgeType.RELEASE)
            held[i] = m.poll(timeout=0.01)
        elif action in ("ack", "release", "reject"):
            kind = {"ack": "ACCEPT", "release": "RELEASE", "reject": "REJECT"}[action]
            for r in held.get(i, []):
                m.acknowledge(r, AcknowledgeType[kind])
            held[i] = []
            m.commit_sync()
        elif action == "wait":
            cluster.advance(16_000 * (who + 1))
        elif action == "crash":
            m.crash()
            held[i] = []
        elif action == "join" and len(members) < 4:
            members.append(_member(cluster, max_poll_records=3))
            held[len(members) - 1] = []
        sp = group.share_partition(tp)
        index = {c.member_id: n for n, c in enumerate(members)}
        for offset, rec in sp.in_flight.items():
            if rec.state is RecordState.ACQUIRED:  # held by a live member, from its last poll
                owner = index[rec.member]
                assert not members[owner]._closed
                assert offset in [r.offset for r in held[owner]]
        assert all(o >= sp.start_offset for o in sp.in_flight)
        assert all(r.delivery_count <= 3 for r in sp.in_flight.values())
        assert sp.start_offset <= sp.end_offset <= 10


def test_the_simulators_alter_configs_takes_group_resources_only():
    from simkafka.clients import ConfigResource

    admin = SimCluster().admin()
    with pytest.raises(KafkaConfigurationError, match="GROUP resources"):
        admin.alter_configs([ConfigResource("topic", TOPIC, {"retention.ms": 1})])
    answer = admin.alter_configs(
        [ConfigResource("group", GROUP, {"share.delivery.count.limit": 1})]
    )
    assert answer["group"][GROUP].startswith("[Error 40] InvalidConfigurationError")
