"""Bad input never becomes a server error, and the fast parser agrees with the pydantic schema.

Valid requests are mutated at random places (hypothesis): a value replaced by another JSON type (an object
where a name is expected, a boolean where a number is, huge integers, NaN, NUL bytes, Unicode digits, unknown
enum values, nested containers), a field dropped or an unknown one added. Then
- fastparse.parse and the pydantic schema accept exactly the same inputs and give the same dataclasses;
- POST /calculations, /calculations/batch and the public /trial answer 200 or 422 problem+json naming a field,
  never 5xx.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.calculation import parse_request
from services.calculation.domain.inputs import COST_TYPES, INCOME_TYPES
from services.calculation.service import fastparse
from services.calculation.service.calculator import Rejected
from services.calculation.service.requests import to_domain
from tests.calculation.conftest import make_app, req
from tests.calculation.test_properties import households
from tests.support import fresh_database, serve_in_thread

PROBLEM = "application/problem+json"
# Deterministic (CI runs the same examples every time), no deadline (2 shared cores).
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=200,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
HTTP_FUZZ = settings(FUZZ, max_examples=40)

NASTY_TEXT = ["", " ", "2026-03", "\u0662\u0660\u0662\u0666-03", "2026-03\n", "0000-01", "9999-12", "2026-3",
              "1899-12-31", "1990-01-01", "2020-02-30", "0000-01-01", "1990-01-01T00:00:00", "19900101",
              "applicant", "partner", "child-1", "Kid", "rent", "RENT", "wages_net", "other", "overpayment",
              "a\x00b", "\x00", "\x1c", "\x1f x", " padded ", "x" * 501, "M" * 65, "true", "1", "null", "NaN"]
KEYS = ["month", "household", "applicant", "partner", "children", "other_adults", "persons_in_home", "costs",
        "incomes", "support_history", "assets", "deductions", "municipality", "type", "amount", "member",
        "reason", "ref", "birth_date", "lunch_at_home", "school_youth", "earnings_earlier_this_year", "text",
        "items", "explain", "adults", "age", "rent", "wages_net", "surprise"]
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-(2 ** 80), 2 ** 80)
           | st.sampled_from([0, 1, -1, 100_000_000, 100_000_001, 2 ** 63, 2 ** 64, 1.0, 0.5, 1e308])
           | st.floats() | st.sampled_from(NASTY_TEXT) | st.sampled_from([*COST_TYPES, *INCOME_TYPES])
           | st.text(max_size=8))
# What a confused or hostile client puts where another type belongs; drawn often, so every run tries them.
CONFUSERS = [{}, [], [{}], {"a": 1}, True, False, 0, 1, 2.0, -1, 2 ** 64, float("nan"), float("inf"), None, "1",
             "true", "2026-03", "1990-01-01", "\x00"]
json_values = st.sampled_from(CONFUSERS) | st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=3),
                           max_leaves=6)


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*at, i))
    return out


@st.composite
def mutated(draw: Any, valid: st.SearchStrategy[Any]) -> Any:
    """A valid body with 1-3 mutations, each at a random place in its tree."""
    body = copy.deepcopy(draw(valid))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        value = draw(json_values)
        if not path:
            body = value
            continue
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        op = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if op == "replace":
            parent[last] = value
        elif op == "drop":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = value
        else:
            parent.append(value)
    return body


trials = st.fixed_dictionaries({}, optional={
    "month": st.sampled_from(["2026-03", "2025-12", "2021-01"]), "adults": st.sampled_from([1, 2]),
    "children": st.lists(st.fixed_dictionaries({"age": st.integers(0, 20)},
                                               optional={"lunch_at_home": st.booleans()}), max_size=3),
    "rent": st.integers(0, 20_000), "wages_net": st.integers(0, 20_000), "other_incomes": st.integers(0, 5000),
    "municipality": st.sampled_from(["Malmö", "goteborg"])})


def _pydantic(raw: Any) -> Any:
    try:
        return to_domain(parse_request(raw))
    except ValidationError:
        return None


@FUZZ
@given(mutated(households()))
def test_the_fast_parser_accepts_exactly_what_the_schema_accepts(calc, raw):
    fast = fastparse.parse(raw)  # never raises
    slow = _pydantic(raw)
    assert (fast is None) == (slow is None)
    assert fast == slow
    try:
        calc.from_raw(raw)
    except Rejected as exc:
        assert exc.errors and all(e["field"] for e in exc.errors)


@pytest.mark.parametrize("value", [{}, [], ["wages_net"], True, 1, None, "\u0000", "WAGES_NET"])
def test_an_income_type_of_any_wrong_json_type_is_refused(calc, value):
    raw = req(incomes=[{"type": value, "member": "applicant", "amount": 5}])
    assert fastparse.parse(raw) is None and _pydantic(raw) is None
    with pytest.raises(Rejected) as caught:
        calc.from_raw(raw)
    assert "incomes.0.type" in {e["field"] for e in caught.value.errors}


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda r: r["costs"].append({"type": {}, "amount": 5}), "costs.0.type"),
    (lambda r: r["deductions"].append({"type": [], "amount": 5}), "deductions.0.type"),
    (lambda r: r["support_history"].append({}), "support_history.0"),
    (lambda r: r.update(month="\u0662\u0660\u0662\u0666-03"), "month"),  # Arabic-Indic digits
    (lambda r: r["household"].update(persons_in_home=True), "household.persons_in_home"),
    (lambda r: r["household"].update(persons_in_home=2.0), "household.persons_in_home"),
    (lambda r: r["household"]["applicant"].update(birth_date=631152000), "household.applicant.birth_date"),
    (lambda r: r["household"]["children"].append({"ref": "k", "birth_date": "2020-01-01", "lunch_at_home": 1}),
     "household.children.0.lunch_at_home"),
    (lambda r: r["household"]["children"].append({"ref": "k", "birth_date": "2020-01-01",
                                                   "school_youth": "yes"}), "household.children.0.school_youth"),
    (lambda r: r.update(municipality="Mal\x00mö"), "municipality"),
    (lambda r: r["assets"].append({"amount": 1, "text": "a\x00b"}), "assets.0.text"),
])
def test_wrong_json_types_are_refused_with_the_field_named(calc, mutate, field):
    raw = req()
    mutate(raw)
    assert fastparse.parse(raw) is None and _pydantic(raw) is None
    with pytest.raises(Rejected) as caught:
        calc.from_raw(raw)
    assert field in {e["field"] for e in caught.value.errors}


def test_padded_text_is_stripped_the_same_way_by_both():
    raw = req(costs=[{"type": "other", "amount": 5, "reason": " \tbedömd\n"}], municipality="  Malmö ")
    fast = fastparse.parse(raw)
    assert fast is not None and fast == _pydantic(raw)
    assert fast.costs[0].reason == "bedömd" and fast.municipality == "Malmö"


# --- over HTTP ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("calculation") as url:
        yield url


@pytest.fixture(scope="module")
def http(db_url, issuer):
    # Hypothesis drives a synchronous test: the app is served by uvicorn in a thread with its own loop.
    with serve_in_thread(make_app(db_url, issuer, batch_max_items=5)) as url, httpx.Client(base_url=url) as client:
        yield client


def _post(http: httpx.Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    # json.dumps writes NaN and Infinity as bare words, as a careless client would; the service must refuse them.
    return http.post(path, content=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})})


def _ok_or_named_problem(response: Any, allowed: tuple[int, ...] = (200, 422)) -> None:
    assert response.status_code in allowed, (response.status_code, response.text)
    if response.status_code != 200:
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["status"] == response.status_code and problem["type"].startswith("urn:bistand:problem:")
        if response.status_code == 422:
            assert problem["errors"] and all(e["field"] for e in problem["errors"])


@HTTP_FUZZ
@given(body=mutated(households()))
def test_calculations_never_answer_5xx(http, as_persona, body):
    _ok_or_named_problem(_post(http, "/calculations", body, as_persona("anna")))


@HTTP_FUZZ
@given(body=mutated(st.builds(lambda items, explain: {"items": items, "explain": explain},
                              st.lists(households(), min_size=1, max_size=2), st.booleans())))
def test_batches_never_answer_5xx(http, as_persona, body):
    response = _post(http, "/calculations/batch", body, as_persona("karin"))
    _ok_or_named_problem(response, (200, 413, 422))
    if response.status_code == 200:
        for item in response.json()["items"]:
            assert item["status"] in (200, 422)
            if item["status"] == 422:
                at = f"items.{item['index']}"
                assert all(e["field"] == at or e["field"].startswith(at + ".") for e in item["problem"]["errors"])


@HTTP_FUZZ
@given(body=mutated(trials | households()))
def test_the_public_trial_never_answers_5xx(http, body):
    _ok_or_named_problem(_post(http, "/trial", body))


@pytest.mark.parametrize(("path", "persona", "body", "field"), [
    ("/calculations", "anna", req(incomes=[{"type": {}, "member": "applicant", "amount": 5}]), "incomes.0.type"),
    ("/trial", None, req(incomes=[{"type": {}, "member": "applicant", "amount": 5}]), "incomes.0.type"),
    ("/trial", None, {"month": "0000-01", "children": [{"age": 3}]}, "month"),
    ("/trial", None, {"adults": True}, "adults"),
    ("/trial", None, {"children": [{"age": True}]}, "children.0.age"),
    ("/trial", None, {"municipality": "\x00"}, "municipality"),
    ("/calculations/batch", "karin", {"items": [req()], "explain": 1}, "explain"),
])
def test_the_reported_bodies_are_refused_with_the_field_named(http, as_persona, path, persona, body, field):
    response = _post(http, path, body, as_persona(persona) if persona else None)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_bad_item_in_a_batch_is_named_at_its_index(http, as_persona):
    bad = req(incomes=[{"type": {}, "member": "applicant", "amount": 5}])
    response = _post(http, "/calculations/batch", {"items": [req(), bad]}, as_persona("karin"))
    assert response.status_code == 200, response.text
    second = response.json()["items"][1]
    assert second["status"] == 422 and second["problem"]["errors"][0]["field"] == "items.1.incomes.0.type"


@pytest.mark.parametrize("raw", [b"[" * 5000 + b"]" * 5000, b'{"month": NaN}', b'{"month": 1e999}',
                                 b'{"month": "2026-03", "household": {"applicant": {"birth_date": "\\ud800"}}}',
                                 b"\xff\xfe", b'{"a":1}' * 2])
@pytest.mark.parametrize(("path", "persona"), [("/calculations", "anna"), ("/calculations/batch", "karin"),
                                               ("/trial", None)])
def test_bodies_that_are_not_json_are_422(http, as_persona, raw, path, persona):
    headers = {"Content-Type": "application/json", **(as_persona(persona) if persona else {})}
    response = http.post(path, content=raw, headers=headers)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "body"
