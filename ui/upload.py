"""Use a model trained elsewhere: an uploaded `.keras` file becomes the session's model."""

import hashlib

import streamlit as st

from mnistlab.errors import MnistlabError
from mnistlab.i18n import L_, _
from mnistlab.model.files import MAX_MODEL_BYTES, MAX_MODEL_PARAMS, load_model_bytes
from ui.progress import record
from ui.session import ActiveModel, dataset_name, set_active_model
from ui.uploader import file_uploader


def model_uploader(key: str) -> None:
    """An expander with a `.keras` uploader; a bad file gives a message and changes nothing."""
    with st.expander(_("Use a model trained elsewhere (.keras file)")):
        st.caption(_("For example the file saved by the Keras script from the Train page. It must take 28×28 "
                     "images and give 10 probabilities, be made of standard Keras layers (`Lambda` layers and custom "
                     "code are refused) and have at most {params:,} parameters; the file may be {megabytes} MB.",
                     params=MAX_MODEL_PARAMS, megabytes=MAX_MODEL_BYTES // 2**20))
        upload = file_uploader(_("Keras model"), type=["keras"], key=key)
        if upload is None:
            return
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()[:24]
        if st.session_state.get(f"{key}_loaded") == digest:
            st.success(_("Using {file}.", file=upload.name))
            return
        try:
            model = load_model_bytes(data, upload.name)
        except MnistlabError as exc:
            st.error(str(exc))
            return
        label = L_("uploaded: {file}", file=upload.name)
        set_active_model(ActiveModel(model, label, f"upload-{digest}", dataset_name()))
        record("model_loaded")
        st.session_state[f"{key}_loaded"] = digest
        st.success(_("Using {file}: {params:,} parameters.", file=upload.name, params=model.count_params()))
