"""recommender.cli.progress: plain progress lines when stderr is not a terminal, a rich bar when it is."""

from __future__ import annotations

import io

from rich.console import Console

from recommender.cli.progress import LineProgress, TerminalProgress, progress_for


def test_progress_lines_at_each_phase_then_at_most_every_few_seconds_and_at_the_end() -> None:
    lines: list[str] = []
    now = [0.0]
    progress = LineProgress(lines.append, every=5.0, clock=lambda: now[0])
    progress.phase("embedding", 100)
    for _ in range(99):
        now[0] += 0.125  # 12.375 s in all: a line at 5 s and at 10 s
        progress.advance(1)
    progress.advance(1)
    progress.phase("writing index", 1)
    progress.advance(1)
    assert lines == [
        "progress: embedding 0/100",
        "progress: embedding 40/100",
        "progress: embedding 80/100",
        "progress: embedding 100/100",
        "progress: writing index 0/1",
        "progress: writing index 1/1",
    ]


def test_a_terminal_gets_the_bar_anything_else_the_lines() -> None:
    assert isinstance(progress_for(Console(file=io.StringIO(), force_terminal=True)), TerminalProgress)
    out = io.StringIO()
    with progress_for(Console(file=out, force_terminal=False, width=200)) as progress:
        progress.phase("reading", 2)
        progress.advance(2)
    assert out.getvalue() == "progress: reading 0/2\nprogress: reading 2/2\n"
