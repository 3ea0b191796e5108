"""fibre_directions' figure on a table written by hand: labels in µm, the legend beside the
panels, each line the mean of its seeds."""

import numpy as np
import pandas as pd
import pytest

from workflows.fibre_directions import PHI_BINS, TILT_BINS, directions_figure


def hand_table():
    rows = []
    for domain in ("200", "1000"):
        for seed, share in enumerate((0.9, 1.1)):  # mean 1.0 in every bin
            row = {"model": "current", "domain": domain, "stratify": True, "seed": seed}
            row.update({f"phi_{k}": share for k in range(PHI_BINS)})
            row.update({f"tilt_{k}": 2.0 - share for k in range(TILT_BINS)})
            rows.append(row)
    return pd.DataFrame(rows)


def test_labels_read_micrometres_and_the_legend_sits_beside_the_data():
    fig = directions_figure(hand_table())
    axes = fig.axes
    assert [ax.get_title() for ax in axes[:2]] == [
        "domain 200 (2000 × 200 µm)",
        "domain 1000 (1000 × 1000 µm)",
    ]
    assert fig.get_suptitle() == "Fibre directions, mean over 2 seeds (grey: ± 5 %)"
    labels = [ax.get_xlabel() + ax.get_ylabel() + ax.get_title() for ax in axes]
    assert not [text for text in labels if " um" in text or "+/-" in text]
    line = axes[0].get_lines()[0]
    assert line.get_label() == "current, stratified"
    assert np.allclose(line.get_ydata(), 1.0)  # the mean of 0.9 and 1.1
    fig.draw_without_rendering()
    legend = axes[1].get_legend()
    # Outside: the legend's box starts right of the right-hand panel's data box.
    assert legend.get_window_extent().x0 >= axes[1].get_window_extent().x1 - 1e-6
    assert legend.get_window_extent().x0 == pytest.approx(
        axes[1].get_window_extent().x1, abs=0.05 * fig.bbox.width
    )
