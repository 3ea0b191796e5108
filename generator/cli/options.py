"""Options that several commands share, declared once as typer ``Annotated`` aliases.

A command takes one as ``voxel_um: VoxelOption = 1.0``: the flag, its environment variable and
its help come from here, the default from the command. Options always taken together are a
group, taken as one parameter (:class:`OptionGroup`, :func:`option_groups`): the sweep plan
(:data:`PLAN` and :data:`RANGES`: ``sweep`` and ``merge``), where a sweep runs (:data:`CLUSTER`:
``sweep``, ``surrogate active``, the study workflow). Only typer and the parameter table are
imported: ``--help`` stays instant.
"""

from __future__ import annotations

import functools
import inspect
import typing
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
    str | None,
    typer.Option(
        "--domain",
        envvar="GDL_DOMAIN",
        help="Domain preset: 200 or 1000 (default 1000, or the --design-from dataset's).",
    ),
]
DesignFromOption = Annotated[
    Path | None,
    typer.Option(
        "--design-from",
        envvar="GDL_DESIGN_FROM",
        help="Take the design from this dataset: its rows (ids, seeds, parameters, so the same "
        "fibres), domain, ranges and fibre sampling, recomputed at --voxel-um with "
        "--properties; the output defaults to <dataset>_<voxel>um.h5.",
    ),
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
# The names are generator.sweep.properties.PROPERTIES (a test checks they agree); written out
# here so that --help imports nothing.
PROPERTIES_HELP = (
    "What each sample measures, comma-separated: geodesic (geometric tortuosity, both metrics), "
    "diffusive (diffusive tortuosity factor and effective diffusivity), psd (pore diameters "
    "d10/d50/d90 by local thickness). Asking for more than a finished sample holds measures "
    "only what it lacks."
)
PropertiesOption = Annotated[
    str, typer.Option("--properties", envvar="GDL_PROPERTIES", help=PROPERTIES_HELP)
]
ShardBaseOption = Annotated[
    int,
    typer.Option(
        "--shard-base", envvar="GDL_SHARD_BASE", help="Number of the first shard: 1 or 0."
    ),
]


def range_parameter(name: str) -> str:
    """The command's parameter of a design parameter's range: ``fiber_diameter_um`` ->
    ``fiber_diameter_range`` (the option ``--fiber-diameter-range``)."""
    return name.removesuffix("_um") + "_range"


def range_flag(name: str) -> str:
    """The option of a design parameter's range: ``fiber_diameter_um`` ->
    ``--fiber-diameter-range``."""
    return "--" + range_parameter(name).replace("_", "-")


def _envvar(flag: str) -> str:
    """The environment variable of an option: ``--fiber-diameter-range`` ->
    ``GDL_FIBER_DIAMETER_RANGE``."""
    return "GDL_" + flag.removeprefix("--").replace("-", "_").upper()


def _range_option(name: str):
    low, high, unit, _ = PARAMETER_RANGES[name]
    flag = range_flag(name)
    return Annotated[
        str | None,
        typer.Option(
            flag,
            envvar=_envvar(flag),
            help=f"Range LOW,HIGH of {name} (inside {low}..{high}"
            + ("" if unit == "1" else f" {unit}")
            + ").",
        ),
    ]


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


def _batch_option(flag: str, kind, help: str, *, envvar: bool = True):
    """An option of the batch jobs: its help starts ``--cluster:``; its environment variable is
    ``GDL_<NAME>`` (``envvar=False``: none)."""
    variable = _envvar(flag) if envvar else None
    return Annotated[kind, typer.Option(flag, envvar=variable, help=f"--cluster: {help}")]


JobsOption = _batch_option("--jobs", int, "worker jobs (one sample at a time each).")
CoresOption = _batch_option("--cores", int | None, "cores per job (numba threads).")
MemoryOption = _batch_option("--memory", str | None, "memory per job, e.g. 4GB.")
WalltimeOption = _batch_option("--walltime", str | None, "walltime per job, e.g. 02:00:00.")
QueueOption = _batch_option("--queue", str | None, "queue or partition.")
AccountOption = _batch_option("--account", str | None, "account to charge.")
JobExtraOption = _batch_option(
    "--job-extra",
    list[str] | None,
    "an extra scheduler directive, e.g. '--qos=low' (repeatable).",
    envvar=False,
)
JobPrologueOption = _batch_option(
    "--job-script-prologue",
    list[str] | None,
    "a shell line run before the worker, e.g. 'module load x'.",
    envvar=False,
)
InterfaceOption = _batch_option(
    "--interface", str | None, "network interface for the scheduler.", envvar=False
)
LogDirOption = _batch_option("--log-dir", Path | None, "folder for job logs.", envvar=False)
MaxResubmitsOption = _batch_option(
    "--max-resubmits",
    int,
    "replace lost worker jobs at most this often, then exit 1.",
    envvar=False,
)


class OptionGroup(dict):
    """Options that commands take together, declared once: ``{parameter: (Annotated alias,
    default)}``, parameters named as the library takes them (``ClusterOptions(**where)``).

    A command decorated with :func:`option_groups` takes a group as one parameter whose default
    is the group; ``build``, if given, turns the group's values into what the command receives.
    """

    def __init__(self, options: dict, build=None):
        super().__init__(options)
        self.build = build

    def only(self, *names: str) -> OptionGroup:
        """The group's options ``names``, in this order."""
        return OptionGroup({name: self[name] for name in names}, self.build)


def option_groups(command):
    """``command`` with each parameter whose default is an :class:`OptionGroup` replaced, at its
    place, by the group's options; the command receives their values as one dict (or what the
    group builds from it) under that parameter's name. typer reads the new signature, so the
    command line, ``--help`` and the error messages name every option as before.

    Examples
    --------
    >>> import typer
    >>> from typer.testing import CliRunner
    >>> from generator.cli.options import CLUSTER, option_groups
    >>> app = typer.Typer()
    >>> @app.command()
    ... @option_groups
    ... def where(where: dict = CLUSTER.only("workers", "jobs")) -> None:
    ...     print(where)
    >>> print(CliRunner().invoke(app, ["--workers", "2"]).stdout.strip())
    {'workers': 2, 'jobs': 1}
    """
    hints = typing.get_type_hints(command, include_extras=True)
    signature = inspect.signature(command)
    parameters, groups = [], {}
    for parameter in signature.parameters.values():
        group = parameter.default
        if not isinstance(group, OptionGroup):
            annotation = hints.get(parameter.name, parameter.annotation)
            parameters.append(parameter.replace(annotation=annotation))
            continue
        groups[parameter.name] = group
        parameters += [
            inspect.Parameter(name, parameter.kind, annotation=alias, default=default)
            for name, (alias, default) in group.items()
        ]

    @functools.wraps(command)
    def run(**values):
        for name, group in groups.items():
            given = {option: values.pop(option) for option in group}
            values[name] = group.build(given) if group.build else given
        return command(**values)

    run.__signature__ = signature.replace(parameters=parameters)
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


# The plan of a sweep (``PlanOptions(**plan, ranges=ranges)``).
PLAN = OptionGroup(
    {
        "domain": (DomainOption, None),
        "n": (CountOption, None),
        "design": (DesignOption, "sobol"),
        "seed": (SeedOption, 0),
        "voxel_um": (VoxelOption, 1.0),
        "out": (DatasetOutOption, None),
        "keep_volumes": (VolumesOption, True),
        "stratify": (StratifyOption, True),
        "pairing": (PairingOption, "independent"),
        "properties": (PropertiesOption, "geodesic"),
        "design_from": (DesignFromOption, None),
    }
)
# The design's ranges as texts, by design parameter (``parse_ranges(**ranges)``); the options
# are named --fiber-diameter-range etc., their parameters fiber_diameter_range etc.
RANGES = OptionGroup(
    {range_parameter(name): (_range_option(name), None) for name in PARAMETER_RANGES},
    build=lambda texts: {name: texts[range_parameter(name)] for name in PARAMETER_RANGES},
)
# Where a sweep runs (``ClusterOptions(**where)``).
CLUSTER = OptionGroup(
    {
        "scheduler": (SchedulerOption, None),
        "workers": (WorkersOption, None),
        "cluster": (ClusterOption, None),
        "jobs": (JobsOption, 1),
        "cores": (CoresOption, None),
        "memory": (MemoryOption, None),
        "walltime": (WalltimeOption, None),
        "queue": (QueueOption, None),
        "account": (AccountOption, None),
        "job_extra_directives": (JobExtraOption, None),
        "job_script_prologue": (JobPrologueOption, None),
        "interface": (InterfaceOption, None),
        "log_directory": (LogDirOption, None),
        "max_resubmits": (MaxResubmitsOption, 3),
    }
)
