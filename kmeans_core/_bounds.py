"""Exact accelerated K-Means: Hamerly's and Elkan's bounds-based iterations.

Both give the labels Lloyd's algorithm gives; they only skip distance
computations that the triangle inequality proves useless. Per sample they keep
an *upper* bound ``u`` on the distance to its own center and *lower* bounds on
the distances to the others:

* Hamerly (2010, "Making k-means even faster", Algorithm 2): one lower bound
  ``l`` on the distance to the second-closest center. A sample keeps its label
  when ``u < max(l, s(a))`` with ``s(a)`` half the distance from its center to
  the nearest other center (Hamerly's eq. for ``m``).
* Elkan (2003, "Using the triangle inequality to accelerate k-means", Lemmas
  1 and 2): one lower bound per center, ``n * k`` values. Center j is skipped
  for a sample when ``u < l(j)`` or ``u < d(c_a, c_j) / 2``.

After centers move by ``delta``, ``u += delta(a)`` and the lower bounds
decrease by the shifts (Hamerly: by the largest shift of another center),
which keeps every bound valid. Distances are computed directly,
``sqrt(sum((x - c)^2))``.

Ties: a center replaces the current one only when it is strictly closer, or
equally close with a lower index, and a sample skips a center only when the
bound is *strictly* below: so among equidistant centers the lowest index wins,
as in Lloyd's assignment.

Every kernel works on fixed chunks of rows (see ``_lloyd.py``): new-center
sums are kept per chunk and added in chunk order, so results do not depend on
the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeans_core._common import row_squared_norm, rows_as_float64
from kmeans_core._jit import jit, jit_parallel

# Relative error allowed for a squared distance computed through the expansion
# |x|^2 + |c|^2 - 2 x.c (BLAS, float64): a few hundred ulps of the norms, far
# above the worst case for the dimensions K-Means is used at. Lower bounds
# taken from the expansion are lowered by this much so they stay valid.
EXPANSION_SLACK = 1e-12


@jit(fastmath={"reassoc", "contract"})
def distance(X, i, centers, j):
    """Euclidean distance between sample i and center j.

    The one kernel with relaxed floating-point flags: ``reassoc`` lets LLVM
    sum the features in vector lanes (a single chain of dependent additions
    costs ~4 cycles per feature) and ``contract`` fuses multiply-adds. Neither
    assumes finite values (no ``nnan``/``ninf``), and the compiled order is
    the same on every call, whatever the thread count.
    """
    squared = 0.0
    for f in range(X.shape[1]):
        diff = np.float64(X[i, f]) - centers[j, f]
        squared += diff * diff
    return np.sqrt(squared)


# What a pass does with the new-center sums (``sums_mode``):
SUMS_NONE = 0   # nothing (the final re-assignment)
SUMS_FRESH = 1  # every sample's weighted row, from scratch
SUMS_DELTA = 2  # only the samples that changed cluster: - from the old, + to the new
#
# Between fresh passes the caller keeps running sums and adds the deltas:
# in steady state a pass then reads X only for the few samples it rescans.
# Emptiness is decided on exact integer counts (members of positive weight),
# never on a float weight that rounding could leave at 1e-17.


@jit
def _accumulate(X, i, weight, label, chunk, chunk_sums, chunk_weights, chunk_counts, sign):
    """Add (``sign`` = 1) or remove (-1) sample i's weighted row to/from a cluster's chunk sums."""
    signed_weight = sign * weight
    chunk_weights[chunk, label] += signed_weight
    chunk_counts[chunk, label] += sign * (weight > 0)
    for f in range(X.shape[1]):
        chunk_sums[chunk, label, f] += signed_weight * X[i, f]


@jit
def _clear_chunk(chunk, chunk_sums, chunk_weights, chunk_counts):
    chunk_sums[chunk, :, :] = 0.0
    chunk_weights[chunk, :] = 0.0
    chunk_counts[chunk, :] = 0


# --- First pass: all distances, through one BLAS product per chunk ----------------
#
# Before any bound exists every distance is needed. The first pass computes
# them as Lloyd's pass does (|c|^2 - 2 x.c, the cross term by BLAS), so its
# labels are exactly Lloyd's first labels; the upper bound is then the exact
# direct distance to the chosen center, and lower bounds come from the
# expansion minus EXPANSION_SLACK.


@jit(fastmath={"reassoc", "contract"})
def _distance_to_column(X, i, centers_t, j):
    """Distance from sample i to center j stored as column j of ``centers_t`` (see ``distance``)."""
    squared = 0.0
    for f in range(X.shape[1]):
        diff = np.float64(X[i, f]) - centers_t[f, j]
        squared += diff * diff
    return np.sqrt(squared)


@jit
def _direct_distance(rows, r, centers_t, j):
    squared = 0.0
    for f in range(rows.shape[1]):
        diff = rows[r, f] - centers_t[f, j]
        squared += diff * diff
    return np.sqrt(squared)


@jit
def _nearest_two_from_cross(cross, r, centers_squared_norms):
    """Nearest center of row r, its value, and the second-smallest value.

    Lloyd's rule: argmin of |c|^2 - 2 x.c, lowest index on ties.
    """
    label = 0
    best = centers_squared_norms[0] - 2.0 * cross[r, 0]
    second = np.inf
    for j in range(1, centers_squared_norms.shape[0]):
        partial = centers_squared_norms[j] - 2.0 * cross[r, j]
        # Written without branches (selects): which center is nearest is
        # data-dependent, and mispredicted branches made this loop 1.5x slower.
        closer = partial < best
        second = min(second, max(partial, best))
        label = j if closer else label
        best = partial if closer else best
    return label, best, second


@jit_parallel
def first_bounds_pass(X, sample_weight, centers_t, centers_squared_norms, labels, upper, lower,
                      chunk_sums, chunk_weights, chunk_counts, chunk_changed, chunk_rows):
    """Labels from every center, ``upper`` exact, and the lower bounds.

    ``lower`` is either 1-D (Hamerly: distance to the second-nearest center)
    or (n_samples, n_clusters) (Elkan: distance to every center).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_t.shape[1]
    largest_norm = centers_squared_norms.max()
    for chunk in prange(chunk_changed.shape[0]):
        start = chunk * chunk_rows
        stop = min(start + chunk_rows, n_samples)
        rows = rows_as_float64(X, start, stop)
        cross = np.dot(rows, centers_t)
        _clear_chunk(chunk, chunk_sums, chunk_weights, chunk_counts)
        for r in range(stop - start):
            i = start + r
            label, best, second = _nearest_two_from_cross(cross, r, centers_squared_norms)
            row_norm = row_squared_norm(rows, r)
            slack = EXPANSION_SLACK * (row_norm + largest_norm)
            labels[i] = label
            upper[i] = _direct_distance(rows, r, centers_t, label)
            if lower.ndim == 1:
                lower[i] = np.sqrt(max(second + row_norm - slack, 0.0))
            else:
                for j in range(n_clusters):
                    lower[i, j] = np.sqrt(
                        max(centers_squared_norms[j] - 2.0 * cross[r, j] + row_norm - slack, 0.0))
                lower[i, label] = upper[i]
            _accumulate(X, i, np.float64(sample_weight[i]), label, chunk, chunk_sums,
                        chunk_weights, chunk_counts, 1)
        chunk_changed[chunk] = stop - start


# --- Hamerly -----------------------------------------------------------------------


@jit_parallel
def hamerly_pass(X, sample_weight, centers_t, centers_squared_norms, half_separation, shifts,
                 labels, upper, lower, chunk_sums, chunk_weights, chunk_counts, chunk_changed,
                 chunk_rows, first, sums_mode):
    """One assignment step with Hamerly's bounds.

    Each chunk works in three phases:

    1. move the bounds by the last center shifts (``u += shift(own)``,
       ``l -= largest shift of another center``) and test them; a sample whose
       upper bound (tightened to the exact distance if needed) is below
       ``max(l, s(own))`` keeps its label;
    2. the others are gathered and rescanned against every center with one
       BLAS product, exactly like Lloyd's pass (so rescans label as Lloyd
       does); lower bound = second-nearest minus EXPANSION_SLACK;
    3. the chunk's new-center sums, as ``sums_mode`` says (SUMS_*).

    ``first``: rescan every sample (no bounds yet, or so many samples moved
    last time that testing bounds would only add work).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_t.shape[1]
    largest = 0
    for j in range(n_clusters):
        if shifts[j] > shifts[largest]:
            largest = j
    second_largest = 0.0
    for j in range(n_clusters):
        if j != largest and shifts[j] > second_largest:
            second_largest = shifts[j]
    largest_norm = centers_squared_norms.max()

    for chunk in prange(chunk_changed.shape[0]):
        start = chunk * chunk_rows
        stop = min(start + chunk_rows, n_samples)
        if sums_mode != SUMS_NONE:
            _clear_chunk(chunk, chunk_sums, chunk_weights, chunk_counts)
        rescan = np.empty(stop - start, dtype=np.int64)
        n_rescan = 0
        for i in range(start, stop):
            if first:
                rescan[n_rescan] = i
                n_rescan += 1
                continue
            label = labels[i]
            upper[i] += shifts[label]
            lower[i] -= second_largest if label == largest else shifts[largest]
            bound = max(half_separation[label], lower[i])
            if upper[i] >= bound:
                upper[i] = _distance_to_column(X, i, centers_t, label)  # tighten, test again
                if upper[i] >= bound:
                    rescan[n_rescan] = i
                    n_rescan += 1

        changed = 0
        if n_rescan > 0:
            # Gathered even when every row is rescanned: one array type (C-contiguous)
            # keeps the product and the indexing fast (a view here would unify to 'A').
            rows = np.empty((n_rescan, n_features))
            for r in range(n_rescan):
                for f in range(n_features):
                    rows[r, f] = X[rescan[r], f]
            cross = np.dot(rows, centers_t)
            for r in range(n_rescan):
                i = rescan[r]
                label, best, second = _nearest_two_from_cross(cross, r, centers_squared_norms)
                row_norm = row_squared_norm(rows, r)
                slack = EXPANSION_SLACK * (row_norm + largest_norm)
                # Both bounds from the expansion, widened by the slack so they stay valid.
                upper[i] = np.sqrt(max(best + row_norm + slack, 0.0))
                lower[i] = np.sqrt(max(second + row_norm - slack, 0.0))
                old_label = labels[i]
                if old_label != label:
                    labels[i] = label
                    changed += 1
                    if sums_mode == SUMS_DELTA:
                        weight = np.float64(sample_weight[i])
                        _accumulate(X, i, weight, old_label, chunk, chunk_sums, chunk_weights,
                                    chunk_counts, -1)
                        _accumulate(X, i, weight, label, chunk, chunk_sums, chunk_weights,
                                    chunk_counts, 1)
        chunk_changed[chunk] = changed

        if sums_mode == SUMS_FRESH:
            for i in range(start, stop):
                _accumulate(X, i, np.float64(sample_weight[i]), labels[i], chunk, chunk_sums,
                            chunk_weights, chunk_counts, 1)


# --- Elkan --------------------------------------------------------------------------


@jit_parallel
def elkan_pass(X, sample_weight, centers, half_center_distances, half_separation, shifts, labels,
               upper, lower, chunk_sums, chunk_weights, chunk_counts, chunk_changed, chunk_rows,
               sums_mode):
    """One assignment step with Elkan's bounds; ``lower`` has shape (n_samples, n_clusters).

    The bounds are first moved by the last center shifts (``u += shift(own)``,
    ``l(j) = max(l(j) - shift(j), 0)``), in the same pass.
    """
    n_samples = X.shape[0]
    n_clusters = centers.shape[0]
    for chunk in prange(chunk_changed.shape[0]):
        start = chunk * chunk_rows
        stop = min(start + chunk_rows, n_samples)
        if sums_mode != SUMS_NONE:
            _clear_chunk(chunk, chunk_sums, chunk_weights, chunk_counts)
        changed = 0
        for i in range(start, stop):
            label = labels[i]
            upper[i] += shifts[label]
            for j in range(n_clusters):
                lower[i, j] = max(lower[i, j] - shifts[j], 0.0)
            new_label = label
            if upper[i] >= half_separation[label]:
                tight = False
                for j in range(n_clusters):
                    if j == new_label:
                        continue
                    if upper[i] < lower[i, j] or upper[i] < half_center_distances[new_label, j]:
                        continue
                    if not tight:
                        upper[i] = distance(X, i, centers, new_label)
                        lower[i, new_label] = upper[i]
                        tight = True
                        if upper[i] < lower[i, j] or \
                                upper[i] < half_center_distances[new_label, j]:
                            continue
                    dist = distance(X, i, centers, j)
                    lower[i, j] = dist
                    if dist < upper[i] or (dist == upper[i] and j < new_label):
                        new_label = j
                        upper[i] = dist
            weight = np.float64(sample_weight[i])
            if new_label != label:
                labels[i] = new_label
                changed += 1
                if sums_mode == SUMS_DELTA:
                    _accumulate(X, i, weight, label, chunk, chunk_sums, chunk_weights,
                                chunk_counts, -1)
                    _accumulate(X, i, weight, new_label, chunk, chunk_sums, chunk_weights,
                                chunk_counts, 1)
            if sums_mode == SUMS_FRESH:
                _accumulate(X, i, weight, new_label, chunk, chunk_sums, chunk_weights,
                            chunk_counts, 1)
        chunk_changed[chunk] = changed


@jit
def center_separations(centers, half_center_distances, half_separation):
    """Half the pairwise center distances, and half the distance to each center's nearest other."""
    n_clusters = centers.shape[0]
    for a in range(n_clusters):
        half_center_distances[a, a] = 0.0
        half_separation[a] = np.inf
    for a in range(n_clusters):
        for b in range(a + 1, n_clusters):
            squared = 0.0
            for f in range(centers.shape[1]):
                diff = centers[a, f] - centers[b, f]
                squared += diff * diff
            half = 0.5 * np.sqrt(squared)
            half_center_distances[a, b] = half
            half_center_distances[b, a] = half
            half_separation[a] = min(half_separation[a], half)
            half_separation[b] = min(half_separation[b], half)
