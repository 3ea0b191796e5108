"""Command line: ``python -m generator sample|show|tortuosity|sweep``.

Exit codes: 0 success; 1 a sweep with failed samples, or an unexpected failure (a bug:
traceback printed); 2 bad input (a clear
one-line message: out-of-range parameter, unreadable file, existing output without --force).
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Generate fibrous gas-diffusion-layer microstructures and look at them.",
)

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


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
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output file."),
) -> None:
    """Generate one sample and write it to an HDF5 file."""
    from generator.parameters import SampleParameters
    from generator.structure import generate

    if out.exists() and not force:
        _fail(f"{out} exists; pass --force to overwrite it")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        _fail(f"output folder {out.parent} does not exist")
    try:
        parameters = SampleParameters(
            fiber_diameter_um=fiber_diameter,
            fiber_fraction=fiber_fraction,
            binder_fraction=binder_fraction,
            thickness_um=thickness,
            compression=compression,
        )
        result = generate(parameters, domain=domain, seed=seed, voxel_um=voxel_um)
    except ValueError as err:
        _fail(str(err))
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
    """Draw three orthogonal slices coloured by phase and the through-plane phase profile."""
    from generator.io import read_sample
    from generator.show import plot_sample, plot_tortuosity

    try:
        loaded = read_sample(path)
    except (FileNotFoundError, ValueError) as err:
        _fail(str(err))
    target = out or path.with_suffix(".png")
    plot_sample(loaded, target)
    typer.echo(f"wrote {target}")
    if tortuosity:
        from generator.tortuosity import geometric_tortuosity

        try:
            result = geometric_tortuosity(loaded.volume, metric=metric, voxel_um=loaded.voxel_um)
        except ValueError as err:
            _fail(str(err))
        map_path = target.with_name(target.stem + "_tortuosity.png")
        plot_tortuosity(result, map_path, title=path.name)
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
        None, "--pore-label", help="Label of the pore phase (required for non-binary images)."
    ),
) -> None:
    """Geometric tortuosity of an image; a JSON result on stdout.

    Binary 0/1 images take 1 as pore (as PoreSpy does); generator samples take label 0.
    """
    import json

    from generator.images import choose_pore_label, read_image
    from generator.tortuosity import geometric_tortuosity

    try:
        loaded = read_image(image)
        label = choose_pore_label(loaded.array, pore_label, loaded.pore_label)
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
        )
    except (FileNotFoundError, ValueError) as err:
        _fail(str(err))
    summary = result.summary()
    summary["image"] = str(image)
    summary["pore_label"] = label
    typer.echo(json.dumps(summary, indent=2))


@app.command()
def sweep(
    domain: str = typer.Option("1000", help="Domain preset: 200 or 1000."),
    n: int = typer.Option(None, "--n", help="Samples (default: the paper's, 240 or 78)."),
    design: str = typer.Option("sobol", help="Design: sobol, lhs or random."),
    seed: int = typer.Option(0, help="Seeds the design and every sample."),
    voxel_um: float = typer.Option(1.0, "--voxel-um", help="Voxel size in um."),
    out: Path = typer.Option(None, "--out", help="Dataset file (default data/gdl<domain>.h5)."),
    volumes: bool = typer.Option(True, "--volumes/--no-volumes", help="Store the volumes."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would run, run nothing."),
    force: bool = typer.Option(False, "--force", help="Start over: delete earlier results."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    workers: int = typer.Option(None, help="Local worker processes (default: by cores, memory)."),
    cluster: str = typer.Option(
        None, help="Batch cluster via dask-jobqueue: slurm, pbs, sge, lsf."
    ),
    jobs: int = typer.Option(1, help="Batch jobs to start with --cluster."),
    cores: int = typer.Option(None, help="--cluster: cores per job."),
    memory: str = typer.Option(None, help="--cluster: memory per job, e.g. 4GB."),
    walltime: str = typer.Option(None, help="--cluster: walltime per job, e.g. 02:00:00."),
    queue: str = typer.Option(None, help="--cluster: queue or partition."),
    account: str = typer.Option(None, help="--cluster: account to charge."),
    job_script_prologue: list[str] = typer.Option(
        None, help="--cluster: a shell line to run before the worker (repeatable)."
    ),
    interface: str = typer.Option(None, help="--cluster: network interface for the scheduler."),
    print_job_script: bool = typer.Option(
        False, "--print-job-script", help="--cluster: print the job script and submit nothing."
    ),
    shard: str = typer.Option(
        None, help="Run only the I-th of N slices here, as I/N (batch arrays)."
    ),
    fiber_diameter_range: str = typer.Option(None, help="Range LOW,HIGH, um."),
    fiber_fraction_range: str = typer.Option(None, help="Range LOW,HIGH."),
    binder_fraction_range: str = typer.Option(None, help="Range LOW,HIGH."),
    thickness_range: str = typer.Option(None, help="Range LOW,HIGH, um."),
    compression_range: str = typer.Option(None, help="Range LOW,HIGH."),
) -> None:
    """Generate a dataset: a design of samples on Dask, tortuosity by both metrics, one HDF5.

    Re-running the same command resumes; a failed sample is recorded and the exit code is 1.
    """
    from generator.io import command_line
    from generator.sweep import run_sweep

    given = {
        "fiber_diameter_um": fiber_diameter_range,
        "fiber_fraction": fiber_fraction_range,
        "binder_fraction": binder_fraction_range,
        "thickness_um": thickness_range,
        "compression": compression_range,
    }
    options = {
        "cores": cores,
        "memory": memory,
        "walltime": walltime,
        "queue": queue,
        "account": account,
        "job_script_prologue": job_script_prologue or None,
        "interface": interface,
    }
    try:
        if print_job_script:
            from generator.sweep import jobqueue_cluster

            if not cluster:
                raise ValueError("--print-job-script needs --cluster")
            batch = jobqueue_cluster(cluster, options, int(cores or 1))
            typer.echo(batch.job_script())
            batch.close()
            return
        parts = None
        if shard is not None:
            try:
                parts = tuple(int(v) for v in shard.split("/"))
            except ValueError:
                parts = ()
            if len(parts) != 2:
                raise ValueError(f"--shard {shard!r} must be I/N, for example 3/10")
        ranges = {}
        for name, text in given.items():
            if text is None:
                continue
            parts = [float(v) for v in text.replace(",", " ").split()]
            if len(parts) != 2:
                raise ValueError(f"range for {name} must be LOW,HIGH, got {text!r}")
            ranges[name] = tuple(parts)
        summary = run_sweep(
            domain=domain,
            n=n,
            design=design,
            seed=seed,
            ranges=ranges,
            voxel_um=voxel_um,
            out=out,
            keep_volumes=volumes,
            dry_run=dry_run,
            force=force,
            scheduler=scheduler,
            workers=workers,
            command_line=command_line(),
            shard=parts,
            cluster=cluster,
            jobqueue_options=options,
            jobs=jobs,
        )
    except (ValueError, OSError) as err:
        _fail(str(err))
    if summary.dry_run:
        return
    if parts is not None:
        typer.echo(
            f"shard {shard}: {summary.total} samples, {summary.skipped} already done, "
            f"{summary.ran} run, {len(summary.failed)} failed, {summary.seconds:.1f} s"
        )
        if summary.failed:
            raise typer.Exit(1)
        return
    typer.echo(
        f"dataset {summary.dataset}: {summary.total} samples, {summary.skipped} already done, "
        f"{summary.ran} run, {len(summary.failed)} failed, {summary.seconds:.1f} s"
    )
    for index, error in summary.failed:
        typer.echo(f"failed sample {index}: {error}", err=True)
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def merge(
    domain: str = typer.Option("1000", help="Domain preset of the sweep."),
    n: int = typer.Option(None, "--n", help="Samples of the sweep."),
    design: str = typer.Option("sobol", help="Design of the sweep."),
    seed: int = typer.Option(0, help="Seed of the sweep."),
    voxel_um: float = typer.Option(1.0, "--voxel-um", help="Voxel size of the sweep."),
    out: Path = typer.Option(None, "--out", help="Dataset file of the sweep."),
    volumes: bool = typer.Option(True, "--volumes/--no-volumes", help="Link the volumes."),
) -> None:
    """Consolidate the sample files of a sharded sweep (same options) into its dataset."""
    from generator.io import command_line
    from generator.sweep import merge as merge_samples

    try:
        summary = merge_samples(
            domain=domain,
            n=n,
            design=design,
            seed=seed,
            voxel_um=voxel_um,
            out=out,
            keep_volumes=volumes,
            command_line=command_line(),
        )
    except (ValueError, OSError) as err:
        _fail(str(err))
    typer.echo(
        f"dataset {summary.dataset}: {summary.total} samples, {summary.skipped} merged, "
        f"{len(summary.failed)} missing"
    )
    if summary.failed:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the ``gdl-generator`` script and ``python -m generator``."""
    app()
