"""The frame: page config, navigation over the playground pages (from playground.kinds), the sidebar job badge."""

import streamlit as st

from playground.kinds import KINDS
from playground.ui import session

st.set_page_config(page_title="Neural network playground", page_icon="🧠", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    *(st.Page(kind.page, title=kind.title, icon=kind.icon, url_path=kind.name) for kind in KINDS),
]
nav = st.navigation(PAGES)
session.presenter_toggle()
session.note_page(nav.url_path)  # before the page runs, so that a page that stops or reruns early still counts
nav.run()
session.sidebar_badge()  # after the page ran: it shows the state the page's buttons have just set
