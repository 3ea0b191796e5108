"""Does choosing beat not choosing? A pool-based replay of the active loop.

Already simulated samples stand in for the simulator: a fixed part of them is the test set,
never offered for selection; the rest is the pool the strategies draw from. Every strategy of
a repetition starts from the same random initial samples, takes the same batches, fits the same
ensemble of transferred nets (:func:`surrogate.active.rules.fit_ensemble`) and is scored on the same
test rows, so the strategies differ only in which samples they asked for:

- ``disagreement``: the active loop's rule (:func:`surrogate.active.rules.choose_by_disagreement`);
- ``random``: a uniform draw from the samples not yet taken;
- ``space_filling``: greedy maximin in the unit cube
  (:func:`surrogate.active.rules.choose_space_filling`).

On a fidelity ladder (a cheap column pretrains the net, an expensive one is the target) the
ensemble's adapters start from a line fitted to the expensive values (``rescale``), or the
ensemble is of nets that take the paired cheap value of each row as one more input
(``model="cheap_value_input"``). With the rows' recorded costs (``seconds``) the replay also
counts the expensive CPU-hours each strategy spent at each budget.

Choosing is compared with each other strategy by the ratio of their test errors, paired over
the repetitions (a t-test on the log ratio, with its interval), Holm-corrected over the
budgets: "lower" only where that test says so (:func:`compare_strategies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from surrogate.active.rules import (
    choose_by_disagreement,
    choose_space_filling,
    disagreement_percent,
    fit_ensemble,
    unit_cube,
)

STRATEGIES = ("disagreement", "random", "space_filling")
MODELS = ("transferred", "cheap_value_input")


@dataclass
class ReplayResult:
    """Test MAPE (%) per strategy, budget and repetition, and the all-pool reference.

    Attributes
    ----------
    sizes : list of int
        The budgets (samples simulated), the initial samples first.
    mape : dict
        ``{strategy: [[MAPE per repetition] per size]}``.
    all_pool_mape : list
        Per repetition, the ensemble fitted on the whole pool.
    test_rows, pool_rows : int
    hours : dict
        ``{strategy: [[hours per repetition] per size]}``: what the rows chosen so far cost
        (empty when no costs were given).
    cost_kind : str
        ``"CPU"`` or ``"wall"`` (the rows' recorded seconds), ``""`` without costs.
    model : str
        The ensemble's members (:data:`MODELS`).
    """

    sizes: list
    mape: dict = field(default_factory=dict)  # strategy -> [[per repetition] per size]
    all_pool_mape: list = field(default_factory=list)  # per repetition
    test_rows: int = 0
    pool_rows: int = 0
    hours: dict = field(default_factory=dict)
    cost_kind: str = ""
    model: str = "transferred"

    def mean(self, strategy: str) -> np.ndarray:
        return np.array([np.mean(v) for v in self.mape[strategy]])

    def samples_to_reach(self, strategy: str, level: float) -> int | None:
        """The smallest budget whose mean test MAPE is at most ``level`` (None if none)."""
        for size, value in zip(self.sizes, self.mean(strategy), strict=True):
            if value <= level:
                return size
        return None

    def paired(self, strategy: str, other: str, level: float = 0.95) -> list[dict]:
        """Per budget: the mean difference of test MAPE (strategy - other) over the
        repetitions, and their ratio (strategy / other, the geometric mean over the
        repetitions) with its ``level`` t-interval (``low``, ``high``) and the two-sided
        p-value of the paired t-test on the log ratio.

        A test error is a positive, right-skewed quantity (one unlucky draw of few samples can
        be ten times off): its log is closer to normal, and the ratio says by what factor
        choosing changed the error. The repetitions share initial samples and test rows, so
        the test is paired.
        """
        from scipy.stats import t as student

        rows = []
        for k, size in enumerate(self.sizes):
            a, b = np.array(self.mape[strategy][k]), np.array(self.mape[other][k])
            logs = np.log(a / b)
            # One repetition has no spread: no interval, no test.
            mean, p, half = float(np.mean(logs)), 1.0, float("nan") if len(logs) < 2 else 0.0
            if len(logs) > 1 and np.any(logs != 0):
                spread = float(np.std(logs, ddof=1)) / np.sqrt(len(logs))
                quantile = float(student.ppf(0.5 + level / 2, len(logs) - 1))
                half = quantile * spread
                p = (
                    0.0
                    if spread == 0
                    else 2.0 * float(student.sf(abs(mean) / spread, len(logs) - 1))
                )
            rows.append(
                {"samples": size, "difference": float(np.mean(a - b)),
                 "ratio": float(np.exp(mean)), "low": float(np.exp(mean - half)),
                 "high": float(np.exp(mean + half)), "p": p}
            )  # fmt: skip
        return rows

    def hours_at(self, strategy: str, index: int) -> np.ndarray | None:
        """Hours the rows of ``sizes[index]`` cost ``strategy``, one value per repetition
        (None without costs)."""
        if not self.hours:
            return None
        return np.array(self.hours[strategy][index])


def replay(
    pretrained,
    x,
    y,
    ranges: dict,
    *,
    initial: int = 5,
    batch: int = 5,
    budget: int | None = None,
    repetitions: int = 5,
    test_fraction: float = 0.3,
    members: int = 10,
    epochs: int = 250,
    seed: int = 0,
    progress: bool = False,
    rescale: bool = False,
    model: Literal["transferred", "cheap_value_input"] = "transferred",
    cheap=None,
    hidden=(3, 3, 3),
    seconds=None,
    cost_kind: str = "CPU",
    make_member=None,
    workers: int = 1,
) -> ReplayResult:
    """Replay every strategy of :data:`STRATEGIES` on the rows ``x, y``.

    Parameters
    ----------
    pretrained : MLP
        The net every ensemble member builds on (frozen).
    x, y : arrays
        The simulated samples (inputs in :data:`generator.sweep.design.PARAMETERS` order) and their
        target.
    ranges : dict
        Parameter ranges, to measure distances in the unit cube.
    initial, batch : int
        Samples to start from and to add per step.
    budget : int, optional
        Samples at most (default: the whole pool).
    repetitions : int
        Initial draws (and seeds); the test set stays the same.
    rescale : bool
        ``y`` is another column than the one ``pretrained`` learnt (a cheap source): the
        adapters start from a line fitted to it.
    model : {"transferred", "cheap_value_input"}
        The ensemble's members: transferred nets on ``pretrained``, or the MLP of ``hidden``
        widths trained on the inputs plus the paired cheap value ``cheap`` of each row.
    cheap : array, optional
        The paired cheap value of each row (a fidelity ladder); needed by
        ``cheap_value_input``.
    seconds : array, optional
        What each row cost to simulate (:func:`surrogate.data.costs.row_costs`): the result
        counts the hours of the rows each strategy chose.
    cost_kind : str
        What ``seconds`` are (``"CPU"``, ``"wall"``), as reports say it.
    make_member : callable, optional
        ``make_member(seed, options)`` -> an unfitted estimator with ``fit(X, y, X_val, y_val)``
        and ``predict``: the ensemble's members instead of ``model``'s (a quicker model, to test
        the replay itself).
    workers : int
        Repetitions run side by side, each in a process of its own
        (:func:`surrogate.evaluation.parallel.map_in_processes`; ``make_member`` must then be
        picklable). The numbers do not depend on it.

    Returns
    -------
    ReplayResult

    Raises
    ------
    ValueError
        Too few rows for the split and the budget, an unknown ``model``, or ``cheap`` or
        ``seconds`` missing, of another length or not finite.
    """
    from generator import ProgressCounter

    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    if make_member is None:
        make_member = _member_factory(model, x, cheap, hidden)
    if seconds is not None:
        seconds = np.asarray(seconds, dtype=np.float64)
        if seconds.shape != (len(x),) or not np.isfinite(seconds).all():
            raise ValueError(
                f"seconds: expected one finite value per row ({len(x)}), got shape {seconds.shape}"
            )
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, pool = order[:n_test], order[n_test:]
    budget = len(pool) if budget is None else min(budget, len(pool))
    if initial < 4 or budget < initial or n_test < 3:
        raise ValueError(
            f"{len(x)} rows, initial {initial}, budget {budget}: a replay needs at least 4 "
            "initial samples, a budget of at least those, and 3 test rows"
        )
    sizes = list(range(initial, budget, batch)) + [budget]
    unit = unit_cube(x.astype(np.float64), ranges)
    result = ReplayResult(sizes, {s: [[] for _ in sizes] for s in STRATEGIES}, model=model)
    if seconds is not None:
        result.hours = {s: [[] for _ in sizes] for s in STRATEGIES}
        result.cost_kind = cost_kind
    result.test_rows, result.pool_rows = len(test), len(pool)
    counter = ProgressCounter(repetitions * len(STRATEGIES) if progress else 0, "replay", "runs")
    shared = _Shared(pretrained, x, y, unit, test, pool, sizes, initial, members, epochs, seed,
                     rescale, make_member, seconds)  # fmt: skip
    # A task a strategy of a repetition (and one its all-pool reference): finer than whole
    # repetitions, so that two processes share the work evenly.
    tasks = [
        (shared, repetition, part)
        for repetition in range(repetitions)
        for part in ("reference", *STRATEGIES)
    ]
    from surrogate.evaluation.parallel import map_in_processes

    def count(task, _):
        if task[2] != "reference":
            counter.step()

    done = map_in_processes(_replay_part, tasks, workers, count)
    counter.close()
    for (_, _, part), outcome in zip(tasks, done, strict=True):
        if part == "reference":
            result.all_pool_mape.append(outcome)
            continue
        scores, hours = outcome
        for k in range(len(sizes)):
            result.mape[part][k].append(scores[k])
            if seconds is not None:
                result.hours[part][k].append(hours[k])
    return result


@dataclass(frozen=True)
class _Shared:
    """What every repetition of a replay shares (pickled once per task into a worker)."""

    pretrained: object
    x: np.ndarray
    y: np.ndarray
    unit: np.ndarray
    test: np.ndarray
    pool: np.ndarray
    sizes: list
    initial: int
    members: int
    epochs: int
    seed: int
    rescale: bool
    make_member: object
    seconds: np.ndarray | None


def _replay_part(task):
    """One strategy of one repetition: its test MAPE and the hours of the rows chosen at each
    size; or (``part == "reference"``) the repetition's ensemble fitted on the whole pool, its
    test MAPE. The random draws and fit seeds depend only on the repetition (the start is
    drawn alike for every strategy), so it gives the same numbers in any process."""
    shared, repetition, part = task
    x, y, test, pool, sizes, seed = (
        shared.x, shared.y, shared.test, shared.pool, shared.sizes, shared.seed
    )  # fmt: skip

    def test_mape(rows, fit_seed):
        ensemble = fit_ensemble(
            shared.pretrained, x[rows], y[rows], members=shared.members, level=0.9,
            epochs=shared.epochs, seed=fit_seed, rescale=shared.rescale,
            make_member=shared.make_member,
        )  # fmt: skip
        error = np.abs(ensemble.predict(x[test]) - y[test]) / np.abs(y[test])
        return ensemble, 100.0 * float(np.mean(error))

    if part == "reference":
        return test_mape(pool, seed * 1000 + repetition)[1]
    rng = np.random.default_rng(seed * 1000 + repetition)
    chosen = list(rng.choice(pool, shared.initial, replace=False))
    scores, hours = [], []
    pick_rng = np.random.default_rng(seed * 1000 + repetition + 7)
    for k, size in enumerate(sizes):
        # The same fit seed at the same size for every strategy: only the rows differ.
        ensemble, score = test_mape(np.array(chosen), seed * 10_000 + repetition * 100 + k)
        scores.append(score)
        if shared.seconds is not None:
            hours.append(float(shared.seconds[chosen].sum()) / 3600.0)
        if k + 1 == len(sizes):
            break
        left = np.setdiff1d(pool, chosen)
        step = sizes[k + 1] - size
        if part == "disagreement":
            picks = choose_by_disagreement(
                disagreement_percent(ensemble, x[left]), shared.unit[left], shared.unit[chosen],
                step,
            )  # fmt: skip
        elif part == "random":
            picks = pick_rng.choice(len(left), step, replace=False)
        else:
            picks = choose_space_filling(shared.unit[left], shared.unit[chosen], step)
        chosen += [int(left[p]) for p in picks]
    return scores, hours


def _member_factory(model: str, x: np.ndarray, cheap, hidden):
    """``make_member(seed, options)`` for :func:`fit_ensemble`: None (transferred nets), or
    the MLP on the inputs plus the paired cheap value."""
    if model not in MODELS:
        raise ValueError(f"model={model!r}: expected one of {', '.join(MODELS)}")
    if model == "transferred":
        return None
    if cheap is None:
        raise ValueError(
            "model='cheap_value_input' needs cheap=, the paired cheap value of every row"
        )
    cheap = np.asarray(cheap, dtype=np.float64)
    if cheap.shape != (len(x),) or not np.isfinite(cheap).all():
        raise ValueError(
            f"cheap: expected one finite value per row ({len(x)}), got shape {cheap.shape}"
        )
    from surrogate.estimators.methods import paired_lookup

    lookup = paired_lookup(x, cheap)
    if lookup is None:
        raise ValueError("model='cheap_value_input': two rows share their inputs")
    return _CheapValueMember(tuple(hidden), lookup)


class _CheapValueMember:
    """``make_member(seed, options)``: the MLP of ``hidden`` widths on the inputs plus each
    row's paired cheap value (a class, so a replay can run its repetitions in processes)."""

    def __init__(self, hidden: tuple, lookup):
        self.hidden, self.lookup = hidden, lookup

    def __call__(self, seed, options):
        from surrogate.estimators.regressors import AugmentedRegressor, NetRegressor

        return AugmentedRegressor(NetRegressor(self.hidden, options, seed), self.lookup)


def holm(p_values, alpha: float = 0.05) -> list[bool]:
    """Which hypotheses Holm's step-down procedure rejects at family-wise level ``alpha``."""
    order = np.argsort(p_values)
    rejected = [False] * len(p_values)
    for rank, index in enumerate(order):
        if p_values[index] > alpha / (len(p_values) - rank):
            break
        rejected[index] = True
    return rejected


def compare_strategies(result: ReplayResult, other: str) -> tuple[list[dict], str]:
    """The paired tests of disagreement against ``other`` at the budgets where they can differ
    (not the shared start, not the whole pool), and the verdict in words."""
    tests = [
        t
        for t in result.paired("disagreement", other)
        if t["samples"] not in (result.sizes[0], result.pool_rows)
    ]
    # Several budgets are tested at once: Holm's step-down correction keeps the chance of any
    # false "lower"/"higher" at 5 %.
    significant = holm([t["p"] for t in tests])
    for t, flag in zip(tests, significant, strict=True):
        t["significant"] = flag
    better = [t for t in tests if t["ratio"] < 1 and t["significant"]]
    worse = [t for t in tests if t["ratio"] > 1 and t["significant"]]
    if better and worse:
        verdict = "mixed"
    elif better:
        verdict = f"lower at {len(better)} of {len(tests)} budgets"
    elif worse:
        verdict = f"higher at {len(worse)} of {len(tests)} budgets"
    else:
        verdict = "not different at any budget"
    return tests, verdict


def _hours(value: float) -> str:
    return f"{value:.3g}" if value >= 0.01 else f"{value:.2g}"


def replay_markdown(result: ReplayResult, destination: str) -> str:
    """Table of mean ± std test MAPE per strategy and budget, the expensive hours spent (when
    the rows' costs were given), the paired tests with their intervals, the sentences."""
    head = "| strategy | " + " | ".join(f"{n} samples" for n in result.sizes) + " |"
    rule = "|---|" + "---|" * len(result.sizes)
    lines = [head, rule]
    for strategy in STRATEGIES:
        cells = " | ".join(f"{np.mean(v):.3f} ± {np.std(v):.3f}" for v in result.mape[strategy])
        lines.append(f"| {strategy.replace('_', '-')} | {cells} |")
    level = float(np.mean(result.all_pool_mape))
    reps = len(result.all_pool_mape)
    lines += [
        "",
        f"Test MAPE % (mean ± std over {reps} repetitions, each from its own random initial "
        f"samples, shared by the strategies) on {result.test_rows} fixed held-out {destination} "
        f"rows; the pool holds {result.pool_rows}. With the whole pool the ensemble reaches "
        f"{level:.3f} ± {np.std(result.all_pool_mape):.3f} %.",
        "",
    ]
    if result.hours:
        unit = f"{result.cost_kind}-hours"
        lines += [head, rule]
        for strategy in STRATEGIES:
            cells = " | ".join(
                f"{_hours(np.mean(v))} ± {_hours(np.std(v))}" for v in result.hours[strategy]
            )
            lines.append(f"| {strategy.replace('_', '-')} | {cells} |")
        lines += [
            "",
            f"Expensive {unit} the {destination} rows chosen so far cost (mean ± std over the "
            "repetitions; the rows' recorded per-sample seconds): at an equal count of samples "
            "a strategy can still spend more, if it picks dearer designs.",
            "",
        ]
    for other in ("random", "space_filling"):
        tests, verdict = compare_strategies(result, other)
        detail = "; ".join(
            f"{t['samples']}: ×{t['ratio']:.2f} "
            + (f"[{t['low']:.2f}, {t['high']:.2f}] " if np.isfinite(t["low"]) else "[no spread] ")
            + f"(p = {t['p']:.2g})"
            for t in tests
        )
        lines.append(
            f"- Disagreement vs {other.replace('_', '-')}: the ratio of their test MAPE by "
            f"budget (geometric mean over the repetitions) with its 95 % t-interval (paired "
            f"t-test on the log ratio, Holm-corrected over the budgets, 5 %): "
            f"{detail or 'no budget between the start and the whole pool'}; the error of "
            f"choosing is **{verdict}**."
        )
    parts = []
    for strategy in STRATEGIES:
        n = result.samples_to_reach(strategy, level * 1.05)
        name = strategy.replace("_", "-")
        if n is None:
            parts.append(f"{name} not within {result.sizes[-1]}")
            continue
        spent = result.hours_at(strategy, result.sizes.index(n))
        cost = (
            f" ({_hours(float(np.mean(spent)))} {result.cost_kind}-hours)"
            if spent is not None
            else ""
        )
        parts.append(f"{name} {n}{cost}")
    lines += [
        "",
        f"Samples needed to come within 5 % of the whole-pool error ({1.05 * level:.3f} %): "
        + ", ".join(parts)
        + ".",
    ]
    return "\n".join(lines)


def plot_replay(result: ReplayResult, path, destination: str) -> None:
    """Mean test MAPE against samples simulated, per strategy, ±1 std band; the whole-pool
    error as a line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    for strategy, marker in zip(STRATEGIES, "osD", strict=True):
        values = result.mape[strategy]
        mean = np.array([np.mean(v) for v in values])
        std = np.array([np.std(v) for v in values])
        (line,) = ax.plot(result.sizes, mean, marker=marker, label=strategy.replace("_", "-"))
        ax.fill_between(result.sizes, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    level = float(np.mean(result.all_pool_mape))
    ax.axhline(level, color="k", linestyle=":", label=f"whole pool ({result.pool_rows} samples)")
    ax.set_xlabel(f"{destination} samples simulated (chosen from the pool)")
    ax.set_ylabel(f"test MAPE on {result.test_rows} held-out samples (%)")
    ax.set_title("Choosing samples by ensemble disagreement vs not choosing")
    ax.legend()
    fig.savefig(path, dpi=110)
