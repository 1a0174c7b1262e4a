"""Run mode, device choice and seeding."""

import numpy as np
import pytest
import torch

import coursekit
from coursekit.runtime import by_mode, full_mode, get_device, progress_enabled, seed_everything


def test_default_device_follows_availability_order():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if expected == "cpu" and torch.backends.mps.is_available():
        expected = "mps"
    assert get_device(environ={}).type == expected


def test_forced_cpu_from_environment_and_argument():
    assert get_device(environ={"COURSEKIT_DEVICE": "cpu"}) == torch.device("cpu")
    assert get_device("CPU", environ={"COURSEKIT_DEVICE": "cuda"}) == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_forcing_an_absent_device_fails_clearly():
    with pytest.raises(RuntimeError, match="COURSEKIT_DEVICE='cuda'"):
        get_device(environ={"COURSEKIT_DEVICE": "cuda"})
    with pytest.raises(RuntimeError, match="cuda"):
        get_device("cuda")


def test_unknown_device_name_is_a_value_error():
    with pytest.raises(ValueError, match="COURSEKIT_DEVICE='tpu'"):
        get_device(environ={"COURSEKIT_DEVICE": "tpu"})
    with pytest.raises(ValueError, match="prefer"):
        get_device("gpu0")
    with pytest.raises(TypeError, match="prefer"):
        get_device(3)


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_full_mode_flag(raw, expected):
    assert full_mode({"COURSEKIT_FULL": raw}) is expected
    assert by_mode("small", "big", {"COURSEKIT_FULL": raw}) == ("big" if expected else "small")


def test_modes_default_off_and_garbage_rejected():
    assert full_mode({}) is False
    assert progress_enabled({}) is True
    assert progress_enabled({"COURSEKIT_PROGRESS": "0"}) is False
    with pytest.raises(ValueError, match="COURSEKIT_FULL"):
        full_mode({"COURSEKIT_FULL": "maybe"})


def test_seed_everything_reproduces_every_generator():
    rng = seed_everything(123)
    a = (rng.normal(size=3), np.random.rand(3), torch.randn(3))  # noqa: NPY002
    rng = seed_everything(123)
    b = (rng.normal(size=3), np.random.rand(3), torch.randn(3))  # noqa: NPY002
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    c = seed_everything(124).normal(size=3)
    assert not np.allclose(a[0], c)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "7", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        seed_everything(bad)


def test_package_exposes_runtime_and_submodules_lazily():
    assert coursekit.get_device is get_device
    assert coursekit.training.fit is not None
    with pytest.raises(AttributeError):
        coursekit.not_a_module  # noqa: B018
