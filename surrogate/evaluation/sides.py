"""The two sides of a transfer, loaded as a user names them: datasets (or a run whose pretrained
net to reuse as the source), the columns and row filters, the target to learn; and what a user
should be told about them (rows dropped, warnings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Sides:
    """Both sides of a transfer with the same inputs.

    Attributes
    ----------
    source : TableDataset or None
        None when the pretrained net comes from a run (``pretrained``).
    destination : TableDataset
    target : str
        The destination's target (the expensive column).
    pretrained, pretrained_meta : MLP and dict, or None
        A run's pretrained net and its ``pretrained.json``.
    source_name : str
        The source's name for run folders: the dataset's, or (a run's net) the dataset the net
        was pretrained on.
    source_path, destination_path : str
        Both as given (the source a run folder's path when the net comes from one).
    source_target : str
        The source's column the net is pretrained on (the cheap one); ``target`` when empty.
    """

    source: object
    destination: object
    target: str
    pretrained: object = None
    pretrained_meta: dict | None = None
    source_name: str = ""
    source_path: str = ""
    destination_path: str = ""
    source_target: str = ""

    def __post_init__(self):
        self.source_target = self.source_target or self.target

    def paired(self):
        """The source's cheap value of each destination row, when the two are a fidelity
        ladder (:func:`paired_values`), else None."""
        return paired_values(self.source, self.destination, self.source_target)

    def notes(self) -> list[str]:
        """What a user should hear about the datasets (:func:`dataset_notes`)."""
        named = [(self.source, self.source_path), (self.destination, self.destination_path)]
        named = [(data, name) for data, name in named if data is not None]
        return dataset_notes([data for data, _ in named], [name for _, name in named])


def load_one(
    name,
    *,
    target=None,
    inputs=None,
    spec=None,
    where=None,
    where_name="where",
    table=None,
    columns=None,
    drop_invalid=False,
):
    """A dataset by name or path with the columns and filter given, and the target to learn.

    Returns
    -------
    (TableDataset, str)

    Raises
    ------
    ValueError, OSError
        A bad spec or filter, an unknown name, a missing file, invalid rows, no target.
    """
    from surrogate.data.registry import load_dataset
    from surrogate.data.tables import spec_from_options

    chosen = spec_from_options(
        inputs=inputs, target=target, spec=spec, where=where, where_name=where_name
    )
    data = load_dataset(name, spec=chosen, table=table, columns=columns, drop_invalid=drop_invalid)
    return data, choose_target(data, target)


def choose_target(data, target: str | None) -> str:
    """``target`` as given, else the dataset's only target (or the GDL ``tortuosity``).

    Raises
    ------
    ValueError
        When the dataset has several targets and none is named.
    """
    if target:
        return target
    columns = list(data.targets.columns)
    if "tortuosity" in columns:
        return "tortuosity"
    if len(columns) == 1:
        return columns[0]
    raise ValueError(f"name the target with target=: {data.name} has {', '.join(columns)}")


def load_sides(
    source,
    destination,
    *,
    target=None,
    source_target=None,
    inputs=None,
    spec=None,
    source_where=None,
    dest_where=None,
    hidden=None,
    table=None,
    columns=None,
    drop_invalid=False,
) -> Sides:
    """Both datasets of a transfer, with the same inputs; or, when ``source`` is a run
    directory holding a pretrained net, that net (its inputs and target) and the destination.

    ``target`` is the destination's column; ``source_target`` the source's, the one the net is
    pretrained on (default ``target``): a cheap column (geometric tortuosity, a coarse voxel
    size) pretrains the net and the transfer learns the expensive one.

    Raises
    ------
    ValueError, OSError
        As :func:`load_one`; inputs that differ between the sides; ``hidden`` or another
        source target with a run's net.
    """
    from surrogate.evaluation.rundir import pretrained_of_run

    common = dict(spec=spec, table=table, columns=columns, drop_invalid=drop_invalid)
    saved = pretrained_of_run(Path(source))
    if saved is None:
        # A missing column is named as the user gave it: source_target, else target.
        source_name = "source_target" if source_target else "target"
        src, source_target = load_one(
            source, target=source_target or target, inputs=inputs, where=source_where,
            where_name="source_where", **common,
        )  # fmt: skip
        dst, target = load_one(
            destination, target=target or source_target, inputs=inputs, where=dest_where,
            where_name="dest_where", **common,
        )  # fmt: skip
        same_inputs(src.feature_names, dst.feature_names, source, destination)
        has_target(src, source_target, source_name)
        has_target(dst, target, "target")
        return Sides(
            src, dst, target, None, None, src.name, str(source), str(destination), source_target
        )
    if hidden is not None:
        raise ValueError("hidden= does not apply when the pretrained net comes from a run")
    net, meta = saved
    if spec is None and not inputs:
        inputs = list(meta["features"])
    if source_target and source_target != meta["target"]:
        raise ValueError(
            f"source_target={source_target!r}: the net of {source} learned {meta['target']!r}"
        )
    dst, target = load_one(
        destination, target=target or meta["target"], inputs=inputs, where=dest_where,
        where_name="dest_where", **common,
    )  # fmt: skip
    same_inputs(meta["features"], dst.feature_names, source, destination)
    has_target(dst, target, "target")
    # Run folders are named by the dataset the net learned from, not by its folder's name.
    origin = str(meta.get("source") or Path(source).name)
    return Sides(
        None, dst, target, net, meta, origin, str(source), str(destination), meta["target"]
    )


def paired_values(source, destination, source_target: str):
    """The source's ``source_target`` value of each destination row, joined on the sweeps'
    ``id`` (a fidelity ladder: ``sweep --design-from`` recomputes a dataset's rows with their
    ids; or two columns of one dataset).

    Returns
    -------
    numpy.ndarray or None
        One value per destination row; None unless both sides have ids, the source's are
        distinct and every destination row has its pair with a positive finite value.

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data.frame import from_frame
    >>> from surrogate.evaluation.sides import paired_values
    >>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0], "id": ["a", "b", "c"]})
    >>> cheap = from_frame("cheap", frame, ["x"], ["y"], rows=["id"])
    >>> dear = from_frame("dear", frame.iloc[[2, 0]], ["x"], ["y"], rows=["id"])
    >>> paired_values(cheap, dear, "y").tolist()
    [6.0, 2.0]
    """
    import numpy as np

    if source is None or source.rows is None or destination.rows is None:
        return None
    if "id" not in source.rows or "id" not in destination.rows:
        return None
    ids = source.rows["id"].astype(str)
    if ids.duplicated().any():
        return None
    cheap = dict(zip(ids, source.targets[source_target].to_numpy(np.float64), strict=True))
    values = np.array([cheap.get(i, np.nan) for i in destination.rows["id"].astype(str)])
    if not (np.isfinite(values).all() and (values > 0).all()):
        return None
    return values


def has_target(data, target: str, name: str) -> None:
    """Raise ValueError naming ``name=target`` and the dataset's targets unless it has it."""
    columns = list(data.targets.columns)
    if target not in columns:
        raise ValueError(
            f"{name}={target!r}: dataset {data.name!r} has no such column; it has "
            f"{', '.join(columns)}"
        )


def same_inputs(source_names, destination_names, source_label, destination_label) -> None:
    """Raise ValueError, listing the differences, unless both sides have the same inputs in
    the same order."""
    if list(source_names) == list(destination_names):
        return
    only_source = [c for c in source_names if c not in destination_names]
    only_destination = [c for c in destination_names if c not in source_names]
    detail = (
        f"only in {source_label}: {only_source}; only in {destination_label}: {only_destination}"
        if only_source or only_destination
        else f"same names in another order: {list(source_names)} vs {list(destination_names)}"
    )
    raise ValueError(f"the inputs must be the same on both sides; {detail}")


def dataset_notes(datasets, names) -> list[str]:
    """What a user should hear about ``datasets`` (given by the ``names`` they typed): the rows
    dropped from each, the rows of a shared table file that belong to neither (once per file),
    and the warnings (each once, however many sides share it)."""
    lines, said = [], set()
    for data, name in zip(datasets, names, strict=True):
        dropped = data.provenance.get("dropped_rows") or []
        if dropped:
            lines.append(f"dropped {len(dropped)} invalid row(s) of {data.name}:")
            lines += [f"  {line}" for line in dropped]
        shared = data.provenance.get("dropped_rows_of_table") or []
        file = str(data.provenance.get("file", ""))
        if shared and file not in said:
            said.add(file)
            lines.append(f"dropped {len(shared)} invalid row(s) of {file}:")
            lines += [f"  {line}" for line in shared]
        for line in data.provenance.get("warnings") or []:
            # Both sides of one table file often share a warning: it is said once.
            if (name, line) not in said:
                said.add((name, line))
                lines.append(f"warning: {name}: {line}")
    return lines
