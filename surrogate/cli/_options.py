"""Options shared by several commands, each declared once (typer ``Annotated`` aliases): the
datasets and their table options, the training options, and the run folders. Options always
taken together are groups (:class:`generator.cli.options.OptionGroup`), one parameter of a
command decorated with :func:`generator.cli.options.option_groups`: what to learn
(:data:`TASK`; with both datasets of a transfer and their rows, :data:`DATASETS`), how to read
electrode tables (:data:`TABLES`) and how to train (:data:`TRAINING`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli.options import OptionGroup
from surrogate._shared import (
    ELECTRODE_PRESETS,
    ELECTRODE_TARGETS,
    GDL_DATASETS,
    GDL_DIFFUSIVE_TARGETS,
    GDL_GEOMETRIC_TARGETS,
    or_list,
)

# Help texts built from the lists the library checks (surrogate._shared): what help offers is
# what the code accepts.
DATASET_HELP = (
    f"{', '.join([*GDL_DATASETS, *ELECTRODE_PRESETS])}, or a path: a sweep dataset (.h5) or a "
    "table (.csv, .xlsx, .parquet)"
)
TARGET_HELP = (
    f"Column to learn ({or_list(GDL_GEOMETRIC_TARGETS)} for {or_list(GDL_DATASETS)} and sweep "
    f"datasets, also {or_list(GDL_DIFFUSIVE_TARGETS)} of a sweep measured with --properties "
    f"...,diffusive; {or_list(ELECTRODE_TARGETS)} for {'/'.join(ELECTRODE_PRESETS)}; any column of "
    "your own table)."
)

# The datasets: pretrain, transfer and curve.
SourceArgument = Annotated[
    str,
    typer.Argument(
        metavar="SOURCE",
        help=f"Source: {DATASET_HELP}; or a run directory whose pretrained net to reuse.",
    ),
]
DestinationArgument = Annotated[
    str, typer.Argument(metavar="DESTINATION", help=f"Destination: {DATASET_HELP}.")
]
DatasetArgument = Annotated[str, typer.Argument(help=f"Dataset: {DATASET_HELP}.")]
# The active loop simulates GDL samples: its source is a GDL dataset or a GDL run's net.
GDLSourceArgument = Annotated[
    str,
    typer.Argument(
        metavar="SOURCE",
        help=f"Source: {or_list(GDL_DATASETS)}, a sweep dataset (.h5), or a run directory "
        "whose pretrained net (on the GDL inputs) to reuse.",
    ),
]

# How to read a table: pretrain, transfer and curve.
TargetOption = Annotated[str | None, typer.Option(help=TARGET_HELP)]
SourceTargetOption = Annotated[
    str | None,
    typer.Option(
        help="Column of SOURCE to pretrain on, chosen as --target is (a cheap one: the geometric "
        "tortuosity, or a coarser voxel size's value); default --target. The transfer's "
        "adapter learns the new scale."
    ),
]
InputsOption = Annotated[
    str | None,
    typer.Option(help="Input columns of a table, comma separated, as typed in its header."),
]
SpecOption = Annotated[
    Path | None,
    typer.Option(
        help="YAML/JSON spec: inputs, target, units, bounds, renames, where (surrogate/README.md)."
    ),
]
WhereOption = Annotated[
    str | None, typer.Option(help="Row filter, e.g. \"Chemistry == 'graphite'\".")
]
SourceWhereOption = Annotated[
    str | None,
    typer.Option(help="Row filter of the source, e.g. \"Chemistry == 'graphite'\"."),
]
DestWhereOption = Annotated[str | None, typer.Option(help="Row filter of the destination.")]
TableOption = Annotated[
    Path | None,
    typer.Option(
        help="Electrode table (CSV, Excel, Parquet) for graphite/sigra/nmc; default: the "
        "shipped synthetic one."
    ),
]
ColumnsOption = Annotated[
    Path | None, typer.Option(help="YAML/JSON mapping {their column: canonical}.")
]
DropInvalidOption = Annotated[bool, typer.Option("--drop-invalid", help="Drop invalid table rows.")]

# Training: pretrain, transfer, curve and active.
HiddenOption = Annotated[
    str | None,
    typer.Option(
        help="Hidden layers: 3x3 (layers x width) or widths 8,8,4; default: the paper's net."
    ),
]
EpochsOption = Annotated[int, typer.Option(help="Epochs per training.")]
RestartsOption = Annotated[int, typer.Option(help="Restarts per training, chosen on validation.")]
SeedOption = Annotated[
    int, typer.Option(help="Seed of every random draw (splits, subsets, candidates) and training.")
]

WorkersOption = Annotated[
    int | None,
    typer.Option(
        help="Processes the splits or subsets are fitted in, side by side (default: the cores "
        "this process may use, or 1 below 100 epochs, where starting them costs more than they "
        "save); the numbers do not depend on it.",
        min=1,
    ),
]

# What to learn (``load_one(source, **task)``), how to read electrode tables (``**tables``) and
# how to train (``pretrain_run(data, target, **training)``): pretrain, transfer and curve.
TASK = OptionGroup(
    {"target": (TargetOption, None), "inputs": (InputsOption, None), "spec": (SpecOption, None)}
)
# The two datasets of transfer and curve, what to learn and which rows of each
# (``load_sides(**datasets)``).
DATASETS = OptionGroup(
    {
        "source": (SourceArgument, ...),
        "destination": (DestinationArgument, ...),
        **TASK,
        "source_target": (SourceTargetOption, None),
        "source_where": (SourceWhereOption, None),
        "dest_where": (DestWhereOption, None),
    }
)
TABLES = OptionGroup(
    {
        "table": (TableOption, None),
        "columns": (ColumnsOption, None),
        "drop_invalid": (DropInvalidOption, False),
    }
)
TRAINING = OptionGroup(
    {"epochs": (EpochsOption, 250), "restarts": (RestartsOption, 3), "seed": (SeedOption, 0)}
)

# Run folders: written by pretrain, transfer and curve; read by predict and explain.
RunsOption = Annotated[Path, typer.Option(help="Folder of run directories.")]
RunArgument = Annotated[
    Path,
    typer.Argument(
        help="A run directory of pretrain or transfer (predict: also an active loop's folder)."
    ),
]
