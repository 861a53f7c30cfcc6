"""Asking the owner of protected identity (the registers service) before people are shown to each other."""

from __future__ import annotations

from kit.i18n import N_
from kit.problems import Problem
from services.messaging.integration.protection import ProtectionUnavailable
from services.messaging.service.runtime import Runtime


async def owner_protected(rt: Runtime, personal_numbers: list[str]) -> frozenset[str]:
    """Who of these the owner (the registers service) says has protected identity. Fails closed: no answer, no thread
    (503 whoever it is about). Without a configured owner (development): nobody beyond our own copy."""
    if rt.protection is None:
        return frozenset()
    try:
        return await rt.protection.protected_among(personal_numbers)
    except ProtectionUnavailable:
        raise Problem(503, "protection-check-unavailable", N_("Try again shortly"),
                      N_("We could not check who may see this right now; nothing was started.")) from None
