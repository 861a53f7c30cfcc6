"""Per-request context that travels with the task: the request id, for logs and outgoing calls."""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def accept_or_make_request_id(incoming: str | None) -> str:
    """Keep a caller's id when it is sane (it ends up in logs), otherwise make one."""
    if incoming and _VALID_ID.match(incoming):
        return incoming
    return _uuid4_hex()


def _uuid4_hex() -> str:
    """``uuid.uuid4().hex`` without building a UUID object (once per request at the gateway)."""
    value = int.from_bytes(os.urandom(16), "big") & _UUID4_CLEAR | _UUID4_SET
    return f"{value:032x}"


# RFC 9562 version 4: the variant bits 10 and the version nibble 4, as uuid.UUID(version=4) sets them.
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)


def current_request_id() -> str | None:
    return request_id_var.get()
