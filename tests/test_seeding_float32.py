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
