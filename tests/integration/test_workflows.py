"""The study pipeline end to end, at a tiny size: the report exists, its figures are real
images, and it shows the numbers of metrics.json."""

import json

import matplotlib.image as mpimg

from generator.sweep.executors import InProcessExecutor
from workflows.gdl_study import run_study


def test_gdl_study_quick_pipeline_at_a_tiny_size(tmp_path):
    # Thick fibres at 10 um voxels, the sweeps in this process (the Dask path is tested with
    # the sweep, tests/generator/sweep), nets trained briefly: every step, in seconds.
    report = run_study(
        out=tmp_path,
        executor=InProcessExecutor(),
        sizes={"200": {"n": 16, "voxel_um": 10.0}, "1000": {"n": 12, "voxel_um": 10.0}},
        ranges={"fiber_diameter_um": (10.0, 12.0)},
        surrogate_options={
            "splits": 2,
            "epochs": 15,
            "restarts": 1,
            "members": 2,
            "curve_repetitions": 2,
            "replay_repetitions": 2,
            "replay_members": 2,
        },
    )
    text = report.read_text()
    study = json.loads((tmp_path / "study.json").read_text())
    run = tmp_path / study["run"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert study["metrics"] == metrics["methods"]
    for method in ("pretrained_on_source", "pretrained_on_target", "transferred", "mean"):
        assert f"{metrics['methods'][method]['mape']['mean']:.3f}" in text
    assert "| gdl200 | 16 | 10 |" in text and "| gdl1000 | 12 | 10 |" in text
    for line in text.splitlines():
        if line.startswith("!["):
            image = mpimg.imread(tmp_path / line.split("(")[1].rstrip(")"))
            assert image.shape[0] > 100 and image.shape[1] > 100
    assert "paper MAPE %" in text and "sweep 200: " in text and "16 samples simulated" in text
    for section in ("How to read", "Resolution caveat", "## Conclusion", "learning curve",
                    "active vs random", "held the true value"):  # fmt: skip
        assert section in text, section
    # Every number of the learning curve and the replay is the one in study.json.
    transferred = study["learning_curve"]["transferred"][0]
    assert f"{transferred['mean']:.3g} ± {transferred['std']:.2g}" in text
    assert len(study["replay"]["mape"]["random"][0]) == 2


def test_electrode_study_report(tmp_path):
    from workflows.electrode_study import run_electrode_study

    report = run_electrode_study(out=tmp_path, splits=2, epochs=20, restarts=1)
    text = report.read_text()
    assert text.count("## ") == 5 and "SYNTHETIC" in text
    study = json.loads((tmp_path / "study.json").read_text())
    assert study["synthetic"]
    for key, methods in study["metrics"].items():
        assert f"{methods['transferred']['mape']['mean']:.3f}" in text, key
    assert "Paper's Table 1" in text


class _Data:
    def __init__(self, table, pairing):
        self.table = table
        self.provenance = {"plan": {"pairing": pairing}}


def _tables(shift, paired, n=12):
    import numpy as np
    import pandas as pd

    from generator.sweep.design import PARAMETERS

    rng = np.random.default_rng(0)
    x = rng.random((n, len(PARAMETERS)))
    tau = 1.03 + 0.05 * x[:, 1]
    small = pd.DataFrame(x, columns=list(PARAMETERS)).assign(
        index=range(n), seed=range(n), status="ok", tau_euclidean=tau, tau_lattice=tau + 0.04
    )
    large = small.copy()
    large["seed"] += 1000
    if not paired:
        large[list(PARAMETERS)] = rng.random((n, len(PARAMETERS)))
    large["tau_euclidean"] += shift
    large["tau_lattice"] += shift
    pairing = "paired" if paired else "independent"
    return {"gdl200": _Data(small, pairing), "gdl1000": _Data(large, pairing)}


def test_domain_shift_is_paired_when_the_designs_are():
    from workflows.compare_paper import shift_table

    text = shift_table(_tables(0.01, paired=True))
    # Hand count: all 12 input vectors shared, no seed shared; every difference is 0.01.
    assert "inputs occur in gdl200: 12 of 12; shared seeds: 0" in text
    assert "| `euclidean` | +0.0100 ± 0.0000 |" in text
    text = shift_table(_tables(0.01, paired=False))
    assert "inputs occur in gdl200: 0 of 12" in text and "Mann–Whitney" in text


def test_feature_ranking_finds_the_only_input_that_matters():
    from workflows.compare_paper import feature_ranking

    tables = {name: data.table for name, data in _tables(0.0, paired=False, n=60).items()}
    rows = {line.split(" | ")[0].strip("| "): line for line in feature_ranking(tables).split("\n")}
    # tau depends on fiber_fraction alone: rank 1 in both datasets; paper rank 2.
    assert rows["fiber_fraction"].startswith("| fiber_fraction | 2 | 1 (")
    assert rows["fiber_fraction"].count("| 1 (") == 2
