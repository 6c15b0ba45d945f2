"""simkafka.environment: the setup notebook's lines and notices, and its broker round trips.

The notices are tested with the probes replaced, so they hold whether or not a broker runs;
the round trips need the real brokers (marked, so they skip or fail as tests/conftest.py
decides). The nbval gate in notebooks/conftest.py is tested on a stand-in cell item.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

import simkafka
from simkafka import SimCluster, brokers, environment
from simkafka.environment import (
    broker_address,
    broker_notice,
    check_environment,
    kafka_hello,
    rabbitmq_hello,
)

ROOT = Path(__file__).resolve().parent.parent
START = "start it with `make brokers-up` (or `docker compose up -d`)"


@pytest.fixture
def no_broker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIMKAFKA_KAFKA_BOOTSTRAP", "SIMKAFKA_RABBITMQ_URL", "SIMKAFKA_REQUIRE_BROKERS"):
        monkeypatch.delenv(name, raising=False)


def brokers_up(monkeypatch: pytest.MonkeyPatch, kafka: bool, rabbitmq: bool) -> None:
    monkeypatch.setattr(brokers, "kafka_available", lambda *a, **k: kafka)
    monkeypatch.setattr(brokers, "rabbitmq_available", lambda *a, **k: rabbitmq)


def test_addresses_default_to_loopback(no_broker_env: None) -> None:
    assert broker_address("kafka") == "127.0.0.1:9092"
    assert broker_address("RabbitMQ") == "127.0.0.1:5672"


def test_addresses_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMKAFKA_KAFKA_BOOTSTRAP", "kafka.example:19092,other:9092")
    monkeypatch.setenv("SIMKAFKA_RABBITMQ_URL", "amqp://u:p@mq.example:25672/%2F")
    assert broker_address("kafka") == "kafka.example:19092"
    assert broker_address("rabbitmq") == "mq.example:25672"


def test_notices_when_brokers_are_down(no_broker_env: None, monkeypatch) -> None:
    brokers_up(monkeypatch, kafka=False, rabbitmq=False)
    assert broker_notice("kafka") == f"Kafka: not running at 127.0.0.1:9092 - {START}"
    assert broker_notice("rabbitmq") == f"RabbitMQ: not running at 127.0.0.1:5672 - {START}"


def test_no_notice_when_brokers_are_up(no_broker_env: None, monkeypatch) -> None:
    brokers_up(monkeypatch, kafka=True, rabbitmq=True)
    assert broker_notice("kafka") is None
    assert broker_notice("rabbitmq") is None


def test_notice_when_the_client_library_is_missing(no_broker_env: None, monkeypatch) -> None:
    brokers_up(monkeypatch, kafka=True, rabbitmq=True)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "pika" else real_find_spec(name)
    )
    notice = broker_notice("rabbitmq")
    assert notice is not None
    assert notice.startswith("RabbitMQ: running at 127.0.0.1:5672, but pika is not installed")
    assert "pip install -e '.[real]'" in notice
    assert broker_notice("kafka") is None


def test_a_probe_that_cannot_even_open_a_socket_means_not_running(monkeypatch) -> None:
    def no_sockets(*args, **kwargs):
        raise RuntimeError("no socket support (as in Pyodide)")

    monkeypatch.setattr(brokers, "kafka_available", no_sockets)
    assert broker_notice("kafka", address="127.0.0.1:9092").startswith("Kafka: not running")


def test_probe_of_a_closed_port_is_quick() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notice = broker_notice("kafka", address=f"127.0.0.1:{port}", timeout=2.0)
    assert notice == f"Kafka: not running at 127.0.0.1:{port} - {START}"


def test_unknown_broker() -> None:
    with pytest.raises(ValueError, match="use one of kafka, rabbitmq"):
        broker_notice("activemq")


def test_check_environment_lines(no_broker_env: None, monkeypatch) -> None:
    brokers_up(monkeypatch, kafka=True, rabbitmq=False)
    assert check_environment(timeout=0.1) == [
        f"simulator: ready (simkafka {simkafka.__version__})",
        "Kafka: running at 127.0.0.1:9092",
        f"RabbitMQ: not running at 127.0.0.1:5672 - {START}",
    ]


def test_the_module_imports_no_client_library() -> None:
    source = Path(environment.__file__).read_text()
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in top_level if "kafka" in line.split()[1] or "pika" in line]


# -- the nbval gate of notebooks/conftest.py --------------------------------------------------


def notebook_conftest():
    spec = importlib.util.spec_from_file_location(
        "notebooks_conftest", ROOT / "notebooks" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cell_item(*tags: str) -> SimpleNamespace:
    metadata = {"tags": list(tags)} if tags else {}
    return SimpleNamespace(
        nodeid="notebooks/x.ipynb::Cell 3", cell=SimpleNamespace(metadata=metadata)
    )


def test_gate_lets_broker_cells_run_when_brokers_are_optional(no_broker_env, monkeypatch) -> None:
    gate = notebook_conftest()
    brokers_up(monkeypatch, kafka=False, rabbitmq=False)
    gate.pytest_runtest_setup(cell_item("requires-kafka"))
    gate.pytest_runtest_setup(cell_item("requires-rabbitmq"))


def test_gate_fails_a_broker_cell_when_brokers_are_required(no_broker_env, monkeypatch) -> None:
    gate = notebook_conftest()
    monkeypatch.setenv("SIMKAFKA_REQUIRE_BROKERS", "1")
    brokers_up(monkeypatch, kafka=True, rabbitmq=False)
    gate.pytest_runtest_setup(cell_item("requires-kafka"))
    gate.pytest_runtest_setup(cell_item("nbval-check-output"))
    gate.pytest_runtest_setup(SimpleNamespace(nodeid="tests/test_x.py::test_y"))
    with pytest.raises(pytest.fail.Exception, match="RabbitMQ: not running .* requires-rabbitmq"):
        gate.pytest_runtest_setup(cell_item("requires-rabbitmq"))


# -- the round trips, on the real brokers ------------------------------------------------------


@pytest.mark.parametrize("key", [b"acct-42", b"acct-7", b"acct-1001"])
def test_kafka_hello_agrees_with_the_simulator(kafka_bootstrap: str, key: bytes) -> None:
    cluster = SimCluster(seed=0)
    cluster.create_topic("user-accounts", partitions=3)
    expected = cluster.producer().send("user-accounts", key=key, value=b"created").get()
    assert kafka_hello(key, bootstrap=kafka_bootstrap, timeout=15) == expected.partition


def test_rabbitmq_hello(rabbitmq_url: str) -> None:
    assert rabbitmq_hello(url=rabbitmq_url) == "RabbitMQ: round trip ok"


def test_broker_notices_on_real_brokers(kafka_bootstrap: str, rabbitmq_url: str) -> None:
    assert broker_notice("kafka", address=kafka_bootstrap) is None
    assert broker_notice("rabbitmq") is None


# -- environment.yml, for conda users ----------------------------------------------------------


def test_conda_environment_matches_pyproject() -> None:
    """environment.yml pins what pyproject.toml's dependencies and extras pin, no more."""
    import tomllib

    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    listed = set()
    for entry in env["dependencies"]:
        listed |= set(entry["pip"]) if isinstance(entry, dict) else {entry}
    assert env["channels"] == ["conda-forge"]
    assert "-e ." in listed
    minimum = project["requires-python"].removeprefix(">=")
    assert f"python>={minimum}" in listed
    assert {s.replace(" ", "") for s in wanted} <= listed
    assert listed - wanted <= {"-e .", "pip", f"python>={minimum}"}
