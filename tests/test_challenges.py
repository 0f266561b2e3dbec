"""Class challenges: each rule's refusal names the rule and its numbers; challenges and their leaderboards
live in the run store (SQLite and PostgreSQL), count only the runs that keep the rules, score them on two
halves of the test set against Keras's own predictions, and show the private half once revealed."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sqlalchemy as sa

from mnistlab.challenges import (
    ChallengeError,
    Rules,
    create_challenge,
    end_challenge,
    get_challenge,
    leaderboard,
    list_challenges,
    reveal,
)
from mnistlab.challenges.scoring import MIN_SCORING_DRAWINGS, halves, in_public_half
from mnistlab.errors import SpecError
from mnistlab.model.spec import ModelSpec, conv2d, dense, dropout, flatten, maxpool2d, param_count
from mnistlab.store.runs import Store
from mnistlab.store.schema import CHALLENGE_SCORES, RUNS

SMALL = ModelSpec((flatten(), dense(32)), epochs=1, train_size=500, name="tiny")


def refusal(rules: Rules, spec: ModelSpec, dataset: str | None = None) -> SpecError:
    with pytest.raises(SpecError) as caught:
        rules.check(spec, dataset)
    assert caught.value.code == "challenge_rule"
    return caught.value


def test_each_rule_refuses_with_its_name_and_numbers():
    assert str(refusal(Rules(max_params=10_000), SMALL)) == (
        f"Challenge rule: at most 10,000 parameters; this model has {param_count(SMALL):,}.")
    assert str(refusal(Rules(max_epochs=3), SMALL.replace(epochs=4))) == (
        "Challenge rule: at most 3 epochs; this training has 4.")
    assert str(refusal(Rules(max_train_size=1000), SMALL.replace(train_size=1500))) == (
        "Challenge rule: at most 1,000 training images; this training uses 1,500.")
    assert str(refusal(Rules(max_train_size=1000), SMALL.replace(train_size=0))) == (
        "Challenge rule: at most 1,000 training images; this training uses all of them (Training subset 0).")
    cnn = ModelSpec((conv2d(4, 3), maxpool2d(), flatten(), dropout(0.2)))
    assert str(refusal(Rules(layer_kinds=["flatten", "dense", "dropout"]), cnn)) == (
        "Challenge rule: only Dense, Dropout, Flatten layers; layer 1 is Conv2D.")
    assert str(refusal(Rules(optimizers=["sgd", "rmsprop"]), SMALL)) == (
        "Challenge rule: only the optimizers SGD, RMSprop; this training uses Adam.")
    assert str(refusal(Rules(dataset="mnist"), SMALL, "fashion_mnist")) == (
        "Challenge rule: train on MNIST; this training uses Fashion-MNIST.")
    assert refusal(Rules(max_epochs=3), SMALL.replace(epochs=4)).params["rule"] == "max_epochs"


def test_a_spec_within_every_rule_passes():
    rules = Rules(max_params=param_count(SMALL), max_epochs=1, max_train_size=500, layer_kinds=["dense", "flatten"],
                  optimizers=["adam"])
    rules.check(SMALL, "mnist")
    assert rules.allows(SMALL) and not rules.allows(SMALL.replace(epochs=2))


def test_rules_are_checked_when_made_and_survive_json():
    rules = Rules(max_params=5000, max_epochs=3, layer_kinds=["dense", "flatten", "dense"], optimizers=("adam",),
                  ends_at=1e9)
    assert rules.layer_kinds == ("dense", "flatten")  # the table's order, each once
    assert Rules.from_json(rules.to_json()) == rules
    assert hash(rules) == hash(Rules.from_json(rules.to_json()))
    for wrong in (dict(max_epochs=0), dict(max_epochs=500), dict(max_params=True), dict(max_train_size=5),
                  dict(layer_kinds=["lstm"]), dict(layer_kinds="dense"), dict(optimizers=[]), dict(dataset="custom"),
                  dict(scoring="vibes"), dict(scoring="drawings", dataset="fashion_mnist"), dict(ends_at=float("nan"))):
        with pytest.raises(ChallengeError):
            Rules(**wrong)
    with pytest.raises(ChallengeError):
        Rules.from_json("[1, 2]")


def test_fixed_says_what_the_builder_may_offer():
    view = Rules(max_epochs=3, max_train_size=2000, optimizers=["sgd"], layer_kinds=["dense", "flatten"]).fixed()
    assert view["optimizer"] == "sgd" and view["optimizer_choices"] == ("sgd",)
    assert view["epochs"] == (1, 3) and view["train_size"] == (0, 2000)
    assert view["layer_kinds_choices"] == ("dense", "flatten") and view["dataset"] == "mnist"
    free = Rules().fixed()
    assert "optimizer" not in free and "epochs" not in free and len(free["optimizer_choices"]) == 5


def test_the_halves_are_fixed_by_the_code_and_split_the_set_evenly():
    first = halves("K7PQ2M", 1000)
    assert first.sum() == 500 and np.array_equal(first, halves("K7PQ2M", 1000))
    assert not np.array_equal(first, halves("ABCDEF", 1000))
    drawn = [in_public_half("K7PQ2M", i) for i in range(1000)]
    assert 400 < sum(drawn) < 600 and drawn == [in_public_half("K7PQ2M", i) for i in range(1000)]


# --- in the run store -------------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    return Store(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="module")
def models(sample):
    """A trained model's .keras bytes and an untrained one's (about 10 % right): two real, different scores."""
    from mnistlab import train
    from mnistlab.model.build import build_model
    from mnistlab.model.io import model_to_bytes

    trained = train(SMALL, sample, use_cache=False).model
    untrained = build_model(SMALL)
    return {"trained": model_to_bytes(trained), "untrained": model_to_bytes(untrained)}


def add_run(store: Store, model: bytes | None, owner: str = "ann", spec: ModelSpec = SMALL, dataset: str = "mnist",
            status: str = "done") -> int:
    return store.add(name=spec.name, dataset=dataset, source="MNIST sample", spec_json=spec.to_json(), history={},
                     seconds=1.0, epochs_done=spec.epochs, status=status, cache_key="k", model_bytes=model,
                     test_accuracy=0.5, owner=owner)


def keras_halves(model_bytes: bytes, code: str, sample) -> tuple[float, float]:
    """The reference: Keras's own predict on the test set, cut into the challenge's halves."""
    from mnistlab.model.io import model_from_bytes

    model = model_from_bytes(model_bytes)
    right = model.predict(sample.x_test.astype("float32") / 255.0, verbose=0).argmax(axis=1) == sample.y_test
    public = halves(code, len(sample.y_test))
    return float(right[public].mean()), float(right[~public].mean())


def test_a_challenge_is_seen_by_every_server_of_the_class(store):
    rules = Rules(max_epochs=2, optimizers=["adam"])
    code = create_challenge(store, "  Small   and quick ", rules)
    other = store.engine.url.render_as_string(hide_password=False)  # another app server: just the URL
    challenge = get_challenge(other, code.lower())
    assert challenge.name == "Small and quick" and challenge.rules == rules and not challenge.revealed
    assert challenge.is_open() and [c.code for c in list_challenges(other)] == [code]
    end_challenge(other, code)
    assert not get_challenge(store, code).is_open()
    reveal(store, code)
    assert get_challenge(other, code).revealed
    assert get_challenge(store, "ZZZZZZ") is None and get_challenge(store, "'; DROP TABLE x; --") is None
    with pytest.raises(ChallengeError, match="no challenge"):
        reveal(store, "ZZZZZZ")
    with pytest.raises(ChallengeError, match="name"):
        create_challenge(store, "   ", rules)
    with pytest.raises(ChallengeError, match="future"):
        create_challenge(store, "late", Rules(ends_at=time.time() - 1))


def test_the_leaderboard_counts_each_students_best_run_that_keeps_the_rules(store, models, sample):
    code = create_challenge(store, "MLPs", Rules(max_epochs=2, layer_kinds=["flatten", "dense"]))
    ann_good = add_run(store, models["trained"], "ann")
    add_run(store, models["untrained"], "ann")
    bo = add_run(store, models["untrained"], "bo")
    add_run(store, models["trained"], "cy", spec=SMALL.replace(epochs=3))  # breaks max_epochs
    add_run(store, models["trained"], "dee", spec=ModelSpec((conv2d(2, 3), flatten()), epochs=1))  # a Conv2D
    add_run(store, models["trained"], "")  # no nickname
    add_run(store, models["trained"], "eve", dataset="fashion_mnist")
    add_run(store, models["trained"], "fay", status="stopped")
    add_run(store, None, "gus")  # no model

    board = leaderboard(store.engine, code)
    assert [(row.rank, row.owner, row.run_id) for row in board] == [(1, "ann", ann_good), (2, "bo", bo)]
    public, private = keras_halves(models["trained"], code, sample)
    assert board[0].score == pytest.approx(public, abs=1e-6)
    assert board[0].params == param_count(SMALL) and board[0].epochs == 1 and board.pending == 0
    assert 0.02 < board[1].score < 0.3  # an untrained model guesses

    with pytest.raises(ChallengeError, match="reveals"):
        leaderboard(store, code, "private")
    hidden = leaderboard(store, code, "private", teacher=True)
    assert hidden[0].owner == "ann" and hidden[0].score == pytest.approx(private, abs=1e-6)
    reveal(store, code)
    assert [row.owner for row in leaderboard(store, code, "private")] == ["ann", "bo"]


def test_runs_after_the_end_or_before_the_start_do_not_count(store, models):
    before = add_run(store, models["trained"], "ann")
    with store.engine.begin() as connection:  # stored a minute before the challenge
        connection.execute(sa.update(RUNS).where(RUNS.c.id == before).values(created=time.time() - 60))
    code = create_challenge(store, "Late", Rules())
    assert len(leaderboard(store, code)) == 0
    add_run(store, models["untrained"], "bo")
    end_challenge(store, code)
    time.sleep(0.01)
    add_run(store, models["trained"], "cy")
    assert [row.owner for row in leaderboard(store, code)] == ["bo"]


def test_scores_are_kept_and_computed_a_few_at_a_time(store, models, monkeypatch):
    code = create_challenge(store, "Many", Rules())
    for owner in ("ann", "bo", "cy"):
        add_run(store, models["untrained"], owner)
    first = leaderboard(store, code, score_at_most=2)
    assert len(first) == 2 and first.pending == 1
    second = leaderboard(store, code, score_at_most=2)
    assert len(second) == 3 and second.pending == 0
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(CHALLENGE_SCORES)).scalar_one() == 3

    def no_model(self, run_id):
        raise AssertionError("a kept score was computed again")

    monkeypatch.setattr(Store, "load_model", no_model)
    assert [row.score for row in leaderboard(store, code)] == [row.score for row in second]


def test_a_drawings_challenge_needs_enough_drawings(tmp_path, models):
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    digit = np.zeros((28, 28), np.uint8)
    for label in range(10):
        store.add_drawing(digit, label)
    with pytest.raises(ChallengeError, match=f"10 labelled drawings.*at least {MIN_SCORING_DRAWINGS}"):
        create_challenge(store, "Ours", Rules(scoring="drawings"))
    rng = np.random.default_rng(0)
    for number in range(MIN_SCORING_DRAWINGS):
        store.add_drawing(rng.integers(0, 255, (28, 28), dtype=np.uint8), number % 10)
    code = create_challenge(store, "Ours", Rules(scoring="drawings"))
    add_run(store, models["trained"], "ann")
    board = leaderboard(store, code)
    assert [row.owner for row in board] == ["ann"] and 0.0 <= board[0].score <= 1.0 and board.problem is None
