"""Lloyd's algorithm: one fused numba pass per iteration.

The pass reads X once, chunk by chunk, and for each sample finds the nearest
center (assignment step), adds the weighted sample to its cluster's running sum and
weight (the update step's numerators), counts label changes and sums the
weighted squared distance. Running sums live in one slot per fixed chunk of
rows (not per thread) and :func:`reduce_chunks` adds the slots in chunk order,
so the new centers are bitwise identical for any number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from kmeans_core._common import row_squared_norm, rows_as_float64
from kmeans_core._distances import nearest_two_from_cross, resolve_near_tie, rounding_slack
from kmeans_core._jit import jit, jit_parallel


@jit_parallel
def lloyd_pass(
    X,
    sample_weight,
    centers_t,
    centers_squared_norms,
    labels,
    chunk_sums,
    chunk_weights,
    chunk_inertia,
    chunk_changed,
    chunk_rows,
    update_centers,
):
    """Assign every sample to its nearest center; optionally accumulate new-center sums.

    Centers are ranked by ``|c|^2 - 2 x.c`` (``|x|^2`` is the same for every
    center). The cross term ``x.c`` of a whole chunk is one matrix product
    (BLAS, always in float64, single-threaded inside each chunk): the direct
    ``sum((x - c)^2)`` needs a subtraction and a multiply-add per feature and
    runs about half as fast once ``d`` grows. Near-ties are settled by the
    direct distance, lowest index first (the tie rule of ``_distances.py``). The inertia reported per chunk is clamped at 0
    (the expansion can round a tiny distance below zero); the final inertia
    of a fit is recomputed directly by ``inertia_per_chunk``.

    Parameters
    ----------
    X : (n_samples, n_features) float32/float64, C-contiguous.
    sample_weight : (n_samples,) array of X's dtype.
    centers_t : (n_features, n_clusters) float64, the transposed current centers.
    centers_squared_norms : (n_clusters,) float64.
    labels : (n_samples,) int32, overwritten with the new labels.
    chunk_sums : (n_chunks, n_clusters, n_features) float64, out: weighted sums per chunk.
    chunk_weights : (n_chunks, n_clusters) float64, out: summed weights per chunk.
    chunk_inertia : (n_chunks,) float64, out: weighted squared distances to the
        *current* centers, per chunk.
    chunk_changed : (n_chunks,) int64, out: labels changed per chunk.
    chunk_rows : int
        Rows per chunk (see :func:`kmeans_core._jit.chunk_rows_for`); depends on
        the data's shape only, never on the thread count.
    update_centers : bool
        False skips the sums (``predict`` and the final re-assignment).
    """
    n_samples, n_features = X.shape
    slack_factor = rounding_slack(n_features)
    largest_norm = centers_squared_norms.max()
    for chunk in prange(chunk_inertia.shape[0]):
        start = chunk * chunk_rows
        stop = min(start + chunk_rows, n_samples)
        rows = rows_as_float64(X, start, stop)
        cross = np.dot(rows, centers_t)
        if update_centers:
            chunk_sums[chunk, :, :] = 0.0
            chunk_weights[chunk, :] = 0.0
        inertia = 0.0
        changed = 0
        for r in range(stop - start):
            i = start + r
            label, best, second = nearest_two_from_cross(cross, r, centers_squared_norms)
            row_norm = row_squared_norm(rows, r)
            if second - best <= 2.0 * slack_factor * (row_norm + largest_norm):
                # Rare: another center within rounding of the best; the tie rule decides.
                label = resolve_near_tie(rows, r, cross, centers_t, centers_squared_norms, best,
                                         slack_factor * (row_norm + largest_norm))
                best = centers_squared_norms[label] - 2.0 * cross[r, label]
            if labels[i] != label:
                changed += 1
                labels[i] = label
            weight = np.float64(sample_weight[i])
            inertia += weight * max(best + row_norm, 0.0)
            if update_centers:
                chunk_weights[chunk, label] += weight
                for f in range(n_features):
                    chunk_sums[chunk, label, f] += weight * rows[r, f]
        chunk_inertia[chunk] = inertia
        chunk_changed[chunk] = changed


@jit
def reduce_chunks(chunk_sums, chunk_weights, sums, weights):
    """Add the per-chunk partial sums in chunk order (the fixed order that makes results reproducible)."""
    sums[:, :] = 0.0
    weights[:] = 0.0
    for chunk in range(chunk_weights.shape[0]):
        for j in range(chunk_weights.shape[1]):
            weights[j] += chunk_weights[chunk, j]
            for f in range(chunk_sums.shape[2]):
                sums[j, f] += chunk_sums[chunk, j, f]
