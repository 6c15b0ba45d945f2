"""Start, stop and probe a three-node Apache Kafka cluster (KRaft) for the replication course.

Three JVMs on the loopback address, each both broker and controller, form a three-voter
quorum (``controller.quorum.voters=1@...,2@...,3@...``): node ``n`` serves clients on
127.0.0.1:``19090+n`` and its controller on 127.0.0.1:``19190+n``, so the cluster never meets
the single-node Kafka on 9092/9093. Each node has its own directory (configuration, data, log,
pid file) under ``<home>/kafka-<KAFKA_VERSION>-cluster/node-<n>``; the three are formatted once
with one shared cluster id. The jars are the single-node launcher's (downloaded once).

For teaching, failures are noticed faster than Kafka's defaults: ``broker.session.timeout.ms``
is 3000 (default 9000) and ``replica.lag.time.max.ms`` 5000 (default 30000), and
``auto.leader.rebalance.enable`` is false (leadership moves only when an experiment moves it).
Internal topics have replication factor 3 and min ISR 2, as in production.

``stop_node(n)`` sends SIGTERM (a controlled shutdown: leadership moves at once) or, with
``kill=True``, SIGKILL (the controller notices after the session timeout);
``start_node(n)`` starts one node again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from simkafka.brokers import kafka
from simkafka.brokers.common import (
    LOOPBACK,
    BrokerError,
    UpResult,
    check_port_free,
    error_line,
    home,
    locked,
    pid_alive,
    port_in_use,
    running_pid,
    stop_pid,
    wait_until,
    write_pid,
)

NODES = (1, 2, 3)
BASE_PORT = 19090
BASE_CONTROLLER_PORT = 19190
#: Smaller heaps than the single node's: three JVMs share a small machine.
JAVA_OPTIONS = (
    "-Xms128m",
    "-Xmx384m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
BROKER_SESSION_TIMEOUT_MS = 3000
BROKER_HEARTBEAT_INTERVAL_MS = 500
REPLICA_LAG_TIME_MAX_MS = 5000
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
START_HINT = "start it with: python -m simkafka.brokers up kafka-cluster (make brokers-up NODES=3)"


def port(node: int) -> int:
    """Node ``node``'s client port (PLAINTEXT).

    >>> [port(n) for n in NODES]
    [19091, 19092, 19093]
    """
    return BASE_PORT + node


def controller_port(node: int) -> int:
    """Node ``node``'s controller port."""
    return BASE_CONTROLLER_PORT + node


def bootstrap() -> str:
    """The cluster's bootstrap servers, all three nodes.

    >>> bootstrap()
    '127.0.0.1:19091,127.0.0.1:19092,127.0.0.1:19093'
    """
    return ",".join(f"{LOOPBACK}:{port(n)}" for n in NODES)


@dataclass(frozen=True)
class NodeLayout:
    """Where one node keeps its configuration, data, log and pid file."""

    root: Path
    node: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> Path:
        return self.root / "server.properties"

    @property
    def log(self) -> Path:
        return self.root / "broker.log"

    @property
    def pid(self) -> Path:
        return self.root / "broker.pid"


@dataclass(frozen=True)
class Layout:
    """The cluster's directory: one shared cluster id, one sub-directory per node."""

    root: Path

    @property
    def cluster_id(self) -> Path:
        return self.root / "cluster.id"

    @property
    def log4j(self) -> Path:
        return self.root / "log4j2.properties"

    def node(self, node: int) -> NodeLayout:
        return NodeLayout(self.root / f"node-{node}", node)


def layout() -> Layout:
    """The cluster's layout under :func:`~simkafka.brokers.common.home`."""
    return Layout(home() / f"kafka-{kafka.KAFKA_VERSION}-cluster")


def node_properties(node: int, data_dir: Path) -> dict[str, str]:
    """Node ``node``'s ``server.properties``: broker + controller, one of three voters."""
    voters = ",".join(f"{n}@{LOOPBACK}:{controller_port(n)}" for n in NODES)
    return {
        "process.roles": "broker,controller",
        "node.id": str(node),
        "controller.quorum.voters": voters,
        "listeners": (
            f"PLAINTEXT://{LOOPBACK}:{port(node)},CONTROLLER://{LOOPBACK}:{controller_port(node)}"
        ),
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port(node)}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "default.replication.factor": "3",
        "offsets.topic.replication.factor": "3",
        "transaction.state.log.replication.factor": "3",
        "transaction.state.log.min.isr": "2",
        "share.coordinator.state.topic.replication.factor": "3",
        "share.coordinator.state.topic.min.isr": "2",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "broker.session.timeout.ms": str(BROKER_SESSION_TIMEOUT_MS),
        "broker.heartbeat.interval.ms": str(BROKER_HEARTBEAT_INTERVAL_MS),
        "replica.lag.time.max.ms": str(REPLICA_LAG_TIME_MAX_MS),
        # Leadership moves only when an experiment moves it (Kafka's default: the preferred
        # replica takes it back at a check every 300 s, at a moment no lesson can predict).
        "auto.leader.rebalance.enable": "false",
    }


def _answers(node: int, timeout: float = 1.0) -> bool:
    return kafka.probe(LOOPBACK, port(node), timeout)


def _running(where: Layout, node: int) -> int | None:
    nl = where.node(node)
    return running_pid(nl.pid, str(nl.config))


def _check_node(node: int) -> None:
    if node not in NODES:
        raise BrokerError(f"kafka-cluster: there is no node {node}; the nodes are 1, 2 and 3")


def _prepare(java: str, where: Layout) -> None:
    """Write every node's configuration; format the three log directories once, one cluster id."""
    where.root.mkdir(parents=True, exist_ok=True)
    where.log4j.write_text(
        resources.files(kafka.__package__).joinpath("log4j2.properties").read_text()
    )
    if not where.cluster_id.is_file():
        where.cluster_id.write_text(kafka.new_cluster_id() + "\n")
    cluster_id = where.cluster_id.read_text().strip()
    for node in NODES:
        nl = where.node(node)
        nl.root.mkdir(parents=True, exist_ok=True)
        nl.config.write_text(kafka.render_properties(node_properties(node, nl.data)))
        if (nl.data / "meta.properties").is_file():
            continue
        command = [
            java,
            "-Xmx256m",
            "-Dsimkafka.log.level=WARN",
            f"-Dlog4j2.configurationFile={where.log4j}",
            "-cp",
            str(kafka.layout().jars / "*"),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(nl.config),
        ]
        with open(nl.log, "w") as log:
            try:
                done = subprocess.run(
                    command, stdout=log, stderr=subprocess.STDOUT, timeout=120, check=False
                )
            except subprocess.TimeoutExpired:
                raise BrokerError(
                    f"kafka-cluster: formatting node {node}'s log directory took over 120 s; "
                    f"see {nl.log}"
                ) from None
        if done.returncode != 0:
            raise BrokerError(
                f"kafka-cluster: formatting node {node}'s log directory {nl.data} failed (exit "
                f"{done.returncode}); see {nl.log}"
            )


def _launch(java: str, where: Layout, node: int) -> subprocess.Popen[bytes]:
    nl = where.node(node)
    check_port_free(f"kafka-cluster node {node}", port(node))
    check_port_free(f"kafka-cluster node {node}", controller_port(node))
    with open(nl.log, "a") as log:
        process = subprocess.Popen(
            [
                java,
                *JAVA_OPTIONS,
                f"-Dlog4j2.configurationFile={where.log4j}",
                "-cp",
                str(kafka.layout().jars / "*"),
                "kafka.Kafka",
                str(nl.config),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=nl.root,
            start_new_session=True,
        )
    write_pid(nl.pid, process.pid)
    return process


def _await(where: Layout, started: dict[int, subprocess.Popen[bytes]], began: float) -> None:
    """Wait until every started node answers; on failure stop them all and say why."""

    def settled() -> bool:
        return all(p.poll() is not None or _answers(n) for n, p in started.items())

    try:
        wait_until(settled, START_TIMEOUT, 0.5)
    except BaseException:  # interrupted (Ctrl-C): leave no half-started node behind
        _stop_started(where, started)
        raise
    dead = [n for n, p in started.items() if p.poll() is not None]
    silent = [n for n, p in started.items() if p.poll() is None and not _answers(n)]
    if not dead and not silent:
        return
    _stop_started(where, started)
    node = (dead or silent)[0]
    log = where.node(node).log
    if dead:
        cause = error_line(log, ("ERROR", "FATAL", "Exception"), last=True)
        raise BrokerError(
            f"kafka-cluster: node {node} exited with code {started[node].returncode} while "
            f"starting (stopped the others); see {log}"
            + (f" (last error: {cause})" if cause else "")
        )
    raise BrokerError(
        f"kafka-cluster: node {node} did not answer on {LOOPBACK}:{port(node)} within "
        f"{START_TIMEOUT:.0f} s of {time.monotonic() - began:.0f} s (stopped it); see {log}"
    )


def _stop_started(where: Layout, started: dict[int, subprocess.Popen[bytes]]) -> None:
    for node, process in started.items():
        stop_pid(process.pid, STOP_TIMEOUT)
        where.node(node).pid.unlink(missing_ok=True)


def up() -> UpResult:
    """Start every node that does not run (in parallel: the quorum needs two of three)."""
    where = layout()
    with locked(where.root):
        missing = [n for n in NODES if _running(where, n) is None]
        if not missing:
            if not wait_until(lambda: all(_answers(n) for n in NODES), START_TIMEOUT, 0.5):
                raise BrokerError(
                    f"kafka-cluster: the nodes run but do not all answer; stop them with "
                    f"python -m simkafka.brokers down kafka-cluster; see {where.root}/node-*/broker.log"
                )
            return UpResult(False, f"kafka-cluster: already running at {bootstrap()}")
        java = kafka.find_java()
        kafka.ensure_jars(kafka.layout())
        for node in missing:
            check_port_free(f"kafka-cluster node {node}", port(node))
            check_port_free(f"kafka-cluster node {node}", controller_port(node))
        _prepare(java, where)
        began = time.monotonic()
        started = {node: _launch(java, where, node) for node in missing}
        _await(where, started, began)
    return UpResult(
        True,
        f"kafka-cluster: started {len(started)} Kafka {kafka.KAFKA_VERSION} node(s) "
        f"{', '.join(map(str, started))} at {bootstrap()} in {time.monotonic() - began:.1f} s "
        f"(logs {where.root}/node-*/broker.log)",
    )


def start_node(node: int) -> str:
    """Start node ``node`` again (after ``stop_node``); wait until it answers."""
    _check_node(node)
    where = layout()
    with locked(where.root):
        pid = _running(where, node)
        if pid is not None:
            return f"kafka-cluster: node {node} already running (pid {pid})"
        if not (where.node(node).data / "meta.properties").is_file():
            raise BrokerError(f"kafka-cluster: node {node} was never set up; {START_HINT}")
        java = kafka.find_java()
        began = time.monotonic()
        process = _launch(java, where, node)
        _await(where, {node: process}, began)
    return (
        f"kafka-cluster: started node {node} at {LOOPBACK}:{port(node)} in "
        f"{time.monotonic() - began:.1f} s (pid {process.pid})"
    )


def stop_node(node: int, *, kill: bool = False) -> str:
    """Stop node ``node``: SIGTERM (controlled shutdown) or, with ``kill``, SIGKILL at once."""
    _check_node(node)
    where = layout()
    with locked(where.root):
        nl = where.node(node)
        pid = _running(where, node)
        if pid is None:
            nl.pid.unlink(missing_ok=True)
            return f"kafka-cluster: node {node} not running"
        began = time.monotonic()
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed = wait_until(lambda: not pid_alive(pid), STOP_TIMEOUT)
        else:
            killed = stop_pid(pid, STOP_TIMEOUT)
        nl.pid.unlink(missing_ok=True)
    how = "killed (SIGKILL)" if kill else "stopped" + (" with SIGKILL after 30 s" if killed else "")
    return f"kafka-cluster: node {node} {how} in {time.monotonic() - began:.1f} s (pid {pid})"


def pause_node(node: int, *, resume: bool = False) -> str:
    """Freeze node ``node`` (SIGSTOP, like a long GC pause) or, with ``resume``, thaw it (SIGCONT).

    A frozen node neither fetches nor heartbeats: to the others it is as good as dead, but its
    log stays as it was, unflushed records and all, and it carries on where it stopped.
    """
    _check_node(node)
    where = layout()
    pid = _running(where, node)
    if pid is None:
        raise BrokerError(f"kafka-cluster: node {node} is not running; {START_HINT}")
    os.kill(pid, signal.SIGCONT if resume else signal.SIGSTOP)
    return f"kafka-cluster: node {node} {'resumed' if resume else 'paused'} (pid {pid})"


def down() -> str:
    """Stop every node this launcher started: SIGTERM to all at once, SIGKILL after 30 s.

    All at once, because a node stopped last, alone, has no quorum left to finish its
    controlled shutdown with.
    """
    where = layout()
    with locked(where.root):
        pids = {n: pid for n in NODES if (pid := _running(where, n)) is not None}
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        began = time.monotonic()
        wait_until(lambda: not any(pid_alive(pid) for pid in pids.values()), STOP_TIMEOUT)
        killed = [n for n, pid in pids.items() if pid_alive(pid)]
        for node in killed:
            stop_pid(pids[node], 0.0)
        for node in NODES:
            where.node(node).pid.unlink(missing_ok=True)
    if not pids:
        return "kafka-cluster: not running"
    how = f" (SIGKILL for {', '.join(map(str, killed))} after 30 s)" if killed else ""
    return (
        f"kafka-cluster: stopped node(s) {', '.join(map(str, pids))} in "
        f"{time.monotonic() - began:.1f} s{how}"
    )


def status() -> str:
    """One line: which nodes run and answer."""
    where = layout()
    parts = []
    for node in NODES:
        pid = _running(where, node)
        if pid is not None:
            state = "up" if _answers(node) else "starting or not answering"
            parts.append(f"node {node} {state} (pid {pid}, {LOOPBACK}:{port(node)})")
        elif port_in_use(port(node)):
            parts.append(
                f"node {node}: port {port(node)} taken by a process simkafka did not start"
            )
        else:
            parts.append(f"node {node} down")
    if all(part.endswith(" down") for part in parts):
        return f"kafka-cluster: not running; {START_HINT}"
    return "kafka-cluster: " + "; ".join(parts)


def available(timeout: float = 2.0) -> bool:
    """Whether all three nodes answer (the replication experiments need every node at start)."""
    return all(kafka.probe(LOOPBACK, port(n), timeout) for n in NODES)
