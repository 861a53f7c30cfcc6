"""The norm tables, public: anyone may check the amounts, their sources and how sure we are of them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from kit.problems import Problem
from services.calculation.api.deps import calculator, orjson_response

router = APIRouter(tags=["norms"])


@router.get("/norms", summary="Public: the years the norm tables cover")
async def list_norms(request: Request) -> Response:
    book = calculator(request).norms
    return orjson_response({"years": [
        {"year": y, "source": n.source_id, "confidence": n.confidence["personal"],
         "single_adult": n.single_adult_total, "couple": n.couple_total, "href": f"/norms/{y}"}
        for y, n in sorted(book.years.items())]})


@router.get("/norms/{year}", summary="Public: one year's norm table with its sources and confidence markers")
async def get_norm(year: int, request: Request) -> Response:
    norm = calculator(request).norms.years.get(year)
    if norm is None:
        raise Problem(404, "norm-year-not-found", "No norm table for that year",
                      f"The norm tables cover {', '.join(map(str, sorted(calculator(request).norms.years)))}.")
    return orjson_response(norm.as_table())
