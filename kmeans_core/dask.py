"""K-Means on Dask collections: the in-memory fit, block by block, without gathering the data.

:meth:`kmeans_core.KMeans.fit` hands a ``dask.array`` or ``dask.dataframe`` here
(detected without importing Dask, so ``kmeans_core`` works without it).
Every pass over the data is one Dask graph: a task per block runs the very
numba kernel the in-memory fit runs (``_kernels.lloyd.lloyd_chunk`` on each chunk of
the block's rows) and returns its per-chunk partial sums; the client stacks
those partials in block order and reduces them with ``_kernels.lloyd.reduce_chunks``.
The shape of that reduction is fixed by the block order, so the answer does
not depend on how the scheduler ran the tasks, on which worker, or on how
many there were. A Lloyd iteration, a k-means|| round and each centering
pass are one round trip (with k-means|| the variances' pass rides on the
first round): one graph of a task per block; or, on a ``distributed``
cluster holding X in memory, one call on a runner per worker
(``_BlockRunner``, a Dask actor), which runs the same block functions over
the blocks its worker holds, a group per worker thread, without the
scheduler's task bookkeeping (counted in ``tests/test_dask.py``). Should a
runner fail or a block move, the passes go back to tasks.

Exactness. The in-memory fit cuts the rows into fixed chunks (``chunk_rows``
rows for the Lloyd sums, ``CHUNK_ROWS`` for the column means, the variances
and the inertia) and adds the chunk partials in chunk order. A block whose
row count is a multiple of those chunk lengths produces exactly the chunks
the in-memory fit would, so the Dask fit is then bitwise the in-memory one
(``labels_``, ``cluster_centers_``, ``inertia_``, ``n_iter_``). Other
layouts only regroup the same additions: centers agree to rounding and the
labels are the same unless a point sits on a boundary to within rounding.

Iterations. Lloyd's (``_lloyd_block``), or Hamerly's bounds per block
(``_hamerly_block``, the in-memory ``_kernels.bounds.hamerly_pass``) where X
is held in memory: ``_resolved_algorithm`` says which ``algorithm="auto"``
runs and why. Either way each block returns only the sums of the clusters
that rows left or joined, chunk by chunk (``_changed_sums``;
``_KeptChunkSums`` keeps the rest in the client), and the answer is the
same, bit for bit. On a ``distributed`` cluster holding X, a pass goes to
the runners, or as futures on the blocks (``_DaskFit._group_pass``).

Memory. Between passes only the labels (4 bytes a row; during the
k-means|| seeding, each row's squared distance to its nearest candidate and
that candidate's index, 10 bytes; in a Hamerly run, the block's state: ``hamerly_state_bytes``) stay on
the workers, in the memory of the process that computed them (``_keep``:
outside Dask's own, and never needed for the answer, only to save work); a
NumPy ``sample_weight`` is persisted once (8 bytes a row).
The data are read afresh by each pass (from zarr, Parquet, or whatever graph
built them), so a dataset larger than the workers' memory streams through
them. Persist X yourself when it fits: every pass then reads memory instead
of storage, and each block's next pass runs where its labels are.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import functools
import os
import threading
import typing
import uuid
import warnings

import numpy as np

from kmeans_core._iterations import (
    _converged,
    assign_labels,
    bounds_can_pay,
    centers_rows_as_read,
    distances_to_centers_of,
    fit_row_norms,
    inertia_kernel,
    mean_centers,
    memory_budget_bytes,
    move_to_empty_clusters,
    norms_to_fill,
    report_iteration,
    row_norms_kept,
    squared_distance_bound,
    squared_norms,
    sum_slots_per_chunk,
    transposed,
)
from kmeans_core._kernels.bounds import (
    SUMS_NONE,
    SUMS_REFRESH,
    KeptSums,
    empty_sum_slots,
    half_separations,
    hamerly_pass,
)
from kmeans_core._kernels.common import (
    center_into,
    column_sums_per_chunk,
    euclidean_distances_to_centers,
)
from kmeans_core._kernels.distances import center_shifts, narrow_rows
from kmeans_core._kernels.jit import chunk_rows_for, jit, n_chunks, one_numba_thread
from kmeans_core._kernels.lloyd import (
    ChunkPartials,
    labels_only_partials,
    lloyd_pass_centering,
    reduce_chunks,
)
from kmeans_core._kernels.seeding import (
    _weighted_draw,
    local_trials,
    oversampled_rows,
    round_key,
)
from kmeans_core._kmeans import (
    ConvergenceWarning,
    _interoperable_class,
    _is_array_like,
    _unscaled_inertia,
)
from kmeans_core._kmeans import KMeans as _InMemoryKMeans
from kmeans_core._kmeans_parallel import (
    KMEANS_PARALLEL_ROUNDS,
    OVERSAMPLING_FACTOR,
    centers_from_candidates,
    first_draws,
    nearer_candidates,
)
from kmeans_core._validation import (
    _WEIGHT_EXPONENT_LIMIT,
    check_random_state,
    check_sample_weight,
)

__all__ = ["KMeans", "is_dask_collection"]


def is_dask_collection(value) -> bool:
    """True for a Dask array, DataFrame or Series; never imports Dask to find out."""
    module = type(value).__module__ or ""
    return module.split(".")[0] == "dask" and hasattr(value, "__dask_graph__")


# ---------------------------------------------------------------------------
# The process settings a kernel task runs under: one thread, a heap for temporaries
# ---------------------------------------------------------------------------
# Dask already runs blocks in parallel (a thread or a process per task). Left
# alone, every task would also start numba's thread pool and OpenBLAS's, and
# the three pools would fight for the same cores. Inside a task the kernels run
# on the calling thread: numba's thread count is thread-local, BLAS's is
# process-wide, so the BLAS limit is held while any task of this process runs
# and restored when the last one ends (a plain ``with limit`` per task would
# restore the wrong value when tasks overlap).
#
# The allocator, likewise. distributed's nanny starts its workers with
# MALLOC_TRIM_THRESHOLD_=65536 (to hand freed memory back to the OS), and any
# glibc malloc threshold set from the environment turns off glibc's dynamic
# mmap threshold: every allocation of 128 KiB or more then becomes an mmap and
# a munmap, with fresh page faults each time. The Lloyd kernel makes one such
# temporary per 1024-row chunk (the chunk's products with the centers, 1024 x k
# float64: 128 KiB at k=16), and a pass ran 2.4x slower in such a process
# (25,000 x 8, k=16, one thread: 3.07 ms against 1.22 ms; 1.30 ms with the mmap
# threshold raised). While any task runs, the mmap threshold is raised to
# glibc's largest (32 MiB) and afterwards put back to glibc's default; the trim
# threshold is left alone, so freed memory still goes back to the OS.

_task_lock = threading.Lock()
_task_users = 0
_blas_limiter = None
_blas_controller = None

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
_MMAP_THRESHOLD_DEFAULT = 128 * 2**10  # glibc's DEFAULT_MMAP_THRESHOLD_MIN
_MMAP_THRESHOLD_DURING_TASKS = 32 * 2**20  # glibc's largest (HEAP_MAX_SIZE / 2, 64-bit)


@functools.cache
def _fixed_mmap_threshold_mallopt():
    """The C library's ``mallopt`` (glibc) when the environment fixed its thresholds, else None.

    Only then is the mmap threshold static (at glibc's default); one the
    user set (MALLOC_MMAP_THRESHOLD_) is theirs to keep. Read once: glibc
    reads the environment once, at start.
    """
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or not any(
        name in os.environ
        for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
    ):
        return None
    try:
        return ctypes.CDLL(None).mallopt  # glibc only: AttributeError elsewhere
    except (OSError, AttributeError, TypeError):
        return None


@contextlib.contextmanager
def _kernel_task():
    """Run a task's kernels on the calling thread, with heap temporaries (see above)."""
    global _task_users, _blas_limiter, _blas_controller
    with _task_lock:
        if _task_users == 0:
            if _blas_controller is None:
                import scipy.linalg.cython_blas  # noqa: F401  (loaded so threadpoolctl sees it)
                from threadpoolctl import ThreadpoolController

                _blas_controller = ThreadpoolController()
            _blas_limiter = _blas_controller.limit(limits=1, user_api="blas")
            mallopt = _fixed_mmap_threshold_mallopt()
            if mallopt is not None:
                mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_DURING_TASKS)
        _task_users += 1
    try:
        with one_numba_thread():
            yield
    finally:
        with _task_lock:
            _task_users -= 1
            if _task_users == 0:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None
                mallopt = _fixed_mmap_threshold_mallopt()
                if mallopt is not None:
                    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_DEFAULT)


# ---------------------------------------------------------------------------
# Per-block state kept between passes, in the process that computed it
# ---------------------------------------------------------------------------
# A Lloyd pass over a block needs the block's labels from the pass before (to
# count the labels that changed: the strict-convergence test); a k-means||
# round needs each row's squared distance to its nearest candidate so far.
# Returned as a Dask result beside the small results, such state costs two
# more tasks per block and pass (one to split it from the rest, one to persist
# it) and a second round trip (persist, then compute): 49 tasks and 2 round
# trips a Lloyd iteration at 16 blocks, against 16 tasks and 1 round trip this
# way. Here the task keeps the state in the memory of the process that ran it
# and returns only what the client needs. The next pass over that block
# normally runs in the same process (its data are there, so Dask schedules it
# there); when it does not (work stolen by another worker, a worker lost and
# replaced, a task run twice, another process of the ``processes``
# scheduler), it finds nothing and computes the state again from what the
# client sends every pass (the previous centers; the candidates drawn so far)
# with the very kernels that made it: the same values, bit for bit, at the
# cost of more work. So the cache only ever saves work; the answer never
# depends on it. A process keeps the state of its last ``KEPT_RUNS`` runs at
# most, which bounds what an interrupted fit can leave behind; a run that ends
# removes its state as its final pass reads it.

KEPT_RUNS = 4
_kept_lock = threading.Lock()
_kept = collections.OrderedDict()  # run id -> {block index: (step, value)}
# Diagnostics (tests): block states computed again for want of a kept one, and
# passes run by this process's block runners.
_counts = collections.Counter()


def _keep(run_id, block_index, step, value):
    """Keep a block's state after pass ``step`` for the next pass of run ``run_id``."""
    with _kept_lock:
        blocks = _kept.get(run_id)
        if blocks is None:
            blocks = _kept[run_id] = {}
            while len(_kept) > KEPT_RUNS:
                _kept.popitem(last=False)
        blocks[block_index] = (step, value)


def _kept_value(run_id, block_index, step, *, take):
    """The state kept for (run, block) after pass ``step``, or None; ``take`` removes it.

    A state kept after any other pass does not answer (a task run twice finds
    its own pass's state, not the previous pass's).
    """
    with _kept_lock:
        blocks = _kept.get(run_id, {})
        entry = blocks.get(block_index)
        if entry is None or entry[0] != step:
            return None
        if take:
            del blocks[block_index]
            if not blocks:
                del _kept[run_id]
        return entry[1]


def _forget(run_id, block_index):
    with _kept_lock:
        blocks = _kept.get(run_id, {})
        blocks.pop(block_index, None)
        if not blocks:
            _kept.pop(run_id, None)


def _forget_run(run_id):
    """Drop every block state of run ``run_id`` this process still keeps."""
    with _kept_lock:
        _kept.pop(run_id, None)
    return True


def _count(what):
    with _kept_lock:
        _counts[what] += 1


def recomputed_labels_count():
    """How many block assignments this process ran again because their labels were elsewhere."""
    return _counts["labels"]


def runner_passes_count():
    """How many passes this process's block runners (``_BlockRunner``) ran (diagnostics, tests)."""
    return _counts["runner passes"]


def recomputed_distances_count():
    """How many blocks' k-means|| distances this process computed again (they were elsewhere)."""
    return _counts["distances"]


# ---------------------------------------------------------------------------
# Input: a row-blocked Dask array of numbers, its blocks and their offsets
# ---------------------------------------------------------------------------


class _Blocks:
    """X as a list of row blocks (Dask delayed objects) with their global row offsets.

    ``dtype`` is the float dtype the fit works in (float32 stays float32,
    everything else numeric becomes float64, as in memory). Blocks are
    converted inside the tasks that read them, never in the client.
    """

    def __init__(self, array, dtype):
        self.array = array
        self.dtype = np.dtype(dtype)
        self.n_samples, self.n_features = (int(s) for s in array.shape)
        row_counts = [int(c) for c in array.chunks[0]]
        delayed_blocks = array.to_delayed().ravel()
        # Empty blocks contribute nothing (and the kernels want at least one row).
        kept = [b for b, rows in enumerate(row_counts) if rows > 0]
        self.blocks = [delayed_blocks[b] for b in kept]
        self.keys = [block.key for block in self.blocks]
        self.rows = [row_counts[b] for b in kept]
        self.offsets = [int(o) for o in np.cumsum([0] + row_counts)[:-1][kept]] if kept else []

    def __len__(self):
        return len(self.blocks)


def _as_float_block(block, dtype):
    return np.ascontiguousarray(block, dtype=dtype)


def _centered_block(block, mean, dtype):
    # The same single subtraction, in X's dtype, as center_into's ``X[i, f] - mean[f]``.
    return _as_float_block(block, dtype) - mean


def _rows_of_block(block, rows):
    return np.asarray(block[rows])


def _unit_weights_or(weight_block, n_rows, dtype):
    if weight_block is None:
        return np.ones(n_rows, dtype=dtype)
    return np.ascontiguousarray(weight_block, dtype=dtype)


def _dask_imports():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise ImportError(
            "Fitting a Dask collection needs dask: pip install 'kmeans-core[dask]'."
        ) from exc
    return dask, da


def _as_dask_matrix(X, name="X"):
    """X as a 2-D Dask array of numbers, chunked along rows only; ValueError otherwise.

    Dask DataFrames become arrays with known block lengths (one pass to count
    the rows of each partition). Non-numeric columns, 1-D input and unknown
    chunk sizes are refused here, before any pass over the data.
    """
    _, da = _dask_imports()
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a Dask DataFrame
        bad = [str(c) for c, t in X.dtypes.items() if not _numeric_dtype(t)]
        if bad:
            raise ValueError(
                f"{name} must contain numbers only; these columns are not numeric: "
                f"{', '.join(bad[:10])}{', ...' if len(bad) > 10 else ''}. Encode or drop them first."
            )
        X = X.to_dask_array(lengths=True)
    elif hasattr(X, "to_dask_array"):  # a Dask Series
        raise ValueError(
            f"Expected a 2D array, got a 1D Dask Series for {name}: use a DataFrame with "
            "one column (series.to_frame())."
        )
    if not isinstance(X, da.Array):
        raise ValueError(  # noqa: TRY004 (the project's rule: bad input is a ValueError)
            f"{name} must be a Dask array or DataFrame, got {type(X).__name__}."
        )
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array for {name}, got {X.ndim}D with shape {X.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]) or any(np.isnan(c) for c in X.chunks[1]):
        raise ValueError(
            f"{name} has unknown chunk sizes (typically from a DataFrame's .values or a boolean "
            f"mask): call {name}.compute_chunk_sizes() first, or pass the DataFrame itself, or "
            "df.to_dask_array(lengths=True)."
        )
    if not _numeric_dtype(X.dtype):
        if X.dtype.kind == "c":
            raise ValueError(f"Complex data not supported: {name} has dtype {X.dtype}.")
        raise ValueError(
            f"{name} must contain numbers only, got dtype {X.dtype}. Convert it first "
            f"({name}.astype(float))."
        )
    n_samples, n_features = X.shape
    if n_samples < 1:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}): {name} is empty.")
    if n_features < 1:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}): {name} has no columns.")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def _numeric_dtype(dtype):
    dtype = np.dtype(dtype) if not hasattr(dtype, "kind") else dtype
    return getattr(dtype, "kind", "O") in "biuf"


def _working_dtype(dtype):
    return np.float32 if np.dtype(dtype) == np.float32 else np.float64


def _weight_blocks(sample_weight, X, dtype, persist=False):
    """Per-block weights (delayed objects) or None for unit weights, and whether to check them.

    A NumPy (or list) weight vector is validated at once, as in memory; a
    Dask one is checked in the first pass over the data. With ``persist``, a
    NumPy vector is persisted (sent to the workers once) rather than carried
    whole by every graph that reads a block of it (``from_array`` puts the
    whole array in each block's graph: 8 bytes a row, every pass); the
    caller must then hold the third value returned, the persisted array,
    for as long as it uses the blocks. The fourth is the exponent ``e`` of
    the rescaling (``weights * 2**e`` are the caller's): extreme NumPy
    weights are brought near 1 here as in memory; a Dask vector's is known
    after its check (:meth:`_DaskFit.prepare`).
    """
    _, da = _dask_imports()
    exponent = 0
    if sample_weight is None:
        return None, False, None, exponent
    if is_dask_collection(sample_weight):
        if hasattr(sample_weight, "to_dask_array"):
            sample_weight = sample_weight.to_dask_array(lengths=True)
        if sample_weight.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D of shape ({X.shape[0]},), got shape "
                f"{sample_weight.shape}."
            )
        if any(np.isnan(c) for c in sample_weight.chunks[0]):
            raise ValueError(
                "sample_weight has unknown chunk sizes: call "
                "sample_weight.compute_chunk_sizes() first."
            )
        if sample_weight.shape[0] != X.shape[0]:
            raise ValueError(
                f"sample_weight has {sample_weight.shape[0]} values but X has {X.shape[0]} "
                f"samples; sample_weight.shape == ({sample_weight.shape[0]},), expected "
                f"({X.shape[0]},)."
            )
        if not _numeric_dtype(sample_weight.dtype):
            raise ValueError(f"sample_weight must be numeric, got dtype {sample_weight.dtype}.")
        weights = sample_weight.rechunk((X.chunks[0],))
        needs_check = True
    else:
        checked, exponent = check_sample_weight(sample_weight, X.shape[0], dtype, rescale=True)
        weights = da.from_array(checked, chunks=(X.chunks[0],))
        if persist:
            weights = weights.persist()
        needs_check = False
    return _per_block(weights, X), needs_check, weights, exponent


def _per_block(weights, X):
    """The delayed blocks of a weight vector chunked like X's rows, empty blocks left out."""
    row_counts = [int(c) for c in X.chunks[0]]
    delayed_weights = weights.to_delayed().ravel()
    return [delayed_weights[b] for b, rows in enumerate(row_counts) if rows > 0]


def _weight_exponent(largest):
    """``e`` with ``weights * 2**-e`` near 1 when the largest weight is extreme, else 0.

    The rule of ``check_sample_weight(rescale=True)``, for weights checked on
    the workers: K-Means depends on relative weights only, and a power of two
    rescales exactly, so 1e308 or subnormal weights give the unit-weight bits.
    """
    if 2.0**-_WEIGHT_EXPONENT_LIMIT <= largest <= 2.0**_WEIGHT_EXPONENT_LIMIT:
        return 0
    return int(np.frexp(largest)[1])


# ---------------------------------------------------------------------------
# Block tasks (plain functions of NumPy arrays: what the workers run)
# ---------------------------------------------------------------------------


def _column_sums_block(block, weight_block, offset, dtype, column_sums, check_weights):
    """The first pass over a block: ``(chunk column sums or None, weight checks or None)``.

    The column sums per CHUNK_ROWS rows (float64), as ``centered_copy`` adds
    them (not for float32 X of several columns: its means are a sequential
    float32 sum, ``_running_sum_float32``); the checks of the block's
    weights, ``_weight_stats_block``, when they were not checked in the client.
    """
    chunk_sums = None
    if column_sums:
        X = _as_float_block(block, dtype)
        chunk_sums = np.empty((n_chunks(X.shape[0]), X.shape[1]))
        with _kernel_task():
            column_sums_per_chunk(X, chunk_sums)
    weight_stats = _weight_stats_block(weight_block, offset, dtype) if check_weights else None
    return chunk_sums, weight_stats


@jit
def _accumulate_rows_float32(X, running):
    # NumPy's float32 ``X.mean(axis=0)`` (C order, more than one column) adds
    # the rows one after the other into a float32 accumulator; so does this,
    # starting from the previous blocks' total.
    for i in range(X.shape[0]):
        for f in range(X.shape[1]):
            running[f] += X[i, f]


def _running_sum_float32(previous, block):
    X = _as_float_block(block, np.float32)
    running = np.zeros(X.shape[1], dtype=np.float32) if previous is None else previous.copy()
    _accumulate_rows_float32(X, running)
    return running


def _weight_stats_block(weight_block, offset, dtype):
    """(all finite, n negative, first negative row, any positive, largest) of a block of weights."""
    weights = np.asarray(weight_block, dtype=dtype)
    negative = np.flatnonzero(weights < 0)
    return (
        bool(np.isfinite(weights).all()),
        int(negative.size),
        int(offset + negative[0]) if negative.size else -1,
        bool((weights > 0).any()),
        float(weights.max()) if weights.size else 0.0,
    )


def _non_finite_block(block, offset, dtype):
    X = _as_float_block(block, dtype)
    finite = np.isfinite(X)
    rows = np.flatnonzero(~finite.all(axis=1))[:6] + offset
    return int(np.isnan(X).sum()), int(np.isinf(X).sum()), rows


def _largest_abs_block(block, dtype):
    return float(np.abs(_as_float_block(block, dtype)).max())


def _center_stats_block(block, _weight_block, mean, dtype):
    """Per-CHUNK_ROWS sums and sums of squares of the centered block (``center_into``)."""
    X = _as_float_block(block, dtype)
    chunks = n_chunks(X.shape[0])
    out = np.empty(X.shape, dtype=X.dtype)
    chunk_sums = np.empty((chunks, X.shape[1]))
    chunk_squares = np.empty((chunks, X.shape[1]))
    chunk_extremes = np.empty((chunks, X.shape[1]))
    with _kernel_task():
        center_into(X, mean, out, chunk_sums, chunk_squares, chunk_extremes)
    return chunk_sums, chunk_squares, chunk_extremes.max(axis=0)


def _assigned_labels(X, mean, weights, centers, chunk_rows):
    """The labels of ``X - mean`` for ``centers`` (a ``(centers_t, squared_norms)`` pair).

    Lloyd's assignment alone, by the very pass that wrote them (the same
    chunks; the sums are skipped, which does not touch the labels), so the
    same bits.
    """
    n_rows = X.shape[0]
    labels = np.full(n_rows, -1, dtype=np.int32)
    chunks = n_chunks(n_rows, chunk_rows)
    partials = labels_only_partials(chunks, chunk_rows)
    narrow = narrow_rows(X.shape[1])
    lloyd_pass_centering(X, mean, weights, *centers, labels, partials, False, narrow)
    return labels


def _labels_at(X, mean, weights, run_id, block_index, iteration, centers, chunk_rows, *, take):
    """The labels of block ``X - mean`` after pass ``iteration`` (whose centers were ``centers``).

    The labels that pass kept in this process if they are here, otherwise
    the same labels computed again. Pass -1 is "before the first pass": every
    label is -1, so every row counts as changed, as in memory.
    """
    if iteration < 0:
        return np.full(X.shape[0], -1, dtype=np.int32)
    kept = _kept_value(run_id, block_index, iteration, take=take)
    if kept is None:
        _count("labels")
        return _assigned_labels(X, mean, weights, centers, chunk_rows)
    # A Lloyd pass keeps its labels; a Hamerly pass keeps them in its block state.
    return kept.labels if isinstance(kept, _HamerlyBlockState) else kept


def _changed_sums(chunk_sums, chunk_weights, chunk_changed, changed_clusters):
    """What a block returns of its per-chunk sums: ``(slots, their sums, their weights)``.

    A slot is one cluster of one chunk, numbered ``chunk * k + cluster``
    within the block. A chunk in which no label changed holds the same sums,
    bit for bit, as the pass before (the same rows, weights and labels, added
    in the same order), and the client still has those: only the chunks
    whose labels changed travel, or every slot of every chunk when
    ``changed_clusters`` is None (the client has none for this block yet: its
    first pass). Within a changed chunk, the clusters marked in
    ``changed_clusters`` (a ``(chunks, k)`` mask: ``_clusters_moved`` or
    ``_sums_that_differ``): a row that moves from cluster a to b changes a's and b's
    sums, and the other ``k - 2`` keep theirs, bit for bit, for the same
    reason as an unchanged chunk.
    """
    n_clusters = chunk_weights.shape[1]
    everything = changed_clusters is None
    chunks = np.arange(chunk_changed.shape[0]) if everything else np.flatnonzero(chunk_changed)
    if everything:
        in_chunk, clusters = np.divmod(np.arange(chunks.size * n_clusters), n_clusters)
    else:
        in_chunk, clusters = np.nonzero(changed_clusters[chunks])
    changed_chunks = chunks[in_chunk]
    return (
        changed_chunks * n_clusters + clusters,
        chunk_sums[changed_chunks, clusters],
        chunk_weights[changed_chunks, clusters],
    )


def _clusters_moved(labels_before, labels, chunk_rows, n_clusters):
    """``(chunks, k)`` mask: the clusters a row of the chunk left or joined in this pass."""
    moved = np.flatnonzero(labels_before != labels)
    mask = np.zeros((n_chunks(labels.shape[0], chunk_rows), n_clusters), dtype=bool)
    mask[moved // chunk_rows, labels_before[moved]] = True
    mask[moved // chunk_rows, labels[moved]] = True
    return mask


def _sums_that_differ(chunk_sums, chunk_weights, before):
    """``(chunks, k)`` mask: the clusters whose sum or weight differs in any bit from ``before``.

    ``before``: the ``(chunk_sums, chunk_weights)`` the client holds. Bits,
    not values: the client's copy must stay bitwise the block's (0.0 and
    -0.0 differ there).
    """
    old_sums, old_weights = before
    differs = chunk_weights.view(np.int64) != old_weights.view(np.int64)
    differs |= (chunk_sums.view(np.int64) != old_sums.view(np.int64)).any(axis=2)
    return differs


class _IterationPass(typing.NamedTuple):
    """What every block task of one iteration receives, Lloyd's or Hamerly's."""

    mean: np.ndarray  # the fit's column means (X's dtype)
    centers: tuple  # this pass's (centers_t, squared_norms)
    previous_centers: tuple | None  # the previous pass's, None before the first
    chunk_rows: int
    dtype: np.dtype
    run_id: str
    iteration: int
    n_samples: int  # the whole data's rows (``inertia_kernel`` chooses by them)

    def labels_before(self, X, weights, block_index):
        """The block's labels after the previous pass, taken from this process or assigned again."""
        return _labels_at(
            X,
            self.mean,
            weights,
            self.run_id,
            block_index,
            self.iteration - 1,
            self.previous_centers,
            self.chunk_rows,
            take=True,
        )


def _lloyd_block(block, weight_block, block_index, spec, with_inertia):
    """Pass ``spec.iteration`` of Lloyd's algorithm over a block: its per-chunk partial sums.

    ``spec``: the ``_IterationPass``. The new labels are kept in this process
    for the next pass (see ``_keep``), never returned: the task's one result
    is what the client needs, ``(n_changed, slots, their sums, their
    weights, chunk inertia or None)`` (``_changed_sums``: the clusters that
    rows left or joined; the inertia of every chunk when ``with_inertia``,
    for the verbose output).
    """
    X = _as_float_block(block, spec.dtype)
    n_rows, n_features = X.shape
    weights = _unit_weights_or(weight_block, n_rows, spec.dtype)
    chunks = n_chunks(n_rows, spec.chunk_rows)
    n_clusters = spec.centers[0].shape[1]
    chunk_sums = np.empty((chunks, n_clusters, n_features))
    chunk_weights = np.empty((chunks, n_clusters))
    chunk_inertia = np.empty(chunks)
    chunk_changed = np.empty(chunks, dtype=np.int64)
    with _kernel_task():
        # Taken out of the cache, so written in place: nothing else reads them.
        labels = spec.labels_before(X, weights, block_index)
        # Kept to tell which clusters' sums changed (the pass overwrites them);
        # the first pass returns every sum.
        labels_before = None if spec.iteration == 0 else labels.copy()
        partials = ChunkPartials(
            chunk_sums, chunk_weights, chunk_inertia, chunk_changed, spec.chunk_rows
        )
        narrow = narrow_rows(X.shape[1])
        lloyd_pass_centering(X, spec.mean, weights, *spec.centers, labels, partials, True, narrow)
    _keep(spec.run_id, block_index, spec.iteration, labels)
    shape = (spec.chunk_rows, n_clusters)
    return (
        int(chunk_changed.sum()),
        *_changed_sums(
            chunk_sums,
            chunk_weights,
            chunk_changed,
            None if labels_before is None else _clusters_moved(labels_before, labels, *shape),
        ),
        chunk_inertia if with_inertia else None,
    )


class _HamerlyBlockState:
    """What a block keeps between Hamerly passes, in the process that ran them (``_keep``).

    The block centered once (``X - mean``, the in-memory fit's single
    subtraction, so the kernel reads the very values it reads in memory;
    re-centering on every pass would cost more than a later Hamerly pass
    itself: 3.1 against 2.2 ms on a 250,000 x 8 block, k=16) with its rows'
    squared norms, its labels,
    the two bounds per row, and the per-slot and per-chunk sums the kernel
    refreshes where labels changed (``_kernels/bounds.py``). Its size:
    ``hamerly_state_bytes``.

    ``as_read``: where the in-memory fit of the whole data would make no
    centred copy (``_iterations.centers_rows_as_read``: wide rows), the
    state keeps the block itself and the mean, which the kernels subtract
    as they read each row (the same values), and the first pass fills the
    rows' norms: a block held in memory is then not held twice. ``rows``
    is what the kernels read, ``mean`` None when it is centred.
    """

    def __init__(self, X, mean, dtype, weights, labels, n_clusters, chunk_rows, as_read=False):
        n_rows, n_features = X.shape
        chunks = n_chunks(n_rows, chunk_rows)
        slots_per_chunk = sum_slots_per_chunk(chunk_rows, chunks, n_clusters, n_features)
        if as_read:
            self.rows, self.mean = X, mean
            self.row_norms = norms_to_fill(n_rows, n_features)
        else:
            self.rows, self.mean = _centered_block(X, mean, dtype), None
            # Its rows' squared norms, once for all the block's passes (the
            # in-memory fit's rule and kernel: ``fit_row_norms``; empty where
            # the rankings compute their own).
            self.row_norms = fit_row_norms(self.rows)
        self.weights = weights
        self.labels = labels
        self.upper = np.empty(n_rows)
        self.lower = np.empty(n_rows)
        self.kept = KeptSums(
            *empty_sum_slots(chunks, slots_per_chunk, n_clusters, n_features),
            np.empty((chunks, n_clusters, n_features)),
            np.empty((chunks, n_clusters)),
        )

    def assign(self, centers, bounds_moves, chunk_rows, first, sums_mode):
        """One ``hamerly_pass`` over the block; returns the per-chunk count of changed labels.

        ``centers``: ``(centers_t, squared_norms)``; ``bounds_moves``:
        ``(half_separation, shifts)`` of those centers (see ``_hamerly_block``).
        """
        chunk_changed = np.empty(self.kept.chunk_weights.shape[0], dtype=np.int64)
        half_separation, shifts = bounds_moves
        hamerly_pass(
            self.rows,
            self.mean,
            self.weights,
            self.row_norms,
            *centers,
            half_separation,
            shifts,
            self.labels,
            self.upper,
            self.lower,
            self.kept,
            chunk_changed,
            chunk_rows,
            first,
            sums_mode,
            narrow_rows(self.rows.shape[1]),
        )
        return chunk_changed


def hamerly_state_bytes(rows, n_features, n_clusters, chunk_rows, itemsize):
    """Memory a block's ``_HamerlyBlockState`` takes, in bytes.

    The centered copy (counted also where the state keeps the block itself,
    ``as_read``: the block it refers to may be one loaded for the task, not
    one the worker holds anyway) and the weights (``itemsize`` a value),
    labels and two bounds (20 bytes a row), the row norms where kept (8),
    and the per-slot and per-chunk sums (``k (d + 1)`` float64 values each; the slots take at
    most a quarter of the rows' float64 size, ``_kernels.lloyd.sum_slot_rows``).
    """
    chunks = n_chunks(rows, chunk_rows)
    slots = chunks * sum_slots_per_chunk(chunk_rows, chunks, n_clusters, n_features)
    per_row = (n_features + 1) * itemsize + 20 + (8 if row_norms_kept(rows, n_features) else 0)
    return rows * per_row + 8 * (slots + chunks) * n_clusters * (n_features + 1)


def _hamerly_block(block, weight_block, block_index, spec, bounds_moves, inertia_centers):
    """Pass ``spec.iteration`` of Hamerly's algorithm over a block: ``_lloyd_block``'s result.

    The block's state (``_HamerlyBlockState``) kept by the previous pass
    here is updated in place by ``_kernels.bounds.hamerly_pass``, the
    in-memory fit's kernel, and kept for the next. Without one (the first
    pass, or a pass that runs where the previous did not: a moved block, a
    lost worker) the state is built again: the previous pass's labels
    (``_labels_at``: assigned again to the previous centers) so that the
    changed labels are counted as in memory, then a ``first=True`` pass that
    rescans every row and fills every sum slot. Labels and sums are exact
    either way, so a rebuilt state changes no bit of the answer.

    ``bounds_moves`` is ``(half_separation, shifts)`` of this pass's
    centers, as ``_iterations._Bounds.assign`` computes them;
    ``inertia_centers`` (the centers in X's dtype, or None) asks for the
    per-``CHUNK_ROWS`` inertia the in-memory Hamerly run reports in its
    verbose output (``inertia_of``).
    """
    X = _as_float_block(block, spec.dtype)
    state = None
    if spec.iteration:
        state = _kept_value(spec.run_id, block_index, spec.iteration - 1, take=True)
    first = not isinstance(state, _HamerlyBlockState)
    with _kernel_task():
        if first:
            weights = _unit_weights_or(weight_block, X.shape[0], spec.dtype)
            state = _HamerlyBlockState(
                X,
                spec.mean,
                spec.dtype,
                weights,
                spec.labels_before(X, weights, block_index),
                spec.centers[0].shape[1],
                spec.chunk_rows,
                centers_rows_as_read("hamerly", spec.n_samples, X.shape[1], False),
            )
        # The sums as the client has them, to send back only the clusters whose
        # sums change (``_changed_sums``). The copy and its bitwise comparison
        # take 0.065 ms a 250,000-row block at k=16, d=8 (k (d + 1) values a
        # 1024-row chunk); the labels' copy and comparison Lloyd's pass uses
        # (``_clusters_moved``) would take 0.13 ms and read the rows' labels,
        # which a settled Hamerly pass mostly does not touch.
        kept = state.kept
        before = None if first else (kept.chunk_sums.copy(), kept.chunk_weights.copy())
        chunk_changed = state.assign(
            spec.centers, bounds_moves, spec.chunk_rows, first, SUMS_REFRESH
        )
        chunk_inertia = None
        if inertia_centers is not None:
            chunk_inertia = np.empty(n_chunks(X.shape[0]))
            inertia_kernel(spec.n_samples)(
                state.rows, state.mean, state.weights, inertia_centers, state.labels, chunk_inertia
            )
    _keep(spec.run_id, block_index, spec.iteration, state)
    return (
        int(chunk_changed.sum()),
        *_changed_sums(
            kept.chunk_sums,
            kept.chunk_weights,
            chunk_changed,
            None if first else _sums_that_differ(kept.chunk_sums, kept.chunk_weights, before),
        ),
        chunk_inertia,
    )


def _blocks_task(function, blocks, weight_blocks, block_args, *shared):
    """``function(block, weight_block, *block_args[i], *shared)`` for each block of a group.

    One task over the blocks one worker thread holds (see
    ``_DaskFit._block_groups``); the blocks' results, in order.
    """
    return [
        function(block, weight_block, *own, *shared)
        for block, weight_block, own in zip(blocks, weight_blocks, block_args)
    ]


class _BlocksMoved(LookupError):
    """A worker's runner was asked for a block that worker no longer holds."""


class _BlockRunner:
    """A Dask actor on one worker: runs a pass over blocks that worker holds, called directly.

    A pass submitted as tasks goes from the client to the scheduler, which
    records the new tasks, to the workers and back: on the 2-core
    development machine 10.5 ms (4.6 ms of client process time) for 2
    trivial tasks, against 2.2 ms (1.7 ms) for a call on 2 actors, which
    skips the scheduler's task bookkeeping. The runner finds the blocks by
    key in its worker's memory (on the worker's event loop, where the worker
    itself reads them for its tasks) and runs ``_blocks_task`` on the
    worker's own task threads, a group per thread: the tasks' kernels on the
    tasks' blocks, so the same results. A block that is not there (moved,
    or lost with a worker) raises ``_BlocksMoved`` and the client runs the
    pass as tasks instead (``_DaskFit._group_pass``).
    """

    def __init__(self):
        self._held = {}  # blocks the client sent (weights held by another worker)

    def hold(self, keys, blocks):
        """Keep ``blocks`` under ``keys`` for this fit's passes (its worker does not hold them)."""
        self._held.update(zip(keys, blocks))

    async def run(self, function, groups_keys, groups_weight_keys, groups_args, shared):
        from distributed import get_worker

        worker = get_worker()

        def block(key):
            if key is None:
                return None
            found = self._held.get(key)
            if found is None:
                try:
                    found = worker.data[key]
                except KeyError:
                    raise _BlocksMoved(f"{key} is not in the memory of {worker.address}") from None
            return found

        groups = [
            ([block(key) for key in keys], [block(key) for key in weight_keys])
            for keys, weight_keys in zip(groups_keys, groups_weight_keys)
        ]
        _count("runner passes")
        loop = asyncio.get_running_loop()
        return await asyncio.gather(
            *[
                loop.run_in_executor(
                    worker.executors["default"],
                    functools.partial(_blocks_task, function, blocks, weight_blocks, args, *shared),
                )
                for (blocks, weight_blocks), args in zip(groups, groups_args)
            ]
        )


def _gathers_from_workers(client):
    """Whether a pass's results come straight from the workers rather than through the scheduler.

    As the client is set (``Client(direct_to_workers=...)``); when it is not,
    directly on a ``LocalCluster`` this process started, whose workers it
    can reach (distributed's default, through the scheduler, serves clients
    that cannot reach the workers of a remote cluster). Through the
    scheduler the bytes are sent twice: 2 tasks returning 2.25 MB each took
    25 ms (18 ms of client process time, the scheduler's included: it runs
    in the client process on a ``LocalCluster``) against 14 ms (8.8 ms)
    directly, on the 2-core development machine.
    """
    if client is None:
        return False
    if client.direct_to_workers is not None:
        return bool(client.direct_to_workers)
    from distributed import LocalCluster

    return isinstance(getattr(client, "cluster", None), LocalCluster)


def _half_separation(centers):
    """Half the distance from each center to its nearest other (``half_separations``), in the client.

    On the calling thread: numba's parallel version wakes its thread pool,
    which in the client sleeps between passes; waking it cost 2-7 ms a call
    on the 2-core development machine (k=16, d=8; 6 microseconds on one
    thread), every iteration, while the workers wait. Each center's value is
    computed alone, so the same bits either way.
    """
    half_separation = np.empty(centers.shape[0])
    with one_numba_thread():
        half_separations(centers.astype(np.float64), half_separation)
    return half_separation


def _distributed_client(dask):
    """The ``distributed.Client`` Dask computes on now, or None (another scheduler)."""
    client = getattr(dask.base.get_scheduler(), "__self__", None)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - only without distributed
        return None
    return client if isinstance(client, Client) else None


class _KeptChunkSums:
    """The per-chunk partial sums of every block, kept in the client between passes.

    Each pass's block results (``_lloyd_block``, ``_hamerly_block``) bring
    the sums that changed, one slot (a cluster of a chunk: ``_changed_sums``)
    each; they are written over the block's slots of the global chunk
    arrays, which then hold, in block order, exactly the in-memory fit's
    chunk arrays when the blocks align with its chunks, so ``reduce_chunks``
    gives the same bits.
    """

    def __init__(self, row_counts, chunk_rows, n_clusters, n_features):
        chunks = [n_chunks(rows, chunk_rows) for rows in row_counts]
        # A block's slot s is global slot first_slot + s (slots: chunk * k + cluster).
        self.first_slot = np.cumsum([0, *chunks[:-1]]) * n_clusters
        self.chunk_sums = np.zeros((sum(chunks), n_clusters, n_features))
        self.chunk_weights = np.zeros((sum(chunks), n_clusters))
        self.sums = np.empty((n_clusters, n_features))
        self.weights = np.empty(n_clusters)

    def reduce(self, results):
        """Patch in a pass's block results; ``(sums, weights, inertia or None, n_changed)``.

        The inertia (of the labels against the pass's centers) comes only from
        passes that computed it, added over every chunk in order as in memory.
        """
        slot_sums = self.chunk_sums.reshape(-1, self.chunk_sums.shape[2])  # views
        slot_weights = self.chunk_weights.reshape(-1)
        for first, (_, slots, sums, weights, _) in zip(self.first_slot, results):
            slot_sums[first + slots] = sums
            slot_weights[first + slots] = weights
        reduce_chunks(self.chunk_sums, self.chunk_weights, self.sums, self.weights)
        inertia = None
        if results[0][4] is not None:
            inertia = float(np.concatenate([result[4] for result in results]).sum())
        n_changed = sum(result[0] for result in results)
        # Copies: the caller's relocation changes them in place.
        return self.sums.copy(), self.weights.copy(), inertia, n_changed


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


def _farthest_block(
    block,
    weight_block,
    mean,
    centers,
    dtype,
    n_wanted,
    offset,
    run_id,
    block_index,
    iteration,
    chunk_rows,
):
    """The block's ``n_wanted`` rows farthest from their assigned centers (relocation candidates).

    ``centers`` are those of pass ``iteration``, whose labels are read (or
    computed again). Distances as the in-memory relocation computes them, row
    by row with the same kernel (the tie rule's direct distance), so the same
    bits.
    """
    raw = _as_float_block(block, dtype)
    X = raw - mean  # the same single subtraction as ``_centered_block``
    weights = _unit_weights_or(weight_block, X.shape[0], dtype)
    with _kernel_task():
        labels = _labels_at(
            raw,
            mean,
            weights,
            run_id,
            block_index,
            iteration,
            (transposed(centers), squared_norms(centers)),
            chunk_rows,
            take=False,
        )
        distances = distances_to_centers_of(X, centers, labels)
    order = np.lexsort((np.arange(X.shape[0]), -distances))[:n_wanted]
    return (distances[order], order + offset, X[order], weights[order], labels[order])


def _final_block(
    block,
    weight_block,
    mean,
    centers,
    chunk_rows,
    dtype,
    run_id,
    block_index,
    last_pass,
    strict,
    bounds_moves,
    n_samples,
):
    """The block's final labels and per-chunk inertia (and cluster counts) for ``centers``.

    ``last_pass`` is ``(iteration, (centers_t, squared_norms))`` of the run's
    last pass. When the run converged strictly (``strict``) that pass's
    labels stand, as in memory. Otherwise the rows are assigned to the final
    ``centers``: by a Hamerly run (``bounds_moves``: ``(half_separation,
    shifts)`` of the final centers, else None) with the block's bounds when
    its state is here, the in-memory Hamerly run's final re-assignment
    (``hamerly_pass`` without the sums: it rescans only the rows whose bounds
    do not settle their label, a fifth of Lloyd's work at 4e6 x 8, k=16); by
    Lloyd's assignment otherwise. Both give the same labels, bit for bit.
    """
    raw = _as_float_block(block, dtype)
    n_rows = raw.shape[0]
    weights = _unit_weights_or(weight_block, n_rows, dtype)
    iteration, pass_centers = last_pass
    with _kernel_task():
        kept = _kept_value(run_id, block_index, iteration, take=True)
        state = kept if isinstance(kept, _HamerlyBlockState) else None
        if strict and kept is not None:
            labels = kept if state is None else state.labels
        elif not strict and state is not None and bounds_moves is not None:
            final_centers = (transposed(centers), squared_norms(centers))
            state.assign(final_centers, bounds_moves, chunk_rows, False, SUMS_NONE)
            labels = state.labels
        else:
            # The last pass's labels computed again (kept elsewhere, or lost),
            # or the rows assigned to the final centers.
            if strict:
                _count("labels")
            assigned_to = pass_centers if strict else (transposed(centers), squared_norms(centers))
            labels = _assigned_labels(raw, mean, weights, assigned_to, chunk_rows)
        # The centered rows: the state's (a copy, or the block and its mean),
        # or the same single subtraction as ``_centered_block``.
        X, centering = (raw - mean, None) if state is None else (state.rows, state.mean)
        chunk_inertia = np.empty(n_chunks(n_rows))
        # ``n_samples``: the whole data's rows, which choose the kernel (``inertia_kernel``).
        inertia_kernel(n_samples)(X, centering, weights, centers, labels, chunk_inertia)
    _forget(run_id, block_index)  # the run is over (labels of an older pass, if any)
    counts = np.bincount(labels, minlength=centers.shape[0])
    return labels, (chunk_inertia, counts)


def _as_list(*items):
    return list(items)


def _reduce_final(*partials):
    chunk_inertia = np.concatenate([p[0] for p in partials])
    counts = np.sum([p[1] for p in partials], axis=0)
    return float(chunk_inertia.sum()), int((counts > 0).sum())


def _label_mapping_block(labels_a, labels_b, n_clusters):
    """For ``is_same_clustering``: the label of b each label of a meets (-1 none, -2 several)."""
    mapping = np.full(n_clusters, -1, dtype=np.int64)
    for a in range(n_clusters):
        met = np.unique(labels_b[labels_a == a])
        if met.size == 1:
            mapping[a] = met[0]
        elif met.size > 1:
            mapping[a] = -2
    return mapping


def _same_clustering(*mappings):
    mappings = np.array(mappings)
    for column in mappings.T:
        seen = set(column[column != -1].tolist())
        if -2 in seen or len(seen) > 1:
            return False
    return True


def _predict_block(block, centers, dtype):
    X = _as_float_block(block, dtype)
    if not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity; KMeans needs finite values.")
    with _kernel_task():
        return assign_labels(X, centers)


def _transform_block(block, centers_t, dtype):
    X = _as_float_block(block, dtype)
    if not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity; KMeans needs finite values.")
    out = np.empty((X.shape[0], centers_t.shape[1]), dtype=X.dtype)
    with _kernel_task():
        euclidean_distances_to_centers(X, centers_t, out)
    return out


def _score_block(block, weight_block, centers, dtype, n_samples):
    X = _as_float_block(block, dtype)
    if not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity; KMeans needs finite values.")
    n_rows = X.shape[0]
    weights = _unit_weights_or(weight_block, n_rows, dtype)
    labels = _predict_block(X, centers, dtype)
    chunk_inertia = np.empty(n_chunks(n_rows))
    with _kernel_task():
        inertia_kernel(n_samples)(X, None, weights, centers, labels, chunk_inertia)
    return chunk_inertia


def _negated_total(weight_exponent, *chunk_inertias):
    return np.float64(
        -_unscaled_inertia(float(np.concatenate(chunk_inertias).sum()), weight_exponent)
    )


# How far the potential may fall in one k-means|| round before a separate
# drawing pass is needed (each block returns up to this many times more rows).
POTENTIAL_DROP_BOUND = 64.0
# The bound round 0's pass draws round 1's rows with: each block's own potential,
# which the total (a sum of such non-negative potentials) cannot be below, even
# rounded, so the rows the total draws are among them.
OWN_POTENTIAL = "own"


# ---------------------------------------------------------------------------
# The driver (runs in the client; every pass is one graph)
# ---------------------------------------------------------------------------


class _DaskFit:
    """The state of one Dask fit: the blocks, the centering, and the passes over them."""

    def __init__(self, X, sample_weight):
        self.dask, self.da = _dask_imports()
        self.blocks = _Blocks(X, _working_dtype(X.dtype))
        self.dtype = self.blocks.dtype
        # ``_weights`` holds the persisted weights (their blocks are read by key).
        self.weight_blocks, self._check_weights, self._weights, self.weight_exponent = (
            _weight_blocks(sample_weight, X, self.dtype, persist=True)
        )
        self.delayed = self.dask.delayed
        self.mean = self._variances = None  # ``prepare`` and ``variances`` set them
        # The workers' pass runners (``_runner_pass``): {worker: actor}, None once
        # the passes have gone back to tasks; the groups' homes (``_block_groups``).
        self._runners, self._runner_futures, self._group_homes = {}, [], {}
        self._weights_at = set()  # (worker, weight key): held there or sent to its runner

    def _weights_of(self, b):
        return None if self.weight_blocks is None else self.weight_blocks[b]

    def _task(self, function, *args):
        return self.delayed(function, pure=True)(*args)

    # -- the centering: the same means and variances as ``centered_copy`` --------

    def prepare(self):
        """Column means (one pass), with the input checks: NaN/inf, overflow, bad weights.

        Raises the in-memory fit's errors before any other pass runs; the
        variances (``variances``) come from a second pass.
        """
        blocks, dtype = self.blocks, self.dtype
        token = uuid.uuid4().hex
        groups = self._block_groups()
        sequential_float32 = dtype == np.float32 and blocks.n_features > 1
        # float64 as in memory. (float32 with one column: NumPy sums a single
        # contiguous column pairwise, which no split into blocks can
        # reproduce; these means agree with it to float32 rounding.) A Dask
        # weight vector is checked in the same pass.
        pass_args = (
            f"kmeans_column_sums-{token}",
            _column_sums_block,
            groups,
            [(blocks.offsets[b],) for b in range(len(blocks))],
            dtype,
            not sequential_float32,
            self._check_weights,
        )
        if sequential_float32:
            # float32's running sum goes block after block: one graph with the pass.
            running = None
            for block in blocks.blocks:
                running = self._task(_running_sum_float32, running, block)
            first_pass = self._group_tasks(*pass_args, weights=self._check_weights)
            running, first_pass = self.dask.compute(running, first_pass)
            first_pass = self._by_block(groups, first_pass)
        else:
            first_pass = self._group_pass(*pass_args, weights=self._check_weights)
        if sequential_float32:
            # NumPy divides the float32 sums by the count in float64, then rounds.
            mean = (running.astype(np.float64) / blocks.n_samples).astype(np.float32)
        else:
            sums = np.concatenate([chunk_sums for chunk_sums, _ in first_pass])
            mean = (sums.sum(axis=0) / blocks.n_samples).astype(dtype)
        if self._check_weights:
            weight_stats = [weight_stats for _, weight_stats in first_pass]
            _check_weight_stats(weight_stats)
            self.weight_exponent = _weight_exponent(max(stats[4] for stats in weight_stats))
            if self.weight_exponent:
                # Exact (a power of two: np.ldexp, as in memory), persisted once
                # like a NumPy vector.
                self._weights = self.da.map_blocks(
                    np.ldexp, self._weights.astype(np.float64), -self.weight_exponent
                ).persist()
                self.weight_blocks = _per_block(self._weights, self.blocks.array)
        if not np.isfinite(mean).all():
            self._refuse_non_finite("its column sums overflow")

        self.mean = mean
        self._variances = None
        return mean

    def variances(self):
        """The column variances of X around ``mean`` (for the relative ``tol``), with their checks.

        A pass of their own, unless the k-means|| seeding's first pass (which
        reads every block centred anyway) brought the statistics already
        (``center_statistics``): one read of X less, which on data read from
        storage is a read of the whole store. Either way they are checked,
        and the overflow errors raised, before the first iteration.
        """
        if self._variances is None:
            self.center_statistics(
                self._group_pass(
                    f"kmeans_center_statistics-{uuid.uuid4().hex}",
                    _center_stats_block,
                    self._block_groups(),
                    [()] * len(self.blocks),
                    self.mean,
                    self.dtype,
                    weights=False,
                )
            )
        return self._variances

    def center_statistics(self, stats):
        """Check and keep the variances from every block's ``_center_stats_block`` result."""
        blocks = self.blocks
        chunk_sums = np.concatenate([s[0] for s in stats])
        chunk_squares = np.concatenate([s[1] for s in stats])
        residual_mean = chunk_sums.sum(axis=0) / blocks.n_samples
        variances = np.maximum(chunk_squares.sum(axis=0) / blocks.n_samples - residual_mean**2, 0.0)
        if not np.isfinite(variances).all():
            self._refuse_non_finite("its squared deviations overflow")
        extremes = np.max([s[2] for s in stats], axis=0)
        if not np.isfinite(squared_distance_bound(extremes, blocks.n_samples)):
            self._refuse_non_finite(
                f"squared distances summed over its {blocks.n_features} "
                f"features and {blocks.n_samples} samples would overflow"
            )
        self._variances = variances

    def _refuse_non_finite(self, what):
        blocks = self.blocks
        counts = self.dask.compute(
            [
                self._task(_non_finite_block, blocks.blocks[b], blocks.offsets[b], self.dtype)
                for b in range(len(blocks))
            ]
        )[0]
        n_nan = sum(c[0] for c in counts)
        n_inf = sum(c[1] for c in counts)
        if n_nan or n_inf:
            rows = np.concatenate([c[2] for c in counts])
            shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise ValueError(
                f"Input X contains NaN or infinity ({n_nan} NaN, {n_inf} inf, in rows {shown}); "
                "KMeans needs finite values: drop or impute them first."
            )
        largest = max(
            self.dask.compute(
                [self._task(_largest_abs_block, b, self.dtype) for b in blocks.blocks]
            )[0]
        )
        raise ValueError(
            f"X has values too large for K-Means in {self.dtype} ({what}; largest |x| = "
            f"{largest:.3g}): squared distances would be infinite. Rescale X (for example "
            "divide it by its largest absolute value) before fitting."
        )

    # -- Lloyd's iterations ------------------------------------------------------

    def _persist(self, *collections):
        return self.dask.persist(*collections)

    def _kept_and_combined(self, pairs, combine):
        """Per-block ``(kept, reported)`` tasks: the kept halves persisted, ``combine(*reported)`` computed.

        The kept halves (labels, distances) stay on the workers that computed
        them, as persisted collections in block order; only the combined
        report (an inertia, the candidates' potentials) comes to the client.
        """
        kept = [self._task(_first, pair) for pair in pairs]
        combined = self._task(combine, *[self._task(_second, pair) for pair in pairs])
        *kept, combined = self._persist(*kept, combined)
        if _distributed_client(self.dask) is not None:
            # Its future's result: computing the persisted value would send the
            # scheduler another graph (of that one key) and wait for the answer.
            from distributed import futures_of

            (future,) = futures_of(combined)
            return kept, future.result()
        return kept, combined.compute()

    def _named_task(self, name, function, *args):
        # A key of our own: no hashing of the arguments (the centers change every
        # pass anyway), and a name that says what ran in Dask's diagnostics.
        return self.delayed(function, pure=False)(*args, dask_key_name=name)

    def _blocks_by_worker(self, client):
        """``{worker: [block indices]}`` when a ``distributed`` cluster holds every block, else None."""
        held = self._held_futures(client)
        if held is None:
            return None
        holders = client.who_has(held[0])
        by_worker = {}
        for b, key in enumerate(self.blocks.keys):
            workers = holders.get(key) or ()
            if not workers:
                return None
            by_worker.setdefault(sorted(workers)[0], []).append(b)
        return by_worker

    def scheduler_forgets(self):
        """Whether the scheduler runs passes where nothing kept by ``_keep`` survives (processes)."""
        import dask.multiprocessing

        return self.dask.base.get_scheduler() is dask.multiprocessing.get

    def held_in_memory(self):
        """Whether X's blocks are held in memory: persisted on the cluster, or values in the graph.

        On a ``distributed`` cluster, every block persisted on a worker (each
        block's passes then run where it is, and where its state was kept); on
        another scheduler, every block a value in X's graph (a persisted or
        ``from_array`` NumPy array) rather than a task that reads or computes it.
        """
        client = _distributed_client(self.dask)
        if client is not None:
            return self._blocks_by_worker(client) is not None
        graph = self.blocks.array.__dask_graph__()
        return len(self.blocks) > 0 and all(
            key in graph
            and not self.dask.core.istask(graph[key])
            and not self.dask.core.iskey(graph[key])
            for key in self.blocks.keys
        )

    def hamerly_state_room(self, n_clusters):
        """None when every block's Hamerly state fits beside the data, else why it does not.

        The state (``hamerly_state_bytes``) lives outside Dask's memory
        accounting, so it is checked here: on a ``distributed`` cluster, each
        worker's blocks and their states against 60% of its memory limit
        (distributed's default target, where it starts to spill; no limit, no
        check); elsewhere, all the states against half the memory available
        (the in-memory fit's budget).
        """
        blocks = self.blocks
        chunk_rows = chunk_rows_for(blocks.n_samples, n_clusters, blocks.n_features)
        itemsize = self.dtype.itemsize

        def state(b):
            return hamerly_state_bytes(
                blocks.rows[b], blocks.n_features, n_clusters, chunk_rows, itemsize
            )

        client = _distributed_client(self.dask)
        by_worker = None if client is None else self._blocks_by_worker(client)
        if by_worker is None:
            budget = memory_budget_bytes()
            needed = sum(state(b) for b in range(len(blocks)))
            if budget is not None and needed > budget:
                return (
                    f"its bounds and centered copy, {needed / 2**30:.2f} GiB, would exceed half "
                    "the memory available"
                )
            return None
        workers = client.scheduler_info()["workers"]
        for worker, indices in by_worker.items():
            limit = workers.get(worker, {}).get("memory_limit") or 0
            needed = sum(state(b) + blocks.rows[b] * blocks.n_features * itemsize for b in indices)
            if limit and needed > 0.6 * limit:
                return (
                    f"its bounds and centered copy beside the blocks, {needed / 2**30:.2f} GiB "
                    f"on {worker}, would exceed 60% of that worker's memory limit"
                )
        return None

    def _block_groups(self):
        """The blocks (indices) each task of a pass runs, in block order within a group.

        On a ``distributed`` cluster that holds X's blocks in memory, each
        worker's blocks are split into as many groups as it has threads: one
        task per worker thread and pass instead of one per block, which saves
        the scheduler's and the worker's per-task work (at 16 blocks on 2
        workers x 1 thread, ~1 ms between two tasks on a worker, 8 tasks a
        worker). Otherwise (the threaded or another scheduler, or blocks read
        from storage, which have no home) a task per block. The grouping only
        decides where the kernels run: each block still returns its own
        partial sums, added in block order, so the same bits.
        """
        singles = [[b] for b in range(len(self.blocks))]
        client = _distributed_client(self.dask)
        by_worker = self._blocks_by_worker(client)
        if by_worker is None:
            return singles
        threads = client.nthreads()
        groups = []
        for worker, indices in by_worker.items():
            n_groups = min(len(indices), max(1, threads.get(worker, 1)))
            for part in np.array_split(np.array(indices), n_groups):
                groups.append([int(b) for b in part])
                self._group_homes[tuple(groups[-1])] = worker
        return sorted(groups)

    def _at_home(self, home):
        """A context in which a block's task is asked to run on ``home``, its group's worker.

        The worker whose runner kept the block's state (``_block_groups``;
        ``{block: worker}`` from ``_block_homes``): a task the scheduler sends
        elsewhere (it balances small tasks between workers, and moving a small
        block is cheap) finds none and assigns the block again. Loosely: were
        that worker lost, the task runs on another. No request when ``home``
        is None (the passes had no homes: not held data).
        """
        if home is None:
            return contextlib.nullcontext()
        return self.dask.annotate(workers=[home], allow_other_workers=True)

    def _block_homes(self):
        """``{block index: worker}`` of the groups planned on workers (``_block_groups``)."""
        return {b: worker for group, worker in self._group_homes.items() for b in group}

    def _group_tasks(self, name, function, groups, block_args, *shared, weights=True):
        """A pass: one task per group (``_block_groups``) running ``function`` on its blocks.

        ``function(block, weight_block, *block_args[b], *shared)`` runs for
        every block ``b`` (``weight_block`` None when ``weights`` is false: the
        task then does not wait for, or fetch, the weights); ``name`` starts
        the tasks' keys (unique per pass). Gather the results with ``_by_block``.
        """
        blocks = self.blocks
        weights_of = self._weights_of if weights else (lambda b: None)
        return [
            self._named_task(
                f"{name}-{group[0]}",
                _blocks_task,
                function,
                [blocks.blocks[b] for b in group],
                [weights_of(b) for b in group],
                [block_args[b] for b in group],
                *shared,
            )
            for group in groups
        ]

    def _by_block(self, groups, group_results):
        """The groups' results as one list in block order."""
        results = [None] * len(self.blocks)
        for group, results_of_group in zip(groups, group_results):
            for b, result in zip(group, results_of_group):
                results[b] = result
        return results

    def _group_pass(self, name, function, groups, block_args, *shared, weights=True):
        """Run a pass in one round trip: the per-block results, in block order.

        On a ``distributed`` cluster that holds X's blocks (and the weights'),
        by the workers' runners (``_runner_pass``), or, when they cannot, by
        group tasks submitted at once as futures on those blocks
        (``client.map``: the tasks ``_group_tasks`` would build, one graph);
        otherwise as one graph of Dask delayed objects (``_group_tasks``).
        The same block functions every way: the futures skip building and optimizing
        the delayed graph every pass (on the 2-core development machine, a
        pass of 2 trivial tasks over 16 persisted blocks: 10.8 ms and 5.5 ms
        of client process time against 14.4 and 8.9 ms).
        """
        client = _distributed_client(self.dask)
        held = self._held_futures(client)
        direct = _gathers_from_workers(client)
        if held is None or (weights and self.weight_blocks is not None and held[1] is None):
            tasks = self._group_tasks(name, function, groups, block_args, *shared, weights=weights)
            options = {"direct": True} if direct else {}
            return self._by_block(groups, self.dask.compute(tasks, **options)[0])
        block_futures, weight_futures = held
        if not weights or weight_futures is None:
            weight_futures = [None] * len(block_futures)
        results = self._runner_pass(
            client, function, groups, block_args, shared, block_futures, weight_futures
        )
        if results is not None:
            return self._by_block(groups, results)
        futures = client.map(
            _blocks_task,
            [function] * len(groups),
            [[block_futures[b] for b in group] for group in groups],
            [[weight_futures[b] for b in group] for group in groups],
            [[block_args[b] for b in group] for group in groups],
            *[[value] * len(groups) for value in shared],
            key=[f"{name}-{group[0]}" for group in groups],
            pure=False,
        )
        return self._by_block(groups, client.gather(futures, direct=direct))

    def _runner_pass(
        self, client, function, groups, block_args, shared, block_futures, weight_futures
    ):
        """A held pass's group results from the workers' runners (``_BlockRunner``), or None.

        Each worker's runner gets the keys of its groups' blocks (as planned
        by ``_block_groups``) and runs them there; the calls go out together
        and the results come back in group order. None, and tasks for this
        pass and the rest of the fit, when a group has no planned home, a
        runner cannot be made or reached, or a block is not where it was:
        the tasks find lost blocks again from their lineage, and a block
        state a failed call left behind is one its pass's task does not
        read (``_kept_value``), so the answer is the same. An error of the
        kernels themselves is raised again by the tasks.
        """
        if self._runners is None:
            return None
        homes = [self._group_homes.get(tuple(group)) for group in groups]
        if None in homes:
            return None
        by_home = {}
        for group, home in zip(groups, homes):
            by_home.setdefault(home, []).append(group)

        def keys(futures, group):
            return [None if futures[b] is None else futures[b].key for b in group]

        try:
            runners = self._runners_on(client, list(by_home))
            self._runners_hold_weights(client, by_home, weight_futures)
            calls = [
                (
                    home_groups,
                    runners[home].run(
                        function,
                        [keys(block_futures, group) for group in home_groups],
                        [keys(weight_futures, group) for group in home_groups],
                        [[block_args[b] for b in group] for group in home_groups],
                        shared,
                    ),
                )
                for home, home_groups in by_home.items()
            ]
            results = {}
            for home_groups, call in calls:
                for group, group_results in zip(home_groups, call.result()):
                    results[tuple(group)] = group_results
        except Exception:  # noqa: BLE001 (any failure: the pass runs as tasks, which raise real errors)
            self._runners = None
            return None
        return [results[tuple(group)] for group in groups]

    def _runners_hold_weights(self, client, by_home, weight_futures):
        """Send each runner, once a fit, the weight blocks of its groups that its worker lacks.

        X's blocks decide where a group runs; the persisted weights were
        placed by the scheduler on their own, so a weight block may live on
        another worker. A task would fetch it from there each time it needs
        it; the runner keeps its own copy (8 bytes a row, for this fit).
        """
        needed = {
            home: [
                weight_futures[b]
                for group in groups
                for b in group
                if weight_futures[b] is not None
                and (home, weight_futures[b].key) not in self._weights_at
            ]
            for home, groups in by_home.items()
        }
        if not any(needed.values()):
            return
        holders = client.who_has([future for futures in needed.values() for future in futures])
        for home, futures in needed.items():
            away = [future for future in futures if home not in holders.get(future.key, ())]
            if away:
                blocks = client.gather(away)
                self._runners[home].hold([future.key for future in away], blocks).result()
            self._weights_at.update((home, future.key) for future in futures)

    def _runners_on(self, client, workers):
        """``{worker: runner}`` for ``workers``, making the missing ones together (one round trip)."""
        missing = [worker for worker in workers if worker not in self._runners]
        futures = [
            client.submit(
                _BlockRunner,
                actor=True,
                workers=[worker],
                # Not bound to the worker: were it lost, a bound actor would
                # wait for it for ever, and a call with it.
                allow_other_workers=True,
                pure=False,
                key=f"kmeans_block_runner-{uuid.uuid4().hex}",
            )
            for worker in missing
        ]
        for worker, future in zip(missing, futures):
            self._runners[worker] = future.result()
        self._runner_futures.extend(futures)
        return {worker: self._runners[worker] for worker in workers}

    def _held_futures(self, client):
        """``(X's block futures, the weight blocks' or None)`` when the cluster holds them, else None.

        Block by block, in ``self.blocks`` order; None unless ``client`` holds
        every block of X as a future (X persisted). The weights' are None
        when there are none or they are not all held (a Dask weight vector
        that is computed on each pass).
        """
        if client is None or len(self.blocks) == 0:
            return None
        from distributed import futures_of

        held = {future.key: future for future in futures_of(self.blocks.array)}
        if not all(key in held for key in self.blocks.keys):
            return None
        block_futures = [held[key] for key in self.blocks.keys]
        if self.weight_blocks is None:
            return block_futures, None
        held = {future.key: future for future in futures_of(self._weights)}
        keys = [block.key for block in self.weight_blocks]
        return block_futures, (
            [held[key] for key in keys] if all(k in held for k in keys) else None
        )

    def iterations_run(self, algorithm, centers_init, max_iter, tol, verbose=0, history=None):
        """``lloyd_single_run`` or ``bounded_single_run`` (Hamerly) over the blocks.

        One graph per iteration: a task per group of blocks
        (``_block_groups``) running ``_lloyd_block`` or ``_hamerly_block``
        on each; what comes back is the per-chunk partial sums that changed
        (``_KeptChunkSums``), added in block order in the client. The labels,
        and Hamerly's bounds and sums, stay where they were computed (see
        ``_keep``). An iteration that empties a cluster runs one more graph
        (the relocation candidates), as in memory. Labels come back lazy
        (persisted).
        """
        blocks, dtype, mean = self.blocks, self.dtype, self.mean
        n_clusters = centers_init.shape[0]
        chunk_rows = chunk_rows_for(blocks.n_samples, n_clusters, blocks.n_features)
        centers = np.array(centers_init, dtype=dtype, order="C", copy=True)
        run_id = uuid.uuid4().hex
        previous = None  # the previous pass's (centers_t, squared_norms)
        shifts = np.zeros(n_clusters)  # each center's move since the previous pass
        partials = _KeptChunkSums(blocks.rows, chunk_rows, n_clusters, blocks.n_features)
        report = bool(verbose) or history is not None
        strict_convergence = False
        groups = self._block_groups()
        for iteration in range(max_iter):
            current = (transposed(centers), squared_norms(centers))
            spec = _IterationPass(
                mean, current, previous, chunk_rows, dtype, run_id, iteration, blocks.n_samples
            )
            if algorithm == "hamerly":
                function = _hamerly_block
                bounds_moves = (_half_separation(centers), shifts.copy())
                pass_args = (spec, bounds_moves, centers if report else None)
            else:
                function, pass_args = _lloyd_block, (spec, report)
            sums, weights, inertia_before, n_changed = partials.reduce(
                self._group_pass(
                    f"kmeans_{algorithm}_blocks-{run_id}-{iteration}",
                    function,
                    groups,
                    [(b,) for b in range(len(blocks))],
                    *pass_args,
                )
            )
            relocated = bool((weights == 0).any()) and self._relocate_empty_clusters(
                centers, sums, weights, run_id, iteration, chunk_rows
            )
            new_centers = mean_centers(sums, weights, dtype)
            # The in-memory fit's own shift function: the same bits for the tol
            # test, and the same shifts for Hamerly's bounds.
            center_shift_sq = center_shifts(new_centers, centers, shifts)
            if report:
                report_iteration(
                    iteration, inertia_before, center_shift_sq, new_centers, verbose, history
                )
            centers, previous = new_centers, current
            strict_convergence, stop = _converged(
                iteration, n_changed, relocated, center_shift_sq, tol, verbose
            )
            if stop:
                break

        bounds_moves = None
        if algorithm == "hamerly" and not strict_convergence:
            # The final centers' separations, and their moves since the last pass
            # (``shifts``), for the re-assignment with each block's bounds.
            bounds_moves = (_half_separation(centers), shifts)
        finals = []
        homes = self._block_homes()
        for b in range(len(blocks)):
            with self._at_home(homes.get(b)):
                finals.append(
                    self._named_task(
                        f"kmeans_final_block-{run_id}-{b}",
                        _final_block,
                        blocks.blocks[b],
                        self._weights_of(b),
                        mean,
                        centers,
                        chunk_rows,
                        dtype,
                        run_id,
                        b,
                        (iteration, previous),
                        strict_convergence,
                        bounds_moves,
                        blocks.n_samples,
                    )
                )
        final_labels, (inertia, n_distinct) = self._kept_and_combined(finals, _reduce_final)
        self._forget_run(run_id)
        return final_labels, inertia, centers, iteration + 1, n_distinct

    def _relocate_empty_clusters(self, centers_old, sums, weights, run_id, iteration, chunk_rows):
        """``relocate_empty_clusters`` across blocks (a second, rare, pass over the data).

        Returns whether a sample was moved (as the in-memory function does).

        Each block proposes its ``n_empty`` farthest rows; the farthest overall
        (largest squared distance to its assigned center, the lowest row first
        on ties) become the new centers, the farthest first.
        """
        blocks = self.blocks
        empty = np.flatnonzero(weights == 0)
        proposals = self.dask.compute(
            [
                self._named_task(
                    f"kmeans_farthest_block-{run_id}-{iteration}-{b}",
                    _farthest_block,
                    blocks.blocks[b],
                    self._weights_of(b),
                    self.mean,
                    centers_old,
                    self.dtype,
                    empty.size,
                    blocks.offsets[b],
                    run_id,
                    b,
                    iteration,
                    chunk_rows,
                )
                for b in range(len(blocks))
            ]
        )[0]
        distances = np.concatenate([p[0] for p in proposals])
        if distances.max() == 0:
            return False
        rows = np.concatenate([p[1] for p in proposals])
        samples = np.concatenate([p[2] for p in proposals])
        sample_weights = np.concatenate([p[3] for p in proposals])
        old_labels = np.concatenate([p[4] for p in proposals])
        farthest = np.lexsort((rows, -distances))[: empty.size]
        move_to_empty_clusters(
            sums, weights, empty, samples[farthest], sample_weights[farthest], old_labels[farthest]
        )
        return True

    # -- seeding -------------------------------------------------------------------

    def _rows(self, indices):
        """Centered rows ``indices`` of X (a read of the blocks holding them only).

        One task per block holding some, on the block itself (rather than
        Dask's fancy indexing of X, whose graph cost ~30 ms to build and
        run for k-means||'s first row at 16 blocks).
        """
        blocks = self.blocks
        indices = np.asarray(indices, dtype=np.int64)
        holding = np.searchsorted(blocks.offsets, indices, side="right") - 1
        holders = np.unique(holding)
        parts = self.dask.compute(
            [
                self._task(
                    _rows_of_block, blocks.blocks[b], indices[holding == b] - blocks.offsets[b]
                )
                for b in holders
            ]
        )[0]
        rows = np.empty((indices.size, blocks.n_features), dtype=self.dtype)
        for b, part in zip(holders, parts):
            rows[holding == b] = part
        return rows - self.mean

    def random_rows(self, n_clusters, random_state):
        """``init="random"``: k distinct rows, drawn as the in-memory fit draws them.

        The draw needs the weights only (n values, never X): they are gathered,
        and the k chosen rows are read.
        """
        n = self.blocks.n_samples
        if self.weight_blocks is None:
            weights = np.ones(n, dtype=self.dtype)
        else:
            weights = np.concatenate(self.dask.compute(self.weight_blocks)[0]).astype(self.dtype)
        rows = random_state.choice(n, size=n_clusters, replace=False, p=weights / weights.sum())
        return self._rows(rows)

    def _gathered_weights(self):
        if self.weight_blocks is None:
            return np.ones(self.blocks.n_samples, dtype=self.dtype)
        return np.concatenate(self.dask.compute(self.weight_blocks)[0]).astype(self.dtype)

    def kmeans_plusplus(self, n_clusters, random_state):
        """Greedy k-means++ drawing the random numbers the in-memory fit draws, in order.

        The first center is drawn from the (gathered) weights exactly as in
        memory. Each next step draws ``2 + int(log k)`` targets times the
        potential, finds the rows where the running ``sum(w * D^2)`` reaches
        them (block totals locate the block; one task searches it), scores
        every candidate in one pass (which also applies the previous winner to
        the persisted ``D^2``) and keeps the best. One pass over X per center.
        The sums are grouped by block rather than by the in-memory chunks, so a
        target can land on a different row only when it falls within rounding
        (~1e-16 relative) of a boundary between two rows.
        """
        blocks = self.blocks
        n = blocks.n_samples
        weights = self._gathered_weights()
        n_local_trials = local_trials(n_clusters, None)
        if self.dtype == np.float64:
            first = _weighted_draw(weights, weights.sum(), random_state.random_sample())
        else:
            first = random_state.choice(n, p=weights / weights.sum())
        del weights
        indices = [int(first)]
        winner = self._rows([first])[0]
        closest = [None] * len(blocks)
        block_totals = None
        for _ in range(1, n_clusters):
            if block_totals is None:
                # First pass: D^2 to the first center and the block potentials.
                closest, potentials = self._plusplus_scores(closest, winner, winner[None])
                block_totals = potentials[:, 0]
            potential = float(block_totals.sum())
            targets = random_state.uniform(size=n_local_trials) * potential
            candidates = self._plusplus_search(closest, winner, block_totals, targets)
            candidate_rows = self._rows(candidates)
            closest, potentials = self._plusplus_scores(closest, winner, candidate_rows)
            best = int(np.argmin(potentials.sum(axis=0)))
            block_totals = potentials[:, best]
            winner = candidate_rows[best]
            indices.append(int(candidates[best]))
        return self._rows(indices)

    def _plusplus_scores(self, closest, winner, candidates):
        blocks = self.blocks
        parts = [
            self._task(
                _plusplus_score_block,
                blocks.blocks[b],
                self._weights_of(b),
                closest[b],
                self.mean,
                winner,
                candidates,
                self.dtype,
            )
            for b in range(len(blocks))
        ]
        kept, scores = self._kept_and_combined(parts, _as_list)
        return kept, np.array(scores)

    def _plusplus_search(self, closest, winner, block_totals, targets):
        blocks = self.blocks
        ends = np.cumsum(block_totals)
        holding = np.minimum(np.searchsorted(ends, targets, side="left"), len(blocks) - 1)
        starts = ends - block_totals
        searches = [
            self._task(
                _plusplus_search_block,
                blocks.blocks[b],
                self._weights_of(b),
                closest[b],
                self.mean,
                winner,
                self.dtype,
                targets[holding == b] - starts[b],
            )
            for b in np.unique(holding)
        ]
        found = self.dask.compute(searches)[0]
        rows = np.empty(targets.size, dtype=np.int64)
        for b, block_rows in zip(np.unique(holding), found):
            rows[holding == b] = block_rows + blocks.offsets[b]
        return rows

    def kmeans_parallel(
        self,
        n_clusters,
        random_state,
        rounds=KMEANS_PARALLEL_ROUNDS,
        oversampling_factor=OVERSAMPLING_FACTOR,
    ):
        """k-means|| seeding (Bahmani et al. 2012, "Scalable K-Means++", Algorithm 2).

        The first candidate is a row drawn uniformly at random; each of
        ``rounds`` rounds then draws every row independently with probability
        ``min(1, l * w * D^2 / phi)`` (``l = oversampling_factor * k``, D the
        distance to the nearest candidate so far, phi the total weighted
        potential); each candidate is weighted by the sample weight of the
        rows nearest to it, and weighted greedy k-means++ on the candidates
        (:func:`kmeans_core.kmeans_plusplus`) picks the k centers.

        Every row's random number is a function of (random_state, round, global
        row index) only, so the same ``random_state`` gives the same centers
        whatever the block layout. A round updates the distances with the
        previous round's draws and draws from the updated ones in the same
        pass: not knowing the new total potential yet, each block returns
        every row that would be drawn if the potential had fallen
        ``POTENTIAL_DROP_BOUND`` times (at most that many times ``l`` rows);
        the client keeps those the true potential draws, and only if the
        potential fell further does a separate drawing pass run. Round 1
        needs no pass of its own: round 0 (the distances to the first
        candidate, which draws nothing) also returns every row round 1 would
        draw if the total potential were the block's own potential (a lower
        bound of the total: each block returns about ``l`` rows), and the
        client keeps those the total draws: round 1's rows, bit for bit.

        Passes: ``rounds + 1`` graphs (plus the read of the first row), each
        one task per group of blocks (``_block_groups``) and one round trip
        returning only the potentials and the rows each block may draw; each
        reads X once. Each row's nearest candidate so far and ``D^2`` to it
        stay on the workers between rounds (``_keep``; a block that finds
        none recomputes them from the candidates drawn so far, which every
        pass sends), so the candidates' weights (one more pass) need only
        the distances to the last round's draws.
        """
        blocks = self.blocks
        n = blocks.n_samples
        seed, first = first_draws(n, random_state)
        candidates = [self._rows([first])]
        run_id = uuid.uuid4().hex
        groups = self._block_groups()
        oversampling = oversampling_factor * n_clusters
        applied = []  # the candidate sets the workers' distances hold, in order
        new_candidates = np.asarray(candidates[0], dtype=np.float64)
        potential = drawn = None
        step = 0  # passes run: pass ``step`` reads the distances pass ``step - 1`` kept
        # Each row's nearest-candidate index (2 bytes a row) is kept beside its
        # distance (8) only when X is held in memory. Streamed from storage,
        # the workers' memory is what is short: measured, 4 GB of zarr on two
        # 1 GiB workers crossed distributed's pause threshold 28 times in the
        # seeding with the distances alone and stalled with the index too;
        # the weights pass then finds the indices again, a pass that reading
        # the store costs more than.
        keep_index = self.held_in_memory()

        def oversampling_pass(round_drawn, bound):
            """One pass (``_oversample_block`` on every block): phi and the rows it may draw.

            Applies ``new_candidates`` as they are at the call, then draws
            round ``round_drawn``. The rows come as ``(uniforms, w * D^2,
            centered rows)``, in row order. The first pass of a fit also
            brings the centred statistics behind the variances, which are
            checked before anything else.
            """
            nonlocal step
            center_stats = step == 0 and self._variances is None
            summaries = self._group_pass(
                f"kmeans_parallel_blocks-{run_id}-{step}",
                _oversample_block,
                groups,
                [(b, blocks.offsets[b]) for b in range(len(blocks))],
                self.mean,
                self.dtype,
                run_id,
                step,
                list(applied),  # a copy: the client appends to it while the graph may run
                new_candidates,
                round_key(seed, round_drawn),
                oversampling,
                bound,
                center_stats,
                keep_index,
            )
            step += 1
            if center_stats:
                self.center_statistics([s[4] for s in summaries])
            potential = float(np.sum([s[0] for s in summaries]))
            drawn = tuple(np.concatenate([s[i] for s in summaries]) for i in range(1, 4))
            return potential, drawn

        for round_index in range(rounds + 1):
            if round_index == 1:
                # Round 0's pass drew for round 1 already, from the same distances
                # (round 1 adds no candidate before drawing): keep what the total draws.
                uniforms, weighted, rows = drawn
                keep = uniforms * potential < oversampling * weighted
                new_candidates = np.asarray(rows[keep], dtype=np.float64)
                candidates.append(rows[keep])
                continue
            bound = OWN_POTENTIAL if potential is None else potential / POTENTIAL_DROP_BOUND
            # Round 0 draws nothing of its own: its pass draws round 1's rows.
            potential, drawn = oversampling_pass(max(round_index, 1), bound)
            if new_candidates.shape[0]:
                applied.append(new_candidates)
                new_candidates = new_candidates[:0]
            if potential == 0:
                break
            if round_index == 0:
                continue
            if potential < bound:  # fell further than the bound allows
                _, drawn = oversampling_pass(round_index, potential)
            uniforms, weighted, rows = drawn
            keep = uniforms * potential < oversampling * weighted
            new_candidates = np.asarray(rows[keep], dtype=np.float64)
            candidates.append(rows[keep])
        candidates = np.concatenate(candidates)
        # The last round's draws (``new_candidates``) are the only ones no pass applied yet.
        weights = np.sum(
            self._group_pass(
                f"kmeans_parallel_weights-{run_id}",
                _candidate_weights_block,
                groups,
                [(b,) for b in range(len(blocks))],
                self.mean,
                self.dtype,
                run_id,
                step,
                applied,
                new_candidates,
                keep_index,
            ),
            axis=0,
        )
        self._forget_run(run_id)
        return centers_from_candidates(
            candidates, weights, n_clusters, random_state, n, self._rows
        ).astype(self.dtype)

    def _forget_run(self, run_id):
        """Drop the run's kept block states in every worker, not only where its last pass ran.

        The last pass forgets each block's state in the process that ran it; a
        block whose earlier pass ran in another process (data read from
        storage have no home, so a block may move) left its state there, for
        up to ``KEPT_RUNS`` runs: 4 bytes a row for labels, 8 for k-means||
        distances, which on data larger than the workers' memory is not
        small. One message per worker, after the run's results are in.
        """
        _forget_run(run_id)  # this process (threaded scheduler)
        client = _distributed_client(self.dask)
        if client is not None:
            client.run(_forget_run, run_id, on_error="ignore")  # a lost worker kept nothing

    def same_clustering(self, labels_a, labels_b, n_clusters):
        mappings = [
            self._task(_label_mapping_block, a, b, n_clusters) for a, b in zip(labels_a, labels_b)
        ]
        return self._task(_same_clustering, *mappings).compute()

    def labels_array(self, labels):
        da = self.da
        return da.concatenate(
            [
                da.from_delayed(block_labels, shape=(rows,), dtype=np.int32)
                for block_labels, rows in zip(labels, self.blocks.rows)
            ]
        )

    def centered(self):
        """X centered on the means, as a lazy Dask array (for a callable ``init``)."""
        return self.blocks.array.astype(self.dtype) - self.mean


# --- k-means|| seeding -------------------------------------------------------------


def _nearest_of_sets(X, mean, candidate_sets, keep_index=True):
    """``nearer_candidates`` over the candidate sets in order, from none: what the passes keep."""
    nearest = None
    first_index = 0
    for candidates in candidate_sets:
        nearest = nearer_candidates(nearest, X, candidates, first_index, mean, keep_index)
        first_index += candidates.shape[0]
    return nearest


def _nearest_after(X, mean, run_id, block_index, step, applied, keep_index):
    """The block's nearest candidates after pass ``step``: kept by that pass here, or computed again.

    ``(squared distance, candidate index)`` per row (``nearer_candidates``;
    the index None without ``keep_index``); ``applied``: the candidate sets
    those hold, in the order the passes applied them; the same
    ``nearer_candidates`` calls in the same order give the same bits. None
    before any candidate.
    """
    if not applied:
        return None
    nearest = _kept_value(run_id, block_index, step, take=True)
    if nearest is None:
        nearest = _nearest_of_sets(X, mean, applied, keep_index)
        _count("distances")
    return nearest


def _nearest_with(X, mean, run_id, block_index, step, applied, new_candidates, keep_index):
    """``_nearest_after`` pass ``step - 1``, updated with ``new_candidates`` (possibly none)."""
    nearest = _nearest_after(X, mean, run_id, block_index, step - 1, applied, keep_index)
    if new_candidates.shape[0]:
        first_index = sum(candidates.shape[0] for candidates in applied)
        nearest = nearer_candidates(nearest, X, new_candidates, first_index, mean, keep_index)
    return nearest


def _oversample_block(
    block,
    weight_block,
    block_index,
    offset,
    mean,
    dtype,
    run_id,
    step,
    applied,
    new_candidates,
    key,
    oversampling,
    potential_bound,
    center_stats,
    keep_index,
):
    """Pass ``step`` of k-means|| over a block.

    Updates each row's nearest candidate and squared distance to it (kept
    here by the previous pass, see ``_keep``) with ``new_candidates`` (drawn
    last round; possibly none), keeps them for the next pass, and returns
    the block's potential ``sum(w * D^2)`` with every row that would be
    drawn this round (``key``: ``round_key(seed, round)``) if the total
    potential were ``potential_bound`` (a lower bound of it, so the rows
    actually drawn are among them; the client filters with the true total;
    None: draw nothing; ``OWN_POTENTIAL``: the block's own potential):
    ``(potential, uniforms, w * D^2, centered rows)`` of the drawn rows, in
    row order, and with ``center_stats`` the block's ``_center_stats_block``
    (the variances' pass, riding on the first round; else None).
    """
    X = _as_float_block(block, dtype)
    n_rows = X.shape[0]
    stats = _center_stats_block(X, None, mean, dtype) if center_stats else None
    # Squared distances that overflow are refused by the client from these
    # statistics before it reads anything else of this pass: no warnings here.
    with _kernel_task(), np.errstate(over="ignore", invalid="ignore"):
        nearest = _nearest_with(
            X, mean, run_id, block_index, step, applied, new_candidates, keep_index
        )
        closest = nearest[0]
        if weight_block is None:
            weighted = closest  # ``1.0 * closest``, bit for bit; never written in place
        else:
            weighted = _unit_weights_or(weight_block, n_rows, dtype).astype(np.float64) * closest
        potential = float(weighted.sum())
        if isinstance(potential_bound, str):  # OWN_POTENTIAL
            potential_bound = potential
        drawn = np.empty(n_rows if potential_bound is not None else 0, dtype=np.int64)
        uniforms = np.empty(drawn.shape[0])
        if potential_bound is not None:
            n_drawn = oversampled_rows(
                key, offset, weighted, potential_bound, oversampling, drawn, uniforms
            )
            drawn, uniforms = drawn[:n_drawn], uniforms[:n_drawn]
        # ``X[drawn] - mean``: the rows of the centered block (the same subtraction).
        result = potential, uniforms, weighted[drawn], X[drawn] - mean, stats
    # Kept after the results are taken: the next pass updates ``closest`` in place.
    _keep(run_id, block_index, step, nearest)
    return result


def _candidate_weights_block(
    block, weight_block, block_index, mean, dtype, run_id, step, applied, new_candidates, keep_index
):
    """The block's sample weight nearest to each candidate; the run's last pass (forgets ``D^2``).

    With ``keep_index``, the nearest candidates the rounds kept here,
    updated with the last round's draws (``new_candidates``) only: a pass
    over a fifth of the candidates instead of all (0.8 against 0.26 s at
    4e6 x 8, k=16). Without (X streamed from storage, see
    ``_DaskFit.kmeans_parallel``), every candidate set again in the same order:
    the same indices, bit for bit.
    """
    X = _as_float_block(block, dtype)
    weights = _unit_weights_or(weight_block, X.shape[0], dtype).astype(np.float64)
    with _kernel_task():
        if keep_index:
            _, nearest = _nearest_with(
                X, mean, run_id, block_index, step, applied, new_candidates, keep_index
            )
        else:
            _forget(run_id, block_index)  # the distances: not needed, and memory is short
            sets = [*applied, new_candidates] if new_candidates.shape[0] else applied
            _, nearest = _nearest_of_sets(X, mean, sets)
    _forget(run_id, block_index)
    n_candidates = sum(candidates.shape[0] for candidates in applied) + new_candidates.shape[0]
    return np.bincount(nearest, weights=weights, minlength=n_candidates)


# --- exact k-means++ -------------------------------------------------------------


def _squared_distances_to(X, center):
    """``sum((x - center)^2)`` per row, in float64, features added in order."""
    squared = np.zeros(X.shape[0])
    for f in range(X.shape[1]):
        diff = X[:, f].astype(np.float64) - np.float64(center[f])
        squared += diff * diff
    return squared


def _plusplus_closest(X, closest, winner):
    distances = _squared_distances_to(X, winner)
    return distances if closest is None else np.minimum(closest, distances)


def _plusplus_search_block(block, weight_block, closest, mean, winner, dtype, targets):
    """Rows (block-relative) where the running ``sum(w * D^2)`` first reaches each target."""
    X = _centered_block(block, mean, dtype)
    weights = _unit_weights_or(weight_block, X.shape[0], dtype).astype(np.float64)
    running = np.cumsum(weights * _plusplus_closest(X, closest, winner))
    found = np.searchsorted(running, targets, side="left")
    return np.minimum(found, X.shape[0] - 1)


def _plusplus_score_block(block, weight_block, closest, mean, winner, candidates, dtype):
    """Apply the last winner to the block's ``D^2``; the block's potential for each candidate.

    Each potential is a BLAS dot product, which OpenBLAS splits between its
    threads on long blocks and then rounds differently with their number:
    computed on one BLAS thread (``_kernel_task``), a block's potentials have
    the same bits on any worker, whatever its BLAS setting.
    """
    X = _centered_block(block, mean, dtype)
    weights = _unit_weights_or(weight_block, X.shape[0], dtype).astype(np.float64)
    closest = _plusplus_closest(X, closest, winner)
    with _kernel_task():
        potentials = np.array(
            [
                float(weights @ np.minimum(closest, _squared_distances_to(X, candidate)))
                for candidate in candidates
            ]
        )
    return closest, potentials


def _check_weight_stats(stats):
    if not all(s[0] for s in stats):
        raise ValueError("sample_weight contains NaN or infinity.")
    n_negative = sum(s[1] for s in stats)
    if n_negative:
        first = min(s[2] for s in stats if s[1])
        raise ValueError(
            f"Negative values in sample_weight are not allowed ({n_negative} negative, first at "
            f"index {first})."
        )
    if not any(s[3] for s in stats):
        raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")


# ---------------------------------------------------------------------------
# Entry points used by kmeans_core.KMeans
# ---------------------------------------------------------------------------


def fit(estimator, X, sample_weight=None):
    """Fit ``estimator`` (a :class:`kmeans_core.KMeans`) on a Dask array or DataFrame.

    Called by ``KMeans.fit``; the fitted attributes are the in-memory fit's,
    except that ``labels_`` is a Dask array (already computed on the workers).
    """
    estimator._check_feature_names(X, reset=True)
    X = _as_dask_matrix(X)
    init = estimator.init
    n_init = _check_params(estimator, X)
    random_state = check_random_state(estimator.random_state)
    run = _DaskFit(X, sample_weight)

    init_centers = None
    if _is_array_like(init):
        init_centers = estimator._check_init_centers(init, _Shape(X.shape, run.dtype), "init")

    mean = run.prepare()
    if not (isinstance(init, str) and init == "k-means||"):
        # Checked before any seeding pass (k-means|| reads them in its first pass).
        run.variances()
    if init_centers is not None:
        init_centers -= mean
    algorithm, why = _resolved_algorithm(estimator, run)
    if estimator.verbose:
        print(f"algorithm={estimator.algorithm!r} on Dask input: {algorithm}'s iterations ({why}).")

    best = None
    for _ in range(n_init):
        centers = _initial_centers(estimator, run, init_centers, random_state)
        if estimator.verbose:
            print("Initialization complete")
        tol = float(np.mean(run.variances()) * estimator.tol)
        history = [] if estimator.record_history else None
        labels, inertia, centers, n_iter, n_distinct = run.iterations_run(
            algorithm, centers, estimator.max_iter, tol, estimator.verbose, history
        )
        if best is None or (
            inertia < best[1] and not run.same_clustering(labels, best[0], estimator.n_clusters)
        ):
            best = (labels, inertia, centers, n_iter, history, n_distinct)

    labels, inertia, centers, n_iter, history, n_distinct = best
    centers = centers + mean
    if history is not None:
        for record in history:
            record["centers"] = record["centers"] + mean
    if n_distinct < estimator.n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({n_distinct}) found smaller than n_clusters "
            f"({estimator.n_clusters}). Possibly due to duplicate points in X.",
            _interoperable_class(ConvergenceWarning, "ConvergenceWarning"),
            stacklevel=3,
        )
    estimator.cluster_centers_ = centers
    estimator.labels_ = run.labels_array(labels)
    estimator.inertia_ = _unscaled_inertia(inertia, run.weight_exponent)
    estimator.n_iter_ = n_iter
    estimator.n_features_in_ = run.blocks.n_features
    if history is not None:
        estimator.history_ = history
    elif hasattr(estimator, "history_"):
        del estimator.history_
    return estimator


def _resolved_algorithm(estimator, run):
    """The iteration a Dask fit runs ("lloyd" or "hamerly") and why, for the verbose output.

    ``"auto"``: Hamerly's when X is held in memory (``held_in_memory``) and
    the in-memory speed rule (:func:`kmeans_core._iterations.bounds_can_pay`;
    the small-table rule weighs a compiled whole run Dask does not have) lets
    bounds pay; Lloyd's when X is read from storage on every pass: such
    blocks have no home worker, so a block's next pass often runs where its
    bounds are not and would rebuild them (a full assignment more), and
    the bounds (20 bytes a row) and centered copy would sit in memory the
    data itself does not fit in; Lloyd's too on the ``processes`` scheduler
    (nothing kept survives a pass), and where Hamerly's state would not fit
    (``hamerly_state_room``). ``"elkan"`` runs Hamerly's (Elkan's ``n *
    k`` lower bounds are not kept per block). Every choice gives the same
    answer, bit for bit.
    """
    requested = estimator.algorithm
    n_features = run.blocks.n_features
    k = estimator.n_clusters
    if k == 1:
        if requested in ("elkan", "hamerly"):
            warnings.warn(
                f"algorithm='{requested}' doesn't make sense for a single cluster. "
                "Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=4,
            )
        return "lloyd", "a single cluster"
    if requested == "lloyd":
        return "lloyd", "as requested"
    if requested == "hamerly":
        return "hamerly", "as requested"
    if requested == "elkan":
        return "hamerly", (
            "Elkan's n x k lower bounds are not kept per block on Dask; Hamerly's bounds, "
            "the same answer"
        )
    if run.scheduler_forgets():
        return "lloyd", (
            "the processes scheduler runs each pass in a fresh process: no block keeps "
            "bounds between passes"
        )
    if not run.held_in_memory():
        return "lloyd", (
            "X is read afresh on every pass, not persisted: its blocks have no home worker "
            "to keep bounds on; persist X to get Hamerly's"
        )
    if not bounds_can_pay(n_features, k):
        return "lloyd", "k < 8 and d < 8: bounds do not pay, as in memory"
    no_room = run.hamerly_state_room(k)
    if no_room is not None:
        return "lloyd", f"X is persisted, but Hamerly's state would not fit: {no_room}"
    return "hamerly", "X is persisted: each block keeps its bounds where it is held"


class _Shape:
    """Stands in for X where only its shape is read (the init checks)."""

    def __init__(self, shape, dtype):
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)


DASK_INITS = ("k-means||", "k-means++", "random")


def _check_params(estimator, X):
    """The estimator's own parameter checks (they read X's shape only)."""
    return estimator._check_params(_Shape(X.shape, X.dtype))


def _initial_centers(estimator, run, init_centers, random_state):
    init = estimator.init
    if init_centers is not None:
        return init_centers
    if isinstance(init, str) and init == "k-means||":
        return run.kmeans_parallel(estimator.n_clusters, random_state)
    if isinstance(init, str) and init == "k-means++":
        return run.kmeans_plusplus(estimator.n_clusters, random_state)
    if isinstance(init, str) and init == "random":
        return run.random_rows(estimator.n_clusters, random_state)
    if isinstance(init, str):
        raise ValueError(  # noqa: TRY004 (the project's rule: bad input is a ValueError)
            f"init must be 'k-means||', 'k-means++', 'random', an array of shape (n_clusters, "
            f"n_features) or a callable, got {init!r}."
        )
    centers = init(run.centered(), estimator.n_clusters, random_state=random_state)
    if is_dask_collection(centers):
        centers = centers.compute()
    return estimator._check_init_centers(
        centers, _Shape(run.blocks.array.shape, run.dtype), "the centers init returned"
    )


def _test_matrix(estimator, X):
    estimator._check_fitted()
    estimator._check_feature_names(X, reset=False)
    X = _as_dask_matrix(X)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {estimator.__class__.__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    return X


def predict(estimator, X):
    """Lazy labels (int32 Dask array) of the nearest fitted center of each row of X."""
    X = _test_matrix(estimator, X)
    dtype = _working_dtype(X.dtype)
    centers = estimator.cluster_centers_.astype(dtype)
    return X.map_blocks(
        _predict_block,
        centers,
        dtype,
        dtype=np.int32,
        drop_axis=1,
    )


def transform(estimator, X):
    """Lazy Euclidean distances (Dask array, X's float dtype) of each row to each center."""
    X = _test_matrix(estimator, X)
    dtype = _working_dtype(X.dtype)
    n_clusters = estimator.cluster_centers_.shape[0]
    return X.map_blocks(
        _transform_block,
        transposed(estimator.cluster_centers_),
        dtype,
        dtype=dtype,
        chunks=(X.chunks[0], (n_clusters,)),
    )


def score(estimator, X, sample_weight=None):
    """Lazy opposite of the weighted inertia of X on the fitted centers (a 0-d Dask array)."""
    dask, da = _dask_imports()
    X = _test_matrix(estimator, X)
    dtype = _working_dtype(X.dtype)
    centers = estimator.cluster_centers_.astype(dtype)
    weight_blocks, _, _, exponent = _weight_blocks(sample_weight, X, dtype)
    blocks = _Blocks(X, dtype)
    delayed = dask.delayed
    parts = [
        delayed(_score_block, pure=True)(
            blocks.blocks[b],
            None if weight_blocks is None else weight_blocks[b],
            centers,
            dtype,
            blocks.n_samples,
        )
        for b in range(len(blocks))
    ]
    total = delayed(_negated_total, pure=True)(exponent, *parts)
    return da.from_delayed(total, shape=(), dtype=np.float64)


class KMeans(_InMemoryKMeans):
    """:class:`kmeans_core.KMeans` with k-means|| as the default seeding.

    The same estimator (every method accepts NumPy and Dask input alike, and
    ``kmeans_core.KMeans`` itself fits Dask input through this module); only
    the default ``init`` differs: ``"k-means||"``, the seeding that needs a
    handful of passes over the data instead of one per center, which is what
    a dataset read from storage wants. See ``docs/dask.md``.
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means||",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="auto",
        record_history=False,
    ):
        super().__init__(
            n_clusters,
            init=init,
            n_init=n_init,
            max_iter=max_iter,
            tol=tol,
            verbose=verbose,
            random_state=random_state,
            copy_x=copy_x,
            algorithm=algorithm,
            record_history=record_history,
        )
