"""Is this machine ready for the course? The simulator always is; the real brokers are optional.

Notebook ``00-setup`` calls :func:`check_environment` to print one line per piece. Each cell
that talks to a real broker first asks :func:`broker_notice`: when it returns a line, the cell
prints it and stops, so a missing broker never hangs a cell or ends it in a traceback. The
round trips themselves, :func:`kafka_hello` and :func:`rabbitmq_hello`, import kafka-python and
pika only when called, so this module also imports where they are absent (in the browser).

>>> broker_notice("kafka", address="127.0.0.1:1")  # nothing listens on port 1
'Kafka: not running at 127.0.0.1:1 - start it with `make brokers-up` (or `docker compose up -d`)'
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import uuid
from urllib.parse import urlsplit

__all__ = [
    "BROKERS",
    "broker_address",
    "broker_notice",
    "check_environment",
    "kafka_hello",
    "rabbitmq_hello",
]

#: The brokers the course can use: name -> (display name, client module, pip name).
BROKERS: dict[str, tuple[str, str, str]] = {
    "kafka": ("Kafka", "kafka", "kafka-python"),
    "rabbitmq": ("RabbitMQ", "pika", "pika"),
}

#: Optional brokers: asked for by name only (notebook 10's three-node cluster), never listed
#: by check_environment.
OPTIONAL_BROKERS: dict[str, tuple[str, str, str]] = {
    "kafka-cluster": ("Kafka cluster", "kafka", "kafka-python"),
}

START_HINT = "start it with `make brokers-up` (or `docker compose up -d`)"
CLUSTER_START_HINT = (
    "start it with `make brokers-up NODES=3` (or `docker compose --profile cluster up -d`)"
)
INSTALL_HINT = "install it with `pip install -e '.[real]'` (make env does)"
#: In the browser (JupyterLite's Pyodide) there are no sockets, so no broker can be reached.
BROWSER_HINT = (
    "a notebook in the browser (Pyodide) has no network sockets; the simulator cells run here, "
    "and the real-broker cells run when the course runs locally (`make lab`)"
)


def _check_name(broker: str) -> str:
    name = broker.strip().lower()
    if name not in BROKERS and name not in OPTIONAL_BROKERS:
        raise ValueError(f"unknown broker {broker!r}: use one of {', '.join(BROKERS)}")
    return name


def broker_address(broker: str) -> str:
    """Where the course looks for ``broker``, as ``host:port``.

    Kafka: ``$SIMKAFKA_KAFKA_BOOTSTRAP`` (its first server), else ``127.0.0.1:9092``;
    RabbitMQ: the host and port of ``$SIMKAFKA_RABBITMQ_URL``, else ``127.0.0.1:5672``.

    >>> import os
    >>> "SIMKAFKA_KAFKA_BOOTSTRAP" in os.environ or broker_address("kafka") == "127.0.0.1:9092"
    True
    """
    name = _check_name(broker)
    if name == "kafka-cluster":
        return os.environ.get("SIMKAFKA_KAFKA_CLUSTER_BOOTSTRAP") or ",".join(
            f"127.0.0.1:{19090 + n}" for n in (1, 2, 3)
        )
    try:
        from simkafka import brokers
    except ImportError:  # no usable socket module (a browser sandbox): the launcher cannot load
        kafka = os.environ.get("SIMKAFKA_KAFKA_BOOTSTRAP") or "127.0.0.1:9092"
        rabbitmq = os.environ.get("SIMKAFKA_RABBITMQ_URL") or "amqp://guest:guest@127.0.0.1:5672/"
    else:
        kafka, rabbitmq = brokers.kafka_bootstrap(), brokers.rabbitmq_url()
    if name == "kafka":
        return kafka.split(",")[0].strip()
    url = urlsplit(rabbitmq)
    return f"{url.hostname or '127.0.0.1'}:{url.port or 5672}"


def _answers(broker: str, address: str, timeout: float) -> bool:
    """Whether ``broker`` answers its own protocol at ``address``; False on any error."""
    try:
        from simkafka import brokers

        if broker == "kafka":
            return brokers.kafka_available(address, timeout=timeout)
        if broker == "kafka-cluster":  # every node: the experiments stop one of them
            return all(
                brokers.kafka_available(server, timeout=timeout) for server in address.split(",")
            )
        host, _, port = address.rpartition(":")
        return brokers.rabbitmq_available(host.strip("[]"), int(port), timeout=timeout)
    except Exception:  # no sockets at all (Pyodide), a malformed address: not running
        return False


def broker_notice(broker: str, *, address: str | None = None, timeout: float = 2.0) -> str | None:
    """The one line to print instead of running a ``broker`` cell, or None when it can run.

    ``broker`` is ``"kafka"`` or ``"rabbitmq"``; ``address`` (``host:port``) defaults to
    :func:`broker_address`. The broker must answer its protocol within ``timeout`` seconds (a
    closed port answers at once) and its client library (kafka-python, pika) must be installed.

    >>> print(broker_notice("rabbitmq", address="127.0.0.1:1", timeout=0.5))  # doctest: +ELLIPSIS
    RabbitMQ: not running at 127.0.0.1:1 - start it with `make brokers-up` (or `docker ...
    >>> broker_notice("redis")
    Traceback (most recent call last):
    ...
    ValueError: unknown broker 'redis': use one of kafka, rabbitmq
    """
    name = _check_name(broker)
    title, module, package = {**BROKERS, **OPTIONAL_BROKERS}[name]
    if sys.platform == "emscripten":
        return f"{title}: not reachable from the browser - {BROWSER_HINT}"
    where = address or broker_address(name)
    if not _answers(name, where, timeout):
        hint = CLUSTER_START_HINT if name == "kafka-cluster" else START_HINT
        return f"{title}: not running at {where} - {hint}"
    if importlib.util.find_spec(module) is None:
        return f"{title}: running at {where}, but {package} is not installed - {INSTALL_HINT}"
    return None


def check_environment(timeout: float = 2.0) -> list[str]:
    """One line each for the simulator, Kafka and RabbitMQ: ready, or what to do.

    The simulator line comes from a real round trip through a :class:`~simkafka.SimCluster`;
    each broker is probed for at most ``timeout`` seconds.

    >>> lines = check_environment(timeout=0.5)
    >>> lines[0].startswith("simulator: ready (simkafka ")
    True
    >>> [line.split(":")[0] for line in lines]
    ['simulator', 'Kafka', 'RabbitMQ']
    """
    import simkafka

    cluster = simkafka.SimCluster(seed=0)
    cluster.create_topic("setup-check", partitions=3)
    cluster.producer().send("setup-check", key=b"acct-42", value=b"created").get()
    lines = [f"simulator: ready (simkafka {simkafka.__version__})"]
    for name, (title, _module, _package) in BROKERS.items():
        notice = broker_notice(name, timeout=timeout)
        lines.append(notice or f"{title}: running at {broker_address(name)}")
    return lines


def kafka_hello(
    key: bytes = b"acct-42",
    *,
    partitions: int = 3,
    bootstrap: str | None = None,
    timeout: float = 15.0,
) -> int:
    """Send one record keyed ``key`` through real Kafka and return the partition it landed in.

    Creates a uniquely named topic with ``partitions`` partitions (the broker creates none by
    itself), produces with kafka-python's default partitioner, and deletes the topic again.
    Every call is bounded by ``timeout`` seconds; a failure raises kafka-python's error.
    Check :func:`broker_notice` first: this function assumes the broker is there.
    """
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    from simkafka import brokers

    servers = bootstrap or brokers.kafka_bootstrap()
    ms = int(timeout * 1000)
    topic = f"simkafka-setup-{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(
        bootstrap_servers=servers,
        client_id="simkafka-setup",
        request_timeout_ms=ms,
        bootstrap_timeout_ms=ms,
    )
    try:
        admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1)],
            timeout_ms=ms,
            wait_for_metadata=True,
        )
        try:
            producer = KafkaProducer(
                bootstrap_servers=servers,
                client_id="simkafka-setup",
                acks="all",
                max_block_ms=ms,
                request_timeout_ms=ms,
                bootstrap_timeout_ms=ms,
            )
            try:
                metadata = producer.send(topic, key=key, value=b"created").get(timeout=timeout)
            finally:
                producer.close(timeout=timeout)
        finally:
            admin.delete_topics([topic], timeout_ms=ms)
    finally:
        admin.close()
    return metadata.partition


def rabbitmq_hello(*, url: str | None = None, timeout: float = 10.0) -> str:
    """Publish one message to a fresh exclusive queue, get it back, ack it; say so.

    The queue is server-named and exclusive, so RabbitMQ deletes it when the connection
    closes. Every call is bounded by ``timeout`` seconds; a failure raises pika's error.
    Check :func:`broker_notice` first: this function assumes the broker is there.
    """
    import pika

    from simkafka import brokers

    parameters = pika.URLParameters(url or brokers.rabbitmq_url())
    parameters.connection_attempts = 1
    parameters.socket_timeout = timeout
    parameters.stack_timeout = timeout
    parameters.blocked_connection_timeout = timeout
    connection = pika.BlockingConnection(parameters)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        queue = channel.queue_declare(queue="", exclusive=True).method.queue
        body = b"acct-42 created"
        channel.basic_publish(exchange="", routing_key=queue, body=body, mandatory=True)
        deadline = time.monotonic() + timeout
        method, _properties, received = channel.basic_get(queue)
        while method is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"RabbitMQ: the message did not come back within {timeout} s")
            connection.sleep(0.05)
            method, _properties, received = channel.basic_get(queue)
        channel.basic_ack(method.delivery_tag)
        if received != body:
            raise RuntimeError(f"RabbitMQ: sent {body!r} but got {received!r} back")
    finally:
        connection.close()
    return "RabbitMQ: round trip ok"
