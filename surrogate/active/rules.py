"""The choosing rules of active learning, shared by the live loop and its replay: distances in
the unit cube of the parameter ranges, ensemble disagreement with a batch that spreads out,
greedy space filling, and the ensemble of transferred nets they rest on."""

from __future__ import annotations

from functools import partial

import numpy as np

from generator.sweep.design import PARAMETERS


def unit_cube(x: np.ndarray, ranges: dict) -> np.ndarray:
    """Parameters scaled to [0, 1] by their design ranges (columns in :data:`PARAMETERS`)."""
    low = np.array([ranges[name][0] for name in PARAMETERS], dtype=float)
    high = np.array([ranges[name][1] for name in PARAMETERS], dtype=float)
    return (x - low) / np.where(high > low, high - low, 1.0)


def typical_spacing(points: np.ndarray) -> float:
    """Median distance from each point to its nearest other point (1 for a single point)."""
    if len(points) < 2:
        return 1.0
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(points).query(points, k=2)
    return float(np.median(distances[:, 1])) or 1.0


def choose_by_disagreement(scores, candidates_unit, chosen_unit, batch: int) -> list[int]:
    """Greedy batch: the highest score, then the scores near it damped, and again.

    Parameters
    ----------
    scores : array
        Disagreement per candidate (higher: more worth simulating).
    candidates_unit, chosen_unit : array
        Candidates and already simulated points in the unit cube.
    batch : int

    Returns
    -------
    list of int
        Positions in ``candidates_unit``.
    """
    score = np.array(scores, dtype=float)
    length = typical_spacing(chosen_unit)
    picks = []
    for _ in range(min(batch, len(score))):
        best = int(np.argmax(score))
        picks.append(best)
        distance = np.linalg.norm(candidates_unit - candidates_unit[best], axis=1)
        score = score * (1.0 - np.exp(-0.5 * (distance / length) ** 2))
        score[best] = -np.inf
    return picks


def disagreement_percent(ensemble, x) -> np.ndarray:
    """The members' standard deviation relative to their mean, in % (MAPE's scale)."""
    x = np.asarray(x, dtype=np.float32)
    return 100.0 * ensemble.disagreement(x) / np.abs(ensemble.predict(x))


def choose_space_filling(candidates_unit, chosen_unit, batch: int) -> list[int]:
    """Greedy maximin: each pick the candidate farthest from everything chosen so far."""
    if len(chosen_unit):
        nearest = np.min(
            np.linalg.norm(candidates_unit[:, None, :] - chosen_unit[None, :, :], axis=2), axis=1
        )
    else:
        nearest = np.full(len(candidates_unit), np.inf)
    picks = []
    for _ in range(min(batch, len(candidates_unit))):
        best = int(np.argmax(nearest))
        picks.append(best)
        nearest = np.minimum(
            nearest, np.linalg.norm(candidates_unit - candidates_unit[best], axis=1)
        )
        nearest[best] = -np.inf
    return picks


def fit_ensemble(
    pretrained, x, y, *, members: int, level: float, epochs: int, seed: int,
    rescale: bool = False, make_member=None,
):  # fmt: skip
    """An ensemble of transferred nets on the rows given (10 % of them, at least one, held out
    for the members' epoch choice).

    Parameters
    ----------
    pretrained : MLP
        The frozen net every member's adapter builds on.
    x, y : arrays
        The rows to fit.
    members, level, epochs, seed
        As :class:`~surrogate.estimators.ensemble.EnsembleRegressor` and
        :class:`~surrogate.estimators.regressors.NetOptions` (one restart a member).
    rescale : bool
        ``y`` is another column than the one ``pretrained`` learnt: each adapter starts from
        the least-squares line of ``y`` on the pretrained prediction
        (:class:`~surrogate.estimators.regressors.TransferRegressor`).
    make_member : callable, optional
        ``make_member(seed, options)`` -> an unfitted member instead of a transferred net (the
        replay's ``cheap_value_input`` ensemble).

    Returns
    -------
    EnsembleRegressor
    """
    from surrogate.estimators.ensemble import EnsembleRegressor
    from surrogate.estimators.regressors import NetOptions

    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, int(round(0.1 * len(x))))
    val, train = order[:n_val], order[n_val:]
    options = NetOptions(epochs=epochs, restarts=1)
    if make_member is None:
        factory = partial(_transfer_member, pretrained, options, rescale)
    else:
        factory = partial(_custom_member, make_member, options)
    # Partials, not closures: the fitted ensemble pickles.
    return EnsembleRegressor(factory, members, level, seed).fit(x[train], y[train], x[val], y[val])


def _transfer_member(pretrained, options, rescale, member_seed):
    from surrogate.estimators.regressors import TransferRegressor

    return TransferRegressor(pretrained, None, options, member_seed, rescale)


def _custom_member(make_member, options, member_seed):
    return make_member(member_seed, options)
