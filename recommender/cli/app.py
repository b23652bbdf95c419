"""The typer application, its settings callback and the error boundary."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from indexer.errors import RecommenderError
from indexer.settings import Precision, Runtime, Settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Recommend the right sales content for a buyer - and say what the library does not answer.",
)
err = Console(stderr=True)
out = Console()

F = TypeVar("F", bound=Callable[..., Any])


@app.callback()
def configure(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr."),
    model: Path | None = typer.Option(
        None,
        "--model",
        help="Folder of a sentence-transformers model (default: the bundled all-MiniLM-L6-v2).",
        envvar="RECOMMENDER_MODEL",
    ),
    runtime: Runtime | None = typer.Option(
        None,
        "--runtime",
        help="Encoder runtime: onnx or torch (default: onnx for indexing; an index answers with its own).",
        envvar="RECOMMENDER_RUNTIME",
    ),
    precision: Precision | None = typer.Option(
        None,
        "--precision",
        help="Encoder weights: fp32 or int8 (onnx only; default fp32; an index answers with its own).",
        envvar="RECOMMENDER_PRECISION",
    ),
) -> None:
    """Settings come from RECOMMENDER_* environment variables and these options."""
    level = logging.INFO if verbose else logging.WARNING
    handler = RichHandler(
        console=err, show_path=False, level=level
    )  # the handler's level too: bm25s sets its own logger to DEBUG on import
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s")
    _quiet_libraries()
    given: dict[str, Any] = {"model": model, "runtime": runtime, "precision": precision}
    try:
        ctx.obj = Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        err.print(f"[bold red]error:[/] the settings are not valid: {escape(problems)}", highlight=False)
        err.print(
            "  Check the RECOMMENDER_* environment variables and the global options (recommender --help).",
            highlight=False,
        )
        raise typer.Exit(1) from None


def _quiet_libraries() -> None:
    """Through the environment, so that nothing heavy (transformers) is imported to quieten it."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    for name in ("bm25s", "sentence_transformers", "faiss", "onnx_model", "fusion_base", "onnx_model_bert"):
        logging.getLogger(name).setLevel(logging.WARNING)


def date_option(value: str | None, option: str) -> dt.date:
    """A YYYY-MM-DD option as a date (today when not given), or a usage error naming the option."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date in the form YYYY-MM-DD (like 2026-11-27)", param_hint=option
        ) from None


def settings_of(ctx: typer.Context, *, index: Path | None = None) -> Settings:
    settings: Settings = ctx.obj
    return settings.model_copy(update={"index": index}) if index is not None else settings


def user_errors(func: F) -> F:
    """Turn our errors into one clear line on stderr and exit 1; never show a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RecommenderError as exc:
            err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            if exc.hint:
                err.print(f"  {escape(exc.hint)}", highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing was published", highlight=False)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # the last line of defence: a user never sees a traceback
            if os.environ.get("RECOMMENDER_DEBUG"):
                raise
            err.print(f"[bold red]internal error:[/] {exc.__class__.__name__}: {escape(str(exc))}", highlight=False)
            err.print("  Please report it; run with RECOMMENDER_DEBUG=1 to see the traceback.", highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def main() -> None:
    app(prog_name="recommender")
