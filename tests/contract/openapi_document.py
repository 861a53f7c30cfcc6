"""The merged OpenAPI document of every service, built in-process the way the gateway merges it."""

from __future__ import annotations

import importlib
from typing import Any

from gateway.openapi import merge
from gateway.settings import SERVICES


def merged_document() -> dict[str, Any]:
    documents = {name: importlib.import_module(f"services.{name}.app").create_app().openapi() for name in SERVICES}
    return merge(documents, title="Bistånd API", version="0.1.0")
