"""The replication drawings, checked by artist: replica strips, the high watermark, the timeline."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from simkafka import failover, viz  # noqa: E402


def three_replicas_one_frozen():
    cluster = failover.sim_cluster()
    cluster.create_topic("payments", 1, replication_factor=3)
    producer = cluster.producer(acks=1)
    for _ in range(5):
        producer.send("payments", value=b"x").get()
    row = cluster.replicas("payments").iloc[0]
    frozen = next(b for b in row.replicas if b != row.leader)
    cluster.pause_broker(frozen)
    for _ in range(3):
        producer.send("payments", value=b"y").get()
    cluster.advance(8000)  # the frozen follower is fenced and leaves the ISR
    return cluster, frozen


def test_each_replica_is_a_strip_as_long_as_its_log_and_the_hw_is_marked() -> None:
    cluster, frozen = three_replicas_one_frozen()
    fig = viz.replica_logs(cluster.replica_logs("payments"))
    ax = fig.axes[0]
    widths = {
        int(p.get_gid().rsplit("-", 1)[1]): p.get_width()
        for p in ax.patches
        if (p.get_gid() or "").startswith("replica-")
    }
    assert widths[frozen] == 5 and sorted(widths.values()) == [5, 8, 8]
    assert {line.get_xdata()[0] for line in ax.lines if line.get_gid() == "hw"} == {8}
    assert any("(paused)" in t.get_text() for t in ax.texts)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sum("(leader)" in label for label in labels) == 1


def test_a_real_clusters_unknown_log_ends_are_drawn_to_the_hw() -> None:
    frame = pd.DataFrame(
        [(0, 1, "up", None, True, True, 4), (0, 2, "down", None, False, False, 4)],
        columns=["partition", "broker", "state", "log_end_offset", "leader", "in_isr", "hw"],
    )
    ax = viz.replica_logs(frame).axes[0]
    strips = [p for p in ax.patches if (p.get_gid() or "").startswith("replica-")]
    assert [p.get_width() for p in strips] == [4, 4]
    assert all(p.get_hatch() == "//" for p in strips)
    assert any(t.get_text() == "LEO ? (down)" for t in ax.texts)


def test_timeline_shades_the_leaderless_stretch_per_backend() -> None:
    timeline = failover.acks_one_loss("sim").attrs["timeline"]
    fig = viz.failover_timeline({"simulator": timeline, "slower": timeline * [2, 1]})
    ax = fig.axes[0]
    leaderless = [c for c in ax.collections if c.get_gid() == "span-no leader"]
    assert len(leaderless) == 2
    # from the kill (1 s) until the controller fenced the leader, a session (3 s) later
    spans = [sorted({x for x, _ in c.get_paths()[0].vertices}) for c in leaderless]
    assert spans == [[1.0, 4.0], [2.0, 8.0]]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["simulator", "slower"]


def test_an_instant_failover_reads_as_an_instant_not_a_full_axis() -> None:
    # A simulated controlled shutdown: every event at 0 ms.
    timeline = failover.leader_failover("sim").attrs["timeline"]
    assert set(timeline["time_ms"]) == {0}
    ax = viz.failover_timeline(timeline).axes[0]
    left, right = ax.get_xlim()
    assert right >= 1.0
    for span in (c for c in ax.collections if (c.get_gid() or "").startswith("span-")):
        xs = [x for x, _ in span.get_paths()[0].vertices]
        assert max(xs) - min(xs) <= 0.05 * (right - left)


def test_wrong_table_names_its_columns() -> None:
    with pytest.raises(ValueError, match="replica_logs\\(\\) needs a table with columns"):
        viz.replica_logs(pd.DataFrame({"partition": [0]}))
    with pytest.raises(ValueError, match="time_ms, event"):
        viz.failover_timeline(pd.DataFrame({"x": [1]}))
