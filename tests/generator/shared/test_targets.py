"""The output-target rule of generator._shared.targets, on its own: what is refused, what is
replaced, and the atomic write's last check before its rename."""

import os

import pytest

from generator._shared.targets import (
    TargetError,
    atomic_file,
    check_output_file,
    check_output_folder,
    path_kind,
)


def test_a_name_at_the_limit_is_written_and_its_temporary_name_fits(tmp_path):
    path = tmp_path / ("n" * 251 + ".h5")  # 254 bytes: the target fits, ".<name>.<hex>.tmp" not
    check_output_file(path)
    with atomic_file(path) as temporary:
        assert len(temporary.name.encode()) <= 255
        temporary.write_bytes(b"data")
    assert path.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_link_planted_during_the_write_is_left_alone(tmp_path):
    mine = tmp_path / "mine"
    mine.write_bytes(b"a user's file")
    path = tmp_path / "out.h5"
    with pytest.raises(TargetError, match="symbolic link"):
        with atomic_file(path) as temporary:
            temporary.write_bytes(b"data")
            path.symlink_to(mine)  # appears between the check and the rename
    assert path.is_symlink() and mine.read_bytes() == b"a user's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "out.h5"]  # no temporary


def test_file_and_folder_targets(tmp_path):
    existing = tmp_path / "f.h5"
    existing.write_bytes(b"x")
    assert check_output_file(existing, force=True) == existing
    with pytest.raises(FileExistsError, match="pass force=True"):
        check_output_file(existing)
    with pytest.raises(TargetError, match="is a directory; a file is expected"):
        check_output_file(tmp_path, force=True)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_output_file(tmp_path / "no" / "f.h5")
    with pytest.raises(TargetError, match="is a file; a folder is expected"):
        check_output_folder(existing)
    with pytest.raises(TargetError, match=r"f.h5 \(in output folder .*\) is a file"):
        check_output_folder(existing / "runs")
    assert check_output_folder(tmp_path / "new" / "runs") == tmp_path / "new" / "runs"
    linked = tmp_path / "linked"
    linked.symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(TargetError, match="a link is never written through"):
        check_output_folder(linked)
    check_output_folder(linked / "runs")  # a link above the target is an ordinary folder
    os.mkfifo(tmp_path / "fifo")
    assert path_kind(tmp_path / "fifo") == "a FIFO"
    with pytest.raises(TargetError, match="is a FIFO"):
        check_output_folder(tmp_path / "fifo" / "runs")
