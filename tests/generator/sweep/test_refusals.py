"""A plan knows what will fail: every sample is checked against the structural guards (and a
worker's memory) before anything runs; the dry run counts the refused, a sweep whose every
sample would be refused exits 2, and a count too large to plan is refused at once."""

import time

from generator.sweep import SweepPlan
from tests.cli_runner import generator_cli
from tests.conftest import one_line_error


def test_refusals_are_the_samples_the_guards_refuse():
    plan = SweepPlan.create(domain="200", n=16, voxel_um=8)
    refused = plan.refusals()
    assert refused and len(refused) < 16
    assert all(task["fiber_diameter_um"] < 8 for task, _, _ in refused)
    assert {reason for _, reason, _ in refused} == {"voxel coarser than the fibre diameter"}
    tight = plan.refusals(worker_memory=1.0)  # a worker of one byte holds no sample
    assert len(tight) == 16
    assert {reason for _, reason, _ in tight} >= {"more memory than a worker has"}


def test_the_dry_run_counts_the_refused_and_writes_nothing(tmp_path):
    done = generator_cli("sweep", domain=200, n=8, voxel_um=8, dry_run=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    refused = [line for line in done.stdout.splitlines() if line.startswith("would refuse")]
    running = [line for line in done.stdout.splitlines() if line.startswith("would run")]
    assert refused and running
    assert "coarser than the fibre diameter" in refused[0]
    last = done.stdout.splitlines()[-1]
    assert last.startswith(f"{len(running)} to run, {len(refused)} refused (voxel coarser than")
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_whose_every_sample_is_refused_exits_2(tmp_path):
    for dry in ({"dry_run": True}, {}):
        done = generator_cli("sweep", domain=200, n=4, voxel_um=13, cwd=tmp_path, **dry)
        line = one_line_error(done)
        assert "all 4 samples to run would be refused" in line and "--voxel-um" in line
    assert list(tmp_path.iterdir()) == []


def test_a_count_too_large_to_plan_is_refused_at_once(tmp_path):
    tic = time.perf_counter()
    line = one_line_error(generator_cli("sweep", n=10**9, dry_run=True, cwd=tmp_path))
    assert time.perf_counter() - tic < 5
    assert "--n 1000000000 is more than the 100000 samples a sweep plans" in line
    line = one_line_error(generator_cli("sweep", n="1e9", dry_run=True, cwd=tmp_path))
    assert line.startswith("error: --n '1e9': ")
    assert list(tmp_path.iterdir()) == []


def test_a_run_records_the_refused_as_failed_and_runs_the_rest(tmp_path):
    from generator.sweep import InProcessExecutor, open_dataset, run_sweep
    from generator.sweep.executors import failed_row

    plan = SweepPlan.create(domain="200", n=8, voxel_um=8, out=tmp_path / "d.h5")
    ran = []

    def stub(task):  # stands for a sample: records which tasks reached the executor
        ran.append(task["index"])
        return failed_row(task, "stub")

    summary = run_sweep(plan, executor=InProcessExecutor(), sample_function=stub)
    refused = {index for index, _ in summary.refused}
    assert refused and summary.ran == len(ran) == 8 - len(refused)
    assert refused.isdisjoint(ran)
    table = open_dataset(tmp_path / "d.h5").table.set_index("index")
    assert all(table.loc[i, "error"].startswith("refused: voxel size 8 um") for i in refused)
