"""What the regeneration counts as a complete dataset (written tables, read back)."""

from generator.sweep.dataset import write_dataset
from workflows.regenerate_data import completeness

VALUES = dict(tau_euclidean=1.03, tau_lattice=1.06, tau_diffusive=1.8, effective_diffusivity=0.4)


def test_complete_refused_unfinished_and_missing_columns(tmp_path):
    assert completeness(tmp_path / "none.h5") == "not made yet"
    ok = {"index": 0, "id": "a", "status": "ok", "error": "", **VALUES}
    refused = {"index": 1, "id": "b", "status": "failed", "error": "refused: voxel too coarse"}
    path = write_dataset(tmp_path / "d.h5", [ok, refused], {})
    assert completeness(path) is None
    crashed = {"index": 2, "id": "c", "status": "failed", "error": "MemoryError: no"}
    path = write_dataset(tmp_path / "d.h5", [ok, refused, crashed], {})
    assert completeness(path) == "1 of 3 rows not finished (sweep again to resume)"
    geodesic_only = {k: v for k, v in ok.items() if k != "tau_diffusive"}
    path = write_dataset(tmp_path / "d.h5", [geodesic_only], {})
    assert completeness(path) == "lacks the columns ['tau_diffusive']"
