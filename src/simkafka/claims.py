"""Two claims of the article the course follows, measured on the real brokers.

1. "Kafka's performance does not depend on how much is already stored":
   :func:`kafka_throughput` produces and consumes a batch of records on a real Kafka as the
   topic's log grows (0, 1.5 and 5 million records in ``make bench-brokers``), and
   :func:`rabbitmq_throughput` does the same with a RabbitMQ queue as its depth grows.
2. "Kafka keeps one copy; RabbitMQ copies the message to every subscriber's queue":
   :func:`kafka_bytes_per_reader` reads one topic with N groups and asks the broker the
   topic's size (DescribeLogDirs); :func:`rabbitmq_bytes_per_reader` publishes the same
   messages to a fanout exchange bound to N queues and asks the broker (``rabbitmqctl``) each
   queue's ``message_bytes`` and the node's memory. :func:`sim_bytes_per_reader` is the same
   experiment on SimCluster and SimQueue.

The measurements take minutes and millions of records, so they run in ``make bench-brokers``
(``benchmarks/brokers.py``), which saves them with the machine and the versions that produced
them into ``src/simkafka/data/broker-claims.json``; the notebooks plot that file
(:func:`load_results`, :func:`plot_throughput`, :func:`plot_bytes_per_reader`) and need no
broker. confluent-kafka (librdkafka) drives Kafka, pika drives RabbitMQ; both are imported
inside the functions that use them.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "RESULTS_FILE",
    "kafka_bytes_per_reader",
    "kafka_throughput",
    "load_results",
    "machine",
    "plot_bytes_per_reader",
    "plot_throughput",
    "rabbitmq_bytes_per_reader",
    "rabbitmq_throughput",
    "sim_bytes_per_reader",
]

#: Where ``make bench-brokers`` saves its results (package data, so the notebooks find it).
RESULTS_FILE = "data/broker-claims.json"

#: The command that regenerates :data:`RESULTS_FILE`.
COMMAND = "make bench-brokers"

#: A value of ``size`` bytes that does not compress (the same on every run).
_FILLER = bytes((i * 131 + 7) % 251 for i in range(4096))


def _value(size: int) -> bytes:
    if not 1 <= size <= len(_FILLER):
        raise ValueError(f"size must be from 1 to {len(_FILLER)} bytes, got {size!r}")
    return _FILLER[:size]


def _prefix() -> str:
    return f"simkafka-claims-{uuid.uuid4().hex[:8]}"


# -- the machine --------------------------------------------------------------------------------
def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(module: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return None


def machine(rabbitmq_url: str | None = None) -> dict[str, Any]:
    """What produced a measurement: the machine, the brokers' and the clients' versions."""
    from .brokers.kafka import KAFKA_VERSION

    info: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        # the machine may be shared: how busy it was when the run started
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "python": platform.python_version(),
        "kafka": KAFKA_VERSION,
        "rabbitmq": None,
        "confluent_kafka": _version("confluent-kafka"),
        "librdkafka": None,
        "kafka_python": _version("kafka-python"),
        "pika": _version("pika"),
    }
    try:
        import confluent_kafka

        info["librdkafka"] = confluent_kafka.libversion()[0]
    except ImportError:
        pass
    if rabbitmq_url:
        import pika

        conn = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
        try:
            version = conn._impl.server_properties.get("version", b"")
            info["rabbitmq"] = version.decode() if isinstance(version, bytes) else str(version)
        finally:
            conn.close()
    return info


def caption(info: dict[str, Any]) -> str:
    """One line naming the machine and versions, for a plot's foot.

    >>> caption({"date": "2026-12-07 12:00 UTC", "cpu": "X", "cores": 2, "memory_gib": 23.5,
    ...          "kafka": "4.3.1", "rabbitmq": "3.10.8", "librdkafka": "2.6.0", "pika": "1.3.2"})
    'Measured 2026-12-07 12:00 UTC on X (2 cores, 23.5 GiB): Kafka 4.3.1 (librdkafka 2.6.0), RabbitMQ 3.10.8 (pika 1.3.2)'
    """
    return (
        f"Measured {info.get('date')} on {info.get('cpu')} ({info.get('cores')} cores, "
        f"{info.get('memory_gib')} GiB): Kafka {info.get('kafka')} "
        f"(librdkafka {info.get('librdkafka')}), RabbitMQ {info.get('rabbitmq')} "
        f"(pika {info.get('pika')})"
    )


# -- claim 1: throughput as stored data grows ----------------------------------------------------
def _kafka_admin(bootstrap: str) -> Any:
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap})


def _wait(futures: dict, timeout: float = 60) -> None:
    for future in futures.values():
        future.result(timeout=timeout)


def _kafka_produce(bootstrap: str, topic: str, count: int, value: bytes) -> float:
    """Seconds to produce ``count`` records (acks=all) and have every one acknowledged."""
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 5,
            "batch.num.messages": 10_000,
            "queue.buffering.max.messages": 1_000_000,
            "queue.buffering.max.kbytes": 1_048_576,
            "acks": "all",
        }
    )
    failed: list[Any] = []

    def report(error: Any, _message: Any) -> None:
        if error is not None:
            failed.append(error)

    started = time.perf_counter()
    for _ in range(count):
        while True:
            try:
                producer.produce(topic, value, on_delivery=report)
                break
            except BufferError:  # the client's queue is full: let it send
                producer.poll(0.01)
        producer.poll(0)
    left = producer.flush(120)
    elapsed = time.perf_counter() - started
    if left or failed:
        raise RuntimeError(f"{left} records not delivered, {len(failed)} failed: {failed[:3]}")
    return elapsed


def _kafka_consume(bootstrap: str, topic: str, start: int, count: int) -> float:
    """Seconds to read ``count`` records of partition 0 from offset ``start``."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{topic}-reader",
            "enable.auto.commit": False,
            "fetch.max.bytes": 52_428_800,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, 0, start)])
        got = 0
        started = time.perf_counter()
        deadline = started + 120
        while got < count:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"read {got} of {count} records of {topic} in 120 s")
            for message in consumer.consume(num_messages=10_000, timeout=1.0):
                if message.error() is None:
                    got += 1
        return time.perf_counter() - started
    finally:
        consumer.close()


def _rates(level: int, batch: int, produce: list[float], consume: list[float]) -> tuple:
    """One row: the median of the runs' rates, and every run's rate (records per second)."""
    from statistics import median

    produce_rates = [round(batch / s) for s in produce]
    consume_rates = [round(batch / s) for s in consume]
    return (
        level,
        batch,
        median(produce_rates),
        median(consume_rates),
        produce_rates,
        consume_rates,
    )


#: The columns of :func:`kafka_throughput` and :func:`rabbitmq_throughput`.
THROUGHPUT_COLUMNS = [
    "stored",
    "records",
    "produce_per_s",
    "consume_per_s",
    "produce_runs",
    "consume_runs",
]


def kafka_throughput(
    bootstrap: str,
    stored: Iterable[int] = (0, 1_500_000, 5_000_000),
    batch: int = 500_000,
    size: int = 100,
    repeats: int = 3,
) -> pd.DataFrame:
    """Produce and consume ``batch`` records of ``size`` bytes as the log holds ``stored``.

    One topic of one partition: for each level (ascending), fill the log up to it (not
    timed), then ``repeats`` times: time producing ``batch`` more records (acks=all, all
    acknowledged), then time reading those records back from their first offset. Each run
    adds ``batch`` records to the log, so ``stored`` in the table is what the log held before
    the level's first run: a level below what earlier runs left is measured where they left
    it (with the defaults, the runs at 0 leave exactly 1.5 million). The topic is deleted at
    the end. Columns :data:`THROUGHPUT_COLUMNS`: the median rates per second, and each run's.
    """
    import pandas as pd
    from confluent_kafka.admin import NewTopic

    value = _value(size)
    admin = _kafka_admin(bootstrap)
    topic = f"{_prefix()}-throughput"
    _wait(admin.create_topics([NewTopic(topic, 1, 1)]))
    rows = []
    try:
        in_log = 0
        for level in sorted(stored):
            if level > in_log:
                _kafka_produce(bootstrap, topic, level - in_log, value)
                in_log = level
            before, produce, consume = in_log, [], []
            for _ in range(repeats):
                produce.append(_kafka_produce(bootstrap, topic, batch, value))
                consume.append(_kafka_consume(bootstrap, topic, in_log, batch))
                in_log += batch
            rows.append(_rates(before, batch, produce, consume))
    finally:
        _wait(admin.delete_topics([topic]))
    return pd.DataFrame(rows, columns=THROUGHPUT_COLUMNS)


def _pika_channel(url: str) -> tuple[Any, Any]:
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(url))
    return conn, conn.channel()


def _queue_depth(ch: Any, queue: str) -> int:
    return ch.queue_declare(queue, passive=True).method.message_count


def _rabbitmq_publish(ch: Any, queue: str, count: int, value: bytes, until: int) -> float:
    """Seconds to publish ``count`` messages and see the queue's depth reach ``until``."""
    started = time.perf_counter()
    for _ in range(count):
        ch.basic_publish("", queue, value)
    deadline = time.perf_counter() + 120
    while _queue_depth(ch, queue) < until:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"queue {queue} did not reach {until} messages in 120 s")
        time.sleep(0.01)
    return time.perf_counter() - started


def _rabbitmq_consume(ch: Any, queue: str, count: int, prefetch: int = 1000) -> float:
    """Seconds to receive and acknowledge ``count`` messages from the queue's head."""
    ch.basic_qos(prefetch_count=prefetch)
    state = {"got": 0}

    def on_message(channel: Any, method: Any, _properties: Any, _body: bytes) -> None:
        state["got"] += 1
        if state["got"] % 100 == 0 or state["got"] == count:
            channel.basic_ack(method.delivery_tag, multiple=True)
        if state["got"] == count:
            channel.stop_consuming()

    tag = ch.basic_consume(queue, on_message)
    started = time.perf_counter()
    while state["got"] < count:
        ch.connection.process_data_events(time_limit=1)
        if time.perf_counter() - started > 120:
            raise TimeoutError(f"received {state['got']} of {count} messages of {queue} in 120 s")
    elapsed = time.perf_counter() - started
    ch.basic_cancel(tag)
    return elapsed


def rabbitmq_throughput(
    url: str,
    depths: Iterable[int] = (0, 100_000, 1_000_000),
    batch: int = 50_000,
    size: int = 100,
    repeats: int = 3,
) -> pd.DataFrame:
    """Publish and consume ``batch`` messages of ``size`` bytes as the queue holds ``depths``.

    One classic queue, transient messages through the default exchange: for each depth
    (ascending), fill the queue up to it (not timed), then ``repeats`` times: time publishing
    ``batch`` more (until the queue counts them), then time consuming and acknowledging
    ``batch`` from the head (prefetch 1000, an ack for every 100), which brings the queue back
    to the depth. The queue is deleted at the end. Columns :data:`THROUGHPUT_COLUMNS`.
    """
    import pandas as pd

    value = _value(size)
    conn, ch = _pika_channel(url)
    queue = f"{_prefix()}-throughput"
    ch.queue_declare(queue)
    rows = []
    try:
        in_queue = 0
        for level in sorted(depths):
            if level > in_queue:
                _rabbitmq_publish(ch, queue, level - in_queue, value, until=level)
                in_queue = level
            produce, consume = [], []
            for _ in range(repeats):
                produce.append(_rabbitmq_publish(ch, queue, batch, value, until=level + batch))
                consume.append(_rabbitmq_consume(ch, queue, batch))
            rows.append(_rates(level, batch, produce, consume))
    finally:
        ch.queue_delete(queue)
        conn.close()
    return pd.DataFrame(rows, columns=THROUGHPUT_COLUMNS)


# -- claim 2: one copy, or a copy per queue ------------------------------------------------------
def kafka_bytes_per_reader(
    bootstrap: str, readers: Iterable[int] = range(1, 9), records: int = 2000, size: int = 1000
) -> pd.DataFrame:
    """The bytes Kafka keeps for one topic as N groups (N in ``readers``) have read it all.

    One topic of one partition gets ``records`` records of ``size`` bytes; then group after
    group reads every record and commits; after the N-th, the broker's DescribeLogDirs gives
    the topic's size. Columns ``readers, records, value_bytes, stored_bytes``.
    """
    import pandas as pd

    from .clients import NewTopic
    from .real import RealCluster
    from .records import TopicPartition

    wanted = sorted(readers)
    rows = []
    with RealCluster(bootstrap) as real:
        topic = real.topic_name("one-copy")
        real.admin().create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        producer = real.producer()
        for _ in range(records):
            producer.send(topic, value=_value(size))
        producer.flush()
        tp = TopicPartition(topic, 0)
        for n in range(1, max(wanted) + 1):
            group = real.consumer(group_id=real.group_name(f"reader-{n}"), enable_auto_commit=False)
            group.assign([tp])
            group.seek_to_beginning(tp)
            got = 0
            while got < records:
                got += sum(len(b) for b in group.poll(timeout_ms=5000).values())
            group.commit()
            group.close()
            if n in wanted:
                stored = int(real.partitions(topic)["bytes"].sum())
                rows.append((n, records, records * size, stored))
    return pd.DataFrame(rows, columns=["readers", "records", "value_bytes", "stored_bytes"])


def _rabbitmqctl(*args: str) -> str:
    """Run the launcher's rabbitmqctl (its node and cookie) and return what it printed."""
    from .brokers import rabbitmq as launcher

    where = launcher.layout()
    tool = launcher.DEBIAN_SCRIPTS / args[0]
    if not tool.exists() and not shutil.which(args[0]):
        raise RuntimeError(
            f"{args[0]} not found: the broker's own figures come from the native RabbitMQ "
            "that `python -m simkafka.brokers up` starts (with Docker: docker compose exec "
            "rabbitmq rabbitmqctl list_queues name messages message_bytes)"
        )
    done = subprocess.run(
        [str(tool if tool.exists() else args[0]), "-q", "-n", launcher.NODENAME, *args[1:]],
        env=launcher.process_env(where),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def rabbitmq_queue_figures(prefix: str) -> list[dict[str, Any]]:
    """``rabbitmqctl list_queues name messages message_bytes memory`` for our queues."""
    out = _rabbitmqctl(
        "rabbitmqctl", "list_queues", "name", "messages", "message_bytes", "memory",
        "--formatter", "json",
    )  # fmt: skip
    return [q for q in json.loads(out or "[]") if q["name"].startswith(prefix)]


def _node_memory() -> dict[str, int]:
    """The node's memory by kind (bytes), after a garbage collection of every process."""
    _rabbitmqctl(
        "rabbitmqctl", "eval", "lists:foreach(fun erlang:garbage_collect/1, processes()), ok."
    )
    out = _rabbitmqctl(
        "rabbitmq-diagnostics", "memory_breakdown", "--unit", "bytes", "--formatter", "json"
    )
    return {k: v["bytes"] for k, v in json.loads(out).items() if isinstance(v, dict)}


def rabbitmq_bytes_per_reader(
    url: str, readers: Iterable[int] = range(1, 9), records: int = 2000, size: int = 1000
) -> pd.DataFrame:
    """RabbitMQ's figures for the same messages fanned out to N queues, for N in ``readers``.

    For each N, a fanout exchange bound to N new queues gets ``records`` transient messages of
    ``size`` bytes (with publisher confirms); then ``rabbitmqctl list_queues`` gives each
    queue's ``message_bytes`` (the sum of its message bodies, as RabbitMQ counts them) and
    ``memory``, and ``rabbitmq-diagnostics memory_breakdown`` the node's ``binary`` memory
    (where message bodies live) before and after. The queues and the exchange are deleted.
    Columns ``readers, records, value_bytes, message_bytes, queue_memory, binary_growth``.
    """
    import pandas as pd

    rows = []
    conn, ch = _pika_channel(url)
    ch.confirm_delivery()
    value = _value(size)
    try:
        for n in sorted(readers):
            prefix = f"{_prefix()}-fanout"
            exchange, queues = f"{prefix}-x", [f"{prefix}-q{i}" for i in range(n)]
            before = _node_memory()
            ch.exchange_declare(exchange, "fanout")
            for q in queues:
                ch.queue_declare(q)
                ch.queue_bind(q, exchange)
            try:
                for _ in range(records):
                    ch.basic_publish(exchange, "", value)
                after = _node_memory()
                figures = rabbitmq_queue_figures(prefix)
                if len(figures) != n or any(q["messages"] != records for q in figures):
                    raise RuntimeError(f"expected {n} queues of {records} messages: {figures}")
                rows.append(
                    (
                        n,
                        records,
                        records * size,
                        sum(q["message_bytes"] for q in figures),
                        sum(q["memory"] for q in figures),
                        after["binary"] - before["binary"],
                    )
                )
            finally:
                for q in queues:
                    ch.queue_delete(q)
                ch.exchange_delete(exchange)
    finally:
        conn.close()
    return pd.DataFrame(
        rows,
        columns=[
            "readers",
            "records",
            "value_bytes",
            "message_bytes",
            "queue_memory",
            "binary_growth",
        ],
    )


def sim_bytes_per_reader(
    readers: Iterable[int] = range(1, 9), records: int = 2000, size: int = 1000
) -> pd.DataFrame:
    """The same experiment on SimCluster and SimQueue: ``readers, kafka_bytes, queue_bytes``.

    ``kafka_bytes`` is the topic's size in Kafka's format after N groups read it;
    ``queue_bytes`` the sum of ``message_bytes`` of N fanout queues (SimQueue.queues()).

    >>> print(sim_bytes_per_reader([1, 2, 3], records=10, size=100).to_string(index=False))
     readers  kafka_bytes  queue_bytes
           1         1700         1000
           2         1700         2000
           3         1700         3000
    """
    import pandas as pd

    from .cluster import SimCluster
    from .queue import SimQueue
    from .records import TopicPartition

    rows = []
    for n in sorted(readers):
        cluster = SimCluster(seed=0)
        cluster.create_topic("one-copy", 1)
        producer = cluster.producer()
        for _ in range(records):
            producer.send("one-copy", value=_value(size)).get()
        tp = TopicPartition("one-copy", 0)
        for g in range(n):
            group = cluster.consumer(group_id=f"reader-{g + 1}", enable_auto_commit=False)
            group.assign([tp])
            group.seek_to_beginning(tp)
            got = 0
            while got < records:
                got += sum(len(b) for b in group.poll(timeout_ms=1000).values())
            group.commit()
        mq = SimQueue(seed=0)
        ch = mq.channel()
        ch.exchange_declare("account-events", "fanout")
        for i in range(n):
            ch.queue_declare(f"reader-{i + 1}")
            ch.queue_bind(f"reader-{i + 1}", "account-events")
        for _ in range(records):
            ch.basic_publish("account-events", "", _value(size))
        rows.append(
            (
                n,
                int(cluster.partitions("one-copy")["bytes"].sum()),
                int(mq.queues()["message_bytes"].sum()),
            )
        )
    return pd.DataFrame(rows, columns=["readers", "kafka_bytes", "queue_bytes"])


# -- saved results and their plots ---------------------------------------------------------------
def load_results(path: str | Path | None = None) -> dict[str, Any]:
    """The saved results of ``make bench-brokers`` (the package's copy unless ``path``).

    A dict with ``machine``, ``command``, and tables as lists of rows: ``kafka_throughput``,
    ``rabbitmq_throughput``, ``kafka_bytes_per_reader``, ``rabbitmq_bytes_per_reader``.
    """
    if path is None:
        text = resources.files("simkafka").joinpath(RESULTS_FILE).read_text()
    else:
        text = Path(path).read_text()
    return json.loads(text)


def table(results: dict[str, Any], name: str) -> pd.DataFrame:
    """One of the saved tables as a DataFrame."""
    import pandas as pd

    if name not in results:
        raise KeyError(f"no table {name!r} in the results; they have {sorted(results)}")
    return pd.DataFrame(results[name])


def _foot(fig: Figure, results: dict[str, Any]) -> None:
    fig.text(
        0.0,
        -0.02,
        f"{caption(results['machine'])}. Regenerate: {results.get('command', COMMAND)}",
        fontsize=7,
        ha="left",
        va="top",
        wrap=True,
    )


def plot_throughput(results: dict[str, Any]) -> Figure:
    """Records per second against what is stored: Kafka (left) and RabbitMQ (right)."""
    from .viz import MEMBER_PALETTE, panels

    fig, (left, right) = panels(1, 2, width=11, height=4.2)
    for ax, name, title, unit in (
        (left, "kafka_throughput", "Kafka: one partition's log", "records in the log"),
        (right, "rabbitmq_throughput", "RabbitMQ: one classic queue", "messages in the queue"),
    ):
        frame = table(results, name)
        stored = frame["stored"] / 1e6
        kafka = name.startswith("kafka")
        for column, label, color in (
            ("produce_per_s", "produce" if kafka else "publish", MEMBER_PALETTE[4]),
            ("consume_per_s", "consume" if kafka else "consume and ack", MEMBER_PALETTE[5]),
        ):
            rate = frame[column] / 1000
            ax.plot(stored, rate, marker="o", color=color, label=label)
            for x, y in zip(stored, rate, strict=True):
                ax.annotate(f"{y:,.0f}k", (x, y), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=8)  # fmt: skip
        ax.set_ylim(0, max(frame["produce_per_s"].max(), frame["consume_per_s"].max()) / 1000 * 1.2)
        ax.set_xlabel(f"millions of {unit} before the batch")
        ax.set_ylabel("thousands per second")
        ax.set_title(title, loc="left")
        ax.legend(loc="lower left", fontsize=8)
    _foot(fig, results)
    return fig


def plot_bytes_per_reader(results: dict[str, Any]) -> Figure:
    """Bytes the broker keeps against the number of readers: Kafka's log, RabbitMQ's queues."""
    from .viz import MEMBER_PALETTE, panels

    kafka = table(results, "kafka_bytes_per_reader")
    rabbit = table(results, "rabbitmq_bytes_per_reader")
    fig, (ax,) = panels(1, 1, width=9, height=4.4)
    ax.plot(kafka["readers"], kafka["stored_bytes"] / 1e6, marker="o", color=MEMBER_PALETTE[4],
            label="Kafka: the topic's log (DescribeLogDirs)")  # fmt: skip
    ax.plot(rabbit["readers"], rabbit["message_bytes"] / 1e6, marker="s", color=MEMBER_PALETTE[5],
            label="RabbitMQ: message_bytes of the N queues (rabbitmqctl)")  # fmt: skip
    ax.plot(rabbit["readers"], rabbit["queue_memory"] / 1e6, marker="D", linestyle=":",
            color=MEMBER_PALETTE[6], label="RabbitMQ: the N queues' own memory (rabbitmqctl)")  # fmt: skip
    ax.plot(rabbit["readers"], rabbit["binary_growth"] / 1e6, marker="^", linestyle="--",
            color=MEMBER_PALETTE[0], label="RabbitMQ: node's binary memory growth")  # fmt: skip
    ax.set_xlabel("readers (Kafka groups; RabbitMQ queues bound to one fanout exchange)")
    ax.set_ylabel("MB kept")
    ax.set_ylim(0, None)
    ax.set_xticks(list(kafka["readers"]))
    records, size = int(kafka["records"][0]), int(kafka["value_bytes"][0] // kafka["records"][0])
    ax.set_title(f"The same {records:,} messages of {size:,} bytes, read by N readers", loc="left")
    ax.legend(loc="upper left", fontsize=8)
    _foot(fig, results)
    return fig
