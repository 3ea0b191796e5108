"""A transfer run's report: the table a user reads first, the verdicts and caveats in words,
and :func:`write_transfer_run`, which writes the run directory (nets, split, figures,
``metrics.json`` and ``report.md``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from surrogate.evaluation.evaluate import METHODS, PAPER_TABLE_2, TransferResult
from surrogate.evaluation.rundir import (
    input_range,
    new_run_dir,
    reference_for_run,
    save_model,
    save_state,
)

__all__ = [
    "LABELS",
    "METRICS_SCHEMA",
    "hidden_text",
    "interval_sentence",
    "new_run_dir",  # where the workflows take it from
    "resolution_caveats",
    "table_markdown",
    "verdict_sentences",
    "write_transfer_run",
]

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


def hidden_text(architecture: dict) -> str:
    """Hidden layers as the paper writes them (``3 x 3``), or their widths (``8-8-4``)."""
    from surrogate.nets.models import architecture_of

    widths = architecture_of(architecture)
    if len(set(widths)) == 1:
        return f"{len(widths)} x {widths[0]}"
    return "-".join(str(w) for w in widths)


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
    from surrogate.evaluation.figures import shap_figures, transfer_figures

    metadata = _model_metadata(result, source, destination)
    _save_nets(result, source, destination, run, metadata, pretrained_meta)
    files = transfer_figures(result, source, destination, run)
    xd, _ = destination.arrays(result.target)
    train, test = result.first_split["target_train"], result.first_split["target_test"]
    shap_files, additivity = shap_figures(
        result.transferred, xd[train], xd[test], result.feature_names, run
    )
    files.update(shap_files)
    _write_split(result, source, destination, run)
    record = _metrics_record(result, source, destination, metadata["source"], additivity)
    record |= {"figures": {k: v.name for k, v in files.items()}, "provenance": provenance}
    (run / "metrics.json").write_text(json.dumps(record, indent=2))
    lines = _report_lines(result, source, destination, record, metadata["target_unit"])
    (run / "report.md").write_text("\n".join(lines) + "\n")
    return record


def _model_metadata(result: TransferResult, source, destination) -> dict:
    """What every saved net of the run records about its inputs, target and origin."""
    units = (source or destination).units
    return {
        "features": result.feature_names,
        "units": {k: units.get(k, "") for k in result.feature_names},
        "target": result.target,
        "target_unit": units.get(result.target, ""),
        "architecture": result.architecture,
        "source": source.name if source is not None else result.source,
        "destination": destination.name,
    }


def _save_nets(result, source, destination, run: Path, metadata: dict, pretrained_meta) -> None:
    """``pretrained``, ``transferred`` and (with one) ``transferred_ensemble`` ``.pt/.json``,
    each with the input range of the rows it was trained on."""
    xd, _ = destination.arrays(result.target)
    target_range = input_range(xd[result.first_split["target_train"]], metadata)
    if source is not None:
        xs, _ = source.arrays(result.target)
        pretrained_range = input_range(xs[result.first_split["source_train"]], metadata)
    else:
        pretrained_range = pretrained_meta["input_range"]
        metadata = {**metadata, "pretrained_run": pretrained_meta.get("run", "")}
    save_model(
        result.pretrained,
        run / "pretrained",
        {**metadata, "kind": "pretrained", "input_range": pretrained_range},
    )
    save_model(
        result.transferred,
        run / "transferred",
        {**metadata, "kind": "transferred", "input_range": target_range},
    )
    if result.ensemble is None:
        return
    from surrogate.estimators.ensemble import ensemble_state

    state, calibration = ensemble_state(result.ensemble)
    ensemble_meta = {
        **metadata,
        "kind": "transferred_ensemble",
        "input_range": target_range,
        "ensemble": calibration,
    }
    save_state(state, run / "transferred_ensemble", ensemble_meta)


def _write_split(result: TransferResult, source, destination, run: Path) -> None:
    """``split.json``: how to load both datasets again, and the first split's rows."""
    split = {
        "source": reference_for_run(source, run),
        "destination": reference_for_run(destination, run),
        "target": result.target,
        "target_train": [int(i) for i in result.first_split["target_train"]],
        "target_test": [int(i) for i in result.first_split["target_test"]],
    }
    (run / "split.json").write_text(json.dumps(split, indent=2))


def _metrics_record(result: TransferResult, source, destination, origin: str, additivity) -> dict:
    """``metrics.json`` (schema :data:`METRICS_SCHEMA`) up to its figures and provenance."""
    summary = result.summary()
    return {
        "schema": METRICS_SCHEMA,
        "source": origin,
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
    }


def _report_lines(result: TransferResult, source, destination, record: dict, unit: str) -> list:
    """``report.md``: what was run, how to read it, the table, the verdicts, the figures."""
    synthetic = any(
        data is not None and data.provenance.get("synthetic") is True
        for data in (source, destination)
    )
    rows, arch = result.split_rows, result.architecture
    return [
        f"# Transfer {record['source']} -> {destination.name}: {result.target}",
        "",
        "**Synthetic data: these are not experimental results.**" if synthetic else "",
        f"Test-set errors over {record['splits']} random 70/30 splits (mean ± std) of "
        f"{destination.name} ({rows.get('train', 0)} training, "
        f"{rows.get('validation', 0)} validation and {rows.get('test', 0)} test rows each). "
        f"Pretrained net: hidden layers {hidden_text(arch)} "
        f"({arch['trainable_pretrained']} trainable parameters); adapter "
        f"1 -> {arch['adapter_width']} -> 1 ({arch['trainable_adapter']}).",
        "",
        "How to read: MAPE is the mean of |predicted − true| / true over a split's test rows "
        "(%), MAE the mean of |predicted − true| in the target's unit, R² the coefficient of "
        "determination on the same rows; every method is fitted on the same training rows of "
        "each split and none sees its test rows. The verdicts come from a paired test over the "
        "splits (corrected resampled t-test, 5 %), not from comparing means.",
        "",
        *resolution_caveats(source, destination, result.target),
        table_markdown(record["methods"], result.target, unit),
        "",
        *verdict_sentences(record["methods"], rows),
        "",
        interval_sentence(result.intervals, arch),
        "",
        "![loss curves](loss_curves.png)",
        "![parity](parity.png)",
        "![target distributions](distributions.png)",
        "![SHAP, one test prediction](shap_one_prediction.png)",
        "![SHAP beeswarm](shap_beeswarm.png)",
        "",
        "SHAP additivity (sum of values + base value - prediction): max "
        f"{record['shap_additivity_max_error']:.2e}.",
    ]
