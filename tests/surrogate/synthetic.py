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


# Per-row CPU seconds of the synthetic ladder: what a hand count of the hours goes by.
LADDER_CPU_S = {"cheap": {"generate": 2.0, "geodesic": 1.0}, "dear": {"generate": 30.0,
                "diffusive": 150.0}}  # fmt: skip
LADDER_LINE = (0.4, 2.5)  # tau_diffusive of the dear rows = a + b * tau_euclidean of the cheap


def ladder_files(folder, n=60, seed=3, cheap_rows=None):
    """A fidelity ladder of two sweep datasets with the same ids and designs: ``cheap.h5``
    (geometric tau, cheap CPU seconds) and ``dear.h5`` whose ``tau_diffusive`` is exactly
    ``a + b * tau_euclidean`` of the cheap row with the same id (:data:`LADDER_LINE`); its rows
    are written in another order, so a join must go by id. ``cheap_rows`` (default all) of
    the design rows are in the cheap file."""
    rng = np.random.default_rng(seed)
    a, b = LADDER_LINE
    cheap, dear = [], []
    for r in make_design(n, domain="200", seed=seed).to_dict("records"):
        f = (r["fiber_fraction"] - 0.1) / 0.15
        tau = 1.03 + 0.05 * f**2 + 0.2 * (r["binder_fraction"] - 0.05) + 0.01 * rng.random()
        base = dict(r, id=f"L{seed}-{r['index']}", status="ok", error="")
        cost = LADDER_CPU_S["cheap"]
        cheap.append(dict(base, tau_euclidean=tau, tau_lattice=1.03 * tau,
                          generate_cpu_s=cost["generate"], geodesic_cpu_s=cost["geodesic"],
                          generate_s=0.5, total_s=1.0))  # fmt: skip
        cost = LADDER_CPU_S["dear"]
        dear.append(dict(base, tau_euclidean=tau, tau_lattice=1.03 * tau,
                         tau_diffusive=a + b * tau, effective_diffusivity=0.7 / (a + b * tau),
                         diffusive_percolating_fraction=1.0, diffusive_iterations=10,
                         diffusive_residual=1e-8, diffusive_flux_balance=1e-9,
                         generate_cpu_s=cost["generate"], geodesic_cpu_s=1.0,
                         diffusive_cpu_s=cost["diffusive"], generate_s=9.0,
                         total_s=99.0))  # fmt: skip
    cheap = cheap[: cheap_rows or n]
    # The dear file lists its rows in another order, with other indices: only ids pair them.
    dear = [dict(row, index=k) for k, row in enumerate(dear[::-1])]
    meta = {"design": "synthetic ladder", "synthetic": True}
    write_dataset(folder / "cheap.h5", cheap, meta)
    write_dataset(folder / "dear.h5", dear, meta)
    return folder / "cheap.h5", folder / "dear.h5"
