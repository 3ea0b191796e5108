"""Active learning: the surrogate chooses which expensive samples the generator simulates next
(:mod:`~surrogate.active.loop`, on the sweep machinery), and a replay on a finished dataset
that tests whether choosing beats random (:mod:`~surrogate.active.replay`).

Public API
----------
run_active, ActiveSettings, ActiveOutcome
    The live loop.
replay, compare_strategies
    The replay and its verdicts.
"""

from surrogate.active.loop import ActiveOutcome, ActiveSettings, run_active
from surrogate.active.replay import compare_strategies, replay

__all__ = [
    "ActiveOutcome",
    "ActiveSettings",
    "compare_strategies",
    "replay",
    "run_active",
]
