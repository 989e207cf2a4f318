"""Lloyd's algorithm: one fused numba pass per iteration.

The pass reads X once, chunk by chunk, and for each sample finds the nearest
center (assignment step), adds the weighted sample to its cluster's running sum and
weight (the update step's numerators), counts label changes and sums the
weighted squared distance. Running sums live in one slot per fixed chunk of
rows (not per thread), each the ordered sum of a few finer slots
(:func:`sum_slot_rows`), and :func:`reduce_chunks` adds the chunks in order,
so the new centers are bitwise identical for any number of threads, and to
what the bounds algorithms keep (``_kernels/bounds.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from kmeans_core._kernels.common import chunk_index, chunk_span, rows_as_float64
from kmeans_core._kernels.distances import (
    center_shifts,
    cross_block_rows,
    nearest_center_direct,
    nearest_centers_ranked,
)
from kmeans_core._kernels.jit import jit, jit_parallel


class ChunkPartials(NamedTuple):
    """What a pass writes for each fixed chunk of rows: the block contract's partial results.

    ``sums`` (n_chunks, k, d) and ``weights`` (n_chunks, k) float64: the
    weighted coordinate sums and weights per cluster (the update step's
    numerators; (1, ...) placeholders, never read, for a pass without them);
    ``inertia`` (n_chunks,) float64: the weighted squared distances to the
    centres the pass ranked by; ``changed`` (n_chunks,) int64: labels
    changed; ``rows``: rows per chunk (see
    :func:`kmeans_core._kernels.jit.chunk_rows_for`), which depends on the
    data's shape only, never on the thread count.
    """

    sums: np.ndarray
    weights: np.ndarray
    inertia: np.ndarray
    changed: np.ndarray
    rows: int


def labels_only_partials(n_chunks, chunk_rows):
    """:class:`ChunkPartials` for a pass that only labels (``update`` false)."""
    return ChunkPartials(
        np.empty((1, 1, 1)),
        np.empty((1, 1)),
        np.empty(n_chunks),
        np.empty(n_chunks, np.int64),
        chunk_rows,
    )


@jit_parallel
def lloyd_pass(X, sample_weight, row_norms, centers_t, norms, labels, partials, update, narrow):
    """Assign every sample to its nearest center; optionally accumulate new-center sums.

    Each chunk's labels come from the block primitive
    ``_kernels.distances.nearest_centers_ranked``: centers ranked by
    ``|c|^2 - 2 x.c`` (``|x|^2`` is the same for every center; the cross terms
    in float64 BLAS products of at most 256 KiB of rows, single-threaded inside
    each chunk, or across rows in vector lanes on narrow data), near-ties settled by the
    direct distance, lowest index first (the tie rule of
    ``_kernels/distances.py``). The inertia reported per chunk is clamped at 0
    (the expansion can round a tiny distance below zero); the final inertia
    of a fit is recomputed directly by ``inertia_per_chunk``.

    Parameters
    ----------
    X : (n_samples, n_features) float32/float64, C-contiguous.
    sample_weight : (n_samples,) array of X's dtype.
    row_norms : (n_samples,) float64, the rows' squared norms (a fit makes
        them once: ``_iterations.fit_row_norms``), or an empty array: each
        chunk then computes its own (``_kernels.distances.row_norms_unknown``;
        the same bits).
    centers_t : (n_features, n_clusters) float64, the transposed current centers.
    norms : (n_clusters,) float64, the centers' squared norms.
    labels : (n_samples,) int32, overwritten with the new labels.
    partials : ChunkPartials
        Out: each chunk's sums, weights, inertia (against the *current*
        centers) and label changes.
    update : bool
        False skips the sums (``predict`` and the final re-assignment).
    narrow : True or None
        The ranking, fixed when the kernel compiles
        (``_kernels.distances.narrow_rows``): feature sweeps or a BLAS product.

    :func:`kmeans_core._kernels.jit.serial` gives this pass on the calling
    thread, for small inputs (the same :func:`lloyd_chunk`, so the same bits).
    """
    for chunk in prange(partials.inertia.shape[0]):
        lloyd_chunk(
            X,
            sample_weight,
            row_norms,
            centers_t,
            norms,
            labels,
            partials,
            update,
            narrow,
            chunk_index(chunk),
        )


@jit
def lloyd_chunk(
    X, sample_weight, row_norms, centers_t, norms, labels, partials, update, narrow, chunk
):
    """Chunk ``chunk`` of :func:`lloyd_pass` (same arguments, plus the chunk index).

    Its own compiled function, so the parallel pass, its serial twin and
    the small-table run (:func:`lloyd_run_compiled`) execute the same machine
    code. Written inline in the ``prange`` body instead, the serial compile
    of that body ran 3.7x slower than the parallel one (10,000 x 8, k=8,
    one thread: 530 against 145 us a pass).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_t.shape[1]
    chunk_sums, chunk_weights = partials.sums, partials.weights
    chunk_rows = partials.rows
    slot_rows = sum_slot_rows(chunk_rows, partials.inertia.shape[0], n_clusters, n_features)
    start = chunk * chunk_rows
    stop = min(start + chunk_rows, n_samples)
    rows = rows_as_float64(X, start, stop)
    n_rows = stop - start
    slot_sums = np.empty((n_clusters, n_features))
    slot_weights = np.empty(n_clusters)
    if update:
        clear_chunk_sums(slot_sums, slot_weights, chunk, chunk_sums, chunk_weights)
    inertia = 0.0
    changed = 0
    slot_stop = min(slot_rows, n_rows)  # rows are added to the chunk's sums slot by slot
    # Ranked a block of rows at a time (``cross_block_rows``: one block up to
    # d = 32), so that the block's product and the sweeps after it read rows
    # from the core's L2 cache; a block's cross terms may round differently
    # from a whole chunk's in their last bit, which moves only the pass's
    # inertia (the verbose figure), never a label. Two threads, 10 Lloyd
    # iterations from the same init array, whole chunks -> blocks: 5e4 x 300
    # x 10 195-203 -> 121-130 ms, 1e5 x 128 x 8 84-85 -> 68-73 ms, 2e5 x 64 x
    # 16 196-203 -> 180-189 ms.
    block_rows = cross_block_rows(n_features)
    for block_start in range(0, n_rows, block_rows):
        block_stop = min(block_start + block_rows, n_rows)
        # The block's norms, or empty when they are not known (``row_norms`` empty).
        nearest, own, _, block_norms = nearest_centers_ranked(
            rows[block_start:block_stop],
            centers_t,
            norms,
            narrow,
            row_norms[start + block_start : start + block_stop],
        )
        for r in range(block_start, block_stop):
            i = start + r
            label = nearest[r - block_start]
            changed += labels[i] != label
            labels[i] = label
            weight = np.float64(sample_weight[i])
            inertia += weight * max(own[r - block_start] + block_norms[r - block_start], 0.0)
            if update:
                slot_weights[label] += weight
                for f in range(n_features):
                    slot_sums[label, f] += weight * rows[r, f]
            if update and r + 1 == slot_stop:
                add_slot_to_chunk(slot_sums, slot_weights, chunk, chunk_sums, chunk_weights)
                slot_stop = min(slot_stop + slot_rows, n_rows)
    partials.inertia[chunk] = inertia
    partials.changed[chunk] = changed


@jit
def lloyd_pass_centering(
    X, mean, sample_weight, centers_t, norms, labels, partials, update, narrow
):
    """:func:`lloyd_pass` on ``X - mean``, centering one chunk at a time.

    For the Dask fit's block tasks. The in-memory fit centers X once; a Dask
    task would have to center its whole block on every pass (a fresh copy of
    it: 30% of a pass at d=8, k=16, measured on a 25,000-row block). Here
    each chunk's rows are centered into a small buffer (the same single
    subtraction in X's dtype, ``X[i, f] - mean[f]``, as ``center_into``) and
    handed to the same :func:`lloyd_chunk` as chunk 0 of views of the
    outputs, so the same bits. Serial: a Dask task runs on one thread.
    """
    n_samples, n_features = X.shape
    chunk_rows = partials.rows
    centered = np.empty((min(chunk_rows, n_samples), n_features), dtype=X.dtype)
    no_row_norms = np.empty(0)  # each chunk's ranking computes its centred rows' norms
    for chunk in range(partials.inertia.shape[0]):
        start = chunk * chunk_rows
        stop = min(start + chunk_rows, n_samples)
        for i in range(start, stop):
            for f in range(n_features):
                centered[i - start, f] = X[i, f] - mean[f]
        # Without the sums (``update`` false) their buffers are (1, ...)
        # placeholders, never read: any view of them will do.
        sums_chunk = chunk if update else 0
        this_chunk = ChunkPartials(
            partials.sums[sums_chunk : sums_chunk + 1],
            partials.weights[sums_chunk : sums_chunk + 1],
            partials.inertia[chunk : chunk + 1],
            partials.changed[chunk : chunk + 1],
            chunk_rows,
        )
        rows = centered[: stop - start]
        weights = sample_weight[start:stop]
        lloyd_chunk(
            rows,
            weights,
            no_row_norms,
            centers_t,
            norms,
            labels[start:stop],
            this_chunk,
            update,
            narrow,
            0,
        )


@jit
def sum_slot_rows(chunk_rows, n_chunks, n_clusters, n_features):
    """Rows per sum slot: the finest grain at which the update step's sums are kept.

    A chunk's sums are the sum, in order, of its slots' sums (each a sum of
    its rows in row order): Lloyd's pass builds them that way on the fly,
    and the bounds algorithms keep every slot between iterations, so that a
    label change costs a re-sum of one slot, not of a whole chunk. 128 rows,
    or more when the clusters are many: the kept slots then take at most a
    quarter of the memory of X in float64 (``k (d + 1)`` values per slot
    against ``d`` per row). It depends on the chunk length and the shape of
    the centers only (``n_chunks`` is not used), so a block of rows cut at
    chunk boundaries (a Dask block) gets the same slots as in one array.
    """
    wanted = (4 * n_clusters * (n_features + 1) + n_features - 1) // n_features
    wanted = wanted if wanted > 128 else 128
    return wanted if wanted < chunk_rows else chunk_rows


@jit(inline="always")
def clear_chunk_sums(slot_sums, slot_weights, chunk, chunk_sums, chunk_weights):
    """Zero the chunk's sums and the slot's, before the chunk's first row is added.

    Loops, not slice assignments or ``np.zeros``: those compile numba's
    broadcasting machinery or a fill kernel, time a first fit waits for.
    Inlined: the same code as written in place.
    """
    for j in range(slot_weights.shape[0]):
        slot_weights[j] = 0.0
        chunk_weights[chunk, j] = 0.0
        for f in range(slot_sums.shape[1]):
            slot_sums[j, f] = 0.0
            chunk_sums[chunk, j, f] = 0.0


@jit
def add_slot_to_chunk(slot_sums, slot_weights, chunk, chunk_sums, chunk_weights):
    """``chunk += slot`` for every cluster, then the slot is cleared for the next rows."""
    for j in range(slot_weights.shape[0]):
        chunk_weights[chunk, j] += slot_weights[j]
        slot_weights[j] = 0.0
        for f in range(slot_sums.shape[1]):
            chunk_sums[chunk, j, f] += slot_sums[j, f]
            slot_sums[j, f] = 0.0


@jit(inline="always")
def reduce_chunks(chunk_sums, chunk_weights, sums, weights):
    """Add the per-chunk partial sums in chunk order (the fixed order that makes results reproducible)."""
    sums[:, :] = 0.0
    weights[:] = 0.0
    for chunk in range(chunk_weights.shape[0]):
        for j in range(chunk_weights.shape[1]):
            weights[j] += chunk_weights[chunk, j]
            for f in range(chunk_sums.shape[2]):
                sums[j, f] += chunk_sums[chunk, j, f]


# --- Small inputs: a whole run in one compiled call ------------------------------
#
# On a table of a few hundred rows a Lloyd pass takes microseconds, and the
# Python around it (reduce, means, shifts, convergence test, the centers'
# transposed copy and norms: about 45 us per iteration, measured at n=200,
# d=2, k=5) was most of a fit. ``lloyd_run_compiled`` runs those same steps,
# with the same arithmetic, inside one kernel call. The one step it does not
# take is the relocation of an empty cluster (a rank selection with its own
# tie rule, in ``_iterations.py``): it returns -1 instead, and the caller
# runs the whole run again in Python, which gives the same bits either way.
#
# It is also what a first fit on a fresh machine waits for, so it is built to
# compile quickly: the update step's helpers are inlined (``inline="always"``:
# each separately compiled function is optimized and turned into machine code
# again inside every caller that links it; not the chunk kernel's helpers,
# where inlining slowed the parallel pass by 4%), it calls the chunk kernel
# directly rather than through a pass function, and it compiles one ranking
# only: for a few clusters in few dimensions the direct distance
# (:func:`lloyd_chunk_direct`), never the BLAS product and the ranking of
# its terms (2.5 s of compiling on their own, measured with the four-row
# ranking of 2026-12-04).


@jit(inline="always")
def mean_centers_into(sums, weights, out):
    """``out[j] = sums[j] * (1 / weights[j])`` rounded to ``out``'s dtype: the update step's means.

    scikit-learn's arithmetic, as ``_iterations.mean_centers``: a reciprocal
    that overflows (a tiny weight) divides instead. Every weight must be
    positive (an empty cluster goes through the relocation rule instead).
    """
    for j in range(weights.shape[0]):
        reciprocal = 1.0 / weights[j]
        for f in range(sums.shape[1]):
            if np.isfinite(reciprocal):
                out[j, f] = sums[j, f] * reciprocal
            else:
                out[j, f] = sums[j, f] / weights[j]


@jit(inline="always")
def centers_layout(centers, centers_t, centers_squared_norms):
    """The float64 transposed centers and their squared norms, as the passes read them.

    The norms are summed feature by feature; they only rank centers (the
    tie rule's direct distances settle anything within rounding), so their
    last bit never changes a label.
    """
    for j in range(centers.shape[0]):
        norm = 0.0
        for f in range(centers.shape[1]):
            value = np.float64(centers[j, f])
            centers_t[f, j] = value
            norm += value * value
        centers_squared_norms[j] = norm


@jit(inline="always")
def centers_transposed(centers, centers_t):
    """``centers_t[f, j] = float64(centers[j, f])``: the layout the direct ranking reads."""
    for j in range(centers.shape[0]):
        for f in range(centers.shape[1]):
            centers_t[f, j] = np.float64(centers[j, f])


# Inlined copies for the direct chunk kernel: called from there, each of these
# would be a function of its own for numba to type, compile and cache, which a
# first fit on a small table waits for (0.08-0.14 s of a 2.4 s cold first fit,
# measured); inlined, the direct run compiles them with itself. The same
# strict code, so the same bits.
_sum_slot_rows_inline = jit(inline="always")(sum_slot_rows.py_func)
_add_slot_to_chunk_inline = jit(inline="always")(add_slot_to_chunk.py_func)


@jit(inline="always")
def lloyd_chunk_direct(X, sample_weight, centers_t, labels, partials, update, chunk, slots):
    """:func:`lloyd_chunk` with every centre ranked by the direct distance ``D``.

    For few centres in few dimensions (``direct_ranking_pays``). Every
    sample's ``D`` to every centre is the tie rule's own distance (summed
    feature by feature in float64, as ``direct_squared_distance``), and the
    label is the first centre of smallest ``D``: the rule itself, so the same
    labels as the expanded ranking with its near-tie sweep. The sums are
    added exactly as :func:`lloyd_chunk` adds them (each row's weighted
    float64 values, slot by slot), so they are the same bits too. No BLAS
    product and no ranking of its terms: this kernel compiles in a
    fraction of :func:`lloyd_chunk`'s time, which is what a first fit on a
    small table waits for. ``partials.inertia`` is not written (the run's
    caller sums the inertia directly); ``slots`` is a pair of scratch
    buffers, the slot's sums (k, d) and weights (k,).

    Not folded into :func:`lloyd_chunk` (as a third ranking of its block
    primitive): that run compiled 0.6 s slower at 1,000 x 2, k = 3 (2.7
    against 2.1 s, one process each, alternating) and ran 14% slower an
    iteration at 3,000 x 4, k = 2 (block arrays instead of one pass over
    the rows).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_t.shape[1]
    chunk_rows = partials.rows
    chunk_sums, chunk_weights = partials.sums, partials.weights
    slot_sums, slot_weights = slots
    slot_rows = _sum_slot_rows_inline(chunk_rows, partials.changed.shape[0], n_clusters, n_features)
    start, stop = chunk_span(chunk, chunk_rows, n_samples)
    if update:
        clear_chunk_sums(slot_sums, slot_weights, chunk, chunk_sums, chunk_weights)
    changed = 0
    slot_stop = start + slot_rows if start + slot_rows < stop else stop
    for i in range(start, stop):
        label = nearest_center_direct(X, i, centers_t)
        if labels[i] != label:
            changed += 1
            labels[i] = label
        if update:
            weight = np.float64(sample_weight[i])
            slot_weights[label] += weight
            for f in range(n_features):
                slot_sums[label, f] += weight * np.float64(X[i, f])
            if i + 1 == slot_stop:
                _add_slot_to_chunk_inline(slot_sums, slot_weights, chunk, chunk_sums, chunk_weights)
                slot_stop = slot_stop + slot_rows if slot_stop + slot_rows < stop else stop
    partials.changed[chunk] = changed


def run_scratch(centers):
    """The scratch buffers of :func:`lloyd_run_compiled` for ``centers``.

    The float64 transposed centres, the new centres (``centers``' dtype) and
    one sum slot (float64 sums and weights).
    """
    n_clusters, n_features = centers.shape
    return (
        np.empty((n_features, n_clusters)),
        np.empty_like(centers),
        np.empty((n_clusters, n_features)),
        np.empty(n_clusters),
    )


@jit
def lloyd_run_compiled(
    X,
    sample_weight,
    row_norms,
    centers,
    labels,
    partials,
    sums,
    weights,
    shifts,
    max_iter,
    tol,
    norms,
    narrow,
    scratch,
):
    """Lloyd iterations from ``centers`` (updated in place) until convergence, in one call.

    The steps and stopping rules of ``_iterations.lloyd_single_run`` with
    the same arithmetic (the same chunks, :func:`reduce_chunks`, means and
    ``center_shifts``), so labels and centers are the same bits. Returns the
    number of iterations run, or -1 as soon as a cluster is left empty (the
    caller then reruns in Python, which relocates it).

    ``norms`` (the centers' squared norms) and ``narrow`` choose the
    ranking: a (k,) float64 buffer for the expanded ranking of
    :func:`lloyd_chunk` (by feature sweeps when ``narrow`` is True, a BLAS
    product when it is None: ``_kernels.distances.nearest_centers_ranked``),
    or None for :func:`lloyd_chunk_direct`. A fit compiles only the ranking
    it uses (numba drops the expanded branch of a None ``norms`` before
    compiling). ``row_norms``: the rows' squared norms, for the expanded
    ranking (see :func:`lloyd_pass`; the direct one does not read them).

    ``scratch`` is :func:`run_scratch`'s buffers, allocated by the caller:
    ``np.empty`` inside the kernel would compile numba's allocation
    functions (0.12 s of a first fit on a fresh machine).
    """
    n_clusters, n_features = centers.shape
    centers_t, new_centers, slot_sums, slot_weights = scratch
    n_all_chunks = partials.changed.shape[0]
    slots = (slot_sums, slot_weights)
    # The passes' update flag as a runtime bool, as Python passes it: a
    # literal True/False would make numba compile the chunk kernel again. It
    # turns false for the last pass, which only relabels (unless the labels
    # already match the final centers: strict convergence).
    update = max_iter > 0
    n_iter = 0
    while True:
        if norms is None:
            centers_transposed(centers, centers_t)
            for chunk in range(n_all_chunks):
                lloyd_chunk_direct(
                    X, sample_weight, centers_t, labels, partials, update, chunk, slots
                )
        else:
            centers_layout(centers, centers_t, norms)
            for chunk in range(n_all_chunks):
                lloyd_chunk(
                    X,
                    sample_weight,
                    row_norms,
                    centers_t,
                    norms,
                    labels,
                    partials,
                    update,
                    narrow,
                    chunk,
                )
        if not update:
            break
        n_iter += 1
        reduce_chunks(partials.sums, partials.weights, sums, weights)
        for j in range(n_clusters):
            if weights[j] == 0.0:
                return -1
        mean_centers_into(sums, weights, new_centers)
        center_shift_sq = center_shifts(new_centers, centers, shifts)
        # Element by element: an array assignment compiles numba's shape-mismatch
        # error message, 2.2 s of a first fit on a fresh machine.
        for j in range(n_clusters):
            for f in range(n_features):
                centers[j, f] = new_centers[j, f]
        n_changed = 0
        for chunk in range(n_all_chunks):
            n_changed += partials.changed[chunk]
        if n_changed == 0:
            break  # strict convergence: the labels are those of the final centers
        if center_shift_sq <= tol or n_iter == max_iter:
            update = not update
    return n_iter
