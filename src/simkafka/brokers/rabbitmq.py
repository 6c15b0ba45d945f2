"""Start, stop and probe a loopback-only RabbitMQ broker from Debian's ``rabbitmq-server`` package.

If the package is missing and we are root, it is installed with apt-get while a
``/usr/sbin/policy-rc.d`` that exits 101 keeps its postinst from starting the system broker
(which would listen on every interface). The broker then runs as the current user from
``/usr/lib/rabbitmq/bin`` (not the ``/usr/sbin`` wrappers, which switch to the ``rabbitmq``
user and its files in /var/lib/rabbitmq), and nothing in /etc is read or changed: everything
lives under ``<home>/rabbitmq`` — rabbitmq-env.conf and rabbitmq.conf (AMQP on 127.0.0.1:5672,
Erlang distribution on 127.0.0.1:25672, epmd on 127.0.0.1:4369), the Mnesia data, the logs,
the pid file, and the Erlang cookie (HOME points there, for the broker and rabbitmqctl alike).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from simkafka.brokers.common import (
    LOOPBACK,
    BrokerError,
    UpResult,
    check_port_free,
    descendants,
    error_line,
    home,
    locked,
    pid_alive,
    port_in_use,
    read_pid,
    recv_exactly,
    running_pid,
    stop_pid,
    wait_until,
    write_pid,
)

PORT = 5672
DIST_PORT = 25672
EPMD_PORT = 4369
NODENAME = "rabbit@localhost"
DEBIAN_SCRIPTS = Path("/usr/lib/rabbitmq/bin")
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
MAX_OPEN_FILES = 65536
START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
INSTALL_TIMEOUT = 900.0
START_HINT = "start it with: python -m simkafka.brokers up"


@dataclass(frozen=True)
class Layout:
    """Where the broker keeps its configuration, data, logs, pid file and cookie."""

    root: Path

    @property
    def env_conf(self) -> Path:
        return self.root / "rabbitmq-env.conf"

    @property
    def config(self) -> Path:
        return self.root / "rabbitmq.conf"

    @property
    def enabled_plugins(self) -> Path:
        return self.root / "enabled_plugins"

    @property
    def mnesia(self) -> Path:
        return self.root / "mnesia"

    @property
    def logs(self) -> Path:
        return self.root / "log"

    @property
    def log(self) -> Path:
        return self.logs / f"{NODENAME}.log"

    @property
    def startup_log(self) -> Path:
        return self.root / "startup.log"

    @property
    def install_log(self) -> Path:
        return self.root / "install.log"

    @property
    def pid(self) -> Path:
        return self.root / "rabbitmq.pid"

    @property
    def epmd_pid(self) -> Path:
        """The pid of the epmd we started (none when another epmd already listened)."""
        return self.root / "epmd.pid"


def layout() -> Layout:
    """The layout under :func:`~simkafka.brokers.common.home`."""
    return Layout(home() / "rabbitmq")


def env_settings(where: Layout) -> dict[str, str]:
    """The rabbitmq-env.conf settings: loopback only, every path under ``where.root``."""
    return {
        "NODENAME": NODENAME,
        "NODE_IP_ADDRESS": LOOPBACK,
        "NODE_PORT": str(PORT),
        "DIST_PORT": str(DIST_PORT),
        "ERL_EPMD_ADDRESS": LOOPBACK,
        "ERL_EPMD_PORT": str(EPMD_PORT),
        "CONFIG_FILE": str(where.config),
        "ADVANCED_CONFIG_FILE": str(where.root / "advanced.config"),
        "ENABLED_PLUGINS_FILE": str(where.enabled_plugins),
        "MNESIA_BASE": str(where.mnesia),
        "LOG_BASE": str(where.logs),
        "PID_FILE": str(where.pid),
    }


def render_env_conf(settings: dict[str, str]) -> str:
    """rabbitmq-env.conf text (a shell fragment), values single-quoted.

    >>> print(render_env_conf({"NODE_PORT": "5672"}), end="")
    # Written by python -m simkafka.brokers; rewritten at each start.
    NODE_PORT='5672'
    """
    lines = ["# Written by python -m simkafka.brokers; rewritten at each start."]
    lines += [f"{key}='{value}'" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def render_config() -> str:
    """rabbitmq.conf: the Erlang distribution listener on loopback, the log in a file only."""
    return (
        "# Written by python -m simkafka.brokers; rewritten at each start.\n"
        f"distribution.listener.interface = {LOOPBACK}\n"
        "log.console = false\n"
        "log.file.level = info\n"
    )


def process_env(where: Layout) -> dict[str, str]:
    """The environment for rabbitmq-server and rabbitmqctl: our env file, our cookie."""
    return {
        **os.environ,
        "HOME": str(where.root),
        "RABBITMQ_CONF_ENV_FILE": str(where.env_conf),
        "ERL_EPMD_ADDRESS": LOOPBACK,
        "ERL_EPMD_PORT": str(EPMD_PORT),
        "LC_ALL": "C.UTF-8",
    }


def probe(host: str = LOOPBACK, port: int = PORT, timeout: float = 2.0) -> bool:
    """Whether an AMQP 0-9-1 broker at ``host:port`` answers the protocol header.

    Sends ``AMQP 0 0 9 1`` and expects a Connection.Start method frame (class 10, method 10).
    ``timeout`` bounds the connection and each read.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            frame_type, channel, size = struct.unpack(">BHI", recv_exactly(sock, 7))
            if (frame_type, channel) != (1, 0) or size < 4:
                return False
            return struct.unpack(">HH", recv_exactly(sock, 4)) == (10, 10)
    except (OSError, struct.error):
        return False


def _answers() -> bool:
    """Whether our address (read at call time, so tests can move it) answers, within 1 s."""
    return probe(LOOPBACK, PORT, 1.0)


@contextlib.contextmanager
def _services_held() -> Iterator[None]:
    """Keep invoke-rc.d from starting services, unless a policy-rc.d is already in place."""
    if POLICY_RC_D.exists():
        yield
        return
    POLICY_RC_D.write_text(
        "#!/bin/sh\n# simkafka: start no service during this install\nexit 101\n"
    )
    POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        POLICY_RC_D.unlink(missing_ok=True)


def ensure_installed(where: Layout) -> None:
    """Install Debian's rabbitmq-server package if it is missing (root only)."""
    if (DEBIAN_SCRIPTS / "rabbitmq-server").is_file():
        return
    if shutil.which("apt-get") is None:
        raise BrokerError(
            f"rabbitmq: RabbitMQ not found in {DEBIAN_SCRIPTS} and this is no Debian system; "
            "install RabbitMQ 3.10+ yourself or run: docker compose up -d rabbitmq"
        )
    if os.geteuid() != 0:
        raise BrokerError(
            "rabbitmq: the rabbitmq-server package is not installed; install it with: "
            "sudo apt-get install -y rabbitmq-server"
        )
    print(
        "rabbitmq: installing Debian's rabbitmq-server package with apt-get (once)",
        file=sys.stderr,
        flush=True,
    )
    where.root.mkdir(parents=True, exist_ok=True)
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with _services_held(), open(where.install_log, "w") as log:
        for command in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "rabbitmq-server"],
        ):
            try:
                done = subprocess.run(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=apt_env,
                    timeout=INSTALL_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise BrokerError(
                    f"rabbitmq: `{' '.join(command)}` took over {INSTALL_TIMEOUT:.0f} s; check "
                    f"the network to Debian's mirrors; see {where.install_log}"
                ) from None
            if done.returncode != 0:
                raise BrokerError(
                    f"rabbitmq: `{' '.join(command)}` failed (exit {done.returncode}); "
                    f"see {where.install_log}"
                )


def _cap_open_files() -> None:
    """Set ``ulimit -n`` to at most 65536 (Erlang busy-loops over a huge descriptor table)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    cap = MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, MAX_OPEN_FILES)
    resource.setrlimit(resource.RLIMIT_NOFILE, (cap, cap))


def _our_pid(where: Layout) -> int | None:
    """The broker's pid if it runs: its Erlang command line names our directory as -home."""
    return running_pid(where.pid, f"-home {where.root}")


def up() -> UpResult:
    """Start the broker unless it runs already; wait until it answers AMQP (at most 120 s)."""
    where = layout()
    with locked(where.root):
        pid = _our_pid(where)
        if pid is not None:
            if not wait_until(_answers, START_TIMEOUT, 0.5):
                raise BrokerError(
                    f"rabbitmq: pid {pid} runs but does not answer on {LOOPBACK}:{PORT}; stop it "
                    f"with python -m simkafka.brokers down; see {where.log}"
                )
            return UpResult(False, f"rabbitmq: already running at {LOOPBACK}:{PORT} (pid {pid})")
        if _answers():
            return UpResult(
                False,
                f"rabbitmq: a broker not started by simkafka answers at {LOOPBACK}:{PORT}; "
                "using it",
            )
        check_port_free("rabbitmq", PORT)
        check_port_free("rabbitmq", DIST_PORT)
        ensure_installed(where)
        for directory in (where.mnesia, where.logs):
            directory.mkdir(parents=True, exist_ok=True)
        where.env_conf.write_text(render_env_conf(env_settings(where)))
        where.config.write_text(render_config())
        where.enabled_plugins.write_text("[].\n")
        return _start(where)


def _epmd() -> str:
    epmd = shutil.which("epmd")
    if epmd is None:
        raise BrokerError(
            "rabbitmq: epmd (Erlang's port mapper) not found; reinstall it with: "
            "apt-get install --reinstall erlang-base"
        )
    return epmd


def _start_epmd(where: Layout) -> None:
    """Start epmd on 127.0.0.1 as our own process, unless one listens already (then use it)."""
    if port_in_use(EPMD_PORT):
        return
    process = subprocess.Popen(
        [_epmd(), "-address", LOOPBACK, "-port", str(EPMD_PORT)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_cap_open_files,
    )
    write_pid(where.epmd_pid, process.pid)
    if not wait_until(lambda: process.poll() is not None or port_in_use(EPMD_PORT), 10.0) or (
        process.poll() is not None
    ):
        _stop_epmd(where)
        raise BrokerError(
            f"rabbitmq: epmd (Erlang's port mapper) did not start on {LOOPBACK}:{EPMD_PORT}; "
            f"check that nothing else uses port {EPMD_PORT}"
        )


def _stop_epmd(where: Layout) -> None:
    """Stop the epmd we started; ``epmd -kill`` leaves it running while other nodes use it."""
    pid = running_pid(where.epmd_pid, "epmd")
    if pid is not None:
        subprocess.run(
            [_epmd(), "-port", str(EPMD_PORT), "-kill"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if not wait_until(lambda: not pid_alive(pid), 10.0):
            return
    where.epmd_pid.unlink(missing_ok=True)


def _start(where: Layout) -> UpResult:
    began = time.monotonic()
    where.pid.unlink(missing_ok=True)
    _start_epmd(where)
    with open(where.startup_log, "w") as log:
        try:
            detached = subprocess.run(
                [str(DEBIAN_SCRIPTS / "rabbitmq-server"), "-detached"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=process_env(where),
                cwd=where.root,
                preexec_fn=_cap_open_files,
                timeout=60,
                check=False,
            )
        except subprocess.TimeoutExpired:
            detached = None
    if detached is None or detached.returncode != 0:
        _stop_epmd(where)
        raise BrokerError(
            "rabbitmq: rabbitmq-server -detached "
            + (
                "did not return within 60 s"
                if detached is None
                else f"failed (exit {detached.returncode})"
            )
            + f"; see {where.startup_log}"
        )

    def booted_or_died() -> bool:
        pid = read_pid(where.pid)
        return _answers() or (pid is not None and not pid_alive(pid))

    try:
        wait_until(booted_or_died, START_TIMEOUT, 0.25)
    except BaseException:  # interrupted (Ctrl-C): leave no half-started broker behind
        _abandon(where)
        raise
    pid = _our_pid(where)
    if pid is not None and _answers():
        return UpResult(
            True,
            f"rabbitmq: started RabbitMQ at {LOOPBACK}:{PORT} in {time.monotonic() - began:.1f} s "
            f"(pid {pid}; log {where.log})",
        )
    _abandon(where)
    cause = error_line(where.log, ("[error]", "[critical]"), last=False)
    what = (
        f"did not answer on {LOOPBACK}:{PORT} within {START_TIMEOUT:.0f} s (stopped it)"
        if pid is not None
        else "stopped while starting"
    )
    raise BrokerError(
        f"rabbitmq: the broker {what}; see {where.log}"
        + (f" (last error: {cause})" if cause else f" and {where.startup_log}")
    )


def _abandon(where: Layout) -> None:
    """Stop a broker that failed to start, and the epmd we started for it."""
    pid = _our_pid(where)
    if pid is not None:
        _stop_beam(pid, descendants(pid))
    _stop_epmd(where)
    where.pid.unlink(missing_ok=True)


def _stop_beam(pid: int, helpers: list[int]) -> bool:
    """Stop the Erlang VM (if still alive) and wait for its helpers; True if SIGKILL was needed."""
    killed = pid_alive(pid) and stop_pid(pid, 10.0)
    if not wait_until(lambda: not any(pid_alive(helper) for helper in helpers), 10.0):
        for helper in helpers:
            stop_pid(helper, 5.0)
    return killed


def down() -> str:
    """Stop the broker this launcher started: rabbitmqctl shutdown, then epmd if we started it."""
    where = layout()
    with locked(where.root):
        pid = _our_pid(where)
        if pid is None:
            stale = where.pid.exists()
            where.pid.unlink(missing_ok=True)
            _stop_epmd(where)
            return "rabbitmq: not running" + (" (removed a stale pid file)" if stale else "")
        helpers = descendants(pid)
        try:
            subprocess.run(
                [str(DEBIAN_SCRIPTS / "rabbitmqctl"), "-q", "-n", NODENAME, "shutdown"],
                env=process_env(where),
                capture_output=True,
                timeout=STOP_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pass
        killed = _stop_beam(pid, helpers)
        _stop_epmd(where)
        where.pid.unlink(missing_ok=True)
    how = " with SIGKILL after rabbitmqctl shutdown failed" if killed else ""
    return f"rabbitmq: stopped (pid {pid}){how}"


def status() -> str:
    """One line: whether the broker runs, where, with which pid, or how to start it."""
    where = layout()
    pid = _our_pid(where)
    answers = _answers()
    if pid is not None and answers:
        return f"rabbitmq: running at {LOOPBACK}:{PORT} (pid {pid}; log {where.log})"
    if pid is not None:
        return f"rabbitmq: pid {pid} runs but {LOOPBACK}:{PORT} does not answer; see {where.log}"
    if answers:
        return f"rabbitmq: a broker not started by simkafka answers at {LOOPBACK}:{PORT}"
    if port_in_use(PORT):
        return (
            f"rabbitmq: not running, and port {PORT} is taken by a process simkafka did not start"
        )
    return f"rabbitmq: not running; {START_HINT}"
