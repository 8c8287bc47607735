"""The predictor: a stored model behind ``predict(image) -> str`` with input validation.

Accepted images: a numpy array ``(H, W)`` or ``(1, H, W)`` — ``uint8`` in 0–255 or float
in [0, 1] —, a torch tensor of the same forms, a PIL image (converted to grey levels), or
the path of an image file. Ink is bright on a dark background, like the training lines.

The height must equal the model's (28 px by default): a wrong height is rejected, not
resized, because resizing changes stroke widths the model never saw (train/serve skew).
Narrower images are padded on the right with background; wider ones are rejected.
Anything else (wrong rank, channels, dtype, NaN, out-of-range values) raises
``ValueError`` saying what was expected and what was found.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from .checkpoint import CheckpointMetadata, load_checkpoint
from .models import LineRecognizer
from .store import ModelStore
from .train import predict_lines, select_device

__all__ = ["ImageInput", "Recognizer", "prepare_image"]

ImageInput = Any  # numpy array | torch.Tensor | PIL.Image.Image | str | os.PathLike[str]


def _to_array(image: ImageInput) -> npt.NDArray[Any]:
    if isinstance(image, (str, os.PathLike)):
        from PIL import Image, UnidentifiedImageError

        path = Path(image)
        if not path.is_file():
            raise ValueError(f"image file {path} does not exist")
        try:
            with Image.open(path) as opened:
                return np.asarray(opened.convert("L"))
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"cannot read image file {path}: {exc}") from None
    if isinstance(image, torch.Tensor):
        return image.detach().cpu().numpy()
    if isinstance(image, np.ndarray):
        return image
    if type(image).__module__.startswith("PIL."):
        return np.asarray(image.convert("L"))
    raise ValueError(
        f"image must be a numpy array, torch tensor, PIL image or file path, "
        f"got {type(image).__name__}"
    )


def prepare_image(image: ImageInput, height: int, width: int) -> npt.NDArray[np.float32]:
    """Validate one image and return it as float32 ``(1, height, width)`` in [0, 1]."""
    array = _to_array(image)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(
            f"image must be (H, W) or (1, H, W) grey levels, got shape {array.shape}"
            + (" (colour? convert to grey first)" if array.ndim == 3 else "")
        )
    h, w = array.shape
    if h != height:
        raise ValueError(
            f"image height must be {height} px, got shape {array.shape}; "
            f"resize to height {height} keeping the aspect ratio"
        )
    if not 1 <= w <= width:
        raise ValueError(f"image width must be 1..{width} px, got shape {array.shape}")
    if array.dtype == np.uint8:
        pixels = array.astype(np.float32) / 255.0
    elif array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"image of shape {array.shape} holds NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < -1e-6 or high > 1 + 1e-6:
            raise ValueError(
                f"float image values must lie in [0, 1], got range [{low:.3g}, {high:.3g}] "
                f"(uint8 images may use 0-255)"
            )
        pixels = np.clip(array, 0.0, 1.0).astype(np.float32)
    else:
        raise ValueError(f"image dtype must be uint8 (0-255) or float (0-1), got {array.dtype}")
    padded = np.zeros((1, height, width), dtype=np.float32)  # (1, H, W), background 0
    padded[0, :, :w] = pixels
    return padded


class Recognizer:
    """A recognizer model ready to read lines."""

    def __init__(
        self,
        model: LineRecognizer,
        metadata: CheckpointMetadata,
        *,
        version: int | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        self.device = select_device(device)
        self.model = model.to(self.device).eval()
        self.metadata = metadata
        self.version = version

    @classmethod
    def load(
        cls,
        store: ModelStore | str | os.PathLike[str],
        version: int | None = None,
        name: str = "recognizer",
        *,
        device: str | torch.device | None = None,
    ) -> Recognizer:
        """Load ``version`` of ``name`` from ``store`` (default: serving, else latest)."""
        models = store if isinstance(store, ModelStore) else ModelStore(store)
        resolved = models.resolve(name, version)
        model, metadata = models.load(name, resolved)
        return cls(model, metadata, version=resolved, device=device)

    @classmethod
    def from_checkpoint(
        cls, path: str | os.PathLike[str], *, device: str | torch.device | None = None
    ) -> Recognizer:
        model, metadata = load_checkpoint(path)
        return cls(model, metadata, device=device)

    @property
    def height(self) -> int:
        return self.model.height

    @property
    def width(self) -> int:
        return self.model.width

    def predict(self, image: ImageInput) -> str:
        """The digit string in one line image."""
        prepared = prepare_image(image, self.height, self.width)  # (1, H, W)
        return self._run([prepared])[0]

    def predict_batch(self, images: Sequence[ImageInput] | npt.NDArray[Any]) -> list[str]:
        """Strings for a sequence of images (or an array ``(N, H, W)`` / ``(N, 1, H, W)``)."""
        if isinstance(images, (np.ndarray, torch.Tensor)) and images.ndim == 2:
            raise ValueError(
                f"predict_batch needs N images; got one (H, W) array {tuple(images.shape)}"
            )
        prepared = []
        for i, image in enumerate(images):
            try:
                prepared.append(prepare_image(image, self.height, self.width))
            except ValueError as exc:
                raise ValueError(f"image {i}: {exc}") from None
        return self._run(prepared)

    def _run(self, prepared: list[npt.NDArray[np.float32]]) -> list[str]:
        if not prepared:
            return []
        batch = torch.from_numpy(np.stack(prepared))  # (N, 1, H, W)
        return predict_lines(self.model, batch, device=self.device)
