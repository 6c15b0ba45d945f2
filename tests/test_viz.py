"""simkafka.viz: each drawing on the simulator's tables and on a real broker's, checked by artist."""

from __future__ import annotations

import re
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from simkafka import SimCluster, TopicPartition, viz  # noqa: E402
from simkafka.members import GroupMembers  # noqa: E402

TOPIC = "user-accounts"


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _ytick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def _keyed_log(cluster, partitions: int, n: int, accounts: int = 5) -> str:
    """The auth service's ``n`` events over ``accounts`` accounts, keyed by account id."""
    topic = cluster.topic_name(TOPIC)
    admin = cluster.admin()
    from simkafka import NewTopic

    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    for i in range(n):
        producer.send(topic, key=f"acct-{i % accounts}", value=f"event-{i}")
    producer.flush()
    producer.close()
    return topic


# -- colours ---------------------------------------------------------------------------------
def test_a_key_has_one_colour_as_bytes_or_text():
    assert viz.key_color(b"acct-3") == viz.key_color("acct-3")
    assert viz.key_color(None) == viz.NO_KEY_COLOR
    assert len({viz.key_color(f"acct-{i}") for i in range(len(viz.KEY_PALETTE))}) == len(
        viz.KEY_PALETTE
    )


def test_member_colour_does_not_depend_on_what_was_drawn_before():
    first = [viz.member_color(m) for m in ("a", "b", "c", "groups-service")]
    viz.member_color("zeta-member")
    viz.key_color("acct-99")
    assert [viz.member_color(m) for m in ("c", "b", "a", "groups-service")] == first[2::-1] + [
        first[3]
    ]
    member_id = "a-5f0c7e6e-1c3a-4b1e-9d1f-0a1b2c3d4e5f"
    assert viz.member_color(member_id) == viz.member_color("a")


def test_members_past_the_palette_are_told_apart_by_hatch():
    n = len(viz.MEMBER_PALETTE)
    a, h = "a", chr(ord("a") + n)
    assert viz.member_color(a) == viz.member_color(h)
    assert viz.member_hatch(a) != viz.member_hatch(h)


# -- 1. partition logs ------------------------------------------------------------------------
@pytest.fixture
def small_log():
    cluster = SimCluster(seed=1)
    topic = _keyed_log(cluster, partitions=3, n=30)
    return cluster, topic


def test_each_record_is_one_cell_in_its_partitions_strip(small_log):
    cluster, topic = small_log
    records, partitions = viz.log_tables(cluster, topic)
    fig = viz.partition_logs(records, partitions, topic=topic)
    ax = fig.axes[0]
    (cells,) = _by_gid(ax, "records")
    assert isinstance(cells, PolyCollection)
    assert len(cells.get_paths()) == len(records) == 30
    assert _ytick_labels(ax) == ["0", "1", "2"]
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("partition", "offset")
    # each cell has its key's colour
    expected = [viz.key_color(k) for k in records["key"]]
    assert [to_hex(c) for c in cells.get_facecolors()] == [e.lower() for e in expected]
    assert "key acct-0" in _legend_texts(ax)
    assert ax.get_title(loc="left").startswith(f"{topic}: 3 partitions, 30 records")


def test_log_start_and_end_offsets_are_marked_per_partition(small_log):
    cluster, topic = small_log
    records, partitions = viz.log_tables(cluster, topic)
    ax = viz.partition_logs(records, partitions).axes[0]
    (starts,) = _by_gid(ax, "log_start_offset")
    (ends,) = _by_gid(ax, "log_end_offset")
    assert [seg[0][0] for seg in ends.get_segments()] == list(partitions["log_end_offset"])
    assert [seg[0][0] for seg in starts.get_segments()] == [0, 0, 0]
    assert {"log start offset", "log end offset"} <= set(_legend_texts(ax))


def test_records_deleted_before_the_log_start_offset_are_drawn_deleted(small_log):
    cluster, topic = small_log
    cluster.admin().delete_records({TopicPartition(topic, 0): 3})
    records, partitions = viz.log_tables(cluster, topic)
    ax = viz.partition_logs(records, partitions).axes[0]
    (gone,) = _by_gid(ax, "deleted")
    assert len(gone.get_paths()) == 1  # only partition 0 lost records
    (cells,) = _by_gid(ax, "records")
    assert len(cells.get_paths()) == 27
    (starts,) = _by_gid(ax, "log_start_offset")
    assert starts.get_segments()[0][0][0] == 3
    assert "deleted (before log start)" in _legend_texts(ax)


def test_committed_offsets_and_positions_are_marked(small_log):
    cluster, topic = small_log
    consumer = cluster.consumer(
        topic, group_id="groups-service", auto_offset_reset="earliest", enable_auto_commit=False
    )
    consumer.poll(timeout_ms=100, max_records=4)
    consumer.commit()
    consumer.poll(timeout_ms=100, max_records=4)
    state = cluster.group_state("groups-service")
    state.attrs["group"] = "groups-service"
    positions = {"a": {tp.partition: consumer.position(tp) for tp in consumer.assignment()}}
    records, partitions = viz.log_tables(cluster, topic)
    ax = viz.partition_logs(records, partitions, committed=state, positions=positions).axes[0]
    (committed,) = _by_gid(ax, "committed")
    (position,) = _by_gid(ax, "position")
    marked = state.dropna(subset=["committed"])
    assert list(committed.get_xdata()) == [int(c) for c in marked["committed"]]
    assert sorted(position.get_xdata()) == sorted(positions["a"].values())
    assert committed.get_markerfacecolor() == viz.member_color("groups-service")
    legend = _legend_texts(ax)
    assert "committed offset (groups-service)" in legend and "position (a)" in legend


def test_committed_offsets_of_two_groups_from_a_dict():
    cluster = SimCluster(seed=2)
    topic = _keyed_log(cluster, partitions=2, n=10)
    records, partitions = viz.log_tables(cluster, topic)
    committed = {"groups-service": {0: 2, 1: 1}, "audit-service": {0: 5}}
    ax = viz.partition_logs(records, partitions, committed=committed).axes[0]
    assert len(_by_gid(ax, "committed")) == 2
    assert {"committed offset (groups-service)", "committed offset (audit-service)"} <= set(
        _legend_texts(ax)
    )


def test_ten_thousand_records_are_one_image_with_a_column_per_offset():
    cluster = SimCluster(seed=3)
    topic = _keyed_log(cluster, partitions=12, n=10_000, accounts=40)
    records, partitions = viz.log_tables(cluster, topic)
    fig = viz.partition_logs(records, partitions, committed={"groups-service": {0: 10}})
    ax = fig.axes[0]
    (image,) = _by_gid(ax, "records")
    assert isinstance(image, AxesImage)
    assert image.get_array().shape[1] == int(partitions["log_end_offset"].max())
    assert len(ax.get_yticklabels()) == 12
    assert "+32 more keys" in _legend_texts(ax)  # 40 keys, 8 named
    assert "one column per offset" in ax.get_title(loc="left")


def _redraw_seconds(records, partitions) -> float:
    """Median CPU time of clearing the Axes, drawing the logs again, and rendering."""
    fig = viz.partition_logs(records, partitions)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # as a dashboard does after its first draw
    ax = fig.axes[0]
    times = []
    for _ in range(5):
        start = time.process_time()
        ax.clear()
        viz.partition_logs(records, partitions, committed={"groups-service": {0: 10}}, ax=ax)
        fig.canvas.draw()
        times.append(time.process_time() - start)
    return statistics.median(times)


def test_redrawing_ten_thousand_records_costs_about_what_thirty_cost():
    big, small = SimCluster(seed=3), SimCluster(seed=3)
    big_topic = _keyed_log(big, partitions=12, n=10_000, accounts=40)
    small_topic = _keyed_log(small, partitions=12, n=30, accounts=40)
    # CPU time, compared on the same machine at the same moment: the cost is the text and
    # the axes, not one artist per record (which would take seconds at 10,000 records).
    ratio = _redraw_seconds(*viz.log_tables(big, big_topic)) / _redraw_seconds(
        *viz.log_tables(small, small_topic)
    )
    assert ratio < 2.0


def test_sixty_four_partitions_each_get_a_labelled_row():
    cluster = SimCluster(seed=4)
    topic = _keyed_log(cluster, partitions=64, n=640, accounts=64)
    records, partitions = viz.log_tables(cluster, topic)
    fig = viz.partition_logs(records, partitions)
    ax = fig.axes[0]
    assert _ytick_labels(ax) == [str(p) for p in range(64)]
    assert fig.get_figheight() <= 12.0
    fig.canvas.draw()
    labels = [t.get_window_extent() for t in ax.get_yticklabels()]
    assert all(a.y0 >= b.y1 - 0.5 for a, b in zip(labels, labels[1:], strict=False))


def test_a_log_without_a_partitions_table_starts_at_its_first_record():
    frame = pd.DataFrame(
        {"partition": [0, 0, 1], "offset": [4, 5, 0], "key": [b"acct-1", b"acct-1", None]}
    )
    ax = viz.partition_logs(frame).axes[0]
    (starts,) = _by_gid(ax, "log_start_offset")
    assert [seg[0][0] for seg in starts.get_segments()] == [4, 0]
    assert "no key" in _legend_texts(ax)


@pytest.mark.kafka
def test_a_real_brokers_log_is_drawn_cell_for_cell_as_the_simulators(kafka_bootstrap):
    from simkafka.real import RealCluster

    sim = SimCluster(seed=5)
    sim_ax = viz.partition_logs(*viz.log_tables(sim, _keyed_log(sim, 3, 24))).axes[0]
    with RealCluster(kafka_bootstrap) as cluster:
        records, partitions = viz.log_tables(cluster, _keyed_log(cluster, 3, 24))
    assert list(partitions.columns[:3]) == ["partition", "log_start_offset", "log_end_offset"]
    real_ax = viz.partition_logs(records, partitions).axes[0]
    (sim_cells,) = _by_gid(sim_ax, "records")
    (real_cells,) = _by_gid(real_ax, "records")
    # murmur2 routing is exact: the same keys land in the same cells, in the same colours
    assert [p.vertices.tolist() for p in real_cells.get_paths()] == [
        p.vertices.tolist() for p in sim_cells.get_paths()
    ]
    assert (real_cells.get_facecolors() == sim_cells.get_facecolors()).all()


# -- 2. group ownership -----------------------------------------------------------------------
def _four_members_on_three_partitions(cluster, topic: str) -> GroupMembers:
    group = GroupMembers(cluster, topic, cluster.group_name("groups-service"))
    for name in ("a", "b", "c", "d"):
        group.join(name)
    group.settle()
    return group


def test_idle_member_is_drawn_idle():
    cluster = SimCluster(seed=6)
    cluster.create_topic(TOPIC, partitions=3)
    with _four_members_on_three_partitions(cluster, TOPIC) as group:
        fig = viz.group_ownership(group.ownership(), group.names)
    ax = fig.axes[0]
    assert _ytick_labels(ax) == ["a", "b", "c", "d"]
    assert len(_by_gid(ax, "idle")) == 1
    assert _texts(ax).count("idle") == 1
    assert "1 idle" in ax.get_title(loc="left")


def test_each_partition_is_one_box_in_its_owners_colour():
    cluster = SimCluster(seed=7)
    cluster.create_topic(TOPIC, partitions=6)
    with GroupMembers(cluster, TOPIC, "groups-service") as group:
        group.join("a")
        group.join("b")
        group.settle()
        frame = group.ownership()
        fig = viz.group_ownership(frame, group.names)
    ax = fig.axes[0]
    boxes = _by_gid(ax, "partition")
    assert len(boxes) == 6
    assert sorted(_texts(ax)) == [f"P{p}" for p in range(6)]
    colours = {to_hex(b.get_facecolor()) for b in boxes}
    assert colours == {viz.member_color("a").lower(), viz.member_color("b").lower()}
    assert "generation" in ax.get_title(loc="left")


def test_group_state_member_ids_are_shown_as_client_ids():
    cluster = SimCluster(seed=8)
    cluster.create_topic(TOPIC, partitions=2)
    with _four_members_on_three_partitions(cluster, TOPIC):
        state = cluster.group_state("groups-service")
        members = cluster.members("groups-service")["member"]
        ax = viz.group_ownership(state, members).axes[0]
    assert sorted(_ytick_labels(ax)) == ["a", "b", "c", "d"]
    assert _texts(ax).count("idle") == 2
    assert ax.get_title(loc="left").startswith(f"{TOPIC}: ")


def test_a_partition_nobody_owns_is_drawn_in_its_own_row():
    frame = pd.DataFrame({"partition": [0, 1, 2], "owner": ["a", None, "a"]})
    ax = viz.group_ownership(frame).axes[0]
    assert _ytick_labels(ax) == ["a", "no owner"]
    assert "P1" in _texts(ax)


@pytest.mark.kafka
def test_a_real_groups_ownership_is_drawn_as_the_simulators(kafka_bootstrap):
    from simkafka.real import RealCluster

    drawn = []
    sim = SimCluster(seed=9)
    sim.create_topic(TOPIC, partitions=3)
    with _four_members_on_three_partitions(sim, TOPIC) as group:
        drawn.append(viz.group_ownership(group.ownership(), group.names).axes[0])
    with RealCluster(kafka_bootstrap) as cluster:
        topic = cluster.topic_name(TOPIC)
        from simkafka import NewTopic

        cluster.admin().create_topics([NewTopic(topic, 3, 1)])
        with _four_members_on_three_partitions(cluster, topic) as group:
            drawn.append(viz.group_ownership(group.ownership(), group.names).axes[0])
    sim_ax, real_ax = drawn
    assert _texts(real_ax) == _texts(sim_ax)
    assert _ytick_labels(real_ax) == _ytick_labels(sim_ax) == ["a", "b", "c", "d"]
    assert _texts(real_ax).count("idle") == 1


# -- 3. rebalance timeline --------------------------------------------------------------------
def _rebalances(cluster, topic: str, strategy: str) -> GroupMembers:
    group = GroupMembers(cluster, topic, cluster.group_name("groups-service"), strategy=strategy)
    for name in ("a", "b", "c"):
        group.join(name)
        group.settle()
    return group


def _rows_with(ax, gid: str) -> set[float]:
    found = _by_gid(ax, gid)
    ys = [p.vertices[:, 1] for c in found for p in c.get_paths()]
    return {round((y.min() + y.max()) / 2) for y in ys}


def test_eager_rebalance_revokes_every_partition_in_the_timeline():
    cluster = SimCluster(seed=10)
    cluster.create_topic(TOPIC, partitions=6)
    with _rebalances(cluster, TOPIC, "range") as group:
        ax = viz.rebalance_timeline(group.events()).axes[0]
    assert _rows_with(ax, "revoked") == set(range(6))  # a gap in every partition's row
    assert "6 of 6 partitions were without an owner" in ax.get_title(loc="left")
    assert "revoked, no owner yet" in _legend_texts(ax)
    assert {"a", "b", "c"} <= set(_legend_texts(ax))


def test_cooperative_rebalance_revokes_only_the_partitions_that_move():
    cluster = SimCluster(seed=10)
    cluster.create_topic(TOPIC, partitions=6)
    with _rebalances(cluster, TOPIC, "cooperative-sticky") as group:
        events = group.events()
        final = dict(zip(group.ownership()["partition"], group.ownership()["owner"], strict=True))
    ax = viz.rebalance_timeline(events).axes[0]
    gapped = _rows_with(ax, "revoked")
    assert gapped == {p for p, owner in final.items() if owner != "a"}  # a kept the rest
    assert len(gapped) < 6


def test_the_event_table_draws_the_same_timeline_as_the_listener():
    cluster = SimCluster(seed=11)
    cluster.create_topic(TOPIC, partitions=4)
    with _rebalances(cluster, TOPIC, "range") as group:
        listener = viz.rebalance_timeline(group.events()).axes[0]
        table = viz.rebalance_timeline(cluster.events(), group="groups-service").axes[0]
    for gid in ("owned", "revoked"):
        (a,) = _by_gid(listener, gid)
        (b,) = _by_gid(table, gid)
        assert sorted(p.vertices.tolist() for p in a.get_paths()) == sorted(
            p.vertices.tolist() for p in b.get_paths()
        )
    assert [t.get_text() for t in table.get_xticklabels()] == [
        t.get_text() for t in listener.get_xticklabels()
    ]


def test_a_crashed_members_partitions_wait_for_its_session_in_the_timeline():
    cluster = SimCluster(seed=12)
    cluster.create_topic(TOPIC, partitions=4)
    with _rebalances(cluster, TOPIC, "cooperative-sticky") as group:
        group.crash("b")
        group.settle()
        ax = viz.rebalance_timeline(group.events()).axes[0]
    assert any(t.get_text().startswith("+6.") for t in ax.texts)  # session.timeout.ms = 6 s


@pytest.mark.kafka
def test_on_kafka_an_eager_rebalance_also_revokes_every_partition(kafka_bootstrap):
    from simkafka import NewTopic
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        topic = cluster.topic_name(TOPIC)
        cluster.admin().create_topics([NewTopic(topic, 4, 1)])
        group = GroupMembers(cluster, topic, cluster.group_name("groups-service"))
        with group:
            group.join("a")
            group.settle()
            group.join("b")
            group.settle()
            events = group.events()
    ax = viz.rebalance_timeline(events).axes[0]
    assert _rows_with(ax, "revoked") == set(range(4))
    assert _ytick_labels(ax) == ["0", "1", "2", "3"]


# -- 4. lag -----------------------------------------------------------------------------------
def _lag_frame(seed: int = 0) -> pd.DataFrame:
    """Group state sampled each simulated second while a slow member falls behind, then a
    second member joins and the producer slows down."""
    cluster = SimCluster(seed=seed)
    cluster.create_topic(TOPIC, partitions=4)
    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    members = {}

    def join(name):
        members[name] = cluster.consumer(
            TOPIC,
            group_id="groups-service",
            client_id=name,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        cluster.settle(*members.values())

    join("a")
    rows = []
    for second in range(30):
        if second == 10:
            join("b")
        for i in range(4 if second < 20 else 1):
            producer.send(TOPIC, key=f"acct-{(second * 4 + i) % 7}", value="event")
        producer.flush()
        for consumer in members.values():
            consumer.poll(timeout_ms=0, max_records=2)
            consumer.commit()
        cluster.advance(1000)
        state = cluster.group_state("groups-service")
        rows += [(cluster.now_ms, r.partition, r.owner, r.lag) for r in state.itertuples()]
    return pd.DataFrame(rows, columns=["time_ms", "partition", "member", "lag"])


def test_lag_is_a_line_per_partition_in_its_owners_colours():
    frame = _lag_frame()
    ax = viz.lag_over_time(frame).axes[0]
    lines = [c for c in ax.collections if (c.get_gid() or "").startswith("partition ")]
    assert len(lines) == 4
    colours = {to_hex(c) for line in lines for c in line.get_colors()}
    assert colours == {viz.member_color("a").lower(), viz.member_color("b").lower()}
    assert sorted(_texts(ax)) == [f"partition {p}" for p in range(4)]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (s)", "lag (records)")
    assert _legend_texts(ax) == ["a", "b"]


def test_lag_per_member_sums_its_partitions():
    frame = _lag_frame()
    ax = viz.lag_over_time(frame, by="member").axes[0]
    (line_a,) = [x for x in ax.lines if x.get_gid() == "member a"]
    first = frame[frame["time_ms"] == frame["time_ms"].min()]
    assert line_a.get_ydata()[0] == first["lag"].fillna(0).sum()
    assert _legend_texts(ax) == ["a", "b"]


def test_lag_of_a_real_group_state_shaped_frame_is_drawn_the_same():
    # the columns a real broker's lag sampler gives: member ids as kafka-python makes them
    frame = pd.DataFrame(
        {
            "time_ms": [0, 0, 1000, 1000],
            "partition": [0, 1, 0, 1],
            "member": ["a-0f3c9a44-5d0e-4f9a-8b6e-2a1d3c4b5e6f"] * 4,
            "lag": [3, 0, 5, 1],
        }
    )
    ax = viz.lag_over_time(frame).axes[0]
    assert _legend_texts(ax) == ["a"]
    assert sorted(_texts(ax)) == ["partition 0", "partition 1"]


# -- 5. keys and partitions -------------------------------------------------------------------
ACCOUNTS = [f"acct-{i}" for i in range(40)]


def test_each_key_is_a_block_in_its_partitions_bar():
    from simkafka.experiments import keyed_routing

    routing = keyed_routing("sim", ACCOUNTS, 3)
    ax = viz.key_distribution(routing).axes[0]
    (blocks,) = _by_gid(ax, "keys")
    assert len(blocks.get_paths()) == 40
    per_partition = routing.groupby("partition").size()
    assert sorted(_texts(ax)) == sorted(f"{n} keys" for n in per_partition)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert _legend_texts(ax) == ["even share"]


def test_a_hot_key_is_named_on_its_block():
    from simkafka.experiments import keyed_routing

    routing = keyed_routing("sim", ACCOUNTS, 3)
    routing["records"] = [500 if a == "acct-7" else 10 for a in routing["account_id"]]
    ax = viz.key_distribution(routing).axes[0]
    assert "acct-7" in _texts(ax)
    assert "busiest partition" in ax.get_title(loc="left")


def test_adding_partitions_moves_most_keys():
    from simkafka.experiments import keyed_routing

    before, after = keyed_routing("sim", ACCOUNTS, 3), keyed_routing("sim", ACCOUNTS, 4)
    moved = int((before["partition"] != after["partition"]).sum())
    ax = viz.key_remapping(before, after).axes[0]
    assert f"{moved} of 40 keys" in ax.get_title(loc="left")
    (image,) = _by_gid(ax, "keys moved")
    assert image.get_array().shape == (3, 4)
    assert int(image.get_array().sum()) == 40
    assert len(_by_gid(ax, "stayed")) == 3
    assert (ax.get_xlabel(), ax.get_ylabel()) == (
        "partition with 4 partitions",
        "partition with 3 partitions",
    )


@pytest.mark.kafka
def test_the_real_brokers_routing_is_drawn_as_the_simulators(kafka_bootstrap):
    from simkafka.experiments import keyed_routing
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        real = keyed_routing(cluster, ACCOUNTS, 3)
    sim_ax = viz.key_distribution(keyed_routing("sim", ACCOUNTS, 3)).axes[0]
    real_ax = viz.key_distribution(real).axes[0]
    assert _texts(real_ax) == _texts(sim_ax)
    (a,) = _by_gid(real_ax, "keys")
    (b,) = _by_gid(sim_ax, "keys")
    assert (a.get_facecolors() == b.get_facecolors()).all()


# -- 6. retention -----------------------------------------------------------------------------
def test_log_start_offset_jumps_by_whole_segments():
    from simkafka.experiments import retention_on_segments

    frame = retention_on_segments(12)
    ax = viz.retention(frame).axes[0]
    (deleted,) = [x for x in ax.lines if x.get_gid() == "segment_deleted"]
    jumps = frame.attrs["summary"]["jumps"]
    assert list(deleted.get_ydata()) == [to for _, _, to in jumps]
    assert list(deleted.get_xdata()) == [t / 1000 for t, _, _ in jumps]
    assert [t for t in _texts(ax) if t.startswith("offsets")] == [
        "offsets 0–3 deleted",
        "offsets 4–7 deleted",
        "offsets 8–11 deleted",
    ]
    assert {"log start offset", "log end offset"} <= set(_legend_texts(ax))


def test_keeping_forever_deletes_no_segment():
    from simkafka.experiments import retention_on_segments

    ax = viz.retention(retention_on_segments(12, retention_ms=-1)).axes[0]
    (deleted,) = [x for x in ax.lines if x.get_gid() == "segment_deleted"]
    assert len(deleted.get_xdata()) == 0
    assert "0 segment deletions" in ax.get_title(loc="left")


def test_a_group_started_after_deletion_reads_from_the_new_log_start():
    from simkafka.experiments import retention_and_replay

    ax = viz.retention(retention_and_replay("sim", 12)).axes[0]
    assert _ytick_labels(ax) == ["replay", "reset", "after-retention"]
    assert "reporting-service reads 6–11 (6)" in _texts(ax)
    (gone,) = _by_gid(ax, "deleted")
    assert gone.get_paths()[0].vertices[:, 0].max() == 6


@pytest.mark.kafka
def test_the_real_brokers_replay_is_drawn_as_the_simulators(kafka_bootstrap):
    from simkafka.experiments import retention_and_replay
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        real = retention_and_replay(cluster, 12)
    assert _texts(viz.retention(real).axes[0]) == _texts(
        viz.retention(retention_and_replay("sim", 12)).axes[0]
    )


# -- 7. a log versus a queue ------------------------------------------------------------------
def test_a_log_gives_every_reader_everything_and_a_queue_redelivers_out_of_order():
    from simkafka.experiments import log_versus_queue

    frame = log_versus_queue("sim", n_events=6)
    fig = viz.log_versus_queue(frame)
    kafka, fanout, competing = fig.axes
    (cells,) = _by_gid(kafka, "deliveries kafka")
    assert len(cells.get_paths()) == 18  # three readers, six events each
    assert _ytick_labels(fanout) == ["groups-service", "audit-service", "reporting-service"]
    assert any(t.startswith("nothing") for t in _texts(fanout))
    assert "#4 ↻" in _texts(competing)  # the crashed first's message, redelivered to second
    (again,) = _by_gid(competing, "deliveries rabbitmq-competing")
    assert sorted(again.get_linewidths())[-1] == 2.5
    assert "order changed" in competing.get_title(loc="left")
    assert "replay possible" in kafka.get_title(loc="left")


def test_log_versus_queue_into_one_axes():
    from matplotlib.figure import Figure

    from simkafka.experiments import log_versus_queue

    frame = log_versus_queue("sim", n_events=4)
    ax = Figure().add_subplot()
    viz.log_versus_queue(frame, ax=ax)
    labels = _ytick_labels(ax)
    assert "kafka: replay" in labels and "rabbitmq-competing: second" in labels


@pytest.mark.kafka
@pytest.mark.rabbitmq
def test_the_real_brokers_deliveries_are_drawn_as_the_simulators(kafka_bootstrap, rabbitmq_url):
    from simkafka.experiments import log_versus_queue

    real = log_versus_queue("kafka", n_events=6)
    sim = log_versus_queue("sim", n_events=6)
    real_texts = [_texts(ax) for ax in viz.log_versus_queue(real).axes]
    assert real_texts == [_texts(ax) for ax in viz.log_versus_queue(sim).axes]


def test_a_drawing_shows_as_png_in_a_notebook_without_matplotlib_inline():
    """No ``%matplotlib inline`` needed: a drawing's figure formats as a PNG in IPython."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    fig, axes = viz.panels(1, 2)
    data, _ = shell.display_formatter.format(fig)
    assert "image/png" in data and len(axes) == 2


@pytest.mark.parametrize(
    "draw, needs",
    [
        (lambda bad: viz.partition_logs(bad), "partition_logs() needs a table with columns"),
        (lambda bad: viz.group_ownership(bad), "group_ownership() needs a table with columns"),
        (lambda bad: viz.lag_over_time(bad), "lag_over_time() needs a table with columns"),
        (lambda bad: viz.key_distribution(bad), "key_distribution() needs a table with columns"),
        (lambda bad: viz.key_remapping(bad, bad), "key_remapping() needs a table with columns"),
        (lambda bad: viz.log_versus_queue(bad), "log_versus_queue() needs a table with columns"),
    ],
)
def test_a_table_without_the_drawings_columns_gets_a_clear_error(draw, needs):
    with pytest.raises(ValueError, match=re.escape(needs)):
        draw(pd.DataFrame({"x": [1]}))
