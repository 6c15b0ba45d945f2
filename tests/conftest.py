"""Broker gating: tests marked ``kafka`` or ``rabbitmq`` need that real broker.

Without the broker such a test skips, saying how to start one; with SIMKAFKA_REQUIRE_BROKERS=1
(as in CI) it fails instead, so a broker that did not come up can never pass unnoticed. Each
broker is probed once per session. The fixtures ``kafka_bootstrap`` and ``rabbitmq_url`` gate
the same way and give the address to connect to.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from simkafka import brokers

START_HINT = "start it with `python -m simkafka.brokers up` (make brokers-up)"


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5672}"


_GATES: dict[str, tuple[Callable[[], bool], Callable[[], str]]] = {
    "kafka": (brokers.kafka_available, brokers.kafka_bootstrap),
    "rabbitmq": (brokers.rabbitmq_available, lambda: _host_port(brokers.rabbitmq_url())),
    "kafka_cluster": (brokers.kafka_cluster_available, brokers.kafka_cluster_bootstrap),
}
_HINTS = {"kafka_cluster": "start it with `make brokers-up NODES=3`"}
_answered: dict[str, bool] = {}


def require_broker(name: str) -> None:
    """Skip (or, when brokers are required, fail) the current test if broker ``name`` is absent."""
    available, address = _GATES[name]
    if name not in _answered:
        _answered[name] = available()
    if _answered[name]:
        return
    reason = f"no {name} broker answers at {address()}: {_HINTS.get(name, START_HINT)}"
    if brokers.brokers_required():
        pytest.fail(f"{reason} (SIMKAFKA_REQUIRE_BROKERS is set)", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for name in _GATES:
        if item.get_closest_marker(name) is not None:
            require_broker(name)


@pytest.fixture
def kafka_bootstrap() -> str:
    """Kafka's bootstrap servers for a test that needs the real broker."""
    require_broker("kafka")
    return brokers.kafka_bootstrap()


@pytest.fixture
def kafka_cluster_bootstrap() -> str:
    """The three-node cluster's bootstrap servers, for a test that stops and starts its nodes."""
    require_broker("kafka_cluster")
    return brokers.kafka_cluster_bootstrap()


@pytest.fixture
def rabbitmq_url() -> str:
    """The AMQP URL for a test that needs the real RabbitMQ broker."""
    require_broker("rabbitmq")
    return brokers.rabbitmq_url()
