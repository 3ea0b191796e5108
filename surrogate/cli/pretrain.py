"""``surrogate pretrain``: train the MLP on one dataset and save it as a run."""

from __future__ import annotations

from pathlib import Path

from generator.cli.options import option_groups
from surrogate.cli._errors import echo_lines
from surrogate.cli._options import (
    TABLES,
    TASK,
    TRAINING,
    DatasetArgument,
    HiddenOption,
    RunsOption,
    WhereOption,
)


@option_groups
def pretrain(
    source: DatasetArgument,
    task: dict = TASK,
    where: WhereOption = None,
    hidden: HiddenOption = None,
    training: dict = TRAINING,
    runs: RunsOption = Path("runs"),
    tables: dict = TABLES,
) -> None:
    """Train the MLP on one dataset and save it.

    70/30 split, 10 % of the training rows for validation; 'surrogate transfer RUN DST'
    reuses the net.
    """
    from surrogate.evaluation.runs import pretrain_run
    from surrogate.evaluation.sides import dataset_notes, load_one

    data, target = load_one(source, **task, where=where, **tables)
    echo_lines(dataset_notes([data], [source]), err=True)
    run = pretrain_run(data, target, hidden=hidden, **training, runs=runs)
    echo_lines(run.lines)
