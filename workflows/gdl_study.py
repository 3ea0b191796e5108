"""The whole GDL study end to end: sweep 200 -> sweep 1000 -> transfer -> one report.

    python -m workflows.gdl_study                    # preset quick: ~5 minutes on 2 cores
    python -m workflows.gdl_study --preset paper     # the paper's scale (hours; resumable)
    python -m workflows.gdl_study --preset paper --cluster slurm --jobs 10 --cores 2 --memory 4GB

Presets:
- ``quick``: coarse voxels (4 um for ``200``, 6 um for ``1000``) and 120 + 40 samples; every
  figure and table of the paper-scale run, in a few minutes.
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

from generator.dataset import TAU_COLUMNS
from generator.design import PARAMETERS, parse_ranges, validate_ranges
from generator.paper import tau_sentence
from workflows.compare_paper import feature_ranking, shift_table

PRESETS = {
    "quick": {
        "200": {"n": 120, "voxel_um": 4.0},
        "1000": {"n": 40, "voxel_um": 6.0},
        "splits": 5,
        "epochs": 250,
        "restarts": 2,
    },
    "paper": {
        "200": {"n": 240, "voxel_um": 1.0},
        "1000": {"n": 78, "voxel_um": 1.0},
        "splits": 5,
        "epochs": 250,
        "restarts": 3,
    },
}


def plot_structure(volume: np.ndarray, voxel_um: float, title: str, path: Path) -> Path:
    """Mid-plane slices (xy, xz) of a label volume coloured by phase."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from generator.show import PHASE_COLOURS

    nz, ny, nx = volume.shape
    cmap = ListedColormap(PHASE_COLOURS)
    wide = nx > 3 * ny
    fig, axes = plt.subplots(
        2 if wide else 1,
        1 if wide else 2,
        figsize=(12, 5.5) if wide else (12, 4.5),
        layout="constrained",
    )
    axes[0].imshow(
        volume[nz // 2],
        cmap=cmap,
        vmin=0,
        vmax=2,
        origin="lower",
        interpolation="nearest",
        extent=(0, nx * voxel_um, 0, ny * voxel_um),
    )
    axes[0].set_title("in-plane slice (xy), mid thickness")
    axes[1].imshow(
        volume[:, ny // 2, :],
        cmap=cmap,
        vmin=0,
        vmax=2,
        origin="lower",
        interpolation="nearest",
        extent=(0, nx * voxel_um, 0, nz * voxel_um),
    )
    axes[1].set_title("through-plane slice (xz); pore light, fibre dark, binder blue")
    for ax in axes:
        ax.set_xlabel("um")
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_tortuosity_distributions(tables: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for ax, column, metric in (
        (axes[0], TAU_COLUMNS["euclidean"], "euclidean"),
        (axes[1], TAU_COLUMNS["lattice"], "lattice"),
    ):
        for (name, table), colour in zip(tables.items(), ("#c0392b", "#2f6fce"), strict=False):
            values = table.loc[table["status"] == "ok", column]
            ax.hist(
                values,
                bins=20,
                alpha=0.6,
                color=colour,
                density=True,
                label=f"{name}: mean {values.mean():.3f} (n={len(values)})",
            )
        ax.set_xlabel(f"geometric tortuosity ({metric} metric)")
        ax.set_ylabel("density")
        ax.legend()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


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
    from generator import open_dataset
    from generator.executors import DaskExecutor
    from generator.io import provenance
    from generator.plan import SweepPlan
    from generator.sweep import run_sweep
    from surrogate.datasets import load_dataset
    from surrogate.evaluate import PAPER_TABLE_2, evaluate_transfer
    from surrogate.report import (
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
    timings, datasets = {}, {}
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
    )
    run = new_run_dir(out / "runs", "transfer", "gdl200", "gdl1000", "tortuosity")
    record = write_transfer_run(
        result, source, destination, run, {**provenance(), "preset": preset}
    )
    timings["surrogate"] = time.time() - start

    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    tables, opened = {}, {}
    for domain, path in datasets.items():
        data = open_dataset(path)
        tables[f"gdl{domain}"] = data.table
        opened[f"gdl{domain}"] = data
        first_ok = int(np.flatnonzero(data.table["status"].to_numpy() == "ok")[0])
        plot_structure(
            data.volume(first_ok),
            settings[domain]["voxel_um"],
            f"gdl{domain} sample {first_ok} ({settings[domain]['voxel_um']:g} um voxels)",
            figures / f"structure_{domain}.png",
        )
    plot_tortuosity_distributions(tables, figures / "tortuosity_distributions.png")
    for name in ("parity.png", "shap_one_prediction.png", "shap_beeswarm.png", "loss_curves.png"):
        shutil.copy(run / name, figures / name)

    summary = record["methods"]
    lines = [
        f"# GDL study ({preset} preset)",
        "",
        "Generated fibrous GDLs, their geometric tortuosity, and the transfer of a surrogate "
        "from the small domain (gdl200) to the large one (gdl1000).",
        "",
        "## Structures",
        "![gdl200 structure](figures/structure_200.png)",
        "![gdl1000 structure](figures/structure_1000.png)",
        "",
        "## Tortuosity of the datasets",
        "",
        "| dataset | samples | voxel (um) | tau euclidean mean (min-max) | tau lattice mean |",
        "|---|---|---|---|---|",
    ]
    for domain in ("200", "1000"):
        table = tables[f"gdl{domain}"]
        ok = table[table["status"] == "ok"]
        lines.append(
            f"| gdl{domain} | {len(ok)} | {settings[domain]['voxel_um']:g} | "
            f"{ok['tau_euclidean'].mean():.4f} ({ok['tau_euclidean'].min():.4f}-"
            f"{ok['tau_euclidean'].max():.4f}) | {ok['tau_lattice'].mean():.4f} |"
        )
    lines += [
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
        table_markdown(summary, "tortuosity"),
        "",
        *verdict_sentences(summary, record["rows"]["per_split"]),
        "",
        f"Paper's Table 2 (MAPE %): pretrained on gdl200 {PAPER_TABLE_2['pretrained_on_source']}"
        f", pretrained on gdl1000 {PAPER_TABLE_2['pretrained_on_target']}, transferred "
        f"{PAPER_TABLE_2['transferred']}.",
        "",
        "![parity](figures/parity.png)",
        "![SHAP one prediction](figures/shap_one_prediction.png)",
        "![SHAP beeswarm](figures/shap_beeswarm.png)",
        "![loss curves](figures/loss_curves.png)",
        "",
        "## Provenance and timings",
        "",
        f"- surrogate run: `{run.relative_to(out)}` (metrics.json, models, report.md)",
        f"- datasets: `{datasets['200'].name}`, `{datasets['1000'].name}`",
        "- " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
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
                "run": str(run.relative_to(out)),
                "metrics": summary,
            },
            indent=2,
        )
    )
    return report


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
