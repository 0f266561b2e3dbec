"""Words in the user's language: gettext catalogs (`.po`) under `mnistlab/locale`, read with Babel.

Every user-facing string goes through one of these functions, which Babel's extractor knows:
- `_(message, **params)` translates now (and fills `{params}`);
- `n_(singular, plural, n, **params)` picks the plural form for `n`;
- `N_(message)` only marks a constant for extraction; translate it with `_()` where it is shown;
- `L_(message, **params)` makes a `Message` that translates itself when shown (`str()`): what a
  worker process or an error says, read later in whichever language the reader has;
- `Ln_(singular, plural, n, **params)` is `n_` said later, as `L_` is `_`.

The language is asked of a source the app installs (`set_language_source`): the Streamlit UI
reads the session's choice; a notebook or the CLI reads `MNISTLAB_LANG` (English by default).
`python -m mnistlab.i18n update` runs Babel's `pybabel extract` (which files: `babel.cfg`) and
`pybabel update`; tests/test_i18n.py fails when a string has no translation.
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
    """The source's answer; a source that fails is a bug, and raises (ui/lang.py's knows when it
    runs outside a page)."""
    return normalize(_language_source()) or DEFAULT_LANGUAGE


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


def p_(context: str, message: str, **params) -> str:
    """`_` for a word that means two things ("training": the data's training part, or a training under way):
    `context` tells them apart in the catalogs, as gettext's `pgettext`."""
    return _fill(translations(current_language()).pgettext(context, message), params)


def tr(message: str, **params) -> str:
    """Translate a value that was marked with `N_` where it was defined (a constant, a preset's
    title): Babel extracted the definition, so this call takes a variable."""
    return _(message, **params)


def N_(message: str) -> str:  # noqa: N802 (gettext's name)
    return message


class Message:
    """A message said later: its English template (and, for `Ln_`, its plural) and parameters travel
    (pickle, JSON); `str()` says it in the reader's language."""

    __slots__ = ("template", "params", "plural")

    def __init__(self, template: str, plural: str | None = None, /, **params):
        self.template = template
        self.plural = plural  # with it, params["n"] picks the form, as in `n_`
        self.params = params

    def __str__(self) -> str:
        said = {k: str(v) if isinstance(v, Message) else v for k, v in self.params.items()}
        if self.plural is None:
            return _(self.template, **said)
        return n_(self.template, self.plural, **said)

    def english(self) -> str:
        template = self.template if self.plural is None or self.params["n"] == 1 else self.plural
        return _fill(template, {k: v.english() if isinstance(v, Message) else v for k, v in self.params.items()})

    def __repr__(self) -> str:
        plural = "" if self.plural is None else f", {self.plural!r}"
        return f"Message({self.template!r}{plural}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.template, self.plural, self.params) == (
            other.template, other.plural, other.params)

    def __hash__(self) -> int:
        return hash(self.template)

    def __reduce__(self):
        return (_message, (self.template, self.params, self.plural))

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)


def _message(template: str, params: dict, plural: str | None = None) -> Message:
    return Message(template, plural, **params)


def L_(message: str, **params) -> Message:  # noqa: N802 (gettext's style)
    return Message(message, **params)


def Ln_(singular: str, plural: str, n: int, **params) -> Message:  # noqa: N802 (gettext's style)
    """`n_` said later, like `L_`: the form for `n` is picked when it is shown."""
    return Message(singular, plural, n=n, **params)


def placeholders(text: str) -> set[str]:
    """The `{names}` a template fills (format specs aside), to check translations keep them."""
    fields = (parsed[1] for parsed in string.Formatter().parse(text))
    return {field.split(".")[0].split("[")[0].split("!")[0] for field in fields if field}


# --- catalogs: Babel's own commands (`pybabel extract` / `pybabel update`) --------------------

ROOT = Path(__file__).resolve().parent.parent  # the project: babel.cfg says which of its files to read
MAPPING = ROOT / "babel.cfg"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = ("_", "n_:1,2", "N_", "L_", "Ln_:1,2", "p_:1c,2")  # pybabel's --keywords: n_, Ln_ take singular, plural;
# p_ a context, then the message
MARKERS = frozenset(keyword.split(":")[0] for keyword in KEYWORDS)
WIDTH = "120"


def pybabel(*argv: str | Path, root: Path = ROOT) -> None:
    """Run a `pybabel` command from the project's root (so the catalogs name files as `ui/x.py`);
    raises CalledProcessError when it fails, its own message on stderr."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "babel.messages.frontend", "--quiet", *map(str, argv)]
    subprocess.run(command, cwd=root, check=True)


def extract(output: Path = TEMPLATE, root: Path = ROOT) -> Path:
    """Write the template (`.pot`) of every message the sources mark, as `pybabel extract` does."""
    pybabel("extract", "--mapping-file", MAPPING.name, "--no-default-keywords",
            *(f"--keywords={keyword}" for keyword in KEYWORDS), "--add-comments=Translators:",
            "--sort-output", f"--width={WIDTH}", "--project=mnistlab", "--output-file", output.resolve(), ".",
            root=root)
    return output


def update(root: Path = ROOT) -> dict[str, int]:
    """Extract the template and bring each language's `.po` up to date with it (`pybabel update`:
    new messages untranslated, gone ones dropped, no fuzzy guesses). Returns the untranslated
    count per language."""
    from babel.messages.pofile import read_po

    extract(TEMPLATE, root)
    pybabel("update", "--input-file", TEMPLATE, "--output-dir", LOCALE_DIR, "--domain", DOMAIN,
            "--no-fuzzy-matching", "--ignore-obsolete", "--ignore-pot-creation-date", f"--width={WIDTH}", root=root)
    translations.cache_clear()
    missing = {}
    for language in (lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE):
        with catalog_path(language).open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=DOMAIN)
        missing[language] = sum(1 for m in catalog if m.id and not _translated(m))
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
    if args.command == "update":
        for language, count in update().items():
            print(f"{catalog_path(language).relative_to(ROOT)}: {count} untranslated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
