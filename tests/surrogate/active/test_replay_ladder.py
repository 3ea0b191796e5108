"""The replay on a fidelity ladder: choosing must beat random where the error sits in a few
outlying designs that random rarely draws, must not where the target is noise; the ratio, its
interval and the p-value by hand; the hours of the rows chosen, counted by hand; the workflow's
errors name the missing file or column and the command that makes it."""

import numpy as np
import pytest
from scipy.stats import ttest_rel
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from generator.sweep.design import PARAMETERS, validate_ranges
from surrogate.active.replay import ReplayResult, compare_strategies, replay
from surrogate.estimators.methods import paired_lookup

RANGES = validate_ranges(None)
FAR = 8  # outlying designs: 5 % of 160


def ladder(kind: str, n: int = 160, seed: int = 0):
    """Designs whose cheap value c (a fibre fraction scaled to [0, 1]) lies in [0, 0.5] but
    for FAR outlying rows, in [0.8, 1]; the expensive target is ``2 + 0.1 c + 1.5 c^2`` with a
    small noise (``"corner"``: a curvature only the outlying rows reveal) or uniform noise
    alone (``"noise"``, every design alike: nothing to find)."""
    rng = np.random.default_rng(seed)
    unit = rng.uniform(0, 1, (n, 5))
    far = np.zeros(n, dtype=bool)
    far[rng.permutation(n)[:FAR]] = kind == "corner"
    unit[:, 1] = np.where(far, rng.uniform(0.8, 1.0, n), rng.uniform(0.0, 0.5, n))
    low = np.array([RANGES[p][0] for p in PARAMETERS])
    high = np.array([RANGES[p][1] for p in PARAMETERS])
    x = (low + unit * (high - low)).astype(np.float32)
    c = unit[:, 1]
    if kind == "corner":
        y = 2 + 0.1 * c + 1.5 * c**2 + rng.normal(0, 0.002, n)
    else:
        y = 2 + rng.uniform(-0.2, 0.2, n)
    return x, c, y.astype(np.float32), far


class QuadraticOnCheap:
    """A quick ensemble member: a quadratic in the paired cheap value (the replay's rules and
    statistics are under test here, not the nets)."""

    def __init__(self, lookup):
        self.lookup = lookup
        self.inner = make_pipeline(PolynomialFeatures(2), Ridge(alpha=1e-3))

    def fit(self, X, y, X_val=None, y_val=None):
        self.inner.fit(self.lookup(X).reshape(-1, 1), y)
        return self

    def predict(self, X):
        return self.inner.predict(self.lookup(X).reshape(-1, 1))


def quick_replay(kind, seconds=None, repetitions=8, seed=0):
    x, c, y, far = ladder(kind, seed=seed)
    lookup = paired_lookup(x, c)
    result = replay(
        None, x, y, RANGES, initial=6, batch=3, budget=15, repetitions=repetitions,
        members=5, epochs=1, seconds=seconds(far) if seconds else None,
        make_member=lambda seed, options: QuadraticOnCheap(lookup),
    )  # fmt: skip
    return result, far


def test_choosing_beats_random_where_the_error_hides_in_rare_designs():
    # Random draws 9 of ~110 pool rows with ~5 outlying ones; disagreement (the quadratics
    # extrapolate apart there) goes to them and pins the curvature. An hour for each outlying
    # row, nothing for the others: the hours count the outlying rows each strategy chose.
    result, _ = quick_replay("corner", seconds=lambda far: 3600.0 * far)
    tests, verdict = compare_strategies(result, "random")
    assert verdict.startswith("lower at"), (verdict, tests)
    assert all(t["ratio"] < 0.7 for t in tests), tests
    assert result.cost_kind == "CPU"
    for strategy in result.hours:
        for per_size in result.hours[strategy]:
            assert all(float(h).is_integer() and 0 <= h <= FAR for h in per_size)
    assert result.hours["random"][0] == result.hours["disagreement"][0]  # the shared start
    assert np.mean(result.hours["disagreement"][-1]) > np.mean(result.hours["random"][-1]) + 1


def test_choosing_does_not_beat_random_on_noise():
    result, _ = quick_replay("noise")
    tests, verdict = compare_strategies(result, "random")
    assert verdict == "not different at any budget", (verdict, tests)


def test_a_flat_price_makes_hours_samples_times_the_price():
    result, _ = quick_replay("noise", lambda far: np.full(len(far), 1800.0), repetitions=2)
    for strategy in result.hours:
        assert [np.mean(h) for h in result.hours[strategy]] == [n / 2 for n in result.sizes]


def test_ratio_interval_and_p_by_hand():
    a, b = [1.0, 2.0, 4.0], [2.0, 2.0, 2.0]  # log ratios -ln2, 0, ln2: geometric mean 1
    result = ReplayResult([4, 8], {"disagreement": [[1, 1, 1], a], "random": [[1, 1, 1], b]})
    row = result.paired("disagreement", "random")[1]
    assert row["ratio"] == pytest.approx(1.0) and row["difference"] == pytest.approx(1 / 3)
    # t quantile at 2 degrees of freedom, 95 %: 4.303; std of the logs ln 2, over sqrt(3).
    half = 4.302652729911275 * np.log(2) / np.sqrt(3)
    assert row["low"] == pytest.approx(np.exp(-half)) and row["high"] == pytest.approx(np.exp(half))
    x, y = [1.0, 1.2, 1.5, 0.9], [2.0, 2.1, 2.6, 2.0]
    result = ReplayResult([4, 8], {"disagreement": [x, x], "random": [y, y]})
    expected = ttest_rel(np.log(x), np.log(y)).pvalue
    assert result.paired("disagreement", "random")[1]["p"] == pytest.approx(expected)


def test_cheap_value_input_needs_the_paired_values():
    x, c, y, _ = ladder("noise", n=20)
    with pytest.raises(ValueError, match="needs cheap="):
        replay(None, x, y, RANGES, model="cheap_value_input", repetitions=1)
    with pytest.raises(ValueError, match=r"cheap: expected one finite value per row \(20\)"):
        replay(None, x, y, RANGES, model="cheap_value_input", cheap=c[:5], repetitions=1)
    with pytest.raises(ValueError, match="model='stacking': expected one of"):
        replay(None, x, y, RANGES, model="stacking", repetitions=1)
    with pytest.raises(ValueError, match=r"seconds: expected one finite value per row \(20\)"):
        replay(None, x, y, RANGES, seconds=[1.0], repetitions=1)


@pytest.fixture
def ladder_pair(tmp_path):
    from tests.surrogate.synthetic import ladder_files

    return ladder_files(tmp_path, n=20)


@pytest.mark.parametrize(
    "args, option, words",
    [
        (["--cheap", "missing_4um.h5", "--target", "tau_diffusive"], "--cheap",
         ["no file at missing_4um.h5", "python -m workflows.regenerate_data"]),
        (["--cheap", "{cheap}", "--destination", "{cheap}", "--source-target", "tortuosity",
          "--target", "tau_diffusive"], "--target",
         ["target='tau_diffusive'", "has no such column", "python -m workflows.regenerate_data"]),
        (["--cheap", "{cheap}", "--destination", "{dear}", "--source-target", "porosity",
          "--target", "tau_diffusive"], "--source-target",
         ["source_target='porosity'", "tortuosity"]),
        (["--source", "gdl200", "--cheap", "{cheap}"], "--cheap", ["give one of them"]),
        (["--destination", "{dear}", "--model", "cheap_value_input"], "--cheap",
         ["takes the paired cheap value"]),
    ],
)  # fmt: skip
def test_workflow_names_what_is_missing_and_the_command_that_makes_it(
    ladder_pair, tmp_path, capsys, args, option, words
):
    from workflows import active_replay

    cheap, dear = ladder_pair
    argv = [a.format(cheap=cheap, dear=dear) for a in args] + ["--out", str(tmp_path / "r")]
    with pytest.raises(SystemExit) as done:
        active_replay.main(argv)
    assert done.value.code == 2
    error = " ".join(capsys.readouterr().err.split())
    assert f"Invalid value for '{option}'" in error, error
    for word in words:
        assert word in error, (word, error)
    assert not (tmp_path / "r").exists()  # refused before any work


def test_workflow_pairs_rows_on_id_only(ladder_pair):
    from surrogate.data.registry import load_dataset
    from tests.surrogate.synthetic import LADDER_LINE
    from workflows.active_replay import ReplayInputError, paired_rows

    cheap, dear = (load_dataset(str(path)) for path in ladder_pair)
    kept, values = paired_rows(cheap, dear, "tortuosity")
    assert kept.tolist() == list(range(len(dear)))
    a, b = LADDER_LINE  # the dear rows' tau_diffusive is a + b * the cheap row's tau
    expected = dear.targets["tau_diffusive"].to_numpy()
    assert np.allclose(a + b * values, expected, rtol=1e-6)
    with pytest.raises(ReplayInputError, match="repeats ids"):
        paired_rows(dear.__class__(**{**vars(dear), "rows": dear.rows.assign(id="same")}),
                    dear, "tortuosity")  # fmt: skip


@pytest.mark.slow
def test_workflow_end_to_end_on_a_ladder_writes_the_block(ladder_pair, tmp_path):
    import json

    from workflows.active_replay import run_replay, write_replay_block

    cheap, dear = ladder_pair
    settings = dict(
        source=None, destination=str(dear), target="tau_diffusive", initial=4, batch=4,
        budget=8, repetitions=2, members=2, epochs=5, seed=0, out=tmp_path / "r",
        source_target="tortuosity", cheap=str(cheap), model="transferred",
    )  # fmt: skip
    text = run_replay(**settings)
    assert "learn tau_diffusive of dear" in text and "20 of the 20 dear rows pair" in text
    path = write_replay_block("physics", text, settings, seconds=1.0, load=None,
                              folder=tmp_path)  # fmt: skip
    record = json.loads((tmp_path / "physics.json").read_text())
    assert record["command"].startswith("python -m workflows.active_replay --destination ")
    # 180 CPU-s a dear row (generate + diffusive): 4 rows are 0.2 h, 8 rows 0.4 h.
    assert record["data"]["hours"]["random"] == [[0.2, 0.2], [0.4, 0.4]]
    assert "CPU-hours" in path.read_text()


def test_cheap_value_input_replays_the_same_in_two_processes():
    x, c, y, _ = ladder("noise", n=24)
    common = dict(initial=4, batch=4, budget=8, repetitions=2, members=2, epochs=3,
                  model="cheap_value_input", cheap=c)  # fmt: skip
    alone = replay(None, x, y, RANGES, **common)
    apart = replay(None, x, y, RANGES, **common, workers=2)
    assert apart.mape == alone.mape and apart.all_pool_mape == alone.all_pool_mape
