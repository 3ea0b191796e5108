"""Active vs random vs space-filling selection of expensive samples, replayed on a simulated pool.

The shipped (or any) destination dataset stands in for the simulator: a fixed 30 % is the test
set, the rest the pool the strategies draw from (see :mod:`surrogate.active.replay`). The net every
ensemble builds on is pretrained once on the source. Writes ``replay.md``, ``replay.json`` and
``active_replay.png`` to ``--out``; with ``--results NAME`` also the result block
``docs/results/NAME.md`` (:mod:`workflows.readme_blocks`).

On a fidelity ladder the source is cheap and the target expensive: ``--cheap DATASET`` (its rows
joined to the destination's on ``id``) pretrains the net on its ``--source-target`` column, and
``--model cheap_value_input`` gives the ensemble each row's paired cheap value as an input. The
physics ladder, once ``python -m workflows.regenerate_data`` has made the diffusive columns::

    python -m workflows.active_replay --cheap gdl200 --destination gdl200 \\
        --source-target tortuosity --target tau_diffusive --budget 60 --results physics_replay

Run: ``python -m workflows.active_replay --out replay`` (about 5 min on 2 cores at the defaults)
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from surrogate.evaluation.parallel import default_workers
from workflows._cli import output_folder, run, workflow_app

app = workflow_app()
DEFAULT_OUT = Path("replay")
DEFAULT_SOURCE = "gdl200"
REGENERATE = "python -m workflows.regenerate_data"


@app.command()
def active_replay(
    source: Annotated[
        str | None,
        typer.Option(help=f"Dataset to pretrain on ({DEFAULT_SOURCE}; not with --cheap)."),
    ] = None,
    destination: Annotated[
        str, typer.Option(help="Simulated samples used as the pool and test.")
    ] = "gdl1000",
    target: Annotated[str, typer.Option(help="Target column (the expensive one).")] = "tortuosity",
    source_target: Annotated[
        str | None,
        typer.Option(help="Column the net is pretrained on (a cheap one; default --target)."),
    ] = None,
    cheap: Annotated[
        str | None,
        typer.Option(
            help="Paired cheap dataset of a fidelity ladder, joined to the destination on id: "
            "pretrains the net and gives --model cheap_value_input its paired value."
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="Ensemble members: transferred or cheap_value_input.")
    ] = "transferred",
    initial: Annotated[int, typer.Option(help="Random samples to start from.")] = 5,
    batch: Annotated[int, typer.Option(help="Samples added per step.")] = 5,
    budget: Annotated[int | None, typer.Option(help="Samples at most (whole pool).")] = None,
    repetitions: Annotated[int, typer.Option(help="Initial draws (>= 5).")] = 5,
    members: Annotated[int, typer.Option(help="Nets per ensemble.")] = 10,
    epochs: Annotated[int, typer.Option(help="Epochs per net.")] = 250,
    seed: Annotated[int, typer.Option(help="Seed of split, draws and nets.")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder.")] = DEFAULT_OUT,
    results: Annotated[
        str | None,
        typer.Option(help="Also write the result block docs/results/NAME.md and NAME.json."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Repetitions replayed side by side, one process each (default: the cores "
            "this process may use); the numbers do not depend on it."
        ),
    ] = None,
) -> None:
    """Compare choosing samples by ensemble disagreement with random and space-filling choice,
    on a pool of already simulated samples."""
    output_folder(out)
    settings = {
        "source": source, "destination": destination, "target": target, "initial": initial,
        "batch": batch, "budget": budget, "repetitions": repetitions, "members": members,
        "epochs": epochs, "seed": seed, "out": out, "source_target": source_target,
        "cheap": cheap, "model": model,
    }  # fmt: skip
    if workers is not None and workers < 1:
        message = f"{workers} is not a number of processes"
        raise typer.BadParameter(message, param_hint="'--workers'")
    settings["workers"] = workers or default_workers()
    try:
        if results is not None:
            from workflows.readme_blocks import timed

            text, seconds, load = timed(run_replay, **settings)
            path = write_replay_block(results, text, settings, seconds=seconds, load=load)
            print(f"wrote {path}")
        else:
            text = run_replay(**settings)
    except ReplayInputError as err:
        raise typer.BadParameter(str(err), param_hint=f"'--{err.option}'") from None
    print(text)
    print(f"wrote {out / 'replay.md'}")


class ReplayInputError(ValueError):
    """A dataset, column or option of the replay that cannot be used; ``option`` names the
    command's option it came from."""

    def __init__(self, message: str, option: str):
        super().__init__(message)
        self.option = option


def _load(name: str, option: str):
    """The dataset ``name`` (rows that cannot train a MAPE model left out), or a
    :class:`ReplayInputError` naming the missing file and the command that makes it."""
    from surrogate.data.registry import load_dataset

    try:
        return load_dataset(name, drop_invalid=True)
    except FileNotFoundError as err:
        raise ReplayInputError(
            f"{err}; the shipped datasets and the 4 and 2 um rungs of the ladder are made by "
            f"`{REGENERATE}`",
            option,
        ) from None
    except ValueError as err:
        raise ReplayInputError(str(err), option) from None


def _column(data, column: str, option: str) -> None:
    """Raise :class:`ReplayInputError` naming ``column``, the dataset's columns and the command
    that makes the diffusive ones, unless ``data`` has it."""
    columns = list(data.targets.columns)
    if column not in columns:
        raise ReplayInputError(
            f"{option.replace('-', '_')}={column!r}: dataset {data.name!r} has no such column; "
            f"it has {', '.join(columns)} (the diffusive columns tau_diffusive and "
            f"effective_diffusivity come from a sweep with --properties geodesic,diffusive; "
            f"`{REGENERATE}` makes them for the shipped datasets)",
            option,
        )


def paired_rows(cheap, destination, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The destination rows that have a cheap row of the same ``id``, and that row's
    ``column`` value.

    Parameters
    ----------
    cheap, destination : TableDataset
        Sweep datasets of one ladder (``sweep --design-from``) or one dataset twice.
    column : str
        The cheap dataset's column.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Positions of the paired destination rows, and their cheap values.

    Raises
    ------
    ReplayInputError
        Either side without ids, ids repeated in the cheap dataset, or no row paired.

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data.frame import from_frame
    >>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0], "id": ["a", "b", "c"]})
    >>> cheap = from_frame("cheap", frame.iloc[[0, 2]], ["x"], ["y"], rows=["id"])
    >>> dear = from_frame("dear", frame.iloc[[2, 1, 0]], ["x"], ["y"], rows=["id"])
    >>> kept, values = paired_rows(cheap, dear, "y")
    >>> kept.tolist(), values.tolist()
    ([0, 2], [6.0, 2.0])
    """
    for data in (cheap, destination):
        if data.rows is None or "id" not in data.rows:
            raise ReplayInputError(
                f"dataset {data.name!r} has no id column: a ladder's rows pair on the ids a "
                "sweep writes (gdl-generator sweep --design-from DATASET keeps them)",
                "cheap",
            )
    ids = cheap.rows["id"].astype(str)
    if ids.duplicated().any():
        raise ReplayInputError(f"dataset {cheap.name!r} repeats ids: rows cannot pair", "cheap")
    values = dict(zip(ids, cheap.targets[column].to_numpy(np.float64), strict=True))
    found = [values.get(i) for i in destination.rows["id"].astype(str)]
    kept = np.array([k for k, v in enumerate(found) if v is not None], dtype=int)
    if not len(kept):
        raise ReplayInputError(
            f"no row of {destination.name!r} has a row of the same id in {cheap.name!r}: "
            "not a fidelity ladder (make one with gdl-generator sweep --design-from)",
            "cheap",
        )
    return kept, np.array([found[k] for k in kept], dtype=np.float64)


def run_replay(
    *, source, destination, target, initial, batch, budget, repetitions, members, epochs, seed,
    out, source_target=None, cheap=None, model="transferred", workers=1,
) -> str:  # fmt: skip
    """Pretrain on ``source`` (or the cheap rung ``cheap``), replay the strategies on
    ``destination``'s samples and write ``replay.md``, ``replay.json`` and
    ``active_replay.png`` to ``out``; returns the table.

    Raises
    ------
    ReplayInputError
        A missing dataset or column (naming the command that makes it), a destination without
        the GDL inputs, a cheap dataset that does not pair with it, ``source`` and ``cheap``
        both given, an unknown ``model``.
    """
    # The options, as replay.json records them (not the processes: they change no number).
    settings = {**locals(), "out": str(out)}
    settings.pop("workers")
    from generator import provenance
    from generator.sweep.design import PARAMETERS, validate_ranges
    from surrogate.active.replay import MODELS, STRATEGIES, plot_replay, replay, replay_markdown
    from surrogate.data.costs import row_costs
    from surrogate.estimators.regressors import NetOptions
    from surrogate.evaluation.evaluate import pretrain
    from surrogate.nets.models import DEFAULT_ARCHITECTURES, FALLBACK_ARCHITECTURE

    if source is not None and cheap is not None:
        raise ReplayInputError(
            f"source={source!r} and cheap={cheap!r}: the cheap dataset is the source on a "
            "ladder; give one of them",
            "cheap",
        )
    if model not in MODELS:
        raise ReplayInputError(f"model={model!r}: expected one of {', '.join(MODELS)}", "model")
    if model == "cheap_value_input" and cheap is None:
        raise ReplayInputError(
            "model='cheap_value_input' takes the paired cheap value of each row: give the "
            "cheap dataset (cheap=)",
            "cheap",
        )
    source_target = source_target or target
    name = destination
    source_data = _load(cheap or source or DEFAULT_SOURCE, "cheap" if cheap else "source")
    dest = _load(destination, "destination")
    if list(dest.feature_names) != list(PARAMETERS):
        raise ReplayInputError(
            f"{name} must have the GDL inputs {', '.join(PARAMETERS)}", "destination"
        )
    # A missing column is named as the user gave it: --source-target, else --target.
    _column(source_data, source_target, "source-target" if settings["source_target"] else "target")
    _column(dest, target, "target")
    xs, ys = source_data.arrays(source_target)
    xd, yd = dest.arrays(target)
    costs = row_costs(dest, target)
    keep, paired = np.arange(len(xd)), None
    if cheap is not None:
        keep, paired = paired_rows(source_data, dest, source_target)
    xd, yd = xd[keep], yd[keep]
    seconds = costs.seconds[keep] if costs.seconds is not None else None
    order = np.random.default_rng(seed + 1).permutation(len(xs))
    n_val = max(1, int(round(0.1 * len(xs))))
    hidden = DEFAULT_ARCHITECTURES.get(source_target, FALLBACK_ARCHITECTURE)
    net, _ = pretrain(xs, ys, order[n_val:], order[:n_val], hidden, NetOptions(epochs=epochs), seed)
    ranges = dest.provenance.get("ranges") or validate_ranges(None)
    try:
        result = replay(
            net, xd, yd, ranges, initial=initial, batch=batch, budget=budget,
            repetitions=repetitions, members=members, epochs=epochs, seed=seed,
            progress=True, rescale=source_target != target, model=model, cheap=paired,
            hidden=DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE), seconds=seconds,
            cost_kind=costs.kind, workers=workers,
        )  # fmt: skip
    except ValueError as err:
        raise ReplayInputError(str(err), "budget") from None
    out.mkdir(parents=True, exist_ok=True)
    text = replay_markdown(result, dest.name)
    plot_replay(result, out / "active_replay.png", dest.name)
    notes = _notes(source_data, dest, source_target, target, cheap, len(keep), model)
    cheap_costs = row_costs(source_data, source_target)
    if cheap_costs.seconds is not None:
        notes.append(
            f"Pretraining on the {len(xs)} {source_data.name} rows cost "
            f"{cheap_costs.total() / 3600:.3g} {cheap_costs.kind}-hours, the same for every "
            "strategy (not counted in the hours above)."
        )
    elif seconds is None:
        notes.append("The datasets record no per-sample times: no hours are counted.")
    text = " ".join(notes) + "\n\n" + text
    (out / "replay.md").write_text(
        f"# Choosing {dest.name} samples: active vs random vs space-filling\n\n"
        f"Pool-based replay: {len(xd)} simulated {dest.name} samples stand in for the "
        f"simulator.\n\n{text}\n\n![replay](active_replay.png)\n"
    )
    record = {
        "sizes": result.sizes,
        "mape": {s: result.mape[s] for s in STRATEGIES},
        "hours": result.hours,
        "cost_kind": result.cost_kind,
        "all_pool_mape": result.all_pool_mape,
        "test_rows": result.test_rows,
        "pool_rows": result.pool_rows,
        "settings": settings,
        "provenance": provenance(),
    }
    (out / "replay.json").write_text(json.dumps(record, indent=2, default=str))
    return text


def _notes(source, dest, source_target, target, cheap, paired, model) -> list[str]:
    """What the replay learnt from what, in words, for the top of its report."""
    members = (
        "transferred nets (adapters on the frozen pretrained net"
        + (", each starting from a line fitted to the target)" if source_target != target else ")")
        if model == "transferred"
        else f"nets on the inputs plus the paired {source.name} {source_target}"
    )
    lines = [
        f"The net is pretrained on {source_target} of the {len(source)} {source.name} rows; "
        f"the ensembles, of {members}, learn {target} of {dest.name}."
    ]
    if cheap is not None:
        lines.append(
            f"{paired} of the {len(dest)} {dest.name} rows pair with a {source.name} row on id "
            f"(only those are offered); the cheap value is known for every design, test rows "
            "included, as on a ladder whose cheap rung is run everywhere."
        )
    for data in (source, dest):
        dropped = data.provenance.get("dropped_rows") or []
        if dropped:
            lines.append(f"{len(dropped)} {data.name} row(s) left out (no finite positive value).")
    return lines


def command_line(settings: dict, results: str) -> str:
    """The command that reproduces a replay, as a user would type it: the options that differ
    from their defaults.

    Examples
    --------
    >>> command_line({"cheap": "gdl200", "budget": 60, "seed": 0, "out": "replay"}, "physics")
    'python -m workflows.active_replay --cheap gdl200 --budget 60 --results physics'
    """
    defaults = {"destination": "gdl1000", "target": "tortuosity", "model": "transferred",
                "initial": 5, "batch": 5, "repetitions": 5, "members": 10, "epochs": 250,
                "seed": 0, "out": str(DEFAULT_OUT)}  # fmt: skip
    words = ["python", "-m", "workflows.active_replay"]
    for key, value in settings.items():
        if value is None or defaults.get(key) == (str(value) if key == "out" else value):
            continue
        words += [f"--{key.replace('_', '-')}", str(value)]
    return shlex.join([*words, "--results", results])


def write_replay_block(
    name: str, text: str, settings: dict, *, seconds: float, load: dict, folder=None
) -> Path:
    """The replay's report as the result block ``NAME``
    (:func:`workflows.readme_blocks.write_result`), with the command that reproduces it, its
    wall time and the load."""
    from workflows.readme_blocks import RESULTS, write_result

    settings = dict(settings)
    processes = settings.pop("workers", 1) or 1
    minutes, rest = divmod(round(seconds), 60)
    head = (
        f"Active vs random vs space-filling choice of {settings['destination']} samples "
        f"({settings['repetitions']} repetitions, ensembles of {settings['members']}; "
        f"{minutes} min {rest} s wall"
        + (f", repetitions in {processes} processes" if processes > 1 else "")
        + "):"
    )
    data = json.loads(Path(settings["out"], "replay.json").read_text())
    return write_result(
        name,
        f"{head}\n\n{text}",
        command=command_line(settings, name),
        data={"seconds": seconds, "processes": processes,
              **{k: data[k] for k in ("sizes", "mape", "hours", "cost_kind", "all_pool_mape",
                                      "test_rows", "pool_rows")}},
        load=load,
        folder=folder or RESULTS,
    )  # fmt: skip


def main(argv=None) -> None:
    run(app, "workflows.active_replay", argv)


if __name__ == "__main__":
    main()
