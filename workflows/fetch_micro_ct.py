"""Fetch segmented micro-CT scans of real sandstones from the source archives of peer libraries.

    python -m workflows.fetch_micro_ct                       # Berea 200^3 -> scans/berea.npy
    python -m workflows.fetch_micro_ct bentheimer --out scans   # Bentheimer 500^3 (66 MB archive)

Two peers ship measured scans in their test data (in the source archives only, not the
wheels), so a package index is all this needs:

* ``berea``: OpenPNM 3.6.4's ``tests/fixtures/berea_100_to_300.npz``, the Imperial College
  Berea sandstone scan (400^3 at 5.345 um) cropped to ``[100:300]`` on each axis, 200^3,
  already segmented (pore fraction 0.199);
* ``bentheimer``: PoreSpy 3.2.0's ``test/fixtures/bentheimer.npz``, a 500^3 Bentheimer
  sandstone crop, segmented (pore fraction 0.200); its voxel size is not stated in the package.

Each is written as ``<name>.npy``, a boolean mask (True = pore, z first, as
``gdl-generator tortuosity MASK.npy`` reads it), beside ``<name>.json`` with where it came from
(package, member, its SHA-256, voxel size, material, licence). The archive's member is checked
against the SHA-256 recorded here before anything is written: another file under the same name
is refused. The scans belong to their authors (cite the sources named in the JSON); nothing of
them is copied into this repository.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from workflows._cli import bad_option, output_folder, run, workflow_app

app = workflow_app()

SCANS = {
    "berea": {
        "package": "openpnm==3.6.4",
        "archive": "openpnm-3.6.4.tar.gz",
        "member": "openpnm-3.6.4/tests/fixtures/berea_100_to_300.npz",
        "key": "im",
        "sha256": "0c55fa043b95724000f2c56d9d947409932ba72230413ed5d738410c86838d66",
        "shape": [200, 200, 200],
        "voxel_um": 5.345,
        "material": "Berea sandstone, Imperial College micro-CT scan (400^3 at 5.345 um), "
        "cropped to [100:300] on each axis",
        "licence": "OpenPNM is MIT-licensed; the scan is the Imperial College Pore-Scale "
        "Modelling group's (cite it)",
    },
    "bentheimer": {
        "package": "porespy==3.2.0",
        "archive": "porespy-3.2.0.tar.gz",
        "member": "porespy-3.2.0/test/fixtures/bentheimer.npz",
        "key": "arr_0",
        "sha256": "42571cf4c5a9fbd33c0bff7e876c12e801b3aa54ec111e82ffa5bf1fa53f66aa",
        "shape": [500, 500, 500],
        "voxel_um": None,
        "material": "Bentheimer sandstone, a 500^3 crop of a micro-CT scan (voxel size not "
        "stated in the package)",
        "licence": "PoreSpy is MIT-licensed; cite the scan's authors",
    },
}


def extract_scan(archive: Path, name: str) -> np.ndarray:
    """The scan ``name`` of :data:`SCANS` from its source ``archive`` (a ``.tar.gz``), checked.

    Returns
    -------
    ndarray of bool
        True at pore voxels.

    Raises
    ------
    ValueError
        The archive lacks the member, or the member's SHA-256, key or shape is not the one
        recorded (naming what was found).
    """
    scan = SCANS[name]
    try:
        with tarfile.open(archive, "r:gz") as tar:
            data = tar.extractfile(scan["member"]).read()
    except (KeyError, AttributeError):
        raise ValueError(f"{archive.name} holds no {scan['member']}") from None
    except (tarfile.TarError, OSError) as err:
        raise ValueError(f"{archive.name} is not a readable .tar.gz archive ({err})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != scan["sha256"]:
        raise ValueError(
            f"{scan['member']} in {archive.name} has SHA-256 {digest}, not the {scan['sha256']} "
            "recorded: another file under the same name, refused"
        )
    with np.load(io.BytesIO(data)) as arrays:
        if scan["key"] not in arrays:
            raise ValueError(f"{scan['member']}: no array {scan['key']!r} (has {list(arrays)})")
        pore = arrays[scan["key"]]
    if pore.dtype != np.bool_ or list(pore.shape) != scan["shape"]:
        raise ValueError(
            f"{scan['member']}: expected a boolean {scan['shape']} mask, got {pore.dtype} "
            f"{list(pore.shape)}"
        )
    return pore


def download_archive(name: str, folder: Path) -> Path:
    """The source archive of the scan's package, downloaded into ``folder`` by pip."""
    scan = SCANS[name]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "--quiet", "-d", str(folder), scan["package"]],
        capture_output=True, text=True,
    )  # fmt: skip
    archive = folder / scan["archive"]
    if done.returncode or not archive.exists():
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"pip could not download {scan['package']}'s source archive: {last}")
    return archive


@app.command()
def fetch_micro_ct(
    names: Annotated[
        list[str] | None, typer.Argument(help=f"Scans: {', '.join(SCANS)} (default berea).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder the scans are written to.")] = Path("scans"),
    archive: Annotated[
        Path | None,
        typer.Option(help="A source archive already downloaded (one scan), instead of pip."),
    ] = None,
) -> None:
    """Fetch segmented sandstone scans (True = pore) with their provenance."""
    names = names or ["berea"]
    unknown = [name for name in names if name not in SCANS]
    if unknown:
        raise bad_option(ValueError(f"{unknown[0]!r} is not one of {', '.join(SCANS)}"), "NAMES")
    if archive is not None and len(names) != 1:
        raise bad_option(ValueError("--archive holds one scan: name exactly one"), "'--archive'")
    output_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        with tempfile.TemporaryDirectory() as scratch:
            source = archive or download_archive(name, Path(scratch))
            try:
                pore = extract_scan(source, name)
            except ValueError as err:
                raise bad_option(err, "'--archive'" if archive else None) from None
        np.save(out / f"{name}.npy", pore)
        record = {k: v for k, v in SCANS[name].items() if k != "archive"}
        record |= {"file": f"{name}.npy", "pore": "True", "pore_fraction": float(pore.mean())}
        (out / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
        print(f"{out / (name + '.npy')}: {' x '.join(map(str, pore.shape))}, pore fraction "
              f"{pore.mean():.4f}, {SCANS[name]['material']}")  # fmt: skip


def main(argv=None) -> None:
    run(app, "workflows.fetch_micro_ct", argv)


if __name__ == "__main__":
    main()
