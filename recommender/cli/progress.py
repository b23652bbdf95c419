"""Where a build shows how far it is, on stderr: a rich bar on a terminal, plain lines otherwise (logs, CI, pipes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

LINE_EVERY_SECONDS = 5.0


class TerminalProgress:
    """Implements the indexer's Progress protocol with one rich bar per phase; silent when `console` is no terminal."""

    def __init__(self, console: Console) -> None:
        self._enabled = console.is_terminal
        self._bar = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> TerminalProgress:
        if self._enabled:
            self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if self._enabled:
            self._bar.stop()

    def phase(self, name: str, total: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, visible=False)
        self._task = self._bar.add_task(name, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)


class LineProgress:
    """The Progress protocol as plain lines: one per phase, at most one every few seconds, one at the end."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        every: float = LINE_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._every = every
        self._clock = clock
        self._name = ""
        self._done = 0
        self._total = 0
        self._last = 0.0

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        pass

    def phase(self, name: str, total: int) -> None:
        self._name, self._done, self._total = name, 0, total
        self._line()

    def advance(self, amount: int) -> None:
        self._done += amount
        if self._done >= self._total or self._clock() - self._last >= self._every:
            self._line()

    def _line(self) -> None:
        self._last = self._clock()
        self._write(f"progress: {self._name} {self._done}/{self._total}")


def progress_for(console: Console) -> TerminalProgress | LineProgress:
    """A rich bar when `console` is a terminal, plain progress lines otherwise."""
    if console.is_terminal:
        return TerminalProgress(console)
    return LineProgress(lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True))
