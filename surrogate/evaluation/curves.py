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
    "linear",
    "pretrained_on_target",
)
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
) -> CurveResult:
    """Test MAPE of :data:`CURVE_METHODS` against the number of destination rows.

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

    Raises
    ------
    ValueError
        Too few destination rows for a test set and the smallest size, or bad sizes.
    """
    from generator import ProgressCounter

    if repetitions < 1:
        raise ValueError(f"repetitions={repetitions} must be at least 1")
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
        xs, ys = source.arrays(target)
        hidden = tuple(hidden or DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE))
        source_order = np.random.default_rng(seed + 1).permutation(len(xs))
        n_val = max(1, int(round(0.1 * len(xs))))
        pretrained, _ = pretrain(
            xs, ys, source_order[n_val:], source_order[:n_val], hidden, options, seed
        )
    hidden = pretrained.hidden
    result = CurveResult(
        source.name if source is not None else "saved net",
        destination.name,
        target,
        sizes,
        {m: [[] for _ in sizes] for m in CURVE_METHODS},
        len(test),
        len(pool),
    )
    counter = ProgressCounter(
        len(sizes) * repetitions if progress else 0,
        f"learning curve {result.source} -> {destination.name}",
        "fits",
    )
    rng = np.random.default_rng(seed + 2)
    for k, size in enumerate(sizes):
        for repetition in range(repetitions):
            rows = rng.permutation(pool)[:size]
            n_val = max(1, int(round(0.1 * size)))
            val, train = rows[:n_val], rows[n_val:]
            context = SplitContext(
                pretrained, None, hidden, None, options, seed * 1000 + k * 100 + repetition
            )
            for method in CURVE_METHODS:
                estimator = TARGET_METHODS[method](context)
                estimator.fit(xd[train], yd[train], xd[val], yd[val])
                score = metrics(yd[test], estimator.predict(xd[test]))["mape"]
                result.mape[method][k].append(score)
            counter.step()
    counter.close()
    return result


def curve_markdown(result: CurveResult) -> str:
    """Mean ± std test MAPE (%) per method (rows) and training size (columns)."""
    from surrogate.evaluation.report import LABELS, plus_minus

    table = result.table()
    head = "| method | " + " | ".join(f"{n} rows" for n in result.sizes) + " |"
    lines = [head, "|---|" + "---|" * len(result.sizes)]
    for method, cells in table.items():
        values = " | ".join(plus_minus(c["mean"], c["std"], ".3g", ".2g") for c in cells)
        lines.append(f"| {LABELS[method]} | {values} |")
    reps = ", ".join(str(c["repetitions"]) for c in table["transferred"])
    lines += [
        "",
        f"Test MAPE % on {result.test_rows} held-out {result.destination} rows (mean ± std over "
        f"the repetitions: {reps}); subsets drawn from the other {result.pool_rows} rows.",
    ]
    return "\n".join(lines)


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
