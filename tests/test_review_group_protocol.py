"""Review findings: classic group protocol behaviour where the simulator departs from Kafka.

Each test asserts what Kafka (broker 4.x classic group coordinator) and kafka-python 3.0.12 do,
with the source that shows it. They fail on the simulator as of the review.
"""

from simkafka import SimCluster, TopicPartition
from simkafka.errors import KafkaError


def _describe(cluster, group_id):
    return cluster.admin().describe_groups([group_id])[group_id]


def test_member_with_no_common_assignor_is_refused_and_group_is_unharmed():
    # Kafka: ClassicGroupMetadataManager.classicGroupJoin (and GroupCoordinator.scala before it)
    # answers `!group.supportsProtocols(protocolType, protocols)` with INCONSISTENT_GROUP_PROTOCOL
    # *before* adding the member, so the joining consumer gets InconsistentGroupProtocolError and
    # the existing group is untouched. The simulator admits the member, then raises a bare
    # ValueError in whichever consumer completes the join, after bumping the generation, and
    # leaves the group stuck in PreparingRebalance.
    cluster = SimCluster(seed=1)
    cluster.create_topic("t", 2)
    a = cluster.consumer("t", group_id="g", partition_assignment_strategy=["range"])
    a.poll(0)
    assert _describe(cluster, "g")["generation"] == 1
    b = cluster.consumer("t", group_id="g", partition_assignment_strategy=["roundrobin"])
    try:
        b.poll(0)
        refused = None
    except KafkaError as exc:
        refused = exc
    assert refused is not None and type(refused).__name__ == "InconsistentGroupProtocolError"
    a.poll(0)  # the existing member must keep working (simulator: ValueError here)
    info = _describe(cluster, "g")
    assert (info["group_state"], info["generation"], len(info["members"])) == ("Stable", 1, 1)


def test_static_member_past_max_poll_interval_stays_until_session_timeout():
    # kafka-python 3.0.12 coordinator/base.py maybe_leave_group_async (l.1055-1058): "only
    # dynamic members will send LeaveGroupRequest ... the membership expiration is only
    # controlled by session timeout". Java AbstractCoordinator.shouldSendLeaveGroupRequest is the
    # same (isDynamicMember()). So a static member that misses max.poll.interval.ms is not removed
    # at that moment: the broker removes it only session.timeout.ms after its heartbeats stop
    # (here at ~60 s + 45 s). The simulator removes it at 60 s and rebalances.
    cluster = SimCluster(seed=1)
    cluster.create_topic("t", 4)
    cfg = dict(group_id="g", max_poll_interval_ms=60_000, session_timeout_ms=45_000)
    a = cluster.consumer("t", group_instance_id="a", **cfg)
    b = cluster.consumer("t", group_instance_id="b", **cfg)
    cluster.settle(a, b)
    before = _describe(cluster, "g")["generation"]
    for _ in range(70):  # b keeps polling; a stalls for 70 s (> 60 s, < 60 s + 45 s)
        b.poll(1000)
    info = _describe(cluster, "g")
    assert len(info["members"]) == 2
    assert (info["group_state"], info["generation"]) == ("Stable", before)


def test_static_member_replacing_itself_during_rebalance_completes_the_join():
    # ClassicGroupMetadataManager.updateStaticMemberThenRebalanceOrCompleteJoin: in
    # PreparingRebalance the replaced static member is updated and the method ends with
    # `return helper.maybeCompleteJoinPhase(group)`, so when it was the last member awaited the
    # generation completes at once. The simulator's join() returns before try_complete_join, so
    # the group sits in PreparingRebalance (with every member joined) until the 5-minute
    # rebalance timeout, while the new member fetches with the old generation's assignment.
    cluster = SimCluster(seed=1)
    cluster.create_topic("t", 4)
    cluster.create_topic("u", 2)
    a = cluster.consumer("t", group_id="g", group_instance_id="a")
    b = cluster.consumer("t", group_id="g", group_instance_id="b")
    cluster.settle(a, b)
    gen = _describe(cluster, "g")["generation"]
    b.crash()
    a.subscribe(["t", "u"])
    a.poll(0)  # a rejoins: the group now waits for instance "b"
    b2 = cluster.consumer("t", group_id="g", group_instance_id="b")
    b2.poll(1000)
    info = _describe(cluster, "g")
    assert (info["group_state"], info["generation"]) == ("Stable", gen + 1)
    assert b2.generation == gen + 1


def test_consumer_subscribed_before_topic_exists_gets_it_after_metadata_refresh():
    # kafka-python 3.0.12 coordinator/consumer.py _handle_metadata_update (l.183-203): on every
    # metadata update (at least every metadata_max_age_ms = 300 000 ms, group.py l.324) a changed
    # partition snapshot of the subscribed topics makes the member rejoin. A newcomer who starts
    # the consumer before creating the topic therefore gets its partitions within minutes. In the
    # simulator, topic creation never reaches the group, so a consumer that keeps polling never
    # gets any partition.
    cluster = SimCluster(seed=1)
    consumer = cluster.consumer("later", group_id="g", auto_offset_reset="earliest")
    consumer.poll(100)
    cluster.create_topic("later", 3)
    for _ in range(310):
        consumer.poll(1000)
    assert len(consumer.assignment()) == 3


def test_pattern_subscription_picks_up_a_new_matching_topic():
    # Same source: _handle_metadata_update matches subscribed_pattern against the cluster's
    # topics and calls change_subscription(), so a topic created later that matches joins the
    # subscription (and the group rebalances) within metadata_max_age_ms.
    cluster = SimCluster(seed=1)
    cluster.create_topic("orders-a", 1)
    consumer = cluster.consumer(group_id="g", auto_offset_reset="earliest")
    consumer.subscribe(pattern="orders-.*")
    consumer.poll(100)
    cluster.create_topic("orders-b", 1)
    for _ in range(310):
        consumer.poll(1000)
    assert TopicPartition("orders-b", 0) in consumer.assignment()


def test_pause_of_a_revoked_partition_does_not_survive_reassignment():
    # kafka-python 3.0.12 consumer/subscription_state.py assign_from_subscribed: state (position,
    # *paused flag*) is kept only for partitions in both the old and the new assignment;
    # "revoked partitions are dropped; new partitions get fresh state". (Java's eager
    # onJoinPrepare even clears the whole assignment.) paused() lists only assigned partitions.
    # The simulator keeps a set of paused partitions that no rebalance ever clears.
    cluster = SimCluster(seed=2)
    cluster.create_topic("t", 2)
    x = cluster.consumer("t", group_id="g")
    x.poll(0)
    x.pause(TopicPartition("t", 0), TopicPartition("t", 1))
    y = cluster.consumer("t", group_id="g")
    cluster.settle(x, y)
    moved = {TopicPartition("t", 0), TopicPartition("t", 1)} - x.assignment()
    assert moved and not (moved & x.paused())  # not assigned, so not paused
    y.close()
    x.poll(100)
    assert moved <= x.assignment()
    assert not (moved & x.paused())  # came back with fresh state
