"""Initial centers: greedy k-means++ and random choice.

Both draw exactly the random numbers scikit-learn draws, in the same order,
from the ``RandomState`` they are given, so the same seed picks the same
samples.

* float64: every step is one parallel numba pass over X (below); at high k
  the pass scores only the rows the step's candidates may bring closer. A
  table of at most one chunk of rows and few values (``one_call_pays``)
  takes all its seeds from one kernel call with the exact scorer's
  arithmetic (:func:`one_chunk_kmeans_plusplus`).
* float32: scikit-learn rounds the distances, the running minimum, the
  potentials and the cumulative sum to float32, and which candidate a draw
  lands on depends on those roundings. There two numba passes per center
  reproduce those roundings (the distances and running minimum of all the
  step's candidates in one parallel pass; the float32 cumulative sum
  sequentially, as NumPy's, up to the last target), and the potentials are
  the very NumPy product scikit-learn computes, so the same candidates come
  out (see the notes above ``_greedy_kmeans_plusplus_float32``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeans_core._kernels.common import centered_rows, row_squared_norms
from kmeans_core._kernels.distances import copy_by_centre, cross_block_rows
from kmeans_core._kernels.jit import (
    CHUNK_ROWS,
    VECTOR_SUMS,
    for_one_chunk,
    for_rows,
    jit,
    jit_parallel,
    n_chunks,
    prefaulted_empty,
    single_threaded_blas,
)

# --- float64: one pass over X per center -------------------------------------
#
# Step c needs (1) the running minimum ``closest_sq`` updated with the winner of
# step c-1 and (2) the potential of each of its candidates. One pass does both:
# the winner of step c-1 is applied lazily, inside the pass that scores the
# candidates of step c. The sampling between the two only needs the chunk
# totals of the updated ``w * closest_sq`` (the winner's column of the previous
# pass's per-chunk potentials) and the values inside the few chunks that hold a
# target, which it recomputes on the fly with the same arithmetic.
#
# Four scorers share that plan and differ in how a distance is computed:
#
# * ``_ExactScorer`` (n_features <= 4): ``sum((x - c)^2)`` over a transposed
#   chunk, vectorized across rows. With so few features it is the cheapest form.
# * ``_ExpandedScorer`` (n_features > 4): the expanded form
#   ``(-2 x.c + |c|^2) + |x|^2``, clipped at 0, in scikit-learn's order of
#   operations, with the cross terms of a whole chunk and all the step's
#   centers in one BLAS product. This is the arithmetic scikit-learn's own
#   k-means++ uses; it costs one matrix product per chunk instead of a
#   subtraction and a multiply-add per feature and center (measured 1.45x
#   faster per pass at n=1e6, d=8, 5 centers; 2.2x at d=64).
# * ``_StoredScorer`` (n_features >= 64): the expanded form too, but each
#   pass keeps its candidates' distances, so the winner is applied from them
#   (one BLAS lane fewer per pass; see the notes above the class). With 4
#   candidates or more its passes score only the rows a candidate may lower,
#   as ``_PrunedScorer``'s: the same bits.
# * ``_PrunedScorer`` (high k, 4 < n_features < 64): ``_ExpandedScorer``'s
#   arithmetic on only the rows a lane may lower, found by the triangle
#   inequality; the same bits (see the notes above ``pruning_limits``).


# ``reassoc``/``contract`` (no ``nnan``/``ninf``): the feature sum vectorizes
# instead of forming one chain of dependent additions. The search below
# recomputes the same distances, possibly rounded differently in the last bit;
# its running sum then differs from the chunk totals by ~1e-16 relative, which
# moves a sampling boundary by as much (the chosen seeds are unaffected in
# practice, and tested).
@jit(fastmath=VECTOR_SUMS)
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


@jit(fastmath=VECTOR_SUMS)
def _potential_of_rows(weights, closest, squared):
    """``sum_r weights[r] * min(closest[r], squared[r])``: a candidate's potential over a chunk.

    Summed in vector lanes (``reassoc``/``contract``); the one sum of
    :func:`exact_scoring_pass` and :func:`one_chunk_kmeans_plusplus` alike,
    so both score a candidate with the same bits (the tests check it).
    """
    total = 0.0
    for r in range(squared.shape[0]):
        total += weights[r] * (squared[r] if squared[r] < closest[r] else closest[r])
    return total


@jit_parallel(fastmath=VECTOR_SUMS)
def exact_scoring_pass(X, sample_weight, closest_sq, winner, candidates, chunk_potentials):
    """Apply the previous winner to ``closest_sq``, then score every candidate (n_features <= 4).

    ``chunk_potentials[chunk, t] = sum_i w_i * min(closest_sq_i, ||x_i - candidate_t||^2)``
    over the chunk's rows. With so few features a per-row sum is too short to
    vectorize, so each chunk is first transposed into a small
    (n_features, rows) buffer and every distance sweep vectorizes across rows
    (measured 1.6x faster at d=2); the per-chunk sums may be reassociated
    (``reassoc``: summed in vector lanes), which is fixed by the compiled code,
    not by the thread count.
    """
    n_samples, n_features = X.shape
    for chunk in prange(chunk_potentials.shape[0]):
        start = chunk * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n_samples)
        rows_t = np.empty((n_features, stop - start))
        for r in range(stop - start):
            for f in range(n_features):
                rows_t[f, r] = X[start + r, f]
        # Sweeps over views of the chunk (not ``closest_sq[start + r]``): with
        # plain indices from 0 the loops vectorize (3.1 -> 2.2 ms per pass at
        # n=1e6, d=2, 3 candidates).
        closest = closest_sq[start:stop]
        weights = sample_weight[start:stop]
        squared = np.empty(stop - start)
        _squared_distances_of_rows(rows_t, winner, squared)
        for r in range(stop - start):
            closest[r] = min(closest[r], squared[r])
        for t in range(candidates.shape[0]):
            _squared_distances_of_rows(rows_t, candidates[t], squared)
            chunk_potentials[chunk, t] = _potential_of_rows(weights, closest, squared)


@jit
def _chunk_holding(chunk_totals, target):
    """The chunk where the running sum of ``chunk_totals`` reaches ``target``, and the sum before it."""
    running = 0.0
    chunk = 0
    while chunk < chunk_totals.shape[0] - 1 and running + chunk_totals[chunk] < target:
        running += chunk_totals[chunk]
        chunk += 1
    return chunk, running


@jit
def exact_search(X, sample_weight, closest_sq, winner, chunk_totals, targets, winner_sq):
    """``searchsorted(cumsum(w * min(closest_sq, ||x - winner||^2)), targets)``, lazily.

    The chunk totals locate the chunk holding each target; a scan inside that
    chunk finds the first index whose running sum reaches it (NumPy's
    ``side="left"``). Targets past the end (rounding) give the last index,
    as scikit-learn's clip does. The winner's squared distances are
    ``winner_sq`` when it is not empty (kept by the scoring pass that
    computed them: ``_StoredScorer``; ``X`` and ``winner`` are then not
    read), else computed from the vector ``winner``.
    """
    n_samples = closest_sq.shape[0]
    stored = winner_sq.shape[0] > 0
    found = np.empty(targets.shape[0], dtype=np.int64)
    for t in range(targets.shape[0]):
        target = targets[t]
        chunk, running = _chunk_holding(chunk_totals, target)
        found[t] = n_samples - 1
        for i in range(chunk * CHUNK_ROWS, n_samples):
            if stored:
                current = _smaller(winner_sq[i], closest_sq[i])
            else:
                current = min(closest_sq[i], _squared_distance(X, i, winner))
            running += sample_weight[i] * current
            if running >= target:
                found[t] = i
                break
    return found


@jit
def _expanded_squared_distance(cross, center_squared_norm, row_squared_norm):
    # scikit-learn's euclidean_distances: (-2 x.c + |c|^2) + |x|^2, then clipped
    # at 0 (the expansion can round a tiny distance below zero). Comparisons
    # here and below are written as selects, which compile without branches
    # (builtin min/max measured 3% slower per pass).
    squared = (-2.0 * cross + center_squared_norm) + row_squared_norm
    return squared if squared > 0.0 else 0.0


@jit
def _smaller(a, b):
    return a if a < b else b


# Rows of X per BLAS product in :func:`_chunk_cross_terms`: blocks of
# ``_kernels.distances.CROSS_BLOCK_BYTES``. Per scoring pass at n=5e4, d=300,
# 5 lanes, one thread: 23.4 ms for products of 1,024 rows (2.4 MB) against
# 18.1-18.5 ms for 256-512 rows; unchanged up to d=32.


@jit
def _chunk_cross_terms(X, mean, start, stop, lanes_t):
    """``x.c`` for the rows ``start:stop`` and every lane, as (n_lanes, n_rows).

    ``mean``: None, or X's column means: each block of rows is then centred
    into a buffer before its product (``x - mean`` in X's dtype, the values
    of the fit's centred copy, in a block of the same shape: the same bits).

    BLAS products ``X[rows] @ lanes_t`` (the orientation BLAS runs fastest:
    the product alone 1.6 ms per pass at n=1e6, d=8, against 4.1 ms for
    ``lanes @ X.T``) over blocks of rows that fit ``CROSS_BLOCK_BYTES``,
    each copied lane by lane so that each lane's values are contiguous and
    the sweeps over them vectorize. The blocks depend on the row range and
    the width only, and the scoring pass and the search both take a chunk's
    cross terms from here, so they see the same bits.
    """
    n_lanes = lanes_t.shape[1]
    cross = np.empty((n_lanes, stop - start))
    block_rows = cross_block_rows(X.shape[1])
    centred = np.empty((0 if mean is None else min(block_rows, stop - start), X.shape[1]))
    for block_start in range(start, stop, block_rows):
        block_stop = min(block_start + block_rows, stop)
        if mean is None:
            by_row = np.dot(X[block_start:block_stop], lanes_t)
        else:
            for r in range(block_stop - block_start):
                for f in range(X.shape[1]):
                    centred[r, f] = X[block_start + r, f] - mean[f]
            by_row = np.dot(centred[: block_stop - block_start], lanes_t)
        copy_by_centre(by_row, cross, block_start - start)
    return cross


# ``reassoc``/``contract`` apply to this kernel's own arithmetic: the per-chunk
# potential sums, which then run in vector lanes (their grouping is fixed by
# the compiled code and the chunk's row count, never by the thread count). The
# distances themselves come from ``_expanded_squared_distance``, compiled
# without them, so each distance keeps scikit-learn's order of operations.
@jit_parallel(fastmath=VECTOR_SUMS)
def expanded_scoring_pass(
    X,
    all_row_norms,
    sample_weight,
    closest_sq,
    lanes_t,
    lanes_squared_norms,
    winner_lane,
    winner_sq,
    chunk_potentials,
    candidate_sq,
    mean,
):
    """Apply the pending winner to ``closest_sq``, then score the candidate lanes.

    ``lanes_t`` (n_features, n_lanes) holds the step's centers as columns:
    the previous winner first when ``winner_lane`` is 0, then the
    candidates, whose potentials go to
    ``chunk_potentials[:, lane - (n_lanes - n_candidates)]``. The winner is
    lane ``winner_lane``, or, when that is negative, the distances
    ``winner_sq`` if not empty (kept from its own scoring), or none.
    ``candidate_sq`` (n_candidates, n_samples), if not empty, receives
    every candidate's distances (``_StoredScorer``). ``mean``: None, or
    X's column means when X is not centred (``_chunk_cross_terms``; the
    lanes and ``all_row_norms`` are then the centred rows'). The cross terms
    of a chunk come lane by lane in contiguous rows, so every sweep below
    vectorizes (per pass, against per-row sweeps over the product as BLAS
    returns it: 6.1 -> 4.9 ms at n=1e6, d=8, 5 lanes; 1.02 -> 0.85 ms at
    n=2e5, d=16; 1.8 -> 1.7 ms at n=1e5, d=64, 7 lanes). Used for
    n_features > 4.
    """
    n_samples = X.shape[0]
    n_lanes = lanes_t.shape[1]
    first_candidate = n_lanes - chunk_potentials.shape[1]
    for chunk in prange(chunk_potentials.shape[0]):
        start = chunk * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n_samples)
        cross = _chunk_cross_terms(X, mean, start, stop, lanes_t)
        row_norms = all_row_norms[start:stop]
        closest = closest_sq[start:stop]
        weights = sample_weight[start:stop]
        if winner_lane >= 0:
            norm = lanes_squared_norms[winner_lane]
            for r in range(stop - start):
                distance = _expanded_squared_distance(cross[winner_lane, r], norm, row_norms[r])
                closest[r] = _smaller(distance, closest[r])
        elif winner_sq.shape[0] > 0:
            winner = winner_sq[start:stop]
            for r in range(stop - start):
                closest[r] = _smaller(winner[r], closest[r])
        for lane in range(first_candidate, n_lanes):
            norm = lanes_squared_norms[lane]
            total = 0.0
            if candidate_sq.shape[0] > 0:
                kept = candidate_sq[lane - first_candidate, start:stop]
                for r in range(stop - start):
                    kept[r] = _expanded_squared_distance(cross[lane, r], norm, row_norms[r])
                    total += weights[r] * _smaller(kept[r], closest[r])
            else:
                for r in range(stop - start):
                    distance = _expanded_squared_distance(cross[lane, r], norm, row_norms[r])
                    total += weights[r] * _smaller(distance, closest[r])
            chunk_potentials[chunk, lane - first_candidate] = total


@jit
def expanded_search(
    X,
    all_row_norms,
    sample_weight,
    closest_sq,
    lanes_t,
    lanes_squared_norms,
    lane,
    chunk_totals,
    targets,
    mean,
):
    """:func:`exact_search` for the expanded scorer: the pending winner is ``lanes_t[:, lane]``.

    The target's chunk recomputes its cross terms with the very product the
    scoring pass used (same rows, same ``lanes_t``), so each distance is the
    same bits as behind ``chunk_totals``; only the grouping of the running
    sum differs (sequential here, vector lanes there: ~1e-16 relative).
    ``mean`` as in :func:`expanded_scoring_pass`.
    """
    n_samples = closest_sq.shape[0]
    n_all_chunks = chunk_totals.shape[0]
    norm = lanes_squared_norms[lane]
    found = np.empty(targets.shape[0], dtype=np.int64)
    for t in range(targets.shape[0]):
        target = targets[t]
        chunk, running = _chunk_holding(chunk_totals, target)
        found[t] = n_samples - 1
        reached = False
        while chunk < n_all_chunks and not reached:
            start = chunk * CHUNK_ROWS
            stop = min(start + CHUNK_ROWS, n_samples)
            cross = _chunk_cross_terms(X, mean, start, stop, lanes_t)
            row_norms = all_row_norms[start:stop]
            for r in range(stop - start):
                distance = _expanded_squared_distance(cross[lane, r], norm, row_norms[r])
                running += sample_weight[start + r] * _smaller(distance, closest_sq[start + r])
                if running >= target:
                    found[t] = start + r
                    reached = True
                    break
            chunk += 1
    return found


@jit
def _weighted_draw(sample_weight, total_weight, uniform):
    """The index ``RandomState.choice(n, p=sample_weight / total_weight)`` returns for ``uniform``.

    NumPy's choice builds ``cdf = cumsum(p) / cumsum(p)[-1]`` and returns the
    first index with ``cdf > uniform``. The same sequential sums, divisions
    and comparison give the same index without the n-sized temporaries. The
    first pass (for ``cumsum(p)[-1]``) notes the running sum at the start of
    every chunk; the cdf never decreases, so the search resumes from the last
    chunk start still at or below ``uniform``, with the very running sum it had
    there, instead of summing again from 0.
    """
    n_samples = sample_weight.shape[0]
    chunk_starts = np.empty((n_samples + CHUNK_ROWS - 1) // CHUNK_ROWS)
    last = 0.0
    for chunk in range(chunk_starts.shape[0]):
        chunk_starts[chunk] = last
        for i in range(chunk * CHUNK_ROWS, min((chunk + 1) * CHUNK_ROWS, n_samples)):
            last += sample_weight[i] / total_weight
    chunk = 0
    while chunk + 1 < chunk_starts.shape[0] and chunk_starts[chunk + 1] / last <= uniform:
        chunk += 1
    running = chunk_starts[chunk]
    for i in range(chunk * CHUNK_ROWS, n_samples):
        running += sample_weight[i] / total_weight
        if running / last > uniform:
            return i
    return n_samples - 1


# --- float64, up to one chunk of rows and few values: every seed in one call -----
#
# On a small table each k-means++ step takes microseconds, and what a first fit
# on a fresh machine waits for is compiling the steps' kernels: the first
# pass, the search and the scoring pass with their helpers, 1.0 s of process
# time on the 2-core benchmark machine. :func:`one_chunk_kmeans_plusplus`
# takes every step after the first draw in one serial kernel, from the
# uniforms the steps would draw, drawn beforehand
# (``uniform(size=(k - 1, trials))`` gives, value for value, the stream of
# ``k - 1`` calls of ``uniform(size=trials)``; scaling by 1.0 and adding 0.0
# leaves each value as drawn, so ``u * potential`` is the step's target bit
# for bit).
#
# It repeats the steps of ``_ExactScorer`` on the one chunk with the same
# arithmetic: the first pass's and the search's distances from the relaxed
# ``_squared_distance``, the scoring pass's from ``_squared_distances_of_rows``,
# the search's running sums and the first total added in row order, and the
# scoring pass's potentials from :func:`_potential_of_rows`, the function
# ``exact_scoring_pass`` sums them with. So it chooses the same
# seeds, even where two candidates' potentials tie but for rounding (a strict
# replacement of the relaxed sums chose differently on 19 of 3,000 such
# tables); tested against the scorers on small tables.


@jit(inline="always")
def _strict_squared_distances(X, j, out):
    """``out[r] = ||X[r] - X[j]||^2``: ``_squared_distances_of_rows``'s sums, in place.

    Each summed feature by feature from 0.0 without relaxation: the same
    IEEE operations in the same order, so the same bits, whatever the
    loops around them.
    """
    for r in range(X.shape[0]):
        squared = 0.0
        for f in range(X.shape[1]):
            diff = X[r, f] - X[j, f]
            squared += diff * diff
        out[r] = squared


@jit
def one_chunk_kmeans_plusplus(
    X,
    sample_weight,
    total_weight,
    first_uniform,
    uniforms,
    indices,
    candidates,
    closest,
    squared,
):
    """Greedy k-means++ seeds on at most one chunk of rows (see ``one_call_pays``).

    ``X`` (n_samples, n_features) float64 with at most ``CHUNK_ROWS`` rows;
    ``total_weight`` is ``sample_weight.sum()``; ``first_uniform`` the
    random_sample() of the first seed's draw and ``uniforms`` (n_clusters -
    1, n_trials) the uniform [0, 1) numbers of the steps, in drawing order;
    ``indices`` (n_clusters,) int64 receives the seeds' rows. The first
    seed is :func:`_weighted_draw`'s, by its own arithmetic on its one
    chunk (strict, so the same bits: ``RandomState.choice``'s). Each step scales its uniforms
    by the current potential, finds each target's row (the first whose
    running sum of ``w * D^2`` reaches it; the last row past the end),
    applies the previous step's winner and keeps the candidate of smallest
    potential (the first on ties), exactly as ``_ExactScorer``'s search,
    scoring pass and choice on one chunk. ``candidates`` (n_trials,) int64,
    ``closest`` and ``squared`` (n_samples,) float64 are scratch buffers
    (allocated by the caller: a first fit then compiles no allocation
    kernel for them).
    """
    n_samples = X.shape[0]
    n_steps, n_trials = uniforms.shape
    # _weighted_draw on one chunk: the cdf's last value, then the first row beyond the uniform
    last = 0.0
    for i in range(n_samples):
        last += sample_weight[i] / total_weight
    first = n_samples - 1
    running = 0.0
    for i in range(n_samples):
        running += sample_weight[i] / total_weight
        if running / last > first_uniform:
            first = i
            break
    indices[0] = first
    # first_center_pass
    potential = 0.0
    for i in range(n_samples):
        closest[i] = _squared_distance(X, i, X[first])
        potential += sample_weight[i] * closest[i]
    winner = first
    for step in range(n_steps):
        # exact_search: the pending winner applied on the fly
        for t in range(n_trials):
            target = uniforms[step, t] * potential
            candidates[t] = n_samples - 1
            running = 0.0
            for i in range(n_samples):
                squared_i = _squared_distance(X, i, X[winner])
                current = squared_i if squared_i < closest[i] else closest[i]
                running += sample_weight[i] * current
                if running >= target:
                    candidates[t] = i
                    break
        # exact_scoring_pass: the winner applied, then every candidate scored
        _strict_squared_distances(X, winner, squared)
        for r in range(n_samples):
            if squared[r] < closest[r]:
                closest[r] = squared[r]
        best = 0
        for t in range(n_trials):
            _strict_squared_distances(X, candidates[t], squared)
            total = _potential_of_rows(sample_weight, closest, squared)
            if t == 0 or total < potential:
                best = t
                potential = total
        winner = candidates[best]
        indices[step + 1] = winner


# Tables of up to one chunk of rows (one thread, one chunk: nothing for a
# parallel kernel to share) run the scoring passes' serial twins
# (``for_one_chunk``), which a first fit on a fresh machine compiles in a
# fraction of the parallel kernels' time. Their relaxed sums may round a
# potential differently in the last bit from the parallel kernel's
# (``_kernels.jit.serial``): nothing else recomputes these potentials, the
# choice is by row count alone, and the draws stay scikit-learn's (tested on
# every small table of the seeding tests).


# The "none" arguments of ``expanded_scoring_pass``: no stored winner, no distances kept.
_NONE = np.empty(0)
_NO_ROWS = np.empty((0, 0))


class _ExactScorer:
    """Distances as ``sum((x - c)^2)``; the pending winner is kept as a vector."""

    def __init__(self, X, sample_weight, first_center, row_norms=None):
        # The direct form needs no row norms.
        self.X, self.sample_weight = X, sample_weight
        self.closest_sq = prefaulted_empty(X.shape[0])
        self.chunk_totals = np.empty(n_chunks(X.shape[0]))
        for_one_chunk(first_center_pass, X.shape[0], relaxed=True)(
            X, sample_weight, X[first_center], self.closest_sq, self.chunk_totals
        )
        # The first center is already in closest_sq: applying it again changes nothing.
        self.winner = X[first_center].copy()

    def search(self, targets):
        return exact_search(
            self.X,
            self.sample_weight,
            self.closest_sq,
            self.winner,
            self.chunk_totals,
            targets,
            _NONE,
        )

    def score(self, candidates, chunk_potentials):
        for_one_chunk(exact_scoring_pass, self.X.shape[0], relaxed=True)(
            self.X,
            self.sample_weight,
            self.closest_sq,
            self.winner,
            self.X[candidates],
            chunk_potentials,
        )
        self.candidates = candidates

    def choose(self, best, chunk_potentials):
        self.chunk_totals = chunk_potentials[:, best].copy()
        self.winner = self.X[self.candidates[best]].copy()


class _ExpandedScorer:
    """Distances in the expanded form; the pending winner is a column of the last product."""

    def __init__(self, X, sample_weight, first_center, row_norms=None, mean=None):
        # ``mean``: as in ``_StoredScorer``.
        self.X, self.sample_weight, self.mean = X, sample_weight, mean
        self.closest_sq = np.full(X.shape[0], np.inf)  # min(inf, d) = d at the first pass
        # |x|^2 once for all passes (recomputing it per pass cost 1 ms of 7 at d=8),
        # or the caller's (``x_squared_norms``), as scikit-learn uses them.
        if row_norms is None:
            row_norms = prefaulted_empty(X.shape[0])
            for_rows(row_squared_norms, X.shape[0])(X, mean, row_norms)
        self.row_norms = row_norms
        self._use_lanes(centered_rows(X[[first_center]], mean))
        totals = np.empty((n_chunks(X.shape[0]), 1))
        for_one_chunk(expanded_scoring_pass, X.shape[0], relaxed=True)(
            *self._state(), -1, _NONE, totals, _NO_ROWS, mean
        )
        self.chunk_totals = totals[:, 0].copy()
        # closest_sq already holds the first center; re-applying lane 0 changes nothing.
        self.winner_lane = 0

    def _use_lanes(self, centers):
        self.lanes_t = np.ascontiguousarray(centers.T)
        self.lanes_squared_norms = np.einsum("ij,ij->i", centers, centers)

    def _state(self):
        """The arguments every expanded-form kernel starts with."""
        return (
            self.X,
            self.row_norms,
            self.sample_weight,
            self.closest_sq,
            self.lanes_t,
            self.lanes_squared_norms,
        )

    def search(self, targets):
        return expanded_search(
            *self._state(), self.winner_lane, self.chunk_totals, targets, self.mean
        )

    def score(self, candidates, chunk_potentials):
        winner = self.lanes_t[:, self.winner_lane]
        candidate_rows = centered_rows(self.X[candidates], self.mean)
        self._use_lanes(np.vstack([winner[np.newaxis], candidate_rows]))
        for_one_chunk(expanded_scoring_pass, self.X.shape[0], relaxed=True)(
            *self._state(), 0, _NONE, chunk_potentials, _NO_ROWS, self.mean
        )

    def choose(self, best, chunk_potentials):
        self.chunk_totals = chunk_potentials[:, best].copy()
        self.winner_lane = 1 + best


# --- Wide rows: the candidates' distances kept, the winner never recomputed -----
#
# Above ``_STORED_MIN_FEATURES`` features a pass keeps every candidate's
# distances (n_candidates x n floats, small beside X's n x d), so the winner
# is applied from what its own scoring computed instead of being recomputed
# as an extra lane of the next product. One lane fewer per product is worth
# more than it seems: OpenBLAS multiplies 4 lanes in one register-wide block
# and 5 with an edge block (one scoring pass, one thread: 18.3 -> 12.5 ms at
# n=5e4, d=300; 14.8 -> 9.7 ms at n=1e5, d=128; 4 candidates, k = 8-20).
# The search then reads the very distances behind the chunk totals. On
# narrow rows writing the distances costs more than the lane saves.


class _StoredScorer:
    """Expanded distances; the candidates' distances kept, the pending winner a row of them.

    ``mean``: None when X is centred, else X's column means, subtracted as
    rows are read (the products' blocks, the candidates, the norms): the
    centred copy's values, so the same bits without the copy.
    """

    def __init__(self, X, sample_weight, first_center, row_norms=None, mean=None, n_clusters=None):
        self.X, self.sample_weight, self.mean = X, sample_weight, mean
        self.closest_sq = np.full(X.shape[0], np.inf)  # min(inf, d) = d
        if row_norms is None:
            row_norms = prefaulted_empty(X.shape[0])
            for_rows(row_squared_norms, X.shape[0])(X, mean, row_norms)
        self.row_norms = row_norms
        first = self._rows([first_center])
        # ``n_clusters`` given: the later passes score only the rows a
        # candidate may lower (``_Pruning``; see the notes above
        # ``pruning_limits``), listed at every step (12 bytes a row beside
        # the row's 8 d).
        self.pruning = None
        if n_clusters is not None:
            self.pruning = _Pruning(self.row_norms, first[0], n_clusters, every_step=True)
        # Two (n_candidates, n) distance buffers used in turn: the pending
        # winner's row of one is read while the other is filled.
        self.buffers = None
        self.filling = 0
        totals = np.empty((n_chunks(X.shape[0]), 1))
        self._score(first, _NONE, totals, prefaulted_empty((1, X.shape[0])))
        self.chunk_totals = totals[:, 0].copy()
        # closest_sq is still inf: the first center is the pending winner.
        self.winner_sq = self.out[0]

    def _rows(self, indices):
        """Rows of X (centred when X is not) as new centres."""
        return centered_rows(self.X[indices], self.mean)

    def _score(self, centers, winner_sq, chunk_potentials, out):
        """A pass scoring ``centers``, the pending winner applied from ``winner_sq`` (if any)."""
        lanes_t = np.ascontiguousarray(centers.T)
        lanes_squared_norms = np.einsum("ij,ij->i", centers, centers)
        if self.pruning is None:
            expanded_scoring_pass(
                self.X,
                self.row_norms,
                self.sample_weight,
                self.closest_sq,
                lanes_t,
                lanes_squared_norms,
                -1,
                winner_sq,
                chunk_potentials,
                out,
                self.mean,
            )
        else:
            # Every pass through the pruned kernel, the first too (every row
            # scored: nothing is chosen yet), so that a fit compiles one
            # scoring kernel: the full pass's arithmetic, the same bits.
            pruning = self.pruning
            first_pass = winner_sq.shape[0] == 0
            limits, gather_most = (_NONE, -1) if first_pass else pruning.step(lanes_t)
            pruned_scoring_pass(
                self.X,
                self.row_norms,
                self.sample_weight,
                self.closest_sq,
                pruning.nearest,
                lanes_t,
                lanes_squared_norms,
                -1,
                winner_sq,
                pruning.n_chosen - 1,
                limits,
                gather_most,
                chunk_potentials,
                pruning.chunk_scored,
                out,
                self.mean,
            )
            pruning.scored(gather_most)
        self.out = out

    def search(self, targets):
        return exact_search(
            self.X,
            self.sample_weight,
            self.closest_sq,
            _NONE,
            self.chunk_totals,
            targets,
            self.winner_sq,
        )

    def score(self, candidates, chunk_potentials):
        if self.buffers is None:
            # The first pass's winner row lives in a buffer of its own.
            shape = (len(candidates), self.X.shape[0])
            self.buffers = [prefaulted_empty(shape) for _ in range(2)]
        else:
            self.filling = 1 - self.filling
        self.candidate_rows = self._rows(candidates)
        self._score(
            self.candidate_rows, self.winner_sq, chunk_potentials, self.buffers[self.filling]
        )

    def choose(self, best, chunk_potentials):
        self.chunk_totals = chunk_potentials[:, best].copy()
        self.winner_sq = self.out[best]
        if self.pruning is not None:
            self.pruning.add(self.candidate_rows[best])


# --- High k: rows no candidate can reach are not scored ------------------------
#
# At high k most rows already sit close to a chosen center, and a candidate far
# from that center cannot come closer (the triangle inequality): if m is the
# row's nearest chosen center at squared distance D and c a candidate, then
# |x - c| >= |c - m| - |x - m|, so |c - m|^2 >= 4 D gives |x - c|^2 >= D and
# min(D, |x - c|^2) is D. ``_PrunedScorer`` keeps every row's nearest chosen
# center (``nearest``), bounds each chosen center's distance to the step's
# lanes from below (:func:`pruning_limits`, k x lanes small direct sums), and
# scores only the rows some lane may lower: a BLAS product over those rows
# gathered, the others contributing their unchanged ``closest_sq``, which is
# what the full computation's min keeps. The sums then add the same values in
# the same order as ``expanded_scoring_pass`` (tested bit for bit).
#
# The bound must hold for the *computed* distances, not only the true ones;
# the margin (u = 2^-53, R^2 the largest |x|^2, every center a row of X so
# |c|, |m| <= R):
#
# * an expanded distance ``(-2 x.c + |c|^2) + |x|^2`` clipped at 0 is off the
#   true one by at most E = gamma (|x| + |c|)^2 <= 4 gamma R^2 whatever the
#   order of the BLAS sums (|fl(x.c) - x.c| <= gamma_d |x||c|, each norm
#   gamma_d relative, two additions u each; gamma = 2 (d + 2) u covers it
#   with room);
# * the direct ``sum((c - m)^2)`` of :func:`pruning_limits` is within
#   gamma_{d+3} relative of |c - m|^2 = S, so S >= S_computed (1 - rho) with
#   rho = 4 (d + 4) u (also covering the roundings of the limit itself).
#
# With D_computed <= S_lb / 4 - 3E (the limit): D <= D_computed + E, so
# sqrt(S) >= 2 sqrt(D_computed + 2E) >= sqrt(D) + sqrt(D_computed + 2E), so
# |x - c|^2 >= D_computed + 2E and the computed distance to c is at least
# D_computed + E >= D_computed: min keeps D_computed, and ``_smaller`` (a
# strict comparison) keeps ``nearest`` as the full pass would.
#
# The gathered rows' cross terms come from BLAS products over fewer rows
# than the full chunk's (:func:`_listed_cross_terms`, in blocks of at most
# ``cross_block_rows`` rows as a chunk's); the same row and lanes then give
# the same bits with OpenBLAS's gemm for every row count from 2, at every
# width (tested up to d = 300); a single row goes to gemv, which sums in
# another order, so a block of one row is multiplied twice over. (Before
# 2026-12-04's seventh session only the gathered list as a whole was padded,
# so the last of its blocks could hold one row from 43 features on: likely
# the "different rounding at d = 300" once noted here.) With 3 lanes or
# fewer OpenBLAS changes kernels with the row count: a pruned pass runs with
# ``_PRUNE_MIN_LANES`` lanes or more.
#
# Where it runs: at high k on narrow rows (``_PrunedScorer``, from
# ``_PRUNE_MIN_CLUSTERS``; the lanes are the pending winner and the
# candidates), and on wide rows at any k with 4 candidates or more
# (``_StoredScorer``; the winner is applied from its kept distances before
# the rows are listed, so its rows name it nearest; its first pass, with
# nothing chosen to bound by, runs through the same kernel scoring every
# row, so that a fit compiles one scoring kernel). On wide rows a skipped
# row saves reading 8 d bytes against 12 to list it, but the rows to score
# lie scattered through memory, so a pass saves less time than rows:
# blobs (``compare_lloyd.make_data``), k-means++ alone, two threads, min of
# 7: 1e5 x 128 x 8 54.5-55.4 -> 45.6-46.9 ms (passes scoring 0.88, 0.75,
# 0.63, 0.50, 0.62, 0.25 and 0.13 of the rows took 6.2, 5.6, 4.7, 4.5, 5.5,
# 2.7 and 1.5 ms, a full one 5.5-6); 5e4 x 300 x 10 67.4-67.9 -> 49.8-54.6;
# 2e5 x 64 x 16 115-119 -> 82-86; 1e5 x 128 x 32 192-202 -> 139. Uniform
# data, where no row is skipped: 55.9-57.1 -> 56.8-58.7 at 1e5 x 128 x 8,
# 63.8-64.9 -> 64.0-66.4 at 5e4 x 300 x 10, 64.6-66.5 -> 67.0-67.8 at 1e5 x
# 64 x 20.


@jit
def pruning_limits(chosen, lanes_t, margin, shrink):
    """For each chosen center j: rows nearest j at ``closest_sq <= limit[j]`` no lane can lower.

    ``limit[j] = min over lanes of S_j * shrink / 4 - margin``, with ``S_j``
    the direct squared distance from ``chosen[j]`` to the lane (see the notes
    above for ``shrink = 1 - rho`` and ``margin = 3E``).
    """
    n_chosen, n_features = chosen.shape
    limits = np.empty(n_chosen)
    for j in range(n_chosen):
        lowest = np.inf
        for lane in range(lanes_t.shape[1]):
            squared = 0.0
            for f in range(n_features):
                diff = chosen[j, f] - lanes_t[f, lane]
                squared += diff * diff
            lowest = min(lowest, squared)
        limits[j] = lowest * shrink * 0.25 - margin
    return limits


@jit
def _listed_cross_terms(X, mean, start, listed, n_listed, lanes_t):
    """:func:`_chunk_cross_terms` of the rows ``start + listed[:n_listed]`` only, as (n_lanes, n_listed).

    The listed rows are gathered (centred when ``mean`` is given, as there)
    into blocks of at most ``cross_block_rows`` rows, each multiplied by
    ``lanes_t`` as a whole chunk's block is. A block of one row is
    multiplied twice over: a single row goes to BLAS's gemv, which sums in
    another order than gemm (see the notes above :func:`pruning_limits`).
    """
    n_lanes = lanes_t.shape[1]
    n_features = X.shape[1]
    cross = np.empty((n_lanes, n_listed))
    block_rows = cross_block_rows(n_features)
    block = np.empty((max(min(block_rows, n_listed), 2), n_features))
    for block_start in range(0, n_listed, block_rows):
        n_block = min(block_rows, n_listed - block_start)
        n_multiplied = max(n_block, 2)
        for b in range(n_multiplied):
            row = start + listed[block_start + min(b, n_block - 1)]
            if mean is None:
                for f in range(n_features):
                    block[b, f] = X[row, f]
            else:
                for f in range(n_features):
                    block[b, f] = X[row, f] - mean[f]
        by_row = np.dot(block[:n_multiplied], lanes_t)
        copy_by_centre(by_row[:n_block], cross, block_start)
    return cross


@jit_parallel(fastmath=VECTOR_SUMS)
def pruned_scoring_pass(
    X,
    all_row_norms,
    sample_weight,
    closest_sq,
    nearest,
    lanes_t,
    lanes_squared_norms,
    winner_lane,
    winner_sq,
    winner_index,
    limits,
    gather_most,
    chunk_potentials,
    chunk_scored,
    candidate_sq,
    mean,
):
    """:func:`expanded_scoring_pass` scoring only the rows a lane may lower.

    The arguments of :func:`expanded_scoring_pass` (the winner as lane 0,
    ``winner_lane`` = 0, or as its kept distances ``winner_sq``,
    ``winner_lane`` < 0; ``candidate_sq`` empty or kept; ``mean``), and:
    ``nearest``, each row's nearest chosen center, which the winner (chosen
    center ``winner_index``) takes where it is strictly closer; ``limits``,
    per chosen center (:func:`pruning_limits`): a row whose ``closest_sq``
    (the winner applied) is at most ``limits[nearest]`` keeps it whatever
    the lanes (see the notes above), so its distances are not computed: it
    adds ``weight * closest_sq`` to each candidate's potential, as the full
    pass's min would, and its kept distances are +inf. A chunk with at most
    ``gather_most`` rows to score multiplies them gathered
    (:func:`_listed_cross_terms`); with more, the whole chunk as the full
    pass does. A negative ``gather_most`` scores every row without listing
    them (``limits`` is not read). ``chunk_scored[chunk]`` receives the rows
    scored.
    """
    n_samples = X.shape[0]
    n_lanes = lanes_t.shape[1]
    first_candidate = n_lanes - chunk_potentials.shape[1]
    keeps = candidate_sq.shape[0] > 0
    for chunk in prange(chunk_potentials.shape[0]):
        start = chunk * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n_samples)
        n_rows = stop - start
        closest = closest_sq[start:stop]
        near = nearest[start:stop]
        weights = sample_weight[start:stop]
        row_norms = all_row_norms[start:stop]
        if winner_lane < 0 and winner_sq.shape[0] > 0:
            # The kept winner first: its rows then name it nearest for the listing.
            winner = winner_sq[start:stop]
            for r in range(n_rows):
                near[r] = winner_index if winner[r] < closest[r] else near[r]
                closest[r] = _smaller(winner[r], closest[r])
        # The rows to score, listed without a branch (a row is written at the
        # list's end and kept by moving the end).
        rows = np.empty(n_rows, dtype=np.int64)
        n_scored = n_rows
        if gather_most >= 0:
            n_scored = 0
            for r in range(n_rows):
                rows[n_scored] = r
                n_scored += 1 if closest[r] > limits[near[r]] else 0
        chunk_scored[chunk] = n_scored
        if n_scored > gather_most:
            cross = _chunk_cross_terms(X, mean, start, stop, lanes_t)
            if winner_lane >= 0:
                winner_norm = lanes_squared_norms[winner_lane]
                for r in range(n_rows):
                    distance = _expanded_squared_distance(
                        cross[winner_lane, r], winner_norm, row_norms[r]
                    )
                    near[r] = winner_index if distance < closest[r] else near[r]
                    closest[r] = _smaller(distance, closest[r])
            # The full pass's sums, written as there: the sums are this
            # kernel's own (``reassoc``), so they run in the same vector lanes.
            for lane in range(first_candidate, n_lanes):
                norm = lanes_squared_norms[lane]
                total = 0.0
                if keeps:
                    kept = candidate_sq[lane - first_candidate, start:stop]
                    for r in range(n_rows):
                        kept[r] = _expanded_squared_distance(cross[lane, r], norm, row_norms[r])
                        total += weights[r] * _smaller(kept[r], closest[r])
                else:
                    for r in range(n_rows):
                        distance = _expanded_squared_distance(cross[lane, r], norm, row_norms[r])
                        total += weights[r] * _smaller(distance, closest[r])
                chunk_potentials[chunk, lane - first_candidate] = total
            continue
        cross = _listed_cross_terms(X, mean, start, rows, n_scored, lanes_t)
        if winner_lane >= 0:
            winner_norm = lanes_squared_norms[winner_lane]
            for s in range(n_scored):
                r = rows[s]
                distance = _expanded_squared_distance(
                    cross[winner_lane, s], winner_norm, row_norms[r]
                )
                if distance < closest[r]:
                    closest[r] = distance
                    near[r] = winner_index
        # The other rows' distances as +inf: min(inf, closest) is closest, what
        # min(distance, closest) is for a row no lane can lower.
        distances = np.empty(0 if keeps else n_rows)
        for lane in range(first_candidate, n_lanes):
            if keeps:
                distances = candidate_sq[lane - first_candidate, start:stop]
            distances[:] = np.inf
            norm = lanes_squared_norms[lane]
            for s in range(n_scored):
                r = rows[s]
                distances[r] = _expanded_squared_distance(cross[lane, s], norm, row_norms[r])
            total = 0.0
            for r in range(n_rows):
                total += weights[r] * _smaller(distances[r], closest[r])
            chunk_potentials[chunk, lane - first_candidate] = total


class _Pruning:
    """What a pruned scorer keeps: the chosen centers, each row's nearest, the limits' margin.

    ``row_norms``: the rows' squared norms as this package computed them (the
    margin assumes each within gamma_d of the true one); ``first``: the
    first center (a row, centred as the scored rows are); ``every_step``:
    list the rows to score at every step, else (narrow rows, where listing
    costs about a tenth of a pass) every ``_PRUNE_RETRY_STEPS`` steps while
    more than ``_PRUNE_MOST_SCORED`` of them were scored.
    """

    def __init__(self, row_norms, first, n_clusters, every_step):
        n_samples, n_features = row_norms.shape[0], first.shape[0]
        self.nearest = np.zeros(n_samples, dtype=np.int32)
        self.chunk_scored = np.empty(n_chunks(n_samples), dtype=np.int64)
        self.chosen = np.empty((n_clusters, n_features))
        self.chosen[0] = first
        self.n_chosen = 1
        # See the notes above: E for the largest row (norms rounded up by 1e-6
        # relative, far beyond their own rounding), u = 2^-53.
        unit = np.finfo(np.float64).eps / 2
        largest = float(row_norms.max()) * (1 + 1e-6) if n_samples else 0.0
        self.margin = 3 * (2 * (n_features + 2) * unit) * 4 * largest
        self.shrink = 1 - 4 * (n_features + 4) * unit
        self.every_step = every_step
        self.scored_fraction = 1.0

    def step(self, lanes_t):
        """The ``limits`` and ``gather_most`` of the step's :func:`pruned_scoring_pass`."""
        lists = (
            self.every_step
            or self.scored_fraction <= _PRUNE_MOST_SCORED
            or self.n_chosen % _PRUNE_RETRY_STEPS == 0
        )
        limits = pruning_limits(self.chosen[: self.n_chosen], lanes_t, self.margin, self.shrink)
        return limits, _GATHER_MOST_ROWS if lists else -1

    def scored(self, gather_most):
        """Note the fraction of rows the step's pass scored (when it listed them)."""
        if gather_most >= 0:
            self.scored_fraction = self.chunk_scored.sum() / max(self.nearest.shape[0], 1)

    def add(self, center):
        self.chosen[self.n_chosen] = center
        self.n_chosen += 1


class _PrunedScorer(_ExpandedScorer):
    """:class:`_ExpandedScorer` whose passes score only the rows a lane may lower (high k)."""

    def __init__(self, X, sample_weight, first_center, row_norms=None, n_clusters=1):
        super().__init__(X, sample_weight, first_center, row_norms)
        self.pruning = _Pruning(self.row_norms, X[first_center], n_clusters, every_step=False)

    def score(self, candidates, chunk_potentials):
        pruning = self.pruning
        winner = pruning.chosen[pruning.n_chosen - 1]
        self._use_lanes(np.vstack([winner[np.newaxis], self.X[candidates]]))
        limits, gather_most = pruning.step(self.lanes_t)
        pruned_scoring_pass(
            *self._state()[:4],
            pruning.nearest,
            self.lanes_t,
            self.lanes_squared_norms,
            0,
            _NONE,
            pruning.n_chosen - 1,
            limits,
            gather_most,
            chunk_potentials,
            pruning.chunk_scored,
            _NO_ROWS,
            None,
        )
        pruning.scored(gather_most)
        self.candidates = candidates

    def choose(self, best, chunk_potentials):
        super().choose(best, chunk_potentials)
        self.pruning.add(self.X[self.candidates[best]])


# From this many features on, k-means++ keeps the candidates' distances
# (``_StoredScorer``): one pass, one thread, 4 candidates, against
# recomputing the winner (``_ExpandedScorer``): see the notes above
# ``_StoredScorer``.
_STORED_MIN_FEATURES = 64


# Up to this many features the exact form's vectorized sweeps beat a BLAS
# product per chunk (measured at d=2: 0.018 s against 0.023 s at n=1e6, k=5).
_EXACT_SCORER_MAX_FEATURES = 4


# From this many clusters on (and 4 < n_features < 64, 3 candidates or more,
# no row norms from the caller), k-means++ scores only the rows a lane may
# lower (``_PrunedScorer``). From 64 features (``_StoredScorer``) at any k
# with 4 candidates or more (k >= 8 by default): there a row costs a pass 8 d
# bytes to read and listing it 12.
_PRUNE_MIN_CLUSTERS = 64

# Fewest lanes (the columns of a pass's BLAS product) a pruned pass runs
# with: with fewer, OpenBLAS's gemm changes kernels with the row count, and
# gathered rows would not get a whole chunk's bits (see the notes above
# ``pruning_limits``).
_PRUNE_MIN_LANES = 4

# A chunk with at most this many rows to score multiplies them gathered; with
# more, the whole chunk.
_GATHER_MOST_ROWS = 768

# While more than this fraction of the rows was scored at the last listing,
# the rows are listed again only every ``_PRUNE_RETRY_STEPS`` steps.
_PRUNE_MOST_SCORED = 0.75
_PRUNE_RETRY_STEPS = 8


# A table of at most one chunk of rows takes every seed from
# :func:`one_chunk_kmeans_plusplus` (the exact scorer's arithmetic) up to
# ``_EXACT_SCORER_MAX_FEATURES`` features, and beyond while it holds at most
# this many values (16 features at 1,000 rows): its first fit then compiles
# one kernel for the seeds, not the expanded scorer's passes, search and the
# first draw (numba's compile events at 1,000 x 8, k = 8: 2.35 s of them
# against 0.72 s for the one call). A warm default fit is as fast or faster
# (one thread: 1,000 x 16, k = 4 344-350 -> 298-310 us; see
# ``_iterations.DIRECT_RANKING_MAX_WORK`` for the rest).
ONE_CALL_MAX_VALUES = 16_384


def one_call_pays(n_samples, n_features):
    """Whether k-means++ on float64 data takes every seed from :func:`one_chunk_kmeans_plusplus`."""
    return n_samples <= CHUNK_ROWS and (
        n_features <= _EXACT_SCORER_MAX_FEATURES or n_samples * n_features <= ONE_CALL_MAX_VALUES
    )


# Narrowest rows k-means++ reads with the mean rather than from a centred copy
# (:func:`reads_rows_centred`). Each scoring pass then centres every block
# into a buffer (k passes), where the copy is made once: default fits, two
# threads, min of 7, three alternating rounds, copy -> no copy: 1e5 x 32 x 8
# 14.4-15.2 -> 17.2-17.9 ms, 2e5 x 32 x 16 58.7-60.7 -> 62.9-63.5; 2e5 x 40 x
# 16 96.0-98.3 -> 92.9-95.6; 2e5 x 48 x 16 99.6-101.0 -> 89.3-93.2, 1e5 x 48
# x 8 28.4-29.1 -> 23.3-23.8 ms.
READS_CENTRED_MIN_FEATURES = 40


def reads_rows_centred(dtype, n_samples, n_features, n_clusters):
    """Whether k-means++ can take X and its column means instead of a centred copy.

    float64 rows of at least ``READS_CENTRED_MIN_FEATURES`` features,
    beyond one call's table, scored by ``_StoredScorer`` (from
    ``_STORED_MIN_FEATURES`` features) or ``_ExpandedScorer`` (below it,
    under ``_PRUNE_MIN_CLUSTERS`` clusters): their reads of X (each block's
    product, the candidates, the norms) subtract the mean as they go, the
    copy's values. The exact, pruned, one-call and float32 seedings read a
    centred X.
    """
    if dtype != np.float64 or n_features < READS_CENTRED_MIN_FEATURES:
        return False
    if one_call_pays(n_samples, n_features):
        return False
    scorer = _float64_scorer(n_features, n_clusters, local_trials(n_clusters, None), False)
    return scorer in (_StoredScorer, _ExpandedScorer)


def local_trials(n_clusters, n_local_trials):
    """Candidates per k-means++ step: ``n_local_trials``, or scikit-learn's ``2 + int(log(k))``."""
    return 2 + int(np.log(n_clusters)) if n_local_trials is None else n_local_trials


def _float64_scorer(n_features, n_clusters, n_local_trials, caller_norms):
    """The scorer class of a float64 k-means++ run beyond one call's table.

    ``caller_norms``: the caller gave ``row_norms`` (``x_squared_norms``),
    which only the expanded form reads and the pruning margin cannot trust.
    """
    if n_features <= _EXACT_SCORER_MAX_FEATURES and not caller_norms:
        return _ExactScorer
    if n_features >= _STORED_MIN_FEATURES:
        return _StoredScorer
    if (
        n_clusters >= _PRUNE_MIN_CLUSTERS
        and 1 + n_local_trials >= _PRUNE_MIN_LANES  # the winner is a lane
        and not caller_norms
    ):
        # Only with norms of our own: the pruning margin assumes each norm
        # within gamma_d of the true one, which a caller's need not be.
        return _PrunedScorer
    return _ExpandedScorer


def _greedy_kmeans_plusplus_float64(
    X,
    n_clusters,
    sample_weight,
    random_state,
    n_local_trials,
    row_norms,
    one_call=True,
    computed_row_norms=None,
    mean=None,
):
    """Greedy k-means++ on float64 data: one numba pass over X per center.

    Sums are chunked (fixed order) rather than sequential, which moves the
    sampling boundaries by ~1e-16 relative: the draws, and so the chosen
    samples, are scikit-learn's. A table of at most one chunk of rows and few
    values (:func:`one_call_pays`) takes every seed from
    :func:`one_chunk_kmeans_plusplus` unless ``one_call`` is false: up to 4
    features the same rows as the exact scorer's passes (the tests compare
    the two); beyond, the exact arithmetic where the passes would take the
    expanded one, and scikit-learn's seeds either way (tested).
    """
    n_samples, n_features = X.shape
    indices = np.full(n_clusters, -1, dtype=np.int64)
    # Row norms given by the caller are only read by the expanded form:
    # choosing it then uses them, as scikit-learn does at every width.
    Scorer = _float64_scorer(n_features, n_clusters, n_local_trials, row_norms is not None)
    if Scorer is _PrunedScorer:
        options = {"n_clusters": n_clusters}
    elif Scorer is _StoredScorer:
        # Pruned with its own row norms (the margin's assumption) and enough lanes.
        prunes = row_norms is None and n_local_trials >= _PRUNE_MIN_LANES
        options = {"mean": mean, "n_clusters": n_clusters if prunes else None}
    elif Scorer is _ExpandedScorer:
        options = {"mean": mean}
    else:
        options = {}
    assert mean is None or "mean" in options, "this scorer reads a centred X"
    if one_call and row_norms is None and one_call_pays(n_samples, n_features):
        first_uniform = random_state.random_sample()
        uniforms = random_state.uniform(size=(n_clusters - 1, n_local_trials))
        one_chunk_kmeans_plusplus(
            X,
            sample_weight,
            sample_weight.sum(),
            first_uniform,
            uniforms,
            indices,
            np.empty(n_local_trials, dtype=np.int64),
            np.empty(n_samples),
            np.empty(n_samples),
        )
        return X[indices].copy(), indices
    # random_state.choice(n, p=w / w.sum()), which draws one random_sample().
    indices[0] = _weighted_draw(sample_weight, sample_weight.sum(), random_state.random_sample())
    with single_threaded_blas():
        # A caller's norms, else the fit's own (the same bits as computing them).
        given = computed_row_norms if row_norms is None else row_norms
        scorer = Scorer(X, sample_weight, indices[0], given, **options)
        potential = scorer.chunk_totals.sum()
        chunk_potentials = np.empty((n_chunks(n_samples), n_local_trials))
        for c in range(1, n_clusters):
            targets = random_state.uniform(size=n_local_trials) * potential
            candidates = scorer.search(targets)
            scorer.score(candidates, chunk_potentials)
            potentials = chunk_potentials.sum(axis=0)
            best = int(np.argmin(potentials))
            potential = potentials[best]
            scorer.choose(best, chunk_potentials)
            indices[c] = candidates[best]

    return centered_rows(X[indices], mean), indices


# --- float32: scikit-learn's roundings, in two numba passes per center -------
#
# On float32 data scikit-learn's k-means++ works in float32 except for the
# distances, and which candidate a draw lands on depends on every rounding:
#
# 1. Each squared distance is computed in float64 as ``(-2 x.c + |c|^2) + |x|^2``
#    (the norms by ``einsum`` on the float64 upcast), rounded once to float32,
#    then clipped at 0; the running minimum is taken in float32.
# 2. The potentials are ``distances @ sample_weight``, a float32 BLAS product.
# 3. The draw inverts ``np.cumsum(sample_weight * closest_sq)``: float32
#    products added one after the other in float32.
#
# We keep (2) as it is: the same NumPy product on an array of the same shape,
# layout and values gives the same bits, and it is a small part of the time.
# (1) is :func:`float32_candidate_distances`, one parallel pass for all the
# step's candidates: the same formula in the same order of operations, the
# norms from the same ``einsum`` (computed once per call instead of once per
# step), the cross terms from a float64 BLAS product as scikit-learn's (a
# chunk at a time, and SciPy's BLAS rather than NumPy's). Only the cross
# terms may then differ from scikit-learn's, in the last bit of a float64,
# which the rounding to float32 hides except when a distance lies within
# that bit of a float32 rounding boundary (none in the tests' shapes and
# seeds; a difference there moves one float32 distance by one ulp, which
# changes a draw only if a target also falls within that ulp of a boundary). (3) is :func:`float32_cumsum_search`:
# the running sum must be exactly NumPy's sequential float32 sum, so it is
# taken sequentially, but lazily: only up to the largest target, with no
# n-sized temporaries (NumPy builds three: product, cumulative sum and its
# float64 copy for ``searchsorted``). Measured at n=1e6, d=8, k=32 on the
# shared 2-core machine: see ``docs/performance.md``.

# Rows of X upcast to float64 at a time for their norms (a 4 MiB buffer at d=64).
_NORM_BLOCK_ROWS = 8192


def _upcast_squared_norms(X):
    """``|x|^2`` of every row as scikit-learn computes them on float32 data.

    ``row_norms(X.astype(float64), squared=True)``, i.e. ``einsum`` on the
    float64 upcast, block by block so the upcast copy stays small; each row's
    norm does not depend on the block it was computed in.
    """
    norms = np.empty(X.shape[0])
    for start in range(0, X.shape[0], _NORM_BLOCK_ROWS):
        block = X[start : start + _NORM_BLOCK_ROWS].astype(np.float64)
        norms[start : start + _NORM_BLOCK_ROWS] = np.einsum("ij,ij->i", block, block)
    return norms


@jit_parallel
def float32_candidate_distances(X, row_norms, candidates_t, candidate_norms, closest_sq, out):
    """``out[t, i] = min(closest_sq[i], float32(max(D(x_i, candidate t), 0)))``, scikit-learn's way.

    ``D = (-2 x.c + |c|^2) + |x|^2`` in float64 (``row_norms`` and
    ``candidate_norms`` from :func:`_upcast_squared_norms`, ``candidates_t``
    (n_features, n_candidates) float64), rounded to float32 and clipped at
    0 as scikit-learn's ``_euclidean_distances`` does for float32 input.
    The cross terms of a chunk are one float64 BLAS product of its upcast
    rows, as scikit-learn's are, copied candidate by candidate
    (:func:`_chunk_cross_terms`) so the sweeps below read them contiguously
    (12.8 against 16.6 ms per pass at n=1e6, d=8, 5 candidates, one
    thread). ``closest_sq`` (float32) may be ``+inf`` everywhere: ``out`` is
    then the distances.
    """
    n_samples = X.shape[0]
    for chunk in prange((n_samples + CHUNK_ROWS - 1) // CHUNK_ROWS):
        start = chunk * CHUNK_ROWS
        stop = min(start + CHUNK_ROWS, n_samples)
        cross = _chunk_cross_terms(
            X[start:stop].astype(np.float64), None, 0, stop - start, candidates_t
        )
        # Views indexed from 0: the sweeps below then vectorize.
        norms = row_norms[start:stop]
        closest = closest_sq[start:stop]
        for t in range(candidates_t.shape[1]):
            norm = candidate_norms[t]
            distances = out[t, start:stop]
            lane = cross[t]
            for r in range(stop - start):
                squared = np.float32((-2.0 * lane[r] + norm) + norms[r])
                squared = squared if squared >= 0 else np.float32(0.0)
                distances[r] = closest[r] if closest[r] <= squared else squared


@jit
def float32_cumsum_search(sample_weight, closest_sq, targets):
    """``clip(searchsorted(cumsum(sample_weight * closest_sq), targets), n - 1)`` in float32.

    The products and the running sum are float32, added in row order, as
    NumPy's ``cumsum`` does, so every partial sum has NumPy's bits; the scan
    stops at the last target's row. ``searchsorted`` (``side="left"``)
    returns the first row whose partial sum reaches the target, compared in
    float64 (NumPy compares the float32 sums upcast, exactly). Targets past
    the end (rounding) give the last row, as scikit-learn's clip does.
    """
    n_samples = closest_sq.shape[0]
    order = np.argsort(targets)
    found = np.full(targets.shape[0], n_samples - 1, dtype=np.int64)
    next_target = 0
    running = np.float32(0.0)
    for i in range(n_samples):
        running += sample_weight[i] * closest_sq[i]
        while next_target < order.shape[0] and np.float64(running) >= targets[order[next_target]]:
            found[order[next_target]] = i
            next_target += 1
        if next_target == order.shape[0]:
            break
    return found


def _greedy_kmeans_plusplus_float32(X, n_clusters, sample_weight, random_state, n_local_trials):
    """Greedy k-means++ on float32 data with scikit-learn's roundings (see the notes above)."""
    n_samples = X.shape[0]
    indices = np.full(n_clusters, -1, dtype=np.int64)
    indices[0] = random_state.choice(n_samples, p=sample_weight / sample_weight.sum())
    row_norms = _upcast_squared_norms(X)

    def distances_to(rows, closest_sq, out):
        candidates = X[rows].astype(np.float64)
        for_rows(float32_candidate_distances, n_samples)(
            X,
            row_norms,
            np.ascontiguousarray(candidates.T),
            np.einsum("ij,ij->i", candidates, candidates),
            closest_sq,
            out,
        )
        return out

    # The potentials' NumPy products run single-threaded too, not only the
    # kernels' own: OpenBLAS's threads keep spinning for a while after a
    # product and took the cores from the next parallel pass (seeding at 1e6
    # x 8, k = 32, two threads, AMD host: 560 -> 326 ms). Up to 8 candidates
    # (k below 1,097) OpenBLAS computes each potential on one thread anyway,
    # so the bits, and scikit-learn's draws, are the same (tested in
    # ``test_seeding_float32.py``); from 9 it splits the sums between threads,
    # and scikit-learn's draws then depend on its BLAS thread count, ours
    # not (they are its one-thread draws).
    with single_threaded_blas():
        # Shapes follow scikit-learn's ((1, n) here, a matrix-vector product)
        # so the same BLAS routine computes the potential and the bits agree.
        unbounded = np.full(n_samples, np.inf, dtype=np.float32)
        first_sq = np.empty((1, n_samples), dtype=np.float32)
        closest_sq = distances_to(indices[:1], unbounded, first_sq)
        potential = closest_sq @ sample_weight
        closest_sq = closest_sq[0]
        # Two candidate buffers, used in turn: the winner's row of one is the
        # running minimum while the other is filled.
        buffers = [np.empty((n_local_trials, n_samples), dtype=np.float32) for _ in range(2)]
        for c in range(1, n_clusters):
            targets = random_state.uniform(size=n_local_trials) * potential
            candidates = float32_cumsum_search(sample_weight, closest_sq, targets)
            candidate_sq = distances_to(candidates, closest_sq, buffers[c % 2])
            candidate_potentials = candidate_sq @ sample_weight.reshape(-1, 1)
            best = int(np.argmin(candidate_potentials))
            potential = candidate_potentials[best]
            closest_sq = candidate_sq[best]
            indices[c] = candidates[best]

    return X[indices].copy(), indices


def greedy_kmeans_plusplus(
    X,
    n_clusters,
    sample_weight,
    random_state,
    n_local_trials=None,
    row_norms=None,
    computed_row_norms=None,
    mean=None,
):
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
    row_norms : (n_samples,) float64 or None
        ``|x|^2`` of every row, when the caller has them (used by the
        expanded distances above 4 features, float64 only).
    computed_row_norms : (n_samples,) float64 or None
        ``|x|^2`` of every row made by ``_kernels.common.row_squared_norms``
        (a fit's, ``_iterations.fit_row_norms``): read where the seeding
        would compute the very same values. Unlike ``row_norms`` they change
        no choice of scorer (they are the seeding's own bits). float64 only.
    mean : (n_features,) array of X's dtype or None
        X's column means when X is not centred, where :func:`reads_rows_centred`
        allows it (``n_clusters`` included): the seeding subtracts them as it reads rows, and gives
        the seeds (centred) a centred copy of X would give, bit for bit.
        ``computed_row_norms`` are then the centred rows' norms.

    Returns
    -------
    centers : (n_clusters, n_features) array of X's dtype.
    indices : (n_clusters,) int64 row of X behind each center.
    """
    n_samples, n_features = X.shape
    n_local_trials = local_trials(n_clusters, n_local_trials)
    if X.dtype == np.float64:
        return _greedy_kmeans_plusplus_float64(
            X,
            n_clusters,
            sample_weight,
            random_state,
            n_local_trials,
            row_norms,
            computed_row_norms=computed_row_norms,
            mean=mean,
        )
    assert mean is None, "float32 k-means++ reads a centred X"
    return _greedy_kmeans_plusplus_float32(
        X, n_clusters, sample_weight, random_state, n_local_trials
    )


def random_choice_init(X, n_clusters, sample_weight, random_state):
    """``n_clusters`` distinct samples drawn with probability proportional to their weight."""
    rows = random_state.choice(
        X.shape[0], size=n_clusters, replace=False, p=sample_weight / sample_weight.sum()
    )
    return X[rows].copy()


# --- k-means|| (``kmeans_core._kmeans_parallel``): the draws and the nearest candidate ----
#
# Both replace NumPy expressions the seeding first used, with the same
# arithmetic, element by element, so the same bits: the seeds do not change.
# What goes is the temporaries (a k-means|| pass made five full passes over a
# rows x candidates matrix, and a dozen over the rows to make their random
# numbers), which made the seeding most of a fit's time.

# SplitMix64 (Steele, Lea & Flood 2014): the increment of its counter (the
# golden ratio), the step between rounds, and its output function's multipliers.
_SPLITMIX_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SPLITMIX_ROUND_STEP = 0xD1B54A32D192ED03
_SPLITMIX_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_SPLITMIX_MIX_2 = np.uint64(0x94D049BB133111EB)


def round_key(seed, round_index):
    """``seed + round_index * step`` modulo 2**64: the part of a row's counter its row does not set."""
    return np.uint64((int(seed) + int(round_index) * _SPLITMIX_ROUND_STEP) % 2**64)


@jit
def _counter_uniform(key, row):
    # uint64 throughout (a mix with a signed integer would become float64);
    # the products wrap modulo 2**64 as NumPy's uint64 arrays do.
    z = key + (np.uint64(row) + np.uint64(1)) * _SPLITMIX_GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _SPLITMIX_MIX_1
    z = (z ^ (z >> np.uint64(27))) * _SPLITMIX_MIX_2
    z = z ^ (z >> np.uint64(31))
    # The top 53 bits: exact in a float64, scaled by a power of two (exact too).
    return np.float64(z >> np.uint64(11)) * (1.0 / 2.0**53)


@jit
def counter_uniforms(key, rows, out):
    """``out[i]``: the uniform [0, 1) number of global row ``rows[i]`` under ``key`` (``round_key``)."""
    for i in range(rows.shape[0]):
        out[i] = _counter_uniform(key, rows[i])


@jit
def oversampled_rows(key, first_row, weighted, potential, oversampling, drawn, uniforms):
    """The rows a k-means|| round draws from a block; returns how many, written to ``drawn``.

    Row ``i`` (global row ``first_row + i``) is drawn when its uniform ``u``
    satisfies ``u * potential < oversampling * weighted[i]`` (``weighted``:
    ``w * D^2``). ``drawn`` and ``uniforms`` (at least as long as
    ``weighted``) receive the drawn rows' block indices and their uniforms,
    in row order.
    """
    n_drawn = 0
    for i in range(weighted.shape[0]):
        u = _counter_uniform(key, first_row + i)
        if u * potential < oversampling * weighted[i]:
            drawn[n_drawn] = i
            uniforms[n_drawn] = u
            n_drawn += 1
    return n_drawn


@jit
def nearest_of_cross_terms(cross, candidate_norms, row_norms, closest, nearest, start):
    """Nearest candidate of rows ``start + r`` from their cross terms ``cross[r] = x_r . c``.

    The expanded ``(|c|^2 - 2 x.c) + |x|^2`` in that order of operations;
    ``nearest``: NumPy's ``argmin`` (the first minimum; the first NaN if
    any), ``closest``: the minimum clipped at 0 as ``np.maximum(min, 0.0)``
    (a NaN stays NaN). The minimum is found first, over four interleaved
    running minima (four independent chains of comparisons: 1.5x faster than
    one at 32 to 160 candidates; the minimum of a set does not depend on the
    order it is taken in), then its first position.
    """
    n_candidates = cross.shape[1]
    squared = np.empty(n_candidates)
    for r in range(cross.shape[0]):
        row_norm = row_norms[r]
        n_nan = 0
        for j in range(n_candidates):
            value = (candidate_norms[j] - 2.0 * cross[r, j]) + row_norm
            squared[j] = value
            n_nan += value != value
        index = 0
        if n_nan:
            while squared[index] == squared[index]:
                index += 1
            best = squared[index]
        else:
            best0 = best1 = best2 = best3 = squared[0]
            j = 1
            while j + 4 <= n_candidates:
                best0 = min(best0, squared[j])
                best1 = min(best1, squared[j + 1])
                best2 = min(best2, squared[j + 2])
                best3 = min(best3, squared[j + 3])
                j += 4
            for rest in range(j, n_candidates):
                best0 = min(best0, squared[rest])
            best = min(min(best0, best1), min(best2, best3))
            while squared[index] != best:
                index += 1
        nearest[start + r] = index
        closest[start + r] = 0.0 if best < 0.0 else best


@jit
def take_nearer(closest, nearest, distances, new_nearest, first_index):
    """Update each row's nearest candidate so far with its nearest in a new candidate set.

    ``distances`` and ``new_nearest``: each row's squared distance to, and
    index in the new set of, its nearest new candidate
    (``nearest_candidate``); ``first_index``: the new set's first index
    among all the candidates. A row takes the new candidate only when it is
    strictly closer, so on a tie the earlier candidate stays (as ``argmin``
    over all the candidates in order keeps the first), and ``closest`` ends
    as ``np.minimum(closest, distances)``, bit for bit. Carrying the index
    from round to round is what spares k-means|| a pass over every
    candidate at the end: the candidates' weights need only the last
    round's.
    """
    for i in range(closest.shape[0]):
        if distances[i] < closest[i]:
            closest[i] = distances[i]
            nearest[i] = first_index + new_nearest[i]
