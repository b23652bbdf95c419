"""Text placed in markdown as text: the characters markdown would read as formatting are escaped."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def escape(text: str) -> str:
    r"""`text` with markdown's inline special characters backslash-escaped (`*a*` -> `\*a\*`)."""
    return _SPECIAL.sub(r"\\\1", text)
