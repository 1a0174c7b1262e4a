"""Collect every chapter's homework tests: ``tests/homework/<chapter>.py``.

A new chapter's homework adds a file here, named after the chapter, instead of editing a shared
test file. Files whose name starts with ``_`` are helpers, not tests.
"""

from __future__ import annotations

import pytest


def pytest_collect_file(file_path, parent):
    name = file_path.name
    if (file_path.suffix != ".py" or file_path.parent.name != "homework"
            or name.startswith(("_", "test_")) or name == "conftest.py"):
        return None
    if parent.session.isinitpath(file_path):
        return None  # named on the command line: pytest collects it itself
    return pytest.Module.from_parent(parent, path=file_path)
