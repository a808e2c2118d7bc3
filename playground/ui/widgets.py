"""Widgets both playground forms use: a wrapping row, the preset picker and its note, and the shared link.

A form's widgets keep their state under keys "<page>.<field>"; these helpers take that prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from playground import devices, registry, share
from playground.ui.session import entering, presenter
from playground.ui.text import literal

LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def row() -> Any:
    """A row of elements (widgets, buttons, metric tiles) that share its width and wrap onto more lines where each
    would be narrow (a narrow window, presenter mode's larger text), instead of squeezing their labels letter by
    letter or cutting them to "…" as columns do."""
    return st.container(horizontal=True, gap="small")


def preset_choice(key: str, descriptions: dict[str, str], on_change, page: str) -> Any:
    """A preset selectbox, or in presenter mode a lesson list: every preset with its description. Returns the
    place for the note on the settings (`preset_or_changed`): under the selectbox, or above the lesson list (long:
    a note under it would not be seen).

    The two are different widgets under one key, and a widget that is not drawn loses its value: the
    choice is remembered with the kind of widget that made it and given back when presenter mode flips
    and when the user comes back to `page` from another page (see session.entering).
    """
    mode, memory = presenter(), f"{key}.chosen"
    saved = st.session_state.get(memory)
    if saved is not None and (saved[0] != mode or entering(page)):
        st.session_state[key] = saved[1]
    if mode:
        place = st.container()
        value = st.radio("Lessons", list(descriptions), key=key, on_change=on_change,
                         captions=list(descriptions.values()))
    else:
        value = st.selectbox("Preset", list(descriptions), key=key, on_change=on_change,
                             help="Loads a complete setup: data, model and training.")
        place = st.container()
    st.session_state[memory] = (mode, value)
    return place


def preset_or_changed(place: Any, prefix: str, name: str, description: str, same: bool, reload: Any) -> None:
    """The preset's `description` while the settings are the preset's (`same`), else that they changed, with a
    button (key `prefix` + "reload_preset") that calls `reload`. In presenter mode the lesson list shows the
    descriptions, and the note says "lesson": its form is hidden, so Train would otherwise train settings that
    the ticked lesson does not show."""
    kind = "lesson" if presenter() else "preset"
    if same:
        if kind == "preset":
            place.caption(description)
        return
    place.caption(f"Settings changed from the {name} {kind}.")
    place.button(f"Reload the {name} {kind}", key=prefix + "reload_preset", on_click=reload,
                 icon=":material/restart_alt:")


def form_start(page: str, prefix: str, cls: type, load: Callable[[Any], None], default: Any) -> tuple[Any, bool]:
    """The start both forms share: a shared link is loaded once (`load`), then the saved config (key `prefix` +
    "saved"; `default` before any) is returned with whether presenter mode hides the widgets. In presenter mode
    the URL shows the saved config and the caller draws no widgets; otherwise, when the widgets were not drawn in
    the last run (another page, or presenter mode), they get the saved config back, also those drawn only for
    some settings (see session.entering)."""
    read_link(prefix, cls, load)
    saved = st.session_state.get(prefix + "saved") or default
    shown = prefix + "form_shown"  # whether the last run drew the form's widgets
    restore = entering(page) or not st.session_state.get(shown)
    st.session_state[shown] = not presenter()
    if presenter():  # advanced controls hidden: the lesson list sets everything
        write_link(saved)
        return saved, True
    if restore:
        load(saved)
    return saved, False


def read_link(prefix: str, cls: type, load: Any) -> None:
    """Once per session and page: load a config from the URL's query parameters (a shared link)."""
    if st.session_state.get(prefix + "link_read"):
        return
    st.session_state[prefix + "link_read"] = True
    params = {k: st.query_params[k] for k in st.query_params}
    if any("." in k for k in params):
        cfg, notices = share.from_query(cls, params)
        if (device := cfg.training.device) not in ("auto", *devices.available()):  # valid, but not on this server
            cfg = replace(cfg, training=replace(cfg.training, device="auto"))
            notices.append(f"Ignored training.device={device!r}: this server has no such device; it trains on "
                           f"{devices.available()[0]}.")
        load(cfg)
        for notice in notices:
            st.warning(literal(notice), icon=":material/link_off:")


def write_link(cfg: Any) -> None:
    """Keep the URL in step with the settings, so copying it shares them."""
    query = share.to_query(cfg)
    if {k: st.query_params[k] for k in st.query_params if "." in k} != query:
        keep = {k: st.query_params[k] for k in st.query_params if "." not in k}
        st.query_params.from_dict({**keep, **query})


def over_budget(config: Any, table: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The server's refusal of `config` for its estimated memory (see playground.memory), as form problems: one
    message naming the estimate in MB and the settings to lower, or none when the run fits."""
    refused = registry.shared().limits.memory_problem(config, table)
    return (refused,) if refused else ()
