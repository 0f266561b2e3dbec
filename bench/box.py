# Over 300 lines: one script anyone can run as root, the box, its sampler, the students and the report together.
"""Issue 19's box test: the app in a box of 2.7 GB and one core, as Streamlit Community Cloud gives it, with a
class of students in real Chromium. Run it as root on a machine with cgroup v1's memory and cpu controllers:

    sudo python bench/box.py [--memory 2.7e9] [--cores 1] [--small 2] [--no-inside]

It makes a memory group (limit, memsw too where the kernel has it, swappiness 0) and a cpu group (CFS quota)
named mnistlab-box-PID under this process's own cgroups, and starts `streamlit run app.py` offline inside them
(the trainers the app starts inherit them); the browser stays outside: it stands for the students' machines.
Then, on the fresh server:

1. one student opens Draw and draws a 1: seconds from the first page view to the first answer;
2. `--small` students and one more start trainings at once (one small model each, and the heaviest model the
   builder accepts in this box: Conv2D 64 same ×2 with the largest batch whose estimate is under the box's
   training budget), and each waits for what the Train page tells them;
3. the first small student opens Evaluate and Inside with the model just trained.

Printed: each student's outcome, the group's OOM kills, peak usage and failcnt, and the peak resident memory of
the app process, the cluster's process and the workers (sampled from /proc), and the app's after each step.
The groups are removed at the end. tests/test_box_cgroup.py runs a smaller version and checks it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.canvas import CHROMIUM, CHROMIUM_ARGS, DIGITS, draw_stroke, free_port, placed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CGROUP = Path("/sys/fs/cgroup")
BOX_BYTES = 2_700_000_000
MB = 2**20
SLOW_MS = 180_000
OUTCOME = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  for (const kind of ['Success', 'Error']) {
    const found = main && main.querySelector(`[data-testid="stAlertContent${kind}"]`);
    if (found) return [kind.toLowerCase(), found.innerText];
  }
  const stopped = main && [...main.querySelectorAll('[data-testid="stAlertContentWarning"]')]
    .find(a => a.innerText.startsWith('Stopped'));
  return stopped ? ['stopped', stopped.innerText] : null;
}"""


def cgroup_problem() -> str | None:
    """Why the box cannot be made here, or None."""
    if os.geteuid() != 0:
        return "not root: making cgroups needs root"
    for controller, name in (("memory", "memory.limit_in_bytes"), ("cpu", "cpu.cfs_quota_us")):
        if not (CGROUP / controller / name).exists():
            return f"no cgroup v1 {controller} controller at {CGROUP / controller}"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}"
    return None


def own_group(controller: str) -> Path:
    """This process's cgroup folder for `controller` (v1), where the box's group is made: in CI the root."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            folder = CGROUP / controller / path.strip("/")
            if folder.is_dir():
                return folder
    return CGROUP / controller


class Box:
    """A memory group and a cpu group; `command` runs in both."""

    def __init__(self, memory: int, cores: float):
        name = f"mnistlab-box-{os.getpid()}"
        self.memory, self.cpu = own_group("memory") / name, own_group("cpu") / name
        self.memory.mkdir()
        self.cpu.mkdir()
        (self.memory / "memory.swappiness").write_text("0")
        (self.memory / "memory.limit_in_bytes").write_text(str(memory))
        if (self.memory / "memory.memsw.limit_in_bytes").exists():  # no swapping past the box either
            (self.memory / "memory.memsw.limit_in_bytes").write_text(str(memory))
        period = int((self.cpu / "cpu.cfs_period_us").read_text())
        (self.cpu / "cpu.cfs_quota_us").write_text(str(int(cores * period)))

    def command(self, argv: list[str]) -> list[str]:
        """`argv` run by a shell that first moves itself into both groups: the app and its children start there."""
        joined = " ".join(f"'{arg}'" for arg in argv)
        return ["sh", "-c", f"echo $$ > {self.memory}/cgroup.procs && echo $$ > {self.cpu}/cgroup.procs && "
                            f"exec {joined}"]

    def stat(self, name: str) -> str:
        return (self.memory / name).read_text()

    def pids(self) -> list[int]:
        return [int(p) for p in self.stat("cgroup.procs").split()]

    def oom_kills(self) -> int:
        lines = dict(line.split() for line in self.stat("memory.oom_control").splitlines())
        return int(lines.get("oom_kill", 0))

    def close(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        for folder in (self.memory, self.cpu):
            try:
                folder.rmdir()
            except OSError as exc:
                print(f"could not remove {folder}: {exc}", file=sys.stderr)


def _status(pid: int) -> dict[str, str]:
    try:
        return dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    except OSError:
        return {}


def rss(pid: int, key: str = "VmRSS") -> int:
    """Resident bytes of `pid` (VmHWM: its peak so far), 0 once it is gone."""
    value = _status(pid).get(key, "0 kB").split()
    return int(value[0]) * 1024 if value else 0


class Sampler(threading.Thread):
    """Every 0.2 s: the peak resident memory of each process in the box, by role (app, cluster, worker)."""

    def __init__(self, box: Box, app_pid: int):
        super().__init__(daemon=True)
        self.box, self.app_pid, self.done = box, app_pid, threading.Event()
        self.roles: dict[int, str] = {}
        self.peaks: dict[str, int] = {}

    def role(self, pid: int) -> str:
        if pid not in self.roles:
            parent = int(_status(pid).get("PPid", "0").strip() or 0)
            self.roles[pid] = ("app" if pid == self.app_pid else "cluster" if parent == self.app_pid else
                               "worker" if self.roles.get(parent) == "cluster" else "other")
        return self.roles[pid]

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                pids = sorted(self.box.pids())  # parents before their children, mostly
            except OSError:  # the box is gone
                return
            for pid in pids:
                role, peak = self.role(pid), rss(pid, "VmHWM")
                self.peaks[role] = max(self.peaks.get(role, 0), peak)

    def now(self, role: str) -> int:
        """The largest resident memory of a live process of `role` now."""
        return max((rss(pid) for pid in self.box.pids() if self.roles.get(pid) == role), default=0)


@dataclass
class Report:
    first_answer_s: float | None = None
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # student → (kind, what they read)
    app_rss: dict[str, int] = field(default_factory=dict)  # step → the app process's resident bytes after it
    peaks: dict[str, int] = field(default_factory=dict)
    oom_kills: int = 0
    max_usage: int = 0
    failcnt: int = 0
    worker_between: int = 0  # a worker's resident bytes after a small training, before the next
    alive: bool = False
    log: str = ""


def start_app(box: Box, cache: str) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MNISTLAB_")}  # the app sizes itself
    env.update(MNISTLAB_OFFLINE="1", MNISTLAB_CACHE_DIR=cache, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    log = Path(cache) / "streamlit.log"
    argv = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
            str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(box.command(argv), cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1).close()
            return process, url, log
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}")


def heaviest_spec(budget: int):
    """Conv2D 64 same ×2 with the largest batch whose training estimate is under `budget` (Quick-run sized)."""
    from mnistlab.model.budget import training_memory
    from mnistlab.model.spec import ModelSpec, conv2d, flatten

    def spec(batch: int) -> ModelSpec:
        return ModelSpec((conv2d(64, padding="same"), conv2d(64, padding="same"), flatten()), batch_size=batch,
                         epochs=1, train_size=2 * batch + batch // 4, name="heaviest")

    low, high = 1, 4096
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if training_memory(spec(middle)).total <= budget else (low, middle - 1)
    return spec(low)


def small_spec(i: int):
    from mnistlab.model.spec import ModelSpec, dense, flatten

    return ModelSpec((flatten(), dense(32 + 16 * i)), epochs=2, train_size=2000, seed=i, name=f"small_{i}")


def box_budget(memory: int, cores: float) -> int:
    from mnistlab.box import Box as Found
    from mnistlab.box import size_for

    return size_for(Found(memory, cores, "cgroup v1")).training_budget


def draw_first_answer(browser, url: str) -> float:
    """Seconds from opening Draw on the fresh server to the first answer on screen."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(SLOW_MS)
    start = time.monotonic()
    page.goto(url + "/draw")
    canvas = page.locator('[class*="st-key-draw_canvas"] canvas').first
    canvas.wait_for()
    page.get_by_text("Strokes on the canvas: 0", exact=True).wait_for()
    for stroke in placed(DIGITS[1][0], canvas.bounding_box(), 0.7, 0.5, 0.5, 0.0):
        draw_stroke(page, stroke)
    page.locator("h2", has_text="It's a").first.wait_for()
    seconds = time.monotonic() - start
    page.context.close()
    return seconds


def train_at_once(browser, url: str, specs: dict[str, object], timeout_s: float, on_outcome=None) -> dict:
    """Each student opens the Train page with their model and presses Train, all at once; what each reads.
    `on_outcome(name)` is called as each student's outcome appears."""
    pages, outcomes = {}, {}
    for name, spec in specs.items():
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.set_default_timeout(SLOW_MS)
        page.goto(f"{url}/train?spec={urllib.parse.quote(spec.to_json())}")
        page.get_by_text(f"batch size {spec.batch_size} ·").first.wait_for()
        pages[name] = page
    for name, page in pages.items():
        refused = page.evaluate(OUTCOME)  # the builder refuses a model over the budget before it trains
        if refused:
            outcomes[name] = ("refused", refused[1])
        else:
            page.locator(".st-key-train_start button").click()
    deadline = time.monotonic() + timeout_s
    while len(outcomes) < len(pages) and time.monotonic() < deadline:
        for name, page in pages.items():
            if name not in outcomes:
                found = page.evaluate(OUTCOME)
                if found:
                    outcomes[name] = tuple(found)
                    if on_outcome:
                        on_outcome(name)
        time.sleep(1)
    for name in pages:
        outcomes.setdefault(name, ("no answer", f"nothing after {timeout_s:.0f} s"))
    return pages, outcomes


def look_inside(page) -> None:
    """The student moves (in the same session) to Evaluate, then to Inside, with the model they trained."""
    for title, shows in (("Evaluate", "Confusion matrix"), ("Inside", "It reads")):
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        page.get_by_text(shows).first.wait_for()
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def run_box(memory: int = BOX_BYTES, cores: float = 1.0, small: int = 2, inside: bool = True,
            timeout_s: float = 900) -> Report:
    from playwright.sync_api import sync_playwright

    report, cache = Report(), tempfile.mkdtemp(prefix="mnistlab-box-")
    box, sampler = Box(memory, cores), None
    try:
        process, url, log = start_app(box, cache)
        sampler = Sampler(box, process.pid)
        sampler.start()
        report.app_rss["started"] = rss(process.pid)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            home = browser.new_page()
            home.goto(url)
            home.locator('[data-testid="stSidebar"]').wait_for(timeout=SLOW_MS)
            report.app_rss["Home"] = rss(process.pid)
            report.first_answer_s = draw_first_answer(browser, url)
            report.app_rss["Draw answered"] = rss(process.pid)
            specs = {f"small {i + 1}": small_spec(i) for i in range(small)}
            specs["heaviest"] = heaviest_spec(box_budget(memory, cores))
            def worker_between(name: str) -> None:  # the worker between two trainings: its floor
                if name != "heaviest":
                    report.worker_between = max(report.worker_between, sampler.now("worker"))

            pages, report.outcomes = train_at_once(browser, url, specs, timeout_s, worker_between)
            report.app_rss["trainings done"] = rss(process.pid)
            if inside and small and report.outcomes["small 1"][0] == "success":
                look_inside(pages["small 1"])
                report.app_rss["Evaluate, Inside"] = rss(process.pid)
            browser.close()
        sampler.done.set()
        sampler.join()
        report.peaks = sampler.peaks
        report.alive = process.poll() is None
        if report.alive:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=10) as health:
                report.alive = health.status == 200
        report.oom_kills, report.failcnt = box.oom_kills(), int(box.stat("memory.failcnt"))
        report.max_usage = int(box.stat("memory.max_usage_in_bytes"))
        report.log = log.read_text()[-3000:]
    finally:
        if sampler is not None:
            sampler.done.set()
        box.close()
        shutil.rmtree(cache, ignore_errors=True)
    return report


def print_report(report: Report, memory: int, cores: float) -> None:
    print(f"box: {memory / 1e9:.1f} GB, {cores:g} core(s); the app alive at the end: {report.alive}")
    print(f"Draw's first answer: {report.first_answer_s:.1f} s after the first page view")
    for name, (kind, text) in report.outcomes.items():
        print(f"  {name:10} {kind:9} {' '.join(text.split())[:240]}")
    print(f"OOM kills: {report.oom_kills}   group peak: {report.max_usage / MB:,.0f} MiB   failcnt: {report.failcnt}")
    print("peak resident memory: " + ", ".join(f"{role} {peak / MB:,.0f} MiB" for role, peak in report.peaks.items()))
    print(f"a worker between two trainings: {report.worker_between / MB:,.0f} MiB")
    print("the app process after each step: " + ", ".join(f"{step} {value / MB:,.0f} MiB"
                                                          for step, value in report.app_rss.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory", type=float, default=BOX_BYTES, help="bytes (default 2.7e9)")
    parser.add_argument("--cores", type=float, default=1.0)
    parser.add_argument("--small", type=int, default=2, help="students training a small model beside the heaviest")
    parser.add_argument("--no-inside", action="store_true", help="skip Evaluate and Inside after the trainings")
    args = parser.parse_args()
    problem = cgroup_problem()
    if problem:
        raise SystemExit(problem)
    report = run_box(int(args.memory), args.cores, args.small, not args.no_inside)
    print_report(report, int(args.memory), args.cores)


if __name__ == "__main__":
    main()
