"""One sample of a sweep: generate, measure the tortuosity, write one file atomically; and the
check that decides whether a file found later is a finished sample of a given task.

This is the unit of work a Dask worker (or a batch array task) runs. It never raises: a sample
that fails returns a row with ``status = "failed"`` and the error, and writes no file, so a
resumed sweep tries it again. The file is an ordinary sample file (the format
``python -m generator sample`` writes, read by ``read_sample``, ``show`` and ``tortuosity``)
with the sweep's task, plan and table row as extra attributes.
"""

from __future__ import annotations

import json
import os
import resource
import time
import traceback
from pathlib import Path

from generator._shared import held_memory
from generator._shared.numba_compile import compile_timer
from generator.sweep.design import PARAMETERS
from generator.sweep.properties import (
    DEFAULT_PROPERTIES,
    PROPERTIES,
    check_properties,
    measure_property,
    measure_sample_property,
    properties_in_row,
)

# Root attributes a sweep adds to a sample file.
TASK_ATTRIBUTE, ROW_ATTRIBUTE, PLAN_ATTRIBUTE = "sweep_task", "sweep_row", "sweep_plan"
# The sweep sample format of versions before 2 (a file of its own kind), recognised so that
# --force can remove it and a resume can name it.
LEGACY_FORMAT = "gdl-sweep-sample"
# Task keys that say which sample it is (the rest say where and how to store it).
IDENTITY_KEYS = ("id", "index", "seed", "domain", "voxel_um", "stratify", *PARAMETERS)


# Kernels this process has compiled (or loaded from numba's cache): "generate", "wide" (the
# uint16 distance kernels of a wide binder closing) and the properties.
_WARMED: set = set()
# Fibre diameters in voxels from which a binder closing may need radii above 10.6 voxels
# (squared radius 113 and more: uint16 distances). Measured: 12 um fibres at 1 um, fibre 0.10,
# binder 0.10 close at r^2 = 323; r^2 grows with the square of the diameter, so 113 is reached
# from about 12 * sqrt(113 / 323) = 7.1 voxels. Below it the uint16 kernels are not compiled;
# a sample that needs them anyway compiles them on first use (counted in its compile_s).
WIDE_CLOSING_DIAMETER = 7.0
# The small sample a warm-up makes (every generation kernel of the usual widths), and one whose
# binder closing needs those uint16 kernels.
_WARM_UP_SAMPLE = dict(domain=(160, 160), voxel_um=4.0, fiber_diameter_um=8, compression=0.2)
_WIDE_CLOSING_SAMPLE = dict(
    domain=(60, 60),
    voxel_um=1.0,
    fiber_diameter_um=12,
    fiber_fraction=0.10,
    binder_fraction=0.10,
    compression=0.2,
    thickness_um=280,
)


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def may_need_wide_closing(fiber_diameter_um: float, voxel_um: float) -> bool:
    """Whether a sample's binder closing may need the uint16 distance kernels.

    Examples
    --------
    >>> may_need_wide_closing(9.0, 1.0), may_need_wide_closing(12.0, 4.0)
    (True, False)
    """
    return float(fiber_diameter_um) / float(voxel_um) >= WIDE_CLOSING_DIAMETER


def warm_up(
    properties=DEFAULT_PROPERTIES, *, wide_closing: bool = False, side_by_side: bool = True
) -> float:
    """Compile (or load from numba's cache) the kernels a sample uses, once per process.

    Only the kernels of the generation and of ``properties`` are compiled, on a small
    structure; the uint16 distance kernels of a wide binder closing only with
    ``wide_closing`` (:func:`may_need_wide_closing`). Parts that this code has not yet
    compiled into the cache folder are first compiled there by child processes side by side
    (:func:`compile_in_parallel`, one per core this process may use), which a first sample
    on a fresh install (a batch job's, a lone ``run_sample``'s) waits for instead of
    compiling them one after another; this process then only loads them. A sweep's workers
    find them compiled by the sweep already.

    Parameters
    ----------
    properties : iterable of str
        The properties the samples measure (:mod:`generator.sweep.properties`).
    wide_closing : bool
        Also compile the kernels of a binder closing wider than 10.6 voxels.
    side_by_side : bool
        Compile the missing parts in child processes first (only where this process may use
        more than one core and numba's cache folder can be written).

    Returns
    -------
    float
        The seconds spent compiling or loading kernels: the children's wall time, if any, and
        the time numba held its compiler in this process
        (:func:`generator._shared.numba_compile.compile_timer`; 0 when everything was warm),
        not the time the small structure took to make and measure.
    """
    wanted = _wanted_parts(properties, wide_closing)
    if all(name in _WARMED for name in wanted):
        return 0.0
    from generator.structure.generate import generate

    aside = compile_aside(properties, wide_closing=wide_closing) if side_by_side else 0.0
    with compile_timer() as timer:
        sample = generate(**_WARM_UP_SAMPLE)
        _compile_rest("generate")
        if "wide" in wanted and "wide" not in _WARMED:
            generate(**_WIDE_CLOSING_SAMPLE)
        for name in wanted:
            if name in PROPERTIES and name not in _WARMED:
                measure_property(name, sample.volume, 4.0)
                _compile_rest(name)
    _WARMED.update(wanted)
    return aside + timer.seconds


def compile_aside(properties=DEFAULT_PROPERTIES, *, wide_closing: bool = False) -> float:
    """Compile the parts a sample needs that this process has not loaded and this code has
    not compiled into numba's cache folder, in child processes side by side
    (:func:`compile_in_parallel`), when that can pay: this process may use more than one
    core, and the children can write the cache folder.

    Parameters
    ----------
    properties : iterable of str
        The properties the samples measure.
    wide_closing : bool
        Also the kernels of a binder closing wider than 10.6 voxels.

    Returns
    -------
    float
        The wall seconds it took (about 0 when nothing was missing). A child that fails is
        not an error here: this process then compiles what is missing, and raises its error.
    """
    missing = [name for name in _wanted_parts(properties, wide_closing) if name not in _WARMED]
    if not missing or not _compile_aside_pays():
        return 0.0
    started = time.perf_counter()
    try:
        compile_in_parallel(missing)
    except RuntimeError:
        pass
    return time.perf_counter() - started


def _usable_cores() -> int:
    """The CPUs this process may run on (1 where that cannot be told)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _wanted_parts(properties, wide_closing: bool) -> list[str]:
    return ["generate", *(["wide"] if wide_closing else []), *check_properties(properties)]


def _compile_aside_pays() -> bool:
    """Whether compiling in child processes can save time here: more than one core for this
    process, and a numba cache folder the children can write (else this process would
    compile everything again)."""
    from generator._shared.numba_compile import cache_folder

    if _usable_cores() < 2:
        return False
    folder = cache_folder()
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return os.access(folder, os.W_OK)


# Cold compile of each part in CPU seconds (warm_up_part from an empty cache, an Intel Xeon
# 2-core VM, quiet; an AMD EPYC one took 1.2-1.4x as long for each): the weights by which
# compile_in_parallel shares the parts between processes. "wide" includes the generation (its
# sample is a generation too).
COMPILE_CPU_S = {"generate": 16.3, "wide": 23.0, "geodesic": 24.6, "diffusive": 27.4, "psd": 12.8}
# The lattice's front after a join of bands (compile_lattice_front), part of the geodesic part
# for solves on two threads or more: compile_in_parallel hands it to a lighter process.
LATTICE_FRONT_CPU_S = 3.6


# The stamp of the geodesic part compiled for solves on one thread (no lattice bands joined).
ONE_THREAD_GEODESIC = "geodesic-one-thread"


def warm_up_part(
    part: str, *, solver_threads: int | None = None, lattice_front: bool = True
) -> None:
    """Compile (or load) one part's kernels in this process: ``generate``, ``wide`` (the
    uint16 kernels of a wide binder closing) or a property, the latter on a small hand-made
    volume (fibre and binder phases, a percolating pore) so that no generation kernel is
    compiled with it.

    ``solver_threads`` is the numba threads of the processes that will measure the samples
    (default: this process's). With one, the geodesic part leaves out the lattice's kernels
    that join bands (:func:`generator.tortuosity.geodesic.compile_kernels`): such a process
    never runs them. ``lattice_front=False`` leaves out the lattice's front all the same, for
    a process that compiles it apart (:func:`compile_in_parallel` does, in a lighter child).

    Examples
    --------
    >>> warm_up_part("kernels")
    Traceback (most recent call last):
    ...
    ValueError: part 'kernels' must be one of generate, wide, geodesic, diffusive, psd
    """
    _check_parts([part])
    if part in ("generate", "wide"):
        from generator.structure.generate import generate

        generate(**_WARM_UP_SAMPLE)
        _compile_rest("generate")
        if part == "wide":
            generate(**_WIDE_CLOSING_SAMPLE)
        return
    import numpy as np

    volume = np.zeros((24, 22, 30), np.uint8)  # pore, a fibre slab and a binder bar
    volume[5:9, :, 4:26] = 1
    volume[:, 12:15, 10:20] = 2
    measure_property(part, volume, 4.0)
    _compile_rest(part, solver_threads, lattice_front)


def _compile_rest(part: str, solver_threads: int | None = None, lattice_front: bool = True) -> None:
    """The kernels of ``part`` that a small warm-up structure does not reach (the binder's
    rarer paths, the geodesic's joined bands for solves on ``solver_threads``), compiled on
    inputs made to reach them."""
    if part == "generate":
        from generator.structure.binder import compile_kernels

        compile_kernels()
    elif part == "geodesic":
        from generator.tortuosity.geodesic import compile_kernels

        compile_kernels(threads=solver_threads, lattice_front=lattice_front)


def _one_thread(solver_threads: int | None) -> bool:
    """Whether geodesic solves run on one numba thread (``solver_threads``; None: this
    process's), so that the lattice never joins bands. A sweep's local workers have one
    thread each."""
    if solver_threads is None:
        import numba

        solver_threads = numba.get_num_threads()
    return solver_threads <= 1


def _check_parts(parts) -> list[str]:
    """``parts`` without repeats, each a known part (else a ValueError naming it)."""
    parts = list(dict.fromkeys(parts))
    for part in parts:
        if part not in COMPILE_CPU_S:
            raise ValueError(f"part {part!r} must be one of {', '.join(COMPILE_CPU_S)}")
    return parts


def share_parts(parts, processes: int) -> list[list[str]]:
    """Share compile parts between at most ``processes`` processes, the longest first, each
    to the process with the least cold compile so far; ``generate`` goes with ``wide`` (whose
    sample compiles the generation anyway).

    Examples
    --------
    >>> share_parts(["generate", "wide", "geodesic", "diffusive", "psd"], 2)
    [['diffusive', 'psd'], ['geodesic', 'wide']]
    >>> share_parts(["generate", "geodesic"], 4)
    [['geodesic'], ['generate']]
    >>> share_parts(["generate", "geodesic"], 1)
    [['geodesic', 'generate']]
    """
    parts = _check_parts(parts)
    if "wide" in parts and "generate" in parts:
        parts.remove("generate")
    groups: list[list[str]] = [[] for _ in range(max(1, min(processes, len(parts))))]
    for part in sorted(parts, key=COMPILE_CPU_S.get, reverse=True):
        min(groups, key=lambda group: sum(map(COMPILE_CPU_S.get, group))).append(part)
    return groups


def compile_in_parallel(
    parts, *, processes: int | None = None, env=None, solver_threads: int | None = None
) -> float:
    """Compile ``parts`` (see :func:`warm_up_part`) into numba's cache with several child
    processes at once, the parts shared by their cold compile cost (numba compiles on one
    core, so two processes halve a cold start on two cores; a warm cache only loads).

    Parameters
    ----------
    parts : iterable of str
        Parts to compile.
    processes : int, optional
        At most this many processes (default: the CPUs this process may use).
    env : dict, optional
        The children's environment (e.g. with ``NUMBA_CACHE_DIR``); default this one's.
    solver_threads : int, optional
        numba threads of the processes that will measure the samples (default: this
        process's); with one, the lattice's kernels that join bands are left out (see
        :func:`warm_up_part`).

    Returns
    -------
    float
        The wall seconds it took.

    Raises
    ------
    RuntimeError
        A child failed (its last error line is given).

    Notes
    -----
    For solves on two threads, the lattice's front after joined bands (about 4 of the
    geodesic part's CPU-s) goes to the lightest child without the geodesic part when that
    stays the lighter one: a lone sample's generation child takes it (cold, 27 -> 23 s on two
    cores), the wide closing's child does not (it would end later than the geodesic's).

    A part compiled by an earlier call from the same code into the same cache folder is
    skipped (a stamp file in ``<cache>/compiled/``); an edited, moved or touched source file,
    another numba, Python or processor make a new stamp, as they make numba compile again.
    """
    import subprocess
    import sys

    if processes is None:
        processes = _usable_cores()
    started = time.perf_counter()
    parts = _check_parts(parts)
    one_thread = _one_thread(solver_threads)
    stamps = _compile_stamps([*parts, "wide", ONE_THREAD_GEODESIC], env)
    # Parts compiled before from this very code: the children would only load them (seconds
    # of start-up a sweep, for nothing). The wide part's sample is a generation too, and the
    # geodesic part for solves on two threads holds the one for one thread.
    done = {part for part, stamp in stamps.items() if stamp.exists()}
    if "wide" in done:
        done.add("generate")
    if ONE_THREAD_GEODESIC in done and one_thread:
        done.add("geodesic")
    parts = [part for part in parts if part not in done]
    if not parts:
        return time.perf_counter() - started
    groups = share_parts(parts, processes)
    threads = 1 if one_thread else 2
    front_group = None if one_thread else _lattice_front_group(groups)
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _compile_child_code(group, threads, front_group, index == front_group),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index, group in enumerate(groups)
        if group
    ]
    errors = [child.communicate()[1] for child in children]
    failed = [error for child, error in zip(children, errors, strict=True) if child.returncode]
    if failed:
        last = (failed[0].strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"compiling the kernels failed in a child process: {last}")
    for part in parts:
        stamp = stamps.get(ONE_THREAD_GEODESIC if part == "geodesic" and one_thread else part)
        if stamp:
            try:
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.touch()
            except OSError:
                pass  # a cache folder this process cannot write: compile checks run each time
    return time.perf_counter() - started


def _lattice_front_group(groups) -> int | None:
    """The group that takes the lattice's front from the geodesic part's group: the lightest
    other one, when it stays lighter than the geodesic's with the front (a lone sample on two
    threads: the generation's child, 16 + 4 CPU-s against the geodesic's 25 - 4; not the wide
    closing's, 23 + 4); else None."""
    weight = [sum(map(COMPILE_CPU_S.get, group)) for group in groups]
    with_geodesic = [index for index, group in enumerate(groups) if "geodesic" in group]
    others = [index for index, group in enumerate(groups) if group and "geodesic" not in group]
    if not with_geodesic or not others:
        return None
    lightest = min(others, key=weight.__getitem__)
    if weight[lightest] + LATTICE_FRONT_CPU_S >= weight[with_geodesic[0]]:
        return None
    return lightest


def _compile_child_code(group, threads: int, front_group, takes_front: bool) -> str:
    """The Python code a compiling child runs: its parts, without the lattice's front when
    another child takes it (``front_group``), with it alone at the end when it does."""
    front_elsewhere = front_group is not None and not takes_front
    code = (
        "from generator.sweep.sample_task import warm_up_part\n"
        f"for part in {list(group)!r}:\n"
        f"    warm_up_part(part, solver_threads={threads}, lattice_front={not front_elsewhere})\n"
    )
    if takes_front:
        code += (
            "from generator.tortuosity.geodesic import compile_lattice_front\n"
            "compile_lattice_front()\n"
        )
    return code


def _compile_stamps(parts, env) -> dict:
    """``{part: stamp file}``: a file in numba's cache folder saying the part was compiled
    there from this code (the package's path, every source file's size and time, numba, Python
    and the processor, as numba's own cache keys go); {} when that cannot be told."""
    import hashlib
    import platform
    import sys

    from generator._shared.numba_compile import PACKAGE, cache_folder

    folder = (env or os.environ).get("NUMBA_CACHE_DIR") or str(cache_folder())
    try:
        import numba
        from llvmlite import binding

        code = hashlib.sha256()
        code.update(f"{PACKAGE}|{numba.__version__}|{sys.version}|{platform.machine()}".encode())
        code.update(binding.get_host_cpu_name().encode())
        for path in sorted(PACKAGE.rglob("*.py")):
            stat = path.stat()
            code.update(f"{path.relative_to(PACKAGE)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    except (OSError, ImportError):
        return {}
    key = code.hexdigest()[:20]
    return {part: Path(folder) / "compiled" / f"{part}-{key}" for part in parts}


def _sample_for(task: dict, start_row: dict | None):
    """The task's sample: read from its file when a finished row is extended and the file
    keeps the volume, else generated (and, when extending, checked against the stored row)."""
    from generator.structure.generate import generate

    path = Path(task["folder"]) / f"{task['id']}.h5"
    if start_row is not None and task.get("stored_volume"):
        from generator.structure.sample import read_sample

        return read_sample(path)
    sample = generate(
        domain=task["domain"],
        seed=int(task["seed"]),
        voxel_um=float(task["voxel_um"]),
        stratify=bool(task["stratify"]),
        **{name: float(task[name]) for name in PARAMETERS},
    )
    if start_row is not None:
        # Regenerated to add a property: it must be the structure the stored row describes.
        key = "pore_fraction_after"
        if not _same_number(sample.fractions["after_compression"]["pore"], start_row[key]):
            raise RuntimeError(
                f"the regenerated structure has {key}="
                f"{sample.fractions['after_compression']['pore']!r}, the stored row "
                f"{start_row[key]!r}: not the same structure, nothing added"
            )
    return sample


def _largest_field_bytes(task: dict) -> int:
    """Bytes of a float32 field on the plan's thickest sample, uncompressed (the largest
    scratch array a worker of its sweep asks for); on the task's own sample when its plan
    states no ranges (a task made outside a sweep, as the compile benchmark's)."""
    from generator.structure.parameters import resolve_domain, voxel_shape

    thickest = float(task["thickness_um"])
    ranges = task.get("plan", {}).get("ranges", {})
    if "thickness_um" in ranges:
        thickest = max(thickest, float(ranges["thickness_um"][1]))
    _, in_plane = resolve_domain(task["domain"])
    nz, ny, nx = voxel_shape(in_plane, thickest, float(task["voxel_um"]))
    return 4 * nz * ny * nx


def run_sample(task: dict) -> dict:
    """Generate one sample and measure its properties; write ``<folder>/<id>.h5``; return its
    row.

    Parameters
    ----------
    task : dict
        ``id``, ``index``, the five parameters, ``seed``, ``domain``, ``voxel_um``,
        ``stratify``, ``folder``, ``keep_volume``, ``plan`` (the plan's identity, stored
        with the file) and ``properties`` (default ``("geodesic",)``). A task that extends a
        finished sample also has ``start_row`` (its stored row) and ``stored_volume`` (whether
        its file keeps the volume): only the properties the row lacks are measured, on the
        stored volume or on the regenerated structure, and the file is rewritten with the
        whole row.

    Returns
    -------
    dict
        The table row: the task's values, the measured fractions, the properties' columns
        (:mod:`generator.sweep.properties`), status, error, seconds per stage, the worker's
        peak memory, host and process id. ``compile_s`` is the seconds this worker spent
        compiling numba kernels or loading them from the cache for this sample (its first
        sample's cold compile when the cache was empty, with the wall time of the child
        processes that compiled it side by side (:func:`compile_aside`); about 0.5 s of
        loading when it was warm, 0 afterwards). A failed extension returns the stored row's values
        with status ``"failed"`` and leaves the file as it was.
    """
    properties = check_properties(task.get("properties", DEFAULT_PROPERTIES))
    start_row = task.get("start_row")
    if start_row is not None:
        row = dict(start_row)
    else:
        row = {key: task[key] for key in ("id", "index", "seed", *PARAMETERS)}
        row["compile_s"] = 0.0
    row.update(status="failed", error="", host=os.uname().nodename, pid=os.getpid())
    start = time.perf_counter()
    previous_total = float(row.get("total_s", 0.0)) if start_row is not None else 0.0
    try:
        wide = may_need_wide_closing(task["fiber_diameter_um"], task["voxel_um"])
        with compile_timer() as compiling:
            # Missing kernels compiled side by side in child processes (their wall time is
            # this sample's wait), then loaded here.
            aside = compile_aside(properties, wide_closing=wide)
            warm_up(properties, wide_closing=wide, side_by_side=False)
            # The binder's distances and the distance fields take one block this worker keeps
            # from sample to sample (its pages stay backed; see held_memory).
            held_memory.hold(reserve_bytes=_largest_field_bytes(task))
            start, cpu = time.perf_counter(), time.process_time()
            sample = _sample_for(task, start_row)
            if start_row is None:
                for stage in ("before_compression", "after_compression"):
                    for phase, value in sample.fractions[stage].items():
                        row[f"{phase}_fraction_{stage.split('_')[0]}"] = value
                row["thickness_voxels"] = int(sample.volume.shape[0])
                row["n_fibres"] = len(sample.fibres)
                row["generate_s"] = time.perf_counter() - start
                row["generate_cpu_s"] = time.process_time() - cpu
            for name in properties:
                if not PROPERTIES[name].uses_held_block:
                    held_memory.release()  # not beside this property's own arrays
                # The property is measured and stored whole, or not at all.
                row.update(measure_sample_property(name, sample))
        # What this worker spent compiling or loading kernels for this sample: the warm-up's,
        # and any kernel first used by the sample itself (then also in that stage's seconds).
        row["compile_s"] = float(row.get("compile_s", 0.0)) + aside + compiling.seconds
        row["status"] = "ok"
        row["total_s"] = previous_total + time.perf_counter() - start
        row["peak_rss_gib"] = max(_peak_rss_gib(), float(row.get("peak_rss_gib", 0.0)))
        _write_sample_file(Path(task["folder"]) / f"{task['id']}.h5", row, task, sample)
    except Exception as err:  # a failed sample is data for the table, not a crash
        if start_row is not None:
            row = dict(start_row, host=row["host"], pid=row["pid"])
        row["status"] = "failed"
        what = f"adding {', '.join(properties)}: " if start_row is not None else ""
        row["error"] = f"{what}{type(err).__name__}: {err}"
        row["traceback"] = traceback.format_exc(limit=5)
        row["total_s"] = previous_total + time.perf_counter() - start
    return row


def _write_sample_file(path: Path, row: dict, task: dict, sample) -> None:
    from generator.structure.sample import write_sample

    stored_task = {key: task[key] for key in IDENTITY_KEYS}
    write_sample(
        sample,
        path,
        force=True,  # the sweep found no valid file here: a stale or damaged one is replaced
        keep_volume=bool(task["keep_volume"]),
        extra_attrs={
            TASK_ATTRIBUTE: json.dumps(stored_task),
            PLAN_ATTRIBUTE: json.dumps(task["plan"], sort_keys=True),
            ROW_ATTRIBUTE: json.dumps(row),
        },
    )


def sample_file_kind(path) -> str:
    """What a file in a samples folder is: ``"sweep-sample"`` (this project's sweep sample),
    ``"legacy-sample"`` (the sweep format before version 2), ``"sample"`` (a sample file
    without sweep attributes), ``"damaged"`` (not readable as HDF5) or ``"foreign"``."""
    import h5py

    from generator.structure.sample import FORMAT

    try:
        with h5py.File(path, "r") as f:
            file_format = f.attrs.get("format")
            has_row = ROW_ATTRIBUTE in f.attrs
    except OSError:
        return "damaged"
    if file_format == FORMAT:
        return "sweep-sample" if has_row else "sample"
    return "legacy-sample" if file_format == LEGACY_FORMAT else "foreign"


def stored_plan(path) -> dict | None:
    """The plan identity recorded in a sweep sample file, None when it has none."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            text = f.attrs.get(PLAN_ATTRIBUTE)
            return json.loads(text) if text is not None else None
    except (OSError, ValueError):
        return None


def stored_volume(path) -> bool:
    """Whether a sample file keeps its label volume (False when unreadable)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "volume" in f
    except OSError:
        return False


def _same_number(a, b) -> bool:
    try:
        return repr(float(a)) == repr(float(b))
    except (TypeError, ValueError):
        return False


def _row_problem(row: dict, task: dict) -> str | None:
    """Why a stored row cannot be this task's finished row (with any properties), or None."""
    from generator.sweep.dataset import BASE_COLUMNS, UNITS

    if row.get("status") != "ok":
        return f"its row has status {row.get('status')!r}"
    extra = sorted(set(row) - set(UNITS))
    missing = sorted(set(BASE_COLUMNS) - set(row))
    if extra or missing:
        return f"its row has columns {extra} it should not have and lacks {missing}"
    present, problem = properties_in_row(row)
    if problem:
        return problem
    if row["id"] != task["id"] or int(row["index"]) != int(task["index"]):
        return f"its row is sample {row['index']} ({row['id']}), not {task['index']}"
    if int(row["seed"]) != int(task["seed"]):
        return f"its row has seed {row['seed']}, the task {task['seed']}"
    for name in PARAMETERS:
        if not _same_number(row[name], task[name]):
            return f"its row has {name}={row[name]}, the task {task[name]}"
    for name in present:
        problem = PROPERTIES[name].problem(row)
        if problem:
            return problem
    return None


def verify_sample_file(path, task: dict) -> tuple[dict | None, str]:
    """The finished row of ``task`` stored at ``path``, or None and the reason it is not one.

    A file is trusted only when it is a sweep sample file whose checksum verifies, made by this
    code (model version), for this task (identity keys), with a row that matches the task and
    holds valid values, and with a volume if the task keeps volumes.

    Parameters
    ----------
    path : str or Path
    task : dict

    Returns
    -------
    (dict or None, str)
        The row and ``""``, or None and why (``"missing"`` when there is no file).
    """
    import h5py

    from generator._shared.hdf5 import verify_checksum
    from generator._shared.model_version import model_version
    from generator.structure.sample import FORMAT

    path = Path(path)
    if not path.exists():
        return None, "missing"
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT or ROW_ATTRIBUTE not in f.attrs:
                return None, "not a sweep sample file of this version"
            if not verify_checksum(f):
                return None, "its checksum does not match its content (damaged file)"
            made_by = str(f.attrs.get("model_version"))
            if made_by != model_version():
                return None, f"made by model {made_by}, this code is {model_version()}"
            stored_task = json.loads(f.attrs[TASK_ATTRIBUTE])
            row = json.loads(f.attrs[ROW_ATTRIBUTE])
            has_volume = "volume" in f
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        return None, f"unreadable ({type(err).__name__}: {err})"
    for key in IDENTITY_KEYS:
        if not (stored_task.get(key) == task[key] or _same_number(stored_task.get(key), task[key])):
            return None, f"made for {key}={stored_task.get(key)!r}, the task has {task[key]!r}"
    problem = _row_problem(row, task)
    if problem:
        return None, problem
    if task["keep_volume"] and not has_volume:
        return None, "it stores no volume (made with keep_volumes=False) and volumes are asked for"
    return row, ""
