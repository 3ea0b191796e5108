"""The batch-job path on a real SLURM (workflows/slurm/local-cluster.sh starts one on this
machine; CI does). Without SLURM these tests skip, except under CI where they must run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from generator import open_dataset
from generator.sweep import run_sweep
from tests.test_sweep import TINY, sample_values, sweep

ROOT = Path(__file__).resolve().parents[1]


def slurm_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    done = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return done.returncode == 0 and any(
        state in done.stdout for state in ("idle", "mixed", "allocated")
    )


if not slurm_up():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs a running SLURM: workflows/slurm/local-cluster.sh start")
    pytest.skip(
        "no SLURM here (start one with workflows/slurm/local-cluster.sh start)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "d.h5"
    sweep(n=4, out=out, workers=2, **TINY)
    return open_dataset(out).table


def test_shipped_array_script_then_merge(reference, tmp_path):
    out = tmp_path / "d.h5"
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        GDL_DOMAIN="200",
        GDL_N="4",
        GDL_SEED="3",
        GDL_VOXEL_UM="10",
        GDL_OUT=str(out),
        PYTHONPATH=str(ROOT),
    )
    common = [
        "sbatch",
        "--wait",
        "--chdir",
        str(tmp_path),
        "--mem=1G",
        "--time=00:10:00",
        "--cpus-per-task=1",
        "--output",
        str(tmp_path / "%x-%A_%a.out"),
    ]
    array = subprocess.run(
        common + ["--array=1-3", str(ROOT / "workflows/slurm/sweep-array.sbatch")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    logs = "\n".join(p.read_text() for p in tmp_path.glob("*.out"))
    assert array.returncode == 0, array.stderr + logs
    assert not out.exists()  # shards write sample files only
    assert len(list((tmp_path / "d_samples").glob("*.h5"))) == 4
    merged = subprocess.run(
        common + [str(ROOT / "workflows/slurm/merge.sbatch")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert merged.returncode == 0, merged.stderr
    pd.testing.assert_frame_equal(sample_values(open_dataset(out).table), sample_values(reference))


def test_dask_jobqueue_workers_as_slurm_jobs(reference, tmp_path):
    out = tmp_path / "d.h5"
    summary = run_sweep(
        n=4,
        out=out,
        cluster="slurm",
        jobs=1,
        jobqueue_options={
            "cores": 1,
            "memory": "2GB",
            "walltime": "00:10:00",
            "log_directory": str(tmp_path),
        },
        **TINY,
    )
    assert summary.ran == 4 and not summary.failed
    table = open_dataset(out).table
    assert int(table["pid"].iloc[0]) != os.getpid()
    pd.testing.assert_frame_equal(sample_values(table), sample_values(reference))


def test_job_script_is_printed_without_submitting(tmp_path):
    def job_ids():
        listed = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True)
        return set(listed.stdout.split())

    before = job_ids()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "sweep",
            "--cluster",
            "slurm",
            "--cores",
            "2",
            "--memory",
            "4GB",
            "--walltime",
            "01:00:00",
            "--queue",
            "debug",
            "--print-job-script",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "#SBATCH --cpus-per-task=2" in done.stdout and "#SBATCH -p debug" in done.stdout
    assert "NUMBA_CACHE_DIR" in done.stdout and "NUMBA_NUM_THREADS=2" in done.stdout
    assert not job_ids() - before  # nothing was submitted
