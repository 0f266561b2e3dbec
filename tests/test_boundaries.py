"""The core stays light: no Streamlit ever, no TensorFlow until it is needed."""

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "mnistlab"


def test_core_never_imports_streamlit():
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "streamlit" for n in names), f"{path.name} imports streamlit"


def test_importing_the_core_and_describing_models_loads_no_tensorflow():
    code = (
        "import sys, mnistlab\n"
        "from mnistlab import PRESETS, param_count, output_shapes, to_keras_script\n"
        "[param_count(p.spec) for p in PRESETS.values()]\n"
        "to_keras_script(PRESETS['cnn_lenet_tanh'].spec)\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=CORE.parent, check=True)
    assert out.stdout.strip() == "[]"


# The subjects, lowest first: a package imports only those below it (any import, lazy ones included),
# so `ls mnistlab` reads as the architecture and no subject needs another that needs it back.
LAYERS = ["i18n", "errors", "settings", "box", "data", "model", "insight", "lessons", "store", "challenges",
          "engine"]


def test_subject_packages_import_only_the_subjects_below_them():
    wrong = []
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE).with_suffix("").parts
        if parts[0] not in LAYERS:
            continue  # __init__ and __main__ gather every subject
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                names = module.split(".")
                if names[0] == "mnistlab" and len(names) > 1 and names[1] in LAYERS:
                    if LAYERS.index(names[1]) > LAYERS.index(parts[0]):
                        wrong.append(f"{'/'.join(parts)} imports {module}")
    assert not wrong, wrong
