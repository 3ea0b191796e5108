"""The surrogate: the paper's parameter counts, freezing, the loss against scikit-learn, a
transfer that must beat its alternatives on a known shift, SHAP additivity, determinism."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import typer.main
from sklearn.metrics import mean_absolute_percentage_error

from surrogate.data.registry import load_dataset
from surrogate.evaluation.evaluate import evaluate_transfer, split_indices
from surrogate.evaluation.explain import additivity_error, explain
from surrogate.nets.models import MLP, TransferModel, trainable_parameters
from surrogate.nets.training import fit, mape_loss, predict
from tests.cli_runner import surrogate
from tests.surrogate.synthetic import shifted_pair


@pytest.mark.parametrize(
    ("inputs", "layers", "width", "pretrained", "adapter"),
    [(5, 3, 3, 46, 10), (6, 4, 4, 93, 13), (6, 3, 3, 49, 10)],
)
def test_trainable_parameter_counts_of_the_paper(inputs, layers, width, pretrained, adapter):
    net = MLP(inputs, (width,) * layers)
    assert trainable_parameters(net) == pretrained
    transfer = TransferModel(net)
    assert trainable_parameters(transfer) == adapter
    # Every hidden layer has its own activation module (SHAP's DeepExplainer needs that).
    relus = [m for m in net.modules() if isinstance(m, torch.nn.ReLU)]
    assert len(relus) == layers and len({id(m) for m in relus}) == layers


def test_mape_equals_scikit_learn_and_refuses_broadcasting():
    rng = np.random.default_rng(0)
    y = rng.uniform(1.0, 1.2, 50)
    p = y + rng.normal(0, 0.02, 50)
    ours = float(mape_loss(torch.tensor(p), torch.tensor(y)))
    assert ours == pytest.approx(mean_absolute_percentage_error(y, p), rel=1e-12)
    with pytest.raises(ValueError, match=r"shape \(50, 1\) differs from target shape \(50,\)"):
        mape_loss(torch.tensor(p).unsqueeze(1), torch.tensor(y))


@pytest.fixture(scope="module")
def shifted_result():
    # 40 target rows: 25 train every method (the 20 quadratic features need more than 19).
    source, target = shifted_pair(n_target=40)
    return evaluate_transfer(source, target, "t", splits=2, epochs=80, restarts=1)


def test_splits_side_by_side_give_the_same_numbers():
    source, target = shifted_pair(n_target=40)
    common = dict(splits=2, epochs=20, restarts=1, members=2)  # an ensemble comes back too
    alone = evaluate_transfer(source, target, "t", **common)
    apart = evaluate_transfer(source, target, "t", **common, workers=2)
    assert apart.scores == alone.scores and apart.intervals == alone.intervals
    for key, value in alone.first_split.items():
        np.testing.assert_array_equal(apart.first_split[key], value, err_msg=key)
    assert apart.split_rows == alone.split_rows


def test_transfer_beats_pretrained_and_scratch_on_a_known_shift(shifted_result):
    scores = shifted_result.summary()
    transferred = scores["transferred"]["mape"]["mean"]
    assert transferred < scores["pretrained_on_target"]["mape"]["mean"] / 3
    assert transferred < scores["scratch"]["mape"]["mean"]
    assert transferred < scores["mean"]["mape"]["mean"]


def test_baselines_on_a_known_shift(shifted_result):
    scores = {method: s["mape"]["mean"] for method, s in shifted_result.summary().items()}
    # The target is quadratic in the inputs (a squared term): the quadratic ridge sees it, the
    # linear fit cannot.
    assert scores["quadratic_ridge"] < scores["linear"] / 2
    # A stretch (x1.6) is not an offset: offset-only transfers stay well behind the adapter.
    for method in ("pretrained_plus_offset", "quadratic_ridge_plus_offset"):
        assert scores[method] > 2 * scores["transferred"]


def test_mape_offset_is_the_brute_force_minimiser():
    from surrogate.estimators.regressors import mape_offset

    rng = np.random.default_rng(3)
    y = 1 + rng.random(41)
    p = y + rng.normal(0.04, 0.03, 41)
    grid = np.linspace(-0.2, 0.1, 60001)
    losses = np.mean(np.abs(y[:, None] - p[:, None] - grid[None]) / y[:, None], axis=0)
    assert mape_offset(y, p) == pytest.approx(grid[np.argmin(losses)], abs=1e-5)


def test_frozen_weights_are_bit_identical_after_transfer():
    source, target = shifted_pair(seed=1)
    xs, ys = source.arrays("t")
    xt, yt = target.arrays("t")
    net = MLP(5, (3, 3, 3))
    net.set_scalers(torch.as_tensor(xs), torch.as_tensor(ys))
    fit(net, xs[:200], ys[:200], xs[200:], ys[200:], epochs=30)
    before = copy.deepcopy(net.state_dict())
    transfer = TransferModel(net)
    adapter_before = copy.deepcopy(transfer.adapter.state_dict())
    fit(transfer, xt[:25], yt[:25], xt[25:], yt[25:], epochs=30)
    for name, tensor in transfer.pretrained.state_dict().items():
        assert torch.equal(tensor, before[name]), name
    assert any(
        not torch.equal(v, adapter_before[k]) for k, v in transfer.adapter.state_dict().items()
    )


def test_same_seed_same_result_and_inputs_scaled_as_trained():
    source, _ = shifted_pair(seed=2)
    x, y = source.arrays("t")
    train, val, test = split_indices(len(x), 0)
    outputs = []
    for _ in range(2):
        net = MLP(5, (3, 3, 3))
        net.set_scalers(torch.as_tensor(x[train]), torch.as_tensor(y[train]))
        fit(net, x[train], y[train], x[val], y[val], epochs=40, seed=7, restarts=2)
        outputs.append(predict(net, x[test]))
    assert np.array_equal(outputs[0], outputs[1])
    # The scalers are the training split's statistics and travel in the state_dict.
    state = net.state_dict()
    assert torch.allclose(state["x_mean"], torch.as_tensor(x[train]).mean(0))


def test_shap_values_sum_to_prediction_minus_base(shifted_result):
    source, target = shifted_pair()
    xt, _ = target.arrays("t")
    explanation = explain(shifted_result.transferred, xt[:20], xt[20:], list("abcde"))
    assert explanation.values.shape == (len(xt) - 20, 5)
    assert additivity_error(shifted_result.transferred, explanation, xt[20:]) < 1e-6


def test_splits_and_errors():
    train, val, test = split_indices(100, 3)
    assert (len(train), len(val), len(test)) == (63, 7, 30)
    assert len(set(train) | set(val) | set(test)) == 100
    with pytest.raises(ValueError, match=r"has 8 usable row\(s\).*needs at least 10"):
        split_indices(8, 0)
    with pytest.raises(ValueError, match="unknown dataset 'gdl300'"):
        load_dataset("gdl300")


def test_cli_transfer_writes_a_complete_run(transfer_run):
    folder, run, _ = transfer_run
    metrics = json.loads((run / "metrics.json").read_text())
    split = json.loads((run / "split.json").read_text())
    # Run files locate their datasets relative to the run: no machine paths in them.
    assert (run / split["destination"]["dataset"]).resolve() == (folder / "dst.h5").resolve()
    assert str(folder) not in (run / "split.json").read_text()
    for key in ("source_reference", "destination_reference"):  # the typed command may hold one
        located = metrics["provenance"][key]["dataset"]
        assert not Path(located).is_absolute() and (run / located).resolve().is_file()
    assert metrics["architecture"]["trainable_pretrained"] == 46
    assert metrics["architecture"]["trainable_adapter"] == 10
    assert len(metrics["methods"]["transferred"]["mape"]["values"]) == 2
    report = (run / "report.md").read_text()
    assert "Synthetic data" in report
    assert f"{metrics['methods']['transferred']['mape']['mean']:.3f}" in report
    import matplotlib.image as mpimg

    for name in metrics["figures"].values():
        assert mpimg.imread(run / name).shape[0] > 100
    state = torch.load(run / "transferred.pt", weights_only=True)
    assert "adapter.net.0.weight" in state


def test_cli_predict_and_explain_a_transfer_run(transfer_run):
    run = transfer_run.run
    inputs = {"fiber_diameter_um": 9, "fiber_fraction": 0.18, "binder_fraction": 0.07,
              "thickness_um": 300, "compression": 0.2}  # fmt: skip
    ok = surrogate("predict", run, *[a for k, v in inputs.items() for a in ("--set", f"{k}={v}")])
    assert ok.returncode == 0, ok.stderr
    answer = json.loads(ok.stdout)
    assert 1.0 < answer["tortuosity"] < 1.2
    assert answer["tortuosity_low"] < answer["tortuosity"] < answer["tortuosity_high"]
    explained = surrogate("explain", run, "--model", "pretrained")
    assert explained.returncode == 0, explained.stderr
    assert (run / "shap_pretrained_beeswarm.png").is_file()
    additivity = float(explained.stdout.strip().splitlines()[-1].split("=")[-1])
    assert additivity < 1e-6
    # A clear error for inputs the model was not trained on.
    bad = surrogate("predict", run, "--set", "porosity=0.7")
    assert bad.returncode == 2 and "unknown ['porosity']" in bad.stderr


def test_cli_errors(tmp_path):
    done = surrogate("transfer", "gdl300", "gdl1000")
    assert done.returncode == 2 and "unknown dataset 'gdl300'" in done.stderr
    done = surrogate("transfer", tmp_path / "missing.h5", "gdl1000")
    assert done.returncode == 2 and "no file at" in done.stderr


def test_library_errors_are_written_as_the_commands_flags():
    from generator.cli import in_cli_terms
    from surrogate.cli.app import app

    params = typer.main.get_command(app).commands["transfer"].params
    said = in_cli_terms(
        "splits=0 must be at least 1; drop_invalid=True drops them; inputs= and target=, or "
        "spec=; dest_where= needs; compression=0.6 stays",
        params,
    )
    assert said == (
        "--splits 0 must be at least 1; --drop-invalid drops them; --inputs and --target, or "
        "--spec; --dest-where needs; compression=0.6 stays"
    )


def test_import_generator_does_not_load_torch():
    code = "import sys, generator, generator.sweep.run; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_python_m_surrogate_help_is_quick_and_loads_neither_torch_nor_pandas():
    code = (
        "import runpy, sys\n"
        "sys.argv = ['surrogate', '--help']\n"
        "try:\n"
        "    runpy.run_module('surrogate', run_name='__main__')\n"
        "except SystemExit as end:\n"
        "    assert end.code in (0, None), end.code\n"
        "print('torch' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "transfer" in done.stdout and done.stdout.strip().endswith("False False")


def test_a_warning_or_a_missing_extra_reads_as_one_line():
    import warnings

    from typer.testing import CliRunner

    from generator._shared.extras import MissingExtra
    from surrogate.cli._errors import Command

    app = typer.Typer()

    @app.command(cls=Command)
    def careful(missing: bool = False) -> None:
        warnings.warn("the table is small", UserWarning, stacklevel=1)
        if missing:
            raise MissingExtra("figures need the 'viz' extra: pip install 'gdl-generator[viz]'")

    done = CliRunner().invoke(app, [])
    assert done.exit_code == 0 and done.stderr == "warning: the table is small\n"
    done = CliRunner().invoke(app, ["--missing"])
    assert done.exit_code == 2
    assert done.stderr.splitlines()[-1] == (
        "error: figures need the 'viz' extra: pip install 'gdl-generator[viz]'"
    )
