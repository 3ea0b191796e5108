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
        """ "To reach X % MAPE, transfer needs N destination rows, training from scratch M"
        (or that it never does within the sizes tried). ``level`` defaults to the transferred
        net's mean MAPE with every pool row."""
        if level is None:
            level = float(np.mean(self.mape["transferred"][-1]))
        parts = []
        for method, words in (("transferred", "transfer"), ("scratch", "training from scratch")):
            rows = self.rows_to_reach(method, level)
            parts.append(
                f"{words} needs {rows} {self.destination} rows"
                if rows is not None
                else f"{words} does not reach it with up to {self.sizes[-1]} rows"
            )
        return f"To reach {level:.3g} % MAPE, " + ", ".join(parts) + "."


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
    from surrogate.evaluation.report import LABELS

    table = result.table()
    head = "| method | " + " | ".join(f"{n} rows" for n in result.sizes) + " |"
    lines = [head, "|---|" + "---|" * len(result.sizes)]
    for method, cells in table.items():
        values = " | ".join(f"{c['mean']:.3g} ± {c['std']:.2g}" for c in cells)
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
