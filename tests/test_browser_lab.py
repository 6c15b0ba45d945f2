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

import nbformat
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


#: The dashboard the click test drives. notebooks/04-rebalancing.ipynb will show it; until then
#: the test writes this one-cell notebook beside the copies of the course's notebooks.
DASHBOARD_NOTEBOOK = "dashboard-check.ipynb"
DASHBOARD_CODE = """from simkafka.widgets import rebalance_dashboard

rebalance_dashboard(partitions=6, consumers=2)"""


def run_in_lab(tmp_path: Path, notebook: str, plan: dict, extra: dict | None = None) -> dict:
    """Run ``notebook`` in the browser; ``extra`` maps more notebook names to their one cell."""
    browser_tools()  # skip or fail before starting a server when there is no browser
    with running_lab(tmp_path) as (base, token):
        for name, code in (extra or {}).items():
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
            nbformat.write(nb, tmp_path / "notebooks" / name)
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
            "expect": ["consumer-2"],
            "click": {"button": "add consumer", "screenshot": str(shots / "dashboard-after.png")},
        },
        extra={DASHBOARD_NOTEBOOK: DASHBOARD_CODE},
    )
    before, after = report["before"], report["after"]
    assert before["images"] and len(after["images"]) == len(before["images"])
    assert after["images"] != before["images"], "the click redrew no figure"
    assert "consumer-3" not in before["text"] and "consumer-3" in after["text"], after["text"]
    print(f"screenshots: {shots / 'dashboard-before.png'}, {shots / 'dashboard-after.png'}")
