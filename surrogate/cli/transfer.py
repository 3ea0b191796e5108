"""``surrogate transfer``: pretrain (or reuse a run's net), transfer, evaluate, write a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli.options import option_groups
from surrogate.cli._errors import echo_lines
from surrogate.cli._options import (
    DATASETS,
    TABLES,
    TRAINING,
    HiddenOption,
    RunsOption,
    WorkersOption,
)


@option_groups
def transfer(
    datasets: dict = DATASETS,
    hidden: HiddenOption = None,
    splits: Annotated[int, typer.Option(help="Random 70/30 splits.")] = 5,
    training: dict = TRAINING,
    runs: RunsOption = Path("runs"),
    tables: dict = TABLES,
    members: Annotated[
        int,
        typer.Option(
            help="Transferred nets in the ensemble that gives predictions an interval (0: none)."
        ),
    ] = 10,
    level: Annotated[float, typer.Option(help="Coverage the ensemble's intervals aim at.")] = 0.9,
    workers: WorkersOption = None,
) -> None:
    """Transfer a net from SOURCE to DESTINATION and evaluate it.

    Pretrain on SOURCE (or reuse a run's net), transfer to DESTINATION, evaluate against the
    alternatives and baselines over random splits, give predictions calibrated intervals
    (an ensemble), explain with SHAP.
    """
    from surrogate.evaluation.parallel import workers_for
    from surrogate.evaluation.runs import transfer_run
    from surrogate.evaluation.sides import load_sides

    sides = load_sides(**datasets, hidden=hidden, **tables)
    echo_lines(sides.notes(), err=True)
    run = transfer_run(
        sides, splits=splits, **training, hidden=hidden, members=members, level=level,
        runs=runs, progress=True, workers=workers_for(training["epochs"], workers),
    )  # fmt: skip
    echo_lines(run.lines)
    echo_lines((f"warning: {line}" for line in run.warnings), err=True)
