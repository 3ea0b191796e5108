"""``surrogate transfer``: pretrain (or reuse a run's net), transfer, evaluate, write a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from surrogate.cli._errors import echo_lines
from surrogate.cli._options import (
    ColumnsOption,
    DestinationArgument,
    DestWhereOption,
    DropInvalidOption,
    EpochsOption,
    HiddenOption,
    InputsOption,
    RestartsOption,
    RunsOption,
    SeedOption,
    SourceArgument,
    SourceWhereOption,
    SpecOption,
    TableOption,
    TargetOption,
)


def transfer(
    source: SourceArgument,
    destination: DestinationArgument,
    target: TargetOption = None,
    inputs: InputsOption = None,
    spec: SpecOption = None,
    source_where: SourceWhereOption = None,
    dest_where: DestWhereOption = None,
    hidden: HiddenOption = None,
    splits: Annotated[int, typer.Option(help="Random 70/30 splits.")] = 5,
    epochs: EpochsOption = 250,
    restarts: RestartsOption = 3,
    seed: SeedOption = 0,
    runs: RunsOption = Path("runs"),
    table: TableOption = None,
    columns: ColumnsOption = None,
    drop_invalid: DropInvalidOption = False,
    members: Annotated[
        int,
        typer.Option(
            help="Transferred nets in the ensemble that gives predictions an interval (0: none)."
        ),
    ] = 10,
    level: Annotated[float, typer.Option(help="Coverage the ensemble's intervals aim at.")] = 0.9,
) -> None:
    """Transfer a net from SOURCE to DESTINATION and evaluate it.

    Pretrain on SOURCE (or reuse a run's net), transfer to DESTINATION, evaluate against the
    alternatives and baselines over random splits, give predictions calibrated intervals
    (an ensemble), explain with SHAP.
    """
    from surrogate.evaluation.runs import transfer_run
    from surrogate.evaluation.sides import load_sides

    sides = load_sides(
        source, destination, target=target, inputs=inputs, spec=spec,
        source_where=source_where, dest_where=dest_where, hidden=hidden, table=table,
        columns=columns, drop_invalid=drop_invalid,
    )  # fmt: skip
    echo_lines(sides.notes(), err=True)
    run = transfer_run(
        sides, splits=splits, epochs=epochs, restarts=restarts, seed=seed, hidden=hidden,
        members=members, level=level, runs=runs, progress=True,
    )  # fmt: skip
    echo_lines(run.lines)
