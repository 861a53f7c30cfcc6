"""What a request path may look like at the edge, and which routes are special (public, streaming).

The gateway decides on the path (public or not, which service) and the service routes on the path it is
sent; the two must never read one request differently. So a path that a server, a proxy or a framework
could read in two ways is refused before anything else: dot segments (``..``, ``%2e%2e``), encoded
slashes (``%2f``, ``%5c``), backslashes, control characters, empty segments (``//``). What passes is
forwarded byte for byte as it came.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

# RFC 3986 pchar (unreserved, sub-delims, ":" and "@") with "/" and percent-escapes; nothing else is taken raw.
_RAW_PATH = re.compile(rb"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The common case, decided in one match: no percent-escape, non-empty segments (a trailing "/" allowed), none of
# them "." or "..". Such a path passes every check below; anything else takes them all.
_PLAIN_PATH = re.compile(rb"/|(?:/(?!\.\.?(?:/|\Z))[A-Za-z0-9\-._~!$&'()*+,;=:@]+)+/?")


def invalid_path(path: str, raw_path: bytes | None) -> str | None:
    """Why the path is refused, or None. ``path`` is the decoded path, ``raw_path`` as it came (if the server
    gives it: uvicorn does): both are checked, so a server that decodes differently cannot slip one past."""
    if raw_path is not None and _PLAIN_PATH.fullmatch(raw_path) and path == raw_path.decode("ascii"):
        return None
    if raw_path is not None:
        if not _RAW_PATH.fullmatch(raw_path):
            return "the path has characters that must be percent-encoded"
        segments = raw_path.split(b"/")
        for segment in segments:
            decoded = unquote_to_bytes(segment)
            if b"/" in decoded or b"\\" in decoded:
                return "the path has an encoded slash or backslash"
            reason = _segment_problem(decoded.decode("latin-1"))
            if reason:
                return reason
        if len(segments) != len(path.split("/")):  # the decoded path has the raw path's segments, no more
            return "the path is ambiguous"
    if not path.startswith("/"):
        return "the path must start with /"
    if "\\" in path:
        return "the path has a backslash"
    for segment in path.split("/"):
        reason = _segment_problem(segment)
        if reason:
            return reason
    if "//" in path:
        return "the path has an empty segment"
    return None


def _segment_problem(segment: str) -> str | None:
    if segment in (".", ".."):
        return "the path has a dot segment"
    if _CONTROL.search(segment):
        return "the path has a control character"
    return None


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    text: str


def parse_routes(spec: str) -> tuple[Route, ...]:
    """Routes written ``METHODS /path`` and separated by commas, e.g. ``GET|POST /api/meetings/join/{token}``.

    The path is matched whole. ``{name}`` stands for exactly one non-empty segment (no ``/``) and may sit
    inside a segment with literal text around it (``{token}.ics``); everything else is literal. A route
    for GET also takes HEAD. Without METHODS an entry means GET (and HEAD)."""
    routes = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        methods_text, _, path = item.rpartition(" ")
        methods = {m.strip().upper() for m in methods_text.split("|") if m.strip()} or {"GET"}
        if "GET" in methods:
            methods.add("HEAD")
        if not path.startswith("/"):
            raise ValueError(f"a route's path must start with /: {item!r}")
        parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", path)
        regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        routes.append(Route(frozenset(methods), re.compile(regex), item))
    return tuple(routes)


def matches(routes: tuple[Route, ...], method: str, path: str) -> bool:
    return any(method in r.methods and r.pattern.fullmatch(path) for r in routes)
