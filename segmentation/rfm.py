"""RFM: recency, frequency and monetary value per customer, from a transactions table.

Most real segmentation work starts from purchases, not from a customer table.
:func:`rfm_table` turns one row per purchase into one row per customer:

Recency (days)
    Days from the customer's last purchase to the *as-of* date (default: the
    day after the latest purchase in the table, so the most recent customer
    has recency 1). Lower is better.
Frequency
    Number of purchases (rows).
Monetary
    Total amount spent.

:func:`segment_rfm` segments that table with the roles known, so segments get
the usual RFM names and actions (Champions, Loyal Customers, At Risk,
Hibernating...; see :mod:`segmentation.naming`). Frequency and monetary value
are almost always strongly skewed, so the default ``auto`` scaling takes their
logarithm.
"""

from __future__ import annotations

import os

import pandas as pd

from segmentation._errors import SegmentationError
from segmentation.data import CustomerTable, format_rows, read_table

__all__ = ["RFM_COLUMNS", "rfm_table", "segment_rfm"]

#: The columns :func:`rfm_table` makes, by role.
RFM_COLUMNS = {"recency": "Recency (days)", "frequency": "Frequency", "monetary": "Monetary"}


def _column(frame: pd.DataFrame, name: str, what: str) -> str:
    if name in frame.columns:
        return name
    matches = [c for c in frame.columns if str(c).strip().lower() == str(name).strip().lower()]
    if matches:
        return matches[0]
    raise SegmentationError(
        f"{what} column {name!r} is not a column of the transactions table; columns present: "
        f"{', '.join(map(str, frame.columns))}"
    )


def rfm_table(
    transactions: pd.DataFrame,
    *,
    customer: str,
    date: str,
    amount: str,
    as_of: str | pd.Timestamp | None = None,
    missing: str = "error",
) -> CustomerTable:
    """One row per customer with recency, frequency and monetary value.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase (not modified).
    customer, date, amount : str
        The columns holding the customer, the purchase date and the amount.
    as_of : str or pandas.Timestamp, optional
        The date recency is counted to; default the day after the latest purchase.
    missing : {"error", "drop"}
        Refuse purchases with a missing customer, date or amount, or drop them
        (and say how many).

    Returns
    -------
    CustomerTable
        Columns: the customer column, ``Recency (days)``, ``Frequency``,
        ``Monetary``, with their roles recognised.

    Raises
    ------
    SegmentationError
        Missing columns, dates that are not dates, amounts that are not
        numbers, missing values (unless dropped), fewer than two customers.

    Examples
    --------
    >>> import pandas as pd
    >>> purchases = pd.DataFrame({"Who": ["a", "a", "b"], "When": ["2025-01-01", "2025-01-10",
    ...                           "2025-01-05"], "Paid": [10.0, 5.0, 7.5]})
    >>> rfm_table(purchases, customer="Who", date="When", amount="Paid").frame
      Who  Recency (days)  Frequency  Monetary
    0   a               1          2      15.0
    1   b               6          1       7.5
    """
    if missing not in ("error", "drop"):
        raise SegmentationError(f"missing must be 'error' or 'drop', not {missing!r}")
    source = str(transactions.attrs.get("source", "a transactions table"))
    customer = _column(transactions, customer, "customer")
    date = _column(transactions, date, "date")
    amount = _column(transactions, amount, "amount")
    frame = transactions[[customer, date, amount]].copy()
    raw_dates = frame[date]
    dates = pd.to_datetime(raw_dates, errors="coerce", format="mixed")
    bad = (dates.isna() & raw_dates.notna()).to_numpy().nonzero()[0]
    if len(bad):
        raise SegmentationError(
            f"date column {date!r} has values that are not dates "
            f"({', '.join(repr(raw_dates.iloc[i]) for i in bad[:3])}) at {format_rows(bad)}"
        )
    amounts = pd.to_numeric(frame[amount], errors="coerce")
    bad = (amounts.isna() & frame[amount].notna()).to_numpy().nonzero()[0]
    if len(bad):
        raise SegmentationError(
            f"amount column {amount!r} has non-numeric values "
            f"({', '.join(repr(frame[amount].iloc[i]) for i in bad[:3])}) at {format_rows(bad)}"
        )
    frame[date], frame[amount] = dates, amounts
    incomplete = frame.isna().any(axis=1).to_numpy()
    notes = []
    if incomplete.any():
        if missing == "error":
            raise SegmentationError(
                f"{int(incomplete.sum())} purchase(s) have a missing customer, date or amount at "
                f"{format_rows(incomplete.nonzero()[0])}; fix them or drop them (--drop-missing)"
            )
        notes.append(
            f"Dropped {int(incomplete.sum())} purchases with a missing customer, date or amount."
        )
        frame = frame.loc[~incomplete]
    if as_of is None:
        reference = frame[date].max().normalize() + pd.Timedelta(days=1)
    else:
        try:
            reference = pd.Timestamp(as_of)
        except ValueError:
            raise SegmentationError(
                f"as_of {as_of!r} is not a date; write it as YYYY-MM-DD"
            ) from None
        if reference < frame[date].max():
            raise SegmentationError(
                f"as_of {reference.date()} is before the latest purchase "
                f"({frame[date].max().date()}); recency would be negative"
            )
    grouped = frame.groupby(customer, sort=True)
    table = pd.DataFrame(
        {
            RFM_COLUMNS["recency"]: (reference - grouped[date].max()).dt.days,
            RFM_COLUMNS["frequency"]: grouped.size(),
            RFM_COLUMNS["monetary"]: grouped[amount].sum(),
        }
    ).reset_index()
    if len(table) < 2:
        raise SegmentationError(
            f"the transactions come from {len(table)} customer(s); segmenting needs at least 2"
        )
    notes.append(
        f"RFM from {len(frame):,} purchases of {len(table):,} customers: recency in days to "
        f"{reference.date()}, frequency = number of purchases, monetary = total {amount}."
    )
    roles = {"id": customer, **RFM_COLUMNS}
    return CustomerTable(table, roles, source, tuple(notes))


def segment_rfm(
    transactions: str | os.PathLike | pd.DataFrame,
    *,
    customer: str,
    date: str,
    amount: str,
    as_of: str | None = None,
    missing: str = "error",
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    **options,
):
    """Segment customers on recency, frequency and monetary value.

    Parameters
    ----------
    transactions : path-like or pandas.DataFrame
        One row per purchase (a file is read like any customer table).
    customer, date, amount, as_of, missing
        See :func:`rfm_table`.
    sep, decimal, encoding : str, optional
        How to read a text file (detected when omitted).
    **options
        Passed to :func:`segmentation.segment_customers` (``k``, ``scale``,
        ``outliers``, ``labels``, ``random_state``...).

    Returns
    -------
    SegmentationResult

    Examples
    --------
    >>> from segmentation import datasets
    >>> result = segment_rfm(datasets.make_transactions(200, random_state=0), customer="Customer",
    ...                      date="Date", amount="Amount", k=4, n_init=3)
    >>> "Champions" in result.names
    True
    """
    from segmentation.analysis import segment_customers

    frame, source, info = read_table(
        transactions, sep=sep, decimal=decimal, encoding=encoding, with_info=True
    )
    frame.attrs["source"] = source
    table = rfm_table(
        frame, customer=customer, date=date, amount=amount, as_of=as_of, missing=missing
    )
    if info is not None:
        table = CustomerTable(table.frame, table.roles, table.source, table.notes, info.describe())
    return segment_customers(table, features=list(RFM_COLUMNS.values()), **options)
