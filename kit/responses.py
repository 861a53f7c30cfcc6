"""JSON answers encoded with orjson: the same bytes Starlette's JSONResponse writes for JSON-native bodies (UTF-8,
compact), several times faster for a case's view of a few kilobytes."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSON

# Dict keys that are not strings (an int, a UUID) are written as strings, as the standard library's encoder does.
_OPTIONS = orjson.OPT_NON_STR_KEYS


class JSONResponse(_StarletteJSON):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=_OPTIONS)
