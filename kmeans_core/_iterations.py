"""Running the iterations: the Python loops around the numba kernels.

One function per algorithm run (:func:`lloyd_single_run`,
:func:`bounded_single_run`) owns the loop: a kernel call per iteration into
preallocated buffers, the center update (empty-cluster relocation
included), the convergence tests, and the final re-assignment. The
estimator (``_kmeans.py``) validates the input and calls these with clean
arrays; :func:`choose_algorithm` is the rule behind ``algorithm="auto"``.
"""

from __future__ import annotations

import os

import numpy as np

from kmeans_core._bounds import (
    SUMS_DELTA,
    SUMS_FRESH,
    SUMS_NONE,
    center_separations,
    elkan_pass,
    first_bounds_pass,
    hamerly_pass,
)
from kmeans_core._common import center_into, column_sums_per_chunk, inertia_per_chunk
from kmeans_core._jit import (
    CHUNK_ROWS,
    chunk_rows_for,
    n_chunks,
    prefaulted_empty,
    single_threaded_blas,
)
from kmeans_core._lloyd import lloyd_pass, reduce_chunks
from kmeans_core._validation import check_all_finite


def transposed(centers):
    """Centers as the (n_features, n_clusters) float64 layout the kernels read."""
    return np.ascontiguousarray(centers.T, dtype=np.float64)


def squared_norms(centers):
    centers = centers.astype(np.float64)
    return np.einsum("ij,ij->i", centers, centers)


def assign_labels(X, centers):
    """Nearest-center label (int32) of every row of ``X``; ties to the lowest index."""
    n_samples, n_features = X.shape
    chunks = n_chunks(n_samples, CHUNK_ROWS)
    labels = np.full(n_samples, -1, dtype=np.int32)
    with single_threaded_blas():
        lloyd_pass(
            X,
            np.ones(n_samples, dtype=X.dtype),
            transposed(centers),
            squared_norms(centers),
            labels,
            np.empty((1, 1, 1)),
            np.empty((1, 1)),
            np.empty(chunks),
            np.empty(chunks, dtype=np.int64),
            CHUNK_ROWS,
            False,
        )
    return labels


def centered_copy(X):
    """A new C-contiguous array ``X - mean``; with the column means and variances.

    X itself is only read. It has not been checked for NaN/inf: the column
    means are non-finite whenever X holds a NaN or an infinity, and only then
    (or on overflow) does the full check run, with its detailed message.

    float32 means are NumPy's own (``X.mean(axis=0)``, accumulated in float32),
    bit for bit what scikit-learn subtracts, because the k-means++ draws on
    float32 data depend on those exact bits. float64 means come from a
    parallel chunked sum (NumPy's axis-0 mean is slow on narrow arrays). The
    variances (for the relative ``tol``) come out of the centering pass.

    Returns
    -------
    X_centered : (n_samples, n_features) array of X's dtype
    mean : (n_features,) array of X's dtype
    variances : (n_features,) float64
    """
    n_samples, n_features = X.shape
    chunks = n_chunks(n_samples)
    if X.dtype == np.float32:
        mean = X.mean(axis=0)
    else:
        chunk_sums = np.empty((chunks, n_features))
        column_sums_per_chunk(X, chunk_sums)
        mean = chunk_sums.sum(axis=0) / n_samples
    if not np.isfinite(mean).all():
        check_all_finite(X)
        _refuse_overflow(X, "its column sums overflow")
    X_centered = prefaulted_empty(X.shape, X.dtype)
    chunk_sums = np.empty((chunks, n_features))
    chunk_squares = np.empty((chunks, n_features))
    center_into(X, mean, X_centered, chunk_sums, chunk_squares)
    residual_mean = chunk_sums.sum(axis=0) / n_samples
    variances = np.maximum(chunk_squares.sum(axis=0) / n_samples - residual_mean**2, 0.0)
    if not np.isfinite(variances).all():
        _refuse_overflow(X, "its squared deviations overflow")
    return X_centered, mean, variances


def _refuse_overflow(X, what):
    largest = float(np.abs(X).max())
    raise ValueError(
        f"X has values too large for K-Means in {X.dtype} ({what}; largest |x| = {largest:.3g}): "
        "squared distances would be infinite. Rescale X (for example divide it by its largest "
        "absolute value) before fitting."
    )


def inertia_of(X, sample_weight, centers, labels):
    """Sum of ``sample_weight * ||x - center[label]||^2``, summed in a fixed chunk order."""
    chunk_inertia = np.empty(n_chunks(X.shape[0]))
    inertia_per_chunk(X, sample_weight, centers, labels, chunk_inertia)
    return float(chunk_inertia.sum())


def relocate_empty_clusters(X, sample_weight, centers_old, sums, weights, labels):
    """Give every empty cluster a far-away sample, in place on ``sums``/``weights``.

    Rule (the same as scikit-learn's for dense data): with ``d_i`` the squared
    distance of sample i to the center it was just assigned to, the
    ``n_empty`` samples of largest ``d_i`` become the new centers of the empty
    clusters, and their weight moves out of their current cluster's sums.
    Labels are not changed here; the next assignment step settles them. When
    every ``d_i`` is 0 (more clusters than distinct points) nothing moves.
    """
    empty = np.flatnonzero(weights == 0)
    if empty.size == 0:
        return
    distances = ((X - centers_old[labels]) ** 2).sum(axis=1)
    if distances.max() == 0:
        return
    farthest = np.argpartition(distances, -empty.size)[: -empty.size - 1 : -1]
    for new_cluster, row in zip(empty, farthest):
        weight = np.float64(sample_weight[row])
        old_cluster = labels[row]
        sums[old_cluster] -= X[row] * weight
        sums[new_cluster] = X[row] * weight
        weights[new_cluster] = weight
        weights[old_cluster] -= weight


def mean_centers(sums, weights, dtype):
    """Weighted means; a cluster left empty is put on the heaviest cluster's center."""
    centers = np.empty(sums.shape, dtype=np.float64)
    filled = weights > 0
    centers[filled] = sums[filled] * (1.0 / weights[filled])[:, None]
    if not filled.all():
        centers[~filled] = centers[np.argmax(weights)]
    return centers.astype(dtype, copy=False)


def _converged(iteration, n_changed, center_shift_sq, tol, verbose):
    """scikit-learn's stopping rules: (strict convergence, stop).

    Strict convergence: no label changed. Otherwise the run stops when the
    total squared center shift is at most ``tol`` (already scaled to the data).
    """
    if n_changed == 0:
        if verbose:
            print(f"Converged at iteration {iteration}: strict convergence.")
        return True, True
    if center_shift_sq <= tol:
        if verbose:
            print(f"Converged at iteration {iteration}: center shift {center_shift_sq} "
                  f"within tolerance {tol}.")
        return False, True
    return False, False


def lloyd_single_run(X, sample_weight, centers_init, max_iter, tol, verbose=0, history=None):
    """One run of Lloyd's algorithm from ``centers_init``.

    Stops when no label changes (strict convergence) or when the total squared
    center shift is at most ``tol`` (already scaled to the data). Without
    strict convergence, one more assignment step makes ``labels`` match the
    returned centers.

    Returns
    -------
    labels : (n_samples,) int32
    inertia : float
    centers : (n_clusters, n_features) array of X's dtype
    n_iter : int
        Iterations run.
    """
    n_samples, n_features = X.shape
    n_clusters = centers_init.shape[0]
    chunk_rows = chunk_rows_for(n_samples, n_clusters, n_features)
    chunks = n_chunks(n_samples, chunk_rows)
    chunk_sums = np.empty((chunks, n_clusters, n_features))
    chunk_weights = np.empty((chunks, n_clusters))
    chunk_inertia = np.empty(chunks)
    chunk_changed = np.empty(chunks, dtype=np.int64)
    sums = np.empty((n_clusters, n_features))
    weights = np.empty(n_clusters)

    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    labels = np.full(n_samples, -1, dtype=np.int32)

    with single_threaded_blas():
        return _lloyd_iterations(X, sample_weight, centers, labels, max_iter, tol, verbose,
                                 history, chunk_rows, chunk_sums, chunk_weights, chunk_inertia,
                                 chunk_changed, sums, weights)


def _lloyd_iterations(X, sample_weight, centers, labels, max_iter, tol, verbose, history,
                      chunk_rows, chunk_sums, chunk_weights, chunk_inertia, chunk_changed,
                      sums, weights):
    strict_convergence = False
    for iteration in range(max_iter):
        lloyd_pass(X, sample_weight, transposed(centers), squared_norms(centers), labels,
                   chunk_sums, chunk_weights, chunk_inertia, chunk_changed, chunk_rows, True)
        reduce_chunks(chunk_sums, chunk_weights, sums, weights)
        relocate_empty_clusters(X, sample_weight, centers, sums, weights, labels)
        new_centers = mean_centers(sums, weights, X.dtype)
        center_shift_sq = float(
            ((new_centers.astype(np.float64) - centers.astype(np.float64)) ** 2).sum()
        )
        if verbose:
            print(f"Iteration {iteration}, inertia {chunk_inertia.sum()}.")
        if history is not None:
            history.append(
                {"iteration": iteration, "inertia": float(chunk_inertia.sum()),
                 "center_shift": center_shift_sq, "centers": new_centers.copy()}
            )
        centers = new_centers

        # At iteration 0 every label changes (they start at -1), as in scikit-learn.
        strict_convergence, stop = _converged(iteration, chunk_changed.sum(), center_shift_sq,
                                              tol, verbose)
        if stop:
            break

    if not strict_convergence:
        # Labels for the final centers: the same pass without the sums, reusing
        # this run's buffers (no n-sized allocation).
        lloyd_pass(X, sample_weight, transposed(centers), squared_norms(centers), labels,
                   chunk_sums, chunk_weights, chunk_inertia, chunk_changed, chunk_rows, False)
    inertia = inertia_of(X, sample_weight, centers, labels)
    return labels, inertia, centers, iteration + 1


def bounded_single_run(algorithm, X, sample_weight, centers_init, max_iter, tol, verbose=0,
                       history=None):
    """One run of Hamerly's or Elkan's algorithm from ``centers_init``.

    The same iteration as :func:`lloyd_single_run` (same stopping rules, same
    empty-cluster rule, same final re-assignment), with the assignment step
    replaced by a bounds-pruned one; see ``_bounds.py``. New-center sums are
    kept running: the first pass (and the one after an empty-cluster
    relocation, which moves weight between clusters without relabelling)
    sums every sample, the others only add what changed.
    """
    n_samples, n_features = X.shape
    n_clusters = centers_init.shape[0]
    chunk_rows = chunk_rows_for(n_samples, n_clusters, n_features)
    chunks = n_chunks(n_samples, chunk_rows)
    workspace = _BoundsWorkspace(
        chunk_sums=np.empty((chunks, n_clusters, n_features)),
        chunk_weights=np.empty((chunks, n_clusters)),
        chunk_counts=np.empty((chunks, n_clusters), dtype=np.int64),
        chunk_changed=np.empty(chunks, dtype=np.int64),
        half_center_distances=np.empty((n_clusters, n_clusters)),
        half_separation=np.empty(n_clusters),
        upper=prefaulted_empty(n_samples),
        lower=prefaulted_empty((n_samples, n_clusters) if algorithm == "elkan" else n_samples),
        labels=np.full(n_samples, -1, dtype=np.int32),
        chunk_rows=chunk_rows,
        elkan=algorithm == "elkan",
    )
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    with single_threaded_blas():
        return _bounded_iterations(X, sample_weight, centers, workspace, max_iter, tol, verbose,
                                   history)


class _BoundsWorkspace:
    """Buffers of a bounds run, allocated once, and its assignment step."""

    def __init__(self, **buffers):
        self.__dict__.update(buffers)

    def assign(self, X, sample_weight, centers, shifts, first, sums_mode):
        """One assignment step; ``shifts``: how far each center moved since the last one."""
        centers64 = centers.astype(np.float64)
        center_separations(centers64, self.half_center_distances, self.half_separation)
        buffers = (self.chunk_sums, self.chunk_weights, self.chunk_counts, self.chunk_changed,
                   self.chunk_rows)
        if not self.elkan:
            hamerly_pass(X, sample_weight, transposed(centers64), squared_norms(centers64),
                         self.half_separation, shifts, self.labels, self.upper, self.lower,
                         *buffers, first, sums_mode)
        elif first:
            first_bounds_pass(X, sample_weight, transposed(centers64), squared_norms(centers64),
                              self.labels, self.upper, self.lower, *buffers)
        else:
            elkan_pass(X, sample_weight, centers64, self.half_center_distances,
                       self.half_separation, shifts, self.labels, self.upper, self.lower,
                       *buffers, sums_mode)


def _bounded_iterations(X, sample_weight, centers, workspace, max_iter, tol, verbose, history):
    labels = workspace.labels
    n_clusters = centers.shape[0]
    sums = np.zeros((n_clusters, X.shape[1]))
    weights = np.zeros(n_clusters)
    counts = np.zeros(n_clusters, dtype=np.int64)
    delta_sums, delta_weights = np.empty_like(sums), np.empty_like(weights)
    strict_convergence = False
    fresh_sums = True
    shifts = np.zeros(n_clusters)
    for iteration in range(max_iter):
        workspace.assign(X, sample_weight, centers, shifts, iteration == 0,
                         SUMS_FRESH if fresh_sums else SUMS_DELTA)
        if fresh_sums:
            reduce_chunks(workspace.chunk_sums, workspace.chunk_weights, sums, weights)
            counts[:] = workspace.chunk_counts.sum(axis=0)
        else:
            reduce_chunks(workspace.chunk_sums, workspace.chunk_weights, delta_sums,
                          delta_weights)
            sums += delta_sums
            weights += delta_weights
            counts += workspace.chunk_counts.sum(axis=0)
        # A cluster with no member of positive weight is empty, exactly.
        empty = counts == 0
        sums[empty] = 0.0
        weights[empty] = 0.0

        update_sums, update_weights = sums.copy(), weights.copy()
        relocate_empty_clusters(X, sample_weight, centers, update_sums, update_weights, labels)
        fresh_sums = not np.array_equal(update_weights, weights)
        new_centers = mean_centers(update_sums, update_weights, X.dtype)
        movement = new_centers.astype(np.float64) - centers.astype(np.float64)
        shifts_squared = np.einsum("ij,ij->i", movement, movement)
        center_shift_sq = float(shifts_squared.sum())
        if verbose or history is not None:
            # Bounds never compute every distance: the inertia is computed on request only.
            inertia_before = inertia_of(X, sample_weight, centers, labels)
            if verbose:
                print(f"Iteration {iteration}, inertia {inertia_before}.")
            if history is not None:
                history.append({"iteration": iteration, "inertia": inertia_before,
                                "center_shift": center_shift_sq, "centers": new_centers.copy()})
        shifts = np.sqrt(shifts_squared)
        centers = new_centers
        strict_convergence, stop = _converged(iteration, workspace.chunk_changed.sum(),
                                              center_shift_sq, tol, verbose)
        if stop:
            break

    if not strict_convergence:
        workspace.assign(X, sample_weight, centers, shifts, False, SUMS_NONE)
    inertia = inertia_of(X, sample_weight, centers, labels)
    return labels, inertia, centers, iteration + 1


def elkan_bounds_bytes(n_samples, n_clusters):
    """Memory taken by Elkan's lower bounds (float64, one per sample and center)."""
    return 8 * n_samples * n_clusters


def available_memory_bytes():
    """Memory the OS reports as available (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def choose_algorithm(n_samples, n_features, n_clusters):
    """The rule behind ``algorithm="auto"``.

    * ``"lloyd"`` for one cluster, or for few clusters in few dimensions
      (k < 8 and d < 8): each Lloyd pass is then a cheap, memory-bound sweep
      and bounds only add bookkeeping (measured slower at n=1e6, d=2, k=5: docs/performance.md);
    * ``"hamerly"`` otherwise: it was the fastest at every other point of the
      benchmark table (docs/performance.md), Elkan included: Elkan's n*k bounds cost a
      memory sweep per iteration that its extra pruning does not repay there.

    ``"elkan"`` stays available by name (with its memory guard).
    """
    if n_clusters < AUTO_HAMERLY_MIN_CLUSTERS and n_features < AUTO_HAMERLY_MIN_FEATURES:
        return "lloyd"
    return "hamerly"


# Thresholds of the "auto" rule, set from benchmarks/compare_lloyd.py's tables.
AUTO_HAMERLY_MIN_CLUSTERS = 8
AUTO_HAMERLY_MIN_FEATURES = 8
