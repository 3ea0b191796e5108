"""Nets: the paper's small MLPs (:mod:`~surrogate.nets.models`: layers only) and their
training loop (:mod:`~surrogate.nets.training`: MAPE loss, Adam, the kept epoch).

Public API
----------
MLP, Adapter, TransferModel, freeze, trainable_parameters
    The networks; transfer is "load the pretrained state, freeze, train what is new".
fit, predict, mape_loss
    Training and prediction.
dead_layer_rows
    The rows on which a hidden layer is entirely off (the net is flat around them).
"""

from surrogate.nets.models import MLP, Adapter, TransferModel, freeze, trainable_parameters
from surrogate.nets.training import dead_layer_rows, fit, mape_loss, predict

__all__ = [
    "Adapter",
    "MLP",
    "TransferModel",
    "dead_layer_rows",
    "fit",
    "freeze",
    "mape_loss",
    "predict",
    "trainable_parameters",
]
