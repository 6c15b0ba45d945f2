"""nbval settings for the student copies (build/student): they run with the brokers hidden.

``make test`` runs the notebooks themselves against the real brokers (required in CI); it
runs these copies, without their solutions, as a learner without brokers would: every
broker cell must print its one-line notice and the notebook go on. Each copy's kernel
starts with the broker addresses pointed at closed ports; the rest of the test run keeps
its environment.
"""

from __future__ import annotations

import os

import pytest

#: Where no broker listens: the kernels of the student copies see no Kafka and no RabbitMQ.
HIDDEN = {
    "SIMKAFKA_KAFKA_BOOTSTRAP": "127.0.0.1:1",
    "SIMKAFKA_RABBITMQ_URL": "amqp://guest:guest@127.0.0.1:2/%2F",
    "SIMKAFKA_KAFKA_CLUSTER_BOOTSTRAP": "127.0.0.1:3,127.0.0.1:4,127.0.0.1:5",
}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before the runner sets up the notebook, which starts its kernel with this environment.
    item._saved_env = {name: os.environ.get(name) for name in HIDDEN}
    os.environ.update(HIDDEN)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    for name, value in getattr(item, "_saved_env", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
