"""Tests for coursekit.data: each expected value is derived from the mathematics, not the code."""

from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import data
from coursekit.data import GaussianMixture2D

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
             np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path, array, gz=False):
    """Write ``array`` as an IDX file by hand (magic, big-endian sizes, big-endian data)."""
    array = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, IDX_CODES[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def write_fake_mnist(directory, n_train=12, n_test=5, side=28, gz=True, seed=0):
    """Small MNIST-like IDX files; returns the arrays written."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, a in arrays.items():
        write_idx(directory / (name + (".gz" if gz else "")), a, gz=gz)
    return arrays


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No COURSEKIT_DATA and an empty home, so no real MNIST on this machine is found."""
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


# ----------------------------------------------------------------------------- synthetic sets
@pytest.mark.parametrize("name", sorted(data.SYNTHETIC_2D))
def test_synthetic_shape_dtype_reproducible(name):
    x = data.sample_2d(name, 300, rng=1)
    assert x.shape == (300, 2) and x.dtype == torch.float32
    assert torch.equal(x, data.sample_2d(name, 300, rng=1))
    assert torch.equal(x, data.SYNTHETIC_2D[name](300, rng=np.random.default_rng(1)))
    assert torch.equal(data.sample_2d(name, 50), data.sample_2d(name, 50))  # None means seed 0
    assert not torch.equal(x, data.sample_2d(name, 300, rng=2))


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(data.SYNTHETIC_2D)), n=st.integers(1, 500),
       seed=st.integers(0, 2**32 - 1))
def test_synthetic_any_n_and_seed(name, n, seed):
    x = data.sample_2d(name, n, rng=seed)
    assert x.shape == (n, 2) and x.dtype == torch.float32
    assert torch.isfinite(x).all()


def test_moons_labels_separate_half_circles():
    x, y = data.make_moons(2001, noise=0.0, rng=0, return_labels=True)
    assert y.dtype == torch.int64 and set(y.tolist()) == {0, 1}
    assert (y == 0).sum() == 1000 and (y == 1).sum() == 1001
    x = x.double()
    upper, lower = x[y == 0], x[y == 1]
    # class 0 is the upper half of the unit circle about (-1/2, -1/4), class 1 the lower half of
    # the unit circle about (1/2, 1/4)
    c0, c1 = torch.tensor([-0.5, -0.25], dtype=x.dtype), torch.tensor([0.5, 0.25], dtype=x.dtype)
    torch.testing.assert_close((upper - c0).norm(dim=1), torch.ones_like(upper[:, 0]), atol=1e-6,
                               rtol=0)
    torch.testing.assert_close((lower - c1).norm(dim=1), torch.ones_like(lower[:, 0]), atol=1e-6,
                               rtol=0)
    assert (upper[:, 1] >= -0.25 - 1e-6).all() and (lower[:, 1] <= 0.25 + 1e-6).all()
    # the labels are shuffled, not sorted
    assert not torch.equal(y, torch.sort(y).values)


def test_moons_noise_is_gaussian_with_given_std():
    clean = data.make_moons(20000, noise=0.0, rng=4)
    noisy = data.make_moons(20000, noise=0.1, rng=4)
    # same t and labels are drawn before the noise, so the difference is the noise itself
    eps = (noisy - clean).double()
    assert abs(eps.std().item() - 0.1) < 5 * 0.1 / math.sqrt(2 * 40000)
    assert abs(eps.mean().item()) < 5 * 0.1 / math.sqrt(40000)


def test_swiss_roll_is_a_spiral_in_the_box():
    x = data.make_swiss_roll(2000, noise=0.0, rng=0).double()
    r = x.norm(dim=1)
    assert (r >= 2 / 3 - 1e-6).all() and (r <= 2 + 1e-6).all() and (x.abs() <= 2 + 1e-6).all()
    # a point at radius r has parameter t = r * 4.5 pi / 2 and lies at angle t
    t = r * 4.5 * math.pi / 2
    assert torch.allclose(x, torch.stack([r * torch.cos(t), r * torch.sin(t)], 1), atol=1e-5)


@pytest.mark.parametrize("squares", [1, 2, 4, 5])
def test_checkerboard_points_on_dark_squares(squares):
    n = 8000
    x = data.make_checkerboard(n, rng=0, squares=squares).double()
    assert (x >= -2).all() and (x < 2).all()
    h = 4 / squares
    cell = torch.floor((x + 2) / h).long()
    assert ((cell[:, 0] + cell[:, 1]) % 2 == 0).all()
    # uniform on the dark squares: each of the n_dark squares holds n / n_dark points on average
    n_dark = (squares * squares + 1) // 2
    counts = torch.bincount(cell[:, 0] * squares + cell[:, 1], minlength=squares * squares)
    counts = counts[counts > 0].double()
    assert len(counts) == n_dark
    p = 1 / n_dark
    assert ((counts - n * p).abs() <= 5 * math.sqrt(n * p * (1 - p)) + 1e-9).all()


def test_ring_and_grid_means_and_labels():
    ring = GaussianMixture2D.ring(n_modes=6, radius=3.0, std=0.1)
    k = np.arange(6)
    expected = 3.0 * np.stack([np.cos(2 * np.pi * k / 6), np.sin(2 * np.pi * k / 6)], 1)
    np.testing.assert_allclose(ring.means, expected, atol=1e-12)
    grid = GaussianMixture2D.grid(side=3, spacing=2.0, std=0.1)
    corners = [(a, b) for a in (-2, 0, 2) for b in (-2, 0, 2)]
    assert sorted(map(tuple, grid.means.tolist())) == corners
    for make, gm in ((data.make_ring_mixture, ring), (data.make_grid_mixture, grid)):
        kwargs = {"n_modes": 6, "radius": 3.0} if gm is ring else {"side": 3, "spacing": 2.0}
        x, z = make(500, std=0.1, rng=0, return_labels=True, **kwargs)
        assert z.dtype == torch.int64
        # modes are >= 2 apart and the noise is 0.1: each point is nearest to its own mode
        nearest = torch.cdist(x.double(), torch.from_numpy(gm.means)).argmin(1)
        assert torch.equal(nearest, z)
        assert torch.equal(x, gm.sample(500, rng=0))
    np.testing.assert_allclose(ring.weights, np.full(6, 1 / 6))


def test_mixture_moments_match_closed_form():
    means = np.array([[-1.0, 0.5], [2.0, 1.0], [0.0, -2.0]])
    w = np.array([0.2, 0.5, 0.3])
    sigma = 0.4
    gm = GaussianMixture2D(means, sigma, w)
    n = 200_000
    x = gm.sample(n, rng=0).double().numpy()
    # closed form: m = sum w mu, C = sum w (sigma^2 I + mu mu^T) - m m^T
    m = w @ means
    second = sum(wk * (sigma**2 * np.eye(2) + np.outer(mk, mk))
                 for wk, mk in zip(w, means, strict=True))
    cov = second - np.outer(m, m)
    # 5 standard errors: sqrt(C_ii / n) for the mean, sd((x_i - m_i)(x_j - m_j)) / sqrt(n) for C_ij
    se_mean = np.sqrt(np.diag(cov) / n)
    assert (np.abs(x.mean(0) - m) < 5 * se_mean).all()
    centred = x - m
    prods = centred[:, :, None] * centred[:, None, :]
    se_cov = prods.std(0) / math.sqrt(n)
    assert (np.abs(prods.mean(0) - cov) < 5 * se_cov).all()
    # component frequencies are Binomial(n, w_k)
    _, z = gm.sample(n, rng=1, return_labels=True)
    freq = np.bincount(z.numpy(), minlength=3)
    assert (np.abs(freq - n * w) < 5 * np.sqrt(n * w * (1 - w))).all()


@pytest.mark.parametrize("gm", [
    GaussianMixture2D.ring(8, 2.0, 0.3),
    GaussianMixture2D.grid(3, 1.0, 0.2),
    GaussianMixture2D([[0.0, 0.0], [1.0, 1.0]], 0.5, [0.9, 0.1]),
    GaussianMixture2D([[0.0, 0.0], [1.0, 1.0]], 0.5, [1.0, 0.0]),
])
def test_score_is_gradient_of_log_prob(gm):
    g = torch.Generator().manual_seed(0)
    x = torch.cat([3 * torch.randn(200, 2, generator=g, dtype=torch.float64),
                   torch.tensor([[40.0, -30.0], [0.0, 0.0]], dtype=torch.float64)])
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(gm.log_prob(x).sum(), x)
    score = gm.score(x.detach())
    assert score.shape == (len(x), 2) and torch.isfinite(score).all()
    torch.testing.assert_close(score, grad, rtol=1e-9, atol=1e-9)
    assert gm.score(x.detach().float()).dtype == torch.float32


def test_log_prob_integrates_to_one():
    gm = GaussianMixture2D.ring(8, 2.0, 0.3)
    # the modes sit at radius 2 with std 0.3, so [-4.5, 4.5]^2 leaves > 8 std of margin
    t = torch.linspace(-4.5, 4.5, 451, dtype=torch.float64)
    h = (t[1] - t[0]).item()
    xx, yy = torch.meshgrid(t, t, indexing="ij")
    p = gm.log_prob(torch.stack([xx.ravel(), yy.ravel()], 1)).exp()
    assert abs(p.sum().item() * h * h - 1) < 1e-6


def test_single_gaussian_log_prob_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    mu, sigma = np.array([0.3, -1.2]), 0.7
    gm = GaussianMixture2D(mu[None], sigma)
    x = np.random.default_rng(0).normal(size=(50, 2))
    expected = stats.multivariate_normal(mu, sigma**2 * np.eye(2)).logpdf(x)
    np.testing.assert_allclose(gm.log_prob(torch.from_numpy(x)).numpy(), expected, rtol=1e-12)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", sorted(data.SYNTHETIC_2D))
@pytest.mark.parametrize("n, exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                    ("10", TypeError), (True, TypeError)])
def test_bad_n(name, n, exc):
    with pytest.raises(exc, match="n must be"):
        data.sample_2d(name, n)


@pytest.mark.parametrize("call, exc, arg", [
    (lambda: data.make_moons(10, noise=-0.1), ValueError, "noise"),
    (lambda: data.make_moons(10, noise=float("nan")), ValueError, "noise"),
    (lambda: data.make_swiss_roll(10, noise=-1), ValueError, "noise"),
    (lambda: data.make_swiss_roll(10, noise="a"), TypeError, "noise"),
    (lambda: data.make_ring_mixture(10, std=-1.0), ValueError, "std"),
    (lambda: data.make_grid_mixture(10, std=0.0), ValueError, "std"),
    (lambda: data.make_ring_mixture(10, n_modes=0), ValueError, "n_modes"),
    (lambda: data.make_ring_mixture(10, radius=-1.0), ValueError, "radius"),
    (lambda: data.make_grid_mixture(10, side=0), ValueError, "side"),
    (lambda: data.make_grid_mixture(10, spacing=-1.0), ValueError, "spacing"),
    (lambda: data.make_checkerboard(10, squares=0), ValueError, "squares"),
    (lambda: data.make_checkerboard(10, squares=2.0), TypeError, "squares"),
    (lambda: data.make_moons(10, rng="seed"), TypeError, "rng"),
    (lambda: data.sample_2d("spiral", 10), ValueError, "moons, ring, grid"),
    (lambda: data.sample_2d(3, 10), TypeError, "name"),
    (lambda: GaussianMixture2D(np.zeros((3, 3)), 1.0), ValueError, "means"),
    (lambda: GaussianMixture2D(np.zeros((2, 2)), 1.0, [0.5, 0.6]), ValueError, "weights"),
    (lambda: GaussianMixture2D(np.zeros((2, 2)), 1.0, [1.5, -0.5]), ValueError, "weights"),
    (lambda: GaussianMixture2D(np.zeros((1, 2)), 1.0).log_prob(torch.zeros(4, 3)), ValueError, "x"),
    (lambda: GaussianMixture2D(np.zeros((1, 2)), 1.0).score(torch.zeros(2)), ValueError, "x"),
    (lambda: data.load_digits(test_fraction=0.0), ValueError, "test_fraction"),
    (lambda: data.load_digits(test_fraction=1.0), ValueError, "test_fraction"),
    (lambda: data.load_digits(test_fraction=1.5), ValueError, "test_fraction"),
    (lambda: data.load_digits(test_fraction="0.25"), TypeError, "test_fraction"),
    (lambda: data.load_digits(test_fraction=0.001), ValueError, "test_fraction"),
    (lambda: data.load_digits(seed=-1), ValueError, "seed"),
    (lambda: data.load_digits_dataset(prefer="cifar"), ValueError, "prefer"),
    (lambda: data.load_mnist(root=3), TypeError, "root"),
    (lambda: data.read_idx(3), TypeError, "path"),
])
def test_bad_arguments_name_the_argument(call, exc, arg):
    with pytest.raises(exc, match=arg):
        call()


# ----------------------------------------------------------------------------- digits
def test_digits_split_is_stratified_and_deterministic():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    y = bunch.target
    for f in (0.25, 0.1, 0.5):
        train_idx, test_idx = data.stratified_split(y, f, seed=0)
        assert len(np.intersect1d(train_idx, test_idx)) == 0
        assert np.array_equal(np.union1d(train_idx, test_idx), np.arange(len(y)))
        assert len(test_idx) == math.ceil(f * len(y))
        for c in range(10):
            n_c = (y == c).sum()
            n_test_c = (y[test_idx] == c).sum()
            assert abs(n_test_c - f * n_c) < 1 and 0 < n_test_c < n_c
    a = data.stratified_split(y, 0.25, seed=0)
    b = data.stratified_split(y, 0.25, seed=0)
    c = data.stratified_split(y, 0.25, seed=1)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])

    ds = data.load_digits()
    assert ds.name == "digits-8x8" and ds.n_classes == 10 and ds.image_shape == (1, 8, 8)
    assert len(ds.x_train) + len(ds.x_test) == 1797 and len(ds.x_test) == math.ceil(0.25 * 1797)
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert ds.x_train.min() >= 0 and ds.x_train.max() == 1 and ds.x_test.max() <= 1
    # images and labels stay paired: the split is the sklearn data at the split indices
    train_idx, test_idx = a
    np.testing.assert_array_equal(ds.y_test.numpy(), y[test_idx])
    np.testing.assert_allclose(ds.x_train[:, 0].numpy(), bunch.images[train_idx] / 16)
    again = data.load_digits()
    assert torch.equal(ds.x_train, again.x_train) and torch.equal(ds.y_test, again.y_test)
    assert not torch.equal(ds.y_test, data.load_digits(seed=1).y_test)


def test_loaders():
    ds = data.load_digits()
    train, test = ds.loaders(batch_size=100, shuffle_seed=0)
    xb, yb = next(iter(train))
    assert xb.shape == (100, 1, 8, 8) and yb.shape == (100,)
    assert torch.equal(yb, next(iter(ds.loaders(batch_size=100, shuffle_seed=0)[0]))[1])
    assert not torch.equal(yb, ds.y_train[:100])  # shuffled
    assert torch.equal(torch.cat([b[0] for b in test]), ds.x_test)  # test is not shuffled
    assert sum(len(b[1]) for b in train) == len(ds.y_train)
    with pytest.raises(ValueError, match="batch_size"):
        ds.loaders(batch_size=0)


# ----------------------------------------------------------------------------- IDX and MNIST
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", list(IDX_CODES))
def test_read_idx_round_trip(tmp_path, gz, dtype):
    a = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5)
    a = (a % 256 if dtype == np.uint8 else a * (1.5 if np.dtype(dtype).kind == "f" else 1))
    a = a.astype(dtype)
    out = data.read_idx(write_idx(tmp_path / "a.idx", a, gz=gz))
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out, a)


def test_read_idx_known_bytes(tmp_path):
    # magic 0x00000C01: int32, one dimension of size 2, values 1 and -2, big-endian
    raw = bytes.fromhex("00000c01" "00000002" "00000001" "fffffffe")
    (tmp_path / "v").write_bytes(raw)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "v"), [1, -2])


def test_read_idx_rejects_bad_files(tmp_path):
    good = write_idx(tmp_path / "img.idx", np.zeros((4, 3), np.uint8)).read_bytes()
    cases = {"short.idx": good[:-1], "long.idx": good + b"\0", "magic.idx": b"\1" + good[1:],
             "code.idx": good[:2] + b"\x07" + good[3:], "header.idx": good[:6],
             "trunc.gz": gzip.compress(good)[:-5]}
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            data.read_idx(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "absent.idx")


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_small_files(tmp_path, gz):
    arrays = write_fake_mnist(tmp_path, gz=gz)
    ds = data.load_mnist(root=tmp_path, verify=False)
    assert ds.name == "mnist" and ds.image_shape == (1, 28, 28)
    assert ds.x_train.shape == (12, 1, 28, 28) and ds.x_test.shape == (5, 1, 28, 28)
    np.testing.assert_allclose(ds.x_train[:, 0].numpy(), arrays["train-images-idx3-ubyte"] / 255)
    np.testing.assert_array_equal(ds.y_test.numpy(), arrays["t10k-labels-idx1-ubyte"])
    # verification rejects files that are not the originals
    with pytest.raises(ValueError, match="SHA-256" if gz else "60000"):
        data.load_mnist(root=tmp_path)


def test_load_mnist_rejects_inconsistent_files(tmp_path):
    write_fake_mnist(tmp_path, gz=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2, 3, 4, 10], np.uint8))
    with pytest.raises(ValueError, match="0..9"):
        data.load_mnist(root=tmp_path, verify=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2, 3], np.uint8))
    with pytest.raises(ValueError, match="t10k-labels"):
        data.load_mnist(root=tmp_path, verify=False)


def test_missing_mnist_message(clean_env, monkeypatch):
    tmp_path = clean_env
    write_fake_mnist(tmp_path / "partial")
    (tmp_path / "partial" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as info:
        data.load_mnist(root=tmp_path / "partial", verify=False)
    msg = str(info.value)
    assert "t10k-labels-idx1-ubyte" in msg and "train-images-idx3-ubyte (" not in msg
    assert "https://" in msg

    with pytest.raises(FileNotFoundError) as info:
        data.load_mnist()
    msg = str(info.value)
    assert "~/.cache/coursekit/mnist" in msg and str(tmp_path) not in msg
    assert all(name in msg for name in data.MNIST_FILES)

    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "store"))
    with pytest.raises(FileNotFoundError) as info:
        data.load_mnist()
    msg = str(info.value)
    assert "$COURSEKIT_DATA/mnist" in msg and str(tmp_path) not in msg


@pytest.mark.parametrize("sub", ["mnist", ""])
def test_coursekit_data_env_is_honoured(clean_env, monkeypatch, sub):
    tmp_path = clean_env
    arrays = write_fake_mnist(tmp_path / "store" / sub if sub else tmp_path / "store")
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "store"))
    ds = data.load_mnist(verify=False)
    np.testing.assert_array_equal(ds.y_train.numpy(), arrays["train-labels-idx1-ubyte"])
    # the environ argument overrides os.environ
    with pytest.raises(FileNotFoundError):
        data.load_mnist(verify=False, environ={})


def test_home_cache_is_searched(clean_env):
    write_fake_mnist(clean_env / "home" / ".cache" / "coursekit" / "mnist")
    assert data.load_mnist(verify=False).x_train.shape == (12, 1, 28, 28)


def test_load_digits_dataset_choice_and_line(clean_env, capsys):
    tmp_path = clean_env
    ds = data.load_digits_dataset()
    assert ds.name == "digits-8x8"
    assert capsys.readouterr().out == (
        "Using the 8x8 digits (1347 train / 450 test): MNIST files not found "
        "(put them in $COURSEKIT_DATA/mnist or ~/.cache/coursekit/mnist).\n")

    write_fake_mnist(tmp_path / "m", gz=True)
    ds = data.load_digits_dataset(root=tmp_path / "m", verify=False)
    assert ds.name == "mnist" and len(ds.x_train) == 12
    assert capsys.readouterr().out == "Using MNIST (12 train / 5 test).\n"

    ds = data.load_digits_dataset(prefer="digits", root=tmp_path / "m", verify=False)
    assert ds.name == "digits-8x8"
    assert "prefer='digits'" in capsys.readouterr().out

    data.load_digits_dataset(prefer="digits", verbose=False)
    assert capsys.readouterr().out == ""

    # files that are present but fail verification raise instead of a silent fallback
    with pytest.raises(ValueError, match="SHA-256"):
        data.load_digits_dataset(root=tmp_path / "m")


def test_image_dataset_validates():
    x, y = torch.rand(4, 1, 5, 5), torch.tensor([0, 1, 2, 3])
    assert "train=4" in repr(data.ImageDataset(x, y, x, y, name="toy"))
    with pytest.raises(ValueError, match="x_train"):
        data.ImageDataset(x * 2, y, x, y, name="toy")
    with pytest.raises(ValueError, match="y_test"):
        data.ImageDataset(x, y, x, y[:3], name="toy")
    with pytest.raises(ValueError, match="y_train"):
        data.ImageDataset(x, y, x, y, name="toy", n_classes=3)
    with pytest.raises(TypeError, match="x_test"):
        data.ImageDataset(x, y, x.double(), y, name="toy")
