"""Words in the user's language: gettext catalogs (`.po`) under `mnistlab/locale`, read with Babel.

Every user-facing string goes through one of these functions, which Babel's extractor knows:
- `_(message, **params)` translates now (and fills `{params}`);
- `n_(singular, plural, n, **params)` picks the plural form for `n`;
- `N_(message)` only marks a constant for extraction; translate it with `_()` where it is shown;
- `L_(message, **params)` makes a `Message` that translates itself when shown (`str()`): what a
  worker process or an error says, read later in whichever language the reader has.

The language is asked of a source the app installs (`set_language_source`): the Streamlit UI
reads the session's choice; a notebook or the CLI reads `MNISTLAB_LANG` (English by default).
`python -m mnistlab.i18n update` extracts the strings and updates the catalogs;
tests/test_i18n.py fails when a string has no translation.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
import re
import string
from collections.abc import Callable
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"
DOMAIN = "mnistlab"
LOCALE_DIR = Path(__file__).parent / "locale"
KEYWORDS = {"_": None, "N_": None, "L_": None, "n_": (1, 2)}  # Babel's extraction keywords
SOURCES = ("app.py", "app_pages", "ui", "mnistlab")  # where the strings live, from the project root


def normalize(tag: object) -> str | None:
    """'zh-CN', 'zh_Hans', 'ZH' → 'zh'; 'en-GB' → 'en'; anything else → None."""
    if not isinstance(tag, str):
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else None


def environment_language() -> str:
    """`MNISTLAB_LANG`, else English: the language of the CLI, a notebook, or a thread outside a page run."""
    return normalize(os.environ.get("MNISTLAB_LANG")) or DEFAULT_LANGUAGE


_language_source: Callable[[], str] = environment_language


def set_language_source(source: Callable[[], str] | None) -> None:
    """Install what `current_language()` asks (None: back to `MNISTLAB_LANG`)."""
    global _language_source
    _language_source = source or environment_language


def current_language() -> str:
    try:
        return normalize(_language_source()) or DEFAULT_LANGUAGE
    except Exception:  # a source outside its context (e.g. no Streamlit session) means the default
        return DEFAULT_LANGUAGE


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalog, compiled in memory from its `.po` file (read once per process)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalog_path(language)
    if language == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _fill(text: str, params: dict) -> str:
    return text.format(**params) if params else text


def _(message: str, **params) -> str:
    return _fill(translations(current_language()).gettext(message), params)


def n_(singular: str, plural: str, n: int, **params) -> str:
    params.setdefault("n", n)
    return _fill(translations(current_language()).ngettext(singular, plural, n), params)


def tr(message: str, **params) -> str:
    """Translate a value that was marked with `N_` where it was defined (a constant, a preset's
    title): Babel extracted the definition, so this call takes a variable."""
    return _(message, **params)


def N_(message: str) -> str:  # noqa: N802 (gettext's name)
    return message


class Message:
    """A message said later: its English template and parameters travel (pickle, JSON);
    `str()` says it in the reader's language."""

    __slots__ = ("template", "params")

    def __init__(self, template: str, **params):
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return _(self.template, **{k: str(v) if isinstance(v, Message) else v for k, v in self.params.items()})

    def english(self) -> str:
        return _fill(self.template, {k: v.english() if isinstance(v, Message) else v for k, v in self.params.items()})

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.template, self.params) == (other.template, other.params)

    def __hash__(self) -> int:
        return hash(self.template)

    def __reduce__(self):
        return (_message, (self.template, self.params))

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)


def _message(template: str, params: dict) -> Message:
    return Message(template, **params)


def L_(message: str, **params) -> Message:  # noqa: N802 (gettext's style)
    return Message(message, **params)


def placeholders(text: str) -> set[str]:
    """The `{names}` a template fills (format specs aside), to check translations keep them."""
    fields = (parsed[1] for parsed in string.Formatter().parse(text))
    return {field.split(".")[0].split("[")[0].split("!")[0] for field in fields if field}


# --- catalogs: extraction and update (the tooling a translator's workflow expects) -------------

def extract(root: Path) -> dict[str, list[str]]:
    """Every marked message in the sources → where it occurs ('path:line')."""
    from babel.messages.extract import extract_from_file

    found: dict[str, list[str]] = {}
    for source in SOURCES:
        base = root / source
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in files:
            for lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS, comment_tags=("Translators:",)
            ):
                rel = f"{path.relative_to(root)}:{lineno}"
                for msg in message if isinstance(message, tuple) else (message,):
                    if msg:
                        found.setdefault(msg, []).append(rel)
    return found


def _plural_pairs(root: Path) -> dict[str, str]:
    from babel.messages.extract import extract_from_file

    pairs = {}
    for source in SOURCES:
        base = root / source
        for path in [base] if base.is_file() else sorted(base.rglob("*.py")):
            for _lineno, message, _c, _ctx in extract_from_file("python", str(path), keywords=KEYWORDS):
                if isinstance(message, tuple) and len(message) == 2:
                    pairs[message[0]] = message[1]
    return pairs


def update(root: Path, languages=None) -> dict[str, int]:
    """Write `messages.pot` and bring each language's `.po` up to date with the sources
    (new messages untranslated, gone ones dropped). Returns the untranslated count per language."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    found = extract(root)
    plurals = _plural_pairs(root)
    template = Catalog(project="mnistlab", domain=DOMAIN)
    for msg, where in sorted(found.items()):
        if msg in plurals.values():
            continue
        msgid = (msg, plurals[msg]) if msg in plurals else msg
        flags = ("python-brace-format",) if "{" in msg else ()
        template.add(msgid, locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where], flags=flags)
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, width=100)
    missing = {}
    for language in languages or [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]:
        path = catalog_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language, domain=DOMAIN)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="mnistlab")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header: a fuzzy one is left out of the compiled catalog
        catalog.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False)
        missing[language] = sum(1 for m in catalog if m.id and not _translated(m))
        translations.cache_clear()
    return missing


def _translated(message) -> bool:
    if "fuzzy" in message.flags:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return all(s for s in strings)


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mnistlab.i18n", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["update"], help="update: extract strings, update the .po catalogs")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    if args.command == "update":
        for language, count in update(root).items():
            print(f"{catalog_path(language).relative_to(root)}: {count} untranslated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
