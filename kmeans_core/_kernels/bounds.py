"""Exact accelerated K-Means: Hamerly's and Elkan's bounds-based block kernels.

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
which keeps every bound valid.

``reference.hamerly_assignment`` and ``reference.elkan_assignment`` state the
same rules in NumPy and count the distances they save;
``tests/test_reference_oracle.py`` checks that the bounds kept here really
bound the true distances.

Kernels: :func:`hamerly_pass` (its first call, ``first=True``, rescans every
sample: no bounds yet), :func:`first_bounds_pass` (Elkan's first iteration,
every distance through BLAS products, a block of rows at a time) and :func:`elkan_pass`. Each
is a block kernel with the contract of ``_kernels.lloyd.lloyd_pass`` (``docs/design.md``):
rows in fixed chunks under ``prange``, labels written in place, per chunk the
label changes and the new-centre sums. Bound tests use :func:`distance`, compiled
with ``reassoc``/``contract`` (vector lanes; a few ulps relative, covered by
``BOUND_MARGIN``); a label itself is settled by ``direct_squared_distance``,
compiled without fastmath.

Labels follow the tie rule of ``_kernels/distances.py`` exactly, as Lloyd's do: a
sample keeps its label only when a bound beats the competing distance by the
relative margin ``BOUND_MARGIN`` (so rounding cannot reverse the verdict);
rescans rank centers like Lloyd's pass and settle near-ties by the direct
distance. So Hamerly, Elkan and Lloyd give the same labels.

New-center sums: every kernel works on the same fixed chunks of rows as
Lloyd's pass, and keeps the same partial sums between iterations: per
chunk, and within it per slot of a few rows (``_kernels.lloyd.sum_slot_rows``). A
pass recomputes, from the slot's rows in row order, the slots of the
clusters that gained or lost a member there, then those clusters' chunk
sums from their slots in order; nothing else has changed. Every slot and
chunk then holds the bits Lloyd's pass would write, and the chunks are added
in order, so the new centers are bitwise Lloyd's (and independent of the
thread count), at a cost proportional to what moved.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from kmeans_core._kernels.common import (
    centered_value,
    chunk_index,
    chunk_span,
    largest_value,
    rows_as_float64,
)
from kmeans_core._kernels.distances import (
    BOUND_MARGIN,
    cross_block_rows,
    cross_terms,
    direct_squared_distance,
    nearest_centers_of_cross,
    nearest_centers_ranked,
    rounding_slack,
)
from kmeans_core._kernels.jit import VECTOR_SUMS, jit, jit_parallel
from kmeans_core._kernels.lloyd import sum_slot_rows

# What a pass does with the per-chunk new-center sums (``sums_mode``):
SUMS_NONE = 0  # nothing (the final re-assignment)
SUMS_REFRESH = 1  # recompute the slots of the clusters whose membership changed in the chunk


class KeptSums(NamedTuple):
    """The new-centre sums a bounds run keeps between passes (see the module docstring).

    ``slot_sums`` (n_chunks * slots per chunk, k, d) and ``slot_weights``
    (n_chunks * slots per chunk, k): every sum slot of every chunk;
    ``chunk_sums`` (n_chunks, k, d) and ``chunk_weights`` (n_chunks, k): the
    chunks' sums, the block contract's partials (``_kernels.lloyd.ChunkPartials``
    holds the same two arrays for Lloyd's pass). All float64.
    """

    slot_sums: np.ndarray
    slot_weights: np.ndarray
    chunk_sums: np.ndarray
    chunk_weights: np.ndarray


def empty_sum_slots(n_chunks, slots_per_chunk, n_clusters, n_features):
    """``(slot_sums, slot_weights)`` for :class:`KeptSums`, to be filled by a first pass."""
    slots = n_chunks * slots_per_chunk
    return np.empty((slots, n_clusters, n_features)), np.empty((slots, n_clusters))


@jit(fastmath=VECTOR_SUMS)
def distance(X, mean, i, centers, j):
    """Euclidean distance between sample i and center j (a bounds test, not the tie rule).

    Relaxed floating-point flags: ``reassoc`` lets LLVM sum the features in
    vector lanes (a single chain of dependent additions costs ~4 cycles per
    feature) and ``contract`` fuses multiply-adds. The result is still
    accurate to a few ulps relative to the distance, which ``BOUND_MARGIN``
    covers; labels themselves are settled by ``direct_squared_distance``.
    ``mean``: None when X is centred, else subtracted from the row as it is
    read (``_kernels.common.centered_value``, the centred copy's values).
    """
    squared = 0.0
    for f in range(X.shape[1]):
        if mean is None:
            value = np.float64(X[i, f])
        else:
            value = np.float64(centered_value(X, mean, i, f))
        diff = value - centers[j, f]
        squared += diff * diff
    return np.sqrt(squared)


@jit
def refresh_chunk_sums(
    X,
    mean,
    sample_weight,
    labels,
    start,
    stop,
    chunk,
    slot_rows,
    touched,
    kept,
    sums_mode,
):
    """Recompute the sum slots marked in ``touched``, then the chunk sums they feed.

    ``touched`` is (slot of the chunk, cluster): those slots of ``kept`` (a
    :class:`KeptSums`) are re-summed, then the chunk's sums of every cluster
    with a re-summed slot. Nothing when ``sums_mode`` is ``SUMS_NONE``.

    The arithmetic and order are those of Lloyd's pass (``weight * x`` added
    row by row to a zeroed slot; a chunk's sums are its slots added in
    order), so every slot and chunk holds the same bits as there. ``mean``
    as in :func:`distance`.
    """
    if sums_mode != SUMS_REFRESH:
        return
    slot_sums, slot_weights, chunk_sums, chunk_weights = kept
    n_slots, n_clusters = touched.shape
    first_slot = chunk * n_slots
    for s in range(n_slots):
        slot_start = start + s * slot_rows
        if slot_start >= stop:
            break
        any_touched = False
        for j in range(n_clusters):
            if touched[s, j]:
                any_touched = True
                slot_weights[first_slot + s, j] = 0.0
                slot_sums[first_slot + s, j, :] = 0.0
        if not any_touched:
            continue
        for i in range(slot_start, min(slot_start + slot_rows, stop)):
            label = labels[i]
            if touched[s, label]:
                weight = np.float64(sample_weight[i])
                slot_weights[first_slot + s, label] += weight
                if mean is None:
                    for f in range(X.shape[1]):
                        slot_sums[first_slot + s, label, f] += weight * X[i, f]
                else:
                    for f in range(X.shape[1]):  # strict kernel: the copy's values
                        slot_sums[first_slot + s, label, f] += weight * (X[i, f] - mean[f])
    for j in range(n_clusters):
        changed = False
        for s in range(n_slots):
            changed = changed or touched[s, j]
        if not changed:
            continue
        chunk_weights[chunk, j] = 0.0
        chunk_sums[chunk, j, :] = 0.0
        for s in range(n_slots):
            if start + s * slot_rows >= stop:
                break
            chunk_weights[chunk, j] += slot_weights[first_slot + s, j]
            for f in range(X.shape[1]):
                chunk_sums[chunk, j, f] += slot_sums[first_slot + s, j, f]


@jit
def _touch(touched, row_in_chunk, slot_rows, old_label, new_label):
    """Mark the row's sum slot of its old cluster (none before the first labels, -1) and new one.

    The label-change step around it stays written out in both passes:
    folded into one helper, a whole Elkan run took 4-12% longer on one
    thread (as a compiled call, and inlined by numba, ``inline="always"``).
    """
    slot = row_in_chunk // slot_rows
    if old_label >= 0:
        touched[slot, old_label] = True
    touched[slot, new_label] = True


@jit(inline="always")
def _sum_slot_layout(kept, chunk_changed, chunk_rows, n_clusters, n_features):
    """``(slot_rows, n_slots)``: rows per sum slot and slots per chunk of a pass's ``kept``."""
    n_chunks = chunk_changed.shape[0]
    slot_rows = sum_slot_rows(chunk_rows, n_chunks, n_clusters, n_features)
    return slot_rows, kept.slot_sums.shape[0] // n_chunks


# --- First pass: all distances, through BLAS products ------------------------------
#
# Before any bound exists every distance is needed. The first pass computes
# them as Lloyd's pass does (the cross term by BLAS, near-ties by the direct
# distance), so its labels are exactly Lloyd's first labels; the upper bound
# is then the direct distance to the chosen center, and lower bounds come from
# the expansion minus the rounding slack.


@jit
def _direct_distance(rows, r, centers_t, j):
    return np.sqrt(direct_squared_distance(rows, r, centers_t, j))


@jit_parallel
def first_bounds_pass(
    X,
    sample_weight,
    row_norms,
    centers_t,
    centers_squared_norms,
    labels,
    upper,
    lower,
    kept,
    chunk_changed,
    chunk_rows,
):
    """Elkan's first pass: labels from every center, ``upper`` exact, every lower bound, every sum slot.

    ``lower`` is (n_samples, n_clusters): the distance to every center, from
    the cross terms of one BLAS product per block, which it keeps for them.
    (Hamerly's first pass is ``hamerly_pass`` with ``first``: measured
    faster than direct upper bounds.) ``row_norms``: X's row squared norms,
    or an empty array (each chunk computes its own; see
    ``_kernels.distances.row_norms_unknown``).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_t.shape[1]
    largest_norm = largest_value(centers_squared_norms)
    slack_factor = rounding_slack(n_features)
    slot_rows, n_slots = _sum_slot_layout(kept, chunk_changed, chunk_rows, n_clusters, n_features)
    block_rows = cross_block_rows(n_features)
    for chunk in prange(chunk_changed.shape[0]):
        start, stop = chunk_span(chunk, chunk_rows, n_samples)
        # A block of rows at a time, as ``hamerly_pass`` ranks its rescans
        # (``cross_block_rows``: one block up to d = 32). Elkan from the same
        # init array, two threads, wall, min of 5, two alternations: 5e4 x
        # 300 x 10 117-128 -> 113-117 ms, 1e5 x 128 x 8 64-66 -> 60-62 ms.
        for block_start in range(start, stop, block_rows):
            block_stop = min(block_start + block_rows, stop)
            rows = rows_as_float64(X, block_start, block_stop)
            # A bound for every centre: every cross term is needed.
            cross = cross_terms(rows, centers_t)  # (k, rows): by centre
            nearest, _, _, block_norms = nearest_centers_of_cross(
                rows, cross, centers_t, centers_squared_norms, row_norms[block_start:block_stop]
            )
            for r in range(block_stop - block_start):
                i = block_start + r
                label = nearest[r]
                row_norm = block_norms[r]
                slack = slack_factor * (row_norm + largest_norm)
                labels[i] = label
                upper[i] = _direct_distance(rows, r, centers_t, label)
                for j in range(n_clusters):
                    lower[i, j] = np.sqrt(
                        max(centers_squared_norms[j] - 2.0 * cross[j, r] + row_norm - slack, 0.0)
                    )
                lower[i, label] = upper[i]
        every_slot = np.ones((n_slots, n_clusters), dtype=np.bool_)
        refresh_chunk_sums(
            X,
            None,
            sample_weight,
            labels,
            start,
            stop,
            chunk_index(chunk),
            slot_rows,
            every_slot,
            kept,
            SUMS_REFRESH,
        )
        chunk_changed[chunk] = stop - start


# --- Hamerly -----------------------------------------------------------------------


# hamerly_pass and elkan_pass share a run of positional parameters (the
# per-sample state: labels, bounds, kept sums, chunk counts). Bundling them in
# one NamedTuple, as ``KeptSums`` bundles the sums, changes their callers in
# ``_iterations.py`` and ``dask.py``: left for when those are edited.
@jit_parallel
def hamerly_pass(
    X,
    mean,
    sample_weight,
    row_norms,
    centers_t,
    centers_squared_norms,
    half_separation,
    shifts,
    labels,
    upper,
    lower,
    kept,
    chunk_changed,
    chunk_rows,
    first,
    sums_mode,
    narrow,
):
    """One assignment step with Hamerly's bounds.

    Each chunk works in three phases:

    1. move the bounds by the last center shifts (``u += shift(own)``,
       ``l -= largest shift of another center``) and test them; a sample whose
       upper bound (tightened to the direct distance if needed) is below
       ``max(l, s(own))`` by the margin keeps its label;
    2. the others are gathered and rescanned against every center with one
       BLAS product, labelled exactly as Lloyd's pass labels; lower bound =
       next-best expanded distance minus the rounding slack;
    3. the sum slots of the clusters that gained or lost a member are
       recomputed (``sums_mode``).

    ``first``: rescan every sample (no bounds yet). ``row_norms``: X's row
    squared norms, or an empty array (the rescanned rows' are then computed
    where they are ranked; see ``_kernels.distances.row_norms_unknown``).
    ``mean``: None when X is the fit's centred copy, else X's column means,
    subtracted from each row as it is read (``_kernels.common.centered_value``:
    the copy's values, so the same bits, without the copy). Then the first
    pass also fills ``row_norms`` (when it holds one value per row) with the
    norms its ranking computes, the bits a separate pass would give: no
    read of X for them alone. ``narrow``: the ranking of the rescans,
    ``_kernels.distances.narrow_rows(d)`` (True or None: chosen from its
    type when the pass compiles, so a fit compiles only the one it runs).
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
    largest_norm = largest_value(centers_squared_norms)
    slack_factor = rounding_slack(n_features)
    widen = 1.0 + BOUND_MARGIN
    norms_known = row_norms.shape[0] == n_samples
    fill_norms = first and norms_known and mean is not None
    slot_rows, n_slots = _sum_slot_layout(kept, chunk_changed, chunk_rows, n_clusters, n_features)
    # The centers row by row for the tightening below: each distance then reads
    # its center contiguously, and the feature sum vectorizes (a column of
    # centers_t is strided by k). Measured, one thread, a whole Hamerly run:
    # 225 -> 175 ms at n=1e5, d=128, k=8; 330 -> 244 ms at n=5e4, d=300,
    # k=10; no change at d=8.
    centers = np.ascontiguousarray(centers_t.T)
    block_rows = cross_block_rows(n_features)

    for chunk in prange(chunk_changed.shape[0]):
        start, stop = chunk_span(chunk, chunk_rows, n_samples)
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
            if upper[i] * widen >= bound:
                upper[i] = distance(X, mean, i, centers, label)  # tighten, test again
                if upper[i] * widen >= bound:
                    rescan[n_rescan] = i
                    n_rescan += 1

        # The first pass fills every slot (clusters with no member there get zeros).
        touched = np.full((n_slots, n_clusters), first, dtype=np.bool_)
        changed = 0
        # The rescanned rows are ranked a block of at most ``block_rows`` at a
        # time: a block's rows, their BLAS product and their norms then stay
        # in the core's L2 cache (``CROSS_BLOCK_BYTES``; a whole chunk up to
        # d = 32). A whole chunk in one product is 2.4 MB at d = 300: two
        # threads, the first passes of 5e4 x 300 x 10 took 16-19 and 15 ms
        # against 12-13 and 11-12 ms in blocks, the fit 70-76 against 56-63 ms
        # (1e5 x 128 x 8: 42-48 against 38-45 ms). Gathering each row as its
        # bound fails, while it is in cache from the tightening, gained
        # nothing more there. A block's cross terms may round differently
        # from a whole chunk's in the last bit; they only rank (near-ties go
        # to the direct distance) and feed the bounds, which the slack keeps
        # valid: the same labels.
        gathered = np.empty((min(block_rows, n_rescan), n_features))
        for block_start in range(0, n_rescan, block_rows):
            block_stop = min(block_start + block_rows, n_rescan)
            n_block = block_stop - block_start
            # ``rescan`` lists rows in increasing order: when it holds every row of
            # the chunk (the first pass, or a chunk where no bound held) the block
            # itself is ranked, a view of float64 X, rather than a gathered copy;
            # the same values, so the same bits (one thread, a whole Hamerly run:
            # 124 -> 115 ms at n=1e5, d=128, k=8; 196 -> 180 ms at n=5e4, d=300,
            # k=10; 430 -> 420 ms at n=1e6, d=8, k=32, float32). Otherwise the rows
            # are gathered into one C-contiguous block for the product.
            if n_rescan == stop - start and mean is None:
                first_row = start + block_start
                nearest, owns, others, rescan_norms = nearest_centers_ranked(
                    rows_as_float64(X, first_row, first_row + n_block),
                    centers_t,
                    centers_squared_norms,
                    narrow,
                    row_norms[first_row : first_row + n_block],
                )
            else:
                rows = gathered[:n_block]
                if mean is None:
                    for r in range(n_block):
                        i = rescan[block_start + r]
                        for f in range(n_features):
                            rows[r, f] = X[i, f]
                else:
                    # Written out, not ``centered_value``: this kernel is strict
                    # (no fastmath), and the loop stays one vectorised stream.
                    for r in range(n_block):
                        i = rescan[block_start + r]
                        for f in range(n_features):
                            rows[r, f] = X[i, f] - mean[f]
                # The gathered rows' norms when X's are known (else left empty:
                # computed by the ranking).
                reads_norms = norms_known and not fill_norms
                rescan_norms = np.empty(n_block if reads_norms else 0)
                if reads_norms:
                    for r in range(n_block):
                        rescan_norms[r] = row_norms[rescan[block_start + r]]
                nearest, owns, others, rescan_norms = nearest_centers_ranked(
                    rows, centers_t, centers_squared_norms, narrow, rescan_norms
                )
                if fill_norms:
                    for r in range(n_block):
                        row_norms[rescan[block_start + r]] = rescan_norms[r]
            for r in range(n_block):
                i = rescan[block_start + r]
                label, own, other = nearest[r], owns[r], others[r]
                row_norm = rescan_norms[r]
                slack = slack_factor * (row_norm + largest_norm)
                # Both bounds from the expansion, widened by the slack so they stay valid.
                upper[i] = np.sqrt(max(own + row_norm + slack, 0.0))
                lower[i] = np.sqrt(max(other + row_norm - slack, 0.0))
                old_label = labels[i]
                if old_label != label:
                    labels[i] = label
                    changed += 1
                    _touch(touched, i - start, slot_rows, old_label, label)
        chunk_changed[chunk] = changed
        refresh_chunk_sums(
            X,
            mean,
            sample_weight,
            labels,
            start,
            stop,
            chunk_index(chunk),
            slot_rows,
            touched,
            kept,
            sums_mode,
        )


# --- Elkan --------------------------------------------------------------------------


@jit_parallel
def elkan_pass(
    X,
    sample_weight,
    centers,
    centers_t,
    half_center_distances,
    half_separation,
    shifts,
    labels,
    upper,
    lower,
    kept,
    chunk_changed,
    chunk_rows,
    sums_mode,
):
    """One assignment step with Elkan's bounds; ``lower`` has shape (n_samples, n_clusters).

    The bounds are first moved by the last center shifts (``u += shift(own)``,
    ``l(j) = max(l(j) - shift(j), 0)``), in the same pass. A sample whose scan
    leaves another center within twice the margin of its own is settled by
    the direct distance (the tie rule), as Lloyd's pass settles it.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    widen = 1.0 + BOUND_MARGIN
    slot_rows, n_slots = _sum_slot_layout(kept, chunk_changed, chunk_rows, n_clusters, n_features)
    for chunk in prange(chunk_changed.shape[0]):
        start, stop = chunk_span(chunk, chunk_rows, n_samples)
        changed = 0
        touched = np.zeros((n_slots, n_clusters), dtype=np.bool_)
        for i in range(start, stop):
            label = labels[i]
            upper[i] += shifts[label]
            for j in range(n_clusters):
                lower[i, j] = max(lower[i, j] - shifts[j], 0.0)
            new_label = label
            if upper[i] * widen >= half_separation[label]:
                tight = False
                for j in range(n_clusters):
                    if j == new_label:
                        continue
                    if (
                        upper[i] * widen < lower[i, j]
                        or upper[i] * widen < half_center_distances[new_label, j]
                    ):
                        continue
                    if not tight:
                        upper[i] = distance(X, None, i, centers, new_label)
                        lower[i, new_label] = upper[i]
                        tight = True
                        if (
                            upper[i] * widen < lower[i, j]
                            or upper[i] * widen < half_center_distances[new_label, j]
                        ):
                            continue
                    dist = distance(X, None, i, centers, j)
                    lower[i, j] = dist
                    if dist < upper[i] or (dist == upper[i] and j < new_label):
                        new_label = j
                        upper[i] = dist
                if tight:
                    new_label = _settle_near_tie(X, i, centers_t, new_label, upper, lower, widen)
            # The label-change step of hamerly_pass, written out: see _touch.
            if new_label != label:
                labels[i] = new_label
                changed += 1
                _touch(touched, i - start, slot_rows, label, new_label)
        chunk_changed[chunk] = changed
        refresh_chunk_sums(
            X,
            None,
            sample_weight,
            labels,
            start,
            stop,
            chunk_index(chunk),
            slot_rows,
            touched,
            kept,
            sums_mode,
        )


@jit
def _settle_near_tie(X, i, centers_t, label, upper, lower, widen):
    """After an Elkan scan: the tie rule's label when another center is within the margin.

    Centers whose (exact or bound) distance is within ``widen**2`` of the
    winner's are re-ranked by the direct squared distance; the others are
    provably farther. Updates ``upper[i]`` (and that center's lower bound).
    """
    limit = upper[i] * widen * widen
    near = False
    for j in range(lower.shape[1]):
        if j != label and lower[i, j] <= limit:
            near = True
            break
    if not near:
        return label
    best = -1
    best_distance = np.inf
    for j in range(lower.shape[1]):
        if j == label or lower[i, j] <= limit:
            squared = direct_squared_distance(X, i, centers_t, j)
            if squared < best_distance:
                best, best_distance = j, squared
    upper[i] = np.sqrt(best_distance)
    lower[i, best] = upper[i]
    return best


@jit
def center_separations(centers, half_center_distances, half_separation):
    """Half the pairwise center distances, and half the distance to each center's nearest other.

    Elkan's k x k table. Hamerly needs only the second output:
    :func:`half_separations` computes it in O(k) memory.
    """
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


@jit_parallel
def half_separations(centers, half_separation):
    """Half the distance from each center to its nearest other center (no k x k table)."""
    n_clusters = centers.shape[0]
    for a in prange(n_clusters):
        nearest = np.inf
        for b in range(n_clusters):
            if b == a:
                continue
            squared = 0.0
            for f in range(centers.shape[1]):
                diff = centers[a, f] - centers[b, f]
                squared += diff * diff
            nearest = min(nearest, squared)
        half_separation[a] = 0.5 * np.sqrt(nearest)
