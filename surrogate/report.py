"""A run directory: metrics.json, the models, figures and report.md."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from surrogate.evaluate import METHODS, PAPER_TABLE_2, TransferResult

METRICS_SCHEMA = "surrogate-metrics/1"
LABELS = {
    "pretrained_on_source": "pretrained, on source test",
    "pretrained_on_target": "pretrained, on target test",
    "transferred": "transferred (frozen + adapter)",
    "scratch": "same MLP, target only",
    "finetune_all": "pretrained, all layers fine-tuned",
    "pretrained_plus_offset": "baseline: pretrained + one offset on target",
    "quadratic_ridge_plus_offset": "baseline: quadratic ridge on source + one offset",
    "mean": "baseline: mean of target train",
    "linear": "baseline: linear regression",
    "quadratic_ridge": "baseline: quadratic ridge, target only",
    "random_forest": "baseline: random forest",
}


def new_run_dir(root, kind: str, source: str, destination: str, target: str) -> Path:
    """``runs/<UTC time>-<kind>-<source>-<destination>-<target>/``, created."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = Path(root) / f"{stamp}-{kind}-{source}-{destination}-{target}"
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


def table_markdown(summary: dict, target: str) -> str:
    """The evaluation table a user reads first."""
    lines = ["| method | MAPE % (mean ± std) | MAE | R² | paper MAPE % |", "|---|---|---|---|---|"]
    for method in METHODS:
        if method not in summary:
            continue
        s = summary[method]
        paper = PAPER_TABLE_2.get(method, "") if target.startswith("tortuosity") else ""
        lines.append(
            f"| {LABELS[method]} | {s['mape']['mean']:.3f} ± {s['mape']['std']:.3f} | "
            f"{s['mae']['mean']:.4g} ± {s['mae']['std']:.2g} | "
            f"{s['r2']['mean']:.3f} ± {s['r2']['std']:.3f} | {paper} |"
        )
    if target.startswith("tortuosity"):
        from generator.noise_floor import floor_sentence

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
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for ax, name in zip(axes, ("pretrained", "transferred"), strict=True):
        h = result.histories[name]
        ax.plot(100 * np.array(h.train), label="training")
        ax.plot(100 * np.array(h.validation), label="validation")
        ax.axvline(h.best_epoch, color="k", linestyle=":", label="kept epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel("MAPE (%)")
        ax.set_title(f"{name} ({'source' if name == 'pretrained' else 'target'} data)")
        ax.set_yscale("log")
        ax.legend()
    files["loss_curves"] = run / "loss_curves.png"
    fig.savefig(files["loss_curves"], dpi=110)
    plt.close(fig)

    first = result.first_split
    fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
    y = first["target_true"]
    ax.scatter(y, first["pretrained_prediction"], marker="s", color="#c0392b", label="pretrained")
    ax.scatter(y, first["transferred_prediction"], marker="o", color="#2f6fce", label="transferred")
    low, high = float(np.min(y)), float(np.max(y))
    pad = 0.05 * (high - low or 1)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], "k--", label="ideal")
    ax.set_xlabel(f"{result.target}, target test set")
    ax.set_ylabel("prediction")
    ax.set_title(f"{destination.name} test set (split 1)")
    ax.legend()
    files["parity"] = run / "parity.png"
    fig.savefig(files["parity"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for data, colour in ((source, "#c0392b"), (destination, "#2f6fce")):
        ax.hist(
            data.targets[result.target],
            bins=20,
            alpha=0.6,
            color=colour,
            density=True,
            label=f"{data.name} (n={len(data)})",
        )
    ax.set_xlabel(result.target)
    ax.set_ylabel("density")
    ax.legend()
    files["distributions"] = run / "distributions.png"
    fig.savefig(files["distributions"], dpi=110)
    plt.close(fig)
    return files


def shap_figures(model, x_background, x_test, feature_names, run: Path, prefix="shap"):
    """SHAP force-style (waterfall) plot of one test prediction and a beeswarm of the test set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    from surrogate.explain import additivity_error, explain

    explanation = explain(model, x_background, x_test, feature_names)
    error = additivity_error(model, explanation, x_test)
    files = {}
    plt.figure()
    shap.plots.waterfall(explanation[0], show=False)
    files["shap_one"] = run / f"{prefix}_one_prediction.png"
    plt.savefig(files["shap_one"], dpi=110, bbox_inches="tight")
    plt.close("all")
    plt.figure()
    shap.plots.beeswarm(explanation, show=False)
    files["shap_beeswarm"] = run / f"{prefix}_beeswarm.png"
    plt.savefig(files["shap_beeswarm"], dpi=110, bbox_inches="tight")
    plt.close("all")
    return files, error


def run_relative(dataset: str, run: Path) -> str:
    """A dataset reference for a run file: a registry name as it is, a path relative to the
    run directory (so the run can be moved with its data and never records install paths)."""
    from surrogate.datasets import REGISTRY
    from surrogate.electrodes import NAMES

    if dataset in REGISTRY or dataset in NAMES or not Path(dataset).suffix:
        return dataset
    return os.path.relpath(Path(dataset).resolve(), run.resolve())


def resolve_run_dataset(dataset: str, run: Path) -> str:
    """Inverse of :func:`run_relative`: a name, or the path relative to the run directory."""
    from surrogate.datasets import REGISTRY
    from surrogate.electrodes import NAMES

    if dataset in REGISTRY or dataset in NAMES or not Path(dataset).suffix:
        return dataset
    return str(Path(run) / dataset)


def write_transfer_run(
    result: TransferResult, source, destination, run: Path, provenance: dict
) -> dict:
    """Everything of a transfer run into ``run``; returns the metrics dictionary."""
    summary = result.summary()
    metadata = {
        "features": result.feature_names,
        "units": {k: source.units.get(k, "") for k in result.feature_names},
        "target": result.target,
        "target_unit": source.units.get(result.target, ""),
        "architecture": result.architecture,
        "source": source.name,
        "destination": destination.name,
    }
    xs, _ = source.arrays(result.target)
    xd, _ = destination.arrays(result.target)
    source_train = xs[result.first_split["source_train"]]
    target_train = xd[result.first_split["target_train"]]
    save_model(
        result.pretrained,
        run / "pretrained",
        {**metadata, "kind": "pretrained", "input_range": input_range(source_train, metadata)},
    )
    save_model(
        result.transferred,
        run / "transferred",
        {**metadata, "kind": "transferred", "input_range": input_range(target_train, metadata)},
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
                "source": run_relative(source.provenance.get("file", source.name), run),
                "destination": run_relative(
                    destination.provenance.get("file", destination.name), run
                ),
                "target": result.target,
                "target_train": [int(i) for i in train],
                "target_test": [int(i) for i in test],
            },
            indent=2,
        )
    )
    record = {
        "schema": METRICS_SCHEMA,
        "source": source.name,
        "destination": destination.name,
        "target": result.target,
        "splits": len(next(iter(summary.values()))["mape"]["values"]),
        "methods": summary,
        "architecture": result.architecture,
        "paper_table_2_mape_percent": PAPER_TABLE_2,
        "shap_additivity_max_error": additivity,
        "rows": {"source": len(source), "destination": len(destination)},
        "figures": {k: v.name for k, v in files.items()},
        "provenance": provenance,
    }
    (run / "metrics.json").write_text(json.dumps(record, indent=2))
    best_baseline = min(
        ("mean", "linear", "random_forest"), key=lambda m: summary[m]["mape"]["mean"]
    )
    beats = summary["transferred"]["mape"]["mean"] < summary[best_baseline]["mape"]["mean"]
    synthetic = any("synthetic" in str(v).lower() for v in provenance.values())
    report = [
        f"# Transfer {source.name} -> {destination.name}: {result.target}",
        "",
        "**Synthetic data: these are not experimental results.**" if synthetic else "",
        f"Test-set errors over {record['splits']} random 70/30 splits (mean ± std). "
        f"Pretrained net: {result.architecture['layers']} x {result.architecture['width']} "
        f"({result.architecture['trainable_pretrained']} trainable parameters); adapter "
        f"1 -> {result.architecture['adapter_width']} -> 1 "
        f"({result.architecture['trainable_adapter']}).",
        "",
        table_markdown(summary, result.target),
        "",
        f"The transferred net {'beats' if beats else 'does NOT beat'} the best baseline "
        f"({LABELS[best_baseline]}: {summary[best_baseline]['mape']['mean']:.3f} % MAPE).",
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
