"""Fibre orientation model: target tensor -> angle distributions, and the measured tensor.

A fibre direction is ``d = (cos(theta) cos(phi), cos(theta) sin(phi), sin(theta))`` with the
in-plane angle ``phi`` in [0, pi) and the out-of-plane tilt ``theta``.

* ``theta`` is uniform on [-theta_max, theta_max]; ``E[sin^2 theta] = 1/2 - sin(2 theta_max) /
  (4 theta_max)`` is solved for ``theta_max`` so that it equals the target ``t33``.
* ``phi`` has the density ``(1 + a cos 2 phi) / pi``, so ``E[cos^2 phi] = 1/2 + a/4``; ``a = 0``
  is the isotropic in-plane case and ``a`` follows from ``t11 / (t11 + t22)``.

These are distributions of fibre *length* by direction (the physical weighting): the line
process in :mod:`generator.structure.fibres` samples lines so that the expected fibre length inside
the
domain in each direction is proportional to them.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

DEFAULT_ORIENTATION = (0.4966, 0.4966, 0.0068)
MAX_OUT_OF_PLANE = 0.1  # t33 above this is not a nearly in-plane GDL


def validate_orientation(diagonal) -> tuple[float, float, float]:
    """Check a target orientation-tensor diagonal and return it as floats.

    Parameters
    ----------
    diagonal : sequence of 3 floats
        Target ``(t11, t22, t33)``; must sum to 1, with ``0 <= t33 <= 0.1`` and
        ``t11 / (t11 + t22)`` in [0.25, 0.75].

    Returns
    -------
    tuple of float

    Raises
    ------
    ValueError
        Naming the rule the diagonal breaks.

    Examples
    --------
    >>> from generator.structure._orientation import validate_orientation
    >>> validate_orientation([0.5, 0.5, 0])
    (0.5, 0.5, 0.0)
    >>> validate_orientation((0.4, 0.4, 0.2))
    Traceback (most recent call last):
    ...
    ValueError: orientation t33=0.2 is above 0.1: this generator models nearly in-plane GDL
    fibres (the paper's t33 is 0.0068)
    """
    try:
        t11, t22, t33 = (float(v) for v in diagonal)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"orientation diagonal must be three numbers (t11, t22, t33), got {diagonal!r}"
        ) from err
    if min(t11, t22, t33) < 0 or abs(t11 + t22 + t33 - 1.0) > 1e-3:
        raise ValueError(
            f"orientation diagonal {diagonal!r} must be non-negative and sum to 1 "
            f"(it is a trace-one tensor), got sum {t11 + t22 + t33:.4f}"
        )
    if t33 > MAX_OUT_OF_PLANE:
        raise ValueError(
            f"orientation t33={t33} is above {MAX_OUT_OF_PLANE}: this generator models nearly "
            "in-plane GDL fibres (the paper's t33 is 0.0068)"
        )
    share = t11 / (t11 + t22)
    if not 0.25 <= share <= 0.75:
        raise ValueError(
            f"orientation in-plane share t11/(t11+t22)={share:.3f} is outside [0.25, 0.75], "
            "the range the in-plane angle model (1 + a cos 2phi) can represent"
        )
    return t11, t22, t33


def tilt_limit(t33: float) -> float:
    """Half-width ``theta_max`` (radians) of the uniform tilt giving ``E[sin^2 theta] = t33``.

    Parameters
    ----------
    t33 : float
        Target out-of-plane component of the orientation tensor.

    Returns
    -------
    float
        ``theta_max`` in radians; 0 for ``t33 <= 0`` (fibres exactly in-plane).

    Examples
    --------
    The tilt limit of the paper's ``t33 = 0.0068`` gives back that ``t33`` by the formula of
    the module docstring:

    >>> import math
    >>> from generator.structure import tilt_limit
    >>> theta_max = tilt_limit(0.0068)
    >>> round(theta_max, 4), round(0.5 - math.sin(2 * theta_max) / (4 * theta_max), 6)
    (0.1431, 0.0068)
    >>> tilt_limit(0.0)
    0.0
    """
    if t33 <= 0:
        return 0.0

    def mean_sin2(theta_max: float) -> float:
        return 0.5 - np.sin(2 * theta_max) / (4 * theta_max) - t33

    return float(brentq(mean_sin2, 1e-9, np.pi / 2))


def in_plane_anisotropy(t11: float, t22: float) -> float:
    """Coefficient ``a`` of the in-plane angle density ``(1 + a cos 2phi)/pi``.

    ``E[cos^2 phi] = 1/2 + a/4`` equals the in-plane share ``t11 / (t11 + t22)``.

    Parameters
    ----------
    t11, t22 : float
        In-plane diagonal components of the target orientation tensor.

    Returns
    -------
    float
        ``a = 4 (t11 / (t11 + t22) - 1/2)``, in [-1, 1] for shares in [0.25, 0.75].

    Examples
    --------
    >>> from generator.structure._orientation import in_plane_anisotropy
    >>> in_plane_anisotropy(0.5, 0.5), in_plane_anisotropy(0.75, 0.25)
    (0.0, 1.0)
    """
    return 4.0 * (t11 / (t11 + t22) - 0.5)


def directions(phi: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Unit vectors (n, 3) in (x, y, z) from in-plane angle and tilt.

    Parameters
    ----------
    phi : ndarray, shape (n,)
        In-plane angle from the x axis, radians.
    theta : ndarray, shape (n,)
        Tilt out of the plane, radians.

    Returns
    -------
    ndarray, shape (n, 3)
        ``(cos theta cos phi, cos theta sin phi, sin theta)``.

    Examples
    --------
    >>> import numpy as np
    >>> from generator.structure._orientation import directions
    >>> directions(np.array([0.0, np.pi / 2]), np.array([0.0, np.pi / 2])).round(6)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    cos_theta = np.cos(theta)
    return np.stack([cos_theta * np.cos(phi), cos_theta * np.sin(phi), np.sin(theta)], axis=-1)


def orientation_tensor(direction: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Weighted orientation tensor ``T = sum_k w_k d_k d_k^T / sum_k w_k``.

    Parameters
    ----------
    direction : ndarray, shape (n, 3)
        Unit fibre directions in (x, y, z).
    weight : ndarray, shape (n,), optional
        Per-fibre weights; the physical choice is each fibre's axis length inside the domain.
        Unweighted (the paper's equation 4) when omitted.

    Returns
    -------
    ndarray, shape (3, 3)
        Symmetric, trace one.

    Examples
    --------
    Three fibres along x, y and z, unweighted: a third on each axis. Weighted 2, 1, 1:

    >>> import numpy as np
    >>> from generator.structure._orientation import orientation_tensor
    >>> axes = np.eye(3)
    >>> np.diag(orientation_tensor(axes)).round(4).tolist()
    [0.3333, 0.3333, 0.3333]
    >>> np.diag(orientation_tensor(axes, weight=[2, 1, 1])).tolist()
    [0.5, 0.25, 0.25]
    """
    direction = np.asarray(direction, dtype=np.float64)
    w = np.ones(len(direction)) if weight is None else np.asarray(weight, dtype=np.float64)
    if w.sum() <= 0:
        raise ValueError("orientation tensor needs at least one fibre with positive weight")
    return np.einsum("k,ki,kj->ij", w, direction, direction) / w.sum()
