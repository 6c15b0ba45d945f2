"""Start, stop and probe a single-node Apache Kafka broker (KRaft mode) without Docker.

The broker's jars come once from Maven Central: ``mvn dependency:copy-dependencies`` on the
``pom.xml`` beside this module, into ``<home>/kafka-<KAFKA_VERSION>/jars``. One node is both
broker and controller: clients connect to 127.0.0.1:9092, the controller listens on
127.0.0.1:9093, and nothing listens on another address. Internal topics (consumer offsets,
transaction state, share-group state) have replication factor 1 and min ISR 1, as one broker
requires, and ``auto.create.topics.enable`` is false (Kafka's default is true) so that every
topic in the course is created explicitly, with its partition count in sight.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO

from simkafka.brokers.common import (
    LOOPBACK,
    BrokerError,
    UpResult,
    check_port_free,
    error_line,
    home,
    locked,
    port_in_use,
    recv_exactly,
    running_pid,
    stop_pid,
    wait_until,
    write_pid,
)

KAFKA_VERSION = "4.3.1"
PORT = 9092
CONTROLLER_PORT = 9093
NODE_ID = 1
MIN_JAVA = 17
JAVA_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true")
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
DOWNLOAD_TIMEOUT = 900.0
START_HINT = "start it with: python -m simkafka.brokers up"

API_VERSIONS = 18
METADATA = 3


@dataclass(frozen=True)
class Layout:
    """Where one Kafka version keeps its jars, configuration, data, log and pid file."""

    root: Path

    @property
    def jars(self) -> Path:
        return self.root / "jars"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> Path:
        return self.root / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.root / "log4j2.properties"

    @property
    def pom(self) -> Path:
        return self.root / "pom.xml"

    @property
    def log(self) -> Path:
        return self.root / "broker.log"

    @property
    def download_log(self) -> Path:
        return self.root / "download.log"

    @property
    def pid(self) -> Path:
        return self.root / "broker.pid"


def layout() -> Layout:
    """The layout under :func:`~simkafka.brokers.common.home` for :data:`KAFKA_VERSION`."""
    return Layout(home() / f"kafka-{KAFKA_VERSION}")


def broker_properties(data_dir: Path) -> dict[str, str]:
    """The broker's ``server.properties``: one KRaft node on loopback, internal topics RF 1."""
    return {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@{LOOPBACK}:{CONTROLLER_PORT}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{PORT},CONTROLLER://{LOOPBACK}:{CONTROLLER_PORT}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{PORT}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }


def render_properties(properties: dict[str, str]) -> str:
    """Java properties text, one ``key=value`` a line, backslashes escaped.

    >>> print(render_properties({"node.id": "1", "log.dirs": "C:\\\\kafka"}), end="")
    # Written by python -m simkafka.brokers; rewritten at each start.
    node.id=1
    log.dirs=C:\\\\kafka
    """
    lines = ["# Written by python -m simkafka.brokers; rewritten at each start."]
    lines += [f"{key}={value.replace(chr(92), chr(92) * 2)}" for key, value in properties.items()]
    return "\n".join(lines) + "\n"


def new_cluster_id() -> str:
    """A random cluster id printed as Kafka's ``Uuid.randomUuid()``: 22 URL-safe base64 chars."""
    while True:
        text = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _request(
    sock: socket.socket, api_key: int, version: int, correlation: int, body: bytes
) -> bytes:
    """Send one request (header v1) and return the response after its correlation id."""
    client_id = b"simkafka-probe"
    header = struct.pack(">hhih", api_key, version, correlation, len(client_id)) + client_id
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    (size,) = struct.unpack(">i", recv_exactly(sock, 4))
    response = recv_exactly(sock, size)
    if struct.unpack(">i", response[:4])[0] != correlation:
        raise ConnectionError("response does not match the request")
    return response[4:]


def probe(host: str = LOOPBACK, port: int = PORT, timeout: float = 2.0) -> bool:
    """Whether a Kafka broker at ``host:port`` answers ApiVersions and lists a live broker.

    Sends ApiVersions v0 (error code must be 0) then Metadata v4 for no topics (at least one
    broker must be listed: a KRaft broker appears there once it is unfenced, that is ready).
    ``timeout`` bounds the connection and each read.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            versions = _request(sock, API_VERSIONS, 0, 1, b"")
            if struct.unpack(">h", versions[:2])[0] != 0:
                return False
            no_topics_no_auto_create = struct.pack(">i?", 0, False)
            metadata = _request(sock, METADATA, 4, 2, no_topics_no_auto_create)
            (_throttle_ms, broker_count) = struct.unpack(">ii", metadata[:8])
            return broker_count > 0
    except (OSError, struct.error):
        return False


def _answers() -> bool:
    """Whether our address (read at call time, so tests can move it) answers, within 1 s."""
    return probe(LOOPBACK, PORT, 1.0)


def find_java() -> str:
    """The ``java`` to run (``$JAVA_HOME/bin/java``, else the one on PATH), checked to be 17+."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise BrokerError(
            f"kafka: Java not found (no java on PATH or in JAVA_HOME); Kafka {KAFKA_VERSION} "
            f"needs Java {MIN_JAVA}+: install it with apt-get install -y openjdk-17-jre-headless"
        )
    try:
        shown = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        ).stderr
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BrokerError(
            f"kafka: could not run {java} -version ({error}); fix or reinstall Java"
        ) from None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    major = 0 if found is None else int(found[2] if found[1] == "1" and found[2] else found[1])
    if major < MIN_JAVA:
        raise BrokerError(
            f"kafka: {java} is Java {major or 'of unknown version'}, Kafka {KAFKA_VERSION} needs "
            f"Java {MIN_JAVA}+: install openjdk-17-jre-headless or point JAVA_HOME at a newer JDK"
        )
    return java


def _first_maven_error(log_file: Path) -> str:
    for line in log_file.read_text(errors="replace").splitlines():
        if line.startswith("[ERROR]") and line.strip() != "[ERROR]":
            return line.removeprefix("[ERROR]").strip()[:200]
    return "no [ERROR] line"


def ensure_jars(where: Layout) -> None:
    """Download the broker's runtime jars with Maven into ``where.jars`` unless already there."""
    if (where.jars / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            f"kafka: Maven (mvn) not found; it is needed once to download Kafka {KAFKA_VERSION}'s "
            f"jars into {where.jars}: install it with apt-get install -y maven"
        )
    where.root.mkdir(parents=True, exist_ok=True)
    where.pom.write_text(resources.files(__package__).joinpath("pom.xml").read_text())
    partial = where.root / "jars.partial"
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-B",
        "--no-transfer-progress",
        "-f",
        str(where.pom),
        f"-Dkafka.version={KAFKA_VERSION}",
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={partial}",
    ]
    print(
        f"kafka: downloading Kafka {KAFKA_VERSION}'s jars from Maven Central into {where.jars} "
        "(once; about 45 MB)",
        file=sys.stderr,
        flush=True,
    )
    with open(where.download_log, "w") as log:
        try:
            done = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, timeout=DOWNLOAD_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise BrokerError(
                f"kafka: downloading the jars with Maven took over {DOWNLOAD_TIMEOUT:.0f} s; check "
                f"your network or Maven proxy (~/.m2/settings.xml); see {where.download_log}"
            ) from None
    if done.returncode != 0 or not (partial / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
        raise BrokerError(
            f"kafka: could not download Kafka {KAFKA_VERSION}'s jars with Maven (exit "
            f"{done.returncode}: {_first_maven_error(where.download_log)}); check your network or "
            f"Maven proxy (~/.m2/settings.xml); see {where.download_log}"
        )
    shutil.rmtree(where.jars, ignore_errors=True)
    partial.replace(where.jars)


def _format_storage(java: str, where: Layout, log: IO[str]) -> None:
    """Format the KRaft log directory once, with a new cluster id (static quorum voters)."""
    if (where.data / "meta.properties").is_file():
        return
    command = [
        java,
        "-Xmx256m",
        "-Dsimkafka.log.level=WARN",
        f"-Dlog4j2.configurationFile={where.log4j}",
        "-cp",
        str(where.jars / "*"),
        "kafka.tools.StorageTool",
        "format",
        "-t",
        new_cluster_id(),
        "-c",
        str(where.config),
    ]
    try:
        done = subprocess.run(
            command, stdout=log, stderr=subprocess.STDOUT, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        raise BrokerError(
            f"kafka: formatting the log directory {where.data} took over 120 s; see {where.log}"
        ) from None
    if done.returncode != 0:
        raise BrokerError(
            f"kafka: formatting the log directory {where.data} failed (exit {done.returncode}); "
            f"see {where.log}"
        )


def up() -> UpResult:
    """Start the broker unless it runs already; wait until it answers (at most 90 s)."""
    where = layout()
    with locked(where.root):
        pid = running_pid(where.pid, str(where.config))
        if pid is not None:
            if not wait_until(_answers, START_TIMEOUT, 0.5):
                raise BrokerError(
                    f"kafka: pid {pid} runs but does not answer on {LOOPBACK}:{PORT}; stop it with "
                    f"python -m simkafka.brokers down; see {where.log}"
                )
            return UpResult(False, f"kafka: already running at {LOOPBACK}:{PORT} (pid {pid})")
        if _answers():
            return UpResult(
                False,
                f"kafka: a broker not started by simkafka answers at {LOOPBACK}:{PORT}; using it",
            )
        check_port_free("kafka", PORT)
        check_port_free("kafka", CONTROLLER_PORT)
        java = find_java()
        ensure_jars(where)
        where.log4j.write_text(
            resources.files(__package__).joinpath("log4j2.properties").read_text()
        )
        where.config.write_text(render_properties(broker_properties(where.data)))
        return _start(java, where)


def _start(java: str, where: Layout) -> UpResult:
    began = time.monotonic()
    with open(where.log, "w") as log:
        _format_storage(java, where, log)
        process = subprocess.Popen(
            [
                java,
                *JAVA_OPTIONS,
                f"-Dlog4j2.configurationFile={where.log4j}",
                "-cp",
                str(where.jars / "*"),
                "kafka.Kafka",
                str(where.config),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=where.root,
            start_new_session=True,
        )
    write_pid(where.pid, process.pid)
    try:
        answered = wait_until(lambda: process.poll() is not None or _answers(), START_TIMEOUT)
    except BaseException:  # interrupted (Ctrl-C): leave no half-started broker behind
        stop_pid(process.pid, STOP_TIMEOUT)
        where.pid.unlink(missing_ok=True)
        raise
    if process.poll() is not None:
        where.pid.unlink(missing_ok=True)
        cause = error_line(where.log, ("ERROR", "FATAL", "Exception"), last=True)
        raise BrokerError(
            f"kafka: the broker exited with code {process.returncode} while starting; see "
            f"{where.log}" + (f" (last error: {cause})" if cause else "")
        )
    if not answered:
        stop_pid(process.pid, STOP_TIMEOUT)
        where.pid.unlink(missing_ok=True)
        raise BrokerError(
            f"kafka: the broker did not answer on {LOOPBACK}:{PORT} within {START_TIMEOUT:.0f} s "
            f"(stopped it); see {where.log}"
        )
    return UpResult(
        True,
        f"kafka: started Kafka {KAFKA_VERSION} at {LOOPBACK}:{PORT} in "
        f"{time.monotonic() - began:.1f} s (pid {process.pid}; log {where.log})",
    )


def down() -> str:
    """Stop the broker this launcher started (SIGTERM, then SIGKILL after 30 s)."""
    where = layout()
    with locked(where.root):
        pid = running_pid(where.pid, str(where.config))
        if pid is None:
            stale = where.pid.exists()
            where.pid.unlink(missing_ok=True)
            return "kafka: not running" + (" (removed a stale pid file)" if stale else "")
        killed = stop_pid(pid, STOP_TIMEOUT)
        where.pid.unlink(missing_ok=True)
    how = f" with SIGKILL after {STOP_TIMEOUT:.0f} s" if killed else ""
    return f"kafka: stopped (pid {pid}){how}"


def status() -> str:
    """One line: whether the broker runs, where, with which pid, or how to start it."""
    where = layout()
    pid = running_pid(where.pid, str(where.config))
    answers = _answers()
    if pid is not None and answers:
        return f"kafka: running at {LOOPBACK}:{PORT} (pid {pid}; log {where.log})"
    if pid is not None:
        return f"kafka: pid {pid} runs but {LOOPBACK}:{PORT} does not answer; see {where.log}"
    if answers:
        return f"kafka: a broker not started by simkafka answers at {LOOPBACK}:{PORT}"
    if port_in_use(PORT):
        return f"kafka: not running, and port {PORT} is taken by a process simkafka did not start"
    return f"kafka: not running; {START_HINT}"
