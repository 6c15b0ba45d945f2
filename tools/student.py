"""Write the student copies of the course: every notebook without its solution cells.

    .venv/bin/python tools/student.py [OUTPUT_DIR]      # default build/student

A solution is a code cell tagged ``solution``; the exercise prompt and the learner's empty
cell stay. The copies keep the golden outputs, so ``make test`` runs them under nbval like
the notebooks themselves, but with the brokers hidden (tools/student_conftest.py is copied
beside them as their conftest.py): so every notebook runs in CI both with its brokers (the
notebooks) and without (the copies), and a copy that breaks because a later cell needed a
solution fails the tests.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTION = "solution"


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without its solution cells (a copy; the original is unchanged)."""
    copy = nbformat.from_dict(nb)
    copy.cells = [c for c in copy.cells if SOLUTION not in c.metadata.get("tags", [])]
    return copy


def write_student_copies(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.ipynb"):
        stale.unlink()
    written = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        target = out / path.name
        nbformat.write(student_copy(nb), str(target))
        written.append(target)
    shutil.copy(ROOT / "tools" / "student_conftest.py", out / "conftest.py")
    # Packages, so pytest can tell this conftest.py from notebooks/conftest.py.
    for package in (out, *[p for p in out.parents if p != ROOT and ROOT in p.parents]):
        (package / "__init__.py").touch()
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "student"
    for path in write_student_copies(target.resolve()):
        print(f"wrote {path.relative_to(ROOT) if ROOT in path.parents else path}")
