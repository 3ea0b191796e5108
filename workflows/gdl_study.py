"""The whole GDL study end to end: sweep 200 -> sweep 1000 -> transfer -> one report.

    python -m workflows.gdl_study                    # preset quick: ~5 min on a 2-core VM
    python -m workflows.gdl_study --preset paper     # the paper's scale (hours; resumable)
    python -m workflows.gdl_study --preset paper --cluster slurm --jobs 10 --cores 2 --memory 4GB

Presets:
- ``quick``: coarse voxels (4 um for ``200``, 6 um for ``1000``) and 120 + 40 samples; every
  figure and table of the paper-scale run (5 min 14 s on a fresh clone, 2-core VM, no load).
- ``paper``: 240 ``200`` samples and 78 ``1000`` samples at 1 um, on the local cluster or a
  batch cluster; re-running resumes the sweeps.

The report (``<out>/report.md``, PNG figures beside it) shows a ``200`` and a ``1000``
structure, the tortuosity distributions of both datasets, the evaluation table beside the
paper's Table 2, the parity and SHAP figures, the provenance and the timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from generator.paper import tau_sentence
from generator.sweep.design import PARAMETERS, parse_ranges, validate_ranges
from workflows.compare_paper import feature_ranking, plot_tortuosity_distributions, shift_table

PRESETS = {
    "quick": {
        "200": {"n": 120, "voxel_um": 4.0},
        "1000": {"n": 40, "voxel_um": 6.0},
        "splits": 5,
        "epochs": 250,
        "restarts": 2,
        "members": 10,
        "curve_repetitions": 5,
        "replay_repetitions": 5,
        "replay_members": 5,
    },
    "paper": {
        "200": {"n": 240, "voxel_um": 1.0},
        "1000": {"n": 78, "voxel_um": 1.0},
        "splits": 5,
        "epochs": 250,
        "restarts": 3,
        "members": 10,
        "curve_repetitions": 10,
        "replay_repetitions": 5,
        "replay_members": 10,
    },
}


def run_study(
    *,
    preset="quick",
    out=Path("study"),
    scheduler=None,
    cluster=None,
    jobqueue_options=None,
    jobs=1,
    workers=None,
    sizes=None,
    seed=0,
    surrogate_options=None,
    ranges=None,
) -> Path:
    """Run the GDL study and return the report's path. ``sizes`` overrides the preset's
    ``{domain: {"n": ..., "voxel_um": ...}}`` (tests use it to shrink the run); ``ranges``
    (``{parameter: (low, high)}``) narrows both sweeps' designs."""
    from generator import open_dataset, provenance
    from generator.sweep.executors import DaskExecutor
    from generator.sweep.plan import SweepPlan
    from generator.sweep.run import run_sweep
    from generator.viz.figures import describe_parameters, plot_volume
    from surrogate.data.registry import load_dataset
    from surrogate.estimators.methods import TARGET_METHODS
    from surrogate.evaluation.evaluate import evaluate_transfer
    from surrogate.evaluation.report import (
        interval_sentence,
        new_run_dir,
        table_markdown,
        verdict_sentences,
        write_transfer_run,
    )

    settings = dict(PRESETS[preset])
    if sizes:
        settings.update(sizes)
    if surrogate_options:
        settings.update(surrogate_options)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timings, datasets, work = {}, {}, {}
    for domain in ("200", "1000"):
        start = time.time()
        path = out / f"gdl{domain}.h5"
        plan = SweepPlan.create(
            domain=domain,
            n=settings[domain]["n"],
            voxel_um=settings[domain]["voxel_um"],
            seed=seed,
            ranges=ranges,
            out=path,
        )
        executor = DaskExecutor(
            workers=workers,
            scheduler=scheduler,
            cluster=cluster,
            jobqueue_options=jobqueue_options or {},
            jobs=jobs,
        )
        print(
            f"study stage: sweep of domain {domain} ({plan.n} samples at {plan.voxel_um:g} um)",
            file=sys.stderr,
            flush=True,
        )
        summary = run_sweep(plan, executor=executor)
        if summary.failed:
            print(f"warning: {len(summary.failed)} failed samples in {path}", file=sys.stderr)
        timings[f"sweep {domain}"] = time.time() - start
        work[f"sweep {domain}"] = f"{summary.ran} samples simulated" + (
            f", {summary.skipped} reused from an earlier run" if summary.skipped else ""
        )
        datasets[domain] = path

    start = time.time()
    print("study stage: surrogate transfer gdl200 -> gdl1000", file=sys.stderr, flush=True)
    source, destination = load_dataset(datasets["200"]), load_dataset(datasets["1000"])
    source.name, destination.name = "gdl200", "gdl1000"
    result = evaluate_transfer(
        source,
        destination,
        "tortuosity",
        splits=settings["splits"],
        epochs=settings["epochs"],
        restarts=settings["restarts"],
        seed=seed,
        progress=True,
        members=settings["members"],
    )
    run = new_run_dir(out / "runs", "transfer", "gdl200", "gdl1000", "tortuosity")
    record = write_transfer_run(
        result, source, destination, run, {**provenance(), "preset": preset}
    )
    timings["surrogate"] = time.time() - start
    work["surrogate"] = (
        f"{settings['splits']} splits, {len(TARGET_METHODS)} methods, an ensemble of "
        f"{settings['members']} per split"
    )

    from surrogate.active.replay import plot_replay, replay, replay_markdown
    from surrogate.evaluation.curves import curve_markdown, learning_curve, plot_curve

    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    start = time.time()
    print("study stage: learning curve on gdl1000", file=sys.stderr, flush=True)
    curve = learning_curve(
        None, destination, "tortuosity", pretrained=result.pretrained, seed=seed,
        repetitions=settings["curve_repetitions"], epochs=settings["epochs"],
        restarts=settings["restarts"], progress=True,
    )  # fmt: skip
    curve.source = "gdl200"
    plot_curve(curve, figures / "learning_curve.png")
    timings["learning curve"] = time.time() - start
    work["learning curve"] = f"{settings['curve_repetitions']} repetitions per size"
    start = time.time()
    print("study stage: active vs random replay on gdl1000", file=sys.stderr, flush=True)
    xd, yd = destination.arrays("tortuosity")
    replayed = replay(
        result.pretrained, xd, yd, destination.provenance.get("ranges") or validate_ranges(ranges),
        repetitions=settings["replay_repetitions"], members=settings["replay_members"],
        epochs=settings["epochs"], seed=seed, progress=True,
    )  # fmt: skip
    plot_replay(replayed, figures / "active_replay.png", "gdl1000")
    timings["active replay"] = time.time() - start
    work["active replay"] = (
        f"{settings['replay_repetitions']} repetitions, ensembles of {settings['replay_members']}"
    )

    tables, opened = {}, {}
    for domain, path in datasets.items():
        data = open_dataset(path)
        tables[f"gdl{domain}"] = data.table
        opened[f"gdl{domain}"] = data
        first_ok = int(np.flatnonzero(data.table["status"].to_numpy() == "ok")[0])
        row = data.table.iloc[first_ok]
        plot_volume(
            data.volume(first_ok),
            figures / f"structure_{domain}.png",
            voxel_um=settings[domain]["voxel_um"],
            title=f"gdl{domain} sample {int(row['index'])} (seed {int(row['seed'])}), "
            f"{settings[domain]['voxel_um']:g} µm voxels",
            caption=describe_parameters(row.to_dict()),
        )
    plot_tortuosity_distributions(tables, figures / "tortuosity_distributions.png")
    for name in ("parity.png", "shap_one_prediction.png", "shap_beeswarm.png", "loss_curves.png"):
        shutil.copy(run / name, figures / name)

    summary = record["methods"]
    voxels = {domain: settings[domain]["voxel_um"] for domain in ("200", "1000")}
    rows = record["rows"]
    lines = [
        f"# GDL study ({preset} preset)",
        "",
        "Generated fibrous GDLs, their geometric tortuosity, and the transfer of a surrogate "
        "from the small domain (gdl200) to the large one (gdl1000).",
        "",
        *how_to_read(voxels, rows),
        "",
        *caveats(voxels),
        "## Conclusion",
        "",
        conclusion(summary, record, curve, replayed, voxels),
        "",
        "## Structures",
        "![gdl200 structure](figures/structure_200.png)",
        "![gdl1000 structure](figures/structure_1000.png)",
        "",
        "## Tortuosity of the datasets",
        "",
        "| dataset | samples | voxel (µm) | τ euclidean, mean (min–max) | τ lattice, mean |",
        "|---|---|---|---|---|",
    ]
    for domain in ("200", "1000"):
        table = tables[f"gdl{domain}"]
        ok = table[table["status"] == "ok"]
        lines.append(
            f"| gdl{domain} | {len(ok)} | {voxels[domain]:g} | "
            f"{ok['tau_euclidean'].mean():.4f} ({ok['tau_euclidean'].min():.4f}–"
            f"{ok['tau_euclidean'].max():.4f}) | {ok['tau_lattice'].mean():.4f} |"
        )
    lines += [
        "",
        "τ is dimensionless (path length over thickness).",
        "",
        tau_sentence(),
        "",
        "![tortuosity distributions](figures/tortuosity_distributions.png)",
        "",
        "### From the small to the large domain",
        "",
        shift_table(opened),
        "",
        "### What drives tortuosity, beside the paper's order",
        "",
        feature_ranking(tables),
        "",
        "## Surrogate: pretrained on gdl200, transferred to gdl1000",
        "",
        f"Test-set errors over {record['splits']} random 70/30 splits of gdl1000 "
        f"({rows['per_split']['train']} training, {rows['per_split']['validation']} validation "
        f"and {rows['per_split']['test']} test rows each; mean ± std over the splits).",
        "",
        table_markdown(summary, "tortuosity", "1"),
        "",
        *verdict_sentences(summary, rows["per_split"]),
        "",
        interval_sentence(result.intervals, result.architecture),
        "",
        "![parity](figures/parity.png)",
        "![SHAP one prediction](figures/shap_one_prediction.png)",
        "![SHAP beeswarm](figures/shap_beeswarm.png)",
        "![loss curves](figures/loss_curves.png)",
        "",
        "## How many expensive samples: the learning curve",
        "",
        curve_markdown(curve),
        "",
        curve.sentence(),
        "",
        "![learning curve](figures/learning_curve.png)",
        "",
        "## Choosing the expensive samples: active vs random vs space-filling",
        "",
        "Pool-based replay on the gdl1000 samples of this study: they stand in for the "
        "simulator, a fixed 30 % is the test set, the strategies choose from the rest "
        "(`surrogate active` runs the same rule live; `python -m workflows.active_replay` "
        "replays it on any dataset).",
        "",
        replay_markdown(replayed, "gdl1000"),
        "",
        "![active replay](figures/active_replay.png)",
        "",
        "## Provenance and timings",
        "",
        f"- surrogate run: `{run.relative_to(out)}` (metrics.json, models, report.md)",
        f"- datasets: `{datasets['200'].name}`, `{datasets['1000'].name}`",
        *(f"- {k}: {timings[k]:.1f} s ({work[k]})" for k in timings),
        f"- measured on: {machine_text()}",
        "- " + ", ".join(f"{k} {v}" for k, v in provenance().items() if k != "command_line"),
        f"- command line: `python -m workflows.gdl_study {' '.join(sys.argv[1:])}`",
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    (out / "study.json").write_text(
        json.dumps(
            {
                "preset": preset,
                "settings": settings,
                "timings_s": timings,
                "work": work,
                "run": str(run.relative_to(out)),
                "metrics": summary,
                "intervals": record["intervals"],
                "learning_curve": curve.table(),
                "replay": {
                    "sizes": replayed.sizes,
                    "mape": replayed.mape,
                    "all_pool_mape": replayed.all_pool_mape,
                },
            },
            indent=2,
        )
    )
    return report


def how_to_read(voxels: dict, rows: dict) -> list[str]:
    """The report's "how to read this" section."""
    from generator.sweep.noise_floor import floor_sentence

    floor = floor_sentence("euclidean")
    return [
        "## How to read this report",
        "",
        "- **Tortuosity τ** is geometric: for every pore voxel of the outlet face, the length of "
        "the shortest path through the pore space from the inflow plane, divided by the "
        "thickness, averaged over the face (dimensionless, ≥ 1). Two metrics measure the path "
        "(generator/README.md, *Geometric tortuosity*): `euclidean`, continuous path lengths "
        "(the better estimate of the true geodesic), and `lattice`, steps between voxel centres "
        "(longer, by the lattice's metric error). **The surrogate learns `tortuosity` = the "
        "euclidean τ**; both are in the datasets.",
        f"- **Voxel sizes**: gdl200 at {voxels['200']:g} µm, gdl1000 at {voxels['1000']:g} µm "
        f"(the paper: 1 µm for both). gdl200 is 2000 × 200 µm in-plane, gdl1000 1000 × 1000 µm; "
        "both 280–320 µm thick before compression.",
        f"- **Errors**: MAPE = mean of |predicted − true| / true over the test rows, in %; MAE "
        f"in units of τ (dimensionless); R² on the test rows. "
        f"gdl1000 holds {rows['destination']} usable samples, gdl200 {rows['source']}.",
        "- **Noise floor**: "
        + (
            floor.removeprefix("Noise floor: ")
            if floor
            else "not measured for this configuration; see `python -m generator.sweep.noise_floor`."
        )
        + " A surrogate cannot beat the scatter between samples of the same parameters.",
        "- **Verdicts** (beats / ties with / loses to) come from a corrected resampled t-test "
        "over the splits (Nadeau & Bengio), not from comparing means.",
    ]


def caveats(voxels: dict) -> list[str]:
    """Warnings printed whenever this run differs from what it is compared with."""
    lines = []
    if voxels["200"] != 1.0 or voxels["1000"] != 1.0:
        coarsest = max(voxels.values())
        lines += [
            f"> **Resolution caveat.** These samples use {voxels['200']:g} µm (gdl200) and "
            f"{voxels['1000']:g} µm (gdl1000) voxels, not the paper's 1 µm: a 6–12 µm fibre is "
            f"{6 / coarsest:.1f}–{12 / min(voxels.values()):.1f} voxels wide here, so τ and the "
            "errors are not comparable with the paper's Table 2 or with a 1 µm run. Use "
            "`--preset paper` for those.",
            "",
        ]
    if voxels["200"] != voxels["1000"]:
        lines += [
            f"> **Transfer caveat.** The two domains differ in voxel size ({voxels['200']:g} vs "
            f"{voxels['1000']:g} µm) as well as in extent, so the transfer below bridges a change "
            "of resolution as well as of domain (the paper's bridges the domain alone): the "
            "pretrained net's error on gdl1000 is partly a resolution effect.",
            "",
        ]
    lines += [
        "> **Reference, not target.** The paper's Table 2 comes from GeoDict structures and "
        "GeoDict's tortuosity on other samples; it is printed beside ours for orientation.",
        "",
    ]
    return lines


def conclusion(summary: dict, record: dict, curve, replayed, voxels: dict) -> str:
    """The concluding paragraph, every number from this run."""
    from surrogate.active.replay import compare_strategies
    from surrogate.estimators.methods import BASELINES
    from surrogate.evaluation.report import LABELS

    def mape(method):
        m = summary[method]["mape"]
        return f"{m['mean']:.3f} ± {m['std']:.3f} %"

    best = min((m for m in BASELINES if m in summary), key=lambda m: summary[m]["mape"]["mean"])
    intervals = record.get("intervals", {})
    coverage = intervals.get("coverage", {}).get("mean")
    _, versus_random = compare_strategies(replayed, "random")
    parts = [
        f"On gdl1000 ({voxels['1000']:g} µm voxels), the net pretrained on gdl200 predicted τ "
        f"with {mape('pretrained_on_target')} test MAPE as it was, and {mape('transferred')} "
        f"after the adapter was trained on gdl1000; the same net trained on gdl1000 alone gave "
        f"{mape('scratch')}, and the best baseline "
        f"({LABELS[best].removeprefix('baseline: ')}) {mape(best)} (paired verdicts in the "
        "surrogate section).",
        curve.sentence(),
    ]
    if coverage is not None:
        parts.append(
            f"The ensemble's 90 % intervals held the true τ in {coverage:.1f} % of the test rows."
        )
    parts.append(
        "Choosing samples by ensemble disagreement, against choosing them at random, gave a "
        f"test error that was {versus_random} (paired over "
        f"{len(replayed.all_pool_mape)} repetitions)."
    )
    return " ".join(parts)


def machine_text() -> str:
    """Cores, memory and load of this machine, for reading the timings."""
    import os

    import psutil

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"load average {load:.1f} at the end"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m workflows.gdl_study", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="quick",
        help="quick: small samples at coarse voxels (minutes); paper: 240 + 78 at 1 um (hours)",
    )
    parser.add_argument("--out", type=Path, default=Path("study"), help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of designs and training")
    parser.add_argument("--workers", type=int, help="local Dask workers (default: from cores)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument(
        "--cluster", choices=("slurm", "pbs", "sge", "lsf"), help="run the sweeps as batch jobs"
    )
    parser.add_argument("--jobs", type=int, default=1, help="batch jobs (with --cluster)")
    parser.add_argument("--cores", type=int, help="cores per batch job")
    parser.add_argument("--memory", help="memory per batch job, e.g. 4GB")
    parser.add_argument("--walltime", help="walltime per batch job, e.g. 02:00:00")
    parser.add_argument("--queue", help="batch queue or partition")
    parser.add_argument("--account", help="batch account or project")
    for name in PARAMETERS:
        flag = "--" + name.removesuffix("_um").replace("_", "-") + "-range"
        parser.add_argument(flag, dest=f"range_{name}", metavar="LOW,HIGH", help=f"range of {name}")
    args = parser.parse_args(argv)
    try:
        ranges = parse_ranges(**{name: getattr(args, f"range_{name}") for name in PARAMETERS})
        validate_ranges(ranges)
    except ValueError as err:
        parser.error(str(err))
    options = {
        "cores": args.cores,
        "memory": args.memory,
        "walltime": args.walltime,
        "queue": args.queue,
        "account": args.account,
    }
    start = time.time()
    report = run_study(
        preset=args.preset,
        out=args.out,
        scheduler=args.scheduler,
        cluster=args.cluster,
        jobqueue_options=options,
        jobs=args.jobs,
        workers=args.workers,
        seed=args.seed,
        ranges=ranges,
    )
    print(f"report: {report} ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
