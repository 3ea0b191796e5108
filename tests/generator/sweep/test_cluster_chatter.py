"""Dask's worker-restart chatter is logged, not printed; its errors still reach the user."""

import logging

from generator.sweep.clusters import dask_chatter_logged


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_nanny_warnings_go_to_the_log_and_errors_stay(caplog):
    printed = _Kept()  # stands for the stderr handler distributed installs
    logging.getLogger("distributed").addHandler(printed)
    nanny = logging.getLogger("distributed.nanny")
    try:
        with caplog.at_level(logging.INFO, logger="generator.sweep.clusters"):
            with dask_chatter_logged():
                nanny.warning("Worker process still alive after 4.0 seconds, killing")
                nanny.error("Failed to start worker")
            nanny.warning("after the cluster")
    finally:
        logging.getLogger("distributed").removeHandler(printed)
    assert printed.messages == ["Failed to start worker", "after the cluster"]
    logged = [r.getMessage() for r in caplog.records if r.name == "generator.sweep.clusters"]
    assert logged == ["distributed.nanny: Worker process still alive after 4.0 seconds, killing"]
