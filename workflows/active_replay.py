"""Active vs random vs space-filling selection of expensive samples, replayed on a simulated pool.

The shipped (or any) destination dataset stands in for the simulator: a fixed 30 % is the test
set, the rest the pool the strategies draw from (see :mod:`surrogate.active.replay`). The net every
ensemble builds on is pretrained once on the source. Writes ``replay.md``, ``replay.json`` and
``active_replay.png`` to ``--out``.

Run: ``python -m workflows.active_replay --out replay`` (about 5 min on 2 cores at the defaults)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m workflows.active_replay",
        description="Compare choosing samples by ensemble disagreement with random and "
        "space-filling choice, on a pool of already simulated samples.",
    )
    parser.add_argument("--source", default="gdl200", help="Dataset to pretrain on.")
    parser.add_argument(
        "--destination", default="gdl1000", help="Simulated samples used as the pool and test."
    )
    parser.add_argument("--target", default="tortuosity", help="Target column.")
    parser.add_argument("--initial", type=int, default=5, help="Random samples to start from.")
    parser.add_argument("--batch", type=int, default=5, help="Samples added per step.")
    parser.add_argument("--budget", type=int, default=None, help="Samples at most (whole pool).")
    parser.add_argument("--repetitions", type=int, default=5, help="Initial draws (>= 5).")
    parser.add_argument("--members", type=int, default=10, help="Nets per ensemble.")
    parser.add_argument("--epochs", type=int, default=250, help="Epochs per net.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of split, draws and nets.")
    parser.add_argument("--out", type=Path, default=Path("replay"), help="Output folder.")
    args = parser.parse_args(argv)

    from generator import provenance
    from generator.sweep.design import PARAMETERS, validate_ranges
    from surrogate.active.replay import STRATEGIES, plot_replay, replay, replay_markdown
    from surrogate.data.registry import load_dataset
    from surrogate.estimators.regressors import NetOptions
    from surrogate.evaluation.evaluate import pretrain
    from surrogate.nets.models import DEFAULT_ARCHITECTURES, FALLBACK_ARCHITECTURE

    source, destination = load_dataset(args.source), load_dataset(args.destination)
    if list(destination.feature_names) != list(PARAMETERS):
        parser.error(f"{args.destination} must have the GDL inputs {', '.join(PARAMETERS)}")
    xs, ys = source.arrays(args.target)
    xd, yd = destination.arrays(args.target)
    order = np.random.default_rng(args.seed + 1).permutation(len(xs))
    n_val = max(1, int(round(0.1 * len(xs))))
    hidden = DEFAULT_ARCHITECTURES.get(args.target, FALLBACK_ARCHITECTURE)
    net, _ = pretrain(
        xs, ys, order[n_val:], order[:n_val], hidden, NetOptions(epochs=args.epochs), args.seed
    )
    ranges = destination.provenance.get("ranges") or validate_ranges(None)
    result = replay(
        net, xd, yd, ranges, initial=args.initial, batch=args.batch, budget=args.budget,
        repetitions=args.repetitions, members=args.members, epochs=args.epochs, seed=args.seed,
        progress=True,
    )  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    text = replay_markdown(result, destination.name)
    plot_replay(result, args.out / "active_replay.png", destination.name)
    (args.out / "replay.md").write_text(
        f"# Choosing {destination.name} samples: active vs random vs space-filling\n\n"
        f"Pool-based replay: the {len(xd)} simulated {destination.name} samples stand in for "
        f"the simulator; the ensembles ({args.members} transferred nets on a net pretrained on "
        f"{source.name}) learn {args.target}.\n\n{text}\n\n![replay](active_replay.png)\n"
    )
    record = {
        "sizes": result.sizes,
        "mape": {s: result.mape[s] for s in STRATEGIES},
        "all_pool_mape": result.all_pool_mape,
        "test_rows": result.test_rows,
        "pool_rows": result.pool_rows,
        "settings": vars(args) | {"out": str(args.out)},
        "provenance": provenance(),
    }
    (args.out / "replay.json").write_text(json.dumps(record, indent=2, default=str))
    print(text)
    print(f"wrote {args.out / 'replay.md'}")


if __name__ == "__main__":
    main()
