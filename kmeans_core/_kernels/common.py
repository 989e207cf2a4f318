"""Small numba kernels shared by the algorithms, the estimator and the metrics.

All kernels assume prepared input: ``X`` C-contiguous float32/float64 without
NaN, ``centers`` of the same dtype, ``labels`` int32, ``sample_weight`` of X's
dtype. The Python layer (``_kmeans.py``, ``_iterations.py``) validates; nothing
here checks.

Here: a chunk's rows as float64 and a row's squared norm (where every
BLAS-ranked pass starts), the inertia per chunk, Euclidean distances to the
centres (``transform``), label bookkeeping, and the centring pass of a fit's
private copy.

Determinism: every reduction over samples is split into fixed chunks of rows;
each chunk writes its own slot of a partial buffer and the slots are summed
serially in chunk order, so results are bitwise identical whatever the number
of threads.

Precision: *which* centre is nearest is decided in ``_kernels/distances.py`` (the tie
rule: the fast paths rank by the expanded form ``|c|^2 - 2 x.c`` and settle
near-ties by the direct distance). The *values* computed here (inertia,
``transform``) are direct, ``sum((x - c) ** 2)``, which does not cancel as
``|x|^2 - 2 x.c + |c|^2`` does in float32. Sums over samples are accumulated in
float64 for both dtypes.
"""

from __future__ import annotations

import numpy as np
from numba import prange, types
from numba.extending import overload

from kmeans_core._kernels.jit import (
    CHUNK_ROWS,
    OVERLOAD_OPTIONS,
    VECTOR_SUMS,
    jit,
    jit_parallel,
    one_chunk_twin,
    serial,
)


def rows_as_float64(X, start, stop):
    """Rows ``start:stop`` of X as float64: a view for float64 X, a copy for float32."""
    return np.asarray(X[start:stop], dtype=np.float64)


@overload(rows_as_float64, jit_options=OVERLOAD_OPTIONS)
def _rows_as_float64_kernel(X, start, stop):
    # Chosen at compile time from X's dtype, so float64 data is never copied.
    if X.dtype == types.float64:
        return lambda X, start, stop: X[start:stop]
    return lambda X, start, stop: X[start:stop].astype(np.float64)


@jit
def centered_value(X, mean, i, f):
    """``X[i, f] - mean[f]`` in X's dtype: the value a fit's private centred copy would hold.

    For kernels that centre rows as they read them (``mean`` given) instead
    of reading a centred copy (``mean`` None, a type numba compiles the
    other branch away for). Its own strict function, not inlined by numba,
    for the relaxed callers (``VECTOR_SUMS``): written out there, the
    subtraction would take their flags and could be regrouped with their
    own arithmetic (``(x - m) - c`` as ``x - (m + c)``), a different value.
    Strict kernels write the subtraction out instead: in their hot loops
    the call kept the loop from being one vector stream (``hamerly_pass``'s
    gather and sum slots ran twice as slow).
    """
    return X[i, f] - mean[f]


@jit(inline="always")
def chunk_count(n_rows, chunk_rows):
    """How many chunks of ``chunk_rows`` rows cover ``n_rows`` rows (none for no rows).

    The kernels' count; Python code sizes its buffers with ``_kernels.jit.n_chunks``
    (at least one chunk, so that an empty input still sums to a zero slot).
    """
    return (n_rows + chunk_rows - 1) // chunk_rows


@jit(inline="always")
def chunk_span(chunk, chunk_rows, n_rows):
    """``(start, stop)``: the rows of chunk ``chunk`` when ``n_rows`` rows are cut every ``chunk_rows``.

    How every chunked kernel walks its rows (the last chunk may be short).
    Inlined by numba, so a call costs nothing over writing it out.
    """
    start = chunk * chunk_rows
    stop = start + chunk_rows
    return start, n_rows if n_rows < stop else stop


@jit(inline="always")
def chunk_index(chunk):
    """A ``prange`` index as int64, for passing on to a compiled function.

    numba types a ``prange`` body twice: in the kernel (the index int64) and
    in the parallel function it builds from it (the index uint64). A
    compiled function called with the bare index is then compiled for both
    types, about a second of a cold first fit each for ``lloyd_chunk`` and
    ``refresh_chunk_sums``; through this, once.
    """
    return np.int64(chunk)


@jit
def largest_value(values):
    """The largest value of a non-empty 1-D array.

    A loop, not ``values.max()``: numba's generic reduction (NaN handling,
    any dtype and layout) took 0.34 s to compile, on the first fit of a
    fresh machine, for a maximum over ``k`` values.
    """
    result = values[0]
    for i in range(1, values.shape[0]):
        if values[i] > result:
            result = values[i]
    return result


def centered_rows(rows, centering):
    """``rows - centering`` in the rows' dtype (the centred copy's values), or ``rows`` for None.

    For fits that read X itself and subtract its column means as they go
    (``_iterations.centers_rows_as_read``): rows taken from X as centres.
    """
    return rows if centering is None else rows - centering


@jit(inline="always")
def _squared_value(rows, mean, r, f):
    """``float64(rows[r, f] - mean[f])`` squared, or ``float64(rows[r, f])`` squared for a None mean."""
    if mean is None:
        value = np.float64(rows[r, f])
    else:
        value = np.float64(rows[r, f] - mean[f])
    return value * value


@jit(inline="always")
def row_squared_norm(rows, mean, r):
    """``|rows[r] - mean|^2`` in float64, summed feature by feature in order (the same bits at every call site).

    ``mean``: None (the row itself), or column means subtracted from each
    value as it is read, in the rows' dtype (the fit's centred copy's
    values). Each value is taken as float64 first, so float32 rows get the
    norms of their float64 values, which is what the rankings compute (they
    rank float64 copies of float32 rows: ``rows_as_float64``).
    """
    total = 0.0
    for f in range(rows.shape[1]):
        total += _squared_value(rows, mean, r, f)
    return total


# From this many features, :func:`row_squared_norms_of_block` sums eight rows
# side by side. A row's norm is a chain of dependent additions (strict order),
# which runs at the adder's latency; eight independent chains keep it busy.
# Each row is still summed feature by feature from 0.0: the same bits. Measured
# (one thread, a block of 1,024 rows, min of 300, the AMD EPYC host of
# 2026-12-04), one row at a time against eight: d = 16 5.2 -> 3.6 us, d = 32
# 17.3 -> 9.5 us, d = 128 88.8 -> 38.4 us, d = 300 232.5 -> 58.7 us; d = 8 2.2
# -> 2.0 us, but on the Intel host an earlier attempt made a pass at 1e6 x 8
# slower (6.5 -> 7.9 ms), so narrower rows keep one at a time. That is on a
# block in cache (the ranking's, just multiplied); a pass streaming X from
# memory ran slower eight rows at a time (:func:`row_squared_norms`).
ROW_NORMS_SIDE_BY_SIDE_FEATURES = 16


@jit(inline="always")
def row_squared_norms_of_block(rows, mean, out):
    """``out[r] = row_squared_norm(rows, mean, r)`` for every row of the block: the same bits.

    ``mean``: None, or column means subtracted from each value as it is read
    (in the rows' dtype): the norms :func:`row_squared_norms` gives with it.
    """
    n_rows, n_features = rows.shape
    r = 0
    if n_features >= ROW_NORMS_SIDE_BY_SIDE_FEATURES:
        while r + 8 <= n_rows:
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            for f in range(n_features):
                s0 += _squared_value(rows, mean, r, f)
                s1 += _squared_value(rows, mean, r + 1, f)
                s2 += _squared_value(rows, mean, r + 2, f)
                s3 += _squared_value(rows, mean, r + 3, f)
                s4 += _squared_value(rows, mean, r + 4, f)
                s5 += _squared_value(rows, mean, r + 5, f)
                s6 += _squared_value(rows, mean, r + 6, f)
                s7 += _squared_value(rows, mean, r + 7, f)
            out[r] = s0
            out[r + 1] = s1
            out[r + 2] = s2
            out[r + 3] = s3
            out[r + 4] = s4
            out[r + 5] = s5
            out[r + 6] = s6
            out[r + 7] = s7
            r += 8
    for rest in range(r, n_rows):
        out[rest] = row_squared_norm(rows, mean, rest)


@jit_parallel
def row_squared_norms(X, mean, out):
    """``out[i] = |X[i]|^2`` (float64), each summed feature by feature in order.

    ``mean``: None, or X's column means, subtracted from each value as it
    is read (in X's dtype, as the fit's centred copy holds it): the norms
    of the centred rows, bit for bit, without the copy.

    One row at a time, not
    :func:`kmeans_core._kernels.common.row_squared_norms_of_block`'s eight side
    by side: this pass streams X from memory, where eight rows read at
    once (eight streams a row's width apart) ran slower than one, though
    faster on a block already in cache. Two threads, 100 MB of X from
    memory, best of 9, AMD host: d = 16 3.5 against 3.7 ms (eight against
    one), d = 32 5.2 against 3.7, d = 64 11.6 against 3.7, d = 128 8.3
    against 4.5, d = 300 4.3 against 4.7. The same bits either way.
    """
    n_samples = X.shape[0]
    for chunk in prange(chunk_count(n_samples, CHUNK_ROWS)):
        start, stop = chunk_span(chunk, CHUNK_ROWS, n_samples)
        for i in range(start, stop):
            out[i] = row_squared_norm(X, mean, i)


@jit
def squared_distances_to_centers(x_row, centers_t, out):
    """Squared distances from one sample to every center.

    ``centers_t`` is the (n_features, n_clusters) transpose of the centers: the
    inner loop then runs over clusters with independent accumulators, which
    LLVM vectorizes without reordering any floating-point sum (each distance
    is still summed feature by feature, in order).
    """
    n_features, n_clusters = centers_t.shape
    for j in range(n_clusters):
        out[j] = 0.0
    for f in range(n_features):
        value = np.float64(x_row[f])
        for j in range(n_clusters):
            diff = value - centers_t[f, j]
            out[j] += diff * diff


# ``reassoc``/``contract`` (no ``nnan``/``ninf``): summed strictly in order,
# each row's features form one chain of dependent additions and the pass ran
# at the adder's latency (5.1 ms at n=1e6, d=8); reassociated it runs in
# vector lanes (2.1 ms). The compiled order is fixed, whatever the thread count.
@jit_parallel
def inertia_per_chunk(X, mean, sample_weight, centers, labels, chunk_inertia):
    """Weighted squared distance of each sample to its own center, summed per chunk.

    ``mean``: None when X is centred, else the mean to subtract from its
    rows as they are read (:func:`centered_value`): the same bits.
    """
    for chunk in prange(chunk_inertia.shape[0]):
        start, stop = chunk_span(chunk, CHUNK_ROWS, X.shape[0])
        chunk_inertia[chunk] = inertia_of_rows(X, mean, sample_weight, centers, labels, start, stop)


@one_chunk_twin(inertia_per_chunk)
def inertia_of_one_chunk(X, mean, sample_weight, centers, labels, chunk_inertia):
    """:func:`inertia_per_chunk` for X of at most ``CHUNK_ROWS`` rows: the same bits.

    The one chunk's sum by the very kernel that sums each chunk of
    :func:`inertia_per_chunk` and of its serial twin, called from Python:
    a first fit on a small table compiles no kernel around it (0.1 s).
    """
    chunk_inertia[0] = inertia_of_rows(X, mean, sample_weight, centers, labels, 0, X.shape[0])


@jit(fastmath=VECTOR_SUMS)
def inertia_of_rows(X, mean, sample_weight, centers, labels, start, stop):
    """``sum w_i ||x_i - c_{l_i}||^2`` over rows ``start:stop``, in float64.

    One chunk of :func:`inertia_per_chunk`, a kernel of its own so that a
    pass which labels a chunk can sum its inertia too (``_minibatch``).
    ``mean`` as in :func:`inertia_per_chunk`.
    """
    total = 0.0
    for i in range(start, stop):
        j = labels[i]
        squared = 0.0
        for f in range(X.shape[1]):
            if mean is None:
                value = np.float64(X[i, f])
            else:
                value = np.float64(centered_value(X, mean, i, f))
            diff = value - np.float64(centers[j, f])
            squared += diff * diff
        total += sample_weight[i] * squared
    return total


@jit_parallel
def euclidean_distances_to_centers(X, centers_t, out):
    """Euclidean (not squared) distances of every sample to every center."""
    n_samples = X.shape[0]
    n_clusters = centers_t.shape[1]
    for chunk in prange(chunk_count(n_samples, CHUNK_ROWS)):
        start, stop = chunk_span(chunk, CHUNK_ROWS, n_samples)
        distances = np.empty(n_clusters, dtype=np.float64)
        for i in range(start, stop):
            squared_distances_to_centers(X[i], centers_t, distances)
            for j in range(n_clusters):
                out[i, j] = np.sqrt(distances[j])


@jit
def is_same_clustering(labels_a, labels_b, mapping):
    """True when two labellings are equal up to a renaming of the clusters.

    ``mapping`` is an int64 scratch buffer of one entry per cluster, all -1,
    from the caller: ``np.full`` here compiled numba's fill function, 0.3 s
    of a first fit with restarts on a fresh machine.
    """
    for i in range(labels_a.shape[0]):
        a = labels_a[i]
        if mapping[a] == -1:
            mapping[a] = labels_b[i]
        elif mapping[a] != labels_b[i]:
            return False
    return True


@jit
def n_distinct_labels(labels, n_clusters):
    """How many of the labels ``0..n_clusters-1`` occur in ``labels``.

    Stops at the first row where all have been seen (a few hundred rows on
    most data, where ``np.bincount`` reads all n: 1.5 ms at n=1e6).
    """
    # A float64 buffer: its np.empty is compiled already by the fit's other
    # kernels, where np.zeros of bools compiled three more functions (0.2 s
    # of a first fit on a fresh machine).
    seen = np.empty(n_clusters)
    for j in range(n_clusters):
        seen[j] = 0.0
    distinct = 0
    for i in range(labels.shape[0]):
        if seen[labels[i]] == 0.0:
            seen[labels[i]] = 1.0
            distinct += 1
            if distinct == n_clusters:
                break
    return distinct


def distinct_label_count(labels, n_clusters):
    """:func:`n_distinct_labels`; for at most one chunk of rows, counted by NumPy.

    ``np.bincount`` reads every label, microseconds on one chunk, and a first
    fit on a small table then compiles no kernel for it (0.08 s on the 2-core
    benchmark machine). Beyond a chunk, the kernel's early stop pays.
    """
    if labels.shape[0] <= CHUNK_ROWS:
        return int(np.count_nonzero(np.bincount(labels, minlength=n_clusters)))
    return int(n_distinct_labels(labels, n_clusters))


@jit_parallel
def column_sums_per_chunk(X, chunk_sums):
    """Per-chunk column sums (float64) of X; add the rows of ``chunk_sums`` in order for the total."""
    for chunk in prange(chunk_sums.shape[0]):
        _reduce_columns_of_chunk(X, chunk, chunk_sums, _add)


@jit_parallel
def column_extremes_per_chunk(X, chunk_extremes):
    """Per-chunk largest ``|x|`` of each column (float64), without a temporary copy of X."""
    for chunk in prange(chunk_extremes.shape[0]):
        _reduce_columns_of_chunk(X, chunk, chunk_extremes, _larger_magnitude)


@jit(inline="always")
def _reduce_columns_of_chunk(X, chunk, out, step):
    """``out[chunk, f] = step(... step(step(0, x_0f), x_1f) ...)`` over the chunk's rows, in order.

    The walk both column reductions share; ``step`` is a jitted function of
    (running value, element), compiled into each caller.
    """
    start, stop = chunk_span(chunk, CHUNK_ROWS, X.shape[0])
    for f in range(X.shape[1]):
        out[chunk, f] = 0.0
    for i in range(start, stop):
        for f in range(X.shape[1]):
            out[chunk, f] = step(out[chunk, f], X[i, f])


@jit(inline="always")
def _add(total, value):
    return total + value


@jit(inline="always")
def _larger_magnitude(largest, value):
    magnitude = abs(np.float64(value))
    return magnitude if magnitude > largest else largest


@jit_parallel
def center_into(X, mean, out, chunk_sums, chunk_squares, chunk_extremes):
    """``out = X - mean`` (in X's dtype), with per-chunk column sums, sums of squares and max |.|.

    One read of X and one write of ``out`` make the fit's private centered
    copy. The sums give the column variances in the same pass
    (``var = E[y^2] - E[y]^2`` for the centered ``y``, where ``E[y]`` is
    only rounding noise, so nothing cancels); the largest absolute values
    bound every squared distance (the overflow check).
    """
    for chunk in prange(chunk_sums.shape[0]):
        _center_chunk(X, mean, out, chunk, chunk_sums, chunk_squares, chunk_extremes, True)


@jit_parallel
def centering_statistics(X, mean, chunk_sums, chunk_squares, chunk_extremes, row_norms):
    """:func:`center_into`'s per-chunk statistics of ``X - mean``, without writing the copy.

    For a fit that centres rows as it reads them: the same values, summed
    in the same order, so the same variances and overflow check.
    ``row_norms``: empty, or filled with the centred rows' squared norms
    (:func:`row_squared_norms` with ``mean``: the same bits), each chunk's
    as soon as its statistics are taken, while its rows are in cache, eight
    rows side by side (see ``ROW_NORMS_SIDE_BY_SIDE_FEATURES``) instead of
    a read of X of their own.
    """
    n_samples = X.shape[0]
    for chunk in prange(chunk_sums.shape[0]):
        _center_chunk(X, mean, X, chunk, chunk_sums, chunk_squares, chunk_extremes, False)
        if row_norms.shape[0] > 0:
            start, stop = chunk_span(chunk, CHUNK_ROWS, n_samples)
            row_squared_norms_of_block(X[start:stop], mean, row_norms[start:stop])


@jit(inline="always")
def _center_chunk(X, mean, out, chunk, chunk_sums, chunk_squares, chunk_extremes, write):
    """One chunk of :func:`center_into` (``write``: a literal at each caller, so compiled away)."""
    n_samples, n_features = X.shape
    start, stop = chunk_span(chunk, CHUNK_ROWS, n_samples)
    for f in range(n_features):
        chunk_sums[chunk, f] = 0.0
        chunk_squares[chunk, f] = 0.0
        chunk_extremes[chunk, f] = 0.0
    for i in range(start, stop):
        for f in range(n_features):
            value = X[i, f] - mean[f]
            if write:
                out[i, f] = value
            value64 = np.float64(value)
            chunk_sums[chunk, f] += value64
            chunk_squares[chunk, f] += value64 * value64
            chunk_extremes[chunk, f] = _larger_magnitude(chunk_extremes[chunk, f], value64)


# Up to this many features the column sums come from the centring kernel's
# twin; beyond, its extra work (the copy, squares and extremes it writes to
# scratch) costs more than the compile it saves (+8 us a fit at 1,000 x 8,
# +2 us at 1,000 x 2, within the noise of a whole fit; the column sums' own
# twin compiles in 0.15-0.17 s), and the column sums' own twin runs. Both
# add the same values in the same order: the same bits.
_CENTRING_SUMS_MAX_FEATURES = 16


@one_chunk_twin(column_sums_per_chunk)
def column_sums_of_one_chunk(X, chunk_sums):
    """:func:`column_sums_per_chunk` for X of at most ``CHUNK_ROWS`` rows: the same bits.

    The column sums of :func:`center_into`'s serial twin about a zero mean,
    the kernel a fit's centring runs next on the same table: a first fit on
    a small table compiles one kernel for both (the column sums' own twin
    took 0.14 s on the 2-core benchmark machine). ``x - 0.0`` is ``x`` for
    every ``x`` (``-0.0`` too), so the twin adds the very values, in the
    same order from 0.0; its other outputs go to scratch buffers.
    """
    n_features = X.shape[1]
    if n_features > _CENTRING_SUMS_MAX_FEATURES:
        serial(column_sums_per_chunk)(X, chunk_sums)
        return
    scratch = np.empty((1, n_features))
    serial(center_into)(
        X,
        np.zeros(n_features, dtype=X.dtype),
        np.empty_like(X),
        chunk_sums,
        scratch,
        np.empty_like(scratch),
    )
