"""Business names, descriptions and suggested actions for segments.

The naming rule
---------------
Each feature of a segment's centroid is compared with the whole population:

* a numeric feature by its z-score, ``(centroid - population mean) / population
  standard deviation``: below -0.5 is *Low*, above +0.5 is *High*, in between
  *Average*; beyond +-1.5 is *Very Low* / *Very High*, a finer scale used only
  to tell apart segments that would otherwise share a name. Age says
  *Younger* / *Average Age* / *Older* (and *Much Younger* / *Much Older*).
* a categorical feature (gender) by its shares: a category held by at least
  two thirds of the segment makes it *Mostly Female* (say), otherwise the
  segment is *Mixed Gender*.

Income and spending are always named, in that order ("Low Income, High
Spending"), as are all features when there are at most three; with more
features, the name lists the (up to three) features that stand out most, by
absolute z-score, and a segment where nothing stands out is "Average Profile".
Names never collide (nor differ only in word order): segments that would share
a name are described on the finer scale, then with more features, and as a
last resort get a number "(1)", "(2)" in segment order.

Descriptions and actions follow the classic income/spending personas (discounts
and loyalty for low income/high spending, premium engagement for high
income/low spending, up-selling for the average, retention and exclusive offers
for high/high, basic offers for low/low). RFM segments (features with the roles
recency, frequency and monetary) are named and given actions from the usual
RFM personas (Champions, Loyal, New, At Risk, Hibernating...). Other feature
sets get a description built from what stands out but **no suggested action**:
a column called "Kidhome" or "CASH_ADVANCE" says nothing about what a business
should do, so actions are only suggested when the columns' roles are known.

:func:`segment_drivers` lists, per segment, the features whose segment mean
is furthest from the overall mean in standard deviations (the z-scores the
names come from).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.features import Feature

__all__ = [
    "SegmentLabel",
    "name_segments",
    "feature_levels",
    "segment_drivers",
    "AVERAGE_BAND",
    "VERY_BAND",
    "NO_ACTION",
    "RFM_ROLES",
]

#: |z| below this is "Average".
AVERAGE_BAND = 0.5
#: |z| at or above this is "Very Low"/"Very High" on the finer scale.
VERY_BAND = 1.5
# A category held by this share of a segment makes it "Mostly <category>".
_MOSTLY_SHARE = 2 / 3
# Longest name built before collisions force more words.
_MAX_PARTS = 3

_LEVEL_WORDS = {-2: "Very Low", -1: "Low", 0: "Average", 1: "High", 2: "Very High"}
_AGE_WORDS = {-2: "Much Younger", -1: "Younger", 0: "Average Age", 1: "Older", 2: "Much Older"}

# (income level, spending level) -> (description, suggested action), levels in -1, 0, 1.
_PERSONAS = {
    (-1, 1): (
        "Enthusiastic shoppers on a budget: low income but a high spending score.",
        "Reward and retain them with discounts, loyalty points and value bundles; "
        "keep an eye on price sensitivity.",
    ),
    (1, -1): (
        "Affluent but reserved: high income and a low spending score, the largest "
        "untapped potential.",
        "Premium engagement: personalised high-end offers, quality and service "
        "messaging, VIP invitations to win a bigger share of their budget.",
    ),
    (0, 0): (
        "The middle of the market: average income and an average spending score.",
        "Up-sell and cross-sell: recommend complementary products and step-up ranges.",
    ),
    (1, 1): (
        "The most valuable customers: high income and a high spending score.",
        "Retain them: exclusive offers, early access and a premium loyalty tier.",
    ),
    (-1, -1): (
        "Budget-conscious customers: low income and a low spending score.",
        "Basic offers: low-cost value deals through inexpensive channels; do not over-invest.",
    ),
    (-1, 0): (
        "Lower income with an average spending score.",
        "Value bundles and price promotions to grow the basket within their budget.",
    ),
    (1, 0): (
        "Higher income with an average spending score.",
        "Show premium ranges and up-sell to higher tiers.",
    ),
    (0, 1): (
        "Average income with a high spending score.",
        "Loyalty rewards and cross-selling to keep their spending high.",
    ),
    (0, -1): (
        "Average income with a low spending score.",
        "Re-engagement campaigns with targeted promotions to lift their spending.",
    ),
}


#: The action shown when the columns' business roles are unknown.
NO_ACTION = (
    "No action suggested: the business meaning of these columns is not known. Actions are "
    "suggested for the classic income/spending columns and for RFM (kmeans-segment rfm)."
)
#: The roles of an RFM analysis.
RFM_ROLES = ("recency", "frequency", "monetary")

# (recency level, frequency-or-monetary level) -> (name, description, action). Recency is
# days since the last purchase, so a *low* recency is a recent customer.
_RFM_PERSONAS = {
    (-1, 1): (
        "Champions",
        "Bought recently, buy often and spend the most.",
        "Reward them: early access, loyalty perks; ask for reviews and referrals.",
    ),
    (-1, 0): (
        "Potential Loyalists",
        "Recent customers with average frequency and spend.",
        "Offer membership or loyalty programmes and recommend related products.",
    ),
    (-1, -1): (
        "New Customers",
        "Bought recently but rarely and for little so far.",
        "Onboarding: welcome series and an incentive for the second purchase.",
    ),
    (0, 1): (
        "Loyal Customers",
        "Buy often and spend well, not necessarily very recently.",
        "Up-sell higher-value products and keep them engaged with personal offers.",
    ),
    (0, 0): (
        "Need Attention",
        "Average recency, frequency and spend.",
        "Limited-time offers and recommendations based on past purchases.",
    ),
    (0, -1): (
        "About to Sleep",
        "Not very recent, few purchases, low spend.",
        "Share popular products and discounts to reconnect before they lapse.",
    ),
    (1, 1): (
        "At Risk",
        "Used to buy often and spend a lot, but not for a long time.",
        "Win them back: personal emails, renewals, what is new since they left.",
    ),
    (1, 0): (
        "Slipping Away",
        "Average frequency and spend, but long since the last purchase.",
        "Reactivation campaign with a time-limited incentive.",
    ),
    (1, -1): (
        "Hibernating",
        "Long since the last purchase, few purchases and low spend.",
        "Low-cost reactivation only; do not over-invest.",
    ),
}


@dataclass(frozen=True)
class SegmentLabel:
    """What a segment is called and what to do about it."""

    name: str
    description: str
    action: str


@dataclass(frozen=True)
class _Standing:
    """How one feature of one segment compares with the population."""

    feature: Feature
    level: int  # -1, 0, +1
    fine_level: int  # -2 .. +2
    strength: float  # how far from the population, comparable across features
    words: str
    fine_words: str
    fact: str  # "mean Annual Income (k$) 26.3 vs 60.6 overall"


def _value(number: float) -> str:
    # One decimal from 1 up, three significant digits below (ratios), as the report does.
    return f"{number:,.1f}" if number == 0 or abs(number) >= 1 else f"{number:.3g}"


#: Features a description mentions at most, the strongest first.
_DESCRIBED = 4


def _numeric_standing(feature, centroid_value, mean, std) -> _Standing:
    z = (centroid_value - mean) / std
    level = 0 if abs(z) < AVERAGE_BAND else int(np.sign(z))
    fine_level = 2 * level if abs(z) >= VERY_BAND else level
    if feature.role == "age":
        words, fine_words = _AGE_WORDS[level], _AGE_WORDS[fine_level]
    else:
        words = f"{_LEVEL_WORDS[level]} {feature.noun}"
        fine_words = f"{_LEVEL_WORDS[fine_level]} {feature.noun}"
    fact = f"mean {feature.encoded_columns[0]} {_value(centroid_value)} vs {_value(mean)} overall"
    return _Standing(feature, level, fine_level, abs(float(z)), words, fine_words, fact)


def _categorical_standing(feature, shares: dict, population_shares: dict) -> _Standing:
    """Standing from the share of each category in the segment and the population."""
    top = max(shares, key=lambda category: (shares[category], category))
    strength = max(
        abs(shares[c] - population_shares[c])
        / np.sqrt(population_shares[c] * (1 - population_shares[c]))
        if 0 < population_shares[c] < 1
        else 0.0
        for c in shares
    )
    # A bare code ("2") says nothing without its column: "Mostly Channel 2".
    shown = f"{feature.noun} {top}" if str(top).replace(".", "", 1).isdigit() else str(top)
    if shares[top] >= _MOSTLY_SHARE:
        words = f"Mostly {shown}"
        # Order segments by the first category's share (e.g. mostly-Female first).
        level = 1 if top == feature.categories[0] else -1
    else:
        words = f"Mixed {feature.noun}"
        level = 0
    fact = f"{shares[top]:.0%} {shown} vs {population_shares[top]:.0%} overall"
    return _Standing(feature, level, level, float(strength), words, words, fact)


def _category_shares(feature: Feature, row: pd.Series) -> dict[str, float]:
    """Share of every category from the indicator means (the last of two is the remainder)."""
    shares = {c: float(row[f"{feature.column}={c}"]) for c in feature.indicator_categories}
    if len(feature.categories) == 2:
        shares[feature.categories[1]] = 1.0 - shares[feature.categories[0]]
    return shares


def _standings(
    features: Sequence[Feature],
    centroids: pd.DataFrame,
    population_mean: pd.Series,
    population_std: pd.Series,
) -> list[list[_Standing]]:
    result = []
    for _, row in centroids.iterrows():
        standings = []
        for feature in features:
            if feature.is_categorical:
                standings.append(
                    _categorical_standing(
                        feature,
                        _category_shares(feature, row),
                        _category_shares(feature, population_mean),
                    )
                )
            else:
                column = feature.encoded_columns[0]
                standings.append(
                    _numeric_standing(
                        feature,
                        float(row[column]),
                        float(population_mean[column]),
                        float(population_std[column]),
                    )
                )
        result.append(standings)
    return result


def feature_levels(
    features: Sequence[Feature],
    centroids: pd.DataFrame,
    population_mean: pd.Series,
    population_std: pd.Series,
) -> np.ndarray:
    """Coarse level (-1 low, 0 average, +1 high) of each feature of each centroid.

    Returns
    -------
    numpy.ndarray of int, shape (n_segments, n_features)
    """
    standings = _standings(features, centroids, population_mean, population_std)
    return np.array([[s.level for s in row] for row in standings], dtype=int).reshape(
        len(centroids), len(features)
    )


def _anchors(features: Sequence[Feature]) -> list[int]:
    """Indices of the features every name mentions."""
    roles = [f.role for f in features]
    if "income" in roles and "spending" in roles:
        return [roles.index("income"), roles.index("spending")]
    if len(features) <= _MAX_PARTS:
        return list(range(len(features)))
    return []


def _candidate_order(
    standings: list[_Standing], anchors: list[int], redundant=frozenset()
) -> tuple[list[int], int]:
    """Anchors first, then the standing-out features by strength, then the rest.

    A standing-out feature strongly correlated with one already in the order
    (``redundant`` holds such index pairs) goes after the other standing-out
    ones: "High PURCHASES, High ONEOFF_PURCHASES" says the same thing twice.
    Returns the order and how many non-redundant standing-out features it has.
    """
    others = [i for i in range(len(standings)) if i not in anchors]
    others.sort(key=lambda i: (standings[i].level == 0, -standings[i].strength))
    chosen, repeats, flat = list(anchors), [], []
    for i in others:
        if standings[i].level == 0:
            flat.append(i)
        elif any(frozenset((i, j)) in redundant for j in chosen):
            repeats.append(i)
        else:
            chosen.append(i)
    return chosen + repeats + flat, len(chosen) - len(anchors)


def _initial_length(n_standing_out: int, anchors: list[int]) -> int:
    return len(anchors) + min(n_standing_out, max(0, _MAX_PARTS - len(anchors)))


def _parts(standings, order, length, fine) -> list[str]:
    return [standings[i].fine_words if fine else standings[i].words for i in order[:length]]


def _unique_names(
    all_standings: list[list[_Standing]], anchors: list[int], redundant=frozenset()
) -> list[str]:
    ordered = [_candidate_order(s, anchors, redundant) for s in all_standings]
    orders = [order for order, _ in ordered]
    lengths = [_initial_length(n, anchors) for _, n in ordered]
    fine = [False] * len(all_standings)

    def parts() -> list[list[str]]:
        return [_parts(s, o, n, f) for s, o, n, f in zip(all_standings, orders, lengths, fine)]

    def colliding() -> list[list[int]]:
        # Names with the same words in another order collide too:
        # "High Milk, High Grocery" is no different from "High Grocery, High Milk".
        groups: dict[frozenset, list[int]] = {}
        for index, words in enumerate(parts()):
            groups.setdefault(frozenset(words), []).append(index)
        return [group for group in groups.values() if len(group) > 1]

    # 1. The finer scale (Very Low ... Very High) for namesakes.
    for group in colliding():
        for index in group:
            fine[index] = True
    # 2. Name more features, a group of namesakes at a time, while that is possible.
    while True:
        grown = False
        for group in colliding():
            for index in group:
                if lengths[index] < len(orders[index]):
                    lengths[index] += 1
                    grown = True
        if not grown:
            break
    names = [", ".join(words) if words else "Average Profile" for words in parts()]
    # 3. Number what is still shared, in segment order.
    for group in colliding():
        for position, index in enumerate(group, start=1):
            names[index] = f"{names[index]} ({position})"
    return names


def _is_rfm(features: Sequence[Feature]) -> bool:
    roles = [f.role for f in features]
    return all(role in roles for role in RFM_ROLES)


def _rfm_persona(standings: list[_Standing], features: Sequence[Feature]):
    roles = [f.role for f in features]
    recency = standings[roles.index("recency")].level
    value = np.sign(
        standings[roles.index("frequency")].level + standings[roles.index("monetary")].level
    )
    return _RFM_PERSONAS[(recency, int(value))]


def _describe(standings: list[_Standing], features: Sequence[Feature]) -> tuple[str, str]:
    roles = [f.role for f in features]
    facts = "; ".join(s.fact for s in standings)
    if _is_rfm(features):
        _, persona, action = _rfm_persona(standings, features)
        return f"{persona} ({facts}.)", action
    if "income" in roles and "spending" in roles:
        income = standings[roles.index("income")].level
        spending = standings[roles.index("spending")].level
        persona, action = _PERSONAS[(income, spending)]
        return f"{persona} ({facts}.)", action
    # With many features, the description keeps to the strongest few (the drivers table
    # has the rest).
    strongest = sorted(standings, key=lambda s: -s.strength)[:_DESCRIBED]
    if len(standings) > _DESCRIBED:
        facts = "; ".join(s.fact for s in strongest)
    high = [s.feature.noun for s in strongest if s.level > 0 and not s.feature.is_categorical]
    low = [s.feature.noun for s in strongest if s.level < 0 and not s.feature.is_categorical]
    if high or low:
        traits = []
        if high:
            traits.append(f"high {', '.join(high)}")
        if low:
            traits.append(f"low {', '.join(low)}")
        description = f"Stands out for {' and '.join(traits)} ({facts})."
    else:
        description = f"Close to the overall average on every feature ({facts})."
    return description, NO_ACTION


#: Numeric features correlated above this (absolute value) say the same thing in a name.
REDUNDANT_CORRELATION = 0.9


def _redundant_pairs(features: Sequence[Feature], correlation) -> frozenset:
    if correlation is None:
        return frozenset()
    pairs = set()
    numeric = [(i, f.encoded_columns[0]) for i, f in enumerate(features) if not f.is_categorical]
    for a, (i, first) in enumerate(numeric):
        for j, second in numeric[a + 1 :]:
            if first in correlation.index and second in correlation.columns:
                value = correlation.loc[first, second]
                if np.isfinite(value) and abs(value) > REDUNDANT_CORRELATION:
                    pairs.add(frozenset((i, j)))
    return frozenset(pairs)


def name_segments(
    features: Sequence[Feature],
    centroids: pd.DataFrame,
    population_mean: pd.Series,
    population_std: pd.Series,
    correlation: pd.DataFrame | None = None,
) -> list[SegmentLabel]:
    """Name, describe and suggest an action for each segment.

    Parameters
    ----------
    features : sequence of Feature
        The features the segments were built on.
    centroids : pandas.DataFrame
        One row per segment, one column per encoded feature column, in original
        units (category columns hold shares).
    population_mean, population_std : pandas.Series
        Mean and population standard deviation of each encoded column over all
        customers.
    correlation : pandas.DataFrame, optional
        Correlation matrix of the numeric feature columns. A feature correlated
        above :data:`REDUNDANT_CORRELATION` (in absolute value) with one the
        name already mentions is named only when needed to tell segments apart.

    Returns
    -------
    list of SegmentLabel
        In the row order of ``centroids``; the names are all different.

    Examples
    --------
    >>> import pandas as pd
    >>> from segmentation.features import Feature
    >>> features = [Feature("Income", "income"), Feature("Score", "spending")]
    >>> centroids = pd.DataFrame({"Income": [25.0, 88.0], "Score": [80.0, 17.0]})
    >>> mean, std = pd.Series({"Income": 60.0, "Score": 50.0}), pd.Series({"Income": 26.0, "Score": 26.0})
    >>> [label.name for label in name_segments(features, centroids, mean, std)]
    ['Low Income, High Spending', 'High Income, Low Spending']
    """
    all_standings = _standings(features, centroids, population_mean, population_std)
    names = _unique_names(
        all_standings, _anchors(features), _redundant_pairs(features, correlation)
    )
    if _is_rfm(features):
        personas = [_rfm_persona(standings, features)[0] for standings in all_standings]
        counts = {p: personas.count(p) for p in personas}
        # A persona two segments share keeps the feature name as a qualifier.
        names = [p if counts[p] == 1 else f"{p} ({name})" for p, name in zip(personas, names)]
    labels = []
    for name, standings in zip(names, all_standings):
        description, action = _describe(standings, features)
        labels.append(SegmentLabel(name, description, action))
    return labels


def segment_drivers(
    features: Sequence[Feature],
    means: pd.DataFrame,
    population_mean: pd.Series,
    population_std: pd.Series,
    top: int = 3,
) -> pd.DataFrame:
    """The features that set each segment apart, strongest first.

    Parameters
    ----------
    features : sequence of Feature
    means : pandas.DataFrame
        Segment means in original units, one row per segment (indexed by
        segment number), one column per encoded feature column (category
        columns hold shares).
    population_mean, population_std : pandas.Series
        Over all customers.
    top : int
        Drivers listed per segment.

    Returns
    -------
    pandas.DataFrame
        Columns ``Segment``, ``Driver`` (1 = strongest), ``Feature``,
        ``Segment mean``, ``Overall mean``, ``z`` (segment mean minus overall
        mean, in overall standard deviations; for a category, its share
        against the overall share in binomial standard deviations).
    """
    rows = []
    columns = [(f, c) for f in features for c in f.encoded_columns]
    for number, row in means.iterrows():
        scored = []
        for feature, column in columns:
            mean, std = float(population_mean[column]), float(population_std[column])
            value = float(row[column])
            if feature.is_categorical:
                spread = np.sqrt(mean * (1 - mean))
                label = f"{column} (share)"
            else:
                spread, label = std, column
            z = (value - mean) / spread if spread > 0 else 0.0
            scored.append((abs(z), label, value, mean, z))
        scored.sort(key=lambda item: -item[0])
        for rank, (_, label, value, mean, z) in enumerate(scored[:top], start=1):
            rows.append(
                {
                    "Segment": number,
                    "Driver": rank,
                    "Feature": label,
                    "Segment mean": value,
                    "Overall mean": mean,
                    "z": z,
                }
            )
    return pd.DataFrame(
        rows, columns=["Segment", "Driver", "Feature", "Segment mean", "Overall mean", "z"]
    )
