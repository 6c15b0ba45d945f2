"""Write the course's notebooks from tools/course/nbNN_*.py, each run once.

    .venv/bin/python tools/build_notebooks.py            # every notebook
    .venv/bin/python tools/build_notebooks.py 02 04      # only these

Only the outputs of cells tagged ``nbval-check-output`` (compared by nbval) and
``keep-output`` (kept for reading) are stored; every other output is stripped.
Execution counts are kept. Run with the brokers down or up: broker cells' outputs are
stripped either way.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(TOOLS))

from course import GOLDEN, SHOWN, flatten  # noqa: E402


def modules() -> list[str]:
    """The notebook modules, in course order: ``course.nb00_setup``, ``course.nb01_...``."""
    return sorted(f"course.{p.stem}" for p in (TOOLS / "course").glob("nb[0-9][0-9]_*.py"))


def load(module: str):
    return importlib.import_module(module)


def notebook(module) -> nbformat.NotebookNode:
    """The notebook a module describes, not yet run."""
    nb = nbformat.v4.new_notebook()
    nb.cells = flatten(module.CELLS)
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number:02d}"  # stable ids: a rebuild changes nothing it need not
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def build(module, timeout: int = 300) -> Path:
    """Run the module's notebook once and write it with only the kept outputs."""
    nb = notebook(module)
    path = NOTEBOOKS / f"{module.NAME}.ipynb"
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if GOLDEN not in tags and SHOWN not in tags:
            cell.outputs = []
    nb.metadata["language_info"] = {"name": "python"}  # not the builder's Python version
    nb.metadata.pop("widgets", None)  # live widget state: only the kernel that made it has it
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path


def main(argv: list[str]) -> int:
    wanted = [m for m in modules() if not argv or any(m.startswith(f"course.nb{a}") for a in argv)]
    if not wanted:
        print(f"no notebook module matches {argv}; modules: {modules()}")
        return 2
    for name in wanted:
        started = time.monotonic()
        path = build(load(name))
        print(f"wrote {path.relative_to(ROOT)} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
