"""A run directory: metrics.json, the models, figures and report.md."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from surrogate.evaluation.evaluate import METHODS, PAPER_TABLE_2, TransferResult

METRICS_SCHEMA = "surrogate-metrics/1"
LABELS = {
    "pretrained_on_source": "pretrained, on source test",
    "pretrained_on_target": "pretrained, on target test",
    "transferred": "transferred (frozen + adapter)",
    "transferred_ensemble": "ensemble of transferred nets (mean)",
    "scratch": "same MLP, target only",
    "finetune_all": "pretrained, all layers fine-tuned",
    "pretrained_plus_offset": "baseline: pretrained + one offset on target",
    "quadratic_ridge_plus_offset": "baseline: quadratic ridge on source + one offset",
    "mean": "baseline: mean of target train",
    "linear": "baseline: linear regression",
    "quadratic_ridge": "baseline: quadratic ridge, target only",
    "random_forest": "baseline: random forest",
}

# What the GDL targets measure, for axis labels (any other target is named as it is).
TARGET_WORDS = {
    "tortuosity": "tortuosity τ (euclidean metric)",
    "tortuosity_lattice": "tortuosity τ (lattice metric)",
}


def new_run_dir(root, kind: str, *names: str) -> Path:
    """``runs/<UTC time>-<kind>-<name>-<name>.../``, created; each name reduced to letters,
    digits, ``-`` and ``_`` (a column like ``σ Mass Loading [mg/cm²]`` makes no odd folder)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    parts = [re.sub(r"[^A-Za-z0-9_-]+", "_", str(name)).strip("_") or "x" for name in names]
    path = Path(root) / "-".join([stamp, kind, *parts])
    path.mkdir(parents=True, exist_ok=False)
    return path


def save_model(model, path: Path, metadata: dict) -> None:
    """``<path>.pt`` (state_dict) and ``<path>.json`` (metadata: features, units, scalers...)."""
    torch.save(model.state_dict(), path.with_suffix(".pt"))
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=2))


def input_range(x: np.ndarray, metadata: dict) -> dict:
    """``{feature: [min, max]}`` of the rows a model was trained on (predict's bounds)."""
    return {
        name: [float(x[:, i].min()), float(x[:, i].max())]
        for i, name in enumerate(metadata["features"])
    }


def load_state(path: Path) -> dict:
    """A saved state_dict, loaded with ``weights_only=True`` (no code is unpickled)."""
    return torch.load(path.with_suffix(".pt"), weights_only=True)


def table_markdown(summary: dict, target: str, unit: str = "") -> str:
    """The evaluation table a user reads first (the paper's Table 2 beside it for the GDL
    tortuosity targets, the only ones it reports). ``unit`` is the target's (MAE is in it;
    dimensionless when empty or "1")."""
    paper_column = target.startswith("tortuosity")
    mae_unit = "dimensionless" if unit in ("", "1", "-") else unit
    head = f"| method | MAPE % (mean ± std) | MAE ({mae_unit}) | R² |" + (
        " paper MAPE % |" if paper_column else ""
    )
    lines = [head, "|---|---|---|---|" + ("---|" if paper_column else "")]
    for method in METHODS:
        if method not in summary:
            continue
        s = summary[method]
        paper = f" {PAPER_TABLE_2.get(method, '')} |" if paper_column else ""
        lines.append(
            f"| {LABELS[method]} | {s['mape']['mean']:.3f} ± {s['mape']['std']:.3f} | "
            f"{s['mae']['mean']:.4g} ± {s['mae']['std']:.2g} | "
            f"{s['r2']['mean']:.3f} ± {s['r2']['std']:.3f} |{paper}"
        )
    if paper_column:
        from generator.sweep.noise_floor import floor_sentence

        metric = "lattice" if target.endswith("lattice") else "euclidean"
        floor = floor_sentence(metric)
        if floor:
            lines += ["", floor]
    return "\n".join(lines)


def _figures(result: TransferResult, source, destination, run: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    from matplotlib.ticker import FuncFormatter

    curves = [name for name in ("pretrained", "transferred") if result.histories.get(name)]
    # Rows behind each curve: the target's from split_rows; the source's from its split.
    rows = {"transferred": (result.split_rows.get("train"), result.split_rows.get("validation"))}
    if source is not None and "source_train" in result.first_split:
        n_source = len(source.arrays(result.target)[0])
        s_train = len(result.first_split["source_train"])
        s_test = len(result.first_split.get("source_test", []))
        rows["pretrained"] = (s_train, n_source - s_train - s_test)
    fig, axes = plt.subplots(1, len(curves), figsize=(6 * len(curves), 4.4), layout="constrained")
    for ax, name in zip(np.atleast_1d(axes), curves, strict=True):
        h = result.histories[name]
        n_train, n_val = rows.get(name, (None, None))
        train, validation = 100 * np.array(h.train), 100 * np.array(h.validation)
        ax.plot(train, label=f"training rows (n={n_train})" if n_train else "training rows")
        ax.plot(validation, label=f"validation rows (n={n_val})" if n_val else "validation rows")
        kept = validation[h.best_epoch]
        ax.axvline(h.best_epoch, color="k", linestyle=":", label=f"kept epoch {h.best_epoch}")
        ax.plot(h.best_epoch, kept, "ko", markersize=5, label=f"kept validation MAPE {kept:.3g} %")
        ax.annotate(
            f"{kept:.3g} %",
            (h.best_epoch, kept),
            xytext=(5, -13),
            textcoords="offset points",
            fontsize=9,
        )
        ax.margins(y=0.12)  # room under the kept point for its label
        ax.set_xlabel("epoch")
        ax.set_ylabel("MAPE (%)")
        data = destination if name == "transferred" else source
        title = f"{name} net, {data.name} ({'target' if data is destination else 'source'}) data"
        if n_val is not None and n_val < 10:
            title += f"\nvalidation: {n_val} rows \N{EM DASH} noisy"
        ax.set_title(title, fontsize=11)
        both = np.concatenate([train, validation])
        both = both[np.isfinite(both) & (both > 0)]
        if len(both) and both.max() / both.min() > 10:  # log only over more than a decade
            ax.set_yscale("log")  # ticks as plain numbers (2, 5, 10, 20), not 2×10⁰
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(
                FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")
            )
        ax.legend(fontsize=9)
    files["loss_curves"] = run / "loss_curves.png"
    fig.savefig(files["loss_curves"], dpi=110)
    plt.close(fig)

    first = result.first_split
    fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
    y = first["target_true"]
    ax.scatter(y, first["pretrained_prediction"], marker="s", color="#c0392b", label="pretrained")
    ax.scatter(y, first["transferred_prediction"], marker="o", color="#2f6fce", label="transferred")
    if "ensemble_prediction" in first:
        mean = first["ensemble_prediction"]
        level = round(100 * result.architecture.get("interval_level", 0.9))
        ax.errorbar(
            y,
            mean,
            yerr=[mean - first["ensemble_low"], first["ensemble_high"] - mean],
            fmt="D",
            markersize=3,
            color="#27ae60",
            ecolor="#27ae60",
            alpha=0.7,
            capsize=2,
            label=f"ensemble mean, {level} % interval",
        )
    low, high = float(np.min(y)), float(np.max(y))
    pad = 0.05 * (high - low or 1)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], "k--", label="ideal")
    unit = destination.units.get(result.target, "")
    unit = "" if unit in ("", "1", "-") else f" ({unit})"
    quantity = TARGET_WORDS.get(result.target, result.target)
    ax.set_xlabel(f"true {quantity}{unit}, {destination.name} test rows")
    ax.set_ylabel(f"predicted {quantity}{unit}")
    ax.set_title(f"{destination.name} test set (split 1)")
    ax.legend()
    files["parity"] = run / "parity.png"
    fig.savefig(files["parity"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for data, colour in ((source, "#c0392b"), (destination, "#2f6fce")):
        if data is None:
            continue
        ax.hist(
            data.targets[result.target],
            bins=20,
            alpha=0.6,
            color=colour,
            density=True,
            label=f"{data.name} (n={len(data)})",
        )
    target_unit = destination.units.get(result.target, "")
    dimensionless = target_unit in ("", "1", "-")
    ax.set_xlabel(f"{result.target}" + ("" if dimensionless else f" ({target_unit})"))
    ax.set_ylabel("probability density" + ("" if dimensionless else f" (1/{target_unit})"))
    ax.set_title(f"{result.target} of both datasets (histograms, each of area 1)")
    ax.legend()
    files["distributions"] = run / "distributions.png"
    fig.savefig(files["distributions"], dpi=110)
    plt.close(fig)
    return files


def shap_figures(
    model,
    x_background,
    x_test,
    feature_names,
    run: Path,
    prefix="shap",
    *,
    target: str | None = None,
    unit: str | None = None,
    units: dict | None = None,
):
    """SHAP waterfall of one test prediction and a beeswarm of the test set.

    ``target``, ``unit`` (the target's) and ``units`` (the inputs') label the axes; when not
    given they are read from the model metadata already in ``run`` (``<model>.json``, else
    ``transferred.json`` or ``pretrained.json``). Bars are labelled to 3 significant digits.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from surrogate.evaluation.explain import (
        additivity_error,
        explain,
        plot_beeswarm,
        plot_waterfall,
    )

    meta = {}
    for name in (prefix.removeprefix("shap_"), "transferred", "pretrained"):
        if (run / f"{name}.json").is_file():
            meta = json.loads((run / f"{name}.json").read_text())
            break
    target = target or meta.get("target") or "prediction"
    unit = meta.get("target_unit", "") if unit is None else unit
    units = meta.get("units", {}) if units is None else units
    explanation = explain(model, x_background, x_test, feature_names)
    error = additivity_error(model, explanation, x_test)
    files = {}
    fig = plot_waterfall(
        explanation[0],
        target=target,
        unit=unit,
        units=units,
        background=f"over {len(x_background)} background rows",
    )
    files["shap_one"] = run / f"{prefix}_one_prediction.png"
    fig.savefig(files["shap_one"], dpi=110, bbox_inches="tight")
    plt.close("all")
    fig = plot_beeswarm(explanation, target=target, unit=unit)
    files["shap_beeswarm"] = run / f"{prefix}_beeswarm.png"
    fig.savefig(files["shap_beeswarm"], dpi=110, bbox_inches="tight")
    plt.close("all")
    return files, error


def hidden_text(architecture: dict) -> str:
    """Hidden layers as the paper writes them (``3 x 3``), or their widths (``8-8-4``)."""
    from surrogate.nets.models import architecture_of

    widths = architecture_of(architecture)
    if len(set(widths)) == 1:
        return f"{len(widths)} x {widths[0]}"
    return "-".join(str(w) for w in widths)


# Keys of a dataset reference that hold paths (stored relative to the run directory).
_PATH_KEYS = ("dataset", "table", "columns")


def run_relative(dataset: str, run: Path) -> str:
    """A dataset reference for a run file: a registry name as it is, a path relative to the
    run directory (so the run can be moved with its data and never records install paths)."""
    from surrogate.data.registry import is_registry_name

    if not dataset or is_registry_name(dataset):
        return dataset
    return os.path.relpath(Path(dataset).resolve(), run.resolve())


def resolve_run_dataset(dataset: str, run: Path) -> str:
    """Inverse of :func:`run_relative`: a name, or the path relative to the run directory."""
    from surrogate.data.registry import is_registry_name

    if not dataset or is_registry_name(dataset):
        return dataset
    return str(Path(run) / dataset)


def reference_for_run(data, run: Path) -> dict:
    """How to load ``data`` again (:func:`dataset_from_run`), with paths relative to ``run``."""
    reference = dict(data.provenance.get("reference") or {})
    reference.setdefault("dataset", data.provenance.get("file", data.name))
    for key in _PATH_KEYS:
        if reference.get(key):
            reference[key] = run_relative(str(reference[key]), run)
    return reference


def dataset_from_run(reference, run: Path):
    """The dataset a run used, from its ``split.json`` reference (a dict, or the name or
    run-relative path older runs stored)."""
    from surrogate.data.registry import load_dataset

    if isinstance(reference, str):
        reference = {"dataset": reference}
    resolved = {
        key: resolve_run_dataset(str(reference[key]), run) if reference.get(key) else None
        for key in _PATH_KEYS
    }
    return load_dataset(
        resolved["dataset"],
        spec=reference.get("spec"),
        table=resolved["table"],
        columns=resolved["columns"],
        drop_invalid=bool(reference.get("drop_invalid", False)),
    )


def verdict_sentences(summary: dict, split_rows: dict) -> list[str]:
    """What the transfer achieved, in words that follow from a paired test over the splits.

    The transferred net against the best baseline (lowest mean test MAPE), against the same MLP
    trained on the target alone, and against the pretrained net used as it is. "beats" only
    when :func:`surrogate.evaluation.compare.compare` rejects equality (corrected resampled t-test,
    5 %),
    "ties with" otherwise, "loses to" when it is significantly worse.
    """
    from surrogate.estimators.methods import BASELINES
    from surrogate.evaluation.compare import compare

    if "transferred" not in summary:
        return []
    n_train = int(split_rows.get("train", 0)) + int(split_rows.get("validation", 0))
    n_test = int(split_rows.get("test", 0))
    mine = summary["transferred"]["mape"]
    present = [m for m in BASELINES if m in summary]
    rivals = []
    if present:
        best = min(present, key=lambda m: summary[m]["mape"]["mean"])
        rivals.append((best, f"the best baseline, {LABELS[best].removeprefix('baseline: ')},"))
    for method, words in (
        ("scratch", "the same MLP trained on the target alone"),
        ("pretrained_on_target", "the pretrained net used as it is"),
    ):
        if method in summary:
            rivals.append((method, words))
    lines = []
    for method, words in rivals:
        theirs = summary[method]["mape"]
        verdict = compare(mine["values"], theirs["values"], n_train=max(n_train, 1),
                          n_test=max(n_test, 1))  # fmt: skip
        lines.append(
            f"- The transferred net ({mine['mean']:.3f} ± {mine['std']:.3f} % MAPE) "
            f"**{verdict.phrase()}** {words} ({theirs['mean']:.3f} ± {theirs['std']:.3f} %): "
            f"{verdict.evidence()}."
        )
    return lines


def resolution_caveats(source, destination, target: str) -> list[str]:
    """Caveats when the two sweep datasets differ in voxel size, or when GDL results at
    another resolution than the paper's 1 µm stand beside the paper's Table 2."""
    voxels = {
        data.name: data.provenance.get("voxel_um")
        for data in (source, destination)
        if data is not None and data.provenance.get("voxel_um") is not None
    }
    lines = []
    if len(set(voxels.values())) > 1:
        text = " and ".join(f"{name} at {v:g} µm" for name, v in voxels.items())
        lines += [
            f"> **Caveat:** the datasets differ in voxel size ({text}): the transfer bridges a "
            "change of resolution as well as of domain.",
            "",
        ]
    if target.startswith("tortuosity") and any(v != 1.0 for v in voxels.values()):
        lines += [
            "> **Caveat:** not at the paper's 1 µm voxels; the paper column is a reference "
            "from GeoDict structures, not comparable with these numbers.",
            "",
        ]
    return lines


def interval_sentence(intervals: dict, architecture: dict) -> str:
    """How often the ensemble's intervals held the truth on the test rows, over the splits."""
    if not intervals.get("coverage"):
        return ""
    level = 100 * architecture.get("interval_level", 0.9)
    coverage, raw = np.array(intervals["coverage"]), np.array(intervals["coverage_raw"])
    width = np.array(intervals["width"])
    unbounded = int(np.sum(~np.isfinite(width)))
    width_text = (
        f"a mean width of {np.mean(width[np.isfinite(width)]):.2g} % of the value"
        if unbounded < len(width)
        else "no finite width"
    )
    if unbounded:
        width_text += (
            f" ({unbounded} of {len(width)} splits had too few out-of-bag rows for a "
            f"{level:.0f} % interval: unbounded there)"
        )
    return (
        f"Uncertainty: an ensemble of {architecture['ensemble_members']} transferred nets "
        f"(bootstrap resamples of the training rows, own seeds) gives each prediction a "
        f"{level:.0f} % interval, calibrated by split-conformal scaling of the members' spread on "
        f"the out-of-bag training rows. On the test rows the intervals held the true value "
        f"{coverage.mean():.1f} ± {coverage.std():.1f} % of the time over {len(coverage)} splits "
        f"(goal: about {level:.0f} %; the uncalibrated interval, the members' mean ± the normal "
        f"{level:.0f} % quantile times their standard deviation, held it {raw.mean():.1f} % of "
        f"the time), with {width_text}."
    )


def write_transfer_run(
    result: TransferResult,
    source,
    destination,
    run: Path,
    provenance: dict,
    *,
    pretrained_meta=None,
) -> dict:
    """Everything of a transfer run into ``run``; returns the metrics dictionary.

    ``source`` is None when the pretrained net came from an earlier run; ``pretrained_meta``
    is then that run's ``pretrained.json`` (its input range and origin are kept).
    """
    summary = result.summary()
    units = (source or destination).units
    metadata = {
        "features": result.feature_names,
        "units": {k: units.get(k, "") for k in result.feature_names},
        "target": result.target,
        "target_unit": units.get(result.target, ""),
        "architecture": result.architecture,
        "source": source.name if source is not None else result.source,
        "destination": destination.name,
    }
    xd, _ = destination.arrays(result.target)
    target_train = xd[result.first_split["target_train"]]
    if source is not None:
        xs, _ = source.arrays(result.target)
        pretrained_range = input_range(xs[result.first_split["source_train"]], metadata)
    else:
        pretrained_range = pretrained_meta["input_range"]
        metadata["pretrained_run"] = pretrained_meta.get("run", "")
    save_model(
        result.pretrained,
        run / "pretrained",
        {**metadata, "kind": "pretrained", "input_range": pretrained_range},
    )
    save_model(
        result.transferred,
        run / "transferred",
        {**metadata, "kind": "transferred", "input_range": input_range(target_train, metadata)},
    )
    if result.ensemble is not None:
        from surrogate.estimators.ensemble import ensemble_state

        state, calibration = ensemble_state(result.ensemble)
        torch.save(state, run / "transferred_ensemble.pt")
        (run / "transferred_ensemble.json").write_text(
            json.dumps(
                {
                    **metadata,
                    "kind": "transferred_ensemble",
                    "input_range": input_range(target_train, metadata),
                    "ensemble": calibration,
                },
                indent=2,
            )
        )
    files = _figures(result, source, destination, run)
    test = result.first_split["target_test"]
    train = result.first_split["target_train"]
    shap_files, additivity = shap_figures(
        result.transferred, xd[train], xd[test], result.feature_names, run
    )
    files.update(shap_files)
    (run / "split.json").write_text(
        json.dumps(
            {
                "source": reference_for_run(source, run) if source is not None else None,
                "destination": reference_for_run(destination, run),
                "target": result.target,
                "target_train": [int(i) for i in train],
                "target_test": [int(i) for i in test],
            },
            indent=2,
        )
    )
    record = {
        "schema": METRICS_SCHEMA,
        "source": metadata["source"],
        "destination": destination.name,
        "target": result.target,
        "splits": len(next(iter(summary.values()))["mape"]["values"]),
        "methods": summary,
        "intervals": {
            name: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": list(v)}
            for name, v in result.intervals.items()
        },
        "architecture": result.architecture,
        "paper_table_2_mape_percent": PAPER_TABLE_2,
        "shap_additivity_max_error": additivity,
        "rows": {
            "source": len(source) if source is not None else None,
            "destination": len(destination),
            "per_split": result.split_rows,
        },
        "figures": {k: v.name for k, v in files.items()},
        "provenance": provenance,
    }
    (run / "metrics.json").write_text(json.dumps(record, indent=2))
    synthetic = any(
        data is not None and data.provenance.get("synthetic") is True
        for data in (source, destination)
    )
    report = [
        f"# Transfer {metadata['source']} -> {destination.name}: {result.target}",
        "",
        "**Synthetic data: these are not experimental results.**" if synthetic else "",
        f"Test-set errors over {record['splits']} random 70/30 splits (mean ± std) of "
        f"{destination.name} ({result.split_rows.get('train', 0)} training, "
        f"{result.split_rows.get('validation', 0)} validation and "
        f"{result.split_rows.get('test', 0)} test rows each). "
        f"Pretrained net: hidden layers {hidden_text(result.architecture)} "
        f"({result.architecture['trainable_pretrained']} trainable parameters); adapter "
        f"1 -> {result.architecture['adapter_width']} -> 1 "
        f"({result.architecture['trainable_adapter']}).",
        "",
        "How to read: MAPE is the mean of |predicted − true| / true over a split's test rows "
        "(%), MAE the mean of |predicted − true| in the target's unit, R² the coefficient of "
        "determination on the same rows; every method is fitted on the same training rows of "
        "each split and none sees its test rows. The verdicts come from a paired test over the "
        "splits (corrected resampled t-test, 5 %), not from comparing means.",
        "",
        *resolution_caveats(source, destination, result.target),
        table_markdown(summary, result.target, metadata["target_unit"]),
        "",
        *verdict_sentences(summary, result.split_rows),
        "",
        interval_sentence(result.intervals, result.architecture),
        "",
        "![loss curves](loss_curves.png)",
        "![parity](parity.png)",
        "![target distributions](distributions.png)",
        "![SHAP, one test prediction](shap_one_prediction.png)",
        "![SHAP beeswarm](shap_beeswarm.png)",
        "",
        f"SHAP additivity (sum of values + base value - prediction): max {additivity:.2e}.",
    ]
    (run / "report.md").write_text("\n".join(line for line in report) + "\n")
    return record
