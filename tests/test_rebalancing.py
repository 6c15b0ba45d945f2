"""The rebalancing lessons on the simulator, and the same tables from a real Kafka."""

from __future__ import annotations

import pytest

from simkafka import SimCluster
from simkafka.experiments import frames_agree
from simkafka.rebalancing import (
    assignor_moves,
    listener_calls,
    rebalance_timeline,
    rebalanced,
    removal_timing,
    slow_processing,
    static_restart,
)


def test_eager_revokes_everything_cooperative_only_what_moves() -> None:
    eager = rebalance_timeline("sim", "range", partitions=4)
    cooperative = rebalance_timeline("sim", "cooperative-sticky", partitions=4)
    # Eager: when c joins, a and b revoke all they own, though a gets the same back.
    step3 = eager[eager.step == 3].set_index("member")
    assert step3.loc["a", "revoked"] == (0, 1) and step3.loc["a", "assigned"] == (0, 1)
    assert step3.loc["b", "revoked"] == (2, 3)
    # Cooperative: only the partitions that change owner are revoked.
    assert cooperative.attrs["summary"]["revoked"] == cooperative.attrs["summary"]["moved"] == 3
    assert eager.attrs["summary"]["revoked"] == 8 and eager.attrs["summary"]["moved"] == 3
    step3 = cooperative[cooperative.step == 3].set_index("member")
    assert step3.loc["b", "revoked"] == (3,) and step3.loc["c", "assigned"] == (3,)
    assert "a" not in step3.index  # a keeps reading: nothing revoked, nothing new


def test_listener_calls_are_the_timeline_call_by_call() -> None:
    for strategy in ("range", "cooperative-sticky"):
        calls = listener_calls("sim", strategy, partitions=4)
        timeline = rebalance_timeline("sim", strategy, partitions=4)
        assert list(calls.columns) == ["time_ms", "member", "event", "partitions"]
        assert all(len(parts) for parts in calls["partitions"])  # no empty calls
        revoked = calls[calls.event == "revoked"]["partitions"]
        assert sum(len(p) for p in revoked) == timeline.attrs["summary"]["revoked"]
    eager = listener_calls("sim", "range", partitions=4)
    assert list(eager.member + " " + eager.event)[-3:] == ["b assigned", "c assigned", "a assigned"]


def test_sticky_assignors_move_only_what_they_must() -> None:
    frame = assignor_moves("sim", partitions=6).set_index(["strategy", "action"])
    for strategy in ("sticky", "cooperative-sticky"):
        assert (frame.loc[strategy, "moved"] == frame.loc[strategy, "needed"]).all()
    assert frame.loc[("range", "leave"), "moved"] == 5  # b and c shift: more than a's 2
    assert frame.loc[("roundrobin", "join"), "moved"] == 3  # d needs only 1


def test_static_member_restarts_without_a_rebalance() -> None:
    frame = static_restart("sim").set_index("membership")
    assert frame.loc["static", "rebalances"] == 0
    assert frame.loc["dynamic", "rebalances"] == 1
    assert (frame["owners_before"] == frame["owners_after"]).all()


def test_dynamic_restart_waits_for_the_old_session() -> None:
    cluster = SimCluster(seed=0)
    start = cluster.now_ms
    static_restart(cluster, ["dynamic"], session_timeout_ms=6000)
    assert cluster.now_ms - start > 6000  # the rebalance waited for the crashed id to expire
    cluster = SimCluster(seed=0)
    start = cluster.now_ms
    static_restart(cluster, ["static"], session_timeout_ms=6000)
    assert cluster.now_ms - start < 1000


def test_crash_waits_for_the_session_slowness_for_the_poll_interval() -> None:
    frame = removal_timing("sim", session_timeout_ms=6000, max_poll_interval_ms=3000)
    assert frame.set_index("cause")["removed_after_ms"].to_dict() == {"crash": 6100, "slow": 3100}
    # The two timeouts are independent: a longer poll interval than the session still rules.
    frame = removal_timing("sim", ["slow"], session_timeout_ms=6000, max_poll_interval_ms=9000)
    assert frame["removed_after_ms"].tolist() == [9100]


def test_too_slow_processing_loops_and_never_commits() -> None:
    slow = slow_processing("sim", processing_ms=4000, max_poll_interval_ms=3000)
    assert slow["offsets"].tolist() == [(0, 1)] * 3
    assert set(slow["commit"]) == {"CommitFailedError"}
    fast = slow_processing("sim", processing_ms=2000, max_poll_interval_ms=3000)
    assert fast["offsets"].tolist() == [(0, 1), (2, 3), (4, 5)]
    assert set(fast["commit"]) == {"ok"}


def test_wrong_arguments_are_explained() -> None:
    with pytest.raises(ValueError, match="membership must be"):
        static_restart("sim", ["sticky"])
    with pytest.raises(ValueError, match="cause must be"):
        removal_timing("sim", ["timeout"])


# -- the real broker ---------------------------------------------------------------------------
@pytest.mark.kafka
@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_timeline_on_kafka_is_the_simulators(kafka_bootstrap: str, strategy: str) -> None:
    assert frames_agree(rebalance_timeline("sim", strategy), rebalance_timeline("kafka", strategy))


@pytest.mark.kafka
def test_assignor_moves_on_kafka_are_the_simulators(kafka_bootstrap: str) -> None:
    strategies = ["range", "cooperative-sticky"]
    assert frames_agree(assignor_moves("sim", strategies), assignor_moves("kafka", strategies))


@pytest.mark.kafka
def test_static_restart_on_kafka_is_the_simulators(kafka_bootstrap: str) -> None:
    """A dynamic restart rebalances and a static one does not, on both; owners come back.

    The number of rebalances is compared as yes/no (``rebalanced``): a loaded broker has run
    two or three where the simulator's classic protocol runs one (see ``rebalanced``).
    """
    simulated, real = static_restart("sim"), static_restart("kafka")
    assert simulated["rebalances"].tolist() == [1, 0]
    assert frames_agree(rebalanced(simulated), rebalanced(real)), real.to_string()


@pytest.mark.kafka
def test_removal_timing_on_kafka_is_close_to_the_simulators(kafka_bootstrap: str) -> None:
    sim = removal_timing("sim").set_index("cause")["removed_after_ms"]
    real = removal_timing("kafka").set_index("cause")["removed_after_ms"]
    # The broker counts the session from the last heartbeat (1 s apart here); the client
    # notices an expired poll interval at its next heartbeat.
    assert abs(real["crash"] - sim["crash"]) <= 1500
    assert abs(real["slow"] - sim["slow"]) <= 1500
    assert real["slow"] < real["crash"]


@pytest.mark.kafka
def test_slow_processing_on_kafka_is_the_simulators(kafka_bootstrap: str) -> None:
    assert frames_agree(
        slow_processing("sim", processing_ms=4000), slow_processing("kafka", processing_ms=4000)
    )
