"""The reference datasets shipped in data/: read through the public reader, checked against
the documented schema, the default design and physical consistency."""

from pathlib import Path

import h5py
import numpy as np
import pytest

from generator import open_dataset
from generator.structure.parameters import PARAMETER_RANGES
from generator.sweep.dataset import BASE_COLUMNS, UNITS
from generator.sweep.design import PARAMETERS, make_design
from generator.sweep.properties import property_columns

DATA = Path(__file__).resolve().parents[2] / "data"
SHIPPED = {"gdl200": ("200", 240), "gdl1000": ("1000", 78)}


@pytest.fixture(scope="module", params=sorted(SHIPPED))
def shipped(request):
    name = request.param
    return name, open_dataset(DATA / f"{name}.h5")


def test_schema_and_counts(shipped):
    name, data = shipped
    domain, n = SHIPPED[name]
    table = data.table
    assert len(table) == n
    # The base columns and whole properties (the shipped sweeps measured the geodesic one;
    # geodesic_cpu_s and generate_cpu_s came later, so its timings are checked as they were).
    held = [column for column in UNITS if column in table.columns]
    expected = {column: UNITS[column] for column in held}
    assert set(BASE_COLUMNS) - {"generate_cpu_s"} <= set(held)
    geodesic = set(property_columns("geodesic")) - {"geodesic_cpu_s"}
    assert geodesic <= set(held), geodesic - set(held)
    assert {c: data.units[c] for c in expected} == expected
    with h5py.File(DATA / f"{name}.h5", "r") as f:
        assert f.attrs["format"] == "gdl-dataset" and int(f.attrs["schema_version"]) == 1
        assert "volumes" not in f or len(f["volumes"]) == 0  # tables only, no voxel volumes
    assert list(table["index"]) == list(range(n))
    assert (table["status"] == "ok").all(), table.loc[table["status"] != "ok", "error"]
    assert table["id"].is_unique


def test_provenance_records_the_default_sweep(shipped):
    name, data = shipped
    domain, n = SHIPPED[name]
    record = data.provenance
    assert record["domain"] == domain and record["n"] == n
    assert record["design"] == "sobol" and record["design_seed"] == 0
    assert record["voxel_um"] == 1.0
    assert len(record["git_commit"]) == 40 and int(record["git_commit"], 16) >= 0
    assert "sweep" in record["command_line"] and f"--domain {domain}" in record["command_line"]
    for key in ("package_version", "numba", "numpy", "h5py"):
        assert record.get(key), key
    plan = record["plan"]
    assert plan["pairing"] == "independent" and plan["stratify"] is True
    assert plan["model_version"] == record["model_version"] and plan["voxel_um"] == 1.0


def test_the_two_shipped_designs_share_no_inputs_and_no_seeds():
    small, large = (open_dataset(DATA / f"{name}.h5").table for name in ("gdl200", "gdl1000"))
    vectors = set(map(tuple, small[list(PARAMETERS)].to_numpy()))
    assert not [row for row in map(tuple, large[list(PARAMETERS)].to_numpy()) if row in vectors]
    assert not set(small["seed"]) & set(large["seed"])
    # Both made by the same code: the same material model on both domains.
    models = {open_dataset(DATA / f"{n}.h5").provenance["model_version"] for n in SHIPPED}
    assert len(models) == 1


def test_parameters_are_the_default_design(shipped):
    name, data = shipped
    domain, n = SHIPPED[name]
    design = make_design(n, domain=domain, design="sobol", seed=0)
    for column in PARAMETERS:
        np.testing.assert_allclose(data.table[column], design[column], rtol=1e-12)
        low, high = PARAMETER_RANGES[column][:2]
        assert data.table[column].between(low, high).all(), column
    assert list(data.table["seed"]) == list(design["seed"])


def test_measured_structure_is_consistent(shipped):
    _, data = shipped
    t = data.table
    for stage in ("before", "after"):
        total = t[f"pore_fraction_{stage}"] + t[f"fibre_fraction_{stage}"]
        total += t[f"binder_fraction_{stage}"]
        np.testing.assert_allclose(total, 1.0, atol=1e-9)
    # The generator hits its targets before compression (voxel counts, not a fit).
    np.testing.assert_allclose(t["fibre_fraction_before"], t["fiber_fraction"], atol=2e-3)
    np.testing.assert_allclose(t["binder_fraction_before"], t["binder_fraction"], atol=2e-3)
    expected_thickness = (1 - t["compression"]) * t["thickness_um"]
    assert (abs(t["thickness_voxels"] - expected_thickness) <= 1.0).all()


def test_tortuosities_are_ordered_as_their_metrics(shipped):
    _, data = shipped
    t = data.table
    assert np.isfinite(t["tau_euclidean"]).all()
    assert (t["tau_euclidean"] >= 1.0).all()
    # The lattice metric only adds detours to the euclidean one.
    assert (t["tau_lattice"] >= t["tau_euclidean"] - 1e-6).all()
    assert (t["tau_volume_lattice"] >= t["tau_volume_euclidean"] - 1e-6).all()
    assert t["percolating_fraction"].between(0, 1).all()
    assert (t["connected_fraction"] >= t["percolating_fraction"]).all()


def test_surrogates_find_the_shipped_datasets_from_anywhere(tmp_path, monkeypatch):
    from surrogate.data.registry import load_dataset, registry_path

    monkeypatch.chdir(tmp_path)  # from any folder: the shipped copies are used
    for name, (_, n) in SHIPPED.items():
        dataset = load_dataset(name)
        assert len(dataset.inputs) == n
        # Recorded by its registry name (never a machine path); the name means the shipped file.
        assert dataset.provenance["file"] == name
        assert registry_path(name).resolve() == (DATA / f"{name}.h5").resolve()
        # The target is the euclidean tortuosity column, row for row.
        table = open_dataset(DATA / f"{name}.h5").table
        np.testing.assert_array_equal(dataset.targets["tortuosity"], table["tau_euclidean"])
