"""The three-node cluster profile of the launcher, without starting Java.

Each node's configuration (its own ports and directory, the shared three-voter quorum, ports
that never meet the single-node Kafka), the command line's node commands, and ``run --with
kafka-cluster`` starting and stopping the optional cluster like any broker it starts.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from simkafka.brokers import __main__ as cli
from simkafka.brokers import kafka, kafka_cluster
from simkafka.brokers.common import BrokerError, UpResult, pid_alive


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SIMKAFKA_HOME, so no test touches a real node's files."""
    home = tmp_path / "home"
    monkeypatch.setenv("SIMKAFKA_HOME", str(home))
    return home


def listeners(properties: dict[str, str]) -> list[tuple[str, int]]:
    return [
        (entry.split("://")[1].rpartition(":")[0], int(entry.rpartition(":")[2]))
        for entry in properties["listeners"].split(",")
    ]


def test_every_node_has_its_own_ports_on_loopback(tmp_path: Path) -> None:
    ports = []
    for node in kafka_cluster.NODES:
        properties = kafka_cluster.node_properties(node, tmp_path / f"node-{node}")
        found = listeners(properties)
        assert {host for host, _ in found} == {"127.0.0.1"}
        assert properties["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{19090 + node}"
        ports += [port for _, port in found]
    assert len(set(ports)) == 6
    assert not {kafka.PORT, kafka.CONTROLLER_PORT} & set(ports)


def test_the_three_nodes_form_one_quorum_of_three_voters(tmp_path: Path) -> None:
    voters = {
        kafka_cluster.node_properties(node, tmp_path)["controller.quorum.voters"]
        for node in kafka_cluster.NODES
    }
    assert voters == {"1@127.0.0.1:19191,2@127.0.0.1:19192,3@127.0.0.1:19193"}
    for node in kafka_cluster.NODES:
        properties = kafka_cluster.node_properties(node, tmp_path)
        assert properties["node.id"] == str(node)
        assert properties["process.roles"] == "broker,controller"


def test_internal_topics_are_replicated_like_production(tmp_path: Path) -> None:
    properties = kafka_cluster.node_properties(1, tmp_path)
    assert properties["offsets.topic.replication.factor"] == "3"
    assert properties["transaction.state.log.min.isr"] == "2"
    assert properties["auto.create.topics.enable"] == "false"
    assert int(properties["broker.heartbeat.interval.ms"]) < int(
        properties["broker.session.timeout.ms"]
    )


def test_each_node_keeps_its_files_apart(private_home: Path) -> None:
    where = kafka_cluster.layout()
    assert where.root == private_home / f"kafka-{kafka.KAFKA_VERSION}-cluster"
    roots = {where.node(n).root for n in kafka_cluster.NODES}
    assert len(roots) == 3
    assert len({where.node(n).pid for n in kafka_cluster.NODES}) == 3
    assert all(root.is_relative_to(where.root) for root in roots)
    assert not where.root.is_relative_to(kafka.layout().root)


def test_a_node_that_does_not_exist_is_refused() -> None:
    for action in (kafka_cluster.start_node, kafka_cluster.stop_node, kafka_cluster.pause_node):
        with pytest.raises(BrokerError, match="there is no node 4"):
            action(4)


def test_stopping_a_node_that_is_not_running_says_so() -> None:
    assert kafka_cluster.stop_node(2) == "kafka-cluster: node 2 not running"


def test_starting_a_node_of_a_cluster_never_set_up_says_how(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kafka_cluster, "BASE_PORT", 0)
    with pytest.raises(BrokerError, match="never set up; start it with"):
        kafka_cluster.start_node(1)


def test_status_of_a_stopped_cluster_says_how_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ports where no node of ours listens, even while the real cluster runs on its own.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setattr(kafka_cluster, "BASE_PORT", probe.getsockname()[1] - 1)
    assert cli.main(["status", "kafka-cluster"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"kafka-cluster: not running; {kafka_cluster.START_HINT}"
    )


def test_down_without_a_cluster_is_harmless() -> None:
    assert kafka_cluster.down() == "kafka-cluster: not running"


def test_pausing_a_node_that_is_not_running_is_one_clear_line() -> None:
    with pytest.raises(BrokerError, match="node 3 is not running"):
        kafka_cluster.pause_node(3)


def test_stop_node_kill_sends_sigkill_to_the_nodes_own_process(private_home: Path) -> None:
    where = kafka_cluster.layout()
    nl = where.node(2)
    nl.root.mkdir(parents=True)
    # A process whose command line names the node's configuration, as the JVM's does.
    sleeper = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(15, signal.SIG_IGN); time.sleep(60)",
            str(nl.config),
        ]
    )
    nl.pid.write_text(f"{sleeper.pid}\n")
    try:
        line = kafka_cluster.stop_node(2, kill=True)
        # It ignores SIGTERM, so only SIGKILL ends it (the launcher reaps its own child).
        assert not pid_alive(sleeper.pid)
        assert line.startswith("kafka-cluster: node 2 killed (SIGKILL)")
        assert not nl.pid.exists()
    finally:
        sleeper.kill()


def fake(name: str, log: list[str]) -> SimpleNamespace:
    def up() -> UpResult:
        log.append(f"up {name}")
        return UpResult(True, f"{name}: up")

    def down() -> str:
        log.append(f"down {name}")
        return f"{name}: down"

    return SimpleNamespace(up=up, down=down)


def test_run_with_the_cluster_starts_and_stops_it_too(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    monkeypatch.setattr(cli, "BROKERS", {"kafka": fake("kafka", log)})
    monkeypatch.setattr(cli, "OPTIONAL", {"kafka-cluster": fake("kafka-cluster", log)})
    assert cli.main(["run", "--with", "kafka-cluster", "--", sys.executable, "-c", "0"]) == 0
    assert log == ["up kafka", "up kafka-cluster", "down kafka-cluster", "down kafka"]
    log.clear()
    assert cli.main(["run", "--", sys.executable, "-c", "0"]) == 0
    assert log == ["up kafka", "down kafka"]


@pytest.mark.parametrize(
    "argv", [["stop-node"], ["stop-node", "one"], ["run", "--with", "zookeeper", "--", "true"]]
)
def test_node_commands_reject_bad_use(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2


def test_node_command_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["start-node", "7"]) == 1
    assert "there is no node 7" in capsys.readouterr().err
