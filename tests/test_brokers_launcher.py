"""Unit tests of the broker launcher's parts that need no broker, Java, Maven or RabbitMQ.

Configuration rendering, pid files and stopping, the Kafka and AMQP probes (against tiny fake
servers), and the one-line errors for a port in use, a missing Java or Maven, a failed
download and a missing RabbitMQ package; and ``run``'s rule of stopping only what it started.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from simkafka import brokers
from simkafka.brokers import __main__ as cli
from simkafka.brokers import common, kafka, rabbitmq
from simkafka.brokers.common import BrokerError, UpResult


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SIMKAFKA_HOME, so no test touches a real broker's files."""
    home = tmp_path / "home"
    monkeypatch.setenv("SIMKAFKA_HOME", str(home))
    return home


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    """A socket of ours listening on a free loopback port (which accepts but never answers)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_once(answer: Callable[[socket.socket], None]) -> int:
    """Serve one connection on a free port with ``answer(connection)``; return the port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def handle() -> None:
        with server, server.accept()[0] as connection:
            connection.settimeout(5)
            answer(connection)

    threading.Thread(target=handle, daemon=True).start()
    return server.getsockname()[1]


def fake_kafka(connection: socket.socket, brokers_listed: int = 1) -> None:
    """Answer ApiVersions (error 0, no versions) and Metadata (``brokers_listed`` brokers)."""
    for body in (struct.pack(">hi", 0, 0), struct.pack(">ii", 0, brokers_listed)):
        (size,) = struct.unpack(">i", common.recv_exactly(connection, 4))
        correlation = common.recv_exactly(connection, size)[4:8]
        connection.sendall(struct.pack(">i", 4 + len(body)) + correlation + body)


def write_script(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return script


# --- configuration -------------------------------------------------------------------------


def test_broker_listens_on_loopback_only(tmp_path: Path) -> None:
    properties = kafka.broker_properties(tmp_path / "data")
    for key in ("listeners", "advertised.listeners"):
        hosts = {entry.split("://")[1].rpartition(":")[0] for entry in properties[key].split(",")}
        assert hosts == {"127.0.0.1"}, key
    assert properties["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert properties["log.dirs"] == str(tmp_path / "data")


def test_broker_suits_a_single_node() -> None:
    properties = kafka.broker_properties(Path("/data"))
    assert properties["process.roles"] == "broker,controller"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert properties[key] == "1", key
    assert properties["group.initial.rebalance.delay.ms"] == "0"
    assert properties["auto.create.topics.enable"] == "false"


def test_rendered_properties_read_back() -> None:
    properties = kafka.broker_properties(Path("/some where/data"))
    lines = kafka.render_properties(properties).splitlines()
    assert lines[0].startswith("#")
    assert dict(line.split("=", 1) for line in lines[1:]) == properties


def test_cluster_id_is_a_kafka_uuid() -> None:
    for _ in range(200):
        cluster_id = kafka.new_cluster_id()
        assert len(cluster_id) == 22 and not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_rabbitmq_settings_stay_on_loopback_and_in_our_directory(tmp_path: Path) -> None:
    where = rabbitmq.Layout(tmp_path)
    settings = rabbitmq.env_settings(where)
    assert settings["NODE_IP_ADDRESS"] == settings["ERL_EPMD_ADDRESS"] == "127.0.0.1"
    assert (settings["NODE_PORT"], settings["DIST_PORT"]) == ("5672", "25672")
    paths = [value for key, value in settings.items() if key.endswith(("_FILE", "_BASE"))]
    assert paths and all(Path(path).is_relative_to(tmp_path) for path in paths)
    assert "distribution.listener.interface = 127.0.0.1" in rabbitmq.render_config()
    environment = rabbitmq.process_env(where)
    assert environment["HOME"] == str(tmp_path)
    assert environment["RABBITMQ_CONF_ENV_FILE"] == str(where.env_conf)


def test_home_follows_simkafka_home_then_xdg_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert common.home() == tmp_path / "home"
    monkeypatch.delenv("SIMKAFKA_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert common.home() == tmp_path / "cache" / "simkafka"
    assert (
        kafka.layout().jars
        == tmp_path / "cache" / "simkafka" / f"kafka-{kafka.KAFKA_VERSION}" / "jars"
    )


@pytest.mark.parametrize(
    ("value", "required"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("", False), ("no", False)],
)
def test_brokers_required_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, required: bool
) -> None:
    monkeypatch.setenv("SIMKAFKA_REQUIRE_BROKERS", value)
    assert brokers.brokers_required() is required


# --- pid files -----------------------------------------------------------------------------


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "marker-x"])
    yield process
    process.kill()
    process.wait()


def test_pid_file_is_read_back(tmp_path: Path) -> None:
    pid_file = tmp_path / "broker.pid"
    assert common.read_pid(pid_file) is None
    common.write_pid(pid_file, 4242)
    assert common.read_pid(pid_file) == 4242
    pid_file.write_text("not a pid\n")
    assert common.read_pid(pid_file) is None


def test_running_pid_needs_a_live_process_with_our_marker(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    pid_file = tmp_path / "broker.pid"
    common.write_pid(pid_file, sleeper.pid)
    assert common.running_pid(pid_file, "marker-x") == sleeper.pid
    assert common.running_pid(pid_file, "some other broker") is None
    sleeper.kill()
    sleeper.wait()
    assert common.running_pid(pid_file, "marker-x") is None


def test_running_pid_ignores_a_zombie_child(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass", "marker-z"])
    common.write_pid(tmp_path / "broker.pid", process.pid)
    assert common.wait_until(lambda: not common.pid_alive(process.pid), 10)
    assert common.running_pid(tmp_path / "broker.pid", "marker-z") is None


def test_stop_pid_escalates_to_sigkill() -> None:
    ignores_term = (
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", ignores_term], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    assert common.stop_pid(process.pid, timeout=0.5) is True
    assert not common.pid_alive(process.pid)


def test_stop_pid_stops_politely_first(sleeper: subprocess.Popen[bytes]) -> None:
    assert common.stop_pid(sleeper.pid, timeout=10) is False
    assert not common.pid_alive(sleeper.pid)


def test_kafka_down_without_a_broker_removes_a_stale_pid_file(private_home: Path) -> None:
    where = kafka.layout()
    where.root.mkdir(parents=True)
    common.write_pid(where.pid, 999_999_999)
    assert kafka.down() == "kafka: not running (removed a stale pid file)"
    assert not where.pid.exists()
    assert kafka.down() == "kafka: not running"


# --- ports and probes ----------------------------------------------------------------------


def test_port_check_names_a_port_in_use(listening: socket.socket) -> None:
    port = listening.getsockname()[1]
    assert common.port_in_use(port)
    with pytest.raises(BrokerError, match=rf"kafka: port 127\.0\.0\.1:{port} is already in use"):
        common.check_port_free("kafka", port)


def test_port_check_passes_a_free_port() -> None:
    port = free_port()
    assert not common.port_in_use(port)
    common.check_port_free("kafka", port)


def test_kafka_up_refuses_a_port_taken_by_something_else(
    listening: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = listening.getsockname()[1]
    monkeypatch.setattr(kafka, "PORT", port)
    with pytest.raises(BrokerError, match=rf"port 127\.0\.0\.1:{port} is already in use") as error:
        kafka.up()
    assert "\n" not in str(error.value)


def test_rabbitmq_up_refuses_a_port_taken_by_something_else(
    listening: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = listening.getsockname()[1]
    monkeypatch.setattr(rabbitmq, "PORT", port)
    with pytest.raises(BrokerError, match=rf"rabbitmq: port 127\.0\.0\.1:{port} is already in use"):
        rabbitmq.up()


def test_kafka_probe_accepts_a_broker_that_lists_itself() -> None:
    assert kafka.probe("127.0.0.1", serve_once(fake_kafka), timeout=5)


def test_kafka_probe_rejects_a_cluster_without_live_broker() -> None:
    port = serve_once(lambda connection: fake_kafka(connection, brokers_listed=0))
    assert not kafka.probe("127.0.0.1", port, timeout=5)


def test_kafka_probe_rejects_a_server_that_is_no_kafka() -> None:
    assert not kafka.probe("127.0.0.1", serve_once(lambda c: c.sendall(b"HTTP/1.1 400\r\n\r\n")))


def test_kafka_probe_is_bounded_by_its_timeout(listening: socket.socket) -> None:
    assert not kafka.probe("127.0.0.1", listening.getsockname()[1], timeout=0.2)
    assert not kafka.probe("127.0.0.1", free_port(), timeout=0.2)


def test_kafka_available_tries_every_bootstrap_server() -> None:
    port = serve_once(fake_kafka)
    assert brokers.kafka_available(f"127.0.0.1:{free_port()},127.0.0.1:{port}", timeout=5)


def test_rabbitmq_probe_accepts_connection_start() -> None:
    def amqp(connection: socket.socket) -> None:
        assert common.recv_exactly(connection, 8) == b"AMQP\x00\x00\x09\x01"
        payload = struct.pack(">HHBB", 10, 10, 0, 9)
        connection.sendall(struct.pack(">BHI", 1, 0, len(payload)) + payload + b"\xce")

    assert rabbitmq.probe("127.0.0.1", serve_once(amqp), timeout=5)


def test_rabbitmq_probe_rejects_a_server_that_is_no_amqp() -> None:
    assert not rabbitmq.probe("127.0.0.1", serve_once(lambda c: c.sendall(b"SSH-2.0-x\r\n")))
    assert not rabbitmq.probe("127.0.0.1", free_port(), timeout=0.2)


# --- missing tools -------------------------------------------------------------------------


@pytest.fixture
def bare_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH is one directory of ours with sh, mkdir, touch and sleep: no java, no mvn."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for tool in ("sh", "mkdir", "touch", "sleep"):
        (directory / tool).symlink_to(shutil.which(tool) or f"/bin/{tool}")
    monkeypatch.setenv("PATH", str(directory))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    return directory


def test_missing_java_is_one_clear_line(bare_path: Path) -> None:
    with pytest.raises(BrokerError, match="kafka: Java not found") as error:
        kafka.find_java()
    assert "apt-get install -y openjdk-17-jre-headless" in str(error.value)


def test_kafka_up_without_java_fails_before_downloading(
    bare_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka, "PORT", free_port())
    monkeypatch.setattr(kafka, "CONTROLLER_PORT", free_port())
    with pytest.raises(BrokerError, match="kafka: Java not found"):
        kafka.up()
    assert not kafka.layout().jars.exists()


def test_old_java_is_refused(bare_path: Path) -> None:
    write_script(bare_path, "java", "echo 'openjdk version \"11.0.22\" 2024-01-16' >&2")
    with pytest.raises(BrokerError, match="is Java 11, Kafka .* needs Java 17"):
        kafka.find_java()


def test_java_8_style_version_is_read(bare_path: Path) -> None:
    write_script(bare_path, "java", "echo 'java version \"1.8.0_402\"' >&2")
    with pytest.raises(BrokerError, match="is Java 8,"):
        kafka.find_java()


def test_missing_maven_is_one_clear_line(bare_path: Path) -> None:
    with pytest.raises(BrokerError, match=r"kafka: Maven \(mvn\) not found") as error:
        kafka.ensure_jars(kafka.layout())
    assert "apt-get install -y maven" in str(error.value)


def test_failed_download_names_the_error_and_the_log(bare_path: Path) -> None:
    write_script(
        bare_path,
        "mvn",
        "echo '[ERROR] Failed to execute goal: Could not resolve dependencies'; exit 1",
    )
    where = kafka.layout()
    with pytest.raises(BrokerError, match="Could not resolve dependencies") as error:
        kafka.ensure_jars(where)
    assert str(where.download_log) in str(error.value)
    assert not where.jars.exists()


def test_download_lands_all_at_once(bare_path: Path) -> None:
    jar = f"kafka_2.13-{kafka.KAFKA_VERSION}.jar"
    write_script(
        bare_path,
        "mvn",
        'for a in "$@"; do case "$a" in -DoutputDirectory=*) d="${a#*=}";; esac; done\n'
        f'mkdir -p "$d" && touch "$d/{jar}" "$d/other.jar"',
    )
    where = kafka.layout()
    kafka.ensure_jars(where)
    assert sorted(path.name for path in where.jars.iterdir()) == sorted([jar, "other.jar"])
    assert "${kafka.version}" in where.pom.read_text()
    assert not (where.root / "jars.partial").exists()


def fake_kafka_install(bare_path: Path, monkeypatch: pytest.MonkeyPatch, runs: str) -> Path:
    """Jars and a formatted log dir in place, and a ``java`` (17) that ``runs`` as the broker."""
    monkeypatch.setattr(kafka, "PORT", free_port())
    monkeypatch.setattr(kafka, "CONTROLLER_PORT", free_port())
    write_script(
        bare_path,
        "java",
        f'case "$1" in -version) echo \'openjdk version "17.0.9"\' >&2; exit 0;; esac\n{runs}',
    )
    where = kafka.layout()
    where.jars.mkdir(parents=True)
    (where.jars / f"kafka_2.13-{kafka.KAFKA_VERSION}.jar").touch()
    where.data.mkdir()
    (where.data / "meta.properties").touch()
    return where.pid


def test_broker_that_dies_while_starting_is_reported_with_its_error(
    bare_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = fake_kafka_install(
        bare_path, monkeypatch, "echo '[2026-01-02 03:04:05,678] ERROR boom (kafka.Kafka)'; exit 1"
    )
    with pytest.raises(BrokerError, match=r"exited with code 1 while starting.*ERROR boom"):
        kafka.up()
    assert not pid_file.exists()


def test_broker_that_never_answers_is_stopped_after_the_timeout(
    bare_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = fake_kafka_install(bare_path, monkeypatch, "exec sleep 60")
    monkeypatch.setattr(kafka, "START_TIMEOUT", 1.0)
    with pytest.raises(BrokerError, match=r"did not answer on 127\.0\.0\.1:\d+ within 1 s"):
        kafka.up()
    assert not pid_file.exists()


def test_missing_rabbitmq_without_root_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rabbitmq, "DEBIAN_SCRIPTS", tmp_path / "no-rabbitmq")
    monkeypatch.setattr(rabbitmq.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(rabbitmq.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(BrokerError, match="sudo apt-get install -y rabbitmq-server"):
        rabbitmq.ensure_installed(rabbitmq.layout())


def test_policy_rc_d_is_ours_only_while_installing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy-rc.d"
    monkeypatch.setattr(rabbitmq, "POLICY_RC_D", policy)
    with rabbitmq._services_held():
        assert os.access(policy, os.X_OK) and "exit 101" in policy.read_text()
    assert not policy.exists()
    policy.write_text("#!/bin/sh\nexit 0\n")
    with rabbitmq._services_held():
        pass
    assert policy.read_text() == "#!/bin/sh\nexit 0\n"


# --- the command line ----------------------------------------------------------------------


def fake_broker(
    name: str, log: list[str], *, running: bool = False, fails: bool = False
) -> SimpleNamespace:
    def up() -> UpResult:
        log.append(f"up {name}")
        if fails:
            raise BrokerError(f"{name}: could not start")
        return UpResult(not running, f"{name}: up")

    def down() -> str:
        log.append(f"down {name}")
        return f"{name}: down"

    return SimpleNamespace(up=up, down=down)


def exit_with(code: int) -> list[str]:
    return [sys.executable, "-c", f"raise SystemExit({code})"]


def test_run_stops_only_what_it_started(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    monkeypatch.setattr(
        cli,
        "BROKERS",
        {"a": fake_broker("a", log), "b": fake_broker("b", log, running=True)},
    )
    assert cli.run(exit_with(3)) == 3
    assert log == ["up a", "up b", "down a"]


def test_run_goes_on_without_a_broker_unless_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    log: list[str] = []
    monkeypatch.setattr(
        cli, "BROKERS", {"a": fake_broker("a", log), "b": fake_broker("b", log, fails=True)}
    )
    monkeypatch.delenv("SIMKAFKA_REQUIRE_BROKERS", raising=False)
    assert cli.run(exit_with(0)) == 0
    assert "b: could not start" in capsys.readouterr().err
    assert log == ["up a", "up b", "down a"]

    log.clear()
    monkeypatch.setenv("SIMKAFKA_REQUIRE_BROKERS", "1")
    assert cli.run([sys.executable, "-c", "open('ran', 'w')"]) == 1
    assert not Path("ran").exists()
    assert log == ["up a", "up b", "down a"]


def test_run_passes_sigterm_on_and_still_stops_its_brokers(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    monkeypatch.setattr(cli, "BROKERS", {"a": fake_broker("a", log)})
    terminates_its_parent = (
        "import os, signal, time; os.kill(os.getppid(), signal.SIGTERM); time.sleep(30)"
    )
    assert cli.run([sys.executable, "-c", terminates_its_parent]) == 128 + 15
    assert log == ["up a", "down a"]


def test_run_reports_a_missing_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "BROKERS", {})
    assert cli.run(["simkafka-no-such-command"]) == 127


@pytest.mark.parametrize("argv", [["run"], ["run", "--"], ["status", "zookeeper"], ["start"]])
def test_command_line_rejects_bad_use(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2


def test_status_says_how_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(kafka, "PORT", free_port())
    monkeypatch.setattr(rabbitmq, "PORT", free_port())
    assert cli.main(["status"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "kafka: not running; start it with: python -m simkafka.brokers up",
        "rabbitmq: not running; start it with: python -m simkafka.brokers up",
    ]
