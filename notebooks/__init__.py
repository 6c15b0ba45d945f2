"""Makes notebooks/ a package for pytest only: its conftest.py then imports as
``notebooks.conftest``, not as a second top-level ``conftest`` that clashes with
tests/conftest.py when ``--doctest-modules`` collects both (pytest's "import file mismatch").
"""
