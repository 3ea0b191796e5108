"""A sweep never destroys files it did not make, never trusts a damaged or stale sample, and its
cluster refuses strangers. Real files, a real local Dask cluster; the commands run in this
process (tests/cli_runner.py)."""

import json
import multiprocessing
import os
import shutil
import ssl
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from generator import open_dataset, read_sample
from generator.sweep.ownership import OwnershipError, check_writable
from generator.sweep.plan import SweepPlan
from generator.sweep.sample_task import ROW_ATTRIBUTE
from tests.cli_runner import generator_cli as cli
from tests.cli_runner import invoke
from tests.conftest import one_line_error
from tests.generator.sweep.test_sweep import TINY, sample_values, sweep_here
from workflows import gdl_study

ROOT = Path(__file__).resolve().parents[2]


# A 2-sample sweep of the small domain at 6 um (the finest fibre is 6 um across), typed.
TINY_SWEEP = dict(domain=200, n=2, voxel_um=6)


def in_process(out, n=3, force=False, **options):
    return sweep_here(n=n, out=out, force=force, **{**TINY, **options})


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 3-sample sweep with volumes (in this process: fast and deterministic)."""
    out = tmp_path_factory.mktemp("finished") / "d.h5"
    summary = in_process(out)
    assert summary.ran == 3 and not summary.failed
    return out


def copy_sweep(source: Path, folder: Path) -> Path:
    shutil.copytree(source.with_name("d_samples"), folder / "d_samples")
    shutil.copy(source, folder / "d.h5")
    return folder / "d.h5"


# Range options: each one through the CLI, the dry run printing the range it will use.
RANGE_FLAGS = [
    ("--fiber-diameter-range", "7,8", "fiber_diameter_um: 7 .. 8"),
    ("--fiber-fraction-range", "0.12,0.2", "fiber_fraction: 0.12 .. 0.2"),
    ("--binder-fraction-range", "0.06,0.08", "binder_fraction: 0.06 .. 0.08"),
    ("--thickness-range", "290,310", "thickness_um: 290 .. 310"),
    ("--compression-range", "0,0.5", "compression: 0 .. 0.5"),
]


@pytest.mark.parametrize(("flag", "value", "shown"), RANGE_FLAGS)
def test_each_range_option_reaches_the_design(tmp_path, flag, value, shown):
    done = cli("sweep", "--domain", "200", "--n", "6", "--dry-run", flag, value, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"range {shown}" in done.stdout
    low, high = (float(v) for v in value.split(","))
    name = shown.split(":")[0]
    values = [
        float(part.split("=")[1].rstrip(","))
        for line in done.stdout.splitlines()
        if line.startswith("would run")
        for part in line.split()
        if part.startswith(f"{name}=")
    ]
    assert len(values) == 6 and all(low <= v <= high for v in values)
    assert not list(tmp_path.iterdir())  # a dry run writes nothing


def test_merge_and_study_take_the_range_options(tmp_path):
    done = cli(
        "merge", domain=200, n=2, thickness_range="290,310", out=tmp_path / "m.h5", voxel_um=6
    )
    assert done.returncode == 1 and "missing samples (design index): 0, 1" in done.stderr
    ranges = open_dataset(tmp_path / "m.h5").provenance["ranges"]
    assert ranges["thickness_um"] == [290.0, 310.0]
    bad = cli("merge", compression_range="0,0.9", out=tmp_path / "x.h5")
    assert "compression" in one_line_error(bad) and "0.5" in bad.stderr
    study = invoke(gdl_study.app, ["--thickness-range", "1,2"], cwd=tmp_path)
    assert study.returncode == 2 and "thickness_um" in study.stderr
    assert not list(tmp_path.glob("study"))  # refused before any work


# Ownership.
def test_an_unrelated_output_file_is_never_touched(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"my thesis\n")
    for extra in ([], ["--force"]):
        done = cli("sweep", *extra, **TINY_SWEEP, out=precious)
        assert "not a dataset of this project" in one_line_error(done)
    assert precious.read_bytes() == b"my thesis\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink"])
def test_special_files_are_refused_before_any_work(tmp_path, kind):
    target = tmp_path / "out.h5"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        (tmp_path / "real").write_text("x")
        target.symlink_to(tmp_path / "real")
    done = cli("sweep", **TINY_SWEEP, out=target, force=True)
    assert {"fifo": "a FIFO", "directory": "a directory", "symlink": "a symbolic link"}[
        kind
    ] in one_line_error(done)
    assert not (tmp_path / "out_samples").exists()


def test_force_removes_only_this_projects_files(finished, tmp_path):
    out = copy_sweep(finished, tmp_path)
    folder = tmp_path / "d_samples"
    foreign = {"notes.txt": b"keep me", "0123456789abcdef.h5": None, "image.h5": None}
    (folder / "notes.txt").write_bytes(b"keep me")
    for name in ("0123456789abcdef.h5", "image.h5"):  # HDF5 of another tool, one with our name
        with h5py.File(folder / name, "w") as f:
            f["data"] = np.arange(5)
    before = {name: (folder / name).read_bytes() for name in foreign}
    summary = in_process(out, force=True)
    assert summary.ran == 3 and summary.skipped == 0
    for name, content in before.items():
        assert (folder / name).read_bytes() == content
    pd.testing.assert_frame_equal(
        sample_values(open_dataset(out).table), sample_values(open_dataset(finished).table)
    )


def test_force_with_a_shard_is_refused(tmp_path):
    done = cli("sweep", domain=200, n=4, voxel_um=6, out=tmp_path / "d.h5", shard="1/2", force=True)
    assert "other shards" in one_line_error(done)


def test_another_plans_dataset_needs_force(finished, tmp_path):
    out = copy_sweep(finished, tmp_path)
    before = out.read_bytes()
    with pytest.raises(OwnershipError, match=r"another plan \(n 3 \(file\) vs 4"):
        in_process(out, n=4)
    assert out.read_bytes() == before
    # A dry run refuses what the run refuses, and reads only.
    done = cli("sweep", domain=200, n=3, voxel_um=6, seed=4, out=out, dry_run=True)
    assert "a dataset of another plan" in one_line_error(done)
    done = cli("sweep", domain=200, n=3, voxel_um=6, seed=4, out=out, dry_run=True, force=True)
    assert done.returncode == 0 and "3 to run" in done.stdout
    assert out.read_bytes() == before


def test_shipped_datasets_are_never_rewritten_by_default(tmp_path):
    data = ROOT / "data"
    shipped = data / "gdl200.h5"
    before = shipped.read_bytes()
    # The default --out, run from the shipped data folder, is the shipped file: refused.
    done = cli("sweep", **TINY_SWEEP, cwd=data)
    assert "shipped reference dataset" in one_line_error(done)
    # Named explicitly but without --force: refused too.
    done = cli("sweep", **TINY_SWEEP, out=shipped)
    assert "shipped reference dataset" in one_line_error(done)
    assert shipped.read_bytes() == before
    assert not (data / "gdl200_samples").exists()


# Verified resume.
def flip_bytes_inside_the_volume(path: Path, count: int = 64) -> None:
    with h5py.File(path, "r") as f:
        info = f["volume"].id.get_chunk_info(0)
    with open(path, "r+b") as handle:
        handle.seek(info.byte_offset + info.size // 2)
        data = bytearray(handle.read(count))
        handle.seek(info.byte_offset + info.size // 2)
        handle.write(bytes(b ^ 0xFF for b in data))


def test_flipped_bytes_are_found_and_the_sample_redone(finished, tmp_path, capsys):
    out = copy_sweep(finished, tmp_path)
    damaged = sorted((tmp_path / "d_samples").glob("*.h5"))[1]
    flip_bytes_inside_the_volume(damaged)
    summary = in_process(out)
    assert summary.skipped == 2 and summary.ran == 1
    assert "checksum" in summary.redone[0][1]
    assert "redoing sample" in capsys.readouterr().err
    data = open_dataset(out)
    pd.testing.assert_frame_equal(
        sample_values(data.table), sample_values(open_dataset(finished).table)
    )
    for position in range(3):
        assert np.array_equal(data.volume(position), open_dataset(finished).volume(position))


def test_a_row_that_contradicts_its_task_is_redone(finished, tmp_path):
    out = copy_sweep(finished, tmp_path)
    files = sorted((tmp_path / "d_samples").glob("*.h5"))
    edits = [
        lambda row: row.update(tau_euclidean=0.5),
        lambda row: row.update(compression=0.49),
        lambda row: row.update(surprise=1),
    ]
    for path, edit in zip(files, edits, strict=True):
        # An edit that also fixes the checksum: only the row check can catch it.
        from generator._shared.hdf5 import CHECKSUM_ATTRIBUTE, content_digest

        with h5py.File(path, "r+") as f:
            row = json.loads(f.attrs[ROW_ATTRIBUTE])
            edit(row)
            f.attrs[ROW_ATTRIBUTE] = json.dumps(row)
            f.attrs[CHECKSUM_ATTRIBUTE] = content_digest(f)
    summary = in_process(out)
    assert summary.ran == 3
    reasons = " | ".join(reason for _, reason in summary.redone)
    assert "tau_euclidean=0.5" in reasons and "compression" in reasons and "surprise" in reasons
    pd.testing.assert_frame_equal(
        sample_values(open_dataset(out).table), sample_values(open_dataset(finished).table)
    )


def test_volumes_asked_for_after_a_no_volumes_run_are_made(tmp_path, finished):
    out = tmp_path / "d.h5"
    first = in_process(out, keep_volumes=False)
    assert first.ran == 3
    with pytest.raises(KeyError, match="no volume"):
        open_dataset(out).volume(0)
    again = in_process(out)
    assert again.ran == 3 and all("no volume" in reason for _, reason in again.redone)
    assert np.array_equal(open_dataset(out).volume(2), open_dataset(finished).volume(2))


def test_samples_of_other_code_are_never_mixed_in(finished, tmp_path, monkeypatch):
    import generator._shared.model_version as model_version

    out = copy_sweep(finished, tmp_path)
    old = model_version.model_version()
    monkeypatch.setattr(model_version, "model_version", lambda: "m-000000000000")
    with pytest.raises(OwnershipError) as caught:
        in_process(out)
    assert old in str(caught.value) and "m-000000000000" in str(caught.value)
    (tmp_path / "d.h5").unlink()  # even without the dataset, the sample files say it
    with pytest.raises(OwnershipError, match="sample files of another plan"):
        in_process(out)


# One sample format.
def test_a_sweep_sample_file_is_an_ordinary_sample_file(finished, tmp_path):
    path = sorted(finished.with_name("d_samples").glob("*.h5"))[0]
    sample = read_sample(path)
    assert sample.voxel_um == 6.0 and sample.volume.ndim == 3
    done = cli("tortuosity", str(path), "--metric", "lattice")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["voxel_um"] == [6.0, 6.0, 6.0]
    assert result["length_um"] == pytest.approx(6.0 * (sample.volume.shape[0] - 1))
    shown = cli("show", str(path), "--out", str(tmp_path / "s.png"))
    assert shown.returncode == 0 and (tmp_path / "s.png").stat().st_size > 10_000


# Guards.
def test_workers_below_one_is_a_bad_input(tmp_path):
    for value in ("0", "-1"):
        done = cli("sweep", **TINY_SWEEP, out=tmp_path / "d.h5", workers=value)
        assert "--workers" in one_line_error(done)


def test_merge_lists_missing_samples_and_the_shards_to_rerun(finished, tmp_path):
    out = copy_sweep(finished, tmp_path)
    out.unlink()
    sorted((tmp_path / "d_samples").glob("*.h5"))[0].unlink()
    done = cli("merge", domain=200, n=3, voxel_um=6, seed=3, out=out, shards=3)
    assert done.returncode == 1
    table = open_dataset(out).table
    missing = table.loc[table["status"] != "ok", "index"].tolist()
    assert len(missing) == 1
    assert f"missing samples (design index): {missing[0]}" in done.stderr
    assert f"sbatch --array={missing[0] + 1} " in done.stderr


def _probe_many(folder, barrier, rounds, failures):
    for _ in range(rounds):
        barrier.wait()
        try:
            check_writable(Path(folder), todo=1, voxels=1, keep_volumes=False)
        except OSError:
            with failures.get_lock():
                failures.value += 1


def test_writability_probes_never_race(tmp_path):
    """8 processes probing the same folder at the same instant, 20 times: no failure (the old
    shared probe file failed about 9 % of such checks)."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(8)
    failures = context.Value("i", 0)
    processes = [
        context.Process(target=_probe_many, args=(str(tmp_path), barrier, 20, failures))
        for _ in range(8)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert all(p.exitcode == 0 for p in processes) and failures.value == 0
    assert not list(tmp_path.iterdir())


def test_shards_may_be_numbered_from_zero(tmp_path):
    out = tmp_path / "d.h5"
    for index in (0, 1):
        done = cli("sweep", **TINY_SWEEP, seed=3, out=out, shard=f"{index}/2", shard_base=0)
        assert done.returncode == 0, done.stderr
    bad = cli("sweep", domain=200, n=2, out=out, shard="2/2", shard_base=0)
    assert "0 <= I <= 1" in one_line_error(bad)
    merged = cli("merge", **TINY_SWEEP, seed=3, out=out)
    assert merged.returncode == 0, merged.stderr
    assert (open_dataset(out).table["status"] == "ok").all()


# A cluster only its owner can use.
def test_the_local_cluster_refuses_clients_without_its_certificate():
    from distributed import Client
    from distributed.security import Security

    from generator.sweep.clusters import local_client

    with local_client(1, 1) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(pow, 2, 10).result() == 1024  # the owner can
        from distributed.comm.core import CommClosedError

        refused = (CommClosedError, OSError, TimeoutError)
        with pytest.raises(refused):  # another certificate authority
            Client(address, security=Security.temporary(), timeout="5s")
        with pytest.raises(refused):  # plain TCP
            Client(address.replace("tls://", "tcp://"), timeout="5s")
        # A TLS client with no certificate at all: the handshake is refused by the server.
        host, port = address.removeprefix("tls://").rsplit(":", 1)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        import socket

        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                with context.wrap_socket(raw) as tls:
                    tls.sendall(b"\x00" * 8)
                    if not tls.recv(1):
                        raise ConnectionError("closed by the scheduler")


def test_the_batch_cluster_scheduler_refuses_clients_without_its_certificate(tmp_path):
    """The dask-jobqueue scheduler listens beyond loopback (compute nodes must reach it), so
    TLS with this run's certificate is what keeps other hosts out. No job is submitted."""
    from distributed import Client
    from distributed.comm.core import CommClosedError
    from distributed.security import Security

    from generator.sweep.clusters import close_cluster, jobqueue_cluster

    cluster = jobqueue_cluster(
        "slurm", {"cores": 1, "memory": "1GB"}, threads=1, tls_folder=tmp_path / "tls"
    )
    try:
        address = cluster.scheduler_address
        assert address.startswith("tls://")
        assert oct((tmp_path / "tls").stat().st_mode & 0o777) == "0o700"
        with Client(cluster) as owner:  # the owner's client carries the certificate
            assert owner.scheduler_info()["type"] == "Scheduler"
        refused = (CommClosedError, OSError, TimeoutError)
        with pytest.raises(refused):
            Client(address, security=Security.temporary(), timeout="5s")
        with pytest.raises(refused):
            Client(address.replace("tls://", "tcp://"), timeout="5s")
    finally:
        close_cluster(cluster)


def test_fibre_sampling_and_pairing_are_part_of_the_plan(finished, tmp_path):
    out = copy_sweep(finished, tmp_path)
    before = out.read_bytes()
    with pytest.raises(OwnershipError, match=r"stratify True \(file\) vs False"):
        in_process(out, stratify=False)
    with pytest.raises(OwnershipError, match=r"pairing 'independent' \(file\) vs 'paired'"):
        in_process(out, pairing="paired")
    assert out.read_bytes() == before
    done = cli(
        "sweep", **TINY_SWEEP, no_stratify=True, pairing="paired", dry_run=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "paired" in done.stdout and "fibres independent" in done.stdout
    assert "pairing 'sideways' is not one of independent, paired" in one_line_error(
        cli("sweep", **TINY_SWEEP, pairing="sideways", dry_run=True, cwd=tmp_path)
    )


def test_the_two_domains_draw_disjoint_designs_unless_paired():
    small, large = (SweepPlan.create(domain=d, n=40).design_table for d in ("200", "1000"))
    columns = ["fiber_diameter_um", "fiber_fraction", "binder_fraction"]
    assert not set(map(tuple, small[columns].to_numpy())) & set(
        map(tuple, large[columns].to_numpy())
    )
    assert not set(small["seed"]) & set(large["seed"])
    small, large = (
        SweepPlan.create(domain=d, n=40, pairing="paired").design_table for d in ("200", "1000")
    )
    np.testing.assert_array_equal(small[columns], large[columns])
    assert not set(small["seed"]) & set(large["seed"])
