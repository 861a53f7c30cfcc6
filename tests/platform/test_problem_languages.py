"""kit.problems in the caller's language: titles and details translated when Accept-Language asks for a catalog
language and a catalog has the exact text (the service's before the kit's); English otherwise; type unchanged."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from fastapi import FastAPI

from kit import i18n
from kit.problems import Problem, install_problem_handlers, not_found, use_catalogs


def _catalogs(root: Path) -> i18n.Catalogs:
    texts = {"sv": {"Illegal transition": "Otillåtet steg", "No such item.": "Saken finns inte."},
             "ar": {"Illegal transition": "خطوة غير مسموح بها"}}
    for lang, entries in texts.items():
        catalog = Catalog(locale=lang, domain=i18n.DOMAIN)
        for msgid, msgstr in entries.items():
            catalog.add(msgid, msgstr)
        path = i18n.po_path(root, lang)
        path.parent.mkdir(parents=True)
        with path.open("wb") as fh:
            write_po(fh, catalog)
    return i18n.Catalogs(root)


@pytest.fixture
async def client(tmp_path):
    app = FastAPI()
    install_problem_handlers(app)
    use_catalogs(app, _catalogs(tmp_path))

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> None:
        raise not_found("item")

    @app.get("/conflict")
    async def conflict() -> None:
        raise Problem(409, "illegal-transition", "Illegal transition", "Cannot go from A to B.")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_without_accept_language_everything_stays_english(client):
    answer = await client.get("/items/1")
    assert answer.json()["title"] == "Not found" and answer.json()["detail"] == "No such item."
    assert "content-language" not in answer.headers


@pytest.mark.parametrize(("header", "title", "detail", "language"), [
    ("sv-SE", "Hittades inte", "Saken finns inte.", "sv"),  # the kit's title, the service's detail
    ("ar", "غير موجود", "No such item.", "ar"),  # a detail no catalog has stays English
    ("en", "Not found", "No such item.", "en"),
    ("fr", "Not found", "No such item.", None),  # no catalog language asked for: English, as without the header
    ("sv;q=0, fr", "Not found", "No such item.", None),
])
async def test_a_problem_in_the_language_asked_for(client, header, title, detail, language):
    answer = await client.get("/items/1", headers={"Accept-Language": header})
    body = answer.json()
    assert answer.status_code == 404 and body["type"] == "urn:bistand:problem:not-found"
    assert (body["title"], body["detail"]) == (title, detail)
    assert answer.headers.get("content-language") == language


async def test_the_services_own_titles_and_the_frameworks_errors(client):
    conflict = await client.get("/conflict", headers={"Accept-Language": "ar"})
    assert conflict.json()["title"] == "خطوة غير مسموح بها"
    assert conflict.json()["type"] == "urn:bistand:problem:illegal-transition"
    invalid = await client.get("/items/x", headers={"Accept-Language": "sv"})
    assert invalid.status_code == 422 and invalid.json()["title"] == "Ogiltig begäran"
    assert invalid.json()["detail"] == "Ett eller flera fält är ogiltiga."
    unknown = await client.get("/nowhere", headers={"Accept-Language": "ar"})
    assert unknown.status_code == 404 and unknown.json()["title"] == "غير موجود"  # "Not Found", the status phrase
