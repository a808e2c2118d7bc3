"""Home: what the playground is, where it trains, and the way in."""

import streamlit as st

from playground import devices, registry
from playground.kinds import KINDS

SERVER_STATUS_S = 2.0  # refresh period of the server status line

st.title(":material/neurology: Neural network playground")  # an icon font: renders without emoji fonts
st.markdown(
    "Build a small neural network, press **Train**, and watch it learn: the loss falls, the accuracy climbs and "
    "the decision boundary bends into shape, live, while the model trains on the server.\n\n"
    + "\n".join(f"- **{kind.title}**: {kind.summary}" for kind in KINDS)
)
device = devices.resolve("auto")
label = devices.describe(device)
if device.type == "cpu":
    st.info("Training runs on the **CPU** of this server (no GPU found).", icon=":material/memory:")
else:
    st.success(f"Training runs on the GPU: **{label}**.", icon=":material/bolt:")
executor, slots = registry.shared().executor, registry.shared().queue.max_running
st.caption(f"Runs train in {executor.describe()}: {slots} training slot{'s' * (slots != 1)} "
           f"(executor: {executor.name}).")
if executor.notice:
    st.warning(executor.notice, icon=":material/warning:")


@st.fragment(run_every=SERVER_STATUS_S)
def server_status() -> None:
    """For a presenter with this page open: the server's jobs, kept current."""
    counts = registry.shared().counts()
    st.caption(f"On this server now: {counts['training']} job(s) training, {counts['queued']} waiting "
               f"(at most {registry.shared().queue.max_running} train at once).")


server_status()
for kind in KINDS:
    st.page_link(kind.page, label=f"Open the {kind.title}", icon=":material/arrow_forward:")
