"""A real member knows its topics' partitions before it first joins its group.

kafka-python 3.0.12 can lose a join (the member's session then expires and the group stays
empty) when the leader first assigns without the topic's partitions and a later metadata
refresh starts a second rebalance; see ``RealConsumer._know_partitions``. Knowing the
partitions before the first JoinGroup avoids that second rebalance.
"""

from __future__ import annotations

import pytest

from simkafka import NewTopic

pytest.importorskip("kafka")
pytestmark = pytest.mark.kafka


def _new_topic(cluster) -> str:
    topic = cluster.topic_name("user-accounts")
    cluster.admin().create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    return topic


def test_a_consumer_of_a_group_knows_its_topics_partitions_before_polling(kafka_bootstrap):
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        topic = _new_topic(cluster)
        member = cluster.consumer(topic, group_id=cluster.group_name("groups-service"))
        assert member._client._cluster.partitions_for_topic(topic) == {0, 1, 2, 3}


def test_a_subscribing_member_knows_its_topics_partitions_before_polling(kafka_bootstrap):
    from simkafka.real import RealCluster

    with RealCluster(kafka_bootstrap) as cluster:
        topic = _new_topic(cluster)
        member = cluster.consumer(group_id=cluster.group_name("groups-service"))
        member.subscribe(topics=[topic])
        assert member._client._cluster.partitions_for_topic(topic) == {0, 1, 2, 3}
        cluster.settle(member)
        assert sorted(tp.partition for tp in member.assignment()) == [0, 1, 2, 3]
