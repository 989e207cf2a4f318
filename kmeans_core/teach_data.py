"""The built-in 2-D data sets of the teaching tools (behind :mod:`kmeans_core.teach`)."""

from __future__ import annotations

import numpy as np

from kmeans_core._kmeans import _check_int
from kmeans_core._validation import check_random_state

__all__ = ["teaching_data", "TEACHING_DATA"]


# ---------------------------------------------------------------------------
# Built-in teaching data
# ---------------------------------------------------------------------------


def _blobs(n_samples, rng):
    centers = np.array([[-4.0, 2.5], [0.5, 4.0], [3.5, -1.0], [-1.5, -2.5]])
    spreads = np.array([1.3, 1.05, 1.55, 1.15])
    labels = rng.randint(len(centers), size=n_samples)
    return centers[labels] + rng.standard_normal((n_samples, 2)) * spreads[labels, None], labels


def _moons(n_samples, rng):
    labels = rng.randint(2, size=n_samples)
    angle = rng.uniform(0, np.pi, n_samples)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])
    points = np.where(labels[:, None] == 0, upper, lower)
    return points + rng.standard_normal((n_samples, 2)) * 0.08, labels


def _unequal(n_samples, rng):
    # One large, spread-out group next to two small, tight ones.
    sizes = np.array([0.8, 0.1, 0.1])
    labels = rng.choice(3, size=n_samples, p=sizes)
    centers = np.array([[0.0, 0.0], [4.2, 1.2], [4.2, -1.2]])
    spreads = np.array([1.6, 0.3, 0.3])
    return centers[labels] + rng.standard_normal((n_samples, 2)) * spreads[labels, None], labels


def _scales(n_samples, rng):
    # Two groups told apart by age (tens of years); income (tens of
    # thousands) varies a lot within both and dwarfs age in a raw distance.
    labels = rng.randint(2, size=n_samples)
    age = np.where(labels == 0, 28.0, 58.0) + rng.standard_normal(n_samples) * 4.0
    income = rng.uniform(20_000, 90_000, n_samples)
    return np.column_stack([income, age]), labels


#: Built-in 2-D data sets, name -> ``(function(n_samples, rng) -> (X, true_labels), description)``.
TEACHING_DATA = {
    "blobs": (_blobs, "four round Gaussian blobs that overlap a little"),
    "moons": (_moons, "two interleaved half-moons (not convex)"),
    "unequal": (_unequal, "one large spread-out group beside two small tight ones"),
    "scales": (_scales, "income (tens of thousands) and age (tens): unscaled features"),
}


def teaching_data(name: str = "blobs", n_samples: int = 300, random_state=0):
    """A small built-in 2-D data set for lessons.

    Parameters
    ----------
    name : {"blobs", "moons", "unequal", "scales"}, default="blobs"
        See :data:`TEACHING_DATA`.
    n_samples : int, default=300
    random_state : int, numpy.random.RandomState or None, default=0

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    true_labels : ndarray of shape (n_samples,)
        The group each point was generated from.

    Examples
    --------
    >>> from kmeans_core.teach import teaching_data
    >>> X, groups = teaching_data("moons", n_samples=100)
    >>> X.shape, sorted(set(groups.tolist()))
    ((100, 2), [0, 1])
    """
    if name not in TEACHING_DATA:
        raise ValueError(f"name must be one of {sorted(TEACHING_DATA)}, got {name!r}.")
    n_samples = _check_int(n_samples, "n_samples")
    make, _ = TEACHING_DATA[name]
    return make(n_samples, check_random_state(random_state))
