"""The attention playground: train a tiny Transformer and watch its attention heatmaps form live."""

import streamlit as st

from playground.attention import training  # noqa: F401  (imported here so the first Train starts at once)
from playground.attention.config import AttentionRunConfig
from playground.ui import attention_form, attention_stages, attention_views, exports, live, run_history

PAGE = "attention"
st.title("Attention playground")
st.caption(
    "A tiny Transformer learns a task small enough for a CPU. The trainer captures the attention of a fixed "
    "probe example at every evaluation: watch the heatmaps turn from noise into structure as the loss falls."
)

left, right = st.columns([1, 2], gap="large")
with left:
    preset_place = attention_form.preset_picker()
    config, problems = attention_form.attention_form()
    attention_form.preset_caption(preset_place, config)
    exports.config_import(PAGE, AttentionRunConfig, attention_form.load_config)  # loads in its callback
with right:
    run_history.keep(PAGE, config)
    live.job_controls(PAGE, config, problems)
    attention_stages.chart_options()
    live.live_panel(PAGE, lambda snap: attention_views.draw(snap, config))
    run_history.panel(PAGE, attention_form.load_config)
