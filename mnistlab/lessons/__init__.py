"""Lessons: one per tutorial and any a teacher writes, with the named checks that mark their steps done."""

from mnistlab.lessons.checks import CHECKS, Event, Progress, TrainedRun, event, progress_of, trained_event
from mnistlab.lessons.lessons import Lesson, LessonFileError, Step, load_lessons, read_lesson

__all__ = ["CHECKS", "Event", "Lesson", "LessonFileError", "Progress", "Step", "TrainedRun", "event", "load_lessons",
           "progress_of", "read_lesson", "trained_event"]
