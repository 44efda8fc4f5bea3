"""The OpenAPI page (``/docs``): Swagger UI from the service's own files, under the pages' CSP.

FastAPI's page loaded ``swagger-ui-dist@5`` from a CDN (a floating major version, no
integrity hash) and ran an inline script, so it went without a CSP. Here the assets come
from the locked ``fastapi-offline`` package (``swagger-ui-bundle.js``, ``swagger-ui.css``)
and the start-up script from ``templates/api_docs.js``: nothing leaves the service.
Served in development (``make up``); in production only with ``TRIPCARE_API_DOCS=true``.
``/openapi.json`` is FastAPI's and is always served.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse

from runtime.errors import StrictJsonRoute
from runtime.settings import Settings

_SWAGGER = Path(str(files("fastapi_offline") / "static"))
_OWN = Path(str(files("runtime") / "templates"))
ASSETS = {
    "swagger-ui-bundle.js": _SWAGGER / "swagger-ui-bundle.js",
    "swagger-ui.css": _SWAGGER / "swagger-ui.css",
    "favicon.png": _SWAGGER / "favicon.png",
    "api-docs.js": _OWN / "api_docs.js",
}
Asset = Literal["swagger-ui-bundle.js", "swagger-ui.css", "favicon.png", "api-docs.js"]
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API</title>
<link rel="icon" href="{root}/docs/favicon.png">
<link rel="stylesheet" href="{root}/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec="{spec}"></div>
<script src="{root}/docs/swagger-ui-bundle.js"></script>
<script src="{root}/docs/api-docs.js"></script>
</body>
</html>
"""


def api_docs_served(settings: Settings) -> bool:
    """On in development, off in production unless ``TRIPCARE_API_DOCS=true``."""
    return settings.development if settings.api_docs is None else settings.api_docs


def api_docs_router(title: str, openapi_url: str) -> APIRouter:
    """``/docs`` and its four files (the same for every request, cached a day)."""
    router = APIRouter(include_in_schema=False, route_class=StrictJsonRoute)

    @router.get("/docs")
    async def page(request: Request) -> HTMLResponse:
        root = escape(str(request.scope.get("root_path", "")))
        spec = root + escape(openapi_url)
        return HTMLResponse(PAGE.format(title=escape(title), root=root, spec=spec))

    @router.get("/docs/{asset}")
    async def asset(asset: Annotated[Asset, PathParam()]) -> FileResponse:
        return FileResponse(ASSETS[asset], headers={"Cache-Control": "public, max-age=86400"})

    return router
