"""Small tables: the one-call compiled Lloyd run gives the Python loop's bits.

``lloyd_single_run`` runs inputs below ``SERIAL_BELOW_ROWS`` rows in one
kernel call (``_kernels.lloyd.lloyd_run_compiled``) and falls back to the Python
loop when a cluster empties; asking for a history forces the Python loop,
so the two can be compared on the same input.
"""

from __future__ import annotations

import numpy as np
import pytest

from kmeans_core import KMeans
from kmeans_core._iterations import lloyd_single_run


def _case(seed, dtype):
    rng = np.random.default_rng(seed)
    n_samples, n_features, n_clusters = (
        rng.integers(20, 400),
        rng.integers(1, 6),
        rng.integers(1, 9),
    )
    if seed % 3 == 0:  # integer points: exact ties, duplicates, empty clusters
        X = rng.integers(0, 4, size=(n_samples, n_features)).astype(dtype)
    else:
        X = rng.normal(size=(n_samples, n_features)) * 3 + rng.integers(0, 5, (n_samples, 1))
        X = X.astype(dtype)
    weights = (
        rng.uniform(0.5, 2.0, n_samples).astype(dtype) if seed % 2 else np.ones(n_samples, dtype)
    )
    init = X[
        rng.choice(n_samples, n_clusters, replace=seed % 5 != 0)
    ].copy()  # repeats: empty clusters
    return X, weights, init


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_run_matches_python_loop(dtype):
    for seed in range(40):
        X, weights, init = _case(seed, dtype)
        tol = 1e-4 * float(X.var(axis=0).mean()) if seed % 4 else 0.0
        compiled = lloyd_single_run(X, weights, init, 300, tol)
        python = lloyd_single_run(X, weights, init, 300, tol, history=[])
        np.testing.assert_array_equal(compiled[0], python[0])
        assert compiled[1] == python[1]
        np.testing.assert_array_equal(compiled[2], python[2])
        assert compiled[2].dtype == dtype
        assert compiled[3] == python[3]


def test_max_iter_one_stops_after_one_update():
    X, weights, init = _case(7, np.float64)
    compiled = lloyd_single_run(X, weights, init, 1, 0.0)
    python = lloyd_single_run(X, weights, init, 1, 0.0, history=[])
    assert compiled[3] == python[3] == 1
    np.testing.assert_array_equal(compiled[0], python[0])
    np.testing.assert_array_equal(compiled[2], python[2])


def test_small_fit_is_sklearns():
    from sklearn.cluster import KMeans as SklearnKMeans

    X, _, _ = _case(4, np.float64)
    for seed in range(5):
        ours = KMeans(4, random_state=seed).fit(X)
        theirs = SklearnKMeans(4, random_state=seed).fit(X)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-12)
