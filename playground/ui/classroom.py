"""Classroom links: the presenter's link builder, and a form's controls hidden or locked by such a link.

A teacher in presenter mode picks the settings to hide and to lock and copies a link (`builder`). A student who
opens it gets the lesson's settings (read as any shared link, widgets.read_link), with the hidden settings' controls
not drawn and the locked ones drawn disabled (`Lesson.put`); the form's config keeps the lesson's value of every
such setting whatever the widgets hold (`Lesson.apply`), so a coach's fix or a preset cannot change them either.
The rules are read from the URL's `hide` and `lock` lists once per session and page (playground.share).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from playground import devices, share
from playground.share import HIDE, LOCK, Classroom
from playground.ui.text import literal


@dataclass(frozen=True)
class Lesson:
    """A page's classroom rules and the link's settings (None without a classroom link)."""

    rules: Classroom = Classroom()
    config: Any = None

    def __bool__(self) -> bool:
        return bool(self.rules)

    def shows(self, *fields: str) -> bool:
        """Whether any of `fields` ("part.field") has its control drawn."""
        return any(f not in self.rules.hidden for f in fields)

    def put(self, widget: Callable[..., Any], field: str, *args: Any, **kwargs: Any) -> Any:
        """`widget(*args, **kwargs)`, the control of `field`: not drawn (None) when the lesson hides it, drawn
        disabled when it locks it."""
        if field in self.rules.hidden:
            return None
        if field in self.rules.locked:
            kwargs["disabled"] = True
        return widget(*args, **kwargs)

    def apply(self, config: Any) -> Any:
        """`config` with the lesson's value of every hidden or locked field. Raises ValueError, fit to show, when
        the student's other settings do not go with them."""
        if not self.rules:
            return config
        mine, lesson = config.to_dict(), self.config.to_dict()
        for name in self.rules.fixed:
            part, _, field = name.partition(".")
            mine[part][field] = lesson[part][field]
        return type(config).from_dict(mine)


def lesson(prefix: str, cls: type, fields: Collection[str]) -> Lesson:
    """This page's classroom rules from the URL (`fields`: those the page's form can hide or lock), read once per
    session; what a tampered link had that was ignored is said once, as a warning."""
    key = prefix + "classroom"
    if key not in st.session_state:
        params = {k: st.query_params[k] for k in st.query_params}
        found = Lesson()
        if HIDE in params or LOCK in params:
            rules, notices = share.classroom_from_query(cls, params, fields)
            config, _ = share.from_query(cls, params)  # the settings' own notices: widgets.read_link shows them
            if config.training.device not in ("auto", *devices.available()):  # as read_link does
                config = replace(config, training=replace(config.training, device="auto"))
            found = Lesson(rules, config)
            for notice in notices:
                st.warning(literal(notice), icon=":material/link_off:")
        st.session_state[key] = found
    return st.session_state[key]


def kept(prefix: str, config: Any) -> Any:
    """`config` with the fixed settings of this session's classroom lesson on page `prefix` (if it has one), for
    whatever loads settings into the form (an imported file, a run's "load these settings", a coach's fix): a
    locked control keeps showing the lesson's value, which is the one the run takes. Where the lesson's values do
    not go with the rest of `config`, the lesson's settings as a whole."""
    lesson = st.session_state.get(prefix + "classroom")
    if not lesson:
        return config
    try:
        return lesson.apply(config)
    except ValueError:
        return lesson.config


def lesson_caption(place: Any, lesson: Lesson) -> None:
    """In place of the preset's note: that the settings are a lesson's, and how many it fixes."""
    fixed = len(lesson.rules.fixed)
    place.caption(f"A lesson from your teacher's link: {fixed} setting{'s' * (fixed != 1)} fixed by it.")


def builder(prefix: str, page: str, config: Any, labels: Mapping[str, str]) -> None:
    """Presenter mode's classroom link: pick the settings (`labels`: field -> label) to hide and to lock, and copy
    a link that opens `page` with `config` (the lesson's settings) and those rules."""
    with st.expander("Classroom link", icon=":material/link:"):
        st.caption("A link for your students: this lesson's settings, with the controls you choose hidden or locked "
                   "(shown with the lesson's value, not editable). Train and the charts are always there.")
        names = list(labels)
        hidden = st.multiselect("Hide", names, key=prefix + "classroom.hide", format_func=labels.get)
        locked = st.multiselect("Lock", [n for n in names if n not in hidden], key=prefix + "classroom.lock",
                                format_func=labels.get)
        free = [labels[n] for n in names if n not in hidden and n not in locked]
        st.caption("Students can change: " + (", ".join(free) if free else "nothing but Train") + ".")
        st.code(link(page, share.classroom_query(config, hidden, locked)), language=None, wrap_lines=True)


def link(page: str, query: Mapping[str, str]) -> str:
    """The page's address (this server's, as the browser sees it; a path alone where it is not known) with
    `query`."""
    base = (st.context.url or "").split("?")[0].rstrip("/")
    if not base.endswith("/" + page):
        base = f"{base}/{page}"
    return f"{base}?{urlencode(query, safe=',')}" if query else base
