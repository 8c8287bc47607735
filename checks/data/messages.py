"""How the data checks name things in messages and cap evidence tables."""

from __future__ import annotations

from collections.abc import Sequence

MAX_TABLE = 50  # rows of any evidence table


def short_list(items: Sequence[str], limit: int = 8) -> str:
    """``a, b, c (+5 more)``: the first ``limit`` items and how many were left out."""
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")
