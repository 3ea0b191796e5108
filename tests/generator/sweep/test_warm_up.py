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


def test_a_real_sample_needs_no_kernel_the_warm_up_left_out():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.replace("SIZE", "160")],
        capture_output=True,
        text=True,
        check=True,
    )
    added = json.loads(done.stdout.strip().splitlines()[-1])
    assert added == []
