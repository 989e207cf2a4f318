"""``MiniBatchKMeans``: scikit-learn's mini-batch K-Means, step for step, on numba kernels.

Mini-batch K-Means (Sculley 2010, "Web-scale k-means clustering") updates the
centers from a small random batch of rows at each step instead of a pass over
all of X. Each center moves towards the rows assigned to it with a learning
rate of ``w_i / counts_j`` (``counts_j``: the total weight the center has ever
received), so every center is the weighted mean of all the rows ever assigned
to it. Centers that receive almost nothing are moved onto random rows of the
batch ("reassignment"), which rescues centers stuck far from the data.

What this module reproduces, and how (scikit-learn 1.9.1's behaviour is written
down step by step in ``shared/notes/sklearn-minibatch-behaviour.md``):

* The random draws, in scikit-learn's order, from the same ``RandomState``:
  the validation subset, the init subsample of each ``n_init`` candidate, the
  k-means++ or random init (``_kernels/seeding.py``, already scikit-learn's draws),
  one ``random_sample(batch_size)`` per step and the reassignment draws.
* The batch draw. scikit-learn calls ``choice(n, batch_size, p=w / w.sum())``,
  which rebuilds ``cumsum(p) / cumsum(p)[-1]`` over all n rows at every step
  and binary-searches it (O(n) per step). The table never changes during a
  fit, so :class:`_RowSampler` builds it once, from the very same NumPy
  operations (same bits), with a guide table (Chen & Asau 1974) of
  power-of-two buckets: each draw looks at one bucket of the cumulative table
  instead of searching all of it. The index returned for each uniform number
  is exactly ``searchsorted(cdf, u, side="right")``, the index NumPy returns.
* The step, in X's dtype as scikit-learn computes it: labels from
  ``|c|^2 - 2 x.c`` (one BLAS product per 256 rows, ties to the lowest
  index), the batch inertia summed row by row with scikit-learn's 4-way
  unrolled distance, the per-center update in batch order (scale by the old
  count, add ``x * w``, multiply by ``1 / count``).
* The stopping rule (EWA of the batch inertia, ``max_no_improvement``, ``tol``
  on the squared center change) in the same Python float arithmetic.

Where the bits can differ from scikit-learn, and why:

* Labels come from scikit-learn's own BLAS call (same routine, arguments and
  256-row chunks, on SciPy's BLAS, which scikit-learn also calls), so they
  agree as long as both use the same BLAS library.
* scikit-learn sums the batch inertia (which drives the stopping rule) with an
  OpenMP reduction whose grouping depends on its thread count. Ours is always
  its single-thread order (row by row), so it matches scikit-learn run with
  one thread bitwise, and with more threads to the last bits; a stopping step
  can only differ on an exact near-tie of the EWA test.
* ``inertia_`` (the final pass over X) is summed in float64 over fixed chunks,
  as ``KMeans.inertia_`` is: accurate and the same for any thread count.
  scikit-learn sums it in X's dtype with a thread-dependent grouping, so the
  two agree to ~1e-15 relative on float64 and to float32 rounding
  (~1e-6 relative) on float32.
* The k-means++ init is ``_kernels.seeding.greedy_kmeans_plusplus``, scikit-learn's
  draws with sums taken in a fixed chunked order (see that module). When k
  approaches ``init_size``, two candidates can tie to the last bit and the
  two libraries may keep different ones (3 of 300 random cases in a sweep;
  docs/minibatch.md).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload
from numba.np.linalg import _BLAS, get_blas_kind

from kmeans_core._kernels.common import chunk_count, chunk_span, inertia_of_rows
from kmeans_core._kernels.jit import (
    CHUNK_ROWS,
    OVERLOAD_OPTIONS,
    jit,
    jit_parallel,
    n_chunks,
    single_threaded_blas,
    threads_for,
)
from kmeans_core._kernels.seeding import greedy_kmeans_plusplus, random_choice_init
from kmeans_core._kmeans import (
    KMeans,
    _check_init,
    _check_int,
    _check_n_clusters,
    _check_real,
    _is_array_like,
    _unscaled_inertia,
)
from kmeans_core._validation import check_array, check_random_state, check_sample_weight

ESTIMATOR_NAME = "MiniBatchKMeans"

# scikit-learn assigns labels 256 rows at a time (one BLAS product per chunk);
# the labels do not depend on the chunking, the size only keeps the product's
# output small.
LABEL_CHUNK_ROWS = 256
PARALLEL_BATCH_ROWS = 4096


# ---------------------------------------------------------------------------
# Kernels: prepared arrays in, nothing checked. Arithmetic in X's dtype.
# ---------------------------------------------------------------------------


@jit
def _typed_constants(like):
    """0, 1 and -2 in ``like``'s dtype (a float32 literal would otherwise promote to float64)."""
    constants = np.empty(3, dtype=like.dtype)
    constants[0] = 0
    constants[1] = 1
    constants[2] = -2
    return constants[0], constants[1], constants[2]


@jit
def squared_distance_unrolled(x, center, zero):
    """``||x - center||^2`` in x's dtype, grouped as scikit-learn's ``_euclidean_dense_dense``.

    Four features per addition (``((t0 + t1) + t2) + t3`` added to the running
    sum), then the remaining features one by one. The same grouping gives the
    same bits, which keeps the batch inertia, and so the stopping step, equal
    to scikit-learn's.
    """
    n_features = x.shape[0]
    result = zero
    n_quads = n_features // 4
    for q in range(n_quads):
        f = 4 * q
        d0 = x[f] - center[f]
        d1 = x[f + 1] - center[f + 1]
        d2 = x[f + 2] - center[f + 2]
        d3 = x[f + 3] - center[f + 3]
        result += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3
    for f in range(4 * n_quads, n_features):
        d = x[f] - center[f]
        result += d * d
    return result


def sklearn_gemm_distances(centers, rows, start, stop, out_t):
    """``out_t[j, r] = |c_j|^2 - 2 rows[start + r].c_j``: scikit-learn's BLAS products, transposed.

    scikit-learn's Lloyd chunk fills a (rows, clusters) buffer with the
    centers' squared norms, then calls ``gemm`` (``alpha=-2``, ``beta=1``):
    Fortran ``xgemm("t", "n", n_clusters, n_rows, n_features, -2, centers,
    ..., rows, ..., 1, out, n_clusters)``. Its labels depend on those bits
    (``np.dot`` does not always give them: for float32 at d=64 it reached a
    BLAS kernel that summed in another order and one label in 3,000 flipped
    on a near-tie). Here the same routine (SciPy's BLAS, through numba's
    ``numba_xxgemm``) computes the same products with the operands' roles
    swapped, ``xgemm("t", "n", n_rows, n_clusters, n_features, -2, rows, ...,
    centers, ..., 1, out_t, n_rows)``: every entry is still one dot product
    over the features accumulated in feature order, scaled by ``alpha`` and
    added to ``beta`` times the norm, so the same bits (checked entry by entry
    on float32 and float64, d = 2 to 100, k = 5 to 120; the labels and
    centres are compared with scikit-learn's in ``tests/test_minibatch.py``),
    in the (clusters, rows) layout whose argmin over clusters vectorises
    across rows (:func:`label_rows`). Compiled through the overload below;
    this body is the NumPy equivalent.
    """
    norms = np.einsum("ij,ij->i", centers, centers)
    out_t[:, : stop - start] = norms[:, None] - 2 * (centers @ rows[start:stop].T)


@overload(sklearn_gemm_distances, jit_options=OVERLOAD_OPTIONS)
def _sklearn_gemm_distances_kernel(centers, rows, start, stop, out_t):
    xxgemm = _BLAS().numba_xxgemm(centers.dtype)
    kind = ord(get_blas_kind(centers.dtype))
    transposed, not_transposed = ord("t"), ord("n")

    def impl(centers, rows, start, stop, out_t):
        n_clusters, n_features = centers.shape
        scalars = np.empty(2, dtype=centers.dtype)
        scalars[0] = -2  # alpha
        scalars[1] = 1  # beta
        block = rows[start:stop]
        xxgemm(
            kind,
            transposed,
            not_transposed,
            stop - start,
            n_clusters,
            n_features,
            scalars[0:1].ctypes,
            block.ctypes,
            n_features,
            centers.ctypes,
            n_features,
            scalars[1:2].ctypes,
            out_t.ctypes,
            stop - start,
        )

    return impl


@jit
def label_rows(rows, centers, centers_squared_norms, labels, start, stop):
    """Nearest center of ``rows[start:stop]`` by ``|c|^2 - 2 x.c``, in rows' dtype.

    The values come from :func:`sklearn_gemm_distances` (scikit-learn's own
    BLAS products); the argmin keeps the first of equal values (lowest
    center index), as scikit-learn's loop does. The values are laid out one
    cluster per row, so the scan over clusters runs across rows in vector
    lanes: a third of a 10,000-row labelling at d=8, k=32 (304 -> 201 us,
    one thread) against a scan of each row's clusters.
    """
    n_clusters = centers.shape[0]
    n_rows = stop - start
    distances_t = np.empty((n_clusters, n_rows), dtype=rows.dtype)
    for j in range(n_clusters):
        for r in range(n_rows):
            distances_t[j, r] = centers_squared_norms[j]
    sklearn_gemm_distances(centers, rows, start, stop, distances_t)
    best = distances_t[0].copy()
    nearest = np.zeros(n_rows, dtype=np.int32)
    for j in range(1, n_clusters):
        for r in range(n_rows):
            value = distances_t[j, r]
            closer = value < best[r]
            best[r] = value if closer else best[r]
            nearest[r] = j if closer else nearest[r]
    for r in range(n_rows):
        labels[start + r] = nearest[r]


@jit
def labels_and_inertia_serial(rows, weights, centers, centers_c, centers_squared_norms, labels):
    """Label a batch with ``centers`` and return its weighted inertia, in rows' dtype.

    The inertia is summed row by row in batch order: scikit-learn's
    ``_inertia_dense`` run on one thread.
    """
    n_rows = rows.shape[0]
    for start in range(0, n_rows, LABEL_CHUNK_ROWS):
        stop = min(start + LABEL_CHUNK_ROWS, n_rows)
        label_rows(rows, centers_c, centers_squared_norms, labels, start, stop)
    zero, _, _ = _typed_constants(rows)
    inertia = zero
    for i in range(n_rows):
        inertia += squared_distance_unrolled(rows[i], centers[labels[i]], zero) * weights[i]
    return inertia


@jit_parallel
def label_all_rows(X, sample_weight, centers_c, centers_squared_norms, labels, chunk_inertia):
    """:func:`label_rows` over all of X in fixed chunks, and each chunk's weighted inertia.

    Each row's label is independent; the inertia of a chunk
    (``inertia_of_rows``, float64) is summed while its rows are in cache.
    ``chunk_inertia`` may have length 0: labels only.
    """
    n_samples = X.shape[0]
    for chunk in prange(chunk_count(n_samples, CHUNK_ROWS)):
        start, stop = chunk_span(chunk, CHUNK_ROWS, n_samples)
        for sub in range(start, stop, LABEL_CHUNK_ROWS):
            label_rows(
                X, centers_c, centers_squared_norms, labels, sub, min(sub + LABEL_CHUNK_ROWS, stop)
            )
        if chunk_inertia.shape[0]:
            chunk_inertia[chunk] = inertia_of_rows(
                X, None, sample_weight, centers_c, labels, start, stop
            )


@jit_parallel
def label_batch_parallel(rows, centers_c, centers_squared_norms, labels):
    """:func:`label_rows` over a batch in scikit-learn's 256-row chunks, chunks in parallel."""
    n_rows = rows.shape[0]
    for chunk in prange(chunk_count(n_rows, LABEL_CHUNK_ROWS)):
        start, stop = chunk_span(chunk, LABEL_CHUNK_ROWS, n_rows)
        label_rows(rows, centers_c, centers_squared_norms, labels, start, stop)


@jit
def minibatch_step(
    batch,
    weights,
    centers_old,
    centers_new,
    centers_c,
    centers_squared_norms,
    counts,
    labels,
    compute_inertia,
    labels_given=False,
):
    """One mini-batch step: label with the old centers, then move each center.

    For every center ``j`` that receives weight ``W_j > 0`` from the batch,
    ``c_j <- (c_j * counts_j + sum_i w_i x_i) * (1 / (counts_j + W_j))`` with
    the rows added in batch order, and ``counts_j += W_j``; the others are
    copied unchanged. This is the per-center learning rate ``w_i / counts_j``:
    each center stays the weighted mean of every row ever assigned to it.
    Same arithmetic, in X's dtype, as scikit-learn's ``update_center_dense``
    (which scans the batch once per center; one scan for all centers here
    visits each center's rows in the same order).

    ``centers_new`` may be ``centers_old`` (``partial_fit`` updates in place):
    the labels are taken first, and each center is read before it is written.

    Returns the batch inertia against the old centers (X's dtype), or 0
    when ``compute_inertia`` is False: ``partial_fit`` has no stopping rule
    to feed, and skipping the pass saves a tenth of its step.
    """
    n_rows, n_features = batch.shape
    n_clusters = centers_old.shape[0]
    zero, one, _ = _typed_constants(batch)
    if compute_inertia:
        inertia = labels_and_inertia_serial(
            batch, weights, centers_old, centers_c, centers_squared_norms, labels
        )
    elif labels_given:
        inertia = zero
    else:
        inertia = zero
        for start in range(0, n_rows, LABEL_CHUNK_ROWS):
            label_rows(
                batch,
                centers_c,
                centers_squared_norms,
                labels,
                start,
                min(start + LABEL_CHUNK_ROWS, n_rows),
            )
    batch_weight = np.full(n_clusters, zero)
    for i in range(n_rows):
        batch_weight[labels[i]] += weights[i]
    for j in range(n_clusters):
        if batch_weight[j] > 0:
            for f in range(n_features):
                centers_new[j, f] = centers_old[j, f] * counts[j]
        else:
            for f in range(n_features):
                centers_new[j, f] = centers_old[j, f]
    for i in range(n_rows):
        j = labels[i]
        if batch_weight[j] > 0:
            for f in range(n_features):
                centers_new[j, f] += batch[i, f] * weights[i]
    for j in range(n_clusters):
        if batch_weight[j] > 0:
            counts[j] += batch_weight[j]
            rate = one / counts[j]
            for f in range(n_features):
                centers_new[j, f] *= rate
    return inertia


@jit
def build_guide_table(cdf, n_buckets):
    """``guide[b]`` = first index with ``cdf > b / n_buckets`` (``searchsorted(..., side="right")``).

    ``n_buckets`` is a power of two, so ``b / n_buckets`` is exact.
    """
    n = cdf.shape[0]
    guide = np.empty(n_buckets + 1, dtype=np.int64)
    i = 0
    for b in range(n_buckets + 1):
        threshold = b / n_buckets
        while i < n and cdf[i] <= threshold:
            i += 1
        guide[b] = i
    return guide


def prefetch_row(X, row):
    """Hint the CPU to start loading the first cache line of ``X[row]`` (no effect on results).

    A no-op in Python (``NUMBA_DISABLE_JIT=1``); compiled, LLVM's
    ``llvm.prefetch`` (read, keep in all cache levels) through the overload
    below.
    """


@intrinsic
def _prefetch_first_line(typingctx, array, row):
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array_struct = context.make_array(array_type)(context, builder, args[0])
        zero = context.get_constant(types.intp, 0)
        pointer = cgutils.get_item_pointer2(
            context,
            builder,
            data=array_struct.data,
            shape=cgutils.unpack_tuple(builder, array_struct.shape),
            strides=cgutils.unpack_tuple(builder, array_struct.strides),
            layout=array_type.layout,
            inds=[args[1], zero],
            wraparound=False,
        )
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]),
            "llvm.prefetch.p0i8",
        )
        # (address, 0 = read, 3 = keep in all cache levels, 1 = data cache)
        builder.call(
            prefetch,
            [
                builder.bitcast(pointer, byte_pointer),
                ir.Constant(int32, 0),
                ir.Constant(int32, 3),
                ir.Constant(int32, 1),
            ],
        )
        return context.get_dummy_value()

    return types.void(array, row), codegen


@overload(prefetch_row, jit_options=OVERLOAD_OPTIONS)
def _prefetch_row_kernel(X, row):
    def impl(X, row):
        _prefetch_first_line(X, row)

    return impl


# Rows prefetched ahead of the one being copied in draw_and_gather. Any value
# from 4 to 32 gave the same time (measured on 1e6 x 64 float64 rows, 1,024
# per draw: 0.104 ms per gather without prefetch, 0.076 with); the first
# cache line of a row is enough (the CPU's adjacent-line prefetcher fetches
# the rest; prefetching every line of a 512-byte row was slower, 0.088 ms).
PREFETCH_ROWS_AHEAD = 8


@jit
def draw_and_gather(cdf, guide, uniforms, X, indices, batch):
    """``indices = searchsorted(cdf, uniforms, side="right")``; ``batch = X[indices]``.

    A uniform ``u`` lies in bucket ``b = floor(u * n_buckets)`` (exact: a
    power-of-two scaling), and its index lies between ``guide[b]`` and
    ``guide[b + 1]``: a binary search over one bucket (a cache line or two
    with unit weights) instead of over all n entries.
    """
    n_buckets = guide.shape[0] - 1
    n = cdf.shape[0]
    for t in range(uniforms.shape[0]):
        u = uniforms[t]
        b = int(u * n_buckets)
        low = guide[b]
        high = min(guide[b + 1], n - 1)
        # first index in [low, high] with cdf > u (cdf[high] > u holds unless high == n - 1,
        # where cdf[n - 1] == 1.0 > u).
        while low < high:
            middle = (low + high) >> 1
            if cdf[middle] > u:
                high = middle
            else:
                low = middle + 1
        indices[t] = low
    # Gathered after all searches, with the rows a few places ahead
    # prefetched: random rows of a large X each miss the caches, and the
    # prefetches let several of those misses be in flight at once instead
    # of one per row copy (a quarter less time per gather, measured above).
    n_draws = uniforms.shape[0]
    for t in range(min(PREFETCH_ROWS_AHEAD, n_draws)):
        prefetch_row(X, indices[t])
    for t in range(n_draws):
        if t + PREFETCH_ROWS_AHEAD < n_draws:
            prefetch_row(X, indices[t + PREFETCH_ROWS_AHEAD])
        row = indices[t]
        for f in range(X.shape[1]):
            batch[t, f] = X[row, f]


# ---------------------------------------------------------------------------
# Python helpers around the kernels
# ---------------------------------------------------------------------------


class _RowSampler:
    """Draws rows with probability proportional to their weight, as ``RandomState.choice`` does.

    scikit-learn's ``random_state.choice(n, size, p=w / w.sum(), replace=True)``
    builds ``cdf = cumsum(p) / cumsum(p)[-1]`` (float64, NumPy's sequential
    cumsum), draws ``random_sample(size)`` and returns
    ``searchsorted(cdf, u, side="right")``. Here the table is built once, by
    those same NumPy operations, and each draw consumes the same
    ``random_sample(size)`` and returns the same indices.
    """

    def __init__(self, sample_weight):
        probabilities = sample_weight / np.sum(sample_weight)  # X's dtype, as scikit-learn's
        cdf = np.cumsum(probabilities.astype(np.float64))
        cdf /= cdf[-1]
        self.cdf = cdf
        # About 8 table entries (one cache line) per bucket with unit weights.
        n_buckets = 1 << max(0, int(math.log2(max(1, cdf.shape[0] // 8))))
        self.guide = build_guide_table(cdf, n_buckets)

    def draw(self, random_state, X, indices, batch):
        uniforms = random_state.random_sample(indices.shape[0])
        draw_and_gather(self.cdf, self.guide, uniforms, X, indices, batch)


def _centers_layout(centers):
    """The centers (C-contiguous) and their squared norms, in the centers' dtype.

    The norms come from ``np.einsum``, as scikit-learn's ``row_norms`` (the
    same bits: they enter the label comparison).
    """
    return np.ascontiguousarray(centers), np.einsum("ij,ij->i", centers, centers)


def _labels_and_inertia(X, centers, sample_weight=None):
    """``(labels, inertia)`` of all rows: labels (int32) computed in X's dtype as scikit-learn's.

    ``inertia`` is ``sum w_i ||x_i - c_{l_i}||^2`` in float64 over fixed
    chunks (thread-independent), summed in the same pass; None without
    ``sample_weight`` (``predict``, which needs the labels only).
    """
    centers = centers.astype(X.dtype, copy=False)
    centers_c, norms = _centers_layout(centers)
    labels = np.empty(X.shape[0], dtype=np.int32)
    chunk_inertia = np.empty(0 if sample_weight is None else n_chunks(X.shape[0]))
    weights = np.empty(0, dtype=X.dtype) if sample_weight is None else sample_weight
    with single_threaded_blas():
        label_all_rows(X, weights, centers_c, norms, labels, chunk_inertia)
    return labels, None if sample_weight is None else float(chunk_inertia.sum())


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class MiniBatchKMeans:
    """Mini-batch K-Means, a drop-in replacement for :class:`sklearn.cluster.MiniBatchKMeans`.

    Same parameters, attributes and, for the same ``random_state``, the same
    answer: the same random draws in the same order, the same update,
    reassignment and stopping rules, so ``cluster_centers_`` and ``n_steps_``
    equal scikit-learn 1.9.1's (bitwise on the cases tested; where bits can
    differ and why: ``docs/minibatch.md``). Faster because the weighted batch
    draw reuses one table for the whole fit instead of rebuilding an
    n-sized one at every step, and each step is a single numba call.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), \
default="k-means++"
        How the first centers are chosen, on a random subsample of
        ``init_size`` rows (as scikit-learn does): greedy k-means++, k
        distinct rows drawn by weight, the given array, or a callable
        ``init(X_subsample, n_clusters, random_state) -> centers``.
    max_iter : int, default=100
        Maximum number of passes over the data (epochs): the fit runs at most
        ``max_iter * n_samples // batch_size`` steps.
    batch_size : int, default=1024
        Rows per mini-batch (capped at n_samples).
    verbose : int, default=0
        Print progress, with scikit-learn's messages.
    compute_labels : bool, default=True
        After the fit (or each ``partial_fit``), label the data with the final
        centers and compute ``inertia_`` over it.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed of the batch draws, the init and the reassignments.
    tol : float, default=0.0
        Stop when the squared change of all centers in one step is at most
        ``tol * mean(var(X, axis=0))``; 0 disables the test.
    max_no_improvement : int or None, default=10
        Stop after this many consecutive steps without a new minimum of the
        smoothed (exponentially weighted) batch inertia; None disables it.
    init_size : int or None, default=None
        Rows of the subsample the init runs on (and of the validation
        subsample that picks the best of ``n_init`` inits); None means
        ``3 * batch_size`` (at least ``3 * n_clusters``), capped at n_samples.
    n_init : "auto" or int, default="auto"
        Number of inits tried, the one of lowest inertia on the validation
        subsample kept. ``"auto"``: 1 for k-means++ or an array, 3 for
        random or a callable.
    reassignment_ratio : float, default=0.01
        Centers whose total weight is below ``reassignment_ratio`` times the
        largest are moved to random rows of the batch (at most half the
        batch's rows). Checked every ``10 * n_clusters`` rows seen, and at
        every step while some center has received nothing.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centers, in X's float dtype.
    labels_ : ndarray of shape (n_samples,), int32
        Labels of the training rows (``compute_labels=True``); after
        ``partial_fit``, of the last batch.
    inertia_ : float
        Weighted sum of squared distances to the nearest center, of the
        training data (fit) or of the last batch (partial_fit). With
        ``compute_labels=False`` (fit), the smoothed batch inertia scaled to
        the total weight.
    n_iter_ : int
        Passes over the data the fit made (``ceil(n_steps_ * batch_size /
        n_samples)``).
    n_steps_ : int
        Mini-batch steps run (continued by each ``partial_fit``).
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X was a DataFrame with string column names.

    See Also
    --------
    KMeans : full-batch K-Means (every row at every iteration).
    partial_fit_stream : ``partial_fit`` over an iterator of chunks (out of core).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [4, 2], [4, 0], [4, 4],
    ...               [4, 5], [0, 1], [2, 2], [3, 2], [5, 5], [1, -1]])
    >>> model = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6, n_init=3).fit(X)
    >>> model.cluster_centers_.round(2)
    array([[3.03, 3.38],
           [1.13, 0.43]])
    >>> model.predict([[0, 0], [4, 4]])
    array([1, 0], dtype=int32)
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio

    # -- shared with KMeans (the same functions, not copies) --------------------
    # Parameter protocol, repr, tags, fitted and feature-name checks, transform
    # and output names behave exactly as KMeans's; the class name in messages
    # and output names comes from ``self.__class__``. (A table: its rows look
    # alike because each names one shared function.)
    _get_param_names = KMeans.__dict__["_get_param_names"]
    get_params = KMeans.get_params
    set_params = KMeans.set_params
    __repr__ = KMeans.__repr__
    __sklearn_tags__ = KMeans.__sklearn_tags__
    __sklearn_is_fitted__ = KMeans.__sklearn_is_fitted__
    _check_fitted = KMeans._check_fitted
    _check_feature_names = KMeans._check_feature_names
    _check_init_centers = KMeans._check_init_centers
    transform = KMeans.transform
    fit_transform = KMeans.fit_transform
    set_output = KMeans.set_output
    _output_container = KMeans._output_container
    _wrap_output = KMeans._wrap_output
    _estimator_type = "clusterer"

    def get_feature_names_out(self, input_features=None):
        """Names of the transformed columns: ``minibatchkmeans0``, ``minibatchkmeans1``, ...

        Parameters
        ----------
        input_features : array-like of str or None
            Checked against the fitted input names when given; unused otherwise.

        Returns
        -------
        ndarray of str objects
        """
        return KMeans.get_feature_names_out(self, input_features)

    # -- validation -----------------------------------------------------------

    def _check_test_data(self, X):
        return KMeans._check_test_data(self, X, ESTIMATOR_NAME)

    def _check_params(self, X):
        """Validate the parameters against X; set the derived sizes scikit-learn derives."""
        n_samples = X.shape[0]
        _check_n_clusters(self.n_clusters, n_samples)
        _check_int(self.max_iter, "max_iter", 1)
        _check_int(self.batch_size, "batch_size", 1)
        _check_int(self.verbose, "verbose", 0)
        _check_int(self.max_no_improvement, "max_no_improvement", 0, allow_none=True)
        _check_int(self.init_size, "init_size", 1, allow_none=True)
        _check_real(self.tol, "tol")
        _check_real(self.reassignment_ratio, "reassignment_ratio")
        if not isinstance(self.compute_labels, (bool, np.bool_)):
            raise ValueError(  # noqa: TRY004 (the project rule: bad parameters are ValueErrors)
                f"compute_labels must be True or False, got {self.compute_labels!r}."
            )
        init = self.init
        _check_init(init, ("k-means++", "random"))

        # tol scaled by the data's mean variance (scikit-learn's _tolerance, same NumPy calls).
        self._tol = 0 if self.tol == 0 else np.mean(np.var(X, axis=0)) * self.tol

        if isinstance(self.n_init, str):
            if self.n_init != "auto":
                raise ValueError(f"n_init must be 'auto' or an int >= 1, got {self.n_init!r}.")
            plusplus = isinstance(init, str) and init == "k-means++"
            self._n_init = 1 if plusplus or _is_array_like(init) else 3
        else:
            _check_int(self.n_init, "n_init", 1)
            self._n_init = int(self.n_init)
        if _is_array_like(init) and self._n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{self.__class__.__name__} instead of n_init={self._n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._n_init = 1

        self._batch_size = min(self.batch_size, n_samples)
        init_size = self.init_size
        if init_size is None:
            init_size = 3 * self._batch_size
            if init_size < self.n_clusters:
                init_size = 3 * self.n_clusters
        elif init_size < self.n_clusters:
            warnings.warn(
                f"init_size={init_size} should be larger than n_clusters={self.n_clusters}. "
                "Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            init_size = 3 * self.n_clusters
        self._init_size = min(init_size, n_samples)

    def _validated_init_array(self, X):
        if _is_array_like(self.init):
            return self._check_init_centers(self.init, X, "init")
        return None

    # -- pieces of a fit --------------------------------------------------------

    def _initial_centers(self, X, sample_weight, init_array, random_state):
        """One init on a random subsample of ``_init_size`` rows (scikit-learn's ``_init_centroids``)."""
        n_samples = X.shape[0]
        if self._init_size < n_samples:
            rows = random_state.randint(0, n_samples, self._init_size)
            X = X[rows]
            sample_weight = sample_weight[rows]
        init = self.init
        if isinstance(init, str) and init == "k-means++":
            centers, _ = greedy_kmeans_plusplus(X, self.n_clusters, sample_weight, random_state)
        elif isinstance(init, str) and init == "random":
            centers = random_choice_init(X, self.n_clusters, sample_weight, random_state)
        elif init_array is not None:
            centers = init_array.copy()
        else:
            centers = self._check_init_centers(
                init(X, self.n_clusters, random_state=random_state), X, "the centers init returned"
            )
        return np.ascontiguousarray(centers, dtype=X.dtype)

    def _random_reassign(self):
        """Whether this step may reassign: some center is still empty, or 10*k rows were seen."""
        self._n_since_last_reassign += self._batch_size
        if (self._counts == 0).any() or self._n_since_last_reassign >= 10 * self.n_clusters:
            self._n_since_last_reassign = 0
            return True
        return False

    def _step(
        self, batch, weights, centers, centers_new, labels, random_state, reassign, inertia=True
    ):
        """One step (kernel), then the reassignment of low-count centers.

        Returns the batch inertia against the old centers (0.0 when
        ``inertia`` is False: ``partial_fit`` does not use it).
        """
        centers_c, norms = _centers_layout(centers)
        # One thread: a batch is too small for a parallel region to pay (on a
        # busy 2-core machine starting one cost ~5 ms, against 0.4 ms for the
        # whole step at d=64, k=64).
        labels_given = not inertia and batch.shape[0] >= PARALLEL_BATCH_ROWS
        if labels_given:
            label_batch_parallel(batch, centers_c, norms, labels)
        inertia = minibatch_step(
            batch,
            weights,
            centers,
            centers_new,
            centers_c,
            norms,
            self._counts,
            labels,
            inertia,
            labels_given,
        )
        if reassign and self.reassignment_ratio > 0:
            self._reassign(batch, centers_new, random_state)
        return float(inertia)

    def _reassign(self, batch, centers, random_state):
        """Move centers of too little weight onto random rows of the batch.

        Written with the NumPy calls scikit-learn makes (the comparison in the
        counts' dtype, the unstable ``argsort``, ``choice(..., replace=False)``,
        which shuffles the whole batch index), so the same centers move to
        the same rows. A moved center keeps the smallest weight among the
        others: with 0 it would be reassigned again at once.
        """
        counts = self._counts
        n_rows = batch.shape[0]
        threshold = self.reassignment_ratio * counts.max()  # a NumPy scalar: counts' dtype
        if not counts.min() < threshold:
            # No candidate (most steps once every center has weight): nothing
            # moves, no random draw, the counts stay (setting the candidates'
            # counts below is then a no-op). Two reductions instead of the
            # mask, sum and masked minimum: a tenth of a fit's Python time.
            return
        to_reassign = counts < threshold
        if to_reassign.sum() > 0.5 * n_rows:
            to_reassign[np.argsort(counts)[int(0.5 * n_rows) :]] = False
        n_reassigns = to_reassign.sum()
        if n_reassigns:
            new_rows = random_state.choice(n_rows, replace=False, size=n_reassigns)
            if self.verbose:
                print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")
            centers[to_reassign] = batch[new_rows]
        counts[to_reassign] = np.min(counts[~to_reassign])

    def _converged(self, step, n_steps, n_samples, centers_squared_diff, batch_inertia):
        """scikit-learn's stopping rule, in the same Python float arithmetic."""
        batch_inertia /= self._batch_size
        step += 1
        if step == 1:  # the first batch measures the init, not a step
            if self.verbose:
                print(f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}")
            return False
        if self._ewa_inertia is None:
            self._ewa_inertia = batch_inertia
        else:
            alpha = min(self._batch_size * 2.0 / (n_samples + 1), 1)
            self._ewa_inertia = self._ewa_inertia * (1 - alpha) + batch_inertia * alpha
        if self.verbose:
            print(
                f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}, "
                f"ewa inertia: {self._ewa_inertia}"
            )
        if self._tol > 0.0 and centers_squared_diff <= self._tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step}/{n_steps}")
            return True
        if self._ewa_inertia_min is None or self._ewa_inertia < self._ewa_inertia_min:
            self._no_improvement = 0
            self._ewa_inertia_min = self._ewa_inertia
        else:
            self._no_improvement += 1
        if self.max_no_improvement is not None and self._no_improvement >= self.max_no_improvement:
            if self.verbose:
                print(f"Converged (lack of improvement in inertia) at step {step}/{n_steps}")
            return True
        return False

    # -- fitting ----------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centers from random mini-batches of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Integers become float64; float32 stays float32.
            Never modified.
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; batches are drawn with probability
            proportional to them (and then count each drawn row once).

        Returns
        -------
        self : MiniBatchKMeans
            The fitted estimator.

        Raises
        ------
        ValueError
            On NaN/inf, empty or 1-D X, ``n_clusters`` outside ``1..n_samples``,
            bad sample weights or parameters, an init array of the wrong shape.
        """
        self._check_feature_names(X, reset=True)
        X = check_array(X, estimator=ESTIMATOR_NAME)
        self._check_params(X)
        random_state = check_random_state(self.random_state)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        init_array = self._validated_init_array(X)
        n_samples, n_features = X.shape

        with threads_for(self._init_size):
            centers = self._best_init(X, sample_weight, init_array, random_state)

        self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
        self._ewa_inertia = None
        self._ewa_inertia_min = None
        self._no_improvement = 0
        self._n_since_last_reassign = 0

        batch_size = self._batch_size
        n_steps = (self.max_iter * n_samples) // batch_size
        sampler = _RowSampler(sample_weight)
        unit_weights = np.ones(batch_size, dtype=X.dtype)
        batch = np.empty((batch_size, n_features), dtype=X.dtype)
        indices = np.empty(batch_size, dtype=np.int64)
        labels = np.empty(batch_size, dtype=np.int32)
        centers_new = np.empty_like(centers)
        with single_threaded_blas():
            for step in range(n_steps):
                sampler.draw(random_state, X, indices, batch)
                batch_inertia = self._step(
                    batch,
                    unit_weights,
                    centers,
                    centers_new,
                    labels,
                    random_state,
                    self._random_reassign(),
                )
                if self._tol > 0.0:
                    centers_squared_diff = np.sum((centers_new - centers) ** 2)
                else:
                    centers_squared_diff = 0
                centers, centers_new = centers_new, centers
                if self._converged(step, n_steps, n_samples, centers_squared_diff, batch_inertia):
                    break

        self.cluster_centers_ = centers
        self.n_steps_ = step + 1
        self.n_iter_ = int(np.ceil((step + 1) * batch_size / n_samples))
        self.n_features_in_ = n_features
        if self.compute_labels:
            with threads_for(n_samples):
                self.labels_, self.inertia_ = _labels_and_inertia(X, centers, sample_weight)
        else:
            if hasattr(self, "labels_"):
                del self.labels_
            ewa = self._ewa_inertia if self._ewa_inertia is not None else batch_inertia / batch_size
            self.inertia_ = float(ewa * np.sum(sample_weight))
        return self

    def _best_init(self, X, sample_weight, init_array, random_state):
        """The init of lowest inertia on a validation subsample (drawn even for one init)."""
        validation_rows = random_state.randint(0, X.shape[0], self._init_size)
        X_valid = X[validation_rows]
        weights_valid = sample_weight[validation_rows]
        labels_valid = np.empty(X_valid.shape[0], dtype=np.int32)
        best_centers, best_inertia = None, None
        for init_index in range(self._n_init):
            if self.verbose:
                print(f"Init {init_index + 1}/{self._n_init} with method {self.init}")
            centers = self._initial_centers(X, sample_weight, init_array, random_state)
            centers_c, norms = _centers_layout(centers)
            with single_threaded_blas():
                inertia = labels_and_inertia_serial(
                    X_valid, weights_valid, centers, centers_c, norms, labels_valid
                )
            if self.verbose:
                print(f"Inertia for init {init_index + 1}/{self._n_init}: {inertia}")
            if best_inertia is None or inertia < best_inertia:
                best_centers, best_inertia = centers, inertia
        return best_centers

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centers with one mini-batch: all rows of X, with their weights.

        The first call initialises the model from this batch (one init, on a
        subsample of ``init_size`` rows when the batch is larger). Each call
        is one step: no stopping rule applies, and ``n_steps_`` grows by one.
        The random state is created on the first call and kept, so a stream
        of calls with ``random_state`` set is reproducible.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The batch. After the first call it must have the same number of
            features; it is converted to the centers' dtype.
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MiniBatchKMeans
        """
        has_centers = hasattr(self, "cluster_centers_")
        self._check_feature_names(X, reset=not has_centers)
        if has_centers:
            X = check_array(X, estimator=ESTIMATOR_NAME, dtype=self.cluster_centers_.dtype)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {self.__class__.__name__} is expecting "
                    f"{self.n_features_in_} features as input."
                )
        else:
            X = check_array(X, estimator=ESTIMATOR_NAME)
        if not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        self.n_steps_ = getattr(self, "n_steps_", 0)

        # Batches of PARALLEL_BATCH_ROWS rows or more are labelled on every
        # thread (twice a call: the step, and labels_); smaller ones on one.
        with threads_for(X.shape[0], serial_below=PARALLEL_BATCH_ROWS), single_threaded_blas():
            if not has_centers:
                self._check_params(X)
                init_array = self._validated_init_array(X)
                self.cluster_centers_ = self._initial_centers(
                    X, sample_weight, init_array, self._random_state
                )
                self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
                self._n_since_last_reassign = 0
                self.n_features_in_ = X.shape[1]
            labels = np.empty(X.shape[0], dtype=np.int32)
            self._step(
                X,
                sample_weight,
                self.cluster_centers_,
                self.cluster_centers_,
                labels,
                self._random_state,
                self._random_reassign(),
                inertia=False,
            )
            if self.compute_labels:
                self.labels_, self.inertia_ = _labels_and_inertia(
                    X, self.cluster_centers_, sample_weight
                )
        self.n_steps_ += 1
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return ``labels_`` (needs ``compute_labels=True``)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    # -- using a fitted model ---------------------------------------------------

    # predict, score and get_feature_names_out document themselves in KMeans's
    # words (numpydoc, one page per method); the work is MiniBatchKMeans's own
    # kernels or KMeans's shared functions.
    def predict(self, X):
        """Nearest center of each sample of X (computed as the fit's ``labels_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
        """
        X = self._check_test_data(X)
        with threads_for(X.shape[0]):
            return _labels_and_inertia(X, self.cluster_centers_)[0]

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the (weighted) inertia of X on the fitted centers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``-sum_i w_i * min_j ||x_i - c_j||^2`` (higher is better).
        """
        X = self._check_test_data(X)
        # Weights far from 1 rescaled by an exact power of two, as KMeans.score does.
        sample_weight, weight_exponent = check_sample_weight(
            sample_weight, X.shape[0], X.dtype, rescale=True
        )
        with threads_for(X.shape[0]):
            _, inertia = _labels_and_inertia(X, self.cluster_centers_, sample_weight)
        return -_unscaled_inertia(inertia, weight_exponent)


# ---------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------


def partial_fit_stream(model, chunks: Iterable, *, sample_weight=None, max_rows=None):
    """Run ``model.partial_fit`` over every chunk of an iterable: mini-batch K-Means out of core.

    Only one chunk is in memory at a time, so a file too large for memory can
    be clustered by reading it in pieces (``pandas.read_csv(...,
    chunksize=...)``, ``pyarrow`` batches, the blocks of a Dask array).
    Each chunk is one ``partial_fit`` step; chunks larger than ``max_rows``
    are split into consecutive pieces of at most ``max_rows`` rows, one step
    each (a good choice is the model's ``batch_size``).

    Parameters
    ----------
    model : MiniBatchKMeans
        Updated in place (anything with ``partial_fit`` works).
    chunks : iterable
        Arrays or DataFrames of shape (rows, n_features), or
        ``(X, sample_weight)`` tuples. A Dask array is read block by block
        (``to_delayed``), in block order; a Dask DataFrame partition by
        partition.
    sample_weight : str or None, default=None
        For DataFrame chunks: the name of a column holding the weights (taken
        out of the features).
    max_rows : int or None, default=None
        Split chunks longer than this.

    Returns
    -------
    model
        The same model, after one ``partial_fit`` per (piece of a) chunk.

    Raises
    ------
    ValueError
        When the iterable yields no chunk, or ``max_rows`` < 1.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import MiniBatchKMeans, partial_fit_stream
    >>> rng = np.random.RandomState(0)
    >>> chunks = (rng.normal(size=(500, 2)) + 5 * (i % 2) for i in range(10))
    >>> model = partial_fit_stream(MiniBatchKMeans(2, random_state=0), chunks)
    >>> model.n_steps_
    10
    """
    if max_rows is not None:
        _check_int(max_rows, "max_rows", 1)
    n_chunks_seen = 0
    for chunk in _iterate_chunks(chunks):
        if isinstance(chunk, tuple):
            X, weights = chunk
        elif sample_weight is not None:
            if not hasattr(chunk, "columns") or sample_weight not in chunk.columns:
                raise ValueError(
                    f"sample_weight={sample_weight!r} names a column, but chunk "
                    f"{n_chunks_seen} has no such column."
                )
            X, weights = chunk.drop(columns=[sample_weight]), chunk[sample_weight].to_numpy()
        else:
            X, weights = chunk, None
        n_rows = len(X)
        step = n_rows if max_rows is None else max_rows
        for start in range(0, n_rows, max(step, 1)):
            piece = (
                X[start : start + step] if not hasattr(X, "iloc") else X.iloc[start : start + step]
            )
            piece_weights = None if weights is None else np.asarray(weights)[start : start + step]
            model.partial_fit(piece, sample_weight=piece_weights)
        n_chunks_seen += 1
    if n_chunks_seen == 0:
        raise ValueError("partial_fit_stream: chunks yielded no data (an empty iterable).")
    return model


def _iterate_chunks(chunks):
    """Chunks as in-memory arrays/DataFrames: Dask collections computed one block at a time."""
    if hasattr(chunks, "to_delayed") and hasattr(chunks, "divisions"):  # dask DataFrame
        for partition in chunks.to_delayed():
            yield partition.compute()
        return
    if hasattr(chunks, "to_delayed") and hasattr(chunks, "chunks"):  # dask Array
        if chunks.ndim != 2:
            raise ValueError(f"A Dask array of chunks must be 2-D, got {chunks.ndim}-D.")
        blocks = chunks.to_delayed()
        for row_blocks in blocks:
            if len(row_blocks) == 1:
                yield row_blocks[0].compute()
            else:  # several column blocks: put the row block back together
                yield np.hstack([block.compute() for block in row_blocks])
        return
    yield from chunks
