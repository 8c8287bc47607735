"""Safe checkpoints: one safetensors file holding the weights and JSON metadata.

No pickle anywhere: weights are safetensors, the config and metrics are JSON in the
safetensors header (key ``"mltestscore"``), and a SHA-256 of the weights catches bit
rot that the safetensors format itself would not. Writes are atomic (temp file, fsync,
``os.replace``). Every failure to read becomes a :class:`CheckpointError` naming the file.

The metadata is validated before anything is built from it: every config value must have
its field's type, sizes are bounded (:data:`LIMITS`), and the model the config describes is
first built on torch's ``meta`` device (no memory) and must have exactly the parameters
stored in the file, so a corrupt ``channels`` of 1e7 is an error, not a 23 GB allocation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from .config import RecognizerConfig
from .models import LineRecognizer, build_model, count_parameters

__all__ = [
    "FORMAT",
    "CheckpointError",
    "CheckpointMetadata",
    "load_checkpoint",
    "read_metadata",
    "save_checkpoint",
]

FORMAT = "mltestscore.recognizer/1"
HEADER_KEY = "mltestscore"
# upper bounds on config sizes read from a file (the ``gpu`` preset uses 256 / 1024 / 4)
LIMITS: dict[str, int] = {
    "channels": 4096,  # each encoder width
    "encoder_blocks": 32,  # len(channels)
    "hidden": 16384,
    "heads": 256,
    "decoder_layers": 64,
    "feedforward": 65536,
    "data.height": 4096,
    "data.width": 16384,
}


class CheckpointError(Exception):
    """A checkpoint is missing, corrupt, truncated or does not fit its model."""


@dataclass(frozen=True)
class CheckpointMetadata:
    config: RecognizerConfig
    metrics: dict[str, float]
    data_seed: int
    package_version: str
    created_at: datetime  # timezone-aware, UTC
    parameters: int
    sha256: str
    torch_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        return self.config.architecture

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["config"] = self.config.to_dict()
        out["created_at"] = self.created_at.isoformat()
        return {"format": FORMAT, **out}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CheckpointMetadata:
        """Parse metadata; ``ValueError`` naming the key when a value has the wrong type."""
        config = values["config"]
        check_config_values(config)
        metrics = values.get("metrics", {})
        if not isinstance(metrics, Mapping) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()
        ):
            raise ValueError("'metrics' must map metric names to numbers")
        extra = values.get("extra", {})
        if not isinstance(extra, Mapping):
            raise ValueError(f"'extra' must be an object, got {type(extra).__name__}")
        return cls(
            config=RecognizerConfig.from_dict(config),
            metrics={str(k): float(v) for k, v in metrics.items()},
            data_seed=int(values["data_seed"]),
            package_version=str(values["package_version"]),
            created_at=datetime.fromisoformat(values["created_at"]),
            parameters=int(values["parameters"]),
            sha256=str(values["sha256"]),
            torch_version=str(values.get("torch_version", "")),
            extra=dict(extra),
        )


def _type_problem(key: str, value: object, default: object) -> str | None:
    """Why ``value`` cannot stand where ``default`` does (same JSON type), else None."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float) or default is None:  # max_seconds: a number or null
        ok = (default is None and value is None) or (
            isinstance(value, (int, float)) and not isinstance(value, bool)
        )
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or (
            default and len(value) != len(default) and key != "channels"
        ):
            return f"{key} must be a list like {list(default)}, got {str(value)[:80]}"
        problems = [_type_problem(f"{key}[{i}]", v, default[0]) for i, v in enumerate(value)]
        return next((p for p in problems if p), None)
    else:  # pragma: no cover - a new field type
        return None
    return None if ok else f"{key} must be like {default!r}, got {str(value)[:80]}"


def check_config_values(values: object) -> None:
    """``ValueError`` when a config dict read from a file has a value of the wrong type or
    a size beyond :data:`LIMITS` (checked before any model is built from it)."""
    if not isinstance(values, Mapping):
        raise ValueError(f"'config' must be an object, got {type(values).__name__}")
    data = values.get("data", {})
    if not isinstance(data, Mapping):
        raise ValueError(f"'config.data' must be an object, got {type(data).__name__}")
    defaults = RecognizerConfig()
    for key, value in values.items():
        if key != "data" and hasattr(defaults, key):
            problem = _type_problem(key, value, getattr(defaults, key))
            if problem:
                raise ValueError(f"config.{problem}")
    for key, value in data.items():
        if hasattr(defaults.data, key):
            problem = _type_problem(key, value, getattr(defaults.data, key))
            if problem:
                raise ValueError(f"config.data.{problem}")
    sizes: dict[str, Any] = {
        "encoder_blocks": len(values.get("channels", ())),
        "hidden": values.get("hidden"),
        "heads": values.get("heads"),
        "decoder_layers": values.get("decoder_layers"),
        "feedforward": values.get("feedforward"),
        "data.height": data.get("height"),
        "data.width": data.get("width"),
    }
    sizes |= {f"channels[{i}]": c for i, c in enumerate(values.get("channels", ()))}
    for key, value in sizes.items():
        limit = LIMITS["channels" if key.startswith("channels[") else key]
        if isinstance(value, (int, float)) and value > limit:
            raise ValueError(f"config.{key} = {value:g} is beyond the limit of {limit}")


def _as_utc(value: datetime | str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"created_at must be timezone-aware, got naive {moment!r}")
    return moment.astimezone(UTC)


def weights_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and raw bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temp file beside ``path``, fsync, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(
    path: str | os.PathLike[str],
    model: LineRecognizer,
    config: RecognizerConfig,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Save ``model`` and its metadata to ``path`` (a ``.safetensors`` file), atomically.

    ``metadata`` may hold ``metrics`` (name → number), ``data_seed`` (default
    ``config.data.seed``), ``created_at`` (aware datetime or ISO string; default now);
    any other JSON-able keys are kept under ``extra``.
    """
    from safetensors.torch import save

    from mltestscore import __version__

    given = dict(metadata or {})
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    info = CheckpointMetadata(
        config=config,
        metrics={str(k): float(v) for k, v in dict(given.pop("metrics", None) or {}).items()},
        data_seed=int(given.pop("data_seed", config.data.seed)),
        package_version=__version__,
        created_at=_as_utc(given.pop("created_at", None)),
        parameters=count_parameters(model),
        sha256=weights_digest(tensors),
        torch_version=torch.__version__,
        extra=given,
    )
    try:
        header = json.dumps(info.to_dict(), sort_keys=True, allow_nan=True)
    except TypeError as exc:
        raise ValueError(f"checkpoint metadata must be JSON-able: {exc}") from None
    target = Path(path)
    write_atomic(target, save(tensors, metadata={HEADER_KEY: header}))
    return target


def _open(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    from safetensors import safe_open

    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own error types, plus OSError
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated: not a readable safetensors file "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    if HEADER_KEY not in header:
        raise CheckpointError(f"checkpoint {path} has no {HEADER_KEY!r} metadata in its header")
    try:
        values = json.loads(header[HEADER_KEY])
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint {path} has unreadable JSON metadata: {exc}") from None
    if not isinstance(values, dict) or values.get("format") != FORMAT:
        found = values.get("format") if isinstance(values, dict) else type(values).__name__
        raise CheckpointError(f"checkpoint {path} has format {found!r}, expected {FORMAT!r}")
    return tensors, values


def read_metadata(path: str | os.PathLike[str]) -> CheckpointMetadata:
    """The metadata of the checkpoint at ``path`` (weights verified, model not built)."""
    return _read(Path(path))[1]


def _read(path: Path) -> tuple[dict[str, torch.Tensor], CheckpointMetadata]:
    tensors, values = _open(path)
    try:
        info = CheckpointMetadata.from_dict(values)
    except KeyError as exc:
        raise CheckpointError(f"checkpoint {path} has invalid metadata: no key {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {path} has invalid metadata: {exc}") from None
    if weights_digest(tensors) != info.sha256:
        raise CheckpointError(
            f"checkpoint {path} is corrupt: its weights do not match the SHA-256 recorded "
            f"when it was saved"
        )
    return tensors, info


def load_checkpoint(
    path: str | os.PathLike[str], *, device: str | torch.device = "cpu"
) -> tuple[LineRecognizer, CheckpointMetadata]:
    """The model (eval mode, on ``device``) and metadata saved at ``path``.

    Raises :class:`CheckpointError` naming the file when it is missing, corrupt,
    truncated, or its weights do not fit the model its config describes.
    Does not disturb torch's global random state.
    """
    target = Path(path)
    tensors, info = _read(target)
    stored = sum(t.numel() for t in tensors.values())
    try:
        with torch.device("meta"):
            described = count_parameters(build_model(info.config))
    except Exception as exc:  # a config the model code rejects
        raise CheckpointError(
            f"checkpoint {target} has a config its model cannot be built from: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if described != info.parameters or described > stored:
        raise CheckpointError(
            f"checkpoint {target} does not fit a {info.architecture} model for its config: "
            f"the config describes {described:,} parameters, the metadata says "
            f"{info.parameters:,} and the file holds {stored:,} values"
        )
    with torch.random.fork_rng(devices=[]):
        model = build_model(info.config)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:500]
        raise CheckpointError(
            f"checkpoint {target} does not fit a {info.architecture} model for its config: {detail}"
        ) from None
    return model.to(device).eval(), info
