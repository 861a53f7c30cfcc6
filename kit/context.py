"""Per-request context that travels with the task: the request id, for logs and outgoing calls."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def accept_or_make_request_id(incoming: str | None) -> str:
    """Keep a caller's id when it is sane (it ends up in logs), otherwise make one."""
    if incoming and _VALID_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()
