"""Shared test set-up: a non-interactive matplotlib backend for the unit tests."""

import matplotlib

matplotlib.use("Agg")


def pytest_configure(config):
    # tests that read the built book run after the build (make test-editions), not in test-unit
    config.addinivalue_line("markers", "build: reads the built book in _build/html")
