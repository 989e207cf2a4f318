"""Choosing how each feature column is scaled before clustering.

K-Means measures distance, so every column must be on a comparable scale;
what "comparable" means depends on the column:

``auto`` (the default)
    ``log`` for a column that is never negative and strongly skewed (sample
    skewness above :data:`SKEW_THRESHOLD`: money, counts, balances, where a
    few customers have many times the typical value), ``standard`` otherwise.
    The classic income and spending-score columns are not skewed (|skew| <
    0.5), so the classic analysis is unchanged.
``standard``
    Subtract the mean, divide by the (population) standard deviation.
``robust``
    Subtract the median, divide by the interquartile range / 1.349 (the IQR of
    a normal distribution in standard deviations), so a few extreme customers
    do not set the scale for everyone.
``log``
    ``log1p`` then ``standard``, for every column that is never negative
    (others get ``standard``; the report says which).
``minmax``, ``none``
    Rescale to 0-1; raw units.

Categorical columns (one-hot indicators) are weighted so that **one
categorical column counts like one numeric column**: a standardised numeric
column has variance 1; the indicators of one categorical column, centred on
each category's share ``p`` and all divided by ``sqrt(sum p (1 - p))``, have a
total variance of 1 too, however many categories it has. (Plain 0/1
indicators would give a column with many categories several times the weight
of a numeric column, and a rare category almost none.) With ``none`` the
indicators stay 0/1.

Every number shown to users is in original units: the scaling is undone
(``expm1`` for log columns) before anything is reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from segmentation._errors import SegmentationError
from segmentation.features import Feature, Scaler

__all__ = [
    "SCALE_CHOICES",
    "SKEW_THRESHOLD",
    "ColumnStatistics",
    "describe_scaling",
    "fit_scaling",
    "robust_center_and_scale",
    "scaling_from_statistics",
]

#: What ``scale=`` accepts.
SCALE_CHOICES = ("auto", "standard", "robust", "log", "minmax", "none")
#: ``auto`` log-transforms a never-negative column whose sample skewness is above this.
#: Skewness up to 1-2 is common in well-behaved columns (ages, scores); beyond 2 a few
#: customers hold a large part of the column's variance and would dominate the distances.
SKEW_THRESHOLD = 2.0
# The IQR of a standard normal distribution, so robust scales are in standard deviations.
_IQR_OF_NORMAL = 1.349


def _skewness(values: np.ndarray) -> float:
    return float(pd.Series(values).skew())


class ColumnStatistics:
    """The statistics :func:`scaling_from_statistics` needs, from an in-memory matrix.

    The Dask engine (:mod:`segmentation.dask_engine`) provides the same methods
    computed by reductions over a Dask collection, so both engines make their
    choices by one piece of code.

    Parameters
    ----------
    array : numpy.ndarray, shape (n_customers, n_columns)
        Encoded features in original units.
    fit_rows : numpy.ndarray of bool
        Customers the centres and scales are learned from.
    """

    def __init__(self, array: np.ndarray, fit_rows: np.ndarray):
        self.array = array
        self.rows = fit_rows

    def minimum(self, column: int) -> float:
        """Smallest value of a column over all customers."""
        return float(self.array[:, column].min())

    def skewness(self, column: int) -> float:
        """Sample skewness of a column over all customers (pandas' definition)."""
        return _skewness(self.array[:, column])

    def center_and_scale(self, column: int, method: str) -> tuple[float, float]:
        """Centre and scale of a column over the fit rows, after log1p for ``log``."""
        values = self.array[self.rows, column]
        return _center_and_scale(np.log1p(values) if method == "log" else values, method)

    def shares(self, columns: slice) -> np.ndarray:
        """Mean of indicator columns over the fit rows."""
        return self.array[self.rows, columns].mean(axis=0)


def _numeric_method(statistics, column: int, method: str) -> str:
    if method == "auto":
        if statistics.minimum(column) >= 0 and statistics.skewness(column) > SKEW_THRESHOLD:
            return "log"
        return "standard"
    if method == "log":
        return "log" if statistics.minimum(column) >= 0 else "standard"
    return method


def _center_and_scale(values: np.ndarray, method: str) -> tuple[float, float]:
    if method in ("standard", "log"):
        return float(values.mean()), float(values.std())
    if method == "robust":
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        return robust_center_and_scale(q1, median, q3, lambda: float(values.std()))
    if method == "minmax":
        return float(values.min()), float(np.ptp(values))
    return 0.0, 1.0


def robust_center_and_scale(q1: float, median: float, q3: float, std) -> tuple[float, float]:
    """Median and IQR / 1.349; ``std()`` (called only then) when the IQR is 0."""
    spread = (q3 - q1) / _IQR_OF_NORMAL
    # A column where half the customers share one value has IQR 0: fall back to the SD.
    return float(median), float(spread if spread > 0 else std())


def fit_scaling(
    values: pd.DataFrame,
    features: Sequence[Feature],
    method: str = "auto",
    *,
    fit_rows: np.ndarray | None = None,
) -> Scaler:
    """Choose and learn the scaling of every encoded feature column.

    Parameters
    ----------
    values : pandas.DataFrame
        Encoded features in original units (:attr:`FeatureMatrix.values`).
    features : sequence of Feature
        The features the columns come from.
    method : str
        One of :data:`SCALE_CHOICES` (see the module docstring).
    fit_rows : numpy.ndarray of bool, optional
        Customers the centres and scales are learned from (outliers left out);
        the choice of log is made on all customers. Default: everyone.

    Returns
    -------
    Scaler

    Examples
    --------
    >>> import pandas as pd
    >>> from segmentation.features import Feature
    >>> money = pd.DataFrame({"Spend": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 1000], "Age": range(20, 30)})
    >>> scaler = fit_scaling(money, [Feature("Spend"), Feature("Age")])
    >>> scaler.column_methods
    ('log', 'standard')
    """
    if method not in SCALE_CHOICES:
        raise SegmentationError(f"scale must be one of {', '.join(SCALE_CHOICES)}, not {method!r}")
    array = np.asarray(values, dtype=np.float64)
    rows = np.ones(len(array), dtype=bool) if fit_rows is None else np.asarray(fit_rows, bool)
    return scaling_from_statistics(ColumnStatistics(array, rows), features, method)


def scaling_from_statistics(
    statistics, features: Sequence[Feature], method: str = "auto"
) -> Scaler:
    """The scaler :func:`fit_scaling` chooses, from precomputed column statistics.

    Parameters
    ----------
    statistics : ColumnStatistics or an object with the same methods
        Where the numbers come from: a matrix in memory, or reductions over a
        Dask collection (:mod:`segmentation.dask_engine`).
    features : sequence of Feature
    method : str
        One of :data:`SCALE_CHOICES`.

    Returns
    -------
    Scaler
    """
    if method not in SCALE_CHOICES:
        raise SegmentationError(f"scale must be one of {', '.join(SCALE_CHOICES)}, not {method!r}")
    centers, scales, transforms, methods = [], [], [], []
    position = 0
    for feature in features:
        width = len(feature.encoded_columns)
        block = slice(position, position + width)
        first = position
        position += width
        if feature.is_categorical:
            if method == "none":
                centers += [0.0] * width
                scales += [1.0] * width
            else:
                shares = np.asarray(statistics.shares(block), dtype=np.float64)
                if len(feature.categories) == 2:
                    variance = shares[0] * (1 - shares[0])
                else:
                    variance = float(np.sum(shares * (1 - shares)))
                centers += shares.tolist()
                scales += [float(np.sqrt(variance)) if variance > 0 else 1.0] * width
            transforms += ["identity"] * width
            methods += ["category"] * width
            continue
        chosen = _numeric_method(statistics, first, method)
        center, scale = statistics.center_and_scale(first, chosen)
        centers.append(center)
        scales.append(scale if scale > 0 else 1.0)
        transforms.append("log1p" if chosen == "log" else "identity")
        methods.append(chosen)
    return Scaler(method, np.array(centers), np.array(scales), tuple(transforms), tuple(methods))


def describe_scaling(scaler: Scaler, columns: Sequence[str], values) -> pd.DataFrame:
    """Per column: the scaling used and the skewness that decided it, for the report.

    ``values`` is the encoded feature table, or the :class:`ColumnStatistics`
    (or Dask counterpart) the skewness is taken from.
    """
    methods = scaler.column_methods or (scaler.method,) * len(columns)
    if isinstance(values, pd.DataFrame):
        values = ColumnStatistics(values.to_numpy(dtype=np.float64), slice(None))
    skew = [values.skewness(j) if m != "category" else np.nan for j, m in enumerate(methods)]
    return pd.DataFrame({"Feature": list(columns), "Scaling": list(methods), "Skewness": skew})
