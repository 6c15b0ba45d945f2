"""GroupMembers and experiments.group_ownership: the simulator, then the same on Kafka."""

from __future__ import annotations

import threading

import pytest

from simkafka import SimCluster, assign
from simkafka.experiments import group_ownership
from simkafka.members import GroupMembers

TOPIC = "user-accounts"
SCRIPT = (("join", "a"), ("join", "b"), ("join", "c"), ("leave", "b"), ("crash", "c"))


def _expected(group: GroupMembers, partitions: int) -> dict[int, str]:
    """What simkafka.assign('range') gives the live members' ids, as partition -> name."""
    by_id = {group.member_id(n): n for n in group.names}
    result = assign("range", {mid: [TOPIC] for mid in by_id}, {TOPIC: partitions})
    return {tp.partition: by_id[mid] for mid, tps in result.items() for tp in tps}


def _owners(group: GroupMembers) -> dict[int, str]:
    frame = group.ownership()
    return dict(zip(frame["partition"], frame["owner"], strict=True))


def test_ownership_after_each_step_is_the_range_assignment() -> None:
    cluster = SimCluster(seed=4)
    cluster.create_topic(TOPIC, partitions=6)
    with GroupMembers(cluster, TOPIC, "groups-service") as group:
        for action, name in SCRIPT + (("restart", "c"),):
            getattr(group, action)(name)
            group.settle()
            assert _owners(group) == _expected(group, 6)
            assert group.ownership()["generation"].nunique() == 1
        assert _owners(group) == {0: "a", 1: "a", 2: "a", 3: "c", 4: "c", 5: "c"}


def test_range_orders_members_by_name_whatever_the_join_order() -> None:
    cluster = SimCluster(seed=9)
    cluster.create_topic(TOPIC, partitions=3)
    with GroupMembers(cluster, TOPIC, "groups-service") as group:
        for name in ("c", "a", "b"):
            group.join(name)
        group.settle()
        assert _owners(group) == {0: "a", 1: "b", 2: "c"}


def test_an_extra_member_is_idle() -> None:
    cluster = SimCluster(seed=2)
    cluster.create_topic(TOPIC, partitions=2)
    with GroupMembers(cluster, TOPIC, "groups-service") as group:
        for name in ("a", "b", "c"):
            group.join(name)
        group.settle()
        assert [group.assignment(n) for n in group.names] == [[0], [1], []]
        assert set(group.ownership()["owner"]) == {"a", "b"}


def test_listener_rows_revoke_before_assign_and_crash_waits_for_the_session() -> None:
    cluster = SimCluster(seed=5)
    cluster.create_topic(TOPIC, partitions=4)
    group = GroupMembers(cluster, TOPIC, "groups-service")
    group.join("a")
    group.settle()
    group.join("b")
    group.settle()
    a_rows = group.events().query("member == 'a'")
    assert a_rows[["event", "partitions"]].values.tolist() == [
        ["assigned", (0, 1, 2, 3)],
        ["revoked", (0, 1, 2, 3)],
        ["assigned", (0, 1)],
    ]
    before = group.events()["time_ms"].max()
    group.crash("b")
    group.settle()
    rows = group.events()
    assert "b" not in set(
        rows["member"][rows["time_ms"] > before]
    )  # a dead member runs no listener
    last = rows.iloc[-1]
    assert (last["member"], last["event"], last["partitions"]) == ("a", "assigned", (0, 1, 2, 3))
    assert last["time_ms"] - before >= 6000  # the session had to expire (simulated time)
    group.close()
    assert group.events().iloc[-1]["event"] == "revoked"


def test_misuse_is_explained() -> None:
    cluster = SimCluster()
    cluster.create_topic(TOPIC, partitions=1)
    with GroupMembers(cluster, TOPIC, "g") as group:
        group.join("a")
        with pytest.raises(Exception, match="already in the group"):
            group.join("a")
        with pytest.raises(Exception, match="no live member named 'x'"):
            group.leave("x")
        with pytest.raises(Exception, match="still running"):
            group.restart("a")
        with pytest.raises(Exception, match="member name"):
            group.join("a b")


def test_group_ownership_on_the_simulator() -> None:
    frame = group_ownership("sim")
    last = {
        step: dict(zip(f["partition"], f["owner"], strict=True))
        for step, f in frame.groupby("step")
    }
    assert last[1] == dict.fromkeys(range(6), "a")
    assert last[3] == {0: "a", 1: "a", 2: "b", 3: "b", 4: "c", 5: "c"}
    assert last[4] == {0: "a", 1: "a", 2: "a", 3: "c", 4: "c", 5: "c"}
    assert last[5] == dict.fromkeys(range(6), "a")
    assert frame.groupby("step")["generation"].first().tolist() == [1, 2, 3, 4, 5]


@pytest.mark.kafka
def test_group_ownership_on_kafka_is_the_simulators(kafka_bootstrap: str) -> None:
    from simkafka.real import RealCluster

    before = set(threading.enumerate())
    with RealCluster(kafka_bootstrap) as cluster:
        real = group_ownership(cluster)
    simulated = group_ownership("sim")
    assert real.equals(simulated), f"\n{real}\n!=\n{simulated}"
    leaked = [t for t in set(threading.enumerate()) - before if t.name.startswith("GroupMembers")]
    assert not leaked


@pytest.mark.kafka
@pytest.mark.parametrize("strategy", ["roundrobin", "sticky", "cooperative-sticky"])
def test_other_assignors_give_kafkas_owners_too(kafka_bootstrap: str, strategy: str) -> None:
    """Join, join, join, leave, crash: the same owner for every partition at every step.

    On the real side the assignment is computed by kafka-python's own assignor in the group
    leader; on the simulator by simkafka.assign (Java's algorithms).
    """
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        real = group_ownership(cluster, strategy=strategy)
    simulated = group_ownership("sim", strategy=strategy)
    assert real.equals(simulated), f"\n{real}\n!=\n{simulated}"
    assert real.attrs["summary"] == simulated.attrs["summary"]


def test_settle_waits_for_a_crashed_members_session_before_the_restart_joins():
    """A dynamic member crashes and restarts at once: the group waits out the old session."""
    cluster = SimCluster(seed=1)
    cluster.create_topic("t", partitions=3)
    group = GroupMembers(cluster, "t", "g")
    group.join("a")
    group.join("b")
    group.settle()
    group.crash("b")
    group.restart("b")
    before = cluster.now_ms
    group.settle()
    assert sorted(p for name in group.names for p in group.assignment(name)) == [0, 1, 2]
    assert cluster.now_ms > before, "the simulated clock moved while the old session ran"
