"""The pages a service offers people, served whole from the package: police networks reach no CDN (离线可用).

``/docs`` is FastAPI's Swagger UI page pointed at the vendored swagger-ui-dist (static/VENDORED.md) instead of a
public CDN; ``/asyncapi.json`` is the platform's AsyncAPI 3 document (contracts/asyncapi/platform.json, every topic
of every context, the same on every service) and ``/asyncapi`` its view, the AsyncAPI initiative's own React
component, also vendored. ReDoc is switched off (it loads its script and fonts from CDNs). Like ``/openapi.json``
these pages need no token: they describe the interface, not its data.
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from services.kernel.messaging.asyncapi import OUT as ASYNCAPI_DOCUMENT

STATIC = Path(__file__).with_name("static")
ASSETS = "/static/docs"
#: the view's options (the AsyncAPI React component's config): everything shown, nothing fetched from elsewhere
ASYNCAPI_VIEW_CONFIG = {"show": {"sidebar": True, "info": True, "servers": True, "operations": True,
                                 "messages": True, "schemas": True, "errors": True},
                        "sidebar": {"showServers": "byDefault", "showOperations": "byDefault"}}


@lru_cache(maxsize=1)
def asyncapi_document() -> dict:
    return json.loads(ASYNCAPI_DOCUMENT.read_text(encoding="utf-8"))


def asyncapi_page(title: str, root: str) -> str:
    """An HTML page that renders ``/asyncapi.json`` with the vendored component (no network beyond the service)."""
    config = json.dumps({"schema": {"url": f"{root}/asyncapi.json"}, "config": ASYNCAPI_VIEW_CONFIG})
    return (f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{escape(title)} AsyncAPI</title>"
            f"<link rel=\"icon\" href=\"{root}{ASSETS}/swagger-ui/favicon-32x32.png\">"
            f"<link rel=\"stylesheet\" href=\"{root}{ASSETS}/asyncapi-react/default.min.css\"></head>"
            f"<body><div id=\"asyncapi\"></div><script src=\"{root}{ASSETS}/asyncapi-react/standalone.js\"></script>"
            f"<script>AsyncApiStandalone.render({config}, document.getElementById(\"asyncapi\"));</script>"
            "</body></html>")


def install_docs_pages(app: FastAPI) -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect``, ``/asyncapi.json``, ``/asyncapi`` and the assets to ``app``
    (created with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")
    redirect = "/docs/oauth2-redirect"

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
                                   swagger_js_url=f"{root}{ASSETS}/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{ASSETS}/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{ASSETS}/swagger-ui/favicon-32x32.png",
                                   oauth2_redirect_url=f"{root}{redirect}",
                                   swagger_ui_parameters={"validatorUrl": None})  # no call to validator.swagger.io

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def asyncapi_json(request: Request) -> JSONResponse:
        return JSONResponse(asyncapi_document())

    async def asyncapi_view(request: Request) -> HTMLResponse:
        return HTMLResponse(asyncapi_page(app.title, request.scope.get("root_path", "")))

    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route(redirect, oauth2_redirect, include_in_schema=False)
    app.add_route("/asyncapi.json", asyncapi_json, include_in_schema=False)
    app.add_route("/asyncapi", asyncapi_view, include_in_schema=False)
