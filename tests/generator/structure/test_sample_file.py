"""The sample file's volume, written chunk by chunk on threads, read back by HDF5 itself."""

import h5py
import numpy as np

from generator import generate
from generator.structure.sample import write_sample


def test_volume_with_edge_chunks_reads_back_through_hdf5s_filters(tmp_path):
    sample = generate(domain=(120, 120), thickness_um=280, voxel_um=6, seed=1)
    # Odd sizes on every axis: every chunk grid has partial chunks at its far edges.
    rng = np.random.default_rng(4)
    sample.volume = rng.integers(0, 3, (21, 130, 259)).astype(np.uint8)
    path = write_sample(sample, tmp_path / "s.h5")
    with h5py.File(path, "r") as f:
        stored = f["volume"]
        assert (stored.compression, stored.compression_opts, stored.shuffle) == ("gzip", 4, True)
        assert stored.chunks == (16, 128, 128)
        assert np.array_equal(stored[()], sample.volume)
