"""Options that several commands share, declared once as typer ``Annotated`` aliases.

A command takes one as ``voxel_um: VoxelOption = 1.0``: the flag, its environment variable and
its help come from here, the default from the command. Groups: the sweep plan (``sweep`` and
``merge``), where a sweep runs (``sweep``; the study workflow too), and output files. Only typer
and the parameter table are imported: ``--help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.structure.parameters import PARAMETER_RANGES

STRATIFY_HELP = (
    "Fibre lines from a scrambled Sobol sequence (less scatter between seeds) or independent "
    "draws (the pure Boolean line model); the distribution of fibres is the same."
)

# Output files.
OverwriteOption = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]

# The plan of a sweep: the same values give the same samples, ids and file names.
DomainOption = Annotated[
    str, typer.Option("--domain", envvar="GDL_DOMAIN", help="Domain preset: 200 or 1000.")
]
CountOption = Annotated[
    int | None,
    typer.Option("--n", envvar="GDL_N", help="Samples (default: the paper's, 240 or 78)."),
]
DesignOption = Annotated[
    str, typer.Option("--design", envvar="GDL_DESIGN", help="Design: sobol, lhs or random.")
]
SeedOption = Annotated[
    int, typer.Option("--seed", envvar="GDL_SEED", help="Seeds the design and every sample.")
]
VoxelOption = Annotated[
    float, typer.Option("--voxel-um", envvar="GDL_VOXEL_UM", help="Voxel size in um.")
]
DatasetOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", envvar="GDL_OUT", help="Dataset file (default: gdl<domain>.h5 in this folder)."
    ),
]
VolumesOption = Annotated[
    bool,
    typer.Option("--volumes/--no-volumes", envvar="GDL_VOLUMES", help="Store (link) the volumes."),
]
StratifyOption = Annotated[
    bool, typer.Option("--stratify/--no-stratify", envvar="GDL_STRATIFY", help=STRATIFY_HELP)
]
PairingOption = Annotated[
    str,
    typer.Option(
        "--pairing",
        envvar="GDL_PAIRING",
        help="independent: each domain its own design and seeds; paired: the same parameter "
        "sets on both domains (new seeds), for studying the domain effect.",
    ),
]
ShardBaseOption = Annotated[
    int,
    typer.Option(
        "--shard-base", envvar="GDL_SHARD_BASE", help="Number of the first shard: 1 or 0."
    ),
]


def range_flag(name: str) -> str:
    """The option of a design parameter's range: ``fiber_diameter_um`` ->
    ``--fiber-diameter-range``."""
    return "--" + name.removesuffix("_um").replace("_", "-") + "-range"


def _range_option(name: str):
    low, high, unit, _ = PARAMETER_RANGES[name]
    flag = range_flag(name)
    return Annotated[
        str | None,
        typer.Option(
            flag,
            envvar="GDL_" + flag.removeprefix("--").replace("-", "_").upper(),
            help=f"Range LOW,HIGH of {name} (inside {low}..{high}"
            + ("" if unit == "1" else f" {unit}")
            + ").",
        ),
    ]


DiameterRange = _range_option("fiber_diameter_um")
FibreRange = _range_option("fiber_fraction")
BinderRange = _range_option("binder_fraction")
ThicknessRange = _range_option("thickness_um")
CompressionRange = _range_option("compression")

# Where a sweep runs: local workers, a running scheduler, or batch jobs (dask-jobqueue's names).
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", help="Local worker processes (default: by cores, memory)."),
]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler.")
]
ClusterOption = Annotated[
    str | None,
    typer.Option("--cluster", help="Batch cluster via dask-jobqueue: slurm, pbs, sge, lsf."),
]
JobsOption = Annotated[
    int,
    typer.Option(
        "--jobs", envvar="GDL_JOBS", help="--cluster: worker jobs (one sample at a time each)."
    ),
]
CoresOption = Annotated[
    int | None,
    typer.Option("--cores", envvar="GDL_CORES", help="--cluster: cores per job (numba threads)."),
]
MemoryOption = Annotated[
    str | None,
    typer.Option("--memory", envvar="GDL_MEMORY", help="--cluster: memory per job, e.g. 4GB."),
]
WalltimeOption = Annotated[
    str | None,
    typer.Option(
        "--walltime", envvar="GDL_WALLTIME", help="--cluster: walltime per job, e.g. 02:00:00."
    ),
]
QueueOption = Annotated[
    str | None,
    typer.Option("--queue", envvar="GDL_QUEUE", help="--cluster: queue or partition."),
]
AccountOption = Annotated[
    str | None,
    typer.Option("--account", envvar="GDL_ACCOUNT", help="--cluster: account to charge."),
]
JobExtraOption = Annotated[
    list[str] | None,
    typer.Option(
        "--job-extra",
        help="--cluster: an extra scheduler directive, e.g. '--qos=low' (repeatable).",
    ),
]
JobPrologueOption = Annotated[
    list[str] | None,
    typer.Option(
        "--job-script-prologue",
        help="--cluster: a shell line run before the worker, e.g. 'module load x'.",
    ),
]
InterfaceOption = Annotated[
    str | None,
    typer.Option("--interface", help="--cluster: network interface for the scheduler."),
]
LogDirOption = Annotated[
    Path | None, typer.Option("--log-dir", help="--cluster: folder for job logs.")
]
MaxResubmitsOption = Annotated[
    int,
    typer.Option(
        "--max-resubmits",
        help="--cluster: replace lost worker jobs at most this often, then exit 1.",
    ),
]
