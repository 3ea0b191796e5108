"""``surrogate explain``: SHAP figures of a run's net again."""

from __future__ import annotations

from typing import Annotated

import typer

from surrogate._shared import EXPLAIN_KINDS, or_list
from surrogate.cli._errors import echo_lines
from surrogate.cli._options import RunArgument


def explain(
    run: RunArgument,
    model: Annotated[
        str | None,
        typer.Option(help=f"{or_list(EXPLAIN_KINDS)}; default: the first of these the run has."),
    ] = None,
) -> None:
    """SHAP of a run's model: one prediction and the beeswarm.

    The exact explainer (every coalition of the inputs, up to about 12) against the training
    rows; the explanations sum to prediction minus base value (the error is printed).
    """
    from surrogate.evaluation.runs import explain_run

    echo_lines(explain_run(run, model=model).lines)
