"""Offsets: commit, resume, redelivery after a crash, auto-commit, reset, lag."""

import pytest

from simkafka import SimCluster, TopicPartition
from simkafka.errors import NoOffsetForPartitionError, OffsetOutOfRangeError

TOPIC = "user-accounts"
TP0 = TopicPartition(TOPIC, 0)


def setup(n=10, partitions=1):
    cluster = SimCluster(seed=0)
    cluster.create_topic(TOPIC, partitions)
    p = cluster.producer()
    for i in range(n):
        p.send(TOPIC, key=b"acct-1", value=b"%d" % i)
    p.flush()
    return cluster


def values(batch):
    return [int(r.value) for rs in batch.values() for r in rs]


def manual_committer(cluster, **config):
    """A member of group "g" that reads from the start and commits only when told to."""
    config = {
        "group_id": "g",
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        **config,
    }
    return cluster.consumer(TOPIC, **config)


def test_consumer_resumes_from_committed_offset():
    cluster = setup()
    c = manual_committer(cluster, max_poll_records=4)
    assert values(c.poll(100)) == [0, 1, 2, 3]
    c.commit()
    c.close()
    c2 = manual_committer(cluster)
    assert values(c2.poll(100)) == [4, 5, 6, 7, 8, 9]


def test_crash_before_commit_redelivers():
    cluster = setup()
    c = manual_committer(cluster, max_poll_records=3)
    c.poll(100)
    c.commit()  # 0..2 processed and committed
    assert values(c.poll(100)) == [3, 4, 5]
    c.crash()  # processed 3..5 but did not commit
    cluster.advance(45_001)
    c2 = manual_committer(cluster)
    assert values(c2.poll(100))[:3] == [3, 4, 5]  # seen twice: at-least-once


def test_commit_before_processing_loses_records_on_crash():
    cluster = setup()
    c = manual_committer(cluster, max_poll_records=5)
    c.poll(100)
    c.commit()  # committed 5 before processing: then crash
    c.crash()
    cluster.advance(45_001)
    c2 = cluster.consumer(TOPIC, group_id="g", auto_offset_reset="earliest")
    assert values(c2.poll(100)) == [5, 6, 7, 8, 9]  # 0..4 never processed: at-most-once


def test_auto_commit_happens_in_poll_after_the_interval():
    cluster = setup()
    c = cluster.consumer(
        TOPIC,
        group_id="g",
        auto_offset_reset="earliest",
        auto_commit_interval_ms=5000,
        max_poll_records=2,
    )
    c.poll(0)
    assert c.committed(TP0) is None
    cluster.advance(5000)
    c.poll(0)  # commits the position reached by the previous poll, then fetches more
    assert c.committed(TP0) == 2


def test_new_group_starts_at_latest_by_default():
    cluster = setup()
    c = cluster.consumer(TOPIC, group_id="new-service")
    assert values(c.poll(100)) == []
    cluster.producer().send(TOPIC, key=b"acct-1", value=b"10").get()
    assert values(c.poll(100)) == [10]


def test_auto_offset_reset_none_raises():
    cluster = setup()
    c = cluster.consumer(TOPIC, group_id="g", auto_offset_reset="none")
    with pytest.raises(NoOffsetForPartitionError, match="seek"):
        c.poll(100)


def test_committed_offset_deleted_by_retention_resets():
    cluster = SimCluster()
    cluster.create_topic(TOPIC, 1, config={"retention.ms": "1000", "segment.ms": "10"})
    p = cluster.producer()
    for i in range(5):
        p.send(TOPIC, value=b"%d" % i).get()
        cluster.advance(20)
    c = manual_committer(cluster, max_poll_records=1)
    c.poll(0)
    c.commit()
    c.close()
    cluster.advance(10_000)
    p.send(TOPIC, value=b"5").get()
    cluster.run_retention_now()
    log = cluster.log(TP0)
    assert log.log_start_offset == 5
    c2 = cluster.consumer(TOPIC, group_id="g", auto_offset_reset="earliest")
    assert values(c2.poll(100)) == [5]
    resets = cluster.events("offset_reset")
    assert "deleted by retention" in resets["detail"].iloc[-1]


def test_seek_out_of_range_with_reset_none_raises():
    cluster = setup()
    c = cluster.consumer(group_id="g", auto_offset_reset="none")
    c.assign([TP0])
    c.seek(TP0, 50)
    with pytest.raises(OffsetOutOfRangeError, match="seek_to_beginning"):
        c.poll(0)


def test_seek_to_beginning_replays_history():
    cluster = setup()
    c = cluster.consumer(TOPIC, group_id="g", auto_offset_reset="earliest")
    first = values(c.poll(100))
    c.seek_to_beginning()
    assert values(c.poll(100)) == first


def test_lag_is_log_end_minus_committed():
    cluster = setup(10)
    c = manual_committer(cluster, max_poll_records=4)
    c.poll(0)
    c.commit()
    state = cluster.group_state("g")
    assert state.loc[0, "committed"] == 4
    assert state.loc[0, "lag"] == 6


def test_manual_assign_reads_without_a_group():
    cluster = setup()
    c = cluster.consumer(auto_offset_reset="earliest")
    c.assign([TP0])
    assert values(c.poll(100)) == list(range(10))


def test_iteration_stops_after_consumer_timeout():
    cluster = setup(5)
    c = cluster.consumer(
        TOPIC, group_id="g", auto_offset_reset="earliest", consumer_timeout_ms=1000
    )
    assert [int(r.value) for r in c] == [0, 1, 2, 3, 4]


def test_iteration_without_timeout_refuses_to_hang():
    from simkafka.errors import IllegalStateError

    cluster = setup(2)
    c = cluster.consumer(TOPIC, group_id="g", auto_offset_reset="earliest")
    it = iter(c)
    next(it), next(it)
    with pytest.raises(IllegalStateError, match="consumer_timeout_ms"):
        next(it)


def test_admin_lists_offsets_and_resets_a_group():
    cluster = setup(10)
    c = cluster.consumer(TOPIC, group_id="g", auto_offset_reset="earliest")
    c.poll(100)
    c.close()
    admin = cluster.admin()
    assert admin.list_group_offsets("g")["g"][TP0].offset == 10
    admin.reset_group_offsets("g", {TP0: "earliest"})
    assert admin.list_group_offsets("g")["g"][TP0].offset == 0
    ends = admin.list_partition_offsets({TP0: "latest"})
    assert ends[TP0].offset == 10


def test_auto_commit_timer_restarts_when_a_rebalance_completes():
    """kafka-python reschedules the auto-commit "starting from now" on every join."""
    cluster = SimCluster(seed=0)
    cluster.create_topic("t", partitions=2)
    start = cluster.now_ms
    a = cluster.consumer("t", group_id="g")
    a.poll(timeout_ms=0)
    cluster.advance(4000)
    b = cluster.consumer("t", group_id="g")
    cluster.settle(a, b)
    interval = a.config["auto_commit_interval_ms"]
    assert a._next_auto_commit - start == 4000 + interval
