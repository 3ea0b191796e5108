"""Benchmark: our diffusive tortuosity factor against TauFactor (CPU, its default settings).

On a generator sample (9 um fibres, fibre 0.18, binder 0.07, 300 um compressed by 0.2, seed 1)
of 450 x 200 um in-plane: 240 x 200 x 450 voxels at 1 um and 120 x 100 x 225 at 2 um. Each
contender runs in its own child process, one after the other, from the same saved label
volume; the script prints wall time, peak memory beyond the input (bytes a voxel), the tau
factor of each, their relative difference and the speed ratio::

    python -m workflows.bench_diffusive                  # 2 um and 1 um crops, ours and TauFactor
    python -m workflows.bench_diffusive --voxels 2       # only the 2 um crop
    python -m workflows.bench_diffusive --no-peer        # ours only
    python -m workflows.bench_diffusive --full           # ours on a whole 1 um 1000 sample
    python -m workflows.bench_diffusive --full --voxels 1   # the 1 um crop, then the sample
    python -m workflows.bench_diffusive --convergence    # tau against rtol on the 1 um crop
    python -m workflows.bench_diffusive --busy           # the crops beside busy processes
    python -m workflows.bench_diffusive --micro-ct fiberform.tif --voxels 0   # a scan, each axis

Ours runs ``--repeat`` times (default 3), each in a fresh process, and the median is reported;
TauFactor's runs take minutes, so it runs once. numba compile time and torch's start are
excluded (a warm-up on a small volume in each child). The machine's load average is printed
before and after each pair: on a busy machine both contenders slow down, TauFactor (torch's
threads) far more than ours (measured at 2 um: 2.2 s on a quiet machine, 31 s beside two
busy processes).

``--busy`` runs both contenders beside ``workflows._contention``'s spinning processes (one a
core by default, ``--neighbours``), as ``bench_tortuosity --contention`` does for the geodesic
kernels, and prints the speed ratio under that load.

``--micro-ct FILE`` adds a scan of a real material (a 3D TIFF or ``.npy`` of grey levels, z
first, or a boolean ``.npy`` mask, True = pore, as ``workflows.fetch_micro_ct`` writes the
sandstones of the peers' test data): voxels with grey level ``<= --pore-max`` are pore (89
for NASA PuMA's FiberForm example ``200_fiberform.tif``, the cut-off its tutorials use for the
void), and both contenders run along z, y and x (the image transposed so that the axis comes
first).
The scan is read where it lies; nothing of it is copied into the repository.
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

CROP = dict(
    domain=(450, 200),
    fiber_diameter_um=9,
    fiber_fraction=0.18,
    binder_fraction=0.07,
    thickness_um=300,
    compression=0.2,
    seed=1,
)
FULL = dict(CROP, domain="1000")
CONVERGENCE_RTOLS = (1e-3, 1e-4, 3e-5, 1e-5, 3e-6)  # 3e-6: about float32's floor


def _rss_gib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**30


def _reset_peak() -> bool:
    """Start the process's peak resident memory afresh (Linux: ``VmHWM``); False elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def _peak_gib(reset: bool) -> float:
    """Peak resident memory since :func:`_reset_peak` (or since the start), in GiB."""
    if reset:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _child(kind: str, path: str, boundary: str) -> dict:
    volume = np.load(path)
    # Imports and warm-up first, so that the baseline holds them and the input (a volume of
    # several coarse levels, so that every kernel is compiled or loaded from numba's cache).
    tiny = (np.random.default_rng(0).random((40, 40, 40)) < 0.3).astype(np.uint8)
    if kind == "ours":
        from generator.tortuosity import diffusive_tortuosity

        diffusive_tortuosity(tiny, pore_label=0, boundary=boundary)  # numba compile
    elif kind == "taufactor":
        import warnings

        import taufactor

        solver_class = taufactor.PeriodicSolver if boundary == "periodic" else taufactor.Solver
        warnings.simplefilter("ignore")  # "CUDA not available", from its default device
        solver_class((tiny == 0).astype(np.uint8), device="cpu").solve(verbose=False)
    else:
        raise ValueError(kind)
    baseline = _rss_gib()
    reset = _reset_peak()  # the warm-up's peak (compiling) does not count
    start = time.perf_counter()
    if kind == "ours":
        result = diffusive_tortuosity(volume, pore_label=0, boundary=boundary)
        tau, iterations = result.tau_factor, result.iterations
    else:
        # TauFactor takes a 0/1 image with 1 conducting, the flow along array axis 0.
        solver = solver_class((volume == 0).astype(np.uint8), device="cpu")
        tau = float(np.ravel(solver.solve(verbose=False))[0])
        iterations = int(solver.iter)
    seconds = time.perf_counter() - start
    peak = _peak_gib(reset)
    return {
        "kind": kind,
        "seconds": seconds,
        "peak_gib": peak,
        "bytes_per_voxel": (peak - baseline) * 2**30 / volume.size,
        "tau": tau,
        "iterations": iterations,
    }


def _convergence_child(path: str, boundary: str) -> None:
    from generator.tortuosity import diffusive_tortuosity

    volume = np.load(path)
    results = [
        # the residual alone decides (the face fluxes' own tolerance off)
        diffusive_tortuosity(volume, pore_label=0, boundary=boundary, rtol=rtol, flux_tolerance=1)
        for rtol in CONVERGENCE_RTOLS
    ]
    reference = results[-1].tau_factor
    print(
        f"{'rtol':>8s} {'iterations':>10s} {'tau':>10s} {'vs finest':>10s} "
        f"{'flux tau':>10s} {'vs finest':>10s} {'balance':>9s} {'seconds':>8s}"
    )
    for rtol, r in zip(CONVERGENCE_RTOLS, results, strict=True):
        flux_tau = r.porosity / (r.flux_in * r.length_um / _cross_section(volume.shape, r))
        print(
            f"{rtol:8.0e} {r.iterations:10d} {r.tau_factor:10.6f} "
            f"{r.tau_factor / reference - 1:+10.2e} {flux_tau:10.6f} "
            f"{flux_tau / reference - 1:+10.2e} {r.flux_balance:9.1e} {r.seconds:8.2f}"
        )


def _cross_section(shape, result) -> float:
    sizes = [n * h for n, h in zip(shape, result.voxel_um, strict=True)]
    return float(np.prod([s for a, s in enumerate(sizes) if a != result.axis]))


def _volume(voxel_um: float, folder: Path, parameters: dict) -> Path:
    from generator import generate

    name = "full" if parameters["domain"] == "1000" else "crop"
    path = folder / f"{name}{voxel_um:g}.npy"
    if not path.exists():
        np.save(path, generate(voxel_um=voxel_um, **parameters).volume)
    return path


def _measure(kind: str, path: Path, repeat: int, boundary: str) -> dict | None:
    """The median run (by time) of ``repeat`` fresh child processes, or None if one failed."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-m", "workflows.bench_diffusive", "--child", kind, str(path),
             "--boundary", boundary],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or ["(no output)"]
            print(f"{kind:10s} failed: {lines[-1]}")
            return None
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    median = dict(sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2])
    median["all_seconds"] = [run["seconds"] for run in runs]
    return median


def _pore_rule(path: Path, pore_max: int) -> str:
    """How the scan's pore is told, for the printed label."""
    if path.suffix.lower() == ".npy" and np.load(path, mmap_mode="r").dtype == np.bool_:
        return "pore: True"
    return f"pore: grey <= {pore_max}"


def _micro_ct(path: Path, pore_max: int, folder: Path) -> list[tuple[str, Path]]:
    """The scan segmented (0 pore, 1 solid) and saved once per axis, that axis first."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        grey = tifffile.imread(path)
    else:
        grey = np.load(path)
    if grey.ndim != 3:
        raise typer.BadParameter(f"--micro-ct {path}: a 3D image was expected, got {grey.shape}")
    # A boolean mask (workflows.fetch_micro_ct's scans) is segmented already: True = pore.
    labels = (~grey if grey.dtype == np.bool_ else grey > pore_max).astype(np.uint8)
    saved = []
    for axis, name in enumerate("zyx"):
        out = folder / f"micro_ct_{name}.npy"
        np.save(out, np.ascontiguousarray(np.moveaxis(labels, axis, 0)))
        saved.append((name, out))
    return saved


def _compare(label: str, path: Path, repeat: int, boundary: str, no_peer: bool,
             goal: str = "") -> None:  # fmt: skip
    """Ours and (unless ``no_peer``) TauFactor on one saved volume, flow along array axis 0."""
    shape = np.load(path, mmap_mode="r").shape
    print(f"--- {label}, {' x '.join(map(str, shape))} voxels (flow along the first), "
          f"{boundary} sides; {_load()}")  # fmt: skip
    ours = _measure("ours", path, repeat, boundary)
    if ours is not None:
        _print_run(ours)
    if no_peer:
        return
    peer = _measure("taufactor", path, 1, boundary)
    if peer is not None:
        _print_run(peer)
    if ours is not None and peer is not None:
        print(
            f"tau: ours {ours['tau']:.5f}, TauFactor {peer['tau']:.5f}, relative "
            f"difference {ours['tau'] / peer['tau'] - 1:+.3%} (goal within 1 %); speed-up "
            f"{peer['seconds'] / ours['seconds']:.1f}x{goal}; after: {_load()}"
        )


def _print_run(r: dict) -> None:
    times = ", ".join(f"{s:.2f}" for s in r["all_seconds"])
    print(
        f"{r['kind']:10s} {r['seconds']:8.2f} s  peak {r['peak_gib']:5.2f} GiB  "
        f"{r['bytes_per_voxel']:5.1f} bytes/voxel beyond the input  tau {r['tau']:.5f}  "
        f"{r['iterations']} iterations"
        + (f"  (median of {times})" if len(r["all_seconds"]) > 1 else "")
    )


@app.command()
def bench_diffusive(
    voxels: Annotated[
        list[float] | None,
        typer.Option(
            metavar="UM",
            help="Voxel size (um) of a crop to run; repeat for several [default: 2, then 1]; "
            "0 for none.",
        ),
    ] = None,
    repeat: Annotated[
        int, typer.Option(help="Fresh runs of ours (median reported); TauFactor runs once.")
    ] = 3,
    boundary: Annotated[
        str, typer.Option(help="Sides: no_flux, or periodic (TauFactor's PeriodicSolver).")
    ] = "no_flux",
    no_peer: Annotated[bool, typer.Option("--no-peer", help="Ours only.")] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Ours on a whole 1 um 1000 sample (~2.4e8 voxels), after the crops of --voxels "
            "if given (none by default).",
        ),
    ] = False,
    convergence: Annotated[
        bool, typer.Option("--convergence", help="Tau against rtol on the 1 um crop, then stop.")
    ] = False,
    busy: Annotated[
        bool, typer.Option("--busy", help="Both contenders beside busy processes (contention).")
    ] = False,
    neighbours: BusyOption = None,
    micro_ct: Annotated[
        Path | None,
        typer.Option(
            "--micro-ct",
            metavar="FILE",
            help="A grey-level scan (3D TIFF or .npy) to add, along each axis; --voxels 0 for "
            "the scan alone.",
        ),
    ] = None,
    pore_max: Annotated[
        int, typer.Option(help="Grey levels up to this are pore (PuMA's FiberForm cut-off).")
    ] = 89,
    child: Annotated[tuple[str, str] | None, typer.Option(hidden=True)] = None,
) -> None:
    """Benchmark: our diffusive tortuosity factor against TauFactor on generator samples."""
    if child:
        if child[0] == "convergence":
            _convergence_child(child[1], boundary)
        else:
            print(json.dumps(_child(*child, boundary)))
        return
    with tempfile.TemporaryDirectory() as folder:
        if convergence:
            path = _volume(1.0, Path(folder), CROP)
            print(f"--- tau against rtol, 1 um crop, {boundary} sides; {_load()}")
            subprocess.run(
                [sys.executable, "-m", "workflows.bench_diffusive", "--child", "convergence",
                 str(path), "--boundary", boundary],
                check=True,
            )  # fmt: skip
            return
        from workflows._contention import busy_neighbours, core_count

        count = (core_count() if neighbours is None else neighbours) if busy else 0
        if busy:
            print(f"=== beside {count} busy processes (workflows._contention)")
        runs = [
            (f"{v:g} um crop", _volume(v, Path(folder), CROP), " (goal >= 10x at 1 um)" * (v == 1))
            for v in (voxels if voxels is not None else ([] if full or micro_ct else [2.0, 1.0]))
            if v > 0
        ]
        if micro_ct is not None:
            runs += [
                (f"{micro_ct.name} ({_pore_rule(micro_ct, pore_max)}), flow along {axis}", path, "")
                for axis, path in _micro_ct(micro_ct, pore_max, Path(folder))
            ]
        with busy_neighbours(count):
            for label, path, goal in runs:
                _compare(label, path, repeat, boundary, no_peer, goal)
        if full:
            path = _volume(1.0, Path(folder), FULL)
            shape = np.load(path, mmap_mode="r").shape
            print(f"--- whole 1 um 1000 sample, {' x '.join(map(str, shape))} voxels (z, y, x), "
                  f"{boundary} sides; {_load()}")  # fmt: skip
            ours = _measure("ours", path, 1, boundary)
            if ours is not None:
                _print_run(ours)


def main(argv=None) -> None:
    run(app, "workflows.bench_diffusive", argv)


if __name__ == "__main__":
    main()
