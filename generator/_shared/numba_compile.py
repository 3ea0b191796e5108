"""How this package's numba kernels compile: the options they share, where numba caches them,
and how long compiling took.

The cache rule: ``$NUMBA_CACHE_DIR`` when set (numba's own rule, untouched); otherwise one
folder per user, ``$XDG_CACHE_HOME/gdl-generator/numba`` (``~/.cache/...``), which every
process of that user shares (the sweep's workers, batch jobs on a shared home, a later
``generator sample``), instead of a ``__pycache__`` beside the source that a read-only install
cannot write and each copy of the code fills again. When that folder cannot be written the
per-user temporary folder is used, and when neither can, numba's own locators decide.

numba keys each entry by its own source file's path, size and time only, yet a kernel that
calls a kernel of another file holds that one's compiled code too: after an edit of the
callee's file alone, the caller's entry still loaded, with the old callee inside. So the
package's kernels go in a subfolder named by a digest of every kernel module's source
(:func:`kernel_fingerprint`), in ``$NUMBA_CACHE_DIR`` as elsewhere: an edit of any kernel
module compiles them all again, never loads one stale.

Kernel modules import this module before they define a kernel: :func:`use_shared_cache` then
applies to every kernel of the package defined after it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

# The parallel transforms the kernels use: explicit ``prange`` loops only. numba's other
# transforms rewrite array expressions (``a[:] = 0``, ``a.sum()``) into parallel loops of their
# own, which costs compile time (compress_columns alone: 3.8 -> 2.8 CPU-s; a whole stage's
# difference was within the noise of a busy machine) and no speed here: every such expression
# in our kernels is inside a prange body, where numba runs it serially anyway, or on a small
# array (and integer sums only, so results do not change).
PARALLEL = {
    "prange": True,
    "comprehension": False,
    "reduction": False,
    "inplace_binop": False,
    "setitem": False,
    "numpy": False,
    "stencil": False,
    "fusion": False,
}

PACKAGE = Path(__file__).resolve().parents[1]  # the generator package
APP = "gdl-generator"


def cache_folder() -> Path:
    """The folder numba caches this package's kernels in.

    Returns
    -------
    Path
        ``$NUMBA_CACHE_DIR`` when set, else ``<cache home>/gdl-generator/numba`` with the cache
        home ``$XDG_CACHE_HOME`` or ``~/.cache`` (a per-user temporary folder when there is no
        home folder).

    Examples
    --------
    >>> import os
    >>> from generator._shared.numba_compile import cache_folder
    >>> folder = cache_folder()
    >>> str(folder) == os.environ.get("NUMBA_CACHE_DIR") or folder.parts[-2:] == (
    ...     "gdl-generator",
    ...     "numba",
    ... )
    True
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    try:
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home folder (some batch environments)
        return _temporary_folder()
    return home / APP / "numba"


@functools.cache
def kernel_fingerprint(package: Path = PACKAGE) -> str:
    """A digest of the source of every module of ``package`` that defines numba kernels (the
    files that mention ``njit``), by relative path and content.

    Returns
    -------
    str
        16 hex digits; the same for the same kernel sources wherever the package lies.
    """
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        try:
            text = path.read_bytes()
        except OSError:
            continue
        if b"njit" in text:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + text)
    return digest.hexdigest()[:16]


def _temporary_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}" / "numba"


_installed = False
_lock = threading.Lock()


def use_shared_cache() -> None:
    """Cache this package's kernels in :func:`cache_folder`, in a subfolder named by
    :func:`kernel_fingerprint` (idempotent).

    Adds a locator in front of numba's own, for the package's source files only. A kernel
    defined before this call keeps numba's default place. numba versions without the locator
    list keep their default too.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        from numba.core import caching

        impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
        base = getattr(caching, "UserWideCacheLocator", None) or getattr(
            caching, "_UserWideCacheLocator", None
        )
        if impl is None or base is None or not isinstance(impl._locator_classes, list):
            return
        impl._locator_classes.insert(0, _shared_locator(base))


def _shared_locator(base):
    from numba.core import config

    class SharedCacheLocator(base):
        """numba's per-user locator, pointed at ``$NUMBA_CACHE_DIR`` as numba read it, else
        at :func:`cache_folder` (then at the per-user temporary folder), for this package's
        files: in the subfolder of the package's kernel sources."""

        def __init__(self, py_func, py_file, folder=None):
            super().__init__(py_func, py_file)
            self._cache_path = str(
                Path(folder)
                / f"kernels-{kernel_fingerprint()}"
                / self.get_suitable_cache_subpath(py_file)
            )

        @classmethod
        def from_function(cls, py_func, py_file):
            if not _inside_package(py_file):
                return None
            given = (Path(config.CACHE_DIR),) if config.CACHE_DIR else ()
            for folder in given or (cache_folder(), _temporary_folder()):
                locator = cls(py_func, py_file, folder)
                try:
                    locator.ensure_cache_path()
                except OSError:  # not writable: the next place, then numba's own
                    continue
                return locator
            return None

    return SharedCacheLocator


def _inside_package(py_file) -> bool:
    try:
        return Path(py_file).resolve().is_relative_to(PACKAGE)
    except (OSError, ValueError):
        return False


class _LockTimer:
    """Seconds spent holding numba's compiler lock: compiling, or loading from the cache."""

    def __init__(self):
        self.seconds = 0.0
        self._depth = 0
        self._start = 0.0
        self._thread = threading.get_ident()

    def on_start(self, event):
        if threading.get_ident() != self._thread:
            return
        if self._depth == 0:
            self._start = time.perf_counter()
        self._depth += 1

    def on_end(self, event):
        if threading.get_ident() != self._thread or self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._start


@contextmanager
def compile_timer():
    """Measure the seconds numba spends compiling kernels, or loading them from its cache, in
    this thread inside the ``with`` block (``timer.seconds``, read after the block).

    Examples
    --------
    >>> from generator._shared.numba_compile import compile_timer
    >>> with compile_timer() as timer:
    ...     pass
    >>> timer.seconds
    0.0
    """
    from numba.core import event

    timer = _LockTimer()

    class Listener(event.Listener):
        def on_start(self, ev):
            timer.on_start(ev)

        def on_end(self, ev):
            timer.on_end(ev)

    with event.install_listener("numba:compiler_lock", Listener()):
        yield timer
