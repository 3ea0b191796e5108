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
# # A lab's own table
#
# The surrogates take any table with one row per experiment: CSV as any locale's Excel saves
# it, `.xlsx`, Parquet. `data/examples/coating_trials.csv` is such a table of electrode
# coating trials, saved as a German-locale Excel would (semicolons, decimal commas, units in
# the header). Its rows are synthetic, and its first lines say so. We read it, name the
# inputs and the target, let the checks speak, and ask whether a net trained on the graphite
# trials transfers to the NMC ones.

# %%
import json
import os
import shutil
import tempfile
import warnings

import numba
import pandas as pd
from IPython.display import Markdown

from generator.sweep import SHIPPED_DATA
from surrogate.data.tables import TableError, TableSpec, read_table, table_dataset
from surrogate.evaluation import load_sides, predict_run, transfer_run

scratch = tempfile.TemporaryDirectory(prefix="gdl-tutorial-")  # removed when the kernel stops
os.chdir(scratch.name)  # in practice, work in your own folder
TABLE = "coating_trials.csv"  # the lab's file: here a copy of the one the project ships
shutil.copy(SHIPPED_DATA / "examples" / TABLE, TABLE)
warnings.filterwarnings("ignore", message="IProgress not found")  # shap's notebook progress bar
# shap compiles its helpers with numba in every new process (about 8 s of CPU); for a few
# hundred rows and a handful of inputs plain Python is quicker. Drop this line for big tables.
numba.config.DISABLE_JIT = True

# %% [markdown]
# ## Read it
#
# The separator, the decimal comma, the encoding and the `#` comment lines are found from the
# file; the leading `# key: value` lines are its metadata. Column names stay as typed.

# %%
table = read_table(TABLE)
print(table.metadata)
table.frame.head()

# %% [markdown]
# ## Name the inputs and the target
#
# A `TableSpec` (or a YAML file with the same keys, `--spec` on the command line) names the
# columns as typed in the header, bounds, and a row filter in a small grammar that is never
# run as code. Every problem of the table is listed at once, with its row (counted from 1, the
# row under the header, as a spreadsheet shows it) and column. Here a bound that the trials
# break on purpose:

# %%
inputs = ["Active Material [%]", "Solid Content [%]", "Comma Gap [µm]", "Calender Gap [µm]"]
target = "Mass Loading [mg/cm²]"
strict = TableSpec(
    inputs=inputs,
    target=target,
    bounds={"Comma Gap [µm]": [0, 250]},
    where="Chemistry == 'Graphite'",
)
try:
    table_dataset(TABLE, strict)
except TableError as err:
    print(str(err)[:600])

# %% [markdown]
# Without that bound the graphite rows are valid. The unit of the target comes from its
# header (`[mg/cm²]`), so reports give errors in it.

# %%
spec = TableSpec(inputs=inputs, target=target, where="Chemistry == 'Graphite'")
graphite = table_dataset(TABLE, spec)
print(
    len(graphite),
    "graphite rows; target unit:",
    graphite.units[target],
    "; synthetic:",
    graphite.provenance["synthetic"],
)

# %% [markdown]
# ## Graphite to NMC
#
# Both sides come from the same file with different filters; they must have the same inputs.
# The transfer is evaluated against the methods that need no transfer at all (quick settings
# again: see the previous tutorial).

# %%
sides = load_sides(
    TABLE,
    TABLE,
    inputs=",".join(inputs),
    target=target,
    source_where="Chemistry == 'Graphite'",
    dest_where="Chemistry == 'NMC'",
)
run = transfer_run(sides, splits=2, members=3, epochs=30, restarts=1, hidden="3x3")
Markdown(run.lines[0])

# %% [markdown]
# Read the verdicts before using the net. The report (`report.md` in the run folder) compares
# the transferred net with the best baseline, the same net trained on the NMC rows alone and
# the pretrained net as it is, and warns when a baseline beats the transfer by more than the
# spread. On these trials the graphite net does not carry over to NMC, and a quadratic ridge
# regression on the NMC rows alone does far better: use it.

# %%
report = (run.folder / "report.md").read_text()
Markdown("\n".join(line for line in report.splitlines() if line.startswith("- The transferred")))

# %%
warned = json.loads((run.folder / "metrics.json").read_text())["warnings"]
print(*warned, sep="\n")
assert warned, "the text above says a baseline wins here: rewrite it if that changed"

# %% [markdown]
# The intervals say the same: the ensemble's members disagree widely on NMC.

# %%
print(run.lines[1])

# %% [markdown]
# ## Predict new recipes
#
# With the ensemble's mean and interval, for what it is worth here. Rows are named as the
# table counts them (from 1), and inputs outside the range the net was trained on are refused.

# %%
recipes = pd.DataFrame(
    {
        "Active Material [%]": [90.0, 94.0],
        "Solid Content [%]": [50.0, 60.0],
        "Comma Gap [µm]": [150.0, 300.0],
        "Calender Gap [µm]": [60.0, 120.0],
    }
)
pd.DataFrame(predict_run(run.folder, recipes).records).drop(columns=inputs).round(3)

# %%
graphite_like = recipes.assign(**{"Solid Content [%]": [35.0, 60.0]})
try:
    predict_run(run.folder, graphite_like)
except ValueError as err:
    print(err)

# %% [markdown]
# The same from the command line:
#
# ```bash
# T=data/examples/coating_trials.csv
# surrogate transfer $T $T --target "Mass Loading [mg/cm²]" \
#     --inputs "Active Material [%],Solid Content [%],Comma Gap [µm],Calender Gap [µm]" \
#     --source-where "Chemistry == 'Graphite'" --dest-where "Chemistry == 'NMC'"
# surrogate predict runs/<run> --csv new_recipes.csv
# ```
