"""The batch-job path on a real SLURM (workflows/slurm/local-cluster.sh starts one on this
machine; CI does). Without SLURM these tests skip, except under CI where they must run."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from generator import open_dataset
from generator.sweep.executors import DaskExecutor
from generator.sweep.plan import SweepPlan
from generator.sweep.run import run_sweep
from tests.cli_runner import run_python_m
from tests.generator.sweep.test_sweep import TINY, sample_values, sweep_here

ROOT = Path(__file__).resolve().parents[2]


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
    # The expected samples, computed in this process (no cluster: only the values matter).
    out = tmp_path_factory.mktemp("reference") / "d.h5"
    sweep_here(n=4, out=out, **TINY)
    return open_dataset(out).table


def slurm_env(tmp_path, **gdl):
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    env.update(GDL_DOMAIN="200", GDL_SEED="3", GDL_VOXEL_UM="6", GDL_OUT=str(tmp_path / "d.h5"))
    env.update({f"GDL_{key.upper()}": str(value) for key, value in gdl.items()})
    return env


def sbatch(tmp_path, env, *args, wait=True):
    command = [
        "sbatch",
        "--parsable",
        *(["--wait"] if wait else []),
        "--chdir",
        str(tmp_path),
        "--mem=1G",
        "--time=00:10:00",
        "--cpus-per-task=1",
        "--output",
        str(tmp_path / "%x-%A_%a.out"),
        *args,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)


def logs(tmp_path) -> str:
    return "\n".join(p.read_text() for p in tmp_path.glob("*.out"))


@pytest.mark.slow  # about a minute of array jobs; the submit script's forwarding is tested below
def test_array_then_merge_then_a_partial_resubmission(reference, tmp_path):
    """All array tasks (some starting in the same second) succeed; the merge equals the local
    sweep; a lost sample is found by the merge, which names its shard; resubmitting only that
    index (--array=K, N fixed at submit time) completes it."""
    env = slurm_env(tmp_path, n=4, shards=2)  # two samples a task
    array = sbatch(tmp_path, env, "--array=1-2", str(ROOT / "workflows/slurm/sweep-array.sbatch"))
    assert array.returncode == 0, array.stderr + logs(tmp_path)
    out = tmp_path / "d.h5"
    assert not out.exists()  # shards write sample files only
    files = sorted((tmp_path / "d_samples").glob("*.h5"))
    assert len(files) == 4
    merged = sbatch(tmp_path, env, str(ROOT / "workflows/slurm/merge.sbatch"))
    assert merged.returncode == 0, merged.stderr + logs(tmp_path)
    pd.testing.assert_frame_equal(sample_values(open_dataset(out).table), sample_values(reference))

    table = open_dataset(out).table
    lost = table.iloc[2]
    (tmp_path / "d_samples" / f"{lost['id']}.h5").unlink()
    merged = sbatch(tmp_path, env, str(ROOT / "workflows/slurm/merge.sbatch"))
    assert merged.returncode != 0
    shard = int(lost["index"]) % 2 + 1
    assert f"sbatch --array={shard} " in logs(tmp_path)
    again = sbatch(
        tmp_path, env, f"--array={shard}", str(ROOT / "workflows/slurm/sweep-array.sbatch")
    )
    assert again.returncode == 0, again.stderr + logs(tmp_path)
    merged = sbatch(tmp_path, env, str(ROOT / "workflows/slurm/merge.sbatch"))
    assert merged.returncode == 0, merged.stderr + logs(tmp_path)
    pd.testing.assert_frame_equal(sample_values(open_dataset(out).table), sample_values(reference))


def test_an_array_adds_the_diffusive_columns_to_a_finished_sweep(tmp_path):
    """The batch path extends finished samples: geodesic first, then an array with
    GDL_PROPERTIES measures only the diffusive property, and the merge holds both."""
    env = slurm_env(tmp_path, n=2)
    first = sbatch(tmp_path, env, "--array=1-2", str(ROOT / "workflows/slurm/sweep-array.sbatch"))
    assert first.returncode == 0, first.stderr + logs(tmp_path)
    files = sorted((tmp_path / "d_samples").glob("*.h5"))
    before = {path.name: path.stat().st_mtime_ns for path in files}
    env = slurm_env(tmp_path, n=2, properties="geodesic,diffusive")
    added = sbatch(tmp_path, env, "--array=1-2", str(ROOT / "workflows/slurm/sweep-array.sbatch"))
    assert added.returncode == 0, added.stderr + logs(tmp_path)
    assert all(path.stat().st_mtime_ns != before[path.name] for path in files)  # rewritten
    merged = sbatch(tmp_path, env, str(ROOT / "workflows/slurm/merge.sbatch"))
    assert merged.returncode == 0, merged.stderr + logs(tmp_path)
    table = open_dataset(tmp_path / "d.h5").table
    assert (table["status"] == "ok").all() and (table["tau_diffusive"] > 1).all()
    assert (table["effective_diffusivity"] < table["pore_fraction_after"]).all()


def test_submit_script_forwards_settings_to_the_merge(tmp_path):
    env = slurm_env(tmp_path, n=2)
    done = subprocess.run(
        [
            "bash",
            str(ROOT / "workflows/slurm/submit-array.sh"),
            "--account=gdltest",
            "--partition=debug",
            "--chdir",
            str(tmp_path),
            "--mem=1G",
            "--cpus-per-task=1",
            "--output",
            str(tmp_path / "%x-%j.out"),
            "--hold",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    ids = re.findall(r"job (\d+)", done.stdout)
    assert len(ids) == 2, done.stdout
    try:
        for job in ids:
            shown = subprocess.run(
                ["scontrol", "show", "job", job], capture_output=True, text=True
            ).stdout
            assert "Account=gdltest" in shown and "Partition=debug" in shown, shown
        merge_job = subprocess.run(
            ["scontrol", "show", "job", ids[1]], capture_output=True, text=True
        ).stdout
        assert f"Dependency=afterany:{ids[0]}" in merge_job
        array_job = subprocess.run(
            ["scontrol", "show", "job", ids[0]], capture_output=True, text=True
        ).stdout
        assert "ArrayTaskId=1-2" in array_job
    finally:
        subprocess.run(["scancel", *ids], check=False)


@pytest.mark.slow  # 45 s of resubmissions; the job-script and memory tests cover the options
def test_jobqueue_sweep_with_an_unusable_partition_exits_1_with_the_reason(tmp_path):
    start = time.monotonic()
    done = run_python_m(
        "generator", "sweep", domain=200, n=2, voxel_um=6, out=tmp_path / "d.h5",
        cluster="slurm", queue="nosuchpartition", cores=1, memory="1GB", max_resubmits=1,
        log_dir=tmp_path / "logs", cwd=tmp_path, timeout=400,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "could not be started" in done.stderr and "run the same command again" in done.stderr
    assert time.monotonic() - start < 300
    assert "nosuchpartition" in done.stderr or "partition" in done.stderr.lower()


def test_dask_jobqueue_workers_as_slurm_jobs(reference, tmp_path):
    out = tmp_path / "d.h5"
    executor = DaskExecutor(
        cluster="slurm",
        jobs=1,
        jobqueue_options={
            "cores": 1,
            "memory": "2GB",
            "walltime": "00:10:00",
            "log_directory": str(tmp_path),
        },
    )
    summary = run_sweep(SweepPlan.create(n=4, out=out, **TINY), executor=executor)
    assert summary.ran == 4 and not summary.failed
    table = open_dataset(out).table
    assert int(table["pid"].iloc[0]) != os.getpid()
    pd.testing.assert_frame_equal(sample_values(table), sample_values(reference))


def test_job_script_is_printed_without_submitting(tmp_path):
    def job_ids():
        listed = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True)
        return set(listed.stdout.split())

    before = job_ids()
    done = run_python_m(
        "generator", "sweep", cluster="slurm", cores=2, memory="4GB", walltime="01:00:00",
        queue="debug", print_job_script=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "#SBATCH --cpus-per-task=2" in done.stdout and "#SBATCH -p debug" in done.stdout
    assert "NUMBA_CACHE_DIR" in done.stdout and 'NUMBA_NUM_THREADS="2"' in done.stdout
    # One sample at a time per job, whatever its cores; TLS with this run's certificate.
    assert "--resources sample=1" in done.stdout and "--tls-key" in done.stdout
    assert done.stderr.strip() == "" or "Traceback" not in done.stderr
    assert not job_ids() - before  # nothing was submitted


def test_the_queue_poll_sees_a_real_job_come_and_go(tmp_path):
    from generator.sweep.clusters import queue_alive

    done = sbatch(tmp_path, dict(os.environ), "--wrap", "sleep 120", wait=False)
    assert done.returncode == 0, done.stderr
    job = done.stdout.strip().split(";")[0]
    try:
        assert queue_alive("slurm", [job]) == {job}
    finally:
        subprocess.run(["scancel", job], check=False)
    deadline = time.monotonic() + 60
    while queue_alive("slurm", [job]) and time.monotonic() < deadline:
        time.sleep(1)
    assert queue_alive("slurm", [job]) == set()


@pytest.mark.slow  # waits out real walltimes (over 2 min)
def test_a_walltime_shorter_than_the_work_ends_in_bounded_time_keeping_samples(tmp_path):
    # 150 samples of ~2-4 s each (5+ minutes of work) outlive a 1-minute job, however late
    # SLURM enforces the limit (its timer and grace add up to a minute or more): SLURM ends it
    # mid-sweep. With no resubmission allowed the sweep exits 1 with the reason, promptly, and
    # what finished stays.
    cache = tmp_path / "numba-cache"
    start = time.monotonic()
    done = run_python_m(
        "generator", "sweep", domain=200, n=150, voxel_um=2, no_volumes=True, cluster="slurm",
        cores=1, memory="1GB", walltime="00:01:00", max_resubmits=0, numba_cache=cache,
        log_dir=tmp_path / "logs", cwd=tmp_path, timeout=600,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert done.returncode == 1, done.stderr[-2000:]
    assert "run the same command again to resume" in done.stderr
    assert elapsed < 420, elapsed
    finished = sorted((tmp_path / "gdl200_samples").glob("*.h5"))
    assert 0 < len(finished) < 150
    # The job loaded the kernels the submitting process had compiled into the shared cache.
    assert any(cache.rglob("*.nbi"))
    import json

    import h5py

    from generator.sweep.sample_task import ROW_ATTRIBUTE

    for path in finished:
        with h5py.File(path) as f:
            assert json.loads(f.attrs[ROW_ATTRIBUTE])["compile_s"] < 10


def test_a_job_memory_below_one_sample_is_refused_before_any_job(tmp_path):
    done = run_python_m(
        "generator", "sweep", domain=1000, cluster="slurm", memory="500MB", cwd=tmp_path,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--memory 500MB cannot hold one sample" in done.stderr and "GiB" in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing submitted
    queued = subprocess.run(["squeue", "-h", "-n", "dask-worker"], capture_output=True, text=True)
    assert queued.stdout.strip() == ""


def test_active_loop_runs_its_choices_as_slurm_jobs(tmp_path):
    """`surrogate active --cluster slurm`: the chosen samples run in batch jobs (other hosts'
    processes: their pids are not this test's children) and the loop stops at its budget."""
    done = run_python_m(
        "surrogate", "active", "gdl200", domain=200, voxel_um=6, pool=16, initial=4, batch=2,
        budget=6, members=2, epochs=20, cluster="slurm", jobs=1, cores=1, memory="2GB",
        walltime="00:10:00", cwd=tmp_path, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the budget of 6 samples is spent" in done.stdout
    table = open_dataset(tmp_path / "active200.h5").table
    assert len(table) == 6 and (table["status"] == "ok").all()
    assert sorted(table["index"])[:4] == [0, 1, 2, 3]
    assert int(table["pid"].iloc[0]) != os.getpid()
