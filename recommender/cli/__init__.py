"""The `recommender` command: thin typer adapters over the indexer and recommender cores."""

from recommender.cli.app import app, main
from recommender.cli import index_cmd  # noqa: F401,E402  (each command module registers on `app`)
from recommender.cli import eval_cmd  # noqa: F401,E402
from recommender.cli import recommend_cmd  # noqa: F401,E402
from recommender.cli import serve_cmd  # noqa: F401,E402
from recommender.cli import audit_cmd, batch_cmd  # noqa: F401,E402

__all__ = ["app", "main"]
