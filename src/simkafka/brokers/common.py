"""What the Kafka and RabbitMQ launchers share: where they keep state, pid files, port checks.

Every broker the launcher starts listens on the loopback address only, keeps its data, log
and pid file under :func:`home`, and is stopped only through its pid file: nothing here ever
looks a process up by name.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

LOOPBACK = "127.0.0.1"


class BrokerError(Exception):
    """A broker could not be started or stopped; the message is one line: what and how to fix."""


class UpResult(NamedTuple):
    """What ``up`` did: ``started`` is True only when this call started the broker."""

    started: bool
    message: str


def home() -> Path:
    """The launcher's directory: ``$SIMKAFKA_HOME``, else ``$XDG_CACHE_HOME/simkafka``.

    ``$XDG_CACHE_HOME`` defaults to ``~/.cache``. It holds the downloaded jars and each broker's
    data, configuration, log and pid file, never anything inside the repository.
    """
    if explicit := os.environ.get("SIMKAFKA_HOME"):
        return Path(explicit).expanduser().absolute()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser().absolute() / "simkafka"


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` so two launchers never start the same broker."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """Whether something already listens on ``host:port`` (a bind there would fail)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def check_port_free(name: str, port: int, host: str = LOOPBACK) -> None:
    """Raise :class:`BrokerError` when ``host:port`` is taken by a process we did not start."""
    if port_in_use(port, host):
        raise BrokerError(
            f"{name}: port {host}:{port} is already in use by a process simkafka did not start; "
            f"find it with `ss -ltnp 'sport = :{port}'` and stop it"
        )


def read_pid(pid_file: Path) -> int | None:
    """The pid stored in ``pid_file``, or None if the file is missing or holds no number."""
    try:
        text = pid_file.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def write_pid(pid_file: Path, pid: int) -> None:
    """Store ``pid`` in ``pid_file`` (replacing the file atomically)."""
    partial = pid_file.with_suffix(".tmp")
    partial.write_text(f"{pid}\n")
    partial.replace(pid_file)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (reaping it if it is our child)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def command_line(pid: int) -> str | None:
    """The command line of ``pid`` joined by spaces, or None where /proc cannot tell."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def running_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in ``pid_file`` if that process is alive and is ours, else None.

    A process is ours when its command line contains ``marker`` (a path only our broker has),
    so a pid reused by an unrelated process after a crash is never taken for the broker.
    """
    pid = read_pid(pid_file)
    if pid is None or not pid_alive(pid):
        return None
    cmdline = command_line(pid)
    return pid if cmdline is None or marker in cmdline else None


def descendants(pid: int) -> list[int]:
    """The pids of the children of ``pid``, their children and so on (empty without /proc)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        for children in Path(f"/proc/{pending.pop()}/task").glob("*/children"):
            try:
                kids = [int(kid) for kid in children.read_text().split()]
            except OSError:
                continue
            found += kids
            pending += kids
    return found


def stop_pid(pid: int, timeout: float) -> bool:
    """Send SIGTERM to ``pid``, wait up to ``timeout`` s, then SIGKILL; True if it was killed."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_until(lambda: not pid_alive(pid), timeout):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), 10.0)
    return True


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Call ``condition`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def error_line(log_file: Path, words: tuple[str, ...], *, last: bool) -> str:
    """The first (or last) log line containing one of ``words``, shortened for one line, or ''.

    The timestamp is dropped and a long line keeps its start and its end, where Kafka and
    RabbitMQ put the reason.

    >>> import tempfile
    >>> log = Path(tempfile.mkdtemp()) / "broker.log"
    >>> _ = log.write_text("2026-01-02 10:00:00.1+00:00 [error] <0.1.0> bind: eaddrinuse\\n")
    >>> error_line(log, ("[error]",), last=False)
    '[error] <0.1.0> bind: eaddrinuse'
    """
    try:
        lines = log_file.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines) if last else lines:
        if any(word in line for word in words):
            text = _TIMESTAMP.sub("", line.strip())
            return text if len(text) <= 200 else f"{text[:130]} ... {text[-65:]}"
    return ""


_TIMESTAMP = re.compile(r"^\[?\d{4}-\d\d-\d\d[ T][\d:.,+]+\]?\s*")


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    """Read exactly ``size`` bytes from ``sock`` or raise ConnectionError."""
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed by the peer")
        data += chunk
    return bytes(data)
