"""nbval gating for the notebooks' broker cells.

A code cell tagged ``requires-kafka`` or ``requires-rabbitmq`` talks to that real broker.
When the broker is absent the cell still runs: it prints its one-line notice (from
``simkafka.environment.broker_notice``) and stops, which is what a learner sees, and its
output is not compared. When SIMKAFKA_REQUIRE_BROKERS=1 (``make test`` in CI) an absent
broker fails that cell instead, before it runs, so a notebook can never pass without the
brokers it was meant to be tested against.

Only nbval's cell items carry a ``cell``; every other test is left alone.
"""

from __future__ import annotations

import pytest

from simkafka.brokers import brokers_required
from simkafka.environment import broker_notice

#: Cell tag -> broker name as ``broker_notice`` knows it.
BROKER_TAGS = {
    "requires-kafka": "kafka",
    "requires-rabbitmq": "rabbitmq",
    "requires-kafka-cluster": "kafka-cluster",
}


def cell_tags(item: pytest.Item) -> list[str]:
    """The tags of the notebook cell behind an nbval item; [] for any other item."""
    cell = getattr(item, "cell", None)
    metadata = getattr(cell, "metadata", None) or {}
    tags = metadata.get("tags", [])
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not brokers_required():
        return
    for tag in cell_tags(item):
        broker = BROKER_TAGS.get(tag)
        notice = broker and broker_notice(broker)
        if notice:
            pytest.fail(
                f"{notice} (this cell is tagged {tag} and SIMKAFKA_REQUIRE_BROKERS is set)",
                pytrace=False,
            )
