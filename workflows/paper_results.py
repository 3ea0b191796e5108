"""The README's results against the paper, measured on the shipped datasets and written as
result blocks (``docs/results/paper_*.md`` and ``.json``; then ``python -m
workflows.readme_blocks`` copies them into the README).

    python -m workflows.paper_results datasets     # tau of both datasets, shift, drivers (s)
    python -m workflows.paper_results transfer     # both targets, 5 splits (minutes)
    python -m workflows.paper_results curve        # the learning curve (minutes)
    python -m workflows.paper_results intervals    # 20 splits, both targets (tens of minutes)
    python -m workflows.paper_results replay       # active vs random replay (tens of minutes)

Each block says the command, the commit and, for timed steps, the machine and its load.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from workflows._cli import bad_option, run, workflow_app
from workflows.readme_blocks import RESULTS, timed, write_result

app = workflow_app()
TARGETS = {"tortuosity": "`euclidean`", "tortuosity_lattice": "`lattice`"}
STEPS = ("datasets", "transfer", "curve", "intervals", "replay")
SOURCE, DESTINATION = "gdl200", "gdl1000"


def _command(step: str, folder: Path) -> str:
    extra = "" if Path(folder).resolve() == RESULTS.resolve() else " --results FOLDER"
    return f"python -m workflows.paper_results {step}{extra}"


def _seconds(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{seconds:.0f} s" if seconds < 60 else f"{minutes} min {rest} s"


def datasets_block(folder: Path) -> Path:
    """Tau of the shipped datasets by metric beside the paper, the shift between the domains,
    the scatter between seeds, the inputs ranked, and what a sample cost."""
    from generator import open_dataset
    from workflows.compare_paper import (
        DATA,
        cost_table,
        feature_ranking,
        noise_floor_table,
        shift_table,
        tortuosity_table,
    )

    opened = {name: open_dataset(DATA / f"{name}.h5") for name in (SOURCE, DESTINATION)}
    tables = {name: data.table for name, data in opened.items()}
    text = "\n\n".join(
        [
            tortuosity_table(tables),
            shift_table(opened),
            "Scatter of τ between seeds at fixed parameters (the MAPE floor):",
            noise_floor_table(),
            "The inputs ranked by permutation importance of a quadratic ridge (drop in R² when "
            "one input is shuffled), beside the paper's SHAP order:",
            feature_ranking(tables),
            "What a sample cost, as the sweeps recorded it (per single-threaded worker):",
            cost_table(opened),
        ]
    )
    return write_result("paper_datasets", text, command=_command("datasets", folder), folder=folder)


def _transfer(target: str, splits: int, seed: int):
    from surrogate.data.registry import load_dataset
    from surrogate.evaluation.evaluate import evaluate_transfer
    from surrogate.evaluation.parallel import default_workers

    source, destination = load_dataset(SOURCE), load_dataset(DESTINATION)
    return evaluate_transfer(
        source, destination, target, splits=splits, seed=seed, members=10, progress=True,
        workers=default_workers(),
    )  # fmt: skip


def _mape(summary: dict, method: str) -> str:
    if method not in summary:
        return ""
    mape = summary[method]["mape"]
    return f"{mape['mean']:.3f} ± {mape['std']:.3f}"


def transfer_block(folder: Path, *, splits: int = 5, seed: int = 0) -> Path:
    """``surrogate transfer gdl200 gdl1000`` for both targets: the MAPE of every method beside
    the paper's Table 2, the paired verdicts and the time each took."""
    from generator.paper import TABLE_2_MAPE
    from surrogate.evaluation.evaluate import METHODS
    from surrogate.evaluation.report import LABELS, verdict_sentences

    results, data = {}, {}
    for target in TARGETS:
        result, seconds, load = timed(_transfer, target, splits, seed)
        results[target] = (result, seconds, load)
        data[target] = {
            "summary": result.summary(),
            "split_rows": result.split_rows,
            "seconds": seconds,
            "load": load,
        }
    header = " | ".join(f"ours, {name}" for name in TARGETS.values())
    lines = [
        f"| MAPE % on the test split | {header} | paper, Table 2 |",
        "|---|" + "---|" * len(TARGETS) + "---|",
    ]
    for method in METHODS:
        cells = [_mape(results[t][0].summary(), method) for t in TARGETS]
        if any(cells):
            paper = TABLE_2_MAPE.get(method, "")
            lines.append(f"| {LABELS[method]} | {' | '.join(cells)} | {paper} |")
    text = [
        f"`surrogate transfer {SOURCE} {DESTINATION}` and `--target tortuosity_lattice` on the "
        f"shipped datasets: {splits} random 70/30 splits (mean ± std), every method fitted on "
        "the same training rows, an ensemble of 10 transferred nets a split.",
        "",
        "\n".join(lines),
        "",
    ]
    for target, (result, seconds, load) in results.items():
        text += [
            f"{TARGETS[target]} ({_seconds(seconds)} wall, {load['state']}):",
            "",
            *verdict_sentences(result.summary(), result.split_rows),
            "",
        ]
    return write_result(
        "paper_transfer",
        "\n".join(text),
        command=_command("transfer", folder),
        data=data,
        load=_worst(r[2] for r in results.values()),
        folder=folder,
    )


def _worst(loads) -> dict:
    """The busier of several runs' loads (what the timings beside each other were read under)."""
    return max(loads, key=lambda load: (load["state"] == "busy", load["mean"]))


def curve_block(folder: Path, *, repetitions: int = 10, seed: int = 0) -> Path:
    """``surrogate curve gdl200 gdl1000``: test MAPE against the number of gdl1000 rows."""
    from surrogate.data.registry import load_dataset
    from surrogate.evaluation.curves import curve_markdown, learning_curve

    source, destination = load_dataset(SOURCE), load_dataset(DESTINATION)
    curve, seconds, load = timed(
        learning_curve, source, destination, "tortuosity", repetitions=repetitions, seed=seed,
        progress=True,
    )  # fmt: skip
    text = (
        f"`surrogate curve {SOURCE} {DESTINATION}` (target `tortuosity`, the `euclidean` τ; "
        f"{repetitions} draws per size; {_seconds(seconds)} wall), test MAPE %, mean ± std over "
        f"the draws:\n\n{curve_markdown(curve)}\n\n{curve.sentence()}"
    )
    return write_result(
        "paper_curve",
        text,
        command=_command("curve", folder),
        data={"table": curve.table(), "seconds": seconds},
        load=load,
        folder=folder,
    )


def intervals_block(folder: Path, *, splits: int = 20, seed: int = 0) -> Path:
    """The ensemble's 90 % intervals over many splits, for both targets."""
    from surrogate.evaluation.report import interval_sentence, verdict_sentences

    text, data, loads = [], {}, []
    for target, name in TARGETS.items():
        result, seconds, load = timed(_transfer, target, splits, seed)
        loads.append(load)
        summary = result.summary()
        data[target] = {"intervals": result.intervals, "summary": summary, "seconds": seconds}
        ensemble = _mape(summary, "transferred_ensemble") or "(no ensemble)"
        text += [
            f"{name} (`surrogate transfer {SOURCE} {DESTINATION} --splits {splits}"
            + ("" if target == "tortuosity" else f" --target {target}")
            + f"`, {_seconds(seconds)} wall, {load['state']}):",
            "",
            interval_sentence(result.intervals, result.architecture),
            f"The ensemble's mean: {ensemble} % MAPE; the single transferred net: "
            f"{_mape(summary, 'transferred')} %.",
            "",
            *verdict_sentences(summary, result.split_rows),
            "",
        ]
    return write_result(
        "paper_intervals",
        "\n".join(text),
        command=_command("intervals", folder),
        data=data,
        load=_worst(loads),
        folder=folder,
    )


def replay_block(folder: Path, *, seed: int = 0) -> Path:
    """``python -m workflows.active_replay`` at its defaults: active vs random vs space-filling."""
    from workflows.active_replay import run_replay

    with tempfile.TemporaryDirectory() as scratch:
        table, seconds, load = timed(
            run_replay, source=SOURCE, destination=DESTINATION, target="tortuosity", initial=5,
            batch=5, budget=None, repetitions=5, members=10, epochs=250, seed=seed,
            out=Path(scratch),
        )  # fmt: skip
    text = (
        f"`python -m workflows.active_replay` ({SOURCE} -> {DESTINATION}, `euclidean` τ, 5 "
        f"repetitions, ensembles of 10; {_seconds(seconds)} wall), test MAPE %, mean ± std:"
        f"\n\n{table}"
    )
    return write_result(
        "paper_replay",
        text,
        command=_command("replay", folder),
        data={"seconds": seconds},
        load=load,
        folder=folder,
    )


BLOCKS = {
    "datasets": datasets_block,
    "transfer": transfer_block,
    "curve": curve_block,
    "intervals": intervals_block,
    "replay": replay_block,
}


@app.command()
def paper_results(
    steps: Annotated[list[str], typer.Argument(help=f"Any of: {', '.join(STEPS)}.")],
    results: Annotated[
        Path | None,
        typer.Option(help="Folder of the result blocks (default: this checkout's docs/results)."),
    ] = None,
) -> None:
    """Measure the README's results against the paper on the shipped datasets."""
    unknown = [step for step in steps if step not in BLOCKS]
    if unknown:
        raise bad_option(
            ValueError(f"{', '.join(unknown)} is not one of {', '.join(STEPS)}"), "'STEPS'"
        )
    for step in steps:
        print(f"wrote {BLOCKS[step](results or RESULTS)}")


def main(argv=None) -> None:
    run(app, "workflows.paper_results", argv)


if __name__ == "__main__":
    main()
