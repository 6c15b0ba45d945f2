"""History in a log: retention by time and size on segments, going back with offsets, and the
lost update that a log without per-key compare-and-set allows. Both backends where there are two."""

from __future__ import annotations

import pytest

from simkafka.experiments import frames_agree
from simkafka.history import (
    LOST_UPDATE_COLUMNS,
    RESET_COLUMNS,
    RETENTION_COLUMNS,
    fold_accounts,
    lost_update,
    reset_offsets,
    retention_timeline,
)


def test_size_retention_waits_until_a_whole_segment_can_go() -> None:
    frame = retention_timeline(12, retention_bytes=600)
    assert list(frame.columns) == RETENTION_COLUMNS
    assert frame.attrs["summary"]["segment_bases"] == [0, 4, 8]
    # Over 600 bytes from 70 s on, but the first segment (332 bytes) may go only once the log
    # stays at or over 600 bytes without it: at the check of 120 s (1033 - 332 = 701).
    assert frame.attrs["summary"]["jumps"] == [(120000, 0, 4)]
    over = frame[frame["bytes_retained"] > 600]
    assert over["elapsed_ms"].min() == 70000
    assert frame["bytes_retained"].iloc[-1] >= 600


def test_time_retention_jumps_by_whole_segments_at_the_check() -> None:
    frame = retention_timeline(12, retention_ms=60_000)
    jumps = frame.attrs["summary"]["jumps"]
    assert [(a, b) for _, a, b in jumps] == [(0, 4), (4, 8), (8, 12)]
    assert all(t % 30_000 == 0 for t, _, _ in jumps)  # only when the retention check runs


def test_no_limits_keep_everything() -> None:
    frame = retention_timeline(12)
    assert frame.attrs["summary"]["jumps"] == []
    assert frame["log_start_offset"].eq(0).all()


def test_a_longer_check_interval_delays_deletion() -> None:
    quick = retention_timeline(12, retention_ms=60_000, check_interval_ms=30_000)
    slow = retention_timeline(
        12, retention_ms=60_000, check_interval_ms=300_000, horizon_ms=600_000
    )
    assert quick.attrs["summary"]["jumps"][0][0] == 120_000
    assert slow.attrs["summary"]["jumps"] == [(300_000, 0, 12)]


def test_reset_and_seek_reread_from_the_chosen_offset() -> None:
    frame = reset_offsets("sim", n_events=12, to_offset=4)
    assert list(frame.columns) == RESET_COLUMNS
    seen = frame.set_index("how")["records_seen"].to_dict()
    assert seen == {
        "read": 12,
        "alter while running": 0,
        "alter_group_offsets": 8,
        "reset_group_offsets(earliest)": 12,
        "seek": 8,
    }
    assert frame.attrs["summary"]["refused"] == "UnknownMemberIdError"
    assert frame["committed"].eq(12).all()


def test_reset_offsets_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="to_offset"):
        reset_offsets("sim", n_events=3, to_offset=4)


def test_fold_keeps_the_last_snapshot_per_account() -> None:
    state = fold_accounts(
        [
            {"account": "a", "version": 1, "email": "x"},
            {"account": "b", "version": 1, "email": "y"},
            {"account": "a", "version": 2, "email": "z"},
        ]
    )
    assert state["a"]["email"] == "z" and state["b"]["email"] == "y"


def test_two_writers_from_one_version_lose_an_update() -> None:
    frame = lost_update("sim")
    assert list(frame.columns) == LOST_UPDATE_COLUMNS
    assert frame["offset"].tolist() == [0, 1, 2]  # both appends accepted
    summary = frame.attrs["summary"]
    assert summary["appends_accepted"] == 2
    assert summary["duplicate_versions"] == [2]
    assert summary["lost"] == ["profile-service: email=ann@newmail.example"]
    assert summary["final"]["display_name"] == "Ann B."


def test_writers_taking_turns_lose_nothing() -> None:
    summary = lost_update("sim", interleaved=False).attrs["summary"]
    assert summary["lost"] == [] and summary["duplicate_versions"] == []
    assert summary["final"] == {
        "version": 3,
        "email": "ann@newmail.example",
        "display_name": "Ann B.",
    }


def test_lost_update_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="field 'phone'"):
        lost_update("sim", changes=[("x", "phone", "1")])


@pytest.mark.kafka
@pytest.mark.parametrize(
    "run",
    [
        lambda b: reset_offsets(b, n_events=12, to_offset=4),
        lambda b: lost_update(b),
        lambda b: lost_update(b, interleaved=False),
    ],
    ids=["reset_offsets", "lost_update", "lost_update_in_turns"],
)
def test_the_broker_gives_the_simulators_frame(run) -> None:
    simulated = run("sim")
    real = run("kafka")
    assert frames_agree(simulated, real), (simulated.to_string(), real.to_string())
