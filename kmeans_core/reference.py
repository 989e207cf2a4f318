"""K-Means in plain NumPy, written to be read.

This module is the textbook version of what :class:`kmeans_core.KMeans`
computes. It favours clarity over speed (it builds the full n x k distance
matrix), and the test suite uses it as an oracle for the fast numba path:
from the same initial centers both must reach the same labels.

The algorithm
-------------
K-Means looks for k centers that minimise the *inertia* (within-cluster sum of
squares)::

    inertia = sum_i  w_i * || x_i - c_{label(i)} ||^2

Lloyd's algorithm alternates two steps, each of which can only lower it:

1. **Assignment**: give every point to its nearest center (for fixed centers,
   that is the best label for each point).
2. **Update**: move every center to the (weighted) mean of its points (for
   fixed labels, the mean minimises the sum of squared distances).

Because the inertia never rises and there are finitely many labellings, the
iteration stops: when no label changes, or when the centers barely move.

Where it starts matters (K-Means finds a local minimum), so the first centers
come from **k-means++**: pick the first center at random, then pick each next
one with probability proportional to its squared distance to the nearest
center already chosen (spreading the centers out). The *greedy* variant used
by scikit-learn (and here) draws a few candidates each time and keeps the one
that lowers the inertia most.
"""

from __future__ import annotations

import numpy as np


def squared_distances(X, centers):
    """All squared distances: entry (i, j) is ``||X[i] - centers[j]||^2``.

    Summed feature by feature, in order: the same arithmetic as the fast
    path's tie rule (``kmeans_core._distances``), so exact ties are ties here
    too.
    """
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    total = np.zeros((X.shape[0], centers.shape[0]))
    for f in range(X.shape[1]):
        total += (X[:, f, np.newaxis] - centers[np.newaxis, :, f]) ** 2  # shape (n, k)
    return total


def kmeans_plusplus_steps(X, n_clusters, sample_weight=None, random_state=0,
                          n_local_trials=None):
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
    rng = random_state if isinstance(random_state, np.random.RandomState) \
        else np.random.RandomState(random_state)
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
    yield {"index": 0, "chosen": first, "candidates": np.array([first]),
           "probabilities": first_probabilities,
           "candidate_potentials": np.array([first_potential]),
           "closest": closest, "potential": first_potential}

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
                    candidate_potential, candidate, closest_if_added)
        closest = best_closest
        yield {"index": index, "chosen": best_candidate, "candidates": candidates,
               "probabilities": probabilities,
               "candidate_potentials": np.asarray(candidate_potentials),
               "closest": closest, "potential": best_potential}


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
    """Assignment step: the nearest center of every sample.

    The tie rule: among centers at exactly the same squared distance, the
    lowest index wins (``argmin`` returns the first minimum).
    """
    return squared_distances(X, centers).argmin(axis=1)


def empty_cluster_relocations(X, labels, weights, centers_old):
    """Which sample each empty cluster takes over: a list of ``(cluster, row)``.

    A cluster with no weight has no mean. Each empty cluster, in index order,
    takes the sample farthest from its own (old) center, the farthest first:
    the point the current solution explains worst. When the next farthest
    sample already sits on its center there is nothing to gain and the
    remaining empty clusters stay where they are.
    """
    totals = np.zeros(centers_old.shape[0])
    np.add.at(totals, labels, weights)
    empty = np.flatnonzero(totals == 0)
    if empty.size == 0:
        return []
    distance_to_own = ((X - centers_old[labels]) ** 2).sum(axis=1)
    farthest_first = np.argsort(-distance_to_own, kind="stable")
    relocations = []
    for cluster, row in zip(empty, farthest_first):
        if distance_to_own[row] == 0:
            break  # every sample sits on its center: nothing to gain
        relocations.append((cluster, row))
    return relocations


def update(X, labels, weights, centers_old):
    """Update step: each center becomes the weighted mean of its samples.

    A cluster that lost all its samples would have no mean. It is moved to the
    sample farthest from its own center (the point the current solution
    explains worst), and that sample leaves its old cluster (see
    :func:`empty_cluster_relocations`).
    """
    n_clusters = centers_old.shape[0]
    sums = np.zeros_like(centers_old, dtype=float)
    totals = np.zeros(n_clusters)
    np.add.at(sums, labels, weights[:, np.newaxis] * X)
    np.add.at(totals, labels, weights)

    for cluster, row in empty_cluster_relocations(X, labels, weights, centers_old):
        sums[labels[row]] -= weights[row] * X[row]
        totals[labels[row]] -= weights[row]
        sums[cluster] = weights[row] * X[row]
        totals[cluster] = weights[row]

    centers = centers_old.astype(float).copy()
    filled = totals > 0
    centers[filled] = sums[filled] / totals[filled, np.newaxis]
    return centers


def inertia(X, centers, labels, weights=None):
    """Within-cluster sum of squares of a labelling."""
    weights = np.ones(X.shape[0]) if weights is None else weights
    return float((weights * ((X - centers[labels]) ** 2).sum(axis=1)).sum())


def lloyd(X, centers_init, sample_weight=None, max_iter=300, tol=1e-4):
    """Lloyd's algorithm from given centers.

    ``tol`` is relative, as in scikit-learn: the run stops when the total
    squared center shift is at most ``tol * mean(var(X, axis=0))``, or when no
    label changes. Returns ``(labels, centers, inertia, n_iter)``.
    """
    X = np.asarray(X, dtype=float)
    weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    tol = tol * np.mean(np.var(X, axis=0))
    centers = np.asarray(centers_init, dtype=float).copy()
    labels = np.full(X.shape[0], -1)
    converged_strictly = False

    for iteration in range(1, max_iter + 1):  # noqa: B007 (n_iter is the last iteration)
        new_labels = assign(X, centers)                     # assignment step
        new_centers = update(X, new_labels, weights, centers)  # update step
        shift = ((new_centers - centers) ** 2).sum()
        centers = new_centers
        if np.array_equal(new_labels, labels):
            converged_strictly = True   # nothing moved: a fixed point
            labels = new_labels
            break
        labels = new_labels
        if shift <= tol:
            break                       # centers barely moved

    if not converged_strictly:
        labels = assign(X, centers)     # make labels match the final centers
    return labels, centers, inertia(X, centers, labels, weights), iteration


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
