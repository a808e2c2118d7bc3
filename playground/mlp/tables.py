"""The user's own table: reading an uploaded CSV file and turning its columns into arrays.

Every problem raises `DataError` with a message written to be shown in the page: files that are
empty, binary, in another encoding (tried before giving up), malformed or over the limits below,
unknown or unusable target columns, text features with too many values, too few complete rows.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from playground.uploads import DataError, decode_text

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 5 MB
MAX_ROWS = 10_000
MAX_COLUMNS = 50
MAX_CLASSES = 20  # most distinct values a classification target may have
MAX_CATEGORIES = 20  # most distinct values a text feature may have and still be one-hot encoded
MIN_ROWS = 10  # fewest complete rows a CSV must keep after dropping missing values


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _quoted(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(str(c)) for c in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _sniff(text: str) -> str:
    """The delimiter among , ; tab | (csv.Sniffer on whole lines from the start), else a comma."""
    sample = text[:20_000]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_csv(raw: bytes, name: str = "upload.csv") -> pd.DataFrame:
    """Parse an uploaded file's bytes into a table with pandas.read_csv (first row is the header).

    The delimiter (comma, semicolon, tab or |) is sniffed with csv.Sniffer; comma when unsure. The
    text may be UTF-8 (with or without BOM), UTF-16 with a BOM, or else is read as cp1252/latin-1;
    a note on that is left in `table.attrs["notes"]`, which `make_dataset` passes on. Limits:
    MAX_UPLOAD_BYTES, MAX_ROWS data rows, MAX_COLUMNS columns, at least 2 columns and 1 data row.

    Raises DataError with a message fit for the page for every unusable file.
    """
    if not raw:
        raise DataError("The file is empty.")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name} is {len(raw) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    text, encoding = decode_text(raw, name)
    if not text.strip():
        raise DataError("The file is empty.")
    sep = _sniff(text)
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True)
        decimal_comma = False
        if sep == ";":  # a spreadsheet's export where the decimal mark is a comma: "0,5" is a number
            comma = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True, decimal=",")
            decimal_comma = _numbers(comma) > _numbers(table)
            table = comma if decimal_comma else table
    except pd.errors.EmptyDataError:
        raise DataError("The file is empty.") from None
    except (ValueError, csv.Error) as e:  # pandas' ParserError is a ValueError
        reason = str(e).strip().splitlines()[0].removeprefix("Error tokenizing data. C error: ")[:200]
        raise DataError(f"Could not read {name} as a CSV file: {reason.rstrip('.')}.") from None
    if table.index.nlevels > 1:  # pandas took the leading fields of longer rows as row names (one is R's style)
        raise DataError(f"The rows of {name} have {table.index.nlevels} more fields than its header row has names. "
                        "Give every column a name in the header row.")
    rows, cols = table.shape
    if cols < 2:
        raise DataError(f"{name} has only one column; a dataset needs at least two (features and a target). "
                        "Separate columns with commas, semicolons or tabs.")
    if cols > MAX_COLUMNS:
        raise DataError(f"{name} has {cols} columns; the limit is {MAX_COLUMNS} columns.")
    if rows == 0:
        raise DataError(f"{name} has a header row but no data rows.")
    if rows > MAX_ROWS:
        raise DataError(f"{name} has {rows:,} rows; the limit is {MAX_ROWS:,} rows.")
    notes = [f"Read decimal commas in {name} as decimal points (0,5 as 0.5)."] if decimal_comma else []
    if encoding not in ("utf-8-sig", "UTF-16"):
        label = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}[encoding]
        notes.append(f"Read {name} as {label} text, as it is not valid UTF-8.")
    header = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True, header=None, nrows=1, dtype=str)
    if note := _duplicates_note(list(header.iloc[0]), list(table.columns)):
        notes.append(note)
    if notes:
        table.attrs["notes"] = tuple(notes)
    return table


def _duplicates_note(written: list, columns: list) -> str | None:
    """A note on header names written more than once (`written`, as in the file), which pandas tells apart by
    renaming the later ones (x, x.1, x.2); None if every name is written once."""
    named = [str(w) for w in written if isinstance(w, str)]  # NaN: an empty name, which pandas calls "Unnamed: i"
    twice = sorted({w for w in named if named.count(w) > 1}, key=named.index)
    if not twice:
        return None
    shown = "; ".join(f"{w!r}, read as " + ", ".join(repr(str(c)) for c, x in zip(columns, written, strict=True)
                                                      if x == w) for w in twice)
    return f"More than one column has the same name ({shown}). Rename them in the file to tell them apart."


def _numbers(table: pd.DataFrame) -> int:
    """How many of `table`'s columns are numbers."""
    return sum(_is_number(table[c]) for c in table.columns)


def _is_number(s: pd.Series) -> bool:
    return is_numeric_dtype(s) and not is_bool_dtype(s)


def _whole(s: pd.Series) -> bool:
    values = s.to_numpy(np.float64)
    return bool(np.all(values == np.round(values)))


# "id", "row_number", "customer_id", pandas' "Unnamed: 0" and "id.1" (a repeated name), any case; "PassengerId",
# "userID" (camel case, so that "paid" or "valid" are not ids).
_ID_NAME = re.compile(r"(?i:^(id|index|row|row[ _]?(id|number|no)|unnamed: ?0|.*[ _]id)(\.\d+)?$)"
                      r"|[a-z](Id|ID)$")


def id_like(table: pd.DataFrame) -> list[str]:
    """Columns that look like row identifiers rather than features: named like one (`_ID_NAME`: "id",
    "customer_id", "PassengerId", pandas' "Unnamed: 0"), or whole numbers that number the rows (all distinct, each
    one more than the last once sorted). Trained on as features they let a model memorise rows."""
    def numbers_rows(s: pd.Series) -> bool:
        s = s.dropna()
        return (len(s) >= MIN_ROWS and _is_number(s) and _whole(s) and s.is_unique
                and float(s.max()) - float(s.min()) == len(s) - 1)
    return [c for c in table.columns if _ID_NAME.search(str(c).strip()) or numbers_rows(table[c])]


def infer_task(target: pd.Series) -> str:
    """The task a target column suggests: "classification" or "regression".

    Classification for a non-numeric or boolean target, or a whole-number one with at most MAX_CLASSES
    distinct values; regression otherwise. Missing values are ignored.
    """
    s = target.dropna()
    if not _is_number(s):
        return "classification"
    return "classification" if _whole(s) and s.nunique() <= MAX_CLASSES else "regression"


def table_arrays(table: pd.DataFrame, target: str, task: str, notes: list[str], ignore: tuple[str, ...] = ()
                ) -> tuple[np.ndarray, np.ndarray, str, tuple[str, ...], tuple[str, ...]]:
    """Features (n, d) float64, target (n,), task, feature names and class names from a user's table.

    Every column but the target and those in `ignore` is a feature. Raises DataError for a target or an
    ignored column the table does not have, and for the problems described in the module docstring.
    """
    df = table.copy()
    df.columns = [str(c) for c in df.columns]
    for name in (target, *ignore):
        if name not in df.columns:
            raise DataError(f"There is no column {name!r}. Columns: {_quoted(list(df.columns))}.")
    df = df.drop(columns=list(ignore))  # left out before anything else: their missing values drop no rows
    notes.extend(table.attrs.get("notes", ()))
    bad = "missing or infinite values" if df.isin([np.inf, -np.inf]).to_numpy().any() else "missing values"
    df = df.replace([np.inf, -np.inf], np.nan)
    features = [c for c in df.columns if c != target]
    empty = [c for c in features if df[c].isna().all()]
    if empty:
        features = [c for c in features if c not in empty]
        notes.append(f"Ignored {_plural(len(empty), 'empty column')}: {_quoted(empty)}.")
    if not features:
        raise DataError("The table needs at least one feature column besides the target.")
    n = len(df)
    gaps = df[features + [target]].isna().sum()  # per column: the rows its gaps cost
    df = df[features + [target]].dropna()
    worst = ""  # the column that lost the most rows, so that a user knows which one to leave out or fill
    if len(df) < n:
        notes.append(f"Dropped {_plural(n - len(df), 'row')} with {bad}.")
        worst = f"The column with the most gaps: {gaps.idxmax()!r} ({_plural(int(gaps.max()), 'row')})."
        notes.append(worst)
    if len(df) < MIN_ROWS:
        if len(df) == n:
            raise DataError(f"The table has only {_plural(n, 'row')}; at least {MIN_ROWS} are needed.")
        raise DataError(f"Only {_plural(len(df), 'complete row')} left after dropping rows with {bad}; "
                        f"at least {MIN_ROWS} are needed. {worst}")
    y = df[target]
    if task == "auto":
        task = infer_task(y)
        notes.append(f"Treated {target!r} as a {task} target.")
    if task == "regression":
        if not _is_number(y):
            raise DataError(f"The target column {target!r} is not numeric, so it can't be used for regression. "
                            "Choose classification.")
        codes, classes = y.to_numpy(np.float64), ()
    else:
        try:
            codes, classes = _classes(y, target)
        except DataError as e:  # e.g. one class left: say which rows went, if any did
            raise DataError(f"{e} Dropping rows with {bad} left {_plural(len(df), 'row')}. {worst}" if worst
                            else str(e)) from None
    x, names = _encode_features(df[features], notes)
    return x, codes, task, names, classes


def _classes(y: pd.Series, target: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class ids 0..C-1 and class names: the target's distinct values, sorted, as strings."""
    n = y.nunique()
    if n > MAX_CLASSES:
        hint = " Choose regression for a numeric target." if _is_number(y) else ""
        raise DataError(f"The target column {target!r} has {n} distinct values; classification allows at most "
                        f"{MAX_CLASSES} classes.{hint}")
    if n < 2:
        raise DataError(f"The target column {target!r} has only one value; classification needs at least two "
                        "classes.")
    if _is_number(y) and _whole(y):
        y = y.astype(np.int64)  # 1.0 and 2.0 name classes "1" and "2"
    try:
        values = sorted(y.unique())
    except TypeError:  # mixed types in an object column
        values = sorted(y.unique(), key=str)
    codes = pd.Categorical(y, categories=values).codes.astype(np.int64)
    return codes, tuple(str(v) for v in values)


def _encode_features(frame: pd.DataFrame, notes: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Numeric features as they are; text features with few values one-hot encoded as 'column=value'."""
    text = [c for c in frame.columns if not is_numeric_dtype(frame[c])]
    too_many = [c for c in text if frame[c].nunique() > MAX_CATEGORIES]
    if too_many:
        raise DataError(f"Text columns with more than {MAX_CATEGORIES} distinct values can't be one-hot encoded: "
                        f"{_quoted(too_many)}. Leave them out, or turn them into numbers.")
    for c in text:
        notes.append(f"One-hot encoded column {c!r} ({_plural(frame[c].nunique(), 'value')}).")
    encoded = pd.get_dummies(frame.astype({c: str for c in text}), columns=text, prefix=text, prefix_sep="=",
                             dtype=np.float64)
    return encoded.to_numpy(np.float64), tuple(str(c) for c in encoded.columns)
