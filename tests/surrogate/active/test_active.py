"""The active loop: its choices on constructed pools, and the live loop on a real local Dask
cluster at a coarse voxel: the chosen samples are the dataset's, a SIGKILL resumes without
re-running finished samples, and the budget is where it stops."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from generator import open_dataset
from generator.sweep.design import PARAMETERS
from surrogate.active.rules import choose_by_disagreement, choose_space_filling, typical_spacing
from surrogate.estimators.ensemble import EnsembleRegressor
from surrogate.estimators.regressors import NetOptions, NetRegressor
from tests.cli_runner import surrogate


def test_disagreement_rule_picks_the_uncertain_corner_and_spreads():
    rng = np.random.default_rng(0)
    candidates = rng.uniform(0, 1, (400, 2))
    corner = (candidates[:, 0] > 0.75) & (candidates[:, 1] > 0.75)
    scores = np.where(corner, 1.0 + 0.1 * rng.uniform(size=400), 0.1)
    chosen = rng.uniform(0, 0.5, (12, 2))
    picks = choose_by_disagreement(scores, candidates, chosen, 4)
    assert len(set(picks)) == 4 and corner[picks].all()
    # Damping spreads the batch: not the 4 top scores, which cluster.
    gaps = [np.linalg.norm(candidates[a] - candidates[b]) for a in picks for b in picks if a < b]
    assert min(gaps) > 0.05


def test_space_filling_rule_by_hand():
    candidates = np.array([[0.1, 0.1], [0.9, 0.9], [0.5, 0.5], [0.9, 0.1]])
    chosen = np.array([[0.0, 0.0]])
    # Farthest from the origin: (0.9, 0.9); then farthest from both: (0.9, 0.1) at 0.8.
    assert choose_space_filling(candidates, chosen, 2) == [1, 3]
    assert typical_spacing(np.array([[0, 0], [0, 1], [0, 3.0]])) == 1.0


def test_ensemble_disagrees_where_it_has_no_data_and_the_rule_goes_there():
    # Rows only on the left half of the cube: bootstrap nets agree there and extrapolate each
    # their own way on the right. The rule must spend its batch on the right.
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (60, 2)).astype(np.float32)
    x[:, 0] *= 0.5
    y = (1.0 + 0.3 * x[:, 0] + 0.2 * x[:, 1] ** 2).astype(np.float32)
    ensemble = EnsembleRegressor(
        lambda seed: NetRegressor((8, 8), NetOptions(epochs=150, restarts=1), seed),
        members=6,
        seed=2,
    ).fit(x[:54], y[:54], x[54:], y[54:])
    pool = rng.uniform(0, 1, (300, 2)).astype(np.float32)
    disagreement = ensemble.disagreement(pool) / np.abs(ensemble.predict(pool))
    right = pool[:, 0] > 0.6
    assert np.median(disagreement[right]) > 2 * np.median(disagreement[pool[:, 0] < 0.45])
    picks = choose_by_disagreement(disagreement, pool, x, 5)
    assert right[picks].sum() >= 4


ACTIVE = [
    "active", "gdl200", "--domain", "200", "--voxel-um", "6", "--pool", "32", "--initial", "4",
    "--holdout", "3", "--batch", "2", "--budget", "11", "--epochs", "30", "--members", "3",
    "--workers", "1",
]  # fmt: skip


@pytest.mark.slow  # about 2 minutes; a SLURM test runs the live loop in CI
def test_live_loop_resumes_after_sigkill_and_stops_at_the_budget(tmp_path):
    log = tmp_path / "active200_active" / "log.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "surrogate", *ACTIVE],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 300
    # Kill once the second batch has been chosen and one of its samples is being made.
    while time.time() < deadline and process.poll() is None:
        if log.exists() and '"iteration": 1' in log.read_text():
            break
        time.sleep(0.2)
    assert process.poll() is None, process.stdout.read().decode()
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    folder = tmp_path / "active200_samples"
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.h5")}
    assert len(before) >= 7  # start and hold-out finished before the next batch was chosen

    done = subprocess.run(
        [sys.executable, "-m", "surrogate", *ACTIVE], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the budget of 11 samples is spent" in done.stdout
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.h5")}
    assert all(after[name] == mtime for name, mtime in before.items())  # none re-run

    events = [json.loads(line) for line in log.read_text().splitlines()]
    chosen = [i for e in events if e["event"] == "chosen" for i in e["indices"]]
    holdout = events[0]["holdout"]
    assert holdout == [4, 5, 6] and not set(holdout) & set(chosen)  # never chosen again
    assert len(chosen) == len(set(chosen)) == 8
    assert chosen[:4] == [0, 1, 2, 3]  # the space-filling start
    data = open_dataset(tmp_path / "active200.h5")
    table = data.table
    assert sorted(table["index"]) == sorted(chosen + holdout) and (table["status"] == "ok").all()
    assert len(after) == 11 and set(after) == {f"{i}.h5" for i in table["id"]}
    assert data.provenance["selection"]["kind"] == "active"
    trained = [e for e in events if e["event"] == "trained"]
    assert [e["simulated"] for e in trained] == [7, 9, 11]
    assert [e["usable"] for e in trained] == [4, 6, 8]  # the hold-out is never trained on
    # The loop's last ensemble answers predict, from another directory.
    row = {name: float(table[name].iloc[0]) for name in PARAMETERS}
    settings = [f"--set={k}={v}" for k, v in row.items()]
    predicted = subprocess.run(
        [sys.executable, "-m", "surrogate", "predict", str(tmp_path / "active200_active"),
         *settings], capture_output=True, text=True, cwd="/",
    )  # fmt: skip
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["tortuosity"] > 1.0
    # The logged hold-out error, recomputed through predict on the hold-out rows.
    held = table[table["index"].isin(holdout)]
    errors = []
    for _, sample in held.iterrows():
        settings = [f"--set={name}={float(sample[name])!r}" for name in PARAMETERS]
        answer = subprocess.run(
            [sys.executable, "-m", "surrogate", "predict", str(tmp_path / "active200_active"),
             *settings, "--allow-extrapolation"], capture_output=True, text=True,
        )  # fmt: skip
        truth = float(sample["tau_euclidean"])
        errors.append(abs(json.loads(answer.stdout)["tortuosity"] - truth) / truth)
    assert 100 * np.mean(errors) == pytest.approx(trained[-1]["holdout_mape"], rel=1e-4)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--budget", "3"], "--budget 3 is below --initial 8"),
        (["--budget", "10", "--holdout", "4"], "--budget 10 is below --initial 8 + --holdout 4"),
        (["--budget", "20", "--holdout", "2"], "--holdout 2"),
        (["--budget", "20", "--pool", "10"], "--pool 10 must hold"),
        (["--budget", "20", "--batch", "0"], "--batch 0"),
    ],
)
def test_bad_active_settings_exit_2_before_any_work(tmp_path, args, message):
    done = surrogate("active", "gdl200", *args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr
    assert not any(tmp_path.iterdir())


def test_a_loop_with_other_settings_is_not_resumed(tmp_path):
    folder = tmp_path / "active200_active"
    folder.mkdir()
    (folder / "settings.json").write_text(
        json.dumps({"schema": "surrogate-active/1", "choices": {"batch": 3}})
    )
    done = surrogate(*ACTIVE, cwd=tmp_path)
    assert done.returncode == 2 and "holds a loop with other settings" in done.stderr
    assert "or another --out" in done.stderr


def test_replay_shares_the_start_and_scores_every_budget():
    from generator.sweep.design import validate_ranges
    from surrogate.active.replay import STRATEGIES, replay
    from surrogate.evaluation.evaluate import pretrain
    from tests.surrogate.synthetic import shifted_pair

    source, target = shifted_pair(n_source=120, n_target=40, seed=2)
    xs, ys = source.arrays("t")
    xt, yt = target.arrays("t")
    net, _ = pretrain(xs, ys, np.arange(12, 120), np.arange(12), (3, 3), NetOptions(20, 1), 0)
    ranges = {name: (0.0, 1.0) for name in validate_ranges(None)}
    result = replay(
        net, xt, yt, ranges, initial=4, batch=3, budget=10, repetitions=2, members=2, epochs=10
    )
    # Side by side in two processes: the same numbers, repetition for repetition.
    apart = replay(
        net, xt, yt, ranges, initial=4, batch=3, budget=10, repetitions=2, members=2, epochs=10,
        workers=2,
    )  # fmt: skip
    assert apart.mape == result.mape and apart.all_pool_mape == result.all_pool_mape
    assert result.test_rows == 12 and result.pool_rows == 28
    assert result.sizes == [4, 7, 10]
    for strategy in STRATEGIES:
        assert [len(v) for v in result.mape[strategy]] == [2, 2, 2]
    # Same initial samples and fit seed: the strategies agree exactly before they choose.
    first = {strategy: result.mape[strategy][0] for strategy in STRATEGIES}
    assert first["disagreement"] == first["random"] == first["space_filling"]
    assert len(result.all_pool_mape) == 2


def test_holm_by_hand():
    from surrogate.active.replay import holm

    # Sorted p: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: stop there.
    assert holm([0.01, 0.04, 0.03, 0.005]) == [True, False, False, True]
    assert holm([0.049, 0.2, 0.5, 0.07]) == [False] * 4  # 0.049 > 0.05/4
