"""The numbers this project compares with, from the paper it grew from, defined once.

Fernández et al. (2025), transfer learning for electrochemical-cell manufacturing (npj Advanced
Manufacturing); see ``shared/paper`` for the text. Every table, report and README figure that
quotes the paper imports it from here.
"""

from __future__ import annotations

# Samples per GDL dataset (Methods).
SAMPLE_COUNTS = {"200": 240, "1000": 78}

# GDL geometric tortuosity through the thickness (GeoDict, 1 um voxels): mean, min, max.
TAU = {
    "gdl200": {"mean": 1.07, "min": 1.03, "max": 1.17},
    "gdl1000": {"mean": 1.09, "min": 1.08, "max": 1.17},
}

# Table 2: GDL tortuosity, test MAPE in %.
TABLE_2_MAPE = {"pretrained_on_source": 2.1, "pretrained_on_target": 2.6, "transferred": 2.0}

# Table 1: electrodes, test MAPE in %: (pretrained on graphite, pretrained on the target,
# transferred), per (target chemistry, property).
TABLE_1_MAPE = {
    ("sigra", "density"): (4.5, 78.8, 14.5),
    ("nmc", "density"): (4.5, 56.1, 8.1),
    ("sigra", "mass_loading"): (13.9, 45.0, 3.7),
    ("nmc", "mass_loading"): (13.9, 70.8, 10.6),
}

# Fig. S12: the GDL inputs by decreasing mean |SHAP| (same order for both nets).
GDL_FEATURE_ORDER = (
    "thickness_um",
    "fiber_fraction",
    "binder_fraction",
    "fiber_diameter_um",
    "compression",
)


def tau_sentence() -> str:
    """The paper's GDL tortuosities as one sentence of prose."""
    small, large = TAU["gdl200"], TAU["gdl1000"]
    return (
        f"The paper (GeoDict, 1 um voxels): gdl200 mean {small['mean']:.2f} "
        f"({small['min']:.2f}-{small['max']:.2f}), gdl1000 mean {large['mean']:.2f} "
        f"({large['min']:.2f}-{large['max']:.2f})."
    )
