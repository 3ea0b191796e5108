"""A sweep plan: the design, its tasks and ids, and which of them are already finished.

The plan is what a sweep, a shard of it and the merge of its shards have in common: the same
options give the same plan, the same ids and the same file names. Its identity (everything that
decides the samples' values: domain, design, n, seed, ranges, voxel size and the model version)
is stored in the dataset and in every sample file, so a later run can tell its own files from
another plan's.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from generator.paper import SAMPLE_COUNTS
from generator.structure.parameters import resolve_domain, voxel_shape
from generator.sweep.design import (
    DESIGNS,
    PAIRINGS,
    PARAMETERS,
    check_count,
    make_design,
    sample_id,
    validate_ranges,
)
from generator.sweep.properties import (
    DEFAULT_PROPERTIES,
    check_properties,
    peak_bytes_per_voxel,
    properties_in_row,
)

PAPER_COUNTS = SAMPLE_COUNTS
THICKNESS_MAX_UM = 320.0


def default_output(domain: str) -> Path:
    """``gdl<domain>.h5`` in the working directory (never the shipped reference data).

    Examples
    --------
    >>> from generator.sweep.plan import default_output, samples_folder
    >>> str(default_output("200")), str(samples_folder(default_output("200")))
    ('gdl200.h5', 'gdl200_samples')
    """
    return Path(f"gdl{domain}.h5")


def samples_folder(dataset: Path) -> Path:
    """Folder of the per-sample files next to a dataset file."""
    return dataset.with_name(dataset.stem + "_samples")


@dataclass
class Scan:
    """What is on disk for a list of tasks."""

    done: dict = field(default_factory=dict)  # id -> row of each verified finished sample
    pending: list = field(default_factory=list)  # tasks to run (or to extend: `start_row`)
    redo: list = field(default_factory=list)  # (task, reason) of files found but not trusted


@dataclass(frozen=True)
class SweepPlan:
    """The design of a sweep and where its files go. Build with :meth:`create`.

    Attributes
    ----------
    domain : str
        Preset name, ``"200"`` or ``"1000"``.
    n : int
    design : str
    seed : int
    ranges : dict
        ``{parameter: (low, high)}`` for every parameter (the paper's where not given).
    voxel_um : float
    out : Path
        The dataset file; sample files go to ``<out stem>_samples/``.
    keep_volumes : bool
    stratify : bool
        Fibre lines from a scrambled Sobol sequence (True) or independent draws.
    pairing : str
        ``"independent"`` (each domain its own design) or ``"paired"`` (same parameter sets).
    model : str
        Model version of the code (:func:`generator._shared.model_version.model_version`).
    properties : tuple of str
        What each sample measures (:mod:`generator.sweep.properties`); not part of the
        identity: a plan asking for more properties extends the same samples.
    source : DesignSource or None
        The dataset whose rows are the design (:mod:`generator.sweep.design_from`): same
        index, id, seed and parameters, at this plan's voxel size.

    Examples
    --------
    A plan reads and writes nothing. Its largest sample is the ``"200"`` domain at the top
    thickness, at 4 um voxels: 320 / 4 x 200 / 4 x 2000 / 4 = 80 x 50 x 500 voxels.

    >>> from generator.sweep import SweepPlan
    >>> plan = SweepPlan.create(domain="200", n=4, voxel_um=4)
    >>> str(plan.out), str(plan.folder), len(plan.tasks)
    ('gdl200.h5', 'gdl200_samples', 4)
    >>> plan.voxels(), plan.peak_bytes()  # 7.5 bytes a voxel at the peak
    (2000000, 15000000.0)
    >>> both = SweepPlan.create(domain="200", n=4, voxel_um=4, properties="geodesic,diffusive")
    >>> both.peak_bytes()  # 23 bytes a voxel: the diffusive solve beside the volume
    46000000.0

    Two interleaved shards (numbered from 1, as ``--array=1-2``) share the tasks:

    >>> [task["index"] for task in plan.shard(1, 2)], [task["index"] for task in plan.shard(2, 2)]
    ([0, 2], [1, 3])
    """

    domain: str
    n: int
    design: str
    seed: int
    ranges: dict
    voxel_um: float
    out: Path
    keep_volumes: bool
    stratify: bool
    pairing: str
    model: str
    properties: tuple = DEFAULT_PROPERTIES
    source: object = None

    @classmethod
    def create(
        cls,
        *,
        domain=None,
        n=None,
        design="sobol",
        seed=0,
        ranges=None,
        voxel_um=1.0,
        out=None,
        keep_volumes=True,
        stratify=True,
        pairing="independent",
        properties=DEFAULT_PROPERTIES,
        design_from=None,
    ) -> SweepPlan:
        """Resolve and check the options of a sweep; nothing is written (``design_from`` is
        read).

        Parameters are the attributes of :class:`SweepPlan`; ``domain`` defaults to
        ``"1000"``, ``n`` to the paper's sample count of the domain (at most
        :data:`generator.sweep.design.MAX_SAMPLES`), ``out`` to :func:`default_output`.
        ``design_from`` (a dataset path) takes the design from that dataset's rows: its
        domain, n, design, seed, ranges, pairing and fibre sampling (``domain`` and ``n``, if
        given, must agree), and ``out`` defaults to ``<source stem>_<voxel>um.h5``.

        Returns
        -------
        SweepPlan

        Raises
        ------
        ValueError
            Naming the bad value and what was expected.

        Examples
        --------
        >>> from generator.sweep import SweepPlan
        >>> SweepPlan.create(domain=(100, 100))
        Traceback (most recent call last):
        ...
        ValueError: sweep domain must be a preset (200, 1000), got (100, 100)
        """
        from generator._shared.guards import check_voxel_size
        from generator._shared.model_version import model_version

        source = None
        if design_from is not None:
            from generator.sweep.design_from import read_design_source

            source = read_design_source(design_from)
            taken = source.plan
            for name, given, theirs in (
                ("domain", domain, taken["domain"]),
                ("n", n, len(source.rows)),
            ):
                if given is not None and str(given) != str(theirs):
                    raise ValueError(
                        f"{name}={given!r} differs from the design_from dataset's {theirs!r}: "
                        f"leave '{name}' out, the design comes from the dataset"
                    )
            domain, n = taken["domain"], len(source.rows)
            design, seed, pairing = taken["design"], taken["design_seed"], taken["pairing"]
            stratify, ranges = taken["stratify"], taken["ranges"]
        domain = "1000" if domain is None else domain
        domain_name, _ = resolve_domain(domain)
        if domain_name not in PAPER_COUNTS:
            raise ValueError(
                f"sweep domain must be a preset ({', '.join(PAPER_COUNTS)}), got {domain!r}"
            )
        n = check_count(PAPER_COUNTS[domain_name] if n is None else n)
        voxel_um = check_voxel_size(voxel_um)
        if design not in DESIGNS:
            raise ValueError(f"design {design!r} is not one of {', '.join(DESIGNS)}")
        if pairing not in PAIRINGS:
            raise ValueError(f"pairing {pairing!r} is not one of {', '.join(PAIRINGS)}")
        if not 0 <= int(seed) < 2**63:
            raise ValueError(f"seed={seed} must be a whole number in [0, 2**63)")
        if out is None and source is not None:
            out = Path(f"{source.path.stem}_{voxel_um:g}um.h5")
        return cls(
            domain=domain_name,
            n=int(n),
            design=design,
            seed=int(seed),
            ranges=validate_ranges(ranges),
            voxel_um=voxel_um,
            out=Path(out) if out else default_output(domain_name),
            keep_volumes=bool(keep_volumes),
            stratify=bool(stratify),
            pairing=pairing,
            model=model_version(),
            properties=check_properties(properties),
            source=source,
        )

    @property
    def folder(self) -> Path:
        """Folder of the per-sample files."""
        return samples_folder(self.out)

    def identity(self) -> dict:
        """What decides the samples' values: two runs with equal identities make equal files.

        ``keep_volumes`` is not part of it: volumes asked for after a ``--no-volumes`` run are
        made for the same plan.
        """
        return {
            "domain": self.domain,
            "n": self.n,
            "design": self.design,
            "design_seed": self.seed,
            "pairing": self.pairing,
            "stratify": self.stratify,
            "ranges": {name: [float(v) for v in self.ranges[name]] for name in PARAMETERS},
            "voxel_um": self.voxel_um,
            "model_version": self.model,
            **({"design_from": self.source.identity()} if self.source is not None else {}),
        }

    @cached_property
    def design_table(self):
        """The design: ``index``, the five parameters and ``seed`` per sample."""
        if self.source is not None:
            import pandas as pd

            return pd.DataFrame([dict(row) for row in self.source.rows]).drop(columns="id")
        return make_design(
            self.n,
            domain=self.domain,
            design=self.design,
            seed=self.seed,
            ranges=self.ranges,
            pairing=self.pairing,
        )

    @cached_property
    def tasks(self) -> list[dict]:
        """One task dict per sample, in design order."""
        identity = self.identity()
        # A design from another dataset keeps its ids: the rows pair on id across fidelities.
        source_ids = [row["id"] for row in self.source.rows] if self.source is not None else None
        tasks = []
        for position, row in enumerate(self.design_table.to_dict("records")):
            params = {name: float(row[name]) for name in PARAMETERS}
            ident = (
                source_ids[position]
                if source_ids
                else sample_id(
                    params,
                    row["seed"],
                    domain=self.domain,
                    voxel_um=self.voxel_um,
                    version=self.model,
                    stratify=self.stratify,
                )
            )
            tasks.append(
                {
                    "id": ident,
                    "index": int(row["index"]),
                    "seed": int(row["seed"]),
                    **params,
                    "domain": self.domain,
                    "voxel_um": self.voxel_um,
                    "stratify": self.stratify,
                    "folder": str(self.folder),
                    "keep_volume": self.keep_volumes,
                    "plan": identity,
                    "properties": self.properties,
                }
            )
        return tasks

    def shard(self, index: int, count: int, *, base: int = 1) -> list[dict]:
        """The tasks of shard ``index`` of ``count`` interleaved slices.

        Parameters
        ----------
        index : int
            This shard's number, from ``base`` to ``count - 1 + base``.
        count : int
            Number of shards, at most ``n``.
        base : {1, 0}
            The number of the first shard: 1 (``--array=1-N``) or 0 (``--array=0-N-1``).

        Returns
        -------
        list of dict
            Tasks ``index - base``, ``index - base + count``, ... of :attr:`tasks`.
        """
        if base not in (0, 1):
            raise ValueError(f"shard base {base} must be 0 or 1")
        if count < 1 or not base <= index < count + base:
            raise ValueError(
                f"shard {index}/{count} must satisfy {base} <= I <= {count - 1 + base} "
                f"(N >= 1, shards numbered from {base})"
            )
        if count > self.n:
            raise ValueError(f"{count} shards for {self.n} samples: N must be at most n")
        return self.tasks[index - base :: count]

    def voxels(self) -> int:
        """Voxels of the largest sample (thickness at its maximum, no compression)."""
        _, in_plane = resolve_domain(self.domain)
        total = 1
        for size in voxel_shape(in_plane, THICKNESS_MAX_UM, self.voxel_um):
            total *= size
        return total

    def may_need_wide_closing(self) -> bool:
        """Whether a sample of this plan may close its binder wider than the uint8 distance
        kernels reach (its thickest fibres span 7 voxels or more), so the uint16 ones are
        worth compiling before the workers start.

        Examples
        --------
        >>> SweepPlan.create(domain="200", n=4, voxel_um=1).may_need_wide_closing()
        True
        >>> SweepPlan.create(domain="200", n=4, voxel_um=4).may_need_wide_closing()
        False
        """
        from generator.sweep.sample_task import may_need_wide_closing

        return may_need_wide_closing(self.ranges["fiber_diameter_um"][1], self.voxel_um)

    def peak_bytes(self) -> float:
        """Estimated peak memory of one sample task (its properties' largest need)."""
        return self.voxels() * peak_bytes_per_voxel(self.properties)

    def refusals(self, tasks=None, *, worker_memory: float | None = None) -> list[tuple]:
        """The tasks a sample would refuse at run time, with why: the structural guards
        (:func:`generator._shared.guards.sample_grid_problem`: a voxel coarser than the task's
        fibre diameter, an axis of fewer than 2 voxels) and, when ``worker_memory`` is known,
        a peak memory above it. Nothing is read or run.

        Parameters
        ----------
        tasks : list of dict, optional
            Default :attr:`tasks`.
        worker_memory : float, optional
            Bytes one worker may use (:meth:`DaskExecutor.worker_memory
            <generator.sweep.executors.DaskExecutor.worker_memory>`); None: unknown.

        Returns
        -------
        list of (dict, str, str)
            ``(task, short reason, message)``, in the order of ``tasks``.

        Examples
        --------
        At 8 um, the tasks whose fibres are thinner than 8 um are refused:

        >>> from generator.sweep import SweepPlan
        >>> plan = SweepPlan.create(domain="200", n=4, voxel_um=8)
        >>> [(task["index"], reason) for task, reason, _ in plan.refusals()]  # doctest: +ELLIPSIS
        [(..., 'voxel coarser than the fibre diameter'), ...]
        >>> all(task["fiber_diameter_um"] < 8 for task, _, _ in plan.refusals())
        True
        """
        from generator._shared.guards import sample_grid_problem

        _, in_plane = resolve_domain(self.domain)
        found = []
        for task in self.tasks if tasks is None else tasks:
            shape = voxel_shape(in_plane, task["thickness_um"], self.voxel_um)
            problem = sample_grid_problem(shape, self.voxel_um, 0.5 * task["fiber_diameter_um"])
            if problem is None and worker_memory is not None:
                voxels = math.prod(shape)
                need = voxels * peak_bytes_per_voxel(task["properties"]) / 2**30
                has = worker_memory / 2**30
                if need > has:
                    message = (
                        f"a sample of {voxels:.3g} voxels needs about {need:.1f} GiB at its peak, "
                        f"a worker {has:.1f} GiB: use a coarser voxel_um or workers with more "
                        "memory"
                    )
                    problem = "more memory than a worker has", message
            if problem:
                found.append((task, *problem))
        return found

    def scan(self, tasks: list[dict] | None = None) -> Scan:
        """Check the sample file of each task (all by default); see
        :func:`generator.sweep.sample_task.verify_sample_file`.

        Parameters
        ----------
        tasks : list of dict, optional
            Default :attr:`tasks`.

        Returns
        -------
        Scan
            ``done`` (id -> table row of each verified file that holds every property of the
            plan), ``pending`` (tasks to run; a verified file that lacks some properties gives a
            task that measures only those: ``properties`` the missing ones, ``start_row`` its
            row, ``stored_volume`` whether the file keeps the volume) and ``redo`` (tasks whose
            file was found but not trusted, with the reason).
        """
        from generator.sweep.sample_task import stored_volume, verify_sample_file

        scan = Scan()
        present = set(os.listdir(self.folder)) if self.folder.is_dir() else set()
        for task in self.tasks if tasks is None else tasks:
            name = f"{task['id']}.h5"
            if name not in present:  # one listing, not a look-up a task
                scan.pending.append(task)
                continue
            row, reason = verify_sample_file(self.folder / name, task)
            lacking = ()
            if row is not None:
                held, _ = properties_in_row(row)
                lacking = tuple(p for p in task["properties"] if p not in held)
            if row is not None and not lacking:
                scan.done[task["id"]] = row
            elif row is not None:
                has_volume = stored_volume(self.folder / name)
                scan.pending.append(
                    dict(task, properties=lacking, start_row=row, stored_volume=has_volume)
                )
            else:
                scan.pending.append(task)
                if reason != "missing":
                    scan.redo.append((task, reason))
        return scan

    def describe(self) -> str:
        """One line per setting, for a dry run."""
        lines = [
            f"plan: domain {self.domain}, n {self.n}, design {self.design} (seed {self.seed}, "
            f"{self.pairing}), voxel {self.voxel_um:g} um, "
            f"fibres {'stratified' if self.stratify else 'independent'}, model {self.model}",
            f"properties: {', '.join(self.properties)}",
            f"dataset {self.out}, sample files in {self.folder}",
        ]
        if self.source is not None:
            lines.insert(
                1,
                f"design from {self.source.path} ({len(self.source.rows)} rows, same ids, "
                f"seeds and parameters; made at {self.source.plan.get('voxel_um')} um)",
            )
        for name in PARAMETERS:
            low, high = self.ranges[name]
            lines.append(f"range {name}: {low:g} .. {high:g}")
        return "\n".join(lines)
