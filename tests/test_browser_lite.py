"""The offline JupyterLite site in a real browser: built as `make lite` builds it, served on
loopback, opened in headless Chromium with every request to another host aborted.

A Pyodide kernel starts from the site's own files, installs the simkafka wheel, and runs the
simulator: a notebook of the course from the Run menu, and an experiment in the REPL whose
output must equal what CPython prints for the same code. Screenshots:
build/test-artifacts/test_browser_lite/.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser_harness import ROOT, artifacts_dir, browser_tools, drive_notebook, missing

pytestmark = pytest.mark.slow

EXPERIMENT = ROOT / "tests" / "browser" / "lite_experiment.py"


class QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
    }

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="module")
def lite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The offline site, freshly built by tools/build_lite.py and served on a free port."""
    browser_tools()  # skip or fail before a build when there is no browser
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_lite
    finally:
        sys.path.remove(str(ROOT / "tools"))
    try:
        import jupyterlite_core  # noqa: F401
    except ImportError:
        missing("jupyterlite-core is not installed: pip install -e '.[lite]' (make env does)")
    started = time.monotonic()
    site = build_lite.build(tmp_path_factory.mktemp("lite") / "site")
    print(f"lite build: {time.monotonic() - started:.1f} s")
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_setup_notebook_runs_in_jupyterlite(lite_site: str, tmp_path: Path) -> None:
    shots = artifacts_dir("test_browser_lite")
    report = drive_notebook(
        {
            "url": f"{lite_site}/lab/index.html?path=00-setup.ipynb",
            "screenshot": str(shots / "00-setup.png"),
            "expect": ["simulator: key b'acct-42' -> partition 0, offset 0"],
            "timeoutMs": 180_000,
        },
        tmp_path,
    )
    text = "\n".join(report["outputs"])
    assert "simulator: ready (simkafka " in text
    # No socket reaches a broker from a browser: each broker cell prints its one-line notice.
    assert "Kafka: not reachable from the browser - " in text
    assert "RabbitMQ: not reachable from the browser - " in text
    print(f"screenshot: {shots / '00-setup.png'}")


def test_simulator_experiment_prints_what_cpython_prints(lite_site: str, tmp_path: Path) -> None:
    code = EXPERIMENT.read_text()
    expected = subprocess.run(
        [sys.executable, str(EXPERIMENT)], capture_output=True, text=True, check=True
    ).stdout
    lines = expected.strip().splitlines()
    assert lines[0] == "acct-42 -> 0" and lines[-1].startswith("read [(0, 0, 'acct-42')")
    query = urllib.parse.urlencode(
        [("kernel", "python"), ("code", "%pip install simkafka"), ("code", code)]
    )
    shots = artifacts_dir("test_browser_lite_repl")
    report = drive_notebook(
        {
            "url": f"{lite_site}/repl/index.html?{query}",
            "mode": "repl",
            "screenshot": str(shots / "repl-experiment.png"),
            "expect": lines,
            "timeoutMs": 180_000,
        },
        tmp_path,
    )
    printed = [out for out in report["outputs"] if "acct-42 ->" in out]
    assert printed == [expected], f"Pyodide printed {printed}, CPython {expected!r}"
    print(f"screenshot: {shots / 'repl-experiment.png'}")
