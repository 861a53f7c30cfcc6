"""One OpenAPI document for all services: each service's paths under /api/<service>."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

_REF = "#/components/schemas/"


def _prefix_refs(document: Any, prefix: str) -> Any:
    # Schema names clash across services ("Problem", "Page"), so each is prefixed.
    text = json.dumps(document).replace(f'"{_REF}', f'"{_REF}{prefix}')
    return json.loads(text)


def merge(documents: dict[str, dict[str, Any] | None], *, title: str, version: str) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "All Bistånd services behind one gateway. Send "
                                "`Authorization: Bearer <token>`; errors are application/problem+json."},
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "security": [{"bearer": []}],
        "tags": [],
    }
    for service, document in sorted(documents.items()):
        if document is None:
            merged["tags"].append({"name": service, "description": "unavailable right now"})
            continue
        prefix = service.capitalize() + "_"
        document = _prefix_refs(document, prefix)
        merged["tags"].append({"name": service,
                               "description": document.get("info", {}).get("description", "")})
        for path, operations in document.get("paths", {}).items():
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation["tags"] = [service, *operation.get("tags", [])]
                    if "operationId" in operation:
                        operation["operationId"] = f"{service}_{operation['operationId']}"
            merged["paths"][f"/api/{service}{path}"] = operations
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            merged["components"]["schemas"][prefix + name] = schema
    return merged


async def fetch_all(session: aiohttp.ClientSession, urls: dict[str, str],
                    timeout_seconds: float = 3.0) -> dict[str, dict[str, Any] | None]:
    async def one(url: str) -> dict[str, Any] | None:
        try:
            async with session.get(f"{url}/openapi.json",
                                   timeout=aiohttp.ClientTimeout(total=timeout_seconds)) as response:
                if response.status != 200:
                    return None
                return await response.json()
        except (aiohttp.ClientError, TimeoutError):
            return None

    names = list(urls)
    results = await asyncio.gather(*(one(urls[n]) for n in names))
    return dict(zip(names, results, strict=True))
