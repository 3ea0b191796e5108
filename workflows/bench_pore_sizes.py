"""Benchmark: our local-thickness pore sizes against PoreSpy's ``local_thickness``.

Two images: PoreSpy's blobs, 300^3 voxels at porosity ~0.3 (blobiness 1, seed 1), and a crop
of a generator sample at 2 um (the one ``bench_diffusive`` uses, 120 x 100 x 225 voxels).
Each contender runs in its own child process from the same saved image, after a warm-up on a
small one (numba compile excluded); the script prints wall time, peak resident memory beyond
the input and the volume-weighted d10 / d50 / d90 of each, and the ratios::

    python -m workflows.bench_pore_sizes                 # both images, ours and PoreSpy
    python -m workflows.bench_pore_sizes --size 150      # a smaller blobs volume
    python -m workflows.bench_pore_sizes --stages        # and ours stage by stage (a third run)

PoreSpy (3.x) is run at its defaults: ``method="bf"`` inserts a ball at every pore voxel for
every whole radius from 1 to the largest distance (``sizes=None``), ``smooth=True``; its map
holds radii, so its diameter is taken as ``2 r``. Ours is exact on the half-voxel grid
(diameter ``2 r - 1`` from the ball's reach, see :mod:`generator.tortuosity.pore_sizes`):
expect PoreSpy's percentiles about a voxel larger, more where whole radii round.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from workflows._cli import run, workflow_app
from workflows.bench_diffusive import CROP, _load, _peak_gib, _reset_peak, _rss_gib

app = workflow_app()


def _stages(pore: np.ndarray) -> dict:
    """Wall seconds of our kernels one by one, as ``pore_size_distribution`` calls them."""
    from generator.tortuosity import _pore_size_kernels as kernels
    from generator.tortuosity.pore_sizes import _WINDOW

    seconds = {}
    start = time.perf_counter()
    dist2 = np.empty(tuple(2 * n - 1 for n in pore.shape), dtype=np.uint16)
    window = min(_WINDOW, max(dist2.shape) - 1)
    kernels.half_grid_squared_edt(np.ascontiguousarray(~pore), dist2, window)
    seconds["half-grid distance"] = time.perf_counter() - start
    start = time.perf_counter()
    largest = int(dist2[::2, ::2, ::2][pore].max())
    table = kernels.containment_table(int((np.sqrt(largest) + 2.0) ** 2))
    coords, radii2 = kernels.ridge_points(dist2, window * window + 1, table)
    seconds["ridge"] = time.perf_counter() - start
    del dist2
    start = time.perf_counter()
    out = np.zeros(pore.shape, dtype=np.float32)
    table = kernels.disk_containment_table(int(radii2.max()))
    kernels.insert_balls(coords, radii2, int(np.ceil(np.sqrt(radii2.max()))), pore, out, table)
    seconds["insertion"] = time.perf_counter() - start
    return {"seconds": seconds, "balls": int(radii2.size)}


def _child(kind: str, path: str) -> dict:
    pore = np.load(path)
    tiny = np.ascontiguousarray(pore[:30, :30, :30])
    if kind == "stages":
        _stages(tiny)  # numba compile
        return {"kind": kind, **_stages(pore)}
    if kind == "ours":
        from generator.tortuosity import pore_size_distribution

        pore_size_distribution(tiny)  # numba compile
    elif kind == "porespy":
        import porespy as ps

        ps.filters.local_thickness(tiny)
    else:
        raise ValueError(kind)
    baseline = _rss_gib()
    reset = _reset_peak()
    start = time.perf_counter()
    if kind == "ours":
        result = pore_size_distribution(pore)
        d = (result.d10, result.d50, result.d90)
    else:
        diameters = 2.0 * ps.filters.local_thickness(pore)[pore]
        d = tuple(float(x) for x in np.quantile(diameters, (0.1, 0.5, 0.9), method="inverted_cdf"))
    seconds = time.perf_counter() - start
    peak = _peak_gib(reset)
    return {
        "kind": kind,
        "seconds": seconds,
        "peak_gib": peak,
        "bytes_per_voxel": (peak - baseline) * 2**30 / pore.size,
        "d": d,
    }


def _measure(kind: str, path: Path) -> dict | None:
    done = subprocess.run(
        [sys.executable, "-m", "workflows.bench_pore_sizes", "--child", kind, str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no output)"]
        print(f"{kind:8s} failed: {lines[-1]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _images(folder: Path, size: int) -> list[tuple[str, Path]]:
    import porespy as ps

    from generator import generate

    blobs = ps.generators.blobs([size] * 3, porosity=0.3, blobiness=1, seed=1)
    gdl = generate(voxel_um=2.0, **CROP).volume == 0
    out = []
    for label, pore in ((f"blobs {size}^3", blobs), ("generator crop at 2 um", gdl)):
        path = folder / f"{len(out)}.npy"
        np.save(path, np.ascontiguousarray(pore, dtype=bool))
        shape = " x ".join(map(str, pore.shape))
        out.append((f"{label}, {shape} voxels, porosity {pore.mean():.3f}", path))
    return out


@app.command()
def bench_pore_sizes(
    size: Annotated[int, typer.Option(help="Edge of the blobs volume in voxels.")] = 300,
    stages: Annotated[
        bool, typer.Option(help="Also time our kernels one by one (a third child run).")
    ] = False,
    child: Annotated[tuple[str, str] | None, typer.Option(hidden=True)] = None,
) -> None:
    """Benchmark: our local-thickness pore sizes against PoreSpy's local_thickness."""
    if child:
        print(json.dumps(_child(*child)))
        return
    with tempfile.TemporaryDirectory() as folder:
        for label, path in _images(Path(folder), size):
            print(f"--- {label}; {_load()}")
            runs = {kind: _measure(kind, path) for kind in ("ours", "porespy")}
            for r in runs.values():
                if r is not None:
                    d10, d50, d90 = r["d"]
                    print(
                        f"{r['kind']:8s} {r['seconds']:8.2f} s  peak {r['peak_gib']:5.2f} GiB  "
                        f"{r['bytes_per_voxel']:5.1f} bytes/voxel beyond the input  "
                        f"d10 {d10:6.2f}  d50 {d50:6.2f}  d90 {d90:6.2f} voxels"
                    )
            ours, peer = runs["ours"], runs["porespy"]
            if ours is not None and peer is not None:
                diffs = ", ".join(
                    f"{name} {a - b:+.2f}"
                    for name, a, b in zip(("d10", "d50", "d90"), ours["d"], peer["d"], strict=True)
                )
                print(
                    f"ours / PoreSpy: time {ours['seconds'] / peer['seconds']:.2f}, peak memory "
                    f"{ours['peak_gib'] / peer['peak_gib']:.2f}; ours - PoreSpy (voxels): {diffs}; "
                    f"after: {_load()}"
                )
            if stages:
                r = _measure("stages", path)
                if r is not None:
                    parts = ", ".join(f"{k} {v:.2f} s" for k, v in r["seconds"].items())
                    print(f"ours by stage: {parts} ({r['balls']} ridge balls); {_load()}")


def main(argv=None) -> None:
    run(app, "workflows.bench_pore_sizes", argv)


if __name__ == "__main__":
    main()
