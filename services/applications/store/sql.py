"""What the store modules share."""

from __future__ import annotations

from typing import Any

import orjson


def to_json(value: Any) -> str:
    """A value as JSON text, for a ``CAST(:x AS jsonb)`` parameter."""
    return orjson.dumps(value).decode()
