"""Shared parts of the per-service access matrices (tests/<service>/test_api_bola_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any


def routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, through included routers (FastAPI nests them lazily)."""
    try:
        from fastapi.routing import _IncludedRouter  # type: ignore[attr-defined]
    except ImportError:  # older FastAPI: routes are flat
        _IncludedRouter = ()  # noqa: N806

    def walk(items: Iterable[Any]) -> Iterator[tuple[str, str]]:
        for r in items:
            if _IncludedRouter and isinstance(r, _IncludedRouter):
                yield from walk(r.effective_candidates())
            else:
                for m in (getattr(r, "methods", None) or {"*"}) - {"HEAD"}:
                    yield m, r.path

    return set(walk(app.routes))


def assert_every_route_listed(app: Any, matrix: Mapping[tuple[str, str], Any], public: set[tuple[str, str]]) -> None:
    """A new endpoint without access rows turns the suite red."""
    assert routes(app) == set(matrix) | public, "a route without access rows: add it to ROUTES or PUBLIC"


def assert_every_protected_route_refuses_someone(matrix: Mapping[tuple[str, str], list[tuple[Any, ...]]],
                                                 open_to_all: Iterable[tuple[str, str]] = ()) -> None:
    """Each protected route answers 401 without a token and refuses (403/404) someone with one, unless it is
    meant for every signed-in caller."""
    everyone = set(open_to_all)
    for route, rows in matrix.items():
        statuses = {row[3] for row in rows}
        assert 401 in statuses, route
        assert statuses & {403, 404} or route in everyone, route


def caller_headers(issuer: Any, as_persona: Any, service: str, other_service: str | None = None,
                   audience: str | None = None) -> Callable[[str], dict[str, str]]:
    """The Authorization header for a matrix caller: a persona, "anon", "forged", "service" (``service``'s
    client-credentials token: for ``audience``, else for every service the IdP lets it call) or "other-service"."""
    def headers(caller: str) -> dict[str, str]:
        if caller == "anon":
            return {}
        if caller == "forged":
            return {"Authorization": "Bearer not.a.token"}
        if caller == "service":
            return {"Authorization": f"Bearer {issuer.service_token(service, audience)}"}
        if caller == "other-service" and other_service:
            return {"Authorization": f"Bearer {issuer.service_token(other_service)}"}
        return as_persona(caller)

    return headers


# --- what a caller would see: the body, not only the status ------------------------------------------------------

def written_forms(pnr: str) -> tuple[str, ...]:
    """A personnummer as it may appear in a body: 12 or 10 digits, with or without the dash."""
    return pnr, pnr[2:], f"{pnr[:8]}-{pnr[8:]}", f"{pnr[2:8]}-{pnr[8:]}"


def _people() -> dict[str, tuple[str, ...]]:
    from simulators.idp.personas import PERSONAS

    return {key: (*(written_forms(p.personal_number) if p.personal_number else ()), p.name)
            for key, p in PERSONAS.items() if "client" in p.roles}


# Whom each demo caller may see, by the unit and household rules of the demo world: Anna and Bertil are a household
# in Nord, Cecilia is a client in another household (Syd in most worlds), Dana has protected identity (Nord; only
# cleared Maja sees her). A service token reads routing facts about anyone.
CIRCLES: dict[str, frozenset[str]] = {
    "anna": frozenset({"anna", "bertil"}), "bertil": frozenset({"anna", "bertil"}),
    "cecilia": frozenset({"cecilia"}), "dana": frozenset({"dana"}),
    "karin": frozenset({"anna", "bertil"}), "tove": frozenset({"anna", "bertil"}),
    "maja": frozenset({"anna", "bertil", "dana"}), "lars": frozenset({"cecilia"}),
    "nils": frozenset(), "adam": frozenset(), "anon": frozenset(), "forged": frozenset(),
}
UNITS = ("nord", "syd")


def assert_body_tells_nothing_more(response: Any, caller: str, *, known: str = "",
                                   circles: Mapping[str, frozenset[str]] | None = None,
                                   ids: Mapping[str, str] | None = None) -> None:
    """What a person would see in the answer: nobody outside the caller's circle by personnummer (any written form)
    or name; and in a refusal no one at all, no unit and no id of the world the caller did not send (``known``: the
    request's URL and body)."""
    text = response.text
    refused = response.status_code >= 400
    circle = (circles or CIRCLES).get(caller)
    if circle is None and not refused:
        return  # services and other machine callers: their rows say what they may read
    for person, marks in _people().items():
        if refused or person not in (circle or ()):
            for mark in marks:
                assert mark not in text, f"{caller} is told of {person} ({response.status_code}): {text[:300]}"
    if refused:
        lowered = text.lower()
        for unit in UNITS:
            assert f'"{unit}"' not in lowered, f"a refusal names unit {unit}: {text[:300]}"
        for name, value in (ids or {}).items():
            assert value in known or value not in text, f"a refusal names {name}: {text[:300]}"
