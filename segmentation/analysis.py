"""From a customer table to named segments: the analysis, without drawing or writing anything.

:func:`segment_customers` shapes the data (:mod:`segmentation.features`), asks
:mod:`kmeans_core` for the number of segments and the clustering, and turns
the answer into business terms (:mod:`segmentation.naming`,
:mod:`segmentation.profile`). Plots and files are made from its result by
:mod:`segmentation.plots` and :mod:`segmentation.export`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation._errors import SegmentationError
from segmentation.data import CustomerTable, load_customers
from segmentation.features import Feature, build_features
from segmentation.model import SEGMENT_COLUMN, SEGMENT_NAME_COLUMN, SegmentModel
from segmentation.naming import feature_levels, name_segments, segment_drivers
from segmentation.outliers import OUTLIER_POLICIES, OUTLIER_THRESHOLD, find_outliers
from segmentation.profile import profile_segments
from segmentation.scaling import SCALE_CHOICES, describe_scaling, fit_scaling
from segmentation.stability import STABLE_JACCARD, segment_stability

__all__ = [
    "segment_customers",
    "SegmentationResult",
    "Segment",
    "KSelection",
    "DEFAULT_K_RANGE",
    "DEFAULT_N_INIT",
    "SILHOUETTE_SAMPLE_SIZE",
    "SMALL_SEGMENT_SHARE",
    "SMALL_SEGMENT_SIZE",
    "MAX_OUTLIER_SHARE",
]

#: Values of k compared when k is "auto".
DEFAULT_K_RANGE = range(1, 11)
#: K-Means restarts per k (the best of them, by WCSS, is kept).
DEFAULT_N_INIT = 10
#: Above this many customers the silhouette is computed on a random sample of
#: this size: the exact silhouette needs all pairwise distances (n^2), for every
#: k compared. At 9,000 customers x 21 columns the exact curve took 11 of a 14 s
#: run; a 3,000-customer sample gave the same curve to +-0.005 and the same k.
#: The silhouette only checks the elbow, so that precision is plenty.
SILHOUETTE_SAMPLE_SIZE = 4_000
#: A segment with fewer customers than this share, or than SMALL_SEGMENT_SIZE, gets a warning.
SMALL_SEGMENT_SHARE = 0.01
SMALL_SEGMENT_SIZE = 5
#: When more customers than this share are beyond the outlier threshold, they are a
#: feature of the data (a long tail), not a few odd customers: nobody is set aside.
MAX_OUTLIER_SHARE = 0.10


@dataclass(frozen=True)
class KSelection:
    """How the number of segments was chosen, with both curves kept.

    Attributes
    ----------
    k_values : numpy.ndarray of int
        The k compared.
    inertia : numpy.ndarray
        Within-cluster sum of squares (WCSS) per k, in scaled units.
    silhouette : numpy.ndarray
        Mean silhouette per k (NaN at k = 1, where it is undefined).
    elbow_k : int or None
        The knee of the WCSS curve (Kneedle), None when there is none.
    silhouette_k : int or None
        The k with the highest silhouette.
    k : int
        The number of segments used.
    requested : int or "auto"
    reason : str
        One or two sentences saying why ``k`` was used.
    silhouette_sample_size : int or None
        Customers the silhouette was computed on, None when all were used.
    """

    k_values: np.ndarray
    inertia: np.ndarray
    silhouette: np.ndarray
    elbow_k: int | None
    silhouette_k: int | None
    k: int
    requested: int | str
    reason: str
    silhouette_sample_size: int | None

    def to_frame(self) -> pd.DataFrame:
        """The curves as a table indexed by k."""
        return pd.DataFrame(
            {"WCSS": self.inertia, "Silhouette": self.silhouette},
            index=pd.Index(self.k_values, name="k"),
        )


@dataclass(frozen=True)
class Segment:
    """One segment: its number, business name, and what to do about it.

    Attributes
    ----------
    number : int
        1 to k, in a stable order: by the level (low, average, high) of each
        feature in turn, then by the centroid values.
    name, description, action : str
    size : int
        Number of customers.
    share : float
        Fraction of all customers.
    centroid : pandas.Series
        The segment's mean in original units, per encoded feature column: the
        plain mean of its members' values (shares for category columns). This
        is the one definition of a segment mean used everywhere: cards,
        profile table, names, plots and exports.
    stability : float
        Mean bootstrap Jaccard of the segment's members (see
        :mod:`segmentation.stability`); NaN when not computed.
    generated_name : str
        The name the naming rule gave; differs from ``name`` when the user
        renamed the segment (``labels=``).
    n_outliers : int
        Members that were flagged as extreme and assigned afterwards.
    """

    number: int
    name: str
    description: str
    action: str
    size: int
    share: float
    centroid: pd.Series
    stability: float = float("nan")
    generated_name: str = ""
    n_outliers: int = 0

    @property
    def is_stable(self) -> bool:
        """Stability above :data:`segmentation.stability.STABLE_JACCARD` (0.75)."""
        return bool(self.stability > STABLE_JACCARD)

    @property
    def mean(self) -> pd.Series:
        """Alias of :attr:`centroid`: the segment's mean in original units."""
        return self.centroid


@dataclass(frozen=True)
class SegmentationResult:
    """Everything a segmentation found; see :func:`segment_customers`.

    Attributes
    ----------
    customers : pandas.DataFrame
        The customer table (after validation) with ``Segment`` and
        ``Segment Name`` columns added.
    segments : list of Segment
        In segment-number order.
    profile : pandas.DataFrame
        Per segment: size, share, mean and median of each feature in original
        units, age and gender mix when those columns exist.
    overall : pandas.Series
        The profile's columns for all customers together.
    selection : KSelection
        How k was chosen, with the WCSS and silhouette curves.
    model : SegmentModel
        Assigns new customers; saved as JSON by :func:`segmentation.export.write_model`.
    table : CustomerTable
        The validated table, its recognised columns, source and validation notes.
    feature_values : pandas.DataFrame
        The encoded features of every customer in original units.
    scaled_features : numpy.ndarray
        The same, scaled, as clustered.
    inertia : float
        WCSS of the final segmentation, in scaled units.
    random_state : int or None
    n_init : int
    outliers : pandas.DataFrame
        The customers flagged as extreme (row, ID when there is one, the
        column and robust z that flagged them, the segment they were given).
    drivers : pandas.DataFrame
        Per segment, the strongest drivers (see
        :func:`segmentation.naming.segment_drivers`).
    scaling : pandas.DataFrame
        Per encoded feature column, the scaling used and the skewness.
    warnings : tuple of str
        Small or unstable segments, in words (also printed by the command line).
    outlier_policy : str
        The ``outliers`` option used.
    overall_means : pandas.Series
        Mean of every encoded feature column over all customers not flagged as
        extreme: the "overall" the segment means are compared with.
    """

    customers: pd.DataFrame
    segments: list[Segment]
    profile: pd.DataFrame
    overall: pd.Series
    selection: KSelection
    model: SegmentModel
    table: CustomerTable
    feature_values: pd.DataFrame
    scaled_features: np.ndarray
    inertia: float
    random_state: int | None
    n_init: int
    outliers: pd.DataFrame = None
    drivers: pd.DataFrame = None
    scaling: pd.DataFrame = None
    warnings: tuple[str, ...] = ()
    outlier_policy: str = "keep"
    overall_means: pd.Series = None

    @property
    def k(self) -> int:
        """Number of segments."""
        return len(self.segments)

    @property
    def features(self) -> list[Feature]:
        """The features the segments were built on."""
        return self.model.features

    @property
    def labels(self) -> np.ndarray:
        """Segment number (1 to k) of each customer.

        For a Dask run (:mod:`segmentation.dask_engine`), of each customer in
        ``feature_values``: the sample the plots show.
        """
        if not isinstance(self.customers, pd.DataFrame):
            return self.customers.sample_labels
        return self.customers[SEGMENT_COLUMN].to_numpy()

    @property
    def names(self) -> list[str]:
        """Segment names in segment order."""
        return [segment.name for segment in self.segments]

    @property
    def notes(self) -> tuple[str, ...]:
        """What validation found and did, in words."""
        return self.table.notes

    @property
    def source(self) -> str:
        """Where the customer table came from."""
        return self.table.source


def _check_parameters(k, scale, n_init, k_range, outliers="keep") -> list[int]:
    if scale not in SCALE_CHOICES:
        raise SegmentationError(f"scale must be one of {', '.join(SCALE_CHOICES)}, not {scale!r}")
    if outliers not in OUTLIER_POLICIES:
        raise SegmentationError(
            f"outliers must be one of {', '.join(OUTLIER_POLICIES)}, not {outliers!r}"
        )
    if not (isinstance(n_init, (int, np.integer)) and not isinstance(n_init, bool) and n_init >= 1):
        raise SegmentationError(f"n_init must be a positive integer, not {n_init!r}")
    if isinstance(k, str):
        if k.strip().lower() != "auto":
            try:
                k = int(k)
            except ValueError:
                raise SegmentationError(
                    f"k must be 'auto' or a positive integer, not {k!r}"
                ) from None
    if not isinstance(k, str) and (
        isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1
    ):
        raise SegmentationError(f"k must be 'auto' or a positive integer, not {k!r}")
    k_values = sorted({int(value) for value in k_range})
    if not k_values or k_values[0] < 1:
        raise SegmentationError(f"k_range must hold positive integers, not {k_range!r}")
    return k_values


def _silhouette_sample(n_customers: int, requested) -> int | None:
    if requested == "auto":
        return SILHOUETTE_SAMPLE_SIZE if n_customers > SILHOUETTE_SAMPLE_SIZE else None
    if requested is None:
        return None
    if isinstance(requested, bool) or not isinstance(requested, (int, np.integer)) or requested < 2:
        raise SegmentationError(
            f"silhouette_sample_size must be 'auto', None or an integer >= 2, not {requested!r}"
        )
    return int(requested) if requested < n_customers else None


def _reason(requested, elbow_k, silhouette_k, silhouette_at) -> tuple[int, str]:
    """Pick k and say why: the elbow decides, the silhouette is the check."""

    def sil(k):
        value = silhouette_at(k)
        return f"{value:.2f}" if np.isfinite(value) else "undefined"

    if requested != "auto":
        k = int(requested)
        parts = [f"k = {k} was requested."]
        if elbow_k is not None:
            parts.append(f"For comparison, the elbow of the WCSS curve is at k = {elbow_k}")
            if silhouette_k is not None:
                parts[-1] += (
                    f" and the silhouette peaks at k = {silhouette_k} ({sil(silhouette_k)})."
                )
            else:
                parts[-1] += "."
        return k, " ".join(parts)
    if elbow_k is None:
        if silhouette_k is None:
            return 1, "The WCSS curve has no elbow and the silhouette is undefined; one segment."
        return silhouette_k, (
            f"The WCSS curve has no clear elbow, so k = {silhouette_k} was taken from the highest "
            f"silhouette ({sil(silhouette_k)})."
        )
    if silhouette_k is None or silhouette_k == elbow_k:
        agreement = (
            f" and the silhouette also peaks there ({sil(elbow_k)})"
            if silhouette_k == elbow_k
            else ""
        )
        return elbow_k, f"The elbow (knee) of the WCSS curve is at k = {elbow_k}{agreement}."
    return elbow_k, (
        f"The elbow (knee) of the WCSS curve is at k = {elbow_k} (silhouette {sil(elbow_k)}); "
        f"the silhouette alone would prefer k = {silhouette_k} ({sil(silhouette_k)}). "
        "The elbow is used; try --k to compare."
    )


def _choose_k(scaled, k_values, requested, *, random_state, n_init, silhouette_sample_size):
    """Run kmeans_core's model selection over ``k_values``; returns (KSelection, fitted KMeans)."""
    import kmeans_core

    choice = kmeans_core.choose_k(
        scaled,
        k_values,
        method="elbow",
        scores=("silhouette",),
        random_state=random_state,
        n_init=n_init,
        silhouette_sample_size=silhouette_sample_size,
    )
    ks = np.asarray(choice.k_values, dtype=int)
    silhouette = np.asarray(choice.scores["silhouette"], dtype=np.float64)
    elbow_k = int(choice.k) if choice.k is not None else None
    defined = np.isfinite(silhouette)
    silhouette_k = int(ks[defined][np.argmax(silhouette[defined])]) if defined.any() else None

    def silhouette_at(k):
        return float(silhouette[list(ks).index(k)]) if k in ks else float("nan")

    k, reason = _reason(requested, elbow_k, silhouette_k, silhouette_at)
    selection = KSelection(
        k_values=ks,
        inertia=np.asarray(choice.inertia, dtype=np.float64),
        silhouette=silhouette,
        elbow_k=elbow_k,
        silhouette_k=silhouette_k,
        k=k,
        requested=requested,
        reason=reason,
        silhouette_sample_size=silhouette_sample_size,
    )
    if k in choice.models:
        return selection, choice.models[k]
    # A requested k outside the compared range is fitted on its own: adding it to the
    # range would move the elbow shown "for comparison".
    from kmeans_core import KMeans

    return selection, KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(scaled)


def _segment_order(levels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Cluster indices in segment order: by feature levels, then by centroid values.

    Ordering on the levels first keeps "Low Income, Low Spending" before
    "Low Income, High Spending" even when the latter's mean income is a hair
    lower; the raw values break ties. Both are independent of the cluster
    numbering K-Means happened to produce.
    """
    keys = [tuple(levels[c]) + tuple(np.round(centers[c], 9)) for c in range(len(centers))]
    return np.array(sorted(range(len(centers)), key=lambda c: keys[c]), dtype=int)


def segment_customers(
    data: str | os.PathLike | pd.DataFrame | CustomerTable,
    *,
    features: Sequence[str] | str | None = None,
    k: int | str = "auto",
    scale: str = "auto",
    k_range: Sequence[int] = DEFAULT_K_RANGE,
    n_init: int = DEFAULT_N_INIT,
    random_state: int | None = 0,
    missing: str = "error",
    strict: bool = False,
    id_column: str | None = None,
    silhouette_sample_size: int | str | None = "auto",
    progress=None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    categorical: Sequence[str] | None = None,
    dates: Sequence[str] | None = None,
    outliers: str = "flag",
    labels: dict[int, str] | None = None,
    stability: bool = True,
    roles: dict[str, str] | None = None,
) -> SegmentationResult:
    """Find, order, name and profile customer segments.

    Parameters
    ----------
    data : path-like, pandas.DataFrame or CustomerTable
        The customer table (CSV, Parquet or a DataFrame, which is not modified).
    features : sequence of str or "all", optional
        Columns or keywords (``income``, ``spending``, ``age``, ``gender``);
        default income and spending score. ``"all"``: every numeric column
        except IDs, and text columns with few values as categories (see
        :func:`segmentation.features.build_features`).
    k : int or "auto"
        Number of segments, or ``"auto"``: the knee of the WCSS curve over
        ``k_range`` (Kneedle), checked against the silhouette. Both curves are
        computed over ``k_range`` in either case, so they do not depend on the
        k requested.
    scale : {"auto", "standard", "robust", "log", "minmax", "none"}
        How each feature column is scaled (see :mod:`segmentation.scaling`):
        ``auto`` (default) log-transforms never-negative, strongly skewed
        columns and standardises the others. Results are reported in original
        units whatever the choice.
    k_range : sequence of int
        The k compared, default 1 to 10 (values above the number of distinct
        customers are left out). A requested k outside it is fitted on its own.
    n_init : int
        K-Means restarts per k; the best by WCSS is kept.
    random_state : int or None
        Seed for K-Means and the silhouette sample; the default 0 makes the
        same input give the same segments.
    missing : {"error", "drop"}
        Refuse customers with missing feature values (default), or drop them
        and note how many.
    strict : bool
        Treat out-of-range values (a spending score outside 1-100, negative
        income or age) as errors rather than warnings.
    id_column : str, optional
        The customer-ID column, when it is not recognised by name.
    silhouette_sample_size : int, None or "auto"
        Customers the silhouette is computed on. ``"auto"`` uses everyone up
        to 4,000 customers and a random 4,000 above that.
    progress : object, optional
        Something with a ``step(message)`` context manager, told about each
        stage (the command line shows it); None for silence.
    sep, decimal, encoding : str, optional
        How to read a text file; detected when omitted (see
        :mod:`segmentation.reading`). What was used is in
        ``result.table.reading``.
    categorical : sequence of str, optional
        Columns to one-hot encode (one categorical column weighs like one
        numeric column); text columns with few values are encoded without
        being named.
    dates : sequence of str, optional
        Date columns to use as their age in days.
    outliers : {"flag", "exclude", "keep"}
        Extreme customers (robust z-score above 3.5, see
        :mod:`segmentation.outliers`): left out of fitting then assigned to
        their nearest segment and listed (default), left out entirely, or
        treated like everyone else.
    labels : dict of int to str, optional
        New names for segments by number (``{1: "Bargain hunters"}``); they go
        into the model and ``assign``.
    stability : bool
        Compute each segment's bootstrap stability (10 extra fits at the
        chosen k).
    roles : dict of str to str, optional
        Business roles of columns whose names are not recognised, e.g.
        ``{"income": "AnnualPay", "spending": "Score"}`` or ``{"recency": ...,
        "frequency": ..., "monetary": ...}``. Suggested actions are only given
        when the roles of the features are known.

    Returns
    -------
    SegmentationResult

    Raises
    ------
    SegmentationError
        A :class:`ValueError` naming the column or parameter at fault and why.

    Warns
    -----
    DataQualityWarning
        For values outside a column's stated range (unless ``strict``).

    Examples
    --------
    >>> from segmentation import datasets, segment_customers
    >>> result = segment_customers(datasets.make_customers(200, random_state=0))
    >>> result.k
    5
    >>> result.names[0]
    'Low Income, Low Spending'
    """
    step = progress.step if progress is not None else (lambda message: contextlib.nullcontext())
    k_values = _check_parameters(k, scale, n_init, k_range, outliers)
    requested = "auto" if isinstance(k, str) and k.strip().lower() == "auto" else int(k)

    with step("checking the customer table"):
        table = load_customers(
            data, id_column=id_column, sep=sep, decimal=decimal, encoding=encoding
        )
        if roles:
            table = _with_roles(table, roles)
        matrix = build_features(
            table, features, missing=missing, strict=strict, categorical=categorical, dates=dates
        )
        table = matrix.table
        scaler = fit_scaling(matrix.values, matrix.features, scale)
        flagged = np.zeros(table.n_customers, dtype=bool)
        outlier_z = np.zeros(table.n_customers)
        outlier_column = np.zeros(table.n_customers, dtype=np.int64)
        if outliers != "keep":
            numeric = np.array([m != "category" for m in scaler.column_methods], dtype=bool)
            flagged, outlier_z, outlier_column = find_outliers(
                scaler.pre_transform(matrix.values), numeric
            )
            if flagged.sum() > MAX_OUTLIER_SHARE * table.n_customers:
                table = table.with_note(
                    f"{int(flagged.sum())} customers ({flagged.mean():.0%}) have a robust z-score "
                    f"above {OUTLIER_THRESHOLD}: too many to set aside as outliers (more than "
                    f"{MAX_OUTLIER_SHARE:.0%}): the columns have long tails or well-separated "
                    "groups rather than a few odd customers, so everyone was clustered."
                )
                flagged = np.zeros(table.n_customers, dtype=bool)
        outlier_rows = _outlier_table(table, matrix, flagged, outlier_z, outlier_column)
        if flagged.any() and outliers == "exclude":
            note = (
                f"Left out {int(flagged.sum())} extreme customer(s) (robust z-score above "
                f"{OUTLIER_THRESHOLD}); they are not in the results."
            )
            table = table.with_rows(~flagged, note)
            matrix = type(matrix)(
                table, matrix.features, matrix.values.loc[~flagged].reset_index(drop=True)
            )
            flagged = np.zeros(table.n_customers, dtype=bool)
        fit_rows = ~flagged
        scaler = fit_scaling(matrix.values, matrix.features, scale, fit_rows=fit_rows)
        scaled = scaler.transform(matrix.values)
        scaled_fit = np.ascontiguousarray(scaled[fit_rows])

    # K-Means cannot make more clusters than there are distinct customers, and
    # the silhouette is only defined for 2 <= k <= n - 1.
    n_fit = int(fit_rows.sum())
    n_distinct = len(pd.DataFrame(scaled_fit).drop_duplicates())
    if requested != "auto" and requested > n_distinct:
        raise SegmentationError(
            f"k = {requested} is more than the {n_distinct} distinct customers in the table"
        )
    k_values = [value for value in k_values if value <= min(n_distinct, n_fit - 1)]
    if requested == "auto" and len(k_values) < 3:
        raise SegmentationError(
            f"k = 'auto' needs at least 3 values of k to find an elbow, but the table has only "
            f"{n_distinct} distinct customers; give k as a number"
        )
    sample = _silhouette_sample(n_fit, silhouette_sample_size)
    compare_curves = len(k_values) >= 3
    description = (
        f"fitting K-Means for k = {k_values[0]}..{k_values[-1]} ({n_init} restarts each)"
        if compare_curves
        else f"fitting K-Means for k = {requested} ({n_init} restarts)"
    )
    with step(description):
        if compare_curves:
            selection, fitted = _choose_k(
                scaled_fit,
                k_values,
                requested,
                random_state=random_state,
                n_init=n_init,
                silhouette_sample_size=sample,
            )
        else:
            selection, fitted = _fit_single(scaled_fit, requested, random_state, n_init)

    labels_all = np.empty(table.n_customers, dtype=np.int64)
    labels_all[fit_rows] = np.asarray(fitted.labels_)
    if flagged.any():
        labels_all[flagged] = np.asarray(fitted.predict(np.ascontiguousarray(scaled[flagged])))

    scores = np.full(selection.k, np.nan)
    if stability and selection.k > 1:
        with step(f"checking segment stability ({selection.k} segments, bootstrap)"):
            scores = segment_stability(
                scaled_fit, np.asarray(fitted.labels_), selection.k, random_state=random_state
            )

    with step("naming and profiling the segments"):
        return _present(
            table,
            matrix,
            scaler,
            scaled,
            selection,
            fitted,
            labels_all,
            flagged,
            outlier_rows,
            scores,
            labels,
            outliers,
            random_state,
            n_init,
        )


#: Roles a user can give columns (``roles=``, ``--role``).
USER_ROLES = ("income", "spending", "age", "gender", "recency", "frequency", "monetary")


def _with_roles(table: CustomerTable, roles: dict[str, str]) -> CustomerTable:
    from dataclasses import replace

    merged = dict(table.roles)
    for role, column in roles.items():
        if role not in USER_ROLES:
            raise SegmentationError(
                f"roles: unknown role {role!r}; use one of {', '.join(USER_ROLES)}"
            )
        if column not in table.frame.columns:
            raise SegmentationError(
                f"roles: {role} column {column!r} is not a column of the table; columns present: "
                f"{', '.join(map(str, table.frame.columns))}"
            )
        if column == table.id_column:
            raise SegmentationError(f"roles: {column!r} is the customer-ID column")
        merged = {r: c for r, c in merged.items() if c != column}
        merged[role] = column
    return replace(table, roles=merged)


def _outlier_table(table, matrix, flagged, z, column_index) -> pd.DataFrame:
    rows = np.flatnonzero(flagged)
    columns = list(matrix.values.columns)
    ids = table.frame[table.id_column].to_numpy()[rows] if table.id_column is not None else None
    values = [matrix.values.iloc[r, i] for r, i in zip(rows, column_index[rows])]
    return outlier_rows_table(
        rows, table.id_column, ids, [columns[i] for i in column_index[rows]], values, z[rows]
    )


def outlier_rows_table(rows, id_column, ids, column_names, values, z) -> pd.DataFrame:
    """The report's list of extreme customers, the most extreme first.

    Parameters
    ----------
    rows : numpy.ndarray of int
        0-based row numbers of the flagged customers.
    id_column : str or None
        The ID column's name; ``ids`` holds their IDs when it is not None.
    ids : array-like or None
    column_names, values, z : sequences
        Per flagged customer, the column that flagged it, its value there and the robust z.

    Returns
    -------
    pandas.DataFrame
        Columns Row (1-based), the ID column, Column, Value, Robust z.
    """
    frame = pd.DataFrame({"Row": np.asarray(rows, dtype=np.int64) + 1})
    if id_column is not None:
        frame[id_column] = ids
    frame["Column"] = list(column_names)
    frame["Value"] = list(values)
    frame["Robust z"] = np.abs(np.asarray(z, dtype=np.float64))
    # Most extreme first: a report that lists only some shows the absurd values.
    return frame.sort_values("Robust z", ascending=False, kind="stable").reset_index(drop=True)


def _fit_single(scaled, k, random_state, n_init):
    """A fit without curves, for tables too small to compare several k."""
    from kmeans_core import KMeans

    fitted = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(scaled)
    selection = KSelection(
        k_values=np.array([k]),
        inertia=np.array([float(fitted.inertia_)]),
        silhouette=np.array([np.nan]),
        elbow_k=None,
        silhouette_k=None,
        k=k,
        requested=k,
        reason=f"k = {k} was requested (too few customers to compare other values of k).",
        silhouette_sample_size=None,
    )
    return selection, fitted


def _check_labels(labels, k) -> dict[int, str]:
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise SegmentationError(
            f"labels must map segment numbers to names, not {type(labels).__name__}"
        )
    checked = {}
    for number, name in labels.items():
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise SegmentationError(f"labels: {number!r} is not a segment number") from None
        if not 1 <= number <= k:
            raise SegmentationError(
                f"labels: segment {number} does not exist; there are {k} segments (1 to {k})"
            )
        if not isinstance(name, str) or not name.strip():
            raise SegmentationError(f"labels: the name of segment {number} must be non-empty text")
        checked[number] = " ".join(name.split())
    return checked


def _present(
    table,
    matrix,
    scaler,
    scaled,
    selection,
    fitted,
    labels_all,
    flagged,
    outlier_rows,
    stability,
    user_labels,
    outlier_policy,
    random_state,
    n_init,
):
    """Renumber the clusters in a stable order, then name and profile them."""
    features = matrix.features
    columns = list(matrix.values.columns)
    k = selection.k
    centers_scaled = np.asarray(fitted.cluster_centers_, dtype=np.float64)
    # The segment mean: the plain mean of the members' values in original units, one
    # definition for cards, profile, names, drivers and plots. Customers flagged as extreme
    # count in the sizes but not in the means (nor medians, shares, overall figures):
    # one balance of 66 million would otherwise make a whole segment look rich.
    typical = (
        matrix.values.loc[~flagged].reindex(matrix.values.index) if flagged.any() else matrix.values
    )
    population_mean = typical.mean()
    population_std = typical.std(ddof=0)
    cluster_means = typical.groupby(labels_all).mean().reindex(range(k))

    levels = feature_levels(features, cluster_means, population_mean, population_std)
    order = _segment_order(levels, cluster_means.to_numpy())
    segment_of_cluster = np.empty(len(order), dtype=np.int64)
    segment_of_cluster[order] = np.arange(1, len(order) + 1)
    segment_numbers = segment_of_cluster[labels_all]

    segment_means = pd.DataFrame(
        cluster_means.to_numpy()[order], columns=columns, index=pd.RangeIndex(1, k + 1)
    )
    numeric_columns = [f.encoded_columns[0] for f in features if not f.is_categorical]
    correlation = typical[numeric_columns].corr() if len(numeric_columns) > 1 else None
    generated = name_segments(
        features, segment_means, population_mean, population_std, correlation=correlation
    )
    renamed = _check_labels(user_labels, k)
    names = [renamed.get(number, label.name) for number, label in enumerate(generated, start=1)]
    if len(set(names)) < len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise SegmentationError(
            f"labels: segment names must differ; repeated: {', '.join(repeated)}"
        )

    customers = table.frame.copy()
    customers[SEGMENT_COLUMN] = segment_numbers
    # A categorical column: a million customers share k strings instead of holding a million.
    customers[SEGMENT_NAME_COLUMN] = pd.Categorical.from_codes(
        segment_numbers - 1, categories=names
    )
    if flagged.any():
        customers["Outlier"] = flagged
    profile, overall = profile_segments(
        table.frame, segment_numbers, names, features, table.roles, feature_values=typical
    )
    stability_ordered = np.asarray(stability, dtype=np.float64)[order]
    outliers_per_segment = np.bincount(segment_numbers[flagged], minlength=k + 1)[1:]
    profile["Stability"] = stability_ordered

    segments = segment_cards(
        generated, names, profile, segment_means, stability_ordered, outliers_per_segment
    )
    if len(outlier_rows) and flagged.any():  # flagged and assigned (not excluded)
        outlier_rows = outlier_rows.assign(
            Segment=segment_numbers[outlier_rows["Row"].to_numpy() - 1]
        )
    warnings_found = _segment_warnings(segments, table.n_customers)
    model = SegmentModel(
        features=features,
        scaler=scaler,
        centers=centers_scaled[order],
        names=names,
        descriptions=[label.description for label in generated],
        actions=[label.action for label in generated],
        generated_names=[label.name for label in generated],
        means=segment_means.to_numpy(dtype=np.float64),
    )
    drivers = segment_drivers(features, segment_means, population_mean, population_std)
    return SegmentationResult(
        customers=customers,
        segments=segments,
        profile=profile,
        overall=overall,
        selection=selection,
        model=model,
        table=table,
        feature_values=matrix.values,
        scaled_features=scaled,
        inertia=float(fitted.inertia_),
        random_state=random_state,
        n_init=n_init,
        outliers=outlier_rows,
        drivers=drivers,
        scaling=describe_scaling(scaler, columns, matrix.values),
        warnings=warnings_found,
        outlier_policy=outlier_policy,
        overall_means=population_mean,
    )


def segment_cards(generated, names, profile, segment_means, stability, outliers_per_segment):
    """One :class:`Segment` per segment number, from the names, profile and means.

    ``generated`` are the naming rule's labels and ``names`` the names shown
    (the user's, where renamed); the rest are per segment, in segment order.
    """
    return [
        Segment(
            number=number,
            name=names[number - 1],
            description=label.description,
            action=label.action,
            size=int(profile.loc[number, "Customers"]),
            share=float(profile.loc[number, "Share"]),
            centroid=segment_means.loc[number],
            stability=float(stability[number - 1]),
            generated_name=label.name,
            n_outliers=int(outliers_per_segment[number - 1]),
        )
        for number, label in enumerate(generated, start=1)
    ]


def _segment_warnings(segments, n_customers) -> tuple[str, ...]:
    found = []
    for segment in segments:
        if segment.size < SMALL_SEGMENT_SIZE or segment.share < SMALL_SEGMENT_SHARE:
            found.append(
                f"Segment {segment.number} ({segment.name}) is small: {segment.size} customer(s), "
                f"{segment.share:.1%} of {n_customers:,}; it may be a few unusual customers "
                "rather than a group to act on."
            )
        if np.isfinite(segment.stability) and not segment.is_stable:
            found.append(
                f"Segment {segment.number} ({segment.name}) is unstable: bootstrap Jaccard "
                f"{segment.stability:.2f} (stable above {STABLE_JACCARD}); its members change "
                "when the data are resampled."
            )
    return tuple(found)
