"""The catalogs: every message the sources mark is translated, none is left over, translations
keep their placeholders; markers take literal strings; errors carry a code and a template."""

from __future__ import annotations

import ast
import pickle
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from mnistlab import i18n
from mnistlab.errors import DataError, MnistlabError, SpecError

ROOT = Path(__file__).resolve().parent.parent
ERROR_NAMES = {"MnistlabError", "DataError", "SpecError", "ModelFileError", "StoreError", "SchemaError", "DrawingError",
               "StrokeError", "ChallengeError"}


def _catalog(language):
    with i18n.catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def _sources():
    """The files babel.cfg gives to Babel's Python extractor."""
    from babel.messages.extract import pathmatch
    from babel.messages.frontend import parse_mapping_cfg

    with i18n.MAPPING.open(encoding="utf-8") as handle:
        method_map, _options = parse_mapping_cfg(handle)
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if any(method == "python" and pathmatch(pattern, relative) for pattern, method in method_map):
            yield path


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Every message the sources mark, as `pybabel extract` finds it (what `update` writes)."""
    path = i18n.extract(tmp_path_factory.mktemp("i18n") / "mnistlab.pot")
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE])
def test_every_message_has_a_translation_and_none_is_unused(template, language):
    wanted = {message.id for message in template if message.id}  # a plural's id: (singular, plural)
    translated = {message.id: i18n._translated(message) for message in _catalog(language) if message.id}
    missing = sorted(map(str, (m for m in wanted if not translated.get(m))))
    unused = sorted(map(str, set(translated) - wanted))
    hint = "run `python -m mnistlab.i18n update` and translate the new entries"
    assert not missing, f"{len(missing)} without a translation ({hint}): {missing[:15]}"
    assert not unused, f"{len(unused)} translations no source uses ({hint}): {unused[:15]}"


def test_a_message_that_is_also_a_plural_form_is_extracted_on_its_own(tmp_path):
    (tmp_path / "babel.cfg").write_text("[python: **.py]\n", encoding="utf-8")
    (tmp_path / "page.py").write_text('_("epochs")\nn_("{n} epoch", "{n} epochs", 3)\nn_("epoch", "epochs", 2)\n',
                                      encoding="utf-8")
    with i18n.extract(tmp_path / "out.pot", root=tmp_path).open("rb") as handle:
        ids = {message.id for message in read_po(handle) if message.id}
    assert ids == {"epochs", ("{n} epoch", "{n} epochs"), ("epoch", "epochs")}


def test_a_failing_extraction_is_an_error_not_an_empty_catalog(tmp_path):
    """No babel.cfg where the sources are: pybabel fails, and so does `update`."""
    with pytest.raises(subprocess.CalledProcessError):
        i18n.extract(tmp_path / "out.pot", root=tmp_path)
    assert not (tmp_path / "out.pot").exists()


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE])
def test_translations_keep_their_placeholders(language):
    wrong = []
    for message in _catalog(language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(i18n.placeholders(s) for s in ids)) - {"n"}
        for text in strings:
            if i18n.placeholders(text) - {"n"} != wanted:
                wrong.append((ids[0], text))
    assert not wrong, wrong[:10]


def test_markers_take_literal_strings():
    """Babel extracts only literals: `_(f"...")` or `_(name)` would never be translated."""
    wrong = []
    for path in _sources():
        if path.name == "i18n.py":  # where the markers are defined
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in i18n.MARKERS:
                count = 2 if node.func.id in ("n_", "Ln_", "p_") else 1
                args = node.args[:count]
                if len(args) < count or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.JoinedStr):  # Babel cannot see a marker inside an f-string
                wrong.extend(f"{path.relative_to(ROOT)}:{inner.lineno} (in an f-string)" for inner in ast.walk(node)
                             if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
                             and inner.func.id in i18n.MARKERS)
    assert not wrong, wrong


def test_every_user_error_carries_a_code_and_a_marked_template():
    wrong = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERROR_NAMES):
                continue
            args = node.args
            ok = (
                len(args) >= 2
                and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
                and args[0].value.replace("_", "").isalnum() and args[0].value.islower()
                and isinstance(args[1], ast.Call) and isinstance(args[1].func, ast.Name) and args[1].func.id == "N_"
            )
            if not ok:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong, wrong


def test_language_tags_are_normalized():
    assert i18n.normalize("zh-CN") == i18n.normalize("zh_Hans_CN") == i18n.normalize("ZH") == "zh"
    assert i18n.normalize("en-GB") == "en"
    assert i18n.normalize("fr-FR") is None and i18n.normalize(None) is None and i18n.normalize("") is None


def test_an_error_says_itself_in_the_readers_language_and_survives_pickling():
    error = SpecError("epochs_range", i18n.N_("Epochs must be between {low} and {high}."), low=1, high=200)
    copy = pickle.loads(pickle.dumps(error))  # as it comes back from a Dask worker
    assert type(copy) is SpecError and copy.code == "epochs_range" and copy.params == {"low": 1, "high": 200}
    assert isinstance(copy, MnistlabError) and isinstance(copy, ValueError)
    assert str(copy) == copy.args[0] == "Epochs must be between 1 and 200."


def test_messages_are_said_in_the_source_language(monkeypatch):
    zh = {m.id: m.string for m in _catalog("zh") if m.id and isinstance(m.id, str) and m.string and "{" in m.id}
    template, translation = next(iter(sorted(zh.items())))
    params = {name: 7 for name in i18n.placeholders(template)}
    message = i18n.L_(template, **params)
    restored = pickle.loads(pickle.dumps(message))
    assert str(restored) == template.format(**params)
    i18n.set_language_source(lambda: "zh")
    try:
        assert str(restored) == translation.format(**params) != template.format(**params)
        assert str(DataError("x", i18n.N_(template), **params)) == translation.format(**params)
    finally:
        i18n.set_language_source(None)


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE])
def test_the_same_words_in_another_case_are_translated_the_same(language):
    """'Epochs' on a slider and 'epochs' in a table are one word for the reader (a word given a context, `p_`,
    means something else there: "training", the state, is not "training", the data's part)."""
    said: dict[tuple, set] = {}
    for message in _catalog(language):
        if message.id and isinstance(message.id, str):
            said.setdefault((message.context, message.id.casefold()), set()).add(message.string)
    differing = {words: translations for words, translations in said.items() if len(translations) > 1}
    assert not differing, differing


def test_a_plural_said_later_picks_its_form_when_shown():
    """What a training worker sends back (`Ln_`): pickled, then said in the reader's language."""
    def trained(n):
        message = i18n.Ln_("Trained {n} epoch in {seconds:.1f} s.", "Trained {n} epochs in {seconds:.1f} s.", n,
                           seconds=2.0)
        return pickle.loads(pickle.dumps(message))

    assert (str(trained(1)), str(trained(3))) == ("Trained 1 epoch in 2.0 s.", "Trained 3 epochs in 2.0 s.")
    assert trained(1).english() == "Trained 1 epoch in 2.0 s." and trained(1) != trained(3)
    i18n.set_language_source(lambda: "zh")
    try:
        assert str(trained(3)) == "训练了 3 轮，用时 2.0 秒。"
    finally:
        i18n.set_language_source(None)
