"""Command line: ``surrogate pretrain|transfer|explain|predict`` (also ``python -m surrogate``).

Exit codes: 0 success; 2 bad input (unknown dataset, missing file, too few rows, inputs the
model was not trained on; one line on stderr); 1 an unexpected error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # Click's plain help: rich keeps the docstrings' line breaks and cuts long option names.
    rich_markup_mode=None,
    help="Transfer-learning surrogates of manufacturing tables.",
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _spec(inputs, target, spec_file, where):
    """The table spec the options describe, or None (a preset's own columns)."""
    import dataclasses

    from surrogate.data.tables import TableSpec, parse_inputs

    spec = None
    try:
        if spec_file is not None:
            spec = TableSpec.from_file(spec_file)
            if inputs:
                spec = dataclasses.replace(spec, inputs=tuple(parse_inputs(inputs)))
            if target:
                spec = dataclasses.replace(spec, target=target)
        elif inputs:
            if not target:
                _fail("--inputs needs --target: the column to learn")
            spec = TableSpec(inputs=tuple(parse_inputs(inputs)), target=target)
    except (ValueError, OSError) as err:
        _fail(str(err))
    if where:
        if spec is None:
            _fail(
                "a row filter needs the table's inputs and target: --inputs and --target, or --spec"
            )
        combined = f"{spec.where} and {where}" if spec.where else where
        try:
            spec = dataclasses.replace(spec, where=combined)  # parses the filter
        except ValueError as err:
            _fail(str(err))
    return spec


_SAID_FOR_TABLE: set[str] = set()


def _load(name, spec=None, table=None, columns=None, drop_invalid=False):
    from surrogate.data.registry import load_dataset

    try:
        data = load_dataset(
            name, spec=spec, table=table, columns=columns, drop_invalid=drop_invalid
        )
    except (ValueError, OSError) as err:  # a TableError is a ValueError
        _fail(str(err))
    dropped = data.provenance.get("dropped_rows") or []
    if dropped:
        typer.echo(f"dropped {len(dropped)} invalid row(s) of {data.name}:", err=True)
        for line in dropped:
            typer.echo(f"  {line}", err=True)
    # Rows of a shared table that belong to neither side: said once per file.
    shared = data.provenance.get("dropped_rows_of_table") or []
    file = str(data.provenance.get("file", ""))
    if shared and file not in _SAID_FOR_TABLE:
        _SAID_FOR_TABLE.add(file)
        typer.echo(f"dropped {len(shared)} invalid row(s) of {file}:", err=True)
        for line in shared:
            typer.echo(f"  {line}", err=True)
    for line in data.provenance.get("warnings") or []:
        typer.echo(f"warning: {name}: {line}", err=True)
    return data


def _target(data, target):
    """The target to learn: as given, else the dataset's only (or first GDL) target."""
    if target:
        return target
    columns = list(data.targets.columns)
    if len(columns) == 1 or "tortuosity" in columns:
        return "tortuosity" if "tortuosity" in columns else columns[0]
    _fail(f"name the target with --target: {data.name} has {', '.join(columns)}")


def _hidden(text):
    if text is None:
        return None
    from surrogate.nets.models import parse_hidden

    try:
        return parse_hidden(text)
    except ValueError as err:
        _fail(str(err))


def _same_inputs(source_names, destination_names, source_label, destination_label):
    if list(source_names) != list(destination_names):
        only_source = [c for c in source_names if c not in destination_names]
        only_destination = [c for c in destination_names if c not in source_names]
        detail = (
            f"only in {source_label}: {only_source}; only in {destination_label}: "
            f"{only_destination}"
            if only_source or only_destination
            else f"same names in another order: {list(source_names)} vs {list(destination_names)}"
        )
        _fail(f"the inputs must be the same on both sides; {detail}")


TABLE_HELP = "Electrode table (CSV, Excel, Parquet) for graphite/sigra/nmc; default: the "
TABLE_HELP += "shipped synthetic one."
INPUTS_HELP = "Input columns of a table, comma separated, as typed in its header."
TARGET_HELP = (
    "Column to learn (tortuosity, tortuosity_lattice for GDL datasets; density, mass_loading "
    "for graphite/sigra/nmc; any column of your own table)."
)
SPEC_HELP = "YAML/JSON spec: inputs, target, units, bounds, renames, where (surrogate/README.md)."
HIDDEN_HELP = "Hidden layers: 3x3 (layers x width) or widths 8,8,4; default: the paper's net."
DATASET_HELP = (
    "gdl200, gdl1000, graphite, sigra, nmc, or a path: a sweep dataset (.h5) or a table "
    "(.csv, .xlsx, .parquet)"
)


# Options shared by pretrain, transfer and curve: one definition each.
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
TargetOption = Annotated[str | None, typer.Option(help=TARGET_HELP)]
InputsOption = Annotated[str | None, typer.Option(help=INPUTS_HELP)]
SpecOption = Annotated[Path | None, typer.Option(help=SPEC_HELP)]
SourceWhereOption = Annotated[
    str | None,
    typer.Option(help="Row filter of the source, e.g. \"Chemistry == 'graphite'\"."),
]
DestWhereOption = Annotated[str | None, typer.Option(help="Row filter of the destination.")]
HiddenOption = Annotated[str | None, typer.Option(help=HIDDEN_HELP)]
EpochsOption = Annotated[int, typer.Option(help="Epochs per training.")]
RestartsOption = Annotated[int, typer.Option(help="Restarts per training, chosen on validation.")]
RunsOption = Annotated[Path, typer.Option(help="Folder of run directories.")]
TableOption = Annotated[Path | None, typer.Option(help=TABLE_HELP)]
ColumnsOption = Annotated[
    Path | None, typer.Option(help="YAML/JSON mapping {their column: canonical}.")
]
DropInvalidOption = Annotated[bool, typer.Option("--drop-invalid", help="Drop invalid table rows.")]


def _pretrained_run(path: Path):
    """The net and metadata of a run directory that holds a pretrained model, or None."""
    if not (path.is_dir() and (path / "pretrained.json").is_file()):
        return None
    model, meta = _load_model(path, "pretrained")
    return model, meta


def _sides(source, destination, target, inputs, spec, source_where, dest_where, hidden,
           table, columns, drop_invalid):  # fmt: skip
    """Both datasets of a transfer (or the saved net of a run as the source), with the same
    inputs; returns ``(src, dst, target, net, meta, source_name)``."""
    saved = _pretrained_run(Path(source))
    if saved is not None:
        if hidden is not None:
            _fail("--hidden does not apply when the pretrained net comes from a run")
        net, meta = saved
        if spec is None and not inputs:
            inputs = ",".join(meta["features"])
        target = target or meta["target"]
        if target != meta["target"]:
            _fail(f"the net of {source} learned {meta['target']!r}, not {target!r}")
        src = None
        dst_spec = _spec(inputs, target, spec, dest_where)
        dst = _load(destination, dst_spec, table, columns, drop_invalid)
        if dst_spec is None:
            target = _target(dst, target)
        _same_inputs(meta["features"], dst.feature_names, source, destination)
        source_name = Path(source).name
    else:
        net = meta = None
        src = _load(source, _spec(inputs, target, spec, source_where), table, columns, drop_invalid)
        dst = _load(
            destination, _spec(inputs, target, spec, dest_where), table, columns, drop_invalid
        )
        target = _target(src, target)
        _same_inputs(src.feature_names, dst.feature_names, source, destination)
        source_name = src.name
    return src, dst, target, net, meta, source_name


@app.command()
def transfer(
    source: SourceArgument,
    destination: DestinationArgument,
    target: TargetOption = None,
    inputs: InputsOption = None,
    spec: SpecOption = None,
    source_where: SourceWhereOption = None,
    dest_where: DestWhereOption = None,
    hidden: HiddenOption = None,
    splits: int = typer.Option(5, help="Random 70/30 splits."),
    epochs: EpochsOption = 250,
    restarts: RestartsOption = 3,
    seed: int = typer.Option(0, help="Seed of splits and training."),
    runs: RunsOption = Path("runs"),
    table: TableOption = None,
    columns: ColumnsOption = None,
    drop_invalid: DropInvalidOption = False,
    members: int = typer.Option(
        10, help="Transferred nets in the ensemble that gives predictions an interval (0: none)."
    ),
    level: float = typer.Option(0.9, help="Coverage the ensemble's intervals aim at."),
) -> None:
    """Transfer a net from SOURCE to DESTINATION and evaluate it.

    Pretrain on SOURCE (or reuse a run's net), transfer to DESTINATION, evaluate against the
    alternatives and baselines over random splits, give predictions calibrated intervals
    (an ensemble), explain with SHAP.
    """
    if splits < 1:
        _fail(f"--splits {splits} must be at least 1")
    if members == 1 or members < 0:
        _fail(f"--members {members}: an ensemble needs at least 2 members (0 for none)")
    if not 0 < level < 1:
        _fail(f"--level {level} must lie strictly between 0 and 1 (0.9 for a 90 % interval)")

    from generator import provenance
    from surrogate.evaluation.evaluate import evaluate_transfer
    from surrogate.evaluation.report import (
        new_run_dir,
        reference_for_run,
        table_markdown,
        write_transfer_run,
    )

    src, dst, target, net, meta, source_name = _sides(
        source, destination, target, inputs, spec, source_where, dest_where, hidden,
        table, columns, drop_invalid,
    )  # fmt: skip
    try:
        result = evaluate_transfer(
            src,
            dst,
            target,
            splits=splits,
            seed=seed,
            epochs=epochs,
            restarts=restarts,
            hidden=_hidden(hidden),
            progress=True,
            pretrained=net,
            members=members,
            level=level,
        )
    except ValueError as err:
        _fail(str(err))
    try:
        run = new_run_dir(runs, "transfer", source_name, dst.name, target)
    except OSError as err:
        _fail(f"cannot make a run directory in {runs}: {err.strerror or err}")
    record = {
        **provenance(),
        "source_reference": reference_for_run(src, run) if src is not None else None,
        "destination_reference": reference_for_run(dst, run),
    }
    if meta is not None:
        meta = {**meta, "run": os.path.relpath(Path(source).resolve(), run.resolve())}
    write_transfer_run(result, src, dst, run, record, pretrained_meta=meta)
    typer.echo(table_markdown(result.summary(), target, dst.units.get(target, "")))
    if result.intervals:
        from surrogate.evaluation.report import interval_sentence

        typer.echo(interval_sentence(result.intervals, result.architecture))
    typer.echo(f"run directory: {run}")


@app.command()
def curve(
    source: SourceArgument,
    destination: DestinationArgument,
    target: TargetOption = None,
    inputs: InputsOption = None,
    spec: SpecOption = None,
    source_where: SourceWhereOption = None,
    dest_where: DestWhereOption = None,
    hidden: HiddenOption = None,
    sizes: str = typer.Option(
        "5,10,20,40", help="Destination training sizes (the whole pool is always added)."
    ),  # fmt: skip
    repetitions: int = typer.Option(10, help="Subsets drawn per size."),
    level: float = typer.Option(
        None, help="MAPE (%) to reach; default: the transferred net's with every row."
    ),
    epochs: EpochsOption = 250,
    restarts: RestartsOption = 3,
    seed: int = typer.Option(0, help="Seed of the test part, the subsets and training."),
    runs: RunsOption = Path("runs"),
    table: TableOption = None,
    columns: ColumnsOption = None,
    drop_invalid: DropInvalidOption = False,
) -> None:
    """Test error against the number of DESTINATION rows.

    On a fixed held-out part of DESTINATION, for the transferred net, the same MLP from
    scratch, fine-tuning, an offset on the pretrained net, linear regression and the
    pretrained net.
    """
    from generator import provenance
    from surrogate.evaluation.curves import curve_markdown, learning_curve, plot_curve
    from surrogate.evaluation.report import new_run_dir, reference_for_run

    try:
        wanted = [int(part) for part in sizes.split(",") if part.strip()]
    except ValueError:
        _fail(f"--sizes {sizes!r} must be whole numbers separated by commas, e.g. 5,10,20,40")
    if repetitions < 1:
        _fail(f"--repetitions {repetitions} must be at least 1")
    src, dst, target, net, _, source_name = _sides(
        source, destination, target, inputs, spec, source_where, dest_where, hidden,
        table, columns, drop_invalid,
    )  # fmt: skip
    try:
        result = learning_curve(
            src, dst, target, sizes=wanted, repetitions=repetitions, seed=seed, epochs=epochs,
            restarts=restarts, hidden=_hidden(hidden), pretrained=net, progress=True,
        )  # fmt: skip
    except ValueError as err:
        _fail(str(err))
    try:
        run = new_run_dir(runs, "curve", source_name, dst.name, target)
    except OSError as err:
        _fail(f"cannot make a run directory in {runs}: {err.strerror or err}")
    plot_curve(result, run / "learning_curve.png")
    sentence = result.sentence(level)
    record = {
        "schema": "surrogate-curve/1",
        "source": result.source,
        "destination": result.destination,
        "target": target,
        "sizes": result.sizes,
        "test_rows": result.test_rows,
        "pool_rows": result.pool_rows,
        "methods": result.table(),
        "mape_values": result.mape,
        "sentence": sentence,
        "provenance": {
            **provenance(),
            "source_reference": reference_for_run(src, run) if src is not None else None,
            "destination_reference": reference_for_run(dst, run),
        },
    }
    (run / "curve.json").write_text(json.dumps(record, indent=2, default=str))
    text = curve_markdown(result)
    (run / "report.md").write_text(
        f"# Learning curve {result.source} -> {dst.name}: {target}\n\n{text}\n\n{sentence}\n\n"
        "![learning curve](learning_curve.png)\n"
    )
    typer.echo(text)
    typer.echo(sentence)
    typer.echo(f"run directory: {run}")


@app.command()
def pretrain(
    source: str = typer.Argument(..., help=f"Dataset: {DATASET_HELP}."),
    target: TargetOption = None,
    inputs: InputsOption = None,
    spec: SpecOption = None,
    where: str = typer.Option(None, help="Row filter, e.g. \"Chemistry == 'graphite'\"."),
    hidden: HiddenOption = None,
    epochs: EpochsOption = 250,
    restarts: RestartsOption = 3,
    seed: int = typer.Option(0, help="Seed of the split and the training."),
    runs: RunsOption = Path("runs"),
    table: TableOption = None,
    columns: ColumnsOption = None,
    drop_invalid: DropInvalidOption = False,
) -> None:
    """Train the MLP on one dataset and save it.

    70/30 split, 10 % of the training rows for validation; 'surrogate transfer RUN DST'
    reuses the net.
    """
    from generator import provenance
    from surrogate.estimators.regressors import NetOptions
    from surrogate.evaluation.evaluate import metrics, split_indices
    from surrogate.evaluation.evaluate import pretrain as train_net
    from surrogate.evaluation.report import input_range, new_run_dir, reference_for_run, save_model
    from surrogate.nets.models import (
        DEFAULT_ARCHITECTURES,
        FALLBACK_ARCHITECTURE,
        trainable_parameters,
    )
    from surrogate.nets.training import predict

    data = _load(source, _spec(inputs, target, spec, where), table, columns, drop_invalid)
    target = _target(data, target)
    widths = _hidden(hidden) or DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE)
    try:
        x, y = data.arrays(target)
        train, val, test = split_indices(len(x), seed, name=f"dataset {data.name!r}")
        options = NetOptions(epochs=epochs, restarts=restarts)
        model, _ = train_net(x, y, train, val, widths, options, seed)
    except ValueError as err:
        _fail(str(err))
    scores = metrics(y[test], predict(model, x[test]))
    try:
        run = new_run_dir(runs, "pretrain", data.name, target)
    except OSError as err:
        _fail(f"cannot make a run directory in {runs}: {err.strerror or err}")
    architecture = {
        "hidden": list(widths),
        "layers": len(widths),
        "width": widths[-1],
        "trainable_pretrained": trainable_parameters(model),
    }
    save_model(
        model,
        run / "pretrained",
        {
            "kind": "pretrained",
            "features": data.feature_names,
            "target": target,
            "units": {k: data.units.get(k, "") for k in data.feature_names},
            "target_unit": data.units.get(target, ""),
            "architecture": architecture,
            "source": data.name,
            "input_range": input_range(x[train], {"features": data.feature_names}),
        },
    )
    (run / "split.json").write_text(
        json.dumps(
            {
                "source": reference_for_run(data, run),
                "destination": reference_for_run(data, run),
                "target": target,
                "target_train": [int(i) for i in train],
                "target_validation": [int(i) for i in val],
                "target_test": [int(i) for i in test],
            },
            indent=2,
        )
    )
    (run / "metrics.json").write_text(
        json.dumps(
            {
                "schema": "surrogate-metrics/1",
                "kind": "pretrain",
                "source": data.name,
                "target": target,
                "test": scores,
                "rows": {"train": len(train), "validation": len(val), "test": len(test)},
                "architecture": architecture,
                "synthetic": data.provenance.get("synthetic") is True,
                "provenance": {**provenance(), "reference": reference_for_run(data, run)},
            },
            indent=2,
            default=str,
        )
    )
    unit = data.units.get(target, "")
    typer.echo(
        f"test MAPE {scores['mape']:.3f} %, MAE {scores['mae']:.4g}{' ' + unit if unit else ''}, "
        f"R2 {scores['r2']:.3f} ({trainable_parameters(model)} trainable parameters); "
        f"run directory: {run}"
    )


def _active_pretrained(source: str, target: str, folder: Path, seed: int, epochs: int):
    """The frozen net of an active loop: the one saved in its folder (a resume), a pretrain
    run's, or one pretrained here on SOURCE (90 % training, 10 % validation) and saved."""
    from surrogate.estimators.regressors import NetOptions
    from surrogate.evaluation.evaluate import pretrain as train_net
    from surrogate.evaluation.report import input_range, save_model
    from surrogate.nets.models import DEFAULT_ARCHITECTURES, FALLBACK_ARCHITECTURE

    if (folder / "pretrained.json").is_file():
        return _load_model(folder, "pretrained")[0]
    saved = _pretrained_run(Path(source))
    if saved is not None:
        net, meta = saved
        if meta["target"] != target:
            _fail(f"the net of {source} learned {meta['target']!r}, not {target!r}")
    else:
        data = _load(source)
        target = _target(data, target)
        try:
            x, y = data.arrays(target)
        except ValueError as err:
            _fail(str(err))
        import numpy as np

        order = np.random.default_rng(seed + 1).permutation(len(x))
        n_val = max(1, int(round(0.1 * len(x))))
        widths = DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE)
        net, _ = train_net(
            x, y, order[n_val:], order[:n_val], widths, NetOptions(epochs=epochs), seed
        )
        meta = {
            "features": data.feature_names,
            "units": {k: data.units.get(k, "") for k in data.feature_names},
            "target": target,
            "target_unit": data.units.get(target, ""),
            "architecture": {"hidden": list(widths), "layers": len(widths), "width": widths[-1]},
            "source": data.name,
            "input_range": input_range(x[order[n_val:]], {"features": data.feature_names}),
        }
    from generator.sweep.design import PARAMETERS

    if list(meta["features"]) != list(PARAMETERS):
        _fail(
            f"the active loop learns from {', '.join(PARAMETERS)}; {source} has {meta['features']}"
        )
    save_model(net, folder / "pretrained", {**meta, "kind": "pretrained"})
    return net


@app.command()
def active(
    source: SourceArgument,
    domain: str = typer.Option("1000", help="Domain preset the loop simulates: 200 or 1000."),
    budget: int = typer.Option(..., help="Expensive samples to simulate at most (all in all)."),
    batch: int = typer.Option(4, help="Samples chosen per iteration."),
    initial: int = typer.Option(8, help="Space-filling samples to start from."),
    holdout: int = typer.Option(
        0,
        help="Space-filling samples simulated once and never trained on: the error estimate "
        "--target-mape stops on (0: the out-of-bag MAPE, pessimistic on chosen samples).",
    ),
    pool: int = typer.Option(1024, help="Candidates: a scrambled Sobol design of this size."),
    target: str = typer.Option("tortuosity", help="tortuosity (euclidean) or tortuosity_lattice."),
    target_mape: float = typer.Option(
        None, help="Stop early once the out-of-bag MAPE (%) is at most this."
    ),
    members: int = typer.Option(10, help="Transferred nets in the ensemble."),
    epochs: EpochsOption = 250,
    seed: int = typer.Option(0, help="Seed of the candidates, the nets and the choices."),
    voxel_um: float = typer.Option(1.0, help="Voxel edge of the simulations (um)."),
    out: Path = typer.Option(
        None,
        help="Dataset of the chosen samples (default active<domain>.h5); the loop's log "
        "and nets go to <stem>_active/ beside it.",
    ),
    volumes: bool = typer.Option(False, help="Keep each sample's volume in its file."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    workers: int = typer.Option(None, help="Local worker processes (default: by cores, memory)."),
    cluster: str = typer.Option(
        None, help="Batch cluster via dask-jobqueue: slurm, pbs, sge, lsf."
    ),
    jobs: int = typer.Option(1, help="--cluster: worker jobs."),
    cores: int = typer.Option(None, help="--cluster: cores per job."),
    memory: str = typer.Option(None, help="--cluster: memory per job, e.g. 4GB."),
    walltime: str = typer.Option(None, help="--cluster: walltime per job, e.g. 02:00:00."),
    queue: str = typer.Option(None, help="--cluster: queue or partition."),
    account: str = typer.Option(None, help="--cluster: account to charge."),
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
) -> None:
    """Let the surrogate choose which samples to simulate.

    Pretrain on SOURCE, simulate a few space-filling DOMAIN samples, then repeatedly fit an
    ensemble of transferred nets and simulate the candidates it disagrees on most, until
    --budget or --target-mape. Re-running the same command resumes.
    """
    import os

    from generator import command_line
    from generator.cli.app import numba_cache_folder
    from generator.sweep.executors import DaskExecutor
    from generator.sweep.ownership import OwnershipError
    from generator.sweep.plan import SweepPlan
    from surrogate.active.loop import ActiveSettings, TooFewSamples, run_active

    if target not in ("tortuosity", "tortuosity_lattice"):
        _fail(f"--target {target!r} must be tortuosity or tortuosity_lattice")
    settings = ActiveSettings(
        source=str(source), domain=str(domain), pool=pool, initial=initial, batch=batch,
        budget=budget, holdout=holdout, target=target, target_mape=target_mape, members=members,
        epochs=epochs, seed=seed, voxel_um=voxel_um,
    )  # fmt: skip
    try:
        settings.check()
        cache = numba_cache_folder(None)
        os.environ.setdefault("NUMBA_CACHE_DIR", str(cache))
        plan = SweepPlan.create(
            domain=domain, n=pool, design="sobol", seed=seed, voxel_um=voxel_um,
            out=out or Path(f"active{domain}.h5"), keep_volumes=volumes,
        )  # fmt: skip
        options = {
            "cores": cores, "memory": memory, "walltime": walltime, "queue": queue,
            "account": account, "job_extra_directives": job_extra or None,
            "job_script_prologue": job_script_prologue or None, "interface": interface,
            "log_directory": str(log_dir) if log_dir else None,
        }  # fmt: skip
        executor = DaskExecutor(
            workers=workers, scheduler=scheduler, cluster=cluster,
            jobqueue_options={k: v for k, v in options.items() if v is not None}, jobs=jobs,
            numba_cache=cache, max_resubmits=max_resubmits,
        )  # fmt: skip
        folder = plan.out.with_name(plan.out.stem + "_active")
        from surrogate.active.loop import ActiveState

        ActiveState(folder).open(settings)
        net = _active_pretrained(str(source), target, folder, seed, epochs)
        outcome = run_active(
            settings, plan, net, executor=executor, state_folder=folder, echo=typer.echo,
            command_line=command_line(),
        )  # fmt: skip
    except (ValueError, OSError, OwnershipError) as err:
        _fail(str(err))
    except RuntimeError as err:  # failed simulations, or a batch cluster that was lost
        from generator.sweep.clusters import ClusterLost

        if not isinstance(err, TooFewSamples | ClusterLost):
            raise
        typer.echo(f"error: {err}", err=True)
        typer.echo("finished samples are kept; run the same command again to resume", err=True)
        raise typer.Exit(1) from None
    words = {
        "budget": f"the budget of {budget} samples is spent",
        "target": f"the {'hold-out' if holdout else 'out-of-bag'} MAPE reached --target-mape "
        f"{target_mape} %",
        "pool": "every candidate has been simulated",
    }[outcome.reason]
    typer.echo(
        f"stopped: {words}; {outcome.simulated} simulated ({outcome.usable} trained on), "
        f"out-of-bag MAPE {outcome.oob_mape:.3f} %"
        + (
            f", hold-out MAPE {outcome.holdout_mape:.3f} %"
            if outcome.holdout_mape is not None
            else ""
        )
        + f", {outcome.seconds:.0f} s; dataset {plan.out}, log "
        f"{folder / 'log.jsonl'}; predict with: surrogate predict {folder}"
    )


def _load_model(run: Path, kind: str):
    from surrogate.evaluation.report import load_state
    from surrogate.nets.models import MLP, TransferModel, architecture_of

    meta_path = run / f"{kind}.json"
    if not meta_path.is_file():
        _fail(f"no {kind} model in {run}")
    meta = json.loads(meta_path.read_text())
    arch = meta["architecture"]

    def build(kind=kind):
        model = MLP(len(meta["features"]), architecture_of(arch))
        if kind != "pretrained":
            model = TransferModel(model, arch.get("adapter_width"))
        return model

    if kind == "transferred_ensemble":
        from surrogate.estimators.ensemble import ensemble_from_state

        return ensemble_from_state(load_state(run / kind), meta["ensemble"], build), meta
    model = build()
    model.load_state_dict(load_state(run / kind))
    return model, meta


def _prediction_inputs(csv, value, features):
    """The rows to predict, as floats, from a CSV or ``name=value`` pairs; exit 2 on bad input."""
    import numpy as np
    import pandas as pd

    if csv is not None:
        from surrogate.data.tables import read_table

        try:
            # Comma or semicolon separated, decimal comma, BOM, # comments: as tables are read.
            frame, _ = read_table(csv)
        except (OSError, ValueError) as err:
            _fail(f"cannot read {csv} as a table: {err}")
    else:
        pairs = {}
        for item in value or []:
            name, sep, text = item.partition("=")
            if not sep or not name:
                _fail(f"--set {item!r} must be name=value, with name one of {', '.join(features)}")
            pairs[name.strip()] = text
        if not pairs:
            _fail(f"give the inputs with --csv or --set name=value for {', '.join(features)}")
        frame = pd.DataFrame([pairs])
    unknown = [c for c in frame.columns if c not in features]
    missing = [f for f in features if f not in frame.columns]
    if unknown or missing:
        _fail(f"the model takes {', '.join(features)}; unknown {unknown}, missing {missing}")
    frame = frame[features]
    for name in features:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = ~np.isfinite(numbers.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            _fail(f"{name}={frame[name].iloc[row]!r} (row {row}) is not a finite number")
        frame[name] = numbers.astype(float)
    return frame


@app.command()
def predict(
    run: Path = typer.Argument(..., help="A run directory."),
    csv: Path = typer.Option(None, help="CSV with one column per input feature."),
    model: str = typer.Option(
        None,
        help="transferred_ensemble (mean and interval), transferred or pretrained; default: "
        "the first of these the run has.",
    ),
    value: list[str] = typer.Option(None, "--set", help="feature=value (repeatable)."),
    allow_extrapolation: bool = typer.Option(
        False,
        "--allow-extrapolation",
        help="Predict outside the range the model was trained on (with a warning).",
    ),
) -> None:
    """Predict the target with a run's model.

    Inputs as --set name=value or a CSV; one JSON line per row, with an ensemble the
    interval's bounds as <target>_low and <target>_high.
    """
    import numpy as np

    from surrogate.nets.training import predict as run_model

    model = _model_kind(run, model, PREDICT_KINDS)
    net, meta = _load_model(run, model)
    features = meta["features"]
    frame = _prediction_inputs(csv, value, features)
    for name, (low, high) in meta.get("input_range", {}).items():
        outside = ~frame[name].between(low, high)
        if outside.any():
            row = int(np.flatnonzero(outside.to_numpy())[0])
            message = (
                f"{name}={frame[name].iloc[row]:g} (row {row}) is outside the range the model "
                f"was trained on, {low:g}..{high:g}"
            )
            if not allow_extrapolation:
                _fail(message + "; pass --allow-extrapolation to predict anyway")
            typer.echo(f"warning: {message}: extrapolating", err=True)
    x = frame.to_numpy(np.float32)
    target = meta["target"]
    if model == "transferred_ensemble" and not np.isfinite(net.scale_):
        typer.echo(
            f"warning: the ensemble was calibrated on {net.calibration_rows_} out-of-bag rows, "
            f"too few for a {100 * net.level:g} % interval: printing its mean alone",
            err=True,
        )
        values, bounds, level = net.predict(x), [{}] * len(x), {}
    elif model == "transferred_ensemble":
        values, low, high = net.predict_interval(x)
        bounds = [
            {f"{target}_low": float(a), f"{target}_high": float(b)}
            for a, b in zip(low, high, strict=True)
        ]
        level = {"interval_level": meta["ensemble"]["level"]}
    else:
        values, bounds, level = run_model(net, x), [{}] * len(x), {}
    for row, prediction, interval in zip(frame.to_dict("records"), values, bounds, strict=True):
        if not np.isfinite([prediction, *interval.values()]).all():
            _fail(f"the model gave a non-finite prediction for {row}")
        record = {**row, target: float(prediction), **interval, **(level if interval else {})}
        typer.echo(json.dumps(record, allow_nan=False))


PREDICT_KINDS = ("transferred_ensemble", "transferred", "pretrained")
EXPLAIN_KINDS = ("transferred", "pretrained")


def _model_kind(run: Path, model, kinds=EXPLAIN_KINDS):
    """The net to use: as asked, else the first of ``kinds`` the run has."""
    present = [k for k in kinds if (run / f"{k}.json").is_file()]
    if model is None:
        return present[0] if present else kinds[-1]
    if model not in kinds:
        _fail(f"--model {model!r} must be one of {', '.join(kinds)}")
    if model not in present:
        _fail(f"{run} has no {model} net (it has: {', '.join(present) or 'none'})")
    return model


@app.command()
def explain(
    run: Path = typer.Argument(..., help="A run directory (pretrain or transfer)."),
    model: str = typer.Option(
        None,
        help="transferred_ensemble (mean and interval), transferred or pretrained; default: "
        "the first of these the run has.",
    ),
) -> None:
    """SHAP of a run's model: one prediction and the beeswarm.

    The exact explainer (every coalition of the inputs, up to about 12) against the training
    rows; the explanations sum to prediction minus base value (the error is printed).
    """
    from surrogate.evaluation.report import dataset_from_run, shap_figures

    split_path = run / "split.json"
    if not split_path.is_file():
        _fail(f"{run} has no split.json (not a run directory of 'surrogate pretrain/transfer')")
    split = json.loads(split_path.read_text())
    model = _model_kind(run, model)
    net, meta = _load_model(run, model)
    try:
        data = dataset_from_run(split["destination"], run)
    except (ValueError, FileNotFoundError, OSError) as err:
        _fail(f"cannot load the dataset of {run}: {err}")
    if data.feature_names != meta["features"]:
        _fail(f"dataset inputs {data.feature_names} differ from the model's {meta['features']}")
    try:
        x, _ = data.arrays(split["target"])
    except ValueError as err:
        _fail(str(err))
    if len(meta["features"]) > 12:
        _fail(f"{len(meta['features'])} inputs: exact SHAP enumerates 2^n coalitions (n <= 12)")
    files, error = shap_figures(
        net,
        x[split["target_train"]],
        x[split["target_test"]],
        meta["features"],
        run,
        prefix=f"shap_{model}",
    )
    for path in files.values():
        typer.echo(f"wrote {path}")
    typer.echo(f"SHAP additivity: max |sum + base - prediction| = {error:.2e}")


def main() -> None:
    """Entry point of ``surrogate`` and ``python -m surrogate``."""
    app()
