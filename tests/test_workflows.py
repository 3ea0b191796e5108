"""The study pipeline end to end, at a tiny size: the report exists, its figures are real
images, and it shows the numbers of metrics.json."""

import json

import matplotlib.image as mpimg

from workflows.gdl_study import run_study


def test_gdl_study_quick_pipeline_at_a_tiny_size(tmp_path):
    report = run_study(
        out=tmp_path,
        sizes={"200": {"n": 16, "voxel_um": 10.0}, "1000": {"n": 12, "voxel_um": 20.0}},
        surrogate_options={"splits": 2, "epochs": 40, "restarts": 1},
        workers=2,
    )
    text = report.read_text()
    study = json.loads((tmp_path / "study.json").read_text())
    run = tmp_path / study["run"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert study["metrics"] == metrics["methods"]
    for method in ("pretrained_on_source", "pretrained_on_target", "transferred", "mean"):
        assert f"{metrics['methods'][method]['mape']['mean']:.3f}" in text
    assert "| gdl200 | 16 | 10 |" in text and "| gdl1000 | 12 | 20 |" in text
    for line in text.splitlines():
        if line.startswith("!["):
            image = mpimg.imread(tmp_path / line.split("(")[1].rstrip(")"))
            assert image.shape[0] > 100 and image.shape[1] > 100
    assert "Paper's Table 2" in text and "sweep 200" in text


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
