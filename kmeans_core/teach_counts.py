"""How many distances each algorithm computes, iteration by iteration (behind :mod:`kmeans_core.teach`).

:func:`distance_counts` replays the centers of one reference run through the
assignment rule of Lloyd's, Hamerly's and Elkan's algorithms and counts the
point-to-center distances each computes: the picture of how the accelerated
algorithms save work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kmeans_core import reference
from kmeans_core._validation import check_array
from kmeans_core.teach_steps import kmeans_steps

__all__ = ["DistanceCounts", "distance_counts", "DISTANCE_COUNTERS",
           "count_lloyd", "count_hamerly", "count_elkan"]


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


def _distances(X, centers):
    """Euclidean distances, entry (i, j) = ||X[i] - centers[j]||."""
    return np.sqrt(reference.squared_distances(X, centers))


def _all_distances(X, centers):
    """Labels as Lloyd's assignment gives them (argmin of squared distances) and the distances."""
    squared = reference.squared_distances(X, centers)
    return squared.argmin(axis=1), np.sqrt(squared)


def _center_shifts_and_separations(centers, previous):
    shifts = np.sqrt(((centers - previous) ** 2).sum(axis=1))
    half_center_distances = 0.5 * _distances(centers, centers)
    separation = half_center_distances + np.diag(np.full(centers.shape[0], np.inf))
    return shifts, half_center_distances, separation.min(axis=1)


def count_lloyd(X, centers_per_iteration):
    """Lloyd's algorithm: every sample against every center, every iteration.

    Returns a list of ``(point_center, center_center, labels)``, one per
    iteration, the signature every entry of :data:`DISTANCE_COUNTERS` follows.
    """
    n_samples = X.shape[0]
    return [(n_samples * centers.shape[0], 0, reference.assign(X, centers))
            for centers in centers_per_iteration]


def count_hamerly(X, centers_per_iteration):
    """Hamerly (2010), "Making k-means even faster", Algorithm 2, counting distances.

    Per sample: an upper bound ``u`` on the distance to its own center and
    one lower bound ``l`` on the distance to every other center. When the
    centers move, ``u`` grows by its center's shift and ``l`` shrinks by the
    largest shift of another center (the triangle inequality keeps both
    valid). A sample keeps its label without computing anything when
    ``u < max(l, s)``, with ``s`` half the distance from its center to the
    nearest other center; otherwise ``u`` is tightened (1 distance) and, if
    the test still fails, the sample is compared with all k centers. The
    first iteration computes everything (there are no bounds yet). The rules
    are those of the numba kernel ``_bounds.hamerly_pass``.
    """
    results = []
    labels = upper = lower = previous = None
    n_samples = X.shape[0]
    for centers in centers_per_iteration:
        k = centers.shape[0]
        if previous is None:
            labels, distances = _all_distances(X, centers)
            upper, lower = _own_and_second(distances, labels)
            results.append((n_samples * k, 0, labels.copy()))
            previous = centers
            continue
        shifts, _, half_separation = _center_shifts_and_separations(centers, previous)
        largest = int(np.argmax(shifts))
        other_shifts = np.delete(shifts, largest)
        second_largest = other_shifts.max() if other_shifts.size else 0.0
        upper = upper + shifts[labels]
        lower = lower - np.where(labels == largest, second_largest, shifts[largest])
        bound = np.maximum(half_separation[labels], lower)

        tighten = np.flatnonzero(upper >= bound)
        own = centers[labels[tighten]]
        upper[tighten] = np.sqrt(((X[tighten] - own) ** 2).sum(axis=1))
        rescan = tighten[upper[tighten] >= bound[tighten]]
        if rescan.size:
            new_labels, distances = _all_distances(X[rescan], centers)
            labels[rescan] = new_labels
            upper[rescan], lower[rescan] = _own_and_second(distances, new_labels)
        separations = k * (k - 1) // 2
        results.append((tighten.size + rescan.size * k, separations, labels.copy()))
        previous = centers
    return results


def _own_and_second(distances, labels):
    """Distance to the own center and to the nearest other one, per row."""
    rows = np.arange(distances.shape[0])
    own = distances[rows, labels]
    others = distances.copy()
    others[rows, labels] = np.inf
    return own, others.min(axis=1)


def count_elkan(X, centers_per_iteration):
    """Elkan (2003), "Using the triangle inequality to accelerate k-means", counting distances.

    Per sample: an upper bound ``u`` on the distance to its own center and a
    lower bound ``l(j)`` for *every* center j (``n * k`` bounds). After the
    centers move, ``u`` grows by its center's shift and each ``l(j)`` shrinks
    by center j's shift. Center j is skipped when ``u < l(j)`` (Lemma 2) or
    ``u < d(c_own, c_j) / 2`` (Lemma 1); a sample skips every center when
    ``u`` is below half the distance to its center's nearest other center.
    Before the first distance a sample computes, ``u`` is tightened to the
    exact distance (1 distance) and the test repeated. The rules, and the
    order of the centers tried, are those of ``_bounds.elkan_pass``; the
    loop over centers runs once for all samples at a time.
    """
    results = []
    labels = upper = lower = previous = None
    n_samples = X.shape[0]
    for centers in centers_per_iteration:
        k = centers.shape[0]
        if previous is None:
            labels, lower = _all_distances(X, centers)
            upper = lower[np.arange(n_samples), labels]
            results.append((n_samples * k, 0, labels.copy()))
            previous = centers
            continue
        shifts, half_center_distances, half_separation = _center_shifts_and_separations(
            centers, previous)
        upper = upper + shifts[labels]
        lower = np.maximum(lower - shifts, 0.0)
        active = upper >= half_separation[labels]
        tight = np.zeros(n_samples, dtype=bool)
        computed = 0
        for j in range(k):
            # Samples for which center j could be closer than their current one.
            candidate = active & (labels != j) & (upper >= lower[:, j]) \
                & (upper >= half_center_distances[labels, j])
            tighten = np.flatnonzero(candidate & ~tight)
            if tighten.size:
                upper[tighten] = np.sqrt(((X[tighten] - centers[labels[tighten]]) ** 2).sum(1))
                lower[tighten, labels[tighten]] = upper[tighten]
                tight[tighten] = True
                computed += tighten.size
                candidate &= (upper >= lower[:, j]) & (upper >= half_center_distances[labels, j])
            rows = np.flatnonzero(candidate)
            if rows.size == 0:
                continue
            to_j = np.sqrt(((X[rows] - centers[j]) ** 2).sum(axis=1))
            computed += rows.size
            lower[rows, j] = to_j
            closer = (to_j < upper[rows]) | ((to_j == upper[rows]) & (j < labels[rows]))
            labels[rows[closer]] = j
            upper[rows[closer]] = to_j[closer]
        results.append((computed, k * (k - 1) // 2, labels.copy()))
        previous = centers
    return results


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
    stages = kmeans_steps(X_checked, n_clusters, init=init, sample_weight=sample_weight,
                          random_state=random_state, max_iter=max_iter, tol=tol)
    centers_per_iteration = [stage.centers for stage in stages
                             if stage.kind == "assignment" and not stage.final]
    per_iteration = DISTANCE_COUNTERS[algorithm](X_checked, centers_per_iteration)
    return DistanceCounts(
        algorithm=algorithm,
        n_samples=X_checked.shape[0],
        n_clusters=centers_per_iteration[0].shape[0],
        point_center=np.array([count for count, _, _ in per_iteration], dtype=np.int64),
        center_center=np.array([count for _, count, _ in per_iteration], dtype=np.int64),
        labels=[labels for _, _, labels in per_iteration],
    )
