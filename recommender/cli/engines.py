"""The --engine option of `index` and `batch`: local (this process) or ray (a Ray cluster)."""

from __future__ import annotations

import enum
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from indexer.errors import RecommenderError

if TYPE_CHECKING:
    from indexer.engines import EmbeddingEngine


class Engine(enum.StrEnum):
    local = "local"
    ray = "ray"


ADDRESS_OPTION = typer.Option(
    None,
    "--address",
    help="--engine ray: the cluster ('auto' on a node of it, 'ray://HEAD:10001' from outside); "
    "default: a new local Ray instance.",
)
WORKERS_OPTION = typer.Option(
    None, "--workers", min=1, help="--engine ray: workers, one CPU each (default: every CPU of the cluster)."
)


def check_engine_options(engine: Engine, *, address: str | None, workers: int | None) -> None:
    """--address and --workers say where and how wide Ray runs; with --engine local they are a mistake."""
    if engine is Engine.local and (address is not None or workers is not None):
        given = "--address" if address is not None else "--workers"
        raise RecommenderError(f"{given} applies to --engine ray only", hint=f"Add --engine ray, or leave {given} out.")


def quiet_ray() -> None:
    """Ray's errors only: no token notice and no Ray Data execution plans between the progress lines."""
    logging.getLogger("ray").setLevel(logging.ERROR)
    logging.getLogger("ray.data").setLevel(logging.ERROR)


def engine_of(engine: Engine, *, address: str | None, workers: int | None, model: Path | None) -> EmbeddingEngine:
    """The embedding engine an index build uses."""
    from indexer.engines import LocalEngine, RayEngine, import_ray

    check_engine_options(engine, address=address, workers=workers)
    if engine is Engine.local:
        return LocalEngine()
    import_ray()  # a missing extra is refused before the encoder loads
    quiet_ray()
    return RayEngine(address=address, workers=workers, model=model)
