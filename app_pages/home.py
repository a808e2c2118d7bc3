"""Home: what the playground is, where it trains, and the way in."""

import streamlit as st

from playground import devices
from playground.registry import REGISTRY

SERVER_STATUS_S = 2.0  # refresh period of the server status line

st.title(":material/neurology: Neural network playground")  # an icon font: renders without emoji fonts
st.markdown(
    """
Build a small neural network, press **Train**, and watch it learn: the loss falls, the accuracy
climbs and the decision boundary bends into shape, live, while the model trains on the server.

- **MLP playground**: pick a dataset (moons, spirals, XOR, iris, digits or your own CSV), choose
  hidden layers, widths, activations, optimizer and learning rate, then train, pause and single-step;
  the page's address is a link to your setup. Try a learning rate of 10 with SGD to see a run diverge.
- **Attention playground**: train a tiny Transformer on reverse, sort, recall, sentiment with
  negation or a character language model, and watch its attention heatmaps form while it learns;
  replay how the pattern appeared, and type your own input.
"""
)
device = devices.resolve("auto")
label = devices.describe(device)
if device.type == "cpu":
    st.info("Training runs on the **CPU** of this server (no GPU found).", icon=":material/memory:")
else:
    st.success(f"Training runs on the GPU: **{label}**.", icon=":material/bolt:")


@st.fragment(run_every=SERVER_STATUS_S)
def server_status() -> None:
    """For a presenter with this page open: the server's jobs, kept current."""
    counts = REGISTRY.counts()
    st.caption(f"On this server now: {counts['training']} job(s) training, {counts['queued']} waiting "
               f"(at most {REGISTRY.queue.max_running} train at once).")


server_status()
st.page_link("app_pages/mlp.py", label="Open the MLP playground", icon=":material/arrow_forward:")
st.page_link("app_pages/attention.py", label="Open the attention playground", icon=":material/arrow_forward:")
