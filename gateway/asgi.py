"""The few ASGI pieces the gateway's parts share: reading a header, answering with a body, a client gone."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Scope, Send


class ClientGone(Exception):
    """The client disconnected before its request was read: nothing can be answered (logged as 499)."""


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    await send_raw(send, status, orjson.dumps(body), b"application/json")


async def send_raw(send: Send, status: int, body: bytes, content_type: bytes,
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
