"""The frame: page config, navigation over the playground pages, and the sidebar job badge."""

import streamlit as st

from playground.ui import session

st.set_page_config(page_title="Neural network playground", page_icon="🧠", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/mlp.py", title="MLP playground", icon=":material/scatter_plot:", url_path="mlp"),
    st.Page("app_pages/attention.py", title="Attention playground", icon=":material/grid_on:", url_path="attention"),
]
nav = st.navigation(PAGES)
session.presenter_toggle()
session.note_page(nav.url_path)  # before the page runs, so that a page that stops or reruns early still counts
nav.run()
session.sidebar_badge()  # after the page ran: it shows the state the page's buttons have just set
