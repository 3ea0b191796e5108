"""The active loop's folder and settings: what decides its choices (a resume must have the
same), the JSON-lines log every step is appended to, the pretrained net and the last ensemble."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

LOG_NAME = "log.jsonl"
SETTINGS_NAME = "settings.json"
STATE_SCHEMA = "surrogate-active/1"


@dataclass(frozen=True)
class ActiveSettings:
    """What decides the loop's choices (a resumed loop must have the same), plus its limits.

    ``budget`` and ``target_mape`` may change on a resume (to go on further or stop sooner).
    ``source_target`` is the source's column the net is pretrained on (empty: ``target``), a
    cheap one; the loop simulates and learns ``target``.
    """

    source: str
    domain: str
    pool: int
    initial: int
    batch: int
    budget: int
    holdout: int = 0
    target: str = "tortuosity"
    target_mape: float | None = None
    members: int = 10
    level: float = 0.9
    epochs: int = 250
    seed: int = 0
    voxel_um: float = 1.0
    source_target: str = ""

    @property
    def properties(self) -> tuple[str, ...]:
        """The sweep properties a simulation of the loop measures: only the one that gives
        ``target`` (a diffusive target is not charged the geodesic solve, nor the reverse)."""
        from surrogate._shared import GDL_DIFFUSIVE_TARGETS

        return ("diffusive",) if self.target in GDL_DIFFUSIVE_TARGETS else ("geodesic",)

    def check(self) -> None:
        """Refuse settings the loop cannot honour, naming the value and what is expected.

        Raises
        ------
        ValueError
            Naming the setting as ``name=value``.
        """
        from generator.structure.parameters import DOMAIN_PRESETS
        from surrogate._shared import GDL_TARGET_NAMES, or_list

        if str(self.domain) not in DOMAIN_PRESETS:
            raise ValueError(f"domain={self.domain!r} must be {or_list(DOMAIN_PRESETS)}")
        if self.target not in GDL_TARGET_NAMES:
            raise ValueError(f"target={self.target!r} must be {or_list(GDL_TARGET_NAMES)}")
        if self.source_target and self.source_target not in GDL_TARGET_NAMES:
            raise ValueError(
                f"source_target={self.source_target!r} must be {or_list(GDL_TARGET_NAMES)}"
            )
        if self.initial < 4:
            raise ValueError(f"initial={self.initial}: the first fit needs at least 4 samples")
        if self.batch < 1:
            raise ValueError(f"batch={self.batch} must be at least 1")
        if self.holdout < 0 or 0 < self.holdout < 3:
            raise ValueError(f"holdout={self.holdout}: 0 (none) or at least 3 samples")
        if self.budget < self.initial + self.holdout:
            raise ValueError(
                f"budget={self.budget} is below initial={self.initial}"
                + (f" + holdout={self.holdout}" if self.holdout else "")
            )
        if self.pool < self.budget:
            raise ValueError(f"pool={self.pool} must hold at least budget={self.budget}")
        from generator.sweep import MAX_SAMPLES

        if self.pool > MAX_SAMPLES:
            raise ValueError(f"pool={self.pool} is more than the {MAX_SAMPLES} a plan may hold")
        if self.members < 2:
            raise ValueError(f"members={self.members}: an ensemble needs at least 2")
        if self.target_mape is not None and not self.target_mape > 0:
            raise ValueError(f"target_mape={self.target_mape} must be a positive percentage")

    def choices(self) -> dict:
        """The settings that must match between a loop and its resume."""
        fixed = asdict(self)
        for free in ("budget", "target_mape"):
            fixed.pop(free)
        if not fixed["source_target"]:
            # As loops made before the setting existed recorded it: absent, the target.
            fixed.pop("source_target")
        return fixed


class ActiveState:
    """The loop's folder: its settings, the JSON-lines log, the pretrained net, the last
    ensemble (a folder ``surrogate predict`` takes)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.log_path = self.folder / LOG_NAME

    def open(self, settings: ActiveSettings) -> None:
        """Create the folder, or check that the one there is this loop's (same choices)."""
        path = self.folder / SETTINGS_NAME
        if path.exists():
            try:
                stored = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                raise ValueError(f"{path} is not an active-learning state file: {err}") from None
            if stored.get("schema") != STATE_SCHEMA:
                raise ValueError(f"{path} is not an active-learning state file of this project")
            if stored["choices"] != settings.choices():
                different = {
                    k: (stored["choices"].get(k), v)
                    for k, v in settings.choices().items()
                    if stored["choices"].get(k) != v
                }
                raise ValueError(
                    f"{self.folder} holds a loop with other settings ({different}, as "
                    "(stored, given)): give the same settings to resume, or another out="
                )
            return
        if self.folder.exists() and any(self.folder.iterdir()):
            raise ValueError(f"{self.folder} exists and is not an active-learning state folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"schema": STATE_SCHEMA, "choices": settings.choices()}))

    def events(self) -> list[dict]:
        """Every logged event; a line cut short by a kill is dropped."""
        if not self.log_path.exists():
            return []
        events = []
        for line in self.log_path.read_text().splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def append(self, event: dict) -> None:
        """One event as a line of the log, on disk before this returns."""
        with open(self.log_path, "a") as handle:
            handle.write(json.dumps(event) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
