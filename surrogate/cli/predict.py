"""``surrogate predict``: one JSON line per row, from a run's net."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from surrogate._shared import PREDICT_KINDS, or_list
from surrogate.cli._errors import echo_lines, fail
from surrogate.cli._options import RunArgument


def predict(
    run: RunArgument,
    csv: Annotated[
        Path | None,
        typer.Option(
            help="Table (CSV, Excel, Parquet) with a column per input; other columns are left "
            "aside, an id column names the rows (else they are counted from 1)."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help=f"{or_list(PREDICT_KINDS)} (transferred_ensemble: the mean and an interval); "
            "default: the first of these the run has."
        ),
    ] = None,
    value: Annotated[
        list[str] | None, typer.Option("--set", help="feature=value (repeatable).")
    ] = None,
    allow_extrapolation: Annotated[
        bool,
        typer.Option(
            "--allow-extrapolation",
            help="Predict outside the range the model was trained on (with a warning).",
        ),
    ] = False,
) -> None:
    """Predict the target with a run's model.

    Inputs as --set name=value or a CSV (not both); one JSON line per row, with an ensemble the
    interval's bounds as <target>_low and <target>_high.
    """
    from surrogate.evaluation.predict import predict_run, read_rows

    if csv is not None and value:
        fail(
            f"--csv {csv} and --set {value[0]} exclude each other: give the inputs as a CSV "
            "(one row each) or as --set name=value pairs (one row), not both"
        )
    frame = read_rows(csv) if csv is not None else _pairs(value or [], run, model)
    predictions = predict_run(
        run, frame, model=model, allow_extrapolation=allow_extrapolation, table=csv is not None
    )
    echo_lines((f"warning: {line}" for line in predictions.warnings), err=True)
    echo_lines(json.dumps(record, allow_nan=False) for record in predictions.records)


def _pairs(items: list[str], run: Path, model: str | None):
    """One row from ``--set name=value`` pairs (values as typed; the model checks them)."""
    import pandas as pd

    from surrogate.evaluation.predict import model_features

    pairs = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            features = ", ".join(model_features(run, model))
            fail(f"--set {item!r} must be name=value, with name one of {features}")
        pairs[name.strip()] = text
    if not pairs:
        features = ", ".join(model_features(run, model))
        fail(f"give the inputs with --csv or --set name=value for {features}")
    return pd.DataFrame([pairs])
