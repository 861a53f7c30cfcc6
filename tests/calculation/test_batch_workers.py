"""Batches spread over worker processes answer exactly as in-process batches do, item by item, in order."""

from __future__ import annotations

import pytest

from tests.calculation.conftest import child, make_app, req
from tests.support import app_client, fresh_database


@pytest.fixture(scope="module")
async def clients(issuer):
    async with (fresh_database("calculation") as url, app_client(make_app(url, issuer)) as plain,
                app_client(make_app(url, issuer, batch_workers=2)) as pooled):
        yield plain, pooled


async def test_workers_answer_like_the_service_itself(clients, issuer):
    plain, pooled = clients
    headers = {"Authorization": f"Bearer {issuer.service_token('applications')}"}
    items = [req("2026-01"), req(costs=[{"type": "rent", "amount": -1}]),
             req("2024-05", partner="1990-01-01", children=[child("k", "2019-01-01")]), req("2019-01"),
             req(incomes=[{"type": "pension", "member": "ghost", "amount": 1}])]
    for explain in (True, False):
        body = {"items": items, "explain": explain}
        a = await plain.post("/calculations/batch", json=body, headers=headers)
        b = await pooled.post("/calculations/batch", json=body, headers=headers)
        assert a.status_code == b.status_code == 200
        assert a.json() == b.json()
        assert b.json()["count"] == 5 and b.json()["failed"] == 3
        assert [i["index"] for i in b.json()["items"]] == [0, 1, 2, 3, 4]
        assert b.json()["items"][4]["problem"]["errors"][0]["field"] == "items.4.incomes.0.member"
    empty = await pooled.post("/calculations/batch", json={"items": []}, headers=headers)
    assert empty.json() == {"count": 0, "failed": 0, "items": []}


def test_crc32_combine_matches_zlib():
    import zlib

    from services.calculation.service.gzip_parts import crc32_combine

    for a, b in ((b"", b"x"), (b"abc", b""), (b"hello ", b"world" * 1000), (bytes(range(256)) * 7, b"\x00" * 12345)):
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_a_gzip_stream_joined_from_parts_is_one_valid_stream():
    import gzip
    import zlib

    from services.calculation.service.gzip_parts import deflate, gzip_answer

    parts = [b'{"index":0}', b"", b'{"index":1},{"index":2}']
    packed = gzip_answer([(deflate(p), zlib.crc32(p), len(p)) for p in parts], 3, 0)
    expected = b'{"count":3,"failed":0,"items":[{"index":0},{"index":1},{"index":2}]}'
    assert gzip.decompress(packed) == expected
    one_member = zlib.decompressobj(zlib.MAX_WBITS | 16)  # what HTTP clients do: a single gzip member
    assert one_member.decompress(packed) == expected and one_member.eof and not one_member.unused_data


async def test_workers_gzip_their_parts(clients, issuer):
    plain, pooled = clients
    headers = {"Authorization": f"Bearer {issuer.service_token('applications')}", "Accept-Encoding": "gzip"}
    body = {"items": [req("2026-01", children=[child(f"k{n}", "2015-01-01")]) for n in range(40)] + [req("2019-01")]}
    a = await plain.post("/calculations/batch", json={**body, "explain": True},
                         headers={**headers, "Accept-Encoding": "identity"})
    b = await pooled.post("/calculations/batch", json={**body, "explain": True}, headers=headers)
    assert b.headers["content-encoding"] == "gzip" and a.json() == b.json()


async def test_a_dead_worker_does_not_break_later_batches(clients, issuer):
    import os
    import signal

    _, pooled = clients
    pool = pooled._transport.app.state.kit.runtime.batch_pool  # the app behind the in-process client
    headers = {"Authorization": f"Bearer {issuer.service_token('applications')}"}
    body = {"items": [req("2026-01"), req("2026-01", partner="1990-01-01")]}
    assert (await pooled.post("/calculations/batch", json=body, headers=headers)).status_code == 200
    broken = pool.pool
    for pid in list(broken._processes):  # as the kernel's OOM killer would
        os.kill(pid, signal.SIGKILL)
    again = await pooled.post("/calculations/batch", json=body, headers=headers)
    assert pool.pool is not broken  # a new pool was started
    assert again.status_code == 200 and [i["result"]["entitlement"] for i in again.json()["items"]] == [5220, 8510]
