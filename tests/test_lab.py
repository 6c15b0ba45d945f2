"""The course in JupyterLab: ``make lab`` starts a server that lists the notebooks, and the
committed notebooks are clean (kernelspec python3, golden outputs only, broker cells tagged).

The server test runs the command of the Makefile's ``lab`` recipe itself (read from the
Makefile, so the two cannot drift apart), with headless flags added: no browser, a random
token, loopback only, a free port. It waits at most 60 s for the server, and always stops it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SETUP = NOTEBOOKS / "00-setup.ipynb"
START_TIMEOUT_S = 60
BROKER_TAGS = {"requires-kafka", "requires-rabbitmq"}
#: Words in a cell's source that mean it talks to a real broker.
BROKER_WORDS = ("kafka_hello", "rabbitmq_hello", "RealCluster", "RealQueue", '"kafka"', "'kafka'")


def lab_recipe() -> str:
    """The command line of the Makefile's ``lab`` target, as written there."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^lab:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, "the Makefile has no lab target"
    lines = [line.strip() for line in match.group(1).splitlines()]
    commands = [line for line in lines if "jupyter lab" in line]
    assert len(commands) == 1, f"expected one `jupyter lab` command in the lab recipe: {lines}"
    return commands[0]


def lab_command(port: int, token: str) -> list[str]:
    """The ``lab`` recipe with make's variables filled in, plus the headless flags."""
    venv = Path(sys.executable).parent.parent  # the venv this test runs in, i.e. $(VENV)
    values = {"VENV": str(venv), "LAB_PORT": str(port), "LAB_ARGS": ""}
    command = re.sub(r"\$\((\w+)\)", lambda m: values.get(m.group(1), m.group(0)), lab_recipe())
    assert "$(" not in command, f"unknown make variable in the lab recipe: {command}"
    headless = [
        "--no-browser",
        f"--IdentityProvider.token={token}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",  # the port we chose, or fail: never another one
    ]
    if os.geteuid() == 0 and "--allow-root" not in command:
        # As root (containers often are), Jupyter Server exits at once: "Running as root is
        # not recommended. Use --allow-root to bypass."
        headless.append("--allow-root")
    return shlex.split(command) + headless


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str, timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_make_lab_opens_the_notebooks_folder() -> None:
    command = lab_recipe()
    assert "jupyter lab" in command and "--notebook-dir=notebooks" in command


@pytest.mark.slow
def test_lab_serves_the_setup_notebook(tmp_path: Path) -> None:
    port, token = free_port(), secrets.token_hex(16)
    command = lab_command(port, token)
    assert Path(command[0]).exists(), f"{command[0]} is missing: run `make env`"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log_path = tmp_path / "lab.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:

        def log_tail() -> str:
            return "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, (
                f"jupyter lab exited with {server.returncode}:\n{log_tail()}"
            )
            try:
                status, _ = get(f"{base}/api/status", token, timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (
                f"jupyter lab did not answer within {START_TIMEOUT_S} s:\n{log_tail()}"
            )
            time.sleep(0.5)

        status, body = get(f"{base}/api/contents", token)
        assert status == 200
        names = [entry["name"] for entry in json.loads(body)["content"]]
        assert "00-setup.ipynb" in names

        status, body = get(f"{base}/lab/tree/00-setup.ipynb", token)
        assert status == 200
        assert b"jupyter-config-data" in body  # the JupyterLab page, not an error page

        status, _ = get(f"{base}/api/contents", "wrong-token")
        assert status == 403  # the token is really required
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)


# -- the committed notebooks are clean ------------------------------------------------------


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebook_is_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert nb.cells[-1].cell_type == "markdown"
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        assert "execution" not in cell.metadata, f"cell {number} keeps execution timings"
        if not {"nbval-check-output", "keep-output"} & tags:
            assert not cell.outputs, f"cell {number} keeps output that is neither golden nor shown"
        if BROKER_TAGS & tags:
            assert "nbval-check-output" not in tags, f"broker cell {number} cannot be golden"
        source = cell.source
        if any(word in source for word in BROKER_WORDS):
            assert BROKER_TAGS & tags, f"cell {number} talks to a broker but has no requires- tag"
        if BROKER_TAGS & tags:
            assert "broker_notice" in source, f"cell {number} must check broker_notice first"


def builder_modules() -> list[str]:
    return sorted(p.stem for p in (ROOT / "tools" / "course").glob("nb[0-9][0-9]_*.py"))


@pytest.mark.parametrize("module", builder_modules())
def test_notebook_matches_its_builder(module: str) -> None:
    """Each notebook is what tools/build_notebooks.py writes from tools/course: edit the builder."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import importlib

        from course import flatten

        builder = importlib.import_module(f"course.{module}")
    finally:
        sys.path.remove(str(ROOT / "tools"))
    nb = nbformat.read(NOTEBOOKS / f"{builder.NAME}.ipynb", as_version=4)
    built = [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in flatten(builder.CELLS)]
    committed = [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]
    assert committed == built, (
        f"rebuild it: .venv/bin/python tools/build_notebooks.py {module[2:4]}"
    )
    golden = [c for c in nb.cells if "nbval-check-output" in c.metadata.get("tags", [])]
    assert golden and all(c.outputs for c in golden), "golden cells need their stored output"


def test_every_notebook_has_a_builder() -> None:
    names = {p.stem for p in notebooks()}
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import importlib

        built = {importlib.import_module(f"course.{m}").NAME for m in builder_modules()}
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert names == built


def test_notebook_code_is_ruff_clean() -> None:
    """The course's code cells pass ``ruff check`` and ``ruff format --check`` (make lint)."""
    ruff = [sys.executable, "-m", "ruff"]
    for args in (["check", "--quiet"], ["format", "--check", "--quiet"]):
        done = subprocess.run(
            [*ruff, *args, str(NOTEBOOKS)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (
            f"ruff {args[0]}: fix the builder in tools/course\n{done.stdout}"
        )
