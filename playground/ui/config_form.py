"""A config's widgets, keyed by its fields: the widget of field `name` in part `part` has the key
"<prefix><part>.<name>", so a form draws its widgets under those keys and needs no code to turn a config
into widget state or back. The attention form works this way; the MLP form draws its hidden layers as one
widget per layer, so it maps its keys itself (playground/ui/mlp_form.py).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground.ui.session import init_state


def widget_values(config: Any, prefix: str) -> dict[str, Any]:
    """The widget state that shows `config`: every field of every part (JSON values: lists for tuples)."""
    return {f"{prefix}{part}.{name}": value for part, fields in config.to_dict().items()
            for name, value in fields.items()}


def load(config: Any, prefix: str, saved_key: str) -> None:
    """Show `config` in the widgets (from a callback, or before they are drawn) and keep it as the saved one."""
    st.session_state.update(widget_values(config, prefix))
    st.session_state[saved_key] = config


def init(config: Any, prefix: str) -> None:
    """Give each widget without a value the value that shows `config` (first visit, or after a page switch)."""
    for key, value in widget_values(config, prefix).items():
        init_state(key, value)


def from_widgets(cls: type, prefix: str) -> Any:
    """The config of type `cls` that the widgets describe; a field whose widget has no value takes its default.
    Raises ValueError, fit to show, for settings out of bounds."""
    state = st.session_state
    parts = {part: {name: state[f"{prefix}{part}.{name}"] for name in fields if f"{prefix}{part}.{name}" in state}
             for part, fields in cls().to_dict().items()}
    return cls.from_dict(parts)
