"""The `recommender` command: thin typer adapters over the indexer and recommender cores."""

# Each command module registers its commands on `app` when imported, so this order is the order of
# `recommender --help`: building an index first, then asking it, then the tools around it.
# isort: off
from recommender.cli.app import app, main
from recommender.cli import index_cmd  # noqa: F401
from recommender.cli import eval_cmd  # noqa: F401
from recommender.cli import recommend_cmd  # noqa: F401
from recommender.cli import serve_cmd  # noqa: F401
from recommender.cli import mcp_cmd  # noqa: F401
from recommender.cli import events_cmd  # noqa: F401
from recommender.cli import audit_cmd, batch_cmd  # noqa: F401
# isort: on

__all__ = ["app", "main"]
