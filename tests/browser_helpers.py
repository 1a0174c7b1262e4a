"""What the two browser test files share (tests/test_browser.py, tests/test_lab.py)."""

from __future__ import annotations

import shutil


def chromium() -> str | None:
    """The path of a chromium (or chrome) executable on this machine, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None
