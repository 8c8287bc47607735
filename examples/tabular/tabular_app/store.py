"""A versioned model store on disk: ``<root>/<name>/<version>/model.json`` + ``meta.json``.

Models are saved as plain JSON (:meth:`RiskModel.to_dict`), so loading never
unpickles anything. ``promote`` marks the serving version
(``<root>/<name>/serving``); ``list`` gives every version with its creation time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabular_app.model import RiskModel

MODEL_NAME = "risk_model"  # the name the triage model is stored under


@dataclass(frozen=True)
class VersionInfo:
    version: int
    created_at: str  # ISO-8601, UTC
    metrics: dict[str, float]
    path: Path
    serving: bool


class ModelStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def _versions(self, name: str) -> list[int]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())

    def save(
        self,
        model: RiskModel,
        name: str,
        *,
        created_at: dt.datetime,
        metrics: dict[str, float] | None = None,
    ) -> int:
        """Store ``model`` as the next version of ``name``; returns the version number."""
        if created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware (use UTC)")
        version = (self._versions(name) or [0])[-1] + 1
        folder = self.root / name / str(version)
        folder.mkdir(parents=True)
        (folder / "model.json").write_text(json.dumps(model.to_dict()), encoding="utf-8")
        meta = {"version": version, "created_at": created_at.isoformat(),
                "metrics": dict(metrics or {})}  # fmt: skip
        (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return version

    def list(self, name: str) -> list[VersionInfo]:
        serving = self.serving_version(name)
        out = []
        for version in self._versions(name):
            folder = self.root / name / str(version)
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            out.append(VersionInfo(version, meta["created_at"], meta["metrics"], folder,
                                   version == serving))  # fmt: skip
        return out

    def load(self, name: str, version: int | None = None) -> tuple[RiskModel, dict[str, Any]]:
        """(model, metadata) of ``version`` (default: the serving one, else the newest)."""
        versions = self._versions(name)
        if not versions:
            raise LookupError(f"model store {self.root} has no versions of {name!r}")
        chosen = version if version is not None else (self.serving_version(name) or versions[-1])
        if chosen not in versions:
            raise LookupError(f"{name!r} has no version {chosen}; versions: {versions}")
        folder = self.root / name / str(chosen)
        try:
            document = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read {folder / 'model.json'}: {exc}") from exc
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return RiskModel.from_dict(document), meta

    def promote(self, name: str, version: int) -> None:
        if version not in self._versions(name):
            raise LookupError(f"{name!r} has no version {version}")
        (self.root / name / "serving").write_text(str(version), encoding="utf-8")

    def serving_version(self, name: str) -> int | None:
        marker = self.root / name / "serving"
        return int(marker.read_text(encoding="utf-8")) if marker.is_file() else None
