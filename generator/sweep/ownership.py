"""What a sweep may write and delete: only files it can prove it made.

Rules (checked before any work; the output-target rule of
:mod:`generator._shared.targets`, with a sweep's own exceptions):

- ``--out`` must be a regular file path or not exist: a directory, a device, a FIFO, a socket or
  a symbolic link is refused, and so is a name the file system cannot hold (the dataset's or
  its samples folder's).
- An existing ``--out`` that is not a dataset of this project (its ``format`` attribute) is
  never touched, whatever ``--force`` says.
- An existing dataset, or sample files, of another plan (other design, n, ranges, domain, voxel
  size or model version) are refused unless ``--force``, which removes only the dataset and the
  sample files of this project's formats; anything else in the samples folder stays.
- The shipped reference datasets are never rewritten without an explicit ``--out`` and
  ``--force``.
- Writability is probed with a temporary file of the process's own (``mkstemp``), so any number
  of array tasks may start in the same second.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from generator._shared.targets import check_name, probe_writable
from generator._shared.targets import path_kind as _kind_of_path
from generator.sweep.plan import SweepPlan

SAMPLE_NAME = re.compile(r"^[0-9a-f]{16}\.h5$")
TEMPORARY_NAME = re.compile(r"^\.[0-9a-f]{16}\.h5\..+\.tmp$")
# gzip volumes measured at ~0.066 bytes a voxel; a table-only sample file is ~100 kB.
COMPRESSED_BYTES_PER_VOXEL = 0.1
TABLE_ONLY_SAMPLE_BYTES = 2e5


class OwnershipError(ValueError):
    """A sweep would write or delete a file it did not make."""


def shipped_datasets() -> list[Path]:
    """The reference datasets shipped with the source tree."""
    from generator.sweep.dataset import SHIPPED_DATA

    return sorted(SHIPPED_DATA.glob("gdl*.h5"))


def _is_shipped(path: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return any(resolved == shipped.resolve() for shipped in shipped_datasets())


def dataset_plan(path: Path) -> dict | None:
    """The plan identity recorded in a dataset of this project; ``{}`` for a dataset that
    records none (made before plans were recorded), None for a file that is not a dataset of
    this project."""
    import json

    import h5py

    from generator.sweep.dataset import FORMAT

    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                return None
            record = json.loads(f.attrs.get("provenance", "{}"))
    except (OSError, ValueError):
        return None
    return record.get("plan") or {}


def plan_difference(stored: dict, wanted: dict) -> str:
    """``"n 4 (file) vs 5 (this run); ..."`` for the keys where two plan identities differ."""
    if not stored:
        return "the file records no plan (made by an older version)"
    parts = [
        f"{key} {stored.get(key)!r} (file) vs {value!r} (this run)"
        for key, value in wanted.items()
        if stored.get(key) != value
    ]
    return "; ".join(parts)


def foreign_plan_samples(plan: SweepPlan) -> list[tuple[Path, str]]:
    """Sample files of this project's formats in the plan's folder made by another plan."""
    from generator.sweep.sample_task import sample_file_kind, stored_plan

    if not plan.folder.is_dir():
        return []
    wanted = plan.identity()
    found = []
    for path in sorted(plan.folder.iterdir()):
        if not SAMPLE_NAME.match(path.name) or _kind_of_path(path) is not None:
            continue
        kind = sample_file_kind(path)
        if kind == "legacy-sample":
            found.append((path, "a sample file of an older format"))
        elif kind == "sweep-sample":
            stored = stored_plan(path) or {}
            if stored != wanted:
                found.append((path, plan_difference(stored, wanted)))
    return found


def check_output(plan: SweepPlan, *, force: bool, explicit_out: bool) -> None:
    """Refuse, before any work, an output this sweep does not own (see the module's rules).

    Raises
    ------
    OwnershipError
        With the path, what it is and what to do.
    """
    out = plan.out
    check_name(out, "dataset")
    check_name(plan.folder, "samples folder")
    kind = _kind_of_path(out)
    if kind:
        raise OwnershipError(f"out={out} is {kind}; a dataset must be a regular file path")
    folder_kind = _kind_of_path(plan.folder)
    if folder_kind and folder_kind != "a directory":
        raise OwnershipError(f"samples folder {plan.folder} is {folder_kind}, not a directory")
    if _is_shipped(out) and (not explicit_out or not force):
        raise OwnershipError(
            f"{out} is a shipped reference dataset: it is rewritten only with an explicit "
            "'out' and force=True"
        )
    if out.exists():
        stored = dataset_plan(out)
        if stored is None:
            raise OwnershipError(
                f"out={out} exists and is not a dataset of this project; it is never "
                "overwritten, even with force=True: choose another 'out'"
            )
        if stored != plan.identity() and not force:
            difference = plan_difference(stored, plan.identity())
            raise OwnershipError(
                f"out={out} is a dataset of another plan ({difference}); "
                "pass force=True to replace it and its sample files, or choose another 'out'"
            )
    if not force:
        others = foreign_plan_samples(plan)
        if others:
            path, reason = others[0]
            raise OwnershipError(
                f"{plan.folder} holds {len(others)} sample files of another plan (first: "
                f"{path.name}: {reason}); a resume would mix them: pass force=True to remove "
                "them and start over, or choose another 'out'"
            )


def remove_plan_files(plan: SweepPlan) -> list[Path]:
    """``--force``: remove the dataset (if this project's) and the samples folder's files of
    this project's formats; leave everything else. Returns what was removed."""
    from generator.sweep.sample_task import sample_file_kind

    removed = []
    if plan.out.exists() and _kind_of_path(plan.out) is None and dataset_plan(plan.out) is not None:
        plan.out.unlink()
        removed.append(plan.out)
    if _kind_of_path(plan.folder) != "a directory":
        return removed
    for path in sorted(plan.folder.iterdir()):
        if _kind_of_path(path) is not None:
            continue
        ours = TEMPORARY_NAME.match(path.name) or (
            SAMPLE_NAME.match(path.name)
            and sample_file_kind(path) in ("sweep-sample", "legacy-sample", "damaged")
        )
        if ours:
            path.unlink()
            removed.append(path)
    try:
        plan.folder.rmdir()  # only when nothing else is left in it
    except OSError:
        pass
    return removed


def check_writable(folder: Path, *, todo: int, voxels: int, keep_volumes: bool) -> None:
    """Create ``folder`` if needed and fail early when it cannot be written or will not hold
    ``todo`` more samples.

    The probe is a temporary file of this process's own: concurrent shards never touch each
    other's probes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    probe_writable(folder)
    per_sample = voxels * COMPRESSED_BYTES_PER_VOXEL if keep_volumes else TABLE_ONLY_SAMPLE_BYTES
    need = todo * per_sample + 1e7
    free = shutil.disk_usage(folder).free
    if free < need:
        raise OSError(
            f"not enough disk space in {folder}: {free / 2**30:.2f} GiB free, about "
            f"{need / 2**30:.2f} GiB needed for {todo} samples (use keep_volumes=False to keep "
            "only the table)"
        )
