"""Make user strings safe to show: no terminal escapes, no control characters, no bidi tricks.

Every string a renderer shows that came from a user, a check or a report file (config keys,
check messages, feature and slice names, section names of a crafted report) goes through
:func:`clean` (or :func:`one_line`) first, so that it can neither drive the terminal (ANSI
CSI/OSC sequences: window title, screen clear, cursor moves that paint a fake ``PASSED``),
nor hide or reorder text around it (bidi overrides and isolates U+202A–U+202E,
U+2066–U+2069, which can make ``deliaf`` read as ``failed``), nor break the line structure
of the format (a carriage return that overwrites the line).

Only the standard library is imported: the pytest plugin may use this module cheaply.
"""

from __future__ import annotations

import re

__all__ = ["BIDI_CONTROLS", "clean", "one_line"]

# Bidi embeddings/overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Whole escape sequences first, so that their parameters do not leak as text
# ("]0;pwned" left over from an OSC title change):
_SEQUENCES = re.compile(
    r"""
      (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?   # CSI ... final byte
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])                # OSC, DCS, SOS, PM, APC ...
      [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)                   # ... up to BEL or ST; when
                                                           # unterminated, only the
                                                           # introducer goes (below)
    | \x1b[\x20-\x2f]*[\x30-\x7e]?                           # other ESC sequences (ESC c)
    """,
    re.VERBOSE,
)
_CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)))
_BIDI = "".join(sorted(BIDI_CONTROLS))


def _drop_table(keep: str) -> dict[int, None]:
    return {ord(c): None for c in _CONTROLS + _BIDI if c not in keep}


_TABLES: dict[str, dict[int, None]] = {}


def clean(value: object, *, keep: str = "\n\t") -> str:
    """``str(value)`` without escape sequences, C0/C1 control characters and bidi controls.

    ESC/CSI/OSC/DCS sequences are removed whole; other control characters (including
    ``\\r``, DEL and the C1 range U+0080–U+009F) and the bidi embedding, override and isolate
    characters are dropped. ``keep`` names the control characters to leave in place
    (newline and tab by default; ``keep=""`` keeps none). ``\\r\\n`` and a lone ``\\r`` become
    ``\\n`` when newlines are kept.
    """
    text = value if isinstance(value, str) else str(value)
    if "\n" in keep and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text or any(c in text for c in "\x90\x98\x9b\x9d\x9e\x9f"):
        text = _SEQUENCES.sub("", text)
    table = _TABLES.get(keep)
    if table is None:
        table = _TABLES.setdefault(keep, _drop_table(keep))
    return text.translate(table)


def one_line(value: object, limit: int | None = None) -> str:
    """:func:`clean` text on one line: whitespace runs (newlines too) become one space, and
    text longer than ``limit`` characters ends with an ellipsis."""
    line = " ".join(clean(value, keep="\n\t").split())
    if limit is not None and len(line) > limit:
        line = line[: max(limit - 1, 0)] + "\u2026"
    return line
