"""Fits that centre X's rows as the kernels read them give the centred copy's bits.

A Hamerly run on a wide table from given seeds makes no private centred copy
(``_iterations.centers_rows_as_read``): the kernels subtract the column means
from each row as they read it (``_kernels.common.centered_value``). These
tests compare such fits with the same fits forced through the copy, bit for
bit, through the paths that read rows: the first pass (which also fills the
rows' norms), tightening, rescans, sum slots, the relocation of an empty
cluster (within the bounds and over every row), the verbose inertia and the
final inertia; and check that the copy's memory is really saved.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

from kmeans_core import KMeans, _iterations, _kmeans
from kmeans_core._iterations import centers_rows_as_read
from kmeans_core._kernels.distances import cross_block_rows
from kmeans_core._kernels.jit import SERIAL_BELOW_ROWS
from kmeans_core._kernels.seeding import greedy_kmeans_plusplus, reads_rows_centred

N_SAMPLES = SERIAL_BELOW_ROWS + 1_000
N_FEATURES = _iterations.CENTER_AS_READ_MIN_FEATURES


def wide_blobs(dtype, seed=0, n_samples=N_SAMPLES, n_features=N_FEATURES, k=6):
    """Blobs far from the origin (a mean of ~1e3: centring matters), and seeds that leave a cluster empty."""
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-10, 10, size=(k, n_features)) + 1_000.0
    X = centers[rng.randint(k, size=n_samples)] + rng.standard_normal((n_samples, n_features))
    init = X[rng.choice(n_samples, k, replace=False)]
    init[-1] = 1e5  # far from every row: empty after the first pass, relocated
    return X.astype(dtype), init.astype(dtype)


def fit_both_ways(monkeypatch, X, init, sample_weight=None, **params):
    """(fit centring as read, the same fit through the centred copy)."""
    assert centers_rows_as_read("hamerly", *X.shape, seeds_need_copy=False)

    def fit():
        model = KMeans(init.shape[0], init=init, n_init=1, algorithm="hamerly", **params)
        return model.fit(X, sample_weight=sample_weight)

    as_read = fit()
    with monkeypatch.context() as patch:
        patch.setattr(_kmeans, "centers_rows_as_read", lambda *args, **kwargs: False)
        copied = fit()
    return as_read, copied


def assert_same_bits(a, b):
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.cluster_centers_.tobytes() == b.cluster_centers_.tobytes()
    assert a.inertia_ == b.inertia_
    assert a.n_iter_ == b.n_iter_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_centring_as_read_gives_the_copys_bits(dtype, monkeypatch):
    X, init = wide_blobs(dtype)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, X.shape[0])
    before = X.copy()
    calls = []
    real = _iterations.farthest_rows_within_bounds
    monkeypatch.setattr(
        _iterations,
        "farthest_rows_within_bounds",
        lambda *args: calls.append(args[-1] is not None) or real(*args),
    )
    as_read, copied = fit_both_ways(monkeypatch, X, init)
    assert calls[0] is True  # the relocation ran, centring its candidates
    assert_same_bits(as_read, copied)
    # and with weights, and against Lloyd's run on the copy
    weighted, weighted_copied = fit_both_ways(monkeypatch, X, init, sample_weight=weights)
    assert_same_bits(weighted, weighted_copied)
    lloyd = KMeans(6, init=init, n_init=1, algorithm="lloyd").fit(X, sample_weight=weights)
    assert_same_bits(weighted, lloyd)
    np.testing.assert_array_equal(X, before)  # X only read


def test_wide_rows_ranked_in_several_blocks_give_the_copys_bits(monkeypatch):
    """At d = 128 a chunk's rescanned rows are ranked in blocks of 256 (``cross_block_rows``).

    Both paths split the rescans the same way; the centred rows gathered
    block by block give the copy's bits and Lloyd's (the oracle).
    """
    X, init = wide_blobs(np.float64, seed=7, n_features=128)
    assert cross_block_rows(X.shape[1]) == 256
    as_read, copied = fit_both_ways(monkeypatch, X, init)
    assert_same_bits(as_read, copied)
    assert_same_bits(as_read, KMeans(6, init=init, n_init=1, algorithm="lloyd").fit(X))


def test_relocation_over_every_row_centres_block_by_block(monkeypatch):
    """Bounds too loose to prune (forced): every row's distance, a block of rows at a time."""
    X, init = wide_blobs(np.float64, seed=2)
    monkeypatch.setattr(_iterations, "RELOCATION_CANDIDATE_ROWS", N_SAMPLES)
    monkeypatch.setattr(_iterations, "RELOCATION_BLOCK_ROWS", 5_000)
    blocks = []
    real = _iterations.distances_to_own_center
    monkeypatch.setattr(
        _iterations,
        "distances_to_own_center",
        lambda rows, *args: blocks.append(rows.shape[0]) or real(rows, *args),
    )
    as_read, copied = fit_both_ways(monkeypatch, X, init)
    assert blocks[:4] == [5_000, 5_000, 5_000, N_SAMPLES - 15_000]
    assert_same_bits(as_read, copied)


@pytest.mark.parametrize("n_init", [1, 3])
def test_random_init_draws_the_same_rows(monkeypatch, n_init):
    """``init="random"``: rows drawn by index, centred after the draw; each of the runs alike."""
    X, _ = wide_blobs(np.float32, seed=7)
    params = dict(init="random", n_init=n_init, random_state=0, algorithm="hamerly")
    as_read = KMeans(6, **params).fit(X)
    with monkeypatch.context() as patch:
        patch.setattr(_kmeans, "centers_rows_as_read", lambda *args, **kwargs: False)
        copied = KMeans(6, **params).fit(X)
    assert_same_bits(as_read, copied)


def test_verbose_inertia_and_history_match(monkeypatch, capsys):
    X, init = wide_blobs(np.float64, seed=3)
    as_read, copied = fit_both_ways(monkeypatch, X, init, verbose=1, record_history=True)
    assert_same_bits(as_read, copied)
    out = capsys.readouterr().out
    first_half, second_half = out[: len(out) // 2], out[len(out) // 2 :]
    assert first_half == second_half  # the same lines, the same inertia figures
    assert [r["inertia"] for r in as_read.history_] == [r["inertia"] for r in copied.history_]


def test_first_pass_fills_the_row_norms_a_separate_pass_gives(monkeypatch):
    X, init = wide_blobs(np.float32, seed=4)
    filled = []
    real = _iterations.bounded_single_run

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        filled.append(args[-2].copy())  # row_norms, after the run
        return result

    monkeypatch.setattr(_kmeans, "bounded_single_run", spy)
    KMeans(6, init=init, n_init=1, algorithm="hamerly").fit(X)
    _, _, _, expected = _iterations.centered_copy(X)
    assert filled[0].shape == (N_SAMPLES,)
    assert filled[0].tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_centring_statistics_match_the_copys(dtype):
    X, _ = wide_blobs(dtype, seed=5)
    X[::3] += 1e4  # norms across magnitudes, so that another order of sums would show
    _, mean, variances, row_norms = _iterations.centered_copy(X)
    mean_as_read, variances_as_read, no_norms = _iterations.centered_statistics(X)
    assert mean.tobytes() == mean_as_read.tobytes()
    assert variances.tobytes() == variances_as_read.tobytes()
    assert no_norms.shape == (0,)
    # The norms from the statistics' read: the centred copy's norms, bit for bit.
    _, _, norms_as_read = _iterations.centered_statistics(X, with_row_norms=True)
    assert row_norms.shape == (N_SAMPLES,)
    assert norms_as_read.tobytes() == row_norms.tobytes()
    assert norms_as_read.tobytes() == _iterations.fit_row_norms(X, mean).tobytes()


def test_no_copy_of_x_is_made(monkeypatch):
    """The fit's new arrays stay well under X's size (the copy alone would be X's size)."""
    X, init = wide_blobs(np.float64, seed=6, n_features=64)
    KMeans(6, init=init, n_init=1, algorithm="hamerly").fit(X)  # compiled before tracing

    def peak_bytes():
        tracemalloc.start()
        try:
            KMeans(6, init=init, n_init=1, algorithm="hamerly").fit(X)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    as_read = peak_bytes()
    monkeypatch.setattr(_kmeans, "centers_rows_as_read", lambda *args, **kwargs: False)
    copied = peak_bytes()
    assert copied > X.nbytes
    assert as_read < 0.5 * X.nbytes, (as_read, copied, X.nbytes)


@pytest.mark.parametrize(
    "algorithm, n_samples, n_features, seeds_need_copy, expected",
    [
        ("hamerly", SERIAL_BELOW_ROWS, N_FEATURES, False, True),
        ("hamerly", SERIAL_BELOW_ROWS - 1, N_FEATURES, False, False),  # small: the copy is cheap
        ("hamerly", SERIAL_BELOW_ROWS, N_FEATURES - 1, False, False),  # narrow: rescans dominate
        ("hamerly", SERIAL_BELOW_ROWS, N_FEATURES, True, False),  # e.g. k-means|| reads the copy
        ("lloyd", SERIAL_BELOW_ROWS, N_FEATURES, False, False),
        ("elkan", SERIAL_BELOW_ROWS, N_FEATURES, False, False),
    ],
)
def test_which_fits_centre_as_read(algorithm, n_samples, n_features, seeds_need_copy, expected):
    assert centers_rows_as_read(algorithm, n_samples, n_features, seeds_need_copy) is expected


@pytest.mark.parametrize(
    "n_features, weighted, n_init", [(48, True, 1), (64, False, 1), (128, True, 2)]
)
def test_default_fit_centres_as_read_with_the_copys_bits(monkeypatch, n_features, weighted, n_init):
    """``KMeans(k)`` on wide float64 rows: k-means++ and the Hamerly run read X and the mean."""
    X, _ = wide_blobs(np.float64, seed=8, n_features=n_features)
    weights = np.random.RandomState(2).uniform(0.5, 2.0, X.shape[0]) if weighted else None
    before = X.copy()
    means_given = []
    real = _kmeans.greedy_kmeans_plusplus

    def spy(*args, **kwargs):
        means_given.append(kwargs.get("mean") is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(_kmeans, "greedy_kmeans_plusplus", spy)
    as_read = KMeans(6, random_state=0, n_init=n_init).fit(X, sample_weight=weights)
    assert means_given == [True] * n_init  # the seeding read X itself
    with monkeypatch.context() as patch:
        patch.setattr(_kmeans, "centers_rows_as_read", lambda *args, **kwargs: False)
        copied = KMeans(6, random_state=0, n_init=n_init).fit(X, sample_weight=weights)
    assert means_given[n_init:] == [False] * n_init
    assert_same_bits(as_read, copied)
    np.testing.assert_array_equal(X, before)  # X only read


@pytest.mark.parametrize("n_features", [48, 64, 300])  # the expanded scorer, then the stored one
def test_kmeans_plusplus_reading_x_and_the_mean_draws_the_copys_seeds(n_features):
    """The seeds (indices and centred values) and the potentials' draws are the copy's, bit for bit."""
    X, _ = wide_blobs(np.float64, seed=9, n_features=n_features)
    X_centered, mean, _, row_norms = _iterations.centered_copy(X)
    assert reads_rows_centred(X.dtype, *X.shape, 6)
    from_copy = greedy_kmeans_plusplus(
        X_centered, 6, np.ones(X.shape[0]), np.random.RandomState(3), computed_row_norms=row_norms
    )
    as_read = greedy_kmeans_plusplus(
        X,
        6,
        np.ones(X.shape[0]),
        np.random.RandomState(3),
        computed_row_norms=_iterations.fit_row_norms(X, mean),
        mean=mean,
    )
    np.testing.assert_array_equal(as_read[1], from_copy[1])
    assert as_read[0].tobytes() == from_copy[0].tobytes()
    assert _iterations.fit_row_norms(X, mean).tobytes() == row_norms.tobytes()
    # and scikit-learn's seeds on the centred data
    sk_centers, sk_indices = sklearn_kmeans_plusplus(X_centered, 6, random_state=3)
    np.testing.assert_array_equal(as_read[1], sk_indices)


@pytest.mark.parametrize(
    "dtype, n_samples, n_features, n_clusters, expected",
    [
        (np.float64, SERIAL_BELOW_ROWS, 64, 8, True),  # stored distances
        (np.float64, SERIAL_BELOW_ROWS, 64, 128, True),
        (np.float64, SERIAL_BELOW_ROWS, 40, 8, True),  # the expanded scorer
        (np.float64, SERIAL_BELOW_ROWS, 39, 8, False),  # narrower: the copy once is cheaper
        (np.float64, SERIAL_BELOW_ROWS, 48, 64, False),  # the pruned scorer reads a centred X
        (np.float32, SERIAL_BELOW_ROWS, 128, 8, False),  # scikit-learn's float32 roundings
        (np.float64, 200, 64, 8, False),  # one call's table
    ],
)
def test_which_kmeans_plusplus_runs_read_x_and_the_mean(
    dtype, n_samples, n_features, n_clusters, expected
):
    assert reads_rows_centred(np.dtype(dtype), n_samples, n_features, n_clusters) is expected
