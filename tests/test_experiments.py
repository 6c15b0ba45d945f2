"""The experiments: each lesson on the simulator, then the same frame from a real Kafka.

On SimCluster the assertions are the lessons themselves (keys route by murmur2, order holds
per key, every group reads everything, the uncommitted records come again, records committed
before processing are lost). Marked ``kafka``, each experiment runs on a RealCluster too and
its frame must equal the simulator's: the experiments leave out what cannot agree (topic and
group names carry a run id, member ids are random, timestamps are the wall clock), so the
frames compare whole, with no further normalising.
"""

import pandas as pd
import pytest

from simkafka import SimCluster, partition_for_key
from simkafka.experiments import (
    _course_runs,
    _default_runs,
    _share_runs,
    frames_agree,
    groups_read_everything,
    keyed_routing,
    lost_by_committing_first,
    main,
    open_backend,
    order_per_key,
    redelivery_after_crash,
)

ACCOUNTS = [f"acct-{i}" for i in range(40)]
EVENTS = [
    (f"acct-{i % 6}", ["created", "renamed", "joined-group", "deleted"][i // 6 % 4])
    for i in range(24)
]
NO_ANOMALY = {"lost": 0, "duplicated": 0, "unexpected": 0, "order_per_key": 0}


# -- on the simulator: the lessons -------------------------------------------------------------
def test_keyed_routing_is_murmur2_of_the_key():
    frame = keyed_routing(SimCluster(), ACCOUNTS, partitions=7)
    assert list(frame.columns) == ["account_id", "key", "partition"]
    assert frame["account_id"].tolist() == ACCOUNTS
    assert frame["key"].tolist() == [a.encode() for a in ACCOUNTS]
    assert frame["partition"].tolist() == [partition_for_key(a.encode(), 7) for a in ACCOUNTS]
    assert frame.attrs["summary"] == {"accounts": 40, "partitions_used": 7}


def test_keyed_routing_takes_any_account_id_and_a_backend_name():
    frame = keyed_routing("sim", [42, 7], partitions=3)
    assert frame["key"].tolist() == [b"42", b"7"]


def test_the_same_experiment_twice_on_one_cluster_uses_a_fresh_topic():
    cluster = SimCluster()
    first = keyed_routing(cluster, ACCOUNTS, partitions=3)
    second = keyed_routing(cluster, ACCOUNTS, partitions=3)
    assert first.equals(second)
    assert {"user-accounts", "user-accounts-2"} <= set(cluster.topics)


def test_order_holds_per_key_across_partitions():
    frame = order_per_key(SimCluster(), EVENTS, partitions=3)
    assert list(frame.columns) == ["account_id", "partition", "offset", "event", "seq"]
    assert len(frame) == len(EVENTS)
    assert frame["partition"].nunique() > 1
    for account, rows in frame.groupby("account_id"):
        assert rows["partition"].nunique() == 1, account  # one key, one partition
        assert rows["seq"].is_monotonic_increasing, account
        assert rows["event"].tolist() == [e for a, e in EVENTS if a == account]
    assert frame.attrs["check"] == NO_ANOMALY | {"offsets_backwards": 0}


def test_every_group_reads_every_record():
    frame = groups_read_everything(SimCluster(), 30, groups=("groups-service", "audit-service"))
    assert frame.to_dict("records") == [
        {"group": g, "records_seen": 30, "distinct_offsets": 30, "all_records": True}
        for g in ("groups-service", "audit-service")
    ]


def test_the_second_member_sees_exactly_the_uncommitted_records_again():
    frame = redelivery_after_crash(SimCluster(), n_events=10, commit_after=4)
    assert list(frame.columns) == ["member", "offset", "value", "delivery"]
    first = frame[frame["member"] == "first"]
    second = frame[frame["member"] == "second"]
    assert first["offset"].tolist() == list(range(10))
    assert (first["delivery"] == 1).all()
    assert second["offset"].tolist() == list(range(4, 10))  # from the committed offset
    assert (second["delivery"] == 2).all()
    assert second["value"].tolist() == first["value"].tolist()[4:]
    assert frame.attrs["summary"] == {
        "events": 10,
        "committed_offset": 4,
        "seen_twice": 6,
        "lost": 0,
    }
    assert frame.attrs["check"]["duplicated"] == 6
    assert frame.attrs["check"]["lost"] == 0


@pytest.mark.parametrize("commit_after", [0, 1, 7, 10])
def test_seen_twice_is_everything_after_the_commit(commit_after):
    frame = redelivery_after_crash(SimCluster(), n_events=10, commit_after=commit_after)
    assert frame.attrs["summary"]["seen_twice"] == 10 - commit_after
    assert frame.attrs["summary"]["lost"] == 0


def test_committing_before_processing_loses_the_rest_of_the_batch():
    frame = lost_by_committing_first(SimCluster(), n_events=10, batch=4)
    assert list(frame.columns) == ["member", "offset", "value", "delivery"]
    # Batches 0-3 and 4-7, each committed first; the crash comes after 4 and 5.
    assert frame[frame["member"] == "first"]["offset"].tolist() == [0, 1, 2, 3, 4, 5]
    assert frame[frame["member"] == "second"]["offset"].tolist() == [8, 9]
    assert (frame["delivery"] == 1).all()
    assert frame.attrs["summary"] == {
        "events": 10,
        "committed_offset": 8,
        "seen_twice": 0,
        "lost": 2,
    }


@pytest.mark.parametrize(("batch", "crash_after", "lost"), [(4, 4, 0), (4, 5, 3), (3, 1, 2)])
def test_lost_is_the_unprocessed_part_of_the_committed_batch(batch, crash_after, lost):
    frame = lost_by_committing_first(SimCluster(), 10, batch=batch, crash_after=crash_after)
    assert frame.attrs["summary"]["lost"] == lost
    assert len(frame) == 10 - lost


def test_the_simulator_is_deterministic():
    for name, run in _default_runs().items():
        a, b = run(SimCluster(seed=0)), run(SimCluster(seed=0))
        assert frames_agree(a, b), name


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="'sim' or 'kafka'"):
        with open_backend("rabbitmq"):
            pass
    with pytest.raises(ValueError, match="commit_after"):
        redelivery_after_crash("sim", 3, commit_after=4)
    with pytest.raises(ValueError, match="batch"):
        lost_by_committing_first("sim", 3, batch=0)


def test_a_cluster_passed_in_is_left_open():
    cluster = SimCluster()
    with open_backend(cluster) as opened:
        assert opened is cluster
    keyed_routing(cluster, ["acct-1"], 3)  # still usable


def test_frames_agree_looks_at_values_and_summaries():
    a = keyed_routing("sim", ["acct-1", "acct-2"], 3)
    b = a.copy()
    b.attrs["summary"] = {"accounts": 3}
    assert not frames_agree(a, b)
    assert not frames_agree(a, a.assign(partition=[0, 0]))


# -- on a real Kafka: the same frames ----------------------------------------------------------
@pytest.fixture
def real_cluster(kafka_bootstrap):
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        yield cluster


@pytest.mark.kafka
@pytest.mark.rabbitmq  # log_versus_queue also runs on RabbitMQ
@pytest.mark.parametrize("name", list(_default_runs()))
def test_the_broker_gives_the_simulators_frame(real_cluster, name):
    run = _default_runs()[name]
    simulated = run(SimCluster(seed=0))
    real = run(real_cluster)
    pd.testing.assert_frame_equal(real, simulated)
    assert real.attrs["summary"] == simulated.attrs["summary"]
    assert real.attrs.get("check") == simulated.attrs.get("check")
    assert frames_agree(simulated, real)


@pytest.mark.kafka
def test_the_backend_name_kafka_opens_and_cleans_up_a_real_cluster(kafka_bootstrap):
    frame = redelivery_after_crash("kafka", n_events=5, commit_after=2)
    assert frame.attrs["summary"]["seen_twice"] == 3


@pytest.mark.kafka
@pytest.mark.rabbitmq
def test_fidelity_report_agrees_everywhere(kafka_bootstrap, capsys):
    """make fidelity: every experiment of this module and of the course's modules agrees."""
    assert main(["--fidelity", "--bootstrap", kafka_bootstrap]) == 0
    out = capsys.readouterr().out
    names = [*_default_runs(), *_course_runs(), *_share_runs()]
    for name in names:
        assert f"{name}: agree" in out, out
    assert f"{len(names)} of {len(names)} experiments agree" in out
    assert "redelivery_after_crash" in out and "seen_twice=6" in out


def test_without_a_broker_the_fidelity_entry_says_so_in_one_line(capsys):
    assert main(["--fidelity", "--bootstrap", "127.0.0.1:1"]) == 2
    assert "not reachable" in capsys.readouterr().err


def test_counts_and_groups_are_checked():
    from simkafka.experiments import retention_on_segments

    with pytest.raises(ValueError, match="batch"):
        lost_by_committing_first("sim", 10, batch=0)
    with pytest.raises(ValueError, match="distinct group names"):
        groups_read_everything("sim", 5, groups="abc")
    with pytest.raises(ValueError, match="simulator-only"):
        retention_on_segments("kafka")
