"""Which cheap source, and how many expensive samples, give tau_diffusive at 1 um within a
stated error for the least CPU time: the multi-fidelity study of the shipped datasets.

    python -m workflows.multifidelity_study --preset quick --out mf_quick     # README scale
    python -m workflows.multifidelity_study --preset full --out mf_full       # paper scale
    python -m workflows.multifidelity_study --preset quick --out mf_quick --readme
    python -m workflows.multifidelity_study --ladders physics --tolerance 3 --out mf_physics

Three kinds of ladder from a cheap source to an expensive target, rows joined on the sweeps'
``id`` (``sweep --design-from`` recomputes a dataset's rows at another voxel size, ids kept):

- ``resolution``: ``tau_diffusive`` at 4 um and at 2 um (``data/gdl200_4um.h5``,
  ``data/gdl200_2um.h5``) -> ``tau_diffusive`` at 1 um (``data/gdl200.h5``);
- ``physics``: the geometric tau at 1 um by the lattice metric (the paper's) and by the
  euclidean one, and the lattice tau at 4 um (the cheapest source) -> ``tau_diffusive`` at 1 um;
- ``domain``: ``tau_diffusive`` of the 200 um domain -> that of the 1000 um domain
  (``data/gdl1000.h5``), expected to be a near-null shift (a 200 um strip is already many
  fibres wide for a through-plane property).

Every ladder is one learning curve (:func:`surrogate.evaluation.curves.learning_curve`): a net
pretrained on the cheap column, a fixed held-out part of the destination, and subsets of each
size drawn again and again, on which the transferred net, linear correction, the pretrained net
plus an offset, stacking, the paired cheap value as an input (where every destination row has
its cheap twin), the destination-only net and a random forest are fitted alike. Ladders to the
same destination share its split, its subsets and its destination-only fits (computed once),
so their routes compare row for row; ``--workers`` ladders (default 2) are fitted side by
side, a process each. A method's CPU time at a size is the expensive rows it was given plus,
for a method that uses the pretrained net, every cheap row that net learned from
(:mod:`surrogate.data.costs`: the per-sample ``*_cpu_s`` columns).

The error to reach is the destination-only net's mean test MAPE with every row (or
``--tolerance``). The report (``report.md``, ``report.json`` and ``multifidelity.png``, error
against CPU-hours per ladder) names the route that reaches it for the least CPU time, its
saving against the destination-only net with the spread over the repetitions, whether it meets
the issue's aim (at least 5x fewer expensive CPU-hours) and, when no route does, why (the cheap
source's error floor, its own cost, a destination-only net that needs few rows already, or
what the routes reach with the most expensive rows the aim allows), and how the saving changes
with the error asked (the destination-only net's error at each size as the level).
``--readme`` also writes ``docs/results/multifidelity_<preset>.md`` and ``.json``, the
README's block (``python -m workflows.readme_blocks``).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from workflows._cli import bad_option, output_folder, run, workflow_app

app = workflow_app()
ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python -m workflows.regenerate_data"
# The shipped datasets a ladder names, and their files (relative to the source tree).
DATASETS = {
    "gdl200_4um": "data/gdl200_4um.h5",
    "gdl200_2um": "data/gdl200_2um.h5",
    "gdl200": "data/gdl200.h5",
    "gdl1000": "data/gdl1000.h5",
}
AIM = 5.0  # the aim: the destination-only net's error for 5x fewer expensive CPU-hours
METHODS = (
    "transferred",
    "linear_correction",
    "pretrained_plus_offset",
    "stacking",
    "cheap_value_input",
    "scratch",
    "random_forest",
)
# Methods that learn nothing from the source: fitted once per destination, shared by its ladders.
DESTINATION_ONLY = ("scratch", "random_forest")
KINDS = ("resolution", "physics", "domain")
# Fitted to nothing: shown in the curves (the shift as it is), never a route to the error.
NOT_A_ROUTE = ("pretrained_on_target",)


@dataclass(frozen=True)
class Preset:
    """How much of each curve is measured.

    Attributes
    ----------
    sizes : tuple of int
        Expensive rows given to the methods (the whole pool is always added).
    repetitions : int
        Subsets drawn per size: the spread of every figure.
    epochs, restarts : int
        Training of every net (the pretrained ones too).
    methods : tuple of str
        Of :data:`METHODS`; ``scratch`` is always fitted (the reference).
    """

    sizes: tuple
    repetitions: int
    epochs: int = 250
    restarts: int = 1
    methods: tuple = METHODS


PRESETS = {
    # README scale: 3 repetitions of 4 sizes, one restart a net (about 5 minutes on 2 quiet cores).
    "quick": Preset(sizes=(10, 20, 40), repetitions=3, restarts=1),
    # Paper scale: the paper's 3 restarts, 10 repetitions, the curve's full range of sizes.
    "full": Preset(sizes=(5, 10, 20, 40, 80), repetitions=10, restarts=3),
}


@dataclass(frozen=True)
class Ladder:
    """A cheap source and the expensive target it should stand in for.

    Attributes
    ----------
    name : str
        The cheap source as the report names it.
    kind : str
        ``resolution``, ``physics`` or ``domain``.
    source, destination : str
        Keys of the datasets (:data:`DATASETS`, or a test's own).
    source_target, target : str
        The surrogate's target names (``tortuosity`` is the euclidean geometric tau,
        ``tortuosity_lattice`` the lattice one).
    """

    name: str
    kind: str
    source: str
    source_target: str
    destination: str
    target: str = "tau_diffusive"


LADDERS = (
    Ladder("tau_diffusive at 4 µm", "resolution", "gdl200_4um", "tau_diffusive", "gdl200"),
    Ladder("tau_diffusive at 2 µm", "resolution", "gdl200_2um", "tau_diffusive", "gdl200"),
    Ladder("geometric τ (lattice) at 1 µm", "physics", "gdl200", "tortuosity_lattice", "gdl200"),
    Ladder("geometric τ (euclidean) at 1 µm", "physics", "gdl200", "tortuosity", "gdl200"),
    Ladder(
        "geometric τ (lattice) at 4 µm", "physics", "gdl200_4um", "tortuosity_lattice", "gdl200"
    ),
    Ladder("tau_diffusive of the 200 µm domain", "domain", "gdl200", "tau_diffusive", "gdl1000"),
)


def choose_ladders(kinds: str) -> tuple[Ladder, ...]:
    """The ladders of the comma-separated ``kinds``.

    Raises
    ------
    ValueError
        A kind that is not one of :data:`KINDS`.

    Examples
    --------
    >>> from workflows.multifidelity_study import choose_ladders
    >>> [ladder.source_target for ladder in choose_ladders("resolution")]
    ['tau_diffusive', 'tau_diffusive']
    >>> choose_ladders("speed")
    Traceback (most recent call last):
    ...
    ValueError: ladder kind 'speed' is not one of resolution, physics, domain
    """
    wanted = [part.strip() for part in kinds.split(",") if part.strip()]
    for kind in wanted:
        if kind not in KINDS:
            raise ValueError(f"ladder kind {kind!r} is not one of {', '.join(KINDS)}")
    if not wanted:
        raise ValueError(f"no ladder kind given: name some of {', '.join(KINDS)}")
    return tuple(ladder for ladder in LADDERS if ladder.kind in wanted)


def check_datasets(paths: dict, ladders) -> None:
    """Refuse, before any training, datasets the ladders need and do not have.

    Parameters
    ----------
    paths : dict
        ``{dataset key: path}``.
    ladders : sequence of Ladder

    Raises
    ------
    ValueError
        Every missing file and every missing column at once, as the sweep's table spells it,
        with the command that makes the shipped datasets.
    """
    from generator import open_dataset
    from surrogate.data.registry import GDL_TARGETS

    needed: dict[str, list[str]] = {}
    for ladder in ladders:
        sides = ((ladder.source, ladder.source_target), (ladder.destination, ladder.target))
        for key, target in sides:
            columns = needed.setdefault(key, [])
            if GDL_TARGETS.get(target, target) not in columns:
                columns.append(GDL_TARGETS.get(target, target))
    problems = []
    for key, columns in needed.items():
        path = paths.get(key)
        if path is None:
            problems.append(f"dataset {key!r} has no path")
            continue
        if not Path(path).is_file():
            problems.append(f"{key}: no file at {path}")
            continue
        table = open_dataset(path).table
        missing = [column for column in columns if column not in table.columns]
        if missing:
            problems.append(f"{key} ({path}) has no column {', '.join(missing)}")
    if problems:
        raise ValueError(
            "; ".join(problems) + f". The shipped ladder is made by `{REGENERATE}` (then "
            "its --install), or give the paths of other sweeps with these columns"
        )


@dataclass
class LadderRun:
    """One ladder's learning curve and what was said about its data.

    Attributes
    ----------
    ladder : Ladder
    curve : CurveResult
    notes : list of str
        Rows dropped, a cheap value left out, and the like.
    cheap_row_s, expensive_row_s : float or None
        Mean recorded seconds of one cheap row (its generation and the cheap property) and of
        one expensive row.
    """

    ladder: Ladder
    curve: object
    notes: list = field(default_factory=list)
    cheap_row_s: float | None = None
    expensive_row_s: float | None = None
    destination_mean: tuple = (float("nan"), float("nan"))
    source_mean: tuple = (float("nan"), float("nan"))


def _mean_cost(costs) -> float | None:
    return None if costs.seconds is None else float(np.mean(costs.seconds))


def run_ladder(paths: dict, ladder: Ladder, *, preset: Preset, seed: int = 0, first=True,
               progress=False):  # fmt: skip
    """One ladder's learning curve.

    Parameters
    ----------
    paths : dict
        ``{dataset key: path}``.
    ladder : Ladder
    preset : Preset
    seed : int
        Seeds the split, the subsets and every fit.
    first : bool
        Fit the destination-only methods too (the first ladder to its destination); the
        others take them from it (:func:`run_ladders`).

    Returns
    -------
    (LadderRun, tuple)
        The run, and the destination's ``(X, y)`` (to check that ladders sharing fits share
        their rows).
    """
    from surrogate.data.costs import row_costs
    from surrogate.evaluation.curves import learning_curve
    from surrogate.evaluation.sides import dataset_notes, load_sides

    sides = load_sides(
        str(paths[ladder.source]), str(paths[ladder.destination]), target=ladder.target,
        source_target=ladder.source_target, drop_invalid=True,
    )  # fmt: skip
    notes = dataset_notes([sides.source, sides.destination], [ladder.source, ladder.destination])
    paired = sides.paired()
    if paired is None and ladder.kind != "domain":
        notes.append(
            f"cheap value as an input left out: a {ladder.destination} row has no valid "
            f"{ladder.source_target} twin in {ladder.source} (joined on id)"
        )
    methods = [m for m in preset.methods if first or m not in DESTINATION_ONLY]
    methods = list(dict.fromkeys([*methods, "scratch"] if first else methods))
    if ladder.source_target == ladder.target:
        methods.append("pretrained_on_target")  # the cheap model as it is: the shift
    curve = learning_curve(
        sides.source, sides.destination, ladder.target, sizes=preset.sizes,
        repetitions=preset.repetitions, seed=seed, epochs=preset.epochs,
        restarts=preset.restarts, source_target=ladder.source_target, paired=paired,
        methods=methods, progress=progress,
    )  # fmt: skip
    target_values = sides.destination.targets[ladder.target].to_numpy(float)
    source_values = sides.source.targets[ladder.source_target].to_numpy(float)
    run = LadderRun(
        ladder,
        curve,
        notes,
        _mean_cost(row_costs(sides.source, ladder.source_target)),
        _mean_cost(row_costs(sides.destination, ladder.target)),
        (float(target_values.mean()), float(target_values.std())),
        (float(source_values.mean()), float(source_values.std())),
    )
    return run, sides.destination.arrays(ladder.target)


def _run_ladder_task(arguments):
    paths, ladder, preset, seed, first, progress = arguments
    return run_ladder(paths, ladder, preset=preset, seed=seed, first=first, progress=progress)


def run_ladders(
    paths: dict, *, preset: Preset, ladders=LADDERS, seed: int = 0, workers: int = 1,
    progress=False,
):  # fmt: skip
    """One learning curve per ladder (:func:`run_ladder`); ladders to the same destination
    share its split, its subsets and its destination-only fits, fitted once.

    Parameters
    ----------
    paths : dict
        ``{dataset key: path}`` (:func:`check_datasets` is called first).
    preset : Preset
    ladders : sequence of Ladder
    seed : int
        Seeds the split, the subsets and every fit.
    workers : int
        Ladders fitted side by side, each in a process of its own (1: in this process).

    Returns
    -------
    list of LadderRun

    Notes
    -----
    The worker processes are spawned (fresh interpreters, as for any ``multiprocessing``
    pool): a script that calls this with ``workers > 1`` needs the usual ``if __name__ ==
    "__main__":`` guard, and code typed on standard input cannot be re-imported by them.
    """
    if workers < 1:
        raise ValueError(f"workers={workers} must be at least 1")
    check_datasets(paths, ladders)
    seen: set = set()
    tasks = []
    for ladder in ladders:
        tasks.append((paths, ladder, preset, seed, ladder.destination not in seen, progress))
        seen.add(ladder.destination)
    from surrogate.evaluation.parallel import map_in_processes

    done = map_in_processes(_run_ladder_task, tasks, workers)
    first: dict = {}
    for one, rows in done:
        destination = one.ladder.destination
        if destination not in first:
            first[destination] = (one.curve, rows)
            continue
        # Same destination rows, seed and sizes: the same subsets (drawn whatever the
        # methods), so the destination-only fits of the first ladder are this one's too.
        shared, before = first[destination]
        same = all(np.array_equal(a, b) for a, b in zip(rows, before, strict=True))
        if not same or one.curve.sizes != shared.sizes:
            raise RuntimeError(f"{one.ladder.name}: its destination rows differ from the first's")
        for method in DESTINATION_ONLY:
            if method in shared.mape:
                one.curve.mape[method] = shared.mape[method]
    return [one for one, _ in done]


@dataclass
class Route:
    """One way to the error: a method of a ladder (None for a destination-only method), the
    expensive rows it needs and what they cost.

    Attributes
    ----------
    rows : int or None
        The smallest size whose mean test MAPE is at most the level (None: none is).
    mape, mape_std : float
        At ``rows``; else the lowest mean over the sizes (the route's floor) at ``best_rows``.
    below : int
        Repetitions at ``rows`` (or ``best_rows``) at or below the level.
    hours, hours_std, cheap_hours : float or None
        Mean and spread of the CPU-hours at ``rows``, and the cheap rows' share.
    """

    ladder: str | None
    method: str
    rows: int | None
    mape: float
    mape_std: float
    below: int
    repetitions: int
    best_rows: int
    hours: float | None = None
    hours_std: float | None = None
    cheap_hours: float = 0.0

    @property
    def expensive_hours(self) -> float | None:
        return None if self.hours is None else self.hours - self.cheap_hours


def route(curve, method: str, level: float, ladder: str | None) -> Route:
    """The :class:`Route` of ``method`` on ``curve`` to ``level`` % MAPE."""
    from surrogate.evaluation.curves import DESTINATION_ONLY as FREE_OF_SOURCE

    means = [float(np.mean(values)) for values in curve.mape[method]]
    rows = curve.rows_to_reach(method, level)
    k = curve.sizes.index(rows) if rows is not None else int(np.argmin(means))
    values = np.asarray(curve.mape[method][k], float)
    found = Route(
        ladder, method, rows, float(values.mean()), float(values.std()),
        int(np.sum(values <= level)), len(values), curve.sizes[k],
    )  # fmt: skip
    hours = curve.hours(method, k) if rows is not None else None
    if hours is not None:
        found.hours, found.hours_std = float(hours.mean()), float(hours.std())
        if method not in FREE_OF_SOURCE:
            found.cheap_hours = curve.cheap_seconds / 3600.0
    return found


def _label(method: str) -> str:
    from surrogate.evaluation.report import LABELS

    if method == "scratch":
        return "destination-only net"
    if method == "random_forest":
        return "random forest (destination only)"
    if method == "pretrained_on_target":
        return "cheap model as it is"
    return LABELS[method].removeprefix("baseline: ").split(" (")[0]


def _ratio(theirs: Route, mine: Route, expensive: bool = False) -> tuple[float, float, float]:
    """Hours of ``theirs`` over ``mine`` (``expensive``: without the cheap rows), and the
    range within one standard deviation of both hours."""
    top = theirs.hours
    bottom = mine.expensive_hours if expensive else mine.hours
    if not bottom or bottom <= 0:
        return float("inf"), float("inf"), float("inf")
    spread_top, spread_bottom = theirs.hours_std or 0.0, mine.hours_std or 0.0
    low = (top - spread_top) / (bottom + spread_bottom)
    high = (top + spread_top) / (bottom - spread_bottom) if bottom > spread_bottom else np.inf
    return top / bottom, low, float(high)


@dataclass
class Verdict:
    """The answer for one destination: the level, every route and the cheapest.

    Attributes
    ----------
    level : float
        The MAPE (%) to reach.
    level_what : str
        Where it comes from (the destination-only net with every row, or the stated
        tolerance).
    routes : list of Route
        Every method of every ladder, the destination-only methods once.
    winner : Route or None
        The reaching route of the least CPU time (of equal time, the lower error).
    reference : Route
        The destination-only net's.
    why : dict
        ``{ladder name: why its best route does or does not make the aim}``.
    sentence : str
        The answer in one sentence, from the numbers and their spread.
    """

    destination: str
    target: str
    level: float
    level_what: str
    routes: list
    winner: Route | None
    reference: Route
    pool: int
    kind: str
    why: dict = field(default_factory=dict)
    best: dict = field(default_factory=dict)
    sentence: str = ""
    aim_met: bool = False


def verdicts(runs, tolerance: float | None = None) -> list[Verdict]:
    """One :class:`Verdict` per destination of ``runs``, in the order they first appear."""
    groups: dict[str, list] = {}
    for one in runs:
        groups.setdefault(one.ladder.destination, []).append(one)
    return [_verdict(group, tolerance) for group in groups.values()]


def _verdict(group, tolerance: float | None) -> Verdict:
    first = group[0].curve
    pool = first.sizes[-1]
    if tolerance is None:
        level = float(np.mean(first.mape["scratch"][-1]))
        what = f"the destination-only net's mean with all {pool} rows"
    else:
        level, what = float(tolerance), "the stated tolerance"
    routes = [route(first, m, level, None) for m in DESTINATION_ONLY if m in first.mape]
    for one in group:
        routes += [
            route(one.curve, m, level, one.ladder.name)
            for m in one.curve.mape
            if m not in (*DESTINATION_ONLY, *NOT_A_ROUTE)
        ]
    reference = routes[0]
    reached = [r for r in routes if r.rows is not None]
    timed = all(r.hours is not None for r in reached)

    def cost(r: Route):
        return (r.hours if timed else r.rows, r.rows, r.mape)

    winner = min(reached, key=cost) if reached else None
    verdict = Verdict(
        group[0].ladder.destination, first.target, level, what, routes, winner, reference, pool,
        first.cost_kind,
    )  # fmt: skip
    for one in group:
        name = one.ladder.name
        own = [r for r in routes if r.ladder == name]
        hit = [r for r in own if r.rows is not None]
        verdict.best[name] = min(hit, key=cost) if hit else min(own, key=lambda r: r.mape)
        verdict.why[name] = _why(verdict.best[name], reference, one.curve, level)
    verdict.sentence, verdict.aim_met = _sentence(verdict, first)
    return verdict


def _why(best: Route, reference: Route, curve, level: float) -> str:
    """Why a ladder's best route meets the aim (5x fewer expensive CPU-hours) or not, in a few
    words."""
    if best.rows is None:
        return (
            f"error floor: its best, {_pm(best.mape, best.mape_std)} % ({_label(best.method)}"
            f", {best.best_rows} rows), stays above {level:.3g} %"
        )
    if best.hours is None:
        if reference.rows is None:
            return f"reaches it with {best.rows} rows; the destination-only net does not"
        return f"{best.rows} rows against the destination-only net's {reference.rows}"
    if reference.rows is None:
        bound = _bound(curve, best, expensive=True)
        gain = f"at least {bound:.2g}× fewer expensive CPU-hours" if bound >= 1 else "not judged"
        return (
            f"reaches it with {best.rows} rows, the destination-only net not with "
            f"{curve.sizes[-1]}: {gain}"
        )
    ratio, _, _ = _ratio(reference, best)
    expensive, _, _ = _ratio(reference, best, expensive=True)
    both = f"{expensive:.2g}× fewer expensive CPU-hours, {ratio:.2g}× with its cheap rows"
    if expensive >= AIM:
        return both
    ceiling = reference.hours / (float(np.mean(curve.expensive_seconds[0])) / 3600.0)
    if ceiling < AIM:
        return (
            f"the destination-only net reaches it with {reference.rows} rows "
            f"({reference.hours:.3g} h): even the fewest rows tried ({curve.sizes[0]}) save at "
            f"most {ceiling:.2g}×"
        )
    return f"needs {best.rows} rows: {both}; {_within_aim(curve, reference, level)}"


def _within_aim(curve, reference: Route, level: float) -> str:
    """What the ladder's routes reach with the most expensive rows the aim allows (the
    largest size tried whose expensive hours are at most the destination-only net's over
    :data:`AIM`), against ``level``."""
    budget = reference.hours / AIM
    affordable = [
        k for k in range(len(curve.sizes))
        if float(np.mean(curve.hours("scratch", k))) <= budget
    ]  # fmt: skip
    if not affordable:
        return f"{AIM:g}× leaves {budget:.3g} h, less than its fewest rows ({curve.sizes[0]})"
    k = affordable[-1]
    most = int(reference.rows / AIM)
    allowed = f"{most} rows" + ("" if curve.sizes[k] == most else f" ({curve.sizes[k]} tried)")
    means = {
        method: float(np.mean(values[k]))
        for method, values in curve.mape.items()
        if method not in (*DESTINATION_ONLY, *NOT_A_ROUTE)
    }
    method = min(means, key=means.get)
    spread = float(np.std(curve.mape[method][k]))
    return (
        f"{AIM:g}× allows at most {allowed}, where its best, {_label(method)}, "
        f"reaches {_pm(means[method], spread)} %, above {level:.3g} %"
    )


@dataclass
class Saving:
    """The best savings at one error level: the destination-only net's mean with ``rows``.

    Attributes
    ----------
    rows : int
        Rows the destination-only net was given; its mean test MAPE is the level.
    level : float
    hours : float
        The destination-only net's CPU-hours there.
    fewest, cheapest : Route or None
        The cheap route that reaches the level for the fewest expensive CPU-hours, and the one
        of the least CPU time with its cheap rows counted (None: no cheap source reaches it).
    expensive, whole : float
        The destination-only net's hours over ``fewest``'s expensive hours and over
        ``cheapest``'s whole hours.
    """

    rows: int
    level: float
    hours: float
    fewest: Route | None = None
    cheapest: Route | None = None
    expensive: float = float("nan")
    whole: float = float("nan")


def savings_by_level(group) -> list[Saving]:
    """How the saving depends on the error asked: for every size the destination-only net was
    given, its mean test MAPE as the level, and the cheap routes to that level with the fewest
    expensive CPU-hours and with the least CPU time in all (``group``: the :class:`LadderRun`
    of one destination).

    Examples
    --------
    >>> from surrogate.evaluation.curves import CurveResult
    >>> curve = CurveResult("c", "d", "t", [5, 40], {
    ...     "scratch": [[8.0, 8.0], [2.0, 2.0]],
    ...     "linear_correction": [[3.0, 3.0], [2.5, 2.5]]},
    ...     cost_kind="CPU", expensive_seconds=[[360.0] * 2, [2880.0] * 2], cheap_seconds=360.0)
    >>> one = LadderRun(Ladder("c", "physics", "c", "t", "d"), curve)
    >>> [(s.rows, s.level, s.fewest and s.fewest.rows, s.expensive, s.whole)
    ...  for s in savings_by_level([one])]
    [(5, 8.0, 5, 1.0, 0.5), (40, 2.0, None, nan, nan)]
    """
    first = group[0].curve
    found = []
    for k, rows in enumerate(first.sizes):
        level = float(np.mean(first.mape["scratch"][k]))
        verdict = _verdict(group, level)
        sources = [r for r in verdict.routes if r.ladder is not None and r.rows is not None]
        saving = Saving(rows, level, float(np.mean(first.hours("scratch", k))))
        if sources and all(r.hours is not None for r in sources):
            saving.fewest = min(sources, key=lambda r: (r.expensive_hours, r.hours, r.mape))
            saving.cheapest = min(sources, key=lambda r: (r.hours, r.mape))
            saving.expensive = saving.hours / saving.fewest.expensive_hours
            saving.whole = saving.hours / saving.cheapest.hours
        found.append(saving)
    return found


def savings_markdown(group) -> str:
    """:func:`savings_by_level` as a table, and the error down to which the aim holds."""
    found = savings_by_level(group)
    destination = group[0].ladder.destination
    lines = [
        f"| error asked (the destination-only net's with N {destination} rows): N | MAPE % | "
        "its CPU-hours | fewest expensive CPU-hours: route | rows | saving | least CPU time, "
        "cheap rows counted: route | rows | saving |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def where(r: Route) -> str:
        return f"{_label(r.method)} on {r.ladder}"

    for s in found:
        head = f"| {s.rows} | {s.level:.3g} | {s.hours:.3g} |"
        if s.fewest is None:
            lines.append(f"{head} no cheap source reaches it | | | | | |")
            continue
        lines.append(
            f"{head} {where(s.fewest)} | {s.fewest.rows} | {s.expensive:.2g}× | "
            f"{where(s.cheapest)} | {s.cheapest.rows} | {s.whole:.2g}× |"
        )
    met = [s for s in found if s.fewest is not None and s.expensive >= AIM]
    if not met:
        tail = f"The ≥ {AIM:g}× aim (expensive CPU-hours) holds at none of these errors."
    else:
        tightest = min(met, key=lambda s: s.level)
        tail = (
            f"The ≥ {AIM:g}× aim (expensive CPU-hours, on the means) holds for errors down to "
            f"{tightest.level:.3g} % (what the destination-only net reaches with "
            f"{tightest.rows} rows)"
        )
        tail += ", the tightest asked." if tightest is found[-1] else ", not below."
    return "\n".join([*lines, "", tail])


def _bound(curve, best: Route, expensive: bool = False) -> float:
    """A lower bound on the saving when the destination-only net does not reach the level:
    what it cost with every row (less than it would need) over ``best``'s hours (``expensive``:
    without the cheap rows)."""
    hours = best.expensive_hours if expensive else best.hours
    return float(np.mean(curve.hours("scratch", len(curve.sizes) - 1))) / hours


def _sentence(verdict: Verdict, curve) -> tuple[str, bool]:
    """The answer in one sentence (the route of the least CPU time, the cheap rows counted;
    then the aim, on expensive CPU-hours), and whether the aim is met beyond the spread."""
    unit = f"{verdict.kind}-hours" if verdict.kind else "hours"
    head = (
        f"To reach {verdict.level:.3g} % MAPE on {verdict.destination} {verdict.target} "
        f"({verdict.level_what}), "
    )
    winner, reference = verdict.winner, verdict.reference
    if winner is None:
        return head + f"no method does with up to {verdict.pool} rows: no saving.", False
    if winner.hours is None:
        if winner.ladder is None or reference.rows is None or winner.rows >= reference.rows:
            return head + "no cheap source needs fewer expensive rows (hours not recorded).", False
        return (
            head + f"{_label(winner.method)} on {winner.ladder} needs {winner.rows} rows, the "
            f"destination-only net {reference.rows} (hours not recorded).",
            False,
        )
    spent = f"{winner.rows} expensive rows and {_pm(winner.hours, winner.hours_std)} {unit}" + (
        f" ({winner.cheap_hours:.2g} of them the cheap rows)" if winner.ladder else ""
    )
    held = f"{winner.below} of {winner.repetitions} repetitions at or below it"
    if winner.ladder is None:
        answer = (
            "no cheap source saves CPU time once its own rows are counted: the cheapest route "
            f"is the {_label(winner.method)} alone, {spent} ({held})"
        )
    else:
        where = f"{_label(winner.method)} on {winner.ladder}"
        answer = f"the least CPU time is {where}: {spent}, {held}"
        if reference.rows is None:
            bound = _bound(curve, winner)
            gain = f"at least {bound:.2g}× less CPU time" if bound >= 1 else "a saving not judged"
            answer += (
                f"; the destination-only net does not reach it with up to {verdict.pool} rows "
                f"({gain})"
            )
        else:
            ratio, low, high = _ratio(reference, winner)
            saving = (
                f"{ratio:.2g}× less CPU time ({low:.2g}–{high:.2g}× within one std of the hours)"
                if ratio > 1
                else "no saving"
            )
            answer += (
                f", against {reference.rows} rows and "
                f"{_pm(reference.hours, reference.hours_std)} for the destination-only net: "
                f"{saving}"
            )
    aim, met = _aim(verdict, curve)
    return f"{head}{answer}; {aim}.", met


def _aim(verdict: Verdict, curve) -> tuple[str, bool]:
    """Whether a cheap source reaches the level with 5x fewer expensive CPU-hours than the
    destination-only net (the cheap rows taken as paid for), beyond the spread of the hours."""
    aim = f"the ≥ {AIM:g}× aim (expensive CPU-hours)"
    sources = [r for r in verdict.routes if r.ladder is not None and r.rows is not None]
    if sources and any(r.hours is None for r in sources):
        return f"{aim} cannot be judged: the datasets record no comparable per-sample times", False
    if not sources:
        return f"no cheap source reaches it, so {aim} is not met", False
    best = min(sources, key=lambda r: (r.expensive_hours, r.hours, r.mape))
    who = f"{_label(best.method)} on {best.ladder}, {best.rows} rows"
    if verdict.reference.rows is None:
        bound = _bound(curve, best, expensive=True)
        if bound >= AIM:
            return f"{aim} is met ({who}: at least {bound:.2g}×)", True
        return f"whether {aim} is met is beyond the sizes tried ({who})", False
    ratio, low, _ = _ratio(verdict.reference, best, expensive=True)
    if low >= AIM:
        return f"{aim} is met ({who}: {ratio:.2g}×)", True
    if ratio >= AIM:
        return f"{aim} is met on the mean, not beyond the spread ({who}: {ratio:.2g}×)", False
    return f"{aim} is not met: at best {ratio:.2g}× ({who})", False


def _pm(mean: float, std: float | None) -> str:
    from surrogate.evaluation.report import plus_minus

    return plus_minus(mean, 0.0 if std is None else std, ".3g", ".2g")


def _hours_text(r: Route) -> str:
    if r.hours is None:
        return ""
    cheap = f" ({r.cheap_hours:.2g} cheap)" if r.cheap_hours else ""
    return f"{_pm(r.hours, r.hours_std)}{cheap}"


def _route_row(r: Route, verdict: Verdict) -> str:
    if r.rows is None:
        return (
            f"| {r.ladder or 'none (destination only)'} | {_label(r.method)} | not within "
            f"{verdict.pool} | best {_pm(r.mape, r.mape_std)} at {r.best_rows} | | |"
        )
    ratio = ""
    if r.hours is not None and verdict.reference.hours is not None and r is not verdict.reference:
        ratio = f"{_ratio(verdict.reference, r)[0]:.2g}×"
    mape = f"{_pm(r.mape, r.mape_std)} ({r.below}/{r.repetitions} ≤ level)"
    return (
        f"| {r.ladder or 'none (destination only)'} | {_label(r.method)} | {r.rows} | {mape} | "
        f"{_hours_text(r)} | {ratio} |"
    )


def routes_markdown(verdict: Verdict, *, every: bool = True) -> str:
    """The routes to the level as a table (``every=False``: each ladder's best and the
    destination-only net), with each ladder's reason."""
    unit = f"{verdict.kind}-hours" if verdict.kind else "hours"
    lines = [
        f"| cheap source | method | {verdict.destination} rows to reach {verdict.level:.3g} % "
        f"| MAPE there (%) | {unit} (mean ± std) | less CPU time than destination-only |",
        "|---|---|---|---|---|---|",
    ]
    chosen = verdict.routes if every else [verdict.reference, *verdict.best.values()]
    lines += [_route_row(r, verdict) for r in chosen]
    lines += ["", "| cheap source | why it does or does not save 5× |", "|---|---|"]
    lines += [f"| {name} | {why} |" for name, why in verdict.why.items()]
    return "\n".join(lines)


def domain_text(runs) -> str:
    """What the domain ladder says about the 200 -> 1000 shift: the targets' means and the
    cheap model as it is against the destination-only net, with every row."""
    lines = []
    for one in runs:
        if one.ladder.kind != "domain":
            continue
        curve = one.curve
        mine = np.asarray(curve.mape["pretrained_on_target"][-1], float)
        theirs = np.asarray(curve.mape["scratch"][-1], float)
        # The cheap model as it is scores the same every repetition: its spread is rounding.
        mine_std = mine.std() if mine.std() > 1e-9 * abs(mine.mean()) else 0.0
        (m_src, s_src), (m_dst, s_dst) = one.source_mean, one.destination_mean
        lines.append(
            f"Domain shift: mean {one.ladder.target} {m_src:.3g} ± {s_src:.2g} on "
            f"{one.ladder.source}, {m_dst:.3g} ± {s_dst:.2g} on {one.ladder.destination}; the "
            f"{one.ladder.source} net as it is scores {mine.mean():.3g} ± {mine_std:.2g} % MAPE "
            f"on {one.ladder.destination}'s test rows, the destination-only net with all "
            f"{curve.sizes[-1]} rows {theirs.mean():.3g} ± {theirs.std():.2g} %."
        )
    return "\n\n".join(lines)


def datasets_markdown(runs, paths: dict) -> str:
    """The datasets used: file, rows, and the recorded seconds a row cost."""
    lines = [
        "| ladder | cheap: dataset, column, CPU s a row | expensive: dataset, column, CPU s a row "
        "| test rows | pool |",
        "|---|---|---|---|---|",
    ]

    def seconds(value):
        return "not recorded" if value is None else f"{value:.3g}"

    for one in runs:
        ladder, curve = one.ladder, one.curve
        lines.append(
            f"| {ladder.name} | {ladder.source}, {ladder.source_target}, "
            f"{seconds(one.cheap_row_s)} | {ladder.destination}, {ladder.target}, "
            f"{seconds(one.expensive_row_s)} | {curve.test_rows} | {curve.pool_rows} |"
        )
    files = ", ".join(f"{key}: `{_shown(path)}`" for key, path in paths.items())
    return "\n".join([*lines, "", f"Files: {files}."])


def _shown(path) -> str:
    """A path as the report shows it: relative to the source tree when inside it, else its
    name (never an absolute path of this machine)."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


HOW_COUNTED = (
    "Hours are the per-sample CPU seconds the sweeps recorded (`generate_cpu_s` + "
    "`<property>_cpu_s`: the generation and the property measured): the expensive rows a method "
    "was given, plus, for every method that uses the pretrained net, every cheap row that net "
    "learned from. A structure used on both sides (the physics ladder: the same 1 µm samples) has "
    "its generation counted twice, which is conservative for the cheap source. The cheap value "
    "as an input also needs the cheap value of every design it predicts, not counted here. The "
    "spread of the hours is over the repetitions (other subsets); the ratio's range takes one "
    "standard deviation of both hours. The cheap model learns from every cheap row, the held-out "
    "designs' cheap values included: a cheap source is meant to be run on every design."
)


def report_markdown(preset: str, runs, found, paths: dict, *, seconds=None, load=None) -> str:
    """The whole report: the answer, the datasets, the routes per destination, and each
    ladder's curve, cost table and cost sentence."""
    from surrogate.evaluation.curves import cost_markdown, curve_markdown

    settings = PRESETS.get(preset)
    lines = [
        f"# Multi-fidelity study ({preset})",
        "",
        "Which cheap source, and how many expensive samples, give tau_diffusive at 1 µm within "
        "a stated error for the least CPU time?",
        "",
        *[f"**{v.destination}.** {v.sentence}\n" for v in found],
        domain_text(runs),
        "",
        "## Datasets",
        "",
        datasets_markdown(runs, paths),
    ]
    for verdict in found:
        lines += [
            "",
            f"## Routes to {verdict.level:.3g} % MAPE on {verdict.destination}",
            "",
            routes_markdown(verdict),
            "",
            f"## The saving against the error asked, {verdict.destination}",
            "",
            savings_markdown(
                [one for one in runs if one.ladder.destination == verdict.destination]
            ),
        ]
    for one in runs:
        verdict = next(v for v in found if v.destination == one.ladder.destination)
        lines += [
            "",
            f"## {one.ladder.name} -> {one.ladder.destination} {one.ladder.target} "
            f"({one.ladder.kind})",
            "",
            *([f"- {note}" for note in one.notes] + ([""] if one.notes else [])),
            one.curve.cost_sentence(verdict.level),
            "",
            curve_markdown(one.curve),
            "",
            cost_markdown(one.curve, verdict.level),
        ]
    lines += ["", "## How the hours are counted", "", HOW_COUNTED]
    if settings is not None:
        lines += [
            "",
            f"Preset {preset}: sizes {', '.join(map(str, settings.sizes))} and the whole pool, "
            f"{settings.repetitions} repetitions, {settings.epochs} epochs, {settings.restarts} "
            "restart(s) a net.",
        ]
    if seconds is not None:
        from workflows.readme_blocks import load_text, machine, machine_text

        ran = f"{seconds / 60:.1f} min"
        if load is not None:
            ran += f" on {machine_text(machine())}, {load_text(load)}"
        lines += ["", f"The study took {ran}."]
    return "\n".join(lines).rstrip() + "\n"


def block_markdown(preset: str, runs, found) -> str:
    """The README's block: the answer, each ladder's best route with its reason, the domain
    shift."""
    lines = []
    for verdict in found:
        lines += [f"**{verdict.destination}.** {verdict.sentence}", ""]
        lines += [routes_markdown(verdict, every=False), ""]
        group = [one for one in runs if one.ladder.destination == verdict.destination]
        if verdict.level_what != "the stated tolerance":
            lines += [savings_markdown(group), ""]
    shift = domain_text(runs)
    if shift:
        lines += [shift, ""]
    settings = PRESETS.get(preset)
    if settings is not None:
        lines.append(
            f"Test MAPE on a fixed 30 % of the destination; {settings.repetitions} subsets per "
            f"size ({', '.join(map(str, settings.sizes))} rows and all); CPU-hours from the "
            "sweeps' per-sample CPU seconds, the cheap rows counted for every method that uses "
            "them."
        )
    return "\n".join(lines).rstrip() + "\n"


def _route_json(r: Route | None) -> dict | None:
    if r is None:
        return None
    return {**r.__dict__, "label": _label(r.method)}


def study_json(preset: str, runs, found, paths: dict) -> dict:
    """The numbers of the report, JSON-ready."""
    return {
        "preset": preset,
        "settings": asdict(PRESETS[preset]) if preset in PRESETS else None,
        "aim": AIM,
        "datasets": {key: _shown(path) for key, path in paths.items()},
        "verdicts": [
            {
                "destination": v.destination,
                "target": v.target,
                "level": v.level,
                "level_what": v.level_what,
                "winner": _route_json(v.winner),
                "reference": _route_json(v.reference),
                "aim_met": v.aim_met,
                "sentence": v.sentence,
                "why": v.why,
                "routes": [_route_json(r) for r in v.routes],
            }
            for v in found
        ],
        "ladders": [
            {
                **asdict(one.ladder),
                "notes": one.notes,
                "cheap_row_s": one.cheap_row_s,
                "expensive_row_s": one.expensive_row_s,
                "sizes": one.curve.sizes,
                "test_rows": one.curve.test_rows,
                "cost_kind": one.curve.cost_kind,
                "cheap_seconds": one.curve.cheap_seconds,
                "expensive_seconds": one.curve.expensive_seconds,
                "mape": one.curve.mape,
            }
            for one in runs
        ],
    }


def study_figure(runs, found):
    """Test MAPE against CPU-hours per ladder, one line per method (mean, ±1 std bars), the
    level to reach dashed and the aim's hours (the destination-only net's over 5) dotted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter

    from generator.viz.style import legend_outside

    plain = FuncFormatter(lambda value, _: f"{value:g}")  # 0.002, 20: never 2×10⁻³
    # Minor ticks labelled at 2 and 5 of each decade only: 1, 2, 5, 10, 20, 50.
    some = FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")

    columns = min(3, len(runs))
    rows = -(-len(runs) // columns)
    figure = Figure(figsize=(4.2 * columns + 2.5, 3.4 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    colours = {m: f"C{k}" for k, m in enumerate([*METHODS, "pretrained_on_target"])}
    for ax, one in zip(axes, runs, strict=False):
        curve = one.curve
        verdict = next(v for v in found if v.destination == one.ladder.destination)
        for method in curve.mape:
            hours = [curve.hours(method, k) for k in range(len(curve.sizes))]
            if any(h is None for h in hours):
                continue
            mean = [float(np.mean(v)) for v in curve.mape[method]]
            std = [float(np.std(v)) for v in curve.mape[method]]
            ax.errorbar(
                [float(np.mean(h)) for h in hours], mean, yerr=std, marker="o", markersize=3,
                capsize=2, color=colours.get(method), label=_label(method),
            )  # fmt: skip
        ax.axhline(verdict.level, color="0.4", linestyle="--", linewidth=1, label="level to reach")
        if verdict.reference.hours is not None:
            ax.axvline(
                verdict.reference.hours / AIM, color="0.4", linestyle=":", linewidth=1,
                label=f"{AIM:g}× less than destination-only",
            )  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(some)
        ax.tick_params(which="minor", labelsize=7)
        # A spread wider than the mean would stretch the log axis to zero: bars run off it.
        lowest = min(float(np.mean(v)) for per in curve.mape.values() for v in per)
        ax.set_ylim(bottom=0.5 * lowest)
        ax.set_title(
            f"{one.ladder.name}\n-> {one.ladder.destination} ({one.ladder.kind})", fontsize=9
        )
        unit = f"{curve.cost_kind}-hours" if curve.cost_kind else "hours"
        ax.set_xlabel(unit)
        ax.set_ylabel(f"test MAPE of {one.ladder.target} (%)")
    for ax in axes[len(runs) :]:
        ax.set_visible(False)
    handles = {}
    for ax in axes[: len(runs)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    legend_outside(axes[columns - 1], handles=list(handles.values()), labels=list(handles))
    return figure


def run_study(
    paths: dict,
    out,
    *,
    preset: str = "quick",
    settings: Preset | None = None,
    ladders=LADDERS,
    tolerance: float | None = None,
    seed: int = 0,
    workers: int = 1,
    results=None,
    command: str | None = None,
    progress: bool = False,
) -> dict:
    """Run the study and write ``report.md``, ``report.json`` and ``multifidelity.png`` in
    ``out``.

    Parameters
    ----------
    paths : dict
        ``{dataset key: path}`` of every dataset the ladders name.
    out : Path
    preset : str
        ``quick`` or ``full`` (:data:`PRESETS`); ``settings`` replaces its numbers (tests).
    ladders : sequence of Ladder
    tolerance : float, optional
        The MAPE (%) to reach; default the destination-only net's with every row.
    workers : int
        Ladders fitted side by side (:func:`run_ladders`).
    results : Path, optional
        Also write the README block ``multifidelity_<preset>.md`` and ``.json`` there.
    command : str, optional
        The command line the block says made it.

    Returns
    -------
    dict
        :func:`study_json`, with the verdicts as objects under ``"found"``.

    Raises
    ------
    ValueError
        A missing dataset or column (:func:`check_datasets`), a bad tolerance or preset.
    """
    from workflows.readme_blocks import LoadWatch, write_result

    if preset not in PRESETS:
        raise ValueError(f"preset {preset!r} is not one of {', '.join(PRESETS)}")
    if tolerance is not None and not tolerance > 0:
        raise ValueError(f"tolerance={tolerance} must be a MAPE in % above 0")
    settings = settings or PRESETS[preset]
    check_datasets(paths, ladders)
    out = Path(out)
    start, cpu = time.perf_counter(), time.process_time()
    with LoadWatch() as watch:
        runs = run_ladders(
            paths, preset=settings, ladders=ladders, seed=seed, workers=workers,
            progress=progress,
        )  # fmt: skip
        found = verdicts(runs, tolerance)
    seconds, load = time.perf_counter() - start, watch.summary()
    out.mkdir(parents=True, exist_ok=True)
    text = report_markdown(preset, runs, found, paths, seconds=seconds, load=load)
    (out / "report.md").write_text(text)
    record = study_json(preset, runs, found, paths)
    # CPU seconds of this process (its worker processes' are not counted here).
    record |= {"seconds": seconds, "cpu_seconds": time.process_time() - cpu, "load": load}
    record["workers"] = workers
    if settings is not PRESETS[preset]:
        record["settings"] = asdict(settings)
    (out / "report.json").write_text(json.dumps(record, indent=2, default=_plain) + "\n")
    study_figure(runs, found).savefig(out / "multifidelity.png", dpi=110)
    if results is not None:
        stated = f" --tolerance {tolerance:g}" if tolerance is not None else ""
        command = command or (
            f"python -m workflows.multifidelity_study --preset {preset}{stated} --readme"
        )
        write_result(
            f"multifidelity_{preset}", block_markdown(preset, runs, found), command=command,
            data=record, load=load, folder=Path(results),
        )  # fmt: skip
    return {**record, "found": found, "runs": runs}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


@app.command()
def multifidelity_study(
    preset: Annotated[
        str, typer.Option(help="quick: the README's scale (minutes); full: the paper's.")
    ] = "quick",
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("multifidelity"),
    ladders: Annotated[
        str, typer.Option(help="Ladder kinds, comma-separated: resolution, physics, domain.")
    ] = ",".join(KINDS),
    tolerance: Annotated[
        float | None,
        typer.Option(help="MAPE (%) to reach; default the destination-only net's with every row."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seeds the split, the subsets and every fit.")] = 0,
    workers: Annotated[
        int, typer.Option(help="Ladders fitted side by side, a process each (one core each).")
    ] = 2,
    gdl200: Annotated[Path, typer.Option(help="tau at 1 µm, 200 µm domain.")] = Path(
        DATASETS["gdl200"]
    ),
    gdl200_4um: Annotated[Path, typer.Option(help="The same rows at 4 µm.")] = Path(
        DATASETS["gdl200_4um"]
    ),
    gdl200_2um: Annotated[Path, typer.Option(help="The same rows at 2 µm.")] = Path(
        DATASETS["gdl200_2um"]
    ),
    gdl1000: Annotated[Path, typer.Option(help="tau at 1 µm, 1000 µm domain.")] = Path(
        DATASETS["gdl1000"]
    ),
    readme: Annotated[
        bool,
        typer.Option(
            help="Also write docs/results/multifidelity_<preset>.md and .json (the README's "
            "block; then python -m workflows.readme_blocks)."
        ),
    ] = False,
    force: Annotated[bool, typer.Option(help="Overwrite a report already in --out.")] = False,
) -> None:
    """Which cheap source, and how many expensive rows, give tau_diffusive for the least CPU."""
    try:
        chosen = choose_ladders(ladders)
    except ValueError as err:
        raise bad_option(err, "'--ladders'") from None
    if preset not in PRESETS:
        raise bad_option(ValueError(f"{preset!r} is not one of {', '.join(PRESETS)}"), "'--preset'")
    if tolerance is not None and not tolerance > 0:
        raise bad_option(ValueError(f"{tolerance} is not a MAPE in % above 0"), "'--tolerance'")
    if workers < 1:
        raise bad_option(ValueError(f"{workers} is not a number of processes"), "'--workers'")
    output_folder(out)
    if (out / "report.md").exists() and not force:
        raise bad_option(ValueError(f"{out} already holds a report; add --force"), "'--out'")
    paths = {"gdl200_4um": gdl200_4um, "gdl200_2um": gdl200_2um, "gdl200": gdl200}
    paths["gdl1000"] = gdl1000
    try:
        check_datasets(paths, chosen)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from None
    # The command as the block records it: the options that change the numbers, never --out
    # (a path of this machine).
    parts = ["python -m workflows.multifidelity_study", f"--preset {preset}"]
    if chosen != LADDERS:
        parts.append(f"--ladders {ladders}")
    if tolerance is not None:
        parts.append(f"--tolerance {tolerance:g}")
    if seed:
        parts.append(f"--seed {seed}")
    for key, path in paths.items():
        if Path(path) != Path(DATASETS[key]):
            parts.append(f"--{key.replace('_', '-')} {_shown(path)}")
    command = " ".join([*parts, "--readme"])
    record = run_study(
        paths, out, preset=preset, ladders=chosen, tolerance=tolerance, seed=seed,
        workers=workers, results=ROOT / "docs" / "results" if readme else None,
        command=command, progress=True,
    )  # fmt: skip
    for verdict in record["found"]:
        print(verdict.sentence)
    print(f"report: {out / 'report.md'} ({record['seconds'] / 60:.1f} min)")


def main(argv=None) -> None:
    run(app, "workflows.multifidelity_study", argv)


if __name__ == "__main__":
    main()
