"""Every endpoint and every dependency of every service is async: a plain ``def`` would make FastAPI run it in
its thread pool, one hop per request (measurably slower under load, and a pool of 40 threads to queue on)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.settings import SERVICES


def _is_async(call: Any) -> bool:
    return (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
            or (not inspect.isfunction(call) and inspect.iscoroutinefunction(type(call).__call__)))


def _sync_dependencies(dependant: Any, route: str, found: list[str]) -> None:
    for dependency in dependant.dependencies:
        if dependency.call is not None and not _is_async(dependency.call):
            found.append(f"{route}: {dependency.call.__module__}.{dependency.call.__qualname__}")
        _sync_dependencies(dependency, route, found)


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_runs_in_the_thread_pool(service):
    app = importlib.import_module(f"services.{service}.app").create_app()
    routes = [r for router in app.kit_routers for r in router.routes if isinstance(r, APIRoute)]
    assert routes
    found: list[str] = []
    for route in routes:
        name = f"{sorted(route.methods)[0]} {route.path}"
        if not _is_async(route.endpoint):
            found.append(f"{name}: the endpoint")
        _sync_dependencies(route.dependant, name, found)
    assert found == []


def test_the_check_sees_a_plain_def():
    def plain() -> None: ...

    async def fine() -> None: ...

    assert not _is_async(plain) and _is_async(fine)
