"""``surrogate pretrain``: train the MLP on one dataset and save it as a run."""

from __future__ import annotations

from pathlib import Path

from surrogate.cli._errors import echo_lines
from surrogate.cli._options import (
    ColumnsOption,
    DatasetArgument,
    DropInvalidOption,
    EpochsOption,
    HiddenOption,
    InputsOption,
    RestartsOption,
    RunsOption,
    SeedOption,
    SpecOption,
    TableOption,
    TargetOption,
    WhereOption,
)


def pretrain(
    source: DatasetArgument,
    target: TargetOption = None,
    inputs: InputsOption = None,
    spec: SpecOption = None,
    where: WhereOption = None,
    hidden: HiddenOption = None,
    epochs: EpochsOption = 250,
    restarts: RestartsOption = 3,
    seed: SeedOption = 0,
    runs: RunsOption = Path("runs"),
    table: TableOption = None,
    columns: ColumnsOption = None,
    drop_invalid: DropInvalidOption = False,
) -> None:
    """Train the MLP on one dataset and save it.

    70/30 split, 10 % of the training rows for validation; 'surrogate transfer RUN DST'
    reuses the net.
    """
    from surrogate.evaluation.runs import pretrain_run
    from surrogate.evaluation.sides import dataset_notes, load_one

    data, target = load_one(
        source, target=target, inputs=inputs, spec=spec, where=where, table=table,
        columns=columns, drop_invalid=drop_invalid,
    )  # fmt: skip
    echo_lines(dataset_notes([data], [source]), err=True)
    run = pretrain_run(
        data, target, hidden=hidden, epochs=epochs, restarts=restarts, seed=seed, runs=runs
    )
    echo_lines(run.lines)
