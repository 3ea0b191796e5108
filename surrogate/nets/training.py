"""Training: the MAPE loss, a seeded Adam loop with validation, restarts chosen on validation."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn


def mape_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute percentage error, as a fraction (0.021 = 2.1 %).

    Refuses shapes that differ (a (B, 1) prediction against (B,) targets would broadcast to a
    (B, B) matrix and train on nonsense).

    Parameters
    ----------
    prediction, target : torch.Tensor
        Of the same shape; the target nonzero.

    Returns
    -------
    torch.Tensor
        A scalar: ``mean(|prediction - target| / |target|)``.

    Examples
    --------
    10 % over and 10 % under: a MAPE of 0.1.

    >>> import torch
    >>> from surrogate.nets import mape_loss
    >>> target = torch.tensor([100.0, 100.0], dtype=torch.float64)
    >>> mape_loss(torch.tensor([110.0, 90.0], dtype=torch.float64), target).item()
    0.1
    >>> mape_loss(torch.zeros(2, 1), torch.ones(2))
    Traceback (most recent call last):
    ...
    ValueError: prediction shape (2, 1) differs from target shape (2,)
    """
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction shape {tuple(prediction.shape)} differs from target shape "
            f"{tuple(target.shape)}"
        )
    return torch.mean(torch.abs((prediction - target) / target))


@dataclass
class History:
    """Loss per epoch (MAPE fractions) of the kept restart.

    Attributes
    ----------
    train, validation : list of float
        Mean training loss and validation loss of each epoch.
    best_epoch : int
        The epoch whose weights were kept (lowest validation loss).
    restart : int
        Which restart they came from.
    """

    train: list = field(default_factory=list)
    validation: list = field(default_factory=list)
    best_epoch: int = -1
    restart: int = 0


def fit(
    model: nn.Module,
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    epochs: int = 250,
    learning_rate: float = 0.01,
    batch_size: int = 16,
    seed: int = 0,
    restarts: int = 1,
    init=None,
) -> History:
    """Train the trainable parameters of ``model`` with Adam on the MAPE loss.

    Each restart re-initialises the trainable layers from its own seed (``init(model)``, or
    ``reset_parameters`` of every trainable layer) and trains ``epochs`` epochs; the weights
    of the epoch with the lowest validation loss over all restarts are kept. Test data never
    enters. Same seed, same result.

    A small ReLU net can start with its units dead and learn nothing but a constant. When the
    kept weights fit the training rows no better than the best constant (their median, to
    within 10 %), up to twice as many restarts again are tried (own seeds) until one does.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place; its frozen parameters stay as they are.
    x_train, y_train, x_val, y_val : array_like or torch.Tensor
        Inputs (n, features) and targets (n,), float32.
    epochs : int
    learning_rate : float
        Adam's step size.
    batch_size : int
    seed : int
        Seeds each restart's initialisation and batch order.
    restarts : int
    init : callable, optional
        ``init(model)`` re-initialises the trainable layers at each restart.

    Returns
    -------
    History

    Examples
    --------
    The kept weights are those of the epoch with the lowest validation loss: predicting the
    validation rows with them gives that loss again.

    >>> import numpy as np
    >>> import torch
    >>> from surrogate.nets import MLP, fit, predict
    >>> x = np.linspace(0, 1, 32, dtype=np.float32).reshape(16, 2)
    >>> y = 1 + x.sum(axis=1)
    >>> net = MLP(2, hidden=(4,))
    >>> net.set_scalers(torch.as_tensor(x[:12]), torch.as_tensor(y[:12]))
    >>> history = fit(net, x[:12], y[:12], x[12:], y[12:], epochs=30, seed=0)
    >>> kept = history.validation[history.best_epoch]
    >>> len(history.train), kept == min(history.validation)
    (30, True)
    >>> abs(float(np.mean(np.abs(predict(net, x[12:]) - y[12:]) / y[12:])) - kept) < 1e-6
    True
    """
    for name, value in (("epochs", epochs), ("restarts", restarts), ("batch_size", batch_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name}={value!r} must be a whole number of at least 1")
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate={learning_rate!r} must be a positive number")
    x_train, y_train = torch.as_tensor(x_train), torch.as_tensor(y_train)
    x_val, y_val = torch.as_tensor(x_val), torch.as_tensor(y_val)
    best_state, best_loss, best = None, float("inf"), History()
    constant = float(mape_loss(torch.full_like(y_train, float(y_train.median())), y_train))
    limit = restarts if init is not None else 3 * restarts
    restart = -1
    while restart + 1 < limit:
        restart += 1
        if restart >= restarts and best_state is not None:
            kept = best.train[best.best_epoch]
            if kept < 0.9 * constant:
                break  # the requested restarts learned something: no extra ones
        torch.manual_seed(seed * 1000 + restart)
        generator = torch.Generator().manual_seed(seed * 1000 + restart)
        if init is not None:
            init(model)
        elif hasattr(model, "reinitialise"):
            model.reinitialise()
        else:
            for layer in model.modules():
                trainable = any(p.requires_grad for p in layer.parameters(recurse=False))
                if trainable and hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()
        parameters = [p for p in model.parameters() if p.requires_grad]
        optimiser = torch.optim.Adam(parameters, lr=learning_rate)
        history = History(restart=restart)
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(len(x_train), generator=generator)
            total = 0.0
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                optimiser.zero_grad()
                loss = mape_loss(model(x_train[batch]), y_train[batch])
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            model.eval()
            with torch.no_grad():
                val = float(mape_loss(model(x_val), y_val)) if len(x_val) else total
            history.train.append(total / len(x_train))
            history.validation.append(val)
            if val < best_loss:
                best_loss, best_state = val, copy.deepcopy(model.state_dict())
                history.best_epoch = epoch
                best = history
    if best_state is None:
        raise ValueError(
            "training reached no finite validation loss: check the targets (finite and positive "
            "under the MAPE loss) and the learning rate"
        )
    model.load_state_dict(best_state)
    return best


def predict(model: nn.Module, x) -> np.ndarray:
    """Predictions as a float64 NumPy array.

    Parameters
    ----------
    model : torch.nn.Module
    x : array_like, shape (n, features)

    Returns
    -------
    ndarray of float64, shape (n,)

    Examples
    --------
    With its output layer zeroed a net predicts its target mean (here 3, of targets 2 and 4):

    >>> import torch
    >>> from surrogate.nets import MLP, predict
    >>> net = MLP(2)
    >>> net.set_scalers(torch.tensor([[0.0, 0.0], [1.0, 2.0]]), torch.tensor([2.0, 4.0]))
    >>> with torch.no_grad():
    ...     _ = net.net[-1].weight.zero_(), net.net[-1].bias.zero_()
    >>> predict(net, [[0.3, 0.7], [5.0, 5.0]]).tolist()
    [3.0, 3.0]
    """
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(np.array(x, dtype=np.float32))).double().numpy()
