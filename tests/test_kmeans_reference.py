"""The numba path against the readable NumPy reference, and invariants by hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import make_blobs
from kmeans_core import KMeans, kmeans_plusplus, reference, wcss


@pytest.mark.parametrize("n, d, k", [(50, 1, 2), (500, 2, 5), (2000, 5, 8), (1000, 20, 12)])
@pytest.mark.parametrize("weighted", [False, True])
def test_agrees_with_reference(n, d, k, weighted):
    X = make_blobs(n, d, k, seed=n + d)
    weights = np.random.RandomState(k).uniform(0.1, 2, n) if weighted else None
    centered = X - X.mean(axis=0)

    ref_centers, ref_indices = reference.kmeans_plusplus(centered, k, weights, random_state=4)
    centers, indices = kmeans_plusplus(centered, k, sample_weight=weights, random_state=4)
    np.testing.assert_array_equal(indices, ref_indices)

    ref_labels, ref_centers_final, ref_inertia, ref_n_iter = reference.kmeans(
        X, k, sample_weight=weights, random_state=4
    )
    model = KMeans(k, random_state=4).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(model.labels_, ref_labels)
    assert model.n_iter_ == ref_n_iter
    np.testing.assert_allclose(model.cluster_centers_, ref_centers_final, rtol=1e-9, atol=1e-9)
    assert model.inertia_ == pytest.approx(ref_inertia, rel=1e-9)


def test_reference_relocates_empty_clusters_like_the_fast_path():
    X = make_blobs(300, 2, 3, seed=6)
    init = np.vstack([X[:2], [[1e4, 1e4]]])
    labels, centers, inertia, n_iter = reference.lloyd(X, init)
    model = KMeans(3, init=init).fit(X)
    np.testing.assert_array_equal(model.labels_, labels)
    np.testing.assert_allclose(model.cluster_centers_, centers, rtol=1e-9)
    assert model.n_iter_ == n_iter


# Small data of moderate magnitude: the properties hold exactly in real arithmetic
# and to rounding (~1e-12 relative) in floating point.
data = st.integers(min_value=2, max_value=60).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, (n, 2), elements=st.floats(-100, 100, allow_nan=False, width=32)),
        st.integers(1, min(n, 6)),
        st.integers(0, 2**16),
    )
)


# Rounding of the distances themselves. Assignment uses the expanded form
# ||x||^2 - 2 x.c + ||c||^2 (as scikit-learn does), whose error is absolute, a
# few eps times ||x||^2 + ||c||^2, not relative to the distance: two centers
# closer to a point than ~sqrt(eps) * |x| are a tie as far as that arithmetic
# can tell. Points and centers are within 2 * max|X| of the origin (raw or
# centered), so the bound below covers both; comparisons are on squared
# distances, where the bound is linear.
def squared_distance_rounding(X):
    return 64 * np.finfo(np.float64).eps * (1 + X.shape[1] * (2 * np.abs(X).max()) ** 2)


@settings(deadline=None)
@given(data)
# Found by CI: three points within 1.2e-7 of each other at |x| = 23; the
# distances between them are below the expanded form's resolution.
@example(
    (
        np.array(
            [
                [23.0, 1.1920929e-07],
                [0.0, 1.1920929e-07],
                [1.1920929e-07, 1.1920929e-07],
                [1.1920929e-07, 1.1920929e-07],
            ]
        ),
        3,
        0,
    )
)
def test_properties(case):
    X, k, seed = case
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicates may leave fewer distinct clusters
        model = KMeans(k, random_state=seed, record_history=True).fit(X)

    # Inertia never rises between iterations.
    inertias = [step["inertia"] for step in model.history_] + [model.inertia_]
    scale = max(inertias[0], 1.0)
    assert all(b <= a + 1e-9 * scale for a, b in zip(inertias, inertias[1:]))

    # Labels are a nearest center (the argmin of transform, up to rounding on ties).
    rounding = squared_distance_rounding(X)
    squared = model.transform(X) ** 2
    own = squared[np.arange(len(X)), model.labels_]
    assert np.all(own <= squared.min(axis=1) + rounding)

    # predict on the training data gives labels_, except on ties: with strict
    # convergence labels_ come from the centers before the last update (as in
    # scikit-learn), and rounding in that update can move a center by one ulp,
    # which flips a tie between two (nearly) coinciding centers.
    predicted = model.predict(X)
    differ = np.flatnonzero(predicted != model.labels_)
    gap = np.abs(squared[differ, predicted[differ]] - squared[differ, model.labels_[differ]])
    assert np.all(gap <= rounding)

    # Each non-empty cluster's center is the mean of its members, when the run
    # ended on a full update (strict convergence); always within the tolerance.
    for j in np.unique(model.labels_):
        members = X[model.labels_ == j]
        if model.n_iter_ < 300:
            np.testing.assert_allclose(
                model.cluster_centers_[j], members.mean(axis=0), atol=1e-6 * (1 + np.abs(X).max())
            )

    assert model.inertia_ == pytest.approx(
        wcss(X, model.cluster_centers_, model.labels_), rel=1e-12
    )
    assert np.isfinite(model.cluster_centers_).all()
