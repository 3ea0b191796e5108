"""The scratch block a sweep worker keeps between samples: handed out once at a time, never
while a view of it lives, and the results computed in it are those computed without it."""

import functools
from pathlib import Path

import numpy as np
import pytest

from generator._shared import held_memory


@pytest.fixture
def holding():
    held_memory.hold(min_bytes=0)
    yield
    held_memory.release()


def test_off_by_default_nothing_is_held():
    assert not held_memory.holding()
    array = held_memory.scratch((64, 64), np.float32)
    assert array.shape == (64, 64) and array.dtype == np.float32
    assert held_memory.held_bytes() == 0


def test_the_block_is_handed_out_again_only_when_every_view_is_gone(holding):
    first = held_memory.scratch((8, 100), np.float32)
    assert first.flags.c_contiguous and first.flags.writeable
    address = first.ctypes.data
    part = first[2:4]  # a view outliving the array handed out
    part[:] = 7.0
    del first
    other = held_memory.scratch((8, 100), np.float32)
    assert not np.shares_memory(other, part)
    other[:] = -1.0
    assert np.all(part == 7.0)
    del part, other
    again = held_memory.scratch((3, 5), np.uint16)
    assert again.ctypes.data == address and again.shape == (3, 5) and again.dtype == np.uint16


def test_a_larger_request_grows_the_block_and_release_gives_it_back(holding):
    small = held_memory.scratch(1000, np.uint8)
    del small
    large = held_memory.scratch((3, 2**20), np.float32)  # 12 MiB
    assert held_memory.held_bytes() >= large.nbytes
    large[-1, -1] = 1.0  # every byte of it is the block's
    held_memory.release()
    assert held_memory.held_bytes() > 0  # still leased: kept until the array goes
    del large
    assert held_memory.held_bytes() == 0


def test_a_reserve_makes_room_for_the_largest_request_at_once(holding):
    held_memory.hold(reserve_bytes=2**22, min_bytes=0)
    small = held_memory.scratch(1000, np.uint8)
    address = small.ctypes.data
    del small
    largest = held_memory.scratch(2**20, np.float32)  # 4 MiB: the same block, not a new one
    assert largest.ctypes.data == address
    assert held_memory.held_bytes() == 2**22


def test_an_impossible_request_gets_numpys_error_and_the_block_stays_usable(holding):
    with pytest.raises((MemoryError, ValueError), match="too big|Unable to allocate"):
        held_memory.scratch((2**62, 8), np.float32)
    array = held_memory.scratch((10, 10), np.float32)
    array[:] = 1.0
    assert held_memory.held_bytes() >= array.nbytes


@pytest.mark.parametrize("metric", ["euclidean", "lattice"])
def test_tortuosity_in_the_held_block_is_the_same_and_keeps_returned_maps(holding, metric):
    from generator import geometric_tortuosity as tortuosity

    rng = np.random.default_rng(5)
    first, second = (rng.random((12, 20, 20)) < 0.7 for _ in range(2))
    # One pass after the other, as a sweep worker solves them (side by side takes no block).
    geometric_tortuosity = functools.partial(tortuosity, passes_side_by_side=False)
    geometric_tortuosity(first, metric=metric)  # leaves its distances in the block
    assert held_memory.held_bytes() > 0
    in_block = geometric_tortuosity(second, metric=metric)
    with_maps = geometric_tortuosity(first, metric=metric, return_maps=True)
    kept = with_maps.distance_from_outlet.copy()
    geometric_tortuosity(second, metric=metric)
    assert np.array_equal(with_maps.distance_from_outlet, kept)  # not handed out again
    held_memory.release()
    plain = geometric_tortuosity(second, metric=metric)
    assert in_block.tau == plain.tau and in_block.tau_volume == plain.tau_volume
    assert np.array_equal(in_block.path_lengths_um, plain.path_lengths_um)


def test_a_sweep_worker_keeps_the_block_for_the_next_sample_unless_diffusive_follows(
    tmp_path, monkeypatch
):
    from generator.sweep import SweepPlan
    from generator.sweep.sample_task import run_sample

    monkeypatch.setattr(held_memory, "MIN_HELD_BYTES", 0)  # the sample is small
    options = dict(n=1, domain="200", voxel_um=6.0, seed=3)
    try:
        task = SweepPlan.create(out=tmp_path / "g.h5", **options).tasks[0]
        Path(task["folder"]).mkdir()
        row = run_sample(task)
        assert row["status"] == "ok", row["error"]
        # The float32 distance field of the 333 x 33 voxel slices, kept for the next sample.
        assert held_memory.held_bytes() >= 4 * row["thickness_voxels"] * 333 * 33
        properties = ("geodesic", "diffusive")
        task = SweepPlan.create(out=tmp_path / "d.h5", properties=properties, **options).tasks[0]
        Path(task["folder"]).mkdir()
        row = run_sample(task)
        assert row["status"] == "ok", row["error"]
        assert held_memory.held_bytes() == 0  # given back before the diffusive solve
        # A task made outside a sweep (the compile benchmark's): its plan states no ranges,
        # and the block is sized by its own sample.
        task = SweepPlan.create(out=tmp_path / "b.h5", **options).tasks[0]
        task["plan"] = {"bench": "compile"}
        task["folder"] = str(tmp_path / "bench")
        Path(task["folder"]).mkdir()
        row = run_sample(task)
        assert row["status"] == "ok", row["error"]
        assert held_memory.held_bytes() >= 4 * row["thickness_voxels"] * 333 * 33
    finally:
        held_memory.release()
