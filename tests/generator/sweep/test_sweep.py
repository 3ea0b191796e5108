"""Sweeps on a real Dask cluster (worker processes), files read back, interruptions resumed."""

import os
import signal
import socket
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

from generator import generate, geometric_tortuosity, open_dataset
from generator.sweep.dataset import RUN_COLUMNS
from generator.sweep.executors import DaskExecutor, InProcessExecutor
from generator.sweep.plan import SweepPlan
from generator.sweep.run import run_sweep
from generator.sweep.sample_task import run_sample
from tests.cli_runner import generator_cli, python_m

TINY = dict(domain="200", voxel_um=6.0, design="sobol", seed=3)


def sweep(*, workers=None, scheduler=None, sample_function=None, force=False, **plan_options):
    """A sweep through the public pieces: a plan, a Dask executor, run_sweep."""
    plan = SweepPlan.create(**plan_options)
    executor = DaskExecutor(workers=workers, scheduler=scheduler)
    return run_sweep(plan, executor=executor, sample_function=sample_function, force=force)


def sweep_here(force=False, **plan_options):
    """A sweep in this process, for tests of what is executor-independent (resume, values)."""
    return run_sweep(SweepPlan.create(**plan_options), executor=InProcessExecutor(), force=force)


def sample_values(table: pd.DataFrame) -> pd.DataFrame:
    """The columns that describe samples (not where or how fast they ran)."""
    return table.drop(columns=[c for c in RUN_COLUMNS if c in table.columns])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "d.h5"
    summary = sweep(n=4, out=out, workers=2, **TINY)
    assert summary.ran == 4 and not summary.failed
    return out


def test_dataset_table_and_volumes_match_direct_generation(reference):
    data = open_dataset(reference)
    table = data.table
    assert len(table) == 4 and list(table["index"]) == [0, 1, 2, 3]
    assert (table["status"] == "ok").all()
    assert data.units["fiber_diameter_um"] == "um" and data.units["tau_euclidean"] == "1"
    assert data.provenance["design"] == "sobol" and data.provenance["n"] == 4
    assert data.provenance["package_version"]
    assert data.provenance["model_version"].startswith("m-")
    for position in (0, 3):
        row = table.iloc[position]
        direct = generate(
            domain="200",
            voxel_um=6.0,
            seed=int(row["seed"]),
            fiber_diameter_um=row["fiber_diameter_um"],
            fiber_fraction=row["fiber_fraction"],
            binder_fraction=row["binder_fraction"],
            thickness_um=row["thickness_um"],
            compression=row["compression"],
        )
        volume = data.volume(position)
        assert np.array_equal(volume, direct.volume)
        assert row["fibre_fraction_after"] == pytest.approx(np.mean(volume == 1))
        tau = geometric_tortuosity(volume, metric="lattice", voxel_um=6.0, pore_label=0).tau
        assert row["tau_lattice"] == pytest.approx(tau)
    # The design spreads over the paper's ranges.
    assert table["fiber_diameter_um"].between(6, 12).all()
    assert table["compression"].between(0, 0.5).all()


def test_dry_run_lists_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "d.h5"
    summary = run_sweep(SweepPlan.create(n=5, out=out, **TINY), dry_run=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len([line for line in lines if line.startswith("would run")]) == 5
    assert lines[-1].startswith("5 to run, 0 already done")
    assert "range thickness_um: 280 .. 320" in lines
    assert summary.ran == 0 and not out.exists()


def test_resume_skips_finished_and_redoes_missing_or_corrupt(reference, tmp_path):
    import shutil

    out = tmp_path / "d.h5"
    shutil.copytree(reference.with_name("d_samples"), tmp_path / "d_samples")
    files = sorted((tmp_path / "d_samples").glob("*.h5"))
    files[0].unlink()
    files[1].write_bytes(b"truncated")
    summary = sweep_here(n=4, out=out, **TINY)
    assert summary.skipped == 2 and summary.ran == 2
    pd.testing.assert_frame_equal(
        sample_values(open_dataset(out).table), sample_values(open_dataset(reference).table)
    )
    again = sweep_here(n=4, out=out, **TINY)
    assert again.skipped == 4 and again.ran == 0


def test_killed_sweep_resumes_to_the_same_table(reference, tmp_path):
    out = tmp_path / "d.h5"
    command = python_m(
        "generator", "sweep", domain=200, voxel_um=6, seed=3, n=4, workers=1, out=out
    )
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    folder = tmp_path / "d_samples"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(folder.glob("*.h5"))) < 1:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its workers, mid-sweep
    process.wait()
    finished = len(list(folder.glob("*.h5")))
    assert 1 <= finished
    assert not out.exists() or finished == 4
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{finished} already done" in done.stdout
    pd.testing.assert_frame_equal(
        sample_values(open_dataset(out).table), sample_values(open_dataset(reference).table)
    )


def failing_on_index_one(task):
    if task["index"] == 1:
        raise RuntimeError("injected failure")
    return run_sample(task)


def test_a_failing_sample_is_recorded_and_the_sweep_goes_on(tmp_path):
    out = tmp_path / "d.h5"
    summary = sweep(n=3, out=out, workers=1, sample_function=failing_on_index_one, **TINY)
    assert [index for index, _ in summary.failed] == [1]
    table = open_dataset(out).table
    assert list(table["status"]) == ["ok", "failed", "ok"]
    assert "injected failure" in table["error"].iloc[1]
    # Resuming retries only the failed sample.
    again = sweep_here(n=3, out=out, **TINY)
    assert again.skipped == 2 and again.ran == 1 and not again.failed


def test_cli_exit_code_and_unwritable_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = generator_cli("sweep", domain=200, voxel_um=6, n=2, out=blocker / "d.h5")
    assert done.returncode == 2
    assert done.stderr.startswith("error:") and len(done.stderr.strip().splitlines()) == 1
    assert blocker.read_text() == "not a folder"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_external_scheduler_and_worker_on_loopback(reference, tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        python_m(
            "distributed.cli.dask_scheduler", host="127.0.0.1", port=port, dashboard_address=":0"
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        python_m("distributed.cli.dask_worker", address, nworkers=1, nthreads=1, no_dashboard=True),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        out = tmp_path / "d.h5"
        summary = sweep(n=4, out=out, scheduler=address, **TINY)
        assert summary.ran == 4 and not summary.failed
        table = open_dataset(out).table
        assert table["pid"].nunique() == 1 and int(table["pid"].iloc[0]) != os.getpid()
        pd.testing.assert_frame_equal(
            sample_values(table), sample_values(open_dataset(reference).table)
        )
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(30)
        scheduler.wait(30)


def _worker_cpu(process) -> float:
    """The share of a core a Dask worker process uses (0 for any other process, or once it has
    gone: workers come and go while the test looks)."""
    import psutil

    try:
        spawned = any("spawn" in part or "forkserver" in part for part in process.cmdline())
        return process.cpu_percent(interval=0.2) if spawned else 0.0
    except psutil.Error:
        return 0.0


def test_worker_killed_mid_sample_loses_nothing(tmp_path):
    import psutil

    out = tmp_path / "d.h5"
    command = python_m(
        "generator", "sweep", domain=200, voxel_um=5, seed=4, n=6, workers=2, out=out
    )
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(process.pid)
    killed = None
    deadline = time.time() + 120
    folder = tmp_path / "d_samples"
    while killed is None and time.time() < deadline and process.poll() is None:
        if not list(folder.glob("*.h5")):  # workers up and through a first sample
            time.sleep(0.05)
            continue
        # The busiest worker is mid-sample (on a loaded machine a busy worker may get only a
        # tenth of a core, so no fixed share marks it; an idle one stays near 0).
        usage = {p.pid: _worker_cpu(p) for p in parent.children(recursive=True)}
        busiest = max(usage, key=usage.get, default=None)
        if busiest is not None and usage[busiest] > 5:
            killed = busiest
            os.kill(killed, signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=300)
    assert killed is not None, "no busy worker was found to kill"
    assert process.returncode == 0, stderr
    assert "6 run, 0 failed" in stdout
    uninterrupted = tmp_path / "u.h5"
    sweep_here(domain="200", voxel_um=5.0, seed=4, n=6, out=uninterrupted)
    pd.testing.assert_frame_equal(
        sample_values(open_dataset(out).table), sample_values(open_dataset(uninterrupted).table)
    )


def test_an_executor_session_keeps_its_workers_between_runs(tmp_path):
    # Two runs of chosen samples, as the active loop's batches (each run is given every sample
    # chosen so far and makes the new one): inside one session the same worker process makes
    # both; without a session each run starts a cluster of its own.
    def pids(executor, plan, first, second):
        found = []
        for chosen in ([first], [first, second]):
            run_sweep(plan, executor=executor, indices=chosen)
            table = open_dataset(plan.out).table
            found.append(int(table.loc[table["index"] == chosen[-1], "pid"].iloc[0]))
        return found, sorted(table["index"])

    plan = SweepPlan.create(n=4, out=tmp_path / "a.h5", **TINY)
    executor = DaskExecutor(workers=1)
    with executor.session(plan):
        (first, second), indices = pids(executor, plan, 0, 2)
    assert first == second != os.getpid()
    assert indices == [0, 2]  # the dataset holds the chosen samples alone
    plan = SweepPlan.create(n=4, out=tmp_path / "b.h5", **TINY)
    (first, second), _ = pids(DaskExecutor(workers=1), plan, 1, 3)
    assert first != second
