"""Electrode tables: every validation error at once, column mapping, file types, the synthetic
model's equations on hand-computed rows, and the transfer through the same interface."""

import json
import math

import pandas as pd
import pytest

from surrogate.data.electrodes import TableError, load_electrode_table, validate
from surrogate.data.registry import load_dataset
from tests.cli_runner import surrogate
from workflows.make_electrode_table import (
    ROWS,
    density_eq2,
    make_table,
    mass_loading_eq1,
    solid_content_eq3,
)

GOOD = {
    "chemistry": "graphite",
    "am_wt_percent": 93.0,
    "solid_content_percent": 30.0,
    "coating_speed_m_min": 0.3,
    "comma_gap_um": 200.0,
    "roll_speed_m_min": 0.27,
    "roll_gap_um": 70.0,
    "density_g_cm3": 1.3,
    "mass_loading_mg_cm2": 5.0,
}


def table(*rows):
    return pd.DataFrame([{**GOOD, **row} for row in rows])


def test_a_valid_table_passes_and_aliases_are_normalised():
    valid, dropped = validate(
        table(
            {},
            {"chemistry": "Si-Gra", "am_wt_percent": 10},
            {"chemistry": "NMC", "am_wt_percent": 96},
        )
    )
    assert list(valid["chemistry"]) == ["graphite", "si-graphite", "nmc"]
    assert dropped == []


def test_every_problem_is_reported_at_once_with_row_and_column():
    bad = table(
        {},
        {"comma_gap_um": "wide"},  # row 2: not a number
        {"roll_gap_um": -5.0},  # row 3: out of range
        {"chemistry": "LFP"},  # row 4: unknown chemistry
        {"density_g_cm3": None},  # row 5: missing target
        {},  # row 6: duplicate of row 1
    )
    with pytest.raises(TableError) as caught:
        validate(bad, source="bad.csv")
    problems = caught.value.problems
    assert "row 2, column `comma_gap_um`: not a number: 'wide'" in problems
    assert "row 3, column `roll_gap_um`: -5 is outside [0, 2000] um" in problems
    assert any(p.startswith("row 4, column `chemistry`: unknown chemistry 'LFP'") for p in problems)
    assert "row 5, column `density_g_cm3`: missing value" in problems
    assert "row 6: duplicate of row 1 (same inputs and target)" in problems
    assert len(problems) == 5


def test_missing_column_is_a_table_problem_even_when_dropping():
    with pytest.raises(TableError, match="missing column `roll_gap_um`"):
        validate(table({}).drop(columns=["roll_gap_um"]), drop_invalid=True)


def test_drop_invalid_says_how_many_and_which():
    valid, dropped = validate(
        table({}, {"roll_gap_um": -1.0}, {"am_wt_percent": 50}), drop_invalid=True
    )
    assert len(valid) == 2
    assert dropped == ["row 2, column `roll_gap_um`: -1 is outside [0, 2000] um"]


def test_a_table_with_other_names_and_extra_columns_loads_through_a_mapping(tmp_path):
    theirs = table({}, {"chemistry": "nmc", "am_wt_percent": 95}).rename(
        columns={
            "chemistry": "Material",
            "comma_gap_um": "Comma gap [um]",
            "roll_gap_um": "Roll gap (um)",
            "density_g_cm3": "Density",
        }
    )
    theirs["operator"] = ["A", "B"]
    theirs["date"] = ["2024-01-01", "2024-01-02"]
    theirs.to_excel(tmp_path / "lab.xlsx", index=False)
    theirs.to_parquet(tmp_path / "lab.parquet")
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(
        "Material: chemistry\n'Comma gap [um]': comma_gap_um\n"
        "'Roll gap (um)': roll_gap_um\nDensity: density_g_cm3\n"
    )
    for name in ("lab.xlsx", "lab.parquet"):
        valid, dropped, meta = load_electrode_table(tmp_path / name, columns=mapping)
        assert list(valid["chemistry"]) == ["graphite", "nmc"] and not dropped
        assert not meta["synthetic"]
    bad_mapping = tmp_path / "bad.json"
    bad_mapping.write_text(json.dumps({"Material": "material"}))
    with pytest.raises(ValueError, match="not canonical columns"):
        load_electrode_table(tmp_path / "lab.xlsx", columns=bad_mapping)


def test_equations_1_to_3_on_hand_computed_rows():
    # Eq. 1: 0.95 * (130 mg - 20 mg) * 4 / (pi * 1.3^2) = 418 / 5.309292 = 78.7299 mg/cm2
    assert mass_loading_eq1(0.95, 130.0, 20.0) == pytest.approx(418 / (math.pi * 1.69))
    assert mass_loading_eq1(0.95, 130.0, 20.0) == pytest.approx(78.7299, abs=1e-4)
    # Eq. 2: 10 mg/cm2 * 0.001 / (0.9 * (0.0116 - 0.0016) cm) = 0.01 / 0.009 = 1.1111 g/cm3
    assert density_eq2(10.0, 0.9, 0.0116, 0.0016) == pytest.approx(1.111111, rel=1e-6)
    # Eq. 3: 30 g dry in 70 g solvent -> 30 %
    assert solid_content_eq3(30.0, 70.0) == pytest.approx(30.0)


def test_shipped_synthetic_table_counts_ranges_and_label(tmp_path):
    valid, dropped, meta = load_electrode_table()
    assert meta["synthetic"] and not dropped
    assert valid["chemistry"].value_counts().to_dict() == ROWS
    nmc = valid[valid["chemistry"] == "nmc"]
    assert nmc["solid_content_percent"].between(42, 66).all()
    assert nmc["comma_gap_um"].between(50, 400).all()
    graphite = valid[valid["chemistry"] == "graphite"]
    assert graphite["am_wt_percent"].between(91, 95.5).all()
    # The shipped file is the script's output for its seed.
    regenerated = make_table(0)
    pd.testing.assert_frame_equal(
        valid.reset_index(drop=True), regenerated, check_dtype=False, atol=1e-9
    )
    with open("data/electrodes_synthetic.csv") as f:
        assert "SYNTHETIC" in f.readline()


def test_names_select_chemistries_and_say_synthetic():
    data = load_dataset("sigra")
    assert len(data) == 53 and list(data.targets.columns) == ["density", "mass_loading"]
    assert "SYNTHETIC" in data.provenance["data"]
    assert data.feature_names[0] == "am_wt_percent"


def test_cli_transfer_graphite_to_nmc_density(tmp_path):
    # The nets' sizes and the synthetic flag, not their skill: the fewest epochs and members.
    done = surrogate(
        "transfer", "graphite", "nmc", "--target", "density", "--splits", "1", "--epochs", "2",
        "--restarts", "1", "--members", "2", "--runs", tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = next(tmp_path.iterdir())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["architecture"]["trainable_pretrained"] == 93
    assert metrics["architecture"]["trainable_adapter"] == 13
    assert "Synthetic data" in (run / "report.md").read_text()


def test_cli_reports_a_bad_table_in_full(tmp_path):
    path = tmp_path / "bad.csv"
    table({}, {"roll_gap_um": -5.0}, {"chemistry": "LFP"}).to_csv(path, index=False)
    done = surrogate("transfer", "graphite", "nmc", "--target", "density", "--table", path)
    assert done.returncode == 2
    assert "2 problem(s)" in done.stderr and "row 3, column `chemistry`" in done.stderr
