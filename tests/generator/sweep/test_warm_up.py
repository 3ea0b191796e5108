"""The sweep's warm-up compiles every kernel a real sample then takes (none is left for a
worker's first sample)."""

from __future__ import annotations

import json
import subprocess
import sys

# In a fresh process (whose dispatchers hold no signature yet): the warm-up parts of a default
# sweep, then a real sample at 1 um (floating binder, a closing undone) and its geodesic solves
# with two threads (the bands joined, the lattice's front). Prints the kernel signatures the
# sample added: loading from numba's cache adds them as compiling does.
SCRIPT = """
import json, sys, numba
from numba.core.registry import CPUDispatcher
from generator.sweep.sample_task import warm_up_part

def signatures():
    found = set()
    for name, module in list(sys.modules.items()):
        if name.startswith("generator.") and module is not None:
            for attribute, value in vars(module).items():
                if isinstance(value, CPUDispatcher):
                    found.update((f"{name}.{attribute}", str(s)) for s in value.signatures)
    return found

warm_up_part("generate")
warm_up_part("geodesic")
before = signatures()
from generator import generate, geodesic_distance
sample = generate(domain=(SIZE, SIZE), fiber_diameter_um=9, fiber_fraction=0.18,
                  binder_fraction=0.07, thickness_um=280, compression=0.2, seed=1)
numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
for metric in ("lattice", "euclidean"):
    geodesic_distance(sample.volume == 0, metric=metric, adaptive_threads=False)
print(json.dumps(sorted(signatures() - before)))
"""


def _kernels_a_sample_added(**env) -> list:
    """Run SCRIPT in a fresh process (with ``env`` added to this one's environment): the
    kernel signatures its real sample added after the warm-up."""
    import os

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.replace("SIZE", "160")],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, **env),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_real_sample_needs_no_kernel_the_warm_up_left_out():
    assert _kernels_a_sample_added() == []


def test_a_one_thread_worker_needs_no_kernel_its_warm_up_left_out():
    # A sweep's local workers solve on one numba thread: their warm-up leaves out the
    # lattice's kernels that join bands (4 of the geodesic part's 26 CPU-s of cold compile),
    # and a real sample must not need them (the euclidean metric's two bands still join).
    assert _kernels_a_sample_added(NUMBA_NUM_THREADS="1") == []


def test_a_first_sample_counts_the_side_by_side_compile_in_its_compile_s(tmp_path, monkeypatch):
    # A first sample waits for the children that compile its missing kernels side by side;
    # that wait is its compile time (the in-process timer alone saw 0.3 s of loading where a
    # fresh install waited 26 s). The children are replaced by a 0.5 s wait: the session's
    # cache already holds every kernel, and a real cold compile takes half a minute.
    import time

    from generator.sweep import sample_task
    from generator.sweep.plan import SweepPlan

    children = []

    def compile_children(parts, **options):
        children.append(list(parts))
        time.sleep(0.5)
        return 0.5

    monkeypatch.setattr(sample_task, "compile_in_parallel", compile_children)
    monkeypatch.setattr(sample_task, "_compile_aside_pays", lambda: True)
    monkeypatch.setattr(sample_task, "_WARMED", set())
    plan = SweepPlan.create(n=2, out=tmp_path / "d.h5", domain="200", voxel_um=6.0, seed=3)
    plan.folder.mkdir()
    first = sample_task.run_sample(plan.tasks[0])
    assert first["status"] == "ok", first["error"]
    assert children == [["generate", "geodesic"]]
    assert first["compile_s"] >= 0.5
    # Warm now: the next sample starts no child and waits for none.
    second = sample_task.run_sample(plan.tasks[1])
    assert second["status"] == "ok" and len(children) == 1
    assert second["compile_s"] < 0.5


def test_no_side_by_side_compile_on_one_core(monkeypatch):
    import os

    from generator.sweep import sample_task

    def compile_children(parts, **options):
        raise AssertionError(f"children started for {parts} on one core")

    monkeypatch.setattr(sample_task, "compile_in_parallel", compile_children)
    monkeypatch.setattr(sample_task, "_WARMED", set())
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert sample_task.compile_aside(("geodesic",)) == 0.0
