"""compare_paper's distribution figure on tables whose counts, means and spreads are known by
hand, and its --figure option refused before any dataset is read."""

import pandas as pd
import pytest

import generator.viz.figures
from workflows.compare_paper import main, plot_tortuosity_distributions


@pytest.fixture
def drawn(monkeypatch):
    """The figure plot_histograms would save, kept instead of written."""
    figures = []

    def keep(fig, path):
        figures.append(fig)
        return path

    monkeypatch.setattr(generator.viz.figures, "save_figure", keep)
    return figures


def test_failed_rows_are_left_out_and_both_datasets_share_the_bins(drawn):
    small = pd.DataFrame(
        {
            "status": ["ok", "ok", "ok", "failed"],
            "tau_euclidean": [1.00, 1.02, 1.04, 9.0],
            "tau_lattice": [1.05, 1.07, 1.09, 9.0],
        }
    )
    large = pd.DataFrame(
        {"status": ["ok", "ok"], "tau_euclidean": [1.01, 1.03], "tau_lattice": [1.06, 1.10]}
    )
    assert plot_tortuosity_distributions({"gdl200": small, "gdl1000": large}, "tau.png") == (
        "tau.png"
    )
    (fig,) = drawn
    euclidean, lattice = fig.axes[:2]
    assert euclidean.get_xlabel() == "geometric tortuosity τ (euclidean metric)"
    assert lattice.get_xlabel() == "geometric tortuosity τ (lattice metric)"
    # By hand: the failed row (9.0) is not drawn, so one set of edges spans the ok rows of both.
    assert euclidean.get_xlim() == pytest.approx((1.00, 1.04))
    assert lattice.get_xlim() == pytest.approx((1.05, 1.10))
    # n, mean and sample sd by hand: [1.00, 1.02, 1.04] -> 1.020 ± 0.020; [1.01, 1.03] ->
    # 1.020 ± 0.014 (0.01414); [1.06, 1.10] -> 1.080 ± 0.028 (0.02828).
    assert [t.get_text() for t in euclidean.get_legend().get_texts()] == [
        "gdl200\nn = 3, mean 1.020 ± 0.020 (sd)",
        "gdl1000\nn = 2, mean 1.020 ± 0.014 (sd)",
    ]
    assert (
        lattice.get_legend().get_texts()[1].get_text() == "gdl1000\nn = 2, mean 1.080 ± 0.028 (sd)"
    )


def test_a_figure_name_without_an_image_suffix_is_refused_before_reading(tmp_path, capsys):
    # The dataset does not exist: the figure's name is checked first, with exit code 2.
    with pytest.raises(SystemExit) as done:
        main([str(tmp_path / "missing.h5"), "--figure", str(tmp_path / "tau")])
    assert done.value.code == 2
    shown = capsys.readouterr().err
    assert "'--figure'" in shown and "tau.png" in shown and "out=" not in shown
    assert not list(tmp_path.iterdir())
