"""A run directory's files: its name, the saved nets and their metadata, and the references that
load its datasets again (paths relative to the run, so a run moves with its data)."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

# Nets a run may hold, in the order a command takes the first one present.
PREDICT_KINDS = ("transferred_ensemble", "transferred", "pretrained")
EXPLAIN_KINDS = ("transferred", "pretrained")
# Keys of a dataset reference that hold paths (stored relative to the run directory).
_PATH_KEYS = ("dataset", "table", "columns")


def new_run_dir(root, kind: str, *names: str) -> Path:
    """``runs/<UTC time>-<kind>-<name>-<name>.../``, created; each name reduced to letters,
    digits, ``-`` and ``_`` (a column like ``σ Mass Loading [mg/cm²]`` makes no odd folder).

    Raises
    ------
    OSError
        Naming ``root`` when the folder cannot be made.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    parts = [re.sub(r"[^A-Za-z0-9_-]+", "_", str(name)).strip("_") or "x" for name in names]
    path = Path(root) / "-".join([stamp, kind, *parts])
    try:
        path.mkdir(parents=True, exist_ok=False)
    except OSError as err:
        raise OSError(f"cannot make a run directory in {root}: {err.strerror or err}") from None
    return path


def save_model(model, path: Path, metadata: dict) -> None:
    """``<path>.pt`` (state_dict) and ``<path>.json`` (metadata: features, units, scalers...)."""
    import torch

    torch.save(model.state_dict(), path.with_suffix(".pt"))
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=2))


def load_state(path: Path) -> dict:
    """A saved state_dict, loaded with ``weights_only=True`` (no code is unpickled)."""
    import torch

    return torch.load(path.with_suffix(".pt"), weights_only=True)


def input_range(x: np.ndarray, metadata: dict) -> dict:
    """``{feature: [min, max]}`` of the rows a model was trained on (predict's bounds)."""
    return {
        name: [float(x[:, i].min()), float(x[:, i].max())]
        for i, name in enumerate(metadata["features"])
    }


def model_kind(run: Path, model: str | None, kinds=EXPLAIN_KINDS) -> str:
    """The net to use: ``model`` as asked, else the first of ``kinds`` the run has.

    Raises
    ------
    ValueError
        For a ``model`` not among ``kinds``, or one the run does not hold.
    """
    present = [k for k in kinds if (Path(run) / f"{k}.json").is_file()]
    if model is None:
        return present[0] if present else kinds[-1]
    if model not in kinds:
        raise ValueError(f"model={model!r} must be one of {', '.join(kinds)}")
    if model not in present:
        raise ValueError(f"{run} has no {model} net (it has: {', '.join(present) or 'none'})")
    return model


def load_model(run: Path, kind: str):
    """The net ``kind`` of a run (``pretrained``, ``transferred`` or ``transferred_ensemble``)
    and its metadata, as ``(model, metadata)``.

    Raises
    ------
    ValueError
        When the run holds no such net.
    """
    from surrogate.nets.models import MLP, TransferModel, architecture_of

    run = Path(run)
    meta_path = run / f"{kind}.json"
    if not meta_path.is_file():
        raise ValueError(f"no {kind} model in {run}")
    meta = json.loads(meta_path.read_text())
    arch = meta["architecture"]

    def build():
        model = MLP(len(meta["features"]), architecture_of(arch))
        if kind != "pretrained":
            model = TransferModel(model, arch.get("adapter_width"))
        return model

    if kind == "transferred_ensemble":
        from surrogate.estimators.ensemble import ensemble_from_state

        return ensemble_from_state(load_state(run / kind), meta["ensemble"], build), meta
    model = build()
    model.load_state_dict(load_state(run / kind))
    return model, meta


def pretrained_of_run(path) -> tuple | None:
    """``(net, metadata)`` of a run directory that holds a pretrained net, else None."""
    path = Path(path)
    if not (path.is_dir() and (path / "pretrained.json").is_file()):
        return None
    return load_model(path, "pretrained")


def run_relative(dataset: str, run: Path) -> str:
    """A dataset reference for a run file: a registry name as it is, a path relative to the
    run directory (so the run can be moved with its data and never records install paths)."""
    from surrogate.data.registry import is_registry_name

    if not dataset or is_registry_name(dataset):
        return dataset
    return os.path.relpath(Path(dataset).resolve(), run.resolve())


def resolve_run_dataset(dataset: str, run: Path) -> str:
    """Inverse of :func:`run_relative`: a name, or the path relative to the run directory."""
    from surrogate.data.registry import is_registry_name

    if not dataset or is_registry_name(dataset):
        return dataset
    return str(Path(run) / dataset)


def reference_for_run(data, run: Path) -> dict | None:
    """How to load ``data`` again (:func:`dataset_from_run`), with paths relative to ``run``;
    None for no dataset (a net taken from an earlier run)."""
    if data is None:
        return None
    reference = dict(data.provenance.get("reference") or {})
    reference.setdefault("dataset", data.provenance.get("file", data.name))
    for key in _PATH_KEYS:
        if reference.get(key):
            reference[key] = run_relative(str(reference[key]), run)
    return reference


def dataset_from_run(reference, run: Path):
    """The dataset a run used, from its ``split.json`` reference (a dict, or the name or
    run-relative path older runs stored)."""
    from surrogate.data.registry import load_dataset

    if isinstance(reference, str):
        reference = {"dataset": reference}
    resolved = {
        key: resolve_run_dataset(str(reference[key]), run) if reference.get(key) else None
        for key in _PATH_KEYS
    }
    return load_dataset(
        resolved["dataset"],
        spec=reference.get("spec"),
        table=resolved["table"],
        columns=resolved["columns"],
        drop_invalid=bool(reference.get("drop_invalid", False)),
    )
