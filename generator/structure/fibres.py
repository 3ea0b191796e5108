"""Straight infinite fibres as a Poisson line process over the sample box.

Why a line process: a fibre is a straight circular cylinder that crosses the whole domain
(GeoDict's "infinite" fibres). In a Poisson line process with direction law ``nu`` the
expected fibre length inside any region, per direction, is the region's volume times ``nu``;
so the length-weighted direction distribution is ``nu`` exactly, in every box shape, with no
density deficit at the edges and no bias towards the long side of a 2000 x 200 um box.

A line is parametrised by its in-plane angle ``phi``, tilt ``theta``, signed in-plane offset ``s``
of its projection from the box centre and its height ``z0`` there. The perpendicular area
element is ``ds dz0 cos(theta)``, and only offsets inside the box's in-plane shadow
``w(phi) = |sin phi| Lx + |cos phi| Ly`` (grown by the radius) can hit it. Drawing

* ``phi`` with density proportional to ``f(phi) w(phi)`` (``f`` the in-plane law),
* ``sin(theta)`` uniformly (density proportional to ``cos(theta)``, cancelling the area factor),
* ``s`` uniformly over the shadow and ``z0`` uniformly over the box height plus a margin,

from four uniforms per line gives exactly the lines of the process that can touch the box;
lines whose axis misses the box add no length. Nothing is selected or rejected by a score, so
no direction or position is preferred.

``stratify=True`` takes the four uniforms from a scrambled Sobol sequence instead of independent
draws. Each scrambled point is still uniform on the unit cube, so every expectation (direction
histogram, tensor, fibre count, profiles) is unchanged; the sums over one sample just scatter
less around them. ``stratify=False`` is the pure Boolean line model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from generator.structure._orientation import (
    directions,
    in_plane_anisotropy,
    orientation_tensor,
    tilt_limit,
)

# Grid of the tabulated in-plane angle CDF; its inversion error is far below a voxel.
ANGLE_TABLE_POINTS = 1 << 14
FIRST_BATCH = 256
STRATIFY_DEFAULT = True


@dataclass(frozen=True)
class FibreSet:
    """Fibres of one sample, in micrometres, in the (x, y, z) frame (z through-plane).

    Attributes
    ----------
    centre : ndarray, shape (n, 3)
        Midpoint of each fibre axis's chord through the domain.
    direction : ndarray, shape (n, 3)
        Unit axis direction.
    radius : ndarray, shape (n,)
    length : ndarray, shape (n,)
        Length of the axis inside the domain (the orientation tensor's weight); zero for a
        fibre whose surface grazes the domain while its axis misses it.

    Examples
    --------
    Two fibres, 30 um along x and 10 um along y: the length-weighted orientation tensor is
    ``diag(30, 10, 0) / 40``.

    >>> import numpy as np
    >>> from generator.structure import FibreSet
    >>> fibres = FibreSet(
    ...     centre=np.zeros((2, 3)),
    ...     direction=np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    ...     radius=np.array([4.5, 4.5]),
    ...     length=np.array([30.0, 10.0]),
    ... )
    >>> len(fibres), np.diag(fibres.orientation_tensor()).tolist()
    (2, [0.75, 0.25, 0.0])
    """

    centre: np.ndarray
    direction: np.ndarray
    radius: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.radius)

    def orientation_tensor(self) -> np.ndarray:
        """Orientation tensor weighted by fibre length inside the domain."""
        return orientation_tensor(self.direction, self.length)


def chord(point: np.ndarray, direction: np.ndarray, low, high) -> tuple[np.ndarray, np.ndarray]:
    """Parameter interval ``[t0, t1]`` where lines ``point + t * direction`` are inside a box.

    Parameters
    ----------
    point, direction : ndarray, shape (n, 3)
    low, high : array_like, shape (3,)
        Box corners.

    Returns
    -------
    t0, t1 : ndarray, shape (n,)
        ``t0 > t1`` where a line misses the box.

    Examples
    --------
    A line along x from 5 um before a 10 um cube enters at ``t = 5`` and leaves at ``t = 15``;
    a parallel line beside the cube misses it (``t0 > t1``):

    >>> import numpy as np
    >>> from generator.structure.fibres import chord
    >>> point = np.array([[-5.0, 5.0, 5.0], [-5.0, 20.0, 5.0]])
    >>> t0, t1 = chord(point, np.array([[1.0, 0.0, 0.0]] * 2), 0.0, 10.0)
    >>> t0.tolist(), t1.tolist()
    ([5.0, 5.0], [15.0, -inf])
    """
    low = np.broadcast_to(np.asarray(low, dtype=np.float64), (3,))
    high = np.broadcast_to(np.asarray(high, dtype=np.float64), (3,))
    t0 = np.full(len(point), -np.inf)
    t1 = np.full(len(point), np.inf)
    for axis in range(3):
        d = direction[:, axis]
        p = point[:, axis]
        moving = np.abs(d) > 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(moving, (low[axis] - p) / d, -np.inf)
            b = np.where(moving, (high[axis] - p) / d, np.inf)
        t0 = np.maximum(t0, np.minimum(a, b))
        t1 = np.minimum(t1, np.maximum(a, b))
        # A line parallel to this face is in or out for good.
        outside = ~moving & ((p < low[axis]) | (p > high[axis]))
        t1 = np.where(outside, -np.inf, t1)
    return t0, t1


def shadow_width(phi: np.ndarray, lx: float, ly: float) -> np.ndarray:
    """Width of an ``lx`` x ``ly`` rectangle seen along in-plane direction ``phi``.

    Parameters
    ----------
    phi : ndarray
        In-plane angle from the x axis, in radians.
    lx, ly : float
        Rectangle sides along x and y.

    Returns
    -------
    ndarray
        ``|sin phi| lx + |cos phi| ly``, the range of offsets of lines that cross it.

    Examples
    --------
    Looking along x a 2000 x 200 rectangle is 200 wide; looking along y, 2000:

    >>> import numpy as np
    >>> from generator.structure.fibres import shadow_width
    >>> shadow_width(np.array([0.0, np.pi / 2]), 2000.0, 200.0).round(6).tolist()
    [200.0, 2000.0]
    """
    return np.abs(np.sin(phi)) * lx + np.abs(np.cos(phi)) * ly


class FibreStream:
    """Draws the fibres of a Poisson line process through a box, in a reproducible order.

    Parameters
    ----------
    box_um : tuple of float
        Domain size ``(Lx, Ly, Lz)`` in micrometres.
    radius_um : float
        Fibre radius.
    orientation : tuple of float
        Target diagonal ``(t11, t22, t33)`` of the length-weighted orientation tensor.
    seed : int
        The same seed gives the same fibres.
    stratify : bool
        Scrambled Sobol points (True) or independent uniforms (False) for the line parameters;
        both give the same distribution of fibres (see the module docstring).

    Examples
    --------
    Fibres of 4.5 um radius through a 60 um cube until their nominal volume reaches 1e4 um^3:

    >>> import numpy as np
    >>> from generator.structure import DEFAULT_ORIENTATION
    >>> from generator.structure.fibres import FibreStream
    >>> rows = FibreStream((60.0, 60.0, 60.0), 4.5, DEFAULT_ORIENTATION, seed=1).take(1e4)
    >>> rows.shape[1], bool(np.pi * 4.5**2 * rows[:, 6].sum() >= 1e4)
    (7, True)
    >>> bool(np.allclose(np.linalg.norm(rows[:, 3:6], axis=1), 1.0))  # unit directions
    True
    """

    def __init__(self, box_um, radius_um: float, orientation, seed: int, *, stratify=True):
        self.box = np.asarray(box_um, dtype=np.float64)
        self.radius = float(radius_um)
        self.stratify = bool(stratify)
        anisotropy = in_plane_anisotropy(orientation[0], orientation[1])
        self.theta_max = tilt_limit(orientation[2])
        lx, ly, lz = self.box
        grown_x, grown_y = lx + 2 * self.radius, ly + 2 * self.radius
        self._grown = (grown_x, grown_y)
        self.half_span = 0.5 * np.hypot(grown_x, grown_y)
        self.z_margin = self.half_span * np.tan(self.theta_max) + self.radius / np.cos(
            self.theta_max
        )
        # Inverse CDF of phi with density proportional to f(phi) w(phi) on [0, pi).
        grid = np.linspace(0.0, np.pi, ANGLE_TABLE_POINTS + 1)
        density = (1.0 + anisotropy * np.cos(2 * grid)) * shadow_width(grid, grown_x, grown_y)
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]))])
        self._angle_grid, self._angle_cdf = grid, cdf / cdf[-1]
        rng = np.random.default_rng(seed)
        if self.stratify:
            self._sobol = qmc.Sobol(d=4, scramble=True, seed=rng)
        else:
            self._rng = rng
        self._pending = np.zeros((0, 7))

    def _uniforms(self) -> np.ndarray:
        """The next block of points in [0, 1)^4; Sobol blocks keep every prefix a power of 2."""
        if self.stratify:
            return self._sobol.random(max(FIRST_BATCH, self._sobol.num_generated))
        return self._rng.random((FIRST_BATCH, 4))

    def _lines(self, u: np.ndarray) -> np.ndarray:
        """Rows (centre, direction, length in box) of the lines for points ``u`` that touch the
        box, in the order of ``u``."""
        phi = np.interp(u[:, 0], self._angle_cdf, self._angle_grid)
        offset = (u[:, 1] - 0.5) * shadow_width(phi, *self._grown)
        theta = np.arcsin((2 * u[:, 2] - 1) * np.sin(self.theta_max))
        height = -self.z_margin + u[:, 3] * (self.box[2] + 2 * self.z_margin)
        d = directions(phi, theta)
        anchor = np.stack(
            [
                0.5 * self.box[0] - offset * np.sin(phi),
                0.5 * self.box[1] + offset * np.cos(phi),
                height,
            ],
            axis=1,
        )
        g0, g1 = chord(anchor, d, -self.radius, self.box + self.radius)
        touches = g1 > g0
        anchor, d, g0, g1 = anchor[touches], d[touches], g0[touches], g1[touches]
        a0, a1 = chord(anchor, d, 0.0, self.box)
        inside = a1 > a0
        length = np.where(inside, a1 - a0, 0.0)
        # Centre on the axis chord through the box, or the grown box for grazing fibres.
        mid = np.where(inside, 0.5 * (a0 + a1), 0.5 * (g0 + g1))
        return np.concatenate([anchor + mid[:, None] * d, d, length[:, None]], axis=1)

    def take(self, volume_um3: float) -> np.ndarray:
        """The next fibres, until their nominal volume (pi r^2 times length in the box) adds
        up to ``volume_um3``.

        Parameters
        ----------
        volume_um3 : float
            Nominal fibre volume to reach, in um^3.

        Returns
        -------
        ndarray, shape (n, 7)
            Rows of centre (3), direction (3), length in the box; at least one row with a
            positive length.
        """
        area = np.pi * self.radius**2
        chosen = []
        added = 0.0
        while True:
            if not len(self._pending):
                self._pending = self._lines(self._uniforms())
                continue
            volume = added + area * np.cumsum(self._pending[:, 6])
            reached = np.flatnonzero((volume >= volume_um3) & (volume > 0))
            stop = int(reached[0]) + 1 if len(reached) else len(self._pending)
            chosen.append(self._pending[:stop])
            added = float(volume[stop - 1])
            self._pending = self._pending[stop:]
            if len(reached):
                return np.concatenate(chosen)


def stack_fibres(rows: list[np.ndarray], radius_um: float) -> FibreSet:
    """Build a :class:`FibreSet` from the row blocks that :meth:`FibreStream.take` returned.

    Parameters
    ----------
    rows : list of ndarray, each of shape (n_i, 7)
        Centre (3), direction (3) and length in the box per fibre.
    radius_um : float
        The radius of every fibre.

    Returns
    -------
    FibreSet

    Examples
    --------
    >>> import numpy as np
    >>> from generator.structure.fibres import stack_fibres
    >>> block = np.array([[5.0, 5.0, 5.0, 1.0, 0.0, 0.0, 10.0]])
    >>> fibres = stack_fibres([block, block], 4.5)
    >>> len(fibres), fibres.radius.tolist(), fibres.length.tolist()
    (2, [4.5, 4.5], [10.0, 10.0])
    """
    table = np.concatenate(rows) if rows else np.zeros((0, 7))
    return FibreSet(
        centre=np.ascontiguousarray(table[:, 0:3]),
        direction=np.ascontiguousarray(table[:, 3:6]),
        radius=np.full(len(table), float(radius_um)),
        length=np.ascontiguousarray(table[:, 6]),
    )
