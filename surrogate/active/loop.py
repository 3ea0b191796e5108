"""Active learning: the surrogate chooses which expensive samples the generator simulates next.

The candidates are the design of a sweep plan (a large scrambled Sobol set over the parameter
ranges), so a chosen candidate is an ordinary task of that plan: it runs through
:func:`generator.sweep.run.run_sweep` on the same executors (local Dask cluster, a scheduler, a
batch cluster), with the same per-sample files, verification and resume, and the dataset it
writes is an ordinary sweep dataset holding the chosen samples.

The loop: simulate the first ``initial`` candidates (a Sobol prefix is itself space-filling);
then, until the budget or the target error is reached, fit an ensemble of transferred nets
(:mod:`surrogate.estimators.ensemble`) on the samples so far, and choose the next batch by
**ensemble
disagreement**: the candidates where the members' relative standard deviation is largest, each
pick damping the scores of the candidates near it (a Gaussian of the distance in the unit
cube, with the typical spacing of the samples so far as its length) so that a batch spreads
over the uncertain regions instead of piling into one. The error estimate logged with each
iteration is the ensemble's out-of-bag MAPE on the samples so far (no sample is spent on it,
but the chosen samples are the hard ones, so it is pessimistic) and, with ``holdout`` samples
(the Sobol points after the initial ones, simulated once and never trained on or chosen), the
MAPE on those: an unbiased estimate, and then the one ``target_mape`` stops on.

Every step is appended to a JSON-lines log before and after it happens, so a loop killed at any
point resumes: the chosen samples are read back from the log, the finished ones are verified
and kept, and the rest run again.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from generator.sweep.design import PARAMETERS

LOG_NAME = "log.jsonl"
SETTINGS_NAME = "settings.json"
STATE_SCHEMA = "surrogate-active/1"
RULE = (
    "ensemble disagreement (relative std of the members), each pick damping the candidates near it"
)


@dataclass(frozen=True)
class ActiveSettings:
    """What decides the loop's choices (a resumed loop must have the same), plus its limits.

    ``budget`` and ``target_mape`` may change on a resume (to go on further or stop sooner).
    """

    source: str
    domain: str
    pool: int
    initial: int
    batch: int
    budget: int
    holdout: int = 0
    target: str = "tortuosity"
    target_mape: float | None = None
    members: int = 10
    level: float = 0.9
    epochs: int = 250
    seed: int = 0
    voxel_um: float = 1.0

    def check(self) -> None:
        """Refuse settings the loop cannot honour, naming the value and what is expected."""
        if self.initial < 4:
            raise ValueError(f"--initial {self.initial}: the first fit needs at least 4 samples")
        if self.batch < 1:
            raise ValueError(f"--batch {self.batch} must be at least 1")
        if self.holdout < 0 or 0 < self.holdout < 3:
            raise ValueError(f"--holdout {self.holdout}: 0 (none) or at least 3 samples")
        if self.budget < self.initial + self.holdout:
            raise ValueError(
                f"--budget {self.budget} is below --initial {self.initial}"
                + (f" + --holdout {self.holdout}" if self.holdout else "")
            )
        if self.pool < self.budget:
            raise ValueError(f"--pool {self.pool} must hold at least --budget {self.budget}")
        if self.members < 2:
            raise ValueError(f"--members {self.members}: an ensemble needs at least 2")
        if self.target_mape is not None and not self.target_mape > 0:
            raise ValueError(f"--target-mape {self.target_mape} must be a positive percentage")

    def choices(self) -> dict:
        """The settings that must match between a loop and its resume."""
        fixed = asdict(self)
        for free in ("budget", "target_mape"):
            fixed.pop(free)
        return fixed


def unit_cube(x: np.ndarray, ranges: dict) -> np.ndarray:
    """Parameters scaled to [0, 1] by their design ranges (columns in :data:`PARAMETERS`)."""
    low = np.array([ranges[name][0] for name in PARAMETERS], dtype=float)
    high = np.array([ranges[name][1] for name in PARAMETERS], dtype=float)
    return (x - low) / np.where(high > low, high - low, 1.0)


def typical_spacing(points: np.ndarray) -> float:
    """Median distance from each point to its nearest other point (1 for a single point)."""
    if len(points) < 2:
        return 1.0
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(points).query(points, k=2)
    return float(np.median(distances[:, 1])) or 1.0


def choose_by_disagreement(scores, candidates_unit, chosen_unit, batch: int) -> list[int]:
    """Greedy batch: the highest score, then the scores near it damped, and again.

    Parameters
    ----------
    scores : array
        Disagreement per candidate (higher: more worth simulating).
    candidates_unit, chosen_unit : array
        Candidates and already simulated points in the unit cube.
    batch : int

    Returns
    -------
    list of int
        Positions in ``candidates_unit``.
    """
    score = np.array(scores, dtype=float)
    length = typical_spacing(chosen_unit)
    picks = []
    for _ in range(min(batch, len(score))):
        best = int(np.argmax(score))
        picks.append(best)
        distance = np.linalg.norm(candidates_unit - candidates_unit[best], axis=1)
        score = score * (1.0 - np.exp(-0.5 * (distance / length) ** 2))
        score[best] = -np.inf
    return picks


def disagreement_percent(ensemble, x) -> np.ndarray:
    """The members' standard deviation relative to their mean, in % (MAPE's scale)."""
    x = np.asarray(x, dtype=np.float32)
    return 100.0 * ensemble.disagreement(x) / np.abs(ensemble.predict(x))


def choose_space_filling(candidates_unit, chosen_unit, batch: int) -> list[int]:
    """Greedy maximin: each pick the candidate farthest from everything chosen so far."""
    if len(chosen_unit):
        nearest = np.min(
            np.linalg.norm(candidates_unit[:, None, :] - chosen_unit[None, :, :], axis=2), axis=1
        )
    else:
        nearest = np.full(len(candidates_unit), np.inf)
    picks = []
    for _ in range(min(batch, len(candidates_unit))):
        best = int(np.argmax(nearest))
        picks.append(best)
        nearest = np.minimum(
            nearest, np.linalg.norm(candidates_unit - candidates_unit[best], axis=1)
        )
        nearest[best] = -np.inf
    return picks


def fit_ensemble(pretrained, x, y, *, members: int, level: float, epochs: int, seed: int):
    """An ensemble of transferred nets on the rows given (10 % of them, at least one, held out
    for the members' epoch choice)."""
    from surrogate.estimators.ensemble import EnsembleRegressor
    from surrogate.estimators.regressors import NetOptions, TransferRegressor

    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, int(round(0.1 * len(x))))
    val, train = order[:n_val], order[n_val:]
    options = NetOptions(epochs=epochs, restarts=1)
    return EnsembleRegressor(
        lambda member_seed: TransferRegressor(pretrained, None, options, member_seed),
        members,
        level,
        seed,
    ).fit(x[train], y[train], x[val], y[val])


class ActiveState:
    """The loop's folder: its settings, the JSON-lines log, the pretrained net, the last
    ensemble (a folder ``surrogate predict`` takes)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.log_path = self.folder / LOG_NAME

    def open(self, settings: ActiveSettings) -> None:
        """Create the folder, or check that the one there is this loop's (same choices)."""
        path = self.folder / SETTINGS_NAME
        if path.exists():
            try:
                stored = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                raise ValueError(f"{path} is not an active-learning state file: {err}") from None
            if stored.get("schema") != STATE_SCHEMA:
                raise ValueError(f"{path} is not an active-learning state file of this project")
            if stored["choices"] != settings.choices():
                different = {
                    k: (stored["choices"].get(k), v)
                    for k, v in settings.choices().items()
                    if stored["choices"].get(k) != v
                }
                raise ValueError(
                    f"{self.folder} holds a loop with other settings ({different}, as "
                    "(stored, given)): give the same settings to resume, or another --out"
                )
            return
        if self.folder.exists() and any(self.folder.iterdir()):
            raise ValueError(f"{self.folder} exists and is not an active-learning state folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"schema": STATE_SCHEMA, "choices": settings.choices()}))

    def events(self) -> list[dict]:
        """Every logged event; a line cut short by a kill is dropped."""
        if not self.log_path.exists():
            return []
        events = []
        for line in self.log_path.read_text().splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def append(self, event: dict) -> None:
        import os

        with open(self.log_path, "a") as handle:
            handle.write(json.dumps(event) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


class TooFewSamples(RuntimeError):
    """Too few of the chosen samples finished to fit an ensemble."""


@dataclass
class ActiveOutcome:
    """How a loop ended."""

    reason: str  # "budget", "target" or "pool"
    simulated: int
    usable: int
    oob_mape: float
    iterations: int
    seconds: float
    holdout_mape: float | None = None


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
    from generator import open_dataset
    from generator.sweep.run import run_sweep
    from surrogate.data.registry import GDL_TARGETS

    settings.check()
    state = ActiveState(state_folder)
    state.open(settings)
    start = time.time()
    candidates = plan.design_table[list(PARAMETERS)].to_numpy(np.float64)
    candidates_unit = unit_cube(candidates, plan.ranges)
    events = state.events()
    chosen: list[int] = []
    holdout: list[int] = []
    for event in events:
        if event["event"] == "chosen":
            chosen += [i for i in event["indices"] if i not in chosen]
            holdout += event.get("holdout", [])
    iteration = max((e["iteration"] for e in events), default=-1)
    last = events[-1] if events else None
    if not chosen:
        iteration = 0
        chosen = list(range(settings.initial))
        # The hold-out samples: the next Sobol points, simulated once, never trained on, never
        # offered again; the loop's unbiased error estimate.
        holdout = list(range(settings.initial, settings.initial + settings.holdout))
        state.append(
            {
                "event": "chosen",
                "iteration": 0,
                "indices": chosen,
                "holdout": holdout,
                "rule": f"space-filling start: the first {settings.initial} points of the "
                "scrambled Sobol candidates"
                + (f", the next {settings.holdout} held out" if holdout else ""),
            }
        )
        last = None
    elif last is not None and last["event"] == "chosen":
        echo(f"resuming iteration {iteration}: {len(chosen)} samples chosen so far")
    column = GDL_TARGETS[settings.target]
    if executor is None:
        from generator.sweep.executors import DaskExecutor

        executor = DaskExecutor()
    with ExitStack() as stack:
        if hasattr(executor, "session"):
            # One cluster for every batch: workers (or batch jobs) are not started anew each time.
            stack.enter_context(executor.session(plan))
        while True:
            tic = time.time()
            simulated = chosen + holdout
            summary = run_sweep(
                plan,
                executor=executor,
                indices=simulated,
                selection={
                    "kind": "active",
                    "log": str(state.log_path),
                    "indices": sorted(simulated),
                    "holdout": sorted(holdout),
                },
                command_line=command_line,
            )
            simulated_seconds = time.time() - tic
            table = open_dataset(plan.out).table
            if column not in table:  # no sample finished
                table = table.iloc[:0].assign(**{column: np.float64()})
            table = table[(table["status"] == "ok") & np.isfinite(table[column])]
            held = table[table["index"].isin(holdout)]
            table = table[~table["index"].isin(holdout)]
            x = table[list(PARAMETERS)].to_numpy(np.float32)
            y = table[column].to_numpy(np.float32)
            if len(x) < 4:
                raise TooFewSamples(
                    f"only {len(x)} of {len(chosen)} chosen samples finished with a finite "
                    f"{settings.target}: too few to fit (first failure: "
                    f"{summary.failed[0] if summary.failed else 'none'})"
                )
            tic = time.time()
            ensemble = fit_ensemble(
                pretrained,
                x,
                y,
                members=settings.members,
                level=settings.level,
                epochs=settings.epochs,
                seed=settings.seed * 1000 + iteration,
            )
            # The input range from the table's own float64 values (a float32 copy can round a
            # training row's value past its own bound).
            _save_ensemble(ensemble, table[list(PARAMETERS)].to_numpy(), state.folder, settings)
            error = ensemble.oob_mape_
            holdout_mape = None
            if len(held):
                truth = held[column].to_numpy(np.float64)
                guess = ensemble.predict(held[list(PARAMETERS)].to_numpy(np.float32))
                holdout_mape = 100.0 * float(np.mean(np.abs(guess - truth) / np.abs(truth)))
                error = holdout_mape
            if not (
                last is not None
                and last["event"] == "trained"
                and last["simulated"] == len(simulated)
            ):
                state.append(
                    {
                        "event": "trained",
                        "iteration": iteration,
                        "simulated": len(simulated),
                        "usable": len(x),
                        "holdout_usable": len(held),
                        "holdout_mape": holdout_mape,
                        "failed": [int(i) for i, _ in summary.failed],
                        "skipped_finished": summary.skipped,
                        "oob_mape": ensemble.oob_mape_,
                        # None: too few out-of-bag rows for a calibrated interval at this level.
                        "interval_scale": ensemble.scale_ if np.isfinite(ensemble.scale_) else None,
                        "seconds_simulating": round(simulated_seconds, 2),
                        "seconds_training": round(time.time() - tic, 2),
                    }
                )
            last = None
            echo(
                f"iteration {iteration}: {len(simulated)} simulated ({len(x)} to train on, "
                f"{summary.skipped} already finished), out-of-bag MAPE {ensemble.oob_mape_:.3f} %"
                + (f", hold-out MAPE {holdout_mape:.3f} %" if holdout_mape is not None else "")
            )
            reason = None
            if len(simulated) >= settings.budget:
                reason = "budget"
            elif settings.target_mape is not None and error <= settings.target_mape:
                reason = "target"
            elif len(simulated) >= len(candidates):
                reason = "pool"
            if reason:
                return ActiveOutcome(
                    reason, len(simulated), len(x), ensemble.oob_mape_, iteration,
                    time.time() - start, holdout_mape,
                )  # fmt: skip
            left = np.setdiff1d(np.arange(len(candidates)), simulated)
            disagreement = disagreement_percent(ensemble, candidates[left])
            size = min(settings.batch, settings.budget - len(simulated))
            picks = choose_by_disagreement(
                disagreement, candidates_unit[left], candidates_unit[chosen], size
            )
            new = [int(left[p]) for p in picks]
            iteration += 1
            state.append(
                {
                    "event": "chosen",
                    "iteration": iteration,
                    "indices": new,
                    "rule": RULE,
                    "disagreement_percent": [round(float(disagreement[p]), 5) for p in picks],
                    "candidates_median_disagreement_percent": round(
                        float(np.median(disagreement)), 5
                    ),
                }
            )
            echo(
                f"iteration {iteration}: chose {new} (disagreement "
                f"{', '.join(f'{disagreement[p]:.3f}' for p in picks)} %; median of the "
                f"{len(left)} candidates {np.median(disagreement):.3f} %)"
            )
            chosen += new


def _save_ensemble(ensemble, x, folder: Path, settings: ActiveSettings) -> None:
    """The ensemble as ``transferred_ensemble.pt/.json``, as a transfer run keeps it."""
    import torch

    from surrogate.estimators.ensemble import ensemble_state

    state, calibration = ensemble_state(ensemble)
    torch.save(state, folder / "transferred_ensemble.pt")
    meta = json.loads((folder / "pretrained.json").read_text())
    meta |= {
        "kind": "transferred_ensemble",
        "destination": f"active {settings.domain}",
        "input_range": {
            name: [float(x[:, i].min()), float(x[:, i].max())] for i, name in enumerate(PARAMETERS)
        },
        "ensemble": calibration,
    }
    meta["architecture"] = {**meta["architecture"], "adapter_width": None}
    (folder / "transferred_ensemble.json").write_text(json.dumps(meta, indent=2))
