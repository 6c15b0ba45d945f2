"""What the browser tests need, installed from the package registries: Debian's Chromium and
chromedriver, and playwright-core from npm into tests/browser/node_modules (never a browser
download). `make browser-deps` runs this; the browser tests' fixtures call the same functions.

Each step returns at once when its piece is already there. A piece that cannot be installed
raises MissingBrowserDependency with a one-line reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVER_DIR = ROOT / "tests" / "browser"
CHROMIUM = "/usr/bin/chromium"
DEBIAN_PACKAGES = ("chromium", "chromium-driver")


class MissingBrowserDependency(RuntimeError):
    """A piece of the browser tests is missing and this machine cannot install it."""


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def ensure_chromium() -> str:
    """The path of Debian's Chromium, installing chromium and chromium-driver (as root) if absent."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if not shutil.which("apt-get"):
        raise MissingBrowserDependency(
            f"{CHROMIUM} is missing and there is no apt-get: install Chromium (Debian's "
            "package chromium) to run the browser tests"
        )
    if os.geteuid() != 0:
        raise MissingBrowserDependency(
            f"{CHROMIUM} is missing: run `sudo apt-get install -y {' '.join(DEBIAN_PACKAGES)}`"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *DEBIAN_PACKAGES]
    result = _run(install, env=env, timeout=900)
    if result.returncode != 0:  # a fresh machine has no package lists yet
        update = _run(["apt-get", "update", "-q"], env=env, timeout=300)
        if update.returncode != 0:
            raise MissingBrowserDependency(f"apt-get update failed: {update.stderr.strip()[-300:]}")
        result = _run(install, env=env, timeout=900)
    if result.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
        raise MissingBrowserDependency(
            f"apt-get install {' '.join(DEBIAN_PACKAGES)} failed: {result.stderr.strip()[-300:]}"
        )
    return CHROMIUM


def npm_ci(folder: Path, package: str) -> Path:
    """``npm ci`` in ``folder`` unless ``package`` is installed there at its locked version.

    Returns the package's folder. PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD keeps any install step
    from fetching a browser: the tests use Debian's.
    """
    locked = json.loads((folder / "package-lock.json").read_text())
    version = locked["packages"][f"node_modules/{package}"]["version"]
    installed = folder / "node_modules" / package
    manifest = installed / "package.json"
    if manifest.exists() and json.loads(manifest.read_text())["version"] == version:
        return installed
    npm = shutil.which("npm")
    if not npm:
        raise MissingBrowserDependency(
            f"npm is missing, needed for {package} {version}: apt-get install -y nodejs npm"
        )
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    result = _run(command, cwd=folder, env=env, timeout=600)
    if result.returncode != 0:
        raise MissingBrowserDependency(
            f"npm ci in {folder.relative_to(ROOT)} failed: {result.stderr.strip()[-300:]}"
        )
    return installed


def ensure_node_driver() -> Path:
    """tests/browser/node_modules with playwright-core; returns the node executable."""
    node = shutil.which("node")
    if not node:
        raise MissingBrowserDependency("node is missing: apt-get install -y nodejs npm")
    npm_ci(DRIVER_DIR, "playwright-core")
    return Path(node)


def main() -> int:
    try:
        chromium = ensure_chromium()
        node = ensure_node_driver()
    except MissingBrowserDependency as error:
        print(f"browser-deps: {error}", file=sys.stderr)
        return 1
    version = _run([chromium, "--version"]).stdout.strip()
    print(f"browser-deps: {version}; playwright-core in {DRIVER_DIR.relative_to(ROOT)}; {node}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
