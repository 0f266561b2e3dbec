"""Between classes: the class's labelled drawings taken away (a zip of PNGs and their labels) and cleared."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from mnistlab.i18n import L_, N_
from mnistlab.store.class_report import csv_text
from mnistlab.store.drawings import Drawing
from mnistlab.store.schema import DRAWINGS, StoreError, database

LABELS_FILE = "labels.csv"


def png_name(drawing: Drawing) -> str:
    return f"images/{drawing.id:06d}_{drawing.label}.png"


def drawings_zip(drawings: Iterable[Drawing]) -> bytes:
    """A zip with each drawing as a 28×28 grayscale PNG (white ink on black, as MNIST) under `images/`, and
    `labels.csv`: file, label, nickname, created (UTC)."""
    from PIL import Image

    rows = []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for drawing in drawings:
            png = io.BytesIO()
            Image.fromarray(drawing.image, mode="L").save(png, format="PNG")
            name = png_name(drawing)
            archive.writestr(name, png.getvalue())
            created = datetime.fromtimestamp(drawing.created, UTC).isoformat(timespec="seconds")
            rows.append([name, drawing.label, drawing.owner, created])
        archive.writestr(LABELS_FILE, csv_text(["file", "label", "nickname", "created_utc"], rows))
    return out.getvalue()


def clear_drawings(engine: sa.Engine, *, teacher: bool) -> int:
    """Delete every labelled drawing of the class (the teacher only); returns how many."""
    if not teacher:
        raise StoreError("teacher_only_drawings", N_("Only the teacher can clear the class's drawings."))
    with database(L_("clear the drawings")), engine.begin() as connection:
        return connection.execute(sa.delete(DRAWINGS)).rowcount
