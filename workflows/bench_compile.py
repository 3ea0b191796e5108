"""Benchmark: what numba compilation costs a fresh install, stage by stage and on a first sample.

Every measurement runs in a child process whose numba cache (``NUMBA_CACHE_DIR``) is a new
empty folder, so nothing is loaded from an earlier run::

    python -m workflows.bench_compile                       # stages, then 200 and 1000 at 1 um
    python -m workflows.bench_compile --presets 200         # one preset
    python -m workflows.bench_compile --presets none        # the stages only
    python -m workflows.bench_compile --presets 1000 --no-stages
    python -m workflows.bench_compile --presets none --no-stages --sweep 200   # a whole sweep
    python -m workflows.readme_blocks --capture first_use --timed -- \\
        python -m workflows.bench_compile                   # the README's block

Stages: one child compiles, on small images and in this order, the generation (fibres, binder,
compression), the wide binder closing (the uint16 distance kernels), the geodesic tortuosity
(both metrics, bands joined), the diffusive factor and the pore sizes, as the sweep's warm-up
does. For each
it prints the seconds numba held its compiler (:func:`generator._shared.numba_compile.
compile_timer`), the process's CPU seconds and the specialisations compiled (kernel
signatures; a kernel shared with an earlier stage counts there).

First sample: one child runs a sweep task (:func:`generator.sweep.sample_task.run_sample`:
warm-up, generation, geodesic tortuosity, the sample file written) of the preset at 1 um from
the empty cache; a second child runs the same task with the cache that the first one filled
(loading only). The difference is what compiling costs the first sample of a fresh install; the
row's ``compile_s`` is printed beside it.

Sweep (``--sweep PRESET``): ``python -m generator sweep`` of 2 samples at 1 um with 2 workers,
from an empty numba cache (``--numba-cache``), timed whole from the command's start to its
exit; its overhead is that time less the slowest sample's own ``total_s`` (start-up, the
kernels compiled side by side in child processes, the workers started, the dataset written).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from workflows._cli import run, workflow_app

app = workflow_app()
STAGES = ("generation", "wide closing", "geodesic", "diffusive", "pore sizes")
VOXEL_UM = 1.0


def _specialisations() -> int:
    """Signatures compiled (or loaded) so far by the package's kernels in this process."""
    from numba.core.registry import CPUDispatcher

    seen, total = set(), 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("generator.") or module is None:
            continue
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and id(value) not in seen:
                seen.add(id(value))
                total += len(value.signatures)
    return total


def _stage_child() -> list[dict]:
    from generator._shared.numba_compile import compile_timer
    from generator.structure.binder import compile_kernels as binder_kernels
    from generator.structure.generate import generate
    from generator.sweep.properties import measure_property
    from generator.sweep.sample_task import _WARM_UP_SAMPLE, _WIDE_CLOSING_SAMPLE
    from generator.tortuosity.geodesic import compile_kernels as geodesic_kernels

    made = {}

    def generation():
        made["sample"] = generate(**_WARM_UP_SAMPLE)
        binder_kernels()  # what the sweep's warm-up adds: the binder's rarer paths

    def wide():
        generate(**_WIDE_CLOSING_SAMPLE)

    def prop(name):
        return lambda: measure_property(name, made["sample"].volume, 4.0)

    def geodesic():
        prop("geodesic")()
        geodesic_kernels()  # and the bands joined, the lattice's front

    work = (generation, wide, geodesic, prop("diffusive"), prop("psd"))
    rows = []
    for stage, function in zip(STAGES, work, strict=True):
        before = _specialisations()
        cpu, wall = time.process_time(), time.perf_counter()
        error = ""
        with compile_timer() as timer:
            try:
                function()
            except Exception as err:  # another stage's figure is still worth printing
                error = f"{type(err).__name__}: {err}"
        rows.append(
            {
                "stage": stage,
                "error": error,
                "compile_s": timer.seconds,
                "wall_s": time.perf_counter() - wall,
                "cpu_s": time.process_time() - cpu,
                "specialisations": _specialisations() - before,
            }
        )
    return rows


def _sample_child(preset: str, folder: str) -> dict:
    from generator.structure.parameters import SampleParameters
    from generator.sweep.sample_task import run_sample

    task = {
        "id": f"bench-{preset}",
        "index": 0,
        "seed": 1,
        "domain": preset,
        "voxel_um": VOXEL_UM,
        "stratify": True,
        "folder": folder,
        "keep_volume": False,
        "plan": {"bench": "compile"},
        "properties": ("geodesic",),
        **SampleParameters().as_dict(),
    }
    start = time.perf_counter()
    row = run_sample(task)
    wall = time.perf_counter() - start
    if row["status"] != "ok":
        raise RuntimeError(row["error"])
    keys = ("compile_s", "generate_s", "tortuosity_lattice_s", "tortuosity_euclidean_s")
    return {"wall_s": wall, **{key: row[key] for key in keys}}


def _child(args: list[str], cache: Path) -> dict | list:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    done = subprocess.run(
        [sys.executable, "-m", "workflows.bench_compile", "--child", json.dumps(args)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sweep_overhead(preset: str, folder: Path) -> dict:
    """A cold 2-sample sweep of ``preset``, timed whole, and its slowest sample."""
    from generator import open_dataset

    out = folder / f"sweep{preset}.h5"
    command = [
        sys.executable, "-m", "generator", "sweep", "--domain", preset, "--n", "2",
        "--workers", "2", "--voxel-um", str(VOXEL_UM), "--no-volumes",
        "--numba-cache", str(folder / "cache"), "--out", str(out),
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"sweep failed: {done.stderr.strip()[-800:]}")
    table = open_dataset(out).table
    slowest = float(table["total_s"].max())
    return {"wall_s": wall, "slowest_s": slowest, "overhead_s": wall - slowest}


def _stages_table(rows: list[dict]) -> list[str]:
    lines = [
        "| stage | compile (numba's lock) | CPU | specialisations |",
        "|---|---|---|---|",
    ]
    for row in rows:
        if row.get("error"):
            lines.append(f"| {row['stage']} | failed ({row['error'][:80]}) | | |")
            continue
        lines.append(
            f"| {row['stage']} | {row['compile_s']:.1f} s | {row['cpu_s']:.1f} s | "
            f"{row['specialisations']} |"
        )
    rows = [row for row in rows if not row.get("error")]
    first = sum(row["compile_s"] for row in rows if row["stage"] in ("generation", "geodesic"))
    total = sum(row["compile_s"] for row in rows)
    lines.append(
        f"| **all stages** | **{total:.1f} s** | "
        f"{sum(row['cpu_s'] for row in rows):.1f} s | "
        f"{sum(row['specialisations'] for row in rows)} |"
    )
    lines.append("")
    lines.append(
        f"A default sweep sample (generation and geodesic) compiles for {first:.1f} s from an "
        "empty cache; the wide closing only where fibres span 7 voxels or more."
    )
    return lines


def _presets_table(results: dict) -> list[str]:
    lines = [
        "| preset at 1 µm | first sample, empty cache | same, cache filled | difference | "
        "`compile_s` (empty / filled) |",
        "|---|---|---|---|---|",
    ]
    for preset, (cold, warm) in results.items():
        lines.append(
            f"| `{preset}` | {cold['wall_s']:.1f} s | {warm['wall_s']:.1f} s | "
            f"{cold['wall_s'] - warm['wall_s']:.1f} s | "
            f"{cold['compile_s']:.1f} s / {warm['compile_s']:.2f} s |"
        )
    return lines


@app.command()
def main(
    presets: Annotated[
        str, typer.Option(help="Comma-separated domain presets for the first sample, or none.")
    ] = "200,1000",
    stages: Annotated[
        bool, typer.Option("--stages/--no-stages", help="Measure the stages first.")
    ] = True,
    sweep: Annotated[
        str | None,
        typer.Option(help="Also time a cold 2-sample sweep of this preset, and its overhead."),
    ] = None,
    child: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Cold numba compile time per stage and for a first sample, from an empty cache."""
    if child:
        args = json.loads(child)
        result = _stage_child() if args[0] == "stages" else _sample_child(*args[1:])
        print(json.dumps(result))
        return
    chosen = [] if presets == "none" else [p.strip() for p in presets.split(",") if p.strip()]
    from generator import DOMAIN_PRESETS

    unknown = [p for p in [*chosen, *([sweep] if sweep else [])] if p not in DOMAIN_PRESETS]
    if unknown:
        raise typer.BadParameter(
            f"presets {unknown} are not among {sorted(DOMAIN_PRESETS)} (or none)",
            param_hint="'--presets'",
        )
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        rows = _child(["stages"], scratch / "cache-stages") if stages else []
        results = {}
        for preset in chosen:
            cache, folder = scratch / f"cache-{preset}", scratch / f"samples-{preset}"
            folder.mkdir()
            cold = _child(["sample", preset, str(folder)], cache)
            warm = _child(["sample", preset, str(folder)], cache)
            results[preset] = (cold, warm)
        swept = None
        if sweep:
            (scratch / "sweep").mkdir()
            swept = _sweep_overhead(sweep, scratch / "sweep")
    if rows:
        print("Cold numba compilation, each stage in order in one process from an empty cache:")
        print()
        print("\n".join(_stages_table(rows)))
        print()
    if results:
        print(
            "A sweep task (warm-up, generation, geodesic tortuosity by both metrics, the file "
            "written), from an empty cache and then in a new process with the cache it filled:"
        )
        print()
        print("\n".join(_presets_table(results)))
    if swept:
        if rows or results:
            print()
        print(
            f"A cold sweep (`generator sweep --domain {sweep} --n 2 --workers 2`, an empty numba "
            f"cache): {swept['wall_s']:.1f} s from start to exit, its slowest sample "
            f"{swept['slowest_s']:.1f} s: **{swept['overhead_s']:.1f} s of overhead** (start-up, "
            "compilation, workers, writing)."
        )


if __name__ == "__main__":
    run(app, "workflows.bench_compile")
