"""`make lite`'s staging, offline and for deployment, and Binder's configuration.

The browser test (test_browser_lite.py) runs the offline site; these check what a browser
cannot show offline: that the deploy build sends every package it does not ship to Pyodide's
CDN for the same version, and that the offline build names no address outside the site.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
try:
    import build_lite
finally:
    sys.path.remove(str(ROOT / "tools"))


def staged(cdn: bool) -> tuple[dict, dict, Path]:
    pytest.importorskip("jupyterlite_pyodide_kernel", reason="pip install -e '.[lite]'")
    site = build_lite.stage(cdn)
    pyodide = site / "static" / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())["packages"]
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    return lock, config["litePluginSettings"][build_lite.KERNEL_PLUGIN], pyodide


@pytest.mark.slow
def test_offline_build_ships_what_the_kernel_loads_and_names_no_other_host() -> None:
    lock, settings, pyodide = staged(cdn=False)
    assert settings["disablePyPIFallback"] is True
    for name in ("micropip", "ipython", "jedi", "simkafka", "comm", "ipywidgets", "fastavro"):
        wheel = pyodide / lock[name]["file_name"]
        assert wheel.exists(), f"{name} is not in the site"
        assert build_lite.sha256(wheel) == lock[name]["sha256"], f"{name}: sha256 not rewritten"
    assert not any("://" in entry["file_name"] for entry in lock.values())
    assert lock["simkafka"]["depends"] == ["fastavro"]  # pandas cannot load offline
    assert lock["simkafka"]["imports"] == ["simkafka"]
    assert not (pyodide / lock["numpy"]["file_name"]).exists()


@pytest.mark.slow
def test_deploy_build_loads_the_rest_from_pyodides_cdn() -> None:
    lock, settings, pyodide = staged(cdn=True)
    assert settings["disablePyPIFallback"] is False
    cdn = f"https://cdn.jsdelivr.net/pyodide/v{build_lite.PYODIDE_VERSION}/full/"
    for name in ("numpy", "pandas", "matplotlib"):
        assert lock[name]["file_name"].startswith(cdn), lock[name]["file_name"]
    assert (pyodide / lock["ipython"]["file_name"]).exists()  # shipped, not from the CDN
    assert lock["simkafka"]["depends"] == ["pandas", "fastavro"]


@pytest.mark.slow
def test_fastavro_ships_as_its_own_pure_python_fallback() -> None:
    """The wheel the site gives Pyodide: no compiled module, tagged pure, and each compiled
    module's pure-Python twin there (fastavro imports ``_read_py`` when ``_read`` is absent)."""
    version = build_lite.PURE_FALLBACK_WHEELS["fastavro"][0]
    wheel = build_lite.pure_fallback_wheel("fastavro", version, build_lite.WORK / "wheels")
    assert wheel.name == f"fastavro-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        wheel_meta = archive.read(f"fastavro-{version}.dist-info/WHEEL").decode()
    assert not [n for n in names if n.endswith((".so", ".pyd"))]
    for module in ("_read", "_write", "_schema", "_validation"):
        assert f"fastavro/{module}_py.py" in names
    assert "Tag: py3-none-any" in wheel_meta and "Root-Is-Purelib: true" in wheel_meta


def test_pyodide_pins_agree() -> None:
    """tools/lite/package.json, build_lite.py and the pinned kernel name one Pyodide."""
    pinned = json.loads((ROOT / "tools/lite/package.json").read_text())["dependencies"]
    assert pinned["pyodide"] == build_lite.PYODIDE_VERSION
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lite = project["optional-dependencies"]["lite"]
    versions = {re.split("==", r)[1] for r in lite if r.startswith("jupyterlite-")}
    assert len(versions) == 1, f"jupyterlite-core and the kernel must be pinned together: {lite}"


def test_binder_installs_extras_that_exist_and_its_scripts_parse() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    post_build = (ROOT / "binder/postBuild").read_text()
    named = re.search(r'-e "\.\[([\w,]+)\]"', post_build).group(1).split(",")
    assert set(named) <= set(extras)
    for script in ("postBuild", "start"):
        path = ROOT / "binder" / script
        assert path.stat().st_mode & 0o111, f"binder/{script} must be executable"
        subprocess.run(["bash", "-n", str(path)], check=True)
    start = (ROOT / "binder/start").read_text()
    assert "python -m simkafka.brokers up" in start and start.rstrip().endswith('exec "$@"')
