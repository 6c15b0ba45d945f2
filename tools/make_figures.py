"""Render every simkafka.viz drawing to docs/figures/, from the simulator and a real broker.

    python tools/make_figures.py            (or: make figures)

Each drawing is made from the simulator (``<name>-sim.png``); where Kafka (and, for the
log-versus-queue drawing, RabbitMQ) answers, the same scenario runs on the real broker too
(``<name>-kafka.png``). Drawings with no real-broker table (time-based retention, lag
sampled from ``group_state``) are simulator-only. The replication drawings (notebook 10) are
made from three simulated brokers; their real counterparts need the three-node cluster and
are drawn by notebook 10 itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simkafka import NewTopic, SimCluster, TopicPartition, brokers, failover, viz
from simkafka.experiments import (
    keyed_routing,
    log_versus_queue,
    retention_and_replay,
    retention_on_segments,
)
from simkafka.members import GroupMembers

OUT = Path(__file__).resolve().parent.parent / "docs" / "figures"
TOPIC = "user-accounts"
ACCOUNTS = [f"acct-{i}" for i in range(40)]


def _topic(cluster: Any, partitions: int) -> str:
    topic = cluster.topic_name(TOPIC)
    admin = cluster.admin()
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    return topic


def _send(cluster: Any, topic: str, n: int, accounts: int) -> None:
    producer = cluster.producer(key_serializer=str.encode, value_serializer=str.encode)
    for i in range(n):
        producer.send(topic, key=f"acct-{i % accounts}", value=f"event-{i}")
    producer.flush()
    producer.close()


def partition_logs(cluster: Any) -> Any:
    """30 account events on 3 partitions; groups-service committed 4 records a partition and
    its member a read 2 more; the oldest records of partition 0 deleted."""
    topic = _topic(cluster, 3)
    _send(cluster, topic, 30, accounts=5)
    cluster.admin().delete_records({TopicPartition(topic, 0): 2})
    consumer = cluster.consumer(
        group_id=cluster.group_name("groups-service"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    tps = [TopicPartition(topic, p) for p in range(3)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    starts = consumer.beginning_offsets(tps)
    committed = {tp.partition: min(int(starts[tp]) + 4, _end(consumer, tp)) for tp in tps}
    consumer.commit({tp: committed[tp.partition] for tp in tps})
    positions = {tp.partition: min(committed[tp.partition] + 2, _end(consumer, tp)) for tp in tps}
    consumer.close()
    records, partitions = viz.log_tables(cluster, topic)
    return viz.partition_logs(
        records,
        partitions,
        committed={"groups-service": committed},
        positions={"a": positions},
        topic=TOPIC,
    )


def _end(consumer: Any, tp: TopicPartition) -> int:
    return int(consumer.end_offsets([tp])[tp])


def partition_logs_large(cluster: Any) -> Any:
    """10,000 events of 40 accounts on 12 partitions: one image, a column per offset."""
    topic = _topic(cluster, 12)
    _send(cluster, topic, 10_000, accounts=40)
    records, partitions = viz.log_tables(cluster, topic)
    return viz.partition_logs(records, partitions, topic=TOPIC)


def group_ownership(cluster: Any) -> Any:
    """Four members of groups-service on three partitions: one sits idle."""
    topic = _topic(cluster, 3)
    with GroupMembers(cluster, topic, cluster.group_name("groups-service")) as group:
        for name in ("a", "b", "c", "d"):
            group.join(name)
        group.settle()
        return viz.group_ownership(group.ownership(), group.names)


def _timeline(strategy: str) -> Callable[[Any], Any]:
    def draw(cluster: Any) -> Any:
        topic = _topic(cluster, 6)
        group_id = cluster.group_name("groups-service")
        with GroupMembers(cluster, topic, group_id, strategy=strategy) as group:
            for name in ("a", "b", "c"):
                group.join(name)
                group.settle()
            events = group.events()
        fig = viz.rebalance_timeline(events)
        ax = fig.axes[0]  # name the assignor; room above for the time labels
        ax.set_title(
            f"{strategy}: {ax.get_title(loc='left')}", loc="left", fontsize="medium", pad=24
        )
        return fig

    draw.__doc__ = f"a, b and c join one after another ({strategy})."
    return draw


def lag(cluster: Any) -> Any:
    """Producers outpace the group for five steps, then pause: lag grows, then drains."""
    from simkafka.lag import lag_over_time

    return viz.lag_over_time(lag_over_time(cluster))


def key_distribution(cluster: Any) -> Any:
    """40 accounts on 3 partitions; acct-7 sends 30 times as much as the others."""
    routing = keyed_routing(cluster, ACCOUNTS, 3)
    routing["records"] = [300 if a == "acct-7" else 10 for a in routing["account_id"]]
    return viz.key_distribution(routing)


def key_remapping(cluster: Any) -> Any:
    """The same 40 accounts on 3, then 4 partitions."""
    return viz.key_remapping(
        keyed_routing(cluster, ACCOUNTS, 3), keyed_routing(cluster, ACCOUNTS, 4)
    )


def retention_segments(cluster: Any) -> Any:
    """An event every 10 s, segment.ms 30 s, retention.ms 60 s, checked every 30 s."""
    return viz.retention(retention_on_segments(12))


def retention_replay(cluster: Any) -> Any:
    """Replay, reset, then delete_records before offset 6 and a new group."""
    return viz.retention(retention_and_replay(cluster, 12))


def log_versus_queue_figure(cluster: Any) -> Any:
    """12 account events through a Kafka log, a RabbitMQ fanout and competing consumers."""
    queue = "sim" if isinstance(cluster, SimCluster) else "real"
    return viz.log_versus_queue(log_versus_queue(cluster, queue, n_events=12))


def log_versus_queue_share(cluster: Any) -> Any:
    """The same, with a fourth column: a share group of three members (notebook 11)."""
    queue = "sim" if isinstance(cluster, SimCluster) else "real"
    return viz.log_versus_queue(log_versus_queue(cluster, queue, n_events=12, share_group=True))


def replica_logs(_cluster: Any) -> Any:
    """Notebook 10's three brokers, then broker 3 stopped while 6 more records arrive."""
    cluster = failover.sim_cluster(seed=1)
    cluster.create_topic("payments", partitions=3, replication_factor=3)
    producer = cluster.producer(acks="all", value_serializer=str.encode)
    for i in range(6):
        producer.send("payments", value=f"payment-{i}", partition=i % 3).get()
    cluster.stop_broker(3)
    for i in range(6, 12):
        producer.send("payments", value=f"payment-{i}", partition=i % 3).get()
    return viz.replica_logs(cluster.replica_logs("payments"))


def failover_timeline(_cluster: Any) -> Any:
    """Notebook 10's acks=1 loss on the simulator: followers frozen, the leader killed."""
    return viz.failover_timeline({"simulator": failover.acks_one_loss("sim").attrs["timeline"]})


#: name -> (scenario, runs on a real broker, needs RabbitMQ too)
FIGURES: dict[str, tuple[Callable[[Any], Any], bool, bool]] = {
    "partition-logs": (partition_logs, True, False),
    "partition-logs-large": (partition_logs_large, True, False),
    "group-ownership": (group_ownership, True, False),
    "rebalance-eager": (_timeline("range"), True, False),
    "rebalance-cooperative": (_timeline("cooperative-sticky"), True, False),
    "lag": (lag, True, False),
    "key-distribution": (key_distribution, True, False),
    "key-remapping": (key_remapping, True, False),
    "retention-segments": (retention_segments, False, False),
    "retention-replay": (retention_replay, True, False),
    "log-versus-queue": (log_versus_queue_figure, True, True),
    "log-versus-queue-share": (log_versus_queue_share, True, True),
    "replica-logs": (replica_logs, False, False),
    "failover-timeline": (failover_timeline, False, False),
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    kafka = brokers.kafka_available()
    rabbit = brokers.rabbitmq_available()
    if not kafka:
        print(f"no Kafka at {brokers.kafka_bootstrap()}: simulator figures only", file=sys.stderr)
    for name, (scenario, real, needs_rabbit) in FIGURES.items():
        fig = scenario(SimCluster(seed=0))
        fig.savefig(OUT / f"{name}-sim.png", dpi=100)
        print(f"docs/figures/{name}-sim.png")
        if real and kafka and (rabbit or not needs_rabbit):
            from simkafka.real import RealCluster

            with RealCluster(brokers.kafka_bootstrap()) as cluster:
                fig = scenario(cluster)
            fig.savefig(OUT / f"{name}-kafka.png", dpi=100)
            print(f"docs/figures/{name}-kafka.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
