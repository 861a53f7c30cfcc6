"""kit.representation: the resolver messaging and meetings use (cache at most CACHE_SECONDS, the end date compared on
every use in Swedish time, applications unreachable: 503, never a guess) and the route marks (fail closed)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from contracts.representation import CACHE_SECONDS, Scope
from gateway import admission, forwarding
from kit.problems import Problem
from kit.representation import RemoteRepresentations, acts_for, required_scopes

CLIENT = "198903149808"
REP = "197001019806"


class Clocks:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
        self.mono = 1000.0

    def wall(self) -> dt.datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono


def resolver(handler, clocks: Clocks, **kwargs) -> RemoteRepresentations:
    client = httpx.AsyncClient(base_url="http://applications", transport=httpx.MockTransport(handler))
    return RemoteRepresentations(client, clock=clocks.wall, monotonic=clocks.monotonic, **kwargs)


async def test_cached_at_most_the_contract_time_and_the_end_date_checked_on_every_use():
    rid, calls = uuid.uuid4(), []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"representation_id": str(rid), "client": CLIENT, "kind": "god_man",
                                         "scopes": ["read"], "valid_until": "2026-03-31"})

    clocks = Clocks()
    r = resolver(handler, clocks, ttl_seconds=3600)  # asked for longer: the contract's limit holds
    assert (await r.resolve(rid, REP)).client == CLIENT
    clocks.mono += CACHE_SECONDS - 1
    assert await r.resolve(rid, REP) is not None and len(calls) == 1
    clocks.now = dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC)  # 00:30 on 1 April in Stockholm
    assert await r.resolve(rid, REP) is None and len(calls) == 1  # from the cache, and still refused
    clocks.mono += 2
    await r.resolve(rid, REP)
    assert len(calls) == 2  # asked again after CACHE_SECONDS


async def test_unknown_is_none_and_trouble_is_503():
    clocks = Clocks()
    assert await resolver(lambda _: httpx.Response(404), clocks).resolve(uuid.uuid4(), REP) is None
    for answer in (lambda _: httpx.Response(500), lambda _: httpx.Response(403)):
        with pytest.raises(Problem) as caught:
            await resolver(answer, clocks).resolve(uuid.uuid4(), REP)
        assert caught.value.status == 503

    def down(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(Problem) as caught:
        await resolver(down, clocks).resolve(uuid.uuid4(), REP)
    assert caught.value.status == 503
    with pytest.raises(Problem):
        await RemoteRepresentations(None).resolve(uuid.uuid4(), REP)


def test_a_route_without_a_mark_refuses_representatives():
    async def unmarked() -> None: ...

    @acts_for(Scope.READ, Scope.MESSAGES)
    async def marked() -> None: ...

    assert required_scopes(unmarked) is None
    assert required_scopes(marked) == {Scope.READ, Scope.MESSAGES}
    with pytest.raises(ValueError):
        acts_for()


def test_the_gateway_passes_the_header_and_allows_it_cross_origin():
    assert b"x-representation" not in forwarding._REQUEST_SKIP
    assert b"x-representation" in admission.CORS_ALLOW_HEADERS
