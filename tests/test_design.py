"""check_design: the key decides which order is kept, partitions cap useful consumers, a hot key
skews the load; the broker gives the simulator's table."""

from __future__ import annotations

import pytest

from simkafka.design import (
    DESIGN_COLUMNS,
    PLAYBALL_DESIGN,
    check_design,
    key_routing,
    playball_events,
)
from simkafka.experiments import frames_agree


def scoreboard(key: str, partitions: int = 4, consumers: int = 4) -> dict:
    return {
        "topics": {"match-events": {"partitions": partitions, "key": key}},
        "groups": {
            "scoreboard": {"topic": "match-events", "consumers": consumers, "order_by": "match_id"}
        },
    }


GOOD = PLAYBALL_DESIGN


def test_playball_events_are_in_send_order() -> None:
    events = playball_events()
    assert [int(e["seq"]) for e in events] == list(range(len(events)))
    assert sum(e["topic"] == "match-events" for e in events) == 24
    assert sum(e["topic"] == "user-accounts" for e in events) == 24


def test_keying_by_match_keeps_each_matchs_order() -> None:
    row = check_design("sim", scoreboard("match_id")).iloc[0]
    assert bool(row["order_kept"]) and bool(row["sees_everything"])


def test_keying_by_team_spreads_a_match_over_partitions() -> None:
    frame = check_design("sim", scoreboard("team_id"))
    assert list(frame.columns) == DESIGN_COLUMNS
    assert not frame["order_kept"].iloc[0]
    assert "3 of 4 match_id values" in frame.attrs["summary"]["problems"][0]


def test_one_hot_key_leaves_consumers_idle() -> None:
    row = check_design("sim", scoreboard("tournament_id")).iloc[0]
    assert row["max_useful_consumers"] == 1 and row["active_consumers"] == 1
    assert row["skew"] == 4.0  # one member of four does all the work


def test_more_consumers_than_partitions_do_not_help() -> None:
    frame = check_design("sim", scoreboard("match_id", partitions=2, consumers=4))
    assert frame["active_consumers"].iloc[0] == 2
    assert any("2 get nothing to do" in p for p in frame.attrs["summary"]["problems"])
    one_idle = check_design("sim", scoreboard("match_id", partitions=3, consumers=4))
    assert any(
        p.endswith("records in only 3 partitions: 1 gets nothing to do")
        for p in one_idle.attrs["summary"]["problems"]
    )


def test_key_routing_is_where_check_design_finds_the_load() -> None:
    by_team = scoreboard("team_id")
    routing = key_routing(by_team, "match-events")
    assert routing.attrs["partitions"] == 4 and routing["records"].sum() == 24
    busiest = routing.groupby("partition")["records"].sum().max()
    mean = routing["records"].sum() / 4
    assert check_design("sim", by_team)["skew"].iloc[0] == busiest / mean
    by_match = key_routing(
        by_team | {"topics": {"match-events": {"partitions": 4, "key": "match_id"}}}, "match-events"
    )
    assert sorted(by_match["key"]) == ["match-1", "match-2", "match-3", "match-4"]


def test_a_good_design_has_no_problems() -> None:
    frame = check_design("sim", GOOD)
    assert frame.attrs["summary"] == {"ok": True, "problems": []}
    assert frame["group"].tolist() == ["scoreboard", "groups-service"]


def test_a_group_must_read_a_designed_topic() -> None:
    with pytest.raises(ValueError, match="not a designed topic"):
        check_design(
            "sim", {"topics": GOOD["topics"], "groups": {"x": {"topic": "y", "consumers": 1}}}
        )


def test_a_topic_needs_a_key_field() -> None:
    with pytest.raises(ValueError, match="key must name an event field"):
        check_design(
            "sim", {"topics": {"match-events": {"partitions": 1, "key": None}}, "groups": {}}
        )


@pytest.mark.kafka
def test_the_broker_gives_the_simulators_table() -> None:
    simulated = check_design("sim", GOOD)
    real = check_design("kafka", GOOD)
    assert frames_agree(simulated, real), (simulated.to_string(), real.to_string())
