"""Environment fingerprint and its diff (the evidence of monitor.1).

A :class:`Fingerprint` records what a model's behaviour depends on besides its
code: the installed distributions and their versions (``importlib.metadata``),
the Python version and implementation, the platform, and the sha256 of the
lockfiles at the project root (``uv.lock``, ``poetry.lock``, ``pdm.lock``,
``Pipfile.lock``, ``pylock*.toml``, ``requirements*.txt``), and what a GPU team
depends on: torch's CUDA and cuDNN versions, the NVIDIA driver and the device
names (:func:`accelerator_info`; empty where torch is not installed). :func:`diff`
lists what changed between two fingerprints, each package change with its
level (major/minor/patch by PEP 440 release segments; in
:mod:`mltestscore.environment_diff`, re-exported here). :func:`lockfile_pins`
reads the versions the lockfiles pin, for the ``fail_on = "unlocked"`` policy.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mltestscore.environment_diff import (
    LEVEL_RANK,
    Change,
    ChangeKind,
    EnvironmentDiff,
    Level,
    diff,
    version_change,
)

__all__ = [
    "LEVEL_RANK",
    "LOCKFILE_PATTERNS",
    "Change",
    "ChangeKind",
    "EnvironmentDiff",
    "Fingerprint",
    "Level",
    "accelerator_info",
    "diff",
    "fingerprint",
    "installed_distributions",
    "lockfile_hashes",
    "lockfile_pins",
    "normalize_name",
    "version_change",
]

LOCKFILE_PATTERNS: tuple[str, ...] = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "pylock*.toml",
    "requirements*.txt",
)


def normalize_name(name: str) -> str:
    """PEP 503 normalized distribution name (``Foo_Bar.baz`` → ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Fingerprint:
    """What the environment was: JSON-able via :meth:`to_dict` / :meth:`from_dict`."""

    python: str
    implementation: str
    system: str  # platform.system(): Linux, Darwin, Windows
    machine: str
    platform: str = ""  # the full platform string, for information (kernel updates are not diffed)
    distributions: Mapping[str, str] = field(default_factory=dict)
    lockfiles: Mapping[str, str] = field(default_factory=dict)
    # torch_cuda, cudnn, driver, devices (comma-joined names); absent keys were not known.
    accelerator: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["distributions"] = dict(sorted(self.distributions.items()))
        data["lockfiles"] = dict(sorted(self.lockfiles.items()))
        data["accelerator"] = dict(sorted(self.accelerator.items()))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "fingerprint") -> Fingerprint:
        """Read a stored fingerprint; :class:`ValueError` names ``where`` and the bad key."""
        try:
            dists = data["distributions"]
            locks = data.get("lockfiles", {})
            accel = data.get("accelerator") or {}
            if not all(isinstance(m, Mapping) for m in (dists, locks, accel)):
                raise TypeError("'distributions', 'lockfiles' and 'accelerator' must be objects")
            return cls(
                python=str(data["python"]),
                implementation=str(data.get("implementation", "")),
                system=str(data.get("system", "")),
                machine=str(data.get("machine", "")),
                platform=str(data.get("platform", "")),
                distributions={str(k): str(v) for k, v in dists.items()},
                lockfiles={str(k): str(v) for k, v in locks.items()},
                accelerator={str(k): str(v) for k, v in accel.items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"{where} is not an environment fingerprint ({type(exc).__name__}: {exc}); "
                "expected keys python, distributions (name → version), lockfiles"
            ) from exc


def installed_distributions() -> dict[str, str]:
    """Normalized name → version of every installed distribution (first on sys.path wins)."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        found.setdefault(normalize_name(str(name)), str(dist.version))
    return found


def lockfile_hashes(root: Path) -> dict[str, str]:
    """sha256 of each lockfile directly under ``root`` (file name → hex digest)."""
    hashes: dict[str, str] = {}
    root = Path(root)
    for pattern in LOCKFILE_PATTERNS:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _nvidia_driver() -> str | None:
    """The NVIDIA driver version from ``nvidia-smi`` (``None`` without one, or on error)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    versions = sorted({line.strip() for line in out.splitlines() if line.strip()})
    return ",".join(versions) or None


def accelerator_info() -> dict[str, str]:
    """torch's CUDA/cuDNN build, the NVIDIA driver and device names ({} without torch).

    Read only from a torch the run has already imported (a project that uses torch
    has, by the time its checks run): the fingerprint never pays torch's import
    time itself. CUDA is queried only when torch says it is available, so a CPU run
    creates no context. Keys missing on either side are not compared.
    """
    info: dict[str, str] = {}
    torch: Any = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "cuda"):
        return info

    info["torch_cuda"] = str(torch.version.cuda or "none")  # the CUDA torch was built with
    if torch.cuda.is_available():
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        info["cudnn"] = str(cudnn or "none")
        info["devices"] = ", ".join(
            torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())
        )
        driver = _nvidia_driver()
        if driver:
            info["driver"] = driver
    else:
        info["devices"] = "none"
    return info


def fingerprint(root: Path | None = None, *, accelerator: bool = True) -> Fingerprint:
    """The current environment; lockfiles are looked for in ``root`` (default: cwd)."""
    return Fingerprint(
        python=platform.python_version(),
        implementation=sys.implementation.name,
        system=platform.system(),
        machine=platform.machine(),
        platform=platform.platform(),
        distributions=installed_distributions(),
        lockfiles=lockfile_hashes(Path.cwd() if root is None else root),
        accelerator=accelerator_info() if accelerator else {},
    )


_REQUIREMENT_PIN = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;#\\]+)"
)


def lockfile_pins(root: Path) -> dict[str, set[str]]:
    """Normalized name → the versions the lockfiles under ``root`` pin.

    Reads ``requirements*.txt`` (``name==version`` lines), ``uv.lock``,
    ``poetry.lock``, ``pdm.lock`` and ``pylock*.toml`` (``[[package]]`` /
    ``[[packages]]`` tables with ``name`` and ``version``) and ``Pipfile.lock``
    (JSON, ``"version": "==x"``). A file that does not parse pins nothing; the
    lockfile hash in the fingerprint still reports that it changed.
    """
    import tomllib

    pins: dict[str, set[str]] = {}

    def add(name: object, version: object) -> None:
        if isinstance(name, str) and isinstance(version, str) and version:
            pins.setdefault(normalize_name(name), set()).add(version.lstrip("="))

    root = Path(root)
    for path in sorted(root.glob("requirements*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _REQUIREMENT_PIN.match(line)
            if match:
                add(match.group(1), match.group(2))
    for pattern in ("uv.lock", "poetry.lock", "pdm.lock", "pylock*.toml"):
        for path in sorted(root.glob(pattern)):
            try:
                document = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            for key in ("package", "packages"):
                for entry in document.get(key, []) or []:
                    if isinstance(entry, Mapping):
                        add(entry.get("name"), entry.get("version"))
    for path in sorted(root.glob("Pipfile.lock")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for group in ("default", "develop"):
            for name, entry in (document.get(group) or {}).items():
                if isinstance(entry, Mapping):
                    add(name, entry.get("version"))
    return pins
