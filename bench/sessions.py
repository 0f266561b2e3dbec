"""Many sessions asking for trainings at once, through the app's job registry.

N simulated sessions (N = 1, 5, 20) each submit a training — first all the same preset,
then all different (a seed each) — and wait for it. Prints the trainings actually
executed, the wall time, the peak resident memory of the process while it ran, and how
long jobs waited in the queue. Goal: N identical requests → 1 training; peak RSS under
1.5 GB at N = 20 with the CNN preset on the sample data.

    python bench/sessions.py [--preset cnn_lenet_tanh] [--epochs 1] [--sizes 1,5,20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class PeakMemory:
    """Samples the resident set every 50 ms while the block runs."""

    def __enter__(self):
        self.peak, self._done = rss_bytes(), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._done.wait(0.05):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()


def run_sessions(registry, spec, dataset, n: int, identical: bool) -> dict:
    before = registry.trainings_executed
    jobs, threads = [], []

    def session(i: int) -> None:
        wanted = spec if identical else spec.replace(seed=1000 + i + (n * 100))
        job = registry.submit(wanted, dataset, f"session-{i}")
        jobs.append(job)
        job.wait()

    started = time.perf_counter()
    with PeakMemory() as memory:
        for i in range(n):
            thread = threading.Thread(target=session, args=(i,))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
    waits = sorted((job.started or job.submitted) - job.submitted for job in set(jobs))
    return {
        "executed": registry.trainings_executed - before,
        "wall": time.perf_counter() - started,
        "peak_mb": memory.peak / 2**20,
        "max_wait": waits[-1] if waits else 0.0,
        "median_wait": waits[len(waits) // 2] if waits else 0.0,
        "states": sorted({job.state for job in jobs}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cnn_lenet_tanh")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--sizes", default="1,5,20")
    parser.add_argument("--max-jobs", type=int, default=None)
    args = parser.parse_args()

    from mnistlab import PRESETS, load_dataset
    from mnistlab.jobs import JobRegistry

    dataset = load_dataset("mnist", "sample")
    spec = PRESETS[args.preset].spec.replace(epochs=args.epochs)
    with tempfile.TemporaryDirectory() as cache:
        registry = JobRegistry(max_jobs=args.max_jobs, cache_dir=cache)
        print(f"data: {dataset.source}")
        print(f"preset {args.preset}, {args.epochs} epoch(s), at most {registry.max_jobs} training(s) at once, "
              f"RSS before: {rss_bytes() / 2**20:.0f} MB")
        print(f"{'sessions':>8} {'requests':<10} {'executed':>8} {'wall s':>7} {'peak RSS MB':>11} "
              f"{'median wait s':>13} {'max wait s':>10}")
        for n in (int(s) for s in args.sizes.split(",")):
            for identical in (True, False):
                # a fresh seed range per row, so "identical" is not served from an earlier row's cache
                row_spec = spec.replace(seed=n * 7 + (0 if identical else 1))
                result = run_sessions(registry, row_spec, dataset, n, identical)
                kind = "identical" if identical else "different"
                print(f"{n:>8} {kind:<10} {result['executed']:>8} {result['wall']:>7.1f} {result['peak_mb']:>11.0f} "
                      f"{result['median_wait']:>13.1f} {result['max_wait']:>10.1f}   {','.join(result['states'])}",
                      flush=True)


if __name__ == "__main__":
    main()
