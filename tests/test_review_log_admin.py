"""Review findings: log segment rolling and admin validation where the simulator departs from Kafka.

They fail on the simulator as of the review.
"""

import pytest

from simkafka import NewTopic, SimCluster
from simkafka.errors import InvalidPartitionsError, InvalidReplicationFactorError

MIN = 60_000


def _one_partition_topic():
    cluster = SimCluster(seed=1)
    cluster.create_topic("t", 1, config={"segment.ms": str(MIN)})
    return cluster, cluster.producer()


def test_segment_ms_roll_needs_strictly_more_than_segment_ms():
    # Kafka LogSegment.shouldRoll (storage/.../log/LogSegment.java):
    #   reachedRollMs = timeWaitedForRoll(now, maxTimestampInMessages) > maxSegmentMs - rollJitterMs
    # strictly greater (segment.jitter.ms defaults to 0). A batch exactly segment.ms after the
    # segment's first batch stays in it. The simulator rolls on `>=`.
    cluster, producer = _one_partition_topic()
    producer.send("t", b"a").get()
    cluster.advance(MIN)
    producer.send("t", b"b").get()
    assert cluster.partitions("t")["segments"][0] == 1


def test_segment_ms_roll_is_measured_on_record_timestamps():
    # LogSegment.timeWaitedForRoll: when the segment has a first-batch timestamp
    # (rollingBasedTimestamp >= 0) it returns `messageTimestamp - rollingBasedTimestamp`, the
    # incoming batch's max timestamp minus the first batch's: wall-clock creation time is used
    # only for an empty-timestamp segment. A record stamped segment.ms + 1 later rolls a new
    # segment even if no broker time passed. The simulator only looks at its clock.
    cluster, producer = _one_partition_topic()
    first = producer.send("t", b"a").get()
    producer.send("t", b"b", timestamp_ms=first.timestamp + MIN + 1).get()
    assert cluster.partitions("t")["segments"][0] == 2


@pytest.mark.parametrize(
    "topic, error",
    [
        (NewTopic("bad-partitions", 0, 1), InvalidPartitionsError),
        (NewTopic("bad-rf", 1, 3), InvalidReplicationFactorError),
    ],
)
def test_create_topics_validate_only_still_validates(topic, error):
    # CreateTopics with validateOnly=true runs the broker's full validation and only skips the
    # creation (ControllerApis/ReplicationControlManager.createTopics: errors are returned per
    # topic either way; KIP-108). The simulator's validate_only branch is `pass`, so it reports
    # success for topics the broker would refuse.
    admin = SimCluster(seed=1).admin()
    with pytest.raises(error):
        admin.create_topics([topic], validate_only=True)
