"""Lessons: short lists of steps, each saying what to do and why, where to go, and the named check
(`mnistlab.lessons.checks`) that says when it is done. Written as TOML: the five built-in ones in
`builtin/`, a teacher's in the folder MNISTLAB_LESSONS_DIR. The texts are content, in the file, in
one or both languages (`title = { en = "...", zh = "..." }`, or a plain string for either).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnistlab.i18n import L_, Message, current_language
from mnistlab.lessons.checks import CHECKS, PAGES, Progress, passes
from mnistlab.model.presets import PRESETS

BUILTIN_DIR = Path(__file__).parent / "builtin"
LESSONS_DIR_ENV = "MNISTLAB_LESSONS_DIR"
MAX_LESSON_BYTES = 100_000
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Text:
    """A text in each language the file gave; said in the reader's language, else in the other."""

    en: str = ""
    zh: str = ""

    def __str__(self) -> str:
        return (self.zh or self.en) if current_language() == "zh" else (self.en or self.zh)


@dataclass(frozen=True)
class Step:
    do: Text  # what to do
    why: Text  # why it matters
    page: str  # where the step's button goes (a name in checks.PAGES)
    check: str  # a name in checks.CHECKS
    params: tuple[tuple[str, Any], ...] = ()
    preset: str = ""  # loaded into the builder by the button, when given

    def done(self, progress: Progress) -> bool:
        return passes(self.check, dict(self.params), progress)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: Text
    intro: Text
    preset: str  # loaded when the lesson is opened by its link
    steps: tuple[Step, ...]
    source: str = ""  # the file it was read from


class LessonFileError(ValueError):
    """A lesson file that cannot be used: `message` says the file, the line and what is wrong."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


def _line_of(text: str, needle: str) -> int:
    """The first line (from 1) that holds `needle`, or 0 when none does."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 0


def _text(value: Any, where: str, path: Path, source: str) -> Text:
    if isinstance(value, str):
        return Text(en=value, zh=value)
    if isinstance(value, dict) and set(value) <= {"en", "zh"} and value and \
            all(isinstance(v, str) for v in value.values()):
        return Text(**value)
    raise _problem(path, source, where, L_("`{field}` must be a text, or a table with `en` and/or `zh` texts",
                                           field=where))


def _problem(path: Path, source: str, needle: str, problem: Message) -> LessonFileError:
    line = _line_of(source, needle)
    if line:
        return LessonFileError(L_("{file}, line {line}: {problem}", file=path.name, line=line, problem=problem))
    return LessonFileError(L_("{file}: {problem}", file=path.name, problem=problem))


def _step(data: Any, number: int, path: Path, source: str) -> Step:
    if not isinstance(data, dict):
        raise _problem(path, source, "[[steps]]", L_("step {n} must be a table", n=number))
    check = data.get("check")
    if isinstance(check, str):
        check = {"name": check}
    if not isinstance(check, dict) or not isinstance(check.get("name"), str):
        raise _problem(path, source, "check", L_("step {n} needs a `check` with a `name`", n=number))
    params = {k: v for k, v in check.items() if k != "name"}
    name = check["name"]
    if name not in CHECKS:
        raise _problem(path, source, name, L_("step {n}: there is no check named “{name}” (the checks: {names})",
                                              n=number, name=name, names=", ".join(CHECKS)))
    allowed = CHECKS[name].params
    for key, value in params.items():
        kind = allowed.get(key)
        if kind is None or not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise _problem(path, source, key, L_("step {n}: the check “{name}” takes no `{param}` like this "
                                                 "(it takes: {params})", n=number, name=name, param=key,
                                                 params=", ".join(allowed) or "—"))
    missing = [key for key in CHECKS[name].required if key not in params]
    if missing:
        raise _problem(path, source, name, L_("step {n}: the check “{name}” needs `{param}`", n=number, name=name,
                                              param=missing[0]))
    if params.get("page", "home") not in PAGES:
        raise _problem(path, source, params["page"], L_("step {n}: there is no page “{page}” (the pages: {pages})",
                                                        n=number, page=params["page"], pages=", ".join(PAGES)))
    page = data.get("page", "home")
    if page not in PAGES:
        raise _problem(path, source, f'"{page}"', L_("step {n}: there is no page “{page}” (the pages: {pages})",
                                                     n=number, page=page, pages=", ".join(PAGES)))
    preset = data.get("preset", "")
    if preset and preset not in PRESETS:
        raise _problem(path, source, preset, L_("step {n}: there is no preset “{preset}”", n=number, preset=preset))
    return Step(_text(data.get("do", ""), "do", path, source), _text(data.get("why", ""), "why", path, source),
                page, name, tuple(sorted(params.items())), preset)


def read_lesson(path: Path) -> Lesson:
    """One lesson file; a LessonFileError says the file, the line and the mistake."""
    path = Path(path)
    try:
        raw = path.read_bytes()[:MAX_LESSON_BYTES + 1]
        if len(raw) > MAX_LESSON_BYTES:
            raise LessonFileError(L_("{file}: a lesson file may have at most {limit:,} bytes", file=path.name,
                                     limit=MAX_LESSON_BYTES))
        source = raw.decode("utf-8")
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line 3, column 5)"
        raise LessonFileError(L_("{file}: {problem}", file=path.name, problem=str(exc))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonFileError(L_("{file}: {problem}", file=path.name, problem=type(exc).__name__ + ": " + str(exc))) \
            from None
    lesson_id = str(data.get("id", path.stem))
    if not ID_PATTERN.match(lesson_id):
        raise _problem(path, source, "id", L_("the id must be 1 to 40 letters, digits, - or _"))
    preset = data.get("preset", "")
    if preset and preset not in PRESETS:
        raise _problem(path, source, preset, L_("there is no preset “{preset}”", preset=preset))
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise _problem(path, source, "steps", L_("a lesson needs at least one `[[steps]]`"))
    return Lesson(lesson_id, _text(data.get("title", lesson_id), "title", path, source),
                  _text(data.get("intro", ""), "intro", path, source), preset,
                  tuple(_step(step, number, path, source) for number, step in enumerate(steps, start=1)), str(path))


def load_lessons(folder: str | Path | None = None) -> tuple[list[Lesson], list[Message]]:
    """The built-in lessons and the teacher's (from `folder`, else MNISTLAB_LESSONS_DIR), by id; a teacher's
    lesson with a built-in one's id replaces it. A file with a mistake is left out and its message returned."""
    folder = folder if folder is not None else os.environ.get(LESSONS_DIR_ENV, "")
    files = sorted(BUILTIN_DIR.glob("*.toml"))
    problems: list[Message] = []
    if folder:
        if Path(folder).is_dir():
            files += sorted(Path(folder).glob("*.toml"))
        else:
            problems.append(L_("The lessons folder {folder} does not exist.", folder=str(folder)))
    lessons: dict[str, Lesson] = {}
    for path in files:
        try:
            lesson = read_lesson(path)
        except LessonFileError as exc:
            problems.append(exc.message)
            continue
        lessons[lesson.id] = lesson
    return [lessons[key] for key in sorted(lessons)], problems
