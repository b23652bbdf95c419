"""The `recommender` command: thin typer adapters over the indexer and recommender cores."""

from recommender.cli import (  # noqa: F401,E402
    audit_cmd,
    batch_cmd,
    eval_cmd,  # noqa: F401,E402
    index_cmd,  # noqa: F401,E402  (each command module registers on `app`)
    recommend_cmd,  # noqa: F401,E402
    serve_cmd,  # noqa: F401,E402
)
from recommender.cli.app import app, main

__all__ = ["app", "main"]
