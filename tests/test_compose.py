"""docker-compose.yml, the Docker alternative to the native launcher, stays in step with it.

Its Kafka image is the version the launcher pins, and every port it publishes is bound to
127.0.0.1, so neither broker is ever reachable from the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simkafka.brokers.kafka import KAFKA_VERSION, broker_properties

yaml = pytest.importorskip("yaml", reason="pyyaml is not installed (pip install -e .[test])")

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def host_ip(port: str | int | dict[str, Any]) -> str | None:
    """The host address of a published port, short ("IP:HOST:CONTAINER") or long syntax."""
    if isinstance(port, dict):
        return port.get("host_ip")
    parts = str(port).split(":")
    return ":".join(parts[:-2]) if len(parts) >= 3 else None


def test_kafka_image_is_the_launchers_version(services: dict[str, Any]) -> None:
    image, _, tag = services["kafka"]["image"].rpartition(":")
    assert (image, tag) == ("apache/kafka", KAFKA_VERSION)


def test_rabbitmq_image_is_rabbitmq_4_with_management(services: dict[str, Any]) -> None:
    assert services["rabbitmq"]["image"] == "rabbitmq:4-management"


@pytest.mark.parametrize("name", ["kafka", "rabbitmq"])
def test_every_published_port_binds_to_loopback(services: dict[str, Any], name: str) -> None:
    ports = services[name].get("ports", [])
    assert ports, f"{name} publishes no port"
    assert [host_ip(port) for port in ports] == ["127.0.0.1"] * len(ports)


def test_no_service_shares_the_host_network(services: dict[str, Any]) -> None:
    assert all(service.get("network_mode") != "host" for service in services.values())


@pytest.mark.parametrize("name", ["kafka", "rabbitmq"])
def test_every_service_has_a_healthcheck(services: dict[str, Any], name: str) -> None:
    assert services[name]["healthcheck"]["test"]


@pytest.mark.parametrize(
    "key",
    [
        "node.id",
        "process.roles",
        "advertised.listeners",
        "controller.listener.names",
        "inter.broker.listener.name",
        "listener.security.protocol.map",
        "num.partitions",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
        "group.initial.rebalance.delay.ms",
        "auto.create.topics.enable",
    ],
)
def test_kafka_setting_matches_the_launcher(services: dict[str, Any], key: str) -> None:
    environment = services["kafka"]["environment"]
    variable = "KAFKA_" + key.upper().replace(".", "_")
    assert str(environment[variable]) == broker_properties(Path("data"))[key]
