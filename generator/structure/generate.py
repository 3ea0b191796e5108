"""``generate``: the process chain fibres -> binder -> compression."""

from __future__ import annotations

import time

import numpy as np

from generator._shared.guards import check_sample_grid, check_voxel_size
from generator._shared.phases import FIBRE, PHASES
from generator._shared.progress import silent as _silent
from generator._shared.progress import stage
from generator.structure._orientation import DEFAULT_ORIENTATION, validate_orientation
from generator.structure.binder import add_binder
from generator.structure.fibres import STRATIFY_DEFAULT, FibreSet, FibreStream, stack_fibres
from generator.structure.parameters import SampleParameters, resolve_domain, voxel_shape
from generator.structure.sample import GDLSample, phase_fractions, phase_profile

FRACTION_TOLERANCE = 0.005
# Stop adding fibres once within this of the target: one more fibre adds at most ~0.002.
FIBRE_STOP_MARGIN = 0.001


def _draw(volume: np.ndarray, rows: np.ndarray, radius_um: float, voxel_um: float) -> None:
    from generator.structure._raster_kernels import draw_cylinders

    # um in (x, y, z) -> voxel units in array order (z, y, x), voxel k centred at k.
    points = np.ascontiguousarray(rows[:, 2::-1] / voxel_um - 0.5)
    dirs = np.ascontiguousarray(rows[:, 5:2:-1])
    radii = np.full(len(rows), radius_um / voxel_um)
    draw_cylinders(volume, points, dirs, radii, FIBRE)


def _fractions(counts, size: int) -> dict[str, float]:
    """Phase fractions from label counts, as :func:`phase_fractions` gives them."""
    return {name: float(counts[i]) / size for i, name in enumerate(PHASES)}


def place_fibres(
    shape,
    voxel_um: float,
    radius_um: float,
    fraction: float,
    orientation,
    seed: int,
    *,
    stratify: bool = STRATIFY_DEFAULT,
    box_um=None,
) -> tuple[np.ndarray, FibreSet]:
    """Fibre volume (labels 0/1) whose voxel fibre fraction is within 0.005 of ``fraction``.

    Fibres are drawn in batches from a :class:`~generator.structure.fibres.FibreStream` until
    the measured voxel fraction reaches ``fraction`` (less 0.001). The stream depends on the
    seed and the box in um only, so the same seed and box give the same sequence of fibres at
    every voxel size: the fibres of a coarse sample and of a fine one are one list and a prefix
    of it (each takes the fibres its own grid needs to reach ``fraction``).

    Parameters
    ----------
    shape : tuple of int
        Array shape ``(nz, ny, nx)``.
    voxel_um : float
        Voxel edge length in um.
    radius_um : float
        Fibre radius in um.
    fraction : float
        Target fibre voxel fraction.
    orientation : tuple of float
        Target diagonal of the length-weighted orientation tensor.
    seed : int
    stratify : bool
        Scrambled Sobol lines (True) or independent draws (see :mod:`generator.structure.fibres`).
    box_um : tuple of 3 floats, optional
        The continuous box ``(x, y, z)`` in um the lines are drawn in (the domain and the
        thickness); default the grid's extent, ``shape[::-1] * voxel_um``.

    Returns
    -------
    volume : ndarray of uint8, shape ``shape``
        0 pore, 1 fibre.
    fibres : FibreSet
        The fibres drawn, in um.

    Raises
    ------
    RuntimeError
        When single fibres overshoot the target by more than 0.005 (voxel too coarse for the
        domain).

    Examples
    --------
    >>> import numpy as np
    >>> from generator.structure import DEFAULT_ORIENTATION, phase_fractions, place_fibres
    >>> volume, fibres = place_fibres((20, 20, 20), 6.0, 4.5, 0.18, DEFAULT_ORIENTATION, 1)
    >>> np.unique(volume).tolist(), abs(phase_fractions(volume)["fibre"] - 0.18) <= 0.005
    ([0, 1], True)
    >>> bool(np.all(fibres.radius == 4.5))
    True
    """
    nz, ny, nx = shape
    box = np.array([nx, ny, nz], dtype=np.float64) * voxel_um if box_um is None else box_um
    stream = FibreStream(
        np.asarray(box, dtype=np.float64), radius_um, orientation, seed, stratify=stratify
    )
    volume = np.zeros(shape, dtype=np.uint8)
    total = float(np.prod(box))
    # Boolean model: overlapping fibres of total nominal volume V_f fill 1 - exp(-V_f / V).
    batch = stream.take(-np.log1p(-fraction) * total * 0.97)
    rows = [batch]
    while True:
        _draw(volume, batch, radius_um, voxel_um)
        measured = phase_fractions(volume)["fibre"]
        if measured >= fraction - FIBRE_STOP_MARGIN:
            break
        missing = np.log((1.0 - measured) / (1.0 - fraction)) * total
        batch = stream.take(0.9 * missing)
        rows.append(batch)
    if measured > fraction + FRACTION_TOLERANCE:
        raise RuntimeError(
            f"fibre fraction overshot: {measured:.4f} for target {fraction:.4f}: single fibres "
            f"add more than the {FRACTION_TOLERANCE} tolerance here; the voxel is too coarse or "
            "the domain too small for this fibre diameter"
        )
    return volume, stack_fibres(rows, radius_um)


def generate(
    parameters: SampleParameters | None = None,
    *,
    domain="200",
    seed: int = 0,
    voxel_um: float = 1.0,
    orientation=DEFAULT_ORIENTATION,
    stratify: bool = STRATIFY_DEFAULT,
    progress: bool = False,
    **parameter_values,
) -> GDLSample:
    """Generate one fibrous GDL sample: fibres, then binder, then compression.

    Parameters
    ----------
    parameters : SampleParameters, optional
        The five manufacturing parameters; alternatively pass them as keywords
        (``fiber_diameter_um=9, fiber_fraction=0.18, ...``; unnamed ones take defaults).
    domain : {"200", "1000"} or (x_um, y_um)
        In-plane domain: ``"200"`` is 2000 x 200 um, ``"1000"`` is 1000 x 1000 um.
    seed : int
        Same seed and parameters give a bit-identical volume, whatever the thread count.
    voxel_um : float
        Voxel edge length; 1 um is the paper's, larger values coarsen for quick runs.
    orientation : tuple of float
        Target diagonal of the fibre orientation tensor (length-weighted).
    stratify : bool
        Draw the fibre lines from a scrambled Sobol sequence (less sample-to-sample scatter)
        or independently (the pure Boolean line model); both have the same distribution of
        fibres (see :mod:`generator.structure.fibres`).
    progress : bool
        Show each stage on stderr (see :mod:`generator._shared.progress`).

    Returns
    -------
    GDLSample

    Notes
    -----
    Fibre and binder fractions are voxel fractions of the uncompressed domain, each within
    0.005 of its target; compression then keeps the solid and removes pore.

    Examples
    --------
    A 120 x 120 um domain, 280 um thick, at 6 um voxels: round(280 / 6) = 47 slices before
    compression, round((1 - 0.2) * 47) = 38 after (the default compression is 0.2).

    >>> import numpy as np
    >>> from generator import generate
    >>> sample = generate(domain=(120, 120), thickness_um=280, voxel_um=6, seed=1)
    >>> sample.volume.shape, sample.domain
    ((38, 20, 20), '120x120')
    >>> before = sample.fractions["before_compression"]
    >>> abs(before["fibre"] - 0.18) <= 0.005, abs(before["binder"] - 0.07) <= 0.005
    (True, True)

    Compression keeps the solid and removes pore: the fibre and binder voxels counted before
    compression (fractions of 47 x 20 x 20 voxels) are those of the compressed volume.

    >>> [round(before[phase] * 47 * 20 * 20) for phase in ("fibre", "binder")]
    [3383, 1316]
    >>> [int(np.count_nonzero(sample.volume == label)) for label in (1, 2)]
    [3383, 1316]

    The same seed gives the same volume, bit for bit:

    >>> again = generate(domain=(120, 120), thickness_um=280, voxel_um=6, seed=1)
    >>> np.array_equal(again.volume, sample.volume)
    True

    A parameter outside the paper's range is refused before anything is computed:

    >>> generate(fiber_fraction=0.3)
    Traceback (most recent call last):
    ...
    ValueError: fiber_fraction=0.3 is outside its range [0.1, 0.25] 1 (fibre solid volume
    fraction before compression)
    """
    if parameters is None:
        parameters = SampleParameters(**parameter_values)
    elif parameter_values:
        raise TypeError("pass either a SampleParameters or keyword parameters, not both")
    if int(seed) != seed or not 0 <= seed < 2**63:
        raise ValueError(f"seed={seed!r} must be a whole number in [0, 2**63)")
    voxel_um = check_voxel_size(voxel_um)
    orientation = validate_orientation(orientation)
    domain_name, in_plane = resolve_domain(domain)
    shape = voxel_shape(in_plane, parameters.thickness_um, voxel_um)
    radius_um = 0.5 * parameters.fiber_diameter_um
    check_sample_grid(shape, voxel_um, radius_um)
    timings = {}
    report = stage if progress else _silent
    size = "x".join(str(n) for n in shape[::-1])

    start = time.perf_counter()
    with report(f"fibres ({size} voxels)"):
        volume, fibres = place_fibres(
            shape,
            voxel_um,
            radius_um,
            parameters.fiber_fraction,
            orientation,
            int(seed),
            stratify=bool(stratify),
            # The continuous box, not the grid's rounded extent: one fibre stream per seed.
            box_um=(in_plane[0], in_plane[1], parameters.thickness_um),
        )
    timings["fibres_s"] = time.perf_counter() - start

    start = time.perf_counter()
    with report("binder"):
        binder = add_binder(volume, parameters.binder_fraction, seed=int(seed))
        counts = phase_profile(volume).sum(axis=0)
        before = _fractions(counts, volume.size)
    timings["binder_s"] = time.perf_counter() - start

    start = time.perf_counter()
    scaled = 0
    nz_out = max(1, int(round((1.0 - parameters.compression) * shape[0])))
    with report("compression"):
        if nz_out != shape[0]:
            from generator.structure._compression_kernels import compress_columns

            # In place, into the first nz_out slices: no second volume to allocate and touch.
            full, volume = volume, volume[:nz_out]
            scaled = int(compress_columns(full, volume))
            del full
        if scaled:
            counts = phase_profile(volume).sum(axis=0)
        else:
            # Every solid voxel kept (none scaled): only the pore count changes, no pass needed.
            counts[0] = volume.size - counts[1:].sum()
        after = _fractions(counts, volume.size)
    timings["compression_s"] = time.perf_counter() - start

    return GDLSample(
        volume=volume,
        fibres=fibres,
        parameters=parameters,
        seed=int(seed),
        voxel_um=float(voxel_um),
        domain=domain_name,
        domain_um=in_plane,
        fractions={"before_compression": before, "after_compression": after},
        orientation_target=orientation,
        binder=binder,
        scaled_columns=scaled,
        stratify=bool(stratify),
        timings=timings,
    )
