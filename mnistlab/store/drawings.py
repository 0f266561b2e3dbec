"""Labelled drawings: digits students drew on the Draw page and said what they meant.

They are the class's own handwriting test set, kept in the run store's database (the 784
bytes of the 28×28 image the model read, raw). Each carries the nickname and the session
that made it; a student deletes their own (same nickname, or the same session when they had
none), the teacher any. The store holds at most MAX_DRAWINGS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from mnistlab.data.pixels import IMAGE_SHAPE
from mnistlab.errors import DrawingError
from mnistlab.i18n import L_, N_
from mnistlab.store.owners import clean_nickname, refused
from mnistlab.store.schema import DRAWINGS, SESSION_MAX_CHARS, StoreError, database

MAX_DRAWINGS = 20_000
LABELS = range(10)


@dataclass(frozen=True)
class Drawing:
    id: int
    created: float
    label: int
    owner: str
    session: str
    image: np.ndarray  # uint8, 28×28, read-only


def _checked(image: object, label: object, session: object) -> tuple[bytes, int, str]:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape != IMAGE_SHAPE:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise DrawingError("drawing_shape", N_("A drawing must be a 28×28 uint8 image, not {dtype} of shape {shape}."),
                           dtype=str(dtype), shape=str(shape))
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or int(label) not in LABELS:
        raise DrawingError("drawing_label", N_("A drawing's label must be a digit 0–9, not {label}."),
                           label=repr(label))
    if not isinstance(session, str) or len(session) > SESSION_MAX_CHARS:
        raise DrawingError("session_id", N_("A session id is a string of at most {limit} characters."),
                           limit=SESSION_MAX_CHARS)
    return np.ascontiguousarray(image).tobytes(), int(label), session


def add_drawing(engine: sa.Engine, image: np.ndarray, label: int, owner: str = "", session: str = "") -> int:
    data, label, session = _checked(image, label, session)
    with database(L_("save the drawing")), engine.begin() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(DRAWINGS)).scalar_one()
        if count >= MAX_DRAWINGS:
            raise StoreError("drawings_full", N_("The class already has {count:,} labelled drawings, the most this "
                                                 "store keeps ({limit:,}); the teacher can delete some."),
                             count=count, limit=MAX_DRAWINGS)
        row = {"created": time.time(), "label": label, "owner": clean_nickname(owner), "session": session,
               "image": data}
        return int(connection.execute(sa.insert(DRAWINGS).values(**row)).inserted_primary_key[0])


def list_drawings(engine: sa.Engine) -> list[Drawing]:
    """Every labelled drawing, newest first. A row whose image is not 784 bytes is skipped."""
    query = sa.select(DRAWINGS).order_by(DRAWINGS.c.created.desc(), DRAWINGS.c.id.desc())
    with database(L_("list the drawings")), engine.connect() as connection:
        rows = connection.execute(query).all()
    drawings = []
    for row in rows:
        data = bytes(row.image or b"")
        if len(data) != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
            continue
        image = np.frombuffer(data, dtype=np.uint8).reshape(IMAGE_SHAPE)
        drawings.append(Drawing(row.id, row.created, row.label, row.owner or "", row.session or "", image))
    return drawings


def may_delete_drawing(drawing: Drawing, by: str, session: str, teacher: bool = False) -> bool:
    """The teacher any; a student what carries their nickname, or what their session drew."""
    same_owner = bool(drawing.owner) and drawing.owner == clean_nickname(by)
    return teacher or same_owner or (bool(drawing.session) and drawing.session == session)


def delete_drawing(engine: sa.Engine, drawing_id: int, by: str, session: str, teacher: bool = False) -> None:
    with database(L_("delete drawing {id}", id=drawing_id)), engine.begin() as connection:
        row = connection.execute(sa.select(DRAWINGS.c.owner, DRAWINGS.c.session)
                                 .where(DRAWINGS.c.id == drawing_id)).first()
        if row is None:
            raise StoreError("drawing_missing", N_("Drawing {id} is not in the store (deleted already?)."),
                             id=drawing_id)
        found = Drawing(drawing_id, 0.0, 0, row.owner or "", row.session or "", np.zeros(IMAGE_SHAPE, np.uint8))
        if not may_delete_drawing(found, by, session, teacher):
            raise refused(L_("Drawing {id}", id=drawing_id), found.owner)
        connection.execute(sa.delete(DRAWINGS).where(DRAWINGS.c.id == drawing_id))
