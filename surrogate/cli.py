"""Command line: ``surrogate pretrain|transfer|explain|predict`` (also ``python -m surrogate``).

Exit codes: 0 success; 2 bad input (unknown dataset, missing file, too few rows, inputs the
model was not trained on; one line on stderr); 1 an unexpected error.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Transfer-learning surrogates of manufacturing tables.",
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _load(name, table=None, columns=None, drop_invalid=False):
    from surrogate.datasets import load_dataset

    try:
        data = load_dataset(name, table=table, columns=columns, drop_invalid=drop_invalid)
    except (ValueError, FileNotFoundError) as err:
        _fail(str(err))
    dropped = data.provenance.get("dropped_rows") or []
    if dropped:
        typer.echo(f"dropped {len(dropped)} invalid row(s) of {name}'s table:", err=True)
        for line in dropped:
            typer.echo(f"  {line}", err=True)
    return data


TABLE_HELP = "Electrode table (CSV, Excel, Parquet) for graphite/sigra/nmc; default: the "
TABLE_HELP += "shipped synthetic one."


@app.command()
def transfer(
    source: str = typer.Argument(..., help="Source dataset: a name (gdl200) or a path."),
    destination: str = typer.Argument(..., help="Target dataset: a name (gdl1000) or a path."),
    target: str = typer.Option("tortuosity", help="Target column."),
    splits: int = typer.Option(5, help="Random 70/30 splits."),
    epochs: int = typer.Option(250, help="Epochs per training."),
    restarts: int = typer.Option(3, help="Restarts per training, chosen on validation."),
    seed: int = typer.Option(0, help="Seed of splits and training."),
    runs: Path = typer.Option(Path("runs"), help="Folder of run directories."),
    table: Path = typer.Option(None, help=TABLE_HELP),
    columns: Path = typer.Option(None, help="YAML/JSON mapping {their column: canonical}."),
    drop_invalid: bool = typer.Option(False, "--drop-invalid", help="Drop invalid table rows."),
) -> None:
    """Pretrain on SOURCE, transfer to DESTINATION, evaluate against alternatives, explain."""
    if splits < 1:
        _fail(f"--splits {splits} must be at least 1")

    from generator.io import provenance
    from surrogate.evaluate import evaluate_transfer
    from surrogate.report import new_run_dir, table_markdown, write_transfer_run

    src = _load(source, table, columns, drop_invalid)
    dst = _load(destination, table, columns, drop_invalid)
    try:
        result = evaluate_transfer(
            src,
            dst,
            target,
            splits=splits,
            seed=seed,
            epochs=epochs,
            restarts=restarts,
            progress=True,
        )
    except ValueError as err:
        _fail(str(err))
    try:
        run = new_run_dir(runs, "transfer", src.name, dst.name, target)
    except OSError as err:
        _fail(f"cannot make a run directory in {runs}: {err.strerror or err}")
    from surrogate.report import run_relative

    def located(data) -> str:
        # Dataset references relative to the run (or registry names): no machine paths.
        return json.dumps(
            {**data.provenance, "file": run_relative(data.provenance.get("file", ""), run)},
            default=str,
        )

    record = {
        **provenance(),
        "source_provenance": located(src),
        "destination_provenance": located(dst),
    }
    write_transfer_run(result, src, dst, run, record)
    typer.echo(table_markdown(result.summary(), target))
    typer.echo(f"run directory: {run}")


@app.command()
def pretrain(
    source: str = typer.Argument(..., help="Dataset: a name (gdl200) or a path."),
    target: str = typer.Option("tortuosity", help="Target column."),
    epochs: int = typer.Option(250, help="Epochs."),
    restarts: int = typer.Option(3, help="Restarts, chosen on validation."),
    seed: int = typer.Option(0, help="Seed of the split and the training."),
    runs: Path = typer.Option(Path("runs"), help="Folder of run directories."),
    table: Path = typer.Option(None, help=TABLE_HELP),
    columns: Path = typer.Option(None, help="YAML/JSON mapping {their column: canonical}."),
    drop_invalid: bool = typer.Option(False, "--drop-invalid", help="Drop invalid table rows."),
) -> None:
    """Train the paper's MLP on one dataset (70/30 split) and save it."""
    import torch

    from surrogate.evaluate import metrics, split_indices
    from surrogate.models import DEFAULT_ARCHITECTURES, MLP
    from surrogate.report import input_range, new_run_dir, save_model
    from surrogate.training import fit, predict

    data = _load(source, table, columns, drop_invalid)
    try:
        x, y = data.arrays(target)
        train, val, test = split_indices(len(x), seed)
        layers, width = DEFAULT_ARCHITECTURES.get(target, (3, 3))
        model = MLP(x.shape[1], layers, width)
        model.set_scalers(torch.as_tensor(x[train]), torch.as_tensor(y[train]))
        fit(model, x[train], y[train], x[val], y[val], epochs=epochs, restarts=restarts, seed=seed)
    except ValueError as err:
        _fail(str(err))
    scores = metrics(y[test], predict(model, x[test]))
    run = new_run_dir(runs, "pretrain", data.name, data.name, target)
    save_model(
        model,
        run / "pretrained",
        {
            "kind": "pretrained",
            "features": data.feature_names,
            "target": target,
            "units": {k: data.units.get(k, "") for k in data.feature_names},
            "architecture": {"layers": layers, "width": width},
            "source": data.name,
            "input_range": input_range(x[train], {"features": data.feature_names}),
        },
    )
    (run / "metrics.json").write_text(
        json.dumps({"schema": "surrogate-metrics/1", "test": scores}, indent=2)
    )
    typer.echo(
        f"test MAPE {scores['mape']:.3f} %, MAE {scores['mae']:.4g}, R2 "
        f"{scores['r2']:.3f}; run directory: {run}"
    )


def _load_model(run: Path, kind: str):
    from surrogate.models import MLP, TransferModel
    from surrogate.report import load_state

    meta_path = run / f"{kind}.json"
    if not meta_path.is_file():
        _fail(f"no {kind} model in {run}")
    meta = json.loads(meta_path.read_text())
    arch = meta["architecture"]
    model = MLP(len(meta["features"]), arch["layers"], arch["width"])
    if kind == "transferred":
        model = TransferModel(model, arch.get("adapter_width"))
    model.load_state_dict(load_state(run / kind))
    return model, meta


def _prediction_inputs(csv, value, features):
    """The rows to predict, as floats, from a CSV or ``name=value`` pairs; exit 2 on bad input."""
    import numpy as np
    import pandas as pd

    if csv is not None:
        try:
            frame = pd.read_csv(csv)
        except (OSError, ValueError) as err:
            _fail(f"cannot read {csv} as CSV: {err}")
    else:
        pairs = {}
        for item in value or []:
            name, sep, text = item.partition("=")
            if not sep or not name:
                _fail(f"--set {item!r} must be name=value, with name one of {', '.join(features)}")
            pairs[name.strip()] = text
        if not pairs:
            _fail(f"give the inputs with --csv or --set name=value for {', '.join(features)}")
        frame = pd.DataFrame([pairs])
    unknown = [c for c in frame.columns if c not in features]
    missing = [f for f in features if f not in frame.columns]
    if unknown or missing:
        _fail(f"the model takes {', '.join(features)}; unknown {unknown}, missing {missing}")
    frame = frame[features]
    for name in features:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = ~np.isfinite(numbers.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            _fail(f"{name}={frame[name].iloc[row]!r} (row {row}) is not a finite number")
        frame[name] = numbers.astype(float)
    return frame


@app.command()
def predict(
    run: Path = typer.Argument(..., help="A run directory."),
    csv: Path = typer.Option(None, help="CSV with one column per input feature."),
    model: str = typer.Option("transferred", help="transferred or pretrained."),
    value: list[str] = typer.Option(None, "--set", help="feature=value (repeatable)."),
    allow_extrapolation: bool = typer.Option(
        False,
        "--allow-extrapolation",
        help="Predict outside the range the model was trained on (with a warning).",
    ),
) -> None:
    """Predict the target for inputs given as --set name=value or as a CSV (one JSON line
    per row)."""
    import numpy as np

    from surrogate.training import predict as run_model

    if model not in ("transferred", "pretrained"):
        _fail(f"--model {model!r} must be transferred or pretrained")
    net, meta = _load_model(run, model)
    features = meta["features"]
    frame = _prediction_inputs(csv, value, features)
    for name, (low, high) in meta.get("input_range", {}).items():
        outside = ~frame[name].between(low, high)
        if outside.any():
            row = int(np.flatnonzero(outside.to_numpy())[0])
            message = (
                f"{name}={frame[name].iloc[row]:g} (row {row}) is outside the range the model "
                f"was trained on, {low:g}..{high:g}"
            )
            if not allow_extrapolation:
                _fail(message + "; pass --allow-extrapolation to predict anyway")
            typer.echo(f"warning: {message}: extrapolating", err=True)
    values = run_model(net, frame.to_numpy(np.float32))
    for row, prediction in zip(frame.to_dict("records"), values, strict=True):
        if not np.isfinite(prediction):
            _fail(f"the model gave a non-finite prediction for {row}")
        typer.echo(json.dumps({**row, meta["target"]: float(prediction)}, allow_nan=False))


@app.command()
def explain(
    run: Path = typer.Argument(..., help="A run directory written by 'transfer'."),
    model: str = typer.Option("transferred", help="transferred or pretrained."),
) -> None:
    """SHAP of a run's model on its target test set: one prediction and the beeswarm.

    The exact explainer (every coalition of the 5 or 6 inputs) against the target training
    split; the explanations sum to prediction minus base value (the error is printed).
    """
    from surrogate.report import shap_figures

    split_path = run / "split.json"
    if not split_path.is_file():
        _fail(f"{run} has no split.json (not a transfer run directory)")
    split = json.loads(split_path.read_text())
    net, meta = _load_model(run, model)
    from surrogate.report import resolve_run_dataset

    data = _load(resolve_run_dataset(split["destination"], run))
    if data.feature_names != meta["features"]:
        _fail(f"dataset inputs {data.feature_names} differ from the model's {meta['features']}")
    x, _ = data.arrays(split["target"])
    files, error = shap_figures(
        net,
        x[split["target_train"]],
        x[split["target_test"]],
        meta["features"],
        run,
        prefix=f"shap_{model}",
    )
    for path in files.values():
        typer.echo(f"wrote {path}")
    typer.echo(f"SHAP additivity: max |sum + base - prediction| = {error:.2e}")


def main() -> None:
    """Entry point of ``surrogate`` and ``python -m surrogate``."""
    app()
