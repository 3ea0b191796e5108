"""One block of memory a sweep worker keeps from one sample to the next, for its largest
scratch array.

A fresh large array costs a page fault and a zeroed page on first touch, and on a virtual
machine whose balloon reports freed memory to the host, the host must back every page again
too. Measured on the 2-core Intel Xeon VM, one thread, samples one after another as a sweep
worker runs them: the distance field of a `200` sample (0.38 GB, allocated after the ~2 s of
generation, in which the last sample's pages had been given back) took 0.6-0.9 s of system
time to fill, 1.0-1.4 s a sample with the rest of the geodesic stage's arrays; a sample took
10.2 s. With the field and the binder's fibre distances (which never live at the same time)
in one held block: 9.3 s; a `1000` sample 23.7 -> 22.3 s. The block adds nothing to a worker's
peak (see :mod:`generator._shared.guards`).

Holding is off unless a process turns it on (:func:`hold`, the sweep's workers); then
:func:`scratch` hands out the held block while no array from it is alive, and a plain
``numpy.empty`` array otherwise. The block returns when the last view of the array handed out
is gone (a ``weakref.finalize`` on the array every view of it keeps alive), so memory in use is
never handed out twice, whatever the caller keeps.

Examples
--------
>>> import numpy as np
>>> from generator._shared import held_memory
>>> held_memory.hold(min_bytes=0)
>>> first = held_memory.scratch((4, 4), np.float32)
>>> address = first.ctypes.data
>>> second = held_memory.scratch((4, 4), np.float32)  # the block is taken: a plain array
>>> second.ctypes.data == address
False
>>> del first
>>> held_memory.scratch((2, 8), np.uint16).ctypes.data == address  # returned, handed out again
True
>>> held_memory.release()
"""

from __future__ import annotations

import mmap
import threading
import weakref

import numpy as np

# Arrays below this size are allocated as usual: the block is for the volume-sized ones (a
# `200` sample at 4 um is 1.9e6 voxels).
MIN_HELD_BYTES = 16 * 2**20
_PAGE = 2 * 2**20  # the block grows in huge pages' size

# Re-entrant: a lease's finalizer may run inside a garbage collection that starts while the
# lock is held.
_lock = threading.RLock()
_state = {"on": False, "reserve": 0, "min_bytes": MIN_HELD_BYTES, "block": None, "leased": False}


def hold(*, reserve_bytes: int = 0, min_bytes: int | None = None) -> None:
    """Keep one scratch block in this process from now on (until :func:`release`).

    Parameters
    ----------
    reserve_bytes : int
        Size to make the block when it is first made or grown, if the request is smaller:
        the largest array the process will ask for. Only the pages an array touches are
        backed, so a reserve costs no memory until used, and a later, larger sample finds
        the block large enough instead of making a new one (whose pages were all fresh).
    min_bytes : int, optional
        Smallest array :func:`scratch` takes from the block; default :data:`MIN_HELD_BYTES`.
    """
    with _lock:
        _state["on"] = True
        _state["reserve"] = int(reserve_bytes)
        _state["min_bytes"] = MIN_HELD_BYTES if min_bytes is None else int(min_bytes)


def holding() -> bool:
    """Whether this process keeps a scratch block (:func:`hold`)."""
    return bool(_state["on"])


def held_bytes() -> int:
    """Size of the block held now (0 when none)."""
    block = _state["block"]
    return 0 if block is None else len(block)


def release() -> None:
    """Stop holding: the block goes back to the system once no array from it is alive."""
    with _lock:
        _state["on"] = False
        if not _state["leased"]:
            _close_block()


def scratch(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array: from the held block when this process holds one,
    the array is at least the block's minimum size and no other array from it is alive; a
    fresh ``numpy.empty`` array otherwise.

    Parameters
    ----------
    shape : int or tuple of int
    dtype : data-type

    Returns
    -------
    ndarray
        Writable; never shares memory with an array still in use.
    """
    dtype = np.dtype(dtype)
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    with _lock:
        if not _state["on"] or _state["leased"] or nbytes < _state["min_bytes"]:
            return np.empty(shape, dtype)
        block = _state["block"]
        if block is None or len(block) < nbytes:
            try:
                larger = _new_block(max(nbytes, _state["reserve"]))
            except (OSError, OverflowError, ValueError):
                # mmap's error names no size; numpy's own (or its array) says what failed.
                return np.empty(shape, dtype)
            # A larger sample: the smaller block goes (nothing uses it).
            _close_block()
            block = _state["block"] = larger
        # Every view made from `lease` keeps `lease` alive (numpy sets a view's base to the
        # first array that does not own its memory), so it dies with the last of them.
        lease = np.frombuffer(block, dtype=np.uint8, count=nbytes)
        _state["leased"] = True
    weakref.finalize(lease, _returned, block)
    return lease.view(dtype).reshape(shape)


def _returned(block) -> None:
    with _lock:
        _state["leased"] = False
        if not _state["on"] and _state["block"] is block:
            _close_block()


def _new_block(nbytes: int) -> mmap.mmap:
    size = -(-nbytes // _PAGE) * _PAGE
    block = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        # As numpy does for its own large arrays: a fault per 2 MiB, not per 4 KiB.
        block.madvise(mmap.MADV_HUGEPAGE)
    return block


def _close_block() -> None:
    """Unmap the block (called with the lock held and no lease out)."""
    block = _state["block"]
    _state["block"] = None
    if block is not None:
        try:
            block.close()
        except BufferError:  # a buffer export not yet collected: the mmap goes with it
            pass
