"""Offsets and delivery (notebook 05): the lessons on the simulator, the same frames on Kafka.

On SimCluster the assertions are the lessons: a member resumes at the committed offset,
auto-commit commits what earlier polls returned (so a crash re-reads the last processed batch,
or skips what a worker had not processed yet), a new group starts at the log end unless told
otherwise, and lag is the log end minus the committed offset. Marked ``kafka``, each
experiment runs on a real broker too and must give the simulator's frame, summary and timeline.
"""

import pytest

from simkafka import SimCluster
from simkafka.delivery import (
    LAG_COLUMNS,
    NEW_GROUP_COLUMNS,
    TIMELINE_COLUMNS,
    auto_commit_duplicates,
    auto_commit_loses,
    consumer_lag,
    new_group_start,
    resume_after_crash,
)
from simkafka.experiments import frames_agree


def offsets_by_member(frame):
    return frame.groupby("member", sort=False)["offset"].agg(list).to_dict()


# -- on the simulator: the lessons -------------------------------------------------------------
@pytest.mark.parametrize("processed", [0, 1, 4, 10])
def test_a_member_resumes_exactly_at_the_committed_offset(processed):
    frame = resume_after_crash(SimCluster(), n_events=10, processed=processed)
    assert list(frame.columns) == ["member", "offset", "value", "delivery"]
    assert frame["offset"].tolist() == list(range(10))  # each record once, in order
    assert set(frame["delivery"]) == {1}
    first = frame[frame.member == "first"]["offset"].tolist()
    assert first == list(range(processed))
    assert frame.attrs["summary"] == {
        "events": 10,
        "committed_offset": processed,
        "seen_twice": 0,
        "lost": 0,
    }


def test_auto_commit_in_the_next_poll_commits_what_the_last_poll_returned():
    frame = auto_commit_duplicates(SimCluster(), n_events=10, batch=4)
    timeline = frame.attrs["timeline"]
    assert list(timeline.columns) == TIMELINE_COLUMNS
    assert timeline["committed"].isna().tolist() == [True, False]  # nothing due at poll 1
    assert timeline["committed"].tolist()[1] == 4  # poll 2 committed poll 1's records
    assert timeline["returned"].tolist() == ["0-3", "4-7"]


def test_a_crash_after_processing_before_the_next_auto_commit_duplicates_the_batch():
    frame = auto_commit_duplicates(SimCluster(), n_events=10, batch=4)
    assert offsets_by_member(frame) == {"first": list(range(8)), "second": [4, 5, 6, 7, 8, 9]}
    twice = frame[frame.delivery == 2]["offset"].tolist()
    assert twice == [4, 5, 6, 7]
    assert frame.attrs["summary"] == {
        "events": 10,
        "committed_offset": 4,
        "seen_twice": 4,
        "lost": 0,
    }
    assert frame.attrs["check"]["duplicated"] == 4


def test_auto_commit_with_a_lagging_worker_loses_what_the_worker_had_not_processed():
    frame = auto_commit_loses(SimCluster(), n_events=10, batch=4, worker_pace=2)
    timeline = frame.attrs["timeline"]
    assert timeline["committed"].tolist()[1:] == [4, 8]
    assert timeline["processed"].tolist() == ["0-1", "2-3", "4-5"]
    assert offsets_by_member(frame) == {"first": [0, 1, 2, 3, 4, 5], "second": [8, 9]}
    assert frame.attrs["summary"] == {
        "events": 10,
        "committed_offset": 8,
        "seen_twice": 0,
        "lost": 2,
    }


def test_a_fast_enough_worker_loses_nothing():
    frame = auto_commit_loses(SimCluster(), n_events=10, batch=4, worker_pace=4)
    assert frame.attrs["summary"]["lost"] == 0


def test_auto_commit_waits_for_its_interval_whatever_its_length():
    frame = auto_commit_duplicates(SimCluster(), n_events=10, batch=4, interval_ms=5000)
    assert frame.attrs["timeline"]["committed"].tolist()[1] == 4


def test_a_new_group_starts_at_the_log_end_by_default():
    frame = new_group_start(SimCluster(), old_events=6, new_events=3)
    assert list(frame.columns) == NEW_GROUP_COLUMNS
    rows = frame.set_index("group")
    assert rows.loc["dashboard", "auto_offset_reset"] == "latest"
    assert rows.loc["dashboard", "first_offset"] == 6  # the old events are never seen
    assert rows.loc["dashboard", "records_seen"] == 3
    assert rows.loc["audit-service", "auto_offset_reset"] == "earliest"
    assert rows.loc["audit-service", "first_offset"] == 0
    assert rows.loc["audit-service", "records_seen"] == 9


def test_the_simulator_consumer_default_is_latest_as_in_kafka_python():
    cluster = SimCluster()
    assert cluster.consumer(group_id="g").config["auto_offset_reset"] == "latest"


def test_lag_is_log_end_minus_committed():
    frame = consumer_lag(SimCluster(), n_events=12, batch=4, more_events=3)
    assert list(frame.columns) == LAG_COLUMNS
    assert (frame["lag"] == frame["log_end_offset"] - frame["committed"]).all()
    assert frame["lag"].tolist() == [8, 4, 0, 3]
    assert frame["step"].tolist()[-1] == "after 3 new sends"


@pytest.mark.parametrize(
    "call",
    [
        lambda: resume_after_crash("sim", n_events=3, processed=4),
        lambda: auto_commit_duplicates("sim", batch=0),
        lambda: auto_commit_loses("sim", worker_pace=0),
        lambda: new_group_start("sim", new_events=0),
        lambda: consumer_lag("sim", batch=0),
    ],
)
def test_wrong_counts_say_which_argument(call):
    with pytest.raises(ValueError, match="must be"):
        call()


# -- on a real broker: the same frames ---------------------------------------------------------
@pytest.fixture
def real_cluster(kafka_bootstrap):
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        yield cluster


@pytest.mark.kafka
@pytest.mark.parametrize(
    "run",
    [
        lambda c: resume_after_crash(c, n_events=10, processed=4),
        lambda c: auto_commit_duplicates(c),
        lambda c: auto_commit_loses(c),
        lambda c: new_group_start(c),
        lambda c: consumer_lag(c),
    ],
    ids=["resume", "auto-duplicates", "auto-loses", "new-group", "lag"],
)
def test_the_broker_gives_the_simulators_frame(real_cluster, run):
    simulated, real = run(SimCluster()), run(real_cluster)
    assert frames_agree(simulated, real), f"\n{simulated}\n{real}"
    if "timeline" in simulated.attrs:
        assert simulated.attrs["timeline"].equals(real.attrs["timeline"]), real.attrs["timeline"]


def test_consumer_lag_reads_its_own_topic_when_the_group_committed_elsewhere():
    """A cluster shared by several experiments: groups-service committed on an earlier topic."""
    cluster = SimCluster()
    resume_after_crash(cluster)
    assert consumer_lag(cluster)["lag"].tolist() == [8, 4, 0, 3]
