"""Finding extreme customers before clustering.

One customer with an income of 666,666 among incomes of 50,000 pulls a K-Means
centre to itself and becomes a segment of one. Extreme customers are found
with the **robust z-score** of Iglewicz and Hoaglin (1993), per numeric
feature column, on the values as they are clustered (after the log of a
``log``-scaled column, so skewed money is judged on its log):

    z = 0.6745 * (x - median) / MAD

where MAD is the median absolute deviation (0.6745 makes z comparable with a
standard normal's). When more than half the customers share one value (MAD =
0), the mean absolute deviation times 1.2533 replaces MAD. A customer is
extreme when any column has ``|z| >`` :data:`OUTLIER_THRESHOLD` (3.5, the
authors' recommendation). Categorical indicators are never outliers.

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

__all__ = ["robust_z_scores", "find_outliers", "OUTLIER_THRESHOLD", "OUTLIER_POLICIES"]

#: |robust z| above this makes a customer extreme.
OUTLIER_THRESHOLD = 3.5
#: What ``outliers=`` accepts.
OUTLIER_POLICIES = ("flag", "exclude", "keep")
_MAD_TO_Z = 0.6745
_MEAN_AD_TO_Z = 1.2533


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
    mad = np.median(np.abs(deviation), axis=0)
    mean_ad = np.mean(np.abs(deviation), axis=0)
    z = np.zeros_like(array)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_mad = _MAD_TO_Z * deviation / mad
        by_mean = deviation / (_MEAN_AD_TO_Z * mean_ad)
    use_mad = mad > 0
    use_mean = ~use_mad & (mean_ad > 0)
    z[:, use_mad] = by_mad[:, use_mad]
    z[:, use_mean] = by_mean[:, use_mean]
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
    z = np.abs(robust_z_scores(array[:, columns]))
    worst = np.argmax(z, axis=1)
    largest = z[np.arange(n), worst]
    return largest > threshold, largest, columns[worst]
