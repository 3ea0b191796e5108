"""README figures that cannot go stale: results written to files with what produced them, and
one command that copies them into the READMEs.

    python -m workflows.readme_blocks            # rewrite every block from docs/results
    python -m workflows.readme_blocks --check    # exit 1 naming every block that differs
    python -m workflows.readme_blocks --capture tortuosity_accuracy -- \
        python -m workflows.tortuosity_accuracy  # a script's Markdown output as a block

A block in a README is the text between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``;
it is a copy of ``docs/results/NAME.md``, never typed. The workflows that measure something
(:mod:`workflows.gdl_study` with ``--results``, :mod:`workflows.paper_results`) write
``NAME.md`` (the Markdown, ending with a line that says the command, the machine and its load)
and ``NAME.json`` (the same numbers, the command, the machine, the load, the time and the commit)
with :func:`write_result`; a figure nobody has measured yet is a block that says so
(:func:`write_not_measured`), never a number kept from an earlier version of the code.
``tests/test_readme_blocks.py`` fails when a block differs from its file.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from workflows._cli import run, workflow_app

app = workflow_app()
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
READMES = (ROOT / "README.md", ROOT / "generator" / "README.md")
COMMAND = "python -m workflows.readme_blocks"
BLOCK = re.compile(
    r"<!-- results:(?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- /results:(?P=name) -->", re.DOTALL
)
# A run is "busy" when the load average during it exceeded the cores it used itself by more
# than this: other processes wanted the cores, and its times are longer than on a quiet machine.
BUSY_MARGIN = 0.5


def machine() -> dict:
    """CPU model, logical cores and memory of this machine.

    Returns
    -------
    dict
        ``cpu`` (the model name, ``"unknown"`` when the system does not say), ``cores`` and
        ``memory_gib``.

    Examples
    --------
    >>> from workflows.readme_blocks import machine
    >>> sorted(machine())
    ['cores', 'cpu', 'memory_gib']
    """
    import platform

    import psutil

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor() or "unknown",
        "cores": os.cpu_count() or 1,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
    }


class LoadWatch:
    """The load average while a run lasts: sampled every ``interval`` seconds in a background
    thread, from before the run starts to its end.

    Parameters
    ----------
    own_cores : float, optional
        Cores the run keeps busy itself (default: all of them); the run is busy when the mean
        load exceeds them by more than :data:`BUSY_MARGIN`.
    interval : float
        Seconds between samples of the one-minute load average.

    Examples
    --------
    >>> from workflows.readme_blocks import LoadWatch
    >>> with LoadWatch(own_cores=1, interval=0.01) as watch:
    ...     pass
    >>> sorted(watch.summary())
    ['before', 'cores', 'max', 'mean', 'own_cores', 'state']
    """

    def __init__(self, own_cores: float | None = None, interval: float = 5.0):
        self.own_cores = float(own_cores if own_cores is not None else os.cpu_count() or 1)
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def _load() -> float:
        return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append(self._load())

    def __enter__(self) -> LoadWatch:
        self.before = self._load()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self._load())

    def summary(self) -> dict:
        """``before`` (the load when the run started), ``mean`` and ``max`` during it, the
        machine's ``cores``, the run's ``own_cores`` and ``state``: ``"quiet"`` or
        ``"busy"``."""
        samples = self.samples or [self.before]
        mean = sum(samples) / len(samples)
        return {
            "before": round(self.before, 2),
            "mean": round(mean, 2),
            "max": round(max(samples), 2),
            "cores": os.cpu_count() or 1,
            "own_cores": self.own_cores,
            "state": "busy" if mean > self.own_cores + BUSY_MARGIN else "quiet",
        }


def load_text(load: dict) -> str:
    """The load as the results print it: ``quiet (load 1.9 mean, 2.3 max, on 2 cores, the run
    using 2)``."""
    return (
        f"{load['state']} (load {load['mean']:.1f} mean, {load['max']:.1f} max, on "
        f"{load['cores']} cores, the run using {load['own_cores']:g})"
    )


def machine_text(box: dict) -> str:
    """``AMD EPYC, 2 cores, 23.5 GiB``."""
    return f"{box['cpu']}, {box['cores']} cores, {box['memory_gib']:g} GiB"


def write_result(
    name: str,
    markdown: str,
    *,
    command: str,
    data: dict | None = None,
    load: dict | None = None,
    folder: Path = RESULTS,
) -> Path:
    """Write ``NAME.md`` (the Markdown and a line saying how it was made) and ``NAME.json``.

    Parameters
    ----------
    name : str
        The block's name: letters, digits, ``_``, ``.`` and ``-``.
    markdown : str
        The block's text.
    command : str
        The command that produced it, as a user would type it.
    data : dict, optional
        The numbers behind the text, JSON-ready.
    load : dict, optional
        :meth:`LoadWatch.summary` of the run, for results that are timings or were timed.
    folder : Path
        Default the repository's ``docs/results``.

    Returns
    -------
    Path
        The ``.md`` file.
    """
    from generator import provenance

    if not re.fullmatch(r"[\w.-]+", name):
        raise ValueError(f"result name {name!r} is not letters, digits, '_', '.' or '-'")
    record = provenance()
    box = machine()
    made = f"`{command}`, {record['created_utc'][:10]}, commit {record['git_commit'][:7] or '?'}"
    if load is not None:
        made += f", on {machine_text(box)}, {load_text(load)}"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(f"{markdown.rstrip()}\n\n*Made by {made}.*\n")
    (folder / f"{name}.json").write_text(
        json.dumps(
            {
                "name": name,
                "measured": True,
                "command": command,
                "created_utc": record["created_utc"],
                "git_commit": record["git_commit"],
                "git_dirty": record["git_dirty"],
                "machine": box,
                "load": load,
                "data": data or {},
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    return path


def write_not_measured(name: str, *, what: str, command: str, folder: Path = RESULTS) -> Path:
    """A block for a figure not measured with this version of the code: it says what would
    be measured and the command that measures it, and holds no number."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(f"*Not yet measured: {what}. `{command}` measures it.*\n")
    (folder / f"{name}.json").write_text(
        json.dumps({"name": name, "measured": False, "what": what, "command": command}, indent=2)
        + "\n"
    )
    return path


def block_names(text: str) -> list[str]:
    """The blocks of a README's text, in order."""
    return [match["name"] for match in BLOCK.finditer(text)]


def rewrite(text: str, folder: Path = RESULTS) -> tuple[str, list[str]]:
    """``text`` with every block replaced by its file, and the names of the blocks that
    changed.

    Raises
    ------
    FileNotFoundError
        A block without its ``NAME.md`` in ``folder`` (named, with the folder).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from workflows.readme_blocks import rewrite
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "speed.md").write_text("| tool | s |\\n|---|---|\\n| ours | 2.1 |\\n")
    >>> text = "Intro\\n<!-- results:speed -->\\n6 min 21 s\\n<!-- /results:speed -->\\nEnd\\n"
    >>> new, changed = rewrite(text, folder)
    >>> changed
    ['speed']
    >>> print(new, end="")
    Intro
    <!-- results:speed -->
    | tool | s |
    |---|---|
    | ours | 2.1 |
    <!-- /results:speed -->
    End
    """
    folder = Path(folder)
    changed = []

    def replace(match: re.Match) -> str:
        name = match["name"]
        source = folder / f"{name}.md"
        if not source.is_file():
            raise FileNotFoundError(f"README block {name!r} has no file {source}")
        body = source.read_text()
        if body != match["body"]:
            changed.append(name)
        return f"<!-- results:{name} -->\n{body}<!-- /results:{name} -->"

    return BLOCK.sub(replace, text), changed


def stale_blocks(readme: Path, folder: Path = RESULTS) -> list[str]:
    """One line for each block of ``readme`` that differs from its file or has none."""
    try:
        _, changed = rewrite(readme.read_text(), folder)
    except FileNotFoundError as err:
        return [f"{readme.name}: {err}"]
    folder = Path(folder).resolve()
    shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    return [f"{readme.name}: block {name!r} differs from {shown / name}.md" for name in changed]


def capture(name: str, command: list[str], *, timed_run: bool = False, folder: Path = RESULTS):
    """Run ``command`` (``python`` is this interpreter) and keep what it prints on stdout as
    the block ``name``: any script that prints Markdown feeds a block unchanged.

    Raises
    ------
    RuntimeError
        The command failed (its exit code and the end of its stderr).
    """
    import shlex
    import subprocess

    argv = [sys.executable if command[0] == "python" else command[0], *command[1:]]
    start = time.perf_counter()
    with LoadWatch() as watch:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(command)} ended with exit code {done.returncode}: "
            f"{done.stderr.strip()[-500:]}"
        )
    return write_result(
        name,
        done.stdout,
        command=shlex.join(command),
        data={"seconds": seconds, "stdout": done.stdout},
        load=watch.summary() if timed_run else None,
        folder=folder,
    )


@app.command()
def readme_blocks(
    check: Annotated[
        bool, typer.Option(help="Only say which blocks differ from their files (exit 1).")
    ] = False,
    capture_as: Annotated[
        str | None,
        typer.Option(
            "--capture",
            help="First run COMMAND and keep its stdout as docs/results/NAME.md (and .json).",
            metavar="NAME",
        ),
    ] = None,
    timed_run: Annotated[
        bool,
        typer.Option("--timed", help="With --capture: the output holds timings; note the load."),
    ] = False,
    command: Annotated[
        list[str] | None, typer.Argument(help="With --capture: the command, after --.")
    ] = None,
) -> None:
    """Rewrite the README blocks between <!-- results:NAME --> markers from docs/results."""
    if capture_as is not None:
        if not command:
            raise typer.BadParameter("--capture needs the command after --", param_hint="COMMAND")
        try:
            print(f"wrote {capture(capture_as, command, timed_run=timed_run)}")
        except (RuntimeError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            raise typer.Exit(1) from None
    problems = []
    for readme in READMES:
        if check:
            problems += stale_blocks(readme)
            continue
        try:
            text, changed = rewrite(readme.read_text())
        except FileNotFoundError as err:
            problems.append(f"{readme.name}: {err}")
            continue
        if changed:
            readme.write_text(text)
            print(f"{readme.relative_to(ROOT)}: rewrote {', '.join(changed)}")
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        if check:
            print(f"run `{COMMAND}` to rewrite them", file=sys.stderr)
        raise typer.Exit(1)


def timed(function, *args, **kwargs):
    """``function(*args, **kwargs)``, its wall time in seconds and the load while it ran."""
    start = time.perf_counter()
    with LoadWatch() as watch:
        value = function(*args, **kwargs)
    return value, time.perf_counter() - start, watch.summary()


def main(argv=None) -> None:
    run(app, "workflows.readme_blocks", argv)


if __name__ == "__main__":
    main()
