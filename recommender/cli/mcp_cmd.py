"""`recommender mcp`: the MCP server over stdio, for a seller's AI assistant on this machine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from indexer.errors import RecommenderError
from recommender.cli.app import app, err, settings_of, user_errors


@app.command("mcp")
@user_errors
def mcp_command(
    ctx: typer.Context,
    index: Path | None = typer.Option(
        None, "--index", help="Index directory (default .recommender/index, or RECOMMENDER_INDEX)."
    ),
) -> None:
    """Serve the MCP tools (recommend, ask, get_content, search_library, library_gaps) over stdio.

    The caller is the local seller: answers are for sellers unless a tool call asks for audience buyer.
    Over HTTP the same tools are at /mcp of 'recommender serve', behind its API keys.
    """
    try:
        from recommender.api.live import Served
        from recommender.catalog import Catalog
        from recommender.mcp_server import build_server
    except ImportError as exc:
        raise RecommenderError(
            f"recommender mcp needs {exc.name}, which is not installed",
            hint="Install the serving extra: pip install 'buyer-content-recommender[serve]' (make install does it).",
        ) from exc
    from recommender.service import Recommender

    settings = settings_of(ctx, index=index)
    err.print(f"Loading the index at {settings.index} and its encoder ...", highlight=False)
    recommender = Recommender.open(settings)
    served = Served(
        recommender, Catalog(recommender.snapshot, vocabulary=recommender.vocabulary), dt.datetime.now(dt.UTC)
    )
    err.print("MCP server ready on stdio.", highlight=False)
    build_server(lambda: served).run("stdio")
