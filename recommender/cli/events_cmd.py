"""`recommender events import`: bulk engagement history into the store beside the index builds."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli.app import app, err, settings_of, user_errors
from recommender.events.importer import import_events
from recommender.events.store import EventStore, store_path

events_app = typer.Typer(no_args_is_help=True, help="Deal-room engagement events (sent, opened, viewed, ...).")
app.add_typer(events_app, name="events")
BAD_LINES_SHOWN = 10


@events_app.command("import")
@user_errors
def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="JSONL: one event per line, {event_id, deal_id, content_id, type, at, ...}."),
    index: Path | None = typer.Option(None, "--index", help="Index directory whose event store receives them."),
    source: str = typer.Option("import", "--source", help="Recorded as the events' source."),
) -> None:
    """Store a file of past events; good lines are stored even when some are bad (exit 1 then)."""
    settings = settings_of(ctx, index=index)
    done = import_events(EventStore(store_path(settings)), file, source=source)
    typer.echo(
        f"{done.appended.stored} event(s) stored, {done.appended.duplicates} already stored, "
        f"{len(done.bad)} bad line(s) - in {store_path(settings)}"
    )
    for bad in done.bad[:BAD_LINES_SHOWN]:
        err.print(f"{file}:{bad.line}: {bad.problem}", highlight=False, markup=False, soft_wrap=True)
    if len(done.bad) > BAD_LINES_SHOWN:
        err.print(f"... and {len(done.bad) - BAD_LINES_SHOWN} more bad line(s)", highlight=False)
    if done.bad:
        raise typer.Exit(1)
