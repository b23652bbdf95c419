"""The HTTP API: `create_app(settings)` builds it; `recommender serve` runs it with uvicorn."""
