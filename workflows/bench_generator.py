"""Benchmark: the generator against PoreSpy's ``generators.cylinders`` on a full ``1000`` sample.

Each contender runs in its own child process (so peak memory is its own), one after the other,
on the same machine in the same run; the script prints wall times, peak RSS and the ratios the
generator issue asks for::

    python -m workflows.bench_generator            # 1000 x 1000 x 300 at 1 um (about a minute)
    python -m workflows.bench_generator --scale 0.5
    python -m workflows.bench_generator --contention   # alone / 1 thread / beside busy processes
    python -m workflows.bench_generator --stages       # where the time goes, 1 and 2 threads

Contenders: PoreSpy 3 ``cylinders`` (fibres only, integer radius, porosity target), our fibre
placement alone, and our whole chain (fibres, binder to target, compression). Numba compile time
is excluded by a warm-up run on a tiny domain in each child.

``--stages`` generates a ``1000`` and a ``200`` sample at 1 um (9 um fibres, fibre 0.18, binder
0.07, compression 0.2) with 1 and then 2 numba threads, each in a fresh child, and writes each
with ``write_sample``. Every kernel call is timed (wall and CPU) and weighed by the voxels it
covers, so the table gives each stage's seconds and its passes over the volume (a probe on a
sixteenth of the area counts a sixteenth), then the total and the child's peak RSS.
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


# Stage table rows, in order: (row, kernels), the probe told apart by its size.
STAGE_ROWS = (
    ("fibres: lines (Python)", ()),
    ("fibres: drawing", ("draw_cylinders",)),
    ("phase counts", ("count_labels_per_slice",)),
    ("binder: probe (1/16 of the area)", ()),
    ("binder: fibre distance", ("capped_squared_edt",)),
    ("binder: closings", ("closing_pass",)),
    ("binder: shell fill", ("tie_histogram", "resolve_shell")),
    ("binder: detach (and relabel)", ("_hold_unattached", "_attach_sweep", "relabel")),
    ("compression", ("compress_columns",)),
    ("other (Python)", ()),
    ("write_sample (HDF5, gzip)", ()),
)


def _stages_child(domain: str) -> dict:
    """One sample with every generation kernel timed; then its file written."""
    import tempfile
    from collections import defaultdict
    from pathlib import Path

    import numba
    import numpy as np

    import generator._shared.edt_kernels as edt
    import generator.structure._binder_kernels as binder
    import generator.structure._compression_kernels as compression
    import generator.structure._raster_kernels as raster
    import generator.structure.generate as chain
    from generator.structure.sample import write_sample

    chain.generate(domain=(60, 60), fiber_diameter_um=9, compression=0.2, seed=0)  # warm-up
    seconds, cpu, passes = defaultdict(float), defaultdict(float), defaultdict(float)
    state = {"voxels": 1, "wall": 0.0, "cpu": 0.0}
    row_of = {name: row for row, names in STAGE_ROWS for name in names}
    probe = STAGE_ROWS[3][0]

    def timed(module, name):
        kernel = getattr(module, name)

        def call(*args):
            arrays = [a for a in args if getattr(a, "ndim", 0) == 3]
            size = arrays[0].size if arrays else state["voxels"]
            row = row_of[name]
            if row.startswith("binder") and size < state["voxels"]:
                row = probe
            wall, clock = time.perf_counter(), time.process_time()
            result = kernel(*args)
            wall, clock = time.perf_counter() - wall, time.process_time() - clock
            seconds[row] += wall
            cpu[row] += clock
            passes[row] += size / state["voxels"]
            state["wall"] += wall
            state["cpu"] += clock
            return result

        setattr(module, name, call)

    # The modules call their kernels through module attributes, so these wrappers are used.
    for module in (edt, binder, compression, raster):
        for name in row_of:
            if hasattr(module, name):
                timed(module, name)
    place = chain.place_fibres

    def placed(shape, *args, **kwargs):
        state["voxels"] = int(np.prod(shape))
        wall, clock = time.perf_counter(), time.process_time()
        kernels = state["wall"], state["cpu"]
        result = place(shape, *args, **kwargs)
        wall = time.perf_counter() - wall - (state["wall"] - kernels[0])
        clock = time.process_time() - clock - (state["cpu"] - kernels[1])
        seconds[STAGE_ROWS[0][0]] += wall
        cpu[STAGE_ROWS[0][0]] += clock
        state["wall"] += wall
        state["cpu"] += clock
        return result

    chain.place_fibres = placed
    wall, clock = time.perf_counter(), time.process_time()
    sample = chain.generate(domain=domain, fiber_diameter_um=2 * FIBRE_RADIUS_UM, seed=1)
    wall, clock = time.perf_counter() - wall, time.process_time() - clock
    seconds["other (Python)"] = wall - state["wall"]
    cpu["other (Python)"] = clock - state["cpu"]
    writing = STAGE_ROWS[-1][0]
    with tempfile.TemporaryDirectory() as folder:
        tic, tick = time.perf_counter(), time.process_time()
        write_sample(sample, Path(folder) / "s.h5")
        seconds[writing] = time.perf_counter() - tic
        cpu[writing] = time.process_time() - tick
        passes[writing] = sample.volume.size / state["voxels"]
    return {
        "domain": domain,
        "threads": numba.get_num_threads(),
        "shape": list(sample.volume.shape),
        "voxels": state["voxels"],
        "seconds": dict(seconds),
        "cpu": dict(cpu),
        "passes": dict(passes),
        "generate_s": wall,
        "generate_cpu_s": clock,
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def _stages(domains: list[str]) -> None:
    """The stage table of each domain, 1 and 2 threads, each in a fresh child."""
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    for domain in domains:
        runs = {t: _run(f"stages:{domain}", 1.0, {"NUMBA_NUM_THREADS": str(t)}) for t in (1, 2)}
        one, two = runs[1], runs[2]
        shape = "x".join(str(n) for n in one["shape"][::-1])
        print(f"\n{domain} at 1 um: {one['voxels']:.2e} voxels before compression, {shape} after")
        print(
            f"{'stage':34s} {'1 thread':>9s} {'2 threads':>10s} {'speed-up':>9s} {'passes':>7s}"
            f" {'CPU s (1, 2 threads)':>21s}"
        )
        for row, _ in STAGE_ROWS:
            a, b = one["seconds"].get(row, 0.0), two["seconds"].get(row, 0.0)
            ratio = f"{a / b:8.2f}x" if b > 0.005 else " " * 9
            print(
                f"{row:34s} {a:8.2f}s {b:9.2f}s {ratio} {two['passes'].get(row, 0.0):7.2f} "
                f"{one['cpu'].get(row, 0.0):10.2f} {two['cpu'].get(row, 0.0):10.2f}"
            )
        total = {t: runs[t]["generate_s"] for t in (1, 2)}
        print(
            f"{'generate() total':34s} {total[1]:8.2f}s {total[2]:9.2f}s "
            f"{total[1] / total[2]:8.2f}x (goal >= 1.6x)"
        )
        print(
            f"{'generate() CPU seconds':34s} {one['generate_cpu_s']:8.2f}s "
            f"{two['generate_cpu_s']:9.2f}s"
        )
        print(f"peak RSS: {one['peak_gib']:.2f} GiB (1 thread), {two['peak_gib']:.2f} GiB (2)")
    print(f"\nload after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


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
    stages: Annotated[
        bool,
        typer.Option(
            "--stages",
            help="Seconds, passes and peak RSS of each generation stage, 1000 and 200 samples "
            "at 1 um, 1 and 2 threads.",
        ),
    ] = False,
    domain: Annotated[
        list[str] | None, typer.Option(help="Stages mode: the domains (default 1000 and 200).")
    ] = None,
    child: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Benchmark: the generator against PoreSpy's generators.cylinders on a full 1000 sample."""
    if child:
        if child.startswith("stages:"):
            print(json.dumps(_stages_child(child.split(":", 1)[1])))
        else:
            print(json.dumps(_child(child, scale)))
        return
    if stages:
        _stages(domain or ["1000", "200"])
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
