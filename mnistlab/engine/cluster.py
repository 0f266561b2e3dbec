"""Where trainings run: an embedded Dask `LocalCluster`, or a cluster shared by several app servers.

Embedded (the default): `MNISTLAB_MAX_JOBS` worker processes, one thread each, a memory limit
each (`MNISTLAB_WORKER_MEMORY`), started once per server; by default both sized from the box the
server runs in (its container's CPU quota and memory limit: mnistlab/box.py).
Shared: `MNISTLAB_DASK_SCHEDULER=tls://host:8786` connects to a cluster started with the
plain `dask scheduler` / `dask worker --preload mnistlab.engine.worker` commands, over TLS with the
certificate files named in `MNISTLAB_DASK_TLS_CA`, `_CERT`, `_KEY` (or the secrets' `[dask]` section).
Workers are replaced by fresh processes between trainings (`mnistlab.engine.lifetime`).
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnistlab.box import default_max_jobs, worker_memory
from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_

logger = logging.getLogger(__name__)

TLS_SETTINGS = {"tls_ca_file": "MNISTLAB_DASK_TLS_CA", "tls_client_cert": "MNISTLAB_DASK_TLS_CERT",
                "tls_client_key": "MNISTLAB_DASK_TLS_KEY"}  # Security's argument ← the environment variable


def scheduler_address(secrets: dict[str, Any] | None = None) -> str:
    """The shared cluster's scheduler, from the app's secrets (`[dask] scheduler`) or the environment."""
    return str((secrets or {}).get("scheduler") or os.environ.get("MNISTLAB_DASK_SCHEDULER", "")).strip()


def scheduler_security(secrets: dict[str, Any] | None = None) -> Any:
    """The app's TLS files for a shared scheduler (`distributed.security.Security`), from the app's secrets
    (`[dask] tls_ca_file`, `tls_client_cert`, `tls_client_key`) or MNISTLAB_DASK_TLS_CA / _CERT / _KEY;
    None when none is set."""
    files = {name: str((secrets or {}).get(name) or os.environ.get(variable, "")).strip()
             for name, variable in TLS_SETTINGS.items()}
    if not any(files.values()):
        return None
    from distributed.security import Security

    return Security(**{name: value for name, value in files.items() if value}, require_encryption=True)


@dataclass
class Engine:
    client: Any  # distributed.Client
    process: Any | None  # the embedded cluster's process (subprocess.Popen), None for a shared cluster
    memory_limit: int  # per worker, bytes (0: unknown)

    @property
    def embedded(self) -> bool:
        return self.process is not None

    @property
    def address(self) -> str:
        return self.client.scheduler.address

    def close(self) -> None:
        self.client.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_engine(n_workers: int | None = None, address: str = "", memory_limit: int | None = None,
                 timeout: float = 180, security: Any = None) -> Engine:
    """Connect to `address`, or start the embedded cluster. Blocks until workers are up (seconds).

    The embedded cluster runs in a process of its own (`python -m mnistlab.engine.cluster`), not in the
    app's: worker processes are started with multiprocessing's "spawn", which re-imports the
    starting process's `__main__` — under Streamlit, the app script itself. From a clean process
    they import only this module; and the scheduler's work stays off the app's CPU time.
    """
    from distributed import Client

    if address:
        if not address.startswith("tls://"):
            logger.warning("The Dask scheduler %s is reached without TLS: anyone who can reach it can run code on "
                           "its workers. Keep the scheduler and its workers on a private network, or use tls:// "
                           "(see the README: A class on several machines).", address)
        client = Client(address, set_as_default=False, timeout="20s", security=security)
        limits = [w.get("memory_limit", 0) for w in client.scheduler_info().get("workers", {}).values()]
        return Engine(client, None, min(limits) if limits else 0)
    memory_limit = memory_limit or worker_memory()
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "mnistlab.engine.cluster", "--workers", str(n_workers or default_max_jobs()),
         "--memory", str(memory_limit), "--parent", str(os.getpid())],
        stdout=subprocess.PIPE, text=True, env=env, cwd=root,
    )
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline().strip() if ready else ""
    if not line.startswith("tcp://"):
        process.kill()
        raise MnistlabError("cluster_start_timeout", N_("The training cluster did not start within {seconds:.0f} s."),
                            seconds=timeout)
    # whatever the cluster and its workers print later goes to the log: a pipe nobody reads fills
    # (64 KiB) and then freezes every process that writes to it
    threading.Thread(target=_drain, args=(process.stdout,), name="mnistlab-cluster-output", daemon=True).start()
    try:
        client = Client(line, set_as_default=False, timeout="30s")
    except BaseException:  # a cluster nobody can use must not outlive the failed start
        process.kill()
        raise
    return Engine(client, process, memory_limit)


def _drain(stream: Any) -> None:
    for text in stream:
        logger.info("training cluster: %s", text.rstrip())


def _serve(n_workers: int, memory_limit: int, parent: int) -> None:
    """The embedded cluster's process: a scheduler and its workers, until the app is gone."""
    import dask
    from distributed import LocalCluster

    from mnistlab.engine.lifetime import TrainingNanny, lifetime

    duration, stagger = lifetime()

    dask.config.set({
        # one death of a training's worker is a verdict (too big for its memory), not bad luck to retry
        "distributed.scheduler.allowed-failures": 0,
        # a worker holds the training it runs and no other: the next in line goes to whichever frees first
        "distributed.scheduler.worker-saturation": 1.0,
        # a training's memory is its own: no spilling of results to disk, no pausing mid-fit
        "distributed.worker.memory.target": False,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": False,
        "distributed.worker.memory.terminate": 0.95,
        "distributed.admin.system-monitor.gil.enabled": False,
        # a worker restarted after a memory kill imports TensorFlow again, which takes more than the
        # default 15 s on a busy 2-core server; past this the cluster would drop the worker for good
        "distributed.deploy.lost-worker-timeout": "10 minutes",
    })
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
        host="127.0.0.1", dashboard_address=None, preload=["mnistlab.engine.worker"], worker_class=TrainingNanny,
        # Dask's own lifetimes: a fresh process now and then under a line that never empties; a TrainingWorker
        # retires only between trainings
        lifetime=duration or None, lifetime_stagger=stagger or None, lifetime_restart=bool(duration),
        silence_logs=int(os.environ.get("MNISTLAB_DASK_LOG_LEVEL", logging.ERROR)),
    )
    print(cluster.scheduler_address, flush=True)
    try:
        while _alive(parent):
            time.sleep(1.0)
    finally:
        cluster.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The embedded training cluster of one mnistlab server.")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True, help="stop when this process is gone")
    options = parser.parse_args()
    _serve(options.workers, options.memory, options.parent)
