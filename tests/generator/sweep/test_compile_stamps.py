"""Compiling the kernels ahead of a sweep is skipped when the same code compiled them into the
same cache before, and done again when a source file changes."""

import os
import subprocess

import pytest

from generator._shared import numba_compile
from generator.sweep import sample_task


class _FakeChild:
    returncode = 0

    def communicate(self):
        return "", ""


def test_compiled_parts_are_skipped_until_the_code_changes(tmp_path, monkeypatch):
    package = tmp_path / "package"
    package.mkdir()
    source = package / "kernels.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(numba_compile, "PACKAGE", package)
    spawned = []
    monkeypatch.setattr(
        subprocess, "Popen", lambda args, **kw: spawned.append(args) or _FakeChild()
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    sample_task.compile_in_parallel(["generate", "geodesic"], env=env, processes=2)
    assert len(spawned) == 2  # one child each: nothing compiled there before
    sample_task.compile_in_parallel(["geodesic", "generate"], env=env, processes=2)
    assert len(spawned) == 2  # both stamped: no child at all
    sample_task.compile_in_parallel(["generate", "psd"], env=env, processes=2)
    assert len(spawned) == 3 and "'psd'" in spawned[-1][-1]  # only the new part
    other = dict(env, NUMBA_CACHE_DIR=str(tmp_path / "elsewhere"))
    sample_task.compile_in_parallel(["generate"], env=other, processes=2)
    assert len(spawned) == 4  # another cache folder holds nothing
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # an edit, as numba sees it
    sample_task.compile_in_parallel(["generate"], env=env, processes=2)
    assert len(spawned) == 5
    # The wide part's sample is a generation too: a sweep that compiled it leaves nothing of
    # the generation for a worker's first sample to compile (that child cost it 1.9 s).
    fresh = dict(env, NUMBA_CACHE_DIR=str(tmp_path / "fresh"))
    sample_task.compile_in_parallel(["wide", "geodesic"], env=fresh, processes=2)
    assert len(spawned) == 7
    sample_task.compile_in_parallel(["generate", "wide", "geodesic"], env=fresh, processes=2)
    assert len(spawned) == 7


def test_a_one_thread_compile_does_not_stand_for_joined_bands(tmp_path, monkeypatch):
    spawned = []
    monkeypatch.setattr(
        subprocess, "Popen", lambda args, **kw: spawned.append(args) or _FakeChild()
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def compile_geodesic(threads):
        sample_task.compile_in_parallel(["geodesic"], env=env, processes=2, solver_threads=threads)

    compile_geodesic(1)
    assert len(spawned) == 1 and "solver_threads=1" in spawned[-1][-1]
    compile_geodesic(1)
    assert len(spawned) == 1  # stamped for one-thread workers
    compile_geodesic(2)  # workers of two threads join bands: their kernels are still missing
    assert len(spawned) == 2 and "solver_threads=2" in spawned[-1][-1]
    compile_geodesic(1)
    assert len(spawned) == 2  # the joined-bands compile holds the one-thread one


def test_a_failed_child_leaves_no_stamp(tmp_path, monkeypatch):
    class Failing(_FakeChild):
        returncode = 1

        def communicate(self):
            return "", "numba.core.errors.TypingError: bad\n"

    monkeypatch.setattr(subprocess, "Popen", lambda args, **kw: Failing())
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    with pytest.raises(RuntimeError, match="TypingError: bad"):
        sample_task.compile_in_parallel(["generate"], env=env)
    assert not (tmp_path / "cache" / "compiled").exists()


def test_a_lone_sample_on_two_threads_hands_the_lattice_front_to_the_lighter_child(
    tmp_path, monkeypatch
):
    spawned = []
    monkeypatch.setattr(
        subprocess, "Popen", lambda args, **kw: spawned.append(args[-1]) or _FakeChild()
    )

    def compile_parts(parts, threads, cache):
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / cache))
        sample_task.compile_in_parallel(parts, env=env, processes=2, solver_threads=threads)

    # Generation 16 + 4 CPU-s of front against the geodesic's 24 - 4.
    compile_parts(["generate", "geodesic"], 2, "two")
    geodesic, generate = spawned
    assert "'geodesic'" in geodesic and "lattice_front=False" in geodesic
    assert "'generate'" in generate and "compile_lattice_front()" in generate
    # One-thread workers never run the front; and where the other child is the heavier one
    # (diffusive and pore sizes), the geodesic's child keeps it.
    compile_parts(["generate", "geodesic"], 1, "one")
    compile_parts(["generate", "geodesic", "diffusive", "psd"], 2, "all")
    assert not any("compile_lattice_front" in code for code in spawned[2:])
    assert not any("lattice_front=False" in code for code in spawned[2:])
