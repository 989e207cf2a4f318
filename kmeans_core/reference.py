"""K-Means in plain NumPy, written to be read: the oracle of every step.

This module is the textbook version of what :class:`kmeans_core.KMeans`
computes. It favours clarity over speed (it builds the full n x k distance
matrix), and the test suite uses it as the oracle of each fast kernel
(``tests/test_reference_oracle.py``, ``tests/test_kmeans_reference.py``):

* seeding (greedy k-means++): :func:`kmeans_plusplus_steps` -- ``_kernels/seeding.py``;
* assignment and the tie rule: :func:`assign`, :func:`squared_distances` --
  ``_kernels/distances.py``, ``_kernels.lloyd.lloyd_pass``;
* update, weighted sums: :func:`cluster_sums`, :func:`mean_centers` --
  ``_kernels/lloyd.py`` (sum slots), ``_iterations.mean_centers``;
* empty-cluster relocation: :func:`empty_cluster_relocations` --
  ``_iterations.relocate_empty_clusters``;
* the iteration and its stopping rules: :func:`lloyd_steps`, :func:`lloyd` --
  ``_iterations.py``;
* Hamerly's and Elkan's bounds: :func:`hamerly_assignment`,
  :func:`elkan_assignment` -- ``_kernels.bounds.hamerly_pass``, ``_kernels.bounds.elkan_pass``;
* the distances the bounds save: :func:`bounds_assignments` (counted here
  only; :mod:`kmeans_core.teach` shows them).

Labels agree bit for bit (the tie rule is the same arithmetic); centers and
inertia agree to rounding (the fast path adds its sums in another, fixed,
order). :mod:`kmeans_core.teach` shows a fit through these functions.

The algorithm
-------------
K-Means looks for k centers that minimise the *inertia* (within-cluster sum of
squares)::

    inertia = sum_i  w_i * || x_i - c_{label(i)} ||^2

Lloyd's algorithm alternates two steps, each of which can only lower it:

1. **Assignment**: give every point to its nearest center (for fixed centers,
   that is the best label for each point). On an exact tie the lowest index
   wins.
2. **Update**: move every center to the (weighted) mean of its points (for
   fixed labels, the mean minimises the sum of squared distances). A cluster
   left without points first takes over the point explained worst.

Because the inertia never rises and there are finitely many labellings, the
iteration stops: when no label changes, or when the centers barely move.

Where it starts matters (K-Means finds a local minimum), so the first centers
come from **k-means++**: pick the first center at random, then pick each next
one with probability proportional to its squared distance to the nearest
center already chosen (spreading the centers out). The *greedy* variant used
by scikit-learn (and here) draws a few candidates each time and keeps the one
that lowers the inertia most.

Hamerly's and Elkan's algorithms give Lloyd's labels with fewer distance
computations: they keep bounds on distances that the triangle inequality
carries from one iteration to the next (see the section before
:func:`bounds_assignments`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def squared_distances(X, centers):
    """All squared distances: entry (i, j) is ``||X[i] - centers[j]||^2``.

    Summed feature by feature, in order: the same arithmetic as the fast
    path's tie rule (``kmeans_core._kernels.distances``), so exact ties are ties here
    too.
    """
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    total = np.zeros((X.shape[0], centers.shape[0]))
    for f in range(X.shape[1]):
        total += (X[:, f, np.newaxis] - centers[np.newaxis, :, f]) ** 2  # shape (n, k)
    return total


def kmeans_plusplus_steps(X, n_clusters, sample_weight=None, random_state=0, n_local_trials=None):
    """Greedy k-means++, one center at a time (a generator).

    Yields one dict per chosen center, in order, so a reader (or
    :mod:`kmeans_core.teach`) can watch the seeding; :func:`kmeans_plusplus`
    simply collects the chosen rows. Keys of each dict:

    * ``index``: which center this is (0 for the first).
    * ``chosen``: the row of X that became that center.
    * ``candidates``: the rows drawn at this step (the first step draws one
      row, in proportion to its weight; later steps draw ``n_local_trials``).
    * ``probabilities``: (n_samples,) the chance that one draw lands on each
      sample: ``w_i / sum(w)`` at the first step, then ``w_i * D_i^2 / sum(w * D^2)``
      with ``D_i`` the distance of sample i to its nearest chosen center.
    * ``candidate_potentials``: the potential ``sum(w * D^2)`` each candidate
      would leave; the smallest wins (the first one on ties).
    * ``closest``: (n_samples,) ``D^2`` once the chosen center is added.
    * ``potential``: ``sum(w * D^2)`` once the chosen center is added (the
      inertia of the centers chosen so far).
    """
    rng = (
        random_state
        if isinstance(random_state, np.random.RandomState)
        else np.random.RandomState(random_state)
    )
    n_samples = X.shape[0]
    weights = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, float)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))

    # 1. The first center: a random sample, chosen in proportion to its weight.
    first_probabilities = weights / weights.sum()
    first = rng.choice(n_samples, p=first_probabilities)
    # closest[i] = squared distance of sample i to its nearest chosen center.
    closest = squared_distances(X, X[[first]])[:, 0]
    first_potential = (weights * closest).sum()
    yield {
        "index": 0,
        "chosen": first,
        "candidates": np.array([first]),
        "probabilities": first_probabilities,
        "candidate_potentials": np.array([first_potential]),
        "closest": closest,
        "potential": first_potential,
    }

    for index in range(1, n_clusters):
        # 2. Draw candidates with probability proportional to weight * closest
        #    (inverse-CDF sampling on the cumulative sum).
        potential = (weights * closest).sum()
        targets = rng.uniform(size=n_local_trials) * potential
        candidates = np.searchsorted(np.cumsum(weights * closest), targets)
        candidates = np.minimum(candidates, n_samples - 1)
        if potential > 0:
            probabilities = weights * closest / potential
        else:
            # Every sample already sits on a center: every draw lands on row 0.
            probabilities = np.zeros(n_samples)
            probabilities[0] = 1.0

        # 3. Keep the candidate that would leave the smallest total potential.
        best_potential, best_candidate, best_closest = np.inf, None, None
        candidate_potentials = []
        for candidate in candidates:
            closest_if_added = np.minimum(closest, squared_distances(X, X[[candidate]])[:, 0])
            candidate_potential = (weights * closest_if_added).sum()
            candidate_potentials.append(candidate_potential)
            if candidate_potential < best_potential:
                best_potential, best_candidate, best_closest = (
                    candidate_potential,
                    candidate,
                    closest_if_added,
                )
        closest = best_closest
        yield {
            "index": index,
            "chosen": best_candidate,
            "candidates": candidates,
            "probabilities": probabilities,
            "candidate_potentials": np.asarray(candidate_potentials),
            "closest": closest,
            "potential": best_potential,
        }


def kmeans_plusplus(X, n_clusters, sample_weight=None, random_state=0, n_local_trials=None):
    """Greedy k-means++: returns (centers, indices of the chosen rows).

    Draws the same random numbers, in the same order, as scikit-learn, so with
    the same ``random_state`` it picks the same rows. The steps themselves are
    in :func:`kmeans_plusplus_steps`.
    """
    steps = kmeans_plusplus_steps(X, n_clusters, sample_weight, random_state, n_local_trials)
    indices = np.asarray([step["chosen"] for step in steps])
    return X[indices].copy(), indices


def assign(X, centers):
    """Assignment step: the nearest center of every sample (the tie rule).

    Among centers at exactly the same squared distance (summed feature by
    feature, :func:`squared_distances`), the lowest index wins: ``argmin``
    returns the first minimum. Every fast path gives these labels bit for
    bit (``kmeans_core._kernels.distances``).
    """
    return squared_distances(X, centers).argmin(axis=1)


def distances_to_own_centers(X, centers, labels):
    """``||X[i] - centers[labels[i]]||^2`` for every sample, summed feature by feature.

    Summed in feature order (not with ``.sum(axis=1)``, whose pairwise
    order differs from d = 8 on), so equal distances are equal here exactly
    when they are in the fast path: the relocation rule below ranks by them.
    """
    X = np.asarray(X, dtype=np.float64)
    own = np.asarray(centers, dtype=np.float64)[labels]
    total = np.zeros(X.shape[0])
    for f in range(X.shape[1]):
        total += (X[:, f] - own[:, f]) ** 2
    return total


# ---------------------------------------------------------------------------
# The update step
# ---------------------------------------------------------------------------


def cluster_sums(X, labels, weights, n_clusters):
    """The update step's numerators: per cluster, ``sum(w_i * x_i)`` and ``sum(w_i)``.

    The fast path builds the same sums from fixed slots of rows added in a
    fixed order (``_kernels.lloyd.sum_slot_rows``, ``_kernels.lloyd.reduce_chunks``); the
    order differs from ``np.add.at``'s, so the two agree to rounding.
    """
    sums = np.zeros((n_clusters, X.shape[1]))
    totals = np.zeros(n_clusters)
    np.add.at(sums, labels, weights[:, np.newaxis] * X)
    np.add.at(totals, labels, weights)
    return sums, totals


def empty_cluster_relocations(X, labels, weights, centers_old):
    """Which sample each empty cluster takes over: a list of ``(cluster, row)``.

    A cluster with no weight has no mean. The rule (scikit-learn's for dense
    data, with its ties made definite; the fast path's
    ``_iterations.relocate_empty_clusters``):

    * ``d_i`` is the squared distance of sample i to the (old) center it was
      just assigned to (:func:`distances_to_own_centers`);
    * if every ``d_i`` is 0 (more clusters than distinct points) nothing
      moves: no sample is explained worse than another;
    * otherwise the ``n_empty`` samples of largest ``d_i``, largest first
      (ties: the lowest row), go to the empty clusters in index order --
      the points the current solution explains worst. Once one ``d_i`` is
      positive, all ``n_empty`` samples move, even ones with ``d_i = 0``.
    """
    _, totals = cluster_sums(X, labels, weights, centers_old.shape[0])
    empty = np.flatnonzero(totals == 0)
    if empty.size == 0:
        return []
    distance_to_own = distances_to_own_centers(X, centers_old, labels)
    if distance_to_own.max() == 0:
        return []
    # A stable sort of -d keeps equal distances in row order: ties to the lowest row.
    farthest_first = np.argsort(-distance_to_own, kind="stable")
    return [(int(cluster), int(row)) for cluster, row in zip(empty, farthest_first)]


def mean_centers(sums, totals):
    """Centers from the sums: ``sums * (1 / totals)``; a cluster still empty joins the heaviest.

    A cluster can stay empty after relocation (when nothing was relocated,
    or when its only sample was moved to another cluster). Like
    scikit-learn, it is put on the center of the heaviest cluster (the
    first of equal weight), rather than at the origin, which could be far
    from every sample.
    """
    centers = np.empty(sums.shape)
    filled = totals > 0
    # Times the reciprocal, not divided: the fast path's (and scikit-learn's)
    # arithmetic, so equal sums give equal bits.
    centers[filled] = sums[filled] * (1.0 / totals[filled])[:, np.newaxis]
    if not filled.all():
        centers[~filled] = centers[np.argmax(totals)]
    return centers


def update(X, labels, weights, centers_old):
    """Update step: each center becomes the weighted mean of its samples.

    An empty cluster takes over a far-away sample first
    (:func:`empty_cluster_relocations`): that sample's weight leaves its old
    cluster's sums and makes the new cluster's. Labels are not changed; the
    next assignment step settles them.
    """
    sums, totals = cluster_sums(X, labels, weights, centers_old.shape[0])
    for cluster, row in empty_cluster_relocations(X, labels, weights, centers_old):
        sums[labels[row]] -= weights[row] * X[row]
        totals[labels[row]] -= weights[row]
        sums[cluster] = weights[row] * X[row]
        totals[cluster] = weights[row]
    return mean_centers(sums, totals)


def inertia(X, centers, labels, weights=None):
    """Within-cluster sum of squares of a labelling."""
    weights = np.ones(X.shape[0]) if weights is None else weights
    return float((weights * ((X - centers[labels]) ** 2).sum(axis=1)).sum())


# ---------------------------------------------------------------------------
# Lloyd's iterations
# ---------------------------------------------------------------------------

#: Why a run stopped (the ``reason`` of the last event of :func:`lloyd_steps`).
STOP_UNCHANGED = "labels unchanged"
STOP_TOLERANCE = "center shift within tol"
STOP_MAX_ITER = "max_iter reached"


def lloyd_steps(X, centers_init, sample_weight=None, max_iter=300, tol=1e-4):
    """Lloyd's algorithm from given centers, one step at a time (a generator).

    Yields one dict per step, its ``"step"`` key saying which:

    * ``"assignment"``: ``iteration`` (1 for the first), ``labels``,
      ``centers`` (those assigned to), ``n_changed`` and ``final`` (True for
      the last re-assignment described below);
    * ``"update"``: ``iteration``, ``centers`` (the new ones),
      ``previous_centers``, ``labels`` (with each relocated sample given to
      the cluster it now makes), ``center_shift`` (``sum ||new - old||^2``)
      and ``relocated`` (the ``(cluster, row)`` pairs);
    * ``"converged"``, last: ``n_iter``, ``reason`` (one of the ``STOP_*``
      strings), ``labels``, ``centers`` and ``tol`` (absolute).

    Stopping rules, those of the fast path (``_iterations._converged``):

    * no label changed: a fixed point (*strict convergence*), unless that
      iteration relocated an empty cluster (the moved center has not been
      assigned to yet);
    * otherwise, the total squared center shift is at most ``tol`` (relative,
      as in scikit-learn: ``tol * mean(var(X, axis=0))``);
    * otherwise ``max_iter`` iterations.

    Without strict convergence one more assignment step (``final``) makes
    the labels match the returned centers.
    """
    X = np.asarray(X, dtype=float)
    weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    tol = tol * np.mean(np.var(X, axis=0))
    centers = np.asarray(centers_init, dtype=float).copy()
    labels = np.full(X.shape[0], -1)
    reason, strict = STOP_MAX_ITER, False

    for iteration in range(1, max_iter + 1):  # noqa: B007 (n_iter is the last iteration)
        new_labels = assign(X, centers)
        n_changed = int(np.count_nonzero(new_labels != labels))
        yield {
            "step": "assignment",
            "iteration": iteration,
            "labels": new_labels,
            "centers": centers,
            "n_changed": n_changed,
            "final": False,
        }

        relocated = empty_cluster_relocations(X, new_labels, weights, centers)
        new_centers = update(X, new_labels, weights, centers)
        shift = float(((new_centers - centers) ** 2).sum())
        update_labels = new_labels.copy()
        for cluster, row in relocated:
            update_labels[row] = cluster
        yield {
            "step": "update",
            "iteration": iteration,
            "centers": new_centers,
            "previous_centers": centers,
            "labels": update_labels,
            "center_shift": shift,
            "relocated": relocated,
        }

        centers, labels = new_centers, new_labels
        if n_changed == 0:
            reason, strict = STOP_UNCHANGED, not relocated
            break
        if shift <= tol:
            reason = STOP_TOLERANCE
            break

    if not strict:
        # The last update moved the centers: re-assign so the labels match them.
        final_labels = assign(X, centers)
        yield {
            "step": "assignment",
            "iteration": iteration,
            "labels": final_labels,
            "centers": centers,
            "n_changed": int(np.count_nonzero(final_labels != labels)),
            "final": True,
        }
        labels = final_labels
    yield {
        "step": "converged",
        "n_iter": iteration,
        "reason": reason,
        "labels": labels,
        "centers": centers,
        "tol": float(tol),
    }


def lloyd(X, centers_init, sample_weight=None, max_iter=300, tol=1e-4):
    """Lloyd's algorithm from given centers: the last event of :func:`lloyd_steps`.

    ``tol`` is relative, as in scikit-learn. Returns
    ``(labels, centers, inertia, n_iter)``.
    """
    X = np.asarray(X, dtype=float)
    weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    *_, converged = lloyd_steps(X, centers_init, weights, max_iter, tol)
    labels, centers = converged["labels"], converged["centers"]
    return labels, centers, inertia(X, centers, labels, weights), converged["n_iter"]


# ---------------------------------------------------------------------------
# Hamerly and Elkan: the same labels, fewer distances
# ---------------------------------------------------------------------------
#
# An assignment step needs, for each sample, only its nearest center. Lloyd's
# step measures all k distances to find it. The bounds algorithms keep, per
# sample, bounds that survive a move of the centers (the triangle
# inequality: a point's distance to a center that moved by ``delta`` changed
# by at most ``delta``), and measure a distance only when the bounds cannot
# prove the label unchanged. The fast kernels (``_kernels/bounds.py``) apply these
# rules with a relative margin against rounding (``_kernels.distances.BOUND_MARGIN``);
# here they are applied as written, in exact-looking NumPy, and every
# distance a sample measures is counted.


class Bounds(NamedTuple):
    """What a bounds algorithm keeps between two assignment steps.

    Attributes
    ----------
    labels : (n_samples,) int
        The label of every sample.
    upper : (n_samples,) float
        ``upper[i] >= ||x_i - c_{labels[i]}||``: a bound on the distance to
        the own center.
    lower : (n_samples,) float for Hamerly, (n_samples, n_clusters) for Elkan
        Hamerly: ``lower[i] <= ||x_i - c_j||`` for every other center j (one
        bound on the distance to the second-nearest). Elkan: ``lower[i, j] <=
        ||x_i - c_j||`` for every center j (``n * k`` bounds).
    """

    labels: np.ndarray
    upper: np.ndarray
    lower: np.ndarray


def center_moves(centers, previous_centers):
    """What the bounds are updated with after the centers move.

    Returns
    -------
    shifts : (k,)
        How far each center moved, ``||c_j - c_j'||``.
    half_center_distances : (k, k)
        ``||c_a - c_b|| / 2`` (Elkan's table: a sample of center a cannot be
        nearer to b when ``upper <= half_center_distances[a, b]``).
    half_separation : (k,)
        Half the distance from each center to its nearest other one (``s(a)``:
        a sample within it of its center is nearer to it than to any other).
    """
    shifts = np.sqrt(((centers - previous_centers) ** 2).sum(axis=1))
    half_center_distances = 0.5 * np.sqrt(squared_distances(centers, centers))
    others = half_center_distances + np.diag(np.full(centers.shape[0], np.inf))
    return shifts, half_center_distances, others.min(axis=1)


def _own_and_second(distances, labels):
    """Distance to the own center and to the nearest other one, per row."""
    rows = np.arange(distances.shape[0])
    others = distances.copy()
    others[rows, labels] = np.inf
    return distances[rows, labels], others.min(axis=1)


def first_bounds(algorithm, X, centers):
    """The first assignment step of Hamerly or Elkan: all ``n * k`` distances, exact bounds.

    Before any bound exists there is nothing to save. Returns ``(bounds,
    computed)``, ``computed`` the distances each sample measured (k each).
    """
    labels = assign(X, centers)
    distances = np.sqrt(squared_distances(X, centers))
    if algorithm == "hamerly":
        upper, lower = _own_and_second(distances, labels)
    else:
        upper, lower = distances[np.arange(X.shape[0]), labels], distances
    return Bounds(labels, upper, lower), np.full(X.shape[0], centers.shape[0], dtype=np.int64)


def hamerly_assignment(X, centers, previous_centers, bounds):
    """One assignment step of Hamerly's algorithm; returns ``(bounds, computed)``.

    Hamerly (2010), "Making k-means even faster", Algorithm 2:

    1. The centers moved: ``upper += shift(own)``, ``lower -= the largest
       shift of another center`` (so both stay bounds).
    2. A sample keeps its label, measuring nothing, when ``upper <
       max(lower, s(own))``: every other center is provably farther.
    3. Otherwise ``upper`` is tightened to the exact distance (1 distance)
       and the test repeated; if it still fails, the sample is compared with
       all k centers (k more), and both bounds become exact.

    ``computed[i]`` is 0, 1 or k + 1: the distances sample i measured.
    """
    labels, upper, lower = (array.copy() for array in bounds)
    k = centers.shape[0]
    shifts, _, half_separation = center_moves(centers, previous_centers)
    largest = int(np.argmax(shifts))
    second_largest = np.delete(shifts, largest).max() if k > 1 else 0.0
    upper += shifts[labels]
    lower -= np.where(labels == largest, second_largest, shifts[largest])
    bound = np.maximum(half_separation[labels], lower)

    computed = np.zeros(X.shape[0], dtype=np.int64)
    tighten = np.flatnonzero(upper >= bound)
    upper[tighten] = np.sqrt(distances_to_own_centers(X[tighten], centers, labels[tighten]))
    computed[tighten] += 1
    rescan = tighten[upper[tighten] >= bound[tighten]]
    if rescan.size:
        labels[rescan] = assign(X[rescan], centers)
        distances = np.sqrt(squared_distances(X[rescan], centers))
        upper[rescan], lower[rescan] = _own_and_second(distances, labels[rescan])
        computed[rescan] += k
    return Bounds(labels, upper, lower), computed


def elkan_assignment(X, centers, previous_centers, bounds):
    """One assignment step of Elkan's algorithm; returns ``(bounds, computed)``.

    Elkan (2003), "Using the triangle inequality to accelerate k-means":

    1. The centers moved: ``upper += shift(own)``, ``lower[:, j] -=
       shift(j)`` (floored at 0).
    2. A sample skips every center when ``upper < s(own)`` (Lemma 1 with the
       nearest other center).
    3. Otherwise each other center j, in index order, is skipped when
       ``upper < lower[j]`` (Lemma 2) or ``upper < d(c_own, c_j) / 2``
       (Lemma 1). Before the first distance a sample measures, ``upper`` is
       tightened to the exact distance (1 distance) and the test repeated;
       a center not skipped is measured (1 distance) and taken if nearer
       (on an equal distance, the lower index).

    The loop runs over centers, all samples at a time; samples do not
    interact, so it is the fast kernel's order per sample.
    """
    labels, upper, lower = (array.copy() for array in bounds)
    n_samples, k = X.shape[0], centers.shape[0]
    shifts, half_center_distances, half_separation = center_moves(centers, previous_centers)
    upper += shifts[labels]
    lower = np.maximum(lower - shifts, 0.0)

    computed = np.zeros(n_samples, dtype=np.int64)
    active = upper >= half_separation[labels]
    tight = np.zeros(n_samples, dtype=bool)
    for j in range(k):
        # Samples for which center j could be nearer than their own.
        candidate = (
            active
            & (labels != j)
            & (upper >= lower[:, j])
            & (upper >= half_center_distances[labels, j])
        )
        tighten = np.flatnonzero(candidate & ~tight)
        if tighten.size:
            upper[tighten] = np.sqrt(distances_to_own_centers(X[tighten], centers, labels[tighten]))
            lower[tighten, labels[tighten]] = upper[tighten]
            tight[tighten] = True
            computed[tighten] += 1
            candidate &= (upper >= lower[:, j]) & (upper >= half_center_distances[labels, j])
        rows = np.flatnonzero(candidate)
        if rows.size == 0:
            continue
        to_j = np.sqrt(squared_distances(X[rows], centers[[j]])[:, 0])
        computed[rows] += 1
        lower[rows, j] = to_j
        closer = (to_j < upper[rows]) | ((to_j == upper[rows]) & (j < labels[rows]))
        labels[rows[closer]] = j
        upper[rows[closer]] = to_j[closer]
    return Bounds(labels, upper, lower), computed


def bounds_assignments(algorithm, X, centers_per_iteration):
    """Replay a sequence of centers through Hamerly's or Elkan's assignment (a generator).

    ``centers_per_iteration`` are the centers each assignment step starts
    from (those of a Lloyd run: the algorithms are exact, so they see the
    same centers). Yields, per step, ``(bounds, computed, center_center)``:
    the bounds after the step, the distances each sample measured, and the
    center-to-center distances the step needed (none at the first;
    ``k (k - 1) / 2`` after, for the shifts' companions ``s`` and Elkan's
    table). Lloyd's step measures ``n * k`` every time.
    """
    if algorithm not in ("hamerly", "elkan"):
        raise ValueError(f"algorithm must be 'hamerly' or 'elkan', got {algorithm!r}.")
    step = hamerly_assignment if algorithm == "hamerly" else elkan_assignment
    X = np.asarray(X, dtype=np.float64)
    previous = bounds = None
    for centers in centers_per_iteration:
        centers = np.asarray(centers, dtype=np.float64)
        if previous is None:
            bounds, computed = first_bounds(algorithm, X, centers)
            center_center = 0
        else:
            bounds, computed = step(X, centers, previous, bounds)
            center_center = centers.shape[0] * (centers.shape[0] - 1) // 2
        yield bounds, computed, center_center
        previous = centers


def kmeans(X, n_clusters, sample_weight=None, random_state=0, max_iter=300, tol=1e-4):
    """k-means++ seeding followed by Lloyd's algorithm (one run).

    Like scikit-learn, the data are first centered on their column means
    (distances are more accurate near the origin); the mean is added back to
    the returned centers.
    """
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    centered = X - mean
    centers_init, _ = kmeans_plusplus(centered, n_clusters, sample_weight, random_state)
    labels, centers, total, n_iter = lloyd(centered, centers_init, sample_weight, max_iter, tol)
    return labels, centers + mean, total, n_iter
