"""The class's line on the scheduler: what every app server has waiting and training, for the teacher's view.

Each app server publishes its own line in the scheduler's metadata every few seconds
(`[ROSTER, server] = {"at": time, "jobs": [a Listed, as a dict]}`), so the Classroom page of any server of
a class shows the whole class. A teacher's Stop of a training that another server follows is a mark on the
scheduler (`[STOPS, dask_key] = time`); that server carries it out at its next look (within `PUBLISH_S`),
as if its own teacher had pressed Stop: its sessions leave the training, which then stops for everyone.
A mark older than a job does not touch it, so a later identical training is not stopped by an old Stop.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

logger = logging.getLogger(__name__)

ROSTER = "mnistlab-roster"
STOPS = "mnistlab-teacher-stops"
PUBLISH_S = 3.0  # how often a server publishes its line and looks for a teacher's Stop from another server
STALE_S = 30.0  # a server whose line is older than this is gone (or cut off): its trainings are not shown


@dataclass(frozen=True)
class Listed:
    """One training in an app server's line, as that server's own Classroom page shows it."""

    server: str
    dask_key: str
    owner: str  # the nickname, "" for none
    model: str  # the spec's name (a preset's, or "…_modified", or "custom")
    state: str  # queued, running, or stopping
    place: int  # 1 for the next to start; 0 when not waiting
    wait_s: float | None  # estimated seconds until it starts (None when not waiting)
    epoch: int  # the epoch under way, 0 before the first
    epochs: int
    fraction: float  # of the whole training done, 0.0 to 1.0


def publish(client: Any, server: str, line: list[Listed]) -> None:
    client.set_metadata([ROSTER, server], {"at": time.time(), "jobs": [asdict(entry) for entry in line]})


def others(client: Any, server: str, now: float | None = None) -> list[Listed]:
    """The trainings the class's other app servers have in their lines (not `server`'s own), newest servers'."""
    now = time.time() if now is None else now
    roster = client.get_metadata([ROSTER], None)
    found = []
    for name, entry in (roster if isinstance(roster, dict) else {}).items():
        if name == server or not isinstance(entry, dict) or now - float(entry.get("at", 0)) > STALE_S:
            continue
        for item in entry.get("jobs", []):
            try:
                found.append(Listed(**item))
            except TypeError:  # a server of another version of the app: its line is left out
                logger.warning("a line entry from server %s cannot be read: %r", name, item)
    return found


def ask_stop(client: Any, dask_key: str) -> None:
    client.set_metadata([STOPS, dask_key], time.time())


def stops_asked(client: Any) -> dict[str, float]:
    """Each training a teacher stopped from another server's Classroom page: its Dask key → when."""
    stops = client.get_metadata([STOPS], None)
    return {str(key): float(at) for key, at in stops.items() if at} if isinstance(stops, dict) else {}


def clear_stop(client: Any, dask_key: str) -> None:
    client.set_metadata([STOPS, dask_key], 0.0)


class Roster:
    """The registry's part in the class's line (a mixin of `mnistlab.engine.jobs.JobRegistry`)."""

    def class_listing(self) -> list[Listed]:
        """The trainings of the class's other app servers on this scheduler; [] alone or when it is away."""
        if self.engine is None:
            return []
        try:
            return others(self.engine.client, self.server)
        except Exception:  # noqa: BLE001 — the scheduler is away: the view shows this server's line alone
            logger.exception("could not read the class's line")
            return []

    def stop_elsewhere(self, listed: Listed) -> None:
        """The teacher's Stop for a training another server follows: done there within `PUBLISH_S`."""
        ask_stop(self.engine.client, listed.dask_key)

    def listed(self, job: Any) -> Listed:
        """This server's job as its line shows it (here, and to the class's other servers)."""
        progress, place = job.progress, self.position(job)
        return Listed(
            self.server, job.dask_key, job.owner, job.spec.name, "stopping" if job.stopping else job.state,
            place, self.estimated_wait(job) if place else None, progress.epoch if progress else 0,
            job.spec.epochs, float(progress.fraction) if progress else 0.0,
        )

    def _share_line(self) -> None:
        """Publish this server's line, and carry out the Stops a teacher pressed on another server."""
        client = self.engine.client
        publish(client, self.server, [self.listed(job) for job in self.listing()])
        asked = stops_asked(client)
        if not asked:
            return
        with self._lock:
            jobs = [job for job in self._jobs.values() if job.active and job.dask_key in asked]
        for job in jobs:
            if asked[job.dask_key] >= job.submitted:  # a Stop older than this job was for an earlier one
                logger.info("a teacher stopped %s from another server", job.dask_key)
                self.stop_for_all(job)
                clear_stop(client, job.dask_key)
