"""The MLP playground: build an MLP, train it live, watch curves and the decision boundary."""

import streamlit as st

from playground.mlp import training  # noqa: F401  (imported here so the first Train starts at once)
from playground.mlp.config import MLPRunConfig
from playground.ui import coach, exports, live, mlp_form, mlp_replay, mlp_sweep, mlp_views, run_history

PAGE = "mlp"
st.title("MLP playground")

left, right = st.columns([1, 2.6], gap="large")  # the boundary and the network view side by side
with left:
    preset_place = mlp_form.preset_picker()
    form = mlp_form.mlp_form()
    mlp_form.preset_caption(preset_place, form.config)
    exports.config_import(PAGE, MLPRunConfig, mlp_form.load_config)  # loads in its callback, before the form
with right:
    run_history.keep(PAGE, form.config)
    live.job_controls(PAGE, form.config, form.problems, table=form.table)
    coach.banner(PAGE, mlp_form.load_config, form.config)
    mlp_views.chart_options()
    live.live_panel(PAGE, lambda snap: mlp_views.draw(form.config, snap), animate=mlp_replay.playing)
    with st.expander("Sweep: train variants of this setup side by side", icon=":material/stacked_line_chart:"):
        mlp_sweep.panel(form.config, form.table)
    run_history.panel(PAGE, mlp_form.load_config)
