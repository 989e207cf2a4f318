"""Segment names, descriptions and actions from centroids (no clustering needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.features import Feature
from segmentation.naming import NO_ACTION, feature_levels, name_segments

INCOME = Feature("Annual Income (k$)", "income")
SPENDING = Feature("Spending Score (1-100)", "spending")
AGE = Feature("Age", "age")
GENDER = Feature("Gender", "gender", ("Female", "Male"))

# Population of the Mall Customers table (mean, population standard deviation).
MALL_MEAN = pd.Series({"Annual Income (k$)": 60.56, "Spending Score (1-100)": 50.2})
MALL_STD = pd.Series({"Annual Income (k$)": 26.2, "Spending Score (1-100)": 25.8})


def names_of(features, centroids, mean, std):
    return [label.name for label in name_segments(features, centroids, mean, std)]


def test_the_five_classic_personas():
    centroids = pd.DataFrame(
        [[26.3, 20.9], [25.7, 79.4], [55.3, 49.5], [88.2, 17.1], [86.5, 82.1]],
        columns=MALL_MEAN.index,
    )
    labels = name_segments([INCOME, SPENDING], centroids, MALL_MEAN, MALL_STD)
    assert [label.name for label in labels] == [
        "Low Income, Low Spending",
        "Low Income, High Spending",
        "Average Income, Average Spending",
        "High Income, Low Spending",
        "High Income, High Spending",
    ]
    actions = [label.action.lower() for label in labels]
    assert "basic offers" in actions[0]
    assert "discounts" in actions[1] and "loyalty" in actions[1]
    assert "up-sell" in actions[2]
    assert "premium engagement" in actions[3]
    assert "exclusive offers" in actions[4] and "retain" in actions[4]
    # Descriptions quote the numbers in original units.
    assert "mean Annual Income (k$) 26.3 vs 60.6 overall" in labels[0].description


def test_levels_use_half_a_standard_deviation():
    centroids = pd.DataFrame([[60.56 + 0.49 * 26.2, 50.2 - 0.51 * 25.8]], columns=MALL_MEAN.index)
    assert feature_levels([INCOME, SPENDING], centroids, MALL_MEAN, MALL_STD).tolist() == [[0, -1]]
    assert names_of([INCOME, SPENDING], centroids, MALL_MEAN, MALL_STD) == [
        "Average Income, Low Spending"
    ]


def test_namesakes_get_the_finer_scale_then_numbers():
    # Three high/high segments: one very high in both, two that only a number tells apart.
    centroids = pd.DataFrame(
        [[60.56 + 2 * 26.2, 50.2 + 2 * 25.8], [90.0, 80.0], [90.0, 80.0]], columns=MALL_MEAN.index
    )
    assert names_of([INCOME, SPENDING], centroids, MALL_MEAN, MALL_STD) == [
        "Very High Income, Very High Spending",
        "High Income, High Spending (1)",
        "High Income, High Spending (2)",
    ]


def test_namesakes_are_told_apart_by_another_feature_first():
    features = [INCOME, SPENDING, AGE, GENDER]
    columns = ["Annual Income (k$)", "Spending Score (1-100)", "Age", "Gender=Female"]
    mean = pd.Series([60.56, 50.2, 38.85, 0.56], index=columns)
    std = pd.Series([26.2, 25.8, 13.9, 0.496], index=columns)
    centroids = pd.DataFrame(
        [[25.0, 80.0, 25.0, 0.6], [25.0, 80.0, 55.0, 0.6], [55.0, 50.0, 39.0, 0.9]], columns=columns
    )
    assert names_of(features, centroids, mean, std) == [
        "Low Income, High Spending, Younger",
        "Low Income, High Spending, Older",
        "Average Income, Average Spending, Mostly Female",
    ]


def test_general_rule_for_other_features():
    features = [Feature(c) for c in ("Fresh", "Milk", "Grocery", "Frozen")]
    mean = pd.Series(100.0, index=[f.column for f in features])
    std = pd.Series(10.0, index=mean.index)
    centroids = pd.DataFrame(
        [[130.0, 100.0, 100.0, 93.0], [100.0, 101.0, 99.0, 100.0], [80.0, 120.0, 125.0, 100.0]],
        columns=mean.index,
    )
    labels = name_segments(features, centroids, mean, std)
    assert [label.name for label in labels] == [
        "High Fresh, Low Frozen",
        "Average Profile",
        "High Grocery, Low Fresh, High Milk",
    ]
    assert labels[0].description.startswith("Stands out for high Fresh and low Frozen")
    # Column names say nothing about what a business should do: no invented actions.
    assert all(label.action == NO_ACTION for label in labels)
    assert labels[1].description.startswith("Close to the overall average")


def test_few_features_are_all_named():
    features = [Feature("Fresh"), Feature("Milk")]
    mean = pd.Series({"Fresh": 10.0, "Milk": 10.0})
    std = pd.Series({"Fresh": 1.0, "Milk": 1.0})
    centroids = pd.DataFrame({"Fresh": [12.0, 10.0], "Milk": [10.0, 8.0]})
    assert names_of(features, centroids, mean, std) == [
        "High Fresh, Average Milk",
        "Average Fresh, Low Milk",
    ]


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 150), st.floats(1, 100)),
        min_size=1,
        max_size=12,
    )
)
def test_names_never_collide(points):
    centroids = pd.DataFrame(points, columns=MALL_MEAN.index)
    names = names_of([INCOME, SPENDING], centroids, MALL_MEAN, MALL_STD)
    assert len(set(names)) == len(names)
    assert all(names)


@settings(deadline=None)
@given(st.integers(1, 10), st.integers(0, 2**32 - 1))
def test_names_never_collide_with_many_features(n_segments, seed):
    rng = np.random.default_rng(seed)
    features = [Feature(f"x{i}") for i in range(5)]
    mean = pd.Series(0.0, index=[f.column for f in features])
    std = pd.Series(1.0, index=mean.index)
    # Coarse values make namesakes likely.
    centroids = pd.DataFrame(rng.choice([-1.0, 0.0, 1.0], size=(n_segments, 5)), columns=mean.index)
    names = names_of(features, centroids, mean, std)
    assert len(set(names)) == len(names)
    # Not even the same words in another order.
    assert len({frozenset(name.split(", ")) for name in names}) == len(names)


def test_correlated_features_are_not_named_twice():
    features = [Feature(c) for c in ("Purchases", "OneOff", "Balance", "Tenure")]
    mean = pd.Series(0.0, index=[f.column for f in features])
    std = pd.Series(1.0, index=mean.index)
    centroids = pd.DataFrame([[2.0, 1.9, 1.0, 0.0], [-2.0, -1.9, -1.0, 0.0]], columns=mean.index)
    correlation = pd.DataFrame(np.eye(4), index=mean.index, columns=mean.index)
    assert names_of(features, centroids, mean, std) == [
        "High Purchases, High OneOff, High Balance",
        "Low Purchases, Low OneOff, Low Balance",
    ]
    correlation.loc["Purchases", "OneOff"] = correlation.loc["OneOff", "Purchases"] = 0.95
    labels = name_segments(features, centroids, mean, std, correlation=correlation)
    assert [label.name for label in labels] == [
        "High Purchases, High Balance",
        "Low Purchases, Low Balance",
    ]
