"""GET /docs and GET /redoc from the app's own vendored assets (recommender/api/static/), never a CDN.

FastAPI's default pages load Swagger UI, ReDoc, a favicon and Google Fonts from the internet, so
they are blank on a machine without it. These pages are the same HTML with every URL local.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from recommender.api.response_examples import with_whole_examples

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/docs-assets"
SWAGGER_PARAMETERS = {"validatorUrl": None}  # no badge fetched from validator.swagger.io


def install_docs(app: FastAPI) -> None:
    """Serve the vendored assets and the two docs pages; the app must be made with docs_url=None, redoc_url=None.

    The OpenAPI document keeps its examples whole (FastAPI would drop their null values).
    """
    app.openapi = lambda: with_whole_examples(FastAPI.openapi(app))  # type: ignore[method-assign]
    app.mount(PREFIX, StaticFiles(directory=STATIC), name="api-docs-static")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{PREFIX}/swagger-ui/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{PREFIX}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=favicon,
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API reference",
            redoc_js_url=f"{PREFIX}/redoc/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
