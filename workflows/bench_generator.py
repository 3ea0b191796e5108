"""Benchmark: the generator against PoreSpy's ``generators.cylinders`` on a full ``1000`` sample.

Each contender runs in its own child process (so peak memory is its own), one after the other,
on the same machine in the same run; the script prints wall times, peak RSS and the ratios the
generator issue asks for::

    python -m workflows.bench_generator            # 1000 x 1000 x 300 at 1 um (about a minute)
    python -m workflows.bench_generator --scale 0.5
    python -m workflows.bench_generator --contention   # alone / 1 thread / beside busy processes

Contenders: PoreSpy 3 ``cylinders`` (fibres only, integer radius, porosity target), our fibre
placement alone, and our whole chain (fibres, binder to target, compression). Numba compile time
is excluded by a warm-up run on a tiny domain in each child.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Annotated

import typer

from workflows._cli import run, workflow_app
from workflows._contention import BusyOption

app = workflow_app()

FIBRE_RADIUS_UM = 4.5  # 9 um fibres: the middle of the paper's range
FIBRE_FRACTION = 0.18
BINDER_FRACTION = 0.07
COMPRESSION = 0.2


def _child(kind: str, scale: float) -> dict:
    import numpy as np

    shape = (int(1000 * scale), int(1000 * scale), 300)  # x, y, z
    if kind == "porespy":
        import porespy as ps

        ps.settings.tqdm["disable"] = True
        ps.generators.cylinders([200, 200, 100], r=4, porosity=0.82, seed=0)  # warm-up
        start = time.perf_counter()
        image = ps.generators.cylinders(
            list(shape),
            r=int(round(FIBRE_RADIUS_UM)),
            porosity=1 - FIBRE_FRACTION,
            phi_max=8,
            theta_max=90,
            seed=1,
        )
        seconds = time.perf_counter() - start
        fraction = float(1 - np.mean(image))
    else:
        from generator.structure.generate import generate, place_fibres

        domain = (shape[0], shape[1])
        generate(domain=(60, 60), fiber_diameter_um=9, compression=0.2, seed=0)  # warm-up
        start = time.perf_counter()
        if kind == "fibres":
            volume, _ = place_fibres(
                shape[::-1], 1.0, FIBRE_RADIUS_UM, FIBRE_FRACTION, (0.4966, 0.4966, 0.0068), 1
            )
            fraction = float(np.mean(volume == 1))
        else:
            sample = generate(
                domain=domain,
                fiber_diameter_um=2 * FIBRE_RADIUS_UM,
                fiber_fraction=FIBRE_FRACTION,
                binder_fraction=BINDER_FRACTION,
                thickness_um=300,
                compression=COMPRESSION,
                seed=1,
            )
            fraction = sample.fractions["before_compression"]["fibre"]
        seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {
        "kind": kind,
        "seconds": seconds,
        "peak_gib": peak_gib,
        "fibre_fraction": fraction,
        "voxels": int(np.prod(shape)),
    }


def _run(kind: str, scale: float, env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "workflows.bench_generator", "--child", kind, "--scale", str(scale)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, **(env or {})),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _contention(scale: float, repeat: int, busy: int | None, with_peer: bool) -> None:
    """The whole chain alone, single-threaded and beside busy processes; PoreSpy contended."""
    from workflows._contention import CONDITIONS, busy_neighbours, core_count, ratio_lines

    neighbours = core_count() if busy is None else busy
    seconds = {}
    for label, env, count in CONDITIONS:
        if label == "contended, fixed threads":
            continue  # the generator's kernels are coarse: no pacing to switch off
        with busy_neighbours(neighbours if count is None else count):
            runs = sorted(_run("chain", scale, env)["seconds"] for _ in range(repeat))
        seconds[label] = runs[len(runs) // 2]
        times = ", ".join(f"{t:.2f}" for t in runs)
        print(f"chain {label:22s} {seconds[label]:7.2f} s  (runs: {times})")
    for line in ratio_lines(seconds, "whole chain"):
        print(line)
    if with_peer:
        try:
            with busy_neighbours(neighbours):
                peer = _run("porespy", scale)["seconds"]
        except subprocess.CalledProcessError as err:
            print(
                f"PoreSpy failed: {err.stderr.strip().splitlines()[-1]} (pip install -e '.[bench]')"
            )
            return
        print(
            f"contended: PoreSpy cylinders {peer:.2f} s, whole chain / PoreSpy "
            f"{seconds['contended'] / peer:.2f} under the same load"
        )


@app.command()
def bench_generator(
    scale: Annotated[float, typer.Option(help="In-plane scale of 1000 x 1000.")] = 1.0,
    contention: Annotated[
        bool,
        typer.Option(
            "--contention",
            help="The chain alone, single-threaded and beside busy processes (plus PoreSpy "
            "contended).",
        ),
    ] = False,
    repeat: Annotated[int, typer.Option(help="Contention mode: runs per condition.")] = 3,
    busy: BusyOption = None,
    no_peer: Annotated[
        bool, typer.Option("--no-peer", help="Contention mode: skip PoreSpy.")
    ] = False,
    child: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Benchmark: the generator against PoreSpy's generators.cylinders on a full 1000 sample."""
    if child:
        print(json.dumps(_child(child, scale)))
        return
    if contention:
        _contention(scale, repeat, busy, not no_peer)
        return
    results = {}
    for kind in ("porespy", "fibres", "chain"):
        results[kind] = r = _run(kind, scale)
        print(
            f"{kind:8s} {r['seconds']:7.2f} s  peak {r['peak_gib']:5.2f} GiB  "
            f"fibre fraction {r['fibre_fraction']:.4f}  ({r['voxels']:.2e} voxels)"
        )
    porespy = results["porespy"]["seconds"]
    print(
        f"fibre placement speed-up over PoreSpy cylinders: "
        f"{porespy / results['fibres']['seconds']:.2f}x (goal >= 3x)"
    )
    print(
        f"whole chain time / PoreSpy cylinders time: "
        f"{results['chain']['seconds'] / porespy:.2f} (goal <= 3)"
    )
    print(f"whole chain peak memory: {results['chain']['peak_gib']:.2f} GiB (goal < 2 GiB)")


def main(argv=None) -> None:
    run(app, "workflows.bench_generator", argv)


if __name__ == "__main__":
    main()
