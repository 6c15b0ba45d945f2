"""Dashboards driven as a learner drives them: sliders set, buttons clicked, no browser.

Each test checks the cluster's state (members, assignment, records) and what the panels show
(the drawings' tick labels, texts and artists).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from simkafka.widgets import (  # noqa: E402
    Dashboard,
    group_dashboard,
    lag_dashboard,
    rebalance_dashboard,
)

PNG = b"\x89PNG\r\n\x1a\n"


def ownership_rows(dash: Dashboard) -> list[str]:
    return [t.get_text() for t in dash.figures["ownership"].axes[0].get_yticklabels()]


def ownership_boxes(dash: Dashboard) -> list[str]:
    return sorted(t.get_text() for t in dash.figures["ownership"].axes[0].texts)


def logs_title(dash: Dashboard) -> str:
    return dash.figures["logs"].axes[0].get_title(loc="left")


def steps(dash: Dashboard, n: int) -> None:
    for _ in range(n):
        dash.step_button.click()


def test_sliders_start_a_settled_group_drawn_by_member():
    dash = group_dashboard(partitions=4, consumers=2, seed=0)
    assert dash.members == ["consumer-1", "consumer-2"]
    assert dash.owners() == {0: "consumer-1", 1: "consumer-1", 2: "consumer-2", 3: "consumer-2"}
    assert ownership_rows(dash) == ["consumer-1", "consumer-2"]
    assert ownership_boxes(dash) == ["P0", "P1", "P2", "P3"]
    assert all(bytes(image.value[:8]) == PNG for image in dash.images.values())
    assert "user-accounts: 4 partitions, 0 records" in logs_title(dash)


def test_produce_button_sends_the_boxes_count_over_the_sliders_keys():
    dash = Dashboard(partitions=3, consumers=1)
    dash.keys_slider.value = 3
    dash.records_text.value = 40
    dash.produce_button.click()
    records = dash.cluster.records("user-accounts")
    assert len(records) == 40
    assert set(records["key"]) <= {b"acct-0", b"acct-1", b"acct-2"}
    assert "40 records" in logs_title(dash)
    assert "acct-2" in dash.legend.value and "acct-3" not in dash.legend.value


def test_a_step_polls_and_commits_each_members_records():
    dash = Dashboard(partitions=2, consumers=2, records_per_poll=5)
    dash.produce(40)
    steps(dash, 2)
    state = dash.cluster.group_state("groups-service")
    assert state["committed"].tolist() == [10, 10]  # 5 a poll, one poll a step, each member
    assert dash.time_ms == 2000
    markers = {line.get_gid(): line for line in dash.figures["logs"].axes[0].lines}
    assert sorted(markers["committed"].get_xdata()) == [10, 10]


def test_add_consumer_joins_at_its_first_poll_and_takes_partitions():
    dash = Dashboard(partitions=4, consumers=2)
    dash.add_button.click()
    assert dash.members == ["consumer-1", "consumer-2", "consumer-3"]
    assert dash.consumers_slider.value == 3
    assert "consumer-3" not in dash.owners().values()
    assert ownership_rows(dash)[-1] == "consumer-3"  # shown idle until it joins
    steps(dash, 2)
    assert dash.owners() == {0: "consumer-1", 1: "consumer-1", 2: "consumer-2", 3: "consumer-3"}


def test_stop_sends_leave_group_so_the_rest_take_over_at_once():
    dash = Dashboard(partitions=4, consumers=2)
    dash.member_dropdown.value = "consumer-1"
    dash.stop_button.click()
    assert dash.members == ["consumer-2"]
    steps(dash, 1)
    assert set(dash.owners().values()) == {"consumer-2"}
    assert ownership_rows(dash) == ["consumer-2"]


def test_a_crashed_consumer_keeps_its_partitions_until_its_session_expires():
    dash = Dashboard(partitions=4, consumers=2, session_timeout_ms=6000, step_ms=1000)
    dash.member_dropdown.value = "consumer-1"
    dash.crash_button.click()
    assert "waiting for the session of consumer-1" in dash.status.value
    assert ownership_rows(dash) == ["consumer-2", "consumer-1 (crashed)"]
    steps(dash, 5)
    assert dash.owners()[0] == "consumer-1"
    steps(dash, 3)
    assert set(dash.owners().values()) == {"consumer-2"}
    assert dash.crashed_in_group() == []
    assert ownership_rows(dash) == ["consumer-2"]


def test_consumers_slider_adds_and_stops_members():
    dash = Dashboard(partitions=6, consumers=1)
    dash.consumers_slider.value = 3
    assert dash.members == ["consumer-1", "consumer-2", "consumer-3"]
    steps(dash, 2)
    assert set(dash.owners().values()) == {"consumer-1", "consumer-2", "consumer-3"}
    dash.consumers_slider.value = 1
    assert dash.members == ["consumer-1"]


def test_more_partitions_grow_the_topic_fewer_start_afresh():
    dash = Dashboard(partitions=3, consumers=1)
    dash.produce(30)
    dash.partitions_slider.value = 5
    assert dash.cluster.num_partitions("user-accounts") == 5
    assert len(dash.cluster.records("user-accounts")) == 30
    dash.partitions_slider.value = 2
    assert dash.cluster.num_partitions("user-accounts") == 2
    assert len(dash.cluster.records("user-accounts")) == 0
    assert "cannot remove partitions" in dash.status.value


def test_the_protocol_follows_the_assignor_as_in_kafka():
    dash = Dashboard(partitions=4, consumers=2)
    dash.protocol_toggle.value = "cooperative"
    assert dash.assignor_dropdown.value == "cooperative-sticky"
    steps(dash, 3)
    group = dash.cluster.coordinator.groups["groups-service"]
    assert group.protocol == "cooperative-sticky"
    dash.assignor_dropdown.value = "roundrobin"
    assert dash.protocol_toggle.value == "eager"
    steps(dash, 2)
    assert dash.cluster.coordinator.groups["groups-service"].protocol == "roundrobin"
    assert dash.owners() == {0: "consumer-5", 1: "consumer-6", 2: "consumer-5", 3: "consumer-6"}


def test_play_steps_on_each_tick_and_reset_starts_over():
    dash = Dashboard(partitions=2, consumers=1)
    dash.produce(10)
    dash.play.value = 1
    dash.play.value = 2
    assert dash.time_ms == 2000
    dash.reset_button.click()
    assert dash.time_ms == 0 and dash.play.value == 0
    assert len(dash.cluster.records("user-accounts")) == 0
    assert dash.members == ["consumer-1"]


def test_a_step_redraws_only_the_panels_that_changed():
    dash = Dashboard(partitions=3, consumers=2)
    dash.produce(30)
    ownership_png = dash.images["ownership"].value
    logs_png = dash.images["logs"].value
    steps(dash, 1)
    assert dash.images["ownership"].value is ownership_png
    assert bytes(dash.images["logs"].value) != bytes(logs_png)  # positions and commits moved


def test_the_same_seed_draws_the_same_pictures():
    def session() -> dict[str, bytes]:
        dash = rebalance_dashboard(partitions=4, consumers=2, seed=3)
        dash.produce(25)
        dash.add_consumer()
        steps(dash, 3)
        dash.crash_consumer("consumer-2")
        steps(dash, 7)
        return {name: bytes(image.value) for name, image in dash.images.items()}

    assert session() == session()


def test_rebalance_dashboard_draws_the_listener_calls():
    dash = rebalance_dashboard(partitions=4, consumers=2)
    dash.add_consumer()
    steps(dash, 2)
    ax = dash.figures["timeline"].axes[0]
    calls = [t.get_text() for t in ax.get_xticklabels()]
    assert "consumer-3 assigned" in calls
    assert "consumer-1 revoked" in calls  # eager: everyone revokes everything


def test_lag_dashboard_samples_lag_after_every_step():
    dash = lag_dashboard(partitions=2, consumers=1, records_per_poll=2)
    dash.produce(20)
    steps(dash, 3)
    ax = dash.figures["lag"].axes[0]
    assert [c.get_gid() for c in ax.collections] == ["partition 0", "partition 1"]
    lags = dash.cluster.group_state("groups-service")["lag"].tolist()
    assert sum(lags) == 20 - 3 * 2


def test_import_simkafka_loads_no_drawing_or_widget_library():
    code = (
        "import sys, simkafka\n"
        "print([m for m in ('matplotlib', 'ipywidgets', 'pandas') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_timeline_panel_shows_listener_calls_in_the_order_they_happened(monkeypatch):
    from simkafka import viz

    drawn = []
    real_timeline = viz.rebalance_timeline

    def capture(events, *args, **kwargs):
        drawn.append(events)
        return real_timeline(events, *args, **kwargs)

    monkeypatch.setattr(viz, "rebalance_timeline", capture)
    board = rebalance_dashboard(partitions=6, consumers=3, seed=0)
    happened = board.cluster.events()
    happened = happened[happened["event"].isin(("assign", "revoke", "lost"))]
    shown = drawn[-1]
    assert list(shown["event"]) == list(happened["event"])[-len(shown) :]
    assert list(shown["member"]) == list(happened["member"])[-len(shown) :]


@pytest.mark.parametrize(
    "settings, named",
    [
        ({"partitions": 0}, "partitions"),
        ({"partitions": 25}, "partitions"),
        ({"consumers": -1}, "consumers"),
        ({"keys": 0}, "keys"),
        ({"records": 0}, "records"),
    ],
)
def test_a_value_outside_a_sliders_range_is_refused_not_clamped(settings, named):
    from simkafka.errors import IllegalArgumentError

    with pytest.raises(IllegalArgumentError, match=f"{named} must be an int from"):
        rebalance_dashboard(**settings)
