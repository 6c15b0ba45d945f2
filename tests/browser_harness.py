"""Shared by the browser tests: install what they need, gate them, and run the notebook driver.

A browser test needs Debian's Chromium and playwright-core (tools/browser_deps.py installs
both, Chromium only as root). Without them the test skips with the reason; when the browser is
required it fails instead. SIMKAFKA_REQUIRE_BROWSER=1 requires it; unset, it follows
SIMKAFKA_REQUIRE_BROKERS, so CI (which requires brokers) never skips a browser test silently.
Screenshots go to build/test-artifacts/<test>/, printed by each test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simkafka.brokers import brokers_required

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "tests" / "browser" / "notebook.mjs"
ARTIFACTS = ROOT / "build" / "test-artifacts"

sys.path.insert(0, str(ROOT / "tools"))
try:
    import browser_deps
finally:
    sys.path.remove(str(ROOT / "tools"))


def browser_required() -> bool:
    """SIMKAFKA_REQUIRE_BROWSER if set, else SIMKAFKA_REQUIRE_BROKERS (both: 1/true/yes)."""
    value = os.environ.get("SIMKAFKA_REQUIRE_BROWSER")
    if value is None:
        return brokers_required()
    return value.strip().lower() in {"1", "true", "yes"}


def missing(reason: str) -> None:
    """Skip the test for ``reason``, or fail it when the browser is required."""
    if browser_required():
        pytest.fail(
            f"{reason} (the browser tests are required: SIMKAFKA_REQUIRE_BROWSER or "
            "SIMKAFKA_REQUIRE_BROKERS is set)",
            pytrace=False,
        )
    pytest.skip(reason)


def browser_tools() -> tuple[str, Path]:
    """Chromium's path and node's, installing what is missing; skips or fails without them."""
    try:
        return browser_deps.ensure_chromium(), browser_deps.ensure_node_driver()
    except browser_deps.MissingBrowserDependency as error:
        missing(str(error))
        raise  # unreachable: missing() skips or fails


def artifacts_dir(name: str) -> Path:
    """A fresh folder for one test's screenshots, under build/test-artifacts/."""
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def drive_notebook(plan: dict[str, Any], workdir: Path, timeout_s: float = 240) -> dict[str, Any]:
    """Run tests/browser/notebook.mjs on ``plan``; its report, or a failure that shows it."""
    chromium, node = browser_tools()
    plan = {"chromium": chromium, **plan}
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan))
    result = subprocess.run(
        [str(node), str(DRIVER), str(plan_path)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=DRIVER.parent,
    )
    try:
        report = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        pytest.fail(f"the browser driver crashed ({result.returncode}):\n{result.stderr[-3000:]}")
    summary = json.dumps({k: v for k, v in report.items() if k != "outputs"}, indent=1)[:4000]
    assert "failure" not in report, f"{report['failure']}\noutputs: {report['outputs']}\n{summary}"
    assert not report["errors"], f"a cell raised: {report['errors']}"
    assert not report["aborted"], f"the page asked for the internet: {report['aborted']}"
    print(f"browser timings (s from page load): {report['timings']}")
    return report
