"""Sweeps that measure more than the geodesic tortuosity: the diffusive factor and the pore
sizes as columns, added to finished samples without regenerating or recomputing the rest."""

import h5py
import numpy as np
import pytest

from generator import open_dataset
from generator.cli import app
from generator.sweep import properties as properties_module
from generator.sweep.executors import InProcessExecutor
from generator.sweep.plan import SweepPlan
from generator.sweep.properties import PROPERTIES, property_columns
from generator.sweep.run import run_sweep
from generator.tortuosity import diffusive_tortuosity, pore_size_distribution
from tests.cli_runner import generator_cli

TINY = dict(domain="200", voxel_um=6.0, design="sobol", seed=5, n=2)
DIFFUSIVE = property_columns("diffusive")
PSD = property_columns("psd")


def sweep_here(out, force=False, **options):
    plan = SweepPlan.create(out=out, **{**TINY, **options})
    return run_sweep(plan, executor=InProcessExecutor(), force=force)


@pytest.fixture(scope="module")
def geodesic_only(tmp_path_factory):
    """A finished geodesic-only sweep; tests copy its folder before extending it."""
    out = tmp_path_factory.mktemp("geodesic") / "d.h5"
    summary = sweep_here(out)
    assert summary.ran == 2 and not summary.failed
    return out


def copy_sweep(source, folder):
    import shutil

    shutil.copytree(source.with_name("d_samples"), folder / "d_samples")
    shutil.copy(source, folder / "d.h5")
    return folder / "d.h5"


def test_adding_properties_measures_the_stored_volume_and_keeps_the_rest(geodesic_only, tmp_path):
    out = copy_sweep(geodesic_only, tmp_path)
    before = open_dataset(out).table
    assert not set(DIFFUSIVE) & set(before.columns)
    summary = sweep_here(out, properties="geodesic,diffusive,psd")
    assert summary.ran == 2 and summary.skipped == 0 and not summary.failed
    data = open_dataset(out)
    table = data.table
    # Nothing that was there is recomputed: the geodesic values and the generation time stay.
    for column in ("tau_lattice", "tau_euclidean", "generate_s", "tortuosity_lattice_s"):
        assert table[column].tolist() == before[column].tolist()
    assert data.units["tau_diffusive"] == "1" and data.units["pore_d50_um"] == "um"
    assert data.provenance["properties"] == ["geodesic", "diffusive", "psd"]
    assert data.provenance["property_settings"]["diffusive"]["boundary"] == "no_flux"
    for position in range(len(table)):
        row, volume = table.iloc[position], data.volume(position)
        solved = diffusive_tortuosity(volume, voxel_um=6.0, pore_label=0)
        assert row["tau_diffusive"] == pytest.approx(solved.tau_factor, rel=1e-4)
        assert row["effective_diffusivity"] == pytest.approx(
            np.mean(volume == 0) / row["tau_diffusive"], rel=1e-6
        )
        sizes = pore_size_distribution(volume, voxel_um=6.0, pore_label=0)
        assert (row["pore_d10_um"], row["pore_d50_um"], row["pore_d90_um"]) == (
            sizes.d10,
            sizes.d50,
            sizes.d90,
        )
    # Complete now: a rerun does nothing, and a geodesic-only rerun keeps the new columns.
    assert sweep_here(out, properties="diffusive,geodesic,psd").ran == 0
    assert sweep_here(out).ran == 0
    assert open_dataset(out).table["tau_diffusive"].tolist() == table["tau_diffusive"].tolist()


def test_without_stored_volumes_the_structure_is_regenerated_for_the_new_property(tmp_path):
    out = tmp_path / "d.h5"
    sweep_here(out, keep_volumes=False)
    with_volumes = tmp_path / "v.h5"
    sweep_here(with_volumes, properties="geodesic,diffusive")
    summary = sweep_here(out, keep_volumes=False, properties="geodesic,diffusive")
    assert summary.ran == 2 and not summary.failed
    regenerated = open_dataset(out).table
    direct = open_dataset(with_volumes).table
    for column in ("pore_fraction_after", "tau_lattice", "tau_diffusive", "diffusive_iterations"):
        assert regenerated[column].tolist() == pytest.approx(direct[column].tolist(), rel=1e-5)


def test_a_failed_addition_keeps_the_file_and_its_row_and_is_retried(
    geodesic_only, tmp_path, monkeypatch
):
    out = copy_sweep(geodesic_only, tmp_path)
    files = sorted((tmp_path / "d_samples").glob("*.h5"))
    contents = [path.read_bytes() for path in files]

    def broken(volume, voxel_um):
        raise MemoryError("injected: no memory for the solve")

    broken_property = properties_module.Property(
        **{**PROPERTIES["diffusive"].__dict__, "measure": broken}
    )
    monkeypatch.setitem(PROPERTIES, "diffusive", broken_property)
    summary = sweep_here(out, properties="geodesic,diffusive")
    assert len(summary.failed) == 2
    table = open_dataset(out).table
    assert (table["status"] == "failed").all()
    assert table["error"].str.contains("adding diffusive: MemoryError: injected").all()
    # The geodesic values stay in the table, and the files are untouched.
    assert table["tau_lattice"].notna().all()
    assert [path.read_bytes() for path in files] == contents
    monkeypatch.undo()
    again = sweep_here(out, properties="geodesic,diffusive")
    assert again.ran == 2 and not again.failed
    assert (open_dataset(out).table["tau_diffusive"] > 1).all()


def test_a_row_with_part_of_a_property_is_not_trusted(geodesic_only, tmp_path):
    import json

    from generator._shared.hdf5 import CHECKSUM_ATTRIBUTE, content_digest
    from generator.sweep.sample_task import ROW_ATTRIBUTE

    out = copy_sweep(geodesic_only, tmp_path)
    path = sorted((tmp_path / "d_samples").glob("*.h5"))[0]
    with h5py.File(path, "r+") as f:
        row = json.loads(f.attrs[ROW_ATTRIBUTE])
        row["tau_diffusive"] = 1.5  # without the rest of the diffusive columns
        f.attrs[ROW_ATTRIBUTE] = json.dumps(row)
        f.attrs[CHECKSUM_ATTRIBUTE] = content_digest(f)  # a consistent file, a bad row
    plan = SweepPlan.create(out=out, **TINY)
    scan = plan.scan()
    assert len(scan.done) == 1
    assert "part of the diffusive columns" in scan.redo[0][1]


def test_the_cli_takes_properties_and_refuses_unknown_ones(tmp_path):
    done = generator_cli(
        "sweep", "--domain", "200", "--n", "2", "--voxel-um", "6", "--out", str(tmp_path / "d.h5"),
        "--properties", "psd,tortuosity", "--dry-run",
    )  # fmt: skip
    assert done.returncode == 2
    assert "--properties names 'tortuosity', which is not one of geodesic, diffusive, psd" in (
        done.stderr
    )
    dry = generator_cli(
        "sweep", "--domain", "200", "--n", "2", "--voxel-um", "6", "--out", str(tmp_path / "d.h5"),
        "--properties", "diffusive", "--dry-run",
    )  # fmt: skip
    assert dry.returncode == 0 and "properties: diffusive" in dry.stdout
    assert not (tmp_path / "d.h5").exists()


def test_the_help_names_every_property():
    import typer.main

    option = next(
        p for p in typer.main.get_command(app).commands["sweep"].params if p.name == "properties"
    )
    named = [name for name in PROPERTIES if f"{name} (" in option.help]
    assert named == list(PROPERTIES)


def test_the_lean_geodesic_measure_equals_the_plain_one_and_gives_the_volume_back():
    from types import SimpleNamespace

    from generator import generate
    from generator.sweep.properties import measure_property, measure_sample_property

    sample = generate(domain=(120, 120), thickness_um=280, voxel_um=6, seed=5)
    before = sample.volume.copy()
    plain = measure_property("geodesic", sample.volume, sample.voxel_um)
    lean = measure_sample_property("geodesic", sample)
    assert np.array_equal(sample.volume, before)
    for key in plain:
        if not key.endswith("_s"):  # timings differ run to run
            assert lean[key] == plain[key], key
    # A solid volume fails in the solver: the labels still come back.
    solid = SimpleNamespace(volume=np.ones((4, 3, 3), dtype=np.uint8), voxel_um=1.0)
    with pytest.raises(ValueError, match="no pore voxels"):
        measure_sample_property("geodesic", solid)
    assert np.array_equal(solid.volume, np.ones((4, 3, 3), dtype=np.uint8))
