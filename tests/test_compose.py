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


CLUSTER = ("kafka-1", "kafka-2", "kafka-3")


@pytest.mark.parametrize("name", CLUSTER)
def test_cluster_node_is_the_launchers_node(services: dict[str, Any], name: str) -> None:
    from simkafka.brokers import kafka_cluster

    node = int(name[-1])
    service = services[name]
    environment = service["environment"]
    assert service["profiles"] == ["cluster"]
    assert service["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert [host_ip(port) for port in service["ports"]] == ["127.0.0.1"]
    assert service["ports"][0] == f"127.0.0.1:{kafka_cluster.port(node)}:{kafka_cluster.port(node)}"
    assert environment["KAFKA_NODE_ID"] == node
    assert environment["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3
    launcher = kafka_cluster.node_properties(node, Path("data"))
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.min.isr",
        "broker.session.timeout.ms",
        "replica.lag.time.max.ms",
        "auto.leader.rebalance.enable",
        "auto.create.topics.enable",
    ):
        variable = "KAFKA_" + key.upper().replace(".", "_")
        assert str(environment[variable]) == launcher[key], key


def test_cluster_nodes_share_one_cluster_id(services: dict[str, Any]) -> None:
    assert len({services[name]["environment"]["CLUSTER_ID"] for name in CLUSTER}) == 1
    assert "profiles" not in services["kafka"]
