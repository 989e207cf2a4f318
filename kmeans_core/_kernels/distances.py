"""Distances and the tie rule: which centre is a sample's nearest.

The rule, stated once and held by every algorithm (Lloyd, Hamerly, Elkan,
``predict``, the NumPy reference):

    A sample's label is the centre of smallest *direct* squared distance
    ``D(x, c) = sum_f (x_f - c_f)^2``, summed feature by feature in float64
    in feature order; among centres at exactly the same ``D``, the lowest
    index wins (scikit-learn's stated rule).

``D`` is what :func:`direct_squared_distance` computes. It is accurate to a
few ulps *relative to the distance itself*, so it separates any two centres
that are not truly equidistant down to rounding.

The fast paths do not compute ``D`` for every centre. They rank centres by
the expanded form ``E(x, c) = |c|^2 - 2 x.c`` (the cross terms of a block of
rows in one BLAS product), which is cheap but only accurate to a few ulps of
``|x|^2 + |c|^2``: two centres whose ``E`` differ by less than that error may
be ranked either way by rounding. So ``E`` is used as a *filter*: when the
runner-up is within :func:`rounding_slack` of the best, every centre that
close is re-ranked by ``D`` (:func:`resolve_near_tie`). That is rare (a sample
halfway between two centres, or repeated integer points), and it makes the
label a function of the data and the centres alone, not of the BLAS kernel,
the block of rows a sample was computed with, or the algorithm.

The bounds algorithms prune with a relative margin
(:data:`BOUND_MARGIN`) wide enough that a pruned sample's label is provably
the rule's answer; see ``_kernels/bounds.py``.
"""

from __future__ import annotations

import numpy as np
from numba import prange, types
from numba.extending import overload

from kmeans_core._kernels.common import (
    chunk_count,
    chunk_span,
    largest_value,
    row_squared_norms_of_block,
)
from kmeans_core._kernels.jit import (
    CHUNK_ROWS,
    OVERLOAD_OPTIONS,
    jit,
    jit_parallel,
    renamed_copy,
)

# Relative margin used by the bounds algorithms before they skip a centre:
# a bound must beat the distance it is compared with by this fraction. It
# covers the relative error of the direct distances (about (d + 2) eps) and
# of the bound updates (one rounding per iteration), with room to spare;
# pruning loses nothing measurable to it.
BOUND_MARGIN = 1e-10

# Widest rows ranked by :func:`nearest_two_by_feature_sweeps` instead of a
# BLAS product (measured crossover: d=4 still gains at k >= 16, d=8 loses).
SWEEP_MAX_FEATURES = 4

# Bytes of float64 rows per BLAS product of cross terms: a block this size
# (256 KiB) stays in the core's L2 cache while BLAS packs and multiplies it,
# and the work that follows on the same rows (their norms, the near-tie
# sweep) reads them from there. Wide rows overflowed it at a whole chunk of
# 1,024 rows (2.4 MB at d = 300): measured by k-means++'s scoring pass and
# Hamerly's rescans (see their kernels). Up to d = 32 a chunk is one block.
CROSS_BLOCK_BYTES = 256 * 1024


@jit(inline="always")
def cross_block_rows(n_features):
    """Rows per BLAS product of cross terms: a block of at most :data:`CROSS_BLOCK_BYTES`, 16+ rows."""
    return max(16, CROSS_BLOCK_BYTES // (8 * max(n_features, 1)))


@jit
def rounding_slack(n_features):
    """Error bound of an expanded squared distance, relative to ``|x|^2 + max |c|^2``.

    ``E = |c|^2 - 2 x.c`` is a sum of about ``2d`` rounded products: its
    absolute error is below ``2 (d + 2) eps (|x|^2 + |c|^2)``; the direct
    ``D`` adds ``(d + 2) eps`` of ``D <= 2 (|x|^2 + |c|^2)``. The slack
    doubles the sum of both, and never drops below 1e-12 (the value the
    bounds used before this rule was written down).
    """
    return max(1e-12, 16.0 * (n_features + 2) * 2.220446049250313e-16)


@jit
def direct_squared_distance(rows, r, centers_t, j):
    """``D(rows[r], centre j)``: the tie rule's distance (``centers_t`` is (d, k) float64).

    Compiled without fastmath: the sum runs in feature order at every call
    site, so the same sample and centre give the same bits everywhere.
    """
    total = 0.0
    for f in range(rows.shape[1]):
        diff = np.float64(rows[r, f]) - centers_t[f, j]
        total += diff * diff
    return total


@jit(inline="always")
def nearest_center_direct(rows, r, centers_t):
    """The rule's label of ``rows[r]``: the first centre of smallest :func:`direct_squared_distance`.

    Every centre's ``D``, no expanded ranking: for few centres in few
    dimensions, and tiny tables, where it compiles in a fraction of the
    expanded ranking's time and costs microseconds to run.
    """
    label = 0
    best = np.inf  # (a literal first index would compile the distance twice)
    for j in range(centers_t.shape[1]):
        distance = direct_squared_distance(rows, r, centers_t, j)
        # Selects, not branches: which centre wins is data-dependent.
        closer = distance < best
        label = j if closer else label
        best = distance if closer else best
    return label


@jit
def nearest_centers_direct(X, centers_t, labels):
    """``labels[i]`` = :func:`nearest_center_direct` of every row (serial: for small tables)."""
    for i in range(X.shape[0]):
        labels[i] = nearest_center_direct(X, i, centers_t)


@jit
def expanded_squared_distance(rows, r, centers_t, centers_squared_norms, j):
    """``E(rows[r], centre j) = |c_j|^2 - 2 x.c_j``, the cross term summed in feature order."""
    cross = 0.0
    for f in range(rows.shape[1]):
        cross += np.float64(rows[r, f]) * centers_t[f, j]
    return centers_squared_norms[j] - 2.0 * cross


@jit
def resolve_near_tie(rows, r, centers_t, centers_squared_norms, best, slack):
    """The rule's label among the centres whose ``E`` is within ``2 * slack`` of ``best``.

    Any centre farther than that in ``E`` is farther in exact arithmetic too,
    so the centre of smallest ``D`` is among those re-ranked here. ``E`` is
    recomputed row by row here: whichever way the ranking computed it, each
    value is within ``slack`` of the exact one, so the filter keeps every
    candidate.
    """
    threshold = best + 2.0 * slack
    label = -1
    label_distance = np.inf
    for j in range(centers_squared_norms.shape[0]):
        if expanded_squared_distance(rows, r, centers_t, centers_squared_norms, j) <= threshold:
            distance = direct_squared_distance(rows, r, centers_t, j)
            if distance < label_distance:
                label, label_distance = j, distance
    return label


# Widest rows whose cross terms are asked of BLAS by centre (see
# :func:`cross_terms`); wider rows are multiplied row-major and copied.
BY_CENTRE_PRODUCT_MAX_FEATURES = 127


@jit(inline="always")
def cross_terms(rows, centers_t):
    """The cross terms ``x.c`` of a block of rows, centre by centre: ``(k, n_rows)`` float64.

    Laid out by centre so that each centre's terms for the block are
    contiguous and :func:`nearest_two_of_cross` sweeps them across rows in
    vector lanes, 2-3x faster than four rows' scalar chains on row-major
    terms. Up to :data:`BY_CENTRE_PRODUCT_MAX_FEATURES` features BLAS
    computes them in that layout (``centers_t.T @ rows.T``, both operands
    transposed: faster than ``centers @ rows.T``, 59 against 89 us at
    d = 8, k = 8). The product costs more that way round than row-major
    (1,024 rows at d = 8, k = 32: 16.8 against 10.8 us), but with the
    ranking after it less (one thread, 10 blocks of 1,024 rows, product and
    ranking, row-major -> by centre: d = 8, k = 8 96 -> 59 us; d = 8,
    k = 32 379 -> 232 us; d = 16, k = 16 241 -> 161 us; d = 64, k = 64
    1,782 -> 1,494 us). On wider rows the product is most of the work and
    the by-centre product costs more than a row-major one and a copy (a
    block of 109 rows at d = 300, k = 10: 24.6 against 20.1 us; d = 192,
    k = 64 71.3 against 67.7 us), so those are multiplied row-major and
    copied centre by centre.
    """
    if rows.shape[1] <= BY_CENTRE_PRODUCT_MAX_FEATURES:
        return np.dot(centers_t.T, rows.T)
    by_row = np.dot(rows, centers_t)
    cross = np.empty((by_row.shape[1], by_row.shape[0]))
    copy_by_centre(by_row, cross, 0)
    return cross


@jit(inline="always")
def copy_by_centre(by_row, cross, first_row):
    """``cross[j, first_row + r] = by_row[r, j]``: row-major cross terms into a by-centre array.

    For the sweeps that read one centre's (or lane's) terms across rows.
    """
    for j in range(by_row.shape[1]):
        for r in range(by_row.shape[0]):
            cross[j, first_row + r] = by_row[r, j]


@jit
def nearest_two_of_cross(cross, centers_squared_norms):
    """Every row's smallest and second-smallest ``E = |c|^2 - 2 x.c``, and its argmin.

    ``cross`` is (k, n_rows), :func:`cross_terms`. Returns ``(nearest,
    best, second)``, each (n_rows,); ties in ``E`` go to the lowest index
    (a later centre must be strictly smaller to win). Centre by centre, each
    step a sweep across the rows with selects, not branches: it vectorises
    (which centre is nearest is data-dependent; mispredicted branches made
    the row-by-row loop 1.5x slower, and one row's scan is a chain of
    dependent steps).
    """
    n_clusters, n_rows = cross.shape
    nearest = np.zeros(n_rows, dtype=np.int64)
    best = np.empty(n_rows)
    second = np.empty(n_rows)
    norm = centers_squared_norms[0]
    terms = cross[0]
    for r in range(n_rows):
        best[r] = norm - 2.0 * terms[r]
        second[r] = np.inf
    for j in range(1, n_clusters):
        norm = centers_squared_norms[j]
        terms = cross[j]
        for r in range(n_rows):
            partial = norm - 2.0 * terms[r]
            current = best[r]
            closer = partial < current
            second[r] = min(second[r], max(partial, current))
            nearest[r] = j if closer else nearest[r]
            best[r] = partial if closer else current
    return nearest, best, second


def narrow_rows(n_features):
    """The ranking argument of the block kernels for rows of ``n_features`` features.

    ``True`` when the rows are narrow enough for
    :func:`nearest_two_by_feature_sweeps` (at most :data:`SWEEP_MAX_FEATURES`),
    ``None`` for the BLAS product. None, not False: numba types None apart
    from a bool and removes the branch that tests it (``narrow_rows is
    None``) before compiling, so each fit compiles only the ranking its data
    needs (both cost 2.5 s of a cold first fit at k = 5).
    """
    return True if n_features <= SWEEP_MAX_FEATURES else None


# The rows' squared norms |x|^2 (the near-tie slack and ``E + |x|^2``, the
# squared distance, need them) are an argument of every ranking. They do not
# change between iterations: a fit computes them once after centring
# (``_iterations.fit_row_norms``, which says where that pays) and hands each
# chunk its slice, where computing them at every ranking cost a Lloyd pass a
# quarter of its time at d = 128, k = 8 (one thread, 1e5 rows: 6.8 of 26.6
# ms). A caller without them (``predict`` on new rows, a Dask block's pass,
# narrow rows) passes an array of another length, empty by convention
# (:func:`row_norms_unknown`), and the block's are computed where it is
# ranked: the same bits either way (every norm is ``row_squared_norm``'s sum).


def row_norms_unknown():
    """The ``row_norms`` argument that tells a ranking to compute the rows' norms itself."""
    return np.empty(0)


@jit(inline="always")
def given_or_computed_row_norms(rows, row_norms):
    """``row_norms`` when it holds one norm per row of ``rows``, else the rows' norms computed."""
    if row_norms.shape[0] == rows.shape[0]:
        return row_norms
    computed = np.empty(rows.shape[0])
    row_squared_norms_of_block(rows, None, computed)
    return computed


def nearest_centers_ranked(rows, centers_t, centers_squared_norms, narrow_rows, row_norms):
    """Every row's label by the tie rule: the block primitive of every assignment step.

    ``rows`` (n_rows, d) float64, ``centers_t`` (d, k) float64, the
    centres' squared norms, and the rows' squared norms ``row_norms``
    (n_rows,) float64 when the caller has them (an array of another length,
    :func:`row_norms_unknown`, when not: they are computed here, the same
    bits). Ranks the centres by ``E`` (:func:`cross_terms` in one BLAS
    product and :func:`nearest_two_of_cross` when ``narrow_rows`` is None;
    :func:`nearest_two_by_feature_sweeps` when it is True: see
    :func:`narrow_rows`), then re-ranks by the direct distance the rare rows
    whose runner-up is within :func:`rounding_slack` of the best
    (:func:`resolve_near_tie`).

    Compiled code picks the ranking from the arguments' *types* when the
    calling kernel compiles (the overload below), so a kernel holds only the
    ranking it runs; this Python body is what ``NUMBA_DISABLE_JIT`` runs.

    Returns ``(nearest, e_own, e_other, row_norms)``, each (n_rows,): the
    label; ``E`` of that label; the smallest ``E`` among the other centres (a
    lower bound for any of them, used by the bounds algorithms); and
    ``|x|^2`` summed in feature order (``E + |x|^2`` is the squared distance;
    ``row_norms`` itself when given).
    The labels are the tie rule's whichever ranking ran; ``E``'s last bits
    depend on it (they only feed bounds, which the slack keeps valid, and the
    per-iteration inertia that ``verbose`` prints).
    """
    ranking = _ranking(narrow_rows is None)
    return ranking(rows, centers_t, centers_squared_norms, narrow_rows, row_norms)


@overload(nearest_centers_ranked, jit_options=OVERLOAD_OPTIONS)
def _nearest_centers_ranked_kernel(rows, centers_t, centers_squared_norms, narrow_rows, row_norms):
    # numba's own pruning of ``if argument is None`` drops the other branch
    # only when the argument *is* None; chosen here from the types, each
    # ranking compiles alone whichever way. The ranking's own Python function
    # is the implementation (not a call of its kernel): one level of compiled
    # calls fewer, and each level is optimized again in its caller (0.4 s of
    # a cold first fit). A renamed copy of it: the implementation compiles
    # without the wrapper Python calls go through, and under the kernel's own
    # name it would share the kernel's cache file (see ``renamed_copy``).
    return _ranking_implementation(isinstance(narrow_rows, types.NoneType))


_RANKING_IMPLEMENTATIONS = {}  # by_cross_product -> the overload's implementation


def _ranking_implementation(by_cross_product):
    """The Python function :func:`nearest_centers_ranked`'s overload compiles (one per ranking)."""
    if by_cross_product not in _RANKING_IMPLEMENTATIONS:
        _RANKING_IMPLEMENTATIONS[by_cross_product] = renamed_copy(
            _ranking(by_cross_product).py_func, "_ranked"
        )
    return _RANKING_IMPLEMENTATIONS[by_cross_product]


def _ranking(by_cross_product):
    """The kernel of :func:`nearest_centers_ranked` (its arguments, in its order)."""
    if by_cross_product:
        return nearest_centers_by_cross_product
    return nearest_centers_by_feature_sweeps


# The two rankings. Kernels reach them through :func:`nearest_centers_ranked`'s
# overload, which compiles their Python functions (one level of compiled
# calls fewer); as kernels of their own they serve Python callers.
@jit
def nearest_centers_by_cross_product(
    rows, centers_t, centers_squared_norms, narrow_rows, row_norms
):
    """:func:`nearest_centers_ranked` through one BLAS product of the block (wide rows)."""
    return nearest_centers_of_cross(
        rows, cross_terms(rows, centers_t), centers_t, centers_squared_norms, row_norms
    )


@jit
def nearest_centers_by_feature_sweeps(
    rows, centers_t, centers_squared_norms, narrow_rows, row_norms
):
    """:func:`nearest_centers_ranked` by :func:`nearest_two_by_feature_sweeps` (narrow rows)."""
    nearest, best, second, row_norms = nearest_two_by_feature_sweeps(
        rows, centers_t, centers_squared_norms, row_norms
    )
    settle_near_ties(rows, centers_t, centers_squared_norms, nearest, best, second, row_norms)
    return nearest, best, second, row_norms


@jit
def nearest_centers_of_cross(rows, cross, centers_t, centers_squared_norms, row_norms):
    """:func:`nearest_centers_ranked` (the BLAS ranking) from cross terms the caller already has.

    ``cross``: :func:`cross_terms` of ``rows``. Elkan's first pass keeps every
    centre's ``E`` for its lower bounds, so it computes the product itself.
    """
    nearest, best, second = nearest_two_of_cross(cross, centers_squared_norms)
    row_norms = given_or_computed_row_norms(rows, row_norms)
    settle_near_ties(rows, centers_t, centers_squared_norms, nearest, best, second, row_norms)
    return nearest, best, second, row_norms


@jit
def settle_near_ties(rows, centers_t, centers_squared_norms, nearest, best, second, row_norms):
    """Apply the tie rule to the rows whose runner-up ``E`` is within rounding of the best.

    A counting sweep first (no call inside: it vectorises, and a call left
    in a hot loop, even one never taken, cost a Lloyd pass 2-3.7x on small
    tables), then, only if a row needs it, :func:`resolve_near_tie`.
    """
    n_rows = rows.shape[0]
    slack_factor = rounding_slack(rows.shape[1])
    largest_norm = largest_value(centers_squared_norms)
    n_near = 0
    for r in range(n_rows):
        n_near += second[r] - best[r] <= 2.0 * slack_factor * (row_norms[r] + largest_norm)
    if n_near == 0:
        return
    for r in range(n_rows):
        slack = slack_factor * (row_norms[r] + largest_norm)
        if second[r] - best[r] <= 2.0 * slack:
            resolved = resolve_near_tie(rows, r, centers_t, centers_squared_norms, best[r], slack)
            if resolved != nearest[r]:
                # Every other centre, the E-argmin included, has E >= best.
                second[r] = best[r]
                best[r] = expanded_squared_distance(
                    rows, r, centers_t, centers_squared_norms, resolved
                )
                nearest[r] = resolved


@jit
def nearest_two_by_feature_sweeps(rows, centers_t, centers_squared_norms, row_norms):
    """:func:`nearest_two_of_cross` for narrow rows, without BLAS; also the rows' norms.

    With few features a BLAS product is mostly overhead and the ranking
    that follows is a chain of scalar steps per row. Here the block is
    transposed (one array per feature) and every step runs across rows, in
    vector lanes: each centre's cross terms are built feature by feature
    (summed in feature order), then compared with every row's best and
    runner-up. Returns ``(nearest, best, second, row_norms)``; the ranking
    and tie rule are :func:`nearest_two_of_cross`'s (lowest index among equal
    ``E``); ``row_norms`` is the argument when it holds one norm per row,
    else computed here across rows, bitwise :func:`row_squared_norm`'s.

    One thread, a Lloyd pass at n=1e6, d=2: k=5 13.9 -> 11.6 ms, k=64
    78.7 -> 42.7 ms; d=4, k=16: 32.0 -> 26.7 ms. At d=8 BLAS wins (k=8:
    18 against 25 ms), hence :data:`SWEEP_MAX_FEATURES`.
    """
    n_rows, n_features = rows.shape
    n_clusters = centers_squared_norms.shape[0]
    # Separate arrays, not views of one workspace: LLVM then knows they do not
    # overlap and vectorises the sweeps (as views the pass ran 2x slower).
    by_feature = np.empty((n_features, n_rows))
    for r in range(n_rows):
        for f in range(n_features):
            by_feature[f, r] = rows[r, f]
    if row_norms.shape[0] != n_rows:
        row_norms = np.zeros(n_rows)
        for f in range(n_features):
            for r in range(n_rows):
                row_norms[r] += by_feature[f, r] * by_feature[f, r]
    best = np.empty(n_rows)
    second = np.empty(n_rows)
    nearest = np.zeros(n_rows, dtype=np.int64)
    cross = np.zeros(n_rows)  # stays 0 when d = 1
    last = n_features - 1
    last_values = by_feature[last]
    for j in range(n_clusters):
        for f in range(last):
            term = centers_t[f, j]
            if f == 0:
                for r in range(n_rows):
                    cross[r] = term * by_feature[0, r]
            else:
                for r in range(n_rows):
                    cross[r] += term * by_feature[f, r]
        # The last feature's term is added inside the ranking sweep: one sweep
        # fewer a centre (8-14% of this function, measured at d = 2-4).
        last_term = centers_t[last, j]
        norm = centers_squared_norms[j]
        if j == 0:
            for r in range(n_rows):
                best[r] = norm - 2.0 * (cross[r] + last_term * last_values[r])
                second[r] = np.inf
            continue
        for r in range(n_rows):
            partial = norm - 2.0 * (cross[r] + last_term * last_values[r])
            current = best[r]
            closer = partial < current
            second[r] = min(second[r], max(partial, current))
            nearest[r] = j if closer else nearest[r]
            best[r] = partial if closer else current
    return nearest, best, second, row_norms


@jit_parallel
def distances_to_own_center(X, centers_t, labels, out):
    """``out[i] = D(X[i], centre labels[i])`` (the tie rule's distance), for relocation."""
    n_samples = X.shape[0]
    for chunk in prange(chunk_count(n_samples, CHUNK_ROWS)):
        start, stop = chunk_span(chunk, CHUNK_ROWS, n_samples)
        for i in range(start, stop):
            out[i] = direct_squared_distance(X, i, centers_t, labels[i])


@jit(inline="always")
def center_shifts(new_centers, old_centers, shifts):
    """Euclidean distance each centre moved, and the total squared shift.

    One function for every algorithm, so the convergence test sees the same
    bits whichever iteration ran (scikit-learn's ``sum(shift ** 2)`` form).
    """
    total = 0.0
    for j in range(new_centers.shape[0]):
        squared = 0.0
        for f in range(new_centers.shape[1]):
            diff = np.float64(new_centers[j, f]) - np.float64(old_centers[j, f])
            squared += diff * diff
        shifts[j] = np.sqrt(squared)
        total += shifts[j] * shifts[j]
    return total
