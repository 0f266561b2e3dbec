"""What the teacher sets for the whole class, and the short links written on the board.

Both live in the run store's database, so every app server of a class reads the same: a lock on the
builder's controls or a required nickname set on one server holds on all of them. A short link is a
code (`?go=K7PQ2M`) that stands for a lesson, a challenge or a starting model; the same target always
gets the same code.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

import sqlalchemy as sa

from mnistlab.i18n import L_, N_
from mnistlab.store.schema import CLASS_SETTINGS, CODE_MAX_CHARS, LINKS, StoreError, database

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: a code is read off a board
CODE_CHARS = 6
LINK_KINDS = ("lesson", "challenge", "spec")
MAX_LINK_TARGET_CHARS = 20_000  # a spec's JSON is far below this
MAX_SETTING_CHARS = 4_000
MAX_LINKS = 10_000  # a crafted page cannot fill the database with links

# The class settings the pages read (values are JSON)
LOCKED_CONTROLS = "locked_controls"  # the builder controls students may not change: a list of control names
REQUIRE_NICKNAME = "require_nickname"  # true: no training or labelled drawing without a nickname

__all__ = ["CODE_ALPHABET", "LINK_KINDS", "LOCKED_CONTROLS", "REQUIRE_NICKNAME", "class_setting", "clean_code",
           "follow_link", "new_code", "set_class_setting", "short_link"]


def new_code(length: int = CODE_CHARS) -> str:
    """A random code of unambiguous capitals and digits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def clean_code(text: object) -> str:
    """A code as typed or linked (any case, spaces and dashes ignored); "" when it cannot be one."""
    if not isinstance(text, str):
        return ""
    code = "".join(ch for ch in text.upper() if ch not in " -")
    if not code or len(code) > CODE_MAX_CHARS or any(ch not in CODE_ALPHABET for ch in code):
        return ""
    return code


def class_setting(engine: sa.Engine, key: str, default: Any = None) -> Any:
    """The value the teacher set for `key`, else `default` (also when the stored text is not JSON)."""
    query = sa.select(CLASS_SETTINGS.c.value).where(CLASS_SETTINGS.c.key == key)
    with database(L_("read the class's settings")), engine.connect() as connection:
        text = connection.execute(query).scalar_one_or_none()
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def set_class_setting(engine: sa.Engine, key: str, value: Any) -> None:
    """Set `key` for the whole class (a JSON value); `None` removes it."""
    text = json.dumps(value, sort_keys=True)
    if len(text) > MAX_SETTING_CHARS:
        raise StoreError("setting_too_long", N_("That setting is too long to keep ({chars:,} characters)."),
                         chars=len(text))
    with database(L_("save the class's settings")), engine.begin() as connection:
        connection.execute(sa.delete(CLASS_SETTINGS).where(CLASS_SETTINGS.c.key == key))
        if value is not None:
            connection.execute(sa.insert(CLASS_SETTINGS).values(key=key, value=text, updated=time.time()))


def short_link(engine: sa.Engine, kind: str, target: str) -> str:
    """The code of a link to `target` (a lesson id, a challenge code, a spec's JSON): the same code each
    time for the same target, a new one the first time."""
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    if len(target) > MAX_LINK_TARGET_CHARS:
        raise StoreError("link_too_long", N_("That is too much to keep behind a short link ({chars:,} characters)."),
                         chars=len(target))
    same = sa.select(LINKS.c.code).where(LINKS.c.kind == kind, LINKS.c.target == target).limit(1)
    with database(L_("make a short link")), engine.begin() as connection:
        found = connection.execute(same).scalar_one_or_none()
        if found is not None:
            return found
        count = connection.execute(sa.select(sa.func.count()).select_from(LINKS)).scalar_one()
        if count >= MAX_LINKS:
            raise StoreError("too_many_links", N_("The class has {limit:,} short links already; no more can be made."),
                             limit=MAX_LINKS)
        seed = hashlib.sha256(f"{kind}:{target}".encode()).digest()
        for attempt in range(20):  # a collision with another target: another code
            code = _code_from(seed, attempt) if attempt < 3 else new_code()
            if connection.execute(sa.select(LINKS.c.code).where(LINKS.c.code == code)).first() is None:
                connection.execute(sa.insert(LINKS).values(code=code, created=time.time(), kind=kind, target=target))
                return code
    raise StoreError("no_link_code", N_("No free short-link code was found; try again."))


def follow_link(engine: sa.Engine, code: object) -> tuple[str, str] | None:
    """(kind, target) of a short link, None when there is no such code."""
    code = clean_code(code)
    if not code:
        return None
    with database(L_("follow a short link")), engine.connect() as connection:
        row = connection.execute(sa.select(LINKS.c.kind, LINKS.c.target).where(LINKS.c.code == code)).first()
    return (row.kind, row.target) if row is not None else None


def _code_from(seed: bytes, attempt: int) -> str:
    digest = hashlib.sha256(seed + bytes([attempt])).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:CODE_CHARS])
