"""The box the server runs in: its memory and CPUs, and the trainers sized to fit in it.

A container's limits are not the machine's: Streamlit Community Cloud gives an app about 2.7 GB
and 1–2 cores on a machine that has many more, and `os.cpu_count()` or /proc/meminfo report the
machine. So the cgroup's limits are read first (v2: memory.max, cpu.max; v1: memory.limit_in_bytes,
cpu.cfs_quota_us / cpu.cfs_period_us), in the process's own cgroup (/proc/self/cgroup) and every one above
it, the machine's only where there are none. Every reader takes
the root of the file system, so tests point it at a fake /sys and /proc tree.

From the box: how many workers train at once (one per two cores, fewer where memory is short),
each worker's memory limit, and the memory one training may use, after what the app process and
TensorFlow itself hold. The settings (MNISTLAB_MAX_JOBS, MNISTLAB_WORKER_MEMORY,
MNISTLAB_TRAINING_MEMORY_MB) still override each of these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_

MB = 2**20
GB = 2**30
# Measured in the box test (bench/box.py: 2.7 GB, one core, three students): the app's resident memory was
# 0.8–0.93 GiB once Draw had answered and Evaluate and Inside had run, about 380 MiB of it TensorFlow's library
# pages; each further trained CNN a session keeps adds about 12 MB (a Dense model 3 MB).
APP_BYTES = 1 * GB  # the Streamlit app process with a model loaded for Draw, Evaluate or Inside (resident)
SHARED_BYTES = 360 * MB  # TensorFlow's library pages: in the resident memory of the app and of every worker, held once
CLUSTER_BYTES = 256 * MB  # the embedded cluster's process (scheduler and nannies; measured 62 MiB)
# a worker process after importing TensorFlow and Dask and a first training (measured: 0.73 GiB in a plain process,
# about 0.95 GiB as a Dask worker, library pages included)
TENSORFLOW_BYTES = 950 * MB
DATA_BYTES = 100 * MB  # full MNIST as uint8 (55 MB) and a training's batches of it
MIN_TRAINING_BYTES = 300 * MB  # a worker that cannot give a training this much is not worth starting
MAX_WORKER_BYTES = 2 * GB  # on a big machine: what a worker gets (a training past it is refused anyway)
BUDGET_SHARE = 0.75  # the estimate can be off by up to 2× (model/budget.py): keep a margin inside the worker
MIN_BUDGET = 16 * MB  # a worker set too small for TensorFlow: a budget that still lets the smallest models train
UNLIMITED = 2**60  # cgroup v1 writes "no limit" as a huge number (9223372036854771712)


@dataclass(frozen=True)
class Box:
    """What this server may use: bytes of memory (None: unknown) and CPUs (may be fractional)."""

    memory: int | None
    cpus: float
    source: str  # "cgroup v2", "cgroup v1" or "machine": where the tighter of the limits came from


@dataclass(frozen=True)
class Sizing:
    """The trainers that fit in a box: workers at once, each worker's memory limit, one training's budget."""

    workers: int
    worker_memory: int
    training_budget: int


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _number(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _own_cgroups(root: Path) -> dict[str, str]:
    """This process's cgroup path per controller, from /proc/self/cgroup ("" for cgroup v2's unified tree)."""
    paths: dict[str, str] = {}
    for line in (_read(root / "proc" / "self" / "cgroup") or "").splitlines():
        _, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        for name in controllers.split(",") if controllers else [""]:
            paths.setdefault(name, path)
    return paths


def _folders(mount: Path, path: str | None) -> list[Path]:
    """The process's own cgroup folder under `mount` and every folder above it, up to the mount: a limit set
    on any of them holds (cgroups are hierarchical). Only the mount where the process's folder is not under it
    (a container that sees its own cgroup as the root)."""
    folders = []
    here = mount / path.strip("/") if path else mount
    if here != mount and here.is_dir():
        while here != mount and mount in here.parents:
            folders.append(here)
            here = here.parent
    return [*folders, mount]


def cgroup_memory(root: str | os.PathLike = "/") -> tuple[int | None, str | None]:
    """The memory limit of this process's cgroup (the tightest from it up to the root) in bytes and the cgroup
    version that set it; (None, None) when unlimited or absent."""
    sys_fs, own = Path(root) / "sys" / "fs" / "cgroup", _own_cgroups(Path(root))
    v2 = [_read(folder / "memory.max") for folder in _folders(sys_fs, own.get(""))]
    if any(text is not None for text in v2):
        limits = [value for value in map(_number, v2) if value is not None and 0 < value < UNLIMITED]  # "max": none
        return (min(limits), "cgroup v2") if limits else (None, None)
    v1 = [_number(_read(folder / "memory.limit_in_bytes")) for folder in _folders(sys_fs / "memory", own.get("memory"))]
    limits = [value for value in v1 if value is not None and 0 < value < UNLIMITED]
    return (min(limits), "cgroup v1") if limits else (None, None)


def _quota(quota_us: int | None, period_us: int | None) -> float | None:
    return quota_us / period_us if quota_us and period_us and quota_us > 0 and period_us > 0 else None


def cgroup_cpus(root: str | os.PathLike = "/") -> tuple[float | None, str | None]:
    """The CPU quota of this process's cgroup (the tightest up to the root) in cores (1.5: 150 ms per 100 ms) and
    its version; (None, None) when unlimited."""
    sys_fs, own = Path(root) / "sys" / "fs" / "cgroup", _own_cgroups(Path(root))
    v2 = [_read(folder / "cpu.max") for folder in _folders(sys_fs, own.get(""))]
    if any(text is not None for text in v2):
        quotas = []
        for text in filter(None, v2):
            quota, _, period = text.partition(" ")
            quotas.append(_quota(_number(quota), _number(period or "100000")))  # "max 100000": no quota
        found = [q for q in quotas if q is not None]
        return (min(found), "cgroup v2") if found else (None, None)
    for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        folders = _folders(sys_fs / mount, own.get("cpu"))
        if _read(folders[-1] / "cpu.cfs_quota_us") is None:
            continue
        found = [q for q in (_quota(_number(_read(folder / "cpu.cfs_quota_us")),  # -1: no quota
                                    _number(_read(folder / "cpu.cfs_period_us"))) for folder in folders)
                 if q is not None]
        return (min(found), "cgroup v1") if found else (None, None)
    return None, None


def machine_memory(root: str | os.PathLike = "/") -> int | None:
    """MemTotal from /proc/meminfo, in bytes."""
    for line in (_read(Path(root) / "proc" / "meminfo") or "").splitlines():
        name, _, rest = line.partition(":")
        if name == "MemTotal":
            kilobytes = _number(rest.split()[0] if rest.split() else None)
            return kilobytes * 1024 if kilobytes else None
    return None


def machine_cpus() -> int:
    """The CPUs this process may run on (its affinity), else the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def read_box(root: str | os.PathLike = "/", cpus: int | None = None) -> Box:
    """The tighter of the cgroup's limits and the machine's. `cpus`: the machine's CPUs (default: this process's)."""
    limit, memory_source = cgroup_memory(root)
    total = machine_memory(root)
    memory = min(m for m in (limit, total) if m is not None) if (limit or total) else None
    quota, cpu_source = cgroup_cpus(root)
    machine = machine_cpus() if cpus is None else cpus
    usable_cpus = min(quota, machine) if quota is not None else float(machine)
    limited = memory_source if limit is not None and memory == limit else None
    limited = limited or (cpu_source if quota is not None and quota < machine else None)
    return Box(memory, usable_cpus, limited or "machine")


def size_for(box: Box, workers: int | None = None, worker_memory: int | None = None) -> Sizing:
    """The trainers for `box`. `workers` and `worker_memory` are settings that override what the box
    gives (the rest is then derived from them): e.g. MNISTLAB_MAX_JOBS=2 splits the memory in two."""
    by_cpu = max(1, int(box.cpus) // 2)  # TensorFlow keeps two cores busy in one training
    if box.memory is None:
        n = workers or by_cpu
        per_worker = worker_memory or MAX_WORKER_BYTES
    else:
        # a worker's limit is on its resident memory, which counts the library pages the app already holds
        for_workers = box.memory - APP_BYTES - CLUSTER_BYTES
        smallest = TENSORFLOW_BYTES + DATA_BYTES + MIN_TRAINING_BYTES
        n = workers or max(1, min(by_cpu, for_workers // (smallest - SHARED_BYTES)))
        per_worker = worker_memory or max(smallest, min(MAX_WORKER_BYTES, for_workers // n + SHARED_BYTES))
    budget = BUDGET_SHARE * (per_worker - TENSORFLOW_BYTES - DATA_BYTES)
    return Sizing(n, int(per_worker), int(max(MIN_BUDGET, budget)) // MB * MB)


def server_sizing(workers: int | None = None, worker_memory: int | None = None,
                  root: str | os.PathLike = "/") -> Sizing:
    """The trainers for the box this process runs in (see `size_for`)."""
    return size_for(read_box(root), workers, worker_memory)


def server_training_budget() -> int:
    """One training's memory budget in bytes on this server: what one of its workers (as the settings or the
    box size them) leaves a training after TensorFlow and the data."""
    try:
        memory = worker_memory()
    except MnistlabError:  # a malformed MNISTLAB_WORKER_MEMORY: the cluster refuses to start and says why
        memory = None
    return server_sizing(default_max_jobs(), memory).training_budget


def describe(box: Box, sizing: Sizing) -> str:
    """One line for logs and the README: '2.7 GB, 1 CPU (cgroup v2): 1 worker of 1.4 GB, 500 MB per training'."""
    memory = f"{box.memory / GB:.1f} GiB" if box.memory else "memory unknown"
    return (f"{memory}, {box.cpus:g} CPU ({box.source}): {sizing.workers} worker(s) of "
            f"{sizing.worker_memory / GB:.2f} GiB, {sizing.training_budget // MB:,} MB per training")


def default_max_jobs() -> int:
    """MNISTLAB_MAX_JOBS, or what the box allows: one training per two cores of its CPU quota, fewer where
    its memory is short."""
    value = os.environ.get("MNISTLAB_MAX_JOBS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return server_sizing().workers


def worker_memory() -> int:
    """MNISTLAB_WORKER_MEMORY ("1.5GB", "1500MiB", bytes), or the box's memory after the app's share, split
    between the workers (at most 2 GiB each)."""
    value = os.environ.get("MNISTLAB_WORKER_MEMORY", "").strip()
    if not value:
        return server_sizing(workers=default_max_jobs()).worker_memory
    from dask.utils import parse_bytes

    try:
        return int(parse_bytes(value))
    except (ValueError, TypeError):
        raise MnistlabError("worker_memory_setting", N_("MNISTLAB_WORKER_MEMORY={value} is not a size like '1.5GB'."),
                            value=repr(value)) from None
