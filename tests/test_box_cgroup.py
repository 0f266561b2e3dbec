"""Issue 19's box test, smaller (bench/box.py is the full one): the app in a cgroup of 2.7 GB and one core,
with real Chromium outside it. On the fresh server one student draws on Draw, then one trains a small model
while another asks for the heaviest model the builder accepts in that box. No OOM kill, the app alive, every
student told what happened. Needs root and cgroup v1's memory and cpu controllers: skipped without them,
except in CI (`CI` set), where that is a failure. A few minutes.

MNISTLAB_BOX_DRAW_S (default 60): the most seconds from the first view of Draw to its first answer. The issue's
goal is 15 s, which bench/box.py reports; in that time the app imports TensorFlow on the box's one core while
the worker starting beside it imports it too, so a test on a machine shared with other work (CI's) guards only
what would break it for good — a training or a download ahead of Draw's first answer.
"""

from __future__ import annotations

import os
import sys

import pytest
from apptest import ROOT

sys.path.insert(0, str(ROOT))

from bench.box import BOX_BYTES, MB, cgroup_problem, print_report, run_box  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1500)]  # the fixture's class takes minutes

TOLD = {  # what a student may read once their training is over, by outcome
    "success": "Trained ",
    "refused": "This model cannot be built",
    "error": "this model needed more memory than the server gives one training",
}


@pytest.fixture(scope="module")
def report():
    problem = cgroup_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"the box test must run in CI: {problem}")
        pytest.skip(problem)
    found = run_box(BOX_BYTES, cores=1.0, small=1, inside=False, timeout_s=600)
    print_report(found, BOX_BYTES, 1.0)
    return found


def test_the_box_holds_a_class_without_an_oom_kill(report):
    assert report.oom_kills == 0, f"{report.oom_kills} OOM kill(s); peaks {report.peaks}\n{report.log}"
    assert report.alive, f"the app died:\n{report.log}"
    assert report.max_usage < BOX_BYTES


def test_every_student_is_told_what_happened(report):
    small, heaviest = report.outcomes["small 1"], report.outcomes["heaviest"]
    assert small[0] == "success" and small[1].startswith(TOLD["success"]), small
    kind, text = heaviest
    assert kind in TOLD and TOLD[kind] in text, heaviest  # trained, refused in the builder, or stopped for memory


def test_draw_answers_soon_after_the_first_view(report):
    most = float(os.environ.get("MNISTLAB_BOX_DRAW_S", "60"))
    assert report.first_answer_s is not None and report.first_answer_s <= most, (
        f"Draw's first answer came {report.first_answer_s:.1f} s after the first view (at most {most:g} s); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; the app held "
        f"{report.app_rss.get('Draw answered', 0) / MB:,.0f} MiB")
