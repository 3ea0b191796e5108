"""The paper's networks: a small ReLU MLP, and the adapter that transfers it.

The modules only define layers; training lives in :mod:`surrogate.nets.training`. Every hidden layer
has its own ``nn.ReLU`` instance (SHAP's DeepExplainer misreads a shared one).
"""

from __future__ import annotations

import torch
from torch import nn

# Paper Tables 3 and 4: the widths of the hidden layers of the pretrained net, per target.
DEFAULT_ARCHITECTURES = {
    "tortuosity": (3, 3, 3),
    "tortuosity_lattice": (3, 3, 3),
    "density": (4, 4, 4, 4),
    "mass_loading": (3, 3, 3),
}
# Any other target (a lab's own table) without hidden widths: the paper's tortuosity net.
FALLBACK_ARCHITECTURE = (3, 3, 3)


def parse_hidden(text: str) -> tuple[int, ...]:
    """Hidden-layer widths from ``"3x3"`` (layers x width, the paper's notation) or a comma
    list of widths (``"8,8,4"``).

    Parameters
    ----------
    text : str
        ``×`` is read as ``x``.

    Returns
    -------
    tuple of int
        At most 32 layers of 1 to 4096 nodes.

    Raises
    ------
    ValueError
        Naming the text and the two accepted forms.

    Examples
    --------
    >>> from surrogate.nets.models import parse_hidden
    >>> parse_hidden("3x3"), parse_hidden("8,8,4")
    ((3, 3, 3), (8, 8, 4))
    >>> parse_hidden("3y3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...'3y3': expected LAYERSxWIDTH (3x3 = three layers of 3 nodes) or a comma list
    of layer widths (8,8,4), each at least 1
    """
    spec = str(text).strip().lower().replace("×", "x")
    try:
        if "x" in spec:
            layers, width = (int(part) for part in spec.split("x"))
            widths = (width,) * layers
        else:
            widths = tuple(int(part) for part in spec.split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1 or len(widths) > 32 or max(widths) > 4096:
        raise ValueError(
            f"hidden={text!r}: expected LAYERSxWIDTH (3x3 = three layers of 3 nodes) or a "
            "comma list of layer widths (8,8,4), each at least 1"
        )
    return widths


def architecture_of(metadata: dict) -> tuple[int, ...]:
    """Hidden widths from a saved model's ``architecture`` (``hidden``, or the older
    ``layers`` and ``width``).

    Parameters
    ----------
    metadata : dict
        A saved model's ``architecture`` entry.

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> from surrogate.nets.models import architecture_of
    >>> architecture_of({"hidden": [8, 4]}), architecture_of({"layers": 2, "width": 4})
    ((8, 4), (4, 4))
    """
    if "hidden" in metadata:
        return tuple(int(w) for w in metadata["hidden"])
    return (int(metadata["width"]),) * int(metadata["layers"])


class MLP(nn.Module):
    """Feed-forward net: hidden ReLU layers of the given widths, one linear output.

    With 5 inputs and ``hidden=(3, 3, 3)`` (the paper's "3 x 3") it has 46 trainable
    parameters (the paper's tortuosity net). The input standardisation and the target scale
    live in buffers (not parameters): they are saved with the ``state_dict``, so the net always
    sees inputs scaled as it was trained.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden : sequence of int
        Widths of the hidden layers.

    Examples
    --------
    The paper's 3 x 3 net on 5 inputs: (5 + 1) x 3 + (3 + 1) x 3 + (3 + 1) x 3 + (3 + 1) x 1
    = 18 + 12 + 12 + 4 weights and biases.

    >>> import torch
    >>> from surrogate.nets import MLP, trainable_parameters
    >>> net = MLP(5, hidden=(3, 3, 3))
    >>> trainable_parameters(net), net(torch.zeros(2, 5)).shape
    (46, torch.Size([2]))
    """

    def __init__(self, n_inputs: int, hidden=(3, 3, 3)):
        super().__init__()
        hidden = tuple(int(w) for w in hidden)
        if n_inputs < 1 or not hidden or min(hidden) < 1:
            raise ValueError(f"need n_inputs >= 1 and hidden widths >= 1, got {n_inputs}, {hidden}")
        blocks: list[nn.Module] = []
        size = n_inputs
        for width in hidden:
            blocks += [nn.Linear(size, width), nn.ReLU()]
            size = width
        blocks.append(nn.Linear(size, 1))
        self.net = nn.Sequential(*blocks)
        self.n_inputs, self.hidden = n_inputs, hidden
        # The adapter's default width follows the last hidden layer (the paper's 1 -> w -> 1).
        self.layers, self.width = len(hidden), hidden[-1]
        self.register_buffer("x_mean", torch.zeros(n_inputs))
        self.register_buffer("x_std", torch.ones(n_inputs))
        self.register_buffer("y_mean", torch.zeros(()))
        self.register_buffer("y_std", torch.ones(()))

    def set_scalers(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Standardise with the statistics of a training split (constant columns keep std 1).

        Examples
        --------
        >>> import torch
        >>> from surrogate.nets import MLP
        >>> net = MLP(2)
        >>> net.set_scalers(torch.tensor([[0.0, 5.0], [2.0, 5.0]]), torch.tensor([1.0, 3.0]))
        >>> net.x_mean.tolist(), net.x_std.tolist(), net.y_mean.item(), net.y_std.item()
        ([1.0, 5.0], [1.0, 1.0], 2.0, 1.0)
        """
        std = x.std(dim=0, unbiased=False)
        self.x_mean.copy_(x.mean(dim=0))
        self.x_std.copy_(torch.where(std > 0, std, torch.ones_like(std)))
        self.y_mean.copy_(y.mean())
        y_std = y.std(unbiased=False)
        self.y_std.copy_(y_std if y_std > 0 else torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x - self.x_mean) / self.x_std
        return self.y_mean + self.y_std * self.net(z).squeeze(-1)


class Adapter(nn.Module):
    """Scalar to scalar through one hidden ReLU layer: 1 -> width -> 1 (10 parameters at 3).

    Examples
    --------
    (1 + 1) x 3 + (3 + 1) x 1 = 10 parameters:

    >>> from surrogate.nets import Adapter, trainable_parameters
    >>> trainable_parameters(Adapter(width=3))
    10
    """

    def __init__(self, width: int = 3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1))
        self.width = width

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.net(y.unsqueeze(-1)).squeeze(-1)

    def identity_init(self, noise: float = 0.05) -> None:
        """Start as the identity, ``relu(z) - relu(-z) = z``, plus a little seeded noise.

        Transfer then starts from the pretrained prediction and learns the correction; the
        noise makes restarts differ. Draws from torch's global generator (seed it first).

        Examples
        --------
        >>> import torch
        >>> from surrogate.nets import Adapter
        >>> adapter = Adapter()
        >>> adapter.identity_init(noise=0.0)
        >>> adapter(torch.tensor([-1.5, 0.0, 2.0])).tolist()
        [-1.5, 0.0, 2.0]
        """
        first, last = self.net[0], self.net[2]
        with torch.no_grad():
            first.weight.zero_()
            first.weight[0, 0] = 1.0
            first.weight[1, 0] = -1.0
            first.bias.zero_()
            last.weight.zero_()
            last.weight[0, 0] = 1.0
            last.weight[0, 1] = -1.0
            last.bias.zero_()
            for parameter in (first.weight, first.bias, last.weight, last.bias):
                parameter.add_(noise * torch.randn_like(parameter))

    def line_init(self, intercept: float, slope: float, noise: float = 0.05) -> None:
        """Start as the line ``intercept + slope · z`` (the identity, scaled and shifted), plus
        a little seeded noise.

        Examples
        --------
        >>> import torch
        >>> from surrogate.nets import Adapter
        >>> adapter = Adapter()
        >>> adapter.line_init(2.0, -3.0, noise=0.0)
        >>> adapter(torch.tensor([-1.0, 0.0, 2.0])).tolist()
        [5.0, 2.0, -4.0]
        """
        self.identity_init(noise)
        last = self.net[2]
        with torch.no_grad():
            last.weight.mul_(slope)
            last.bias.add_(intercept)


class TransferModel(nn.Module):
    """A frozen pretrained :class:`MLP` followed by a trainable :class:`Adapter`.

    The adapter works in the pretrained net's standardised target units: it maps
    ``(f(x) - y_mean) / y_std`` to the same scale, and the result is scaled back.

    Parameters
    ----------
    pretrained : MLP
        Frozen here (its parameters stop taking gradients).
    width : int, optional
        Adapter width; default the pretrained net's last hidden width.

    Examples
    --------
    Only the adapter's 10 parameters train, and before training the model predicts what the
    pretrained net does (the adapter starts as the identity):

    >>> import torch
    >>> from surrogate.nets import MLP, TransferModel, trainable_parameters
    >>> pretrained = MLP(5)
    >>> model = TransferModel(pretrained)
    >>> x = torch.rand(4, 5)
    >>> trainable_parameters(model), torch.allclose(model(x), pretrained(x))
    (10, True)
    """

    def __init__(self, pretrained: MLP, width: int | None = None):
        super().__init__()
        self.pretrained = pretrained
        self.adapter = Adapter(width or pretrained.width)
        self.adapter.identity_init(noise=0.0)
        freeze(self.pretrained)
        self.start = (0.0, 1.0)  # the adapter's start line in standardised units

    def start_from_line(self, intercept: float, slope: float) -> None:
        """Start (and restart) the adapter so the model predicts ``intercept + slope · f(x)``,
        ``f`` the pretrained net: a target on another scale than the one pretrained on (a
        cheap column for an expensive one) starts from a line fitted to it, not from the
        pretrained prediction, which may be far off (the adapter's steps are small).

        Examples
        --------
        >>> import torch
        >>> from surrogate.nets import MLP, TransferModel
        >>> pretrained = MLP(2)
        >>> pretrained.set_scalers(torch.rand(8, 2), torch.tensor([1.0, 1.1] * 4))
        >>> model = TransferModel(pretrained)
        >>> model.start_from_line(0.4, 2.5)
        >>> x = torch.rand(3, 2)
        >>> torch.allclose(model(x), 0.4 + 2.5 * pretrained(x), atol=1e-5)
        True
        """
        p = self.pretrained
        mean, std = float(p.y_mean), float(p.y_std)
        # prediction = mean + std · adapter(z), z = (f − mean) / std: the adapter's line.
        self.start = ((intercept + (slope - 1.0) * mean) / std, slope)
        self.adapter.line_init(*self.start, noise=0.0)

    def reinitialise(self) -> None:
        """Fresh adapter for a training restart (its start line plus noise)."""
        self.adapter.line_init(*self.start)

    def frozen_features(self, x: torch.Tensor) -> torch.Tensor:
        """The frozen net's standardised prediction, the adapter's input (no gradient):
        training computes it once per row, not once per epoch."""
        p = self.pretrained
        with torch.no_grad():
            return (p(x) - p.y_mean) / p.y_std

    def from_features(self, base: torch.Tensor) -> torch.Tensor:
        """The prediction from :meth:`frozen_features`: the trainable part of the model."""
        p = self.pretrained
        return p.y_mean + p.y_std * self.adapter(base)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.from_features(self.frozen_features(x))


def freeze(module: nn.Module) -> None:
    """Stop gradients for every parameter of ``module``.

    Examples
    --------
    >>> from surrogate.nets import MLP, freeze, trainable_parameters
    >>> net = MLP(5)
    >>> freeze(net)
    >>> trainable_parameters(net)
    0
    """
    for parameter in module.parameters():
        parameter.requires_grad_(False)


def trainable_parameters(module: nn.Module) -> int:
    """Number of trainable parameters.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    int
        Elements of the parameters that require gradients.

    Examples
    --------
    A linear layer from 4 inputs to 2 outputs: 4 x 2 weights and 2 biases.

    >>> from torch import nn
    >>> from surrogate.nets import trainable_parameters
    >>> trainable_parameters(nn.Linear(4, 2))
    10
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
