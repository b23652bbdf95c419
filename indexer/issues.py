"""Problems found in the input, reported to the user with where and how to fix them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    SKIPPED = "skipped"  # the file was not indexed
    WARNING = "warning"  # the file was indexed, but part of it was ignored or defaulted


@dataclass(frozen=True)
class FileIssue:
    """One problem with one input file."""

    path: str
    what: str
    fix: str
    severity: Severity = Severity.WARNING
    line: int | None = None

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.what} - {self.fix}"


def printable(text: str) -> str:
    """`text` with control and other invisible characters written as escapes (a newline as \\n), for messages."""
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii") if is_invisible(ch) else ch for ch in text
    )


def is_invisible(ch: str) -> bool:
    """A control, format, unassigned or private-use character, or any white space but the plain space."""
    return unicodedata.category(ch)[0] in ("C", "Z") and ch != " "
