"""Command line: ``python -m generator sample|show|export|tortuosity|sweep|merge``.

Exit codes: 0 success; 1 a sweep with failed samples, or an unexpected failure (a bug:
traceback printed); 2 bad input (a clear
one-line message: out-of-range parameter, unreadable file, existing output without --force).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # Click's plain help: rich's option table cuts long option names at 80 columns
    # ("--fiber-diameter-ran…"); click wraps the help text and keeps every name whole.
    rich_markup_mode=None,
    help="Generate fibrous gas-diffusion-layer microstructures and look at them.",
)

EXIT_BAD_INPUT = 2
STRATIFY_HELP = (
    "Fibre lines from a scrambled Sobol sequence (less scatter between seeds) or independent "
    "draws (the pure Boolean line model); the distribution of fibres is the same."
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _check_output_file(out: Path, force: bool = True) -> None:
    """Fail before any work when ``out`` exists (without force) or its folder is not writable."""
    from generator.sweep.ownership import probe_writable

    folder = out.parent if str(out.parent) else Path(".")
    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    if not folder.is_dir():
        _fail(f"output folder {folder} does not exist")
    try:
        probe_writable(folder)
    except OSError as err:
        _fail(str(err))


@app.command()
def sample(
    out: Path = typer.Option(..., "--out", help="Output HDF5 file."),
    domain: str = typer.Option(
        "200", help="Domain preset: 200 (2000 x 200 um) or 1000 (1000 x 1000 um)."
    ),
    fiber_diameter: float = typer.Option(9.0, help="Fibre diameter in um (6-12)."),
    fiber_fraction: float = typer.Option(0.18, help="Fibre volume fraction (0.10-0.25)."),
    binder_fraction: float = typer.Option(0.07, help="Binder (PTFE) volume fraction (0.05-0.10)."),
    thickness: float = typer.Option(300.0, help="Thickness before compression in um (280-320)."),
    compression: float = typer.Option(0.2, help="Compression factor (0-0.5)."),
    seed: int = typer.Option(0, help="Random seed; same seed, same volume."),
    voxel_um: float = typer.Option(1.0, "--voxel-um", help="Voxel size in um; >1 coarsens."),
    stratify: bool = typer.Option(
        True, "--stratify/--no-stratify", help=STRATIFY_HELP, show_default=True
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output file."),
) -> None:
    """Generate one sample and write it to an HDF5 file."""
    from generator.structure.generate import generate
    from generator.structure.parameters import SampleParameters

    _check_output_file(out, force)
    try:
        parameters = SampleParameters(
            fiber_diameter_um=fiber_diameter,
            fiber_fraction=fiber_fraction,
            binder_fraction=binder_fraction,
            thickness_um=thickness,
            compression=compression,
        )
        result = generate(
            parameters,
            domain=domain,
            seed=seed,
            voxel_um=voxel_um,
            stratify=stratify,
            progress=True,
        )
    except ValueError as err:
        _fail(str(err))
    from generator._shared.progress import stage

    with stage(f"writing {out}"):
        result.to_hdf5(out, force=force)
    before = result.fractions["before_compression"]
    after = result.fractions["after_compression"]
    nz, ny, nx = result.volume.shape
    typer.echo(
        f"wrote {out}: {nx} x {ny} x {nz} voxels of {voxel_um:g} um, {len(result.fibres)} fibres; "
        f"fibre {before['fibre']:.4f}, binder {before['binder']:.4f} before compression; "
        f"porosity {after['pore']:.4f} after; {sum(result.timings.values()):.1f} s"
    )


@app.command()
def show(
    path: Path = typer.Argument(..., help="A sample file written by 'sample'."),
    out: Path = typer.Option(None, "--out", help="Output PNG (default: next to the sample)."),
    tortuosity: bool = typer.Option(
        False,
        "--tortuosity",
        help="Also compute the tortuosity and draw its map (<out>_tortuosity.png).",
    ),
    metric: str = typer.Option("euclidean", help="Path metric for --tortuosity."),
) -> None:
    """Draw a sample: slices by phase and the phase profile.

    Three orthogonal slices coloured by phase, the through-plane phase profile, the sample's
    parameters in the title; with --tortuosity also the outlet-face map of path lengths.
    """
    from generator.structure.sample import read_sample
    from generator.viz.figures import plot_sample, plot_tortuosity

    try:
        loaded = read_sample(path)
    except (FileNotFoundError, ValueError) as err:
        _fail(str(err))
    target = out or path.with_suffix(".png")
    _check_output_file(target)
    plot_sample(loaded, target)
    typer.echo(f"wrote {target}")
    if tortuosity:
        from generator._shared.phases import PORE
        from generator.tortuosity.geometric import geometric_tortuosity

        try:
            result = geometric_tortuosity(
                loaded.volume,
                metric=metric,
                voxel_um=loaded.voxel_um,
                pore_label=PORE,
                progress=True,
            )
        except ValueError as err:
            _fail(str(err))
        map_path = target.with_name(target.stem + "_tortuosity.png")
        from generator.viz.figures import describe_parameters

        title = f"{path.name}: {describe_parameters(loaded.parameters)}, seed {loaded.seed}"
        plot_tortuosity(result, map_path, title=title)
        typer.echo(f"wrote {map_path}")


@app.command("tortuosity")
def tortuosity_command(
    image: Path = typer.Argument(..., help="A .h5 sample, a .tif/.tiff stack or a .npy array."),
    axis: str = typer.Option("z", help="Flow axis: z (array axis 0), y or x."),
    metric: str = typer.Option("euclidean", help="Path metric: euclidean or lattice."),
    voxel_um: str = typer.Option(
        None,
        "--voxel-um",
        help="Voxel size in um: one value or three (z,y,x). Default: the file's own, else 1.",
    ),
    pore_label: int = typer.Option(
        None,
        "--pore-label",
        help="Label of the pore phase: needed for integer images, unless the file records its "
        "labels (this generator's samples do). Boolean .npy masks are True = pore.",
    ),
    dataset: str = typer.Option(
        None, "--dataset", help="The 3D dataset to read from an HDF5 file of another tool."
    ),
) -> None:
    """Geometric tortuosity of an image; a JSON result on stdout.

    Which voxels are pore is never guessed: a boolean mask is True = pore, a generator sample
    says its own labels, any other image needs --pore-label (PuMA, GeoDict and ImageJ masks mark
    pore 0; PoreSpy marks pore 1).
    """
    import json

    from generator.tortuosity.geometric import geometric_tortuosity
    from generator.tortuosity.images import read_image

    try:
        loaded = read_image(image, dataset=dataset)
        label = pore_label if pore_label is not None else loaded.pore_label
        if voxel_um is None:
            spacing = loaded.voxel_um or 1.0
        else:
            parts = [float(v) for v in voxel_um.replace(",", " ").split()]
            if len(parts) not in (1, 3):
                raise ValueError(f"--voxel-um {voxel_um!r} needs one value or three (z,y,x)")
            spacing = parts[0] if len(parts) == 1 else parts
        result = geometric_tortuosity(
            loaded.array,
            axis=axis if not axis.isdigit() else int(axis),
            metric=metric,
            voxel_um=spacing,
            pore_label=label,
            progress=True,
        )
    except (FileNotFoundError, ValueError) as err:
        _fail(str(err))
    summary = result.summary()
    # The axis as the user names it (z, y, x); its array index beside it.
    summary["axis_index"] = summary["axis"]
    summary["axis"] = "zyx"[summary["axis"]]
    summary["image"] = str(image)
    summary["pore_label"] = label
    typer.echo(json.dumps(summary, indent=2))


# Options that define a sweep's plan: shared by sweep and merge (one definition each).
DomainOption = Annotated[str, typer.Option(envvar="GDL_DOMAIN", help="Domain preset: 200 or 1000.")]
CountOption = Annotated[
    int | None,
    typer.Option("--n", envvar="GDL_N", help="Samples (default: the paper's, 240 or 78)."),
]
DesignOption = Annotated[
    str, typer.Option(envvar="GDL_DESIGN", help="Design: sobol, lhs or random.")
]
SeedOption = Annotated[
    int, typer.Option(envvar="GDL_SEED", help="Seeds the design and every sample.")
]
VoxelOption = Annotated[
    float, typer.Option("--voxel-um", envvar="GDL_VOXEL_UM", help="Voxel size in um.")
]
OutOption = Annotated[
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
        envvar="GDL_PAIRING",
        help="independent: each domain its own design and seeds; paired: the same parameter "
        "sets on both domains (new seeds), for studying the domain effect.",
    ),
]
RANGE_HELP = "Range LOW,HIGH of {} (inside {}..{}{})."


def _range_option(name: str):
    from generator.structure.parameters import PARAMETER_RANGES

    low, high, unit, _ = PARAMETER_RANGES[name]
    flag = "--" + name.removesuffix("_um").replace("_", "-") + "-range"
    envvar = "GDL_" + flag.removeprefix("--").replace("-", "_").upper()
    return Annotated[
        str | None,
        typer.Option(
            flag,
            envvar=envvar,
            help=RANGE_HELP.format(name, low, high, "" if unit == "1" else f" {unit}"),
        ),
    ]


DiameterRange = _range_option("fiber_diameter_um")
FibreRange = _range_option("fiber_fraction")
BinderRange = _range_option("binder_fraction")
ThicknessRange = _range_option("thickness_um")
CompressionRange = _range_option("compression")


def _plan(domain, n, design, seed, voxel_um, out, volumes, stratify, pairing, **range_texts):
    """The sweep plan of the shared plan options (range texts as given on the command line)."""
    from generator.sweep.design import parse_ranges
    from generator.sweep.plan import SweepPlan

    return SweepPlan.create(
        domain=domain,
        n=n,
        design=design,
        seed=seed,
        ranges=parse_ranges(
            fiber_diameter_um=range_texts["fiber_diameter_range"],
            fiber_fraction=range_texts["fiber_fraction_range"],
            binder_fraction=range_texts["binder_fraction_range"],
            thickness_um=range_texts["thickness_range"],
            compression=range_texts["compression_range"],
        ),
        voxel_um=voxel_um,
        out=out,
        keep_volumes=volumes,
        stratify=stratify,
        pairing=pairing,
    )


def parse_shard(text: str, n: int) -> tuple[int, int]:
    """``(I, N)`` from ``I/N``, or from ``I`` alone with N = n (one sample a shard)."""
    try:
        parts = [int(v) for v in text.split("/")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts.append(n)
    if len(parts) != 2:
        raise ValueError(f"--shard {text!r} must be I/N or I, for example 3/10")
    return parts[0], parts[1]


def numba_cache_folder(given: Path | None) -> Path:
    """numba's cache for this sweep: ``--numba-cache``, else ``$NUMBA_CACHE_DIR``, else a
    per-user, per-model folder in the user's cache directory (shared by every job of a cluster
    whose home is shared; compiled once, by the first process that needs it)."""
    import os

    from generator._shared.model_version import model_version

    if given is not None:
        return given.expanduser()
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home folder (some batch environments): a per-user temp folder
        import tempfile

        base = Path(tempfile.gettempdir()) / f"cache-{os.getuid()}"
    return base / "gdl-generator" / f"numba-{model_version()}"


@app.command()
def sweep(
    domain: DomainOption = "1000",
    n: CountOption = None,
    design: DesignOption = "sobol",
    seed: SeedOption = 0,
    voxel_um: VoxelOption = 1.0,
    out: OutOption = None,
    volumes: VolumesOption = True,
    stratify: StratifyOption = True,
    pairing: PairingOption = "independent",
    fiber_diameter_range: DiameterRange = None,
    fiber_fraction_range: FibreRange = None,
    binder_fraction_range: BinderRange = None,
    thickness_range: ThicknessRange = None,
    compression_range: CompressionRange = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan, run nothing."),
    force: bool = typer.Option(
        False, "--force", help="Start over: remove this project's dataset and sample files."
    ),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    workers: int = typer.Option(None, help="Local worker processes (default: by cores, memory)."),
    cluster: str = typer.Option(
        None, help="Batch cluster via dask-jobqueue: slurm, pbs, sge, lsf."
    ),
    jobs: int = typer.Option(
        1, envvar="GDL_JOBS", help="--cluster: worker jobs (one sample at a time each)."
    ),
    cores: int = typer.Option(
        None, envvar="GDL_CORES", help="--cluster: cores per job (numba threads)."
    ),
    memory: str = typer.Option(
        None, envvar="GDL_MEMORY", help="--cluster: memory per job, e.g. 4GB."
    ),
    walltime: str = typer.Option(
        None, envvar="GDL_WALLTIME", help="--cluster: walltime per job, e.g. 02:00:00."
    ),
    queue: str = typer.Option(None, envvar="GDL_QUEUE", help="--cluster: queue or partition."),
    account: str = typer.Option(None, envvar="GDL_ACCOUNT", help="--cluster: account to charge."),
    job_extra: list[str] = typer.Option(
        None, help="--cluster: an extra scheduler directive, e.g. '--qos=low' (repeatable)."
    ),
    job_script_prologue: list[str] = typer.Option(
        None, help="--cluster: a shell line run before the worker, e.g. 'module load x'."
    ),
    interface: str = typer.Option(None, help="--cluster: network interface for the scheduler."),
    log_dir: Path = typer.Option(None, "--log-dir", help="--cluster: folder for job logs."),
    max_resubmits: int = typer.Option(
        3, help="--cluster: replace lost worker jobs at most this often, then exit 1."
    ),
    print_job_script: bool = typer.Option(
        False, "--print-job-script", help="--cluster: print the job script and submit nothing."
    ),
    shard: str = typer.Option(
        None,
        help="Run only shard I of N here, as I/N, or I alone for N = n (one sample a shard); "
        "merge consolidates.",
    ),
    shard_base: int = typer.Option(
        1, envvar="GDL_SHARD_BASE", help="Number of the first shard: 1 or 0."
    ),
    numba_cache: Path = typer.Option(
        None, help="numba cache folder (default: $NUMBA_CACHE_DIR, else the user's cache)."
    ),
) -> None:
    """Generate a dataset of samples and their tortuosity.

    A design of samples run on Dask (local, a scheduler or a batch cluster), tortuosity by
    both metrics, one HDF5 dataset.
    Re-running the same command resumes (files are verified first); a failed sample is recorded
    and the exit code is 1.
    """
    import os

    options = {
        "cores": cores,
        "memory": memory,
        "walltime": walltime,
        "queue": queue,
        "account": account,
        "job_extra_directives": job_extra or None,
        "job_script_prologue": job_script_prologue or None,
        "interface": interface,
        "log_directory": str(log_dir) if log_dir else None,
    }
    try:
        if workers is not None and workers < 1:
            raise ValueError(f"--workers {workers} must be at least 1")
        if cluster and cores is not None and cores < 1:
            raise ValueError(f"--cores {cores} must be at least 1")
        cache = numba_cache_folder(numba_cache)
        # Before any kernel module is imported here (shards run in this process).
        os.environ.setdefault("NUMBA_CACHE_DIR", str(cache))
        plan = _plan(
            domain,
            n,
            design,
            seed,
            voxel_um,
            out,
            volumes,
            stratify,
            pairing,
            fiber_diameter_range=fiber_diameter_range,
            fiber_fraction_range=fiber_fraction_range,
            binder_fraction_range=binder_fraction_range,
            thickness_range=thickness_range,
            compression_range=compression_range,
        )
        if print_job_script:
            _print_job_script(plan, cluster, options, cache)
            return
        from generator._shared.provenance import command_line
        from generator.sweep.executors import DaskExecutor, InProcessExecutor
        from generator.sweep.run import run_sweep

        parts = parse_shard(shard, plan.n) if shard is not None else None
        executor = (
            InProcessExecutor()
            if parts
            else DaskExecutor(
                workers=workers,
                scheduler=scheduler,
                cluster=cluster,
                jobqueue_options=options,
                jobs=jobs,
                numba_cache=cache,
                max_resubmits=max_resubmits,
            )
        )
        summary = run_sweep(
            plan,
            executor=executor,
            force=force,
            dry_run=dry_run,
            shard=parts,
            shard_base=shard_base,
            explicit_out=out is not None,
            command_line=command_line(),
        )
    except (ValueError, OSError) as err:
        _fail(str(err))
    except RuntimeError as err:  # a batch cluster that could not be kept alive
        from generator.sweep.clusters import ClusterLost

        if not isinstance(err, ClusterLost):
            raise
        typer.echo(f"error: {err}", err=True)
        typer.echo("finished samples are kept; run the same command again to resume", err=True)
        raise typer.Exit(1) from None
    if summary.dry_run:
        return
    what = f"shard {shard}" if parts else f"dataset {summary.dataset}"
    typer.echo(
        f"{what}: {summary.total} samples, {summary.skipped} already done, "
        f"{summary.ran} run, {len(summary.failed)} failed, {summary.seconds:.1f} s"
    )
    for index, error in summary.failed:
        typer.echo(f"failed sample {index}: {error}", err=True)
    if summary.failed:
        raise typer.Exit(1)


def _print_job_script(plan, cluster, options, cache) -> None:
    import tempfile

    from generator.sweep.clusters import close_cluster, jobqueue_cluster

    if not cluster:
        raise ValueError("--print-job-script needs --cluster")
    with tempfile.TemporaryDirectory() as folder:
        batch = jobqueue_cluster(
            cluster,
            options,
            threads=int(options.get("cores") or 1),
            tls_folder=Path(folder),
            numba_cache=cache,
        )
        try:
            typer.echo(batch.job_script())
        finally:
            close_cluster(batch)


@app.command()
def merge(
    domain: DomainOption = "1000",
    n: CountOption = None,
    design: DesignOption = "sobol",
    seed: SeedOption = 0,
    voxel_um: VoxelOption = 1.0,
    out: OutOption = None,
    volumes: VolumesOption = True,
    stratify: StratifyOption = True,
    pairing: PairingOption = "independent",
    fiber_diameter_range: DiameterRange = None,
    fiber_fraction_range: FibreRange = None,
    binder_fraction_range: BinderRange = None,
    thickness_range: ThicknessRange = None,
    compression_range: CompressionRange = None,
    shards: int = typer.Option(
        None,
        envvar="GDL_SHARDS",
        help="Shards the sweep ran in: name the ones to rerun for missing samples.",
    ),
    shard_base: int = typer.Option(
        1, envvar="GDL_SHARD_BASE", help="Number of the first shard: 1 or 0."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a dataset of another plan."),
) -> None:
    """Merge the sample files of a sharded sweep into its dataset.

    Give the same plan options as the sweep.

    Missing samples are listed on stderr with the shards to rerun; the exit code is then 1.
    """
    from generator._shared.provenance import command_line
    from generator.sweep.run import merge as merge_samples
    from generator.sweep.run import missing_shards

    try:
        plan = _plan(
            domain,
            n,
            design,
            seed,
            voxel_um,
            out,
            volumes,
            stratify,
            pairing,
            fiber_diameter_range=fiber_diameter_range,
            fiber_fraction_range=fiber_fraction_range,
            binder_fraction_range=binder_fraction_range,
            thickness_range=thickness_range,
            compression_range=compression_range,
        )
        if shards is not None and not 1 <= shards <= plan.n:
            raise ValueError(f"--shards {shards} must be between 1 and n = {plan.n}")
        summary = merge_samples(
            plan, force=force, explicit_out=out is not None, command_line=command_line()
        )
    except (ValueError, OSError) as err:
        _fail(str(err))
    typer.echo(
        f"dataset {summary.dataset}: {summary.total} samples, {summary.skipped} merged, "
        f"{len(summary.missing)} missing"
    )
    for index, reason in summary.redone:
        typer.echo(f"sample {index} not trusted: {reason}", err=True)
    if summary.missing:
        typer.echo(
            f"missing samples (design index): {', '.join(map(str, summary.missing))}", err=True
        )
        if shards:
            rerun = missing_shards(plan, summary.missing, shards, shard_base)
            listed = ",".join(map(str, rerun))
            typer.echo(
                f"shards to rerun: {listed}; for example: sbatch --array={listed} "
                "workflows/slurm/sweep-array.sbatch (same GDL_* settings), then merge again",
                err=True,
            )
        raise typer.Exit(1)


@app.command()
def export(
    path: Path = typer.Argument(
        ..., metavar="SAMPLE", help="A sample file from 'sample', or a sweep dataset."
    ),
    file_format: str = typer.Option(
        ...,
        "--format",
        help="tiff (ImageJ/Fiji, Avizo, GeoDict), vti (ParaView), xdmf (ParaView, VisIt; reads "
        "the HDF5 file in place), raw (+ .mhd and .raw.txt headers: GeoDict, Avizo, ITK, Slicer).",
    ),
    out: Path = typer.Option(
        None, "--out", help="Output file (default: beside SAMPLE, with the format's suffix)."
    ),
    sample_index: int = typer.Option(
        None, "--sample", help="For a sweep dataset: the sample's design index (table 'index')."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
) -> None:
    """Export a sample for ParaView, ImageJ, Avizo or GeoDict.

    The label volume (uint8: 0 pore, 1 fibre, 2 binder) with its voxel size and phase names.
    """
    from generator._shared.progress import stage
    from generator.export.volume import (
        ExportError,
        check_format,
        check_outputs,
        default_output,
        export_volume,
        open_volume,
    )

    try:
        name = check_format(file_format)
        source = open_volume(path, sample=sample_index)
        target = out or default_output(source, name)
        outputs = check_outputs(source, target, name)
    except (FileNotFoundError, ExportError) as err:
        _fail(str(err))
    for each in outputs:
        _check_output_file(each, force)
    try:
        with stage(f"writing {target}"):
            result = export_volume(source, target, file_format=name)
    except (ExportError, OSError) as err:
        _fail(str(err))
    nz, ny, nx = source.shape_zyx
    typer.echo(
        f"wrote {', '.join(map(str, result.paths))}: {nx} x {ny} x {nz} voxels (x y z) of "
        f"{source.voxel_um:g} um, phases {source.phase_text()}"
    )


def main() -> None:
    """Entry point of the ``gdl-generator`` script and ``python -m generator``."""
    app()
