"""simkafka: learn Apache Kafka on an exact, deterministic simulator and on a real broker.

The public surface: ``SimCluster`` and its kafka-python-shaped clients, Kafka's
routing (``murmur2``, ``partition_for_key``) and assignors (``assign``) as pure
functions, and the record types and errors, named as in kafka-python.
"""

from .assignors import ASSIGNORS, assign, rebalance_protocol
from .clients import (
    ConfigResource,
    ConfigResourceType,
    NewPartitions,
    NewTopic,
    SimAdmin,
    SimConsumer,
    SimProducer,
)
from .cluster import EVENT_COLUMNS, SimCluster
from .partitioners import (
    PARTITIONERS,
    make_partitioner,
    murmur2,
    partition_for_key,
    partitions_for_keys,
)
from .queue import BasicProperties, SimQueue, topic_matches
from .records import (
    ConsumerRecord,
    OffsetAndMetadata,
    OffsetAndTimestamp,
    RecordMetadata,
    TopicPartition,
)
from .share import AcknowledgeType, ShareRecord, SimShareConsumer, configure_share_group

__version__ = "0.1.0"

__all__ = [
    "ASSIGNORS",
    "AcknowledgeType",
    "EVENT_COLUMNS",
    "PARTITIONERS",
    "ConfigResource",
    "ConfigResourceType",
    "ConsumerRecord",
    "NewPartitions",
    "NewTopic",
    "OffsetAndMetadata",
    "OffsetAndTimestamp",
    "RecordMetadata",
    "SimAdmin",
    "SimCluster",
    "SimConsumer",
    "SimProducer",
    "SimQueue",
    "ShareRecord",
    "SimShareConsumer",
    "configure_share_group",
    "BasicProperties",
    "topic_matches",
    "TopicPartition",
    "assign",
    "make_partitioner",
    "murmur2",
    "partition_for_key",
    "partitions_for_keys",
    "rebalance_protocol",
]
