"""Student copies: every notebook without its solutions, and the course's exercise shape.

``make test`` writes the copies to build/student and runs them under nbval beside the
notebooks, so a copy that breaks without its solutions fails there; these tests check what a
copy contains and that every lesson offers exercises with solutions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import student  # noqa: E402

sys.path.remove(str(ROOT / "tools"))

LESSONS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb") if p.name[:2] != "00")


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def test_student_copy_drops_solutions_and_keeps_the_learners_cell() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_markdown_cell("**Exercise.** Which partition?"),
        nbformat.v4.new_code_cell("# your code here", metadata={"tags": ["exercise"]}),
        nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell("## Recap"),
    ]
    copy = student.student_copy(nb)
    assert [c.source for c in copy.cells] == [
        "# Title",
        "**Exercise.** Which partition?",
        "# your code here",
        "## Recap",
    ]
    assert len(nb.cells) == 5, "the original notebook is unchanged"


def test_write_student_copies_writes_every_notebook(tmp_path: Path) -> None:
    written = student.write_student_copies(tmp_path / "student")
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    for path in written:
        nb = nbformat.read(path, as_version=4)
        assert not [c for c in nb.cells if "solution" in tags(c)]
    assert (tmp_path / "student" / "conftest.py").exists()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_lesson_has_two_exercises_with_solutions(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    exercises = [i for i, c in enumerate(nb.cells) if "exercise" in tags(c)]
    solutions = [i for i, c in enumerate(nb.cells) if "solution" in tags(c)]
    assert len(exercises) >= 2 and len(solutions) >= 2
    for i in solutions:
        assert nb.cells[i].metadata.get("jupyter", {}).get("source_hidden"), "collapsed in the lab"
        assert any(e < i for e in exercises), "a solution follows its exercise"
