"""Tests for playground.mlp.data and playground.mlp.tables: built-in datasets, splitting and scaling, CSV reading
and encoding."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from playground.mlp.config import CLASSIFICATION_2D, DATASETS, REGRESSION_2D, TABULAR, DataConfig
from playground.mlp.data import (
    GENERATORS,
    LOADERS,
    MAX_CLASSES,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    DataError,
    Dataset,
    infer_task,
    make_dataset,
    read_csv,
)

BUILT_IN = CLASSIFICATION_2D + REGRESSION_2D + TABULAR


def small(dataset: str, **kw) -> DataConfig:
    return DataConfig(dataset=dataset, n_samples=kw.pop("n_samples", 200), **kw)


def csv_bytes(df: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return df.to_csv(index=False).encode(encoding)


def table(n: int = 40) -> pd.DataFrame:
    """A mixed table: two numeric features, a text feature and a text target."""
    i = np.arange(n)
    return pd.DataFrame({
        "height": i * 1.5,
        "weight": (i % 7) * 2.0,
        "colour": np.array(["red", "green", "blue"])[i % 3],
        "label": np.where(i % 2 == 0, "cat", "dog"),
    })


def test_importing_data_does_not_import_streamlit():
    code = "import sys, playground.mlp.data; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])


def test_registries_cover_config_names():
    assert set(GENERATORS) | set(LOADERS) == set(BUILT_IN)
    assert set(BUILT_IN) | {"csv"} == set(DATASETS)


@pytest.mark.parametrize("name", BUILT_IN)
def test_shapes_and_dtypes(name):
    d = make_dataset(small(name))
    assert isinstance(d, Dataset)
    n_train, n_test = len(d.y_train), len(d.y_test)
    assert d.x_train.shape == (n_train, d.n_features) and d.x_test.shape == (n_test, d.n_features)
    assert d.x_train.dtype == np.float32 and d.x_test.dtype == np.float32
    assert len(d.feature_names) == d.n_features
    assert np.isfinite(d.x_train).all() and np.isfinite(d.x_test).all()
    if name in REGRESSION_2D:
        assert d.task == "regression" and d.class_names == () and d.n_classes == 0
        assert d.y_train.dtype == np.float32 and d.y_test.dtype == np.float32
    else:
        assert d.task == "classification" and d.n_classes == len(d.class_names) >= 2
        assert d.y_train.dtype == np.int64 and d.y_test.dtype == np.int64
        assert set(np.unique(d.y_train)) == set(range(d.n_classes))
    if name in TABULAR:
        assert d.notes == ()
    else:
        assert d.n_features == 2 and d.feature_names == ("x1", "x2")
        assert n_train + n_test == 200


def test_tabular_names():
    iris = make_dataset(small("iris"))
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    assert iris.feature_names[0] == "sepal length (cm)" and iris.n_features == 4
    digits = make_dataset(small("digits"))
    assert digits.class_names == tuple(str(i) for i in range(10)) and digits.n_features == 64


@pytest.mark.parametrize("name", BUILT_IN)
def test_same_config_same_arrays(name):
    a, b = make_dataset(small(name, seed=3)), make_dataset(small(name, seed=3))
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("name", BUILT_IN)
def test_seed_changes_data(name):
    a, b = make_dataset(small(name, seed=1)), make_dataset(small(name, seed=2))
    assert not np.array_equal(a.x_train, b.x_train)


def test_no_global_rng_used():
    np.random.seed(0)
    a = make_dataset(small("spiral"))
    np.random.seed(1)
    b = make_dataset(small("spiral"))
    np.testing.assert_array_equal(a.x_train, b.x_train)


def test_stratified_split_fraction():
    d = make_dataset(small("blobs", n_samples=300, n_classes=3, test_fraction=0.2))
    assert len(d.y_test) == math.ceil(0.2 * 300)
    np.testing.assert_array_equal(np.bincount(d.y_test), [20, 20, 20])
    np.testing.assert_array_equal(np.bincount(d.y_train), [80, 80, 80])


def test_scaler_fitted_on_train_only():
    d = make_dataset(small("moons", n_samples=400))
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(d.x_train.std(axis=0), 1.0, atol=1e-4)
    # Had the test split been part of the fit, its mean would not differ from the train mean this much.
    assert np.abs(d.x_test.mean(axis=0)).max() > 1e-3


def test_regression_targets_standardised():
    for name in REGRESSION_2D:
        d = make_dataset(small(name, n_samples=500))
        assert abs(float(d.y_train.mean())) < 1e-5 and abs(float(d.y_train.std()) - 1.0) < 1e-4
        assert abs(float(d.y_test.mean())) > 1e-4  # scaled with train statistics, not its own


@pytest.mark.parametrize("name", ["blobs", "spiral", "gaussian"])
@pytest.mark.parametrize("k", [2, 5])
def test_class_counts_follow_n_classes(name, k):
    d = make_dataset(small(name, n_classes=k))
    assert d.n_classes == k and d.class_names == tuple(str(i) for i in range(k))
    assert len(np.unique(np.concatenate([d.y_train, d.y_test]))) == k


def test_noise_zero_xor_is_separable_by_quadrant():
    d = make_dataset(small("xor", noise=0.0))
    # Scaling keeps signs roughly (means near 0), so most points sit in their class's quadrants.
    same_sign = (d.x_train[:, 0] * d.x_train[:, 1] > 0).astype(np.int64)
    assert (same_sign == d.y_train).mean() > 0.9


# --- CSV reading ---------------------------------------------------------------------------------


def test_csv_with_row_names_one_field_left_of_the_header_reads_them_as_the_index():
    table = read_csv(b"x,y,label\n" + b"".join(b"r%d,%d,2,a\n" % (i, i) for i in range(20)), "r.csv")
    assert list(table.columns) == ["x", "y", "label"] and table["x"].tolist() == list(range(20))


def test_csv_round_trip():
    df = table()
    got = read_csv(csv_bytes(df), "pets.csv")
    assert list(got.columns) == list(df.columns) and len(got) == len(df)
    d = make_dataset(DataConfig(dataset="csv", target="label"), got)
    assert d.task == "classification" and d.class_names == ("cat", "dog")
    assert d.feature_names == ("height", "weight", "colour=blue", "colour=green", "colour=red")
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert len(d.y_train) + len(d.y_test) == 40


def test_csv_semicolon_delimiter_and_bom():
    got = read_csv("\ufeffa;b;c\n1;2;x\n3;4;y\n".encode())
    assert list(got.columns) == ["a", "b", "c"] and got["b"].tolist() == [2, 4]


def test_csv_with_semicolons_and_decimal_commas_reads_numbers_and_says_so():
    got = read_csv(b"a;b;c\n0,5;2;x\n1,25;4;y\n", "eu.csv")
    assert got["a"].tolist() == [0.5, 1.25] and got["b"].tolist() == [2, 4]
    assert got.attrs["notes"] == ("Read decimal commas in eu.csv as decimal points (0,5 as 0.5).",)
    got = read_csv(b"a;b;c\n0.5;2;x\n1.25;4;y\n", "points.csv")  # decimal points with semicolons: as written
    assert got["a"].tolist() == [0.5, 1.25] and "notes" not in got.attrs


def test_latin1_csv_is_read():
    raw = "name,größe,ok\nJosé,1.5,1\nZoë,2.5,0\n".encode("latin-1")
    got = read_csv(raw)
    assert list(got.columns) == ["name", "größe", "ok"] and got["name"].tolist() == ["José", "Zoë"]
    assert "not valid UTF-8" in got.attrs["notes"][0]


def test_columns_with_the_same_name_get_a_note_that_names_them():
    rows = "\n".join(f"{i},{i % 7},{'a' if i % 2 else 'b'}" for i in range(40))
    table = read_csv(f"x,x,label\n{rows}\n".encode(), "dup.csv")
    assert list(table.columns) == ["x", "x.1", "label"]  # pandas tells them apart
    d = make_dataset(DataConfig(dataset="csv", target="label"), table)
    [note] = [n for n in d.notes if "same name" in n]
    assert "'x', read as 'x', 'x.1'" in note and "label" not in note
    assert "notes" not in read_csv(f"x,y,label\n{rows}\n".encode()).attrs  # distinct names: no note


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", ["empty"]),
        (b"  \n\n", ["empty"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["doesn't look like a CSV"]),
        (b"PK\x03\x04\x14\x00\x06\x00", ["doesn't look like a CSV"]),
        (b"a,b\n1,\x002\n", ["doesn't look like a CSV"]),
        (b"a,b\n1,2\n3,4,5,6\n", ["Could not read", "line 3"]),
        (b'a,b\n"1,2\n', ["Could not read"]),
        (b"only\n1\n2\n", ["one column", "at least two"]),
        (b"a,b\n", ["no data rows"]),
        (b"x,y,label\n" + b"1,2,a,9,9\n" * 20, ["have 2 more fields than its header row has names"]),
    ],
)
def test_bad_csv_gives_clear_message(raw, words):
    with pytest.raises(DataError) as e:
        read_csv(raw, "bad.csv")
    for w in words:
        assert w in str(e.value)


def test_csv_size_limits():
    with pytest.raises(DataError, match="5 MB"):
        read_csv(b"a,b\n" + b"1,2\n" * (MAX_UPLOAD_BYTES // 4 + 1))
    with pytest.raises(DataError, match=f"{MAX_ROWS:,} rows"):
        read_csv(b"a,b\n" + b"1,2\n" * (MAX_ROWS + 1))
    wide = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n" + ",".join("1" * (MAX_COLUMNS + 1)) + "\n"
    with pytest.raises(DataError, match=f"{MAX_COLUMNS} columns"):
        read_csv(wide.encode())


# --- CSV to dataset ------------------------------------------------------------------------------


def test_csv_needs_table_and_existing_target():
    with pytest.raises(DataError, match="Upload"):
        make_dataset(DataConfig(dataset="csv", target="label"))
    with pytest.raises(DataError, match="'height'"):
        make_dataset(DataConfig(dataset="csv", target="nope"), table())


def test_csv_left_out_columns_are_not_features_and_drop_no_rows():
    df = table()
    df.insert(0, "id", range(len(df)))
    df.loc[[2, 3], "id"] = np.nan  # an incomplete column left out costs no rows
    got = read_csv(csv_bytes(df))
    d = make_dataset(DataConfig(dataset="csv", target="label", ignore=("id", "weight")), got)
    assert d.feature_names == ("height", "colour=blue", "colour=green", "colour=red")
    assert len(d.y_train) + len(d.y_test) == 40 and not any("Dropped" in n for n in d.notes)
    with pytest.raises(DataError, match="no column 'nope'"):
        make_dataset(DataConfig(dataset="csv", target="label", ignore=("nope",)), got)
    with pytest.raises(DataError, match="at least one feature"):
        make_dataset(DataConfig(dataset="csv", target="label", ignore=("id", "height", "weight", "colour")), got)


def test_messages_name_the_column_whose_gaps_dropped_the_rows():
    df = table()
    df["note"] = [None if i % 2 else "x" for i in range(len(df))]  # a text column empty in every other row
    df["label"] = ["cat" if i % 2 else "dog" for i in range(len(df))]  # the rows left are all "dog"
    with pytest.raises(DataError, match=r"only one value.*left 20 rows\. The column with the most gaps: 'note'"):
        make_dataset(DataConfig(dataset="csv", target="label"), read_csv(csv_bytes(df)))
    d = make_dataset(DataConfig(dataset="csv", target="label", ignore=("note",)), read_csv(csv_bytes(df)))
    assert d.n_classes == 2  # leaving the column out keeps every row
    df.loc[[1, 2], "height"] = np.nan
    df["label"] = ["cat" if i % 3 else "dog" for i in range(len(df))]
    d = make_dataset(DataConfig(dataset="csv", target="label"), read_csv(csv_bytes(df)))
    assert "The column with the most gaps: 'note' (20 rows)." in d.notes


def test_missing_values_dropped_with_note():
    df = table()
    df.loc[[1, 5, 9], "height"] = np.nan
    df.loc[5, "colour"] = None
    d = make_dataset(DataConfig(dataset="csv", target="label"), read_csv(csv_bytes(df)))
    assert "Dropped 3 rows with missing values." in d.notes  # rows 1, 5 and 9

    df.loc[12, "weight"] = np.inf
    d = make_dataset(DataConfig(dataset="csv", target="label"), read_csv(csv_bytes(df)))
    assert "Dropped 4 rows with missing or infinite values." in d.notes  # and row 12
    assert len(d.y_train) + len(d.y_test) == 36
    assert np.isfinite(d.x_train).all()


def test_too_few_rows_after_dropping():
    df = table(12)
    df.loc[:5, "weight"] = np.nan
    with pytest.raises(DataError, match="Only 6 complete rows left after dropping rows with missing values"):
        make_dataset(DataConfig(dataset="csv", target="label"), df)


def test_too_few_rows_with_none_missing_says_so():
    with pytest.raises(DataError) as e:
        make_dataset(DataConfig(dataset="csv", target="label"), table(4))
    assert str(e.value) == "The table has only 4 rows; at least 10 are needed."


def test_categorical_feature_one_hot_encoded():
    d = make_dataset(DataConfig(dataset="csv", target="label"), table())
    assert "One-hot encoded column 'colour' (3 values)." in d.notes
    onehot = np.concatenate([d.x_train, d.x_test])[:, 2:5]
    assert len(np.unique(onehot.round(4), axis=0)) == 3  # one pattern per colour, after scaling


def test_text_column_with_many_values_refused():
    df = table()
    df["name"] = [f"pet {i}" for i in range(len(df))]
    with pytest.raises(DataError, match="'name'") as e:
        make_dataset(DataConfig(dataset="csv", target="label"), df)
    assert "one-hot" in str(e.value)


def test_one_class_target_refused():
    df = table()
    df["label"] = "cat"
    with pytest.raises(DataError, match="at least two classes"):
        make_dataset(DataConfig(dataset="csv", target="label"), df)


def test_classification_with_too_many_values_refused():
    df = table()
    with pytest.raises(DataError, match=f"at most {MAX_CLASSES}"):
        make_dataset(DataConfig(dataset="csv", target="height", task="classification"), df)


def test_regression_with_text_target_refused():
    with pytest.raises(DataError, match="'label'.*not numeric"):
        make_dataset(DataConfig(dataset="csv", target="label", task="regression"), table())


def test_csv_regression_standardises_target():
    d = make_dataset(DataConfig(dataset="csv", target="height"), table())
    assert d.task == "regression" and d.class_names == () and d.y_train.dtype == np.float32
    assert abs(float(d.y_train.mean())) < 1e-5
    assert any("Standardised the target" in n for n in d.notes)


def test_numeric_class_names_sorted_by_value():
    df = table()
    df["label"] = np.array([10, 2, 1])[np.arange(len(df)) % 3]
    d = make_dataset(DataConfig(dataset="csv", target="label"), df)
    assert d.class_names == ("1", "2", "10")
    assert "Treated 'label' as a classification target." in d.notes


def test_constant_feature_gives_no_nan():
    df = table()
    df["const"] = 7.0
    d = make_dataset(DataConfig(dataset="csv", target="label"), df)
    assert np.isfinite(d.x_train).all() and np.isfinite(d.x_test).all()


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["a", "b", "a"], "classification"),
        ([True, False, True], "classification"),
        ([0, 1, 2, 1, 0], "classification"),
        ([0.0, 1.0, 2.0, None], "classification"),
        ([0.5, 1.25, 3.0], "regression"),
        (list(range(MAX_CLASSES + 1)), "regression"),
        (list(range(MAX_CLASSES)), "classification"),
    ],
)
def test_infer_task(values, task):
    assert infer_task(pd.Series(values)) == task


def test_csv_values_too_large_to_standardise_name_their_column():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"small": rng.normal(size=60), "huge": rng.normal(size=60) * 1e200,
                       "label": np.arange(60) % 2})
    with pytest.raises(DataError, match=r"Values too large to standardise in 'huge': divide"):
        make_dataset(DataConfig(dataset="csv", target="label"), df)
    df["y"] = rng.normal(size=60) * 1e200  # a regression target that large
    with pytest.raises(DataError, match="Values too large to standardise in the target"):
        make_dataset(DataConfig(dataset="csv", target="y", task="regression", ignore=("huge",)), df)
    df["huge"] *= 1e-190  # scaled down, the same table trains
    assert make_dataset(DataConfig(dataset="csv", target="label", ignore=("y",)), df).n_features == 2


def test_id_like_names_row_identifiers_not_features():
    from playground.mlp.tables import id_like

    n = 30
    table = pd.DataFrame({
        "id": np.arange(n) * 7,  # by its name, though it does not count rows
        "row": np.arange(5, 5 + n)[::-1],  # counts rows (any order)
        "Unnamed: 0": np.arange(n),  # pandas' name for a saved index
        "customer_id": np.arange(n) % 3,
        "idea": np.arange(n),  # counts rows, whatever its name
        "width": np.arange(n) * 0.5,  # not whole
        "age": np.arange(n) + (np.arange(n) > 10),  # whole and distinct, with a gap
        "grade": np.arange(n) % 5,  # repeats
        "PassengerId": np.arange(n) % 4,  # camel case
        "paid": np.arange(n) % 2,  # ends in "id", but not an id
    })
    assert id_like(table) == ["id", "row", "Unnamed: 0", "customer_id", "idea", "PassengerId"]
    assert id_like(pd.DataFrame({"x": [1, 2, 3]})) == []  # too few rows to say
