"""The stages of one K-Means fit, yielded one at a time (behind :mod:`kmeans_core.teach`).

:func:`kmeans_steps` runs one K-Means fit on the readable NumPy reference
(:mod:`kmeans_core.reference`) and *yields* every stage of it: a
:class:`SeedingStep` per initial center, then :class:`AssignmentStep` and
:class:`UpdateStep` in turn, and a last :class:`Converged`. Import these from
:mod:`kmeans_core.teach`, which gathers the teaching tools.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from kmeans_core import reference
from kmeans_core._kmeans import _check_int, _check_real
from kmeans_core._validation import check_array, check_random_state, check_sample_weight

__all__ = [
    "SeedingStep",
    "AssignmentStep",
    "UpdateStep",
    "Converged",
    "Stage",
    "kmeans_steps",
    "STOP_UNCHANGED",
    "STOP_TOLERANCE",
    "STOP_MAX_ITER",
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
        stopped on the center-shift rule or on ``max_iter`` (or on unchanged
        labels in an iteration that relocated an empty cluster): it makes
        the labels match the final centers.
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
    own center (``relocated``), which then belongs to it; a cluster that
    stays empty is put on the center of the heaviest cluster
    (:func:`kmeans_core.reference.empty_cluster_relocations` states the rule).

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

# Why a run stopped: the reference's words (its stopping rules are the fast path's).
STOP_UNCHANGED = reference.STOP_UNCHANGED
STOP_TOLERANCE = reference.STOP_TOLERANCE
STOP_MAX_ITER = reference.STOP_MAX_ITER


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


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
    n_clusters = _check_int(n_clusters, "n_clusters")
    if n_clusters > n_samples:
        raise ValueError(
            f"n_clusters={n_clusters} is more than the {n_samples} samples: K-Means needs at "
            "least one sample per cluster."
        )
    max_iter = _check_int(max_iter, "max_iter")
    _check_real(tol, "tol")
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
        X, n_clusters, init, sample_weight, max_iter, tol, "kmeans_steps"
    )
    if n_local_trials is not None:
        n_local_trials = _check_int(n_local_trials, "n_local_trials")
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
    for step in reference.kmeans_plusplus_steps(
        centered, n_clusters, weights, random_state, n_local_trials
    ):
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
    rows = random_state.choice(
        centered.shape[0], size=n_clusters, replace=False, p=weights / weights.sum()
    )
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
    """The steps of ``reference.lloyd_steps`` as stages (X centered, centers shown shifted back).

    The loop, its stopping rules and the final re-assignment are the
    reference's (the fast path's rules); a stage adds the inertia and shows
    centers in the caller's coordinates.
    """
    for step in reference.lloyd_steps(X, centers, weights, max_iter, tol):
        if step["step"] == "assignment":
            yield AssignmentStep(
                iteration=step["iteration"],
                labels=step["labels"],
                centers=step["centers"] + mean,
                inertia=reference.inertia(X, step["centers"], step["labels"], weights),
                n_changed=step["n_changed"],
                final=step["final"],
            )
        elif step["step"] == "update":
            # A relocated sample now belongs to the cluster it was moved to; with
            # that labelling the inertia never rises (it sits on its center).
            yield UpdateStep(
                iteration=step["iteration"],
                centers=step["centers"] + mean,
                previous_centers=step["previous_centers"] + mean,
                labels=step["labels"],
                center_shift=step["center_shift"],
                inertia=reference.inertia(X, step["centers"], step["labels"], weights),
                relocated=tuple(step["relocated"]),
            )
        else:
            yield Converged(
                n_iter=step["n_iter"],
                reason=step["reason"],
                labels=step["labels"],
                centers=step["centers"] + mean,
                inertia=reference.inertia(X, step["centers"], step["labels"], weights),
                tol=step["tol"],
            )
