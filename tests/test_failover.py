"""The replication experiments on the simulator alone: their tables are the lessons."""

from __future__ import annotations

from simkafka import failover


def test_leader_failover_loses_nothing_acknowledged() -> None:
    frame = failover.leader_failover("sim")
    assert frame.leader.tolist() == ["first leader", "follower", "follower"]
    assert frame.isr_size.tolist() == [3, 2, 3]
    assert frame.readable.tolist() == [3, 6, 9]
    assert frame.attrs["summary"] == {"acknowledged": 9, "all_survived": True}


def test_min_insync_replicas_three_refuses_acks_all_with_one_follower_down() -> None:
    frame = failover.min_insync_writes("sim")
    down = frame[frame.step == "one follower down"]
    assert down.write.tolist() == ["ok", "NotEnoughReplicasError", "ok"]
    # the acks=1 write on min.insync.replicas=3 is acknowledged but not yet readable
    assert down.readable.tolist() == [2, 1, 1]
    back = frame[frame.step == "follower back"]
    assert back.readable.tolist() == [3, 3]


def test_acks_one_loses_what_only_the_leader_had() -> None:
    frame = failover.acks_one_loss("sim", lost=3)
    assert frame.acknowledged.all()
    assert frame.survived.tolist() == [True, False, False, False]
    assert frame.attrs["timings_ms"]["leader_moved"] == failover.SESSION_TIMEOUT_MS


def test_unclean_election_loses_acks_all_records() -> None:
    frame = failover.unclean_election_loss()
    assert frame.set_index("unclean").readable_after.to_dict() == {"false": 3, "true": 0}


def test_experiments_are_deterministic() -> None:
    for experiment in failover.EXPERIMENTS.values():
        assert experiment("sim").equals(experiment("sim"))
