"""The active loop's ``source_target``: checked against the offered columns, recorded so that
a resume must match, and absent (as in loops made before it) when it is the target."""

import json

import pytest

from surrogate.active.loop import active_pretrained
from surrogate.active.state import ActiveSettings
from tests.surrogate.synthetic import ladder_files

BASE = dict(source="gdl200", domain="1000", pool=64, initial=8, batch=4, budget=16)


def test_source_target_is_checked_and_recorded():
    with pytest.raises(ValueError, match=r"source_target='porosity' must be tortuosity, "):
        ActiveSettings(**BASE, source_target="porosity").check()
    ActiveSettings(**BASE, source_target="tau_diffusive").check()
    # Empty (the default): the choices a loop made before the setting existed recorded.
    assert "source_target" not in ActiveSettings(**BASE).choices()
    chosen = ActiveSettings(**BASE, source_target="tortuosity_lattice").choices()
    assert chosen["source_target"] == "tortuosity_lattice"


def test_the_net_learns_the_source_column(tmp_path):
    cheap, _ = ladder_files(tmp_path, n=20)
    (tmp_path / "state").mkdir()
    active_pretrained(str(cheap), "tortuosity_lattice", tmp_path / "state", epochs=2)
    meta = json.loads((tmp_path / "state" / "pretrained.json").read_text())
    assert meta["target"] == "tortuosity_lattice"
