"""A minimal grey-scale PNG encoder (standard library only) for inline report images."""

from __future__ import annotations

import base64
import binascii
import math
import struct
import zlib
from collections.abc import Sequence
from typing import Any

PNG_DATA_URI = "data:image/png;base64,"
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 1024  # pixels; report images are thumbnails, not datasets
MAX_DATA_URI = 256 * 1024  # characters per inline image


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def grey_png(pixels: Sequence[Sequence[float]]) -> bytes:
    """Encode a 2-D grid of grey values as an 8-bit PNG.

    Values are scaled from ``[min(0, lowest), max(1, highest)]`` to 0-255, so images in
    [0, 1], 0-16 (``load_digits``) and 0-255 all render as they are meant.
    """
    rows = [list(row) for row in pixels]
    height = len(rows)
    width = len(rows[0]) if rows else 0
    if height == 0 or width == 0:
        raise ValueError("image: expected a non-empty 2-D grid of grey values")
    if height > MAX_SIDE or width > MAX_SIDE:
        raise ValueError(f"image: {height}x{width} pixels is too large (at most {MAX_SIDE} a side)")
    flat: list[float] = []
    for r, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"image: row {r} has {len(row)} values, row 0 has {width}")
        for value in row:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"image: expected numbers, got {type(value).__name__} in row {r}")
            flat.append(float(value) if math.isfinite(value) else 0.0)
    low, high = min(0.0, min(flat)), max(1.0, max(flat))
    scale = 255.0 / (high - low)
    raw = bytearray()
    for r in range(height):
        raw.append(0)  # filter type: none
        raw.extend(round((v - low) * scale) for v in flat[r * width : (r + 1) * width])
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )


def data_uri(png: bytes) -> str:
    return PNG_DATA_URI + base64.b64encode(png).decode("ascii")


def png_size(uri: str) -> tuple[int, int]:
    """(width, height) of a PNG data URI; ValueError when it is not one."""
    if not uri.startswith(PNG_DATA_URI):
        raise ValueError(f"image: expected a string starting with {PNG_DATA_URI!r}")
    if len(uri) > MAX_DATA_URI:
        raise ValueError(f"image: data URI of {len(uri)} characters exceeds {MAX_DATA_URI}")
    try:
        head = base64.b64decode(uri[len(PNG_DATA_URI) :], validate=True)[:24]
    except (binascii.Error, ValueError):
        raise ValueError("image: the PNG data URI is not valid base64") from None
    if len(head) < 24 or not head.startswith(_SIGNATURE) or head[12:16] != b"IHDR":
        raise ValueError("image: the data URI does not hold a PNG image")
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def image_uri(image: object, where: str = "image") -> str | None:
    """A PNG data URI for ``image``: None, a PNG data URI, or a 2-D grid of grey values.

    Grids may be nested lists, numpy arrays or tensors; one channel axis of size 1, first
    or last, is dropped. ValueError names ``where`` when the image cannot be used.
    """
    if image is None:
        return None
    try:
        if isinstance(image, str):
            png_size(image)
            return image
        grid: Any = image.tolist() if hasattr(image, "tolist") else image
        if _depth(grid) == 3:
            if len(grid) == 1:
                grid = grid[0]
            elif grid and grid[0] and len(grid[0][0]) == 1:
                grid = [[px[0] for px in row] for row in grid]
        if _depth(grid) != 2:
            raise ValueError(
                "image: expected a 2-D grid of grey values (H, W), (1, H, W) "
                "or (H, W, 1), or a PNG data URI"
            )
        return data_uri(grey_png(grid))
    except ValueError as exc:
        raise ValueError(f"{where}: {str(exc).removeprefix('image: ')}") from None


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, (list, tuple)):
        depth += 1
        if not value:
            break
        value = value[0]
    return depth
