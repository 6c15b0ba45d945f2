"""The course's notebooks, written as Python: one module ``nbNN_slug.py`` per notebook.

Each module has ``NAME`` (the notebook's file name without ``.ipynb``) and ``CELLS`` (a list
made with the helpers below). ``tools/build_notebooks.py`` runs each notebook once and writes
it to ``notebooks/`` keeping only the outputs worth keeping:

- a cell tagged ``nbval-check-output`` (``golden``) keeps its output, and nbval compares it on
  every run: use it where the printed result *is* the lesson (a partition, an assignment, a
  count). The simulator is seeded, so the output is the same on every machine.
- a cell tagged ``keep-output`` (``shown``) keeps its output (a figure, a table) so the
  notebook reads well before it is run, but nbval does not compare it.
- every other output is stripped: broker cells and anything else that depends on the machine.

Exercises are a prompt, an empty cell for the learner, and a solution cell tagged
``solution`` (collapsed in JupyterLab). ``tools/student.py`` writes copies without the
solution cells; a later cell must never depend on what a solution cell defined.
"""

from __future__ import annotations

import nbformat

GOLDEN = "nbval-check-output"
SHOWN = "keep-output"
SOLUTION = "solution"
EXERCISE = "exercise"
KAFKA = "requires-kafka"
RABBITMQ = "requires-rabbitmq"
KAFKA_CLUSTER = "requires-kafka-cluster"


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell."""
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str, *tags: str) -> nbformat.NotebookNode:
    """A code cell; its output is stripped unless a tag keeps it."""
    cell = nbformat.v4.new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def golden(text: str) -> nbformat.NotebookNode:
    """A code cell whose printed output is the lesson: kept, and compared by nbval."""
    return code(text, GOLDEN)


def shown(text: str) -> nbformat.NotebookNode:
    """A code cell whose output (a figure, a table) is kept for reading, not compared."""
    return code(text, SHOWN)


def kafka(text: str) -> nbformat.NotebookNode:
    """A cell that needs the real Kafka: it must check ``broker_notice("kafka")`` first."""
    return code(text, KAFKA)


def kafka_cluster(text: str) -> nbformat.NotebookNode:
    """A cell that needs the three-node cluster: it must check
    ``broker_notice("kafka-cluster")`` first."""
    return code(text, KAFKA_CLUSTER)


def rabbitmq(text: str) -> nbformat.NotebookNode:
    """A cell that needs the real RabbitMQ: it must check ``broker_notice("rabbitmq")``."""
    return code(text, RABBITMQ)


def exercise(prompt: str, starter: str = "# your code here") -> list[nbformat.NotebookNode]:
    """An exercise: the prompt (markdown) and an empty cell for the learner."""
    return [md(prompt), code(starter, EXERCISE)]


def solution(text: str) -> nbformat.NotebookNode:
    """The solution to the exercise above it: tagged, and collapsed in JupyterLab."""
    cell = code(text, SOLUTION)
    cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def flatten(cells: list) -> list[nbformat.NotebookNode]:
    """``CELLS`` may nest lists (``exercise`` returns two cells); this flattens them."""
    out: list[nbformat.NotebookNode] = []
    for cell in cells:
        out.extend(flatten(cell) if isinstance(cell, list) else [cell])
    return out
