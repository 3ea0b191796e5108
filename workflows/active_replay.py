"""Active vs random vs space-filling selection of expensive samples, replayed on a simulated pool.

The shipped (or any) destination dataset stands in for the simulator: a fixed 30 % is the test
set, the rest the pool the strategies draw from (see :mod:`surrogate.active.replay`). The net every
ensemble builds on is pretrained once on the source. Writes ``replay.md``, ``replay.json`` and
``active_replay.png`` to ``--out``.

Run: ``python -m workflows.active_replay --out replay`` (about 5 min on 2 cores at the defaults)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from workflows._cli import output_folder, run, workflow_app

app = workflow_app()
DEFAULT_OUT = Path("replay")


@app.command()
def active_replay(
    source: Annotated[str, typer.Option(help="Dataset to pretrain on.")] = "gdl200",
    destination: Annotated[
        str, typer.Option(help="Simulated samples used as the pool and test.")
    ] = "gdl1000",
    target: Annotated[str, typer.Option(help="Target column.")] = "tortuosity",
    initial: Annotated[int, typer.Option(help="Random samples to start from.")] = 5,
    batch: Annotated[int, typer.Option(help="Samples added per step.")] = 5,
    budget: Annotated[int | None, typer.Option(help="Samples at most (whole pool).")] = None,
    repetitions: Annotated[int, typer.Option(help="Initial draws (>= 5).")] = 5,
    members: Annotated[int, typer.Option(help="Nets per ensemble.")] = 10,
    epochs: Annotated[int, typer.Option(help="Epochs per net.")] = 250,
    seed: Annotated[int, typer.Option(help="Seed of split, draws and nets.")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder.")] = DEFAULT_OUT,
) -> None:
    """Compare choosing samples by ensemble disagreement with random and space-filling choice,
    on a pool of already simulated samples."""
    output_folder(out)
    settings = {
        "source": source, "destination": destination, "target": target, "initial": initial,
        "batch": batch, "budget": budget, "repetitions": repetitions, "members": members,
        "epochs": epochs, "seed": seed, "out": out,
    }  # fmt: skip
    try:
        text = run_replay(**settings)
    except DestinationError as err:
        raise typer.BadParameter(str(err), param_hint="'--destination'") from None
    print(text)
    print(f"wrote {out / 'replay.md'}")


class DestinationError(ValueError):
    """The destination dataset has other inputs than the GDL parameters."""


def run_replay(
    *, source, destination, target, initial, batch, budget, repetitions, members, epochs, seed,
    out,
) -> str:  # fmt: skip
    """Pretrain on ``source``, replay the strategies on ``destination``'s samples and write
    ``replay.md``, ``replay.json`` and ``active_replay.png`` to ``out``; returns the table."""
    settings = {**locals(), "out": str(out)}  # the options, as replay.json records them
    from generator import provenance
    from generator.sweep.design import PARAMETERS, validate_ranges
    from surrogate.active.replay import STRATEGIES, plot_replay, replay, replay_markdown
    from surrogate.data.registry import load_dataset
    from surrogate.estimators.regressors import NetOptions
    from surrogate.evaluation.evaluate import pretrain
    from surrogate.nets.models import DEFAULT_ARCHITECTURES, FALLBACK_ARCHITECTURE

    name = destination
    source, destination = load_dataset(source), load_dataset(destination)
    if list(destination.feature_names) != list(PARAMETERS):
        raise DestinationError(f"{name} must have the GDL inputs {', '.join(PARAMETERS)}")
    xs, ys = source.arrays(target)
    xd, yd = destination.arrays(target)
    order = np.random.default_rng(seed + 1).permutation(len(xs))
    n_val = max(1, int(round(0.1 * len(xs))))
    hidden = DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE)
    net, _ = pretrain(xs, ys, order[n_val:], order[:n_val], hidden, NetOptions(epochs=epochs), seed)
    ranges = destination.provenance.get("ranges") or validate_ranges(None)
    result = replay(
        net, xd, yd, ranges, initial=initial, batch=batch, budget=budget,
        repetitions=repetitions, members=members, epochs=epochs, seed=seed,
        progress=True,
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    text = replay_markdown(result, destination.name)
    plot_replay(result, out / "active_replay.png", destination.name)
    (out / "replay.md").write_text(
        f"# Choosing {destination.name} samples: active vs random vs space-filling\n\n"
        f"Pool-based replay: the {len(xd)} simulated {destination.name} samples stand in for "
        f"the simulator; the ensembles ({members} transferred nets on a net pretrained on "
        f"{source.name}) learn {target}.\n\n{text}\n\n![replay](active_replay.png)\n"
    )
    record = {
        "sizes": result.sizes,
        "mape": {s: result.mape[s] for s in STRATEGIES},
        "all_pool_mape": result.all_pool_mape,
        "test_rows": result.test_rows,
        "pool_rows": result.pool_rows,
        "settings": settings,
        "provenance": provenance(),
    }
    (out / "replay.json").write_text(json.dumps(record, indent=2, default=str))
    return text


def main(argv=None) -> None:
    run(app, "workflows.active_replay", argv)


if __name__ == "__main__":
    main()
