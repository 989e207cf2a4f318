"""The analysis end to end: choosing k, stable numbering, names, profile, the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation import (
    SegmentationError,
    SegmentModel,
    datasets,
    load_customers,
    read_model,
    segment_customers,
    write_model,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Fewer restarts and values of k where the defaults are not what a test is about: each
# parallel kernel call has a fixed cost, which dominates on 200 customers.
QUICK = {"n_init": 2, "k_range": range(1, 7)}
CLASSIC_NAMES = [
    "Low Income, Low Spending",
    "Low Income, High Spending",
    "Average Income, Average Spending",
    "High Income, Low Spending",
    "High Income, High Spending",
]


@pytest.fixture(scope="module")
def synthetic():
    return datasets.make_customers(200, random_state=0)


@pytest.fixture(scope="module")
def result(synthetic):
    return segment_customers(synthetic)


def mall_path() -> Path:
    path = DATA / "Mall_Customers.csv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path


def test_auto_k_finds_the_five_synthetic_groups(result, synthetic):
    assert result.k == 5
    assert result.selection.requested == "auto"
    assert result.selection.elbow_k == 5
    assert result.names == CLASSIC_NAMES
    assert sum(s.size for s in result.segments) == 200
    # Every true group lands in one segment.
    _, groups = datasets.make_customers(200, random_state=0, return_groups=True)
    crosstab = pd.crosstab(groups, result.labels)
    assert (crosstab.max(axis=1) / crosstab.sum(axis=1)).min() > 0.9


def test_both_curves_are_kept(result):
    selection = result.selection
    assert selection.k_values.tolist() == list(range(1, 11))
    assert np.all(np.diff(selection.inertia) <= 1e-9)
    assert np.isnan(selection.silhouette[0]) and np.isfinite(selection.silhouette[1:]).all()
    assert selection.silhouette_k == 5
    assert "k = 5" in selection.reason
    assert list(selection.to_frame().columns) == ["WCSS", "Silhouette"]


def test_same_input_same_segments_and_numbering_ignores_row_order(synthetic):
    # Default restarts: row order changes K-Means' random draws, so only a well-found
    # optimum is the same whatever the order.
    options = {"k": 5, "k_range": range(4, 7)}
    first = segment_customers(synthetic, **options)
    again = segment_customers(synthetic, **options)
    np.testing.assert_array_equal(again.labels, first.labels)
    assert again.names == first.names == CLASSIC_NAMES
    shuffled = segment_customers(synthetic.sample(frac=1.0, random_state=1), **options)
    by_id = dict(zip(first.customers["CustomerID"], first.labels))
    assert [by_id[i] for i in shuffled.customers["CustomerID"]] == shuffled.labels.tolist()


def test_segments_are_numbered_by_income_then_spending(result):
    income = [s.centroid["Annual Income (k$)"] for s in result.segments]
    spending = [s.centroid["Spending Score (1-100)"] for s in result.segments]
    assert max(income[:2]) < income[2] < min(income[3:])
    assert spending[0] < spending[1] and spending[3] < spending[4]


def test_results_are_in_original_units(result):
    values = result.feature_values
    for segment in result.segments:
        members = values[result.labels == segment.number]
        np.testing.assert_allclose(
            segment.centroid.to_numpy(), members.mean().to_numpy(), rtol=1e-9
        )
        assert result.profile.loc[segment.number, "Annual Income (k$) mean"] == pytest.approx(
            segment.centroid["Annual Income (k$)"]
        )


def test_profile_table(result):
    profile = result.profile
    assert profile.index.tolist() == [1, 2, 3, 4, 5]
    assert profile["Name"].tolist() == CLASSIC_NAMES
    assert profile["Customers"].sum() == 200
    assert profile["Share"].sum() == pytest.approx(1.0)
    for column in (
        "Annual Income (k$) median",
        "Spending Score (1-100) median",
        "Age mean",
        "Age median",
        "Age <30 share",
        "Female share",
        "Male share",
    ):
        assert column in profile.columns
    shares = profile[["Age <30 share", "Age 30-49 share", "Age 50+ share"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    assert result.overall["Customers"] == 200 and result.overall["Name"] == "All customers"


def test_customer_table_gets_segment_columns_and_input_is_untouched(synthetic, result):
    before = synthetic.copy(deep=True)
    segment_customers(synthetic, k=3, **QUICK)
    pd.testing.assert_frame_equal(synthetic, before)
    assert list(result.customers.columns[-2:]) == ["Segment", "Segment Name"]
    assert (result.customers["Segment Name"] == [result.names[n - 1] for n in result.labels]).all()


def test_the_model_assigns_its_own_customers_to_their_segments(result, synthetic, tmp_path):
    np.testing.assert_array_equal(result.model.predict(synthetic), result.labels)
    path = write_model(result.model, tmp_path / "model.json")
    loaded = read_model(path)
    assert isinstance(loaded, SegmentModel)
    assert loaded.names == result.names
    assigned = loaded.assign(synthetic.head(7))
    assert assigned["Segment"].tolist() == result.labels[:7].tolist()
    assert list(assigned.columns[:5]) == list(synthetic.columns)
    description = result.model.to_dict()
    assert description["scaler"]["method"] == "auto"
    assert description["scaler"]["column_methods"] == ["standard", "standard"]
    assert description["segments"][0]["name"] == "Low Income, Low Spending"
    assert len(description["segments"][0]["center_original"]) == 2


def test_model_file_errors(tmp_path):
    with pytest.raises(SegmentationError, match="does not exist"):
        read_model(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SegmentationError, match="not valid JSON"):
        read_model(bad)
    bad.write_text('{"format": "something else"}')
    with pytest.raises(SegmentationError, match="not a segmentation model"):
        read_model(bad)


def test_fixed_k_still_reports_the_curves(synthetic):
    result = segment_customers(synthetic, k=3, n_init=2)
    assert result.k == 3 and len(set(result.names)) == 3
    assert result.selection.requested == 3
    assert result.selection.reason.startswith("k = 3 was requested")
    assert result.selection.k_values.tolist() == list(range(1, 11))


def test_age_and_gender_features(synthetic):
    result = segment_customers(
        synthetic, features=["income", "spending", "age", "gender"], k=5, **QUICK
    )
    assert [f.column for f in result.features] == [
        "Annual Income (k$)",
        "Spending Score (1-100)",
        "Age",
        "Gender",
    ]
    assert len(set(result.names)) == 5
    assert all(
        name.startswith(("Low Income", "Average Income", "High Income")) for name in result.names
    )
    assert result.model.predict(synthetic).tolist() == result.labels.tolist()


@pytest.mark.parametrize("scale", ["none", "minmax"])
def test_other_scalings_find_the_same_personas(synthetic, scale):
    result = segment_customers(synthetic, k=5, scale=scale, **QUICK)
    assert result.names == CLASSIC_NAMES
    assert result.model.scaler.method == scale


def test_missing_values_dropped_on_request(synthetic):
    frame = synthetic.astype({"Annual Income (k$)": "float64"})
    frame.loc[[3, 4], "Annual Income (k$)"] = np.nan
    with pytest.raises(SegmentationError, match="missing values"):
        segment_customers(frame)
    result = segment_customers(frame, missing="drop", k=5, **QUICK)
    assert len(result.customers) == 198
    assert any("Dropped 2 of 200" in note for note in result.notes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be 'auto' or a positive integer"),
        ({"k": "many"}, "k must be 'auto' or a positive integer"),
        ({"k": 2.5}, "k must be 'auto' or a positive integer"),
        ({"scale": "cube-root"}, "scale must be one of"),
        ({"n_init": 0}, "n_init must be a positive integer"),
        ({"k_range": []}, "k_range"),
        ({"silhouette_sample_size": 1}, "silhouette_sample_size"),
    ],
)
def test_parameter_errors_name_the_parameter(synthetic, kwargs, message):
    with pytest.raises(SegmentationError, match=message):
        segment_customers(synthetic, **kwargs)


def test_small_tables():
    frame = pd.DataFrame(
        {"Annual Income (k$)": [10, 80, 20], "Spending Score (1-100)": [90, 10, 85]}
    )
    result = segment_customers(frame, k=2)
    assert result.k == 2 and sorted(s.size for s in result.segments) == [1, 2]
    with pytest.raises(SegmentationError, match="needs at least 3 values of k"):
        segment_customers(frame.head(2))
    with pytest.raises(SegmentationError, match="k = 4 is more than the 3 distinct customers"):
        segment_customers(frame, k=4)


def test_table_of_identical_customers_is_an_error():
    frame = pd.DataFrame({"Annual Income (k$)": [10, 10, 10], "Spending Score (1-100)": [5, 5, 5]})
    with pytest.raises(SegmentationError, match="same value for every customer"):
        segment_customers(frame)


def test_a_customer_table_object_is_accepted(synthetic):
    table = load_customers(synthetic)
    assert segment_customers(table, k=2, **QUICK).k == 2


def test_mall_customers_gives_the_classic_five_personas():
    result = segment_customers(mall_path())
    assert result.k == 5
    assert result.selection.elbow_k == 5 and result.selection.silhouette_k == 5
    assert result.selection.silhouette[4] == pytest.approx(0.55, abs=0.01)
    assert result.names == CLASSIC_NAMES
    assert [s.size for s in result.segments] == [23, 22, 81, 35, 39]
    expected = [(26, 21), (26, 79), (55, 50), (88, 17), (87, 82)]
    for segment, (income, score) in zip(result.segments, expected):
        assert segment.centroid["Annual Income (k$)"] == pytest.approx(income, abs=1.5)
        assert segment.centroid["Spending Score (1-100)"] == pytest.approx(score, abs=1.5)


def test_mall_customers_with_raw_units_agrees():
    result = segment_customers(mall_path(), scale="none", n_init=3)
    assert result.k == 5 and result.names == CLASSIC_NAMES


def test_wholesale_customers_with_named_features():
    path = DATA / "Wholesale_customers_data.csv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    features = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    with pytest.raises(SegmentationError, match="name the feature columns"):
        segment_customers(path)
    result = segment_customers(path, features=features, k=4, **QUICK)
    assert result.k == 4 and len(set(result.names)) == 4
    assert result.profile["Customers"].sum() == 440
    assert "Age mean" not in result.profile.columns


@pytest.mark.parametrize("module_name", ["segmentation.analysis", "segmentation.model"])
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    outcome = doctest.testmod(importlib.import_module(module_name))
    assert outcome.attempted > 0 and outcome.failed == 0
