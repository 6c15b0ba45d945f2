"""The course in a real browser: `make lab`'s JupyterLab, a notebook opened in headless Chromium,
every cell run from the Run menu, the results read off the page.

The server is started with the Makefile's ``lab`` command (as in test_lab.py) from a temporary
folder holding a copy of notebooks/, so running the cells never writes into the committed
notebooks. Screenshots: build/test-artifacts/test_browser_lab/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_harness import ROOT, artifacts_dir, browser_tools, drive_notebook
from test_lab import START_TIMEOUT_S, free_port, get, lab_command

pytestmark = pytest.mark.slow


@contextmanager
def running_lab(workdir: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on a free loopback port serving a copy of notebooks/: (base URL, token)."""
    shutil.copytree(ROOT / "notebooks", workdir / "notebooks")
    port, token = free_port(), secrets.token_hex(16)
    command = lab_command(port, token) + [f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(workdir / "runtime"))
    log_path = workdir / "lab.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
            assert server.poll() is None, f"jupyter lab exited with {server.returncode}:\n{tail}"
            try:
                if get(f"{base}/api/status", token, timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"jupyter lab did not answer in time:\n{tail}"
            time.sleep(0.5)
        yield base, token
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


#: The course's rebalancing notebook, whose dashboard (3 consumers to start) the click test drives.
DASHBOARD_NOTEBOOK = "04-rebalancing.ipynb"


def run_in_lab(tmp_path: Path, notebook: str, plan: dict) -> dict:
    """Run the course's ``notebook`` in JupyterLab in the browser, as ``plan`` says."""
    browser_tools()  # skip or fail before starting a server when there is no browser
    with running_lab(tmp_path) as (base, token):
        url = f"{base}/lab/tree/{notebook}?token={token}"
        return drive_notebook({"url": url, **plan}, tmp_path)


def test_setup_notebook_runs_in_the_browser(tmp_path: Path) -> None:
    shots = artifacts_dir("test_browser_lab")
    started = time.monotonic()
    report = run_in_lab(
        tmp_path,
        "00-setup.ipynb",
        {
            "screenshot": str(shots / "00-setup.png"),
            "expect": [
                "simulator: ready (simkafka ",
                "simulator: key b'acct-42' -> partition 0, offset 0",
            ],
        },
    )
    text = "\n".join(report["outputs"])
    assert "simulator: ready (simkafka " in text
    assert "simulator: key b'acct-42' -> partition 0, offset 0" in text
    # The broker cells ran too: each printed its round trip or its one-line notice.
    assert "Kafka" in text and "RabbitMQ" in text
    assert (shots / "00-setup.png").stat().st_size > 10_000
    print(f"screenshot: {shots / '00-setup.png'}; {time.monotonic() - started:.1f} s in all")


def test_dashboard_button_changes_the_figure_and_the_ownership(tmp_path: Path) -> None:
    shots = artifacts_dir("test_browser_lab_dashboard")
    report = run_in_lab(
        tmp_path,
        DASHBOARD_NOTEBOOK,
        {
            "screenshot": str(shots / "dashboard-before.png"),
            "expect": ["consumer-3"],
            "click": {"button": "add consumer", "screenshot": str(shots / "dashboard-after.png")},
        },
    )
    before, after = report["before"], report["after"]
    assert before["images"] and len(after["images"]) == len(before["images"])
    assert after["images"] != before["images"], "the click redrew no figure"
    assert "consumer-4" not in before["text"] and "consumer-4" in after["text"], after["text"]
    print(f"screenshots: {shots / 'dashboard-before.png'}, {shots / 'dashboard-after.png'}")
