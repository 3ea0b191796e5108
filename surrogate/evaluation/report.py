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
    "baseline_warning",
    "hidden_text",
    "interval_sentence",
    "mae_label",
    "new_run_dir",  # where the workflows take it from
    "paper_reference",
    "plus_minus",
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
    "linear_correction": "baseline: linear correction (a + b × pretrained)",
    "stacking": "baseline: stacking (same MLP, pretrained's prediction as an input)",
    "cheap_value_input": "baseline: same MLP, paired cheap value as an input",
    "quadratic_ridge_plus_offset": "baseline: quadratic ridge on source + one offset",
    "mean": "baseline: mean of target train",
    "linear": "baseline: linear regression",
    "quadratic_ridge": "baseline: quadratic ridge, target only",
    "random_forest": "baseline: random forest",
}


# The methods of the paper's Table 1 tuples, in their order.
_TABLE_1_METHODS = ("pretrained_on_source", "pretrained_on_target", "transferred")
# table_markdown's default: decide the paper column by the target's name, for callers that know
# they evaluate the paper's GDL sweeps (the study); others pass paper= (paper_reference).
_BY_TARGET = object()


def paper_reference(source, destination, target: str, *, pretrained_meta=None) -> dict | None:
    """The paper's numbers for this run, or None when the run is not the paper's dataset.

    The paper reports test MAPE for two settings only: GDL tortuosity from the ``200`` domain
    to the ``1000`` domain on the five design inputs (Table 2), and electrodes from graphite to
    Si-graphite or NMC, for density and mass loading (Table 1). A lab's own table, another
    target or another pair of datasets gets no paper column.

    Parameters
    ----------
    source, destination : TableDataset
        ``source`` None when the pretrained net came from a run (``pretrained_meta`` then
        names its source).
    target : str
    pretrained_meta : dict, optional

    Returns
    -------
    dict or None
        ``{"table": "Table 2", "mape_percent": {method: value}}``.

    Examples
    --------
    >>> from surrogate.data import from_frame
    >>> import pandas as pd
    >>> lab = from_frame("lab", pd.DataFrame({"a": [1.0], "y": [2.0]}), ["a"], ["y"])
    >>> paper_reference(lab, lab, "y") is None
    True
    """
    from generator.paper import TABLE_1_MAPE
    from surrogate._shared import ELECTRODE_TARGETS, GDL_DATASETS, GDL_GEOMETRIC_TARGETS
    from surrogate.data.registry import GDL_INPUTS

    def domain(data):
        meta = data.provenance
        if "model_version" not in meta or list(data.feature_names) != list(GDL_INPUTS):
            return None  # not a generator sweep on the design inputs
        return str(meta.get("domain"))

    def preset(data):
        return (data.provenance.get("reference") or {}).get("dataset")

    if target in GDL_GEOMETRIC_TARGETS and domain(destination) == "1000":
        from_200 = (
            domain(source) == "200"
            if source is not None
            else (pretrained_meta or {}).get("source") == GDL_DATASETS[0]
        )
        if from_200:
            return {"table": "Table 2", "mape_percent": dict(PAPER_TABLE_2)}
    if target in ELECTRODE_TARGETS and source is not None and preset(source) == "graphite":
        values = TABLE_1_MAPE.get((preset(destination), target))
        if values is not None:
            return {
                "table": "Table 1",
                "mape_percent": dict(zip(_TABLE_1_METHODS, values, strict=True)),
            }
    return None


def plus_minus(mean: float, std: float, digits: str = ".3f", std_digits: str | None = None) -> str:
    """``mean ± std`` as a report writes it; a spread that is zero to rounding reads ``± 0``
    (not ``± 1.1e-16``).

    Examples
    --------
    >>> from surrogate.evaluation.report import plus_minus
    >>> plus_minus(2.5, 0.25), plus_minus(1.0, 1.1e-16, ".4g", ".2g")
    ('2.500 ± 0.250', '1 ± 0')
    """
    std_digits = std_digits or digits
    if not np.isfinite(std) or abs(std) <= 1e-9 * max(abs(mean), 1e-300):
        spread = "0" if np.isfinite(std) else f"{std}"
    else:
        spread = f"{std:{std_digits}}"
    return f"{mean:{digits}} ± {spread}"


def mae_label(unit: str) -> str:
    """The MAE column's unit: the target's, ``dimensionless`` for "1" or "-", and
    ``target's unit`` when the table names none."""
    if unit in ("1", "-"):
        return "dimensionless"
    return unit or "target's unit"


def table_markdown(summary: dict, target: str, unit: str = "", *, paper=_BY_TARGET) -> str:
    """The evaluation table a user reads first: MAPE in %, MAE in the target's ``unit``
    (:func:`mae_label`), R², and the paper's numbers beside them when the run is the paper's
    dataset.

    Parameters
    ----------
    summary : dict
        ``TransferResult.summary()``.
    target, unit : str
    paper : dict or None
        :func:`paper_reference` of the run (None: no paper column). By default the column of
        Table 2 for the GDL tortuosity targets (for callers that know they evaluate the
        paper's GDL sweeps). With Table 2, the generator's noise floor is added under it.
    """
    if paper is _BY_TARGET:
        paper = (
            {"table": "Table 2", "mape_percent": dict(PAPER_TABLE_2)}
            if target.startswith("tortuosity")
            else None
        )
    values = paper["mape_percent"] if paper else {}
    head = f"| method | MAPE % (mean ± std) | MAE ({mae_label(unit)}) | R² |" + (
        f" paper MAPE % ({paper['table']}) |" if paper else ""
    )
    lines = [head, "|---|---|---|---|" + ("---|" if paper else "")]
    for method in METHODS:
        if method not in summary:
            continue
        s = summary[method]
        reference = f" {values.get(method, '')} |" if paper else ""
        lines.append(
            f"| {LABELS[method]} | {plus_minus(s['mape']['mean'], s['mape']['std'])} | "
            f"{plus_minus(s['mae']['mean'], s['mae']['std'], '.4g', '.2g')} | "
            f"{plus_minus(s['r2']['mean'], s['r2']['std'])} |{reference}"
        )
    if paper and paper["table"] == "Table 2":
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
            f"- The transferred net ({plus_minus(mine['mean'], mine['std'])} % MAPE) "
            f"**{verdict.phrase()}** {words} ({plus_minus(theirs['mean'], theirs['std'])} %): "
            f"{verdict.evidence()}."
        )
    return lines


def baseline_warning(summary: dict) -> str | None:
    """A warning when the transferred net's test MAPE is worse than the best baseline's by
    more than the spread of that difference over the splits, else None.

    The spread is the standard deviation (ddof 1) of the per-split differences; with one
    split there is none, and any worse mean warns.

    Examples
    --------
    >>> from surrogate.evaluation.report import baseline_warning
    >>> def scores(*values):
    ...     return {"mape": {"mean": sum(values) / len(values), "std": 0.0, "values": values}}
    >>> summary = {"transferred": scores(30.0, 34.0, 32.0), "linear": scores(8.0, 7.0, 9.0)}
    >>> print(baseline_warning(summary))  # doctest: +NORMALIZE_WHITESPACE
    the transferred net (32 % MAPE) is worse than the best baseline, linear regression
    (8 %), by 24 percentage points, more than the spread of that difference over 3 splits
    (± 2.6): the baseline is better here; use it
    >>> baseline_warning({**summary, "linear": scores(31.0, 33.0, 33.0)}) is None
    True
    """
    from surrogate.estimators.methods import BASELINES

    present = [m for m in BASELINES if m in summary]
    if "transferred" not in summary or not present:
        return None
    best = min(present, key=lambda m: summary[m]["mape"]["mean"])
    mine, theirs = summary["transferred"]["mape"], summary[best]["mape"]
    differences = np.asarray(mine["values"], float) - np.asarray(theirs["values"], float)
    gap = float(differences.mean())
    spread = float(differences.std(ddof=1)) if len(differences) > 1 else 0.0
    if not gap > spread:
        return None
    over = (
        f"more than the spread of that difference over {len(differences)} splits (± {spread:.2g})"
        if len(differences) > 1
        else "in the one split (no spread measured)"
    )
    return (
        f"the transferred net ({mine['mean']:.3g} % MAPE) is worse than the best baseline, "
        f"{LABELS[best].removeprefix('baseline: ')} ({theirs['mean']:.3g} %), by {gap:.2g} "
        f"percentage points, {over}: the baseline is better here; use it"
    )


def resolution_caveats(source, destination, target: str, *, paper: bool = True) -> list[str]:
    """Caveats when the two sweep datasets differ in voxel size, or when GDL results at
    another resolution than the paper's 1 µm stand beside the paper's Table 2 (``paper``:
    whether the report shows it)."""
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
    if paper and target.startswith("tortuosity") and any(v != 1.0 for v in voxels.values()):
        lines += [
            "> **Caveat:** not at the paper's 1 µm voxels; the paper column is a reference "
            "from GeoDict structures, not comparable with these numbers.",
            "",
        ]
    return lines


def _percent(value: float) -> str:
    """A percentage with the digits it deserves: ``270``, ``27``, ``2.7``, ``0.27``."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def interval_sentence(intervals: dict, architecture: dict) -> str:
    """How often the ensemble's intervals held the truth on the test rows, over the splits."""
    if not intervals.get("coverage"):
        return ""
    level = 100 * architecture.get("interval_level", 0.9)
    coverage, raw = np.array(intervals["coverage"]), np.array(intervals["coverage_raw"])
    width = np.array(intervals["width"])
    unbounded = int(np.sum(~np.isfinite(width)))
    width_text = (
        f"a mean width of {_percent(np.mean(width[np.isfinite(width)]))} % of the value"
        if unbounded < len(width)
        else "no finite width"
    )
    clipped = float(np.mean(intervals.get("clipped") or [0.0]))
    if clipped > 0:
        width_text += (
            f"; on {_percent(clipped)} % of the test rows the interval reached below 0 and its "
            "lower bound is clipped at 0 (the target is positive; the members disagree widely "
            "there)"
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
        f"{plus_minus(coverage.mean(), coverage.std(), '.1f')} % of the time over "
        f"{len(coverage)} splits "
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

    metadata = _model_metadata(result, source, destination, pretrained_meta)
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
    paper = paper_reference(source, destination, result.target, pretrained_meta=pretrained_meta)
    warning = baseline_warning(record["methods"])
    record |= {
        "paper": paper,
        "warnings": [warning] if warning else [],
        "figures": {k: v.name for k, v in files.items()},
        "provenance": provenance,
    }
    (run / "metrics.json").write_text(json.dumps(record, indent=2))
    lines = _report_lines(result, source, destination, record, metadata["target_unit"])
    (run / "report.md").write_text("\n".join(lines) + "\n")
    return record


def _model_metadata(result: TransferResult, source, destination, pretrained_meta=None) -> dict:
    """What every saved net of the run records about its inputs, target and origin (a saved
    net's origin: the dataset it was pretrained on, as its run recorded it)."""
    units = (source or destination).units
    origin = source.name if source is not None else result.source
    if source is None and (pretrained_meta or {}).get("source"):
        origin = str(pretrained_meta["source"])
    return {
        "features": result.feature_names,
        "units": {k: units.get(k, "") for k in result.feature_names},
        "target": result.target,
        "target_unit": units.get(result.target, ""),
        "architecture": result.architecture,
        "source": origin,
        "destination": destination.name,
    }


def _save_nets(result, source, destination, run: Path, metadata: dict, pretrained_meta) -> None:
    """``pretrained``, ``transferred`` and (with one) ``transferred_ensemble`` ``.pt/.json``,
    each with the input range of the rows it was trained on."""
    xd, _ = destination.arrays(result.target)
    target_range = input_range(xd[result.first_split["target_train"]], metadata)
    if source is not None:
        xs, _ = source.arrays(result.source_target)
        pretrained_range = input_range(xs[result.first_split["source_train"]], metadata)
    else:
        pretrained_range = pretrained_meta["input_range"]
        metadata = {**metadata, "pretrained_run": pretrained_meta.get("run", "")}
    # The pretrained net learned the source's column (the cheap one when they differ).
    pretrained_target = result.source_target or result.target
    save_model(
        result.pretrained,
        run / "pretrained",
        {
            **metadata,
            "kind": "pretrained",
            "input_range": pretrained_range,
            "target": pretrained_target,
            "target_unit": (source or destination).units.get(pretrained_target, ""),
        },
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
        "source_target": result.source_target or result.target,
        "splits": len(next(iter(summary.values()))["mape"]["values"]),
        "methods": summary,
        "intervals": {
            name: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": list(v)}
            for name, v in result.intervals.items()
        },
        "architecture": result.architecture,
        "shap_additivity_max_error": additivity,
        "rows": {
            "source": len(source) if source is not None else None,
            "destination": len(destination),
            "per_split": result.split_rows,
        },
    }


def _targets_text(result) -> str:
    """``target``, or ``cheap -> expensive`` when the net was pretrained on another column."""
    cheap = result.source_target or result.target
    return result.target if cheap == result.target else f"{cheap} -> {result.target}"


def _report_lines(result: TransferResult, source, destination, record: dict, unit: str) -> list:
    """``report.md``: what was run, how to read it, the table, the verdicts, the figures."""
    synthetic = any(
        data is not None and data.provenance.get("synthetic") is True
        for data in (source, destination)
    )
    rows, arch = result.split_rows, result.architecture
    warnings = [f"> **Warning:** {text[0].upper()}{text[1:]}." for text in record["warnings"]]
    pretrained = (
        "Pretrained net (saved by an earlier run, reused as it is in every split)"
        if arch.get("pretrained_from_run")
        else "Pretrained net"
    )
    return [
        f"# Transfer {record['source']} -> {destination.name}: {_targets_text(result)}",
        "",
        *(["**Synthetic data: these are not experimental results.**", ""] if synthetic else []),
        f"Test-set errors over {record['splits']} random 70/30 splits (mean ± std) of "
        f"{destination.name} ({rows.get('train', 0)} training, "
        f"{rows.get('validation', 0)} validation and {rows.get('test', 0)} test rows each). "
        f"{pretrained}: hidden layers {hidden_text(arch)} "
        f"({arch['trainable_pretrained']} trainable parameters); adapter "
        f"1 -> {arch['adapter_width']} -> 1 ({arch['trainable_adapter']}).",
        "",
        "How to read: MAPE is the mean of |predicted − true| / true over a split's test rows "
        f"(%), MAE the mean of |predicted − true| ({mae_label(unit)}), R² the coefficient of "
        "determination on the same rows; every method is fitted on the same training rows of "
        "each split and none sees its test rows. The verdicts come from a paired test over the "
        "splits (corrected resampled t-test, 5 %), not from comparing means.",
        "",
        *resolution_caveats(source, destination, result.target, paper=record["paper"] is not None),
        table_markdown(record["methods"], result.target, unit, paper=record["paper"]),
        "",
        *verdict_sentences(record["methods"], rows),
        "",
        *([*warnings, ""] if warnings else []),
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
