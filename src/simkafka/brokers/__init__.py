"""Real Kafka and RabbitMQ brokers for the course, started natively (no Docker).

Command line: ``python -m simkafka.brokers up|down|status|run -- CMD...`` (see ``__main__``).
For tests and notebooks, the probes below tell whether a broker answers, without importing
any client library:

>>> kafka_available("127.0.0.1:1", timeout=0.5)  # nothing listens on port 1
False
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from simkafka.brokers import kafka, rabbitmq
from simkafka.brokers.common import BrokerError

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "brokers_required",
    "kafka_available",
    "kafka_bootstrap",
    "kafka_cluster_available",
    "kafka_cluster_bootstrap",
    "rabbitmq_available",
    "rabbitmq_url",
]

KAFKA_VERSION = kafka.KAFKA_VERSION


def brokers_required() -> bool:
    """Whether a missing broker is an error, not a skip: SIMKAFKA_REQUIRE_BROKERS is 1/true/yes."""
    return os.environ.get("SIMKAFKA_REQUIRE_BROKERS", "").strip().lower() in {"1", "true", "yes"}


def kafka_bootstrap() -> str:
    """Where tests and notebooks find Kafka: $SIMKAFKA_KAFKA_BOOTSTRAP, else 127.0.0.1:9092."""
    return os.environ.get("SIMKAFKA_KAFKA_BOOTSTRAP") or f"{kafka.LOOPBACK}:{kafka.PORT}"


def kafka_cluster_bootstrap() -> str:
    """Where the three-node cluster is: $SIMKAFKA_KAFKA_CLUSTER_BOOTSTRAP, else its three nodes."""
    from simkafka.brokers import kafka_cluster

    return os.environ.get("SIMKAFKA_KAFKA_CLUSTER_BOOTSTRAP") or kafka_cluster.bootstrap()


def kafka_cluster_available(timeout: float = 2.0) -> bool:
    """Whether every node of the three-node cluster answers (notebook 10 stops one of them)."""
    return all(
        kafka_available(server, timeout=timeout) for server in kafka_cluster_bootstrap().split(",")
    )


def rabbitmq_url() -> str:
    """Where tests and notebooks find RabbitMQ: $SIMKAFKA_RABBITMQ_URL, else guest on 127.0.0.1."""
    return (
        os.environ.get("SIMKAFKA_RABBITMQ_URL")
        or f"amqp://guest:guest@{rabbitmq.LOOPBACK}:{rabbitmq.PORT}/%2F"
    )


def kafka_available(bootstrap: str | None = None, timeout: float = 2.0) -> bool:
    """Whether a Kafka broker of ``bootstrap`` (default :func:`kafka_bootstrap`) answers.

    ``bootstrap`` is Kafka's ``host:port[,host:port...]``; one answering broker is enough.
    """
    for server in (bootstrap or kafka_bootstrap()).split(","):
        host, _, port = server.strip().rpartition(":")
        if kafka.probe(host.strip("[]") or kafka.LOOPBACK, int(port or kafka.PORT), timeout):
            return True
    return False


def rabbitmq_available(
    host: str | None = None, port: int | None = None, timeout: float = 2.0
) -> bool:
    """Whether an AMQP broker answers at ``host:port`` (default: from :func:`rabbitmq_url`)."""
    url = urlsplit(rabbitmq_url())
    return rabbitmq.probe(
        host or url.hostname or rabbitmq.LOOPBACK, port or url.port or rabbitmq.PORT, timeout
    )
