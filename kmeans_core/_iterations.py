"""Running the iterations: the Python driver around the block kernels.

An iteration is one pass of a block kernel over the rows (``_kernels.lloyd.lloyd_pass``,
or Hamerly's and Elkan's kernels in ``_kernels/bounds.py``), which writes the labels
and, per fixed chunk of rows, the partial sums (weighted coordinate sums and
weights per cluster, kept by the slots of ``_kernels.lloyd.sum_slot_rows``; inertia;
label changes), then the update every algorithm shares
(:meth:`_IterationBuffers.update`): the chunks added in chunk order
(``_kernels.lloyd.reduce_chunks``), empty clusters relocated
(:func:`relocate_empty_clusters`: scikit-learn's rule, ties made definite; the
same rule as ``reference.empty_cluster_relocations``), the means taken
(:func:`mean_centers`), the centre shift measured.

:func:`lloyd_single_run` and :func:`bounded_single_run` run that loop
(:func:`_iterations`, the same for every algorithm) for one run: buffers
allocated once (:class:`_IterationBuffers`, :class:`_Bounds`), the stopping rules (:func:`_converged`: strict convergence when no label
changed and no cluster was relocated, else the relative ``tol`` on the total
squared shift, else ``max_iter``) and the final re-assignment after a
non-strict stop. The chunks do not depend on the thread count and every
algorithm fills the same slots, so Lloyd, Hamerly and Elkan give the same
bits. ``docs/design.md`` states the block contract a new algorithm follows.

Also here, for the estimator (``_kmeans.py``, which validates and calls these
with clean arrays): the centred private copy of X (:func:`centered_copy`),
nearest-centre labels (:func:`assign_labels`), the inertia in a fixed chunk
order (:func:`inertia_of`), the memory each algorithm needs
(:func:`memory_needed_bytes`) and :func:`choose_algorithm`, the rule behind
``algorithm="auto"``.
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np

from kmeans_core._kernels.bounds import (
    SUMS_NONE,
    SUMS_REFRESH,
    KeptSums,
    center_separations,
    elkan_pass,
    empty_sum_slots,
    first_bounds_pass,
    half_separations,
    hamerly_pass,
)
from kmeans_core._kernels.common import (
    center_into,
    centered_rows,
    centering_statistics,
    column_sums_per_chunk,
    inertia_per_chunk,
    row_squared_norms,
)
from kmeans_core._kernels.distances import (
    BOUND_MARGIN,
    SWEEP_MAX_FEATURES,
    center_shifts,
    distances_to_own_center,
    narrow_rows,
    nearest_centers_direct,
    row_norms_unknown,
)
from kmeans_core._kernels.jit import (
    CHUNK_ROWS,
    SERIAL_BELOW_ROWS,
    chunk_rows_for,
    for_one_chunk,
    for_rows,
    n_chunks,
    prefaulted_empty,
    single_threaded_blas,
)
from kmeans_core._kernels.lloyd import (
    ChunkPartials,
    labels_only_partials,
    lloyd_pass,
    lloyd_run_compiled,
    reduce_chunks,
    run_scratch,
    sum_slot_rows,
)
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
    labels = np.full(n_samples, -1, dtype=np.int32)
    if n_samples < SERIAL_BELOW_ROWS and direct_ranking_pays(
        n_samples, n_features, centers.shape[0]
    ):
        # The small-table run's own ranking: a first predict on a small table
        # compiles no expanded ranking either (the same labels: the rule's).
        nearest_centers_direct(X, transposed(centers), labels)
        return labels
    weights = np.ones(n_samples, dtype=X.dtype)
    partials = labels_only_partials(n_chunks(n_samples, CHUNK_ROWS), CHUNK_ROWS)
    # Small inputs run on one thread: the serial pass, not a parallel kernel to compile.
    with single_threaded_blas():
        for_rows(lloyd_pass, n_samples)(
            X,
            weights,
            row_norms_unknown(),  # new rows: each chunk computes its own
            transposed(centers),
            squared_norms(centers),
            labels,
            partials,
            False,
            narrow_rows(n_features),
        )
    return labels


def distances_to_centers_of(X, centers, labels):
    """Squared distance (the tie rule's, float64) of every row to the center it is labelled with."""
    out = np.empty(X.shape[0])
    distances_to_own_center(X, transposed(centers), labels, out)
    return out


# The centring kernels' serial twins (``_kernels.jit.for_one_chunk``) only for one
# chunk of rows: they add each row into the chunk's sums in memory, and numba's
# parallel compile of the same loop runs faster (it proves the outlined loop's
# arrays distinct and tells LLVM so, which it cannot do for a serial kernel):
# one thread, the column sums and the centring together, 7 against 13 us at
# 2,000 x 2 and 63 against 125 us at 10,000 x 8; within 1-4 us up to one chunk
# (1,000 x 2: 5 against 7 us), where the first fit on a small table saves
# 0.75 s of compiling.


def centered_copy(X):
    """A new C-contiguous array ``X - mean``; with the column means, variances and row norms.

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
    row_norms : (n_samples,) float64, or empty
        The squared norms of X_centered's rows (:func:`fit_row_norms`), which
        the runs' rankings and the k-means++ seeding read; empty where the
        rankings compute their own.
    """
    mean = _column_means(X)
    X_centered = prefaulted_empty(X.shape, X.dtype)
    statistics = _centering_statistics_buffers(X)
    for_one_chunk(center_into, X.shape[0])(X, mean, X_centered, *statistics)
    variances = _checked_variances(X, *statistics)
    return X_centered, mean, variances, fit_row_norms(X_centered)


def centered_statistics(X, with_row_norms=False):
    """:func:`centered_copy`'s column means and variances (the same bits), without the copy.

    For a fit that centres its rows as it reads them (the mean goes to the
    kernels, :func:`centers_rows_as_read`): one read of X for the means,
    one for the variances, nothing written. The same checks and messages.
    ``with_row_norms``: the centred rows' squared norms come from the
    second read too (:func:`fit_row_norms`' with the mean: the same bits,
    and empty where it gives none), else an empty array.

    Returns
    -------
    mean : (n_features,) array of X's dtype
    variances : (n_features,) float64
    row_norms : (n_samples,) float64, or empty
    """
    mean = _column_means(X)
    statistics = _centering_statistics_buffers(X)
    row_norms = row_norms_unknown()
    if with_row_norms and row_norms_kept(*X.shape):
        row_norms = prefaulted_empty(X.shape[0])
    centering_statistics(X, mean, *statistics, row_norms)
    return mean, _checked_variances(X, *statistics), row_norms


def _column_means(X):
    n_samples, n_features = X.shape
    if X.dtype == np.float32:
        mean = X.mean(axis=0)
    else:
        chunk_sums = np.empty((n_chunks(n_samples), n_features))
        for_one_chunk(column_sums_per_chunk, n_samples)(X, chunk_sums)
        mean = chunk_sums.sum(axis=0) / n_samples
    if not np.isfinite(mean).all():
        check_all_finite(X)
        _refuse_overflow(X, "its column sums overflow")
    return mean


def _centering_statistics_buffers(X):
    """Per-chunk column sums, sums of squares and largest magnitudes of the centred X."""
    shape = (n_chunks(X.shape[0]), X.shape[1])
    return np.empty(shape), np.empty(shape), np.empty(shape)


def _checked_variances(X, chunk_sums, chunk_squares, chunk_extremes):
    """The column variances from the centring statistics; refuses data whose distances overflow."""
    n_samples, n_features = X.shape
    residual_mean = chunk_sums.sum(axis=0) / n_samples
    variances = np.maximum(chunk_squares.sum(axis=0) / n_samples - residual_mean**2, 0.0)
    if not np.isfinite(variances).all():
        _refuse_overflow(X, "its squared deviations overflow")
    if not np.isfinite(squared_distance_bound(chunk_extremes.max(axis=0), n_samples)):
        _refuse_overflow(
            X,
            f"squared distances summed over its {n_features} features and "
            f"{n_samples} samples would overflow",
        )
    return variances


# The rows' squared norms are made once per fit (rather than at every ranking,
# ``_kernels.distances``) only where they pay: for rows ranked by a BLAS
# product (a narrow row's norm comes almost free with the feature sweeps, and
# reading it back cost a Lloyd pass more: 1e6 x 2, k=5, two threads, 49-53 ->
# 57-66 ms), and beyond one chunk of rows (a smaller fit would compile the
# norms kernel for microseconds: its first fit is mostly compiling). Made by
# the k-means++ seeding's own kernel, the same bits: the default fit's
# seeding takes them instead of computing its own. Measured on the AMD EPYC
# host (one thread, min of 3 processes alternating with the code before): a
# Lloyd pass at 1e5 x 128, k=8 20.0 -> 13.9 ms, 5e4 x 300, k=10 21.6 -> 18.3,
# 1e6 x 8, k=32 47.0 -> 45.2, 2e5 x 16, k=16 7.8 -> 7.3; whole default fits
# (CPU time) 1e5 x 128 x 8 194 -> 165 ms, 5e4 x 300 x 10 201 -> 185 ms;
# 10,000 x 8 x 8 from an init array 2.13 -> 1.88 ms. A fit from an init array
# with few iterations pays the norms' pass about what its passes save (1e5 x
# 128 x 8: 108 -> 107 ms).
FIT_ROW_NORMS_MIN_FEATURES = SWEEP_MAX_FEATURES + 1


def row_norms_kept(n_samples, n_features):
    """Whether a fit on a table of this shape makes its rows' norms once (:func:`fit_row_norms`)."""
    return n_features >= FIT_ROW_NORMS_MIN_FEATURES and n_samples > CHUNK_ROWS


def fit_row_norms(X, mean=None):
    """The squared norms of (centred) X's rows for a fit's rankings, or an empty array.

    Empty (each ranking then computes the norms of the rows it ranks) below
    ``FIT_ROW_NORMS_MIN_FEATURES`` features or up to one chunk of rows.
    ``mean``: X's column means when X is not centred (subtracted as read:
    the centred rows' norms, bit for bit).
    """
    n_samples, n_features = X.shape
    if not row_norms_kept(n_samples, n_features):
        return row_norms_unknown()
    row_norms = prefaulted_empty(n_samples)
    for_rows(row_squared_norms, n_samples)(X, mean, row_norms)
    return row_norms


def norms_to_fill(n_samples, n_features):
    """An unfilled buffer for the rows' norms a run's first pass writes, or an empty array.

    For a fit without a centred copy (:func:`centers_rows_as_read`), whose
    Hamerly run fills it as it ranks every row (``hamerly_pass``); empty
    where :func:`row_norms_kept` says the rankings compute their own.
    """
    if not row_norms_kept(n_samples, n_features):
        return row_norms_unknown()
    return prefaulted_empty(n_samples)


# Narrowest rows a fit centres as it reads them (:func:`centers_rows_as_read`).
# Measured on the AMD EPYC host, Hamerly runs from the off-grid init arrays
# (copy -> centred as read, alternating processes): two threads, wall, min
# of 7: 1e5 x 128, k=8 56.5-65.0 -> 38.2-39.4 ms; 5e4 x 300, k=10 86.7-90.6
# -> 65.1-68.8; 2e5 x 64, k=16 113.6-130.9 -> 94.7-98.4. Narrower rows gain
# nothing: one thread, CPU, min of 3, 1e6 x 8, k=32 392-416 -> 391-405 ms;
# 2e5 x 16, k=16 120-130 -> 121-122; 1e5 x 2, k=256 251-270 -> 274-294 (most
# rows are rescanned in the early passes, each gathered row centred again).
CENTER_AS_READ_MIN_FEATURES = 32


def centers_rows_as_read(algorithm, n_samples, n_features, seeds_need_copy):
    """Whether a fit centres X's rows as its kernels read them, instead of making a centred copy.

    Hamerly's runs on wide tables beyond the small-table threshold whose
    seeds need no centred copy (``seeds_need_copy`` false: an init array;
    ``init="random"``, whose rows are drawn by index and centred after;
    k-means++ on wide float64 rows, below): the copy (a new array the
    size of X, its pages faulted in, written) took about a third of such a
    fit (1e5 x 128, k=8: 57-65 against 38-39 ms without it) and made the
    fit's memory X's size again.
    The kernels subtract the same mean as each row is read
    (``_kernels.common.centered_value``): the same values, so the same
    bits. Fits whose seeding needs centred rows keep the copy (k-means||;
    a callable init, handed the centred data; k-means++ on float32 or
    narrower rows); k-means++ on wide float64 rows reads X and the mean too
    (``_kernels.seeding.reads_rows_centred``).
    """
    return (
        algorithm == "hamerly"
        and n_samples >= SERIAL_BELOW_ROWS
        and n_features >= CENTER_AS_READ_MIN_FEATURES
        and not seeds_need_copy
    )


def squared_distance_bound(column_extremes, n_samples):
    """An upper bound on any sum of ``n_samples`` squared distances between points in the data's box.

    ``column_extremes`` are the largest absolute values per column (of data
    centered anywhere inside its range): two points differ by at most twice
    that in each column. Infinite when float64 cannot hold such a sum, which
    is when K-Means could return an infinite inertia.
    """
    with np.errstate(over="ignore"):
        return 4.0 * float(n_samples) * float(np.sum(np.square(column_extremes)))


def _refuse_overflow(X, what):
    largest = float(np.abs(X).max())
    raise ValueError(
        f"X has values too large for K-Means in {X.dtype} ({what}; largest |x| = {largest:.3g}): "
        "squared distances would be infinite. Rescale X (for example divide it by its largest "
        "absolute value) before fitting."
    )


def inertia_kernel(n_samples):
    """The per-chunk inertia kernel for data of ``n_samples`` rows in all.

    ``inertia_per_chunk``, or for at most one chunk of rows its one-chunk
    twin (``_kernels.jit.for_one_chunk``: the per-chunk kernel called from
    Python), which a first fit on a fresh machine does not compile a
    parallel kernel for. Compiled on its own, its relaxed feature sums could
    round differently in the last bit from the parallel kernel's (the tests
    find them equal here; ``_kernels.jit.serial`` says why they may not be), so
    the choice is made here once, by the whole data's rows (never the thread
    count, nor a Dask block's size): the in-memory fit and the Dask fit of
    the same data then sum their inertia with the same kernel, bit for bit.
    """
    return for_one_chunk(inertia_per_chunk, n_samples, relaxed=True)


def inertia_of(X, sample_weight, centers, labels, centering=None):
    """Sum of ``sample_weight * ||x - center[label]||^2``, summed in a fixed chunk order.

    ``centering``: None when X is centred (or the frame is X's own), else
    the mean its rows are centred by as they are read (:func:`centered_statistics`).
    """
    chunk_inertia = np.empty(n_chunks(X.shape[0]))
    inertia_kernel(X.shape[0])(X, centering, sample_weight, centers, labels, chunk_inertia)
    return float(chunk_inertia.sum())


def farthest_rows(distances, count):
    """The ``count`` rows of largest ``distances``, largest first, ties to the lowest row.

    The relocation rule's order, written so that it does not depend on how
    a selection algorithm breaks ties (``np.argpartition`` does not say).
    """
    n = distances.shape[0]
    count = min(count, n)
    threshold = np.partition(distances, n - count)[n - count]
    above = np.flatnonzero(distances > threshold)
    at = np.flatnonzero(distances == threshold)[: count - above.size]
    rows = np.concatenate([above, at])
    return rows[np.lexsort((rows, -distances[rows]))]


def relocate_empty_clusters(
    X, sample_weight, centers_old, sums, weights, labels, upper_bounds=None, centering=None
):
    """Give every empty cluster a far-away sample, in place on ``sums``/``weights``.

    Rule (scikit-learn's for dense data, with its ties made definite): with
    ``d_i`` the tie rule's squared distance of sample i to the center it was
    just assigned to, the ``n_empty`` samples of largest ``d_i`` (largest
    first, ties to the lowest row) become the new centers of the empty
    clusters in index order, and their weight moves out of their current
    cluster's sums. Labels are not changed here; the next assignment step
    settles them. When every ``d_i`` is 0 (more clusters than distinct
    points) nothing moves.

    ``upper_bounds``: where the run keeps them (Hamerly, Elkan), upper bounds
    on every sample's distance (not squared) to the center it was assigned
    to; then only the samples whose bound could reach the chosen ones get
    their ``d_i`` computed (:func:`farthest_rows_within_bounds`), the same
    samples chosen. ``centering``: as :func:`inertia_of`'s.

    Returns
    -------
    bool
        True when a sample was moved.
    """
    empty = np.flatnonzero(weights == 0)
    if empty.size == 0:
        return False
    centers_t = transposed(centers_old)
    rows = None
    if upper_bounds is not None:
        rows = farthest_rows_within_bounds(
            X, centers_t, labels, upper_bounds, empty.size, centering
        )
    if rows is None:
        distances = np.empty(X.shape[0])
        # Centred a block of rows at a time when X is not (the same values).
        block = X.shape[0] if centering is None else RELOCATION_BLOCK_ROWS
        for start in range(0, X.shape[0], block):
            stop = min(start + block, X.shape[0])
            distances_to_own_center(
                centered_rows(X[start:stop], centering),
                centers_t,
                labels[start:stop],
                distances[start:stop],
            )
        if distances.max() == 0:
            return False
        rows = farthest_rows(distances, empty.size)
    samples = centered_rows(X[rows], centering)
    move_to_empty_clusters(sums, weights, empty, samples, sample_weight[rows], labels[rows])
    return True


RELOCATION_BLOCK_ROWS = 64 * CHUNK_ROWS


# Rows whose distance :func:`farthest_rows_within_bounds` computes first: the
# relocation needs a handful of rows, and a few hundred bounds are usually
# enough to prove the rest nearer. Each retry takes four times as many.
RELOCATION_CANDIDATE_ROWS = 256


def farthest_rows_within_bounds(X, centers_t, labels, upper_bounds, count, centering=None):
    """:func:`farthest_rows` of the rows' ``d_i``, computing ``d_i`` only where a bound allows it.

    The rows of largest upper bound are candidates; once the ``count``-th
    largest ``d_i`` among them (``t``) exceeds the largest bound left out
    (squared, widened by ``BOUND_MARGIN``, which covers the bounds'
    rounding), every row left out has ``d_i < t``: it can neither be chosen
    nor tie with a chosen row, so the candidates' :func:`farthest_rows` are
    the rule's rows. Else four times as many candidates. Returns None when
    the candidates would be half the rows or more (the caller computes every
    ``d_i``), or when the ``count``-th largest is 0. ``centering``: as
    :func:`inertia_of`'s.

    Measured on the AMD EPYC host (2 cores), the off-grid row 100,000 x 128,
    k=8 from its init array, whose Hamerly run relocates one empty cluster:
    the relocation 6.7 -> 1.2 ms (every row's distance against 256 of them),
    the whole fit 63.5-66.0 -> 57.9-60.0 ms (min of 7, three alternating
    processes each).
    """
    n_samples = X.shape[0]
    size = max(RELOCATION_CANDIDATE_ROWS, 4 * count)
    widen = 1.0 + BOUND_MARGIN
    while 2 * size < n_samples:
        candidates = np.sort(np.argpartition(upper_bounds, n_samples - size)[n_samples - size :])
        distances = np.empty(size)
        distances_to_own_center(
            centered_rows(X[candidates], centering), centers_t, labels[candidates], distances
        )
        threshold = np.partition(distances, size - count)[size - count]
        largest_left_out = (np.min(upper_bounds[candidates]) * widen) ** 2
        if threshold > largest_left_out:
            return candidates[farthest_rows(distances, count)]
        size *= 4
    return None


def move_to_empty_clusters(sums, weights, empty, samples, sample_weights, old_labels):
    """Make ``samples[i]`` the only member of cluster ``empty[i]``, in place on ``sums``/``weights``.

    Each sample's weighted coordinates and weight leave the cluster it was
    assigned to (``old_labels[i]``). The in-memory and the Dask relocation
    both end here, so their sums change by the same operations in the same
    order.
    """
    for new_cluster, sample, weight, old_cluster in zip(empty, samples, sample_weights, old_labels):
        weight = np.float64(weight)
        sums[old_cluster] -= sample * weight
        sums[new_cluster] = sample * weight
        weights[new_cluster] = weight
        weights[old_cluster] -= weight


def mean_centers(sums, weights, dtype):
    """Weighted means; a cluster left empty is put on the heaviest cluster's center.

    Means are ``sums * (1 / weight)`` (scikit-learn's arithmetic, for the same
    bits); a weight so small that its reciprocal overflows is divided by
    instead, so tiny positive weights give finite means.
    """
    centers = np.empty(sums.shape, dtype=np.float64)
    filled = weights > 0
    with np.errstate(over="ignore"):
        reciprocal = 1.0 / weights[filled]
    centers[filled] = sums[filled] * reciprocal[:, None]
    overflowed = ~np.isfinite(reciprocal)
    if overflowed.any():
        rows = np.flatnonzero(filled)[overflowed]
        centers[rows] = sums[rows] / weights[rows][:, None]
    if not filled.all():
        centers[~filled] = centers[np.argmax(weights)]
    return centers.astype(dtype, copy=False)


def report_iteration(iteration, inertia, center_shift_sq, new_centers, verbose, history):
    """The verbose line and the ``history`` record of one iteration (every fit loop's).

    ``inertia`` is that of the labels against the centres the iteration
    started from (scikit-learn's verbose figure); ``history`` (a list, or
    None) receives the teaching view's record.
    """
    if verbose:
        print(f"Iteration {iteration}, inertia {inertia}.")
    if history is not None:
        history.append(
            {
                "iteration": iteration,
                "inertia": inertia,
                "center_shift": center_shift_sq,
                "centers": new_centers.copy(),
            }
        )


def _converged(iteration, n_changed, relocated, center_shift_sq, tol, verbose):
    """scikit-learn's stopping rules: (strict convergence, stop).

    Strict convergence: no label changed (and no empty cluster was given a
    sample, which would leave the labels stale). Otherwise the run stops when
    the total squared center shift is at most ``tol`` (already scaled to the
    data), or when no label changed after a relocation: then, as after a
    ``tol`` stop, the final re-assignment makes the labels match the centers.
    """
    if n_changed == 0:
        if verbose:
            if relocated:
                print(
                    f"Converged at iteration {iteration}: no label changed (after an "
                    "empty-cluster relocation: the labels are re-assigned)."
                )
            else:
                print(f"Converged at iteration {iteration}: strict convergence.")
        return not relocated, True
    if center_shift_sq <= tol:
        if verbose:
            print(
                f"Converged at iteration {iteration}: center shift {center_shift_sq} "
                f"within tolerance {tol}."
            )
        return False, True
    return False, False


class _IterationBuffers:
    """What every iteration writes, allocated once per run.

    Per-chunk partial results of a pass over X (sums, weights, inertia, label
    changes), their totals, and the center shifts. The chunking depends on the
    data's shape only (:func:`kmeans_core._kernels.jit.chunk_rows_for`).
    """

    def __init__(self, n_samples, n_features, n_clusters):
        chunk_rows = chunk_rows_for(n_samples, n_clusters, n_features)
        chunks = n_chunks(n_samples, chunk_rows)
        self.partials = ChunkPartials(
            np.empty((chunks, n_clusters, n_features)),
            np.empty((chunks, n_clusters)),
            np.empty(chunks),
            np.empty(chunks, dtype=np.int64),
            chunk_rows,
        )
        # The same buffers by name, for the bounds kernels' argument lists.
        self.chunk_sums, self.chunk_weights, self.chunk_inertia, self.chunk_changed, _ = (
            self.partials
        )
        self.chunk_rows = chunk_rows
        self.sums = np.empty((n_clusters, n_features))
        self.weights = np.empty(n_clusters)
        self.shifts = np.zeros(n_clusters)

    def compiled_run(
        self, X, sample_weight, row_norms, centers, labels, max_iter, tol, direct_ranking
    ):
        """:func:`kmeans_core._kernels.lloyd.lloyd_run_compiled` on these buffers.

        ``centers`` and ``labels`` are updated in place; returns the number of
        iterations, or -1 when a cluster empties. ``direct_ranking`` picks the
        ranking by the direct distance (compiled without the expanded one: the
        kernel drops the branch of a ``None`` argument). ``row_norms``: X's
        row norms, or an empty array (see :func:`lloyd_single_run`).
        """
        return lloyd_run_compiled(
            X,
            sample_weight,
            row_norms,
            centers,
            labels,
            self.partials,
            self.sums,
            self.weights,
            self.shifts,
            max_iter,
            tol,
            None if direct_ranking else np.empty(centers.shape[0]),
            narrow_rows(centers.shape[1]),
            run_scratch(centers),
        )

    def update(self, X, sample_weight, centers, labels, upper_bounds=None, centering=None):
        """The update step: new centers from the chunk slots (relocating empty clusters).

        Returns the new centers, whether a sample was relocated, and the
        total squared shift (``self.shifts`` holds each center's shift).
        ``upper_bounds``: the run's bounds on each sample's distance to its
        center, where it keeps them (see :func:`relocate_empty_clusters`);
        ``centering``: as :func:`inertia_of`'s.
        """
        reduce_chunks(self.chunk_sums, self.chunk_weights, self.sums, self.weights)
        relocated = relocate_empty_clusters(
            X, sample_weight, centers, self.sums, self.weights, labels, upper_bounds, centering
        )
        new_centers = mean_centers(self.sums, self.weights, X.dtype)
        center_shift_sq = center_shifts(new_centers, centers, self.shifts)
        return new_centers, relocated, center_shift_sq


# The small-table run ranks centres by the direct distance
# (``_kernels.lloyd.lloyd_chunk_direct``, which compiles in a fraction of the
# expanded ranking's time) for at most this many clusters and features, and
# by the expanded form with its BLAS product above. Measured per iteration on
# one thread, direct against expanded: 15.6 against 16.9 us at 1,000 x 2,
# k=3; 25 against 26 us at 2,000 x 2, k=3; 57 against 63 us at 3,000 x 4,
# k=2; but 34-37 against 33 us at 2,000 x 2, k=5 and 2x slower at k=8, d=8
# (where the expanded ranking pays; measured with the four-row ranking of
# 2026-12-04). The same labels and sums either way.
DIRECT_RANKING_MAX_CLUSTERS = 3
DIRECT_RANKING_MAX_FEATURES = 4
# On tables this small (rows x clusters) a pass costs microseconds whichever
# ranking runs, so the direct one is used at any k and d: a first fit on a
# fresh machine then never compiles the expanded ranking's run (3.3 s of the
# bundled demo's 10.5 s of compiling, 200 customers, k = 1..10). What it costs
# an iteration (one thread, process time, best of 30 runs): 200 x 2, k=5 3.0
# against 2.7 us; 200 x 3, k=10 7.5 against 3.7 us (26 us in a 7-iteration
# fit); 1,000 x 2, k=5 (above the limit, but within the next one's)
# 12.1 against 8.9 us.
DIRECT_RANKING_MAX_DISTANCES = 2_048
# Nor on tables whose every pass is at most this many multiply-adds (n k d),
# with at most ``DIRECT_RANKING_MAX_WORK_CLUSTERS`` clusters: a first fit there
# compiles the direct run alone, not an expanded ranking's. Cold first
# default fit, fresh processes, CPU s on the 2-core AMD host of 2026-12-04
# (before -> after): 1,000 x 2, k=5 6.3-6.7 -> 3.1; 1,000 x 8, k=8 8.2-9.0 -> 3.5-3.7;
# 1,000 x 16, k=4 8.4-9.5 -> 3.2. What a warm fit pays for it (one thread,
# the default fit, min of 60): 1,000 x 2, k=5 217 -> 245 us; 1,000 x 8, k=8
# 815-843 -> 848 us; 1,000 x 16, k=4 344-350 -> 298-310 us. At k = 16 and 32
# the direct ranking cost a fit 50-70% more (1,000 x 4, k=16 712 -> 1,228
# us), hence the limit on k.
DIRECT_RANKING_MAX_WORK = 65_536
DIRECT_RANKING_MAX_WORK_CLUSTERS = 8


def direct_ranking_pays(n_samples, n_features, n_clusters):
    """Whether the small-table Lloyd run ranks centres by the direct distance."""
    if n_samples * n_clusters <= DIRECT_RANKING_MAX_DISTANCES:
        return True
    if (
        n_samples * n_clusters * n_features <= DIRECT_RANKING_MAX_WORK
        and n_clusters <= DIRECT_RANKING_MAX_WORK_CLUSTERS
    ):
        return True
    return n_clusters <= DIRECT_RANKING_MAX_CLUSTERS and n_features <= DIRECT_RANKING_MAX_FEATURES


def lloyd_single_run(
    X, sample_weight, centers_init, max_iter, tol, verbose=0, history=None, row_norms=None
):
    """One run of Lloyd's algorithm from ``centers_init``.

    Stops when no label changes (strict convergence) or when the total squared
    center shift is at most ``tol`` (already scaled to the data). Without
    strict convergence, one more assignment step makes ``labels`` match the
    returned centers. ``row_norms``: X's row squared norms when the caller
    has them (:func:`centered_copy` makes them), else each pass computes
    them chunk by chunk; the same bits either way.

    Returns
    -------
    labels : (n_samples,) int32
    inertia : float
    centers : (n_clusters, n_features) array of X's dtype
    n_iter : int
        Iterations run.
    """
    n_samples, n_features = X.shape
    buffers = _IterationBuffers(n_samples, n_features, centers_init.shape[0])
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    labels = np.full(n_samples, -1, dtype=np.int32)
    row_norms = row_norms_unknown() if row_norms is None else row_norms

    def assign(centers, first, update):
        _lloyd_pass(X, sample_weight, row_norms, centers, labels, buffers, update)

    with single_threaded_blas():
        if n_samples < SERIAL_BELOW_ROWS and not verbose and history is None:
            # Small input: the whole run in one kernel call (same bits; see
            # ``_kernels/lloyd.py``), unless a cluster empties (then rerun below).
            n_iter = buffers.compiled_run(
                X,
                sample_weight,
                row_norms,
                centers,
                labels,
                max_iter,
                tol,
                direct_ranking_pays(n_samples, n_features, centers.shape[0]),
            )
            if n_iter > 0:
                return labels, inertia_of(X, sample_weight, centers, labels), centers, n_iter
            centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
            labels[:] = -1
        run = (max_iter, tol, True)
        return _iterations(
            X, sample_weight, centers, labels, buffers, assign, run, verbose, history
        )


def _lloyd_pass(X, sample_weight, row_norms, centers, labels, buffers, update_centers):
    centers_t, norms = transposed(centers), squared_norms(centers)
    narrow = narrow_rows(X.shape[1])
    lloyd_pass(
        X,
        sample_weight,
        row_norms,
        centers_t,
        norms,
        labels,
        buffers.partials,
        update_centers,
        narrow,
    )


def _iterations(
    X,
    sample_weight,
    centers,
    labels,
    buffers,
    assign,
    run,
    verbose,
    history,
    upper_bounds=None,
    centering=None,
):
    """The loop every in-memory algorithm runs, around its assignment step.

    ``assign(centers, first, update)`` labels X for ``centers`` into
    ``labels`` and, when ``update``, writes the chunk sums of ``buffers``
    (``first``: the run's first pass). ``run`` is ``(max_iter, tol,
    pass_inertia)``: ``pass_inertia`` says whether the pass's own per-chunk
    inertia is the verbose figure (Lloyd's) or it is computed on request
    (the bounds never compute every distance). ``upper_bounds``: the bounds
    runs' upper bounds, which the relocation of an empty cluster reads;
    ``centering``: as :func:`inertia_of`'s.
    """
    max_iter, tol, pass_inertia = run
    strict_convergence = False
    for iteration in range(max_iter):
        assign(centers, iteration == 0, True)
        new_centers, relocated, center_shift_sq = buffers.update(
            X, sample_weight, centers, labels, upper_bounds, centering
        )
        if verbose or history is not None:
            if pass_inertia:
                inertia_before = float(buffers.chunk_inertia.sum())
            else:
                inertia_before = inertia_of(X, sample_weight, centers, labels, centering)
            report_iteration(
                iteration, inertia_before, center_shift_sq, new_centers, verbose, history
            )
        centers = new_centers
        # At iteration 0 every label changes (they start at -1), as in scikit-learn.
        strict_convergence, stop = _converged(
            iteration, buffers.chunk_changed.sum(), relocated, center_shift_sq, tol, verbose
        )
        if stop:
            break

    if not strict_convergence:
        # Labels for the final centers: the same pass without the sums.
        assign(centers, False, False)
    inertia = inertia_of(X, sample_weight, centers, labels, centering)
    return labels, inertia, centers, iteration + 1


def bounded_single_run(
    algorithm,
    X,
    sample_weight,
    centers_init,
    max_iter,
    tol,
    verbose=0,
    history=None,
    row_norms=None,
    centering=None,
):
    """One run of Hamerly's or Elkan's algorithm from ``centers_init``.

    The same iteration as :func:`lloyd_single_run` (same stopping rules, same
    empty-cluster rule, same final re-assignment, same labels and the same
    bits in the centers), with the assignment step replaced by a
    bounds-pruned one that refreshes only the sum slots that changed; see
    ``_kernels/bounds.py``. ``row_norms`` as in :func:`lloyd_single_run`.
    ``centering`` (Hamerly's alone): None when X is the centred copy, else
    the mean the kernels subtract from X's rows as they read them
    (:func:`centers_rows_as_read`).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_init.shape[0]
    buffers = _IterationBuffers(n_samples, n_features, n_clusters)
    bounds = _Bounds(algorithm, n_samples, n_clusters, buffers, n_features)
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    row_norms = row_norms_unknown() if row_norms is None else row_norms

    def assign(centers, first, update):
        sums_mode = SUMS_REFRESH if update else SUMS_NONE
        bounds.assign(X, sample_weight, row_norms, centers, buffers, first, sums_mode, centering)

    run = (max_iter, tol, False)
    with single_threaded_blas():
        return _iterations(
            X,
            sample_weight,
            centers,
            bounds.labels,
            buffers,
            assign,
            run,
            verbose,
            history,
            bounds.upper,
            centering,
        )


class _Bounds:
    """The per-sample bounds of a Hamerly or Elkan run, and its assignment step."""

    def __init__(self, algorithm, n_samples, n_clusters, buffers, n_features):
        self.elkan = algorithm == "elkan"
        # The per-slot partial sums, kept between iterations (see _kernels/bounds.py).
        chunks = buffers.chunk_weights.shape[0]
        self.kept = KeptSums(
            *empty_sum_slots(
                chunks,
                sum_slots_per_chunk(buffers.chunk_rows, chunks, n_clusters, n_features),
                n_clusters,
                n_features,
            ),
            buffers.chunk_sums,
            buffers.chunk_weights,
        )
        self.labels = np.full(n_samples, -1, dtype=np.int32)
        self.upper = prefaulted_empty(n_samples)
        self.lower = prefaulted_empty((n_samples, n_clusters) if self.elkan else n_samples)
        self.half_separation = np.empty(n_clusters)
        # Elkan's k x k table of half center distances; Hamerly needs none.
        self.half_center_distances = np.empty((n_clusters, n_clusters)) if self.elkan else None

    def assign(
        self, X, sample_weight, row_norms, centers, buffers, first, sums_mode, centering=None
    ):
        """One assignment step; ``buffers.shifts``: how far each center moved since the last.

        ``row_norms``: X's row squared norms, or an empty array (computed
        where rows are ranked); ``centering``: see :func:`bounded_single_run`
        (Hamerly's only).
        """
        assert centering is None or not self.elkan, "Elkan's kernels read a centred copy"
        centers64 = centers.astype(np.float64)
        centers_t = transposed(centers64)
        slots = (self.kept, buffers.chunk_changed, buffers.chunk_rows)
        if self.elkan:
            center_separations(centers64, self.half_center_distances, self.half_separation)
        else:
            half_separations(centers64, self.half_separation)
        if not self.elkan:
            # The first pass rescans every sample (measured faster than the direct
            # upper bounds of first_bounds_pass).
            hamerly_pass(
                X,
                centering,
                sample_weight,
                row_norms,
                centers_t,
                squared_norms(centers64),
                self.half_separation,
                buffers.shifts,
                self.labels,
                self.upper,
                self.lower,
                *slots,
                first,
                sums_mode,
                narrow_rows(X.shape[1]),
            )
        elif first:
            first_bounds_pass(
                X,
                sample_weight,
                row_norms,
                centers_t,
                squared_norms(centers64),
                self.labels,
                self.upper,
                self.lower,
                *slots,
            )
        else:
            elkan_pass(
                X,
                sample_weight,
                centers64,
                centers_t,
                self.half_center_distances,
                self.half_separation,
                buffers.shifts,
                self.labels,
                self.upper,
                self.lower,
                *slots,
                sums_mode,
            )


def memory_needed_bytes(algorithm, n_samples, n_features, n_clusters, n_threads=None):
    """Memory a run of ``algorithm`` allocates beyond the centered copy of X, in bytes.

    Every run: the per-chunk partial sums (bounded by
    :func:`kmeans_core._kernels.jit.chunk_rows_for`), the labels and the rows'
    squared norms (made with the centered copy), and per thread one
    chunk's cross terms (``chunk_rows * k``) and rows. Hamerly and Elkan keep
    the finer per-slot sums (at most a quarter of X's float64 size, or the
    chunks' own size: ``_kernels.lloyd.sum_slot_rows``);
    Hamerly adds two bounds per sample; Elkan one upper and ``k`` lower
    bounds per sample and the ``k x k`` table of center distances.
    """
    if n_threads is None:
        n_threads = numba.get_num_threads()
    chunk_rows = chunk_rows_for(n_samples, n_clusters, n_features)
    chunks = n_chunks(n_samples, chunk_rows)
    # The partial sums, the chunk counts, the labels and the rows' squared norms.
    total = 8 * chunks * n_clusters * (n_features + 1) + 16 * chunks + 4 * n_samples
    total += 8 * n_samples if row_norms_kept(n_samples, n_features) else 0
    total += n_threads * 8 * chunk_rows * (n_clusters + n_features)
    if algorithm in ("hamerly", "elkan"):
        slots = chunks * sum_slots_per_chunk(chunk_rows, chunks, n_clusters, n_features)
        total += 8 * slots * n_clusters * (n_features + 1)
    if algorithm == "hamerly":
        total += 16 * n_samples + 8 * n_clusters
    elif algorithm == "elkan":
        total += 8 * n_samples * (n_clusters + 1) + 8 * n_clusters * (n_clusters + 1)
    return total


def sum_slots_per_chunk(chunk_rows, n_chunks, n_clusters, n_features):
    """Sum slots in a chunk (see ``_kernels.lloyd.sum_slot_rows``)."""
    slot_rows = sum_slot_rows(chunk_rows, n_chunks, n_clusters, n_features)
    return -(-chunk_rows // slot_rows)


# How long one reading of the available memory serves (seconds). Reading it
# (``/proc/meminfo``, which the kernel builds afresh on each read) took 58 us
# of a 1.6 ms fit at 10,000 x 8, k=8 (one thread, process time, measured
# inside fits: 8 us on its own); fits in a loop (a k sweep, a grid search)
# need not read it again each time: memory a second old is a fine guide.
MEMORY_READING_SECONDS = 1.0
_memory_reading = [-np.inf, None]  # [time.monotonic() of the reading, bytes]


def memory_budget_bytes():
    """Half the memory the OS reports as available (None when unknown).

    The available memory is read at most once every
    ``MEMORY_READING_SECONDS``; calls in between reuse that reading.
    """
    now = time.monotonic()
    read_at, available = _memory_reading
    if not now - read_at < MEMORY_READING_SECONDS:
        available = available_memory_bytes()
        _memory_reading[:] = [now, available]
    return None if available is None else available // 2


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


def bounds_can_pay(n_features, n_clusters):
    """Whether bounds can save more than they cost: not with k < 8 and d < 8.

    There each Lloyd pass is a cheap, memory-bound sweep and bounds only add
    bookkeeping (measured slower at n=1e6, d=2, k=5: docs/performance.md).
    The one speed rule of ``choose_algorithm`` the Dask fit also applies (its
    passes have no compiled whole run for the small-table rule to weigh).
    """
    return n_clusters >= AUTO_HAMERLY_MIN_CLUSTERS or n_features >= AUTO_HAMERLY_MIN_FEATURES


def choose_algorithm(n_samples, n_features, n_clusters, budget_bytes=None):
    """The rule behind ``algorithm="auto"``: by speed, then by memory.

    * ``"lloyd"`` for one cluster, or for few clusters in few dimensions
      (k < 8 and d < 8): each Lloyd pass is then a cheap, memory-bound sweep
      and bounds only add bookkeeping (measured slower at n=1e6, d=2, k=5: docs/performance.md);
    * ``"lloyd"`` on a small table (fewer than ``SERIAL_BELOW_ROWS`` rows)
      while ``n * k * max(d, 4)`` is at most ``AUTO_SMALL_TABLE_LLOYD_WORK``:
      the whole Lloyd run is then one compiled call, while Hamerly's pays
      a Python round trip and several kernel calls per iteration (about
      0.07 ms), more than the distances its bounds save there;
    * ``"hamerly"`` otherwise: it was the fastest at every other point of the
      benchmark table (docs/performance.md), Elkan included: Elkan's n*k bounds cost a
      memory sweep per iteration that its extra pruning does not repay there;
    * ``"lloyd"`` again when Hamerly's memory (:func:`memory_needed_bytes`)
      would exceed ``budget_bytes`` (half the available memory) and Lloyd's
      would not: Lloyd's needs the least memory of the three.

    ``"elkan"`` stays available by name (with its memory guard).
    """
    if not bounds_can_pay(n_features, n_clusters):
        return "lloyd"
    if (
        n_samples < SERIAL_BELOW_ROWS
        and n_samples * n_clusters * max(n_features, 4) <= AUTO_SMALL_TABLE_LLOYD_WORK
    ):
        return "lloyd"
    if (
        budget_bytes is not None
        and memory_needed_bytes("hamerly", n_samples, n_features, n_clusters) > budget_bytes
    ):
        return "lloyd"
    return "hamerly"


# Thresholds of the "auto" rule, set from benchmarks/compare_lloyd.py's tables.
AUTO_HAMERLY_MIN_CLUSTERS = 8
AUTO_HAMERLY_MIN_FEATURES = 8
# Small tables: one thread, a whole run from the same init array, compiled
# Lloyd run against Hamerly's (ms): 2,000 x 8, k=8 0.37 / 0.83, k=32 0.67 /
# 0.84, k=64 2.78 / 1.97; 2,000 x 12, k=16 0.84 / 1.13, k=32 2.75 / 1.64;
# 2,000 x 4, k=64 1.21 / 1.49; 10,000 x 2, k=16 5.19 / 8.10, k=32 7.07 / 7.68;
# 10,000 x 8, k=8 2.09 / 2.19, k=16 3.97 / 3.53; 10,000 x 12, k=8 2.33 / 2.05.
# The work ``n * k * max(d, 4)`` at or below 640,000 separates them but for
# near-ties (within 10%) and 10,000 x 2, k=32.
AUTO_SMALL_TABLE_LLOYD_WORK = 640_000
