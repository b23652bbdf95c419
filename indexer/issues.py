"""Problems found in the input, reported to the user with where and how to fix them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):  # noqa: UP042 (str() and format() of members stay as they were)
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
