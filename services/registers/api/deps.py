"""Dependencies that authorise in one place, so no route can forget the check.

The internal routes take only the service clients their setting names (the others, and persons, get 403). The
audit is read by the person looked up (their own rows, found by the personnummer of their token) and by staff with
an audit scope (admin: all; team lead: their units); everyone else gets 403 before anything is read.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from kit.app import ServiceContext
from kit.auth import Principal, authenticate, forbidden, require_service_client
from services.registers.domain.access import AuditScope, audit_scope
from services.registers.service.runtime import Runtime

CLIENT = "client"


def context(request: Request) -> ServiceContext:
    return request.app.state.kit  # type: ignore[no-any-return]


async def runtime(request: Request) -> Runtime:
    """The service's runtime (clock, adapters, sealer, protection cache), made by its start-up hook."""
    return cast(Runtime, context(request).runtime)


Rt = Annotated[Runtime, Depends(runtime)]

lookup_caller = require_service_client(setting="lookup_clients")
population_caller = require_service_client(setting="population_clients")
protection_caller = require_service_client(setting="protection_clients")
subject_access_caller = require_service_client(setting="subject_access_clients")


async def person_looked_up(principal: Principal = Depends(authenticate)) -> str:
    """The calling client's own personnummer: whose look-ups /me/lookups lists."""
    if not principal.has_role(CLIENT) or not principal.personal_number:
        raise forbidden("Only a client reads the look-ups made about them.")
    return principal.personal_number


async def auditor(principal: Principal = Depends(authenticate)) -> AuditScope:
    """The rows the caller may read in the audit (403 for every role without a scope)."""
    return audit_scope(principal.roles, principal.units)
