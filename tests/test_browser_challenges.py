"""The Challenges page in a browser, at a laptop's 1280 px and a phone's 390 px, in English and Chinese: the
challenge's rules and both leaderboards, the student's own row marked, nothing wider than the screen
(screenshots in artifacts/screenshots/challenges_*.png)."""

from __future__ import annotations

import pytest
from browser_helpers import SLOW, no_exception, open_page, server_store, shoot, wait_idle

from mnistlab.model.spec import ModelSpec, dense, flatten

pytestmark = pytest.mark.browser

SPEC = ModelSpec((flatten(), dense(32)), optimizer="sgd", epochs=1, train_size=500, name="tiny")
# the page's widest element against the window: a table wider than a phone scrolls the whole page sideways
OVERFLOW = "() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def challenge(tmp_path_factory, small_model):
    """A revealed challenge with three students' runs, in the store the server will use (set before it starts)."""
    from mnistlab.challenges import Rules, create_challenge, reveal
    from mnistlab.model.build import build_model
    from mnistlab.model.io import model_to_bytes
    from mnistlab.store.runs import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('runs') / 'runs.sqlite'}"
    store = Store(url)
    code = create_challenge(store, "Small nets", Rules(max_epochs=2, optimizers=["sgd"],
                                                       layer_kinds=["flatten", "dense"], max_params=50_000))
    models = {"ann": model_to_bytes(small_model.model), "bo": model_to_bytes(build_model(SPEC)),
              "cy": model_to_bytes(small_model.model)}
    for owner, model in models.items():
        store.add(name="tiny", dataset="mnist", source="MNIST sample", spec_json=SPEC.to_json(), history={},
                  seconds=1.0, epochs_done=1, status="done", cache_key=f"k-{owner}", model_bytes=model, owner=owner)
    reveal(store, code)
    with server_store(url):
        yield code


@pytest.fixture(scope="module")
def server(challenge, server):  # conftest's server, started once the store's URL is in its environment
    return server


@pytest.mark.parametrize(("lang", "public"), [("en", "Public leaderboard"), ("zh", "公开排行榜")])
def test_the_challenges_page_reads_on_a_laptop_and_a_phone(browser, server, challenge, lang, public):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(SLOW)
        open_page(page, server, f"challenges?lang={lang}&challenge={challenge}&nick=bo")
        page.get_by_text(public, exact=True).wait_for(timeout=SLOW)  # scored on the first visit (TensorFlow)
        page.locator('[data-testid="stTable"]').nth(1).wait_for(timeout=SLOW)  # the private board, below it
        wait_idle(page)
        no_exception(page)
        assert page.locator('[data-testid="stTable"]').count() == 2
        assert page.get_by_text("👉 bo").count() == 2  # marked on both boards
        shoot(page, f"challenges_{lang}_1280")
        assert page.evaluate(OVERFLOW) <= 0
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_function("() => window.innerWidth === 390")
        shoot(page, f"challenges_{lang}_390")
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        context.close()
