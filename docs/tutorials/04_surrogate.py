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
# # Pretrain, transfer, predict, explain
#
# The surrogate learns a property from the five manufacturing parameters. It is pretrained on
# many cheap samples (the `200` domain, `gdl200`: 240 rows shipped with the project), then
# transferred to a few expensive ones (the `1000` domain, `gdl1000`: 78 rows) by freezing the
# pretrained net and training a 10-parameter adapter on its output. Each step writes a run
# folder, as the `surrogate` command does; the functions here are what the commands call.
#
# The nets train here for 30 epochs with one restart, over 2 random splits, with an ensemble of
# 3: seconds instead of minutes, and numbers that are rougher than the defaults' (250 epochs,
# 3 restarts, 5 splits, 10 members).

# %%
# %matplotlib inline
import os
import tempfile
import warnings

import numba
import pandas as pd
from IPython.display import Image, Markdown

from surrogate.evaluation import (
    explain_run,
    load_one,
    load_sides,
    predict_run,
    pretrain_run,
    transfer_run,
)

warnings.filterwarnings("ignore", message="IProgress not found")  # shap's notebook progress bar
# shap compiles its helpers with numba in every new process (about 8 s of CPU); for a few
# hundred rows and a handful of inputs plain Python is quicker. Drop this line for big tables.
numba.config.DISABLE_JIT = True
FAST = dict(epochs=30, restarts=1)
scratch = tempfile.TemporaryDirectory(prefix="gdl-tutorial-")  # removed when the kernel stops
os.chdir(scratch.name)  # in practice, work in your own folder

# %% [markdown]
# ## The tables
#
# `load_one` takes a shipped dataset's name (or a path to a sweep dataset or a table) and
# returns it with the target to learn: for the GDL datasets, `tortuosity` is the geometric
# `tau` by the `euclidean` metric (`tortuosity_lattice` the other).

# %%
source, target = load_one("gdl200")
print(source.name, len(source), "rows; target", target, f"({source.units[target]})")
source.inputs.join(source.targets[target]).describe().loc[["mean", "min", "max"]].round(3)

# %% [markdown]
# ## Pretrain
#
# The paper's net: 3 hidden layers of 3 ReLU nodes (46 trainable parameters), MAPE loss,
# Adam; 70/30 split with 10 % of the training rows for validation.

# %%
pretrained = pretrain_run(source, target, **FAST)
print(*pretrained.lines)

# %% [markdown]
# ## Transfer
#
# Giving the pretrain run as the source reuses its net as it is: only the adapter trains on
# `gdl1000`. Every method is fitted on the same training rows of each split and scored on the
# same test rows: the transferred net, the pretrained net as it is, the same MLP trained on
# the destination alone, fine-tuning, and simple baselines. The report says whether the
# transfer beats, ties with or loses to each, by a paired test over the splits.

# %%
sides = load_sides(pretrained.folder, "gdl1000")
transferred = transfer_run(sides, splits=2, members=3, **FAST)
Markdown(transferred.lines[0])

# %%
print(*transferred.lines[1:], sep="\n\n")

# %% [markdown]
# The run folder holds the nets, `metrics.json`, `report.md` and the figures. The parity plot
# shows each test row's prediction against its true value, with the ensemble's 90 % intervals:

# %%
print(sorted(path.name for path in transferred.folder.iterdir()))
Image(filename=transferred.folder / "parity.png", width=640)

# %% [markdown]
# ## Predict
#
# New recipes, one row each, with the ensemble's mean and 90 % interval. Inputs outside the
# range the net was trained on are refused (unless `allow_extrapolation=True`).

# %%
recipes = pd.DataFrame(
    {
        "fiber_diameter_um": [7.0, 9.0, 11.0],
        "fiber_fraction": [0.12, 0.18, 0.24],
        "binder_fraction": [0.06, 0.07, 0.09],
        "thickness_um": [290.0, 300.0, 310.0],
        "compression": [0.1, 0.2, 0.4],
    }
)
predictions = predict_run(transferred.folder, recipes)
print("model:", predictions.model)
pd.DataFrame(predictions.records).drop(columns=recipes.columns).round(4)

# %% [markdown]
# ## Explain
#
# Exact SHAP values of the transferred net: how much each input moves each prediction away
# from the average one. The explanations add up to the prediction (the additivity error is
# printed).

# %%
explained = explain_run(transferred.folder)
print(*explained.lines, sep="\n")
Image(filename=transferred.folder / "shap_transferred_beeswarm.png", width=640)

# %% [markdown]
# The same from the command line, with the defaults:
#
# ```bash
# surrogate pretrain gdl200
# surrogate transfer runs/<pretrain run> gdl1000
# surrogate predict runs/<transfer run> --set fiber_diameter_um=9 --set fiber_fraction=0.18 \
#     --set binder_fraction=0.07 --set thickness_um=300 --set compression=0.2
# surrogate explain runs/<transfer run>
# surrogate curve gdl200 gdl1000      # how many gdl1000 rows does the transfer save?
# ```
