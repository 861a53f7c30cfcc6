"""The API documentation pages, with every asset served by the gateway itself (never a CDN).

Municipal networks often have no route to the internet; a docs page that loads Swagger UI from a CDN is blank
there. The assets come from the ``fastapi-offline`` package (Swagger UI and ReDoc bundles) and are read once.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

PREFIX = "/docs/assets/"
_TYPES = {".js": b"text/javascript; charset=utf-8", ".css": b"text/css; charset=utf-8", ".png": b"image/png"}
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")

# Swagger UI and ReDoc start with an inline script and inline styles; nothing is loaded from another origin.
POLICY = (b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
          b"img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'")


@cache
def swagger_page(title: str) -> bytes:
    return bytes(get_swagger_ui_html(
        openapi_url="/openapi.json", title=title, swagger_js_url=PREFIX + "swagger-ui-bundle.js",
        swagger_css_url=PREFIX + "swagger-ui.css", swagger_favicon_url=PREFIX + "favicon.png").body)


@cache
def redoc_page(title: str) -> bytes:
    return bytes(get_redoc_html(openapi_url="/openapi.json", title=title, redoc_js_url=PREFIX + "redoc.standalone.js",
                                redoc_favicon_url=PREFIX + "favicon.png", with_google_fonts=False).body)


@cache
def asset(name: str) -> tuple[bytes, bytes] | None:
    """(content, content type) of a known asset, or None: only the listed files, never a path from the request."""
    if name not in ASSETS:
        return None
    content = (files("fastapi_offline") / "static" / name).read_bytes()
    return content, _TYPES[name[name.rfind("."):]]
