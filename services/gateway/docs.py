"""GET /api/docs: Swagger UI over /api/openapi.json. Every asset comes from the
openapi-ui-bundles package, served by the gateway itself: the page loads nothing from elsewhere,
and its Content-Security-Policy tells the browser so."""

from __future__ import annotations

import falcon
from openapi_ui_bundles import swagger_ui

ASSETS = "/api/docs/assets"
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
  <script>
    window.ui = SwaggerUIBundle({{
      url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null
    }});
  </script>
</body>
</html>
"""
# Swagger UI sets inline styles and the page starts it with one inline script.
_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:"
)


class DocsPage:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.set_header("Content-Security-Policy", _POLICY)
        resp.text = _PAGE


def add_docs_routes(app: falcon.App) -> None:
    app.add_route("/api/docs", DocsPage())
    app.add_static_route(ASSETS, str(swagger_ui.static_path.resolve()))
