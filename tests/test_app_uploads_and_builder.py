"""Bad input a student can give on each page: a message, never a traceback, nothing lost."""

import keras
from apptest import open_app


def test_a_bad_model_file_on_evaluate_is_refused_and_a_good_one_is_used(tmp_path):
    at = open_app("app_pages/evaluate.py")
    at.file_uploader(key="evaluate_upload").set_value(("model.keras", b"not a model", "application/zip")).run()
    assert any("not a Keras model file" in e.value for e in at.error)
    assert "active_model" not in at.session_state or at.session_state["active_model"] is None
    assert not at.exception

    path = tmp_path / "mine.keras"
    keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")]).save(path)
    at.file_uploader(key="evaluate_upload").set_value(("mine.keras", path.read_bytes(), "application/zip")).run()
    assert str(at.session_state["active_model"].label) == "uploaded: mine.keras"
    assert any(m.label == "Test accuracy" for m in at.main.metric)
    assert not at.exception


def test_a_model_with_code_is_refused_on_draw(tmp_path):
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10)(keras.layers.Flatten()(keras.layers.Lambda(lambda t: t + 1)(inputs)))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    at = open_app("app_pages/draw.py")
    at.file_uploader(key="draw_upload").set_value(("lambda.keras", path.read_bytes(), "application/zip")).run()
    assert any("Lambda" in e.value for e in at.error)
    assert not at.exception


def test_layers_move_and_go_away():
    at = open_app("app_pages/train.py")
    layers = lambda: list(at.sidebar.table[0].value["Layer"])  # noqa: E731
    assert layers()[:3] == ["Flatten", "Dense 512 relu", "Dropout 0.2"]
    down = next(b.key for b in at.sidebar.button if b.key and b.key.startswith("down_"))
    at.sidebar.button(key=down).click().run()  # Flatten goes below Dense: impossible
    assert any("add a Flatten layer before it" in e.value for e in at.sidebar.error)
    at.sidebar.button(key=down.replace("down_", "up_")).click().run()  # and back
    assert layers()[:2] == ["Flatten", "Dense 512 relu"]
    removes = [b.key for b in at.sidebar.button if b.key and b.key.startswith("remove_")]
    at.sidebar.button(key=removes[-1]).click().run()
    assert layers() == ["Flatten", "Dense 512 relu", "Dropout 0.2", "Dense 512 relu", "Output"]
    assert not at.exception


def test_a_training_subset_too_small_is_explained():
    at = open_app("app_pages/train.py")
    at.number_input(key="opt_train_size").set_value(5).run()
    assert any("Training subset must be 0 (all) or at least 10" in e.value for e in at.sidebar.error)
    assert at.button(key="train_start").disabled
    assert not at.exception


def test_an_empty_model_needs_nothing_but_a_flatten():
    at = open_app("app_pages/train.py")
    at.sidebar.selectbox(key="builder_preset").set_value("empty")
    at.sidebar.button(key="builder_load").click().run()
    assert list(at.sidebar.table[0].value["Layer"]) == ["Flatten", "Output"]
    assert at.sidebar.metric[0].value == "7,850"


def test_switching_optimizer_and_back_keeps_the_momentum():
    at = open_app("app_pages/train.py")
    at.sidebar.selectbox(key="builder_preset").set_value("mlp_tanh_sgd")
    at.sidebar.button(key="builder_load").click().run()
    at.sidebar.selectbox(key="opt_optimizer").set_value("adam").run()
    assert at.session_state["spec"].momentum == 0.0  # momentum means nothing to Adam
    at.run()
    at.sidebar.selectbox(key="opt_optimizer").set_value("sgd").run()
    assert at.session_state["spec"].momentum == 0.9 and at.session_state["spec"].nesterov
    assert not at.exception


def test_the_builder_shows_training_memory_and_refuses_a_model_too_big_to_train(monkeypatch):
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "1000")  # the figures below are for a 1,000 MB budget
    at = open_app("app_pages/train.py")
    assert [m.label for m in at.sidebar.metric] == ["Parameters", "Training memory"]
    assert at.sidebar.metric[1].value == "14 MB"  # mlp_relu_adam: weights, gradients, Adam's two slots, a batch
    unit_keys = [n.key for n in at.sidebar.number_input if n.key and n.key.endswith("_units")]
    for key in unit_keys:
        at.sidebar.number_input(key=key).set_value(16384)
    at.run()
    assert any("over the 1,000 MB" in e.value and "Shrink the weights of layer 4 (Dense 16384 relu)" in e.value
               for e in at.sidebar.error)
    assert at.button(key="train_start").disabled
    assert not at.exception


def test_the_train_page_exports_a_script_for_the_data_it_trains_on():
    at = open_app("app_pages/train.py")  # the tests run offline: the app uses its MNIST sample
    at.toggle(key="train_show_script").set_value(True).run()
    script = next(c.value for c in at.main.code if c.language == "python")
    assert "keras.datasets.mnist.load_data()" in script and "USE_OFFLINE_SAMPLE = True" in script
    assert not at.exception
