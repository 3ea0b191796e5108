"""Checks made before heavy work: memory estimates from shapes, and sizes that make sense.

Every check raises ``ValueError`` naming the value, the estimate and what was expected, so the
command line turns it into one line and exit code 2 before anything is allocated or written.
"""

from __future__ import annotations

import math

# Peak bytes a voxel: generating a sample (labels, streamed binder distances: 2.8 measured with
# the interpreter, 4.0 when a wide closing needs uint16 distances; `python -m
# workflows.bench_generator --stages`) and the tortuosity beside an image (the label image 1,
# its pore copy 1, one float32 distance field 4, reached-from-outlet bits; in a sweep the
# labels shrink to 2 bits and the pore mask is the solver's array: 1.96 GiB peak a worker
# for a 3.2e8-voxel 1000 sample at 1 um, the interpreter and libraries included, 6.6 B/voxel).
# A sweep worker keeps the distance field's 4 B/voxel from one sample to the next
# (generator._shared.held_memory) and generates the next sample beside it, its fibre distances
# in that block: 4 + 1.4 B/voxel (2 more with uint16 distances), below the tortuosity's own
# peak (a thickest `1000` sample, one process: 1.85 GiB with the block and the leaner pore
# mask, 1.86 before both).
GENERATE_BYTES_PER_VOXEL = 4.0
TORTUOSITY_BYTES_PER_VOXEL = 7.5
DIFFUSIVE_BYTES_PER_VOXEL = 22.0  # diffusive tortuosity: fields, codes, coarse levels (measured)
# Use at most this share of the memory available now.
MEMORY_SHARE = 0.8
# Voxel sizes whose distances float32 carries without under- or overflow, in um.
VOXEL_UM_RANGE = (1e-4, 1e4)


def available_bytes() -> int:
    """Memory available to a new allocation now (psutil's estimate).

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> from generator._shared.guards import available_bytes
    >>> available_bytes() > 0
    True
    """
    import psutil

    return int(psutil.virtual_memory().available)


def check_memory(
    need_bytes: float, what: str, hint: str = "use a coarser voxel_um or a smaller domain"
) -> None:
    """Refuse work whose estimated peak exceeds the share of memory available now.

    Parameters
    ----------
    need_bytes : float
        Estimated peak memory of the work.
    what : str
        The work, as the message's subject (``"a sample of 3e+08 voxels"``).
    hint : str
        What to do instead, ending the message.

    Raises
    ------
    ValueError
        When ``need_bytes`` exceeds :data:`MEMORY_SHARE` of :func:`available_bytes`.

    Examples
    --------
    A pebibyte (2**50 bytes, 1048576 GiB) is refused on any machine of today:

    >>> from generator._shared.guards import check_memory
    >>> check_memory(2**20, "a small job")
    >>> check_memory(2**50, "a test", "ask for less")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: a test needs about 1048576.0 GiB at its peak; this machine has ... GiB
    available: ask for less
    """
    available = available_bytes()
    if need_bytes > MEMORY_SHARE * available:
        raise ValueError(
            f"{what} needs about {need_bytes / 2**30:.1f} GiB at its peak; this machine has "
            f"{available / 2**30:.1f} GiB available: {hint}"
        )


def check_voxel_size(voxel_um, *, what: str = "voxel size") -> float:
    """A voxel size as a float, refused when not finite or outside :data:`VOXEL_UM_RANGE`.

    Parameters
    ----------
    voxel_um : float or str
        Anything ``float`` reads.
    what : str
        The value's name in messages.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Not a number, not finite, or outside the range.

    Examples
    --------
    >>> from generator._shared.guards import check_voxel_size
    >>> check_voxel_size("2")
    2.0
    >>> check_voxel_size(0)
    Traceback (most recent call last):
    ...
    ValueError: voxel size 0 um must be a finite number in [0.0001, 10000]
    """
    try:
        value = float(voxel_um)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} {voxel_um!r} is not a number of micrometres") from err
    low, high = VOXEL_UM_RANGE
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{what} {voxel_um!r} um must be a finite number in [{low:g}, {high:g}]")
    return value


def sample_grid_problem(shape, voxel_um: float, radius_um: float) -> tuple[str, str] | None:
    """Why a grid cannot draw a sample, or None: a voxel coarser than the fibre diameter, or an
    axis of fewer than 2 voxels (memory aside: :func:`check_sample_grid` checks that too).

    Parameters
    ----------
    shape : tuple of int
        ``(nz, ny, nx)``.
    voxel_um : float
    radius_um : float

    Returns
    -------
    (str, str) or None
        A short reason, the same for every sample it refuses (a plan counts them by it), and
        the full message.

    Examples
    --------
    >>> from generator._shared.guards import sample_grid_problem
    >>> sample_grid_problem((47, 20, 20), 6.0, 4.5) is None
    True
    >>> sample_grid_problem((24, 10, 10), 12.0, 4.5)[0]
    'voxel coarser than the fibre diameter'
    """
    # A fibre narrower than a voxel cannot be drawn (its voxels appear and vanish along it);
    # up to one voxel per diameter it is a coarse but connected line, which quick previews use.
    if voxel_um > 2 * radius_um:
        return "voxel coarser than the fibre diameter", (
            f"voxel size {voxel_um:g} um is coarser than the fibre diameter {2 * radius_um:g} um: "
            "the fibres cannot be drawn; use voxel_um of at most the diameter (at most the "
            "radius for quantitative work)"
        )
    if min(shape) < 2:
        return "fewer than 2 voxels along an axis", (
            f"a grid of {tuple(shape)} voxels (z, y, x) has fewer than 2 voxels along an axis at "
            f"{voxel_um:g} um: use a finer voxel or a larger domain"
        )
    return None


def check_sample_grid(shape, voxel_um: float, radius_um: float) -> None:
    """Refuse a grid that cannot resolve the fibres or that does not fit in memory.

    Parameters
    ----------
    shape : tuple of int
        ``(nz, ny, nx)``.
    voxel_um : float
    radius_um : float
        Fibre radius: a voxel may be at most the diameter.

    Raises
    ------
    ValueError
        A voxel coarser than the fibre diameter, an axis of fewer than 2 voxels
        (:func:`sample_grid_problem`), or a sample that would not fit in memory
        (:func:`check_memory`).

    Examples
    --------
    A 12 um voxel cannot draw 9 um fibres:

    >>> from generator._shared.guards import check_sample_grid
    >>> check_sample_grid((47, 20, 20), 6.0, 4.5)
    >>> check_sample_grid((24, 10, 10), 12.0, 4.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: voxel size 12 um is coarser than the fibre diameter 9 um: the fibres cannot be
    drawn; ...
    """
    problem = sample_grid_problem(shape, voxel_um, radius_um)
    if problem:
        raise ValueError(problem[1])
    voxels = math.prod(float(n) for n in shape)
    check_memory(voxels * GENERATE_BYTES_PER_VOXEL, f"a sample of {voxels:.3g} voxels")
