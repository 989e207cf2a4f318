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

__all__ = [
    "make_customers",
    "make_wide_customers",
    "make_transactions",
    "CLASSIC_GROUPS",
    "CLASSIC_COLUMNS",
    "WIDE_GROUPS",
]

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
    if (
        isinstance(n_customers, bool)
        or not isinstance(n_customers, (int, np.integer))
        or n_customers < 1
    ):
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


#: The groups of :func:`make_wide_customers`: share, typical balance and purchases (money,
#: log-normal), cash-advance share, tenure in years, and the most common plan.
WIDE_GROUPS = (
    # name,              share, balance, purchases, cash_advance, tenure, plan
    ("Revolvers", 0.30, 4_000, 600, 0.60, 6, "Gold"),
    ("Transactors", 0.35, 800, 3_500, 0.05, 9, "Classic"),
    ("Dormant", 0.25, 150, 120, 0.10, 2, "Basic"),
    ("Premium spenders", 0.10, 6_000, 12_000, 0.15, 12, "Platinum"),
)


def make_wide_customers(
    n_customers: int = 2_000,
    *,
    n_features: int = 17,
    n_outliers: int = 2,
    random_state: int | None = 0,
    return_groups: bool = False,
):
    """A synthetic credit-card-style customer table: many skewed money columns.

    Four groups (:data:`WIDE_GROUPS`) differ in balance, purchases, cash
    advances and tenure; the money columns are log-normal (skewness well above
    2, as real money is), a ``Plan`` text column (4 values) and a
    ``Customer Since`` date column come along, and ``n_outliers`` customers have
    an absurd balance of 66,666,666 (a data-entry error of the kind real exports hold). Columns beyond the
    core ones are noisy ratios and counts derived from them, up to
    ``n_features`` numeric columns in all.

    Parameters
    ----------
    n_customers : int
    n_features : int
        Numeric columns besides the ID (at least 6).
    n_outliers : int
    random_state : int or None
    return_groups : bool

    Returns
    -------
    customers : pandas.DataFrame
        ``CUST_ID``, the numeric columns, ``Plan`` and ``Customer Since``.
    groups : numpy.ndarray of int
        Only with ``return_groups=True``.

    Examples
    --------
    >>> table = make_wide_customers(100, random_state=1)
    >>> table.shape
    (100, 20)
    """
    if n_features < 6:
        raise ValueError(f"n_features must be at least 6, not {n_features!r}")
    rng = np.random.default_rng(random_state)
    shares = np.array([g[1] for g in WIDE_GROUPS])
    groups = rng.choice(len(WIDE_GROUPS), size=n_customers, p=shares / shares.sum())

    def of(position):
        return np.array([g[position] for g in WIDE_GROUPS])[groups]

    balance = of(2) * rng.lognormal(0.0, 0.45, n_customers)
    purchases = of(3) * rng.lognormal(0.0, 0.45, n_customers)
    cash_advance = balance * np.clip(of(4) * rng.lognormal(0.0, 0.3, n_customers), 0, 1)
    tenure_years = np.clip(of(5) + rng.normal(0, 1.5, n_customers), 0.2, 30)
    columns = {
        "CUST_ID": [f"C{10001 + i}" for i in range(n_customers)],
        "BALANCE": balance.round(2),
        "PURCHASES": purchases.round(2),
        "CASH_ADVANCE": cash_advance.round(2),
        "CREDIT_LIMIT": (
            1.5 * balance + 0.8 * purchases + 1_000 * rng.lognormal(0, 0.3, n_customers)
        ).round(-2),
        "PAYMENTS": (0.9 * purchases + 0.3 * balance * rng.lognormal(0, 0.4, n_customers)).round(2),
        "PURCHASES_TRX": rng.poisson(purchases / 90 + 0.5),
    }
    extra = 0
    while len(columns) - 1 < n_features:
        extra += 1
        source = ("BALANCE", "PURCHASES", "CASH_ADVANCE", "PAYMENTS")[extra % 4]
        columns[f"{source}_RATIO_{extra}"] = (
            columns[source] / columns["CREDIT_LIMIT"] * rng.lognormal(0, 0.2, n_customers)
        ).round(4)
    customers = pd.DataFrame(columns)
    plans = np.array(["Basic", "Classic", "Gold", "Platinum"])
    usual = of(6)
    customers["Plan"] = np.where(
        rng.random(n_customers) < 0.8, usual, plans[rng.integers(0, 4, n_customers)]
    )
    since = pd.Timestamp("2025-12-31") - pd.to_timedelta(np.round(tenure_years * 365.25), unit="D")
    customers["Customer Since"] = since.strftime("%Y-%m-%d")
    if n_outliers:
        extreme = rng.choice(n_customers, size=min(n_outliers, n_customers), replace=False)
        customers.loc[extreme, "BALANCE"] = 66_666_666.0
    customers.attrs["source"] = (
        f"synthetic card customers (segmentation.datasets.make_wide_customers, {n_customers} rows, "
        f"seed {random_state})"
    )
    return (customers, groups) if return_groups else customers


def make_transactions(
    n_customers: int = 300,
    *,
    end: str = "2025-12-31",
    random_state: int | None = 0,
) -> pd.DataFrame:
    """A synthetic transactions table (one row per purchase) for RFM analysis.

    Customers come in four kinds: frequent recent big spenders, regular
    customers, new customers (first purchase in the last two months) and
    lapsed ones (nothing in the last year). One year and a half of history
    ends at ``end``.

    Returns
    -------
    pandas.DataFrame
        ``Customer``, ``Date`` (text, YYYY-MM-DD), ``Amount`` (money, skewed).

    Examples
    --------
    >>> transactions = make_transactions(50, random_state=1)
    >>> list(transactions.columns)
    ['Customer', 'Date', 'Amount']
    """
    rng = np.random.default_rng(random_state)
    last_day = pd.Timestamp(end)
    # kind: (share, purchases per year, typical amount, first day back, last day back)
    kinds = (
        (0.15, 40, 120.0, 540, 0),
        (0.40, 10, 45.0, 540, 30),
        (0.20, 3, 35.0, 60, 0),
        (0.25, 4, 40.0, 540, 365),
    )
    rows = []
    shares = np.array([k[0] for k in kinds])
    for number in range(n_customers):
        _, per_year, amount, first_back, last_back = kinds[
            rng.choice(len(kinds), p=shares / shares.sum())
        ]
        window = first_back - last_back
        count = max(1, rng.poisson(per_year * window / 365))
        days_back = last_back + rng.integers(0, max(window, 1), size=count)
        amounts = amount * rng.lognormal(0, 0.6, size=count)
        for back, value in zip(days_back, amounts):
            rows.append(
                (
                    f"K{1000 + number}",
                    (last_day - pd.Timedelta(days=int(back))).date().isoformat(),
                    round(float(value), 2),
                )
            )
    frame = pd.DataFrame(rows, columns=["Customer", "Date", "Amount"])
    frame = frame.sample(frac=1.0, random_state=int(rng.integers(0, 2**31 - 1))).reset_index(
        drop=True
    )
    frame.attrs["source"] = (
        f"synthetic transactions (segmentation.datasets.make_transactions, {n_customers} customers, "
        f"seed {random_state})"
    )
    return frame
