"""Benchmark: our local-thickness pore sizes against PoreSpy's ``local_thickness``.

Two images: PoreSpy's blobs, 300^3 voxels at porosity ~0.3 (blobiness 1, seed 1), and a crop
of a generator sample at 2 um (the one ``bench_diffusive`` uses, 120 x 100 x 225 voxels).
Each contender runs in its own child process from the same saved image, after a warm-up on a
small one (numba compile excluded); the script prints wall time, peak resident memory beyond
the input and the volume-weighted d10 / d50 / d90 of each, and the ratios::

    python -m workflows.bench_pore_sizes                 # both images, ours and PoreSpy
    python -m workflows.bench_pore_sizes --size 150      # a smaller blobs volume

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


def _child(kind: str, path: str) -> dict:
    pore = np.load(path)
    tiny = np.ascontiguousarray(pore[:30, :30, :30])
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


def main(argv=None) -> None:
    run(app, "workflows.bench_pore_sizes", argv)


if __name__ == "__main__":
    main()
