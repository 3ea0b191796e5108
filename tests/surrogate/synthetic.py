"""Synthetic data of the surrogate's tests: a source and target table with a known shift
between them, and a sweep dataset file of a known tortuosity law."""

import numpy as np
import pandas as pd

from generator.sweep.dataset import write_dataset
from generator.sweep.design import make_design
from surrogate.data.frame import from_frame


def shifted_pair(n_source=240, n_target=30, seed=0):
    """Source y = f(x); target y = g(f(x)) with a known monotone shift g."""
    rng = np.random.default_rng(seed)

    def f(x):
        return (
            1.03 + 0.06 * x[:, 1] ** 2 + 0.02 * x[:, 2] - 0.015 * x[:, 0] + 0.01 * x[:, 3] * x[:, 4]
        )

    xs = rng.uniform(0, 1, (n_source, 5))
    xt = rng.uniform(0, 1, (n_target, 5))
    ys = f(xs)
    yt = 1.02 + 1.6 * (f(xt) - 1.03)  # stretched and shifted: what an adapter can learn
    names = ["a", "b", "c", "d", "e"]
    source = from_frame("source", pd.DataFrame(xs, columns=names).assign(t=ys), names, ["t"])
    target = from_frame("target", pd.DataFrame(xt, columns=names).assign(t=yt), names, ["t"])
    return source, target


def synthetic_dataset_file(path, n, seed, shift):
    """A sweep dataset of n design rows whose tau depends on the fibre and binder fractions,
    plus `shift`."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in make_design(n, domain="200", seed=seed).to_dict("records"):
        b = (r["fiber_fraction"] - 0.1) / 0.15
        tau = 1.03 + 0.05 * b**2 + 0.2 * (r["binder_fraction"] - 0.05) + shift
        rows.append(
            dict(
                r,
                id=f"{seed}-{r['index']}",
                status="ok",
                error="",
                tau_euclidean=tau + rng.normal(0, 1e-3),
                tau_lattice=tau * 1.03,
            )
        )
    # The explicit flag is what reports go by (the word in "design" is not).
    write_dataset(path, rows, {"design": "synthetic test table", "synthetic": True})
