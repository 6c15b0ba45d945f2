"""RealShareConsumer: a share-group member on the real broker, over confluent-kafka.

kafka-python has no share consumer; confluent-kafka 2.16 (librdkafka 2.16) has
``ShareConsumer`` (marked Preview), which works against the course's Kafka 4.3.1. This adapter
gives it :class:`simkafka.share.SimShareConsumer`'s shape: snake_case configuration,
``poll(timeout)`` returning :class:`simkafka.share.ShareRecord` s, ``acknowledge(record,
AcknowledgeType.X)``, ``commit_sync`` answering per partition with ``None`` or simkafka's
error, and a missing broker as the course's one line. Share-group configs are set with the admin's
``alter_configs`` on the GROUP resource (kafka-python does that: :func:`~simkafka.share.configure_share_group`).

confluent-kafka is imported only inside functions, so ``import simkafka`` works without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import errors as _errors
from .brokers import kafka_available
from .errors import BrokerNotAvailableError, IllegalStateError, KafkaConfigurationError, KafkaError
from .records import TopicPartition
from .share import SHARE_CONSUMER_DEFAULTS, AcknowledgeType, ShareRecord, _ShareConsumerBase

#: simkafka's share consumer names -> librdkafka's.
_CONFIG_NAMES = {
    "group_id": "group.id",
    "client_id": "client.id",
    "max_poll_records": "max.poll.records",
    "share_acknowledgement_mode": "share.acknowledgement.mode",
}
#: Kafka's error codes -> simkafka's errors (by the protocol's numbers).
_BY_ERRNO = {
    cls.errno: cls
    for cls in vars(_errors).values()
    if isinstance(cls, type) and issubclass(cls, _errors.BrokerResponseError) and cls.errno
}


def not_reachable(bootstrap: str) -> BrokerNotAvailableError:
    """The course's one line for a missing broker (the same words as RealCluster's)."""
    return BrokerNotAvailableError(
        f"Kafka is not reachable at {bootstrap} - start it with `make brokers-up` "
        "(or `docker compose up -d`)"
    )


def _error(err: Any) -> Exception:
    """simkafka's exception for a confluent-kafka KafkaError (by Kafka's error code)."""
    code = err.code() if hasattr(err, "code") else None
    cls = _BY_ERRNO.get(code, KafkaError)
    return cls(err.str() if hasattr(err, "str") else str(err))


class RealShareConsumer(_ShareConsumerBase):
    """confluent-kafka's ShareConsumer with :class:`~simkafka.share.SimShareConsumer`'s shape."""

    def __init__(self, bootstrap: str, *topics: str, **config: Any) -> None:
        from confluent_kafka import ShareConsumer

        unknown = sorted(set(config) - set(SHARE_CONSUMER_DEFAULTS))
        if unknown:
            raise KafkaConfigurationError(
                f"unknown share consumer configuration {', '.join(unknown)}; use "
                f"{', '.join(sorted(SHARE_CONSUMER_DEFAULTS))}"
            )
        self.config = {**SHARE_CONSUMER_DEFAULTS, **config}
        if not self.config["group_id"]:
            raise KafkaConfigurationError("a share consumer needs group_id=...")
        if not kafka_available(bootstrap, timeout=2.0):
            raise not_reachable(bootstrap)
        native = {_CONFIG_NAMES[k]: v for k, v in self.config.items()}
        native["bootstrap.servers"] = bootstrap
        # librdkafka logs a Preview warning on stderr for every share consumer: keep it quiet.
        native["log_level"] = 3
        self._consumer = ShareConsumer(native)
        self._messages: dict[tuple[TopicPartition, int], Any] = {}
        self.last_poll: list[ShareRecord] = []
        self._closed = False
        if topics:
            self.subscribe(list(topics))

    def subscribe(self, topics: Iterable[str]) -> None:
        self._check_open()
        self._consumer.subscribe(list(topics))

    def subscription(self) -> list[str]:
        return sorted(self._consumer.subscription())

    def poll(self, timeout: float = 0) -> list[ShareRecord]:
        """Records acquired for this member within ``timeout`` seconds (pending
        acknowledgements go with the request)."""
        self._check_open()
        got = []
        for m in self._consumer.poll(timeout) or ():
            if m.error() is not None:
                raise _error(m.error())
            tp = TopicPartition(m.topic(), m.partition())
            self._messages[(tp, m.offset())] = m
            got.append(
                ShareRecord(
                    m.topic(), m.partition(), m.offset(), m.key(), m.value(), m.delivery_count()
                )
            )
        self.last_poll = got
        return list(got)

    def acknowledge(
        self, record: ShareRecord, ack_type: AcknowledgeType = AcknowledgeType.ACCEPT
    ) -> None:
        """Mark one polled record accepted, released or rejected (sent with the next call)."""
        from confluent_kafka import AcknowledgeType as NativeType

        self._check_open()
        if self.config["share_acknowledgement_mode"] != "explicit":
            raise IllegalStateError(
                "acknowledge() needs share_acknowledgement_mode='explicit' (implicit mode "
                "accepts every record of a poll at the next poll)"
            )
        message = self._messages.pop((record.topic_partition, record.offset), None)
        if message is None:
            raise IllegalStateError(f"record {record} was not returned by this consumer's poll")
        self._consumer.acknowledge(message, NativeType(int(AcknowledgeType(ack_type))))

    def commit_sync(self, timeout: float = 10.0) -> dict[TopicPartition, Exception | None]:
        """Send the pending acknowledgements; per partition ``None`` or the broker's error."""
        self._check_open()
        result = self._consumer.commit_sync(timeout) or {}
        return {
            TopicPartition(tp.topic, tp.partition): None if tp.error is None else _error(tp.error)
            for tp in result
        }

    def close(self, timeout: float | None = None) -> None:
        """Commit pending acknowledgements and leave the group; records still held are
        released by the broker (their delivery count kept)."""
        if self._closed:
            return
        self._closed = True
        self._messages.clear()
        self._consumer.close()

    def __enter__(self) -> RealShareConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
