"""The live active loop on a diffusive target: the chosen samples run the diffusive solver (and
not the geodesic one), and the loop learns the column it simulated."""

import json

import pytest

from generator import diffusive_tortuosity, generate, open_dataset
from generator._shared.phases import PORE
from generator.sweep.design import PARAMETERS
from generator.sweep.executors import InProcessExecutor
from surrogate.active import ActiveSettings, start_active
from tests.surrogate.synthetic import ladder_files


def test_bad_target_names_the_choices():
    with pytest.raises(ValueError, match=r"target='porosity' must be tortuosity, .*tau_diffusive"):
        ActiveSettings("gdl200", "200", 16, 4, 2, 6, target="porosity").check()


def test_a_diffusive_loop_simulates_and_learns_tau_diffusive(tmp_path):
    cheap, _ = ladder_files(tmp_path, n=24)  # a source with geometric tau only
    settings = ActiveSettings(
        source=str(cheap), domain="200", pool=8, initial=4, batch=2, budget=6, members=2,
        epochs=5, voxel_um=6.0, target="tau_diffusive", source_target="tortuosity",
    )  # fmt: skip
    outcome = start_active(
        settings, out=tmp_path / "loop.h5", executor=InProcessExecutor(), echo=lambda line: None
    )
    data = open_dataset(tmp_path / "loop.h5")
    table = data.table
    assert len(table) == 6 and (table["status"] == "ok").all()
    assert "tau_diffusive" in table and "tau_euclidean" not in table  # no geodesic solve paid
    assert list(data.provenance["properties"]) == ["diffusive"]
    # One chosen sample recomputed outside the loop, from its row's design alone.
    row = table.iloc[-1]
    sample = generate(
        domain="200", seed=int(row["seed"]), voxel_um=6.0,
        **{name: float(row[name]) for name in PARAMETERS},
    )  # fmt: skip
    direct = diffusive_tortuosity(sample.volume, voxel_um=6.0, pore_label=PORE)
    assert float(row["tau_diffusive"]) == pytest.approx(direct.tau_factor, rel=1e-6)
    events = [json.loads(line) for line in (outcome.folder / "log.jsonl").read_text().splitlines()]
    assert [e["usable"] for e in events if e["event"] == "trained"] == [4, 6]
    meta = json.loads((outcome.folder / "pretrained.json").read_text())
    assert meta["target"] == "tortuosity"  # pretrained on the cheap column, adapted to the dear
