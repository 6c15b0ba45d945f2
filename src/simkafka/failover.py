"""Replication experiments on three brokers: leader failover, min.insync.replicas, acks=1 loss.

Each experiment takes a three-broker backend,

* ``SimCluster(brokers=3, ...)`` (:func:`sim_cluster` makes one with the course cluster's
  timeouts), or
* :class:`RealReplicatedCluster`: kafka-python against the launcher's three-node cluster
  (``python -m simkafka.brokers up kafka-cluster``), whose nodes it stops, starts, pauses and
  resumes through the launcher, or
* the strings ``"sim"`` / ``"kafka-cluster"``, which open (and afterwards close) one,

and returns a DataFrame whose columns are the same from both. Brokers appear by their role
(``first leader``, ``follower``), never by id (Kafka places replicas at random), and there are
no times in the frame: how long each step took is in ``frame.attrs["timings_ms"]``.

One node down at a time: the three nodes are also the three controller voters, and two down
leave no quorum (docs/brokers.md). So the experiments stop one node, or freeze two for a
moment (``pause``), never stop two.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .clients import NewTopic
from .cluster import SimCluster
from .errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from .real import RealCluster
from .records import TopicPartition
from .replication import replicas_frame

if TYPE_CHECKING:
    import pandas as pd

#: The course cluster's teaching timeouts (src/simkafka/brokers/kafka_cluster.py).
SESSION_TIMEOUT_MS = 3000
LAG_TIME_MAX_MS = 5000
#: How long a wait for leadership or the ISR may take, in the backend's milliseconds.
WAIT_MS = 30_000
#: Followers fetch with replica.fetch.wait.max.ms=500: after a pause this long, none is in flight.
QUIET_MS = 1000

#: Columns of each experiment's frame.
FAILOVER_COLUMNS = ("step", "leader", "leader_changed", "isr_size", "write", "readable")
MIN_ISR_COLUMNS = ("step", "min_insync_replicas", "acks", "isr_size", "write", "readable")
LOSS_COLUMNS = ("record", "acks", "acknowledged", "survived")


def sim_cluster(seed: int = 0) -> SimCluster:
    """Three simulated brokers with the course cluster's timeouts (session 3 s, lag 5 s).

    >>> cluster = sim_cluster()
    >>> cluster.brokers().broker.tolist()
    [1, 2, 3]
    """
    return SimCluster(
        seed=seed,
        brokers=3,
        broker_session_timeout_ms=SESSION_TIMEOUT_MS,
        replica_lag_time_max_ms=LAG_TIME_MAX_MS,
    )


class RealReplicatedCluster(RealCluster):
    """A RealCluster on the launcher's three nodes, with SimCluster's broker controls.

    ``stop_broker``, ``start_broker``, ``pause_broker`` and ``resume_broker`` act on the
    node of that id through :mod:`simkafka.brokers.kafka_cluster`; ``replicas(topic)`` is
    SimCluster's table, from DescribeTopicPartitions and ListOffsets. On close, every node
    this cluster stopped or paused is started or resumed again, then its topics are deleted.
    """

    def __init__(self, bootstrap: str | None = None, **kw: Any) -> None:
        from .brokers import kafka_cluster, kafka_cluster_bootstrap

        self._nodes = kafka_cluster
        super().__init__(bootstrap or kafka_cluster_bootstrap(), **kw)
        self._stopped: set[int] = set()
        self._paused: set[int] = set()
        self._offsets: Any = None

    def stop_broker(self, broker_id: int, *, kill: bool = False) -> None:
        self._nodes.stop_node(broker_id, kill=kill)
        self._stopped.add(broker_id)

    def start_broker(self, broker_id: int) -> None:
        self._nodes.start_node(broker_id)
        self._stopped.discard(broker_id)

    def pause_broker(self, broker_id: int) -> None:
        self._nodes.pause_node(broker_id)
        self._paused.add(broker_id)

    def resume_broker(self, broker_id: int) -> None:
        self._nodes.pause_node(broker_id, resume=True)
        self._paused.discard(broker_id)

    def replicas(self, topic: str) -> pd.DataFrame:
        """One row per partition: leader, leader epoch, replicas, ISR, ELR, high watermark."""
        for attempt in range(3):
            try:
                admin = self._internal_admin()._client
                described = admin.describe_topic_partitions([topic])["topics"][0]["partitions"]
                break
            except Exception:  # the node it asked was just stopped: ask another
                with contextlib.suppress(Exception):
                    self._admin._client.close()
                self._admin = None
                if attempt == 2:
                    raise
        tps = [TopicPartition(topic, p["partition_index"]) for p in described]
        ends = self._end_offsets(tps)
        rows = [
            (
                p["partition_index"],
                None if p["leader_id"] < 0 else p["leader_id"],
                p["leader_epoch"],
                list(p["replica_nodes"]),
                list(p["isr_nodes"]),
                list(p.get("eligible_leader_replicas") or []),
                ends.get(TopicPartition(topic, p["partition_index"])),
            )
            for p in sorted(described, key=lambda p: p["partition_index"])
        ]
        return replicas_frame(rows)

    def replica_logs(self, topic: str) -> pd.DataFrame:
        """SimCluster's per-replica table; a real cluster tells no follower's log end offset
        (``log_end_offset`` is unknown), and a node is ``up`` if it answers."""
        import pandas as pd

        replicas = self.replicas(topic)
        rows = [
            (
                int(row.partition),
                broker,
                "up" if self._nodes._answers(broker, 0.5) else "down",
                None,
                str(row.leader) != "<NA>" and broker == int(row.leader),
                broker in row.isr,
                row.high_watermark,
            )
            for row in replicas.itertuples()
            for broker in row.replicas
        ]
        frame = pd.DataFrame(
            rows,
            columns=["partition", "broker", "state", "log_end_offset", "leader", "in_isr", "hw"],
        )
        frame["log_end_offset"] = frame["log_end_offset"].astype("Int64")
        return frame

    def _end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int | None]:
        from kafka import KafkaConsumer
        from kafka.structs import TopicPartition as KTP

        if self._offsets is None:
            self._offsets = KafkaConsumer(**self._common({}))
        try:
            found = self._offsets.end_offsets([KTP(*tp) for tp in tps])
        except Exception:  # no leader to ask: unknown
            return {}
        return {TopicPartition(tp.topic, tp.partition): end for tp, end in found.items()}

    def close(self) -> None:
        for node in sorted(self._paused):
            with contextlib.suppress(Exception):
                self._nodes.pause_node(node, resume=True)
        restarted = bool(self._stopped)
        for node in sorted(self._stopped):
            with contextlib.suppress(Exception):
                self._nodes.start_node(node)
        self._paused.clear()
        self._stopped.clear()
        if self._offsets is not None:
            self._offsets.close()
            self._offsets = None
        if restarted:
            self._await_every_broker()
        super().close()

    def _await_every_broker(self, timeout_s: float = 15.0) -> None:
        """Until every node is a registered, unfenced broker again (or ``timeout_s``): a node
        that answers on its port may not be, and the admin's requests to it (deleting this
        run's topics) then fail with UnknownBrokerIdError."""
        deadline = time.monotonic() + timeout_s
        expected = set(self._nodes.NODES)
        while time.monotonic() < deadline:
            try:
                found = self._internal_admin()._client.describe_cluster()["brokers"]
            except Exception:
                found = []
            if {b["broker_id"] for b in found if not b.get("is_fenced")} >= expected:
                return
            time.sleep(0.2)


@contextlib.contextmanager
def open_replicated(backend: Any, seed: int = 0) -> Iterator[Any]:
    """``"sim"``: :func:`sim_cluster`; ``"kafka-cluster"``: a RealReplicatedCluster (closed
    on exit); a cluster passed in is used as it is and left open."""
    if not isinstance(backend, str):
        yield backend
        return
    name = backend.strip().lower()
    if name in ("sim", "simulator"):
        yield sim_cluster(seed)
    elif name in ("kafka-cluster", "kafka", "real"):
        with RealReplicatedCluster() as cluster:
            yield cluster
    else:
        raise ValueError(f"backend must be a cluster, 'sim' or 'kafka-cluster', got {backend!r}")


# -- the pieces every experiment uses -------------------------------------------------------------
def _topic(cluster: Any, base: str, **config: str) -> str:
    """Create a one-partition topic with three replicas (``base-2``... if a run made ``base``)."""
    admin = cluster.admin()
    for attempt in range(1, 100):
        name = cluster.topic_name(base if attempt == 1 else f"{base}-{attempt}")
        try:
            admin.create_topics(
                [NewTopic(name, num_partitions=1, replication_factor=3, topic_configs=config)]
            )
            break
        except TopicAlreadyExistsError:
            continue
    _wait(
        cluster, lambda: _state(cluster, name)[0] is not None and len(_state(cluster, name)[1]) == 3
    )
    return name


def _state(cluster: Any, topic: str) -> tuple[int | None, list[int], int | None]:
    """(leader or None, ISR, high watermark or None) of partition 0."""
    try:
        row = cluster.replicas(topic).iloc[0]
    except Exception:  # a real cluster between leaders cannot tell yet: ask again later
        return None, [], None
    leader = None if str(row.leader) == "<NA>" else int(row.leader)
    hw = row.high_watermark
    return leader, list(row.isr), None if hw is None or str(hw) in ("nan", "<NA>") else int(hw)


def _wait(cluster: Any, condition: Callable[[], bool], timeout_ms: int = WAIT_MS) -> int:
    """Let time pass (simulated, or for real) until ``condition()``; the milliseconds it took."""
    began = cluster.now_ms
    while not condition():
        if cluster.now_ms - began > timeout_ms:
            raise KafkaTimeoutError(f"waited {timeout_ms} ms for the cluster; see its events")
        cluster.advance(100)
    return cluster.now_ms - began


def _send(cluster: Any, topic: str, value: str, acks: Any) -> str:
    """One write with ``acks`` and no retries: ``ok`` or the error's name."""
    producer = cluster.producer(acks=acks, retries=0, request_timeout_ms=5000, max_block_ms=5000)
    try:
        producer.send(topic, value=value.encode()).get(timeout=10)
        return "ok"
    except Exception as error:
        return type(error).__name__
    finally:
        with contextlib.suppress(Exception):
            producer.close(timeout=5)


def _read(cluster: Any, topic: str) -> list[str]:
    """Every record a consumer can read (below the high watermark), oldest first."""
    tp = TopicPartition(topic, 0)
    consumer = cluster.consumer(
        auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=5000
    )
    consumer.assign([tp])
    end = consumer.end_offsets([tp])[tp]
    got: list[str] = []
    deadline = cluster.now_ms + 10_000
    while len(got) < end and cluster.now_ms < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            got += [r.value.decode() for r in batch]
    consumer.close()
    return got


class _Timeline:
    """What happened when, in milliseconds since the experiment began (simulated, or real)."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.sim = isinstance(cluster, SimCluster)
        self.began = self.now()
        self.rows: list[tuple[int, str]] = []

    def now(self) -> int:
        return self.cluster.now_ms if self.sim else int(time.monotonic() * 1000)

    def mark(self, event: str) -> None:
        self.rows.append((self.now() - self.began, event))

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=["time_ms", "event"])


def _timed(timings: dict[str, int], key: str, cluster: Any, action: Callable[[], Any]) -> None:
    """Run ``action`` and keep how long it took: simulated milliseconds, or real ones."""
    began, wall = cluster.now_ms, time.monotonic()
    action()
    spent = cluster.now_ms - began
    timings[key] = (
        spent if isinstance(cluster, SimCluster) else int((time.monotonic() - wall) * 1000)
    )


# -- the experiments ------------------------------------------------------------------------------
def leader_failover(backend: Any = "sim", *, records: int = 3) -> pd.DataFrame:
    """Stop a partition's leader (a controlled shutdown): leadership moves to a follower in the
    ISR, writes go on, nothing acknowledged is lost; the old leader returns as a follower and
    the ISR heals.

    >>> df = leader_failover("sim")
    >>> df[["step", "leader", "isr_size", "write", "readable"]].to_string(index=False)
    ... # doctest: +NORMALIZE_WHITESPACE
    '              step       leader  isr_size write  readable\\n             start first leader         3    ok         3\\n      leader stopped     follower         2    ok         6\\nold leader started     follower         3    ok         9'
    """
    import pandas as pd

    with open_replicated(backend) as cluster:
        topic = _topic(cluster, "failover-payments", **{"min.insync.replicas": "2"})
        first, _, _ = _state(cluster, topic)
        timings: dict[str, int] = {}
        timeline = _Timeline(cluster)
        rows = []
        written = 0

        def row(step: str) -> None:
            nonlocal written
            results = [_send(cluster, topic, f"p-{written + i}", "all") for i in range(records)]
            written += records
            leader, isr, _ = _state(cluster, topic)
            rows.append(
                (
                    step,
                    "first leader" if leader == first else "follower",
                    leader != first,
                    len(isr),
                    "ok" if set(results) == {"ok"} else "/".join(sorted(set(results))),
                    len(_read(cluster, topic)),
                )
            )

        row("start")
        timeline.mark("leader stopped")
        _timed(timings, "stop_leader", cluster, lambda: cluster.stop_broker(first))
        timings["leader_moved"] = _wait(
            cluster, lambda: _state(cluster, topic)[0] not in (None, first)
        )
        timeline.mark("leader moved")
        row("leader stopped")
        timeline.mark("old leader started")
        _timed(timings, "start_old_leader", cluster, lambda: cluster.start_broker(first))
        timings["isr_healed"] = _wait(cluster, lambda: len(_state(cluster, topic)[1]) == 3)
        timeline.mark("ISR healed")
        row("old leader started")
        survived = _read(cluster, topic) == [f"p-{i}" for i in range(written)]
    frame = pd.DataFrame(rows, columns=list(FAILOVER_COLUMNS))
    frame.attrs["timings_ms"] = timings
    frame.attrs["timeline"] = timeline.frame()
    frame.attrs["summary"] = {"acknowledged": written, "all_survived": survived}
    return frame


def min_insync_writes(backend: Any = "sim") -> pd.DataFrame:
    """Two topics, min.insync.replicas 2 and 3, lose one follower: acks=all still works on the
    first and is refused on the second (NotEnoughReplicasError); acks=1 is acknowledged there
    but stays unreadable (the high watermark waits for min.insync.replicas, Kafka 4.x) until
    the follower is back and the ISR has healed.

    >>> df = min_insync_writes("sim")
    >>> df.write.tolist()
    ['ok', 'ok', 'ok', 'NotEnoughReplicasError', 'ok', 'ok', 'ok']
    """
    import pandas as pd

    with open_replicated(backend) as cluster:
        topics = {
            n: _topic(cluster, f"min-isr-{n}", **{"min.insync.replicas": str(n)}) for n in (2, 3)
        }
        leaders = {_state(cluster, t)[0] for t in topics.values()}
        follower = next(b for b in (1, 2, 3) if b not in leaders)
        rows = []
        timings: dict[str, int] = {}
        timeline = _Timeline(cluster)

        def write(step: str, n: int, acks: Any, value: str) -> None:
            result = _send(cluster, topics[n], value, acks)
            _, isr, _ = _state(cluster, topics[n])
            rows.append((step, n, str(acks), len(isr), result, len(_read(cluster, topics[n]))))

        write("all up", 2, "all", "a-0")
        write("all up", 3, "all", "a-0")
        timeline.mark("follower stopped")
        _timed(timings, "stop_follower", cluster, lambda: cluster.stop_broker(follower))
        _wait(cluster, lambda: all(len(_state(cluster, t)[1]) == 2 for t in topics.values()))
        write("one follower down", 2, "all", "a-1")
        write("one follower down", 3, "all", "a-1")
        write("one follower down", 3, 1, "o-2")
        timeline.mark("follower started")
        _timed(timings, "start_follower", cluster, lambda: cluster.start_broker(follower))
        timings["isr_healed"] = _wait(
            cluster, lambda: all(len(_state(cluster, t)[1]) == 3 for t in topics.values())
        )
        timeline.mark("ISR healed")
        write("follower back", 2, "all", "a-3")
        write("follower back", 3, "all", "a-3")
    frame = pd.DataFrame(rows, columns=list(MIN_ISR_COLUMNS))
    frame.attrs["timings_ms"] = timings
    frame.attrs["timeline"] = timeline.frame()
    return frame


def acks_one_loss(backend: Any = "sim", *, lost: int = 2) -> pd.DataFrame:
    """What acks=1 can lose: the leader acknowledges records its followers never fetched (they
    are frozen), then crashes; a follower becomes leader without them, and when the old leader
    returns it truncates them away. The acks=all record written before survives.

    >>> acks_one_loss("sim")[["record", "acks", "acknowledged", "survived"]].values.tolist()
    [['a-0', 'all', True, True], ['o-1', '1', True, False], ['o-2', '1', True, False]]
    """
    import pandas as pd

    with open_replicated(backend) as cluster:
        topic = _topic(cluster, "acks-one-loss")
        leader, isr, _ = _state(cluster, topic)
        followers = [b for b in isr if b != leader]
        timings: dict[str, int] = {}
        timeline = _Timeline(cluster)
        sent = [("a-0", "all", _send(cluster, topic, "a-0", "all") == "ok")]
        # One producer that knows the leader before the followers freeze: a new one would ask
        # a frozen node for metadata and wait.
        producer = cluster.producer(acks=1, retries=0, request_timeout_ms=5000, max_block_ms=5000)
        producer.partitions_for(topic)
        timeline.mark("followers paused")
        for f in followers:
            cluster.pause_broker(f)
        cluster.advance(QUIET_MS)
        for i in range(1, lost + 1):
            try:
                producer.send(topic, value=f"o-{i}".encode()).get(timeout=10)
                sent.append((f"o-{i}", "1", True))
            except KafkaError:
                sent.append((f"o-{i}", "1", False))
        producer.close(timeout=5)
        timeline.mark("leader killed")
        _timed(timings, "kill_leader", cluster, lambda: cluster.stop_broker(leader, kill=True))
        for f in followers:
            cluster.resume_broker(f)
        timeline.mark("followers resumed")
        timings["leader_moved"] = _wait(
            cluster, lambda: _state(cluster, topic)[0] not in (None, leader)
        )
        timeline.mark("leader moved")
        timeline.mark("old leader started")
        _timed(timings, "start_old_leader", cluster, lambda: cluster.start_broker(leader))
        timings["isr_healed"] = _wait(cluster, lambda: len(_state(cluster, topic)[1]) == 3)
        timeline.mark("ISR healed")
        kept = set(_read(cluster, topic))
    frame = pd.DataFrame(
        [(value, acks, acked, value in kept) for value, acks, acked in sent],
        columns=list(LOSS_COLUMNS),
    )
    frame.attrs["timings_ms"] = timings
    frame.attrs["timeline"] = timeline.frame()
    return frame


def unclean_election_loss(seed: int = 0) -> pd.DataFrame:
    """Simulator only: with ``unclean.leader.election.enable=true`` a replica outside the ISR
    becomes leader and acknowledged (acks=all!) records are gone; without it the partition
    waits for its last leader and loses nothing.

    Five brokers and two replicas: the sequence takes two of a partition's replicas down at
    once, which the course's three-node cluster cannot survive (its quorum needs two nodes).

    >>> print(unclean_election_loss().to_string(index=False))
    unclean  acknowledged  readable_after  new_leader
      false             3               3 last leader
       true             3               0    follower
    """
    import pandas as pd

    rows = []
    for unclean in ("false", "true"):
        cluster = SimCluster(
            seed=seed,
            brokers=5,
            broker_session_timeout_ms=SESSION_TIMEOUT_MS,
            replica_lag_time_max_ms=LAG_TIME_MAX_MS,
        )
        topic = "unclean-payments"
        cluster.create_topic(
            topic, 1, replication_factor=2, config={"unclean.leader.election.enable": unclean}
        )
        leader, isr, _ = _state(cluster, topic)
        follower = next(b for b in isr if b != leader)
        cluster.stop_broker(follower)
        acked = sum(_send(cluster, topic, f"a-{i}", "all") == "ok" for i in range(3))
        cluster.stop_broker(leader, kill=True)
        cluster.advance(SESSION_TIMEOUT_MS)
        cluster.start_broker(follower)
        if unclean == "false":
            cluster.start_broker(leader)
        new_leader, _, _ = _state(cluster, topic)
        rows.append(
            (
                unclean,
                acked,
                len(_read(cluster, topic)),
                "last leader" if new_leader == leader else "follower",
            )
        )
    return pd.DataFrame(rows, columns=["unclean", "acknowledged", "readable_after", "new_leader"])


#: The experiments compared on both backends (tests/test_failover_fidelity.py).
EXPERIMENTS: dict[str, Callable[..., Any]] = {
    "leader_failover": leader_failover,
    "min_insync_writes": min_insync_writes,
    "acks_one_loss": acks_one_loss,
}
