"""Exports read back by readers that share no code with the writers, voxel for voxel, with the
spacing; the command line from another folder; hostile inputs.

The volume is random labels of shape (z, y, x) = (37, 11, 23): every axis a different length
(an axis-order mistake changes the shape or the voxels) and more than one 16-slice chunk along z
(the slab streaming crosses chunk boundaries).
"""

import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest
import tifffile

from generator.export import volume as export
from generator.structure.binder import BinderResult
from generator.structure.fibres import FibreSet
from generator.structure.parameters import SampleParameters
from generator.structure.sample import GDLSample
from generator.sweep.dataset import write_dataset
from tests.cli_runner import generator_cli
from tests.conftest import one_line_error

SHAPE = (37, 11, 23)  # z, y, x
H = 2.5  # um
NAMES = {0: "pore", 1: "fibre", 2: "binder"}
SAMPLE_ID = "0123456789abcdef"


def _sample(volume, voxel_um=H) -> GDLSample:
    nz, ny, nx = volume.shape
    fibres = FibreSet(
        centre=np.zeros((1, 3)),
        direction=np.array([[1.0, 0.0, 0.0]]),
        radius=np.array([4.5]),
        length=np.array([nx * voxel_um]),
    )
    return GDLSample(
        volume=volume,
        fibres=fibres,
        parameters=SampleParameters(),
        seed=0,
        voxel_um=voxel_um,
        domain="test",
        domain_um=(nx * voxel_um, ny * voxel_um),
        fractions={},
        orientation_target=(0.5, 0.5, 0.0),
        binder=BinderResult(0, 0, 0),
        scaled_columns=0,
    )


@pytest.fixture(scope="module")
def volume():
    return np.random.default_rng(17).integers(0, 3, SHAPE, dtype=np.uint8)


@pytest.fixture
def sample_file(tmp_path, volume):
    path = tmp_path / "s.h5"
    _sample(volume).to_hdf5(path)
    return path


@pytest.fixture
def source(sample_file, monkeypatch):
    # The smallest slabs (one 16-slice chunk row): reading crosses chunk boundaries.
    monkeypatch.setattr(export, "SLAB_BYTES", 1)
    return export.open_volume(sample_file)


@pytest.fixture
def dataset_file(tmp_path, volume):
    """A sweep dataset of two samples: design index 0 with a volume, 1 failed."""
    folder = tmp_path / "data" / "d_samples"
    folder.mkdir(parents=True)
    _sample(volume).to_hdf5(folder / f"{SAMPLE_ID}.h5")
    rows = [
        {"index": 0, "id": SAMPLE_ID, "status": "ok"},
        {"index": 1, "id": "fedcba9876543210", "status": "failed"},
    ]
    return write_dataset(tmp_path / "data" / "d.h5", rows, {}, samples_folder=folder)


def test_slabs_stream_the_volume_in_chunk_rows(source, volume):
    slabs = list(source.slabs())
    assert [len(s) for s in slabs] == [16, 16, 5]
    assert all(s.dtype == np.uint8 for s in slabs)
    assert np.array_equal(np.concatenate(slabs), volume)
    assert source.voxel_um == H and source.labels == NAMES and source.shape_zyx == SHAPE


def test_tiff_pages_resolution_and_imagej_metadata(source, volume, tmp_path):
    out = export.export_volume(source, tmp_path / "s.tif", file_format="tiff").paths[0]
    with tifffile.TiffFile(out) as tif:
        assert len(tif.pages) == SHAPE[0]  # one page per z slice
        for z, page in enumerate(tif.pages):
            assert page.shape == SHAPE[1:] and page.dtype == np.uint8
            assert np.array_equal(page.asarray(), volume[z])
        first = tif.pages[0].tags
        for tag in ("XResolution", "YResolution"):
            numerator, denominator = first[tag].value
            assert numerator / denominator == pytest.approx(1 / H)  # pixels per um
        meta = tif.imagej_metadata
        assert meta["spacing"] == pytest.approx(H) and meta["unit"] == "um"
        assert meta["images"] == meta["slices"] == SHAPE[0]
        assert (meta["min"], meta["max"]) == (0, 2)
        assert "0 = pore, 1 = fibre, 2 = binder" in meta["Info"]
        assert meta["Properties"] == {f"phase_{k}": v for k, v in NAMES.items()}
        assert tif.series[0].axes == "ZYX"


def _vti_parts(path: Path):
    """The XML header (as an element tree) and the appended binary block of a .vti file,
    parsed by hand."""
    data = path.read_bytes()
    start = data.index(b"<AppendedData")
    underscore = data.index(b"_", data.index(b">", start))
    header = ET.fromstring(data[:start] + b"</VTKFile>")
    size = int(np.frombuffer(data, "<u8", count=1, offset=underscore + 1)[0])
    block = np.frombuffer(data, np.uint8, count=size, offset=underscore + 9)
    tail = data[underscore + 9 + size :]
    return header, block, tail


def test_vti_parsed_independently(source, volume, tmp_path):
    out = export.export_volume(source, tmp_path / "s.vti", file_format="vti").paths[0]
    header, block, tail = _vti_parts(out)
    nz, ny, nx = SHAPE
    assert header.get("type") == "ImageData" and header.get("header_type") == "UInt64"
    image = header.find("ImageData")
    # Voxels are cells: the extent counts points, one more than voxels along each axis.
    assert image.get("WholeExtent").split() == ["0", str(nx), "0", str(ny), "0", str(nz)]
    assert [float(v) for v in image.get("Spacing").split()] == [H, H, H]
    assert [float(v) for v in image.get("Origin").split()] == [0, 0, 0]
    array = image.find("Piece/CellData/DataArray")
    assert (array.get("Name"), array.get("type"), array.get("offset")) == ("phase", "UInt8", "0")
    assert image.find("Piece/PointData/DataArray") is None
    names = image.find("FieldData/Array[@Name='phase_names']").text.split()
    text = bytes(int(c) for c in names).split(b"\0")[:-1]
    assert [t.decode() for t in text] == list(NAMES.values())
    assert block.size == volume.size
    assert np.array_equal(block.reshape(SHAPE), volume)  # x fastest, then y, then z
    assert tail.split() == [b"</AppendedData>", b"</VTKFile>"]  # the block's size was right


def test_xdmf_points_into_the_hdf5_file_in_place(source, volume, sample_file, tmp_path):
    views = tmp_path / "views"
    views.mkdir()
    out = export.export_volume(source, views / "s.xdmf", file_format="xdmf").paths[0]
    root = ET.parse(out).getroot()
    assert root.tag == "Xdmf" and root.get("Version") == "3.0"
    grid = root.find("Domain/Grid")
    nz, ny, nx = SHAPE
    topology = grid.find("Topology")
    assert topology.get("TopologyType") == "3DCoRectMesh"
    # XDMF orders dimensions slowest first (z y x), in points: voxels + 1.
    assert [int(v) for v in topology.get("Dimensions").split()] == [nz + 1, ny + 1, nx + 1]
    geometry = grid.find("Geometry")
    assert geometry.get("GeometryType") == "ORIGIN_DXDYDZ"
    origin, spacing = geometry.findall("DataItem")
    assert [float(v) for v in origin.text.split()] == [0, 0, 0]
    assert [float(v) for v in spacing.text.split()] == [H, H, H]  # DZ DY DX
    attribute = grid.find("Attribute")
    assert (attribute.get("Name"), attribute.get("Center")) == ("phase", "Cell")
    item = attribute.find("DataItem")
    assert [int(v) for v in item.get("Dimensions").split()] == [nz, ny, nx]
    assert (item.get("NumberType"), item.get("Precision"), item.get("Format")) == (
        "UChar",
        "1",
        "HDF",
    )
    file_part, dataset = item.text.strip().rsplit(":", 1)
    assert file_part == "../s.h5"  # relative to the .xdmf file, no copy of the data
    with h5py.File(views / file_part, "r") as f:
        stored = f[dataset]
        assert stored.dtype == np.uint8 and stored.shape == SHAPE
        assert np.array_equal(stored[()], volume)
        assert float(stored.attrs["voxel_um"]) == H
    info = {i.get("Name"): i.get("Value") for i in grid.findall("Information")}
    assert info["phase_labels"] == "0 = pore, 1 = fibre, 2 = binder"
    assert float(info["voxel_size_um"]) == H
    assert sample_file.stat().st_size > 0


def test_raw_with_text_and_metaimage_headers(source, volume, tmp_path):
    raw, mhd, text = export.export_volume(source, tmp_path / "s.raw", file_format="raw").paths
    assert (mhd.name, text.name) == ("s.mhd", "s.raw.txt")
    header = dict(
        line.split(": ", 1) for line in text.read_text().splitlines() if ": " in line[:40]
    )
    nx, ny, nz = (int(v) for v in header["dimensions (x y z)"].split())
    assert (nz, ny, nx) == SHAPE
    assert header["data type"].startswith("uint8")
    assert header["axis order of the bytes"].startswith("x fastest, then y, then z")
    assert [float(v) for v in header["voxel size (x y z) um"].split()] == [H, H, H]
    assert [float(v) for v in header["voxel size (x y z) m"].split()] == [H * 1e-6] * 3
    assert header["phase labels"] == "0 = pore, 1 = fibre, 2 = binder"
    assert int(header["header bytes"]) == 0
    # x fastest: the last numpy axis is x.
    back = np.fromfile(raw, dtype=np.uint8).reshape(nz, ny, nx)
    assert np.array_equal(back, volume)
    meta = dict(line.split(" = ", 1) for line in mhd.read_text().splitlines())
    assert [int(v) for v in meta["DimSize"].split()] == [nx, ny, nz]
    assert [float(v) for v in meta["ElementSpacing"].split()] == [H / 1000] * 3  # mm
    assert [float(v) for v in meta["Offset"].split()] == [H / 2000] * 3  # first voxel's centre
    assert (meta["ElementType"], meta["ElementDataFile"]) == ("MET_UCHAR", "s.raw")
    assert meta["BinaryDataByteOrderMSB"] == "False"
    assert meta["PhaseLabels"] == "0=pore 1=fibre 2=binder"
    assert list(meta)[-1] == "ElementDataFile"


def test_vtk_reads_vti_xdmf_and_metaimage(source, volume, tmp_path):
    vtk = pytest.importorskip("vtk")
    from vtk.util.numpy_support import vtk_to_numpy

    nz, ny, nx = SHAPE
    paths = {
        name: export.export_volume(source, tmp_path / f"s.{name}", file_format=name).paths
        for name in ("vti", "xdmf", "raw")
    }
    readers = [
        (vtk.vtkXMLImageDataReader(), paths["vti"][0], "cell"),
        (vtk.vtkXdmfReader(), paths["xdmf"][0], "cell"),
        (vtk.vtkMetaImageReader(), paths["raw"][1], "point"),
    ]
    for reader, path, centring in readers:
        reader.SetFileName(str(path))
        reader.Update()
        image = reader.GetOutputDataObject(0)
        if centring == "cell":
            assert image.GetDimensions() == (nx + 1, ny + 1, nz + 1), path
            assert image.GetSpacing() == (H, H, H) and image.GetOrigin() == (0, 0, 0)
            array = image.GetCellData().GetArray("phase")
        else:  # MetaImage: points at voxel centres, lengths in mm
            assert image.GetDimensions() == (nx, ny, nz)
            assert image.GetSpacing() == pytest.approx((H / 1000,) * 3)
            assert image.GetOrigin() == pytest.approx((H / 2000,) * 3)
            array = image.GetPointData().GetScalars()
        assert np.array_equal(vtk_to_numpy(array).reshape(SHAPE), volume), path
    field = vtk.vtkXMLImageDataReader()
    field.SetFileName(str(paths["vti"][0]))
    field.Update()
    names = field.GetOutput().GetFieldData().GetAbstractArray("phase_names")
    assert [names.GetValue(i) for i in range(names.GetNumberOfValues())] == list(NAMES.values())


def _cli(args, cwd):
    # In this process, from the folder cwd (tests/cli_runner.py).
    return generator_cli("export", *args, cwd=cwd)


def test_cli_from_another_folder_exports_a_dataset_sample(dataset_file, volume, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _cli(["../data/d.h5", "--format", "xdmf", "--sample", "0"], elsewhere)
    assert done.returncode == 0, done.stderr
    xdmf = tmp_path / "data" / "d_sample0.xdmf"  # beside the dataset, not in the cwd
    item = ET.parse(xdmf).getroot().find("Domain/Grid/Attribute/DataItem")
    file_part, dataset = item.text.strip().rsplit(":", 1)
    # The sample file itself (the dataset's link followed), relative to the .xdmf.
    assert file_part == f"d_samples/{SAMPLE_ID}.h5" and dataset == "/volume"
    with h5py.File(xdmf.parent / file_part, "r") as f:
        assert np.array_equal(f[dataset][()], volume)
    done = _cli(["../data/d.h5", "--format", "tiff", "--sample", "0", "--out", "x.tif"], elsewhere)
    assert done.returncode == 0, done.stderr
    assert np.array_equal(tifffile.imread(elsewhere / "x.tif"), volume)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["x.tif"]  # no temporary left


def test_cli_hostile_inputs(sample_file, dataset_file, tmp_path):
    cwd = tmp_path
    line = one_line_error(_cli([str(sample_file), "--format", "png"], cwd))
    assert "'png'" in line and "tiff, vti, xdmf, raw" in line
    line = one_line_error(_cli([str(dataset_file), "--format", "raw", "--sample", "5"], cwd))
    assert "--sample 5 is out of range" in line and "0-1" in line
    line = one_line_error(_cli([str(dataset_file), "--format", "raw", "--sample", "1"], cwd))
    assert "sample 1" in line and "no volume" in line and "failed" in line
    unrelated = tmp_path / "notes.vti"
    unrelated.write_text("keep me")
    line = one_line_error(_cli([str(sample_file), "--format", "vti", "--out", str(unrelated)], cwd))
    assert "exists" in line and "--force" in line
    assert unrelated.read_text() == "keep me"
    # Not even --force lets an XDMF file replace the sample it points into.
    before = sample_file.read_bytes()
    args = [str(sample_file), "--format", "xdmf", "--out", str(sample_file), "--force"]
    line = one_line_error(_cli(args, cwd))
    assert "is the file being exported" in line
    assert sample_file.read_bytes() == before
    # raw writes three files: one existing header stops it before anything is written.
    (tmp_path / "r.mhd").write_text("keep me")
    line = one_line_error(_cli([str(sample_file), "--format", "raw", "--out", "r.raw"], cwd))
    assert "r.mhd exists" in line and not (tmp_path / "r.raw").exists()


def test_library_errors_name_what_was_given_and_expected(
    sample_file, dataset_file, volume, tmp_path
):
    with pytest.raises(export.ExportError, match=r"sweep dataset of 2 samples.*sample=I.*: 0\)"):
        export.open_volume(dataset_file)
    with pytest.raises(export.ExportError, match="applies to sweep datasets"):
        export.open_volume(sample_file, sample=0)
    bare = tmp_path / "bare.h5"
    _sample(volume).to_hdf5(bare, keep_volume=False)
    with pytest.raises(export.ExportError, match="stores no volume"):
        export.open_volume(bare)
    table_only = write_dataset(tmp_path / "t.h5", [{"index": 0, "id": "a", "status": "ok"}], {})
    with pytest.raises(export.ExportError, match="without volumes"):
        export.open_volume(table_only, sample=0)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["volume"] = volume
    with pytest.raises(export.ExportError, match="neither a sample file nor a sweep dataset"):
        export.open_volume(foreign)
    with pytest.raises(FileNotFoundError, match="no sample or dataset file"):
        export.open_volume(tmp_path / "missing.h5")
    source = export.open_volume(sample_file)
    with pytest.raises(export.ExportError, match="is a directory"):
        export.export_volume(source, tmp_path, file_format="tiff")
    with pytest.raises(export.ExportError, match="headers overwrite"):
        export.export_volume(source, tmp_path / "x.mhd", file_format="raw")
    (tmp_path / "data" / "d_samples" / f"{SAMPLE_ID}.h5").unlink()
    with pytest.raises(export.ExportError, match="which is missing"):
        export.open_volume(dataset_file, sample=0)
