"""Training's shortcuts change nothing: a transferred net trained on its frozen features (once
per row) ends with the weights of one trained through the whole forward every step; a net
with dropout is still trained in training mode and handed back in evaluation mode."""

import numpy as np
import torch
from torch import nn

from surrogate.nets import MLP, TransferModel, fit, predict


class _Opaque(nn.Module):
    """The same model, seen only through its forward (no frozen front to precompute)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)

    def reinitialise(self):
        self.model.reinitialise()


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (40, 5)).astype(np.float32)
    y = (1.0 + 0.3 * x[:, 0] ** 2 + 0.1 * x[:, 1]).astype(np.float32)
    return x, y


def test_frozen_features_shortcut_gives_the_same_weights():
    x, y = _data()
    pretrained = MLP(5)
    pretrained.set_scalers(torch.as_tensor(x), torch.as_tensor(y))
    fit(pretrained, x[:30], y[:30], x[30:], y[30:], epochs=20, seed=1)
    target = 2.0 + 1.5 * y
    fast, slow = TransferModel(pretrained), TransferModel(pretrained)
    fit(fast, x[:30], target[:30], x[30:], target[30:], epochs=40, seed=2, restarts=2)
    fit(_Opaque(slow), x[:30], target[:30], x[30:], target[30:], epochs=40, seed=2, restarts=2)
    for (name, a), (_, b) in zip(fast.state_dict().items(), slow.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert np.array_equal(predict(fast, x), predict(slow, x))


def test_dropout_nets_train_in_training_mode_and_come_back_in_eval_mode():
    x, y = _data(1)
    seen = []

    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer, self.drop = nn.Linear(5, 1), nn.Dropout(0.5)

        def forward(self, x):
            seen.append(self.training)
            return 1.0 + self.drop(self.layer(x)).squeeze(-1)

    net = Noisy()
    fit(net, x[:30], y[:30], x[30:], y[30:], epochs=3, seed=0)
    assert True in seen and False in seen  # training steps and validation in their modes
    assert not net.training
    assert np.array_equal(predict(net, x), predict(net, x))  # no dropout at prediction
