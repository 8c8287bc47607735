"""Manual evidence: ``[tool.mltestscore.manual."<id>"]`` tables in pyproject.toml.

Each entry names a document (a path in the repository that must exist, or a
URL), who reviewed it, when, and for how long the review holds (default 365
days). Expired, missing or malformed evidence earns nothing; every problem is
reported with the file, the key and what was expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.rubric import RUBRIC_BY_ID

DEFAULT_EXPIRY_DAYS = 365
MAX_EXPIRY_DAYS = 3660  # ten years: a review older than that documents another system
MAX_DOCUMENT_LENGTH = 1000
_KEYS = {"document", "reviewer", "reviewed", "expires_days", "notes"}


@dataclass(frozen=True)
class ConfigProblem:
    """A problem in the team's configuration: where, and what was expected."""

    file: str
    key: str
    message: str
    # True when the key configures the gate or a check's threshold: a mistake there
    # silently changes what passes, so the run fails instead of going on.
    blocking: bool = False

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "key": self.key, "message": self.message}


@dataclass(frozen=True)
class ManualEvidence:
    """One documented, reviewed manual test."""

    test_id: str
    document: str
    reviewer: str
    reviewed: dt.date
    expires_days: int = DEFAULT_EXPIRY_DAYS
    notes: str = ""

    @property
    def expires(self) -> dt.date:
        try:
            return self.reviewed + dt.timedelta(days=self.expires_days)
        except OverflowError:  # reviewed near 9999-12-31: never expires within the calendar
            return dt.date.max

    def is_current(self, today: dt.date) -> bool:
        return self.reviewed <= today < self.expires

    def verdict(self, today: dt.date) -> tuple[bool, str]:
        if self.reviewed > today:
            return False, f"review date {self.reviewed} is in the future"
        if not self.is_current(today):
            return False, (
                f"manual evidence expired on {self.expires} (reviewed {self.reviewed}, "
                f"valid {self.expires_days} days): review {self.document} again"
            )
        return True, (
            f"manual evidence: {self.document}, reviewed by {self.reviewer} on "
            f"{self.reviewed}, valid until {self.expires}"
        )

    def to_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "document": self.document,
            "reviewer": self.reviewer,
            "reviewed": self.reviewed.isoformat(),
            "expires": self.expires.isoformat(),
            "expires_days": self.expires_days,
            "notes": self.notes,
        }
        if today is not None:
            data["current"], data["reason"] = self.verdict(today)
        return data


def _is_url(text: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and text.isprintable()


def document_problem(document: str, root: Path) -> str | None:
    """Why ``document`` is not a usable reference, or None.

    A document is an http(s) URL or a file inside the repository (``root``): an
    absolute path, a path that climbs out with ``..`` or a symlink leading outside
    the repository documents nothing about this system.
    """
    if _is_url(document):
        return None
    expected = "expected a path in the repository or an http(s) URL"
    if len(document) > MAX_DOCUMENT_LENGTH or not document.isprintable():
        return f"document is not a usable path ({len(document)} characters); {expected}"
    path = Path(document)
    if path.is_absolute() or document.startswith("~"):
        return f"document {document!r} is outside the repository; {expected}"
    try:
        base = root.resolve()
        resolved = (base / path).resolve()
        inside = resolved == base or base in resolved.parents
        exists = resolved.exists()
    except (OSError, RuntimeError, ValueError) as exc:
        return f"document {document!r} cannot be checked ({type(exc).__name__}); {expected}"
    if not inside:
        return f"document {document!r} is outside the repository {root}; {expected}"
    if not exists:
        return f"document {document!r} not found under {root}; {expected}"
    return None


def parse_manual(
    table: object, *, file: str, root: Path
) -> tuple[dict[str, ManualEvidence], list[ConfigProblem]]:
    """Parse the ``manual`` table; return the valid entries and every problem found."""
    prefix = "tool.mltestscore.manual"
    entries: dict[str, ManualEvidence] = {}
    problems: list[ConfigProblem] = []
    if not isinstance(table, Mapping):
        problems.append(
            ConfigProblem(file, prefix, f"expected a table, got {type(table).__name__}")
        )
        return entries, problems
    for test_id, raw in table.items():
        key = f'{prefix}."{test_id}"'
        if test_id not in RUBRIC_BY_ID:
            problems.append(
                ConfigProblem(
                    file,
                    key,
                    f"unknown rubric id {test_id!r}: expected data.1-7, model.1-7, "
                    "infra.1-7 or monitor.1-7",
                )
            )
            continue
        if not isinstance(raw, Mapping):
            problems.append(ConfigProblem(file, key, f"expected a table, got {type(raw).__name__}"))
            continue
        entry, entry_problems = _parse_entry(test_id, raw, key=key, file=file, root=root)
        problems.extend(entry_problems)
        if entry is not None:
            entries[test_id] = entry
    return entries, problems


def _parse_entry(
    test_id: str, raw: Mapping[str, Any], *, key: str, file: str, root: Path
) -> tuple[ManualEvidence | None, list[ConfigProblem]]:
    problems: list[ConfigProblem] = []
    for extra in sorted(set(raw) - _KEYS):
        problems.append(
            ConfigProblem(
                file, f"{key}.{extra}", f"unknown key; expected one of {', '.join(sorted(_KEYS))}"
            )
        )

    def text(name: str) -> str | None:
        value = raw.get(name)
        if value is None:
            problems.append(ConfigProblem(file, f"{key}.{name}", "missing; expected a string"))
            return None
        if not isinstance(value, str) or not value.strip():
            problems.append(
                ConfigProblem(file, f"{key}.{name}", f"expected a non-empty string, got {value!r}")
            )
            return None
        return value

    document = text("document")
    reviewer = text("reviewer")
    reviewed = _parse_date(raw.get("reviewed"), f"{key}.reviewed", file, problems)
    expires_days = raw.get("expires_days", DEFAULT_EXPIRY_DAYS)
    if (
        isinstance(expires_days, bool)
        or not isinstance(expires_days, int)
        or not 0 < expires_days <= MAX_EXPIRY_DAYS
    ):
        problems.append(
            ConfigProblem(
                file,
                f"{key}.expires_days",
                f"expected a whole number of days from 1 to {MAX_EXPIRY_DAYS}, got {expires_days!r}",
            )
        )
        expires_days = None
    notes = raw.get("notes", "")
    if not isinstance(notes, str):
        problems.append(ConfigProblem(file, f"{key}.notes", f"expected a string, got {notes!r}"))
        notes = ""
    if document is not None:
        why = document_problem(document, root)
        if why is not None:
            problems.append(ConfigProblem(file, f"{key}.document", why))
            document = None
    if document is None or reviewer is None or reviewed is None or expires_days is None:
        return None, problems
    return ManualEvidence(test_id, document, reviewer, reviewed, expires_days, notes), problems


def _parse_date(
    value: object, key: str, file: str, problems: list[ConfigProblem]
) -> dt.date | None:
    if value is None:
        problems.append(ConfigProblem(file, key, "missing; expected a date like 2026-01-31"))
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(ConfigProblem(file, key, f"expected a date like 2026-01-31, got {value!r}"))
    return None
