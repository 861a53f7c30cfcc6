"""Placeholder: the adapters helper's build.py (the real SSBTEK and Navet adapters) replaces this file."""

from __future__ import annotations

from services.registers.integration.sources import Connection, Sources


def build_sources(connection: Connection) -> Sources:
    """The real adapters for ``connection``; not in this branch (the adapters branch supplies them)."""
    raise NotImplementedError("the register adapters come with the adapters branch (integration/build.py)")
