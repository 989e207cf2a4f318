"""Watch K-Means work, one stage at a time.

:func:`kmeans_steps` runs one K-Means fit on the readable NumPy reference
(:mod:`kmeans_core.reference`) and *yields* every stage of it, so a learner
can stop after each one and look:

1. :class:`SeedingStep` -- one per initial center. With k-means++ it carries
   the D^2 sampling probabilities, the candidates drawn and the potential
   each candidate would leave.
2. :class:`AssignmentStep` -- every point joins its nearest center.
3. :class:`UpdateStep` -- every center moves to the mean of its points.
4. Steps 2 and 3 alternate until a stopping rule holds; a last
   :class:`Converged` stage says which one and holds the result.

The stages use the reference's own functions (``kmeans_plusplus_steps``,
``assign``, ``update``, ``inertia``), so the fit is exactly
:func:`kmeans_core.reference.kmeans`, and, to rounding, what
:class:`kmeans_core.KMeans` returns with the same ``init`` and
``random_state`` (the test suite checks both).

:func:`distance_counts` counts the point-to-center distances each iteration
computes, for Lloyd's algorithm and for the bounds-based algorithms of
Hamerly and Elkan, on the same sequence of centers: the picture of how the
accelerated algorithms save work. Pictures live in
:mod:`kmeans_core.teach_plots`; ``python -m kmeans_core.teach --out DIR``
writes the animation.
"""

from __future__ import annotations

import argparse
import numbers
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from kmeans_core import reference
from kmeans_core._validation import check_array, check_random_state, check_sample_weight

__all__ = [
    "SeedingStep",
    "AssignmentStep",
    "UpdateStep",
    "Converged",
    "kmeans_steps",
    "DistanceCounts",
    "distance_counts",
    "DISTANCE_COUNTERS",
    "teaching_data",
    "TEACHING_DATA",
    "main",
]


# ---------------------------------------------------------------------------
# The stages
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SeedingStep:
    """One initial center is chosen.

    What a learner sees: with k-means++, each sample's chance of being drawn
    is proportional to ``weight * D^2``, its squared distance to the nearest
    center chosen so far (``probabilities``): far-away points are likely,
    points on top of a center are never drawn. The greedy variant draws a few
    ``candidates`` and keeps the one that leaves the smallest potential
    ``sum(weight * D^2)`` (``candidate_potentials``). The very first center
    is drawn in proportion to weight alone. With ``init="random"`` every
    center is drawn in proportion to weight among the rows not yet chosen.

    Attributes
    ----------
    index : int
        Which center this is (0 for the first).
    n_clusters : int
        How many centers the seeding will choose.
    method : {"k-means++", "random"}
        The ``init`` that drew it.
    chosen : int
        The row of X that became the center.
    candidates : ndarray of int
        Rows drawn at this step (one for the first center and for random init).
    candidate_potentials : ndarray of float
        Potential ``sum(weight * D^2)`` each candidate would leave.
    probabilities : ndarray of shape (n_samples,)
        Chance that one draw lands on each sample; sums to 1.
    centers : ndarray of shape (index + 1, n_features)
        The centers chosen so far, this one last.
    inertia : float
        The potential once this center is added: the inertia of the centers
        chosen so far (each sample counted at its nearest one).
    """

    kind: ClassVar[str] = "seeding"
    index: int
    n_clusters: int
    method: str
    chosen: int
    candidates: np.ndarray
    candidate_potentials: np.ndarray
    probabilities: np.ndarray
    centers: np.ndarray
    inertia: float


@dataclass(frozen=True, eq=False)
class AssignmentStep:
    """Every sample joins its nearest center (ties: the lowest index).

    What a learner sees: the centers have not moved; each point takes the
    color of the closest one, so the plane is cut into regions (a Voronoi
    diagram). For fixed centers this is the best possible labelling, so the
    inertia can only go down.

    Attributes
    ----------
    iteration : int
        1 for the first iteration (``n_iter`` counts the same way).
    labels : ndarray of shape (n_samples,)
        The new label of every sample.
    centers : ndarray of shape (n_clusters, n_features)
        The centers the samples were assigned to (unchanged by this step).
    inertia : float
        ``sum(weight * ||x - centers[label]||^2)`` with the new labels.
    n_changed : int
        Samples whose label changed (all of them at iteration 1).
    final : bool
        True for the extra assignment after the last update when the run
        stopped on the center-shift rule or on ``max_iter``: it makes the
        labels match the final centers.
    """

    kind: ClassVar[str] = "assignment"
    iteration: int
    labels: np.ndarray
    centers: np.ndarray
    inertia: float
    n_changed: int
    final: bool = False


@dataclass(frozen=True, eq=False)
class UpdateStep:
    """Every center moves to the (weighted) mean of its samples.

    What a learner sees: the labels have not changed; each center slides to
    the middle of its points. For fixed labels the mean is the point with the
    smallest sum of squared distances, so the inertia can only go down. A
    cluster left without points is moved onto the sample farthest from its
    own center (``relocated``), which then belongs to it.

    Attributes
    ----------
    iteration : int
    centers : ndarray of shape (n_clusters, n_features)
        The new centers.
    previous_centers : ndarray of shape (n_clusters, n_features)
        The centers before this step.
    labels : ndarray of shape (n_samples,)
        The labels the means were taken over (with relocated samples given
        to their new cluster).
    center_shift : float
        Total squared movement of the centers, ``sum ||new - old||^2``: the
        quantity the tolerance rule compares with ``tol``.
    inertia : float
        Inertia of the new centers with ``labels``.
    relocated : tuple of (cluster, row) pairs
        Empty clusters and the samples they took over; usually empty.
    """

    kind: ClassVar[str] = "update"
    iteration: int
    centers: np.ndarray
    previous_centers: np.ndarray
    labels: np.ndarray
    center_shift: float
    inertia: float
    relocated: tuple = ()


@dataclass(frozen=True, eq=False)
class Converged:
    """The run stopped: why, and its result.

    Attributes
    ----------
    n_iter : int
        Iterations run (assignment + update pairs), as ``KMeans.n_iter_``.
    reason : str
        ``"labels unchanged"`` (an assignment changed no label: a fixed
        point), ``"center shift within tol"`` (the centers moved by at most
        ``tol`` in total squared distance) or ``"max_iter reached"``.
    labels : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
    inertia : float
    tol : float
        The absolute tolerance used: ``tol * mean(var(X, axis=0))``.
    """

    kind: ClassVar[str] = "converged"
    n_iter: int
    reason: str
    labels: np.ndarray
    centers: np.ndarray
    inertia: float
    tol: float


Stage = SeedingStep | AssignmentStep | UpdateStep | Converged

STOP_UNCHANGED = "labels unchanged"
STOP_TOLERANCE = "center shift within tol"
STOP_MAX_ITER = "max_iter reached"


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _check_positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}.")
    return int(value)


def _prepare(X, n_clusters, init, sample_weight, max_iter, tol, function):
    """Validated float64 X, n_clusters, init (a string or a float64 array), weights, tol."""
    X = check_array(X, dtype=np.float64, estimator=function)
    n_samples, n_features = X.shape
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise ValueError(
                f"init must be 'k-means++', 'random' or an array of initial centers, got {init!r}."
            )
        if n_clusters is None:
            raise ValueError(f"n_clusters is required with init={init!r}.")
    else:
        init = check_array(init, name="init", dtype=np.float64, copy=True, estimator=function)
        if n_clusters is None:
            n_clusters = init.shape[0]
        if init.shape != (n_clusters, n_features):
            raise ValueError(
                f"init has shape {init.shape}, expected (n_clusters, n_features) = "
                f"({n_clusters}, {n_features})."
            )
    n_clusters = _check_positive_int(n_clusters, "n_clusters")
    if n_clusters > n_samples:
        raise ValueError(
            f"n_clusters={n_clusters} is more than the {n_samples} samples: K-Means needs at "
            "least one sample per cluster."
        )
    max_iter = _check_positive_int(max_iter, "max_iter")
    if not isinstance(tol, numbers.Real) or isinstance(tol, bool) or not np.isfinite(tol) \
            or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}.")
    weights = check_sample_weight(sample_weight, n_samples, np.float64)
    return X, n_clusters, init, weights, max_iter, float(tol)


# ---------------------------------------------------------------------------
# The stepper
# ---------------------------------------------------------------------------


def kmeans_steps(
    X,
    n_clusters: int | None = None,
    *,
    init="k-means++",
    sample_weight=None,
    random_state=0,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_local_trials: int | None = None,
) -> Iterator[Stage]:
    """Run one K-Means fit and yield every stage of it.

    The fit is the reference one (:func:`kmeans_core.reference.kmeans`): the
    data are centered on their column means, the seeds drawn with the same
    random numbers as :class:`kmeans_core.KMeans` (and scikit-learn), then
    Lloyd's assignment and update steps alternate. Stages report centers in
    the caller's coordinates (the means added back). Everything is computed
    in float64.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int, optional
        Number of clusters; may be left out when ``init`` is an array.
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), \
default="k-means++"
        Greedy k-means++ (one :class:`SeedingStep` per center, with the D^2
        probabilities), k distinct samples drawn by weight, or given centers
        (no seeding stages).
    sample_weight : array-like of shape (n_samples,), optional
    random_state : int, numpy.random.RandomState or None, default=0
        As in :class:`kmeans_core.KMeans`; note the default here is 0, so a
        lesson gives the same pictures every time.
    max_iter : int, default=300
    tol : float, default=1e-4
        Relative, as in :class:`kmeans_core.KMeans`: the run stops once the
        total squared center shift is at most ``tol * mean(var(X, axis=0))``.
    n_local_trials : int, optional
        k-means++ candidates per center; None means ``2 + int(log(n_clusters))``.

    Yields
    ------
    stage : SeedingStep, AssignmentStep, UpdateStep or Converged
        In order: the seeding steps, then assignment and update steps
        alternating (iteration 1, 2, ...), an extra final assignment when the
        run did not stop on unchanged labels, and one :class:`Converged`.

    Raises
    ------
    ValueError
        On NaN/inf, empty or non-2-D X, ``n_clusters`` outside
        ``1..n_samples``, an init array of the wrong shape, an unknown
        ``init``, bad sample weights, ``max_iter < 1`` or ``tol < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core.teach import kmeans_steps
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 0.0], [9.0, 1.0], [9.0, 2.0]])
    >>> for stage in kmeans_steps(X, 2, random_state=0):
    ...     print(stage.kind, round(stage.inertia, 2))
    seeding 168.0
    seeding 6.0
    assignment 6.0
    update 2.5
    assignment 2.5
    update 2.5
    converged 2.5
    >>> stage.n_iter, stage.reason, stage.labels
    (2, 'labels unchanged', array([1, 1, 0, 0, 0]))
    """
    X, n_clusters, init, weights, max_iter, tol = _prepare(
        X, n_clusters, init, sample_weight, max_iter, tol, "kmeans_steps")
    if n_local_trials is not None:
        n_local_trials = _check_positive_int(n_local_trials, "n_local_trials")
    random_state = check_random_state(random_state)
    return _steps(X, n_clusters, init, weights, random_state, max_iter, tol, n_local_trials)


def _steps(X, n_clusters, init, weights, random_state, max_iter, tol, n_local_trials):
    # Exactly reference.kmeans: work on centered data (distances are more
    # accurate near the origin, and the seeds are drawn on centered data), and
    # show centers in the caller's coordinates.
    mean = X.mean(axis=0)
    centered = X - mean

    if isinstance(init, str):
        seeding = _kmeans_plusplus_stages if init == "k-means++" else _random_stages
        chosen = []
        for stage in seeding(centered, n_clusters, weights, random_state, n_local_trials, mean):
            chosen.append(stage.chosen)
            yield stage
        centers = centered[np.asarray(chosen)].copy()
    else:
        centers = init - mean

    yield from _lloyd_stages(centered, centers, weights, max_iter, tol, mean)


def _kmeans_plusplus_stages(centered, n_clusters, weights, random_state, n_local_trials, mean):
    chosen = []
    for step in reference.kmeans_plusplus_steps(centered, n_clusters, weights, random_state,
                                                n_local_trials):
        chosen.append(step["chosen"])
        yield SeedingStep(
            index=step["index"],
            n_clusters=n_clusters,
            method="k-means++",
            chosen=int(step["chosen"]),
            candidates=np.asarray(step["candidates"], dtype=np.int64),
            candidate_potentials=np.asarray(step["candidate_potentials"], dtype=np.float64),
            probabilities=step["probabilities"],
            centers=centered[np.asarray(chosen)] + mean,
            inertia=float(step["potential"]),
        )


def _random_stages(centered, n_clusters, weights, random_state, n_local_trials, mean):
    """``init="random"``: KMeans's draw (k rows without replacement, by weight), shown row by row.

    NumPy draws the k distinct rows at once; the probability shown for the
    c-th row is that of drawing it among the rows not yet chosen, by weight
    (the same distribution, told one row at a time).
    """
    rows = random_state.choice(centered.shape[0], size=n_clusters, replace=False,
                               p=weights / weights.sum())
    available = weights.copy()
    closest = None
    for index, row in enumerate(rows):
        probabilities = available / available.sum()
        available[row] = 0.0
        to_row = reference.squared_distances(centered, centered[[row]])[:, 0]
        closest = to_row if closest is None else np.minimum(closest, to_row)
        potential = float((weights * closest).sum())
        yield SeedingStep(
            index=index,
            n_clusters=n_clusters,
            method="random",
            chosen=int(row),
            candidates=np.array([row], dtype=np.int64),
            candidate_potentials=np.array([potential]),
            probabilities=probabilities,
            centers=centered[rows[: index + 1]] + mean,
            inertia=potential,
        )


def _lloyd_stages(X, centers, weights, max_iter, tol, mean):
    """Lloyd's iterations of ``reference.lloyd``, one stage at a time (X centered)."""
    tol = tol * np.mean(np.var(X, axis=0))
    labels = np.full(X.shape[0], -1)
    reason = STOP_MAX_ITER

    for iteration in range(1, max_iter + 1):
        new_labels = reference.assign(X, centers)
        yield AssignmentStep(
            iteration=iteration,
            labels=new_labels,
            centers=centers + mean,
            inertia=reference.inertia(X, centers, new_labels, weights),
            n_changed=int(np.count_nonzero(new_labels != labels)),
        )

        relocated = reference.empty_cluster_relocations(X, new_labels, weights, centers)
        new_centers = reference.update(X, new_labels, weights, centers)
        shift = float(((new_centers - centers) ** 2).sum())
        # A relocated sample now belongs to the cluster it was moved to; with
        # that labelling the inertia never rises (it sits on its center).
        update_labels = new_labels.copy()
        for cluster, row in relocated:
            update_labels[row] = cluster
        yield UpdateStep(
            iteration=iteration,
            centers=new_centers + mean,
            previous_centers=centers + mean,
            labels=update_labels,
            center_shift=shift,
            inertia=reference.inertia(X, new_centers, update_labels, weights),
            relocated=tuple((int(cluster), int(row)) for cluster, row in relocated),
        )

        centers = new_centers
        if np.array_equal(new_labels, labels):
            reason = STOP_UNCHANGED
            labels = new_labels
            break
        labels = new_labels
        if shift <= tol:
            reason = STOP_TOLERANCE
            break

    if reason != STOP_UNCHANGED:
        # The last update moved the centers: one more assignment makes the
        # labels match them (the reference and KMeans do the same).
        final_labels = reference.assign(X, centers)
        yield AssignmentStep(
            iteration=iteration,
            labels=final_labels,
            centers=centers + mean,
            inertia=reference.inertia(X, centers, final_labels, weights),
            n_changed=int(np.count_nonzero(final_labels != labels)),
            final=True,
        )
        labels = final_labels

    yield Converged(
        n_iter=iteration,
        reason=reason,
        labels=labels,
        centers=centers + mean,
        inertia=reference.inertia(X, centers, labels, weights),
        tol=float(tol),
    )


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
    n_samples = _check_positive_int(n_samples, "n_samples")
    make, _ = TEACHING_DATA[name]
    return make(n_samples, check_random_state(random_state))


# ---------------------------------------------------------------------------
# Command line: python -m kmeans_core.teach --out DIR
# ---------------------------------------------------------------------------

PROG = "python -m kmeans_core.teach"
EXIT_BAD_INPUT = 2


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}") from None
    if not value > 0 or not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser of ``python -m kmeans_core.teach`` (``prog`` names it in messages)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Watch K-Means work: write an animated GIF of one fit on built-in 2-D data "
            "(k-means++ seeding, then assignment and update steps until convergence, with "
            "the inertia curve beside it)."
        ),
        epilog="data sets:\n" + "\n".join(
            f"  {name:9s} {description}" for name, (_, description) in TEACHING_DATA.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="folder to write into (created if needed)")
    parser.add_argument("--data", choices=sorted(TEACHING_DATA), default="blobs",
                        help="built-in data set (default: blobs)")
    parser.add_argument("--n-clusters", "-k", type=int, default=4, metavar="K",
                        help="number of clusters (default: 4)")
    parser.add_argument("--n-samples", type=int, default=300, metavar="N",
                        help="number of points (default: 300)")
    parser.add_argument("--init", choices=["k-means++", "random"], default="k-means++",
                        help="how the first centers are chosen (default: k-means++)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed of the data and the seeding (default: 0)")
    parser.add_argument("--fps", type=_positive_float, default=1.5, metavar="F",
                        help="frames per second (default: 1.5)")
    parser.add_argument("--stage-figures", action="store_true",
                        help="also write one PNG per stage into OUT/stages/")
    return parser


def main(argv=None, prog: str = PROG) -> int:
    """Entry point of ``python -m kmeans_core.teach``; returns the exit status.

    Writes ``OUT/kmeans.gif`` (and, with ``--stage-figures``, one PNG per
    stage under ``OUT/stages/``) and prints each path written. Data or a
    ``k`` that cannot work print one line on stderr and return 2; argparse
    usage errors exit with status 2 as well. Another command can reuse it as
    a sub-command: ``main(argv, prog="kmeans-segment teach")``.
    """
    args = build_parser(prog).parse_args(argv)
    from kmeans_core import teach_plots  # matplotlib is imported only when drawing

    try:
        X, _ = teaching_data(args.data, args.n_samples, args.seed)
        stages = list(kmeans_steps(X, args.n_clusters, init=args.init, random_state=args.seed))
    except ValueError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args.out.mkdir(parents=True, exist_ok=True)
    title = f"K-Means on '{args.data}', k={args.n_clusters}"
    # Income against age cannot share one scale; every other data set can.
    equal_aspect = args.data != "scales"
    written = [teach_plots.write_animation(stages, X, args.out / "kmeans.gif", fps=args.fps,
                                           title=title, equal_aspect=equal_aspect)]
    if args.stage_figures:
        written += teach_plots.save_stage_figures(stages, X, args.out / "stages", title=title,
                                                  equal_aspect=equal_aspect)
    for path in written:
        print(path)
    final = stages[-1]
    print(f"{len(stages)} stages; converged after {final.n_iter} iterations "
          f"({final.reason}), inertia {final.inertia:.4g}.")
    return 0


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy's, so the stage
    # classes are the ones kmeans_core.teach_plots knows.
    from kmeans_core.teach import main as _main

    raise SystemExit(_main())
