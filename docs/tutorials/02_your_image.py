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
# # Tortuosity of your own image
#
# Any segmented 3D image works: a CT stack from Fiji, Avizo or GeoDict, a PoreSpy or PuMA
# array, a generator sample. Here we make one up (smoothed noise, thresholded: a porous
# solid with a 60 % pore share), save it as the 8-bit TIFF stack Fiji writes (pore 0, solid
# 255), read it back and measure the three properties of its pore space along `z`: the
# geometric tortuosity (`tau`, `tau_volume`), the diffusive tortuosity factor with the
# effective diffusivity, and the pore diameters. Their definitions are on the
# [Concepts](../concepts.md) page.

# %%
# %matplotlib inline
import os
import tempfile

import numpy as np
import tifffile
from scipy import ndimage

from generator import diffusive_tortuosity, geometric_tortuosity
from generator.tortuosity import pore_size_distribution, read_image
from generator.viz import tortuosity_figure

scratch = tempfile.TemporaryDirectory(prefix="gdl-tutorial-")  # removed when the kernel stops
os.chdir(scratch.name)  # in practice, work in your own folder

# %% [markdown]
# ## An image, as a scanner's software saves it
#
# 48 slices of 64 × 64 voxels of 2 µm. Replace this cell with your own file.

# %%
VOXEL_UM = 2.0
rng = np.random.default_rng(7)
field = ndimage.gaussian_filter(rng.standard_normal((48, 64, 64)), sigma=3)
solid = field > np.quantile(field, 0.6)
tifffile.imwrite("scan.tif", np.where(solid, 255, 0).astype(np.uint8))

# %% [markdown]
# ## Read it, and say which voxels are pore
#
# A TIFF stack records neither the voxel size nor which label is pore, and tools disagree
# (PuMA, GeoDict and ImageJ masks mark pore 0; PoreSpy marks it 1), so nothing is guessed: a
# two-valued image without `pore_label` is refused, with the porosity each choice would give.

# %%
image = read_image("scan.tif")
print(
    image.array.shape,
    image.array.dtype,
    "voxel size:",
    image.voxel_um,
    "pore label:",
    image.pore_label,
)
try:
    geometric_tortuosity(image.array, voxel_um=VOXEL_UM)
except ValueError as err:
    print(err)

# %% [markdown]
# ## First, an answer we know
#
# Before trusting a number on an unknown structure, check the tool where the answer is known:
# straight paths through an open block give `tau` = 1, and a channel of single voxels at 45°
# gives √2.

# %%
print(geometric_tortuosity(np.ones((4, 3, 3), dtype=bool)).tau)
channel = np.zeros((5, 1, 5), dtype=bool)
channel[np.arange(5), 0, np.arange(5)] = True
print(round(geometric_tortuosity(channel).tau, 4), "vs", round(np.sqrt(2), 4))

# %% [markdown]
# ## Geometric tortuosity
#
# The default metric, `euclidean`, is within about 1 % of exact straight paths in any
# direction; `lattice` is the 26-connected voxel graph (what Dijkstra-based tools compute),
# which lengthens oblique paths by up to 8 % in a plane and 12 % in 3D.

# %%
results = {
    metric: geometric_tortuosity(image.array, pore_label=0, voxel_um=VOXEL_UM, metric=metric)
    for metric in ("euclidean", "lattice")
}
for metric, result in results.items():
    print(
        f"{metric:9s} tau {result.tau:.4f}  tau_volume {result.tau_volume:.4f}  "
        f"percolating {result.percolating_fraction:.3f} of the pore"
    )

# %% [markdown]
# The porosity is the pore share of the image, here by hand:

# %%
result = results["euclidean"]
assert result.porosity == np.count_nonzero(image.array == 0) / image.array.size
print(
    f"porosity {result.porosity:.3f}, straight distance L = {result.length_um} µm "
    f"(between the centres of the first and last slices)"
)

# %% [markdown]
# The outlet-face map of path lengths and their distribution:

# %%
tortuosity_figure(result, title="scan.tif, euclidean")

# %% [markdown]
# ## Diffusive tortuosity factor and effective diffusivity
#
# Steady diffusion through the pore space, TauFactor's model and convention. The factor also
# counts how narrow and how few the paths are, so it is larger than the geometric `tau`.

# %%
diffusive = diffusive_tortuosity(image.array, pore_label=0, voxel_um=VOXEL_UM)
print(
    f"tau_diffusive {diffusive.tau_factor:.3f}, D_eff / D_bulk "
    f"{diffusive.effective_diffusivity:.4f}, converged {diffusive.converged} "
    f"in {diffusive.iterations} iterations"
)
# The convention, checked by hand: tau_diffusive = porosity * D_bulk / D_eff.
assert np.isclose(diffusive.tau_factor, diffusive.porosity / diffusive.effective_diffusivity)

# %% [markdown]
# ## Pore diameters by local thickness
#
# Each pore voxel gets the diameter of the largest ball that fits in the pore and contains it;
# `d10`, `d50` and `d90` are volume-weighted percentiles over the pore voxels.

# %%
sizes = pore_size_distribution(image.array, pore_label=0, voxel_um=VOXEL_UM, return_map=True)
print(
    f"d10 {sizes.d10:.1f} µm, d50 {sizes.d50:.1f} µm, d90 {sizes.d90:.1f} µm, "
    f"max {sizes.max:.1f} µm"
)
# d50 by hand: the smallest diameter that holds at least half of the pore voxels.
diameters = sizes.thickness[image.array == 0]
assert sizes.d50 == np.quantile(diameters, 0.5, method="inverted_cdf")

# %% [markdown]
# The same from the command line (JSON on standard output):
#
# ```bash
# python -m generator tortuosity scan.tif --voxel-um 2 --pore-label 0
# python -m generator tortuosity scan.tif --voxel-um 2 --pore-label 0 --metric lattice
# python -m generator tortuosity scan.tif --voxel-um 2 --pore-label 0 --method diffusive
# ```
