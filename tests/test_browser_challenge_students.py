"""A challenge with three students in a real browser: each opens the teacher's link with a nickname and a model
of their own, trains it (the three press Train together and the trainer takes them in turn), and all three see
the public leaderboard with the class's three rows and their own marked; a model that breaks a rule is refused
by name before it can train (screenshots in artifacts/screenshots/challenge_students_*.png)."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from browser_helpers import SLOW, no_exception, server_store, shoot, wait_idle
from playwright.sync_api import expect

from mnistlab.challenges import Rules
from mnistlab.model.spec import ModelSpec, dense, flatten

pytestmark = pytest.mark.browser

NAME = "Small dense nets"
RULES = Rules(max_params=30_000, max_epochs=2, max_train_size=1000, layer_kinds=("flatten", "dense"))


def student_spec(units: int, seed: int) -> ModelSpec:
    """Within the rules and quick: 2 epochs of 1,000 images (a few seconds on a busy core)."""
    return ModelSpec((flatten(), dense(units)), optimizer="adam", batch_size=32, epochs=2, train_size=1000,
                     seed=seed)


# three students, three different models, so three different scores
STUDENTS = {"ana": student_spec(16, 1), "ben": student_spec(24, 2), "cyd": student_spec(32, 3)}
TOO_BIG = student_spec(64, 4)  # 50,890 parameters: over the rule's 30,000


@pytest.fixture(scope="module")
def challenge(tmp_path_factory):
    """An open challenge in an empty class store, the one the server will use (set before it starts)."""
    from mnistlab.challenges import create_challenge
    from mnistlab.store.runs import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('runs') / 'runs.sqlite'}"
    code = create_challenge(Store(url), NAME, RULES)
    with server_store(url):
        yield url, code


@pytest.fixture(scope="module")
def server(challenge, server):  # conftest's server, started once the store's URL is in its environment
    return server


def link(server: str, code: str, nick: str, spec: ModelSpec) -> str:
    """The teacher's challenge link, with the student's nickname and a model shared as `?spec=`."""
    return f"{server}/?challenge={code}&nick={nick}&spec={urllib.parse.quote(spec.to_json())}"


def enter(page, address: str) -> None:
    """Open a challenge link: the app takes the student to the Challenges page, in the challenge."""
    page.goto(address)
    page.wait_for_url(re.compile(r"/challenges\?"))
    page.get_by_role("heading", name=NAME).wait_for(timeout=SLOW)
    wait_idle(page)
    no_exception(page)


def go(page, title: str, path: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(rf"/{path}(\?|$)"))
    page.get_by_role("heading", name=title).first.wait_for(timeout=SLOW)
    wait_idle(page)


def board_rows(page) -> list[list[str]]:
    """The public leaderboard's rows (the page's first table; the sidebar has its own), once it lists three."""
    rows = page.locator('[data-testid="stMain"] [data-testid="stTable"]').first.locator("tbody tr")
    expect(rows).to_have_count(3, timeout=SLOW)  # the board redraws itself every few seconds
    return [[cell.strip() for cell in row.locator("th, td").all_inner_texts()] for row in rows.all()]


@pytest.mark.timeout(600)  # three trainings and three browsers: a minute, three or more on a busy machine
def test_three_students_train_for_a_challenge_and_share_its_leaderboard(browser, server, challenge, sample):
    from mnistlab.challenges import leaderboard

    url, code = challenge
    contexts = {nick: browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
                for nick in STUDENTS}
    try:
        pages = {}
        for nick, context in contexts.items():
            pages[nick] = context.new_page()
            pages[nick].set_default_timeout(SLOW)

        # ben first tries a model too big for the rules, from a crafted link: refused, naming the rule
        ben = pages["ben"]
        enter(ben, link(server, code, "ben", TOO_BIG))
        refusal = "Challenge rule: at most 30,000 parameters; this model has 50,890."
        ben.locator('[data-testid="stSidebar"]').get_by_text(refusal).wait_for()
        go(ben, "Train", "train")
        ben.get_by_text(f"This model cannot be built: {refusal}").wait_for()
        expect(ben.get_by_role("button", name="Train", exact=True)).to_be_disabled()
        no_exception(ben)
        shoot(ben, "challenge_students_refused")

        # each opens the link with a model of their own (a reload is a new session: ben's too)
        for nick, page in pages.items():
            enter(page, link(server, code, nick, STUDENTS[nick]))
            assert page.get_by_text("At most 30,000 parameters").count() >= 1  # the rules, on the page
            go(page, "Train", "train")
            page.get_by_text("· 2 epochs · 1,000 training images").wait_for()
            # the box still shows the nickname, also when Train was clicked before the sidebar was drawn
            box = page.locator('[data-testid="stSidebar"]').get_by_label("Your nickname", exact=True)
            expect(box).to_have_value(nick)
            no_exception(page)
        for page in pages.values():  # the three press Train one after the other, without waiting
            page.get_by_role("button", name="Train", exact=True).click()
        for page in pages.values():
            page.locator('[data-testid="stMetric"]', has_text="Test accuracy").wait_for(timeout=SLOW)
            wait_idle(page)
            no_exception(page)

        for nick, page in pages.items():
            go(page, "Challenges", "challenges")
            page.get_by_text("Public leaderboard", exact=True).wait_for()
            rows = board_rows(page)
            wait_idle(page)
            no_exception(page)
            ranks, names, scores = ([row[i] for row in rows] for i in range(3))
            assert ranks == ["1", "2", "3"], rows
            assert sorted(name.removeprefix("👉 ") for name in names) == sorted(STUDENTS), rows
            assert [name for name in names if name.startswith("👉")] == [f"👉 {nick}"], rows  # only their own
            values = [float(score.rstrip("%")) for score in scores]
            assert values == sorted(values, reverse=True) and all(0 < v <= 100 for v in values), rows
            shoot(page, f"challenge_students_{nick}")
    finally:
        for context in contexts.values():
            context.close()

    board = leaderboard(url, code, "public", dataset=sample)
    assert sorted(entry.owner for entry in board) == sorted(STUDENTS)
    assert board.pending == 0 and board.problem is None
