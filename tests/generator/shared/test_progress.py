"""Progress lines: no time left until the pace after the first item is known."""

import io

import generator._shared.progress as progress_module
from generator import ProgressCounter


def test_time_left_comes_from_the_items_after_the_first(monkeypatch):
    # A first item that took 100 s (start-up), then one every 2 s: after the third, 2 items
    # in 4 s since the first, 7 left -> 14 s (not 104 s / 3 * 7 = 243 s).
    now = [0.0]
    monkeypatch.setattr(progress_module.time, "time", lambda: now[0])
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_S", -1.0)
    log = io.StringIO()
    counter = ProgressCounter(10, "sweep", stream=log)
    for now[0] in (100.0, 102.0, 104.0):
        counter.step()
    lines = log.getvalue().splitlines()
    assert lines[0] == "sweep: 1/10 samples, 0 failed, 100 s elapsed"
    assert lines[2] == "sweep: 3/10 samples, 0 failed, 104 s elapsed, ~14 s left"
