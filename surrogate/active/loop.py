"""Active learning: the surrogate chooses which expensive samples the generator simulates next.

The candidates are the design of a sweep plan (a large scrambled Sobol set over the parameter
ranges), so a chosen candidate is an ordinary task of that plan: it runs through
:func:`generator.sweep.run.run_sweep` on the same executors (local Dask cluster, a scheduler, a
batch cluster), with the same per-sample files, verification and resume, and the dataset it
writes is an ordinary sweep dataset holding the chosen samples.

The loop: simulate the first ``initial`` candidates (a Sobol prefix is itself space-filling);
then, until the budget or the target error is reached, fit an ensemble of transferred nets
(:mod:`surrogate.estimators.ensemble`) on the samples so far, and choose the next batch by
**ensemble disagreement** (:mod:`surrogate.active.rules`): the candidates where the members'
relative standard deviation is largest, each pick damping the scores of the candidates near it
(a Gaussian of the distance in the unit cube, with the typical spacing of the samples so far as
its length) so that a batch spreads over the uncertain regions instead of piling into one. The
error estimate logged with each iteration is the ensemble's out-of-bag MAPE on the samples so
far (no sample is spent on it, but the chosen samples are the hard ones, so it is pessimistic)
and, with ``holdout`` samples (the Sobol points after the initial ones, simulated once and never
trained on or chosen), the MAPE on those: an unbiased estimate, and then the one
``target_mape`` stops on.

Every step is appended to a JSON-lines log before and after it happens
(:mod:`surrogate.active.state`), so a loop killed at any point resumes: the chosen samples are
read back from the log, the finished ones are verified and kept, and the rest run again.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generator.sweep.design import PARAMETERS
from surrogate.active.rules import (
    choose_by_disagreement,
    disagreement_percent,
    fit_ensemble,
    unit_cube,
)
from surrogate.active.state import ActiveSettings, ActiveState

RULE = (
    "ensemble disagreement (relative std of the members), each pick damping the candidates near it"
)


class TooFewSamples(RuntimeError):
    """Too few of the chosen samples finished to fit an ensemble."""


@dataclass
class ActiveOutcome:
    """How a loop ended, and where its files are."""

    reason: str  # "budget", "target" or "pool"
    simulated: int
    usable: int
    oob_mape: float
    iterations: int
    seconds: float
    holdout_mape: float | None = None
    dataset: Path | None = None
    folder: Path | None = None

    def sentence(self, settings: ActiveSettings) -> str:
        """Why the loop stopped, what it simulated and reached, and where its files are."""
        kind = "hold-out" if settings.holdout else "out-of-bag"
        words = {
            "budget": f"the budget of {settings.budget} samples is spent",
            "target": f"the {kind} MAPE reached the target of {settings.target_mape} %",
            "pool": "every candidate has been simulated",
        }[self.reason]
        holdout = (
            f", hold-out MAPE {self.holdout_mape:.3f} %" if self.holdout_mape is not None else ""
        )
        files = ""
        if self.dataset is not None:
            files = f"; dataset {self.dataset}, log {self.folder / 'log.jsonl'}"
        return (
            f"stopped: {words}; {self.simulated} simulated ({self.usable} trained on), "
            f"out-of-bag MAPE {self.oob_mape:.3f} %{holdout}, {self.seconds:.0f} s{files}"
        )


def start_active(
    settings: ActiveSettings,
    *,
    out=None,
    keep_volumes: bool = False,
    executor=None,
    echo=print,
    note=None,
    command_line: str = "",
) -> ActiveOutcome:
    """Run (or resume) the active loop from its settings: the candidate plan
    (``settings.pool`` Sobol points of ``settings.domain``; its dataset ``out``, default
    ``active<domain>.h5``), the state folder beside it (``<stem>_active/``), the pretrained net
    (:func:`active_pretrained`), then :func:`run_active`.

    ``note`` (default: nothing) receives what a user should hear about the source dataset
    (dropped rows, warnings); ``echo`` one line per step.

    Raises
    ------
    ValueError
        Bad settings (before anything is written), a state folder of another loop, a source
        without the GDL inputs or with another target.
    TooFewSamples, generator.sweep.clusters.ClusterLost
        When too few samples finished, or a batch cluster was lost; run again to resume.
    """
    from generator import check_output_folder
    from generator.sweep.ownership import check_output
    from generator.sweep.plan import SweepPlan

    settings.check()
    plan = SweepPlan.create(
        domain=settings.domain, n=settings.pool, design="sobol", seed=settings.seed,
        voxel_um=settings.voxel_um, out=out or Path(f"active{settings.domain}.h5"),
        keep_volumes=keep_volumes, properties=settings.properties,
    )  # fmt: skip
    folder = plan.out.with_name(plan.out.stem + "_active")
    # Both outputs are checked before anything is written: the dataset as a sweep checks it,
    # the state folder by the output-target rule (a folder, never a link, a file or a device).
    check_output(plan, force=False, explicit_out=True)
    check_output_folder(folder, what="active state folder")
    ActiveState(folder).open(settings)
    net = active_pretrained(
        settings.source, settings.source_target or settings.target, folder, seed=settings.seed,
        epochs=settings.epochs, note=note,
    )  # fmt: skip
    outcome = run_active(
        settings, plan, net, executor=executor, state_folder=folder, echo=echo,
        command_line=command_line,
    )  # fmt: skip
    outcome.dataset, outcome.folder = plan.out, folder
    return outcome


def active_pretrained(
    source: str, target: str, folder: Path, *, seed: int = 0, epochs: int = 250, note=None
):
    """The frozen net of an active loop: the one saved in its folder (a resume), a pretrain
    run's, or one pretrained here on ``source`` (90 % training, 10 % validation) and saved.

    Raises
    ------
    ValueError
        A net of another target, or a source without the GDL inputs.
    """
    from surrogate.evaluation.rundir import load_model, pretrained_of_run, save_model

    folder = Path(folder)
    if (folder / "pretrained.json").is_file():
        return load_model(folder, "pretrained")[0]
    saved = pretrained_of_run(source)
    if saved is not None:
        net, meta = saved
        if meta["target"] != target:
            raise ValueError(f"the net of {source} learned {meta['target']!r}, not {target!r}")
    else:
        net, meta = _pretrain_on(source, target, seed=seed, epochs=epochs, note=note)
    if list(meta["features"]) != list(PARAMETERS):
        raise ValueError(
            f"the active loop learns from {', '.join(PARAMETERS)}; {source} has {meta['features']}"
        )
    save_model(net, folder / "pretrained", {**meta, "kind": "pretrained"})
    return net


def _pretrain_on(source: str, target: str, *, seed: int, epochs: int, note) -> tuple:
    """A net pretrained on the dataset ``source`` and its metadata."""
    from surrogate.estimators.regressors import NetOptions
    from surrogate.evaluation.evaluate import pretrain
    from surrogate.evaluation.rundir import input_range
    from surrogate.evaluation.sides import dataset_notes, load_one
    from surrogate.nets.models import DEFAULT_ARCHITECTURES, FALLBACK_ARCHITECTURE

    data, target = load_one(source, target=target)
    for line in dataset_notes([data], [source]):
        if note is not None:
            note(line)
    x, y = data.arrays(target)
    order = np.random.default_rng(seed + 1).permutation(len(x))
    n_val = max(1, int(round(0.1 * len(x))))
    widths = DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE)
    net, _ = pretrain(x, y, order[n_val:], order[:n_val], widths, NetOptions(epochs=epochs), seed)
    meta = {
        "features": data.feature_names,
        "units": {k: data.units.get(k, "") for k in data.feature_names},
        "target": target,
        "target_unit": data.units.get(target, ""),
        "architecture": {"hidden": list(widths), "layers": len(widths), "width": widths[-1]},
        "source": data.name,
        "input_range": input_range(x[order[n_val:]], {"features": data.feature_names}),
    }
    return net, meta


@dataclass
class _Progress:
    """Where the loop stands: the samples chosen so far (and held out), the iteration, and the
    last event of the log it resumed from."""

    chosen: list = field(default_factory=list)
    holdout: list = field(default_factory=list)
    iteration: int = 0
    last: dict | None = None

    @property
    def simulated(self) -> list:
        return self.chosen + self.holdout


def run_active(
    settings: ActiveSettings,
    plan,
    pretrained,
    *,
    executor=None,
    state_folder: Path,
    echo=print,
    command_line: str = "",
) -> ActiveOutcome:
    """Run (or resume) the active loop; see the module's description.

    Parameters
    ----------
    settings : ActiveSettings
    plan : generator.sweep.plan.SweepPlan
        Its design is the candidate pool (``settings.pool`` samples), its dataset file receives
        the chosen samples.
    pretrained : MLP
        The net pretrained on the source, frozen inside every member.
    executor : optional
        Where the samples run (a local Dask cluster by default).
    state_folder : Path
        Settings, log, pretrained net and the last ensemble.
    echo : callable
        Prints one line per step.
    """
    from surrogate.data.registry import GDL_TARGETS

    settings.check()
    state = ActiveState(state_folder)
    state.open(settings)
    start = time.time()
    candidates = plan.design_table[list(PARAMETERS)].to_numpy(np.float64)
    candidates_unit = unit_cube(candidates, plan.ranges)
    progress = _resume(state, settings, echo)
    column = GDL_TARGETS[settings.target]
    if executor is None:
        from generator.sweep.executors import DaskExecutor

        executor = DaskExecutor()
    with ExitStack() as stack:
        if hasattr(executor, "session"):
            # One cluster for every batch: workers (or batch jobs) are not started anew each time.
            stack.enter_context(executor.session(plan))
        while True:
            summary, seconds_simulating = _simulate(plan, executor, progress, state, command_line)
            table, held = _finished_rows(plan, column, progress, settings, summary)
            tic = time.time()
            ensemble = fit_ensemble(
                pretrained, table[list(PARAMETERS)].to_numpy(np.float32),
                table[column].to_numpy(np.float32), members=settings.members,
                level=settings.level, epochs=settings.epochs,
                seed=settings.seed * 1000 + progress.iteration,
                # another column than the pretraining's: each adapter starts from a fitted line
                rescale=bool(settings.source_target) and settings.source_target != settings.target,
            )  # fmt: skip
            # The input range from the table's own float64 values (a float32 copy can round a
            # training row's value past its own bound).
            _save_ensemble(ensemble, table[list(PARAMETERS)].to_numpy(), state.folder, settings)
            holdout_mape = _holdout_mape(ensemble, held, column)
            _log_trained(state, progress, summary, ensemble, len(table), len(held), holdout_mape,
                         seconds_simulating, time.time() - tic)  # fmt: skip
            echo(
                f"iteration {progress.iteration}: {len(progress.simulated)} simulated "
                f"({len(table)} to train on, {summary.skipped} already finished), out-of-bag "
                f"MAPE {ensemble.oob_mape_:.3f} %"
                + (f", hold-out MAPE {holdout_mape:.3f} %" if holdout_mape is not None else "")
            )
            error = holdout_mape if holdout_mape is not None else ensemble.oob_mape_
            reason = _stop_reason(settings, len(progress.simulated), len(candidates), error)
            if reason:
                return ActiveOutcome(
                    reason, len(progress.simulated), len(table), ensemble.oob_mape_,
                    progress.iteration, time.time() - start, holdout_mape,
                )  # fmt: skip
            _choose_next(ensemble, candidates, candidates_unit, progress, settings, state, echo)


def _resume(state: ActiveState, settings: ActiveSettings, echo) -> _Progress:
    """The samples chosen so far, read back from the log; a new loop logs its start: the
    first ``initial`` Sobol points, and the next ``holdout`` held out."""
    events = state.events()
    progress = _Progress()
    for event in events:
        if event["event"] == "chosen":
            progress.chosen += [i for i in event["indices"] if i not in progress.chosen]
            progress.holdout += event.get("holdout", [])
    if progress.chosen:
        progress.iteration = max((e["iteration"] for e in events), default=-1)
        progress.last = events[-1] if events else None
        if progress.last is not None and progress.last["event"] == "chosen":
            echo(
                f"resuming iteration {progress.iteration}: {len(progress.chosen)} samples "
                "chosen so far"
            )
        return progress
    progress.chosen = list(range(settings.initial))
    # The hold-out samples: the next Sobol points, simulated once, never trained on, never
    # offered again; the loop's unbiased error estimate.
    progress.holdout = list(range(settings.initial, settings.initial + settings.holdout))
    held = f", the next {settings.holdout} held out" if progress.holdout else ""
    state.append(
        {
            "event": "chosen",
            "iteration": 0,
            "indices": progress.chosen,
            "holdout": progress.holdout,
            "rule": f"space-filling start: the first {settings.initial} points of the "
            f"scrambled Sobol candidates{held}",
        }
    )
    return progress


def _simulate(plan, executor, progress: _Progress, state: ActiveState, command_line: str):
    """Every sample chosen or held out so far, through the sweep (finished files are verified
    and kept); returns the sweep's summary and the seconds it took."""
    from generator.sweep.run import run_sweep

    tic = time.time()
    simulated = progress.simulated
    summary = run_sweep(
        plan,
        executor=executor,
        indices=simulated,
        selection={
            "kind": "active",
            "log": str(state.log_path),
            "indices": sorted(simulated),
            "holdout": sorted(progress.holdout),
        },
        command_line=command_line,
    )
    return summary, time.time() - tic


def _finished_rows(plan, column: str, progress: _Progress, settings: ActiveSettings, summary):
    """The samples that finished with a finite target: those to train on, and the held-out
    ones.

    Raises
    ------
    TooFewSamples
        Fewer than 4 to train on.
    """
    from generator import open_dataset

    table = open_dataset(plan.out).table
    if column not in table:  # no sample finished
        table = table.iloc[:0].assign(**{column: np.float64()})
    table = table[(table["status"] == "ok") & np.isfinite(table[column])]
    held = table[table["index"].isin(progress.holdout)]
    table = table[~table["index"].isin(progress.holdout)]
    if len(table) < 4:
        raise TooFewSamples(
            f"only {len(table)} of {len(progress.chosen)} chosen samples finished with a finite "
            f"{settings.target}: too few to fit (first failure: "
            f"{summary.failed[0] if summary.failed else 'none'})"
        )
    return table, held


def _holdout_mape(ensemble, held, column: str) -> float | None:
    """The ensemble's MAPE (%) on the held-out samples (None without any)."""
    if not len(held):
        return None
    truth = held[column].to_numpy(np.float64)
    guess = ensemble.predict(held[list(PARAMETERS)].to_numpy(np.float32))
    return 100.0 * float(np.mean(np.abs(guess - truth) / np.abs(truth)))


def _log_trained(
    state,
    progress: _Progress,
    summary,
    ensemble,
    usable: int,
    held: int,
    holdout_mape,
    seconds_simulating: float,
    seconds_training: float,
) -> None:
    """The ``trained`` event, unless the log resumed from this very one."""
    last, progress.last = progress.last, None
    simulated = len(progress.simulated)
    if last is not None and last["event"] == "trained" and last["simulated"] == simulated:
        return
    state.append(
        {
            "event": "trained",
            "iteration": progress.iteration,
            "simulated": simulated,
            "usable": usable,
            "holdout_usable": held,
            "holdout_mape": holdout_mape,
            "failed": [int(i) for i, _ in summary.failed],
            "skipped_finished": summary.skipped,
            "oob_mape": ensemble.oob_mape_,
            # None: too few out-of-bag rows for a calibrated interval at this level.
            "interval_scale": ensemble.scale_ if np.isfinite(ensemble.scale_) else None,
            "seconds_simulating": round(seconds_simulating, 2),
            "seconds_training": round(seconds_training, 2),
        }
    )


def _stop_reason(settings: ActiveSettings, simulated: int, candidates: int, error: float):
    """``"budget"``, ``"target"``, ``"pool"``, or None to go on."""
    if simulated >= settings.budget:
        return "budget"
    if settings.target_mape is not None and error <= settings.target_mape:
        return "target"
    if simulated >= candidates:
        return "pool"
    return None


def _choose_next(
    ensemble,
    candidates,
    candidates_unit,
    progress: _Progress,
    settings: ActiveSettings,
    state: ActiveState,
    echo,
) -> None:
    """The next batch by disagreement among the candidates not simulated yet, logged before
    it runs."""
    simulated = progress.simulated
    left = np.setdiff1d(np.arange(len(candidates)), simulated)
    disagreement = disagreement_percent(ensemble, candidates[left])
    size = min(settings.batch, settings.budget - len(simulated))
    picks = choose_by_disagreement(
        disagreement, candidates_unit[left], candidates_unit[progress.chosen], size
    )
    new = [int(left[p]) for p in picks]
    progress.iteration += 1
    median = float(np.median(disagreement))
    state.append(
        {
            "event": "chosen",
            "iteration": progress.iteration,
            "indices": new,
            "rule": RULE,
            "disagreement_percent": [round(float(disagreement[p]), 5) for p in picks],
            "candidates_median_disagreement_percent": round(median, 5),
        }
    )
    echo(
        f"iteration {progress.iteration}: chose {new} (disagreement "
        f"{', '.join(f'{disagreement[p]:.3f}' for p in picks)} %; median of the "
        f"{len(left)} candidates {median:.3f} %)"
    )
    progress.chosen += new


def _save_ensemble(ensemble, x, folder: Path, settings: ActiveSettings) -> None:
    """The ensemble as ``transferred_ensemble.pt/.json``, as a transfer run keeps it."""
    from surrogate.estimators.ensemble import ensemble_state
    from surrogate.evaluation.rundir import read_metadata, save_state

    state, calibration = ensemble_state(ensemble)
    meta = read_metadata(folder, "pretrained")
    meta |= {
        "kind": "transferred_ensemble",
        "destination": f"active {settings.domain}",
        "input_range": {
            name: [float(x[:, i].min()), float(x[:, i].max())] for i, name in enumerate(PARAMETERS)
        },
        "ensemble": calibration,
    }
    meta["architecture"] = {**meta["architecture"], "adapter_width": None}
    save_state(state, folder / "transferred_ensemble", meta)
