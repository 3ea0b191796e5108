"""Which worker jobs a batch system still holds: listings in each system's documented format,
and a queue that cannot be asked (never mistaken for lost jobs). Real processes on PATH."""

import os
import stat

import pytest

from generator.sweep.clusters import parse_queue, queue_alive

# squeue -h -o "%i %T"
SLURM = """\
101 RUNNING
102 PENDING
103 COMPLETING
104 CANCELLED
"""
# qstat (OpenPBS / PBS Pro; Torque prints the same columns and C for completed jobs)
PBS = """\
Job id            Name             User              Time Use S Queue
----------------  ---------------- ----------------  -------- - -----
201.pbs-server    dask-worker      alice             00:01:02 R workq
202.pbs-server    dask-worker      alice                    0 Q workq
203.pbs-server    dask-worker      alice             00:05:00 C workq
204.pbs-server    dask-worker      alice                    0 H workq
"""
# qstat (Grid Engine)
SGE = """\
job-ID  prior   name       user         state submit/start at     queue                slots
-----------------------------------------------------------------------------------------------
    301 0.55500 dask-worke alice        r     12/02/2026 10:00:00 all.q@node1              1
    302 0.00000 dask-worke alice        qw    12/02/2026 10:00:01                          1
    303 0.00000 dask-worke alice        Eqw   12/02/2026 10:00:02                          1
    304 0.55500 dask-worke alice        dr    12/02/2026 10:00:03 all.q@node2              1
"""
# bjobs -noheader -o "jobid stat"
LSF = """\
401 RUN
402 PEND
403 DONE
404 EXIT
405 USUSP
"""


@pytest.mark.parametrize(
    ("kind", "text", "alive"),
    [
        ("slurm", SLURM, {"101", "102", "103"}),
        ("pbs", PBS, {"201", "202", "204"}),
        ("sge", SGE, {"301", "302"}),
        ("lsf", LSF, {"401", "402", "405"}),
    ],
)
def test_listings_of_each_batch_system(kind, text, alive):
    assert parse_queue(kind, text) == alive


def fake_command(folder, name, stdout, stderr, code):
    path = folder / name
    path.write_text(f"#!/bin/sh\nprintf '{stdout}'\nprintf '{stderr}' >&2\nexit {code}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize(
    ("kind", "name", "stdout", "stderr", "code", "expected"),
    [
        # A controller that does not answer: unknown, so no job is declared lost.
        ("slurm", "squeue", "", "slurm_load_jobs error: Socket timed out", 1, None),
        # Jobs the controller no longer knows ended.
        ("slurm", "squeue", "", "slurm_load_jobs error: Invalid job id specified", 1, set()),
        ("pbs", "qstat", "", "qstat: Unknown Job Id 7.server", 153, set()),
        ("lsf", "bjobs", "", "Job <7> is not found", 255, set()),
        ("lsf", "bjobs", "7 RUN\\n", "Job <8> is not found", 255, {"7"}),
        ("pbs", "qstat", "", "Connection refused", 1, None),
    ],
)
def test_a_queue_that_cannot_be_asked_is_not_a_lost_job(
    tmp_path, monkeypatch, kind, name, stdout, stderr, code, expected
):
    fake_command(tmp_path, name, stdout, stderr, code)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert queue_alive(kind, ["7", "8"]) == expected


def test_a_missing_queue_command_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert queue_alive("lsf", ["7"]) is None
