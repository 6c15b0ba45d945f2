"""Who reads what: the group assignors, their Java examples, and the sticky properties."""

from __future__ import annotations

import time
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simkafka.assignors import ASSIGNORS, assign, rebalance_protocol
from simkafka.errors import KafkaConfigurationError
from simkafka.records import TopicPartition

Subs = dict[str, list[str]]
Result = Mapping[str, list[TopicPartition]]


def tps(*names: str) -> list[TopicPartition]:
    """tps("t0p0", "t1p2") -> [TopicPartition("t0", 0), TopicPartition("t1", 2)]"""
    out = []
    for name in names:
        topic, partition = name.split("p")
        out.append(TopicPartition(topic, int(partition)))
    return sorted(out)


def subscribed_partitions(subs: Mapping[str, list[str]], counts: Mapping[str, int]) -> set:
    return {
        TopicPartition(t, p)
        for ts in subs.values()
        for t in set(ts)
        for p in range(counts.get(t, 0))
    }


def assert_exactly_once(result: Result, subs: Mapping[str, list[str]], counts: Mapping[str, int]):
    assert set(result) == set(subs)
    owners: dict[TopicPartition, str] = {}
    for member, assigned in result.items():
        assert assigned == sorted(assigned)
        for tp in assigned:
            assert tp not in owners, f"{tp} given to {owners[tp]} and {member}"
            assert tp.topic in subs[member], f"{member} got {tp} without subscribing"
            owners[tp] = member
    assert set(owners) == subscribed_partitions(subs, counts)


def assert_no_move_would_help(result: Result, subs: Mapping[str, list[str]], counts) -> None:
    """Java's balance: no member with 2+ fewer than another can take one of its partitions."""
    owner = {tp: m for m, assigned in result.items() for tp in assigned}
    load = {m: len(assigned) for m, assigned in result.items()}
    for member, topics in subs.items():
        for tp in subscribed_partitions({member: topics}, counts):
            assert load[owner[tp]] <= load[member] + 1, f"{tp} could move to {member}"


def owner_map(result: Result, members: Mapping[str, object] | None = None) -> dict:
    return {
        tp: m
        for m, assigned in result.items()
        if members is None or m in members
        for tp in assigned
    }


# --- Java's own examples ----------------------------------------------------------------------

TWO_TOPICS = {"t0": 3, "t1": 3}


def test_range_example_from_javas_range_assignor() -> None:
    result = assign("range", {"C0": ["t0", "t1"], "C1": ["t0", "t1"]}, TWO_TOPICS)
    assert result == {"C0": tps("t0p0", "t0p1", "t1p0", "t1p1"), "C1": tps("t0p2", "t1p2")}


def test_range_keeps_copartitioned_topics_together() -> None:
    result = assign(
        "range", {f"c{i}": ["orders", "payments"] for i in range(3)}, {"orders": 6, "payments": 6}
    )
    for assigned in result.values():
        assert {tp.partition for tp in assigned if tp.topic == "orders"} == {
            tp.partition for tp in assigned if tp.topic == "payments"
        }


def test_range_static_members_keep_their_ranges_across_a_bounce() -> None:
    # Javadoc of RangeAssignor: with group.instance.id, new member ids do not reshuffle.
    before = assign("range", {"C0": ["t0", "t1"], "C1": ["t0", "t1"]}, TWO_TOPICS,
                    group_instance_ids={"C0": "I0", "C1": "I1"})  # fmt: skip
    after = assign("range", {"C3": ["t0", "t1"], "C2": ["t0", "t1"]}, TWO_TOPICS,
                   group_instance_ids={"C3": "I0", "C2": "I1"})  # fmt: skip
    assert before["C0"] == after["C3"] == tps("t0p0", "t0p1", "t1p0", "t1p1")
    assert before["C1"] == after["C2"] == tps("t0p2", "t1p2")
    dynamic = assign("range", {"C3": ["t0", "t1"], "C2": ["t0", "t1"]}, TWO_TOPICS)
    assert dynamic["C3"] == tps("t0p2", "t1p2")  # without instance ids: by member id


def test_static_members_sort_before_dynamic_ones() -> None:
    subs = {"a": ["t"], "b": ["t"], "z": ["t"]}
    result = assign("range", subs, {"t": 3}, group_instance_ids={"z": "instance-9"})
    assert result == {"a": tps("tp1"), "b": tps("tp2"), "z": tps("tp0")}


def test_roundrobin_example_from_javas_roundrobin_assignor() -> None:
    result = assign("roundrobin", {"C0": ["t0", "t1"], "C1": ["t0", "t1"]}, TWO_TOPICS)
    assert result == {"C0": tps("t0p0", "t0p2", "t1p1"), "C1": tps("t0p1", "t1p0", "t1p2")}


def test_roundrobin_skips_members_not_subscribed_and_can_be_unbalanced() -> None:
    subs = {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]}
    result = assign("roundrobin", subs, {"t0": 1, "t1": 2, "t2": 3})
    assert result == {
        "C0": tps("t0p0"),
        "C1": tps("t1p0"),
        "C2": tps("t1p1", "t2p0", "t2p1", "t2p2"),
    }


def test_roundrobin_static_members_keep_their_partitions_across_a_bounce() -> None:
    subs = {"C5": ["t0", "t1"], "C3": ["t0", "t1"], "C4": ["t0", "t1"]}
    dynamic = assign("roundrobin", subs, TWO_TOPICS)
    assert dynamic["C3"] == tps("t0p0", "t1p0")  # reshuffled by the new member ids
    static = assign(
        "roundrobin", subs, TWO_TOPICS, group_instance_ids={"C5": "I0", "C3": "I1", "C4": "I2"}
    )
    assert static == {
        "C5": tps("t0p0", "t1p0"),
        "C3": tps("t0p1", "t1p1"),
        "C4": tps("t0p2", "t1p2"),
    }


def test_sticky_example_1_from_javas_sticky_assignor() -> None:
    counts = {"t0": 2, "t1": 2, "t2": 2, "t3": 2}
    subs = {c: list(counts) for c in ("C0", "C1", "C2")}
    first = assign("sticky", subs, counts)
    assert first == {
        "C0": tps("t0p0", "t1p1", "t3p0"),
        "C1": tps("t0p1", "t2p0", "t3p1"),
        "C2": tps("t1p0", "t2p1"),
    }
    # C1 leaves: unlike roundrobin, the survivors keep everything they had.
    second = assign("sticky", {"C0": list(counts), "C2": list(counts)}, counts, first)
    assert set(first["C0"]) <= set(second["C0"]) and set(first["C2"]) <= set(second["C2"])
    assert len(second["C0"]) == len(second["C2"]) == 4


def test_sticky_example_2_from_javas_sticky_assignor() -> None:
    counts = {"t0": 1, "t1": 2, "t2": 3}
    subs = {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]}
    first = assign("sticky", subs, counts)
    assert first == {
        "C0": tps("t0p0"),
        "C1": tps("t1p0", "t1p1"),
        "C2": tps("t2p0", "t2p1", "t2p2"),
    }
    del subs["C0"]
    second = assign("sticky", subs, counts, first)
    assert second == {"C1": tps("t0p0", "t1p0", "t1p1"), "C2": tps("t2p0", "t2p1", "t2p2")}


# --- lessons every assignor teaches -----------------------------------------------------------


@pytest.mark.parametrize("strategy", ASSIGNORS)
def test_extra_consumer_sits_idle(strategy: str) -> None:
    subs = {f"consumer-{i}": ["orders"] for i in range(4)}
    result = assign(strategy, subs, {"orders": 3})
    assert sorted(len(a) for a in result.values()) == [0, 1, 1, 1]


@pytest.mark.parametrize("strategy", ASSIGNORS)
def test_unknown_topic_gets_no_partitions(strategy: str) -> None:
    result = assign(
        strategy, {"c0": ["orders", "not-yet-created"], "c1": ["orders"]}, {"orders": 2}
    )
    assert result == {"c0": tps("ordersp0"), "c1": tps("ordersp1")}


@pytest.mark.parametrize("strategy", ASSIGNORS)
def test_empty_group_gets_nothing(strategy: str) -> None:
    assert assign(strategy, {}, {"orders": 3}) == {}


@pytest.mark.parametrize("strategy", ASSIGNORS)
def test_member_without_subscriptions_is_in_the_result(strategy: str) -> None:
    assert assign(strategy, {"c0": ["t"], "c1": []}, {"t": 2})["c1"] == []


def test_rebalance_protocol_per_assignor() -> None:
    assert [rebalance_protocol(s) for s in ASSIGNORS] == ["eager", "eager", "eager", "cooperative"]


@pytest.mark.parametrize(
    "near_miss, meant",
    [
        ("round_robin", "roundrobin"),
        ("cooperative_sticky", "cooperative-sticky"),
        ("CooperativeStickyAssignor", "cooperative-sticky"),
        ("org.apache.kafka.clients.consumer.RangeAssignor", "range"),
        ("StickyPartitionAssignor", "sticky"),
    ],
)
def test_near_miss_assignor_name_suggests_the_real_one(near_miss: str, meant: str) -> None:
    with pytest.raises(KafkaConfigurationError, match=f"did you mean '{meant}'"):
        assign(near_miss, {"c": ["t"]}, {"t": 1})


def test_unknown_assignor_lists_the_valid_names() -> None:
    with pytest.raises(KafkaConfigurationError) as info:
        rebalance_protocol("uniform")
    assert all(name in str(info.value) for name in ASSIGNORS)


def test_a_single_topic_string_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"\['orders'\]"):
        assign("range", {"c0": "orders"}, {"orders": 3})  # type: ignore[dict-item]


# --- sticky: what stays put -------------------------------------------------------------------


def test_sticky_ignores_members_that_left() -> None:
    current = {"gone": tps("tp0", "tp1"), "c0": tps("tp2")}
    result = assign("sticky", {"c0": ["t"], "c1": ["t"]}, {"t": 4}, current)
    assert set(tps("tp2")) <= set(result["c0"])
    assert_exactly_once(result, {"c0": ["t"], "c1": ["t"]}, {"t": 4})


def test_sticky_takes_a_doubly_claimed_partition_from_both_claimants() -> None:
    # AbstractStickyAssignor: two members of one generation claiming a partition lose it.
    subs = {"c0": ["t"], "c1": ["t"]}
    current = {"c0": tps("tp0", "tp1"), "c1": tps("tp1", "tp2")}
    result = assign("cooperative-sticky", subs, {"t": 4}, current)
    assert TopicPartition("t", 1) not in result["c0"] + result["c1"]


def test_sticky_revokes_partitions_of_an_unsubscribed_topic() -> None:
    counts = {"a": 2, "b": 2}
    current = {"c0": tps("ap0", "ap1", "bp0"), "c1": tps("bp1")}
    result = assign("sticky", {"c0": ["a"], "c1": ["a", "b"]}, counts, current)
    assert result == {"c0": tps("ap0", "ap1"), "c1": tps("bp0", "bp1")}


def test_cooperative_sticky_from_scratch_is_sticky() -> None:
    subs = {f"c{i}": ["a", "b"] for i in range(5)}
    counts = {"a": 7, "b": 4}
    assert assign("cooperative-sticky", subs, counts) == assign("sticky", subs, counts)


def test_cooperative_join_moves_partitions_over_two_rebalances() -> None:
    subs = {"c0": ["t"], "c1": ["t"]}
    first = assign("cooperative-sticky", subs, {"t": 4})
    subs["c2"] = ["t"]
    round1 = assign("cooperative-sticky", subs, {"t": 4}, first)
    assert round1["c2"] == []  # c0 or c1 still owns what c2 will get: only revoked now
    assert sum(map(len, round1.values())) == 3
    round2 = assign("cooperative-sticky", subs, {"t": 4}, round1)
    assert len(round2["c2"]) == 1
    assert_exactly_once(round2, subs, {"t": 4})


def test_thousand_members_ten_thousand_partitions_in_under_a_second() -> None:
    counts = {f"topic-{i}": 1000 for i in range(10)}
    subs = {f"consumer-{i:04d}": list(counts) for i in range(1000)}
    start = time.perf_counter()
    first = assign("sticky", subs, counts)
    subs["consumer-new"] = list(counts)
    assign("cooperative-sticky", subs, counts, first)
    assert time.perf_counter() - start < 1.0


# --- properties -------------------------------------------------------------------------------


@st.composite
def groups(draw: st.DrawFn, equal: bool | None = None) -> tuple[Subs, dict[str, int]]:
    counts = {f"t{i}": draw(st.integers(0, 12)) for i in range(draw(st.integers(1, 4)))}
    members = draw(st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=8, unique=True))
    if equal if equal is not None else draw(st.booleans()):
        subs = {m: list(counts) for m in members}
    else:
        topics = st.lists(st.sampled_from(sorted(counts)), unique=True)
        subs = {m: draw(topics) for m in members}
    return subs, counts


@st.composite
def membership_changes(draw: st.DrawFn, equal: bool | None = None):
    """A group, its sticky assignment, and the group after some members left and joined."""
    subs, counts = draw(groups(equal))
    before = assign("sticky", subs, counts)
    leaving = draw(st.sets(st.sampled_from(sorted(subs)), max_size=len(subs)))
    joining = draw(st.lists(st.text(min_size=5, max_size=6), max_size=3, unique=True))
    after = {m: ts for m, ts in subs.items() if m not in leaving}
    template = next(iter(subs.values()))
    for m in joining:
        after[m] = (
            list(template)
            if equal
            else draw(st.lists(st.sampled_from(sorted(counts)), unique=True))
        )
    return subs, counts, before, after


PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(group=groups(), strategy=st.sampled_from(ASSIGNORS))
def test_every_partition_has_exactly_one_owner(group, strategy: str) -> None:
    subs, counts = group
    assert_exactly_once(assign(strategy, subs, counts), subs, counts)


@PROPERTY
@given(
    group=groups(equal=True),
    strategy=st.sampled_from(["roundrobin", "sticky", "cooperative-sticky"]),
)
def test_equal_subscriptions_differ_by_at_most_one(group, strategy: str) -> None:
    subs, counts = group
    loads = [len(a) for a in assign(strategy, subs, counts).values()]
    assert max(loads) - min(loads) <= 1


@PROPERTY
@given(change=membership_changes())
def test_sticky_leaves_no_move_that_would_balance_better(change) -> None:
    _, counts, before, after = change
    result = assign("sticky", after, counts, before)
    assert_exactly_once(result, after, counts)
    assert_no_move_would_help(result, after, counts)


@PROPERTY
@given(change=membership_changes(equal=True))
def test_when_members_leave_the_survivors_keep_all_their_partitions(change) -> None:
    subs, counts, before, after = change
    survivors = {m: ts for m, ts in after.items() if m in subs}  # nobody joins in this lesson
    if not survivors:
        return
    result = assign("sticky", survivors, counts, before)
    for member in survivors:
        assert set(before[member]) <= set(result[member])


@PROPERTY
@given(change=membership_changes(equal=True))
def test_when_members_join_no_partition_moves_between_two_old_members(change) -> None:
    subs, counts, before, after = change
    grown = {**subs, **{m: ts for m, ts in after.items() if m not in subs}}
    result = assign("sticky", grown, counts, before)
    old_owner = owner_map(before)
    for member, assigned in result.items():
        for tp in assigned:
            if member in subs:
                assert old_owner[tp] == member, f"{tp} moved from {old_owner[tp]} to {member}"


@PROPERTY
@given(change=membership_changes())
def test_cooperative_first_round_never_hands_over_a_partition_still_owned(change) -> None:
    _, counts, before, after = change
    round1 = assign("cooperative-sticky", after, counts, before)
    still_owned = owner_map(before, after)
    for member, assigned in round1.items():
        for tp in assigned:
            assert still_owned.get(tp, member) == member, (
                f"{tp} given while {still_owned[tp]} has it"
            )


@PROPERTY
@given(change=membership_changes(equal=True))
def test_cooperative_second_round_completes_the_move(change) -> None:
    _, counts, before, after = change
    round1 = assign("cooperative-sticky", after, counts, before)
    round2 = assign("cooperative-sticky", after, counts, round1)
    assert_exactly_once(round2, after, counts)
    loads = [len(a) for a in round2.values()] or [0]
    assert max(loads) - min(loads) <= 1
    for member in after:
        assert set(round1[member]) <= set(round2[member]), "round two revoked again"


@PROPERTY
@given(change=membership_changes(equal=False))
def test_cooperative_rounds_settle_with_unequal_subscriptions(change) -> None:
    # With unequal subscriptions Java's general algorithm can move a partition once more in
    # round two (it balances greedily, then fixes up), so a third round may be needed.
    _, counts, before, after = change
    current = before
    for _ in range(3):
        following = assign("cooperative-sticky", after, counts, current)
        still_owned = owner_map(current, after)
        for member, assigned in following.items():
            assert all(still_owned.get(tp, member) == member for tp in assigned)
        settled = all(set(current.get(m, [])) <= set(following[m]) for m in after)
        current = following
        if settled and {tp for a in following.values() for tp in a} == subscribed_partitions(
            after, counts
        ):
            break
    assert_exactly_once(current, after, counts)
    assert_no_move_would_help(current, after, counts)
