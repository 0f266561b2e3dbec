"""Whose run is it: nicknames, and who may delete what.

A nickname is what a session calls itself (no account, no cookie); it marks the runs and
drawings it makes. A student deletes only what carries their nickname; the teacher — who
knows the password set on the server — may delete anything. Nicknames keep honest students
from deleting each other's work by mistake; they are not a login.
"""

from __future__ import annotations

import hmac
import unicodedata

from mnistlab.i18n import N_, Message
from mnistlab.store.schema import NICKNAME_MAX_CHARS, StoreError

__all__ = ["NICKNAME_MAX_CHARS", "clean_nickname", "may_delete", "refused", "teacher_password_matches"]


def clean_nickname(text: object) -> str:
    """Printable characters only, spaces collapsed and stripped, at most NICKNAME_MAX_CHARS."""
    if not isinstance(text, str):
        return ""
    printable = "".join(ch if unicodedata.category(ch)[0] not in "CZ" else " " for ch in text)
    return " ".join(printable.split())[:NICKNAME_MAX_CHARS].strip()


def may_delete(owner: str, by: str, teacher: bool = False) -> bool:
    """The teacher may delete anything; a student only what carries their own nickname."""
    return teacher or (bool(owner) and owner == clean_nickname(by))


def refused(what: str | Message, owner: str) -> StoreError:
    """The error for deleting what is not yours; `what` names it, e.g. `L_("Run {id}", id=7)`."""
    if owner:
        return StoreError("not_owner", N_("{what} belongs to {owner}: only {owner} or the teacher can delete it."),
                          what=what, owner=owner)
    return StoreError("no_owner", N_("{what} has no owner: only the teacher can delete it."), what=what)


def teacher_password_matches(given: object, configured: object) -> bool:
    """False when no password is configured; compared in constant time."""
    if not isinstance(configured, str) or not configured or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode(), configured.encode())
