"""k-means|| seeding (Bahmani et al. 2012, "Scalable K-Means++"), in memory and shared with Dask.

The first candidate is a row drawn uniformly at random. Each of ``rounds``
rounds draws every row independently with probability
``min(1, l * w * D^2 / phi)`` (``l = OVERSAMPLING_FACTOR * k``; D the distance
to the nearest candidate so far; phi the total weighted potential). Each
candidate is weighted by the sample weight of the rows nearest to it, and
greedy weighted k-means++ on the candidates picks the k centers.

Every row's random number is a function of (``random_state``, round, global row
index) only: the in-memory fit and the Dask fit (``kmeans_core.dask``, any block
layout) draw the same rows, up to the rounding of the potential phi, which is
summed in a different order by each.
"""

from __future__ import annotations

import numpy as np

from kmeans_core._kernels.seeding import (
    counter_uniforms,
    nearest_of_cross_terms,
    round_key,
    take_nearer,
)

KMEANS_PARALLEL_ROUNDS = 5
OVERSAMPLING_FACTOR = 2.0


def uniforms_for_rows(seed, round_index, rows):
    """Uniform [0, 1) numbers for global row indices ``rows``, the same however rows are split.

    A counter-based generator: SplitMix64's output function (Steele, Lea &
    Flood 2014) applied to a mix of (seed, round, row), so each number depends
    on its row's global index only, never on the block it sits in or the order
    blocks run in (``_kernels.seeding.counter_uniforms``; a k-means|| round
    draws with ``oversampled_rows``, which makes the same numbers).
    """
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    uniforms = np.empty(rows.shape[0])
    counter_uniforms(round_key(seed, round_index), rows, uniforms)
    return uniforms


_NEAREST_ROWS = 4096  # rows per distance matrix: bounds the memory whatever n is


def nearest_candidate(X, candidates, mean=None):
    """Squared distance to, and index of, the nearest of ``candidates`` for each row (float64).

    Expanded form ``|c|^2 - 2 x.c + |x|^2`` (one BLAS product per 4096 rows,
    the rest in one numba loop), clipped at 0: seeding only needs distances
    to sampling accuracy. With ``mean``, the rows of ``X - mean`` (each
    4096-row slice is centered as it is read: the same subtraction as
    centering X first, without a centered copy of X).
    """
    candidates = np.asarray(candidates, dtype=np.float64)
    candidate_norms = np.einsum("ij,ij->i", candidates, candidates)
    closest = np.empty(X.shape[0])
    nearest = np.empty(X.shape[0], dtype=np.int64)
    for start in range(0, X.shape[0], _NEAREST_ROWS):
        rows = X[start : start + _NEAREST_ROWS]
        if mean is not None:
            rows = rows - mean
        rows = np.asarray(rows, dtype=np.float64)
        nearest_of_cross_terms(
            rows @ candidates.T,
            candidate_norms,
            np.einsum("ij,ij->i", rows, rows),
            closest,
            nearest,
            start,
        )
    return closest, nearest


def nearer_candidates(nearest_so_far, X, candidates, first_index, mean=None, keep_index=True):
    """Each row's ``(squared distance, index)`` of its nearest candidate, with new candidates.

    ``nearest_so_far``: the pair for the candidates before (None: none yet),
    updated in place; ``candidates``: the new set, whose first index among
    all the candidates is ``first_index``; ``mean`` as in
    ``nearest_candidate``. Each set's distances come from its own
    ``nearest_candidate`` call and a row keeps the earlier candidate on a
    tie (``take_nearer``), so the same sets applied in the same order give
    the same bits, in memory and in any block. The indices are kept in the
    narrowest integer type that holds them (2 bytes a row below 65,536
    candidates: the Dask fit keeps them on the workers between rounds).
    With ``keep_index=False`` the index is None: only the distances, the
    same bits (a Dask fit streaming X from storage keeps no index, below).
    """
    distances, new_nearest = nearest_candidate(X, candidates, mean)
    if not keep_index:
        if nearest_so_far is None:
            return distances, None
        closest = nearest_so_far[0]
        np.minimum(closest, distances, out=closest)  # what ``take_nearer`` leaves in ``closest``
        return closest, None
    n_candidates = first_index + candidates.shape[0]
    index_dtype = np.uint16 if n_candidates <= 2**16 else np.int32
    if nearest_so_far is None:
        return distances, (new_nearest + first_index).astype(index_dtype)
    closest, nearest = nearest_so_far
    nearest = nearest.astype(index_dtype, copy=False)
    take_nearer(closest, nearest, distances, new_nearest, first_index)
    return closest, nearest


def first_draws(n_samples, random_state):
    """The draws from ``random_state`` before the rounds: the rows' key and the first row."""
    seed = int(random_state.randint(0, 2**31 - 1)) * 2**32 + int(random_state.randint(0, 2**31 - 1))
    return seed, int(random_state.randint(n_samples))


def centers_from_candidates(candidates, weights, n_clusters, random_state, n_samples, rows_of):
    """Weighted greedy k-means++ on the candidates (``rows_of(indices)`` reads rows of X)."""
    from kmeans_core._kmeans import kmeans_plusplus

    if candidates.shape[0] < n_clusters:
        # Fewer candidates than clusters (tiny or degenerate data): top up with rows
        # drawn uniformly, weighted like the lightest candidate.
        extra = random_state.choice(n_samples, n_clusters - candidates.shape[0], replace=False)
        candidates = np.concatenate([candidates, rows_of(extra)])
        weights = np.concatenate([weights, np.full(extra.size, weights[weights > 0].min())])
    centers, _ = kmeans_plusplus(
        candidates, n_clusters, sample_weight=weights, random_state=random_state
    )
    return centers


def kmeans_parallel(
    X,
    n_clusters,
    sample_weight,
    random_state,
    rounds=KMEANS_PARALLEL_ROUNDS,
    oversampling_factor=OVERSAMPLING_FACTOR,
):
    """k-means|| on an in-memory (centered, validated) X; centers in X's dtype.

    Parameters
    ----------
    X : (n_samples, n_features) float array.
    n_clusters : int
    sample_weight : (n_samples,) array.
    random_state : numpy.random.RandomState
    rounds : int
        Oversampling rounds after the first candidate.
    oversampling_factor : float
        Rows drawn per round, in expectation, per cluster.
    """
    n_samples = X.shape[0]
    weights = np.asarray(sample_weight, dtype=np.float64)
    seed, first = first_draws(n_samples, random_state)
    oversampling = oversampling_factor * n_clusters
    all_rows = np.arange(n_samples)
    candidates = [X[[first]]]
    closest, nearest = nearer_candidates(None, X, candidates[0], 0)
    n_candidates = 1
    for round_index in range(1, rounds + 1):
        weighted = weights * closest
        potential = float(weighted.sum())
        if potential == 0:
            break
        uniforms = uniforms_for_rows(seed, round_index, all_rows)
        drawn = X[uniforms * potential < oversampling * weighted]
        if drawn.shape[0]:
            candidates.append(drawn)
            closest, nearest = nearer_candidates((closest, nearest), X, drawn, n_candidates)
            n_candidates += drawn.shape[0]
    candidates = np.concatenate(candidates)
    candidate_weights = np.bincount(nearest, weights=weights, minlength=candidates.shape[0])
    centers = centers_from_candidates(
        candidates, candidate_weights, n_clusters, random_state, n_samples, lambda rows: X[rows]
    )
    return centers.astype(X.dtype)
