"""Why a training's worker process died: its memory limit (the nanny's doing) or anything else.

Dask says only `KilledWorker` either way. The nanny that ends a worker for memory logs a
`worker-restart-memory` event on the scheduler first, naming the worker: that event, or its
absence, tells the two apart (distributed 2026.8).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from mnistlab.i18n import L_, Message

logger = logging.getLogger(__name__)
MEMORY_EVENT = "worker-restart-memory"
EVENT_WAIT_S = 3.0  # the nanny's event may reach the scheduler just after the worker's death


def killed_for_memory(client: Any, worker: str, wait_s: float = EVENT_WAIT_S) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            events = client.get_events(MEMORY_EVENT)
        except Exception:  # noqa: BLE001 — the scheduler is away: no evidence of a memory kill
            logger.exception("could not read the scheduler's events")
            return False
        if any(isinstance(msg, dict) and msg.get("worker") == worker for _, msg in events):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def killed_message(client: Any, exc: BaseException, memory_limit: int) -> Message:
    """What the student reads when the worker running their training died."""
    worker = getattr(getattr(exc, "last_worker", None), "address", "")
    if not (worker and killed_for_memory(client, worker)):
        return L_("The training's worker process died (it was killed or crashed), so this training ended without a "
                  "model. Train again; everybody else's trainings go on.")
    if memory_limit:
        return L_("The training's worker process was stopped: this model needed more memory than the server "
                  "gives one training ({limit:.1f} GB). Make it smaller (fewer units or filters, a smaller "
                  "batch) and train again. Everybody else's trainings go on.", limit=memory_limit / 2**30)
    return L_("The training's worker process was stopped: this model needed more memory than the server "
              "gives one training. Make it smaller (fewer units or filters, a smaller batch) and train "
              "again. Everybody else's trainings go on.")
