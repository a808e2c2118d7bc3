"""What leaves a page and what comes into it, for both playgrounds: a finished run's downloads (weights, config,
metrics, a runnable script where the playground offers one) and the import of a downloaded config into the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import streamlit as st

from playground import devices, kinds
from playground.export import MAX_CONFIG_BYTES, config_json, metrics_csv, read_config, weights_bytes
from playground.jobs import Snapshot
from playground.ui import live, widgets
from playground.ui.session import presenter
from playground.ui.text import literal


def downloads(page: str, snap: Snapshot) -> None:
    """Under an ended run: its weights (safetensors, with what is needed to use them in the metadata: see
    export.weights_bytes), its config (JSON), its metrics (CSV: a row per step and per evaluation, see
    export.metrics_frame) and, where the playground has one, a runnable PyTorch script of it. Keys
    "<page>.dl_weights", "<page>.dl_config", "<page>.dl_metrics", "<page>.dl_script"."""
    if snap.active:
        return
    r = widgets.row()
    if snap.state is not None:
        info = snap.started.info if snap.started else None
        data = live.cached(f"{page}.weights_file", (snap.state, info),
                           lambda: weights_bytes(snap.state, snap.config, info))
        r.download_button("Download weights (.safetensors)", data, file_name=f"{page}.safetensors",
                          mime="application/octet-stream", key=f"{page}.dl_weights")
    r.download_button("Download config (.json)", config_json(snap.config, snap.changes), file_name=f"{page}-config.json",
                      mime="application/json", key=f"{page}.dl_config")
    if len(snap.step_x) or snap.evals:
        csv = live.cached(f"{page}.metrics_file", (snap.run, snap.status, snap.step, len(snap.evals)),
                          lambda: metrics_csv(snap))
        r.download_button("Download metrics (.csv)", csv, file_name=f"{page}-metrics.csv", mime="text/csv",
                          key=f"{page}.dl_metrics", help="A row per training step and per evaluation.")
    if (render := kinds.kind_of(snap.config).script()) is None:
        return
    try:
        source = render(snap.config)
    except ValueError as e:
        st.caption(literal(e))
        return
    r.download_button("Download PyTorch script (.py)", source, file_name=f"train_{page}.py", mime="text/x-python",
                      key=f"{page}.dl_script", help="One file, importing only torch, numpy and scikit-learn, "
                      "that trains this model again with these settings and prints its test metric: on CPU, a "
                      "completed run's result.")


def config_import(page: str, cls: type, load: Callable[[Any], None]) -> None:
    """A button that opens an uploader for a downloaded config (JSON): a good file's settings go into the form
    (`load`, before the widgets are drawn); a bad or foreign one gets a message naming what is wrong, and the
    form keeps its settings. Not in presenter mode, where the lesson list sets everything."""
    if presenter():
        return
    key, note = f"{page}.import_config", f"{page}.import_note"
    with st.popover("Import config", icon=":material/upload_file:"):
        st.file_uploader("A config file downloaded from this page (.json)", type=["json"], key=key,
                         on_change=_imported, args=(key, note, cls, load),
                         help=f"At most {MAX_CONFIG_BYTES / 1e6:g} MB. Settings it leaves out take their defaults.")
    if (shown := st.session_state.get(note)) is not None:
        ok, text = shown
        (st.success if ok else st.error)(literal(text), icon=":material/upload_file:" if ok else None)


def _imported(key: str, note: str, cls: type, load: Callable[[Any], None]) -> None:
    """The uploader's callback: read the file into a config and load it, or keep the message why not."""
    upload = st.session_state.get(key)
    if upload is None:  # emptied: its message goes with it
        st.session_state.pop(note, None)
        return
    try:
        config = read_config(upload.getvalue(), cls, upload.name)
    except ValueError as e:
        st.session_state[note] = (False, f"{e} The form keeps its settings.")
        return
    text = f"Loaded the settings of {upload.name}."
    if (device := config.training.device) not in ("auto", *devices.available()):  # valid, but not on this server
        config = replace(config, training=replace(config.training, device="auto"))
        text += f" This server has no {device!r} device: it trains on {devices.available()[0]}."
    load(config)
    st.session_state[note] = (True, text)
