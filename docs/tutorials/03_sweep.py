# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A small sweep
#
# A sweep turns the generator into a dataset: a space-filling design over the five
# parameters, one sample per design point, its properties measured, everything written to one
# file with a table. The paper's datasets are 240 samples of the `200` domain and 78 of the
# `1000` domain at 1 µm voxels (an hour or more on a laptop; hours more on a cluster). Here:
# three samples at 8 µm voxels, run in this process, in seconds.

# %%
# %matplotlib inline
import os
import tempfile
from pathlib import Path

from IPython.display import display
from matplotlib.figure import Figure

from generator import open_dataset
from generator.sweep import InProcessExecutor, PlanOptions, run_sweep

scratch = tempfile.TemporaryDirectory(prefix="gdl-tutorial-")  # removed when the kernel stops
os.chdir(scratch.name)  # in practice, work in your own folder

# %% [markdown]
# ## The plan
#
# `PlanOptions` takes the options as the command line does (ranges as `"LOW,HIGH"` text).
# A voxel coarser than a sample's fibres cannot draw them, and the plan refuses such samples
# before anything runs: at 8 µm we keep the fibre diameter in 9–12 µm. Besides the geometric
# tortuosity (`geodesic`, always), each sample gets the diffusive tortuosity factor and the
# pore diameters. A plan reads and writes nothing.

# %%
options = PlanOptions(
    domain="200",
    n=3,
    voxel_um=8.0,
    seed=0,
    ranges={"fiber_diameter_um": "9,12"},
    properties="geodesic,diffusive,psd",
    out=Path("tiny200.h5"),
)
plan = options.plan()
print(plan.n, "samples, refused by the guards:", len(plan.refusals()))
plan.design_table.round(3)

# %% [markdown]
# ## Run it
#
# `InProcessExecutor` runs the samples here, one after another. The command line's default is
# a local Dask cluster sized to the cores and memory; `DaskExecutor(scheduler=...)` or
# `DaskExecutor(cluster="slurm", ...)` send the same tasks to a running Dask scheduler or to
# batch jobs. Each sample is written to its own file, then the dataset is consolidated.

# %%
summary = run_sweep(plan, executor=InProcessExecutor())
print(f"ran {summary.ran}, failed {len(summary.failed)}, refused {len(summary.refused)}")
assert summary.ran == 3 and not summary.failed

# %% [markdown]
# ## The dataset
#
# One row per sample: the parameters, the seed, measured fractions, every property, timings
# and provenance; units come with it.

# %%
data = open_dataset(plan.out)
columns = [
    "fiber_diameter_um",
    "fiber_fraction",
    "compression",
    "tau_euclidean",
    "tau_lattice",
    "tau_diffusive",
    "effective_diffusivity",
    "pore_d50_um",
]
data.table[columns].round(4)

# %%
print(
    {
        name: data.units[name]
        for name in ("fiber_diameter_um", "tau_euclidean", "effective_diffusivity", "pore_d50_um")
    }
)

# %% [markdown]
# Every sample sits inside the ranges asked for, and the dataset has one row per design point:

# %%
table = data.table
assert len(table) == 3 and table["fiber_diameter_um"].between(9, 12).all()
assert (table["tau_lattice"] >= table["tau_euclidean"]).all()  # the lattice lengthens paths

# %% [markdown]
# ## Resume
#
# Running the same plan again trusts the finished samples (their checksum, model version and
# row are verified) and runs nothing: a killed sweep resumes with the same command.

# %%
again = run_sweep(plan, executor=InProcessExecutor())
print(f"ran {again.ran}, already done {again.skipped}")
assert again.ran == 0

# %% [markdown]
# ## A first look
#
# With three samples this is no study, but the shape of one: the diffusive factor against the
# geometric tortuosity.

# %%
fig = Figure(figsize=(5, 3.2), layout="constrained")
ax = fig.add_subplot()
ax.scatter(table["tau_euclidean"], table["tau_diffusive"], c=table["compression"])
for _, row in table.iterrows():
    ax.annotate(
        f"c = {row['compression']:.2f}",
        (row["tau_euclidean"], row["tau_diffusive"]),
        textcoords="offset points",
        xytext=(5, 5),
        fontsize=8,
    )
ax.margins(0.2)  # room for the labels
ax.set_xlabel("geometric tau (euclidean)")
ax.set_ylabel("tau_diffusive")
display(fig)

# %% [markdown]
# The same from the command line, and on a cluster:
#
# ```bash
# python -m generator sweep --domain 200 --n 3 --voxel-um 8 --fiber-diameter-range 9,12 \
#     --properties geodesic,diffusive,psd --out tiny200.h5 --dry-run   # the plan, nothing run
# python -m generator sweep --domain 200 --n 3 --voxel-um 8 --fiber-diameter-range 9,12 \
#     --properties geodesic,diffusive,psd --out tiny200.h5 --workers 1  # a local Dask worker
# python -m generator sweep --domain 1000 --cluster slurm --jobs 10 --cores 2 --memory 4GB
# ```
