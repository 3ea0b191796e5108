"""Learning curves: test error against the number of expensive destination rows, per method.

The question transfer learning answers is how many expensive samples it saves. One net is
pretrained on the source; a fixed part of the destination is held out as the test set; from the
rest, training subsets of each size are drawn again and again (repetitions), and every method
of the curve is fitted on the same subset and scored on the same test rows. A subset of ``n``
rows gives ``max(1, round(0.1 n))`` of them to validation (the nets choose their restart and
epoch there) and the rest to training, for every method alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from surrogate.estimators.methods import TARGET_METHODS, SplitContext
from surrogate.estimators.regressors import NetOptions
from surrogate.evaluation.evaluate import metrics, pretrain
from surrogate.nets.models import DEFAULT_ARCHITECTURES, FALLBACK_ARCHITECTURE

CURVE_METHODS = (
    "transferred",
    "scratch",
    "finetune_all",
    "pretrained_plus_offset",
    "linear_correction",
    "stacking",
    "cheap_value_input",
    "random_forest",
    "linear",
    "pretrained_on_target",
)
# Methods that learn nothing from the source: their cost is the expensive rows alone.
DESTINATION_ONLY = ("scratch", "random_forest", "linear", "mean", "quadratic_ridge")
DEFAULT_SIZES = (5, 10, 20, 40)
SMALLEST = 4  # rows: 3 to train, 1 to validate


@dataclass
class CurveResult:
    """Test MAPE (%) per method, training size and repetition.

    Attributes
    ----------
    sizes : list of int
        Destination rows given to the methods (training plus validation).
    mape : dict
        ``{method: [[per repetition] per size]}``.
    test_rows, pool_rows : int
        Held-out destination rows, and rows the subsets were drawn from.
    """

    source: str
    destination: str
    target: str
    sizes: list
    mape: dict = field(default_factory=dict)
    test_rows: int = 0
    pool_rows: int = 0
    source_target: str = ""
    cost_kind: str = ""
    expensive_seconds: list = field(default_factory=list)
    cheap_seconds: float | None = None
    cheap_rows: int = 0

    def hours(self, method: str, index: int) -> np.ndarray | None:
        """Hours each repetition of ``sizes[index]`` cost ``method`` (one value per
        repetition): the expensive rows it was given, plus every source row the pretrained
        net learned from when the method uses that net; None when a side records no times."""
        if not self.cost_kind or not self.expensive_seconds:
            return None
        seconds = np.asarray(self.expensive_seconds[index], float)
        if method not in DESTINATION_ONLY:
            if self.cheap_seconds is None:
                return None
            seconds = seconds + self.cheap_seconds
        return seconds / 3600.0

    def cost_table(self, level: float) -> dict:
        """``{method: {"rows", "mape_mean", "mape_std", "hours_mean", "hours_std"}}`` at the
        smallest size whose mean MAPE reaches ``level`` (``rows`` None when none does)."""
        table = {}
        for method in self.mape:
            rows = self.rows_to_reach(method, level)
            entry = {"rows": rows, "mape_mean": None, "mape_std": None}
            entry |= {"hours_mean": None, "hours_std": None}
            if rows is not None:
                k = self.sizes.index(rows)
                values = np.asarray(self.mape[method][k], float)
                entry |= {"mape_mean": float(values.mean()), "mape_std": float(values.std())}
                hours = self.hours(method, k)
                if hours is not None:
                    entry |= {"hours_mean": float(hours.mean()), "hours_std": float(hours.std())}
            table[method] = entry
        return table

    def cost_sentence(self, level: float | None = None) -> str:
        """The saving in expensive rows and hours of the cheapest method that reaches
        ``level`` (default: the destination-only net's mean MAPE with every row) against the
        destination-only net, in one sentence; whether it holds within the spread over the
        repetitions (paired MAPE differences at the method's size, as :meth:`comparison`).

        Examples
        --------
        >>> from surrogate.evaluation.curves import CurveResult
        >>> curve = CurveResult("a", "b", "t", [5, 40], {
        ...     "linear_correction": [[2.9, 3.0, 3.1], [2.0, 2.0, 2.0]],
        ...     "scratch": [[9.0, 12.0, 9.0], [3.0, 3.0, 3.0]]},
        ...     cost_kind="CPU", expensive_seconds=[[3600.0] * 3, [28800.0] * 3],
        ...     cheap_seconds=1800.0)
        >>> print(curve.cost_sentence())  # doctest: +NORMALIZE_WHITESPACE
        To reach 3 % MAPE (the destination-only net with all 40 b rows), linear correction
        needs 5 b rows and 1.5 ± 0 CPU-hours (0.5 of them the source's rows), the
        destination-only net 40 rows and 8 ± 0: 5.3× less CPU time, and at 5 rows its MAPE
        (3 ± 0.082 %) beats the destination-only net's (10 ± 1.4 %) by more than the spread
        of the difference (± 1.7).
        """
        from surrogate.evaluation.report import LABELS, plus_minus

        pool = self.sizes[-1]
        what = ""
        if level is None:
            level = float(np.mean(self.mape["scratch"][-1]))
            what = f" (the destination-only net with all {pool} {self.destination} rows)"
        table = self.cost_table(level)
        unit = f"{self.cost_kind}-hours" if self.cost_kind else ""
        head = f"To reach {level:.3g} % MAPE{what}, "
        reached = [m for m in table if m != "scratch" and table[m]["rows"] is not None]
        if not reached:
            return (
                head
                + f"no method but the destination-only net does with up to {pool} rows: no saving."
            )

        def cost(method):
            entry = table[method]
            return entry["hours_mean"] if entry["hours_mean"] is not None else entry["rows"]

        # The cheapest; of equal cost (the same rows), the one with the lower error there.
        best = min(reached, key=lambda m: (cost(m), table[m]["rows"], table[m]["mape_mean"]))
        mine, theirs = table[best], table["scratch"]
        name = LABELS[best].removeprefix("baseline: ").split(" (")[0]
        text = head + f"{name} needs {mine['rows']} {self.destination} rows"
        if mine["hours_mean"] is not None:
            cheap = 0.0 if best in DESTINATION_ONLY else self.cheap_seconds / 3600.0
            hours = plus_minus(mine["hours_mean"], mine["hours_std"], ".2g")
            text += f" and {hours} {unit} ({cheap:.2g} of them the source's rows)"
        if theirs["rows"] is None:
            return text + (
                f", the destination-only net does not reach it with up to {pool} rows: a "
                "saving beyond the sizes tried."
            )
        text += f", the destination-only net {theirs['rows']} rows"
        if mine["hours_mean"] is not None and theirs["hours_mean"] is not None:
            text += f" and {plus_minus(theirs['hours_mean'], theirs['hours_std'], '.2g')}"
            ratio = theirs["hours_mean"] / mine["hours_mean"]
            saving = f"{ratio:.2g}× less {self.cost_kind} time" if ratio > 1 else "no saving"
        else:
            saved = theirs["rows"] - mine["rows"]
            saving = f"{saved} rows fewer" if saved > 0 else "no saving"
        k = self.sizes.index(mine["rows"])
        return text + f": {saving}, and {self._paired(best, k)}."

    def _paired(self, method: str, index: int) -> str:
        """At ``sizes[index]``: whether ``method`` beats, ties with or loses to the
        destination-only net, by its paired differences' spread over the repetitions."""
        mine = np.asarray(self.mape[method][index], float)
        theirs = np.asarray(self.mape["scratch"][index], float)
        start = f"at {self.sizes[index]} rows its MAPE ({mine.mean():.3g} ± {mine.std():.2g} %) "
        rest = f"the destination-only net's ({theirs.mean():.3g} ± {theirs.std():.2g} %)"
        if len(mine) < 2:
            return start + f"against {rest}: one repetition, no spread to judge by"
        gap = float(np.mean(theirs - mine))
        spread = float(np.std(theirs - mine, ddof=1))
        if abs(gap) <= spread:
            return start + f"ties with {rest} within the spread of the difference (± {spread:.2g})"
        verb = "beats" if gap > 0 else "loses to"
        return start + f"{verb} {rest} by more than the spread of the difference (± {spread:.2g})"

    def table(self) -> dict:
        """``{method: [{"rows", "mean", "std", "repetitions"} per size]}``."""
        return {
            method: [
                {
                    "rows": size,
                    "mean": float(np.mean(values)),
                    "std": float(np.std(values)),
                    "repetitions": len(values),
                }
                for size, values in zip(self.sizes, per_size, strict=True)
            ]
            for method, per_size in self.mape.items()
        }

    def rows_to_reach(self, method: str, level: float) -> int | None:
        """The smallest size whose mean MAPE is at most ``level`` (None if none is)."""
        for size, values in zip(self.sizes, self.mape[method], strict=True):
            if np.mean(values) <= level:
                return size
        return None

    def sentence(self, level: float | None = None) -> str:
        """How many destination rows transfer saves, computed from the curve's means.

        "To reach X % MAPE, transfer needs N rows, training from scratch M: transfer saves
        M − N rows"; "no saving" when transfer needs as many rows or more, or never reaches X
        within the sizes tried. ``level`` defaults to the mean MAPE training from scratch
        reaches with every pool row: the error a user gets without the source, which transfer
        must match with fewer rows to save any.

        Examples
        --------
        >>> from surrogate.evaluation.curves import CurveResult
        >>> curve = CurveResult("a", "b", "t", [5, 10, 40], {
        ...     "transferred": [[4.0], [3.0], [2.5]], "scratch": [[9.0], [6.0], [3.0]]})
        >>> print(curve.sentence())  # doctest: +NORMALIZE_WHITESPACE
        To reach 3 % MAPE (training from scratch with all 40 rows), transfer needs 10 b rows,
        training from scratch 40: transfer saves 30 rows (75 %).
        >>> print(curve.sentence(2.0))  # doctest: +NORMALIZE_WHITESPACE
        To reach 2 % MAPE, neither transfer nor training from scratch does with up to 40 b
        rows: no saving measured.
        """
        pool = self.sizes[-1]
        what = ""
        if level is None:
            level = float(np.mean(self.mape["scratch"][-1]))
            what = f" (training from scratch with all {pool} rows)"
        rows = {m: self.rows_to_reach(m, level) for m in ("transferred", "scratch")}
        mine, theirs = rows["transferred"], rows["scratch"]
        head = f"To reach {level:.3g} % MAPE{what}, "
        if mine is None and theirs is None:
            return (
                head + f"neither transfer nor training from scratch does with up to {pool} "
                f"{self.destination} rows: no saving measured."
            )
        if mine is None:
            return (
                head + f"training from scratch needs {theirs} {self.destination} rows and "
                f"transfer does not reach it with up to {pool}: no saving."
            )
        needs = f"transfer needs {mine} {self.destination} rows, "
        if theirs is None:
            return (
                head + needs + f"training from scratch does not reach it with up to {pool}: "
                f"transfer saves more than {pool - mine} rows."
            )
        if mine < theirs:
            saved = theirs - mine
            return (
                head + needs + f"training from scratch {theirs}: transfer saves {saved} rows "
                f"({100 * saved / theirs:.0f} %)."
            )
        return head + needs + f"training from scratch {theirs}: no saving."

    def baseline_warning(self) -> str | None:
        """A warning when, with every pool row, a baseline of the curve beats the transferred
        net by more than the spread of their paired differences over the repetitions (the
        same subsets), else None.

        Examples
        --------
        >>> from surrogate.evaluation.curves import CurveResult
        >>> curve = CurveResult("a", "b", "t", [5, 20], {
        ...     "transferred": [[20.0], [14.0, 13.0, 15.0]],
        ...     "linear": [[15.0], [10.0, 10.5, 10.0]]})
        >>> print(curve.baseline_warning())  # doctest: +NORMALIZE_WHITESPACE
        with all 20 b rows the transferred net (14 % MAPE) is worse than linear regression
        (10.2 %) by 3.8 percentage points, more than the spread of that difference over 3
        repetitions (± 1.3): the baseline is better here; use it
        """
        from surrogate.estimators.methods import BASELINES
        from surrogate.evaluation.report import LABELS

        present = [m for m in BASELINES if m in self.mape]
        if "transferred" not in self.mape or not present:
            return None
        best = min(present, key=lambda m: np.mean(self.mape[m][-1]))
        mine = np.asarray(self.mape["transferred"][-1], float)
        theirs = np.asarray(self.mape[best][-1], float)
        differences = mine - theirs
        gap = float(differences.mean())
        spread = float(differences.std(ddof=1)) if len(differences) > 1 else 0.0
        if not gap > spread:
            return None
        return (
            f"with all {self.sizes[-1]} {self.destination} rows the transferred net "
            f"({mine.mean():.3g} % MAPE) is worse than {LABELS[best].removeprefix('baseline: ')} "
            f"({theirs.mean():.3g} %) by {gap:.2g} percentage points, more than the spread of "
            f"that difference over {len(differences)} repetitions (± {spread:.2g}): the "
            "baseline is better here; use it"
        )

    def comparison(self, index: int = 0) -> str:
        """Which of transfer and training from scratch does better at ``sizes[index]`` rows,
        or a tie when their mean difference is within the spread of the paired differences
        (the same subsets; standard deviation over the repetitions).

        Examples
        --------
        >>> from surrogate.evaluation.curves import CurveResult
        >>> curve = CurveResult("a", "b", "t", [5], {
        ...     "transferred": [[4.0, 5.0, 6.0]], "scratch": [[9.0, 12.0, 9.0]]})
        >>> print(curve.comparison())  # doctest: +NORMALIZE_WHITESPACE
        With 5 b rows, transfer (5 ± 0.82 % MAPE) beats training from scratch (10 ± 1.4 %):
        the difference, 5 points, exceeds its spread over 3 repetitions (± 2).
        """
        size = self.sizes[index]
        mine = np.asarray(self.mape["transferred"][index], float)
        theirs = np.asarray(self.mape["scratch"][index], float)
        gap = float(np.mean(theirs - mine))
        spread = float(np.std(theirs - mine, ddof=1)) if len(mine) > 1 else float("nan")
        numbers = (
            f"transfer ({mine.mean():.3g} ± {mine.std():.2g} % MAPE) {{}} training from "
            f"scratch ({theirs.mean():.3g} ± {theirs.std():.2g} %)"
        )
        start = f"With {size} {self.destination} rows, "
        if not np.isfinite(spread):
            return start + numbers.format("against") + ": one repetition, no spread to judge by."
        if abs(gap) <= spread:
            return (
                start + numbers.format("ties with") + f": the difference, {abs(gap):.2g} "
                f"points, is within its spread over {len(mine)} repetitions (± {spread:.2g})."
            )
        verb = "beats" if gap > 0 else "loses to"
        return (
            start + numbers.format(verb) + f": the difference, {abs(gap):.2g} points, exceeds "
            f"its spread over {len(mine)} repetitions (± {spread:.2g})."
        )


def learning_curve(
    source,
    destination,
    target: str,
    *,
    sizes=DEFAULT_SIZES,
    repetitions: int = 10,
    test_fraction: float = 0.3,
    seed: int = 0,
    epochs: int = 250,
    restarts: int = 3,
    hidden=None,
    pretrained=None,
    progress: bool = False,
    source_target: str | None = None,
    paired=None,
    methods=None,
    workers: int = 1,
) -> CurveResult:
    """Test MAPE of :data:`CURVE_METHODS` against the number of destination rows, and what
    each size cost (:mod:`surrogate.data.costs`).

    Parameters
    ----------
    source : TableDataset or None
        Pretrained on once (90 % training, 10 % validation); None with ``pretrained``.
    destination : TableDataset
    sizes : sequence of int
        Training sizes; sizes above the pool are dropped and the whole pool is always added.
    repetitions : int
        Subsets drawn per size (the whole pool: the repetitions differ in their validation
        rows and seeds).
    pretrained : MLP, optional
        A saved pretrained net to use instead of pretraining on ``source``.
    source_target : str, optional
        The source column to pretrain on (default ``target``).
    paired : numpy.ndarray, optional
        The paired cheap value of each destination row (a fidelity ladder): adds
        ``cheap_value_input``.
    methods : sequence of str, optional
        The methods to fit, of :data:`CURVE_METHODS` (default all that apply); the subsets
        and the seeds of each method do not depend on which others are fitted, so curves of
        several calls on the same destination with the same ``seed`` share their subsets.
    workers : int
        Subsets fitted side by side, each in a process of its own
        (:func:`surrogate.evaluation.parallel.map_in_processes`). The numbers do not depend
        on it.

    Raises
    ------
    ValueError
        Too few destination rows for a test set and the smallest size, bad sizes or an
        unknown method.
    """
    from generator import ProgressCounter
    from surrogate.data.costs import row_costs
    from surrogate.estimators.methods import paired_lookup

    source_target = source_target or target
    if repetitions < 1:
        raise ValueError(f"repetitions={repetitions} must be at least 1")
    unknown = [m for m in methods or () if m not in CURVE_METHODS]
    if unknown:
        raise ValueError(f"methods {unknown} are not curve methods ({', '.join(CURVE_METHODS)})")
    xd, yd = destination.arrays(target)
    order = np.random.default_rng(seed).permutation(len(xd))
    n_test = int(round(test_fraction * len(xd)))
    test, pool = order[:n_test], order[n_test:]
    if n_test < 3 or len(pool) < SMALLEST:
        raise ValueError(
            f"destination {destination.name!r} has {len(xd)} usable rows: a learning curve "
            f"needs at least 3 test rows and {SMALLEST} to train on ({SMALLEST + 3} rows or more)"
        )
    bad = [s for s in sizes if int(s) != s or s < SMALLEST]
    if bad:
        raise ValueError(f"training sizes {bad} must be whole numbers of at least {SMALLEST}")
    sizes = sorted({int(s) for s in sizes if s < len(pool)} | {len(pool)})
    options = NetOptions(epochs=epochs, restarts=restarts)
    if pretrained is None:
        xs, ys = source.arrays(source_target)
        hidden = tuple(hidden or DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE))
        source_order = np.random.default_rng(seed + 1).permutation(len(xs))
        n_val = max(1, int(round(0.1 * len(xs))))
        pretrained, _ = pretrain(
            xs, ys, source_order[n_val:], source_order[:n_val], hidden, options, seed
        )
    hidden = pretrained.hidden
    cheap = None if paired is None else paired_lookup(xd, paired)
    expensive = row_costs(destination, target)
    # The pretrained net learned from every source row (90 % training, 10 % validation).
    cheap_costs = row_costs(source, source_target) if source is not None else None
    kinds = {expensive.kind, cheap_costs.kind if cheap_costs is not None else expensive.kind}
    # Hours of one kind only: CPU seconds beside wall seconds would not add up.
    kind = expensive.kind if len(kinds) == 1 else ""
    probe = SplitContext(pretrained, None, hidden, None, options, seed, cheap=cheap)
    wanted = CURVE_METHODS if methods is None else methods
    methods = [m for m in CURVE_METHODS if m in wanted and TARGET_METHODS[m](probe) is not None]
    result = CurveResult(
        source.name if source is not None else "saved net",
        destination.name,
        target,
        sizes,
        {m: [[] for _ in sizes] for m in methods},
        len(test),
        len(pool),
        source_target=source_target,
        cost_kind=kind,
        expensive_seconds=[[] for _ in sizes],
        cheap_seconds=cheap_costs.total() if cheap_costs is not None and kind else None,
        cheap_rows=len(source) if source is not None else 0,
    )
    counter = ProgressCounter(
        len(sizes) * repetitions if progress else 0,
        f"learning curve {result.source} -> {destination.name}",
        "fits",
    )
    rng = np.random.default_rng(seed + 2)
    tasks = []
    for k, size in enumerate(sizes):
        for repetition in range(repetitions):
            rows = rng.permutation(pool)[:size]
            n_val = max(1, int(round(0.1 * size)))
            context = SplitContext(
                pretrained, None, hidden, None, options, seed * 1000 + k * 100 + repetition,
                cheap=cheap, rescale=source_target != target,
            )  # fmt: skip
            tasks.append((context, methods, xd, yd, rows[n_val:], rows[:n_val], test))
            if kind:
                result.expensive_seconds[k].append(expensive.total(rows))
    from surrogate.evaluation.parallel import map_in_processes

    scores = map_in_processes(_fit_subset, tasks, workers, lambda *_: counter.step())
    for index, by_method in enumerate(scores):
        for method, score in by_method.items():
            result.mape[method][index // repetitions].append(score)
    counter.close()
    return result


def _fit_subset(task) -> dict:
    """Each method fitted on one subset of rows and scored on the test rows: ``{method:
    test MAPE}``. Its seeds come with the task, so it gives the same numbers in any process."""
    context, methods, xd, yd, train, val, test = task
    scores = {}
    for method in methods:
        estimator = TARGET_METHODS[method](context)
        estimator.fit(xd[train], yd[train], xd[val], yd[val])
        scores[method] = metrics(yd[test], estimator.predict(xd[test]))["mape"]
    return scores


def curve_markdown(result: CurveResult) -> str:
    """Mean ± std test MAPE (%) per method (rows) and training size (columns)."""
    from surrogate.evaluation.report import LABELS, plus_minus

    table = result.table()
    head = "| method | " + " | ".join(f"{n} rows" for n in result.sizes) + " |"
    lines = [head, "|---|" + "---|" * len(result.sizes)]
    for method, cells in table.items():
        values = " | ".join(plus_minus(c["mean"], c["std"], ".3g", ".2g") for c in cells)
        lines.append(f"| {LABELS[method]} | {values} |")
    reps = ", ".join(str(c["repetitions"]) for c in next(iter(table.values())))
    lines += [
        "",
        f"Test MAPE % on {result.test_rows} held-out {result.destination} rows (mean ± std over "
        f"the repetitions: {reps}); subsets drawn from the other {result.pool_rows} rows.",
    ]
    return "\n".join(lines)


def default_level(result: CurveResult, level: float | None = None) -> float:
    """``level``, else the destination-only net's mean MAPE with every pool row."""
    return float(np.mean(result.mape["scratch"][-1])) if level is None else float(level)


def cost_markdown(result: CurveResult, level: float | None = None) -> str:
    """Per method: the expensive rows and the hours needed to reach ``level`` (default
    :func:`default_level`), with the MAPE there and the spread over the repetitions."""
    from surrogate.evaluation.report import LABELS, plus_minus

    level = default_level(result, level)
    kind = result.cost_kind
    unit = f"{kind}-hours" if kind else "hours"
    lines = [
        f"| method | {result.destination} rows to reach {level:.3g} % | MAPE there (%) | "
        f"{unit} (mean ± std) |",
        "|---|---|---|---|",
    ]
    for method, entry in result.cost_table(level).items():
        if entry["rows"] is None:
            lines.append(f"| {LABELS[method]} | not within {result.sizes[-1]} | | |")
            continue
        mape = plus_minus(entry["mape_mean"], entry["mape_std"], ".3g", ".2g")
        hours = (
            plus_minus(entry["hours_mean"], entry["hours_std"], ".3g", ".2g")
            if entry["hours_mean"] is not None
            else "not recorded"
        )
        lines.append(f"| {LABELS[method]} | {entry['rows']} | {mape} | {hours} |")
    if kind:
        cheap = result.cheap_seconds
        source = (
            f" plus the {result.cheap_rows} {result.source} rows the pretrained net learned "
            f"from ({cheap / 3600:.3g} h, {result.source_target}) for every method that uses it"
            if cheap is not None
            else ""
        )
        note = (
            f"Hours: the {result.destination} rows given ({result.target}: generation and "
            f"the property measured, per-sample times as recorded){source}; the spread is "
            "over the repetitions (other subsets)."
        )
        if kind == "wall":
            note += (
                " These are wall-clock hours: the datasets record no per-sample CPU seconds "
                "(made before they were recorded)."
            )
    else:
        note = (
            "Hours not given: a dataset records no per-sample times, or one records CPU "
            "seconds and the other only wall seconds."
        )
    return "\n".join([*lines, "", note])


def plot_curve(result: CurveResult, path) -> None:
    """Mean test MAPE against training rows (log-log), one line per method, ±1 std band."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    from surrogate.evaluation.report import LABELS

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    for method, cells in result.table().items():
        mean = np.array([c["mean"] for c in cells])
        std = np.array([c["std"] for c in cells])
        (line,) = ax.plot(result.sizes, mean, marker="o", label=LABELS[method])
        ax.fill_between(
            result.sizes,
            np.maximum(mean - std, 1e-9),
            mean + std,
            color=line.get_color(),
            alpha=0.15,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Plain numbers on the log axes (a narrow range would read "6×10⁰"): the sizes themselves
    # on x, ordinary decimals on y.
    ax.set_xticks(result.sizes)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    for axis_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        formatter = ScalarFormatter()
        formatter.set_scientific(False)
        axis_formatter(formatter)
    ax.set_xlabel(f"{result.destination} rows given for training (incl. 10 % validation)")
    ax.set_ylabel(f"test MAPE of {result.target} (%)")
    ax.set_title(f"Learning curve: {result.source} -> {result.destination}")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
