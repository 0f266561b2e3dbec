"""Labelled drawings in the run store: kept exactly, checked, bounded, deleted by their owner."""

import numpy as np
import pytest

from mnistlab.errors import DrawingError, MnistlabError
from mnistlab.store import drawings as drawings_module
from mnistlab.store.runs import Store, StoreError


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'r.sqlite'}")


def digit(seed=0):
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def test_a_drawing_comes_back_exactly(store):
    image = digit()
    first = store.add_drawing(image, 7, owner=" ann ", session="s1")
    second = store.add_drawing(digit(1), np.int64(3), session="s2")
    newest, oldest = store.drawings()
    assert (newest.id, newest.label, newest.owner, newest.session) == (second, 3, "", "s2")
    assert (oldest.id, oldest.label, oldest.owner, oldest.session) == (first, 7, "ann", "s1")
    assert oldest.image.dtype == np.uint8 and np.array_equal(oldest.image, image)
    assert oldest.created <= newest.created


@pytest.mark.parametrize(("image", "label", "message"), [
    (np.zeros((28, 28), np.float32), 1, "uint8"),
    (np.zeros((28, 28, 1), np.uint8), 1, "shape"),
    (np.zeros((27, 28), np.uint8), 1, "shape"),
    ([[0] * 28] * 28, 1, "28×28"),
    (np.zeros((28, 28), np.uint8), 10, "0–9"),
    (np.zeros((28, 28), np.uint8), -1, "0–9"),
    (np.zeros((28, 28), np.uint8), True, "0–9"),
    (np.zeros((28, 28), np.uint8), 7.0, "0–9"),
    (np.zeros((28, 28), np.uint8), None, "0–9"),
])
def test_bad_drawings_and_labels_are_refused(store, image, label, message):
    with pytest.raises(MnistlabError, match=message):
        store.add_drawing(image, label)
    assert store.drawings() == []


def test_an_overlong_session_is_refused(store):
    with pytest.raises(DrawingError):
        store.add_drawing(digit(), 1, session="x" * 65)


def test_own_drawings_are_those_of_the_same_nickname_or_session(store):
    anns = store.add_drawing(digit(), 1, owner="ann", session="s-ann")
    anon = store.add_drawing(digit(), 2, session="s-anon")
    bobs = store.add_drawing(digit(), 3, owner="bob", session="s-bob")
    with pytest.raises(StoreError, match="belongs to bob"):
        store.delete_drawing(bobs, by="ann", session="s-ann")
    with pytest.raises(StoreError, match="no owner"):
        store.delete_drawing(anon, by="", session="another")
    with pytest.raises(StoreError, match="no owner"):
        store.delete_drawing(anon, by="", session="")  # an empty session is nobody's
    store.delete_drawing(anns, by="ann", session="a new tab")  # same nickname, new session
    store.delete_drawing(anon, by="", session="s-anon")  # same session, no nickname
    store.delete_drawing(bobs, by="", session="", teacher=True)
    assert store.drawings() == []
    with pytest.raises(StoreError, match="not in the store"):
        store.delete_drawing(bobs, by="bob", session="s-bob")


def test_the_store_keeps_a_bounded_number_of_drawings(store, monkeypatch):
    monkeypatch.setattr(drawings_module, "MAX_DRAWINGS", 3)
    for label in range(3):
        store.add_drawing(digit(label), label)
    with pytest.raises(StoreError, match="the most this store keeps"):
        store.add_drawing(digit(), 4)
    assert len(store.drawings()) == 3
