"""Benchmark: our geodesic distance against dijkstra3d, scikit-image and scikit-fmm.

On the generator's own volumes (9 um fibres, fibre 0.18, binder 0.07, no compression) at
500 x 500 x 300 and 1000 x 1000 x 300 voxels, and on a tortuous low-porosity one (PoreSpy's
``blobs``, 300^3 voxels at porosity 0.24, blobiness 1, seed 1, its cluster that percolates
along axis 0), each contender runs in its own child process, one after the other, from the
same saved pore mask; the script prints the processor, the load, wall time, peak memory beyond
the input (bytes a voxel) and the speed ratios the tortuosity issue asks for::

    python -m workflows.bench_tortuosity                 # ours, dijkstra3d, scikit-fmm at 500;
                                                         # ours and dijkstra3d at 1000; blobs
    python -m workflows.bench_tortuosity --with-skimage  # add scikit-image MCP at 500 (~2 min)
    python -m workflows.bench_tortuosity --sizes 400     # only that fibrous volume (and blobs)
    python -m workflows.bench_tortuosity --no-blobs      # fibrous volumes only
    python -m workflows.bench_tortuosity --no-fibrous    # blobs only
    python -m workflows.bench_tortuosity --contention    # alone / 1 thread / beside busy processes
    python -m workflows.bench_tortuosity --profile       # where the time goes, CPU seconds
    python -m workflows.bench_tortuosity --blobs-porosity 0.2 0.3  # other blobs volumes
    python -m workflows.bench_tortuosity --no-fibrous --no-blobs --micro-ct scans/berea.npy

Ours runs ``--repeat`` times (default 3), each in a fresh process, and the median is reported;
the peers' runs take seconds to minutes, so they run once. The blobs volume needs PoreSpy (the
``bench`` extra).

Every contender computes the distance from the inlet face (slice 0) through the pore space.
numba compile time is excluded (a warm-up on a tiny volume in each child).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from workflows._cli import run, workflow_app
from workflows._contention import BusyOption

app = workflow_app()


def _rss_gib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**30


def _child(kind: str, path: str) -> dict:
    pore = np.load(path)
    # Imports and warm-up first, so the baseline holds them and the input.
    if kind.startswith("ours"):
        from generator import geodesic_distance

        metric = kind.split("-")[1]
        geodesic_distance(pore[:8, :20, :20], metric=metric)  # numba compile
    elif kind == "dijkstra3d":
        import dijkstra3d
    elif kind == "skimage":
        from skimage.graph import MCP_Geometric
    elif kind == "skfmm":
        import skfmm
    else:
        raise ValueError(kind)
    baseline = _rss_gib()
    start = time.perf_counter()
    if kind.startswith("ours"):
        dist = geodesic_distance(pore, metric=metric)
    elif kind == "dijkstra3d":
        inlet = np.argwhere(pore[:1])
        # Its native layout is Fortran order; the copy counts in its memory.
        dist = dijkstra3d.euclidean_distance_field(
            np.asfortranarray(pore), [tuple(p) for p in inlet]
        )
    elif kind == "skimage":
        costs = np.where(pore, 1.0, np.inf)
        dist, _ = MCP_Geometric(costs, fully_connected=True).find_costs(
            [tuple(p) for p in np.argwhere(pore[:1])]
        )
    else:
        phi = np.ones(pore.shape)
        phi[0] = -1.0  # before masking: assigning to masked entries would unmask them
        dist = skfmm.distance(np.ma.MaskedArray(phi, mask=~pore), order=2)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # before any checking
    dist = np.ma.filled(dist, np.inf) if np.ma.isMaskedArray(dist) else dist
    reached = sum(int(np.count_nonzero(np.isfinite(dist[k]) & pore[k])) for k in range(len(pore)))
    return {
        "kind": kind,
        "seconds": seconds,
        "peak_gib": peak,
        "bytes_per_voxel": (peak - baseline) * 2**30 / pore.size,
        "reached": reached,
    }


def _profile_kernels(euclidean: bool):
    """The serial kernels of a sweep with the metric fixed, callable from Python (a literal
    argument from Python would re-type the kernel on every call)."""
    import numba as nb

    from generator.tortuosity._geodesic.sweeps import (
        plane_scratch,
        relax_plane,
        step_across,
        step_scratch,
    )

    @nb.njit
    def step(dist_k, dist_n, pore_k, pore_n, spacing, tolerance, a, b, c, d, e, f, ny):
        return step_across(
            dist_k, dist_n, pore_k, pore_n, spacing, euclidean, tolerance, False, False, False,
            a, b, c, d, e, f, step_scratch(ny, dist_k.shape[1]), 0, ny,
        )  # fmt: skip

    @nb.njit
    def relax(dist_k, pore_k, hy, hx, tolerance, passes):
        scratch = plane_scratch(dist_k.shape[1])
        return relax_plane(dist_k, pore_k, hy, hx, euclidean, tolerance, passes, scratch)

    return step, relax


def _profile(metric: str, path: str) -> dict:
    """Where one solve's time goes, in CPU seconds of the thread that does it (what a busy
    machine disturbs least; best of 3): the first touch of a fresh float32 volume (numpy's
    allocation, as the solver's), the first sweep from the inlet split into its steps across
    slices and its in-plane raster passes (counted), the whole solve and a tortuosity (both
    passes) on 1 and 2 threads, and the peer (dijkstra3d, or scikit-fmm at first order) in the
    same process."""
    import numba

    from generator import geodesic_distance, geometric_tortuosity
    from generator.tortuosity._geodesic import Workspace, prepare
    from generator.tortuosity._geodesic.bands import DENSE_PASSES
    from generator.tortuosity._geodesic.sweeps import clear_flags

    pore = np.load(path)
    out = {"kind": f"profile-{metric}", "voxels": int(pore.size), "pore": float(pore.mean())}
    start = time.process_time()
    fresh = np.empty(pore.shape, dtype=np.float32)
    fresh.fill(np.inf)
    out["first_touch_s"] = time.process_time() - start
    del fresh
    step, relax = _profile_kernels(metric == "euclidean")
    geodesic_distance(pore[:8, :80, :20], metric=metric, adaptive_threads=False)  # compile
    best = None
    for _ in range(3):
        prepared = prepare(pore, axis=0, metric=metric, voxel_um=1.0, pore_label=None)
        work = Workspace(prepared)
        flags = prepared.pore
        dist = np.full(flags.shape, np.inf, dtype=np.float32)
        dist[0][flags[0] != 0] = 0.0
        (_, hy, hx), ny = work.spacing, flags.shape[1]
        step_s = relax_s = 0.0
        passes = []
        for k in range(1, len(flags)):
            start = time.thread_time()
            count = step(dist[k], dist[k - 1], flags[k], flags[k - 1], work.spacing,
                         work.tolerance, *work.kernel_arrays(), ny)  # fmt: skip
            step_s += time.thread_time() - start
            if count:
                start = time.thread_time()
                passes.append(relax(dist[k], flags[k], hy, hx, work.tolerance, DENSE_PASSES))
                relax_s += time.thread_time() - start
                clear_flags(flags[k])
        if best is None or step_s + relax_s < best[0] + best[1]:
            best = (step_s, relax_s, passes)
    step_s, relax_s, passes = best
    done = [p for p in passes if p > 0]
    out.update(
        first_sweep_step_s=step_s,
        first_sweep_in_plane_s=relax_s,
        in_plane_passes_mean=float(np.mean(done)) if done else 0.0,
        in_plane_passes_max=int(max(done, default=0)),
        slices_left_to_the_queue=len(passes) - len(done),
    )
    previous = numba.get_num_threads()
    for threads in sorted({1, min(2, previous)}):
        numba.set_num_threads(threads)
        # One field; then a tortuosity's two passes (on 2 threads side by side, one thread each).
        for name, solver in (("solve", geodesic_distance), ("tortuosity", geometric_tortuosity)):
            cpu, wall = _best_of_three(solver, pore, metric=metric, adaptive_threads=False)
            out[f"{name}_{threads}_thread_cpu_s"] = cpu
            out[f"{name}_{threads}_thread_wall_s"] = wall
    numba.set_num_threads(previous)
    start = time.process_time()
    if metric == "lattice":
        import dijkstra3d

        inlet = [tuple(p) for p in np.argwhere(pore[:1])]
        dijkstra3d.euclidean_distance_field(np.asfortranarray(pore), inlet)
        out["peer"] = "dijkstra3d"
    else:
        import skfmm

        phi = np.ones(pore.shape)
        phi[0] = -1.0  # the mask stays whole (assigning to masked entries would unmask them)
        skfmm.distance(np.ma.MaskedArray(phi, mask=~pore), order=1)
        out["peer"] = "scikit-fmm order 1"
    out["peer_cpu_s"] = time.process_time() - start
    return out


def _best_of_three(function, *args, **kwargs) -> tuple[float, float]:
    """(CPU, wall) seconds of the fastest of three calls of ``function(*args, **kwargs)``."""
    runs = []
    for _ in range(3):
        start, wall = time.process_time(), time.perf_counter()
        function(*args, **kwargs)
        runs.append((time.process_time() - start, time.perf_counter() - wall))
    return min(runs)


def _print_profile(r: dict) -> None:
    one = r["solve_1_thread_cpu_s"]
    two = r.get("solve_2_thread_cpu_s", one)
    print(
        f"{r['kind']}: first touch of a float32 volume {r['first_touch_s']:.3f} s; first sweep "
        f"{r['first_sweep_step_s']:.3f} s across slices + {r['first_sweep_in_plane_s']:.3f} s "
        f"in planes ({r['in_plane_passes_mean']:.1f} raster passes a slice, at most "
        f"{r['in_plane_passes_max']}, {r['slices_left_to_the_queue']} slices left to the queue)"
    )
    print(
        f"  whole solve, CPU: 1 thread {one:.3f} s, 2 threads {two:.3f} s "
        f"(wall {r.get('solve_2_thread_wall_s', float('nan')):.3f} s); {r['peer']} "
        f"{r['peer_cpu_s']:.3f} s: {r['peer_cpu_s'] / one:.1f}x ours on 1 thread"
    )
    if "tortuosity_2_thread_wall_s" in r:
        tau_one = r["tortuosity_1_thread_cpu_s"]
        tau_two = r["tortuosity_2_thread_wall_s"]
        print(
            f"  tortuosity (both passes): 1 thread {tau_one:.3f} s CPU, 2 threads side by side "
            f"{tau_two:.3f} s wall: {tau_one / tau_two:.2f}x; one solve on 2 threads: "
            f"{one / r['solve_2_thread_wall_s']:.2f}x"
        )


def _volume(size: int, folder: Path) -> Path:
    from generator import generate

    path = folder / f"pore{size}.npy"
    if not path.exists():
        sample = generate(
            domain=(size, size),
            fiber_diameter_um=9,
            fiber_fraction=0.18,
            binder_fraction=0.07,
            thickness_um=300,
            compression=0.0,
            seed=1,
        )
        np.save(path, sample.volume == 0)
    return path


def _make_blobs(path: str, porosity: float) -> None:
    """PoreSpy's blobs at ``porosity``, its cluster that percolates along axis 0 (26-connected,
    as the lattice metric moves), saved to ``path``."""
    import porespy as ps

    image = ps.generators.blobs([300, 300, 300], porosity=porosity, blobiness=1, seed=1)
    np.save(path, ps.filters.trim_nonpercolating_paths(image, axis=0, conn="max"))


def _blobs_volume(folder: Path, porosity: float) -> Path:
    """The blobs volume, made in a child process: Linux passes a parent's peak memory on to
    the children it starts (``ru_maxrss``), and PoreSpy's generation peaks above 1 GiB."""
    path = folder / f"blobs300_{porosity}.npy"
    if not path.exists():
        command = [sys.executable, "-m", "workflows.bench_tortuosity"]
        subprocess.run([*command, "--child", f"make-blobs:{porosity}", str(path)], check=True)
    return path


def _machine() -> str:
    """The processor and the load averages, for the figures' context."""
    model = "unknown processor"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/loadavg") as loadavg:
            load = " ".join(loadavg.read().split()[:3])
    except OSError:
        load = "unknown"
    return f"{model}, {os.cpu_count()} cores, load {load}"


def _measure(kind: str, path: Path, repeat: int, env: dict | None = None) -> dict | None:
    """The median run (by time) of ``repeat`` fresh child processes, or None if one failed.

    This machine's timings of second-long runs vary by tens of percent from run to run.
    """
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-m", "workflows.bench_tortuosity", "--child", kind, str(path)],
            capture_output=True,
            text=True,
            env=dict(os.environ, **(env or {})),
        )
        if done.returncode != 0:
            print(f"{kind:15s} failed: {done.stderr.strip().splitlines()[-1]}")
            return None
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    median = dict(sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2])
    median["all_seconds"] = [run["seconds"] for run in runs]
    return median


def _print_run(label: str, r: dict) -> None:
    times = ", ".join(f"{s:.2f}" for s in r["all_seconds"])
    print(
        f"{label:15s} {r['seconds']:8.2f} s  peak {r['peak_gib']:5.2f} GiB  "
        f"{r['bytes_per_voxel']:5.2f} bytes/voxel beyond the input  reached {r['reached']}"
        + (f"  (median of {times})" if len(r["all_seconds"]) > 1 else "")
    )


def _contention(path: Path, repeat: int, busy: int | None, with_peer: bool) -> None:
    """Ours alone, single-threaded and beside busy processes; dijkstra3d under the same load."""
    from workflows._contention import CONDITIONS, busy_neighbours, core_count, ratio_lines

    neighbours = core_count() if busy is None else busy
    for metric in ("lattice", "euclidean"):
        seconds = {}
        for label, env, count in CONDITIONS:
            with busy_neighbours(neighbours if count is None else count):
                r = _measure(f"ours-{metric}", path, repeat, env)
            if r is not None:
                seconds[label] = r["seconds"]
                times = ", ".join(f"{s:.2f}" for s in r["all_seconds"])
                print(f"{metric:9s} {label:26s} {r['seconds']:7.2f} s  (runs: {times})")
        for line in ratio_lines(seconds, metric):
            print(line)
        if with_peer and metric == "lattice" and "contended" in seconds:
            with busy_neighbours(neighbours):
                peer = _measure("dijkstra3d", path, 1)
            if peer is not None:
                print(
                    f"lattice, contended: dijkstra3d {peer['seconds']:.2f} s, speed-up "
                    f"{peer['seconds'] / seconds['contended']:.1f}x under the same load"
                )


@app.command()
def bench_tortuosity(
    sizes: Annotated[
        list[int] | None,
        typer.Option(help="In-plane sizes (um) to run: --sizes 500 1000 [default: 500 1000]."),
    ] = None,
    more_sizes: Annotated[list[int] | None, typer.Argument(hidden=True, metavar="SIZE")] = None,
    with_skimage: Annotated[
        bool, typer.Option("--with-skimage", help="Add scikit-image MCP_Geometric at 500.")
    ] = False,
    run_all: Annotated[bool, typer.Option("--all", help="Also scikit-fmm at 1000 (slow).")] = False,
    repeat: Annotated[
        int, typer.Option(help="Fresh runs of ours (median reported); peers run once.")
    ] = 3,
    contention: Annotated[
        bool,
        typer.Option(
            "--contention",
            help="Ours alone, single-threaded and beside busy processes (plus dijkstra3d "
            "contended).",
        ),
    ] = False,
    busy: BusyOption = None,
    no_peer: Annotated[
        bool, typer.Option("--no-peer", help="Contention mode: skip dijkstra3d.")
    ] = False,
    blobs: Annotated[
        bool, typer.Option("--blobs/--no-blobs", help="Also PoreSpy's blobs 300^3.")
    ] = True,
    blobs_porosity: Annotated[
        list[float] | None,
        typer.Option(help="Porosities of the blobs volumes (repeat the option) [default: 0.24]."),
    ] = None,
    profile: Annotated[
        bool,
        typer.Option(
            "--profile",
            help="Where the time goes (first touch, first sweep, in-plane passes, 1 and 2 "
            "threads), CPU seconds beside the peer's, one process a metric.",
        ),
    ] = False,
    fibrous: Annotated[
        bool, typer.Option("--fibrous/--no-fibrous", help="The generator's volumes (--sizes).")
    ] = True,
    micro_ct: Annotated[
        list[Path] | None,
        typer.Option(
            "--micro-ct",
            help="A segmented scan to add: a boolean .npy mask, True = pore, distances along its "
            "first axis (workflows.fetch_micro_ct writes two sandstones); repeat the option.",
        ),
    ] = None,
    child: Annotated[tuple[str, str] | None, typer.Option(hidden=True)] = None,
) -> None:
    """Benchmark: our geodesic distance against dijkstra3d, scikit-image and scikit-fmm."""
    if child:
        if child[0].startswith("make-blobs"):
            _make_blobs(child[1], float(child[0].split(":")[1]))
        elif child[0].startswith("profile-"):
            print(json.dumps(_profile(child[0].split("-", 1)[1], child[1])))
        else:
            print(json.dumps(_child(*child)))
        return
    # "--sizes 500 1000" as before: the values after the first are arguments.
    sizes = [*(sizes or []), *(more_sizes or [])] or [500, 1000]
    print(f"machine: {_machine()}")
    volumes = [(f"fibrous {size} x {size} x 300 voxels", size, None) for size in sizes if fibrous]
    for porosity in (blobs_porosity or [0.24]) if blobs else []:
        volumes.append((f"blobs 300^3, porosity {porosity}, percolating cluster", None, porosity))
    for scan in micro_ct or []:
        mask = np.load(scan, mmap_mode="r")
        if mask.dtype != np.bool_ or mask.ndim != 3:
            raise typer.BadParameter(
                f"{scan}: a 3D boolean mask (True = pore) was expected, got {mask.dtype} "
                f"{mask.shape}",
                param_hint="'--micro-ct'",
            )
        shape = " x ".join(map(str, mask.shape))
        volumes.append((f"{scan.name}, {shape}, pore fraction {mask.mean():.3f}", None, scan))
    with tempfile.TemporaryDirectory() as folder:
        for title, size, porosity in volumes:
            if isinstance(porosity, Path):  # a scan: read where it lies
                path = porosity
            elif size:
                path = _volume(size, Path(folder))
            else:
                path = _blobs_volume(Path(folder), porosity)
            print(f"--- {title}")
            if profile:
                for metric in ("lattice", "euclidean"):
                    command = [sys.executable, "-m", "workflows.bench_tortuosity", "--child"]
                    done = subprocess.run(
                        [*command, f"profile-{metric}", str(path)], capture_output=True, text=True
                    )
                    if done.returncode != 0:
                        print(f"profile-{metric} failed: {done.stderr.strip().splitlines()[-1]}")
                        continue
                    _print_profile(json.loads(done.stdout.strip().splitlines()[-1]))
                print(f"load after: {_machine().rsplit('load ', 1)[1]}")
                continue
            if contention:
                _contention(path, repeat, busy, not no_peer)
                continue
            kinds = ["ours-lattice", "ours-euclidean", "dijkstra3d"]
            if size is None or size <= 500 or run_all:
                kinds.append("skfmm")
            if with_skimage and (size is None or size <= 500):
                kinds.append("skimage")
            results = {}
            for kind in kinds:
                r = _measure(kind, path, repeat if kind.startswith("ours") else 1)
                if r is not None:
                    results[kind] = r
                    _print_run(kind, r)
            goal = 20 if size else 15  # the goals: generator volumes, tortuous images
            if "dijkstra3d" in results:
                d3 = results["dijkstra3d"]["seconds"]
                print(
                    f"lattice speed-up over dijkstra3d: "
                    f"{d3 / results['ours-lattice']['seconds']:.1f}x (goal >= {goal}x)"
                )
            if "skfmm" in results:
                fmm = results["skfmm"]["seconds"]
                print(
                    f"euclidean speed-up over scikit-fmm: "
                    f"{fmm / results['ours-euclidean']['seconds']:.1f}x (goal >= {goal}x)"
                )
            if "skimage" in results:
                sk = results["skimage"]["seconds"]
                print(
                    f"lattice speed-up over scikit-image MCP: "
                    f"{sk / results['ours-lattice']['seconds']:.1f}x"
                )
            print(f"load after: {_machine().rsplit('load ', 1)[1]}")


def main(argv=None) -> None:
    run(app, "workflows.bench_tortuosity", argv)


if __name__ == "__main__":
    main()
