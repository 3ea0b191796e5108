"""Names the library checks and the command line offers, defined once: the shipped datasets and
presets, the targets each offers, and the nets a run folder may hold.

This module imports nothing heavy (no numpy, pandas or torch), so ``surrogate --help`` builds
its help text from these very lists, and the modules that check a value
(:mod:`surrogate.data.registry`, :mod:`surrogate.data.electrodes`,
:mod:`surrogate.evaluation.rundir`, :mod:`surrogate.active.state`) check it against them.
"""

from __future__ import annotations

# The shipped GDL sweep datasets (``data/<name>.h5``) and the targets they offer: the two
# domains at 1 um, then the 200 domain's designs again at 4 and 2 um (the resolution ladder's
# cheap rungs, paired with gdl200 on ``id``).
GDL_DATASETS = ("gdl200", "gdl1000", "gdl200_4um", "gdl200_2um")
# Geometric tortuosity by both path metrics (every sweep has them; the active loop simulates
# them), then the diffusive columns a sweep with ``--properties ...,diffusive`` adds.
GDL_GEOMETRIC_TARGETS = ("tortuosity", "tortuosity_lattice")
GDL_DIFFUSIVE_TARGETS = ("tau_diffusive", "effective_diffusivity")
GDL_TARGET_NAMES = (*GDL_GEOMETRIC_TARGETS, *GDL_DIFFUSIVE_TARGETS)
# The electrode presets: dataset name -> chemistry, and target name -> canonical column.
ELECTRODE_PRESETS = {"graphite": "graphite", "sigra": "si-graphite", "nmc": "nmc"}
ELECTRODE_TARGETS = {"density": "density_g_cm3", "mass_loading": "mass_loading_mg_cm2"}
# Nets a run folder may hold, in the order a command takes the first one present.
PREDICT_KINDS = ("transferred_ensemble", "transferred", "pretrained")
EXPLAIN_KINDS = ("transferred", "pretrained")


def or_list(names) -> str:
    """``a, b or c``: the names as help text and messages list choices.

    Examples
    --------
    >>> from surrogate._shared import or_list
    >>> or_list(["transferred", "pretrained"]), or_list(["a", "b", "c"]), or_list(["a"])
    ('transferred or pretrained', 'a, b or c', 'a')
    """
    names = [str(name) for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
