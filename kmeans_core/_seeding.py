"""Initial centers: greedy k-means++ and random choice.

Both draw exactly the random numbers scikit-learn draws, in the same order,
from the ``RandomState`` they are given, so the same seed picks the same
samples.

* float64: every step is one parallel numba pass over X (below).
* float32: scikit-learn rounds the distances, the running minimum, the
  potentials and the cumulative sum to float32, and which candidate a draw
  lands on depends on those roundings. There the bookkeeping is the same
  NumPy operations in the same dtype (only the distances come from a numba
  kernel), so the same candidates come out.
"""

from __future__ import annotations

import numpy as np

from numba import prange

from kmeans_core._common import squared_distances_to_samples
from kmeans_core._jit import CHUNK_ROWS, jit, jit_parallel, n_chunks


# --- float64 kernels: one pass over X per center -------------------------------
#
# Step c needs (1) the running minimum ``closest_sq`` updated with the winner of
# step c-1 and (2) the potential of each of its candidates. One pass does both:
# the winner of step c-1 is applied lazily, inside the pass that scores the
# candidates of step c. The sampling between the two only needs the chunk
# totals of the updated ``w * closest_sq`` (the winner's column of the previous
# pass's per-chunk potentials) and the values inside the few chunks that hold a
# target, which it recomputes on the fly with the same arithmetic.


# ``reassoc``/``contract`` (no ``nnan``/``ninf``): the feature sum vectorizes
# instead of forming one chain of dependent additions (measured 1.35x faster
# seeding at n=1e6, d=8, k=16). The search below recomputes the same
# distances, possibly rounded differently in the last bit; its running sum then
# differs from the chunk totals by ~1e-16 relative, which moves a sampling
# boundary by as much (the chosen seeds are unaffected in practice, and tested).
@jit(fastmath={"reassoc", "contract"})
def _squared_distance(X, i, center):
    squared = 0.0
    for f in range(X.shape[1]):
        diff = X[i, f] - center[f]
        squared += diff * diff
    return squared


@jit_parallel
def first_center_pass(X, sample_weight, center, closest_sq, chunk_totals):
    """``closest_sq = ||x - center||^2``, with per-chunk ``sum w * closest_sq``."""
    n_samples = X.shape[0]
    for chunk in prange(chunk_totals.shape[0]):
        start = chunk * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n_samples)
        total = 0.0
        for i in range(start, stop):
            closest_sq[i] = _squared_distance(X, i, center)
            total += sample_weight[i] * closest_sq[i]
        chunk_totals[chunk] = total


@jit
def _squared_distances_of_rows(rows_t, center, out):
    """``out[r] = ||row r - center||^2`` for a chunk stored transposed, (n_features, n_rows).

    The innermost loop runs over rows, so it vectorizes with no reordering:
    each row's distance is still summed feature by feature, in order.
    """
    out[:] = 0.0
    for f in range(rows_t.shape[0]):
        value = center[f]
        for r in range(rows_t.shape[1]):
            diff = rows_t[f, r] - value
            out[r] += diff * diff


@jit_parallel
def seeding_pass(X, sample_weight, closest_sq, winner, candidates, chunk_potentials):
    """Apply the previous winner to ``closest_sq``, then score every candidate.

    ``chunk_potentials[chunk, t] = sum_i w_i * min(closest_sq_i, ||x_i - candidate_t||^2)``
    over the chunk's rows. The candidate loop is outside the row loop: the
    chunk's rows stay in cache while each candidate sweeps them, and each
    row's distance chain is independent of the next row's (measured 1.8x
    faster than scoring all candidates row by row). Used for n_features > 4.
    """
    n_samples = X.shape[0]
    for chunk in prange(chunk_potentials.shape[0]):
        start = chunk * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n_samples)
        for i in range(start, stop):
            closest_sq[i] = min(closest_sq[i], _squared_distance(X, i, winner))
        for t in range(candidates.shape[0]):
            total = 0.0
            for i in range(start, stop):
                total += sample_weight[i] * min(closest_sq[i], _squared_distance(X, i, candidates[t]))
            chunk_potentials[chunk, t] = total


@jit_parallel(fastmath={"reassoc", "contract"})
def seeding_pass_few_features(X, sample_weight, closest_sq, winner, candidates, chunk_potentials):
    """:func:`seeding_pass` for n_features <= 4 (measured 1.6x faster at d=2).

    With so few features a per-row sum is too short to vectorize. Instead each
    chunk is first transposed into a small
    (n_features, rows) buffer so every distance sweep vectorizes across rows;
    the per-chunk sums may be reassociated (``reassoc``: summed in vector
    lanes), which is fixed by the compiled code, not by the thread count.
    """
    n_samples, n_features = X.shape
    for chunk in prange(chunk_potentials.shape[0]):
        start = chunk * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n_samples)
        rows_t = np.empty((n_features, stop - start))
        for r in range(stop - start):
            for f in range(n_features):
                rows_t[f, r] = X[start + r, f]
        squared = np.empty(stop - start)
        _squared_distances_of_rows(rows_t, winner, squared)
        for r in range(stop - start):
            closest_sq[start + r] = min(closest_sq[start + r], squared[r])
        for t in range(candidates.shape[0]):
            _squared_distances_of_rows(rows_t, candidates[t], squared)
            total = 0.0
            for r in range(stop - start):
                total += sample_weight[start + r] * min(closest_sq[start + r], squared[r])
            chunk_potentials[chunk, t] = total


@jit
def search_cumulative(X, sample_weight, closest_sq, winner, chunk_totals, targets):
    """``searchsorted(cumsum(w * min(closest_sq, ||x - winner||^2)), targets)``, lazily.

    The chunk totals locate the chunk holding each target; a scan inside that
    chunk finds the first index whose running sum reaches it (NumPy's
    ``side="left"``). Targets past the end (rounding) give the last index,
    as scikit-learn's clip does.
    """
    n_samples = closest_sq.shape[0]
    found = np.empty(targets.shape[0], dtype=np.int64)
    for t in range(targets.shape[0]):
        target = targets[t]
        running = 0.0
        chunk = 0
        while chunk < chunk_totals.shape[0] - 1 and running + chunk_totals[chunk] < target:
            running += chunk_totals[chunk]
            chunk += 1
        found[t] = n_samples - 1
        for i in range(chunk * CHUNK_ROWS, n_samples):
            current = min(closest_sq[i], _squared_distance(X, i, winner))
            running += sample_weight[i] * current
            if running >= target:
                found[t] = i
                break
    return found


@jit
def _weighted_draw(sample_weight, total_weight, uniform):
    """The index ``RandomState.choice(n, p=sample_weight / total_weight)`` returns for ``uniform``.

    NumPy's choice builds ``cdf = cumsum(p) / cumsum(p)[-1]`` and returns the
    first index with ``cdf > uniform``. The same sequential sums, divisions
    and comparison give the same index without the n-sized temporaries.
    """
    n_samples = sample_weight.shape[0]
    last = 0.0
    for i in range(n_samples):
        last += sample_weight[i] / total_weight
    running = 0.0
    for i in range(n_samples):
        running += sample_weight[i] / total_weight
        if running / last > uniform:
            return i
    return n_samples - 1


def _greedy_kmeans_plusplus_float64(X, n_clusters, sample_weight, random_state, n_local_trials):
    """Greedy k-means++ on float64 data: one numba pass over X per center.

    Sums are chunked (fixed order) rather than sequential, which moves the
    sampling boundaries by ~1e-16 relative: the draws, and so the chosen
    samples, are scikit-learn's.
    """
    n_samples = X.shape[0]
    chunks = n_chunks(n_samples)
    indices = np.full(n_clusters, -1, dtype=np.int64)
    # random_state.choice(n, p=w / w.sum()), which draws one random_sample().
    indices[0] = _weighted_draw(sample_weight, sample_weight.sum(), random_state.random_sample())

    closest_sq = np.empty(n_samples)
    chunk_totals = np.empty(chunks)
    first_center_pass(X, sample_weight, X[indices[0]], closest_sq, chunk_totals)
    potential = chunk_totals.sum()
    # The first center is already in closest_sq: applying it again changes nothing.
    winner = X[indices[0]].copy()
    chunk_potentials = np.empty((chunks, n_local_trials))
    score_candidates = seeding_pass_few_features if X.shape[1] <= 4 else seeding_pass

    for c in range(1, n_clusters):
        targets = random_state.uniform(size=n_local_trials) * potential
        candidates = search_cumulative(X, sample_weight, closest_sq, winner, chunk_totals, targets)
        score_candidates(X, sample_weight, closest_sq, winner, X[candidates], chunk_potentials)
        potentials = chunk_potentials.sum(axis=0)
        best = int(np.argmin(potentials))
        potential = potentials[best]
        chunk_totals = chunk_potentials[:, best].copy()
        indices[c] = candidates[best]
        winner = X[indices[c]].copy()

    return X[indices].copy(), indices


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
    if X.dtype == np.float64:
        return _greedy_kmeans_plusplus_float64(
            X, n_clusters, sample_weight, random_state, n_local_trials)

    # float32: scikit-learn rounds distances, running minimum, potentials and
    # the cumulative sum to float32. The same NumPy operations in the same
    # dtype reproduce those bits, so the candidates drawn are the same.
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
