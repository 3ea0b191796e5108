"""Fixtures of the surrogate's tests."""

from typing import NamedTuple

import pytest

from tests.cli_runner import surrogate
from tests.surrogate.synthetic import synthetic_dataset_file


class TransferRun(NamedTuple):
    folder: object  # the datasets src.h5 and dst.h5, and runs/
    run: object  # the run directory
    stdout: str  # what the command printed


@pytest.fixture(scope="session")
def transfer_run(tmp_path_factory) -> TransferRun:
    """One small transfer through the command line (2 splits: the metrics keep one value per
    split; 2 members: predict answers with an interval)."""
    folder = tmp_path_factory.mktemp("transfer")
    synthetic_dataset_file(folder / "src.h5", 60, 1, 0.0)
    synthetic_dataset_file(folder / "dst.h5", 30, 2, 0.02)
    done = surrogate(
        "transfer", folder / "src.h5", folder / "dst.h5", splits=2, epochs=20, restarts=1,
        members=2, runs=folder / "runs",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return TransferRun(folder, next((folder / "runs").iterdir()), done.stdout)
