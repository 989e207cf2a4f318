"""Finding extreme customers before clustering.

One customer with an income of 666,666 among incomes of 50,000 pulls a K-Means
centre to itself and becomes a segment of one. Extreme customers are found
with the **robust z-score** of Iglewicz and Hoaglin (1993), per numeric
feature column, on the values as they are clustered (after the log of a
``log``-scaled column, so skewed money is judged on its log):

    z = (x - median) / spread,   spread = max(MAD / 0.6745, IQR / 1.349)

where MAD is the median absolute deviation and IQR the interquartile range,
each divided by its value for a standard normal so that ``spread`` is in
standard deviations (MAD alone gives Iglewicz and Hoaglin's modified z-score).
The larger of the two is used because MAD alone is tiny in a column where most
customers sit near one value (no cash advances, say): everyone else would look
extreme. When both are 0, the mean absolute deviation times 1.2533 is used.
A customer is extreme when any column has ``|z| >`` :data:`OUTLIER_THRESHOLD`
(3.5, the authors' recommendation). Categorical indicators are never outliers.

Judging a log-scaled column on its log means a skewed money column's long
tail is not "extreme": an income of 666,666 among incomes around 50,000 is
3 robust SDs out on the log scale when incomes vary by a factor of e, and the
log scaling alone keeps it from pulling a centre to itself. A value that is
absurd even on the log scale (66 million) is flagged.

What happens to them is the ``outliers`` option:

``flag`` (default)
    Left out of fitting (choosing k, centres, scaling), then assigned to their
    nearest segment and listed in the report.
``exclude``
    Left out of fitting and of the results (the report says how many).
``keep``
    Treated like everyone else.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "OUTLIER_POLICIES",
    "OUTLIER_THRESHOLD",
    "find_outliers",
    "largest_z",
    "robust_spread",
    "robust_z_scores",
    "z_scores_from",
]

#: |robust z| above this makes a customer extreme.
OUTLIER_THRESHOLD = 3.5
#: What ``outliers=`` accepts.
OUTLIER_POLICIES = ("flag", "exclude", "keep")
_MAD_TO_Z = 0.6745
_IQR_TO_Z = 1.349
_MEAN_AD_TO_Z = 1.2533


def robust_spread(q1, q3, mad, mean_absolute_deviation):
    """The robust SD of each column from its quartiles and absolute deviations.

    ``max(MAD / 0.6745, IQR / 1.349)``, or 1.2533 x the mean absolute
    deviation where both are 0 (see the module docstring). The arguments are
    per-column arrays; ``mean_absolute_deviation`` may be a function called
    only when needed.
    """
    spread = np.maximum(np.asarray(mad) / _MAD_TO_Z, (np.asarray(q3) - np.asarray(q1)) / _IQR_TO_Z)
    if np.all(spread > 0):
        return spread
    if callable(mean_absolute_deviation):
        mean_absolute_deviation = mean_absolute_deviation()
    return np.where(spread > 0, spread, _MEAN_AD_TO_Z * np.asarray(mean_absolute_deviation))


def robust_z_scores(values: np.ndarray) -> np.ndarray:
    """Robust z-score of every value, per column (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> z = robust_z_scores(np.array([[1.0], [2.0], [3.0], [4.0], [100.0]]))
    >>> bool(abs(z[4, 0]) > 3.5), bool(abs(z[0, 0]) < 3.5)
    (True, True)
    """
    array = np.asarray(values, dtype=np.float64)
    median = np.median(array, axis=0)
    deviation = array - median
    q1, q3 = np.percentile(array, [25, 75], axis=0)
    spread = robust_spread(
        q1,
        q3,
        np.median(np.abs(deviation), axis=0),
        lambda: np.mean(np.abs(deviation), axis=0),
    )
    return z_scores_from(array, median, spread)


def z_scores_from(array: np.ndarray, median: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """``(x - median) / spread`` per column; 0 in columns whose spread is 0."""
    z = np.zeros_like(array)
    judged = spread > 0
    z[:, judged] = (array - median)[:, judged] / spread[judged]
    return z


def find_outliers(values: np.ndarray, numeric: np.ndarray, threshold: float = OUTLIER_THRESHOLD):
    """Which customers are extreme, and the largest |z| of each.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_customers, n_columns)
        Features as clustered but before centring/scaling (log applied).
    numeric : numpy.ndarray of bool, shape (n_columns,)
        Columns to judge (categorical indicators are not).
    threshold : float

    Returns
    -------
    is_outlier : numpy.ndarray of bool
    largest : numpy.ndarray of float
        Largest |z| over the judged columns.
    worst_column : numpy.ndarray of int
        Index (into all columns) of the column with that |z|.
    """
    array = np.asarray(values, dtype=np.float64)
    n = len(array)
    if not np.any(numeric):
        return np.zeros(n, bool), np.zeros(n), np.zeros(n, dtype=np.int64)
    columns = np.flatnonzero(numeric)
    return largest_z(robust_z_scores(array[:, columns]), columns, threshold)


def largest_z(z: np.ndarray, columns: np.ndarray, threshold: float = OUTLIER_THRESHOLD):
    """Per row of z-scores: beyond the threshold?, the largest |z|, and its column in ``columns``."""
    z = np.abs(z)
    worst = np.argmax(z, axis=1)
    largest = z[np.arange(len(z)), worst]
    return largest > threshold, largest, columns[worst]
