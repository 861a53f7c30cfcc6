"""The municipalities' reasonable rent per household size: from the environment and a TOML file (see the README)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from services.calculation.domain.engine import RentCeilings


def parse_ceilings(text: str) -> tuple[int, ...]:
    """ "1:7500,2:9000,3:11000" -> (7500, 9000, 11000): sizes 1..n, each once."""
    pairs: dict[int, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        size, sep, amount = part.partition(":")
        if not sep or not size.strip().isdigit() or not amount.strip().isdigit():
            raise ValueError(f"rent ceiling {part!r} is not 'size:kronor'")
        pairs[int(size)] = int(amount)
    if pairs and sorted(pairs) != list(range(1, len(pairs) + 1)):
        raise ValueError("rent ceilings must list the household sizes 1, 2, 3 ... without gaps")
    return tuple(pairs[n] for n in sorted(pairs))


def load_ceilings(default: str, path: str | None) -> RentCeilings:
    """The default list from the environment, per-municipality lists from a TOML file (see the README)."""
    table = parse_ceilings(default)
    by_municipality: dict[str, tuple[int, ...]] = {}
    if path:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        for name, sizes in data.items():
            if not isinstance(sizes, dict):
                raise ValueError(f"{path}: [{name}] must be a table of size = kronor")
            parsed = parse_ceilings(",".join(f"{k}:{v}" for k, v in sizes.items()))
            if name == "default":
                table = parsed
            else:
                by_municipality[name.lower()] = parsed
    return RentCeilings(table, by_municipality)
