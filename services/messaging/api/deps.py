"""Dependencies that load AND authorise in one place, so no route can forget the check (BOLA).

A thread the caller may not see answers 404, exactly like a thread that does not exist.
"""

from __future__ import annotations

import uuid

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.app import ServiceContext
from kit.auth import Principal, authenticate, require_service_client
from kit.db import session as db_session
from kit.i18n import N_
from kit.idempotency import idempotency_key
from kit.problems import Problem
from services.messaging.domain import access, intake
from services.messaging.domain import letters as letter_rules
from services.messaging.domain.access import Party
from services.messaging.service.access import ThreadAccess, load_thread
from services.messaging.service.runtime import Runtime

__all__ = ["ThreadAccess", "case_exporter", "client", "current_runtime", "event_idempotency", "event_sender",
           "idempotency", "managed_thread", "participant", "party", "post_operator", "readable_thread", "runtime",
           "staff", "staff_writer", "thread_starter", "writable_thread"]


def context(request: Request) -> ServiceContext:
    return request.app.state.kit  # type: ignore[no-any-return]


def runtime(request: Request) -> Runtime:
    """The service's runtime (settings, keys, clock, relay, hub, clients), set by app.py's start-up hook."""
    return context(request).runtime  # type: ignore[no-any-return]


async def current_runtime(request: Request) -> Runtime:
    """``runtime`` as a route dependency (async, so it costs no thread-pool hop)."""
    return runtime(request)


# kit.idempotency.idempotency_key(description) is the dependency to use, but its header annotation names a local
# variable that ``from __future__ import annotations`` (in kit) leaves unresolvable for FastAPI; these two are the
# same dependency spelled at module level (the second for events, whose header has no description).
idempotency = idempotency_key()
# The event intake's header has no description in the published document.
event_idempotency = idempotency_key(None)


async def party(principal: Principal = Depends(authenticate)) -> Party:
    return Party.from_principal(principal)


async def participant(p: Party = Depends(party)) -> Party:
    """Clients (with a personal number) and unit staff; everyone else has no threads."""
    if not (p.is_client or p.is_staff):
        raise Problem(403, "forbidden", "Forbidden", "Your role has no messages.")
    return p


async def thread_starter(p: Party = Depends(participant)) -> Party:
    """Clients, and among staff the caseworkers."""
    if not p.is_client and not p.can_write_as_staff:
        raise Problem(403, "forbidden", "Forbidden", "Only caseworkers may start threads.")
    return p


async def staff(p: Party = Depends(party)) -> Party:
    if not p.is_staff:
        raise Problem(403, "forbidden", "Forbidden", "Only unit staff may do this.")
    return p


async def staff_writer(p: Party = Depends(party)) -> Party:
    if not p.can_write_as_staff:
        raise Problem(403, "forbidden", "Forbidden", "Only caseworkers may do this.")
    return p


async def case_exporter(p: Party = Depends(staff)) -> Party:
    """The unit's caseworkers and team leads. Employment officers see only the threads they are a party to, never
    the case's other (money) threads."""
    if p.work_only:
        # A role rule, the same answer for every case: nothing to learn about the case from it.
        raise Problem(403, "forbidden", "Forbidden", "Employment officers see their own threads, not case exports.")
    return p


async def client(p: Party = Depends(party)) -> Party:
    if not p.is_client:
        raise Problem(403, "forbidden", "Forbidden", "Only clients have their own contact details here.")
    return p


async def post_operator(principal: Principal = Depends(authenticate)) -> Principal:
    """Who collects the letter batches: an administrator or the print-and-post operator (the ``letters:print``
    permission); everyone else, clients and caseworkers included, the same 403 before anything is read."""
    if not letter_rules.may_print(principal.roles, principal.permissions):
        raise Problem(403, "forbidden", "Forbidden", "Only the print-and-post service collects letters.")
    return principal


async def event_sender(request: Request,
                       principal: Principal = Depends(require_service_client(setting="event_senders"))) -> str:
    """The client id of a service that may post events here (each only its own topics: service/events.py)."""
    if principal.client_id not in intake.senders(runtime(request).settings.topic_rules()):
        raise Problem(403, "event-sender-not-allowed", "Forbidden", "This service may not post events here.")
    return principal.client_id


async def readable_thread(thread_id: uuid.UUID, request: Request,
                          session: AsyncSession = Depends(db_session),
                          principal: Principal = Depends(authenticate),
                          p: Party = Depends(participant)) -> ThreadAccess:
    return await load_thread(session, runtime(request), thread_id, p, principal)


async def writable_thread(t: ThreadAccess = Depends(readable_thread)) -> ThreadAccess:
    if not access.can_write(t.party, t.thread.facts()):
        raise Problem(403, "forbidden", "Forbidden", N_("You may read this thread but not write in it."))
    return t


async def managed_thread(t: ThreadAccess = Depends(readable_thread)) -> ThreadAccess:
    if not access.can_manage(t.party, t.thread.facts()):
        raise Problem(403, "forbidden", "Forbidden", "Only the unit's caseworkers may assign threads.")
    return t
