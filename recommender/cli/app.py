"""The typer application, its settings callback and the error boundary."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from indexer.errors import RecommenderError
from indexer.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Recommend the right sales content for a buyer - and say what the library does not answer.")
err = Console(stderr=True)
out = Console()

F = TypeVar("F", bound=Callable[..., Any])


@app.callback()
def configure(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr."),
    model: Path | None = typer.Option(None, "--model", help="Folder of a sentence-transformers model (default: the bundled all-MiniLM-L6-v2).", envvar="RECOMMENDER_MODEL"),
) -> None:
    """Settings come from RECOMMENDER_* environment variables and these options."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[RichHandler(console=err, show_path=False)], format="%(message)s")
    _quiet_libraries()
    ctx.obj = Settings(model=model) if model is not None else Settings()


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in ("bm25s", "sentence_transformers", "faiss"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


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
