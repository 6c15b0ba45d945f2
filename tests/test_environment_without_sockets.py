"""Where no socket module can be imported (a browser sandbox such as Pyodide), a broker cell
still prints its one-line notice instead of raising: the launcher, which needs sockets, is not
imported, and the addresses fall back to the same environment variables and defaults."""

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
sys.modules["socket"] = None  # `import socket` now raises ImportError, as where it is unusable
from simkafka.environment import broker_address, broker_notice, check_environment
print(json.dumps({
    "notices": [broker_notice("kafka"), broker_notice("rabbitmq")],
    "addresses": [broker_address("kafka"), broker_address("rabbitmq")],
    "lines": check_environment(timeout=0.5),
}))
"""


def run_probe(env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def clean_env() -> dict[str, str]:
    drop = {"SIMKAFKA_KAFKA_BOOTSTRAP", "SIMKAFKA_RABBITMQ_URL"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_broker_cells_print_their_notice_without_sockets() -> None:
    result = run_probe(clean_env())
    assert result["notices"] == [
        "Kafka: not running at 127.0.0.1:9092 - start it with `make brokers-up` (or `docker compose up -d`)",
        "RabbitMQ: not running at 127.0.0.1:5672 - start it with `make brokers-up` (or `docker compose up -d`)",
    ]
    assert result["lines"][0].startswith("simulator: ready (simkafka ")
    assert result["lines"][1:] == result["notices"]


def test_addresses_without_sockets_agree_with_the_launcher(monkeypatch) -> None:
    from simkafka.environment import broker_address

    custom = {
        "SIMKAFKA_KAFKA_BOOTSTRAP": "kafka.example:19092,other:9092",
        "SIMKAFKA_RABBITMQ_URL": "amqp://u:p@rabbit.example:15672/%2F",
    }
    for env in (clean_env(), {**clean_env(), **custom}):
        for name, value in custom.items():
            if name in env:
                monkeypatch.setenv(name, value)
            else:
                monkeypatch.delenv(name, raising=False)
        launcher = [broker_address("kafka"), broker_address("rabbitmq")]  # sockets available
        assert run_probe(env)["addresses"] == launcher


def test_in_the_browser_a_broker_cell_says_it_needs_the_local_course(monkeypatch) -> None:
    """In Pyodide (sys.platform "emscripten") no broker is reachable: say so, not "start it"."""
    from simkafka.environment import broker_notice

    monkeypatch.setattr(sys, "platform", "emscripten")
    kafka, rabbitmq = broker_notice("kafka"), broker_notice("rabbitmq")
    assert kafka.startswith("Kafka: not reachable from the browser - ")
    assert rabbitmq.startswith("RabbitMQ: not reachable from the browser - ")
    assert "`make lab`" in kafka and "make brokers-up" not in kafka
