"""Client-facing texts from gettext catalogs (Babel), in the client's language, with its text direction.

Each service keeps its own catalogs (services stay independent): ``<package>/locales/<lang>/LC_MESSAGES/<domain>.po``.
The message ids are the English source texts, marked in code with ``_("...")`` where a text is made at once or
``N_("...")`` where a table of texts is built at import and translated when used. A ``{name}`` in a text is filled
with ``str.format`` after translation, so translators may move it.

Catalogs are read from the ``.po`` files when a service starts (no compiled ``.mo`` files in the repository or a
build step that can be forgotten). A text a catalog lacks falls back to the English id; ``make test`` checks that
every marked text is translated in every language in ``LANGUAGES``.

Adding a language (documented in the README, "Languages"): ``python -m kit.i18n init <code>`` writes a catalog
for it in every service, translators fill in ``msgstr``, and the code goes into ``LANGUAGES``.
``python -m kit.i18n update`` re-extracts the marked texts after code changes and merges them into every catalog.
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("sv", "en", "ar")
"""The languages client-facing texts exist in, complete. Swedish is the default and the fallback."""
DEFAULT_LANGUAGE = "sv"
DOMAIN = "messages"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}

Direction = Literal["ltr", "rtl"]


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Marks a text for extraction without translating it (tables built at import time)."""
    return message


@functools.cache
def direction(lang: str) -> Direction:
    """'rtl' for Arabic, Persian, Hebrew …; 'ltr' otherwise (and for a code Babel does not know)."""
    try:
        return "rtl" if Locale.parse(lang.replace("-", "_")).character_order == "right-to-left" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


def supported(lang: str | None) -> str | None:
    """The catalog language for a code (``ar-SE`` → ``ar``), or None."""
    if not lang:
        return None
    base = lang.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The language to answer in: the client's saved preference when there is a catalog for it, else the best
    match in an ``Accept-Language`` header (q-values honoured), else Swedish."""
    if chosen := supported(preferred):
        return chosen
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept_language.split(",")[:20]):
            tag, _, params = part.strip().partition(";")
            q = 1.0
            if params.strip().startswith("q="):
                try:
                    q = float(params.strip()[2:])
                except ValueError:
                    q = 0.0
            if (lang := supported(tag)) and q > 0:
                ranked.append((-q, position, lang))
        if ranked:
            return min(ranked)[2]
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """One language's texts for one service."""

    lang: str
    translations: Translations

    @property
    def direction(self) -> Direction:
        return direction(self.lang)

    def __call__(self, message: str, /, **values: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=n, **values)


class Catalogs:
    """A service's catalogs, read once. ``catalogs.get("ar")("New message")``."""

    def __init__(self, locales: Path, domain: str = DOMAIN, languages: Iterable[str] = LANGUAGES) -> None:
        self.locales = locales
        self.domain = domain
        self._translators = {lang: Translator(lang, _load(locales, lang, domain)) for lang in languages}

    def get(self, lang: str | None) -> Translator:
        """The translator for a language; an unknown or missing one gets Swedish."""
        return self._translators.get(supported(lang) or DEFAULT_LANGUAGE) or self._translators[DEFAULT_LANGUAGE]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._translators)


def po_path(locales: Path, lang: str, domain: str = DOMAIN) -> Path:
    return locales / lang / "LC_MESSAGES" / f"{domain}.po"


def _load(locales: Path, lang: str, domain: str) -> Translations:
    path = po_path(locales, lang, domain)
    if not path.exists():
        return Translations()  # every text falls back to its English id; the catalog test says what is missing
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


# --- tooling: extraction, checks, new languages ---------------------------------------------------------------

def catalog_roots(project: Path) -> list[Path]:
    """Every package with a ``locales`` folder (a service, or the kit for its shared problem texts)."""
    candidates = [project / "kit", *sorted((project / "services").iterdir())]
    return [p for p in candidates if (p / "locales").is_dir()]


def extract(package: Path) -> Catalog:
    """The texts marked in a package's Python code (its ``locales`` folder's parent)."""
    catalog = Catalog(domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(package), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def missing(package: Path, lang: str) -> list[str]:
    """Marked texts the language's catalog lacks or leaves untranslated (or fuzzy)."""
    path = po_path(package / "locales", lang)
    if not path.exists():
        return [str(m.id) for m in extract(package) if m.id]
    with path.open("rb") as fh:
        have = read_po(fh, locale=lang)
    gaps = []
    for message in extract(package):
        if not message.id:
            continue
        entry = have.get(message.id)
        strings = entry.string if entry else None
        done = entry is not None and not entry.fuzzy and (
            all(strings) if isinstance(strings, (tuple, list)) else bool(strings))
        if not done:
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def update(package: Path, languages: Iterable[str] = LANGUAGES) -> None:
    """Merge freshly extracted texts into each language's catalog (new ones empty, gone ones dropped)."""
    for lang in languages:
        template = extract(package)  # afresh for each: Catalog.update adopts the template's new message objects
        path = po_path(package / "locales", lang)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            template.creation_date = catalog.creation_date  # an update that changes no text changes no file
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN)
        created = catalog.creation_date  # kept, so an update changes only what changed (fewer merge conflicts)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.creation_date = created
        catalog.obsolete.clear()
        if lang == "en":  # the ids are English: the English catalog is the identity
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            # No file:line references: they move with every edit and would make each change a merge conflict.
            write_po(fh, catalog, width=120, sort_output=True, no_location=True)


def main(argv: list[str]) -> int:
    project = Path(__file__).resolve().parent.parent
    if argv[:1] == ["update"]:
        for package in catalog_roots(project):
            update(package)
        return 0
    if len(argv) == 2 and argv[0] == "init":
        for package in catalog_roots(project):
            update(package, [argv[1]])
        print(f"Catalogs for {argv[1]!r} written; translate them, then add {argv[1]!r} to LANGUAGES in kit/i18n.py.")
        return 0
    if argv[:1] == ["check"]:
        gaps = {(str(p.relative_to(project)), lang): missing(p, lang)
                for p in catalog_roots(project) for lang in LANGUAGES}
        for (package, lang), ids in gaps.items():
            for message in ids:
                print(f"{package} [{lang}] untranslated: {message}")
        return 1 if any(gaps.values()) else 0
    print("usage: python -m kit.i18n update | init <language> | check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
