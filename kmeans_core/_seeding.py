"""Initial centers: greedy k-means++ and random choice.

Both draw exactly the random numbers scikit-learn draws, in the same order,
from the ``RandomState`` they are given, so the same seed picks the same
samples. The heavy part of k-means++ (distances from every sample to each
candidate) runs in a parallel numba kernel; the light bookkeeping (running
minimum, potentials, cumulative sums, ``searchsorted``) is done with the same
NumPy operations in the same dtype as scikit-learn, which is what makes the
candidate choice agree even in float32.
"""

from __future__ import annotations

import numpy as np

from kmeans_core._common import squared_distances_to_samples


def _squared_distances_to(X, rows):
    out = np.empty((len(rows), X.shape[0]), dtype=X.dtype)
    squared_distances_to_samples(X, np.asarray(rows, dtype=np.int64), out)
    return out


def greedy_kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_local_trials=None):
    """Greedy k-means++ (Arthur & Vassilvitskii 2007, with local trials).

    The first center is a sample drawn with probability proportional to its
    weight. Each next center: draw ``n_local_trials`` candidates with
    probability proportional to ``weight * D(x)^2`` (D = distance to the
    nearest chosen center), and keep the candidate that lowers the total
    potential ``sum(weight * D^2)`` the most (the first one on ties).

    Parameters
    ----------
    X : (n_samples, n_features) validated float array.
    n_clusters : int
    sample_weight : (n_samples,) array of X's dtype.
    random_state : numpy.random.RandomState
    n_local_trials : int or None
        Candidates per step; None means ``2 + int(log(n_clusters))``.

    Returns
    -------
    centers : (n_clusters, n_features) array of X's dtype.
    indices : (n_clusters,) int64 row of X behind each center.
    """
    n_samples, n_features = X.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))

    indices = np.full(n_clusters, -1, dtype=np.int64)
    indices[0] = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())

    # Shapes follow scikit-learn's ((1, n) here, a matrix-vector product) so the
    # same BLAS routine computes the potential and the bits agree.
    closest_sq = _squared_distances_to(X, indices[:1])
    potential = closest_sq @ sample_weight

    for c in range(1, n_clusters):
        # D^2 sampling by inverting the cumulative distribution.
        targets = random_state.uniform(size=n_local_trials) * potential
        candidates = np.searchsorted(np.cumsum(sample_weight * closest_sq), targets)
        # Rounding can put a target just past the last cumulative value.
        np.clip(candidates, None, n_samples - 1, out=candidates)

        candidate_sq = _squared_distances_to(X, candidates)
        np.minimum(closest_sq, candidate_sq, out=candidate_sq)
        candidate_potentials = candidate_sq @ sample_weight.reshape(-1, 1)

        best = int(np.argmin(candidate_potentials))
        potential = candidate_potentials[best]
        closest_sq = candidate_sq[best]
        indices[c] = candidates[best]

    return X[indices].copy(), indices


def random_choice_init(X, n_clusters, sample_weight, random_state):
    """``n_clusters`` distinct samples drawn with probability proportional to their weight."""
    rows = random_state.choice(
        X.shape[0], size=n_clusters, replace=False, p=sample_weight / sample_weight.sum()
    )
    return X[rows].copy()
