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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from surrogate.active.rules import (
    choose_by_disagreement,
    choose_space_filling,
    disagreement_percent,
    fit_ensemble,
    unit_cube,
)

STRATEGIES = ("disagreement", "random", "space_filling")


@dataclass
class ReplayResult:
    """Test MAPE (%) per strategy, budget and repetition, and the all-pool reference."""

    sizes: list
    mape: dict = field(default_factory=dict)  # strategy -> [[per repetition] per size]
    all_pool_mape: list = field(default_factory=list)  # per repetition
    test_rows: int = 0
    pool_rows: int = 0

    def mean(self, strategy: str) -> np.ndarray:
        return np.array([np.mean(v) for v in self.mape[strategy]])

    def samples_to_reach(self, strategy: str, level: float) -> int | None:
        """The smallest budget whose mean test MAPE is at most ``level`` (None if none)."""
        for size, value in zip(self.sizes, self.mean(strategy), strict=True):
            if value <= level:
                return size
        return None

    def paired(self, strategy: str, other: str) -> list[dict]:
        """Per budget: mean difference of test MAPE (strategy - other) over the repetitions,
        and the two-sided p-value of the paired t-test (the repetitions share initial samples
        and test rows)."""
        from scipy.stats import ttest_rel

        rows = []
        for k, size in enumerate(self.sizes):
            a, b = np.array(self.mape[strategy][k]), np.array(self.mape[other][k])
            p = float(ttest_rel(a, b).pvalue) if len(a) > 1 and np.any(a != b) else 1.0
            rows.append({"samples": size, "difference": float(np.mean(a - b)), "p": p})
        return rows


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
    """
    from generator import ProgressCounter

    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
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
    result = ReplayResult(sizes, {s: [[] for _ in sizes] for s in STRATEGIES})
    result.test_rows, result.pool_rows = len(test), len(pool)
    counter = ProgressCounter(repetitions * len(STRATEGIES) if progress else 0, "replay", "runs")

    def test_mape(rows, fit_seed):
        ensemble = fit_ensemble(
            pretrained, x[rows], y[rows], members=members, level=0.9, epochs=epochs,
            seed=fit_seed,
        )  # fmt: skip
        error = np.abs(ensemble.predict(x[test]) - y[test]) / np.abs(y[test])
        return ensemble, 100.0 * float(np.mean(error))

    for repetition in range(repetitions):
        rng = np.random.default_rng(seed * 1000 + repetition)
        start = list(rng.choice(pool, initial, replace=False))
        _, reference = test_mape(pool, seed * 1000 + repetition)
        result.all_pool_mape.append(reference)
        for strategy in STRATEGIES:
            chosen = list(start)
            pick_rng = np.random.default_rng(seed * 1000 + repetition + 7)
            for k, size in enumerate(sizes):
                # The same fit seed at the same size for every strategy: only the rows differ.
                ensemble, score = test_mape(np.array(chosen), seed * 10_000 + repetition * 100 + k)
                result.mape[strategy][k].append(score)
                if k + 1 == len(sizes):
                    break
                left = np.setdiff1d(pool, chosen)
                step = sizes[k + 1] - size
                if strategy == "disagreement":
                    picks = choose_by_disagreement(
                        disagreement_percent(ensemble, x[left]), unit[left], unit[chosen], step
                    )
                elif strategy == "random":
                    picks = pick_rng.choice(len(left), step, replace=False)
                else:
                    picks = choose_space_filling(unit[left], unit[chosen], step)
                chosen += [int(left[p]) for p in picks]
            counter.step()
    counter.close()
    return result


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
    better = [t for t in tests if t["difference"] < 0 and t["significant"]]
    worse = [t for t in tests if t["difference"] > 0 and t["significant"]]
    if better and worse:
        verdict = "mixed"
    elif better:
        verdict = f"lower at {len(better)} of {len(tests)} budgets"
    elif worse:
        verdict = f"higher at {len(worse)} of {len(tests)} budgets"
    else:
        verdict = "not different at any budget"
    return tests, verdict


def replay_markdown(result: ReplayResult, destination: str) -> str:
    """Table of mean ± std test MAPE per strategy and budget, the paired tests, the sentence."""
    head = "| strategy | " + " | ".join(f"{n} samples" for n in result.sizes) + " |"
    lines = [head, "|---|" + "---|" * len(result.sizes)]
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
    for other in ("random", "space_filling"):
        tests, verdict = compare_strategies(result, other)
        detail = "; ".join(
            f"{t['samples']}: {t['difference']:+.3f} (p = {t['p']:.2g})" for t in tests
        )
        lines.append(
            f"- Disagreement vs {other.replace('_', '-')}: test MAPE difference by budget "
            f"(paired t-test over the repetitions, Holm-corrected over the budgets, 5 %): "
            f"{detail}; the error of choosing is **{verdict}**."
        )
    parts = []
    for strategy in STRATEGIES:
        n = result.samples_to_reach(strategy, level * 1.05)
        name = strategy.replace("_", "-")
        parts.append(f"{name} {n}" if n is not None else f"{name} not within {result.sizes[-1]}")
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
