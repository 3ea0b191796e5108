"""Predictions with a run's net: the rows checked against what the net was trained on, and one
record per row (with an ensemble, the interval's bounds too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Predictions:
    """One record per row (the inputs, the prediction under the target's name, and with an
    ensemble ``<target>_low``, ``<target>_high`` and ``interval_level``), and the warnings a
    user should see."""

    model: str
    records: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def read_rows(path) -> object:
    """The rows to predict from a table file (comma or semicolon separated, decimal comma, BOM,
    ``#`` comments: as :func:`surrogate.data.tables.read_table` reads tables); its rows in order,
    labelled from 0 (pass it to :func:`predict_run` with ``table=True``).

    Raises
    ------
    ValueError
        Naming the file, when it cannot be read as a table.
    """
    from surrogate.data.tables import read_table

    try:
        frame, _ = read_table(path)
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot read {path} as a table: {err}") from None
    return frame


def model_features(run, model: str | None = None) -> list[str]:
    """The inputs of a run's net ``model`` (default: the one :func:`predict_run` would use),
    read from its metadata alone."""
    from surrogate.evaluation.rundir import PREDICT_KINDS, model_kind, read_metadata

    run = Path(run)
    return list(read_metadata(run, model_kind(run, model, PREDICT_KINDS))["features"])


def prediction_inputs(frame, features, *, labels=None, others: bool = False) -> object:
    """``frame``'s columns ``features`` as floats, in the model's order.

    Parameters
    ----------
    frame : DataFrame
    features : list of str
        The model's inputs.
    labels : list, optional
        How messages name each row (default: counted from 1).
    others : bool
        Allow columns that are not inputs (a user's whole table: an id, the measured target,
        notes); else such a column is an error (a misspelt ``--set`` name).

    Raises
    ------
    ValueError
        For a missing column (or an unknown one, without ``others``), or a value that is not a
        finite number (naming it and its row).
    """
    import pandas as pd

    labels = labels or [f"row {i}" for i in range(1, len(frame) + 1)]
    unknown = [] if others else [c for c in frame.columns if c not in features]
    missing = [f for f in features if f not in frame.columns]
    if unknown or missing:
        raise ValueError(
            f"the model takes {', '.join(features)}; unknown {unknown}, missing {missing}"
        )
    frame = frame[list(features)].copy()
    for name in features:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = ~np.isfinite(numbers.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name}={frame[name].iloc[row]!r} ({labels[row]}) is not a finite number"
            )
        frame[name] = numbers.astype(float)
    return frame


def outside_range(frame, input_range: dict, labels=None) -> list[str]:
    """For each input with a value outside the range the model was trained on, a sentence
    naming the first such value, its row (``labels``, default counted from 1) and the range."""
    labels = labels or [f"row {i}" for i in range(1, len(frame) + 1)]
    found = []
    for name, (low, high) in input_range.items():
        # As the net sees them: in float32, as the range was recorded (else a training row's
        # own 85.68 reads as outside 85.68..96.8).
        outside = ~frame[name].astype(np.float32).astype(float).between(low, high)
        if outside.any():
            row = int(np.flatnonzero(outside.to_numpy())[0])
            found.append(
                f"{name}={frame[name].iloc[row]:g} ({labels[row]}) is outside the range the "
                f"model was trained on, {low:g}..{high:g}"
            )
    return found


def predict_run(
    run, frame, *, model: str | None = None, allow_extrapolation: bool = False, table: bool = False
) -> Predictions:
    """Predict the rows of ``frame`` (a DataFrame, one column per input) with a run's net.

    ``model`` is ``transferred_ensemble`` (mean and interval), ``transferred`` or
    ``pretrained``; by default the first of these the run has. With ``table`` the frame is a
    user's table (:func:`read_rows`): columns other than the inputs are left aside, and each
    record starts with the row as the table names it, its id column
    (:func:`surrogate.data.tables.id_column`) or ``row`` counted from 1; messages name rows the
    same way.

    Raises
    ------
    ValueError
        For inputs the model does not take, values that are not finite numbers, values
        outside the trained range (unless ``allow_extrapolation``; then a warning), no such
        net in the run, or a non-finite prediction.
    """
    from surrogate.data.tables import row_names
    from surrogate.evaluation.rundir import PREDICT_KINDS, load_model, model_kind

    run = Path(run)
    model = model_kind(run, model, PREDICT_KINDS)
    net, meta = load_model(run, model)
    key, names = row_names(frame) if table else ("row", list(range(1, len(frame) + 1)))
    labels = [f"{key} {name}" if key == "row" else f"{key} {name!r}" for name in names]
    frame = prediction_inputs(frame, meta["features"], labels=labels, others=table)
    outside = outside_range(frame, meta.get("input_range", {}), labels)
    if outside and not allow_extrapolation:
        raise ValueError(outside[0] + "; pass allow_extrapolation=True to predict anyway")
    result = Predictions(model, warnings=[f"{text}: extrapolating" for text in outside])
    x = frame.to_numpy(np.float32)
    values, bounds = _predict(net, model, x, meta, result.warnings, labels)
    rows = frame.to_dict("records")
    for name, row, prediction, interval in zip(names, rows, values, bounds, strict=True):
        if not np.isfinite([prediction, *interval.values()]).all():
            raise ValueError(f"the model gave a non-finite prediction for {row}")
        first = {key: name} if table else {}
        result.records.append({**first, **row, meta["target"]: float(prediction), **interval})
    return result


def _predict(net, model: str, x, meta: dict, warnings: list, labels: list) -> tuple:
    """Predictions and, per row, the interval's fields (empty without an interval)."""
    from surrogate.nets.training import predict

    target = meta["target"]
    if model != "transferred_ensemble":
        return predict(net, x), [{}] * len(x)
    if not np.isfinite(net.scale_):
        warnings.append(
            f"the ensemble was calibrated on {net.calibration_rows_} out-of-bag rows, "
            f"too few for a {100 * net.level:g} % interval: printing its mean alone"
        )
        return net.predict(x), [{}] * len(x)
    values, low, high = net.predict_interval(x)
    level = meta["ensemble"]["level"]
    if net.lower_limit_ is not None:
        clipped = [label for label, bound in zip(labels, low, strict=True) if bound <= 0]
        if clipped:
            shown = ", ".join(clipped[:5]) + (
                f" and {len(clipped) - 5} more" if len(clipped) > 5 else ""
            )
            warnings.append(
                f"the {100 * level:g} % interval of {target} reached below 0 for {shown}: its "
                "lower bound is clipped at 0 (the target is positive; the ensemble's members "
                "disagree widely there)"
            )
    bounds = [
        {f"{target}_low": float(a), f"{target}_high": float(b), "interval_level": level}
        for a, b in zip(low, high, strict=True)
    ]
    return values, bounds
