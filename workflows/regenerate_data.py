"""Regenerate the shipped datasets with the diffusive columns, and their fidelity ladder.

    python -m workflows.regenerate_data --folder regen --hours 2     # run (or resume) for 2 h
    python -m workflows.regenerate_data --folder regen --check       # what is done
    python -m workflows.regenerate_data --folder regen --install     # copy into data/

Four sweeps, in order, each resumable (a killed or timed-out run loses at most the samples in
flight; the next run trusts what is finished):

1. ``gdl200.h5``: the paper's 240 samples of the ``200`` domain at 1 um (design seed 0), geodesic
   and diffusive properties;
2. ``gdl200_4um.h5`` and 3. ``gdl200_2um.h5``: the same rows (``--design-from`` step 1's
   dataset) at 4 and 2 um: the cheap rungs of the ladder, joined on ``id``;
4. ``gdl1000.h5``: the paper's 78 samples of the ``1000`` domain at 1 um.

Nothing is written into ``data/`` until ``--install``, which copies only datasets whose every row
finished (or was refused by the guards, with its reason) and that hold both properties' columns.
``--hours`` bounds one invocation: a sweep still running when the time is up is stopped (its
finished samples kept) and the next invocation resumes it, so each run stays within a batch
job's walltime.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from workflows._cli import run, workflow_app

app = workflow_app()
ROOT = Path(__file__).resolve().parents[1]
PROPERTIES = "geodesic,diffusive"
REQUIRED = ("tau_euclidean", "tau_lattice", "tau_diffusive", "effective_diffusivity")


def stages(folder: Path) -> list[tuple[str, list[str]]]:
    """``(dataset file name, sweep arguments)`` of each step, in the order they run.

    Examples
    --------
    >>> from pathlib import Path
    >>> [name for name, _ in stages(Path("regen"))]
    ['gdl200.h5', 'gdl200_4um.h5', 'gdl200_2um.h5', 'gdl1000.h5']
    >>> stages(Path("regen"))[1][1][:4]
    ['--design-from', 'regen/gdl200.h5', '--voxel-um', '4']
    """
    source = str(folder / "gdl200.h5")
    steps = [
        ("gdl200.h5", ["--domain", "200", "--n", "240", "--seed", "0", "--voxel-um", "1"]),
        ("gdl200_4um.h5", ["--design-from", source, "--voxel-um", "4"]),
        ("gdl200_2um.h5", ["--design-from", source, "--voxel-um", "2"]),
        ("gdl1000.h5", ["--domain", "1000", "--n", "78", "--seed", "0", "--voxel-um", "1"]),
    ]
    common = ["--no-volumes", "--properties", PROPERTIES]
    return [(name, [*args, *common, "--out", str(folder / name)]) for name, args in steps]


def completeness(path: Path) -> str | None:
    """Why the dataset at ``path`` is not complete, or None when it is."""
    from generator import open_dataset

    if not path.exists():
        return "not made yet"
    table = open_dataset(path).table
    missing = [column for column in REQUIRED if column not in table]
    if missing:
        return f"lacks the columns {missing}"
    failed = table[table["status"] != "ok"]
    unrefused = failed[~failed["error"].astype(str).str.startswith("refused")]
    if len(unrefused):
        return f"{len(unrefused)} of {len(table)} rows not finished (sweep again to resume)"
    return None


def _sweep(arguments: list[str], seconds_left: float) -> bool:
    """Run one sweep in its own process group; stop it when the time is up. True when it
    ended by itself."""
    command = [sys.executable, "-m", "generator", "sweep", *arguments]
    print("$", " ".join(command[1:]), flush=True)
    process = subprocess.Popen(command, start_new_session=True)
    try:
        process.wait(timeout=max(seconds_left, 1.0))
        return True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return False


@app.command()
def regenerate_data(
    folder: Annotated[Path, typer.Option("--folder", help="Working folder of the sweeps.")] = Path(
        "regen"
    ),
    hours: Annotated[float, typer.Option("--hours", help="Stop after this long.")] = 2.0,
    check: Annotated[bool, typer.Option("--check", help="Only say what is done.")] = False,
    install: Annotated[
        bool, typer.Option("--install", help="Copy the complete datasets into data/.")
    ] = False,
) -> None:
    """Regenerate the shipped datasets with the diffusive columns and their 4 and 2 um rungs."""
    if hours <= 0:
        raise typer.BadParameter(f"{hours} must be positive", param_hint="--hours")
    folder.mkdir(parents=True, exist_ok=True)
    plan = stages(folder)
    if check or install:
        problems = {name: completeness(folder / name) for name, _ in plan}
        for name, problem in problems.items():
            print(f"{name}: {problem or 'complete'}")
        if install:
            if any(problems.values()):
                raise typer.Exit(1)
            for name, _ in plan:
                shutil.copy2(folder / name, ROOT / "data" / name)
                print(f"installed data/{name}")
        return
    deadline = time.time() + hours * 3600
    for name, arguments in plan:
        if completeness(folder / name) is None:
            print(f"{name}: complete")
            continue
        if not _sweep(arguments, deadline - time.time()):
            print(f"time is up during {name}: run the same command again to resume")
            raise typer.Exit(3)
        problem = completeness(folder / name)
        if problem:
            print(f"{name}: {problem}")
            raise typer.Exit(1)
    print("all four datasets complete: --install copies them into data/")


def main(argv=None) -> None:
    run(app, "workflows.regenerate_data", argv)


if __name__ == "__main__":
    main()
