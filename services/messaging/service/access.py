"""A thread loaded and authorised for the caller (BOLA): the one way a use case gets a thread.

A thread the caller may not see answers 404, exactly like a thread that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import not_found
from services.messaging.domain import access
from services.messaging.domain.access import Party, Side
from services.messaging.service.runtime import Runtime
from services.messaging.store import threads as threads_store
from services.messaging.store.threads import ThreadRecord


@dataclass
class ThreadAccess:
    thread: ThreadRecord
    side: Side
    party: Party
    principal: Principal

    @property
    def reader(self) -> str:
        return access.reader_key(self.party, self.side)

    @property
    def staff_view(self) -> bool:
        return self.side is Side.STAFF

    def audit_read(self, session: AsyncSession, what: str, resource_id: str | None = None,
                   **details: Any) -> None:
        """Staff reading a client's messages is recorded (the client's own reads are not)."""
        if self.staff_view:
            audit.record(session, self.principal, "read", what, resource_id or str(self.thread.id),
                         subject=",".join(sorted(self.thread.members)), purpose="messaging",
                         details={"thread_id": str(self.thread.id), **details})


async def load_thread(session: AsyncSession, rt: Runtime, thread_id: uuid.UUID, p: Party,
                      principal: Principal) -> ThreadAccess:
    """The thread and the side the caller is on, or 404."""
    thread = await threads_store.get_thread(session, rt.keyring, thread_id, rt.now())
    side = access.side(p, thread.facts()) if thread is not None else None
    if thread is None or side is None:
        raise not_found("thread")
    return ThreadAccess(thread, side, p, principal)
