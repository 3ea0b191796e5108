"""Dead hidden layers: found on hand-built weights, and kept out of a trained net."""

import numpy as np
import pytest
import torch
from torch import nn

from surrogate.nets import MLP, TransferModel, fit
from surrogate.nets.training import dead_layer_rows


def _hand_built_net():
    """MLP 1 -> 2 -> 2 -> 1 (identity scalers): layer 1 is relu(x - 1), relu(-x - 1), off for
    |x| <= 1; layer 2 is relu(h1 + h2 + 0.5), 0 (never off)."""
    net = MLP(1, hidden=(2, 2))
    first, second = net.net[0], net.net[2]
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0], [-1.0]]))
        first.bias.fill_(-1.0)
        second.weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
        second.bias.copy_(torch.tensor([0.5, 0.0]))
    return net


def _dead_by_hand(net: MLP, x: np.ndarray) -> np.ndarray:
    """The same question answered in NumPy from the weights (no hooks, no torch forward)."""
    state = {k: v.double().numpy() for k, v in net.state_dict().items()}
    h = (x - state["x_mean"]) / state["x_std"]
    dead = np.zeros(len(x), dtype=bool)
    for i in range(0, 2 * len(net.hidden), 2):
        h = np.maximum(h @ state[f"net.{i}.weight"].T + state[f"net.{i}.bias"], 0.0)
        dead |= (h == 0).all(axis=1)
    return dead


def test_dead_layer_found_on_hand_built_weights():
    net = _hand_built_net()
    x = np.array([[-3.0], [-1.0], [-0.2], [0.7], [1.0], [2.5]], dtype=np.float32)
    # |x| <= 1 turns layer 1 off: rows 1 to 4 by hand.
    assert dead_layer_rows(net, x).tolist() == [False, True, True, True, True, False]
    prediction = net(torch.as_tensor(x)).detach().numpy()
    assert np.ptp(prediction[1:5]) == 0 and prediction[0] != prediction[1] != prediction[5]
    # A frozen net's layers are left out when only trainable layers count...
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    assert not dead_layer_rows(net, x, trainable_only=True).any()
    # ...but the adapter behind it is looked at: all its units off for every row.
    model = TransferModel(net)
    with torch.no_grad():
        model.adapter.net[0].weight.zero_()
        model.adapter.net[0].bias.fill_(-1.0)
    assert dead_layer_rows(model, x, trainable_only=True).all()


def _table():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (48, 5)).astype(np.float32)
    y = 1.03 + 0.06 * x[:, 1] ** 2 + 0.02 * x[:, 2] - 0.015 * x[:, 0] + 0.01 * x[:, 3] * x[:, 4]
    return x[:40], y[:40].astype(np.float32), x[40:], y[40:].astype(np.float32)


def _fitted(mode):
    x, y, x_val, y_val = _table()
    net = MLP(5)
    net.set_scalers(torch.as_tensor(x), torch.as_tensor(y))
    # Seed 7 of this table: its first restart learns a layer that is off on some rows.
    history = fit(net, x, y, x_val, y_val, epochs=60, seed=7, restarts=1, dead_layers=mode)
    return net, history, x


def test_fit_keeps_no_dead_layer_on_training_rows():
    net, history, x = _fitted("keep")
    assert _dead_by_hand(net, x).any()  # the rule is needed on this seed
    assert history.dead_rows == _dead_by_hand(net, x).sum()
    net, history, x = _fitted("retry")
    assert not _dead_by_hand(net, x).any()
    assert history.dead_rows == 0
    assert history.rejected["dead_layer"] >= 1 and history.restarts_run >= 2


class _AlwaysDead(nn.Module):
    """Its one hidden layer starts (and, without gradient, stays) off on every row."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))

    def reinitialise(self):
        with torch.no_grad():
            self.net[0].weight.zero_()
            self.net[0].bias.fill_(-1.0)

    def forward(self, x):
        return self.net(x).squeeze(-1)


def test_extra_restarts_are_bounded_and_recorded():
    x = np.linspace(1, 2, 10, dtype=np.float32).reshape(-1, 1)
    y = 2 * x[:, 0]
    history = fit(
        _AlwaysDead(), x, y, x, y, epochs=2, restarts=2, max_restarts=5, dead_layers="retry"
    )
    assert history.restarts_run == 5
    assert history.rejected == {"constant": 5, "dead_layer": 5}
    assert history.dead_rows == 10


@pytest.mark.parametrize(
    ("options", "message"),
    [({"dead_layers": "drop"}, "dead_layers='drop'"), ({"max_restarts": 1}, "max_restarts=1")],
)
def test_bad_options_are_named(options, message):
    x, y, x_val, y_val = _table()
    with pytest.raises(ValueError, match=message):
        fit(MLP(5), x, y, x_val, y_val, restarts=2, **options)
