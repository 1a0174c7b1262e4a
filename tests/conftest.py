"""Shared test set-up: a non-interactive matplotlib backend, and the devices to test on."""

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

#: Every test that takes the ``device`` fixture runs on the CPU always, and on CUDA when present.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device on this machine"))]


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    """A torch device: ``cpu``, then ``cuda`` when this machine has one."""
    return torch.device(request.param)


def pytest_configure(config):
    # tests that read the built book run after the build (make test-editions), not in test-unit
    config.addinivalue_line("markers", "build: reads the built book in _build/html")
