"""Reading a customer table and recognising what its columns are.

A customer table is any table with one row per customer. The *classic* schema
(the public "Mall Customers" table) has ``CustomerID``, ``Gender`` (or
``Genre``), ``Age``, ``Annual Income (k$)`` and ``Spending Score (1-100)``;
those columns are recognised by name, in any capitalisation and with or without
spaces, units and punctuation. Any other numeric column can be used as a feature
by naming it.

This module checks what can be checked without knowing the features: the table
is readable, has at least two rows, and its customer IDs are unique and present.
Checks that depend on the features (missing columns, non-numeric or missing
values, out-of-range values) live in :mod:`segmentation.features`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from segmentation._errors import SegmentationError
from segmentation.reading import ReadInfo, read_customer_file

__all__ = ["CustomerTable", "load_customers", "read_table", "ROLE_NAMES", "format_rows"]

#: The column roles the classic schema defines, in the order they are shown.
ROLE_NAMES = ("id", "gender", "age", "income", "spending")

# Column names are compared after lower-casing and dropping everything that is
# not a letter or digit, so "Annual Income (k$)" becomes "annualincomek".
_EXACT_ALIASES = {
    "id": {"customerid", "customer", "custid", "clientid", "id"},
    "gender": {"gender", "genre", "sex"},
    "age": {"age", "ageyears"},
    "income": {"income", "annualincome"},
    "spending": {"spendingscore", "spending", "score"},
}
# A name that starts with one of these is also recognised, so that units in
# brackets ("Annual Income (k$)", "Annual Income (USD)") do not matter.
_PREFIX_ALIASES = {
    "id": ("customerid",),
    "income": ("annualincome",),
    "spending": ("spendingscore",),
}

# How many offending rows an error message lists before it says "and N more".
_ROWS_SHOWN = 10


def format_rows(positions) -> str:
    """Describe row positions (0-based) as 1-based data-row numbers for a message.

    Rows are counted from 1 at the first data row, the line after the header.
    """
    numbers = [int(p) + 1 for p in positions]
    shown = ", ".join(str(n) for n in numbers[:_ROWS_SHOWN])
    if len(numbers) > _ROWS_SHOWN:
        shown += f" and {len(numbers) - _ROWS_SHOWN} more"
    return ("row " if len(numbers) == 1 else "rows ") + shown


def _normalise(column_name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(column_name).lower())


def _recognise_roles(columns, id_column: str | None) -> dict[str, str]:
    """Map each classic role to the first column whose name matches it."""
    roles: dict[str, str] = {}
    for role in ROLE_NAMES:
        if role == "id" and id_column is not None:
            continue
        for column in columns:
            key = _normalise(column)
            if column in roles.values():
                continue
            if key in _EXACT_ALIASES[role] or key.startswith(_PREFIX_ALIASES.get(role, ())):
                roles[role] = column
                break
    if id_column is not None:
        if id_column not in columns:
            raise SegmentationError(
                f"id_column {id_column!r} is not a column of the table; "
                f"columns present: {', '.join(map(str, columns))}"
            )
        roles = {role: column for role, column in roles.items() if column != id_column}
        roles["id"] = id_column
    return {role: roles[role] for role in ROLE_NAMES if role in roles}


@dataclass(frozen=True)
class CustomerTable:
    """A customer table that has been read and checked, with its columns recognised.

    Attributes
    ----------
    frame : pandas.DataFrame
        The table, a private copy (the caller's data is never modified), with a
        fresh ``RangeIndex``.
    roles : dict of str to str
        Classic role (``"id"``, ``"gender"``, ``"age"``, ``"income"``,
        ``"spending"``) to the column that plays it, for the roles present.
    source : str
        Where the table came from, for the report ("Mall_Customers.csv",
        "a DataFrame", "synthetic data ...").
    notes : tuple of str
        What validation found and did, in words, for the report.
    reading : str
        How the file was read ("text, encoding UTF-8 (detected), separator
        semicolon (detected), decimal comma (detected)"); empty for a DataFrame.
    n_rows : int, optional
        The number of rows of a table read with Dask, whose ``frame`` is then an
        empty frame with the columns and their types.
    """

    frame: pd.DataFrame
    roles: dict[str, str]
    source: str
    notes: tuple[str, ...] = field(default=())
    reading: str = ""
    n_rows: int | None = None

    @property
    def id_column(self) -> str | None:
        """The customer-ID column, or None when the table has none."""
        return self.roles.get("id")

    @property
    def n_customers(self) -> int:
        """Number of rows (``n_rows`` when the frame is only the columns of a Dask table)."""
        return len(self.frame) if self.n_rows is None else self.n_rows

    def with_rows(self, keep, note: str | None = None) -> CustomerTable:
        """Return a copy that keeps only the rows where the boolean mask ``keep`` is true."""
        frame = self.frame.loc[keep].reset_index(drop=True)
        notes = self.notes + ((note,) if note else ())
        return replace(self, frame=frame, roles=dict(self.roles), notes=notes)

    def with_note(self, note: str) -> CustomerTable:
        """Return a copy with one more validation note."""
        return replace(self, roles=dict(self.roles), notes=self.notes + (note,))


def read_table(
    data: str | os.PathLike | pd.DataFrame,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    with_info: bool = False,
):
    """Read a table from a file, or copy a DataFrame, without checking its content.

    Parameters
    ----------
    data : path-like or pandas.DataFrame
        See :func:`load_customers`.
    sep, decimal, encoding : str, optional
        For text files; detected when omitted (see :mod:`segmentation.reading`).
    with_info : bool
        Also return how the file was read.

    Returns
    -------
    frame : pandas.DataFrame
        A private copy with a fresh ``RangeIndex``.
    source : str
        The file name, or the DataFrame's ``attrs["source"]``, or "a DataFrame".
    info : ReadInfo or None
        Only with ``with_info=True``; None for a DataFrame.

    Raises
    ------
    SegmentationError
        When the file is missing, unreadable or empty, or column names are
        empty or repeat.
    """
    info: ReadInfo | None = None
    if isinstance(data, pd.DataFrame):
        frame = data.copy(deep=True).reset_index(drop=True)
        source = str(data.attrs.get("source", "a DataFrame"))
    elif isinstance(data, (str, os.PathLike)):
        path = Path(data)
        frame, info = read_customer_file(path, sep=sep, decimal=decimal, encoding=encoding)
        source = path.name
    else:
        raise SegmentationError(
            f"data must be a file path or a pandas DataFrame, not {type(data).__name__}"
        )
    frame.attrs = {}
    if frame.columns.has_duplicates:
        repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise SegmentationError(f"column names are repeated: {', '.join(repeated)}")
    return (frame, source, info) if with_info else (frame, source)


def load_customers(
    data: str | os.PathLike | pd.DataFrame | CustomerTable,
    *,
    id_column: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
) -> CustomerTable:
    """Read a customer table from CSV, Parquet or a DataFrame and recognise its columns.

    Parameters
    ----------
    data : path-like, pandas.DataFrame or CustomerTable
        A ``.csv``/``.txt``/``.tsv`` text file (separator, decimal mark and
        encoding detected), a ``.parquet`` or ``.xlsx`` file, or
        a DataFrame with one row per customer. A DataFrame is copied, never
        modified. A :class:`CustomerTable` is returned unchanged.
    id_column : str, optional
        The customer-ID column, when its name is not recognised automatically
        (``CustomerID``, ``Customer ID``, ``customer_id``, ``ID`` ...). The ID
        column is never used as a feature.
    sep, decimal, encoding : str, optional
        How to read a text file; each is detected when omitted, and what was
        used is kept in :attr:`CustomerTable.reading` (see
        :mod:`segmentation.reading`).

    Returns
    -------
    CustomerTable

    Raises
    ------
    SegmentationError
        When the file is missing, unreadable or empty, the table has fewer than
        two rows, or customer IDs are missing or repeated (each message names
        the rows).

    Examples
    --------
    >>> from segmentation import datasets, load_customers
    >>> table = load_customers(datasets.make_customers(50))
    >>> table.roles["income"], table.n_customers
    ('Annual Income (k$)', 50)
    """
    if isinstance(data, CustomerTable):
        return data
    frame, source, info = read_table(
        data, sep=sep, decimal=decimal, encoding=encoding, with_info=True
    )
    if len(frame) == 0:
        raise SegmentationError(f"the customer table from {source} has no rows")
    if len(frame) == 1:
        raise SegmentationError(
            f"the customer table from {source} has only 1 row; segmenting needs at least 2 customers"
        )
    roles = _recognise_roles(list(frame.columns), id_column)
    table = CustomerTable(frame, roles, source, reading=info.describe() if info else "")
    _check_ids(table)
    return table


def _check_ids(table: CustomerTable) -> None:
    """Refuse missing or repeated customer IDs: the exported table is keyed by them."""
    if table.id_column is None:
        return
    ids = table.frame[table.id_column]
    missing = ids.isna().to_numpy().nonzero()[0]
    if len(missing):
        raise SegmentationError(
            f"customer ID column {table.id_column!r} has {len(missing)} missing value(s) at "
            f"{format_rows(missing)}"
        )
    repeated = ids.duplicated(keep=False).to_numpy().nonzero()[0]
    if len(repeated):
        first_value = ids.iloc[repeated[0]]
        n_values = ids.iloc[repeated].nunique()
        raise SegmentationError(
            f"customer ID column {table.id_column!r} has {n_values} repeated ID(s), e.g. "
            f"{first_value!r}; {len(repeated)} rows are affected: {format_rows(repeated)}"
        )
