"""A sweep that takes its design from another dataset: the same rows at another voxel size."""

import numpy as np
import pytest

from generator import open_dataset, read_sample
from generator.sweep.design import PARAMETERS
from generator.sweep.executors import InProcessExecutor
from generator.sweep.plan import SweepPlan
from generator.sweep.run import run_sweep
from tests.cli_runner import generator_cli


def sweep_here(**options):
    return run_sweep(SweepPlan.create(**options), executor=InProcessExecutor())


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    out = tmp_path_factory.mktemp("source") / "coarse.h5"
    sweep_here(domain="200", voxel_um=6.0, seed=11, n=2, out=out)
    return out


def test_the_rows_are_recomputed_at_another_voxel_size_with_the_same_fibres(source, tmp_path):
    out = tmp_path / "fine.h5"
    summary = sweep_here(design_from=source, voxel_um=5.0, out=out)
    assert summary.ran == 2 and not summary.failed
    coarse, fine = open_dataset(source), open_dataset(out)
    for column in ("index", "id", "seed", *PARAMETERS):
        assert fine.table[column].tolist() == coarse.table[column].tolist()
    assert fine.provenance["voxel_um"] == 5.0 and fine.provenance["domain"] == "200"
    assert fine.provenance["plan"]["design_from"]["plan"] == coarse.provenance["plan"]
    for sample_id in coarse.table["id"]:
        a = read_sample(source.with_name("coarse_samples") / f"{sample_id}.h5")
        b = read_sample(out.with_name("fine_samples") / f"{sample_id}.h5")
        assert (a.voxel_um, b.voxel_um) == (6.0, 5.0)
        # One stream of fibres: each grid takes a prefix of it (a few more or fewer fibres).
        n = min(len(a.fibres), len(b.fibres))
        assert abs(len(a.fibres) - len(b.fibres)) <= 0.02 * n
        assert np.array_equal(a.fibres.centre[:n], b.fibres.centre[:n])
        assert np.array_equal(a.fibres.direction[:n], b.fibres.direction[:n])
    # Resumable like any sweep; the default output is named for the source and the voxel.
    assert sweep_here(design_from=source, voxel_um=5.0, out=out).skipped == 2
    assert SweepPlan.create(design_from=source, voxel_um=5.0).out.name == "coarse_5um.h5"


def test_design_options_beside_it_are_refused_and_the_source_must_be_a_sweep(source, tmp_path):
    done = generator_cli(
        "sweep", "--design-from", str(source), "--voxel-um", "5", "--seed", "3", "--dry-run"
    )
    assert done.returncode == 2 and "--seed 3 cannot be changed with it" in done.stderr
    done = generator_cli(
        "sweep", "--design-from", str(source), "--domain", "1000", "--dry-run",
        "--out", str(tmp_path / "x.h5"),
    )  # fmt: skip
    assert done.returncode == 2 and "differs from the --design-from dataset's '200'" in done.stderr
    other = tmp_path / "other.h5"
    other.write_bytes(b"not a dataset")
    done = generator_cli("sweep", "--design-from", str(other), "--dry-run")
    assert done.returncode == 2 and "other.h5" in done.stderr
    dry = generator_cli(
        "sweep", "--design-from", str(source), "--voxel-um", "5", "--dry-run",
        "--out", str(tmp_path / "x.h5"),
    )  # fmt: skip
    assert dry.returncode == 0 and "design from" in dry.stdout and "2 to run" in dry.stdout
