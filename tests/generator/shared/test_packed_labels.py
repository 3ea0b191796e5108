"""Labels held at two bits a voxel: the volume and each phase's mask come back as numpy's own
comparison gives them, on shapes whose slices are not whole bytes; bad input is refused."""

import numpy as np
import pytest

from generator._shared.packed_labels import PackedLabels


@pytest.mark.parametrize("shape", [(3, 5, 7), (2, 1, 1), (4, 8, 8)])
def test_round_trip_and_masks_match_numpy(shape):
    volume = np.random.default_rng(sum(shape)).integers(0, 4, shape, dtype=np.uint8)
    packed = PackedLabels.pack(volume)
    assert packed.nbytes == 2 * shape[0] * -(-shape[1] * shape[2] // 8)
    again = packed.unpack()
    assert again.dtype == np.uint8 and np.array_equal(again, volume)
    for label in range(4):
        mask = packed.mask(label)
        assert mask.dtype == np.bool_ and mask.flags.c_contiguous
        assert np.array_equal(mask, volume == label)


def test_labels_beyond_two_bits_and_other_arrays_are_refused():
    volume = np.zeros((3, 2, 2), dtype=np.uint8)
    volume[2, 1, 0] = 4
    with pytest.raises(ValueError, match="label 4 in slice 2 does not fit in two bits"):
        PackedLabels.pack(volume)
    with pytest.raises(ValueError, match="3D uint8 array, got int64"):
        PackedLabels.pack(np.zeros((2, 2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="label=5 is not one of 0-3"):
        PackedLabels.pack(np.zeros((2, 2, 2), dtype=np.uint8)).mask(5)
