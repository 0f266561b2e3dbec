"""One training job as an app server sees it: its state, followers and result; the fair-use limits."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mnistlab.engine.result import Progress, TrainResult
from mnistlab.i18n import Message
from mnistlab.model.spec import MAX_TRAINING_S

if TYPE_CHECKING:
    from mnistlab.data.dataset import Dataset
    from mnistlab.model.spec import ModelSpec

logger = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, STOPPED, FAILED, CANCELLED = "queued", "running", "done", "stopped", "failed", "cancelled"
FOLLOWER_TTL = 150.0  # seconds a follower counts without a heartbeat: pages poll every 1–5 s, but browsers
# slow the timers of a background tab to once a minute


def max_training_seconds() -> float:
    """MNISTLAB_MAX_TRAINING_S, or MAX_TRAINING_S; 0 for no limit."""
    value = os.environ.get("MNISTLAB_MAX_TRAINING_S", "").strip()
    try:
        return max(0.0, float(value)) if value else float(MAX_TRAINING_S)
    except ValueError:
        logger.warning("MNISTLAB_MAX_TRAINING_S=%r is not a number of seconds: %s s", value, MAX_TRAINING_S)
        return float(MAX_TRAINING_S)


@dataclass(eq=False)
class Job:
    key: str
    spec: ModelSpec
    dataset: Dataset = field(repr=False)
    dask_key: str = ""
    owner: str = ""  # the nickname of the session that asked first; its run carries it
    state: str = QUEUED
    progress: Progress | None = None
    result: TrainResult | None = None
    error: Message | str = ""  # why it failed or was cancelled, said in the reader's language: `str(job.error)`
    stopping: bool = False
    run_id: int | None = None
    followers: dict[str, float] = field(default_factory=dict)  # session → last heartbeat (monotonic)
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    finished_event: threading.Event = field(default_factory=threading.Event)
    future: Any = None
    marked: bool = False  # this server's mark on the scheduler says it follows the training
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)  # unlike id(), never reused

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def history(self) -> dict[str, Any]:
        if self.result is not None:
            return self.result.history
        return self.progress.history if self.progress is not None else {}

    @property
    def model_key(self) -> str:
        """Names the weights, for caches of what is computed from them. A complete run's weights
        are those of every run with its key; a stopped or diverged run's are its own."""
        if self.result is not None and not self.result.complete and not self.result.cached:
            return f"{self.key}-partial-{self.result.epochs_done}-{self.uid}"
        return self.key

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished_event.wait(timeout)

