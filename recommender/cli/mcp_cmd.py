"""`recommender mcp`: the MCP server over stdio, for a seller's AI assistant on this machine."""

from __future__ import annotations

from pathlib import Path

import typer

from indexer.errors import InvalidRequestError, RecommenderError
from indexer.settings import Settings
from recommender.cli.app import app, err, settings_of, user_errors


@app.command("mcp")
@user_errors
def mcp_command(
    ctx: typer.Context,
    index: Path | None = typer.Option(
        None, "--index", help="Index directory (default .recommender/index, or RECOMMENDER_INDEX)."
    ),
    library: str | None = typer.Option(
        None,
        "--library",
        help="Which configured library to serve (RECOMMENDER_LIBRARIES); needed when several are configured.",
    ),
) -> None:
    """Serve the MCP tools (recommend, ask, get_content, search_library, library_gaps) over stdio.

    The caller is the local seller: answers are for sellers unless a tool call asks for audience buyer.
    It serves one library. Over HTTP the same tools are at /mcp of 'recommender serve', behind its API keys.
    """
    try:
        from recommender.api.libraries import Libraries
        from recommender.mcp_server import build_server
    except ImportError as exc:
        raise RecommenderError(
            f"recommender mcp needs {exc.name}, which is not installed",
            hint="Install the serving extra: pip install 'buyer-content-recommender[serve]' (make install does it).",
        ) from exc

    settings = one_library(settings_of(ctx, index=index), library, index_given=index is not None)
    ((name, folder),) = settings.served_libraries().items()
    err.print(f"Loading library '{name}' ({folder}) and its encoder ...", highlight=False)
    libraries = Libraries.load(settings, read_only=True)
    err.print("MCP server ready on stdio.", highlight=False)
    build_server(libraries).run("stdio")


def one_library(settings: Settings, library: str | None, *, index_given: bool) -> Settings:
    """`settings` narrowed to the one library to serve: --index, --library NAME, or the only one configured."""
    if index_given:
        if library is not None:
            raise InvalidRequestError("give --index or --library, not both", hint="--library names a configured one.")
        return settings.model_copy(update={"libraries": {}})
    served = settings.served_libraries()
    if library is None:
        if len(served) > 1:
            raise InvalidRequestError(
                f"{len(served)} libraries are configured (RECOMMENDER_LIBRARIES); choose one with --library NAME",
                hint=f"For example: recommender mcp --library {sorted(served)[0]}",
            )
        return settings
    if library not in served:
        raise InvalidRequestError(
            f"no library '{library}' is configured",
            hint=f"Configured: {', '.join(sorted(served))} (RECOMMENDER_LIBRARIES=NAME=DIR,...).",
        )
    if not settings.libraries:  # the one index, named 'default'
        return settings
    return settings.model_copy(update={"libraries": {library: served[library]}})
