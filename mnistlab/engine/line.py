"""The line in time: how long a waiting training should wait for a trainer.

The trainings ahead in the line take a trainer each as one frees up, first come first served (the
dispatcher's rule). A running training frees its trainer in the time its own pace says is left
(`Progress.eta`); one without a pace yet, and each one still waiting, is taken to last as long as a
typical training of this server: the median of the ones measured here lately. With nothing measured
and nothing running at a known pace there is no estimate (None), rather than a made-up one.
"""

from __future__ import annotations

import heapq
import statistics
import time
from collections.abc import Iterable, Sequence

from mnistlab.engine.job import DONE, Job

MEASURED_KEPT = 20  # the latest trainings whose seconds make the typical one


def typical_seconds(measured: Iterable[float]) -> float | None:
    """The median of the latest measured trainings (seconds), None when none was measured."""
    seconds = [s for s in measured if s and s > 0][-MEASURED_KEPT:]
    return statistics.median(seconds) if seconds else None


def seconds_left(job: Job, typical: float | None, now: float | None = None) -> float | None:
    """How long a running (or handed-out) training should still take; None when nothing tells."""
    progress = job.progress
    if progress is not None and progress.eta is not None:
        return max(progress.eta, 0.0)
    if typical is None:
        return None
    started = job.started
    elapsed = (now if now is not None else time.time()) - started if started else 0.0
    return max(typical - elapsed, 0.0)


def estimate_wait(running: Sequence[Job], ahead: Sequence[Job], measured: Iterable[float], trainers: int,
                  now: float | None = None) -> float | None:
    """Seconds until the next training after `ahead` gets one of `trainers` trainers, while `running`
    hold some of them; None when there is no measure to go by."""
    typical = typical_seconds(measured)
    if typical is None:  # a running training's own pace is still a measure of the time per training
        paced = [j.progress.elapsed + j.progress.eta for j in running
                 if j.progress is not None and j.progress.eta is not None]
        typical = typical_seconds(paced)
    lefts = [seconds_left(job, typical, now) for job in running]
    if typical is None or any(left is None for left in lefts):
        return None
    free_at = sorted(lefts)[: max(trainers, 1)]  # more running than trainers: another server's, or ending
    free_at += [0.0] * (max(trainers, 1) - len(free_at))
    heapq.heapify(free_at)
    for _job in ahead:
        heapq.heappush(free_at, heapq.heappop(free_at) + typical)
    return free_at[0]


def measured_seconds(jobs: Iterable[Job]) -> list[float]:
    """How long the finished trainings among `jobs` took (a cache hit is not a training)."""
    return [j.result.seconds for j in jobs if j.state == DONE and j.result is not None and not j.result.cached]


def wait_in_line(job: Job, jobs: Sequence[Job], held: Sequence[Job], trainers: int) -> float | None:
    """`estimate_wait` for `job` in a registry's line (`held`, first first) among all its `jobs`;
    None when it is not waiting."""
    if job not in held:
        return None
    ahead = list(held[: list(held).index(job)])
    running = [j for j in jobs if j.active and j not in held]
    return estimate_wait(running, ahead, measured_seconds(jobs), trainers)
