"""Cluster-quality metrics with scikit-learn's signatures and answers.

Public functions (exported from :mod:`kmeans_core`):

* :func:`silhouette_samples`, :func:`silhouette_score` -- exact Euclidean
  silhouette, in numba, without an n x n matrix (O(n + k) memory beyond a
  cluster-sorted copy of X);
* :func:`calinski_harabasz_score` -- between/within dispersion ratio;
* :func:`davies_bouldin_score` -- mean worst-case cluster similarity;
* :func:`adjusted_rand_score` -- agreement of two labellings, chance-corrected.

The public functions validate everything and convert once: X to float64
C-contiguous (float32 and integer input are computed in float64), labels to
codes ``0..k-1`` (int64) in the order of the sorted distinct labels, as
scikit-learn's ``LabelEncoder`` does. The kernels below check nothing.

Determinism: the silhouette of a sample is a serial sum over the other samples
in a fixed order, whichever thread computes it; the centroid and dispersion
sums are split into fixed chunks of rows whose partial results are added in
chunk order. Every result is bitwise identical for any number of threads.

Precision: distances are computed directly as ``sqrt(sum((x - y)^2))``.
scikit-learn expands ``|x|^2 - 2 x.y + |y|^2`` instead, which loses digits when
points are close compared with their norms; on ordinary data the two agree to
about 1e-13, and ours is the more accurate.
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import prange

from kmeans_core._kernels.common import chunk_count, chunk_span
from kmeans_core._kernels.jit import (
    CHUNK_ROWS,
    chunk_rows_for,
    for_one_chunk,
    jit,
    jit_parallel,
    n_chunks,
)
from kmeans_core._validation import check_array, check_random_state

__all__ = [
    "silhouette_samples",
    "silhouette_score",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "adjusted_rand_score",
]

# Samples whose silhouette is computed together: each sample of the tile keeps
# its own running sums, so one read of another sample's coordinates serves four
# distances (about 1.8x faster at d = 10, 1.2x at d = 2). Each sample's sum
# still runs over the other samples in the same order as when computed alone.
_TILE = 4

# scikit-learn's Davies-Bouldin treats spreads and centroid distances that are
# all within this of zero (``np.allclose(..., 0)``) as degenerate: score 0.
_DAVIES_BOULDIN_ATOL = 1e-8


# ---------------------------------------------------------------------------
# Kernels: prepared arrays in, arrays out, nothing checked
# ---------------------------------------------------------------------------


@jit
def _distance_sum(points_t, point, start, stop):
    """Sum of Euclidean distances from ``point`` to the samples ``start..stop-1``.

    ``points_t`` is the (n_features, n_samples) transpose of the samples.
    """
    n_features = points_t.shape[0]
    total = 0.0
    for j in range(start, stop):
        squared = 0.0
        for f in range(n_features):
            diff = points_t[f, j] - point[f]
            squared += diff * diff
        total += np.sqrt(squared)
    return total


@jit
def _distance_sums_tile(points_t, tile, start, stop):
    """:func:`_distance_sum` for the four samples in the columns of ``tile``.

    Four independent running sums let the CPU overlap the square roots and
    additions; each sum is accumulated in the same order as in
    :func:`_distance_sum`, so the results are bitwise the same.
    """
    n_features = points_t.shape[0]
    total0 = 0.0
    total1 = 0.0
    total2 = 0.0
    total3 = 0.0
    for j in range(start, stop):
        squared0 = 0.0
        squared1 = 0.0
        squared2 = 0.0
        squared3 = 0.0
        for f in range(n_features):
            value = points_t[f, j]
            diff0 = value - tile[f, 0]
            diff1 = value - tile[f, 1]
            diff2 = value - tile[f, 2]
            diff3 = value - tile[f, 3]
            squared0 += diff0 * diff0
            squared1 += diff1 * diff1
            squared2 += diff2 * diff2
            squared3 += diff3 * diff3
        total0 += np.sqrt(squared0)
        total1 += np.sqrt(squared1)
        total2 += np.sqrt(squared2)
        total3 += np.sqrt(squared3)
    return total0, total1, total2, total3


@jit
def _silhouette_of(sums, own, cluster_starts):
    """Silhouette of one sample from its sums of distances to every cluster.

    ``a`` is the mean distance to the other members of its own cluster, ``b``
    the smallest mean distance to another cluster (Rousseeuw 1987, eq. for
    s(i)); ``s = (b - a) / max(a, b)``. A sample alone in its cluster, or one
    with ``a = b = 0``, scores 0 (scikit-learn's convention).
    """
    own_size = cluster_starts[own + 1] - cluster_starts[own]
    if own_size < 2:
        return 0.0
    intra = sums[own] / (own_size - 1)
    nearest = np.inf
    for c in range(sums.shape[0]):
        if c != own:
            mean = sums[c] / (cluster_starts[c + 1] - cluster_starts[c])
            if mean < nearest:
                nearest = mean
    largest = nearest if nearest > intra else intra  # max(): see ``_kernels.jit``
    if largest == 0.0:
        return 0.0
    return (nearest - intra) / largest


def silhouette_scratch(n_samples, n_features, n_clusters):
    """The per-chunk scratch buffers of :func:`silhouette_sorted`.

    Allocated by the caller: ``np.empty`` in the kernel compiles numba's
    allocation functions, time a first silhouette on a fresh machine waits for.
    """
    chunks = n_chunks(n_samples)
    return (
        np.empty((chunks, n_features, _TILE)),
        np.empty((chunks, _TILE, n_clusters)),
        np.empty((chunks, n_features)),
        np.empty((chunks, n_clusters)),
    )


@jit_parallel
def silhouette_sorted(points_t, sorted_codes, cluster_starts, silhouette, scratch):
    """Silhouette of every sample of cluster-sorted data.

    Parameters (all prepared by the caller)
    ---------------------------------------
    points_t : float64 (n_features, n_samples), C order
        Samples as columns, sorted by cluster: cluster c occupies columns
        ``cluster_starts[c]:cluster_starts[c + 1]``.
    sorted_codes : int64 (n_samples,)
        Cluster of each column (non-decreasing).
    cluster_starts : int64 (n_clusters + 1,)
    silhouette : float64 (n_samples,), written
    scratch : :func:`silhouette_scratch`'s buffers

    Per sample the k sums of distances are computed on the fly (no n x n
    matrix): extra memory is O(k) per chunk of rows. Work is O(n^2 d).
    """
    n_features, n_samples = points_t.shape
    n_clusters = cluster_starts.shape[0] - 1
    for chunk in prange(chunk_count(n_samples, CHUNK_ROWS)):
        start, stop = chunk_span(chunk, CHUNK_ROWS, n_samples)
        tile, tile_sums, point, sums = (
            scratch[0][chunk],
            scratch[1][chunk],
            scratch[2][chunk],
            scratch[3][chunk],
        )
        i = start
        while i + _TILE <= stop:
            for f in range(n_features):
                for t in range(_TILE):
                    tile[f, t] = points_t[f, i + t]
            for c in range(n_clusters):
                s0, s1, s2, s3 = _distance_sums_tile(
                    points_t, tile, cluster_starts[c], cluster_starts[c + 1]
                )
                tile_sums[0, c] = s0
                tile_sums[1, c] = s1
                tile_sums[2, c] = s2
                tile_sums[3, c] = s3
            for t in range(_TILE):
                silhouette[i + t] = _silhouette_of(
                    tile_sums[t], sorted_codes[i + t], cluster_starts
                )
            i += _TILE
        while i < stop:
            for f in range(n_features):
                point[f] = points_t[f, i]
            for c in range(n_clusters):
                sums[c] = _distance_sum(points_t, point, cluster_starts[c], cluster_starts[c + 1])
            silhouette[i] = _silhouette_of(sums, sorted_codes[i], cluster_starts)
            i += 1


@jit_parallel
def cluster_sums_per_chunk(X, codes, chunk_rows, chunk_sums, chunk_counts):
    """Per chunk of rows, the sum of the samples and the count of each cluster.

    ``chunk_sums`` (n_chunks, n_clusters, n_features) and ``chunk_counts``
    (n_chunks, n_clusters) are overwritten; the caller adds the chunks in order.
    """
    n_samples, n_features = X.shape
    for chunk in prange(chunk_sums.shape[0]):
        start, stop = chunk_span(chunk, chunk_rows, n_samples)
        sums = chunk_sums[chunk]
        counts = chunk_counts[chunk]
        sums[:, :] = 0.0
        counts[:] = 0
        for i in range(start, stop):
            c = codes[i]
            counts[c] += 1
            for f in range(n_features):
                sums[c, f] += X[i, f]


@jit_parallel
def spread_per_chunk(X, codes, centroids, chunk_rows, squared, chunk_spread):
    """Per chunk and cluster, the sum of (squared) distances of members to their centroid.

    ``squared=True`` sums ``|x - c|^2`` (Calinski-Harabasz), ``False`` sums
    ``|x - c|`` (Davies-Bouldin). ``chunk_spread`` (n_chunks, n_clusters) is
    overwritten.
    """
    n_samples, n_features = X.shape
    for chunk in prange(chunk_spread.shape[0]):
        start, stop = chunk_span(chunk, chunk_rows, n_samples)
        spread = chunk_spread[chunk]
        spread[:] = 0.0
        for i in range(start, stop):
            c = codes[i]
            distance = 0.0
            for f in range(n_features):
                diff = X[i, f] - centroids[c, f]
                distance += diff * diff
            spread[c] += distance if squared else np.sqrt(distance)


# ---------------------------------------------------------------------------
# Validation and preparation
# ---------------------------------------------------------------------------


def _check_X(X, function):
    """X as float64 C-contiguous, finite, 2-D (the error names ``function``), at a safe scale.

    The three scores are ratios of distances, unchanged when X is multiplied
    by a constant. Data whose largest value is far from 1 (|x| near 1e200,
    whose squares overflow, or near 1e-200, whose squares vanish) is
    multiplied by a power of two, which is exact, to bring it near 1.
    """
    X = check_array(X, name="X", dtype=np.float64, estimator=function)
    largest = float(np.abs(X).max())
    if largest > 0 and not 2.0**-_SCALE_EXPONENT_LIMIT <= largest <= 2.0**_SCALE_EXPONENT_LIMIT:
        X = np.ldexp(X, -int(np.frexp(largest)[1]))
    return X


# Outside [2**-200, 2**200] a squared distance (or a sum of them) could
# overflow or vanish in float64.
_SCALE_EXPONENT_LIMIT = 200


def _encode_labels(labels, n_samples, function, name="labels", reference=None):
    """Labels as int64 codes ``0..k-1`` (sorted distinct values) and k.

    ``reference`` names what fixes the expected length (default: X).
    """
    reference = reference or f"X has {n_samples} samples"
    if labels is None or isinstance(labels, (str, bytes)):
        raise ValueError(
            f"{function}: {name} must be a 1-D array of cluster labels, got {labels!r}."
        )
    values = np.asarray(labels)
    # Shaped like ``_validation.check_sample_weight``'s length checks; each
    # message names its own argument.
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{function}: {name} must be 1-D (one label per sample), got shape {values.shape}."
        )
    if values.shape[0] != n_samples:
        raise ValueError(
            f"{function}: {name} has {values.shape[0]} entries but {reference}; "
            "they must be the same length."
        )
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError(f"{function}: {name} contains NaN or infinity.")
    if values.dtype.kind not in "biufUSO":
        raise ValueError(
            f"{function}: {name} must hold integers or strings, got dtype {values.dtype}."
        )
    try:
        classes, codes = np.unique(values, return_inverse=True)
    except TypeError as exc:  # mixed types in an object array
        raise ValueError(f"{function}: {name} could not be sorted (mixed types?): {exc}") from exc
    return codes.reshape(-1).astype(np.int64, copy=False), len(classes)


def _cluster_codes(labels, n_samples, function):
    """Labels as codes 0..n_clusters-1, refused unless 2 <= n_clusters <= n_samples - 1."""
    codes, n_clusters = _encode_labels(labels, n_samples, function)
    _check_n_clusters(n_clusters, n_samples, function)
    return codes, n_clusters


def _check_n_clusters(n_clusters, n_samples, function):
    """Scores comparing clusters need 2 <= k <= n_samples - 1 distinct labels."""
    if not 2 <= n_clusters <= n_samples - 1:
        hint = (
            " A single cluster has nothing to be compared with."
            if n_clusters == 1
            else " With one sample per cluster every score is degenerate."
        )
        raise ValueError(
            f"{function}: labels contain {n_clusters} distinct label(s) for {n_samples} samples; "
            f"valid numbers of distinct labels are 2 to n_samples - 1 = {n_samples - 1} "
            f"(inclusive).{hint}"
        )


def _check_metric(metric, function):
    if not (isinstance(metric, str) and metric == "euclidean"):
        raise ValueError(
            f"{function}: metric={metric!r} is not supported; kmeans_core computes the "
            "Euclidean silhouette only (metric='euclidean'). Use sklearn.metrics for other metrics."
        )


def _checked_clusters(X, labels, function):
    """``(X, codes, centroids, counts, sums)``: what a centroid-based score starts from."""
    X = _check_X(X, function)
    codes, n_clusters = _cluster_codes(labels, X.shape[0], function)
    return (X, codes, *_centroids(X, codes, n_clusters))


def _centroids(X, codes, n_clusters):
    """Cluster means and sizes, summed in fixed chunks (thread-count independent)."""
    n_samples, n_features = X.shape
    chunk_rows = chunk_rows_for(n_samples, n_clusters, n_features)
    chunks = n_chunks(n_samples, chunk_rows)
    chunk_sums = np.empty((chunks, n_clusters, n_features))
    chunk_counts = np.empty((chunks, n_clusters), dtype=np.int64)
    cluster_sums_per_chunk(X, codes, chunk_rows, chunk_sums, chunk_counts)
    sums = np.zeros((n_clusters, n_features))
    counts = np.zeros(n_clusters, dtype=np.int64)
    for chunk in range(chunks):  # fixed order
        sums += chunk_sums[chunk]
        counts += chunk_counts[chunk]
    return sums / counts[:, None], counts, sums


def _spread(X, codes, centroids, squared):
    """Per-cluster sum of (squared) distances of members to their centroid."""
    n_samples, n_features = X.shape
    n_clusters = centroids.shape[0]
    chunk_rows = chunk_rows_for(n_samples, n_clusters, 1)
    chunk_spread = np.empty((n_chunks(n_samples, chunk_rows), n_clusters))
    spread_per_chunk(X, codes, np.ascontiguousarray(centroids), chunk_rows, squared, chunk_spread)
    total = np.zeros(n_clusters)
    for row in chunk_spread:  # fixed order
        total += row
    return total


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def silhouette_samples(X, labels, *, metric="euclidean"):
    """Silhouette coefficient of every sample (exact, Euclidean).

    For sample i in cluster A, with ``a(i)`` the mean distance to the other
    members of A and ``b(i)`` the smallest mean distance to the members of
    another cluster, ``s(i) = (b(i) - a(i)) / max(a(i), b(i))`` (Rousseeuw,
    1987). It lies in [-1, 1]: near 1 the sample sits well inside its cluster,
    near 0 on a border, below 0 closer to another cluster.

    Same answer as :func:`sklearn.metrics.silhouette_samples` (to ~1e-13),
    computed by a parallel numba kernel that keeps, per sample, only the k
    sums of distances to each cluster: no n x n distance matrix (scikit-learn
    computes it in chunks); extra memory is a cluster-sorted copy of X plus
    O(n + k). Time is O(n^2 d).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples. Computed in float64 whatever the input dtype.
    labels : array-like of shape (n_samples,)
        Cluster of each sample (any sortable values, e.g. ints or strings).
    metric : {"euclidean"}, default="euclidean"
        Only the Euclidean distance is supported.

    Returns
    -------
    silhouette : ndarray of shape (n_samples,), float64
        Samples alone in their cluster score 0, as do samples whose ``a`` and
        ``b`` are both 0 (duplicated points); constant X therefore scores 0.

    Raises
    ------
    ValueError
        On invalid X or labels, labels of the wrong length, fewer than 2 or
        more than ``n_samples - 1`` distinct labels, or a metric other than
        "euclidean".

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import silhouette_samples
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> silhouette_samples(X, [0, 0, 1, 1]).round(4)
    array([0.9048, 0.8947, 0.8947, 0.9048])
    """
    _check_metric(metric, "silhouette_samples")
    X = _check_X(X, "silhouette_samples")
    return _silhouette_samples(X, labels, "silhouette_samples")


def _silhouette_samples(X, labels, function):
    """:func:`silhouette_samples` on a validated float64 X."""
    n_samples = X.shape[0]
    codes, n_clusters = _cluster_codes(labels, n_samples, function)
    # Sort the samples by cluster (stable, so the order within a cluster is the
    # input order): each cluster's distances are then one contiguous sweep.
    order = np.argsort(codes, kind="stable")
    sorted_codes = np.ascontiguousarray(codes[order])
    points_t = np.ascontiguousarray(X[order].T)
    cluster_starts = np.searchsorted(sorted_codes, np.arange(n_clusters + 1)).astype(np.int64)
    silhouette = np.empty(n_samples)
    # One chunk of rows runs on one thread anyway: its serial twin (the same
    # bits) compiles in a fraction of the parallel kernel's time, which a first
    # silhouette on a small table waits for (1.7 s on a fresh machine).
    for_one_chunk(silhouette_sorted, n_samples)(
        points_t,
        sorted_codes,
        cluster_starts,
        silhouette,
        silhouette_scratch(n_samples, X.shape[1], n_clusters),
    )
    result = np.empty(n_samples)
    result[order] = silhouette
    return result


def silhouette_score(X, labels, *, metric="euclidean", sample_size=None, random_state=None):
    """Mean silhouette coefficient of all samples (or of a random subset).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples. Computed in float64 whatever the input dtype.
    labels : array-like of shape (n_samples,)
        Cluster of each sample.
    metric : {"euclidean"}, default="euclidean"
        Only the Euclidean distance is supported.
    sample_size : int or None, default=None
        None: the exact mean over all samples (O(n^2 d) time, O(n + k)
        memory: about 35 s for n = 200,000, d = 2 on two cores). An int: the
        mean silhouette of a random subset of ``sample_size`` samples, where
        each sample's ``a`` and ``b`` are computed *within the subset* -- the
        subset is scored as if it were the whole data set. This is
        scikit-learn's semantics, and with the same ``random_state`` it picks
        the same subset: ``random_state.permutation(n_samples)[:sample_size]``.
        A ``sample_size`` above ``n_samples`` uses every sample (in permuted
        order). Labels are checked on the subset, which must itself contain 2
        to ``sample_size - 1`` distinct labels.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed of the subset; only used with ``sample_size``. None uses NumPy's
        global RandomState (not reproducible).

    Returns
    -------
    score : float
        In [-1, 1]; higher means denser, better separated clusters.

    Raises
    ------
    ValueError
        As :func:`silhouette_samples`, and for a ``sample_size`` that is not a
        positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import silhouette_score
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> round(silhouette_score(X, [0, 0, 1, 1]), 4)
    0.8997
    """
    _check_metric(metric, "silhouette_score")
    X = _check_X(X, "silhouette_score")
    if sample_size is not None:
        if (
            isinstance(sample_size, bool)
            or not isinstance(sample_size, numbers.Integral)
            or sample_size < 1
        ):
            raise ValueError(
                "silhouette_score: sample_size must be None or an integer >= 1, got "
                f"{sample_size!r}."
            )
        n_samples = X.shape[0]
        # Validate labels against the full X first, so a wrong length is
        # reported as such rather than as an indexing error.
        codes, _ = _encode_labels(labels, n_samples, "silhouette_score")
        rng = check_random_state(random_state)
        rows = rng.permutation(n_samples)[:sample_size]
        X, labels = X[rows], codes[rows]
    return float(np.mean(_silhouette_samples(X, labels, "silhouette_score")))


def calinski_harabasz_score(X, labels):
    """Calinski-Harabasz index (variance ratio criterion).

    ``[B / (k - 1)] / [W / (n - k)]`` with ``B`` the between-cluster
    dispersion ``sum_c n_c |mean_c - mean|^2`` and ``W`` the within-cluster
    sum of squares (Calinski & Harabasz, 1974). Higher is better. Equal to
    :func:`sklearn.metrics.calinski_harabasz_score` to ~1e-14 relative.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)

    Returns
    -------
    score : float
        1.0 when ``W`` is exactly 0 (every cluster a set of identical points,
        e.g. constant X), as in scikit-learn.

    Raises
    ------
    ValueError
        On invalid X or labels, or fewer than 2 or more than
        ``n_samples - 1`` distinct labels.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import calinski_harabasz_score
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> calinski_harabasz_score(X, [0, 0, 1, 1])
    200.0
    """
    X, codes, centroids, counts, sums = _checked_clusters(X, labels, "calinski_harabasz_score")
    n_samples, n_clusters = X.shape[0], centroids.shape[0]
    overall_mean = sums.sum(axis=0) / n_samples
    between = float(np.sum(counts * np.sum((centroids - overall_mean) ** 2, axis=1)))
    within = float(_spread(X, codes, centroids, squared=True).sum())
    # W is 0 exactly when every cluster is a set of identical rows, but the
    # computed mean of identical floats can be off by an ulp and leave W a
    # rounding residue; below a generous bound on that residue, decide on the
    # data instead.
    residue_bound = n_samples * (n_samples * np.finfo(np.float64).eps * np.abs(X).max()) ** 2
    if within <= residue_bound and _clusters_are_constant(X, codes, n_clusters):
        return 1.0
    return between * (n_samples - n_clusters) / (within * (n_clusters - 1.0))


def _clusters_are_constant(X, codes, n_clusters):
    """True when every cluster consists of identical rows."""
    lowest = np.full((n_clusters, X.shape[1]), np.inf)
    highest = np.full((n_clusters, X.shape[1]), -np.inf)
    np.minimum.at(lowest, codes, X)
    np.maximum.at(highest, codes, X)
    return bool(np.array_equal(lowest, highest))


# Its Raises and Examples sections repeat calinski_harabasz_score's on purpose:
# each public function's numpydoc page stands on its own.
def davies_bouldin_score(X, labels):
    """Davies-Bouldin index: mean over clusters of the worst similarity ratio.

    With ``s_i`` the mean distance of cluster i's members to its centroid and
    ``d_ij`` the distance between centroids, the score is
    ``mean_i max_{j != i} (s_i + s_j) / d_ij`` (Davies & Bouldin, 1979).
    Lower is better; 0 is the minimum. Equal to
    :func:`sklearn.metrics.davies_bouldin_score` to ~1e-13, with one known
    exception: scikit-learn computes each member's distance to its centroid
    as ``sqrt(|x|^2 - 2 x.c + |c|^2)``, which for a cluster of one sample
    (or any member sitting on its centroid) leaves the square root of a
    rounding residue, up to ~1e-8 * |x|, where the true distance -- and ours
    -- is 0. The two scores then differ by that much.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)

    Returns
    -------
    score : float
        0.0 when every ``s_i`` is within 1e-8 of zero or every centroid
        distance is (e.g. constant X), as in scikit-learn. Pairs of coincident
        centroids are left out of the maximum.

    Raises
    ------
    ValueError
        On invalid X or labels, or fewer than 2 or more than
        ``n_samples - 1`` distinct labels.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import davies_bouldin_score
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> davies_bouldin_score(X, [0, 0, 1, 1])
    0.1
    """
    X, codes, centroids, counts, _ = _checked_clusters(X, labels, "davies_bouldin_score")
    mean_spread = _spread(X, codes, centroids, squared=False) / counts
    gaps = centroids[:, None, :] - centroids[None, :, :]
    centroid_distances = np.sqrt(np.einsum("ijf,ijf->ij", gaps, gaps))
    if (np.abs(mean_spread) <= _DAVIES_BOULDIN_ATOL).all() or (
        np.abs(centroid_distances) <= _DAVIES_BOULDIN_ATOL
    ).all():
        return 0.0
    # A zero distance (the diagonal, or coincident centroids) gives ratio 0.
    centroid_distances[centroid_distances == 0] = np.inf
    ratios = (mean_spread[:, None] + mean_spread[None, :]) / centroid_distances
    return float(np.mean(ratios.max(axis=1)))


def adjusted_rand_score(labels_true, labels_pred):
    """Adjusted Rand index between two labellings of the same samples.

    The Rand index counts the pairs of samples on which the two labellings
    agree (together in both, or apart in both); the adjusted index rescales it
    so that 1 means identical partitions (up to renaming the labels) and its
    expected value under random labellings with the same cluster sizes is 0
    (Hubert & Arabie, 1985). Computed from the contingency table with exact
    integer arithmetic and one final division, so it equals
    :func:`sklearn.metrics.adjusted_rand_score`. Symmetric in its arguments.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
    labels_pred : array-like of shape (n_samples,)
        Labels of any sortable type; only the grouping matters.

    Returns
    -------
    ari : float
        Between -0.5 and 1. 1.0 for identical partitions, including the
        degenerate cases (no samples, one sample, both labellings a single
        cluster or both all singletons) where the chance correction is 0/0.

    Raises
    ------
    ValueError
        When the labellings are not 1-D or differ in length.

    Examples
    --------
    >>> from kmeans_core import adjusted_rand_score
    >>> adjusted_rand_score([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    >>> round(adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]), 4)
    0.5714
    """
    function = "adjusted_rand_score"
    true_values = np.asarray(labels_true) if labels_true is not None else None
    n_samples = true_values.shape[0] if true_values is not None and true_values.ndim >= 1 else -1
    if n_samples < 0:
        raise ValueError(
            f"{function}: labels_true must be a 1-D array of labels, got {labels_true!r}."
        )
    if n_samples == 0:
        pred_values = np.asarray(labels_pred)
        if pred_values.shape != (0,):
            raise ValueError(
                f"{function}: labels_true has 0 entries but labels_pred has shape "
                f"{pred_values.shape}; they must be the same length."
            )
        return 1.0
    true_codes, n_true = _encode_labels(labels_true, n_samples, function, "labels_true")
    pred_codes, n_pred = _encode_labels(
        labels_pred, n_samples, function, "labels_pred", f"labels_true has {n_samples}"
    )
    # Contingency table entries n_ij as the counts of the joint codes; sorting
    # (np.unique) avoids materialising the n_true x n_pred table.
    _, joint_counts = np.unique(true_codes * n_pred + pred_codes, return_counts=True)
    row_counts = np.bincount(true_codes, minlength=n_true)
    column_counts = np.bincount(pred_codes, minlength=n_pred)

    def pairs(counts):
        counts = counts.astype(np.int64)
        return int(np.sum(counts * (counts - 1) // 2))

    together_both = pairs(joint_counts)  # sum_ij C(n_ij, 2)
    together_true = pairs(row_counts)  # sum_i C(a_i, 2)
    together_pred = pairs(column_counts)  # sum_j C(b_j, 2)
    all_pairs = n_samples * (n_samples - 1) // 2
    # ARI = (index - expected) / (max - expected) with expected = A B / P and
    # max = (A + B) / 2; multiplied through by 2P to stay in integers.
    numerator = 2 * (all_pairs * together_both - together_true * together_pred)
    denominator = all_pairs * (together_true + together_pred) - 2 * together_true * together_pred
    if denominator == 0:
        return 1.0
    return numerator / denominator
