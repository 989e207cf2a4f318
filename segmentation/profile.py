"""The profile table: what each segment looks like, in the table's own units."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from segmentation.features import Feature, gender_values

__all__ = ["profile_segments", "with_overall_row", "AGE_BANDS"]

#: Age bands of the age mix: (label, lowest age, highest age exclusive).
AGE_BANDS = (("<30", -np.inf, 30), ("30-49", 30, 50), ("50+", 50, np.inf))


def _describe_groups(
    frame: pd.DataFrame,
    groups: pd.Series,
    features: Sequence[Feature],
    roles: dict[str, str],
    feature_values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Size, share, mean/median per numeric feature, age and gender mix, per group."""
    grouped_columns: dict[str, pd.Series] = {}
    sizes = groups.value_counts().sort_index()
    grouped_columns["Customers"] = sizes
    grouped_columns["Share"] = sizes / len(groups)

    feature_columns = [f.column for f in features]
    for feature in features:
        if feature.is_categorical:
            if feature.role == "gender" or feature_values is None:
                continue  # the gender mix is shown below
            # Share of every category, the last of two included.
            for category in feature.categories:
                encoded = f"{feature.column}={category}"
                if encoded in feature_values.columns:
                    share = feature_values[encoded].set_axis(frame.index)
                else:
                    others = [feature_values[c] for c in feature.encoded_columns]
                    share = (1.0 - sum(others)).set_axis(frame.index)
                grouped_columns[f"{encoded} share"] = share.groupby(groups).mean()
            continue
        column = feature.encoded_columns[0]
        if feature_values is not None:
            numbers = feature_values[column].set_axis(frame.index)
        else:
            numbers = pd.to_numeric(frame[feature.column], errors="coerce")
        values = numbers.groupby(groups)
        grouped_columns[f"{column} mean"] = values.mean()
        grouped_columns[f"{column} median"] = values.median()

    age_column = roles.get("age")
    if age_column is not None:
        ages = pd.to_numeric(frame[age_column], errors="coerce")
        if age_column not in feature_columns:
            grouped_columns[f"{age_column} mean"] = ages.groupby(groups).mean()
            grouped_columns[f"{age_column} median"] = ages.groupby(groups).median()
        for label, low, high in AGE_BANDS:
            in_band = ((ages >= low) & (ages < high)).astype("float64").where(ages.notna())
            grouped_columns[f"Age {label} share"] = in_band.groupby(groups).mean()

    gender_column = roles.get("gender")
    if gender_column is not None:
        # The same spelling rules as the features, so "F" and "Female" count together.
        genders = gender_values(frame[gender_column])
        for category in sorted({str(v) for v in genders.dropna().unique()}):
            is_category = (genders == category).astype("float64").where(genders.notna())
            grouped_columns[f"{category} share"] = is_category.groupby(groups).mean()

    return pd.DataFrame(grouped_columns)


def profile_segments(
    customers: pd.DataFrame,
    segment_numbers: np.ndarray,
    names: Sequence[str],
    features: Sequence[Feature],
    roles: dict[str, str],
    feature_values: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Summarise each segment, and the whole population the same way.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customer table (original columns and units).
    segment_numbers : numpy.ndarray of int
        Segment (1-based) of each row of ``customers``.
    names : sequence of str
        Segment names, in segment order.
    features : sequence of Feature
        Features the segments were built on; each numeric one gets a mean and
        a median column.
    roles : dict
        Classic roles of the table's columns; when an age or gender column
        exists, the profile shows the age and gender mix even if they were not
        features.
    feature_values : pandas.DataFrame, optional
        The encoded features in original units, row for row with
        ``customers``; when given, feature means come from it (so they are
        the very numbers the segment cards show), date features show their
        age in days, and categorical features their category shares.

    Returns
    -------
    profile : pandas.DataFrame
        Indexed by segment number: ``Name``, ``Customers``, ``Share``, then
        ``<column> mean``/``<column> median`` per numeric feature, the age mix
        (``Age <30 share`` ...) and the gender mix (``Female share`` ...).
    overall : pandas.Series
        The same columns for all customers together (``Name`` is "All customers").
    """
    groups = pd.Series(np.asarray(segment_numbers), index=customers.index, name="Segment")
    profile = _describe_groups(customers, groups, features, roles, feature_values)
    profile = profile.reindex(range(1, len(names) + 1))
    profile.index.name = "Segment"
    profile.insert(0, "Name", list(names))
    profile["Customers"] = profile["Customers"].fillna(0).astype("int64")
    profile["Share"] = profile["Share"].fillna(0.0)

    everyone = pd.Series(0, index=customers.index, name="Segment")
    overall = _describe_groups(customers, everyone, features, roles, feature_values).iloc[0]
    overall = pd.concat([pd.Series({"Name": "All customers"}), overall.astype("object")])
    overall["Customers"] = int(overall["Customers"])
    return profile, overall


def with_overall_row(profile: pd.DataFrame, overall: pd.Series) -> pd.DataFrame:
    """The profile with the all-customers row appended under the index label "All"."""
    row = overall.reindex(profile.columns).to_frame("All").T
    table = pd.concat([profile.astype("object"), row.astype("object")])
    table.index.name = profile.index.name
    return table
