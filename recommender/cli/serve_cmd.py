"""`recommender serve` runs the HTTP API with uvicorn; `recommender keys create` makes an API key."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from indexer.errors import InvalidRequestError, RecommenderError
from indexer.settings import LIBRARY_NAME_RULE
from recommender.api.keys import SCOPES, new_key
from recommender.cli.app import app, err, settings_of, user_errors

keys_app = typer.Typer(no_args_is_help=True, help="API keys for the HTTP API: the server stores only their hashes.")
app.add_typer(keys_app, name="keys")


@app.command("serve")
@user_errors
def serve_command(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None,
        "--host",
        help="Address (default 127.0.0.1, or RECOMMENDER_API_HOST); without keys only a loopback address.",
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default 8000, or RECOMMENDER_API_PORT)."),
    index: Path | None = typer.Option(
        None, "--index", help="Index directory (default .recommender/index, or RECOMMENDER_INDEX)."
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        envvar="RECOMMENDER_API_CONFIG",
        help="TOML file with settings (index, api_keys, api_host, ...); the environment overrides it.",
    ),
    library: list[str] = typer.Option(
        [],
        "--library",
        help="A library to serve, as NAME=DIR (lowercase name, index folder); repeat for several. "
        "Default: RECOMMENDER_LIBRARIES, or the one --index as the library 'default'.",
    ),
) -> None:
    """Serve the recommender over HTTP (docs at /docs); loads the index and its encoder once at start-up."""
    try:
        import uvicorn
        from uvicorn.protocols.http.auto import AutoHTTPProtocol

        from recommender.api.app import create_app
        from recommender.api.connections import ConnectionLimits, guarded
        from recommender.api.settings import ServerSettings
    except ImportError as exc:
        raise RecommenderError(
            f"recommender serve needs {exc.name}, which is not installed",
            hint="Install the serving extra: pip install 'buyer-content-recommender[serve]' (make install does it).",
        ) from exc

    if index is not None and library:
        raise InvalidRequestError(
            "give --index for one library or --library NAME=DIR for several, not both",
            hint="With --library, each library names its own index folder.",
        )
    core = settings_of(ctx)
    settings = ServerSettings.load(
        config,
        libraries=library or None,
        index=index,
        api_host=host,
        api_port=port,
        model=core.model,
        runtime=core.runtime,
        precision=core.precision,
    )
    _configure_logging(verbose=logging.getLogger().level <= logging.INFO)
    if not settings.api_keys:
        err.print(
            f"[yellow]No API keys configured:[/] serving on {settings.api_host} (loopback only) "
            "without authentication; every local caller has the seller and admin scopes. "
            "To serve deal rooms, create keys with 'recommender keys create'.",
            highlight=False,
        )
    for name, folder in settings.served_libraries().items():
        err.print(f"Loading library '{name}' from {folder} ...", highlight=False)
    api = create_app(settings)
    limits = ConnectionLimits(
        header_timeout=settings.api_header_timeout_seconds, per_client=settings.api_max_connections_per_client
    )
    uvicorn.run(
        api,
        http=guarded(AutoHTTPProtocol, limits),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        log_level="info",
        access_log=False,
        server_header=False,
        limit_concurrency=settings.api_limit_concurrency,
        timeout_keep_alive=settings.api_keep_alive_seconds,
        timeout_graceful_shutdown=10,
    )


@keys_app.command("create")
@user_errors
def create_key_command(
    name: str = typer.Option(
        ..., "--name", help="Who the key is for, e.g. acme-deal-room (letters, digits, '.', '_', '-')."
    ),
    scope: list[str] = typer.Option(
        ..., "--scope", help="buyer (deal rooms), seller or admin (reload); repeat for several."
    ),
    library: list[str] = typer.Option(
        [],
        "--library",
        help="The library the key is bound to; repeat for several. Needed on a server with several libraries.",
    ),
) -> None:
    """Make a new random key: prints the key (give it to the client, shown once) and the line to configure."""
    unknown = [s for s in scope if s not in SCOPES]
    if unknown:
        raise InvalidRequestError(
            f"unknown scope(s) {', '.join(unknown)}", hint=f"Use --scope {' / '.join(SCOPES)}.", field="scope"
        )
    try:
        made = new_key(name, [s for s in SCOPES if s in scope], library)
    except ValueError as exc:
        hint = (
            "Give a --name of letters, digits, '.', '_', '-', either buyer or seller (admin may go with either), "
            f"and --library names of {LIBRARY_NAME_RULE}."
        )
        raise InvalidRequestError(_first_error(exc), hint=hint) from None
    typer.echo(f"key:    {made.secret}")
    typer.echo(f"config: {made.key.line()}")
    err.print(
        "Give the key to the client; it is not stored anywhere and cannot be shown again.\n"
        "Add the config line to RECOMMENDER_API_KEYS (lines separated by spaces) or to api_keys in the --config file, "
        "then restart the server.",
        highlight=False,
    )


def _configure_logging(*, verbose: bool) -> None:
    """Plain log lines on stderr for a long-running server: uvicorn's, and one per request with its id."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in ("recommender.api", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.INFO)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    return str(errors()[0]["msg"]).removeprefix("Value error, ") if callable(errors) else str(exc)
