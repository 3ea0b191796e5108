"""A run directory's files: its name, the saved nets and their metadata, and the references that
load its datasets again (paths relative to the run, so a run moves with its data).

A run folder is checked before it is used (:func:`read_metadata`, :func:`load_state`): each
net's metadata against its schema (:data:`MODEL_SCHEMA`: kind, inputs, units, target,
architecture, input range, an ensemble's calibration), its weights loaded as tensors only
(``torch.load(weights_only=True)``: no code is unpickled) and checked against the architecture
the metadata records (names, shapes, finite values, positive scales). Anything missing, cut
short, foreign or altered is a :class:`RunFolderError` naming the folder, the file and what is
wrong; the command lines turn it into one line and exit code 2.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

# Nets a run may hold (PREDICT_KINDS, EXPLAIN_KINDS), in the order a command takes the first.
from surrogate._shared import EXPLAIN_KINDS, PREDICT_KINDS, or_list  # noqa: F401 (re-exported)

# Keys of a dataset reference that hold paths (stored relative to the run directory).
_PATH_KEYS = ("dataset", "table", "columns")
# The schema of a saved net's metadata (``<kind>.json``); files without one are of the same
# layout, written before it was recorded.
MODEL_SCHEMA = "surrogate-model/1"
# Sizes a saved net may declare (those parse_hidden accepts), and an ensemble's members.
_MAX_LAYERS, _MAX_WIDTH, _MAX_FEATURES, _MAX_MEMBERS = 32, 4096, 256, 1000


class RunFolderError(ValueError):
    """A run folder that is missing a file, or holds a damaged, foreign or altered one."""


def new_run_dir(root, kind: str, *names: str) -> Path:
    """``runs/<UTC time>-<kind>-<name>-<name>.../``, created; each name reduced to letters,
    digits, ``-`` and ``_`` (a column like ``σ Mass Loading [mg/cm²]`` makes no odd folder).
    For a transfer or a curve the names are the source, the destination and the target, written
    ``<source>-to-<destination>-<target>``. A folder of that name made already (two runs in
    the same second) gets a suffix ``-2``, ``-3``...: a run never writes into another's folder.

    Raises
    ------
    OSError
        Naming ``root`` when the folder cannot be made.

    Examples
    --------
    >>> import tempfile
    >>> from surrogate.evaluation.rundir import new_run_dir
    >>> with tempfile.TemporaryDirectory() as root:
    ...     run = new_run_dir(root, "transfer", "graphite", "nmc", "Mass Loading [mg/cm²]")
    >>> run.name[16:]
    'transfer-graphite-to-nmc-Mass_Loading_mg_cm'
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    # Each name cut to 60 characters: the folder's name stays within any file system's limit.
    parts = [re.sub(r"[^A-Za-z0-9_-]+", "_", str(name)).strip("_")[:60] or "x" for name in names]
    if kind in ("transfer", "curve") and len(parts) == 3:
        parts.insert(1, "to")
    base = "-".join([stamp, kind, *parts])
    for attempt in range(1, 1000):
        path = Path(root) / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir(parents=True, exist_ok=False)
            return path
        except FileExistsError:
            continue
        except OSError as err:
            raise OSError(f"cannot make a run directory in {root}: {err.strerror or err}") from None
    raise OSError(f"cannot make a run directory in {root}: 999 folders named {base} exist")


def save_model(model, path: Path, metadata: dict) -> None:
    """``<path>.pt`` (state_dict) and ``<path>.json`` (metadata: features, units, scalers...)."""
    save_state(model.state_dict(), path, metadata)


def save_state(state: dict, path: Path, metadata: dict) -> None:
    """``<path>.pt`` (a state_dict) and ``<path>.json`` (the metadata, with :data:`MODEL_SCHEMA`),
    each written under a temporary name and renamed into place (a run folder that is written
    again, as an active loop's, never holds a half-written net)."""
    import torch

    from generator import atomic_file

    with atomic_file(path.with_suffix(".pt")) as temporary:
        torch.save(state, temporary)
    with atomic_file(path.with_suffix(".json")) as temporary:
        temporary.write_text(json.dumps({"schema": MODEL_SCHEMA, **metadata}, indent=2))


def _is_whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _architecture_problem(arch) -> str | None:
    if not isinstance(arch, dict):
        return "has no architecture record"
    if "hidden" in arch:
        hidden = arch["hidden"]
        if not (
            isinstance(hidden, list)
            and 1 <= len(hidden) <= _MAX_LAYERS
            and all(_is_whole(w, 1, _MAX_WIDTH) for w in hidden)
        ):
            return f"records hidden widths {hidden!r}, not a list of 1 to {_MAX_LAYERS} widths"
    elif not (
        _is_whole(arch.get("layers"), 1, _MAX_LAYERS)
        and _is_whole(arch.get("width"), 1, _MAX_WIDTH)
    ):
        return "records neither hidden widths nor layers and width"
    adapter = arch.get("adapter_width")
    if adapter is not None and not _is_whole(adapter, 1, _MAX_WIDTH):
        return f"records adapter_width {adapter!r}, not a width"
    return None


def _ensemble_problem(ensemble) -> str | None:
    if not isinstance(ensemble, dict):
        return "has no ensemble record"
    checks = {
        "members": _is_whole(ensemble.get("members"), 2, _MAX_MEMBERS),
        "level": _is_number(ensemble.get("level")) and 0 < ensemble["level"] < 1,
        "scale": ensemble.get("scale") is None
        or (_is_number(ensemble["scale"]) and ensemble["scale"] >= 0),
        "floor": _is_number(ensemble.get("floor")) and ensemble["floor"] >= 0,
        "calibration_rows": _is_whole(ensemble.get("calibration_rows"), 0, 2**62),
        "lower_limit": ensemble.get("lower_limit") is None or _is_number(ensemble["lower_limit"]),
    }
    bad = [name for name, ok in checks.items() if not ok]
    return f"has an ensemble record with bad {', '.join(bad)}" if bad else None


def metadata_problem(meta, kind: str) -> str | None:
    """What is wrong with a saved net's metadata (``<kind>.json``), or None.

    Examples
    --------
    >>> from surrogate.evaluation.rundir import metadata_problem
    >>> meta = {"kind": "pretrained", "features": ["a", "b"], "target": "t",
    ...         "units": {"a": "", "b": ""}, "architecture": {"hidden": [3, 3]},
    ...         "input_range": {"a": [0, 1], "b": [0, 1]}}
    >>> metadata_problem(meta, "pretrained") is None
    True
    >>> metadata_problem({**meta, "architecture": {"hidden": [3, -1]}}, "pretrained")
    'records hidden widths [3, -1], not a list of 1 to 32 widths'
    """
    if not isinstance(meta, dict):
        return f"holds a JSON {type(meta).__name__}, not the metadata of a net"
    schema = meta.get("schema", MODEL_SCHEMA)
    if schema != MODEL_SCHEMA:
        return f"has schema {schema!r}; this version reads {MODEL_SCHEMA!r}"
    if meta.get("kind", kind) != kind:
        return f"describes a {meta.get('kind')!r} net, not {kind!r}"
    features = meta.get("features")
    if not (
        isinstance(features, list)
        and 1 <= len(features) <= _MAX_FEATURES
        and all(isinstance(f, str) and f for f in features)
        and len(set(features)) == len(features)
    ):
        return "lists no inputs ('features': distinct names)"
    if not isinstance(meta.get("target"), str) or not meta["target"]:
        return "names no target"
    units = meta.get("units", {})
    if not isinstance(units, dict) or not all(isinstance(u, str) for u in units.values()):
        return "has units that are not texts"
    problem = _architecture_problem(meta.get("architecture"))
    if problem:
        return problem
    ranges = meta.get("input_range")
    if not isinstance(ranges, dict) or set(ranges) != set(features):
        return "has no input range for each of its inputs"
    for name, bounds in ranges.items():
        if not (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(_is_number(v) for v in bounds)
            and bounds[0] <= bounds[1]
        ):
            return f"has input range {bounds!r} for {name!r}, not [low, high]"
    if kind == "transferred_ensemble":
        return _ensemble_problem(meta.get("ensemble"))
    return None


def read_metadata(run: Path, kind: str) -> dict:
    """The metadata of the net ``kind`` of a run folder, checked (:func:`metadata_problem`).

    Raises
    ------
    RunFolderError
        Naming the run folder and the file: missing, not JSON, or not a net's metadata.
    """
    run = Path(run)
    path = run / f"{kind}.json"
    if not path.is_file():
        raise RunFolderError(f"run folder {run}: {kind}.json is missing (no {kind} net)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise RunFolderError(f"run folder {run}: {kind}.json is not valid JSON ({err})") from None
    problem = metadata_problem(meta, kind)
    if problem:
        raise RunFolderError(f"run folder {run}: {kind}.json {problem}")
    return meta


def _load_problem(err: Exception) -> str:
    """Why torch could not load a file, in a few words (its messages run over many lines)."""
    text = str(err)
    if "Weights only load failed" in text or "weights_only" in text:
        return "it holds objects other than tensors (refused: loading them would run code)"
    return "it is not a complete weights file saved by torch (damaged, cut short or foreign)"


def load_state(path: Path, expected: dict | None = None) -> dict:
    """A saved state_dict, loaded with ``weights_only=True`` (no code is unpickled), checked:
    a dict of names to floating-point tensors with finite values and, given ``expected`` (a
    state_dict of the architecture the metadata records), the same names and shapes, and
    positive scales (``x_std``, ``y_std``).

    Raises
    ------
    RunFolderError
        Naming the run folder and the file, and what is wrong.
    """
    import torch

    path = Path(path).with_suffix(".pt")
    where = f"run folder {path.parent}: {path.name}"
    if not path.is_file():
        raise RunFolderError(f"{where} is missing")
    try:
        with warnings.catch_warnings():  # torch's remarks on a foreign file: the error says it
            warnings.simplefilter("ignore")
            state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as err:  # torch raises many types for a foreign or cut-short file
        raise RunFolderError(f"{where}: {_load_problem(err)}") from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise RunFolderError(f"{where} holds no state_dict (names to tensors)")
    for name, tensor in state.items():
        if not tensor.is_floating_point() or not bool(torch.isfinite(tensor).all()):
            raise RunFolderError(f"{where}: {name} is not a tensor of finite floating values")
        if name.rpartition(".")[2] in ("x_std", "y_std") and not bool((tensor > 0).all()):
            raise RunFolderError(f"{where}: the scale {name} is not positive")
    if expected is not None:
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        if missing or extra:
            names = [
                f"{what} {', '.join(found[:3])}" + (", ..." if len(found) > 3 else "")
                for what, found in (("missing", missing), ("unexpected", extra))
                if found
            ]
            raise RunFolderError(
                f"{where} does not match the architecture its metadata records ({'; '.join(names)})"
            )
        for name, tensor in expected.items():
            if tuple(state[name].shape) != tuple(tensor.shape):
                raise RunFolderError(
                    f"{where} does not match the architecture its metadata records ({name} "
                    f"has shape {tuple(state[name].shape)}, the architecture "
                    f"{tuple(tensor.shape)})"
                )
    return state


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
        For a ``model`` not among ``kinds``, one the run does not hold, or a ``run`` that is
        no folder.
    """
    run = Path(run)
    if not run.is_dir():
        what = "does not exist" if not run.exists() else "is not a folder"
        raise RunFolderError(f"run folder {run} {what}")
    present = [k for k in kinds if (run / f"{k}.json").is_file()]
    if model is None:
        if not present:
            raise RunFolderError(
                f"run folder {run} holds no net ({', '.join(f'{k}.json' for k in kinds)} "
                "missing): not a run folder of 'surrogate pretrain/transfer/active'"
            )
        return present[0]
    if model not in kinds:
        raise ValueError(f"model={model!r} must be {or_list(kinds)}")
    if model not in present:
        raise ValueError(f"{run} has no {model} net (it has: {', '.join(present) or 'none'})")
    return model


def load_model(run: Path, kind: str):
    """The net ``kind`` of a run (``pretrained``, ``transferred`` or ``transferred_ensemble``)
    and its metadata, as ``(model, metadata)``; both checked before use (see the module).

    Raises
    ------
    RunFolderError
        When the run holds no such net, or a damaged, foreign or altered one.
    """
    from surrogate.nets.models import MLP, TransferModel, architecture_of

    run = Path(run)
    meta = read_metadata(run, kind)
    arch = meta["architecture"]

    def build():
        model = MLP(len(meta["features"]), architecture_of(arch))
        if kind != "pretrained":
            model = TransferModel(model, arch.get("adapter_width"))
        return model

    if kind == "transferred_ensemble":
        from surrogate.estimators.ensemble import ensemble_from_state

        calibration = meta["ensemble"]
        member = build().state_dict()
        expected = {
            f"{i}.{key}": value
            for i in range(calibration["members"])
            for key, value in member.items()
        }
        state = load_state(run / kind, expected)
        return ensemble_from_state(state, calibration, build), meta
    model = build()
    model.load_state_dict(load_state(run / kind, model.state_dict()))
    return model, meta


def pretrained_of_run(path) -> tuple | None:
    """``(net, metadata)`` of a run directory's pretrained net; None when ``path`` is no
    folder (a dataset name or file).

    Raises
    ------
    RunFolderError
        A folder without a pretrained net, or with a damaged, foreign or altered one.
    """
    path = Path(path)
    if not path.is_dir():
        return None
    if not (path / "pretrained.json").is_file():
        raise RunFolderError(
            f"run folder {path}: pretrained.json is missing (a folder as SOURCE must be a run "
            "folder holding a pretrained net)"
        )
    return load_model(path, "pretrained")


def read_split(run: Path) -> dict:
    """A run's ``split.json``, checked: the target, the rows the net was trained and tested on
    (lists of row numbers), and the reference of the dataset they number.

    Raises
    ------
    RunFolderError
        Naming the run folder: the file missing, not JSON, or without these.
    """
    run = Path(run)
    path = run / "split.json"
    if not path.is_file():
        raise RunFolderError(
            f"run folder {run}: split.json is missing (not a run folder of 'surrogate "
            "pretrain/transfer')"
        )
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise RunFolderError(f"run folder {run}: split.json is not valid JSON ({err})") from None
    problem = None
    if not isinstance(split, dict):
        problem = "holds no record of the split"
    elif not isinstance(split.get("target"), str):
        problem = "names no target"
    elif not isinstance(split.get("destination"), dict | str) or not split["destination"]:
        problem = "names no dataset"
    else:
        for key in ("target_train", "target_test"):
            rows = split.get(key)
            if (
                not isinstance(rows, list)
                or not rows
                or not all(_is_whole(i, 0, 2**62) for i in rows)
            ):
                problem = f"has no list of row numbers {key!r}"
                break
    if problem:
        raise RunFolderError(f"run folder {run}: split.json {problem}")
    return split


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
