"""Reading, recognising and validating customer tables; features, scaling, the synthetic data.

None of these tests cluster anything.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from segmentation import DataQualityWarning, SegmentationError, datasets, load_customers
from segmentation.features import Feature, Scaler, build_features, encode_for_model


@pytest.fixture
def classic() -> pd.DataFrame:
    return datasets.make_customers(40, random_state=3)


def write_csv(tmp_path, frame, name="customers.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# --- reading -----------------------------------------------------------------------------------


def test_reads_csv_and_recognises_the_classic_columns(tmp_path, classic):
    table = load_customers(write_csv(tmp_path, classic))
    assert table.roles == {
        "id": "CustomerID",
        "gender": "Gender",
        "age": "Age",
        "income": "Annual Income (k$)",
        "spending": "Spending Score (1-100)",
    }
    assert table.n_customers == 40
    assert table.source == "customers.csv"


def test_recognises_other_spellings_of_the_classic_columns():
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "Genre": ["Male", "Female", "Male"],
            "AGE": [20, 30, 40],
            "Annual Income (USD thousands)": [10, 20, 30],
            "spending score": [5, 50, 95],
        }
    )
    roles = load_customers(frame).roles
    assert roles == {
        "id": "customer_id",
        "gender": "Genre",
        "age": "AGE",
        "income": "Annual Income (USD thousands)",
        "spending": "spending score",
    }


def test_reads_tsv(tmp_path, classic):
    path = tmp_path / "customers.tsv"
    classic.to_csv(path, sep="\t", index=False)
    assert load_customers(path).n_customers == 40


def test_reads_parquet(tmp_path, classic):
    pytest.importorskip("pyarrow")
    path = tmp_path / "customers.parquet"
    classic.to_parquet(path)
    table = load_customers(path)
    assert table.n_customers == 40 and table.roles["income"] == "Annual Income (k$)"


def test_parquet_without_pyarrow_says_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "customers.parquet"
    path.write_bytes(b"not really parquet")
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    with pytest.raises(SegmentationError, match="pip install pyarrow"):
        load_customers(path)


def test_dataframe_input_is_not_modified(classic):
    before = classic.copy(deep=True)
    table = load_customers(classic)
    table.frame.iloc[0, 0] = -99
    pd.testing.assert_frame_equal(classic, before)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("CustomerID,Annual Income (k$),Spending Score (1-100)\n", "has no rows"),
        ("CustomerID,Annual Income (k$),Spending Score (1-100)\n1,15,39\n", "only 1 row"),
    ],
)
def test_empty_and_one_row_files_are_errors(tmp_path, content, message):
    path = tmp_path / "small.csv"
    path.write_text(content)
    with pytest.raises(SegmentationError, match=message):
        load_customers(path)


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(SegmentationError, match="does not exist"):
        load_customers(tmp_path / "nope.csv")
    other = tmp_path / "customers.sav"
    other.write_text("x")
    with pytest.raises(SegmentationError, match=r"unknown extension '\.sav'"):
        load_customers(other)


def test_wrong_input_type_is_an_error():
    with pytest.raises(SegmentationError, match="file path or a pandas DataFrame"):
        load_customers([[1, 2], [3, 4]])


def test_duplicate_customer_ids_are_an_error_naming_rows(classic):
    frame = classic.copy()
    frame.loc[5, "CustomerID"] = frame.loc[2, "CustomerID"]
    with pytest.raises(SegmentationError, match=r"'CustomerID' has 1 repeated ID.*rows 3, 6"):
        load_customers(frame)


def test_missing_customer_ids_are_an_error(classic):
    frame = classic.astype({"CustomerID": "float64"})
    frame.loc[7, "CustomerID"] = np.nan
    with pytest.raises(SegmentationError, match=r"'CustomerID' has 1 missing value.*row 8"):
        load_customers(frame)


def test_explicit_id_column(classic):
    frame = classic.rename(columns={"CustomerID": "Member"})
    assert "id" not in load_customers(frame).roles
    assert load_customers(frame, id_column="Member").id_column == "Member"
    with pytest.raises(SegmentationError, match="id_column 'Nope' is not a column"):
        load_customers(frame, id_column="Nope")


# --- features and validation ---------------------------------------------------------------------


def test_default_features_are_income_and_spending(classic):
    matrix = build_features(load_customers(classic))
    assert [f.column for f in matrix.features] == ["Annual Income (k$)", "Spending Score (1-100)"]
    assert list(matrix.values.columns) == ["Annual Income (k$)", "Spending Score (1-100)"]
    assert matrix.values.dtypes.eq("float64").all()


def test_age_and_gender_on_request(classic):
    matrix = build_features(load_customers(classic), ["income", "spending", "age", "gender"])
    assert list(matrix.values.columns) == [
        "Annual Income (k$)",
        "Spending Score (1-100)",
        "Age",
        "Gender=Female",
    ]
    expected = (classic["Gender"] == "Female").astype(float).to_numpy()
    np.testing.assert_array_equal(matrix.values["Gender=Female"].to_numpy(), expected)


def test_gender_spellings_are_unified():
    frame = pd.DataFrame(
        {
            "Income": [10, 20, 30, 40],
            "Spending Score": [1, 2, 3, 4],
            "Sex": ["M", "f", " Female", "male"],
        }
    )
    matrix = build_features(load_customers(frame), ["income", "gender"])
    assert matrix.features[1].categories == ("Female", "Male")
    np.testing.assert_array_equal(matrix.values["Sex=Female"], [0, 1, 1, 0])


def test_missing_feature_column_is_named_with_the_columns_present(classic):
    table = load_customers(classic)
    with pytest.raises(
        SegmentationError,
        match=r"feature 'Loyalty' is not a column.*columns present: "
        r"CustomerID, Gender, Age",
    ):
        build_features(table, ["income", "Loyalty"])


def test_keyword_for_an_absent_column_is_explained():
    frame = pd.DataFrame({"Income": [1, 2, 3], "Spending Score": [4, 5, 6]})
    with pytest.raises(
        SegmentationError, match="asks for the age column, but no column was recognised"
    ):
        build_features(load_customers(frame), ["age"])


def test_tables_without_the_classic_columns_must_name_features():
    frame = pd.DataFrame(
        {"Fresh": [1.0, 2.0, 3.0], "Milk": [3.0, 1.0, 2.0], "Region": ["a", "b", "c"]}
    )
    with pytest.raises(SegmentationError, match="numeric columns present: Fresh, Milk"):
        build_features(load_customers(frame))
    matrix = build_features(load_customers(frame), ["Fresh", "milk"])
    assert [f.column for f in matrix.features] == ["Fresh", "Milk"]
    assert all(f.role is None for f in matrix.features)


def test_the_id_column_is_never_a_feature(classic):
    with pytest.raises(
        SegmentationError, match="customer-ID column 'CustomerID'; IDs are never a feature"
    ):
        build_features(load_customers(classic), ["CustomerID", "income"])


def test_non_numeric_values_name_column_and_rows(classic):
    frame = classic.astype({"Age": "object"})
    frame.loc[[4, 9], "Age"] = ["forty", "?"]
    with pytest.raises(
        SegmentationError,
        match=r"column 'Age' has non-numeric values \('forty', '\?'\) "
        r"at rows 5, 10",
    ):
        build_features(load_customers(frame), ["income", "age"])


def test_non_numeric_values_in_a_csv_file(tmp_path, classic):
    frame = classic.astype({"Annual Income (k$)": "object"})
    frame.loc[11, "Annual Income (k$)"] = "n.a."
    path = write_csv(tmp_path, frame)
    with pytest.raises(
        SegmentationError, match=r"'Annual Income \(k\$\)' has non-numeric values.*row 12"
    ):
        build_features(load_customers(path))


def test_missing_values_are_refused_with_count_and_rows(classic):
    frame = classic.astype({"Spending Score (1-100)": "float64"})
    frame.loc[[0, 17], "Spending Score (1-100)"] = np.nan
    table = load_customers(frame)
    with pytest.raises(
        SegmentationError,
        match=r"2 customer\(s\) have missing values in "
        r"'Spending Score \(1-100\)' \(2\) at rows 1, 18",
    ):
        build_features(table)


def test_missing_values_are_dropped_when_asked_and_reported(classic):
    frame = classic.astype({"Spending Score (1-100)": "float64"})
    frame.loc[[0, 17], "Spending Score (1-100)"] = np.nan
    matrix = build_features(load_customers(frame), missing="drop")
    assert matrix.table.n_customers == 38 and len(matrix.values) == 38
    assert any(note.startswith("Dropped 2 of 40 customers") for note in matrix.table.notes)
    assert 1 not in matrix.table.frame["CustomerID"].to_list()


def test_missing_values_in_unused_columns_are_fine(classic):
    frame = classic.astype({"Age": "float64"})
    frame.loc[3, "Age"] = np.nan
    assert len(build_features(load_customers(frame)).values) == 40


def test_unknown_missing_policy_is_an_error(classic):
    with pytest.raises(SegmentationError, match="missing must be 'error' or 'drop'"):
        build_features(load_customers(classic), missing="ignore")


def test_out_of_range_values_warn_by_default_and_fail_when_strict(classic):
    frame = classic.copy()
    frame.loc[2, "Spending Score (1-100)"] = 140
    frame.loc[6, "Annual Income (k$)"] = -5
    with pytest.warns(DataQualityWarning) as caught:
        matrix = build_features(load_customers(frame))
    messages = [str(w.message) for w in caught]
    assert any(
        "'Spending Score (1-100)' has 1 value(s) outside its stated range 1-100 at row 3" in m
        for m in messages
    )
    assert any("'Annual Income (k$)' has 1 value(s) negative at row 7" in m for m in messages)
    assert len(matrix.table.notes) == 2
    with pytest.raises(SegmentationError, match="outside its stated range 1-100"):
        build_features(load_customers(frame), strict=True)


def test_negative_age_warns_even_when_age_is_not_a_feature(classic):
    frame = classic.copy()
    frame.loc[0, "Age"] = -1
    with pytest.warns(DataQualityWarning, match="'Age' has 1 value"):
        build_features(load_customers(frame))


def test_infinite_and_constant_features_are_errors(classic):
    frame = classic.astype({"Age": "float64"})
    frame.loc[1, "Age"] = np.inf
    with pytest.raises(SegmentationError, match="'Age' has infinite values at row 2"):
        build_features(load_customers(frame), ["age", "income"])
    frame = classic.assign(Age=33)
    with pytest.raises(SegmentationError, match="'Age' has the same value for every customer"):
        build_features(load_customers(frame), ["age", "income"])


def test_features_listed_twice_are_used_once(classic):
    matrix = build_features(load_customers(classic), ["income", "Annual Income (k$)", "spending"])
    assert len(matrix.features) == 2


def test_encoding_new_customers_checks_columns_and_categories(classic):
    features = [
        Feature("Annual Income (k$)", "income"),
        Feature("Gender", "gender", ("Female", "Male")),
    ]
    encoded = encode_for_model(classic, features)
    assert list(encoded.columns) == ["Annual Income (k$)", "Gender=Female"]
    with pytest.raises(SegmentationError, match="needs column 'Gender'"):
        encode_for_model(classic.drop(columns="Gender"), features)
    odd = classic.copy()
    odd.loc[0, "Gender"] = "Robot"
    with pytest.raises(SegmentationError, match="categories the model has never seen: Robot"):
        encode_for_model(odd, features)


# --- scaling --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["standard", "minmax", "none"])
def test_scaler_round_trips_and_serialises(method):
    values = np.random.default_rng(0).normal(50, 20, size=(30, 3))
    scaler = Scaler.fit(values, method)
    scaled = scaler.transform(values)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), values, rtol=1e-12)
    again = Scaler.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(again.transform(values), scaled)
    if method == "standard":
        np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(scaled.std(axis=0), 1, rtol=1e-12)
    if method == "minmax":
        np.testing.assert_allclose(scaled.min(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(scaled.max(axis=0), 1, rtol=1e-12)
    if method == "none":
        np.testing.assert_array_equal(scaled, values)


def test_unknown_scale_is_an_error():
    with pytest.raises(SegmentationError, match="scale must be one of standard, minmax, none"):
        Scaler.fit(np.ones((3, 2)), "robust")


# --- synthetic data -------------------------------------------------------------------------------


def test_synthetic_customers_have_the_classic_schema_and_label():
    customers = datasets.make_customers()
    assert list(customers.columns) == list(datasets.CLASSIC_COLUMNS)
    assert len(customers) == 200
    assert customers["CustomerID"].is_unique
    assert "synthetic" in customers.attrs["source"]
    assert customers["Spending Score (1-100)"].between(1, 100).all()
    assert customers["Annual Income (k$)"].between(15, 140).all()
    assert set(customers["Gender"]) == {"Female", "Male"}


def test_synthetic_customers_are_seeded_and_any_size():
    pd.testing.assert_frame_equal(
        datasets.make_customers(75, random_state=4), datasets.make_customers(75, random_state=4)
    )
    assert not datasets.make_customers(75, random_state=4).equals(
        datasets.make_customers(75, random_state=5)
    )
    for n in (1, 7, 1234):
        customers, groups = datasets.make_customers(n, return_groups=True)
        assert len(customers) == n == len(groups)


def test_synthetic_group_sizes_follow_the_classic_shares():
    _, groups = datasets.make_customers(200, return_groups=True)
    assert np.bincount(groups).tolist() == [81, 39, 35, 23, 22]


def test_synthetic_size_must_be_positive():
    with pytest.raises(ValueError, match="n_customers"):
        datasets.make_customers(0)


def test_row_numbers_in_messages_are_one_based():
    from segmentation.data import format_rows

    assert format_rows([0]) == "row 1"
    assert re.fullmatch(r"rows 1, 2, .* and 2 more", format_rows(range(12)))


@pytest.mark.parametrize(
    "module_name", ["segmentation.data", "segmentation.naming", "segmentation.datasets"]
)
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    outcome = doctest.testmod(importlib.import_module(module_name))
    assert outcome.attempted > 0 and outcome.failed == 0
