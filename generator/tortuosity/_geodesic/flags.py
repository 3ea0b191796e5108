"""The solver's per-voxel bits (kept in the uint8 pore array) and the in-plane neighbour ring."""

import numpy as np

PORE_BIT = np.uint8(1)
QUEUED_BIT = np.uint8(2)  # waiting in the in-plane queue
CHANGED_BIT = np.uint8(4)  # improved during the current sweep
CHANGED_BEFORE_BIT = np.uint8(8)  # improved during the previous sweep
STALE_BIT = np.uint8(16)  # in-plane passes: a neighbour changed since this voxel was looked at
BORDER_BIT = np.uint8(32)  # the lattice's front: on its band's border (not all 26 steps inside)

# The 8 in-plane neighbours in ring order (dy, dx): consecutive entries are adjacent.
RING_DY = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
RING_DX = np.array([-1, -1, 0, 1, 1, 1, 0, -1], dtype=np.int64)
