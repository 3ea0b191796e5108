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
# # A sample and its picture
#
# One gas-diffusion-layer sample from the five manufacturing parameters: straight carbon
# fibres placed nearly in-plane, PTFE binder where fibres cross, then compression through the
# thickness. We make it, look at it, check what was asked for against what was made, and
# write it to the HDF5 file the command line writes.
#
# The paper's voxels are 1 µm, and a `200` sample (2000 × 200 µm) is then 1.2e8 voxels: a
# few tens of seconds. Here 8 µm voxels keep it to about 19 000 voxels and well under a
# second, with the same physical domain; change `VOXEL_UM` to 1 for the real thing.

# %%
# %matplotlib inline
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display

from generator import PARAMETER_RANGES, generate, read_sample
from generator.structure import phase_fractions, phase_profile
from generator.viz import sample_figure

VOXEL_UM = 8.0
scratch = tempfile.TemporaryDirectory(prefix="gdl-tutorial-")  # removed when the kernel stops
os.chdir(scratch.name)  # in practice, work in your own folder

# %% [markdown]
# ## The parameters and their ranges
#
# The five parameters and the ranges of the paper; a value outside is refused with a message
# that names it and the range.

# %%
pd.DataFrame(PARAMETER_RANGES, index=["low", "high", "unit", "meaning"]).transpose()

# %%
try:
    generate(fiber_fraction=0.3)
except ValueError as err:
    print(err)

# %% [markdown]
# ## Generate
#
# Same parameters and seed, same volume, bit for bit, whatever the number of threads.

# %%
sample = generate(
    domain="200",
    fiber_diameter_um=9,
    fiber_fraction=0.18,
    binder_fraction=0.07,
    thickness_um=300,
    compression=0.2,
    seed=1,
    voxel_um=VOXEL_UM,
)
print(sample.volume.shape, sample.volume.dtype)  # (z, y, x): through-plane first

# %% [markdown]
# The volume holds labels 0 pore, 1 fibre, 2 binder; axis 0 is the through-plane axis `z`.
# Compression takes the thickness from 300 µm to `(1 - 0.2) × 300 = 240` µm: 30 slices of
# 8 µm.

# %%
nz, ny, nx = sample.volume.shape
assert nz == round(0.8 * round(300 / VOXEL_UM))
assert (ny, nx) == (round(200 / VOXEL_UM), round(2000 / VOXEL_UM))

# %% [markdown]
# ## What was asked for, and what was made
#
# Fibre and binder fractions are targets for the uncompressed box (each met within 0.005);
# compression keeps the solid and removes pore, so after it the solid shares are higher.

# %%
before = sample.fractions["before_compression"]
after = phase_fractions(sample.volume)
print("before compression:", {k: round(v, 3) for k, v in before.items()})
print("after compression: ", {k: round(v, 3) for k, v in after.items()})
assert abs(before["fibre"] - 0.18) <= 0.005 and abs(before["binder"] - 0.07) <= 0.005

# %% [markdown]
# The fibres are stored as they were placed (centre, direction, radius, length, in µm, before
# compression). Their length-weighted orientation tensor is nearly in-plane: the paper's
# diagonal is (0.4966, 0.4966, 0.0068).

# %%
print(len(sample.fibres.radius), "fibres")
print(np.round(np.diag(sample.orientation_tensor), 3))

# %% [markdown]
# ## The picture
#
# Three mid-plane slices coloured by phase and the through-plane phase profile. The figure is
# a plain `matplotlib.figure.Figure`: save it with `fig.savefig(...)`, or let the notebook
# show it.

# %%
fig = sample_figure(sample)
display(fig)

# %% [markdown]
# The profile, by hand: the share of each phase in every z slice.

# %%
profile = phase_profile(sample.volume)  # voxel counts, one row per slice
shares = profile / profile.sum(axis=1, keepdims=True)
print("pore share, first / middle / last slice:", np.round(shares[[0, nz // 2, -1], 0], 3))

# %% [markdown]
# ## The file
#
# `to_hdf5` writes the volume (compressed), the fibres, the parameters, the seed, the voxel
# size, the fractions and the provenance; `read_sample` reads it back.

# %%
path = Path("sample.h5")
sample.to_hdf5(path)
again = read_sample(path)
assert np.array_equal(again.volume, sample.volume)
print(path.name, f"{path.stat().st_size / 1024:.0f} KiB;", again.parameters)

# %% [markdown]
# The same from the command line (`python -m generator --help` lists the commands):
#
# ```bash
# python -m generator sample --domain 200 --voxel-um 8 --seed 1 --out sample.h5
# python -m generator show sample.h5 --out sample.png
# python -m generator export sample.h5 --format tiff   # for ImageJ/Fiji, Avizo, GeoDict
# ```
