"""Who follows a training, kept on the Dask scheduler so that every app server sees it.

Each app server marks the trainings it follows in the scheduler's metadata
(`[FOLLOWERS, dask_key, server] = time of the mark`, refreshed while it follows, 0 once it left).
That set is the stop switch: a worker stops its training when every mark is gone or stale, so
a Stop on one server never stops what another server's students still follow, and nothing
outlives the training that set it — the next attempt of the same key is marked afresh by
whoever submits it, and a server that died stops counting after `LEASE_S`.
"""

from __future__ import annotations

import time
from typing import Any

FOLLOWERS = "mnistlab-followers"
LEASE_S = 60.0  # a server's mark counts this long after its last refresh
REFRESH_S = 10.0  # how often a server renews the marks of the trainings it follows


def mark(client: Any, dask_key: str, server: str, following: bool) -> None:
    """`server` follows the training `dask_key` (or has left it)."""
    client.set_metadata([FOLLOWERS, dask_key, server], time.time() if following else 0.0)


def _marks(client: Any, dask_key: str) -> dict[str, float]:
    marks = client.get_metadata([FOLLOWERS, dask_key], None)
    return marks if isinstance(marks, dict) else {}


def live(marks: dict[str, float], now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    return [server for server, seen in marks.items() if seen and now - seen <= LEASE_S]


def others_follow(client: Any, dask_key: str, server: str) -> bool:
    """Another app server still follows the training."""
    return any(name != server for name in live(_marks(client, dask_key)))


def nobody_follows(client: Any, dask_key: str) -> bool:
    """The worker's question: True once servers marked the training and none still follows it.
    No marks at all (a task submitted by something else) is never a stop."""
    marks = _marks(client, dask_key)
    return bool(marks) and not live(marks)
