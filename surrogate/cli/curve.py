"""``surrogate curve``: test error against the number of destination rows, written as a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli.options import option_groups
from surrogate.cli._errors import echo_lines, fail
from surrogate.cli._options import (
    DATASETS,
    TABLES,
    TRAINING,
    HiddenOption,
    RunsOption,
    WorkersOption,
)


@option_groups
def curve(
    datasets: dict = DATASETS,
    hidden: HiddenOption = None,
    sizes: Annotated[
        str, typer.Option(help="Destination training sizes (the whole pool is always added).")
    ] = "5,10,20,40",
    repetitions: Annotated[int, typer.Option(help="Subsets drawn per size.")] = 10,
    level: Annotated[
        float | None,
        typer.Option(
            help="MAPE (%) to reach; default: the same MLP's from scratch with every row."
        ),
    ] = None,
    training: dict = TRAINING,
    runs: RunsOption = Path("runs"),
    tables: dict = TABLES,
    workers: WorkersOption = None,
) -> None:
    """Test error against the number of DESTINATION rows.

    On a fixed held-out part of DESTINATION, for the transferred net, the same MLP from
    scratch, fine-tuning, an offset on the pretrained net, linear regression and the
    pretrained net.
    """
    from surrogate.evaluation.parallel import workers_for
    from surrogate.evaluation.runs import curve_run
    from surrogate.evaluation.sides import load_sides

    try:
        wanted = [int(part) for part in sizes.split(",") if part.strip()]
    except ValueError:
        fail(f"--sizes {sizes!r} must be whole numbers separated by commas, e.g. 5,10,20,40")
    sides = load_sides(**datasets, hidden=hidden, **tables)
    echo_lines(sides.notes(), err=True)
    run = curve_run(
        sides, sizes=wanted, repetitions=repetitions, level=level, **training, hidden=hidden,
        runs=runs, progress=True, workers=workers_for(training["epochs"], workers),
    )  # fmt: skip
    echo_lines(run.lines)
    echo_lines((f"warning: {line}" for line in run.warnings), err=True)
