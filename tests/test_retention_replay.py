"""Retention and replay: a log keeps history for new readers until retention deletes it.

On SimCluster the assertions are the lessons: a new group replays from offset 0, a reset
group re-reads, a group started after a deletion begins at the new log start offset, and
time-based retention deletes whole segments, only when the broker's retention check runs.
Marked ``kafka``, the same experiment on a RealCluster gives the simulator's frame.
"""

import pytest

from simkafka import SimCluster
from simkafka.experiments import (
    RETENTION_AND_REPLAY_COLUMNS,
    frames_agree,
    retention_and_replay,
    retention_on_segments,
)


# -- on the simulator: the lessons -------------------------------------------------------------
def test_a_new_group_replays_everything_from_offset_0():
    frame = retention_and_replay(SimCluster(), n_events=12)
    assert list(frame.columns) == RETENTION_AND_REPLAY_COLUMNS
    assert frame["phase"].tolist() == ["replay", "reset", "after-retention"]
    replay = frame.iloc[0]
    assert (replay.group, replay.first_offset, replay.last_offset, replay.records_seen) == (
        "audit-service",
        0,
        11,
        12,
    )


def test_a_reset_group_reads_everything_again():
    frame = retention_and_replay("sim", n_events=9)
    reset = frame.iloc[1]
    assert (reset.group, reset.first_offset, reset.records_seen) == ("audit-service", 0, 9)


def test_after_deletion_a_new_group_starts_at_the_new_log_start_offset():
    frame = retention_and_replay("sim", n_events=12, delete_before=8)
    after = frame.iloc[2]
    assert (after.group, after.first_offset, after.last_offset, after.records_seen) == (
        "reporting-service",
        8,
        11,
        4,
    )
    assert frame.attrs["summary"] == {
        "events": 12,
        "log_start_offset_before": 0,
        "log_start_offset_after": 8,
        "records_seen": {"replay": 12, "reset": 12, "after-retention": 4},
    }


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="delete_before"):
        retention_and_replay("sim", n_events=3, delete_before=4)
    with pytest.raises(ValueError, match="n_events"):
        retention_and_replay("sim", n_events=0)


def test_retention_deletes_whole_segments():
    frame = retention_on_segments(12)
    summary = frame.attrs["summary"]
    # An event every 10 s, segment.ms 30 s: a segment rolls when a timestamp is strictly
    # more than 30 s past its first, so four events a segment.
    assert summary["segment_bases"] == [0, 4, 8]
    starts = frame["log_start_offset"].unique().tolist()
    assert starts == [0, 4, 8, 12]
    assert all(s in summary["segment_bases"] + [12] for s in starts)


def test_retention_waits_for_the_retention_check():
    frame = retention_on_segments(12, check_interval_ms=30_000).set_index("elapsed_ms")
    # The first segment's newest record is from 30 s: past retention.ms (60 s) after 90 s,
    # but nothing is deleted until the check at 120 s.
    assert frame.loc[100_000, "log_start_offset"] == 0
    assert frame.loc[110_000, "log_start_offset"] == 0
    assert frame.loc[120_000, "log_start_offset"] == 4
    assert frame.attrs["summary"]["jumps"] == [(120_000, 0, 4), (150_000, 4, 8), (180_000, 8, 12)]
    # With Kafka's default check every 5 minutes, nothing goes for 5 minutes, then all of it.
    slow = retention_on_segments(12, check_interval_ms=300_000, horizon_ms=300_000)
    assert slow.attrs["summary"]["jumps"] == [(300_000, 0, 12)]


def test_retention_ms_minus_1_keeps_forever():
    frame = retention_on_segments(12, retention_ms=-1, horizon_ms=3_600_000, step_ms=600_000)
    assert frame["log_start_offset"].eq(0).all()
    assert frame["records_retained"].iloc[-1] == 12
    assert frame.attrs["summary"]["jumps"] == []


# -- on a real broker: the simulator's frame ---------------------------------------------------
@pytest.mark.kafka
def test_the_broker_gives_the_simulators_frame(kafka_bootstrap):
    from simkafka.real import RealCluster

    simulated = retention_and_replay(SimCluster(), n_events=12)
    with RealCluster(kafka_bootstrap) as cluster:
        real = retention_and_replay(cluster, n_events=12)
    assert frames_agree(simulated, real), (simulated, real)
