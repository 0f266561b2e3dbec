"""The box the server runs in, read from fake cgroup (v1 and v2) and /proc trees, and the trainers sized from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnistlab import box
from mnistlab.box import (
    APP_BYTES,
    CLUSTER_BYTES,
    DATA_BYTES,
    GB,
    MB,
    SHARED_BYTES,
    TENSORFLOW_BYTES,
    Box,
    read_box,
    size_for,
)

CLOUD = 2_700_000_000  # Streamlit Community Cloud: about 2.7 GB for the whole app
MACHINE_KB = 64 * 2**20  # the host's /proc/meminfo: 64 GiB


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"proc/meminfo": f"MemTotal:       {MACHINE_KB} kB\nMemFree:  1 kB\n", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return root


def v2(root: Path, memory: str, cpu: str) -> Path:
    return tree(root, {"sys/fs/cgroup/memory.max": memory, "sys/fs/cgroup/cpu.max": cpu})


def v1(root: Path, memory: str, quota: str, period: str = "100000") -> Path:
    return tree(root, {"sys/fs/cgroup/memory/memory.limit_in_bytes": memory,
                       "sys/fs/cgroup/cpu/cpu.cfs_quota_us": quota, "sys/fs/cgroup/cpu/cpu.cfs_period_us": period})


def fits(sizing, memory: int) -> None:
    """The app, the cluster, the workers at their limits (each less TensorFlow's library pages, which the app's
    resident memory already holds once), and in each a training at its budget beside TensorFlow, fit."""
    assert APP_BYTES + CLUSTER_BYTES + sizing.workers * (sizing.worker_memory - SHARED_BYTES) <= memory
    assert TENSORFLOW_BYTES + DATA_BYTES + sizing.training_budget < sizing.worker_memory


def test_community_cloud_v2_one_core_gives_one_worker_that_fits_beside_the_app(tmp_path):
    found = read_box(v2(tmp_path, str(CLOUD), "100000 100000"), cpus=16)
    assert found == Box(CLOUD, 1.0, "cgroup v2")
    sizing = size_for(found)
    assert sizing.workers == 1
    fits(sizing, CLOUD)
    assert sizing.training_budget >= 400 * MB  # every preset's estimate is under 150 MB (test_spec.py)


def test_the_heaviest_model_the_budget_accepts_trains_under_the_nannys_kill_line():
    """What the box test (bench/box.py) measured on 2.7 GB and one core: a Dask worker holds about 950 MiB
    between trainings (TensorFlow's library pages included, which the nanny counts); the heaviest model the
    builder accepted then grew it past 95% of its limit, where the nanny kills it, when the limit left those
    pages out. A training grows the worker by at most its estimate (measured 0.63 of it for that model)."""
    worker_floor, kill_share = 950 * MB, 0.95
    sizing = size_for(Box(CLOUD, 1.0, "cgroup v1"))
    assert worker_floor + sizing.training_budget < kill_share * sizing.worker_memory


def test_community_cloud_v1_quota_of_one_and_a_half_cores(tmp_path):
    found = read_box(v1(tmp_path, str(CLOUD), "150000"), cpus=16)
    assert found == Box(CLOUD, 1.5, "cgroup v1")
    sizing = size_for(found)
    assert sizing.workers == 1
    fits(sizing, CLOUD)


def test_unlimited_cgroups_fall_back_to_the_machine(tmp_path):
    v2_free = read_box(v2(tmp_path / "a", "max", "max 100000"), cpus=8)
    v1_free = read_box(v1(tmp_path / "b", "9223372036854771712", "-1"), cpus=8)
    assert v2_free == v1_free == Box(MACHINE_KB * 1024, 8.0, "machine")
    sizing = size_for(v2_free)
    assert sizing.workers == 4 and sizing.worker_memory == 2 * GB  # one training per two cores, 2 GiB each
    fits(sizing, MACHINE_KB * 1024)


def test_no_cgroup_files_at_all_reads_proc_meminfo(tmp_path):
    assert read_box(tree(tmp_path, {}), cpus=2) == Box(MACHINE_KB * 1024, 2.0, "machine")
    assert read_box(tmp_path / "nothing", cpus=2) == Box(None, 2.0, "machine")
    assert size_for(Box(None, 2.0, "machine")).workers == 1


def test_the_tighter_of_quota_and_cpus_counts(tmp_path):
    assert read_box(v2(tmp_path, "max", "800000 100000"), cpus=2).cpus == 2.0  # a quota above the CPUs it may use
    assert read_box(v2(tmp_path, "max", "50000 100000"), cpus=2).cpus == 0.5


def test_a_process_in_a_nested_v1_cgroup_reads_its_own_limits_not_the_roots(tmp_path):
    """A host with cgroup v1 (the box test's: a group made under /sys/fs/cgroup/memory/...): the root's files say
    "no limit"; the process's own folder, named in /proc/self/cgroup, has the box's."""
    root = v1(tmp_path, "9223372036854771712", "-1")
    tree(root, {"proc/self/cgroup": "9:name=systemd:/\n4:memory:/jobs/box-1\n3:cpu,cpuacct:/box-1\n0::/",
                "sys/fs/cgroup/memory/jobs/memory.limit_in_bytes": "9223372036854771712",
                "sys/fs/cgroup/memory/jobs/box-1/memory.limit_in_bytes": str(CLOUD),
                "sys/fs/cgroup/cpu/box-1/cpu.cfs_quota_us": "100000",
                "sys/fs/cgroup/cpu/box-1/cpu.cfs_period_us": "100000"})
    assert read_box(root, cpus=16) == Box(CLOUD, 1.0, "cgroup v1")
    tree(root, {"sys/fs/cgroup/memory/jobs/memory.limit_in_bytes": str(2 * GB)})  # a tighter limit above it holds
    assert read_box(root, cpus=16).memory == 2 * GB


def test_a_container_that_sees_its_own_cgroup_as_the_root_reads_the_mount(tmp_path):
    """Docker on cgroup v2 with a cgroup namespace, or v1 without: /proc/self/cgroup names a path the
    container's /sys/fs/cgroup does not have; the files at the mount are the container's."""
    root = v2(tmp_path, str(CLOUD), "100000 100000")
    tree(root, {"proc/self/cgroup": "0::/docker/abc123"})
    assert read_box(root, cpus=16) == Box(CLOUD, 1.0, "cgroup v2")


def test_memory_short_of_cores_gives_fewer_workers():
    many_cores = size_for(Box(CLOUD, 8.0, "cgroup v2"))  # 4 by the cores, but 2.7 GB holds one
    assert many_cores.workers == 1
    fits(many_cores, CLOUD)
    eight_gb = size_for(Box(8 * GB, 8.0, "cgroup v2"))
    assert eight_gb.workers == 4
    fits(eight_gb, 8 * GB)


def test_a_setting_overrides_and_the_rest_follows_from_it():
    two = size_for(Box(CLOUD, 1.0, "cgroup v2"), workers=2)
    assert two.workers == 2 and two.worker_memory < size_for(Box(CLOUD, 1.0, "cgroup v2")).worker_memory
    given = size_for(Box(CLOUD, 1.0, "cgroup v2"), worker_memory=1536 * MB)
    assert given.worker_memory == 1536 * MB
    assert given.training_budget < 1536 * MB - TENSORFLOW_BYTES


@pytest.fixture
def cloud_box(tmp_path, monkeypatch):
    """This process runs in a fake Community Cloud container on a 16-core machine."""
    root = v2(tmp_path, str(CLOUD), "100000 100000")
    monkeypatch.setattr(box.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(box.os, "sched_getaffinity", lambda pid: set(range(16)))
    monkeypatch.setattr(box, "read_box", lambda root_=None: read_box(root))
    for name in ("MNISTLAB_MAX_JOBS", "MNISTLAB_WORKER_MEMORY", "MNISTLAB_TRAINING_MEMORY_MB"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_the_cluster_and_the_budget_read_the_box_not_the_machine(cloud_box):
    from mnistlab.box import default_max_jobs, worker_memory
    from mnistlab.model.budget import training_memory_budget

    assert default_max_jobs() == 1  # os.cpu_count() would say 16 cores: 8 workers
    assert APP_BYTES + CLUSTER_BYTES + worker_memory() - SHARED_BYTES <= CLOUD
    assert TENSORFLOW_BYTES + training_memory_budget() < worker_memory()


def test_settings_still_win_over_the_box(cloud_box, monkeypatch):
    from mnistlab.box import default_max_jobs, worker_memory
    from mnistlab.model.budget import training_memory_budget

    monkeypatch.setenv("MNISTLAB_MAX_JOBS", "3")
    monkeypatch.setenv("MNISTLAB_WORKER_MEMORY", "1GiB")
    assert default_max_jobs() == 3 and worker_memory() == GB
    assert training_memory_budget() == size_for(Box(CLOUD, 1.0, ""), 3, GB).training_budget
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "250")
    assert training_memory_budget() == 250 * MB
