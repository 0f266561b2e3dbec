"""Lesson progress: what each nickname did that the lessons' checks read (a page opened, a training
finished…), kept in the run store's database so a reload or another day keeps it. Each event once
per nickname; at most MAX_EVENTS_PER_OWNER of them."""

from __future__ import annotations

import time

import sqlalchemy as sa

from mnistlab.i18n import L_
from mnistlab.lessons.checks import Event
from mnistlab.store.owners import clean_nickname
from mnistlab.store.schema import LESSON_PROGRESS, database

MAX_EVENTS_PER_OWNER = 1000
MAX_EVENT_CHARS = 2000


def add_event(engine: sa.Engine, owner: str, recorded: Event) -> bool:
    """Keep `recorded` for `owner`; False when it was kept before, the owner is "", or there is no room."""
    owner, text = clean_nickname(owner), recorded.to_json()
    if not owner or len(text) > MAX_EVENT_CHARS:
        return False
    with database(L_("save your lesson progress")), engine.begin() as connection:
        found = connection.execute(sa.select(LESSON_PROGRESS.c.id).where(
            (LESSON_PROGRESS.c.owner == owner) & (LESSON_PROGRESS.c.event == text))).first()
        count = connection.execute(sa.select(sa.func.count()).select_from(LESSON_PROGRESS)
                                   .where(LESSON_PROGRESS.c.owner == owner)).scalar_one()
        if found is not None or count >= MAX_EVENTS_PER_OWNER:
            return False
        connection.execute(sa.insert(LESSON_PROGRESS).values(created=time.time(), owner=owner, event=text))
    return True


def events_of(engine: sa.Engine, owner: str) -> list[Event]:
    """What `owner` did, oldest first; a row that is not an event is skipped."""
    owner = clean_nickname(owner)
    if not owner:
        return []
    query = sa.select(LESSON_PROGRESS.c.event).where(LESSON_PROGRESS.c.owner == owner).order_by(LESSON_PROGRESS.c.id)
    with database(L_("read your lesson progress")), engine.connect() as connection:
        rows = connection.execute(query).scalars().all()
    events = []
    for text in rows:
        try:
            events.append(Event.from_json(text))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return events
