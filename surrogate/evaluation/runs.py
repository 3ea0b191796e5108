"""Runs: a pretrain, a transfer or a learning curve written to a run directory of its own, and
SHAP figures made again for any run. What ``surrogate pretrain|transfer|curve|explain`` do,
as functions: each takes loaded datasets (:mod:`surrogate.evaluation.sides`) and options,
writes the run and returns what to tell the user."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from generator import check_output_folder

CURVE_SCHEMA = "surrogate-curve/1"


@dataclass
class Run:
    """A finished run: its folder, the result behind it, the lines that summarise it, and the
    warnings a user must see (each once; the command line prints them on stderr)."""

    folder: Path
    result: object = None
    lines: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def _widths(hidden):
    """Hidden-layer widths from text (``3x3``, ``8,8,4``), a sequence, or None."""
    if hidden is None or not isinstance(hidden, str):
        return None if hidden is None else tuple(hidden)
    from surrogate.nets.models import parse_hidden

    return parse_hidden(hidden)


def _references(sides_or_data, run: Path) -> dict:
    from surrogate.evaluation.rundir import reference_for_run

    return {
        "source_reference": reference_for_run(sides_or_data.source, run),
        "destination_reference": reference_for_run(sides_or_data.destination, run),
    }


def pretrain_run(
    data,
    target: str,
    *,
    hidden=None,
    epochs: int = 250,
    restarts: int = 3,
    seed: int = 0,
    runs="runs",
) -> Run:
    """Train the MLP on ``data`` (70/30 split, 10 % of the training rows for validation) and
    write ``runs/<time>-pretrain-<name>-<target>/``: the net, ``split.json``, ``metrics.json``.

    Raises
    ------
    ValueError
        Too few rows, bad ``hidden``, ``epochs`` or ``restarts``.
    OSError
        When the run directory cannot be made (``runs`` is checked first, before any training:
        :func:`generator.check_output_folder`).
    """
    from surrogate.estimators.regressors import NetOptions
    from surrogate.evaluation.evaluate import metrics, pretrain, split_indices
    from surrogate.evaluation.rundir import new_run_dir
    from surrogate.nets.models import DEFAULT_ARCHITECTURES, FALLBACK_ARCHITECTURE
    from surrogate.nets.training import predict

    check_output_folder(runs, what="runs folder")
    widths = _widths(hidden) or DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE)
    x, y = data.arrays(target)
    rows = split_indices(len(x), seed, name=f"dataset {data.name!r}")
    options = NetOptions(epochs=epochs, restarts=restarts)
    model, _ = pretrain(x, y, rows[0], rows[1], widths, options, seed)
    scores = metrics(y[rows[2]], predict(model, x[rows[2]]))
    run = new_run_dir(runs, "pretrain", data.name, target)
    architecture = _write_pretrain_run(run, model, data, target, widths, rows, scores)
    unit = data.units.get(target, "")
    line = (
        f"test MAPE {scores['mape']:.3f} %, MAE {scores['mae']:.4g}{' ' + unit if unit else ''}, "
        f"R2 {scores['r2']:.3f} ({architecture['trainable_pretrained']} trainable parameters); "
        f"run directory: {run}"
    )
    return Run(run, scores, [line])


def _write_pretrain_run(run: Path, model, data, target: str, widths, rows, scores) -> dict:
    """``pretrained.pt/.json``, ``split.json`` and ``metrics.json`` of a pretrain run; returns
    the net's architecture record."""
    from generator import provenance
    from surrogate.evaluation.rundir import input_range, reference_for_run, save_model
    from surrogate.nets.models import trainable_parameters

    train, val, test = rows
    architecture = {
        "hidden": list(widths),
        "layers": len(widths),
        "width": widths[-1],
        "trainable_pretrained": trainable_parameters(model),
    }
    features = {"features": data.feature_names}
    x, _ = data.arrays(target)
    save_model(model, run / "pretrained", {
        "kind": "pretrained", **features, "target": target,
        "units": {k: data.units.get(k, "") for k in data.feature_names},
        "target_unit": data.units.get(target, ""), "architecture": architecture,
        "source": data.name, "input_range": input_range(x[train], features),
    })  # fmt: skip
    reference = reference_for_run(data, run)
    _write_json(run / "split.json", {
        "source": reference, "destination": reference, "target": target,
        "target_train": [int(i) for i in train], "target_validation": [int(i) for i in val],
        "target_test": [int(i) for i in test],
    })  # fmt: skip
    _write_json(run / "metrics.json", {
        "schema": "surrogate-metrics/1", "kind": "pretrain", "source": data.name,
        "target": target, "test": scores,
        "rows": {"train": len(train), "validation": len(val), "test": len(test)},
        "architecture": architecture, "synthetic": data.provenance.get("synthetic") is True,
        "provenance": {**provenance(), "reference": reference},
    })  # fmt: skip
    return architecture


def _write_json(path: Path, record: dict) -> None:
    path.write_text(json.dumps(record, indent=2, default=str))


def transfer_run(
    sides,
    *,
    splits: int = 5,
    epochs: int = 250,
    restarts: int = 3,
    seed: int = 0,
    hidden=None,
    members: int = 10,
    level: float = 0.9,
    runs="runs",
    progress: bool = False,
    workers=1,
) -> Run:
    """Evaluate the transfer of :class:`~surrogate.evaluation.sides.Sides` over ``splits``
    random splits (:func:`~surrogate.evaluation.evaluate.evaluate_transfer`) and write
    ``runs/<time>-transfer-<source>-to-<destination>-<target>/`` (:mod:`surrogate/README.md`).

    Raises
    ------
    ValueError
        Bad options (``splits``, ``members``, ``level``, ``epochs``...), too few rows.
    OSError
        When the run directory cannot be made (``runs`` is checked first, before any training:
        :func:`generator.check_output_folder`).
    """
    from generator import provenance
    from surrogate.evaluation.evaluate import evaluate_transfer
    from surrogate.evaluation.report import interval_sentence, table_markdown, write_transfer_run
    from surrogate.evaluation.rundir import new_run_dir

    check_output_folder(runs, what="runs folder")
    src, dst, target = sides.source, sides.destination, sides.target
    result = evaluate_transfer(
        src, dst, target, splits=splits, seed=seed, epochs=epochs, restarts=restarts,
        hidden=_widths(hidden), progress=progress, pretrained=sides.pretrained,
        members=members, level=level, source_target=sides.source_target,
        paired=sides.paired(), workers=workers,
    )  # fmt: skip
    run = new_run_dir(runs, "transfer", sides.source_name, dst.name, target)
    meta = sides.pretrained_meta
    if meta is not None:
        meta = {**meta, "run": os.path.relpath(Path(sides.source_path).resolve(), run.resolve())}
    record = {**provenance(), **_references(sides, run)}
    written = write_transfer_run(result, src, dst, run, record, pretrained_meta=meta)
    unit = (src or dst).units.get(target, "")
    lines = [table_markdown(written["methods"], target, unit, paper=written["paper"])]
    if result.intervals:
        lines.append(interval_sentence(result.intervals, result.architecture))
    return Run(run, result, [*lines, f"run directory: {run}"], list(written["warnings"]))


def curve_run(
    sides,
    *,
    sizes=(5, 10, 20, 40),
    repetitions: int = 10,
    level=None,
    epochs: int = 250,
    restarts: int = 3,
    seed: int = 0,
    hidden=None,
    runs="runs",
    progress: bool = False,
    workers=1,
) -> Run:
    """The learning curve of :class:`~surrogate.evaluation.sides.Sides`
    (:func:`~surrogate.evaluation.curves.learning_curve`) written to
    ``runs/<time>-curve-<source>-to-<destination>-<target>/``: ``curve.json``,
    ``learning_curve.png`` and ``report.md``. ``level`` is the MAPE (%) the savings sentence
    asks about (default: training from scratch's with every row); a second sentence says which
    of transfer and training from scratch does better with the fewest rows, or that they tie
    within the spread.

    Raises
    ------
    ValueError
        Bad sizes or repetitions, too few rows.
    OSError
        When the run directory cannot be made (``runs`` is checked first, before any training:
        :func:`generator.check_output_folder`).
    """
    from generator import provenance
    from surrogate.evaluation.curves import (
        cost_markdown,
        curve_markdown,
        default_level,
        learning_curve,
        plot_curve,
    )
    from surrogate.evaluation.rundir import new_run_dir

    check_output_folder(runs, what="runs folder")
    dst, target = sides.destination, sides.target
    result = learning_curve(
        sides.source, dst, target, sizes=sizes, repetitions=repetitions, seed=seed,
        epochs=epochs, restarts=restarts, hidden=_widths(hidden), pretrained=sides.pretrained,
        progress=progress, source_target=sides.source_target, paired=sides.paired(),
        workers=workers,
    )  # fmt: skip
    run = new_run_dir(runs, "curve", sides.source_name, dst.name, target)
    plot_curve(result, run / "learning_curve.png")
    sentence = f"{result.sentence(level)} {result.comparison(0)}"
    cost_sentence = result.cost_sentence(level)
    costs = cost_markdown(result, level)
    warning = result.baseline_warning()
    _write_json(run / "curve.json", {
        "schema": CURVE_SCHEMA, "source": result.source, "destination": result.destination,
        "target": target, "source_target": result.source_target, "sizes": result.sizes,
        "test_rows": result.test_rows, "pool_rows": result.pool_rows,
        "methods": result.table(), "mape_values": result.mape,
        "sentence": sentence, "cost_sentence": cost_sentence,
        "costs": {
            "kind": result.cost_kind, "level": default_level(result, level),
            "expensive_seconds": result.expensive_seconds,
            "cheap_seconds": result.cheap_seconds, "cheap_rows": result.cheap_rows,
            "to_reach": result.cost_table(default_level(result, level)),
        },
        "warnings": [warning] if warning else [],
        "provenance": {**provenance(), **_references(sides, run)},
    })  # fmt: skip
    text = curve_markdown(result)
    said = f"> **Warning:** {warning[0].upper()}{warning[1:]}.\n\n" if warning else ""
    targets = target if result.source_target == target else f"{result.source_target} -> {target}"
    (run / "report.md").write_text(
        f"# Learning curve {result.source} -> {dst.name}: {targets}\n\n{text}\n\n{sentence}\n\n"
        f"## Cost to reach the error\n\n{costs}\n\n{cost_sentence}\n\n"
        f"{said}![learning curve](learning_curve.png)\n"
    )
    lines = [text, sentence, costs, cost_sentence, f"run directory: {run}"]
    return Run(run, result, lines, [warning] if warning else [])


def explain_run(run, *, model: str | None = None) -> Run:
    """SHAP figures of a run's net again (``shap_<model>_one_prediction.png``,
    ``shap_<model>_beeswarm.png``), against the run's own training rows; ``model`` is
    ``transferred`` or ``pretrained`` (default: the first the run has).

    Raises
    ------
    ValueError
        Not a run directory, no such net, a dataset that no longer matches, too many inputs.
    OSError
        When the run's dataset cannot be read.
    """
    from surrogate.evaluation.figures import shap_figures
    from surrogate.evaluation.rundir import (
        RunFolderError,
        dataset_from_run,
        load_model,
        model_kind,
        read_split,
    )

    run = Path(run)
    model = model_kind(run, model)
    split = read_split(run)
    net, meta = load_model(run, model)
    features = meta["features"]
    try:
        data = dataset_from_run(split["destination"], run)
    except (ValueError, OSError) as err:
        kind = ValueError if isinstance(err, ValueError) else OSError
        raise kind(f"cannot load the dataset of {run}: {err}") from None
    if data.feature_names != features:
        raise ValueError(f"dataset inputs {data.feature_names} differ from the model's {features}")
    x, _ = data.arrays(split["target"])
    rows = split["target_train"] + split["target_test"]
    if rows and max(rows) >= len(x):
        raise RunFolderError(
            f"run folder {run}: split.json names row {max(rows)} of a dataset of {len(x)} rows"
        )
    if len(features) > 12:
        raise ValueError(f"{len(features)} inputs: exact SHAP enumerates 2^n coalitions (n <= 12)")
    files, error = shap_figures(
        net, x[split["target_train"]], x[split["target_test"]], features, run,
        prefix=f"shap_{model}",
    )  # fmt: skip
    lines = [f"wrote {path}" for path in files.values()]
    lines.append(f"SHAP additivity: max |sum + base - prediction| = {error:.2e}")
    return Run(run, error, lines)
