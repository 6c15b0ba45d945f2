"""The simulator against kafka-python, the client the course's real-broker side uses.

Routing must agree bit for bit; range and roundrobin must agree wherever kafka-python agrees
with Java; the sticky assignors are compared by their promises (exactly once, balanced, and,
with equal subscriptions, moving no more partitions than kafka-python's
StickyPartitionAssignor does).
"""

from __future__ import annotations

import random
from collections import namedtuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simkafka.assignors import assign
from simkafka.partitioners import (
    KafkaPythonPartitioner,
    murmur2,
    partition_for_key,
    partitions_for_keys,
)

kafka = pytest.importorskip("kafka")

from kafka.coordinator.assignors.range import RangePartitionAssignor  # noqa: E402
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor  # noqa: E402
from kafka.coordinator.assignors.sticky.sticky_assignor import (  # noqa: E402
    StickyPartitionAssignor,
)
from kafka.partitioner.default import DefaultPartitioner  # noqa: E402
from kafka.partitioner.default import murmur2 as kp_murmur2  # noqa: E402
from kafka.structs import TopicPartition as KafkaTopicPartition  # noqa: E402

Member = namedtuple("Member", "member_id group_instance_id metadata")


class FakeClusterMetadata:
    """The two ClusterMetadata calls kafka-python's assignors and partitioner make."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def topics(self) -> set[str]:
        return set(self.counts)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = self.counts.get(topic)
        return None if n is None else set(range(n))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions_for_topic(topic) or set()


def signed(h: int) -> int:
    return h - 2**32 if h & 0x80000000 else h


# --- routing ------------------------------------------------------------------------------------


def test_murmur2_equals_kafka_python_on_thousands_of_random_byte_strings() -> None:
    rng = random.Random(20240)
    for _ in range(5000):
        data = rng.randbytes(rng.randrange(0, 100))
        assert murmur2(data) == signed(kp_murmur2(data))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64))
def test_murmur2_equals_kafka_python_property(data: bytes) -> None:
    assert murmur2(data) == signed(kp_murmur2(data))


def test_keyed_record_lands_where_kafka_python_puts_it() -> None:
    cluster = FakeClusterMetadata({"accounts": 12})
    partitioner = DefaultPartitioner()
    keys = [b"acct-%d" % i for i in range(2000)]
    expected = [partitioner.partition("accounts", None, k, None, None, cluster) for k in keys]
    assert [partition_for_key(k, 12) for k in keys] == expected
    assert partitions_for_keys(keys, 12) == expected
    assert partitions_for_keys(keys, 12, engine="python") == expected


def test_keyless_records_follow_kafka_python_random_choice_with_the_same_seed() -> None:
    cluster = FakeClusterMetadata({"events": 5})
    state = random.getstate()
    try:
        random.seed(99)
        expected = [
            DefaultPartitioner().partition("events", None, None, None, None, cluster)
            for _ in range(200)
        ]
    finally:
        random.setstate(state)
    ours = KafkaPythonPartitioner(rng=random.Random(99))
    assert [ours.partition("events", None, 5, 10) for _ in range(200)] == expected


# --- range and roundrobin -----------------------------------------------------------------------


def kafka_python_assign(
    assignor, subs, counts, instance_ids=None
) -> dict[str, list[tuple[str, int]]]:
    instance_ids = instance_ids or {}
    # kafka-python groups static and dynamic members with itertools.groupby over the arrival
    # order, so it only sorts correctly when static members arrive first.
    order = sorted(subs, key=lambda m: m not in instance_ids)
    members = [Member(m, instance_ids.get(m), assignor.metadata(subs[m])) for m in order]
    result = assignor.assign(FakeClusterMetadata(counts), members)
    return {m: sorted((tp.topic, tp.partition) for tp in a.partitions()) for m, a in result.items()}


def as_tuples(result) -> dict[str, list[tuple[str, int]]]:
    return {m: [tuple(tp) for tp in tps] for m, tps in result.items()}


@st.composite
def equal_groups(draw: st.DrawFn):
    counts = {f"topic-{i}": draw(st.integers(1, 20)) for i in range(draw(st.integers(1, 4)))}
    members = draw(st.lists(st.from_regex(r"[a-z]{1,3}-[0-9a-f]{1,4}", fullmatch=True),
                            min_size=1, max_size=10, unique=True))  # fmt: skip
    static = draw(st.sets(st.sampled_from(members)))
    instance_ids = {m: f"instance-{draw(st.integers(0, 10**6))}-{m}" for m in static}
    return {m: list(counts) for m in members}, counts, instance_ids


@settings(max_examples=120, deadline=None)
@given(group=equal_groups())
def test_range_equals_kafka_python(group) -> None:
    subs, counts, instance_ids = group
    expected = kafka_python_assign(RangePartitionAssignor, subs, counts, instance_ids)
    assert as_tuples(assign("range", subs, counts, group_instance_ids=instance_ids)) == expected


@settings(max_examples=120, deadline=None)
@given(group=equal_groups())
def test_roundrobin_equals_kafka_python(group) -> None:
    subs, counts, instance_ids = group
    expected = kafka_python_assign(RoundRobinPartitionAssignor, subs, counts, instance_ids)
    ours = assign("roundrobin", subs, counts, group_instance_ids=instance_ids)
    assert as_tuples(ours) == expected


def test_range_with_unequal_subscriptions_equals_kafka_python() -> None:
    subs = {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]}
    counts = {"t0": 1, "t1": 2, "t2": 3}
    assert as_tuples(assign("range", subs, counts)) == kafka_python_assign(
        RangePartitionAssignor, subs, counts
    )


def test_roundrobin_with_unequal_subscriptions_follows_java_not_kafka_python() -> None:
    subs = {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]}
    counts = {"t0": 1, "t1": 2, "t2": 3}
    java = {
        "C0": [("t0", 0)],
        "C1": [("t1", 0)],
        "C2": [("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)],
    }
    assert as_tuples(assign("roundrobin", subs, counts)) == java
    try:
        theirs = kafka_python_assign(RoundRobinPartitionAssignor, subs, counts)
    except KeyError:
        return  # kafka-python 3.0.12 looks members up by (instance id, member id) tuples here
    assert theirs == java


# --- sticky, property-wise ----------------------------------------------------------------------


def kafka_python_sticky(subs, counts, current=None) -> dict[str, list[tuple[str, int]]]:
    assignor = StickyPartitionAssignor()
    members = []
    for m, topics in subs.items():
        owned = None
        if current is not None and m in current:
            owned = [KafkaTopicPartition(t, p) for t, p in current[m]]
        members.append(Member(m, None, assignor._metadata(topics, owned, generation=1)))
    result = assignor.assign(FakeClusterMetadata(counts), members)
    return {m: sorted((tp.topic, tp.partition) for tp in a.partitions()) for m, a in result.items()}


def moves(before, after) -> int:
    """Partitions that a member still in the group owned before and does not own after."""
    return sum(
        1
        for m, owned in before.items()
        if m in after
        for tp in owned
        if tuple(tp) not in {tuple(x) for x in after[m]}
    )


def loads(result) -> list[int]:
    return sorted(len(a) for a in result.values())


@st.composite
def sticky_rebalances(draw: st.DrawFn):
    counts = {f"t{i}": draw(st.integers(1, 12)) for i in range(draw(st.integers(1, 3)))}
    equal = draw(st.booleans())
    topics = st.lists(st.sampled_from(sorted(counts)), min_size=1, unique=True)
    members = [f"m{i}" for i in range(draw(st.integers(1, 7)))]
    subs = {m: list(counts) if equal else draw(topics) for m in members}
    after = {m: ts for m, ts in subs.items() if not draw(st.booleans()) or m == members[0]}
    for i in range(draw(st.integers(0, 3))):
        after[f"new{i}"] = list(counts) if equal else draw(topics)
    return subs, after, counts, equal


@settings(max_examples=120, deadline=None)
@given(case=sticky_rebalances())
def test_sticky_moves_no_more_partitions_than_kafka_python(case) -> None:
    subs, after, counts, equal = case
    before = as_tuples(assign("sticky", subs, counts))
    if equal:
        assert loads(before) == loads(kafka_python_sticky(subs, counts))
    ours = as_tuples(assign("sticky", after, counts, before))
    theirs = kafka_python_sticky(after, counts, before)
    everything = sorted({(t, p) for ts in after.values() for t in ts for p in range(counts[t])})
    assert sorted(tp for a in ours.values() for tp in a) == everything
    if equal:
        # Java's constrained builder keeps the most partitions balance allows: never more
        # moves than kafka-python's port of the older KIP-54 algorithm.
        assert moves(before, ours) <= moves(before, theirs)
        assert max(loads(ours)) - min(loads(ours)) <= 1
        assert loads(ours) == loads(theirs)
    else:
        # Both run the general algorithm, with different tie-breaks: either may move a
        # partition or two more (e.g. 14 against 13 in one case hypothesis found), and
        # both leave no move that would balance better.
        assert_no_move_would_help(ours, after, counts)
        assert_no_move_would_help(as_tuples(theirs), after, counts)


def assert_no_move_would_help(result, subs, counts) -> None:
    owner = {tuple(tp): m for m, assigned in result.items() for tp in assigned}
    load = {m: len(assigned) for m, assigned in result.items()}
    for member, topics in subs.items():
        for topic in set(topics):
            for p in range(counts.get(topic, 0)):
                assert load[owner[(topic, p)]] <= load[member] + 1
