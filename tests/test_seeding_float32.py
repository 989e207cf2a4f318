"""float32 k-means++ draws the same seeds as scikit-learn's, over many seeds and shapes.

scikit-learn keeps float32 data in float32 through its k-means++ (distances
rounded to float32, float32 potentials and cumulative sums), and which
sample a draw lands on depends on those roundings; ``_kernels/seeding.py`` explains
how ours reproduces them. These cases cover both distance regimes (few and
many features), data far from the origin (where the expanded distance
cancels), weights, and more rows than one chunk.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus
from threadpoolctl import threadpool_limits

from kmeans_core import kmeans_plusplus
from kmeans_core._kernels.seeding import float32_cumsum_search


def _data(n_samples, n_features, offset, seed):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=5.0, size=(7, n_features))
    X = centers[rng.integers(0, 7, n_samples)] + rng.normal(size=(n_samples, n_features))
    return (X + offset).astype(np.float32)


@pytest.mark.parametrize(
    "n_samples, n_features, n_clusters",
    [
        (50, 2, 5),
        (700, 3, 8),
        (3_000, 8, 12),
        (2_500, 40, 6),
        (1_500, 130, 4),
    ],
)
@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_float32_seeds_are_sklearns(n_samples, n_features, n_clusters, offset):
    X = _data(n_samples, n_features, offset, seed=n_features)
    for seed in range(12):
        ours_centers, ours = kmeans_plusplus(X, n_clusters, random_state=seed)
        theirs_centers, theirs = sklearn_kmeans_plusplus(X, n_clusters, random_state=seed)
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(ours_centers, theirs_centers)
        assert ours_centers.dtype == np.float32


def test_float32_weighted_seeds_are_sklearns():
    X = _data(2_000, 5, 0.0, seed=1)
    weights = np.random.default_rng(2).uniform(0.1, 3.0, X.shape[0]).astype(np.float32)
    for seed in range(12):
        ours = kmeans_plusplus(X, 9, sample_weight=weights, random_state=seed)[1]
        theirs = sklearn_kmeans_plusplus(X, 9, sample_weight=weights, random_state=seed)[1]
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("n_candidates", [1, 3, 5, 8])
def test_float32_potentials_do_not_depend_on_blas_threads(n_candidates):
    """Up to 8 candidates the potentials' product has the same bits on one BLAS thread as on two.

    Our float32 k-means++ computes ``candidate_sq @ sample_weight`` on one
    BLAS thread (``_kernels/seeding.py``: OpenBLAS's spinning threads slowed
    the passes around it) where scikit-learn lets BLAS use every core, so
    the draws are the same only if each potential's bits do not depend on
    the thread count. They do not up to 8 candidates (2 + log(k): k below
    1,097), at a million rows, where OpenBLAS would split a product between
    threads if it ever did. From 9 candidates (k from 1,097) it does, and
    scikit-learn's draws then depend on its BLAS thread count; ours are its
    one-thread draws whatever the user's BLAS setting.
    """
    rng = np.random.default_rng(n_candidates)
    candidate_sq = (rng.exponential(size=(n_candidates, 1_000_000)) * 50).astype(np.float32)
    weights = rng.uniform(0.5, 2.0, 1_000_000).astype(np.float32)
    with threadpool_limits(limits=1, user_api="blas"):
        one_thread = candidate_sq @ weights.reshape(-1, 1)
    with threadpool_limits(limits=2, user_api="blas"):
        np.testing.assert_array_equal(candidate_sq @ weights.reshape(-1, 1), one_thread)


def test_float32_seeds_are_sklearns_with_its_blas_on_two_threads():
    """scikit-learn on two BLAS threads, ours on one: the same seeds on 200,000 rows."""
    X = _data(200_000, 8, 0.0, seed=3)
    for seed in range(3):
        with threadpool_limits(limits=2, user_api="blas"):
            theirs = sklearn_kmeans_plusplus(X, 12, random_state=seed)[1]
        np.testing.assert_array_equal(kmeans_plusplus(X, 12, random_state=seed)[1], theirs)


def test_float32_cumsum_search_is_numpys():
    """The lazy float32 running sum finds what searchsorted(cumsum) finds, ties and overshoot included."""
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 2.0, 5_000).astype(np.float32)
    closest = (rng.exponential(size=5_000) * (rng.uniform(size=5_000) > 0.3)).astype(np.float32)
    cumulative = np.cumsum(weights * closest)
    targets = np.concatenate(
        [
            rng.uniform(size=20) * cumulative[-1],
            cumulative[[0, 17, 4_000]].astype(np.float64),  # exact hits
            [cumulative[-1] * 1.0001],
        ]
    )  # past the end (rounding)
    expected = np.minimum(np.searchsorted(cumulative, targets), 4_999)
    np.testing.assert_array_equal(float32_cumsum_search(weights, closest, targets), expected)
