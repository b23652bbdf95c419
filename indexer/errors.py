"""The errors this project raises; the CLI and the API turn them into user messages."""

from __future__ import annotations


class RecommenderError(Exception):
    """Base error: `message` says what is wrong, `hint` how to fix it."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class IndexMissingError(RecommenderError):
    """No published index where one was expected."""


class IndexCorruptError(RecommenderError):
    """A published index that fails its manifest checks."""


class ModelMismatchError(RecommenderError):
    """An index built with a different embedding model than the one configured."""


class ModelLoadError(RecommenderError):
    """The embedding model could not be loaded from disk."""


class InvalidRequestError(RecommenderError):
    """A request that cannot be answered as given."""

    def __init__(self, message: str, *, hint: str = "", field: str = "") -> None:
        super().__init__(message, hint=hint)
        self.field = field


class StrictModeError(RecommenderError):
    """`--strict` was asked for and the input had problems."""
