"""A stand-in for applications' POST /internal/representations/resolve (contracts.representation), for the tests of
messaging and meetings: the services' real resolver (kit.representation.RemoteRepresentations) over an httpx mock
transport that answers like applications does (tests/applications/test_representation.py tests the real one)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from contracts.representation import RESOLVE_PATH, Resolved, ResolveRequest
from kit.representation import RemoteRepresentations
from simulators.idp.personas import Persona

OLLE = Persona("olle", "Olle Ombudsson", ("client",), personal_number="197001019806")


class Applications:
    def __init__(self) -> None:
        self.held: dict[uuid.UUID, tuple[str, Resolved]] = {}
        self.calls = 0

    def add(self, client: str, scopes: list[str], *, representative: str = OLLE.personal_number or "",
            valid_until: dt.date = dt.date(2099, 12, 31), kind: str = "god_man") -> str:
        rid = uuid.uuid4()
        self.held[rid] = (representative, Resolved.model_validate({
            "representation_id": rid, "client": client, "kind": kind, "scopes": scopes, "valid_until": valid_until}))
        return str(rid)

    def revoke(self, rid: str) -> None:
        self.held.pop(uuid.UUID(rid), None)

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == RESOLVE_PATH
        self.calls += 1
        ask = ResolveRequest.model_validate_json(request.content)
        found = self.held.get(ask.representation_id)
        if found is None or found[0] != ask.representative.value:
            return httpx.Response(404, json={"type": "urn:bistand:problem:representation-not-found"})
        return httpx.Response(200, content=found[1].model_dump_json())

    def install(self, app: Any, clock: Any = None, **kwargs: Any) -> RemoteRepresentations:
        client = httpx.AsyncClient(base_url="http://applications", transport=httpx.MockTransport(self.handler))
        resolver = RemoteRepresentations(client, **({"clock": clock} if clock else {}), **kwargs)
        app.state.kit.representations = resolver
        return resolver


def acting(issuer: Any, representation: str, persona: Persona = OLLE) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.persona_token(persona)}", "X-Representation": representation}
