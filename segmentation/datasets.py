"""An embedded, synthetic customer table with the classic schema and five groups.

The table imitates the public "Mall Customers" data (``CustomerID``,
``Gender``, ``Age``, ``Annual Income (k$)``, ``Spending Score (1-100)``) and its
five well-known groups, so the tool can be tried, tested and benchmarked
without downloading anything. It is **synthetic**: every customer is drawn at
random, and the DataFrame says so in ``frame.attrs["source"]``, which the
report shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_customers", "CLASSIC_GROUPS", "CLASSIC_COLUMNS"]

#: The classic column names, in order.
CLASSIC_COLUMNS = ("CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)")

#: The five groups: share of customers, (mean, sd) of income in k$, of the
#: spending score and of age, and the share of women. Shares, centres and the
#: age pattern (young big spenders) follow the Mall Customers table; the
#: spreads are a little tighter, so the groups are clear but not trivial.
CLASSIC_GROUPS = (
    # name,                               share,  income,    score,     age,       female
    ("Average Income, Average Spending", 0.405, (55, 8), (50, 6), (43, 13), 0.59),
    ("High Income, High Spending", 0.195, (87, 12), (82, 8), (33, 4), 0.54),
    ("High Income, Low Spending", 0.175, (88, 12), (17, 9), (41, 11), 0.46),
    ("Low Income, Low Spending", 0.115, (26, 7), (21, 10), (45, 13), 0.61),
    ("Low Income, High Spending", 0.110, (26, 7), (79, 9), (25, 5), 0.59),
)


def _group_sizes(n_customers: int) -> np.ndarray:
    """Split ``n_customers`` over the groups by share; remainders go to the largest fractions."""
    shares = np.array([group[1] for group in CLASSIC_GROUPS])
    exact = shares / shares.sum() * n_customers
    sizes = np.floor(exact).astype(int)
    leftover = n_customers - sizes.sum()
    sizes[np.argsort(-(exact - sizes), kind="stable")[:leftover]] += 1
    return sizes


def make_customers(
    n_customers: int = 200,
    *,
    random_state: int | None = 0,
    return_groups: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, np.ndarray]:
    """Generate a synthetic customer table with the classic schema and five groups.

    Parameters
    ----------
    n_customers : int
        Number of rows (at least 1).
    random_state : int or None
        Seed; the same seed gives the same table.
    return_groups : bool
        Also return the index (into :data:`CLASSIC_GROUPS`) of the group each
        customer was drawn from.

    Returns
    -------
    customers : pandas.DataFrame
        Columns :data:`CLASSIC_COLUMNS`; integer income, score and age like the
        original, clipped to 15-140 k$, 1-100 and 18-70. ``attrs["source"]``
        labels it synthetic.
    groups : numpy.ndarray of int
        Only with ``return_groups=True``.

    Examples
    --------
    >>> from segmentation.datasets import make_customers
    >>> customers = make_customers(200, random_state=0)
    >>> customers.shape
    (200, 5)
    >>> customers.attrs["source"]
    'synthetic customers (segmentation.datasets.make_customers, 200 rows, seed 0)'
    """
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)) or n_customers < 1:
        raise ValueError(f"n_customers must be a positive integer, not {n_customers!r}")
    rng = np.random.default_rng(random_state)
    sizes = _group_sizes(int(n_customers))
    groups = rng.permutation(np.repeat(np.arange(len(CLASSIC_GROUPS)), sizes))

    def draw(position: int, low: float, high: float) -> np.ndarray:
        means = np.array([group[position][0] for group in CLASSIC_GROUPS], dtype=float)[groups]
        spreads = np.array([group[position][1] for group in CLASSIC_GROUPS], dtype=float)[groups]
        return np.clip(np.rint(rng.normal(means, spreads)), low, high).astype(np.int64)

    income = draw(2, 15, 140)
    score = draw(3, 1, 100)
    age = draw(4, 18, 70)
    female_share = np.array([group[5] for group in CLASSIC_GROUPS])[groups]
    gender = np.where(rng.random(len(groups)) < female_share, "Female", "Male")

    customers = pd.DataFrame(
        dict(zip(CLASSIC_COLUMNS, (np.arange(1, len(groups) + 1), gender, age, income, score)))
    )
    customers.attrs["source"] = (
        f"synthetic customers (segmentation.datasets.make_customers, {int(n_customers)} rows, "
        f"seed {random_state})"
    )
    if return_groups:
        return customers, groups
    return customers
