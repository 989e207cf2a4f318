"""How many distances each algorithm computes, iteration by iteration (behind :mod:`kmeans_core.teach`).

:func:`distance_counts` replays the centers of one reference run through the
assignment rule of Lloyd's, Hamerly's and Elkan's algorithms and counts the
point-to-center distances each computes: the picture of how the accelerated
algorithms save work. The bounds rules themselves, and the per-sample
counts, are :mod:`kmeans_core.reference`'s (``hamerly_assignment``,
``elkan_assignment``, ``bounds_assignments``); this module totals them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kmeans_core import reference
from kmeans_core._validation import check_array
from kmeans_core.teach_steps import kmeans_steps

__all__ = [
    "DistanceCounts",
    "distance_counts",
    "DISTANCE_COUNTERS",
    "count_lloyd",
    "count_hamerly",
    "count_elkan",
]


# ---------------------------------------------------------------------------
# Counting distance computations
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DistanceCounts:
    """Distances computed by one algorithm, iteration by iteration.

    Attributes
    ----------
    algorithm : str
    n_samples, n_clusters : int
    point_center : ndarray of int64, shape (n_iter,)
        Sample-to-center distances computed by the assignment step of each
        iteration. Lloyd's algorithm computes all ``n_samples * n_clusters``.
    center_center : ndarray of int64, shape (n_iter,)
        Center-to-center distances (the bounds-based algorithms need the
        ``k * (k - 1) / 2`` pairwise distances each iteration after the first).
    labels : list of ndarray
        The labels each assignment step found: the same as Lloyd's for an
        exact algorithm (the tests check it).
    """

    algorithm: str
    n_samples: int
    n_clusters: int
    point_center: np.ndarray
    center_center: np.ndarray
    labels: list

    @property
    def lloyd_per_iteration(self) -> int:
        """What Lloyd's algorithm computes per iteration: ``n_samples * n_clusters``."""
        return self.n_samples * self.n_clusters

    @property
    def fraction_of_lloyd(self) -> np.ndarray:
        """``point_center`` per iteration as a fraction of Lloyd's ``n * k``."""
        return self.point_center / self.lloyd_per_iteration


def count_lloyd(X, centers_per_iteration):
    """Lloyd's algorithm: every sample against every center, every iteration.

    Returns a list of ``(point_center, center_center, labels)``, one per
    iteration, the signature every entry of :data:`DISTANCE_COUNTERS` follows.
    """
    n_samples = X.shape[0]
    return [
        (n_samples * centers.shape[0], 0, reference.assign(X, centers))
        for centers in centers_per_iteration
    ]


def _count_bounds(algorithm, X, centers_per_iteration):
    """Totals per iteration of :func:`kmeans_core.reference.bounds_assignments`."""
    return [
        (int(computed.sum()), center_center, bounds.labels)
        for bounds, computed, center_center in reference.bounds_assignments(
            algorithm, X, centers_per_iteration
        )
    ]


def count_hamerly(X, centers_per_iteration):
    """Hamerly (2010), "Making k-means even faster", Algorithm 2, counting distances.

    Per sample: an upper bound ``u`` on the distance to its own center and
    one lower bound ``l`` on the distance to every other center; a sample
    keeps its label without computing anything when ``u < max(l, s)``, with
    ``s`` half the distance from its center to the nearest other center.
    The rules are :func:`kmeans_core.reference.hamerly_assignment`'s (those
    of the numba kernel ``_kernels.bounds.hamerly_pass``); this sums its counts.
    """
    return _count_bounds("hamerly", X, centers_per_iteration)


def count_elkan(X, centers_per_iteration):
    """Elkan (2003), "Using the triangle inequality to accelerate k-means", counting distances.

    Per sample: an upper bound ``u`` on the distance to its own center and a
    lower bound ``l(j)`` for *every* center j (``n * k`` bounds); center j is
    skipped when ``u < l(j)`` or ``u < d(c_own, c_j) / 2``. The rules are
    :func:`kmeans_core.reference.elkan_assignment`'s (those of the numba
    kernel ``_kernels.bounds.elkan_pass``); this sums its counts.
    """
    return _count_bounds("elkan", X, centers_per_iteration)


#: How each algorithm counts its distances. Every entry takes
#: ``(X, centers_per_iteration)`` -- the data and the centers each assignment
#: step starts from -- and returns one ``(point_center, center_center,
#: labels)`` per iteration. Adding an algorithm is adding an entry.
DISTANCE_COUNTERS: dict[str, Callable] = {
    "lloyd": count_lloyd,
    "hamerly": count_hamerly,
    "elkan": count_elkan,
}


def distance_counts(
    X,
    n_clusters: int | None = None,
    *,
    algorithm: str = "lloyd",
    init="k-means++",
    sample_weight=None,
    random_state=0,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> DistanceCounts:
    """Distance computations per iteration of one algorithm, on one reference run.

    The run is :func:`kmeans_steps` (Lloyd's iterations); its centers at each
    assignment step are then replayed through ``algorithm``'s assignment
    rule, which counts the sample-to-center distances it computes. Every
    algorithm of :data:`DISTANCE_COUNTERS` is exact, so they all see the same
    centers and find the same labels; only the work differs. (The final
    re-assignment after a tolerance stop is not counted.)

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int, optional
        May be left out when ``init`` is an array.
    algorithm : str, default="lloyd"
        A key of :data:`DISTANCE_COUNTERS`: ``"lloyd"``, ``"hamerly"``, ``"elkan"``.
    init, sample_weight, random_state, max_iter, tol
        As in :func:`kmeans_steps`.

    Returns
    -------
    DistanceCounts

    Raises
    ------
    ValueError
        For an unknown ``algorithm``, and as :func:`kmeans_steps`.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core.teach import distance_counts
    >>> X = np.random.RandomState(0).standard_normal((200, 2))
    >>> distance_counts(X, 4, algorithm="lloyd").point_center[:3]
    array([800, 800, 800])
    >>> elkan = distance_counts(X, 4, algorithm="elkan")
    >>> bool(elkan.point_center[0] == 800 and elkan.point_center[-1] < 200)
    True
    """
    if algorithm not in DISTANCE_COUNTERS:
        raise ValueError(
            f"algorithm must be one of {sorted(DISTANCE_COUNTERS)}, got {algorithm!r}."
        )
    X_checked = check_array(X, dtype=np.float64, estimator="distance_counts")
    stages = kmeans_steps(
        X_checked,
        n_clusters,
        init=init,
        sample_weight=sample_weight,
        random_state=random_state,
        max_iter=max_iter,
        tol=tol,
    )
    centers_per_iteration = [
        stage.centers for stage in stages if stage.kind == "assignment" and not stage.final
    ]
    per_iteration = DISTANCE_COUNTERS[algorithm](X_checked, centers_per_iteration)
    return DistanceCounts(
        algorithm=algorithm,
        n_samples=X_checked.shape[0],
        n_clusters=centers_per_iteration[0].shape[0],
        point_center=np.array([count for count, _, _ in per_iteration], dtype=np.int64),
        center_center=np.array([count for _, count, _ in per_iteration], dtype=np.int64),
        labels=[labels for _, _, labels in per_iteration],
    )
