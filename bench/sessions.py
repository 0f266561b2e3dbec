"""Many sessions asking for trainings at once, through the app's job registry and its Dask workers.

Runs against the embedded cluster (the app's default: `start_engine()`) or a shared one
(`--scheduler tcp://host:8786`). Parts, each printed as a table:

  a  N = 1, 5, 20, 30 simulated sessions (threads) submit a training at once — first all the
     same request, then all different (a seed each) — and wait for it: trainings executed,
     wall time, median / max queue wait (started − submitted), peak RSS of this process
     (the app's side: sampled every 50 ms) and of each worker (sampled every 0.5 s).
     Goals: N identical → 1 training; this process stays under 400 MB and never imports
     TensorFlow, since nobody asks for a model (`job.result.model` is never touched).
  b  100 small trainings in a row (MLP, 300 images, 1 epoch, a seed each), printing every 20
     the app's and the workers' RSS and the workers' pids. Goals: the app grows < 50 MB;
     workers are replaced after `RECYCLE_AFTER` trainings (their pids change) and come back.
  c  20 different jobs on a 1-worker engine, then on a 2-worker engine: wall times, ratio.
     (Embedded only.)
  d  (`--browser`) a real `streamlit run app.py` server with 20 different trainings queued
     through its own registry by 20 Chromium pages pressing Train; meanwhile a new browser
     context's Home load time and the sidebar page-switch times. Goals: Home ≤ 3 s,
     switch ≤ 1 s.

    python bench/sessions.py [--scheduler ADDRESS] [--parts a,b,c] [--browser]
                             [--preset cnn_lenet_tanh] [--train-size 1000] [--sizes 1,5,20,30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402, F401 — quiets TensorFlow's logs in the workers' environment too

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 2**20
APP_PEAK_GOAL_MB = 400
APP_GROWTH_GOAL_MB = 50
HOME_GOAL_S, SWITCH_GOAL_S = 3.0, 1.0


def rss_bytes() -> int:
    """This process's resident set (runs in the workers too, through client.run)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def tf_imported() -> bool:
    return "tensorflow" in sys.modules


class Peaks:
    """Samples this process's RSS every 50 ms and every worker's every 0.5 s while the block runs."""

    def __init__(self, client):
        self.client = client

    def __enter__(self):
        self.app, self.workers, self._done = rss_bytes(), {}, threading.Event()
        self._threads = [threading.Thread(target=self._watch_app, daemon=True),
                         threading.Thread(target=self._watch_workers, daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def _watch_app(self):
        while not self._done.wait(0.05):
            self.app = max(self.app, rss_bytes())

    def _watch_workers(self):
        while True:
            for address, rss in worker_rss(self.client).items():
                self.workers[address] = max(self.workers.get(address, 0), rss)
            if self._done.wait(0.5):
                return

    def __exit__(self, *exc):
        self._done.set()
        for thread in self._threads:
            thread.join()


def worker_rss(client) -> dict[str, int]:
    """Each worker's RSS; a worker that is restarting is left out."""
    try:
        answers = client.run(rss_bytes, on_error="return")
    except Exception:  # noqa: BLE001 — the scheduler is busy replacing a worker: no sample this time
        return {}
    return {address: rss for address, rss in answers.items() if isinstance(rss, int)}


def worker_pids(client) -> dict[str, int]:
    try:
        answers = client.run(os.getpid, on_error="return")
    except Exception:  # noqa: BLE001
        return {}
    return {address: pid for address, pid in answers.items() if isinstance(pid, int)}


def short(address: str) -> str:
    return address.rsplit(":", 1)[-1]


def mb(value: float) -> str:
    return f"{value / MB:,.0f}"


def run_sessions(registry, spec, dataset, n: int, identical: bool) -> dict:
    """N threads each submit a training (the same one, or a seed each) and wait for it."""
    before = registry.trainings_executed
    jobs: list = []
    lock = threading.Lock()

    def session(i: int) -> None:
        wanted = spec if identical else spec.replace(seed=spec.seed + 1 + i)
        job = registry.submit(wanted, dataset, f"session-{i}")
        with lock:
            jobs.append(job)
        job.wait(600)

    started = time.perf_counter()
    with Peaks(registry.engine.client) as peaks:
        threads = [threading.Thread(target=session, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    distinct = list({id(job): job for job in jobs}.values())
    waits = sorted((job.started or job.finished or job.submitted) - job.submitted for job in distinct)
    return {
        "executed": registry.trainings_executed - before,
        "wall": time.perf_counter() - started,
        "app_peak": peaks.app,
        "workers_peak": peaks.workers,
        "max_wait": waits[-1] if waits else 0.0,
        "median_wait": statistics.median(waits) if waits else 0.0,
        "states": sorted({job.state for job in distinct}),
    }


def part_a(registry, spec, dataset, sizes: list[int]) -> None:
    print(f"\n## a. Simultaneous sessions: {spec.name}, {spec.epochs} epoch(s), {spec.train_size:,} images, "
          f"{sum(registry.engine.client.nthreads().values())} training(s) at once")
    print(f"goals: identical → 1 training; app peak < {APP_PEAK_GOAL_MB} MB; TensorFlow not imported here")
    print(f"{'sessions':>8} {'requests':<10} {'trainings':>9} {'wall s':>7} {'median wait s':>13} {'max wait s':>10} "
          f"{'app peak MB':>11}  {'worker peaks MB':<16} states")
    seed = 1_000
    for n in sizes:
        for identical in (True, False):
            seed += 1_000  # a fresh seed range per row, so no row is served by an earlier row's cache
            result = run_sessions(registry, spec.replace(seed=seed), dataset, n, identical)
            kind = "identical" if identical else "different"
            workers = " ".join(f"{short(a)}:{mb(v)}" for a, v in sorted(result["workers_peak"].items()))
            print(f"{n:>8} {kind:<10} {result['executed']:>9} {result['wall']:>7.1f} {result['median_wait']:>13.1f} "
                  f"{result['max_wait']:>10.1f} {mb(result['app_peak']):>11}  {workers:<16} "
                  f"{','.join(result['states'])}", flush=True)
    print(f"tensorflow in the app process's sys.modules: {tf_imported()} (goal: False)")


def part_b(registry, dataset, count: int = 100, every: int = 20) -> None:
    from mnistlab import PRESETS
    from mnistlab.engine.lifetime import RECYCLE_AFTER

    spec = PRESETS["mlp_relu_adam"].spec.replace(epochs=1, train_size=300, seed=500_000)
    client = registry.engine.client
    print(f"\n## b. {count} small trainings in a row ({spec.name}, 300 images, 1 epoch, a seed each); "
          f"workers retire between trainings after {RECYCLE_AFTER}")
    print(f"goals: the app grows < {APP_GROWTH_GOAL_MB} MB; workers come back (new pids) after recycling")
    print(f"{'trainings':>9} {'s':>6} {'app RSS MB':>10} {'growth MB':>9}  workers (port: RSS MB, pid)")
    started = time.perf_counter()
    app_start = rss_bytes()

    def line(done: int) -> None:
        rss, pids = worker_rss(client), worker_pids(client)
        workers = "  ".join(f"{short(a)}: {mb(rss.get(a, 0))}, pid {pids.get(a, '?')}"
                            for a in sorted(set(rss) | set(pids)))
        print(f"{done:>9} {time.perf_counter() - started:>6.0f} {mb(rss_bytes()):>10} "
              f"{(rss_bytes() - app_start) / MB:>9.1f}  {workers}", flush=True)

    line(0)
    states: dict[str, int] = {}
    for i in range(1, count + 1):
        job = registry.submit(spec.replace(seed=spec.seed + i), dataset, "in-a-row")
        job.wait(300)
        states[job.state] = states.get(job.state, 0) + 1
        del job
        if i % every == 0:
            line(i)
    print(f"states: {states}; tensorflow in the app process: {tf_imported()}")


def part_c(spec, dataset, jobs: int = 20) -> None:
    from mnistlab.engine.cluster import start_engine
    from mnistlab.engine.jobs import JobRegistry

    print(f"\n## c. {jobs} different jobs ({spec.name}, {spec.train_size:,} images, 1 epoch) on 1 worker vs 2 workers "
          f"({os.cpu_count()} cores)")
    print(f"{'workers':>7} {'wall s':>7} {'trainings':>9} {'engine start s':>14}")
    walls = {}
    for n_workers in (1, 2):
        t0 = time.perf_counter()
        engine = start_engine(n_workers=n_workers)
        start_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as cache:
            registry = JobRegistry(cache_dir=cache, engine=engine, max_jobs=n_workers)
            try:
                t0 = time.perf_counter()
                submitted = [registry.submit(spec.replace(seed=900_000 + i), dataset, f"c-{i}") for i in range(jobs)]
                for job in submitted:
                    job.wait(600)
                walls[n_workers] = time.perf_counter() - t0
                print(f"{n_workers:>7} {walls[n_workers]:>7.1f} {registry.trainings_executed:>9} {start_s:>14.1f}",
                      flush=True)
            finally:
                registry.close()
    print(f"ratio 1 worker / 2 workers: {walls[1] / walls[2]:.2f} (above 1.0: two workers finish the queue sooner)")


def part_d(spec, jobs: int, train_size: int, epochs: int, keep_pages: bool, tries: int = 5) -> None:
    """A real server whose registry is kept busy by `jobs` browser sessions, measured from a fresh one."""
    import signal
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("MNISTLAB_CHROMIUM", "/usr/bin/chromium")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
    root = Path(__file__).resolve().parent.parent
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    job_spec = spec.replace(epochs=epochs, train_size=train_size)
    images = f"{train_size:,}" if train_size else "all"
    print(f"\n## d. A real server (streamlit run app.py) with {jobs} different trainings ({job_spec.name}, "
          f"{epochs} epoch(s), {images} sample images) pressed in {jobs} Chromium pages")
    print(f"goals: Home ≤ {HOME_GOAL_S:g} s, page switch ≤ {SWITCH_GOAL_S:g} s "
          "(from a loaded page, until the new page's title shows)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MNISTLAB_OFFLINE": "1", "MNISTLAB_CACHE_DIR": tmp,
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        log = open(Path(tmp) / "streamlit.log", "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("streamlit did not start within 90 s") from None
                    time.sleep(0.3)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=args, headless=True)
                try:
                    _drive(browser, url, job_spec, jobs, tries, server.pid, keep_pages)
                finally:
                    browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # the server and the worker processes it started
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
            log.close()


def _proc_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE
    except OSError:
        return 0


TITLES = [("Dataset", "The dataset"), ("Train", "Train"), ("Evaluate", "Evaluate"), ("Home", "mnistlab")]
# Streamlit marks its root with the script's state; with no status widget either, the page is complete.
LOADED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


# ...and the browser has drawn it: an idle period of 40 ms with nothing left to run.
SETTLED = "() => new Promise(done => requestIdleCallback(d => done(d.timeRemaining() >= 40), {timeout: 1000}))"


def _measure(browser, url: str, tries: int, server_pid: int,
             hurried: bool = False) -> tuple[list[float], dict[str, list[float]], int]:
    """Home in a new browser context, then the sidebar's pages in turn, until each title shows.
    A student clicks on a page that has finished loading and drawing; `hurried` clicks as soon as the title
    shows, while the previous page's script and charts are still coming (their work then adds up)."""
    homes: list[float] = []
    switches: dict[str, list[float]] = {name: [] for name, _ in TITLES}
    peak = _proc_rss(server_pid)
    for _ in range(tries):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            t0 = time.perf_counter()
            page.goto(url)
            page.locator("h1", has_text="mnistlab").first.wait_for(state="visible")
            homes.append(time.perf_counter() - t0)
            page.locator('[data-testid="stSidebarNav"]').wait_for()
            for name, title in TITLES:
                if not hurried:
                    page.wait_for_function(LOADED, timeout=120_000)
                    page.wait_for_function(SETTLED, timeout=30_000)
                link = page.locator('[data-testid="stSidebarNav"] a', has_text=name).first
                t0 = time.perf_counter()
                link.click()
                page.locator("h1", has_text=title).first.wait_for(state="visible")
                switches[name].append(time.perf_counter() - t0)
                peak = max(peak, _proc_rss(server_pid))
        finally:
            context.close()
    return homes, switches, peak


def student_spec(spec, i: int):
    """Student i's model: its own seed, and its Dense layers i units wider, which the Inside page says in words
    ("262 units, each a weighted sum…"): the builder renames a model from a link, so its name cannot tell."""
    from dataclasses import replace

    layers = tuple(replace(layer, units=layer.units + i) if layer.kind == "dense" else layer for layer in spec.layers)
    return spec.replace(seed=700_000 + i, layers=layers)


def _dense_words(spec, i: int) -> str:
    units = next(layer.units for layer in student_spec(spec, i).layers if layer.kind == "dense")
    return f"{units:,} units, each a weighted sum"


def _check_results(pages, spec, busy: str, timeout_s: float = 1800) -> None:
    """With every page kept open: once each student's training is over, the page shows no exception, and in the
    same session Inside reads the student's own model (its Dense layer's width in words), never another's."""
    deadline = time.monotonic() + timeout_s
    waiting = list(pages)
    done = "() => document.body.innerText.includes('Test accuracy')"
    while waiting and time.monotonic() < deadline:
        waiting = [page for page in waiting if page.evaluate(busy) or not page.evaluate(done)]
        time.sleep(2)
    own, others, exceptions = 0, 0, 0
    words = [_dense_words(spec, j) for j in range(len(pages))]
    for i, page in enumerate(pages):
        exceptions += page.locator('[data-testid="stException"]').count()
        page.locator('[data-testid="stSidebarNav"] a', has_text="Inside").first.click()
        page.wait_for_function("() => document.querySelector('[data-testid=\"stMain\"]')?.textContent"
                               ".includes('units, each a weighted sum')", timeout=180_000)
        text = page.locator('[data-testid="stMain"]').text_content()
        exceptions += page.locator('[data-testid="stException"]').count()
        own += words[i] in text
        others += sum(words[j] in text for j in range(len(pages)) if j != i)
        page.close()
    print(f"every student's own result: {len(pages) - len(waiting)}/{len(pages)} trainings finished within "
          f"{timeout_s:.0f} s; Inside read the student's own model in {own}/{len(pages)} sessions, another "
          f"student's in {others}; exceptions shown: {exceptions}", flush=True)


def _drive(browser, url: str, spec, jobs: int, tries: int, server_pid: int, keep_pages: bool) -> None:
    import urllib.parse

    busy = "() => { const b = document.querySelector('.st-key-train_start button'); return b && b.disabled; }"
    idle_homes, idle_switches, idle_peak = _measure(browser, url, tries, server_pid)  # the reference
    _, idle_hurried, _ = _measure(browser, url, tries, server_pid, hurried=True)
    trainers = browser.new_context(viewport={"width": 1200, "height": 900})
    pages = []
    t0 = time.perf_counter()
    for i in range(jobs):
        link = urllib.parse.quote(student_spec(spec, i).to_json())
        page = trainers.new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{url}/train?spec={link}")
        button = page.locator(".st-key-train_start button")
        button.wait_for()
        page.wait_for_function("() => !document.querySelector('.st-key-train_start button').disabled")
        button.click()
        page.wait_for_function(f"() => ({busy})() || document.body.innerText.includes('Test accuracy')")
        if keep_pages or i == jobs - 1:  # the last in the queue tells whether the queue is still busy
            pages.append(page)
        else:
            page.close()  # the job stays in the server's registry: closing a tab stops nothing
    print(f"{jobs} pages pressed Train in {time.perf_counter() - t0:.1f} s "
          f"({'kept open, each polling its job' if keep_pages else 'each closed once its job was queued'})"
          + (f"; still queued or running: {sum(bool(pg.evaluate(busy)) for pg in pages)}" if keep_pages else ""),
          flush=True)

    measuring = time.perf_counter()
    homes, switches, peak = _measure(browser, url, tries, server_pid)
    _, hurried, _ = _measure(browser, url, tries, server_pid, hurried=True)
    measured_s = time.perf_counter() - measuring
    left = sum(bool(pg.evaluate(busy)) for pg in pages)

    def cells(values: list[float], reference: list[float], goal: float) -> str:
        p50 = statistics.median(values)
        return (f"{statistics.median(reference):>9.2f} {p50:>6.2f} {max(values):>6.2f} {goal:>6.1f} "
                f"{p50 / statistics.median(reference):>11.2f}")

    every = [s for values in switches.values() for s in values]
    idle_every = [s for values in idle_switches.values() for s in values]
    print(f"{'measure':<22} {'idle p50':>9} {'p50 s':>6} {'max s':>6} {'goal s':>6} {'busy / idle':>11}")
    print(f"{'Home, new context':<22} {cells(homes, idle_homes, HOME_GOAL_S)}")
    for name, values in switches.items():
        print(f"{'→ ' + name:<22} {cells(values, idle_switches[name], SWITCH_GOAL_S)}")
    print(f"{'any page switch':<22} {cells(every, idle_every, SWITCH_GOAL_S)}")
    print("clicking as soon as the title shows, before the previous page has finished loading:")
    for name, values in hurried.items():
        print(f"{'→ ' + name + ' (hurried)':<22} {cells(values, idle_hurried[name], SWITCH_GOAL_S)}")
    print(f"{tries} tries each; busy ones in {measured_s:.0f} s; "
          + (f"still queued or running when measuring ended: {left}/{jobs}; " if keep_pages
             else f"the last job queued still queued or running when measuring ended: {bool(left)}; ")
          + f"server process peak RSS: idle {mb(idle_peak)} MB, busy {mb(peak)} MB", flush=True)
    if keep_pages:
        _check_results(pages, spec, busy)
    trainers.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", default="", help="a shared Dask scheduler's address (default: embedded)")
    parser.add_argument("--parts", default="a,b,c", help="which of a,b,c to run (d is --browser)")
    parser.add_argument("--browser", action="store_true", help="also part d: a real server driven by Chromium")
    parser.add_argument("--preset", default="cnn_lenet_tanh")
    parser.add_argument("--train-size", type=int, default=1000)
    parser.add_argument("--sizes", default="1,5,20,30")
    parser.add_argument("--in-a-row", type=int, default=100)
    parser.add_argument("--browser-jobs", type=int, default=20)
    parser.add_argument("--browser-train-size", type=int, default=0, help="images per browser training (0: all)")
    parser.add_argument("--browser-epochs", type=int, default=5)
    parser.add_argument("--keep-pages", action="store_true",
                        help="d: keep the 20 trainer pages open (each polls its job every second); slow on 2 cores")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}

    from mnistlab import PRESETS, load_dataset
    from mnistlab.engine.cluster import start_engine
    from mnistlab.engine.jobs import JobRegistry

    dataset = load_dataset("mnist", "sample")
    spec = PRESETS[args.preset].spec.replace(epochs=1, train_size=args.train_size)
    print(f"data: {dataset.source}; {os.cpu_count()} cores; app RSS at start {mb(rss_bytes())} MB; "
          f"tensorflow imported: {tf_imported()}")
    if parts & {"a", "b"}:
        t0 = time.perf_counter()
        engine = start_engine(address=args.scheduler)
        kind = f"scheduler {args.scheduler}" if args.scheduler else "embedded LocalCluster"
        print(f"engine: {kind}, {len(engine.client.nthreads())} worker(s), memory limit "
              f"{mb(engine.memory_limit)} MB each, up in {time.perf_counter() - t0:.1f} s")
        with tempfile.TemporaryDirectory() as cache:
            registry = JobRegistry(cache_dir=cache, engine=engine)
            try:
                if "a" in parts:
                    part_a(registry, spec, dataset, [int(s) for s in args.sizes.split(",")])
                if "b" in parts:
                    part_b(registry, dataset, args.in_a_row)
            finally:
                registry.close()
    if "c" in parts:
        if args.scheduler:
            print("\n## c. skipped: it starts its own embedded engines")
        else:
            part_c(spec, dataset)
    if args.browser or "d" in parts:
        part_d(spec, args.browser_jobs, args.browser_train_size, args.browser_epochs, args.keep_pages)


if __name__ == "__main__":
    main()
