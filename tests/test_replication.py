"""Replication on the simulator: leaders and followers, the ISR, the high watermark, acks.

Each test is one lesson of notebook 10, on ``SimCluster(brokers=N)``; the property tests at the
end drive random failures and check what Kafka promises: a record acknowledged with
``acks='all'`` survives every clean election, the high watermark never passes an in-sync
replica's log end, and consumers read only below it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simkafka import SimCluster
from simkafka.errors import (
    IllegalArgumentError,
    InvalidReplicationFactorError,
    NotEnoughReplicasError,
    NotLeaderForPartitionError,
    RequestTimedOutError,
)
from simkafka.records import TopicPartition

TP = TopicPartition("payments", 0)


def cluster_with_topic(brokers: int = 3, rf: int = 3, **config: str) -> SimCluster:
    cluster = SimCluster(
        seed=3, brokers=brokers, broker_session_timeout_ms=3000, replica_lag_time_max_ms=5000
    )
    cluster.create_topic("payments", partitions=1, replication_factor=rf, config=config)
    return cluster


def state(cluster: SimCluster) -> tuple[int | None, list[int], list[int], int]:
    row = cluster.replicas("payments").iloc[0]
    leader = None if row.leader is None or str(row.leader) == "<NA>" else int(row.leader)
    return leader, list(row.isr), list(row.elr), int(row.high_watermark)


def values(cluster: SimCluster) -> list[bytes]:
    consumer = cluster.consumer(auto_offset_reset="earliest", enable_auto_commit=False)
    consumer.assign([TP])
    got = [
        r.value for batch in consumer.poll(timeout_ms=0, max_records=10_000).values() for r in batch
    ]
    consumer.close()
    return got


def send(cluster: SimCluster, value: bytes, acks: object = "all") -> int | str:
    producer = cluster.producer(acks=acks, retries=0)
    try:
        return producer.send("payments", value=value).get().offset
    except Exception as error:  # the lesson is which error
        return type(error).__name__
    finally:
        producer.close()


def followers(cluster: SimCluster) -> list[int]:
    leader, isr, _, _ = state(cluster)
    return [r for r in isr if r != leader]


def test_replicas_land_on_distinct_brokers_and_all_start_in_sync() -> None:
    cluster = cluster_with_topic()
    row = cluster.replicas("payments").iloc[0]
    assert sorted(row.replicas) == [1, 2, 3]
    assert list(row.isr) == list(row.replicas)
    assert int(row.leader) == row.replicas[0]


def test_replication_factor_cannot_exceed_the_brokers() -> None:
    cluster = SimCluster(brokers=3)
    with pytest.raises(InvalidReplicationFactorError, match="larger than the 3 available"):
        cluster.create_topic("t", partitions=1, replication_factor=4)


def test_one_broker_cluster_is_unchanged_and_says_how_to_model_brokers() -> None:
    cluster = SimCluster()
    with pytest.raises(InvalidReplicationFactorError, match=r"SimCluster\(brokers=3\)"):
        cluster.create_topic("t", partitions=1, replication_factor=3)
    with pytest.raises(IllegalArgumentError, match=r"SimCluster\(brokers=3\)"):
        cluster.stop_broker(1)


def test_controlled_shutdown_moves_leadership_at_once() -> None:
    cluster = cluster_with_topic()
    assert send(cluster, b"p-1") == 0
    leader, _, _, _ = state(cluster)
    cluster.stop_broker(leader)
    new_leader, isr, _, hw = state(cluster)
    assert new_leader not in (None, leader)
    assert leader not in isr and len(isr) == 2
    assert cluster.replicas("payments").iloc[0].leader_epoch == 1
    assert values(cluster) == [b"p-1"] and hw == 1


def test_a_crashed_leader_keeps_leadership_until_its_session_times_out() -> None:
    cluster = cluster_with_topic()
    leader, _, _, _ = state(cluster)
    cluster.stop_broker(leader, kill=True)
    assert state(cluster)[0] == leader
    assert send(cluster, b"lost-in-flight", acks=1) == "RequestTimedOutError"
    cluster.advance(2999)
    assert state(cluster)[0] == leader
    cluster.advance(1)
    assert state(cluster)[0] not in (None, leader)
    assert send(cluster, b"p-2") == 0


def test_a_frozen_follower_leaves_the_isr_after_replica_lag_time_max_ms() -> None:
    cluster = SimCluster(
        seed=3, brokers=3, broker_session_timeout_ms=60_000, replica_lag_time_max_ms=5000
    )
    cluster.create_topic("payments", partitions=1, replication_factor=3)
    follower = followers(cluster)[0]
    cluster.pause_broker(follower)
    cluster.advance(5000)
    assert follower in state(cluster)[1]
    cluster.advance(2500)  # the leader checks every lag/2: at 7500 ms the follower is 7500 ms late
    assert follower not in state(cluster)[1]
    cluster.resume_broker(follower)
    assert follower in state(cluster)[1]


def test_acks_all_is_refused_below_min_insync_replicas_and_acks_1_waits_unseen() -> None:
    cluster = cluster_with_topic(**{"min.insync.replicas": "3"})
    assert send(cluster, b"a-0") == 0
    follower = followers(cluster)[0]
    cluster.stop_broker(follower)
    assert send(cluster, b"a-1") == "NotEnoughReplicasError"
    assert send(cluster, b"o-2", acks=1) == 1  # acknowledged by the leader ...
    assert values(cluster) == [b"a-0"]  # ... but not readable: the high watermark waits
    cluster.start_broker(follower)
    assert len(state(cluster)[1]) == 3
    assert values(cluster) == [b"a-0", b"o-2"]
    assert send(cluster, b"a-3") == 2


def test_not_enough_replicas_is_the_error_callers_can_catch() -> None:
    cluster = cluster_with_topic(**{"min.insync.replicas": "3"})
    cluster.stop_broker(followers(cluster)[0])
    future = cluster.producer(acks="all").send("payments", value=b"x")
    errors: list[Exception] = []
    future.add_errback(errors.append)
    with pytest.raises(NotEnoughReplicasError, match="min.insync.replicas=3"):
        future.get()
    assert future.failed() and isinstance(errors[0], NotEnoughReplicasError)


def test_acks_all_waits_for_a_frozen_in_sync_follower_until_it_is_dropped() -> None:
    cluster = cluster_with_topic(**{"min.insync.replicas": "2"})
    cluster.pause_broker(followers(cluster)[0])
    began = cluster.now_ms
    future = cluster.producer(acks="all", request_timeout_ms=30_000).send("payments", value=b"x")
    assert future.get().offset == 0
    # The controller fences the silent follower after broker.session.timeout.ms (3000), before
    # the leader's own replica.lag.time.max.ms (5000) would have dropped it.
    assert cluster.now_ms - began == 3000
    assert cluster.events("broker_fenced")["detail"].tolist() == ["session timed out"]


def test_acks_all_times_out_when_the_isr_cannot_shrink() -> None:
    cluster = cluster_with_topic(**{"min.insync.replicas": "2"})
    for follower in followers(cluster):
        cluster.pause_broker(follower)  # two of three voters frozen: no controller, no shrink
    with pytest.raises(RequestTimedOutError):
        cluster.producer(acks="all", request_timeout_ms=10_000).send("payments", value=b"x").get()


def test_acks_1_loses_what_only_the_crashed_leader_had() -> None:
    cluster = cluster_with_topic()
    assert send(cluster, b"a-0") == 0
    leader, _, _, _ = state(cluster)
    frozen = followers(cluster)
    for f in frozen:
        cluster.pause_broker(f)
    cluster.advance(1000)
    assert [send(cluster, b"o-%d" % i, acks=1) for i in (1, 2)] == [1, 2]
    cluster.stop_broker(leader, kill=True)
    for f in frozen:
        cluster.resume_broker(f)
    cluster.advance(3000)
    assert state(cluster)[0] in frozen
    assert values(cluster) == [b"a-0"]
    cluster.start_broker(leader)
    assert len(state(cluster)[1]) == 3
    assert values(cluster) == [b"a-0"]  # the old leader truncated its o-1, o-2
    assert set(cluster.events("replica_truncated")["member"]) == {f"broker-{leader}"}


def unclean_setup(unclean: str) -> tuple[SimCluster, int, int]:
    """Five brokers, two replicas: the follower stops, the leader takes writes alone, crashes."""
    cluster = cluster_with_topic(brokers=5, rf=2, **{"unclean.leader.election.enable": unclean})
    leader, isr, _, _ = state(cluster)
    follower = [r for r in isr if r != leader][0]
    cluster.stop_broker(follower)
    assert [send(cluster, b"a-%d" % i) for i in range(3)] == [0, 1, 2]
    cluster.stop_broker(leader, kill=True)
    cluster.advance(3000)
    cluster.start_broker(follower)
    return cluster, leader, follower


def test_without_unclean_election_the_partition_waits_for_its_last_leader() -> None:
    cluster, leader, _ = unclean_setup("false")
    assert state(cluster)[0] is None
    assert send(cluster, b"x") == "NotLeaderForPartitionError"
    cluster.start_broker(leader)  # it was in the ELR: no record lost
    assert state(cluster)[0] == leader
    assert values(cluster) == [b"a-0", b"a-1", b"a-2"]


def test_unclean_election_loses_acknowledged_records() -> None:
    cluster, leader, follower = unclean_setup("true")
    assert state(cluster)[0] == follower
    assert "unclean election" in cluster.events("leader_elected")["detail"].iloc[-1]
    assert values(cluster) == []
    assert send(cluster, b"b-0") == 0
    cluster.start_broker(leader)
    assert values(cluster) == [b"b-0"]


def test_with_elr_off_the_isr_keeps_its_last_member() -> None:
    cluster = SimCluster(seed=3, brokers=5, eligible_leader_replicas=False)
    cluster.create_topic("payments", partitions=1, replication_factor=2)
    leader, isr, _, _ = state(cluster)
    cluster.stop_broker([r for r in isr if r != leader][0])
    cluster.stop_broker(leader)
    assert state(cluster)[:3] == (None, [leader], [])


def test_a_controlled_shutdown_without_quorum_ends_as_a_crash() -> None:
    cluster = cluster_with_topic()
    leader, isr, _, _ = state(cluster)
    for follower in [r for r in isr if r != leader]:
        cluster.pause_broker(follower)
    cluster.stop_broker(leader)
    killed = cluster.events("broker_killed")
    assert killed["detail"].tolist() == ["no quorum to shut down with: killed"]
    assert state(cluster)[0] == leader  # no controller to move leadership
    assert cluster.brokers().set_index("broker").fenced.sum() == 0


def test_no_leader_error_names_the_fix() -> None:
    cluster, _, _ = unclean_setup("false")
    with pytest.raises(NotLeaderForPartitionError, match="has no leader"):
        cluster.producer(acks=1, retries=0).send("payments", value=b"x").get()


# -- properties ----------------------------------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from(["all", 1])),
        st.tuples(st.sampled_from(["stop", "kill", "pause", "resume", "start"]), st.integers(1, 3)),
        st.tuples(st.just("advance"), st.sampled_from([100, 2000, 4000, 8000])),
        st.tuples(st.just("isolate_leader"), st.none()),
    ),
    min_size=5,
    max_size=40,
)


def check_invariants(cluster: SimCluster, acked: dict[int, bytes], *, clean: bool) -> None:
    part = cluster.replication.partitions[TP]
    for r in part.isr:
        assert part.high_watermark <= part.leo(r), (part, r)
    assert values(cluster) == [r.value for r in cluster.log(TP).read(0, part.high_watermark)]
    assert len(values(cluster)) == part.high_watermark
    if clean:
        log = cluster.log(TP)
        for offset, value in acked.items():
            assert offset < part.high_watermark
            assert log.read(offset, 1)[0].value == value


def run_ops(ops: list, *, unclean: str, min_isr: str) -> None:
    cluster = cluster_with_topic(
        **{"unclean.leader.election.enable": unclean, "min.insync.replicas": min_isr}
    )
    replication = cluster.replication
    acked: dict[int, bytes] = {}
    for i, (op, arg) in enumerate(ops):
        if op == "send":
            producer = cluster.producer(acks=arg, retries=0, request_timeout_ms=10_000)
            value = b"v-%d" % i
            try:
                offset = producer.send("payments", value=value).get().offset
            except (NotEnoughReplicasError, NotLeaderForPartitionError, RequestTimedOutError):
                offset = None
            if offset is not None and arg == "all":
                acked[offset] = value
        elif op == "advance":
            cluster.advance(arg)
        elif op == "isolate_leader":  # freeze the leader's running followers: it writes alone
            part = replication.partitions[TP]
            for r in part.replicas:
                if r != part.leader and replication.brokers[r].state == "up":
                    cluster.pause_broker(r)
        else:
            broker = replication.brokers[arg]
            allowed = {
                "stop": broker.state != "down",
                "kill": broker.state != "down",
                "pause": broker.state == "up",
                "resume": broker.state == "paused",
                "start": broker.state == "down",
            }[op]
            if not allowed:
                continue
            if op == "kill":
                cluster.stop_broker(arg, kill=True)
            else:
                getattr(cluster, f"{op}_broker")(arg)
        check_invariants(cluster, acked, clean=unclean == "false")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, min_isr=st.sampled_from(["1", "2"]))
def test_acks_all_records_survive_every_clean_election(ops: list, min_isr: str) -> None:
    run_ops(ops, unclean="false", min_isr=min_isr)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_high_watermark_and_reads_hold_even_with_unclean_election(ops: list) -> None:
    run_ops(ops, unclean="true", min_isr="1")
