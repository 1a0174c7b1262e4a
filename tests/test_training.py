"""The training loop: same arithmetic as the textbook loop, honest metrics, one contract.

The overhead of ``fit`` against a bare loop is measured by ``bench/training.py`` (no timed
assertion here).
"""

import time

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from coursekit.training import History, accuracy, evaluate, fit, loop, model_device


def _problem(seed=0, n=256, d=10, classes=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, :classes].argmax(dim=1)).long()  # learnable labels
    return TensorDataset(x, y)


def _model(seed=0, d=10, classes=3, width=32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, width), nn.Tanh(), nn.Linear(width, classes))


def _bare_loop(model, loader, loss_fn, opt, epochs, device="cpu", scheduler=None):
    losses = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
            count += xb.shape[0]
        if scheduler is not None:
            scheduler.step()
        losses.append(total / count)
    return losses


def test_fit_matches_a_hand_written_loop_exactly(device):
    data = _problem()
    loss_fn = nn.CrossEntropyLoss()
    m1, m2 = _model().to(device), _model().to(device)
    l1 = DataLoader(data, batch_size=32, shuffle=False)
    l2 = DataLoader(data, batch_size=32, shuffle=False)
    o1 = torch.optim.SGD(m1.parameters(), lr=0.1, momentum=0.9)
    o2 = torch.optim.SGD(m2.parameters(), lr=0.1, momentum=0.9)
    hist = fit(m1, l1, loss_fn, o1, epochs=3, device=device, progress=False, verbose=False)
    ref = _bare_loop(m2, l2, loss_fn, o2, epochs=3, device=device)
    np.testing.assert_allclose(hist["train_loss"], ref, rtol=1e-5)
    for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
        torch.testing.assert_close(p1, p2)


def test_fit_steps_the_scheduler_once_per_epoch():
    data = _problem(n=64)
    m1, m2 = _model(), _model()
    o1 = torch.optim.SGD(m1.parameters(), lr=0.8)
    o2 = torch.optim.SGD(m2.parameters(), lr=0.8)
    s1 = torch.optim.lr_scheduler.StepLR(o1, step_size=1, gamma=0.5)
    s2 = torch.optim.lr_scheduler.StepLR(o2, step_size=1, gamma=0.5)
    hist = fit(m1, DataLoader(data, batch_size=16), nn.CrossEntropyLoss(), o1, epochs=3,
               scheduler=s1, device="cpu", progress=False, verbose=False)
    assert o1.param_groups[0]["lr"] == pytest.approx(0.8 * 0.5**3)
    ref = _bare_loop(m2, DataLoader(data, batch_size=16), nn.CrossEntropyLoss(), o2, 3,
                     scheduler=s2)
    np.testing.assert_allclose(hist["train_loss"], ref, rtol=1e-6)


def test_fit_records_the_wall_time_of_each_epoch():
    data = _problem(n=64)
    model = _model()

    class Slow(nn.Module):  # each forward sleeps: an epoch of 4 batches takes >= 40 ms
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, x):
            time.sleep(0.01)
            return self.inner(x)

    start = time.perf_counter()
    hist = fit(Slow(), DataLoader(data, batch_size=16), nn.CrossEntropyLoss(),
               torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, device="cpu",
               progress=False, verbose=False)
    wall = time.perf_counter() - start
    assert len(hist["seconds"]) == 2
    assert all(s >= 0.04 for s in hist["seconds"])  # at least the sleeps inside the epoch
    assert sum(hist["seconds"]) <= wall  # and no more than the whole call


def test_fit_learns_and_records_validation_metrics(capsys):
    data = _problem()
    g = torch.Generator().manual_seed(0)
    loader = DataLoader(data, batch_size=64, shuffle=True, generator=g)
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    hist = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=np.int64(15),
               val_loader=loader, metrics={"accuracy": accuracy}, device="cpu", progress=False,
               name="demo")
    assert hist.epochs == 15 and len(hist["val_accuracy"]) == 15 and len(hist["seconds"]) == 15
    assert list(hist.metrics) == ["train_loss", "val_loss", "val_accuracy", "seconds"]
    assert hist["train_loss"][-1] < 0.5 * hist["train_loss"][0]
    assert hist.last("val_accuracy") > 0.9
    line = capsys.readouterr().out
    assert line == (f"demo: 15 epochs, train loss {hist.last('train_loss'):.3f}, "
                    f"val loss {hist.last('val_loss'):.3f}, "
                    f"val accuracy {hist.last('val_accuracy'):.3f}\n")
    # evaluate() agrees with a direct computation on the whole set
    with torch.no_grad():
        logits = model(data.tensors[0])
    scores = evaluate(model, loader, nn.CrossEntropyLoss(), {"accuracy": accuracy})
    np.testing.assert_allclose(scores["accuracy"], accuracy(logits, data.tensors[1]).item())
    np.testing.assert_allclose(
        scores["loss"], nn.functional.cross_entropy(logits, data.tensors[1]).item(), rtol=1e-5
    )


def test_evaluate_uses_the_model_device_and_restores_its_mode(device):
    data = _problem(n=32)
    model = _model().to(device)
    assert model_device(model).type == device.type
    loader = DataLoader(data, batch_size=8)
    model.train()
    scores = evaluate(model, loader, nn.CrossEntropyLoss())  # no device given: the model's
    with torch.no_grad():
        ref = nn.functional.cross_entropy(model(data.tensors[0].to(device)),
                                          data.tensors[1].to(device)).item()
    assert scores["loss"] == pytest.approx(ref, rel=1e-5)
    assert model.training

    def broken_loss(out, y):
        raise RuntimeError("loss failed")

    for mode in (True, False):
        model.train(mode)
        with pytest.raises(RuntimeError, match="loss failed"):
            evaluate(model, loader, broken_loss)
        assert model.training is mode  # restored although the loss raised


def test_loop_runs_a_step_without_targets_and_two_optimizers():
    """A GAN-shaped step: batches of points only, two optimizers taking turns."""
    torch.manual_seed(0)
    points = torch.randn(64, 2) + torch.tensor([3.0, -1.0])
    g = torch.zeros(2, requires_grad=True)  # the "generator": a learned shift
    d = torch.zeros(2, requires_grad=True)  # the "critic": a linear score
    opt_g, opt_d = torch.optim.SGD([g], lr=0.1), torch.optim.SGD([d], lr=0.1)
    order = []

    def step(x):
        loss_d = (g.detach() @ d) - (x @ d).mean() + 0.5 * (d**2).sum()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        order.append("d")
        loss_g = -(g @ d.detach())
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        order.append("g")
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.item()}

    batches = list(points.split(16))
    hist = loop(step, batches, epochs=200, progress=False, verbose=False)
    assert order[:4] == ["d", "g", "d", "g"] and len(order) == 2 * 4 * 200
    assert set(hist.metrics) == {"loss_d", "loss_g", "seconds"} and hist.epochs == 200
    np.testing.assert_allclose(g.detach().numpy(), points.mean(0).numpy(), atol=0.05)


def test_loop_weights_batches_by_n_and_records_on_epoch_end(capsys):
    batches = [torch.tensor([1.0, 1.0, 1.0]), torch.tensor([5.0])]

    def step(x):
        return {"mean": x.mean(), "n": len(x)}

    seen = []

    def on_epoch_end(epoch):
        seen.append(epoch)
        return {"val_score": 10.0 * epoch}

    hist = loop(step, batches, 2, on_epoch_end=on_epoch_end, progress=False, name="w")
    assert hist["mean"] == [2.0, 2.0]  # (3 * 1 + 1 * 5) / 4, the sample mean
    assert hist["val_score"] == [10.0, 20.0] and seen == [1, 2]
    assert capsys.readouterr().out == "w: 2 epochs, mean 2.000, val score 20.000\n"
    unweighted = loop(lambda x: {"mean": x.mean()}, batches, 1, progress=False, verbose=False)
    assert unweighted["mean"] == [3.0]  # mean of the batch means


def test_loop_steps_every_scheduler_and_checks_its_arguments():
    w = torch.zeros(1, requires_grad=True)
    opts = [torch.optim.SGD([w], lr=1.0), torch.optim.SGD([w], lr=2.0)]
    scheds = [torch.optim.lr_scheduler.StepLR(o, 1, gamma=0.1) for o in opts]
    def step(batch):
        for o in opts:
            o.step()  # no gradient: nothing moves, but the schedulers see steps in order
        return {"x": 0.0}

    loop(step, [0, 1], 2, scheduler=scheds, progress=False, verbose=False)
    assert [o.param_groups[0]["lr"] for o in opts] == pytest.approx([0.01, 0.02])
    with pytest.raises(TypeError, match="step must return a dict"):
        loop(lambda b: 1.0, [0], 1, progress=False)
    with pytest.raises(TypeError, match="'x'"):
        loop(lambda b: {"x": "1"}, [0], 1, progress=False)
    with pytest.raises(ValueError, match="'x' must be a scalar"):
        loop(lambda b: {"x": torch.ones(2)}, [0], 1, progress=False)
    with pytest.raises(TypeError, match="scheduler"):
        loop(lambda b: {"x": 0.0}, [0], 1, scheduler="cosine", progress=False)
    with pytest.raises(FloatingPointError, match="x became nan at epoch 1"):
        loop(lambda b: {"x": float("nan")}, [0], 1, progress=False)


def test_fit_shows_a_progress_bar_that_it_removes(capsys):
    data = _problem(n=64)
    model = _model()
    fit(model, DataLoader(data, batch_size=16), nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, device="cpu", progress=True,
        name="bar")
    captured = capsys.readouterr()
    assert "bar" in captured.err  # the live bar was drawn on stderr
    assert captured.out.count("\n") == 1  # and one summary line stays


def test_fit_stops_on_a_diverging_loss():
    x = _problem().tensors[0]
    data = TensorDataset(x, 1e3 * x[:, :3])  # regression with large targets
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=1e6)  # far beyond stability
    with pytest.raises(FloatingPointError, match="epoch"):
        fit(model, DataLoader(data, batch_size=32), nn.MSELoss(), opt, epochs=20,
            device="cpu", progress=False, verbose=False)


def test_fit_rejects_bad_arguments():
    data = _problem(n=8)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(data, batch_size=4)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=0)
    with pytest.raises(TypeError, match="epochs"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=2.0)
    with pytest.raises(TypeError, match="model"):
        fit(lambda x: x, loader, nn.CrossEntropyLoss(), opt, epochs=1)
    with pytest.raises(TypeError, match="optimizer"):
        fit(model, loader, nn.CrossEntropyLoss(), "sgd", epochs=1)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, [], nn.CrossEntropyLoss(), opt, epochs=1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="pairs"):
        fit(model, [torch.zeros(2, 10)], nn.CrossEntropyLoss(), opt, epochs=1, device="cpu",
            progress=False)
    with pytest.raises(ValueError, match="device"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=1, device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda'"):
            fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=1, device="cuda")
    with pytest.raises(KeyError, match="available"):
        History()["nope"]


def test_accuracy_counts_argmax_hits_and_checks_its_input():
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 3.0, 2.0], [4.0, 0, 0]])
    targets = torch.tensor([0, 2, 0, 1])
    assert accuracy(logits, targets).item() == 0.5
    assert accuracy(logits.numpy(), targets.numpy()).item() == 0.5
    with pytest.raises(ValueError, match="logits"):
        accuracy(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="logits"):
        accuracy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    with pytest.raises(TypeError, match="targets"):
        accuracy(logits, targets.float())
