"""GET /api/docs: Swagger UI over /api/openapi.json. Every asset comes from the
openapi-ui-bundles package or services/gateway/static, served by the gateway itself: the page
loads nothing from elsewhere, and its Content-Security-Policy tells the browser so."""

from __future__ import annotations

from pathlib import Path

import falcon
from openapi_ui_bundles import swagger_ui

ASSETS = "/api/docs/assets"
STATIC = "/api/docs/static"
_STATIC_DIR = Path(__file__).parent / "static"
_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>movies API</title>
  <link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{STATIC}/swagger-init.js"></script>
</body>
</html>
"""
# The gateway's own files only: no inline script or style, nothing from another origin, no
# plugins, no framing; images may also be data: URLs (Swagger UI's icons).
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)


class DocsPage:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.set_header("Content-Security-Policy", POLICY)
        resp.text = _PAGE


def add_docs_routes(app: falcon.App) -> None:
    app.add_route("/api/docs", DocsPage())
    app.add_static_route(ASSETS, str(swagger_ui.static_path.resolve()))
    app.add_static_route(STATIC, str(_STATIC_DIR.resolve()))
