"""Fresh worker processes over a day of classes, never in the middle of a training.

A worker grows with every training it runs (about 1.2 GB after 20, 1.6 GB after 40), so workers are
replaced by fresh processes: after Dask's own worker lifetime (`dask worker --lifetime 1h
--lifetime-stagger 10m --lifetime-restart`; the embedded cluster sets the same from
`MNISTLAB_WORKER_LIFETIME`), and sooner after `RECYCLE_AFTER` trainings or once a worker holds
`RECYCLE_AT` of its memory limit. Either way the nanny starts the fresh process.

Dask's graceful retirement (`Worker.close_gracefully` → `Scheduler.retire_workers`) waits for the data a
worker holds to be copied elsewhere, not for the task it runs: a training would be cut off and started
again on another worker. `TrainingWorker` (`dask worker --worker-class mnistlab.engine.lifetime.TrainingWorker`;
the embedded cluster's workers are ones) first pauses, so the scheduler sends it no new task, lets its
training finish and its result be fetched, and only then retires as Dask does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from distributed import Nanny, Worker
from distributed.core import Status

logger = logging.getLogger(__name__)

RECYCLE_AFTER = 20  # trainings before a worker is replaced by a fresh process (MNISTLAB_WORKER_RECYCLE_AFTER)
RECYCLE_AT = 0.7  # ... or sooner, once it holds this share of its memory limit
LIFETIME = "1 hour"  # Dask's worker lifetime for the embedded cluster (MNISTLAB_WORKER_LIFETIME; "0": none)
RESULT_WAIT_S = 120.0  # how long a retiring worker keeps a finished result for the app to fetch


def lifetime() -> tuple[str, str]:
    """The embedded workers' lifetime and its stagger (a tenth of it, so workers do not all leave at once)."""
    import dask.utils

    value = os.environ.get("MNISTLAB_WORKER_LIFETIME", "").strip() or LIFETIME
    try:
        seconds = dask.utils.parse_timedelta(value if not value.isdigit() else f"{value}s")
    except (ValueError, KeyError):
        logger.warning("MNISTLAB_WORKER_LIFETIME=%r is not a duration: %s", value, LIFETIME)
        seconds = dask.utils.parse_timedelta(LIFETIME)
    return (f"{seconds}s", f"{seconds / 10}s") if seconds else ("", "")


def recycle_after() -> int:
    value = os.environ.get("MNISTLAB_WORKER_RECYCLE_AFTER", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else RECYCLE_AFTER


class TrainingWorker(Worker):
    """A Dask worker that retires only between trainings."""

    async def close_gracefully(self, restart=None, reason: str = "worker-close-gracefully"):
        if self.status == Status.running:
            self.status = Status.paused  # told to the scheduler: no new task comes here; the running one goes on
        began = time.monotonic()
        while self.status == Status.paused and (self._training() or (
                self._holding_result() and time.monotonic() - began < RESULT_WAIT_S)):
            await asyncio.sleep(0.2)
        if self.status in (Status.closing, Status.closed):
            return
        logger.info("retiring %s between trainings (%s)", self.address, reason)
        await super().close_gracefully(restart=restart, reason=reason)

    def _training(self) -> bool:
        return self.state.executing_count > 0 or bool(self.state.long_running)

    def _holding_result(self) -> bool:
        """A training's result the app has not fetched yet (an uploaded dataset, scattered data, does not count)."""
        return any(ts.state == "memory" and ts.run_spec is not None for ts in self.state.tasks.values())


class TrainingNanny(Nanny):
    """The embedded cluster's nanny: its worker processes are TrainingWorkers."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("worker_class", TrainingWorker)
        super().__init__(*args, **kwargs)


_trainings = 0


def note_training(worker) -> None:
    """After a training in this worker: past `recycle_after()` trainings or `RECYCLE_AT` of its memory, it
    retires once its result is fetched and its nanny starts a fresh process."""
    global _trainings
    _trainings += 1
    limit = getattr(getattr(worker, "memory_manager", None), "memory_limit", None) or 0
    if not isinstance(worker, TrainingWorker) or not worker.nanny:
        return  # a plain worker would cut the training short, one without a nanny would not come back
    if _trainings >= recycle_after() or (limit and _process_rss() > RECYCLE_AT * limit):
        worker.loop.add_callback(worker.close_gracefully, restart=True, reason="mnistlab-recycle")


def _process_rss() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
