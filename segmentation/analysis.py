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
from segmentation.features import SCALE_METHODS, Feature, Scaler, build_features
from segmentation.model import SEGMENT_COLUMN, SEGMENT_NAME_COLUMN, SegmentModel
from segmentation.naming import feature_levels, name_segments
from segmentation.profile import profile_segments

__all__ = [
    "segment_customers",
    "SegmentationResult",
    "Segment",
    "KSelection",
    "DEFAULT_K_RANGE",
    "DEFAULT_N_INIT",
    "SILHOUETTE_SAMPLE_SIZE",
]

#: Values of k compared when k is "auto".
DEFAULT_K_RANGE = range(1, 11)
#: K-Means restarts per k (the best of them, by WCSS, is kept).
DEFAULT_N_INIT = 10
#: Above this many customers the silhouette is computed on a random sample of
#: this size: the exact silhouette needs all pairwise distances, which at a
#: million customers is 10^12 of them.
SILHOUETTE_SAMPLE_SIZE = 10_000


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
        The segment's centroid in original units, per encoded feature column.
    """

    number: int
    name: str
    description: str
    action: str
    size: int
    share: float
    centroid: pd.Series


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
        """Segment number (1 to k) of each customer."""
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


def _check_parameters(k, scale, n_init, k_range) -> list[int]:
    if scale not in SCALE_METHODS:
        raise SegmentationError(f"scale must be one of {', '.join(SCALE_METHODS)}, not {scale!r}")
    if not (isinstance(n_init, (int, np.integer)) and not isinstance(n_init, bool) and n_init >= 1):
        raise SegmentationError(f"n_init must be a positive integer, not {n_init!r}")
    if isinstance(k, str):
        if k.strip().lower() != "auto":
            try:
                k = int(k)
            except ValueError:
                raise SegmentationError(f"k must be 'auto' or a positive integer, not {k!r}") from None
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
                parts[-1] += f" and the silhouette peaks at k = {silhouette_k} ({sil(silhouette_k)})."
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
            f" and the silhouette also peaks there ({sil(elbow_k)})" if silhouette_k == elbow_k else ""
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
    return selection, choice.models[k]


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
    features: Sequence[str] | None = None,
    k: int | str = "auto",
    scale: str = "standard",
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
) -> SegmentationResult:
    """Find, order, name and profile customer segments.

    Parameters
    ----------
    data : path-like, pandas.DataFrame or CustomerTable
        The customer table (CSV, Parquet or a DataFrame, which is not modified).
    features : sequence of str, optional
        Columns or keywords (``income``, ``spending``, ``age``, ``gender``);
        default income and spending score.
    k : int or "auto"
        Number of segments, or ``"auto"``: the knee of the WCSS curve over
        ``k_range`` (Kneedle), checked against the silhouette. Both curves are
        computed and kept in either case.
    scale : {"standard", "minmax", "none"}
        Standardise each feature (default), rescale to [0, 1], or use raw units.
        Results are reported in original units whatever the choice.
    k_range : sequence of int
        The k compared, default 1 to 10 (values above the number of distinct
        customers are left out).
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
        to 10,000 customers and a random 10,000 above that.
    progress : object, optional
        Something with a ``step(message)`` context manager, told about each
        stage (the command line shows it); None for silence.
    sep, decimal, encoding : str, optional
        How to read a text file; detected when omitted (see
        :mod:`segmentation.reading`). What was used is in
        ``result.table.reading``.

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
    k_values = _check_parameters(k, scale, n_init, k_range)
    requested = "auto" if isinstance(k, str) and k.strip().lower() == "auto" else int(k)

    with step("checking the customer table"):
        table = load_customers(
            data, id_column=id_column, sep=sep, decimal=decimal, encoding=encoding
        )
        matrix = build_features(table, features, missing=missing, strict=strict)
        table = matrix.table
        scaler = Scaler.fit(matrix.values, scale)
        scaled = scaler.transform(matrix.values)

    # K-Means cannot make more clusters than there are distinct customers, and
    # the silhouette is only defined for 2 <= k <= n - 1.
    n_distinct = len(matrix.values.drop_duplicates())
    if requested != "auto" and requested > n_distinct:
        raise SegmentationError(
            f"k = {requested} is more than the {n_distinct} distinct customers in the table"
        )
    if requested != "auto" and requested not in k_values:
        k_values = sorted(set(k_values) | {requested})
    k_values = [value for value in k_values if value <= min(n_distinct, table.n_customers - 1)]
    if requested == "auto" and len(k_values) < 3:
        raise SegmentationError(
            f"k = 'auto' needs at least 3 values of k to find an elbow, but the table has only "
            f"{n_distinct} distinct customers; give k as a number"
        )
    sample = _silhouette_sample(table.n_customers, silhouette_sample_size)
    compare_curves = len(k_values) >= 3 and (requested == "auto" or requested in k_values)
    description = (
        f"fitting K-Means for k = {k_values[0]}..{k_values[-1]} ({n_init} restarts each)"
        if compare_curves else f"fitting K-Means for k = {requested} ({n_init} restarts)"
    )
    with step(description):
        if compare_curves:
            selection, fitted = _choose_k(
                scaled, k_values, requested,
                random_state=random_state, n_init=n_init, silhouette_sample_size=sample,
            )
        else:
            selection, fitted = _fit_single(scaled, requested, random_state, n_init)

    with step("naming and profiling the segments"):
        return _present(table, matrix, scaler, scaled, selection, fitted, random_state, n_init)


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


def _present(table, matrix, scaler, scaled, selection, fitted, random_state, n_init):
    """Renumber the clusters in a stable order, then name and profile them."""
    features = matrix.features
    columns = list(matrix.values.columns)
    centers_scaled = np.asarray(fitted.cluster_centers_, dtype=np.float64)
    centers_original = scaler.inverse_transform(centers_scaled)
    population_mean = matrix.values.mean()
    population_std = matrix.values.std(ddof=0)

    levels = feature_levels(
        features, pd.DataFrame(centers_original, columns=columns), population_mean, population_std
    )
    order = _segment_order(levels, centers_original)
    segment_of_cluster = np.empty(len(order), dtype=np.int64)
    segment_of_cluster[order] = np.arange(1, len(order) + 1)
    segment_numbers = segment_of_cluster[np.asarray(fitted.labels_)]

    ordered_original = pd.DataFrame(
        centers_original[order], columns=columns, index=pd.RangeIndex(1, len(order) + 1)
    )
    labels = name_segments(features, ordered_original, population_mean, population_std)
    names = [label.name for label in labels]

    customers = table.frame.copy()
    customers[SEGMENT_COLUMN] = segment_numbers
    # A categorical column: a million customers share k strings instead of holding a million.
    customers[SEGMENT_NAME_COLUMN] = pd.Categorical.from_codes(segment_numbers - 1, categories=names)
    profile, overall = profile_segments(table.frame, segment_numbers, names, features, table.roles)

    segments = [
        Segment(
            number=number,
            name=label.name,
            description=label.description,
            action=label.action,
            size=int(profile.loc[number, "Customers"]),
            share=float(profile.loc[number, "Share"]),
            centroid=ordered_original.loc[number],
        )
        for number, label in zip(range(1, len(order) + 1), labels)
    ]
    model = SegmentModel(
        features=features,
        scaler=scaler,
        centers=centers_scaled[order],
        names=names,
        descriptions=[label.description for label in labels],
        actions=[label.action for label in labels],
    )
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
    )
