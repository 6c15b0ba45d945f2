"""Kafka's exceptions, named as in kafka-python's ``kafka.errors``.

The simulator raises these so that a learner meets the same names the real
client uses. They are plain Python classes (no kafka-python import), so the
simulator also runs where kafka-python cannot be installed, such as Pyodide.
"""

from __future__ import annotations


class KafkaError(Exception):
    """Base of every simkafka error; ``retriable`` says whether Kafka retries it."""

    retriable = False

    def __str__(self) -> str:
        if not self.args:
            return self.__class__.__name__
        return f"{self.__class__.__name__}: {super().__str__()}"


class BrokerNotAvailableError(KafkaError):
    """No broker answers at the address; the message (one line) says how to start one."""

    def __str__(self) -> str:  # one line, no class-name prefix: it is the whole message
        return str(self.args[0]) if self.args else "the broker is not reachable"


class IllegalArgumentError(KafkaError, ValueError):
    """An argument a Kafka client would refuse (a negative offset, an empty topic name)."""


class IllegalStateError(KafkaError):
    """A call that makes no sense in the client's current state (poll before subscribe)."""


class KafkaConfigurationError(KafkaError, ValueError):
    """An unknown or invalid configuration value (an unknown assignor or partitioner)."""


class KafkaTimeoutError(KafkaError):
    """A bounded wait ran out (a future's ``get(timeout)``, a broker that does not answer)."""

    retriable = True


class CommitFailedError(KafkaError):
    """A commit from a member of an old generation: its partitions now belong to another."""

    def __init__(self, *args: object) -> None:
        if not args:
            args = (
                "Commit cannot be completed since the group has already rebalanced and "
                "assigned the partitions to another member.",
            )
        super().__init__(*args)


class NoOffsetForPartitionError(KafkaError):
    """No committed offset and ``auto_offset_reset='none'``: the consumer cannot start."""


class BrokerResponseError(KafkaError):
    """An error the broker returns, with Kafka's protocol error code."""

    errno: int | None = None
    message: str | None = None

    def __str__(self) -> str:
        return f"[Error {self.errno}] {super().__str__()}"


class OffsetOutOfRangeError(BrokerResponseError):
    errno = 1
    message = "OFFSET_OUT_OF_RANGE"


class UnknownTopicOrPartitionError(BrokerResponseError):
    errno = 3
    message = "UNKNOWN_TOPIC_OR_PARTITION"


class MessageSizeTooLargeError(BrokerResponseError):
    errno = 10
    message = "MESSAGE_TOO_LARGE"


class IllegalGenerationError(BrokerResponseError):
    errno = 22
    message = "ILLEGAL_GENERATION"


class InconsistentGroupProtocolError(BrokerResponseError):
    errno = 23
    message = "INCONSISTENT_GROUP_PROTOCOL"


class NoError(BrokerResponseError):
    """Not an error: what an admin call returns for a partition whose change was applied.

    kafka-python's ``alter_group_offsets`` and ``reset_group_offsets`` return the broker's
    answer per partition (this class, or the error class) rather than raising.
    """

    errno = 0
    message = "NONE"


class UnknownMemberIdError(BrokerResponseError):
    errno = 25
    message = "UNKNOWN_MEMBER_ID"


class RebalanceInProgressError(BrokerResponseError):
    errno = 27
    message = "REBALANCE_IN_PROGRESS"


class TopicAlreadyExistsError(BrokerResponseError):
    errno = 36
    message = "TOPIC_ALREADY_EXISTS"


class InvalidPartitionsError(BrokerResponseError):
    errno = 37
    message = "INVALID_PARTITIONS"


class InvalidReplicationFactorError(BrokerResponseError):
    errno = 38
    message = "INVALID_REPLICATION_FACTOR"


class InvalidConfigurationError(BrokerResponseError):
    errno = 40
    message = "INVALID_CONFIG"


class NonEmptyGroupError(BrokerResponseError):
    errno = 68
    message = "NON_EMPTY_GROUP"


class GroupIdNotFoundError(BrokerResponseError):
    errno = 69
    message = "GROUP_ID_NOT_FOUND"


class FencedInstanceIdError(BrokerResponseError):
    errno = 82
    message = "FENCED_INSTANCE_ID"


class NotLeaderForPartitionError(BrokerResponseError):
    errno = 6
    message = "NOT_LEADER_OR_FOLLOWER"


class RequestTimedOutError(BrokerResponseError):
    errno = 7
    message = "REQUEST_TIMED_OUT"


class NotEnoughReplicasError(BrokerResponseError):
    """acks=all refused: the ISR is smaller than min.insync.replicas (nothing was appended)."""

    errno = 19
    message = "NOT_ENOUGH_REPLICAS"


class NotEnoughReplicasAfterAppendError(BrokerResponseError):
    """acks=all: appended, but the ISR shrank below min.insync.replicas before it completed."""

    errno = 20
    message = "NOT_ENOUGH_REPLICAS_AFTER_APPEND"


class InvalidRecordStateError(BrokerResponseError):
    """A share-group acknowledgement for a record this member no longer holds (its lock
    expired, or it was released): another member may have it now."""

    errno = 121
    message = "INVALID_RECORD_STATE"
