"""The MLP form's CSV upload (dataset "csv"): the uploader, the target, task and left-out columns, a preview.

An upload is read once and kept in session state under "mlp.table" as (file name, DataFrame), so it survives a page
switch and a bad file does not replace a usable table. playground.ui.mlp_form draws this section in its Data part.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from playground.mlp.config import TASKS, DataConfig
from playground.mlp.data import MAX_COLUMNS, MAX_ROWS, MAX_UPLOAD_BYTES, DataError, make_dataset, read_csv
from playground.mlp.tables import id_like
from playground.ui.text import literal
from playground.ui.widgets import row

PREFIX = "mlp."  # the MLP form's widget keys (playground.ui.mlp_form), which this section's widgets share
TABLE = PREFIX + "table"  # (file name, DataFrame) of the last upload that could be read
NEED_TABLE = "Upload a CSV file to train on it."
PREVIEW_ROWS = 50  # rows of an uploaded table shown in its preview
TABLE_OK = PREFIX + "table_ok"  # whether that table made a dataset with the chosen target and task
SEEN = PREFIX + "upload_seen"  # file id of the upload in the uploader at the last run
READ = PREFIX + "upload_read"  # file id of the upload TABLE was read from: read once, the same table in every run


def csv_section() -> tuple[pd.DataFrame | None, list[str]]:
    """The upload widget, target and task pickers. Returns the table and any problems."""
    upload = st.file_uploader(
        "CSV file", type=["csv", "txt", "tsv"], key=PREFIX + "upload",
        help=f"At most {MAX_UPLOAD_BYTES // 2**20} MB, {MAX_ROWS:,} rows and {MAX_COLUMNS} columns.")
    if upload is not None:
        new = st.session_state.get(SEEN) != upload.file_id
        st.session_state[SEEN] = upload.file_id
        try:
            if st.session_state.get(READ) != upload.file_id:  # a bad file is read again, to show its error again
                st.session_state[TABLE] = (upload.name, read_csv(upload.getvalue(), upload.name))
                st.session_state[READ] = upload.file_id
        except DataError as e:
            st.error(literal(str(e) if upload.name in str(e) else f"{upload.name}: {e}"))
            if new and not st.session_state.get(TABLE_OK):  # a new bad file does not fall back on an unusable one
                _forget_table()
            if TABLE in st.session_state:
                st.caption(literal(f"Still using {st.session_state[TABLE][0]}."))
    if TABLE not in st.session_state:
        return None, [NEED_TABLE]
    file_name, table = st.session_state[TABLE]
    name = literal(file_name)  # for our own sentences around it, which are Markdown
    if upload is None:  # emptied by its ✕, or by leaving the page: the table is kept until forgotten
        st.caption(f"Using {name}, uploaded earlier.")
        st.button(f"Forget {name}", key=PREFIX + "forget_table", on_click=_forget_table, icon=":material/delete:")
    columns = list(table.columns)
    if st.session_state.get(PREFIX + "target") not in columns:
        st.session_state[PREFIX + "target"] = columns[-1]
    r = row()
    target = r.selectbox("Target column", columns, key=PREFIX + "target")
    task = r.selectbox("Task", TASKS, key=PREFIX + "task", help="auto: classes for text or few whole numbers.")
    features = [c for c in columns if c != target]
    # before the widget is drawn: names of another table's columns, or of the column just made the target, go
    st.session_state[PREFIX + "ignore"] = [c for c in st.session_state.get(PREFIX + "ignore") or () if c in features]
    ignore = st.multiselect("Leave out columns", features, key=PREFIX + "ignore",
                            help="Columns that are not features: an id, a row number, a copy of the target.")
    if suspects := [c for c in id_like(table) if c in features and c not in ignore]:
        quoted = literal(", ".join(f"'{c}'" for c in suspects))
        it, they = ("it", "it carries") if len(suspects) == 1 else ("them", "they carry")
        st.caption(f"{quoted} {'looks like a row identifier' if it == 'it' else 'look like row identifiers'}: a "
                   f"model can learn to recognise rows by {it} instead of from the features. Leave {it} out unless "
                   f"{they} meaning.")
        st.button(f"Leave out {quoted}", key=PREFIX + "ignore_ids", on_click=_leave_out, args=(suspects,),
                  icon=":material/playlist_remove:")
    with st.expander(f"Preview of {name}"):
        st.dataframe(table.head(PREVIEW_ROWS), hide_index=True)
    try:
        data = make_dataset(DataConfig(dataset="csv", target=target, task=task, ignore=tuple(ignore)), table)
    except (DataError, ValueError) as e:
        st.session_state[TABLE_OK] = False
        return table, [f"{file_name}: {e}"]
    st.session_state[TABLE_OK] = True
    kind = f"{data.n_classes} classes" if data.task == "classification" else "regression"
    n_features = f"{data.n_features} feature{'s' * (data.n_features != 1)}"
    st.caption(literal(f"{file_name}: {len(table):,} rows, {n_features}, {kind}. " + " ".join(data.notes)))
    return table, []


def _leave_out(columns: list[str]) -> None:
    st.session_state[PREFIX + "ignore"] = [*(st.session_state.get(PREFIX + "ignore") or ()), *columns]


def _forget_table() -> None:
    st.session_state.pop(TABLE, None)
    st.session_state.pop(READ, None)
    st.session_state.pop(TABLE_OK, None)
