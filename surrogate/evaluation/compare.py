"""Is one method better than another over the same random splits? A paired test, in words.

Repeated random train/test splits share most of their training rows, so the per-split errors
are correlated and a plain paired t-test is over-confident. The corrected resampled t-test of
Nadeau and Bengio (2003, Machine Learning 52:239) inflates the variance of the mean
difference by ``n_test / n_train``:

    t = mean(d) / sqrt((1 / J + n_test / n_train) var(d)),   J - 1 degrees of freedom,

with ``d`` the per-split differences. A method "beats" another only when that test rejects
equality at the chosen level; otherwise they "tie".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEST_NAME = "corrected resampled t-test (Nadeau and Bengio 2003)"


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing method ``a`` with method ``b`` on a lower-is-better error.

    Attributes
    ----------
    outcome : {"beats", "ties", "loses", "untested"}
        ``a``'s outcome against ``b``; "untested" with fewer than two splits.
    difference : float
        Mean of ``a - b`` over the splits (negative: ``a`` is better).
    p_value : float
        Two-sided; nan when untested.
    splits : int
    """

    outcome: str
    difference: float
    p_value: float
    splits: int

    def phrase(self) -> str:
        """``"beats"``, ``"ties with"``, ``"loses to"`` or ``"cannot be compared with"``."""
        return {
            "beats": "beats",
            "ties": "ties with",
            "loses": "loses to",
            "untested": "cannot be compared with",
        }[self.outcome]

    def evidence(self) -> str:
        """The numbers behind the verdict, for a report."""
        if self.outcome == "untested":
            return f"{self.splits} split: a paired test needs at least 2"
        return f"mean difference {self.difference:+.3g}, p = {self.p_value:.3g}, {TEST_NAME}"


def compare(a, b, *, n_train: int, n_test: int, alpha: float = 0.05) -> Verdict:
    """Compare per-split errors ``a`` and ``b`` (same splits, lower is better).

    Parameters
    ----------
    a, b : sequence of float
        One error per split, in the same split order.
    n_train, n_test : int
        Rows used for training and for testing in each split.
    alpha : float
        Two-sided level.
    """
    from scipy import stats

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"need two equal-length lists of per-split errors, got {a.shape}, {b.shape}"
        )
    if n_train < 1 or n_test < 1:
        raise ValueError(f"n_train={n_train} and n_test={n_test} must be at least 1")
    d = a - b
    splits = len(d)
    mean = float(d.mean()) if splits else float("nan")
    if splits < 2:
        return Verdict("untested", mean, float("nan"), splits)
    variance = float(d.var(ddof=1))
    if variance == 0.0:
        # Every split moved the same way by the same amount: certain, unless it is zero.
        p = 1.0 if mean == 0.0 else 0.0
    else:
        t = mean / np.sqrt((1.0 / splits + n_test / n_train) * variance)
        p = float(2.0 * stats.t.sf(abs(t), df=splits - 1))
    if p >= alpha:
        outcome = "ties"
    else:
        outcome = "beats" if mean < 0 else "loses"
    return Verdict(outcome, mean, p, splits)
