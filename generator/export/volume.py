"""Export a sample's label volume for other tools to open.

Formats (``python -m generator export SAMPLE --format ...``):

``tiff``
    A multi-page TIFF stack, one uint8 page per z slice (through-plane), with the voxel size in
    the resolution tags and ImageJ's metadata (spacing, unit, display range 0-2, phase names in
    its Info): ImageJ/Fiji, Avizo, GeoDict, Dragonfly.
``vti``
    VTK XML ImageData, the labels as the cell array ``phase`` (a voxel is a cell: the grid's
    points are the voxel corners, from 0 to ``n * h``), phase names in field data: ParaView.
``xdmf``
    An XDMF 3 file pointing at the volume inside the HDF5 sample file, which is not copied:
    ParaView (Xdmf3 or XDMF reader), VisIt.
``raw``
    The bytes alone (``.raw``), a MetaImage header (``.mhd``: ITK, 3D Slicer, Fiji, ParaView)
    and a plain-text header (``.raw.txt``) with what GeoDict and Avizo ask for on import.

In every format x runs fastest, then y, then z (the C order of ``volume[z, y, x]``), the origin
is the corner of the first voxel (MetaImage records voxel centres, so its offset is ``h / 2``)
and the phase labels are those of :mod:`generator._shared.phases`. Volumes are streamed a slab of
z slices at a time: the largest sample (3e8 voxels) never needs more than a few tens of MB.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from generator._shared.hdf5 import open_readable
from generator._shared.phases import PHASE_LABELS

ExportFormat = Literal["tiff", "vti", "xdmf", "raw"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)
SUFFIXES = {"tiff": ".tif", "vti": ".vti", "xdmf": ".xdmf", "raw": ".raw"}
# Bytes of a slab of z slices read at a time, at least one chunk row (16 slices: 16 MB at
# 1000 x 1000), so the memory an export needs does not grow with the thickness.
SLAB_BYTES = 16 * 2**20


class ExportError(ValueError):
    """The input or the output of an export is not what it must be (one-line reason).

    A ``ValueError``, so callers that catch bad input catch it too.

    Examples
    --------
    >>> from generator.export import ExportError, check_format
    >>> try:
    ...     check_format("png")
    ... except ValueError as err:
    ...     print(type(err).__name__)
    ExportError
    """


@dataclass(frozen=True)
class VolumeSource:
    """Where a sample's label volume is stored, with what the file says about it.

    Attributes
    ----------
    file : Path
        The HDF5 file holding the volume (for a dataset: the sample file its link points to).
    dataset : str
        The volume's path inside ``file``.
    shape_zyx : tuple of int
    voxel_um : float
    labels : dict
        Label -> phase name.
    name : str
        Stem for default output names (``s`` for ``s.h5``, ``d_sample3`` for sample 3 of
        ``d.h5``).
    given : Path
        The file named on the command line.
    """

    file: Path
    dataset: str
    shape_zyx: tuple[int, int, int]
    voxel_um: float
    labels: dict[int, str]
    name: str
    given: Path

    def slabs(self) -> Iterator[np.ndarray]:
        """The volume as consecutive z slabs, each read from the file as it is needed."""
        import h5py

        nz, ny, nx = self.shape_zyx
        with h5py.File(self.file, "r") as f:
            volume = f[self.dataset]
            # Whole chunks along z, so that no chunk is decompressed twice.
            step = volume.chunks[0] if volume.chunks else 1
            step *= max(1, SLAB_BYTES // max(1, step * ny * nx))
            for start in range(0, nz, step):
                yield volume[start : start + step]

    def slices(self) -> Iterator[np.ndarray]:
        """The volume one z slice (a ``(ny, nx)`` array) at a time."""
        for slab in self.slabs():
            yield from slab

    def phase_text(self) -> str:
        """``0 = pore, 1 = fibre, 2 = binder``."""
        return ", ".join(f"{label} = {name}" for label, name in self.labels.items())


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes
    ----------
    format : str
    paths : tuple of Path
        The files written, the main one first.
    source : VolumeSource
    """

    format: str
    paths: tuple[Path, ...]
    source: VolumeSource


def _index_ranges(indices) -> str:
    """``0-3, 5, 7-9`` for a sorted list of integers."""
    parts: list[str] = []
    values = sorted(indices)
    start = previous = None
    for value in [*values, None]:
        if start is not None and value == previous + 1:
            previous = value
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = value
    return ", ".join(parts) or "none"


def _volume_source(file: Path, dataset: str, name: str, given: Path) -> VolumeSource:
    import h5py

    try:
        with h5py.File(file, "r") as f:
            volume = f.get(dataset)
            if not isinstance(volume, h5py.Dataset):
                raise ExportError(f"{file} has no volume dataset {dataset!r}")
            if volume.ndim != 3 or volume.dtype != np.uint8:
                raise ExportError(
                    f"{file}:{dataset} is {volume.dtype} of shape {volume.shape}; expected a 3D "
                    "uint8 label volume"
                )
            voxel_um = float(volume.attrs.get("voxel_um", f.attrs.get("voxel_um", np.nan)))
            recorded = volume.attrs.get("labels")
            shape = tuple(int(n) for n in volume.shape)
    except OSError as err:
        raise ExportError(f"{file} is not a readable HDF5 file ({err})") from err
    if not np.isfinite(voxel_um) or voxel_um <= 0:
        raise ExportError(f"{file}:{dataset} records no valid voxel size (voxel_um)")
    labels = json.loads(recorded) if recorded is not None else PHASE_LABELS
    return VolumeSource(
        file=file,
        dataset=dataset,
        shape_zyx=shape,
        voxel_um=voxel_um,
        labels={int(k): str(v) for k, v in sorted(labels.items(), key=lambda kv: int(kv[0]))},
        name=name,
        given=given,
    )


def _dataset_volume(path: Path, sample: int | None) -> VolumeSource:
    """The volume of design index ``sample`` of a sweep dataset."""
    import h5py

    from generator.sweep.dataset import open_dataset

    try:
        table = open_dataset(path).table  # the datasets' own reader (checks the schema)
    except (KeyError, ValueError) as err:
        raise ExportError(f"{path} could not be read as a sweep dataset ({err})") from err
    indices = [int(i) for i in table["index"]]
    ids = [str(i) for i in table["id"]]
    with h5py.File(path, "r") as f:
        volumes = f.get("volumes")
        if volumes is None:
            raise ExportError(
                f"{path} is a sweep dataset without volumes (swept with keep_volumes=False): "
                "there is nothing to export; sweep again with keep_volumes=True, or export a "
                "sample file"
            )
        links = {sid: volumes.get(sid, getlink=True) for sid in ids if sid in volumes}
    with_volume = [i for i, sid in zip(indices, ids, strict=True) if sid in links]
    if sample is None:
        raise ExportError(
            f"{path} is a sweep dataset of {len(indices)} samples: choose one with sample=I "
            f"(design index; samples with a volume: {_index_ranges(with_volume)})"
        )
    if sample not in indices:
        raise ExportError(
            f"sample={sample} is out of range: {path} holds design indices "
            f"{_index_ranges(indices)} (with a volume: {_index_ranges(with_volume)})"
        )
    row = indices.index(sample)
    if sample not in with_volume:
        status = table["status"].iloc[row] if "status" in table else "unknown"
        raise ExportError(
            f"sample {sample} of {path} has no volume (status {status}); samples with a volume: "
            f"{_index_ranges(with_volume)}"
        )
    name = f"{path.stem}_sample{sample}"
    link = links[ids[row]]
    if isinstance(link, h5py.ExternalLink):
        # Point at the sample file itself: an XDMF file then needs no link to be followed.
        target = path.parent / link.filename
        if not target.is_file():
            raise ExportError(
                f"the volume of sample {sample} of {path} is linked to {target}, which is "
                "missing (was the samples folder moved or removed?)"
            )
        return _volume_source(target, link.path, name, path)
    return _volume_source(path, f"/volumes/{ids[row]}", name, path)


def open_volume(path, *, sample: int | None = None) -> VolumeSource:
    """Find the label volume of a sample file, or of one sample of a sweep dataset.

    Parameters
    ----------
    path : str or Path
        A file written by ``python -m generator sample`` (or a sweep's sample file), or a
        dataset written by ``sweep``/``merge``.
    sample : int, optional
        For a dataset: the sample's design index (the table's ``index`` column). Must be left
        out for a sample file.

    Returns
    -------
    VolumeSource

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ExportError
        Not a file of this project, a sample without a volume, or a bad ``sample``.

    Examples
    --------
    A minimal sample file (format ``gdl-sample``, a uint8 volume with its voxel size); with no
    label table stored, the generator's labels apply:

    >>> import pathlib, tempfile
    >>> import h5py
    >>> import numpy as np
    >>> from generator.export import open_volume
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "s.h5"
    ...     with h5py.File(path, "w") as f:
    ...         f.attrs["format"] = "gdl-sample"
    ...         volume = f.create_dataset("volume", data=np.zeros((2, 3, 4), np.uint8))
    ...         volume.attrs["voxel_um"] = 2.0
    ...     source = open_volume(path)
    >>> source.shape_zyx, source.voxel_um, source.name, source.phase_text()
    ((2, 3, 4), 2.0, 's', '0 = pore, 1 = fibre, 2 = binder')
    """
    from generator.structure.sample import FORMAT as SAMPLE_FORMAT
    from generator.sweep.dataset import FORMAT as DATASET_FORMAT

    path = Path(path)
    with open_readable(path, "sample or dataset", ExportError) as f:
        kind = f.attrs.get("format")
        has_volume = "volume" in f
    if kind == DATASET_FORMAT:
        return _dataset_volume(path, sample)
    if kind != SAMPLE_FORMAT:
        raise ExportError(
            f"{path} is neither a sample file nor a sweep dataset of this project (format "
            f"{kind!r}); expected a file written by 'python -m generator sample --out' or "
            "'sweep'"
        )
    if sample is not None:
        raise ExportError(
            f"sample={sample} applies to sweep datasets; {path} is a single sample file: "
            "leave 'sample' out"
        )
    if not has_volume:
        raise ExportError(
            f"{path} stores no volume (its sweep ran with keep_volumes=False): there is nothing "
            "to export"
        )
    return _volume_source(path, "/volume", path.stem, path)


def output_paths(out, file_format: str) -> tuple[Path, ...]:
    """Every file an export to ``out`` writes, the main one first (raw: ``.raw``, ``.mhd``
    and ``.raw.txt``).

    Parameters
    ----------
    out : str or Path
        The main output file.
    file_format : {"tiff", "vti", "xdmf", "raw"}

    Returns
    -------
    tuple of Path

    Examples
    --------
    >>> from generator.export.volume import output_paths
    >>> [str(path) for path in output_paths("s.raw", "raw")], output_paths("s.vti", "vti")[0].name
    (['s.raw', 's.mhd', 's.raw.txt'], 's.vti')
    """
    out = Path(out)
    if file_format == "raw":
        return out, out.with_suffix(".mhd"), out.with_name(out.name + ".txt")
    return (out,)


def check_outputs(
    source: VolumeSource, out, file_format: str, *, force: bool = True
) -> tuple[Path, ...]:
    """:func:`output_paths`, refusing (whatever ``force`` says) an output that is the file
    being exported, or two outputs on one path, and what the output-target rule refuses
    (:func:`generator._shared.targets.check_output_file`: a link, a device, a FIFO, a
    directory, a name too long, a missing or unwritable folder; an existing file without
    ``force``).

    Parameters
    ----------
    source : VolumeSource
    out : str or Path
    file_format : {"tiff", "vti", "xdmf", "raw"}
    force : bool
        Replace existing regular files.

    Returns
    -------
    tuple of Path

    Raises
    ------
    ExportError
        With the reason.

    Examples
    --------
    >>> from pathlib import Path
    >>> from generator.export import check_outputs
    >>> from generator.export.volume import VolumeSource
    >>> source = VolumeSource(
    ...     Path("s.h5"), "/volume", (2, 3, 4), 2.0, {0: "pore"}, name="s", given=Path("s.h5")
    ... )
    >>> [path.name for path in check_outputs(source, "s.raw", "raw")]
    ['s.raw', 's.mhd', 's.raw.txt']
    >>> check_outputs(source, "s.h5", "tiff")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    generator.export.volume.ExportError: s.h5 is the file being exported; ...
    """
    from generator._shared.targets import TargetError, check_output_file

    paths = output_paths(out, file_format)
    inputs = {source.file.resolve(), source.given.resolve()}
    for path in paths:
        if path.resolve() in inputs:
            raise ExportError(f"{path} is the file being exported; choose another 'out'")
    if len({path.resolve() for path in paths}) < len(paths):
        raise ExportError(f"out={paths[0]} would make its headers overwrite it; use a .raw name")
    for path in paths:
        try:
            check_output_file(path, force=force)
        except TargetError as err:
            raise ExportError(str(err)) from None
    return paths


def default_output(source: VolumeSource, file_format: str) -> Path:
    """``<folder of the given file>/<source.name><suffix>``.

    Parameters
    ----------
    source : VolumeSource
    file_format : {"tiff", "vti", "xdmf", "raw"}

    Returns
    -------
    Path

    Examples
    --------
    Sample 3 of the dataset ``runs/d.h5`` goes beside the dataset:

    >>> from pathlib import Path
    >>> from generator.export import default_output
    >>> from generator.export.volume import VolumeSource
    >>> source = VolumeSource(
    ...     Path("runs/d_samples/0a1b.h5"), "/volume", (2, 3, 4), 2.0, {0: "pore"},
    ...     name="d_sample3", given=Path("runs/d.h5"),
    ... )
    >>> default_output(source, "tiff").as_posix()
    'runs/d_sample3.tif'
    """
    return source.given.with_name(source.name + SUFFIXES[file_format])


def check_format(file_format: str) -> str:
    """``file_format`` lower-cased, or an :class:`ExportError` naming the known ones.

    Parameters
    ----------
    file_format : str
        ``"tif"`` is taken for ``"tiff"``.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Examples
    --------
    >>> from generator.export import check_format
    >>> check_format("TIF"), check_format("vti")
    ('tiff', 'vti')
    >>> check_format("png")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    generator.export.volume.ExportError: ...'png' is unknown; expected one of tiff, vti, xdmf, raw
    """
    name = str(file_format).lower()
    if name == "tif":
        name = "tiff"
    if name not in FORMATS:
        raise ExportError(
            f"file_format={file_format!r} is unknown; expected one of {', '.join(FORMATS)}"
        )
    return name


def export_volume(source: VolumeSource, out, *, file_format: ExportFormat) -> ExportResult:
    """Write a sample's volume in ``file_format`` to ``out`` (and its headers beside it).

    Each file is written under a temporary name and renamed into place; existing files are
    replaced (the command line asks for ``--force`` first).

    Parameters
    ----------
    source : VolumeSource
        From :func:`open_volume`.
    out : str or Path
        The main output file (raw: the ``.raw`` file).
    file_format : {"tiff", "vti", "xdmf", "raw"}

    Returns
    -------
    ExportResult

    Examples
    --------
    Raw bytes run x fastest, then y, then z: the C order of ``volume[z, y, x]``; the MetaImage
    header lists the sizes x first.

    >>> import pathlib, tempfile
    >>> import h5py
    >>> import numpy as np
    >>> from generator.export import export_volume, open_volume
    >>> volume = (np.arange(24) % 3).astype(np.uint8).reshape(2, 3, 4)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "s.h5"
    ...     with h5py.File(path, "w") as f:
    ...         f.attrs["format"] = "gdl-sample"
    ...         f.create_dataset("volume", data=volume).attrs["voxel_um"] = 2.0
    ...     result = export_volume(open_volume(path), path.with_suffix(".raw"), file_format="raw")
    ...     raw = np.fromfile(result.paths[0], dtype=np.uint8)
    ...     header = result.paths[1].read_text().splitlines()
    >>> [path.name for path in result.paths], np.array_equal(raw, volume.ravel())
    (['s.raw', 's.mhd', 's.raw.txt'], True)
    >>> [line for line in header if line.startswith(("DimSize", "ElementSpacing"))]
    ['ElementSpacing = 0.002 0.002 0.002', 'DimSize = 4 3 2']
    """
    from generator._shared.targets import atomic_file

    file_format = check_format(file_format)
    paths = check_outputs(source, out, file_format)
    writers = {
        "tiff": (_write_tiff,),
        "vti": (_write_vti,),
        "xdmf": (_write_xdmf,),
        "raw": (_write_raw, _write_mhd, _write_raw_header),
    }[file_format]
    for writer, path in zip(writers, paths, strict=True):
        with atomic_file(path) as temporary:
            writer(source, temporary, paths)
    return ExportResult(format=file_format, paths=paths, source=source)


def _write_tiff(source: VolumeSource, temporary: Path, paths: tuple[Path, ...]) -> None:
    import tifffile

    h = source.voxel_um
    tifffile.imwrite(
        temporary,
        source.slices(),  # one page at a time
        shape=source.shape_zyx,
        dtype=np.uint8,
        imagej=True,
        # Pixels per um; ImageJ takes the unit from its metadata (TIFF has no micrometre unit).
        resolution=(1.0 / h, 1.0 / h),
        metadata={
            "axes": "ZYX",
            "spacing": h,
            "unit": "um",
            # Display range of the labels: otherwise 0-2 of 0-255 looks black.
            "min": 0,
            "max": max(source.labels),
            "Info": f"phase labels: {source.phase_text()}\nvoxel size: {h:g} um\n"
            f"z (pages) = through-plane\nsource: {source.file.name}:{source.dataset}",
            "Properties": {f"phase_{k}": v for k, v in source.labels.items()},
        },
    )


def _comment(text: str) -> str:
    """``text`` safe inside an XML comment (which may hold no ``--``, nor markup)."""
    from xml.sax.saxutils import escape

    return escape(text).replace("--", "- -")


def _write_vti(source: VolumeSource, temporary: Path, paths: tuple[Path, ...]) -> None:
    nz, ny, nx = source.shape_zyx
    h = source.voxel_um
    labels = sorted(source.labels)
    # A VTK string array in ASCII: each string's character codes, each string ended by 0.
    names = " ".join(" ".join(str(c) for c in source.labels[k].encode()) + " 0" for k in labels)
    header = f"""<?xml version="1.0"?>
<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" header_type="UInt64">
  <!-- gdl-generator sample {_comment(source.file.name)}:{_comment(source.dataset)}; voxels are
       cells ({nx} x {ny} x {nz}), so the points are their corners; spacing in um;
       phase labels: {_comment(source.phase_text())} -->
  <ImageData WholeExtent="0 {nx} 0 {ny} 0 {nz}" Origin="0 0 0" Spacing="{h!r} {h!r} {h!r}">
    <FieldData>
      <Array type="String" Name="phase_names" NumberOfTuples="{len(labels)}" format="ascii">
        {names}
      </Array>
      <DataArray type="UInt8" Name="phase_labels" NumberOfTuples="{len(labels)}" format="ascii">
        {" ".join(str(k) for k in labels)}
      </DataArray>
      <DataArray type="Float64" Name="voxel_size_um" NumberOfTuples="1" format="ascii">
        {h!r}
      </DataArray>
    </FieldData>
    <Piece Extent="0 {nx} 0 {ny} 0 {nz}">
      <PointData>
      </PointData>
      <CellData Scalars="phase">
        <DataArray type="UInt8" Name="phase" format="appended" offset="0"
                   RangeMin="{min(labels)}" RangeMax="{max(labels)}"/>
      </CellData>
    </Piece>
  </ImageData>
  <AppendedData encoding="raw">
   _"""
    with open(temporary, "wb") as handle:
        handle.write(header.encode())
        handle.write(np.uint64(nz * ny * nx).tobytes())  # the block's byte count, UInt64 LE
        for slab in source.slabs():
            slab.tofile(handle)  # x fastest, then y, then z: VTK's order
        handle.write(b"\n  </AppendedData>\n</VTKFile>\n")


def _write_xdmf(source: VolumeSource, temporary: Path, paths: tuple[Path, ...]) -> None:
    from xml.sax.saxutils import escape, quoteattr

    nz, ny, nx = source.shape_zyx
    h = source.voxel_um
    folder = paths[0].resolve().parent
    try:
        target = os.path.relpath(source.file.resolve(), folder)
    except ValueError:  # another drive (Windows): no relative path exists
        target = str(source.file.resolve())
    text = f"""<?xml version="1.0" ?>
<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>
<Xdmf Version="3.0" xmlns:xi="http://www.w3.org/2001/XInclude">
  <Domain>
    <Grid Name={quoteattr(source.name)} GridType="Uniform">
      <!-- Voxels are cells: the mesh has one point more than voxels along each axis.
           XDMF lists dimensions, origin and spacing slowest axis first: z y x. -->
      <Topology TopologyType="3DCoRectMesh" Dimensions="{nz + 1} {ny + 1} {nx + 1}"/>
      <Geometry GeometryType="ORIGIN_DXDYDZ">
        <DataItem Name="Origin" Dimensions="3" NumberType="Float" Precision="8"
                  Format="XML">0 0 0</DataItem>
        <DataItem Name="Spacing" Dimensions="3" NumberType="Float" Precision="8"
                  Format="XML">{h!r} {h!r} {h!r}</DataItem>
      </Geometry>
      <Attribute Name="phase" AttributeType="Scalar" Center="Cell">
        <DataItem Dimensions="{nz} {ny} {nx}" NumberType="UChar" Precision="1"
                  Format="HDF">{escape(target)}:{escape(source.dataset)}</DataItem>
      </Attribute>
      <Information Name="phase_labels" Value={quoteattr(source.phase_text())}/>
      <Information Name="voxel_size_um" Value="{h!r}"/>
      <Information Name="axes" Value="x y z; z through-plane"/>
    </Grid>
  </Domain>
</Xdmf>
"""
    Path(temporary).write_text(text)


def _write_raw(source: VolumeSource, temporary: Path, paths: tuple[Path, ...]) -> None:
    with open(temporary, "wb") as handle:
        for slab in source.slabs():
            slab.tofile(handle)


def _write_mhd(source: VolumeSource, temporary: Path, paths: tuple[Path, ...]) -> None:
    nz, ny, nx = source.shape_zyx
    mm = source.voxel_um / 1000.0  # MetaImage readers (ITK, 3D Slicer) take lengths in mm
    raw = paths[0].name
    text = "\n".join(
        [
            "ObjectType = Image",
            "NDims = 3",
            "BinaryData = True",
            "BinaryDataByteOrderMSB = False",
            "CompressedData = False",
            "TransformMatrix = 1 0 0 0 1 0 0 0 1",
            # Offset is the centre of the first voxel.
            f"Offset = {mm / 2!r} {mm / 2!r} {mm / 2!r}",
            "CenterOfRotation = 0 0 0",
            f"ElementSpacing = {mm!r} {mm!r} {mm!r}",
            # Not a standard field: MetaImage readers keep or skip unknown ones.
            "PhaseLabels = " + " ".join(f"{k}={v}" for k, v in source.labels.items()),
            f"DimSize = {nx} {ny} {nz}",
            "ElementType = MET_UCHAR",
            f"ElementDataFile = {raw}",  # must be the last line
            "",
        ]
    )
    Path(temporary).write_text(text)


def _write_raw_header(source: VolumeSource, temporary: Path, paths: tuple[Path, ...]) -> None:
    from generator import __version__

    nz, ny, nx = source.shape_zyx
    h = source.voxel_um
    raw = paths[0].name
    text = f"""# Raw label volume exported by gdl-generator {__version__}
file: {raw}
source: {source.file.name}:{source.dataset}
data type: uint8 (unsigned 8-bit integer, 1 byte per voxel)
byte order: little-endian (irrelevant for 1-byte data)
header bytes: 0
dimensions (x y z): {nx} {ny} {nz}
axis order of the bytes: x fastest, then y, then z (C order of volume[z, y, x])
axes: x, y in-plane; z through-plane (thickness)
file size: {nx * ny * nz} bytes
voxel size: {h:g} um = {h * 1e-6:.6g} m (isotropic)
voxel size (x y z) um: {h!r} {h!r} {h!r}
voxel size (x y z) m: {h * 1e-6!r} {h * 1e-6!r} {h * 1e-6!r}
phase labels: {source.phase_text()}
MetaImage header: {paths[1].name} (spacing in mm)
Avizo: File > Open Data > {raw} > Raw data: dimensions {nx} {ny} {nz}, data type byte (8-bit
  unsigned), little-endian, x fastest, voxel size {h:g} (um); header 0.
GeoDict: import as raw volume: {nx} x {ny} x {nz} voxels, 8-bit unsigned, voxel length
  {h * 1e-6:.6g} m; material IDs as the phase labels above.
"""
    Path(temporary).write_text(text)
