"""The whole GDL study end to end: sweep 200 -> sweep 1000 -> transfer -> one report.

    python -m workflows.gdl_study                    # preset quick: minutes on 2 cores
    python -m workflows.gdl_study --preset paper     # the paper's scale (hours; resumable)
    python -m workflows.gdl_study --preset paper --cluster slurm --jobs 10 --cores 2 --memory 4GB
    python -m workflows.gdl_study --results docs/results   # also the README's timing block

Presets:
- ``quick``: coarse voxels (4 um for ``200``, 6 um for ``1000``) and 120 + 40 samples; every
  figure and table of the paper-scale run (its time on a 2-core VM: the README's
  ``study_quick`` block, ``docs/results/study_quick.md``).
- ``paper``: 240 ``200`` samples and 78 ``1000`` samples at 1 um, on the local cluster or a
  batch cluster; re-running resumes the sweeps.

The report (``<out>/report.md``, PNG figures beside it) shows a ``200`` and a ``1000``
structure, the tortuosity distributions of both datasets, the evaluation table beside the
paper's Table 2, the parity and SHAP figures, the provenance and the timings with the machine
and its load. With ``--results FOLDER`` the timings also go to ``FOLDER/study_<preset>.md``
and ``.json``, the files the README's block is copied from
(``python -m workflows.readme_blocks``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from generator.cli.options import CLUSTER, RANGES, option_groups
from generator.paper import tau_sentence
from generator.sweep.design import parse_ranges, validate_ranges
from workflows._cli import bad_option, output_folder, run, workflow_app
from workflows.compare_paper import feature_ranking, plot_tortuosity_distributions, shift_table

app = workflow_app()
DEFAULT_OUT = Path("study")
# Where tau, tau_volume and the other quantities are defined, once.
DEFINITIONS = "docs/results/definitions.md"
# Where the sweeps run: the sweep command's options but the batch jobs' extras.
STUDY_CLUSTER = CLUSTER.only(
    "workers", "scheduler", "cluster", "jobs", "cores", "memory", "walltime", "queue", "account"
)

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
        "replay_members": 4,  # 5 took the study past 3 min quiet (+10 s)
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


@dataclass
class Study:
    """What the steps of one study share: its settings, its folder, and each step's results,
    timings and amount of work (for the report)."""

    preset: str
    out: Path
    settings: dict
    seed: int = 0
    ranges: dict | None = None
    timings: dict = field(default_factory=dict)
    work: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)  # the load average while the study ran
    fit_workers: int = 1  # processes the surrogate's fits run in (their numbers do not change)
    pool: object = 1  # those processes, while the surrogate's stages run
    datasets: dict = field(default_factory=dict)  # domain -> dataset file
    results: dict = field(default_factory=dict)  # step -> its result

    @property
    def figures(self) -> Path:
        return self.out / "figures"

    @contextmanager
    def step(self, name: str, announce: str):
        """Announce a step on stderr and record how long it took."""
        print(f"study stage: {announce}", file=sys.stderr, flush=True)
        start = time.time()
        yield
        self.timings[name] = time.time() - start


def run_study(
    *,
    preset="quick",
    out=DEFAULT_OUT,
    where=None,
    executor=None,
    sizes=None,
    seed=0,
    surrogate_options=None,
    ranges=None,
    results=None,
    fit_workers=None,
) -> Path:
    """Run the GDL study and return the report's path.

    ``where`` (:class:`generator.sweep.options.ClusterOptions`) says where the sweeps run (a
    local Dask cluster by default), or ``executor`` gives the executor itself. ``sizes``
    overrides the preset's ``{domain: {"n": ..., "voxel_um": ...}}`` and ``surrogate_options``
    its training settings (tests use them to shrink the run); ``ranges``
    (``{parameter: (low, high)}``) narrows both sweeps' designs. ``results``, a folder, also
    gets the timings as ``study_<preset>.md`` and ``.json`` (the README's block).
    ``fit_workers`` (default: the cores this process may use) is how many processes the
    surrogate's splits, subsets and repetitions are fitted in; it changes no number.
    """
    from generator.sweep.executors import numba_cache_folder
    from generator.sweep.options import ClusterOptions
    from workflows.readme_blocks import LoadWatch

    settings = {**PRESETS[preset], **(sizes or {}), **(surrogate_options or {})}
    from surrogate.evaluation.explain import warm_up_explainer
    from surrogate.evaluation.parallel import default_workers, process_pool

    study = Study(preset=preset, out=Path(out), settings=settings, seed=seed, ranges=ranges,
                  fit_workers=fit_workers or default_workers())  # fmt: skip
    study.figures.mkdir(parents=True, exist_ok=True)
    executor = executor or (where or ClusterOptions()).executor(numba_cache_folder())
    start = time.time()
    with LoadWatch() as watch:
        # shap's numba functions compile in this process while it waits on the kernels'
        # compiling children (a core is free for a while): not in the surrogate stage later.
        shap_warm_up = threading.Thread(
            target=_in_idle_time, args=(warm_up_explainer,), daemon=True
        )
        shap_warm_up.start()
        compile_step(study, executor)
        shap_warm_up.join()
        run_sweeps(study, executor)
        # One pool of processes for the surrogate's fits: each starts (and imports torch) once.
        with process_pool(study.fit_workers) as pool:
            study.pool = pool or 1
            transfer(study)
            learning_curve_step(study)
            replay_step(study)
        draw_datasets(study)
    study.timings["whole study"] = time.time() - start
    study.load = watch.summary()
    report = write_report(study)
    if results is not None:
        write_timings(study, Path(results))
    return report


def _in_idle_time(function) -> None:
    """Run ``function`` in this thread at the lowest priority (Linux threads have their own),
    so that it takes only the cores other work leaves."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass  # no per-thread priority here: it runs at the process's
    function()


def compile_step(study: Study, executor) -> None:
    """Compile the kernels into the sweep workers' numba cache (or load them from it), timed
    on its own: the first sweep would otherwise carry it."""
    warm = getattr(executor, "warm_cache", None)
    cache = getattr(executor, "numba_cache", None)
    if warm is None or cache is None:
        return  # kernels compile in this process, inside the first sweep
    started = time.time()
    with study.step("compile kernels", "compile the kernels (numba)"):
        warm()
    # numba writes a cache file for each kernel it compiles: new files say it compiled.
    written = sum(1 for path in Path(cache).rglob("*.nbc") if path.stat().st_mtime >= started)
    study.work["compile kernels"] = (
        f"{written} kernel files compiled into numba's cache"
        if written
        else "every kernel loaded from numba's cache"
    )


def run_sweeps(study: Study, executor) -> None:
    """Sweep both domains (resuming what an earlier run finished), on one cluster: its start
    (and the kernels' check) is paid once, in the first sweep's time."""
    from contextlib import ExitStack, nullcontext

    from generator.sweep.plan import SweepPlan
    from generator.sweep.run import run_sweep

    plans = {}
    for domain in ("200", "1000"):
        size = study.settings[domain]
        plans[domain] = SweepPlan.create(
            domain=domain, n=size["n"], voxel_um=size["voxel_um"], seed=study.seed,
            ranges=study.ranges, out=study.out / f"gdl{domain}.h5",
        )  # fmt: skip
        if hasattr(executor, "check_plan"):
            executor.check_plan(plans[domain])  # both refused before either runs
    largest = max(plans.values(), key=lambda plan: plan.peak_bytes())
    session = executor.session(largest) if hasattr(executor, "session") else nullcontext()
    with ExitStack() as stack:
        for domain, plan in plans.items():
            name = f"sweep {domain}"
            announce = f"sweep of domain {domain} ({plan.n} samples at {plan.voxel_um:g} um)"
            with study.step(name, announce):
                if domain == "200":
                    stack.enter_context(session)
                summary = run_sweep(plan, executor=executor)
            if summary.failed:
                failed = len(summary.failed)
                print(f"warning: {failed} failed samples in {plan.out}", file=sys.stderr)
            study.work[name] = f"{summary.ran} samples simulated" + (
                f", {summary.skipped} reused from an earlier run" if summary.skipped else ""
            )
            study.datasets[domain] = plan.out


def transfer(study: Study) -> None:
    """Pretrain on gdl200, transfer to gdl1000 and evaluate; write the surrogate's run."""
    from generator import provenance
    from surrogate.data.registry import load_dataset
    from surrogate.estimators.methods import TARGET_METHODS
    from surrogate.evaluation.evaluate import evaluate_transfer
    from surrogate.evaluation.report import new_run_dir, write_transfer_run

    settings = study.settings
    with study.step("surrogate", "surrogate transfer gdl200 -> gdl1000"):
        source, destination = (load_dataset(study.datasets[d]) for d in ("200", "1000"))
        source.name, destination.name = "gdl200", "gdl1000"
        result = evaluate_transfer(
            source, destination, "tortuosity", splits=settings["splits"],
            epochs=settings["epochs"], restarts=settings["restarts"], seed=study.seed,
            progress=True, members=settings["members"], workers=study.pool,
        )  # fmt: skip
        run = new_run_dir(study.out / "runs", "transfer", "gdl200", "gdl1000", "tortuosity")
        record = write_transfer_run(
            result, source, destination, run, {**provenance(), "preset": study.preset}
        )
    study.work["surrogate"] = (
        f"{settings['splits']} splits, {len(TARGET_METHODS)} methods, an ensemble of "
        f"{settings['members']} per split{_processes(study)}"
    )
    study.results.update(transfer=result, record=record, run=run, destination=destination)
    for name in ("parity.png", "shap_one_prediction.png", "shap_beeswarm.png", "loss_curves.png"):
        shutil.copy(run / name, study.figures / name)


def learning_curve_step(study: Study) -> None:
    """How the transferred net's error falls with the number of gdl1000 samples."""
    from surrogate.evaluation.curves import learning_curve, plot_curve

    settings = study.settings
    with study.step("learning curve", "learning curve on gdl1000"):
        curve = learning_curve(
            None, study.results["destination"], "tortuosity",
            pretrained=study.results["transfer"].pretrained, seed=study.seed,
            repetitions=settings["curve_repetitions"], epochs=settings["epochs"],
            restarts=settings["restarts"], progress=True, workers=study.pool,
        )  # fmt: skip
        curve.source = "gdl200"
        plot_curve(curve, study.figures / "learning_curve.png")
    study.work["learning curve"] = (
        f"{settings['curve_repetitions']} repetitions per size{_processes(study)}"
    )
    study.results["curve"] = curve


def replay_step(study: Study) -> None:
    """Choosing gdl1000 samples by ensemble disagreement vs at random vs space-filling."""
    from surrogate.active.replay import plot_replay, replay

    settings = study.settings
    destination = study.results["destination"]
    with study.step("active replay", "active vs random replay on gdl1000"):
        xd, yd = destination.arrays("tortuosity")
        ranges = destination.provenance.get("ranges") or validate_ranges(study.ranges)
        replayed = replay(
            study.results["transfer"].pretrained, xd, yd, ranges,
            repetitions=settings["replay_repetitions"], members=settings["replay_members"],
            epochs=settings["epochs"], seed=study.seed, progress=True,
            workers=study.pool,
        )  # fmt: skip
        plot_replay(replayed, study.figures / "active_replay.png", "gdl1000")
    study.work["active replay"] = (
        f"{settings['replay_repetitions']} repetitions, ensembles of "
        f"{settings['replay_members']}{_processes(study)}"
    )
    study.results["replay"] = replayed


def _processes(study: Study) -> str:
    return f", in {study.fit_workers} processes" if study.fit_workers > 1 else ""


def draw_datasets(study: Study) -> None:
    """One structure of each dataset and the tortuosity distributions of both."""
    from generator import open_dataset
    from generator.viz.figures import describe_parameters, plot_volume

    tables, opened = {}, {}
    for domain, path in study.datasets.items():
        data = open_dataset(path)
        tables[f"gdl{domain}"], opened[f"gdl{domain}"] = data.table, data
        first_ok = int(np.flatnonzero(data.table["status"].to_numpy() == "ok")[0])
        row = data.table.iloc[first_ok]
        voxel = study.settings[domain]["voxel_um"]
        plot_volume(
            data.volume(first_ok),
            study.figures / f"structure_{domain}.png",
            voxel_um=voxel,
            title=f"gdl{domain} sample {int(row['index'])} (seed {int(row['seed'])}), "
            f"{voxel:g} µm voxels",
            caption=describe_parameters(row.to_dict()),
        )
    plot_tortuosity_distributions(tables, study.figures / "tortuosity_distributions.png")
    study.results.update(tables=tables, opened=opened)


def write_report(study: Study) -> Path:
    """``report.md`` (figures beside it, in ``figures/``) and ``study.json``."""
    voxels = {domain: study.settings[domain]["voxel_um"] for domain in ("200", "1000")}
    record, curve, replayed = (study.results[k] for k in ("record", "curve", "replay"))
    lines = [
        f"# GDL study ({study.preset} preset)",
        "",
        "Generated fibrous GDLs, their geometric tortuosity, and the transfer of a surrogate "
        "from the small domain (gdl200) to the large one (gdl1000).",
        "",
        *how_to_read(voxels, record["rows"]),
        "",
        *caveats(voxels),
        "## Conclusion",
        "",
        conclusion(record["methods"], record, curve, replayed, voxels),
        "",
        *datasets_section(study, voxels),
        *surrogate_section(study),
        *choosing_section(curve, replayed),
        *provenance_section(study),
    ]
    report = study.out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    (study.out / "study.json").write_text(
        json.dumps(
            {
                "preset": study.preset,
                "settings": study.settings,
                "timings_s": study.timings,
                "work": study.work,
                "run": str(study.results["run"].relative_to(study.out)),
                "metrics": record["methods"],
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


def duration_text(seconds: float) -> str:
    """``9 min 12 s`` from a minute on, ``41.3 s`` below."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def timings_markdown(study: Study) -> str:
    """The stages' wall times and work, the whole study last."""
    lines = ["| stage | wall time | work |", "|---|---|---|"]
    for name, seconds in study.timings.items():
        work = study.work.get(name, "")
        label = f"**{name}**" if name == "whole study" else name
        lines.append(f"| {label} | {duration_text(seconds)} | {work} |")
    return "\n".join(lines)


def write_timings(study: Study, folder: Path) -> Path:
    """``study_<preset>.md`` and ``.json`` in ``folder``: the README's timing block."""
    from generator import command_line
    from workflows.readme_blocks import write_result

    text = (
        f"The `{study.preset}` study ({study.settings['200']['n']} + "
        f"{study.settings['1000']['n']} samples at {study.settings['200']['voxel_um']:g} and "
        f"{study.settings['1000']['voxel_um']:g} µm voxels), each stage's wall time:\n\n"
        + timings_markdown(study)
    )
    return write_result(
        f"study_{study.preset}",
        text,
        command=command_line(),
        data={"timings_s": study.timings, "work": study.work, "settings": study.settings},
        load=study.load,
        folder=folder,
    )


def datasets_section(study: Study, voxels: dict) -> list[str]:
    """The structures, the tortuosity of both datasets, the domain shift and the drivers."""
    tables = study.results["tables"]
    lines = [
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
    return lines + [
        "",
        "τ is dimensionless: the mean shortest pore path from the inlet face to the outlet "
        f"face over the distance between the two faces' voxel centres ({DEFINITIONS}).",
        "",
        tau_sentence(),
        "",
        "![tortuosity distributions](figures/tortuosity_distributions.png)",
        "",
        "### From the small to the large domain",
        "",
        shift_table(study.results["opened"]),
        "",
        "### What drives tortuosity, beside the paper's order",
        "",
        feature_ranking(tables),
        "",
    ]


def surrogate_section(study: Study) -> list[str]:
    """The evaluation table, its verdicts and intervals, and the surrogate's figures."""
    from surrogate.evaluation.report import interval_sentence, table_markdown, verdict_sentences

    record, result = study.results["record"], study.results["transfer"]
    rows = record["rows"]
    return [
        "## Surrogate: pretrained on gdl200, transferred to gdl1000",
        "",
        f"Test-set errors over {record['splits']} random 70/30 splits of gdl1000 "
        f"({rows['per_split']['train']} training, {rows['per_split']['validation']} validation "
        f"and {rows['per_split']['test']} test rows each; mean ± std over the splits).",
        "",
        table_markdown(record["methods"], "tortuosity", "1", paper=record.get("paper")),
        "",
        *verdict_sentences(record["methods"], rows["per_split"]),
        "",
        interval_sentence(result.intervals, result.architecture),
        "",
        "![parity](figures/parity.png)",
        "![SHAP one prediction](figures/shap_one_prediction.png)",
        "![SHAP beeswarm](figures/shap_beeswarm.png)",
        "![loss curves](figures/loss_curves.png)",
        "",
    ]


def choosing_section(curve, replayed) -> list[str]:
    """How many expensive samples (the learning curve), and which (the replay)."""
    from surrogate.active.replay import replay_markdown
    from surrogate.evaluation.curves import curve_markdown

    return [
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
    ]


def provenance_section(study: Study) -> list[str]:
    """Where the run's files are, the timings of each step, and the code's provenance."""
    from generator import provenance
    from workflows.readme_blocks import load_text, machine, machine_text

    record = provenance()
    return [
        "## Provenance and timings",
        "",
        f"- surrogate run: `{study.results['run'].relative_to(study.out)}` (metrics.json, "
        "models, report.md)",
        f"- datasets: `{study.datasets['200'].name}`, `{study.datasets['1000'].name}`",
        f"- measured on: {machine_text(machine())}; "
        + (load_text(study.load) if study.load else "load not recorded"),
        "- " + ", ".join(f"{k} {v}" for k, v in record.items() if k != "command_line"),
        f"- command line: `{record['command_line']}`",
        *(
            f"- {name}: {duration_text(seconds)}"
            + (f" ({study.work[name]})" if name in study.work else "")
            for name, seconds in study.timings.items()
        ),
    ]


def how_to_read(voxels: dict, rows: dict) -> list[str]:
    """The report's "how to read this" section."""
    from generator.sweep.noise_floor import floor_sentence

    floor = floor_sentence("euclidean")
    return [
        "## How to read this report",
        "",
        "- **Tortuosity τ** (`tau`) is geometric: the mean, over the pore voxels of the inlet "
        "face that percolate, of the shortest path through the pore to the outlet face, over "
        "the straight distance between the inlet and outlet slice centres (dimensionless, ≥ 1; "
        f"the one definition: {DEFINITIONS}). Two metrics measure the path: `euclidean`, "
        "continuous path lengths (the better estimate of the true geodesic), and `lattice`, "
        "steps between voxel centres (longer, by the lattice's metric error). **The surrogate "
        "learns `tortuosity` = the euclidean τ**; both are in the datasets.",
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


@app.command()
@option_groups
def study(
    ctx: typer.Context,
    preset: Annotated[
        str,
        typer.Option(
            help="quick: small samples at coarse voxels (minutes); paper: 240 + 78 at 1 um (hours)."
        ),
    ] = "quick",
    out: Annotated[Path, typer.Option(help="Output folder.")] = DEFAULT_OUT,
    seed: Annotated[int, typer.Option(help="Seed of designs and training.")] = 0,
    where: dict = STUDY_CLUSTER,
    ranges: dict = RANGES,
    results: Annotated[
        Path | None,
        typer.Option(
            help="Also write the timings as FOLDER/study_<preset>.md and .json, the files of "
            "the README's block (docs/results; then python -m workflows.readme_blocks)."
        ),
    ] = None,
) -> None:
    """The whole GDL study end to end: sweep 200 -> sweep 1000 -> transfer -> one report."""
    from generator.cli import in_cli_terms
    from generator.sweep.executors import numba_cache_folder
    from generator.sweep.options import ClusterOptions

    if preset not in PRESETS:
        message = f"{preset!r} is not one of {', '.join(PRESETS)}"
        raise typer.BadParameter(message, param_hint="'--preset'")
    output_folder(out)
    if results is not None:
        output_folder(results)
    try:
        ranges = validate_ranges(parse_ranges(**ranges))
        # A bad cluster, memory or pair of options stops here. The workers load the kernels
        # from one numba cache, compiled once (timed as its own stage), as the sweep command's.
        executor = ClusterOptions(**where).executor(numba_cache_folder())
    except ValueError as err:
        raise bad_option(in_cli_terms(str(err), ctx.command.params)) from None
    start = time.time()
    report = run_study(
        preset=preset, out=out, executor=executor, seed=seed, ranges=ranges, results=results
    )
    print(f"report: {report} ({time.time() - start:.0f} s)")


def main(argv=None) -> None:
    run(app, "workflows.gdl_study", argv)


if __name__ == "__main__":
    main()
