"""The MLP page's network view: each neuron's picture and the links by weight, live with the boundary, and one
neuron drawn large on request (its incoming weights and bias)."""

from __future__ import annotations

import streamlit as st

from playground import plots
from playground.mlp import network_plots
from playground.mlp.network import MAX_UNITS, NetworkView
from playground.ui import live
from playground.ui.charts import chart

INSPECT = "mlp.inspect_neuron"  # the neuron drawn large, as "column:unit"


def _choices(view: NetworkView) -> dict[str, str]:
    """'column:unit' -> its label, every shown neuron past the inputs' own coordinates."""
    return {f"{c}:{i}": f"{layer.name} · {label}" for c, layer in enumerate(view.layers)
            for i, label in enumerate(layer.labels)}


def network_panel(view: NetworkView | None, place, revision: int, height: int, frames: dict | None = None,
                  empty_message: str = plots.EMPTY_MESSAGE) -> None:
    """The network figure in `place` (animated through `frames`, a payload of mlp/frame_plots, when given), a note
    when units are left out, and a popover to see one neuron large; `empty_message` in the figure without a view."""
    fig = live.cached("mlp.network", (view, empty_message),
                      lambda: network_plots.network_figure(view, height=height, empty_message=empty_message))
    chart(fig, "mlp.network_chart", place, revision, frames=frames)
    if view is None:
        return
    with place:
        note = _note(view)
        if note:
            st.caption(note)
        with st.popover("Inspect a neuron", icon=":material/zoom_in:"):
            choices = _choices(view)
            if st.session_state.get(INSPECT) not in choices:  # none yet, or a unit no longer shown
                st.session_state[INSPECT] = None
            pick = st.selectbox("Neuron", list(choices), format_func=choices.get, key=INSPECT,
                                placeholder="Choose a neuron", help="Its output over the plane, and the weights "
                                "that feed it (from the units shown).")
            if pick is not None:  # drawn on request only: the live refresh builds no figure nobody looks at
                column, unit = (int(part) for part in pick.split(":"))
                chart(network_plots.neuron_figure(view, column, unit), "mlp.neuron_chart")


def _note(view: NetworkView) -> str:
    """What the view leaves out, if anything."""
    if not view.hidden_units:
        return ""
    cap = "fewer units per layer, to keep the page quick" if view.cut else f"the {MAX_UNITS} per layer"
    return (f"Showing {cap} with the largest outgoing weights; {view.hidden_units:,} units are not drawn. "
            "Hover a neuron for its weights.")
