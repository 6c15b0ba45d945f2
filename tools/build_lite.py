"""Build the course as a static JupyterLite site (`make lite`): every notebook in notebooks/,
the simkafka wheel, and a Pyodide kernel, into build/lite/.

The offline build (the default) needs nothing from the internet at run time: the Pyodide
runtime comes from the npm package `pyodide`, and the wheels the kernel loads at start-up
(micropip, IPython, jedi and their pure-Python dependencies) from PyPI, at the exact versions
Pyodide's lock names, with the lock's sha256 rewritten to the files we fetched (Pyodide
repackages wheels, so PyPI's files hash differently). Compiled packages (numpy, pandas,
matplotlib) have no Pyodide build on PyPI or npm, so the offline site cannot load them.

`--cdn` (make lite LITE_CDN=1) builds the site to deploy: the same files, but every package of
Pyodide's lock that the build did not fetch points at Pyodide's CDN for the same version, so
numpy, pandas and matplotlib load from there when a notebook imports them.

simkafka, ipywidgets and comm are added to the lock, so `import simkafka` in any notebook
loads the wheel by itself; they are also on the site's piplite index (`%pip install simkafka`).

fastavro (notebook 01's Avro cells) is compiled and has no Pyodide build, but it ships a
pure-Python twin of each compiled module and imports the twin when the compiled one is absent.
The build takes fastavro's Linux wheel from PyPI, leaves out the compiled modules, and tags the
rest as a pure-Python wheel; simkafka's lock entry depends on it, so it loads with simkafka.
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "build" / "lite"
WORK = ROOT / "build" / "lite-work"
NPM_DIR = ROOT / "tools" / "lite"
PYODIDE_VERSION = "314.0.6"  # = tools/lite/package.json = the kernel's PYODIDE_VERSION
CDN_URL = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
#: What the Pyodide kernel loads at start-up, from the lock (with their dependencies).
KERNEL_PACKAGES = ("micropip", "jedi", "parso", "ipython")
#: Pure-Python wheels the lock lacks: name -> (version, import names, lock dependencies).
EXTRA_WHEELS = {
    "comm": ("0.2.3", ["comm"], []),
    "ipywidgets": ("8.1.9", ["ipywidgets"], ["comm", "ipython", "traitlets"]),
}
#: Compiled packages used in their own pure-Python fallback: name -> (version, import names).
PURE_FALLBACK_WHEELS = {"fastavro": ("1.13.1", ["fastavro"])}
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
#: Files of the npm package the browser never loads.
NPM_ONLY = {"package.json", "README.md", "console.html", "console-v2.html"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def log(message: str) -> None:
    print(f"lite: {message}", flush=True)


def check_versions() -> None:
    """The npm pin, this file and the installed kernel must name the same Pyodide."""
    from jupyterlite_pyodide_kernel import constants

    pinned = json.loads((NPM_DIR / "package.json").read_text())["dependencies"]["pyodide"]
    found = {
        "tools/lite/package.json": pinned,
        "jupyterlite-pyodide-kernel": constants.PYODIDE_VERSION,
    }
    if set(found.values()) != {PYODIDE_VERSION}:
        raise SystemExit(
            f"lite: Pyodide versions disagree: {found}, build_lite.py {PYODIDE_VERSION}"
        )


def npm_pyodide() -> Path:
    """The npm package pyodide, installed into tools/lite/node_modules if needed."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from browser_deps import MissingBrowserDependency, npm_ci
    finally:
        sys.path.remove(str(ROOT / "tools"))
    try:
        return npm_ci(NPM_DIR, "pyodide")
    except MissingBrowserDependency as error:
        raise SystemExit(f"lite: {error}") from None


def lock_closure(packages: dict, names: tuple[str, ...]) -> list[str]:
    """Lock keys of ``names`` and everything they depend on."""
    by_name = {normalize(key): key for key in packages}
    seen: list[str] = []
    todo = list(names)
    while todo:
        key = by_name[normalize(todo.pop())]
        if key not in seen:
            seen.append(key)
            todo.extend(packages[key]["depends"])
    return sorted(seen)


def pip_download(requirements: list[str], dest: Path) -> None:
    """Pure-Python wheels for Pyodide's Python, at exact versions, from PyPI."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--python-version", "3.14", "--implementation", "py", "--abi", "none",
        "--platform", "any", "--dest", str(dest), *requirements,
    ]  # fmt: skip
    subprocess.run(command, check=True)


def pure_fallback_wheel(name: str, version: str, cache: Path) -> Path:
    """``name``'s wheel without its compiled modules, tagged py3-none-any (made once, cached).

    For a package that imports a pure-Python twin of each compiled module it lacks (fastavro's
    ``_read_py`` for ``_read``, ...). Its source is PyPI's wheel for CPython 3.11 on Linux; the
    ``.py`` files are the same in every platform's wheel.
    """
    stem = re.sub(r"[-_.]+", "_", name).lower()
    out = cache / f"{stem}-{version}-py3-none-any.whl"
    if out.exists():
        return out
    linux = cache / "linux"
    if not has_wheel(linux, name, version):
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
            "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
            "--platform", "manylinux2014_x86_64", "--dest", str(linux), f"{name}=={version}",
        ]  # fmt: skip
        subprocess.run(command, check=True)
    record = []
    partial = out.with_suffix(".part")
    with (
        zipfile.ZipFile(find_wheel(linux, name, version)) as src,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            path = info.filename
            compiled = path.endswith((".so", ".pyd")) or path.split("/")[0].endswith(".libs")
            if compiled or path.endswith((".dist-info/RECORD", ".c", ".pyx")):
                continue
            data = src.read(path)
            if path.endswith(".dist-info/WHEEL"):
                lines = [
                    line
                    for line in data.decode().splitlines()
                    if not line.startswith(("Tag:", "Root-Is-Purelib:"))
                ]
                data = "\n".join([*lines, "Root-Is-Purelib: true", "Tag: py3-none-any", ""])
                data = data.encode()
            dst.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{path},sha256={digest.decode()},{len(data)}")
        dist_info = f"{stem}-{version}.dist-info/RECORD"
        record.append(f"{dist_info},,")
        dst.writestr(dist_info, "\n".join(record) + "\n")
    partial.rename(out)
    return out


def find_wheel(folder: Path, name: str, version: str) -> Path:
    stem = re.sub(r"[-_.]+", "_", name).lower()
    for path in folder.glob("*.whl") if folder.is_dir() else ():
        dist, wheel_version = path.name.split("-")[:2]
        if dist.lower() == stem and wheel_version == version:
            return path
    raise FileNotFoundError(f"no {name} {version} wheel in {folder}")


def has_wheel(folder: Path, name: str, version: str) -> bool:
    try:
        return bool(find_wheel(folder, name, version))
    except FileNotFoundError:
        return False


def simkafka_wheel(dest: Path) -> Path:
    """Build the project's wheel (no dependencies) into ``dest``.

    From a copy of the sources, so setuptools' build/lib never sits in the repository where a
    deleted module would linger into later wheels; with the venv's setuptools (the lite extra),
    since an isolated build environment costs ~15 s of downloads and installs.
    """
    source = WORK / "source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.rmtree(dest, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    command = [
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "-w", str(dest), str(source),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return next(dest.glob("simkafka-*.whl"))


def wheel_requirements(wheel: Path) -> list[str]:
    """The names of a wheel's unconditional Requires-Dist."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.parser.Parser().parsestr(archive.read(meta).decode())
    names = []
    for requirement in message.get_all("Requires-Dist") or []:
        if ";" not in requirement:
            names.append(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
    return names


def lock_entry(
    wheel: Path, name: str, version: str, imports: list[str], depends: list[str]
) -> dict:
    return {
        "name": name,
        "version": version,
        "file_name": wheel.name,
        "install_dir": "site",
        "sha256": sha256(wheel),
        "package_type": "package",
        "imports": imports,
        "depends": depends,
        "unvendored_tests": False,
    }


def stage(cdn: bool) -> Path:
    """The lite dir: files/ (the notebooks), static/pyodide, pypi/, jupyter-lite.json."""
    source = npm_pyodide()
    lite_dir = WORK / "site"
    shutil.rmtree(lite_dir, ignore_errors=True)
    pyodide_dir = lite_dir / "static" / "pyodide"
    pyodide_dir.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file() and path.name not in NPM_ONLY and path.suffix != ".map":
            shutil.copy2(path, pyodide_dir / path.name)

    lock = json.loads((source / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    cache = WORK / "wheels"
    kernel = lock_closure(packages, KERNEL_PACKAGES)
    wanted = [f"{packages[k]['name']}=={packages[k]['version']}" for k in kernel]
    wanted += [f"{name}=={version}" for name, (version, _, _) in EXTRA_WHEELS.items()]
    missing = [r for r in wanted if not has_wheel(cache, *r.split("=="))]
    if missing:
        log(f"fetching {len(missing)} wheels from PyPI")
        pip_download(missing, cache)

    local: set[str] = set()
    for key in kernel:
        entry = packages[key]
        wheel = find_wheel(cache, entry["name"], entry["version"])
        shutil.copy2(wheel, pyodide_dir / wheel.name)
        entry.update(file_name=wheel.name, sha256=sha256(wheel))
        local.add(key)
    pypi = lite_dir / "pypi"
    pypi.mkdir()
    for name, (version, imports, depends) in EXTRA_WHEELS.items():
        wheel = find_wheel(cache, name, version)
        for folder in (pyodide_dir, pypi):
            shutil.copy2(wheel, folder / wheel.name)
        packages[name] = lock_entry(wheel, name, version, imports, depends)
        local.add(name)
    for name, (version, imports) in PURE_FALLBACK_WHEELS.items():
        wheel = pure_fallback_wheel(name, version, cache)
        for folder in (pyodide_dir, pypi):
            shutil.copy2(wheel, folder / wheel.name)
        packages[name] = lock_entry(wheel, name, version, imports, [])
        local.add(name)

    ours = simkafka_wheel(WORK / "dist")
    shutil.copy2(ours, pyodide_dir / ours.name)
    shutil.copy2(ours, pypi / ours.name)
    by_name = {normalize(key): key for key in packages}
    needs = [by_name[normalize(n)] for n in wheel_requirements(ours) if normalize(n) in by_name]
    if cdn:
        depends = needs
        for key, entry in packages.items():
            if key not in local:
                entry["file_name"] = CDN_URL + entry["file_name"]
    else:
        depends = [n for n in needs if n in local]
        if absent := sorted(set(needs) - set(depends)):
            log(f"offline: simkafka's {', '.join(absent)} cannot load here (make lite LITE_CDN=1)")
    depends += list(PURE_FALLBACK_WHEELS)
    version = ours.name.split("-")[1]
    packages["simkafka"] = lock_entry(ours, "simkafka", version, ["simkafka"], depends)
    (pyodide_dir / "pyodide-lock.json").write_text(json.dumps(lock, sort_keys=True))

    shutil.copytree(ROOT / "notebooks", lite_dir / "files", ignore=lambda _d, names: [
        n for n in names if not re.fullmatch(r"\d\d-.*\.ipynb", n)
    ])  # fmt: skip
    settings = {"disablePyPIFallback": not cdn}
    config = {"jupyter-config-data": {"litePluginSettings": {KERNEL_PLUGIN: settings}}}
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=2))
    return lite_dir


def build(output: Path = OUTPUT, *, cdn: bool = False) -> Path:
    """Stage and build the site into ``output`` (replaced); returns ``output``."""
    started = time.monotonic()
    check_versions()
    lite_dir = stage(cdn)
    shutil.rmtree(output, ignore_errors=True)
    command = [
        sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(lite_dir),
        "--output-dir", str(output), "--no-sourcemaps", "--no-unused-shared-packages",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=lite_dir, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(
            f"lite: jupyter lite build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    notebooks = sorted(p.name for p in (output / "files").glob("*.ipynb"))
    kind = "deploy build, packages from Pyodide's CDN" if cdn else "offline build"
    log(f"{kind}: {output} ({len(notebooks)} notebooks) in {time.monotonic() - started:.1f} s")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cdn", action="store_true", help="load numpy/pandas/matplotlib from Pyodide's CDN"
    )
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help="where the site goes (replaced)"
    )
    args = parser.parse_args()
    build(args.output, cdn=args.cdn)


if __name__ == "__main__":
    main()
