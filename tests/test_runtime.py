"""Run mode, device choice and seeding."""

import numpy as np
import pytest
import torch

import coursekit
from coursekit.runtime import (
    as_generator,
    by_mode,
    full_mode,
    get_device,
    progress_enabled,
    resolve_device,
    seed_everything,
    torch_generator,
)


@pytest.mark.parametrize("cuda, mps, expected", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_default_device_is_the_first_available_of_cuda_mps_cpu(monkeypatch, cuda, mps, expected):
    import coursekit.runtime as rt

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(rt, "_mps_available", lambda: mps)
    assert get_device(environ={}) == torch.device(expected)
    assert get_device(environ={"COURSEKIT_DEVICE": "cpu"}) == torch.device("cpu")


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


def test_package_lists_its_submodules_from_disk_and_loads_them_lazily():
    from pathlib import Path

    on_disk = {p.stem for p in Path(coursekit.__file__).parent.glob("*.py")}
    on_disk |= {p.parent.name for p in Path(coursekit.__file__).parent.glob("*/__init__.py")}
    public = {m for m in on_disk if not m.startswith("_")}
    assert set(coursekit.SUBMODULES) == public
    assert {"regression", "data", "training"} <= set(coursekit.SUBMODULES)
    assert coursekit.get_device is get_device
    import importlib

    for name in coursekit.SUBMODULES:
        assert getattr(coursekit, name) is importlib.import_module(f"coursekit.{name}")
        assert name in coursekit.__all__ and name in dir(coursekit)
    with pytest.raises(AttributeError):
        coursekit.not_a_module  # noqa: B018


def test_as_generator_follows_the_rng_convention():
    assert isinstance(as_generator(None), np.random.Generator)
    g = np.random.default_rng(3)
    assert as_generator(g) is g
    assert as_generator(5).random() == np.random.default_rng(5).random()
    assert as_generator(np.int64(5)).random() == np.random.default_rng(5).random()
    assert as_generator(None).random() == np.random.default_rng(0).random()
    for bad in ("1", 1.5, True, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng"):
            as_generator(bad)
    with pytest.raises(ValueError, match="rng"):
        as_generator(-1)
    with pytest.raises(ValueError, match="seed"):
        as_generator(-1, "seed")


def test_torch_generator_follows_the_same_convention():
    def draw(rng):
        return torch.randn(4, generator=torch_generator(rng))

    assert torch.equal(draw(7), draw(np.random.default_rng(7)))  # a seed is its generator
    assert torch.equal(draw(None), draw(0))
    assert not torch.equal(draw(7), draw(8))
    # the same NumPy generator state gives the same stream; the generator is advanced
    assert torch.equal(draw(np.random.default_rng(1)), draw(np.random.default_rng(1)))
    g = np.random.default_rng(1)
    assert not torch.equal(draw(g), draw(g))
    with pytest.raises(TypeError, match="rng"):
        torch_generator(1.5)


def test_seed_everything_switches_deterministic_algorithms_on():
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        torch.use_deterministic_algorithms(False)
        seed_everything(0)
        assert torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(False)
        seed_everything(0, deterministic=False)
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)


def test_resolve_device_names_the_argument():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(TypeError, match="device"):
        resolve_device(3)
    with pytest.raises(ValueError, match="device"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda'"):
            resolve_device("cuda")


def test_every_public_name_has_a_docstring_with_an_example():
    """``--doctest-modules`` runs these examples; a new public function must bring one."""
    import importlib
    import inspect

    missing = []
    for name in coursekit.SUBMODULES:
        if name in ("homework", "edition"):  # the instructor's tooling, with its own tests
            continue
        module = importlib.import_module(f"coursekit.{name}")
        assert module.__doc__ and "Taught in" in module.__doc__, f"{name}: no 'Taught in' line"
        for public in module.__all__:
            obj = getattr(module, public)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and ">>>" not in (
                    inspect.getdoc(obj) or ""):
                missing.append(f"{name}.{public}")
    assert not missing, f"public names without a docstring example: {missing}"
