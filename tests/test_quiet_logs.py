"""The server's terminal stays quiet on ordinary use (issue 18 item 9): no TensorFlow `E0000 …
use_unbounded_threadpool` from tf.data, no "tf.function retracing" warnings. A fresh process, as the
app's server and its training workers are: the log level must be set before TensorFlow is imported."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from apptest import ROOT

# A worker's setup (op determinism, which brings tf.data's E0000), then what a class does with it:
# several small trainings with validation, each evaluated and shown digits one at a time.
SCRIPT = textwrap.dedent("""
    from mnistlab import ModelSpec, load_dataset, train
    from mnistlab.engine.worker import dask_setup
    from mnistlab.insight.evaluate import evaluate, predict_digit
    from mnistlab.insight.inside import layer_outputs
    from mnistlab.model.spec import dense, flatten

    dask_setup()
    sample = load_dataset("mnist", "sample")
    for units in (8, 9, 10, 11, 12):
        spec = ModelSpec((flatten(), dense(units)), epochs=1, train_size=100, batch_size=32, name="quiet")
        model = train(spec, sample, use_cache=False).model
        evaluate(model, sample)
        for image in sample.x_test[:3]:
            predict_digit(model, image)
        layer_outputs(model, sample.x_test[0])
    print("done")
""")


@pytest.mark.timeout(600)  # five trainings in a fresh process: slow on a busy machine
def test_training_and_predictions_print_no_tensorflow_errors_or_retracing(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_CPP")}
    env.update(MNISTLAB_OFFLINE="1", MNISTLAB_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT),
               MNISTLAB_WORKER_NICE="0")
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=560)
    assert run.returncode == 0 and "done" in run.stdout, run.stderr[-3000:]
    assert "E0000" not in run.stderr, run.stderr[-3000:]
    assert "retracing" not in run.stderr, run.stderr[-3000:]
