"""A log is not a queue: the same account events through Kafka and through RabbitMQ.

On the simulator (SimCluster + SimQueue) the assertions are the lessons: every Kafka group and
a late replaying group read everything and the log keeps it all; a fanout gives each queue one
copy, acked copies are gone and a late queue gets nothing; competing consumers share the work,
and a crash before the ack requeues a message that comes again, redelivered and out of order,
with nothing lost. Marked ``kafka`` and ``rabbitmq``, the real brokers give the same frame.
"""

import time

import pandas as pd
import pytest

from simkafka import SimCluster
from simkafka.experiments import (
    LOG_VERSUS_QUEUE_COLUMNS,
    _event_ids,
    frames_agree,
    log_versus_queue,
)
from simkafka.queue import SimQueue

N = 12
EVENTS = [e for _, e in _event_ids(N)]


@pytest.fixture(scope="module")
def sim_frame():
    return log_versus_queue("sim", n_events=N)


def _of(frame, system, reader=None):
    part = frame[frame["system"] == system]
    return part if reader is None else part[part["reader"] == reader]


def test_columns_and_event_ids(sim_frame):
    assert list(sim_frame.columns) == LOG_VERSUS_QUEUE_COLUMNS
    assert EVENTS[:6] == [
        "acct-0:created",
        "acct-1:created",
        "acct-2:created",
        "acct-3:created",
        "acct-4:created",
        "acct-0:email-verified",
    ]
    assert len(set(EVENTS)) == N
    assert sim_frame["system"].unique().tolist() == [
        "kafka",
        "rabbitmq-fanout",
        "rabbitmq-competing",
    ]
    assert sim_frame["redelivered"].dtype == bool


def test_kafka_every_group_and_the_replay_read_everything_in_order(sim_frame):
    for group in ("groups-service", "audit-service", "replay"):
        rows = _of(sim_frame, "kafka", group)
        assert rows["event"].tolist() == EVENTS, group
        assert rows["seq"].tolist() == list(range(N))
        assert not rows["redelivered"].any()
    summary = sim_frame.attrs["summary"]["kafka"]
    assert summary == {
        "copies_per_reader": {"groups-service": N, "audit-service": N, "replay": N},
        "left_after_reading": N,  # reading removed nothing from the log
        "replay_possible": True,
        "order_kept": True,
    }
    for group in ("groups-service", "audit-service", "replay"):
        assert sim_frame.attrs["check"][f"kafka/{group}"]["lost"] == 0


def test_fanout_one_copy_per_queue_gone_after_ack_and_no_replay(sim_frame):
    for queue in ("groups-service", "audit-service"):
        rows = _of(sim_frame, "rabbitmq-fanout", queue)
        assert rows["event"].tolist() == EVENTS, queue  # its own copy of each
        check = sim_frame.attrs["check"][f"rabbitmq-fanout/{queue}"]
        assert check["lost"] == check["duplicated"] == 0
    assert _of(sim_frame, "rabbitmq-fanout", "reporting-service").empty  # bound too late
    assert sim_frame.attrs["check"]["rabbitmq-fanout/reporting-service"]["lost"] == N
    assert sim_frame.attrs["summary"]["rabbitmq-fanout"] == {
        "copies_per_reader": {"groups-service": N, "audit-service": N, "reporting-service": 0},
        "left_after_reading": 0,  # acked messages are gone
        "replay_possible": False,
        "order_kept": True,
    }


def test_competing_consumers_crash_requeue_redeliver_and_reorder(sim_frame):
    rows = _of(sim_frame, "rabbitmq-competing")
    # prefetch 1: they take turns; first crashes holding its third message (acct-4:created)
    assert list(zip(rows["reader"], rows["event"], strict=True))[:6] == [
        ("first", EVENTS[0]),
        ("second", EVENTS[1]),
        ("first", EVENTS[2]),
        ("second", EVENTS[3]),
        ("first", EVENTS[4]),
        ("second", EVENTS[5]),
    ]
    again = rows[rows["redelivered"]]
    assert len(again) == 1
    assert again["reader"].tolist() == ["second"]
    assert again["event"].tolist() == [EVENTS[4]]  # the unacked one, after a newer one
    second = rows[rows["reader"] == "second"]
    assert second["seq"].tolist() == list(range(len(second)))
    assert second["event"].tolist() == [EVENTS[i] for i in (1, 3, 5, 4, *range(6, N))]
    crashed = rows[rows["reader"] == "first"].index[-1]  # received, never acked
    processed = rows.drop(index=crashed)
    assert processed["event"].tolist() != EVENTS  # not the publish order
    assert sorted(processed["event"].tolist()) == sorted(EVENTS)  # but everything, once
    check = sim_frame.attrs["check"]["rabbitmq-competing"]
    assert check["lost"] == 0
    assert check["duplicated"] == 1
    assert sim_frame.attrs["summary"]["rabbitmq-competing"] == {
        "copies_per_reader": {"first": 3, "second": N - 2},
        "left_after_reading": 0,
        "replay_possible": False,
        "order_kept": False,
    }


@pytest.mark.parametrize("n_events", [2, 3, 4, 7, 30])
def test_every_size_keeps_the_lessons(n_events):
    frame = log_versus_queue(SimCluster(), SimQueue(), n_events=n_events)
    summary = frame.attrs["summary"]
    assert summary["kafka"]["left_after_reading"] == n_events
    assert summary["kafka"]["replay_possible"] is True
    assert summary["rabbitmq-fanout"]["left_after_reading"] == 0
    assert summary["rabbitmq-competing"]["order_kept"] is False
    assert frame.attrs["check"]["rabbitmq-competing"]["lost"] == 0
    assert frame["redelivered"].sum() == 1


def test_the_simulator_is_deterministic(sim_frame):
    assert frames_agree(sim_frame, log_versus_queue("sim", n_events=N))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least 2"):
        log_versus_queue("sim", n_events=1)
    with pytest.raises(ValueError, match="queue must be"):
        log_versus_queue(SimCluster(), "kafka")


# -- on the real brokers: the same frame -------------------------------------------------------
@pytest.mark.kafka
@pytest.mark.rabbitmq
def test_real_brokers_give_the_simulators_frame(sim_frame):
    start = time.monotonic()
    real = log_versus_queue("real", n_events=N)
    assert time.monotonic() - start < 20
    pd.testing.assert_frame_equal(real, sim_frame)
    assert real.attrs["summary"] == sim_frame.attrs["summary"]
    assert real.attrs["check"] == sim_frame.attrs["check"]
    assert frames_agree(sim_frame, real)
