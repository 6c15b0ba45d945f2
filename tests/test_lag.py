"""lag_over_time: lag grows while producers outpace the group and shrinks once they pause.

On the simulator the lessons; marked kafka, the broker gives the simulator's frame.
"""

from __future__ import annotations

import pytest

from simkafka import SimCluster
from simkafka.lag import LAG_COLUMNS, lag_over_time

pd = pytest.importorskip("pandas")


def total_lag(frame: pd.DataFrame) -> list[int]:
    return frame.groupby("time_ms")["lag"].sum().tolist()


def test_lag_grows_while_producers_outpace_the_group_and_shrinks_after():
    frame = lag_over_time(
        "sim", partitions=2, consumers=2, produce_per_step=[8, 8, 8, 0, 0, 0], consume_per_step=2
    )
    assert list(frame.columns) == LAG_COLUMNS
    # 8 records in, 2 x 2 out per step: +4 while producing, -4 once the producer pauses.
    assert total_lag(frame) == [4, 8, 12, 8, 4, 0]
    assert frame.attrs["summary"] == {"produced": 24, "consumed": 24, "max_lag": 12, "final_lag": 0}


def test_time_is_the_logical_step_time():
    frame = lag_over_time("sim", produce_per_step=[3, 3, 3], consume_per_step=1, step_ms=250)
    assert sorted(frame["time_ms"].unique()) == [250, 500, 750]


def test_range_gives_the_first_member_two_partitions_and_it_falls_behind():
    frame = lag_over_time("sim", partitions=3, consumers=2)  # 12 per step, 4 per member
    owners = frame.groupby("partition")["member"].unique().map(list).to_dict()
    assert owners == {0: ["member-1"], 1: ["member-1"], 2: ["member-2"]}
    by_member = frame.groupby(["time_ms", "member"])["lag"].sum().unstack()
    assert by_member["member-2"].eq(0).all()  # 4 records a step on its one partition: keeps up
    assert by_member["member-1"].tolist() == [4, 8, 12, 16, 20, 16, 12, 8, 4, 0]


def test_a_member_beyond_the_partition_count_sits_idle_and_has_no_rows():
    frame = lag_over_time("sim", partitions=2, consumers=3, produce_per_step=4, steps=3)
    assert set(frame["member"]) == {"member-1", "member-2"}
    assert len(frame) == 2 * 3


def test_slow_members_never_catch_up_under_constant_load():
    frame = lag_over_time("sim", produce_per_step=9, consume_per_step=3, steps=4)
    assert total_lag(frame) == [3, 6, 9, 12]


def test_a_cluster_passed_in_stays_open_and_shows_the_groups_commits():
    cluster = SimCluster(seed=0)
    frame = lag_over_time(cluster, partitions=2, produce_per_step=[4], consume_per_step=1)
    state = cluster.group_state("groups-service")
    assert state["committed"].tolist() == [1, 1]
    assert frame["lag"].tolist() == state["lag"].tolist() == [1, 1]


def test_rates_per_step_must_cover_every_step():
    with pytest.raises(ValueError, match="produce_per_step has 2 values for 5 steps"):
        lag_over_time("sim", produce_per_step=[1, 2], steps=5)
    with pytest.raises(ValueError, match="consumers must be a whole number >= 1"):
        lag_over_time("sim", consumers=0)


@pytest.mark.kafka
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {
            "partitions": 3,
            "consumers": 4,
            "strategy": "roundrobin",
            "produce_per_step": 10,
            "consume_per_step": [3, 1, 5, 0, 2, 9],
        },
    ],
    ids=["default", "roundrobin-idle-member"],
)
def test_the_broker_gives_the_simulators_lag_table(kafka_bootstrap, kwargs):
    simulated = lag_over_time("sim", **kwargs)
    real = lag_over_time("kafka", **kwargs)
    pd.testing.assert_frame_equal(simulated, real)
    assert simulated.attrs == real.attrs
