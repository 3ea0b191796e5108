"""Make the SYNTHETIC electrode table shipped as ``data/electrodes_synthetic.csv``.

The paper's experimental electrode data are not public. This script makes a clearly labelled
synthetic stand-in with the paper's row counts (235 graphite, 53 Si-graphite, 63 NMC) and
parameter ranges (Results section), from a simple physical model of coating and calendering,
then "measures" each electrode the way the paper does (13 mm punches, masses and thicknesses,
equations 1 and 2) with instrument noise::

    python -m workflows.make_electrode_table [--out data/electrodes_synthetic.csv] [--seed 0]

Model, per electrode:

1. Slurry (eq. 3): solid content ``s = m_dry / (m_dry + m_solvent)``; solids are the active
   material (mass fraction ``f_AM`` of the solids), carbon black and binder (equal parts of the
   rest). Solids density ``rho_s = 1 / sum_i(w_i / rho_i)``; slurry density
   ``rho_slurry = 1 / (s / rho_s + (1 - s) / rho_solvent)``.
2. Coating: the wet film is a fraction of the comma gap that falls with coating speed,
   ``t_wet = gap * (0.62 - 0.08 * (v - 0.3))``; dry areal mass ``m_dry = rho_slurry t_wet s``.
3. Drying: the dry film has porosity ``eps_0`` (0.55 graphite and Si-graphite, 0.50 NMC),
   ``t_dry = m_dry / (rho_s (1 - eps_0))``.
4. Calendering: the roll gap includes the current collector (16 um Cu, 22 um Al); the coating
   is pressed to ``t_gap = roll_gap - t_cc`` but not below a porosity of 0.2, then springs back
   by 4 % (0.27 m/min) or 6 % (0.54 m/min, less dwell time) of the compression; a gap wider
   than the film leaves it as dried.
5. Measurement: a 13 mm punch of electrode plus collector is weighed (noise 0.05 mg) and its
   thickness measured (noise 1 um); the collector's own mass and thickness are subtracted, and
   equations 1 and 2 give the mass loading and the density.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from workflows._cli import run, workflow_app

app = workflow_app()
DEFAULT_OUT = Path("data/electrodes_synthetic.csv")

PUNCH_DIAMETER_CM = 1.3
DENSITIES = {  # g/cm3
    "graphite": 2.26,
    "silicon": 2.33,
    "nmc": 4.75,
    "carbon_black": 1.8,
    "cmc": 1.6,
    "pvdf": 1.78,
    "water": 1.0,
    "nmp": 1.03,
}
COLLECTOR = {  # thickness um, areal mass mg/cm2
    "graphite": (16.0, 14.3),
    "si-graphite": (16.0, 14.3),
    "nmc": (22.0, 5.94),
}
ROWS = {"graphite": 235, "si-graphite": 53, "nmc": 63}


def mass_loading_eq1(
    f_am, mass_electrode_and_collector_mg, mass_collector_mg, diameter_cm=PUNCH_DIAMETER_CM
):
    """Paper eq. 1: m_l (mg/cm2) = f_AM (m_el+cc - m_cc) 4 / (pi d^2)."""
    return (
        f_am
        * (mass_electrode_and_collector_mg - mass_collector_mg)
        * 4
        / (math.pi * diameter_cm**2)
    )


def density_eq2(
    mass_loading_mg_cm2, f_am, thickness_electrode_and_collector_cm, thickness_collector_cm
):
    """Paper eq. 2: rho (g/cm3) = m_l 0.001 / (f_AM (t_el+cc - t_cc))."""
    return (
        mass_loading_mg_cm2
        * 0.001
        / (f_am * (thickness_electrode_and_collector_cm - thickness_collector_cm))
    )


def solid_content_eq3(dry_mass, solvent_mass):
    """Paper eq. 3, as a percentage: dry mass / (dry mass + solvent mass) * 100."""
    return 100.0 * dry_mass / (dry_mass + solvent_mass)


def _inputs(chemistry: str, n: int, rng) -> pd.DataFrame:
    """Process inputs within the paper's ranges for one chemistry."""
    speed_choices = np.array([0.27, 0.54])
    if chemistry == "graphite":
        am = rng.uniform(91.0, 95.5, n)
        solid = rng.uniform(22.0, 42.0, n)
        coating = np.full(n, 0.3)
        gap = rng.uniform(100.0, 300.0, n)
        roll_gap = np.clip(rng.normal(70.0, 30.0, n), 1.0, 135.0)
    elif chemistry == "si-graphite":
        am = rng.uniform(8.0, 15.0, n)  # Si wt% (total active material fixed at 91 %)
        solid = rng.uniform(24.0, 32.0, n)
        coating = np.full(n, 0.3)
        gap = rng.uniform(100.0, 300.0, n)
        roll_gap = np.clip(rng.normal(58.0, 20.0, n), 15.0, 102.0)
    else:
        am = rng.uniform(85.0, 97.5, n)
        solid = rng.uniform(42.0, 66.0, n)
        coating = rng.uniform(0.2, 1.0, n)
        gap = rng.uniform(50.0, 400.0, n)
        roll_gap = np.clip(rng.normal(62.0, 35.0, n), 20.0, 206.0)
    return pd.DataFrame(
        {
            "chemistry": chemistry,
            "am_wt_percent": am.round(2),
            "solid_content_percent": solid.round(2),
            "coating_speed_m_min": coating.round(3),
            "comma_gap_um": gap.round(1),
            "roll_speed_m_min": rng.choice(speed_choices, n),
            "roll_gap_um": roll_gap.round(1),
        }
    )


def electrode(row: dict, rng) -> dict:
    """Model and 'measure' one electrode: its density (g/cm3) and mass loading (mg/cm2)."""
    chemistry = row["chemistry"]
    if chemistry == "si-graphite":
        f_am = 0.91
        si = row["am_wt_percent"] / 100.0
        am_density = 1 / (si / DENSITIES["silicon"] + (1 - si) / DENSITIES["graphite"])
    else:
        f_am = row["am_wt_percent"] / 100.0
        am_density = DENSITIES["nmc" if chemistry == "nmc" else "graphite"]
    binder, solvent = ("pvdf", "nmp") if chemistry == "nmc" else ("cmc", "water")
    rest = (1 - f_am) / 2
    rho_solids = 1 / (
        f_am / am_density + rest / DENSITIES["carbon_black"] + rest / DENSITIES[binder]
    )
    s = row["solid_content_percent"] / 100.0
    rho_slurry = 1 / (s / rho_solids + (1 - s) / DENSITIES[solvent])
    t_wet_cm = row["comma_gap_um"] * 1e-4 * (0.62 - 0.08 * (row["coating_speed_m_min"] - 0.3))
    m_dry = rho_slurry * t_wet_cm * s  # g/cm2
    porosity0 = 0.50 if chemistry == "nmc" else 0.55
    t_dry = m_dry / (rho_solids * (1 - porosity0))  # cm
    t_cc_um, m_cc_area = COLLECTOR[chemistry]
    t_min = m_dry / (rho_solids * (1 - 0.2))
    t_gap = max((row["roll_gap_um"] - t_cc_um) * 1e-4, t_min)
    if t_gap < t_dry:
        springback = 0.04 if row["roll_speed_m_min"] < 0.4 else 0.06
        t_final = t_gap + springback * (t_dry - t_gap)
    else:
        t_final = t_dry
    area = math.pi * PUNCH_DIAMETER_CM**2 / 4
    m_cc_mg = m_cc_area * area
    measured_mass = m_cc_mg + 1000 * m_dry * area + rng.normal(0, 0.05)
    measured_thickness_cm = (t_cc_um + t_final * 1e4 + rng.normal(0, 1.0)) * 1e-4
    loading = mass_loading_eq1(f_am, measured_mass, m_cc_mg)
    density = density_eq2(loading, f_am, measured_thickness_cm, t_cc_um * 1e-4)
    return {"density_g_cm3": round(density, 4), "mass_loading_mg_cm2": round(loading, 4)}


def make_table(seed: int = 0) -> pd.DataFrame:
    """The synthetic table: ROWS electrodes per chemistry."""
    rng = np.random.default_rng(seed)
    parts = []
    for chemistry, n in ROWS.items():
        inputs = _inputs(chemistry, n, rng)
        targets = pd.DataFrame([electrode(r, rng) for r in inputs.to_dict("records")])
        parts.append(pd.concat([inputs, targets], axis=1))
    return pd.concat(parts, ignore_index=True)


# The example of README's "Your own table": the lab's own column names, as a German-locale
# Excel would save them (semicolons, decimal commas, a byte-order mark).
EXAMPLE_COLUMNS = {
    "chemistry": "Chemistry",
    "am_wt_percent": "Active Material [%]",
    "solid_content_percent": "Solid Content [%]",
    "coating_speed_m_min": "Coating Speed [m/min]",
    "comma_gap_um": "Comma Gap [µm]",
    "roll_speed_m_min": "Calender Speed [m/min]",
    "roll_gap_um": "Calender Gap [µm]",
    "density_g_cm3": "Density [g/cm³]",
    "mass_loading_mg_cm2": "Mass Loading [mg/cm²]",
}
EXAMPLE_ROWS = {"graphite": 60, "nmc": 30}


def write_example_table(path: Path, seed: int = 1) -> pd.DataFrame:
    """``data/examples/coating_trials.csv``: rows of the synthetic model under a lab's own
    names and a European locale's CSV conventions; flagged synthetic in its header."""
    table = make_table(seed)
    rows = pd.concat(
        [table[table["chemistry"] == c].head(n) for c, n in EXAMPLE_ROWS.items()],
        ignore_index=True,
    ).rename(columns=EXAMPLE_COLUMNS)
    rows["Chemistry"] = rows["Chemistry"].str.upper().replace({"GRAPHITE": "Graphite"})
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        f.write(
            "# Example lab table for README 'Your own table': SYNTHETIC rows of "
            f"workflows/make_electrode_table.py (seed {seed}), NOT experimental data\n"
            "# synthetic: true\n"
        )
        rows.to_csv(f, index=False, sep=";", decimal=",")
    return rows


@app.command()
def make_electrode_table(
    out: Annotated[Path, typer.Option(help="Output CSV.")] = DEFAULT_OUT,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic model.")] = 0,
    example: Annotated[
        Path | None,
        typer.Option(
            help="Write the README's example lab table here instead "
            "(data/examples/coating_trials.csv)."
        ),
    ] = None,
) -> None:
    """Write the synthetic electrode table (or the README's example lab table)."""
    if example:
        rows = write_example_table(example)
        print(f"wrote {example}: {len(rows)} rows")
        return
    table = make_table(seed)
    header = (
        "# SYNTHETIC electrode table made by workflows/make_electrode_table.py "
        f"(seed {seed}); NOT experimental data\n"
        # The flag readers go by (surrogate.data.tables.read_table), never the file's name.
        "# synthetic: true\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        f.write(header)
        table.to_csv(f, index=False)
    print(f"wrote {out}: {len(table)} rows ({', '.join(f'{k} {v}' for k, v in ROWS.items())})")


def main(argv=None) -> None:
    run(app, "workflows.make_electrode_table", argv)


if __name__ == "__main__":
    main()
