"""The five manufacturing parameters of a GDL sample, the domain presets, and their checks.

Examples
--------
Each range is ``(low, high, unit, description)``; each domain its in-plane size (x, y) in um:

>>> from generator import DOMAIN_PRESETS, PARAMETER_RANGES
>>> PARAMETER_RANGES["compression"][:3], DOMAIN_PRESETS["200"]
((0.0, 0.5, '1'), (2000.0, 200.0))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# name -> (low, high, unit, description); the paper's ranges (Methods and Results).
PARAMETER_RANGES: dict[str, tuple[float, float, str, str]] = {
    "fiber_diameter_um": (6.0, 12.0, "um", "carbon fibre diameter"),
    "fiber_fraction": (0.10, 0.25, "1", "fibre solid volume fraction before compression"),
    "binder_fraction": (0.05, 0.10, "1", "PTFE binder volume fraction before compression"),
    "thickness_um": (280.0, 320.0, "um", "thickness before compression"),
    "compression": (0.0, 0.5, "1", "compression factor: final thickness = (1 - c) * thickness"),
}

# In-plane size (x, y) in micrometres of each named domain.
DOMAIN_PRESETS: dict[str, tuple[float, float]] = {
    "200": (2000.0, 200.0),
    "1000": (1000.0, 1000.0),
}


@dataclass(frozen=True)
class SampleParameters:
    """Manufacturing parameters of one sample; out-of-range values raise ``ValueError``.

    Attributes
    ----------
    fiber_diameter_um : float
        Fibre diameter, 6-12 um.
    fiber_fraction : float
        Fibre solid volume fraction before compression, 0.10-0.25.
    binder_fraction : float
        Binder (PTFE) volume fraction before compression, 0.05-0.10.
    thickness_um : float
        Thickness before compression, 280-320 um.
    compression : float
        Compression factor, 0-0.5; the compressed thickness is ``(1 - compression) *
        thickness_um``.

    Examples
    --------
    Unnamed parameters take the defaults; every value is stored as a float:

    >>> from generator import SampleParameters
    >>> SampleParameters(thickness_um=280).as_dict()
    {'fiber_diameter_um': 9.0, 'fiber_fraction': 0.18, 'binder_fraction': 0.07,
     'thickness_um': 280.0, 'compression': 0.2}

    A value outside the paper's range is refused with the range in the message:

    >>> SampleParameters(compression=0.6)
    Traceback (most recent call last):
    ...
    ValueError: compression=0.6 is outside its range [0.0, 0.5] 1 (compression factor: final
    thickness = (1 - c) * thickness)
    """

    fiber_diameter_um: float = 9.0
    fiber_fraction: float = 0.18
    binder_fraction: float = 0.07
    thickness_um: float = 300.0
    compression: float = 0.2

    def __post_init__(self) -> None:
        for name, (low, high, unit, description) in PARAMETER_RANGES.items():
            value = getattr(self, name)
            try:
                number = float(value)
            except (TypeError, ValueError) as err:
                raise ValueError(f"{name}={value!r} is not a number ({description})") from err
            if not low <= number <= high:
                raise ValueError(
                    f"{name}={value} is outside its range [{low}, {high}] {unit} ({description})"
                )
            object.__setattr__(self, name, number)

    def as_dict(self) -> dict[str, float]:
        """Parameters as a plain ``{name: value}`` dictionary."""
        return asdict(self)


def resolve_domain(domain) -> tuple[str, tuple[float, float]]:
    """Name and in-plane size (x, y) in um of a preset name or an explicit ``(x_um, y_um)``.

    Parameters
    ----------
    domain : {"200", "1000"} or (x_um, y_um)
        A key of :data:`DOMAIN_PRESETS` (a string or the integer 200 or 1000), or two positive
        lengths in um.

    Returns
    -------
    name : str
        The preset name, or ``"<x>x<y>"`` for an explicit size.
    size : tuple of float
        In-plane size ``(x_um, y_um)``.

    Examples
    --------
    >>> from generator.structure import resolve_domain
    >>> resolve_domain("200")
    ('200', (2000.0, 200.0))
    >>> resolve_domain((120, 80))
    ('120x80', (120.0, 80.0))
    """
    if isinstance(domain, (int, str)) and str(domain) in DOMAIN_PRESETS:
        return str(domain), DOMAIN_PRESETS[str(domain)]
    if isinstance(domain, (tuple, list)) and len(domain) == 2:
        x_um, y_um = (float(v) for v in domain)
        if x_um <= 0 or y_um <= 0:
            raise ValueError(f"domain size {domain!r} must be positive (x_um, y_um)")
        return f"{x_um:g}x{y_um:g}", (x_um, y_um)
    raise ValueError(
        f"domain={domain!r} is not a preset ({', '.join(DOMAIN_PRESETS)}) "
        "nor an in-plane size (x_um, y_um)"
    )


def voxel_shape(in_plane_um: tuple[float, float], thickness_um: float, voxel_um: float):
    """Array shape (nz, ny, nx) of a domain at a voxel size; at least one voxel each way.

    Parameters
    ----------
    in_plane_um : tuple of float
        In-plane size ``(x_um, y_um)``, as :func:`resolve_domain` returns it.
    thickness_um : float
        Size along z (through-plane), in um.
    voxel_um : float
        Voxel edge length in um (positive).

    Returns
    -------
    tuple of int
        ``(nz, ny, nx)``: each length over the voxel size, rounded to the nearest whole number.

    Examples
    --------
    The ``"200"`` domain, 300 um thick, at 4 um voxels: 300 / 4, 200 / 4 and 2000 / 4 voxels.

    >>> from generator.structure import voxel_shape
    >>> voxel_shape((2000.0, 200.0), 300.0, 4.0)
    (75, 50, 500)
    """
    if not voxel_um > 0:
        raise ValueError(f"voxel_um={voxel_um} must be a positive length in micrometres")
    x_um, y_um = in_plane_um
    return tuple(max(1, int(round(length / voxel_um))) for length in (thickness_um, y_um, x_um))
