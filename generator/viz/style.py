"""What every figure of the project writes the same way: units, numbers, shared bins, legends.

Public API
----------
display_unit, unit_suffix
    A unit as a label shows it (``um`` -> ``µm``), and `` (µm)`` after a quantity.
format_value, format_spread
    A value rounded to its spread (``1.029 ± 0.013``), never to 6-8 digits the data cannot
    support.
shared_bin_edges
    One set of histogram bin edges for several samples drawn on one axis.
legend_outside
    An axes' legend beside its data box, never over the data.

Tables and run folders keep units as ASCII (``um``, the column names' spelling); figures show
them through :func:`display_unit`, so ``µm`` is the only spelling a reader sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

# "u" standing for micro: at the start of a unit token and followed by a unit letter that ends
# the token (um, um2, 1/um, um^3), never inside a word ("umol" is left as it is).
_MICRO = re.compile(r"(?<![A-Za-z])u(?=m(?![A-Za-z]))")
DIMENSIONLESS = ("", "1", "-", "–")


def display_unit(unit: str | None) -> str:
    """``unit`` as a figure shows it: the micro sign for ``u`` (``um`` -> ``µm``).

    Parameters
    ----------
    unit : str or None
        As a table or a dataset's metadata spells it.

    Returns
    -------
    str
        ``""`` for None.

    Examples
    --------
    >>> from generator.viz.style import display_unit
    >>> display_unit("um"), display_unit("1/um"), display_unit("um2"), display_unit("mg/cm2")
    ('µm', '1/µm', 'µm2', 'mg/cm2')
    >>> display_unit("umol/L"), display_unit(None)
    ('umol/L', '')
    """
    return _MICRO.sub("µ", unit or "")


def unit_suffix(unit: str | None) -> str:
    """`` (µm)`` after a quantity's name; nothing for a dimensionless one.

    Examples
    --------
    >>> from generator.viz.style import unit_suffix
    >>> unit_suffix("um"), unit_suffix("1"), unit_suffix("")
    (' (µm)', '', '')
    """
    unit = display_unit(unit)
    return "" if unit in DIMENSIONLESS else f" ({unit})"


def _decimals(spread: float, digits: int) -> int:
    """Decimals that show ``spread`` with ``digits`` significant digits (negative: tens,
    hundreds)."""
    return digits - 1 - math.floor(math.log10(abs(spread)))


def _fixed(value: float, decimals: int) -> str:
    if decimals >= 0:
        return f"{value:.{decimals}f}"
    return f"{round(value, decimals):.0f}"


def format_value(
    value: float,
    spread: float | None = None,
    *,
    digits: int = 2,
    fallback: int = 4,
) -> str:
    """``value`` to the decimal place of ``spread`` shown with ``digits`` significant digits.

    Parameters
    ----------
    value : float
    spread : float, optional
        Its standard deviation, standard error or interval half-width. None, zero or not
        finite: ``value`` with ``fallback`` significant digits.
    digits : int
        Significant digits of the spread (two: ``0.013``, ``1.4``).
    fallback : int

    Returns
    -------
    str

    Examples
    --------
    >>> from generator.viz.style import format_value
    >>> format_value(1.0293847, 0.0134), format_value(35.71234, 2.4), format_value(1234.5, 870)
    ('1.029', '35.7', '1230')
    >>> format_value(1.0293847), format_value(1.03, 0.0), format_value(1234.0)
    ('1.029', '1.030', '1234')
    """
    value = float(value)
    if not math.isfinite(value):
        return f"{value:g}"
    if spread is None or not math.isfinite(spread) or spread == 0:
        # "#" keeps the trailing zeros of the significant digits (1.030, not 1.03).
        return f"{value:#.{fallback}g}".rstrip(".")
    return _fixed(value, _decimals(float(spread), digits))


def format_spread(value: float, spread: float | None, *, digits: int = 2, fallback: int = 4) -> str:
    """``value ± spread``, both to the decimal place of the spread's ``digits`` significant
    digits; the value alone when the spread is None, zero or not finite (never ``± 1e-16`` or
    ``± 0``).

    Examples
    --------
    >>> from generator.viz.style import format_spread
    >>> format_spread(1.0293847, 0.013412), format_spread(12.3456, 0.0)
    ('1.029 ± 0.013', '12.35')
    >>> format_spread(1.0293847, 1.1e-16)
    '1.029'
    """
    value, scale = float(value), abs(float(value)) or 1.0
    if spread is None or not math.isfinite(spread) or abs(spread) < 1e-12 * scale:
        return format_value(value, fallback=fallback)
    decimals = _decimals(float(spread), digits)
    return f"{_fixed(value, decimals)} ± {_fixed(abs(float(spread)), decimals)}"


def shared_bin_edges(samples: Iterable, *, bins: int = 20) -> np.ndarray:
    """One set of ``bins`` equal bins over all ``samples`` together (finite values only), so
    histograms drawn on one axis compare bar by bar.

    Parameters
    ----------
    samples : iterable of array_like
    bins : int

    Returns
    -------
    ndarray of float64, shape (bins + 1,)

    Raises
    ------
    ValueError
        No finite value in any sample.

    Examples
    --------
    >>> from generator.viz.style import shared_bin_edges
    >>> shared_bin_edges([[1.0, 1.5], [2.0, 3.0]], bins=4).tolist()
    [1.0, 1.5, 2.0, 2.5, 3.0]
    """
    values = np.concatenate([np.ravel(np.asarray(s, dtype=float)) for s in samples])
    values = values[np.isfinite(values)]
    if not values.size:
        raise ValueError("samples hold no finite value to bin")
    return np.histogram_bin_edges(values, bins=int(bins))


def legend_outside(ax, **kwargs):
    """The legend of ``ax`` beside its data box, on the right, top-aligned: never over the data.

    Constrained layout makes room for it. Keyword arguments go to ``ax.legend`` (and win).

    Returns
    -------
    matplotlib.legend.Legend
    """
    place = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0}
    return ax.legend(**{"fontsize": 9, **place, **kwargs})
