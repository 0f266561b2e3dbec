"""`st.file_uploader` with its own words in the session's language: every uploader of the app is made here.

Streamlit 1.67 writes the dropzone's words ("Upload", "64MB per file • KERAS", "Drag and drop a file here")
into its JavaScript bundle in English, with no parameter, config option or locale to change them (asked in
streamlit/streamlit#13500; the broader streamlit/streamlit#1353; a pull request adding parameters,
streamlit/streamlit#10042, was closed unmerged). So, in any language but English, a style scoped to the
uploader's key hides those words (`visibility: hidden`: out of sight, of `innerText` and of the
accessibility tree) and shows ours, from the gettext catalog, as `::after` content of the element around
them: Chrome leaves out of the accessibility tree the `::after` of a hidden element, but reads the one
of a shown element, so the button is named by our word. The button's word inherits the button's type;
the limits copy Streamlit's look for them (its `fontSizes.sm`, its text at 70 %, 40 % when disabled).
The words shown while a file is dragged over are only seen (the dragging is done with a mouse). The
button and the dropzone stay Streamlit's own, clickable as before. tests/test_browser_uploader.py
fails if Streamlit renames what this style selects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

from mnistlab import i18n
from mnistlab.i18n import _

# The size of Streamlit's own dropzone words (its theme's `fontSizes.sm`); rem, so a `theme.baseFontSize`
# scales ours with the rest. The English words are shrunk to nothing (font-size 0) so that they take no
# room; the limits are shown by a larger element and the dragging words by the shrunk one.
WORDS_SIZE = "0.875rem"
_KEY = re.compile(r"[A-Za-z0-9_-]+")


def file_uploader(label: str, *, key: str, type: str | Sequence[str] | None = None,  # noqa: A002 (Streamlit's name)
                  accept_multiple_files: bool = False, max_upload_size: int | None = None, **kwargs):
    """`st.file_uploader(label, type, accept_multiple_files, key, …)`, its dropzone in the session's language."""
    if i18n.current_language() != i18n.DEFAULT_LANGUAGE:
        limit = max_upload_size or st.get_option("server.maxUploadSize")
        st.html(dropzone_style(key, _types(type), accept_multiple_files, limit))
    return st.file_uploader(label, type=type, accept_multiple_files=accept_multiple_files, key=key,
                            max_upload_size=max_upload_size, **kwargs)


def _types(type: str | Sequence[str] | None) -> list[str]:  # noqa: A002
    """The accepted types as Streamlit lists them under its button: `.keras` → KERAS."""
    types = [type] if isinstance(type, str) else list(type or ())
    return [t.lstrip(".").upper() for t in types]


def dropzone_words(types: Sequence[str], multiple: bool, limit_mb: int) -> dict[str, str]:
    """What the dropzone says, in the session's language: its button, the limits under it, and the words
    shown while a file is dragged over it."""
    # Translators: the button of a file uploader, which opens the browser's file dialog
    button = _("Upload")
    if types:
        # Translators: under a file uploader's button; {types} are file types as written: KERAS, JSON
        limits = _("{size} MB per file • {types}", size=limit_mb, types=", ".join(types))
    else:
        # Translators: under a file uploader's button
        limits = _("{size} MB per file", size=limit_mb)
    # Translators: shown over a file uploader while a file is dragged over it
    dragging = _("Drag and drop files here") if multiple else _("Drag and drop a file here")
    return {"button": button, "limits": limits, "dragging": dragging}


def dropzone_style(key: str, types: Sequence[str], multiple: bool, limit_mb: int) -> str:
    """A `<style>` that says the dropzone of the uploader with this key in the session's language."""
    if not _KEY.fullmatch(key):  # Streamlit's class for the key is `st-key-<key>`; ours are plain names
        raise ValueError(f"an uploader key must be a plain name, not {key!r}")
    words = dropzone_words(types, multiple, limit_mb)
    zone = f'.st-key-{key} [data-testid="stFileUploaderDropzone"]'
    button = f'{zone} button [data-testid="stMarkdownContainer"]'  # holds <p>Upload</p>
    limits = f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] > div'  # holds <span>64MB per file</span>
    dragging = f'{zone} > div:not([data-testid])'  # only while a file is dragged over: <span>Drag and drop…</span>
    hidden = "{ visibility: hidden; font-size: 0; }"
    return f"""<style>
{button} > p {hidden}
{button}::after {{ content: {_css_string(words["button"])}; }}
{limits} > span {hidden}
{limits}::after {{ content: {_css_string(words["limits"])}; display: block; font-size: {WORDS_SIZE}; opacity: 0.7;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }}
{zone}[aria-disabled="true"] [data-testid="stFileUploaderDropzoneInstructions"] > div::after {{ opacity: 0.4; }}
{dragging} > span {hidden}
{dragging} > span::after {{ content: {_css_string(words["dragging"])}; visibility: visible; font-size: {WORDS_SIZE}; }}
</style>"""


def _css_string(text: str) -> str:
    """`text` as a quoted CSS string: quotes, backslashes and line ends escaped, and `<` (no `</style>`)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    return f'"{escaped}"'
