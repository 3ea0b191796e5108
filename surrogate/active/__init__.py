"""Active learning: the surrogate chooses which expensive samples the generator simulates next
(:mod:`~surrogate.active.loop`, on the sweep machinery, its folder and settings in
:mod:`~surrogate.active.state`), by the rules of :mod:`~surrogate.active.rules`; and a replay on
a finished dataset that tests whether choosing beats random (:mod:`~surrogate.active.replay`).

Public API
----------
start_active, run_active, active_pretrained, ActiveSettings, ActiveOutcome, TooFewSamples
    The live loop: from its settings, or from a plan and a net; its frozen net; how it ended.
choose_by_disagreement, choose_space_filling, fit_ensemble
    The rules.
replay, compare_strategies
    The replay and its verdicts.
"""

from surrogate.active.loop import (
    ActiveOutcome,
    TooFewSamples,
    active_pretrained,
    run_active,
    start_active,
)
from surrogate.active.replay import compare_strategies, replay
from surrogate.active.rules import choose_by_disagreement, choose_space_filling, fit_ensemble
from surrogate.active.state import ActiveSettings

__all__ = [
    "ActiveOutcome",
    "ActiveSettings",
    "TooFewSamples",
    "active_pretrained",
    "choose_by_disagreement",
    "choose_space_filling",
    "compare_strategies",
    "fit_ensemble",
    "replay",
    "run_active",
    "start_active",
]
