"""Fit benchmarks: one fit from an init array at each grid case, and the full n_init=10 fit.

The off-grid cases (a 200-row table, wide data, float32, high k: issue 20)
time both the fit from the init array and the default fit,
``KMeans(k, random_state=0)`` (k-means++ seeding, each library's default
algorithm), the way most users call it.

Every peer fits the same X from the same init array with the same ``tol``
and ``max_iter`` (``n_init=1``): the same work, so the group compares speed
only. Labels and inertia agreement is checked by ``benchmarks/compare.py``.
"""

from __future__ import annotations

import pytest

from benchmarks.compare import MAX_ITER, TOL


def test_fit_from_init(timed, benchmark, case, peer, data):
    n, d, k = case
    X, init = data
    result = timed(
        f"fit n={n:,} d={d} k={k}",
        lambda: peer.fit_from_init(X, init, MAX_ITER, TOL),
        library=peer.library,
        algorithm=peer.resolved_algorithm(n, d, k),
    )
    benchmark.extra_info.update(n_iter=result.n_iter, inertia=result.inertia)
    assert result.labels.shape == (n,)


def test_fit_n_init_10(timed, benchmark, n_init_data, peer):
    """The default way people call it: k-means++ seeding, 10 restarts, best kept."""
    (n, d, k), X = n_init_data
    model = timed(
        f"fit n_init=10 k-means++ n={n:,} d={d} k={k}",
        lambda: peer.make_estimator(
            k, init="k-means++", n_init=10, random_state=0, max_iter=MAX_ITER, tol=TOL
        ).fit(X),
        library=peer.library,
        algorithm=peer.resolved_algorithm(n, d, k),
    )
    benchmark.extra_info.update(inertia=float(model.inertia_))
    assert model.labels_.shape == (n,)


def test_fit_off_grid(timed, benchmark, off_grid_case, peer, off_grid_data):
    n, d, k, dtype = off_grid_case
    X, init = off_grid_data
    result = timed(
        f"fit off-grid n={n:,} d={d} k={k} {dtype}",
        lambda: peer.fit_from_init(X, init, MAX_ITER, TOL),
        library=peer.library,
        algorithm=peer.resolved_algorithm(n, d, k),
    )
    benchmark.extra_info.update(n_iter=result.n_iter, inertia=result.inertia)
    assert result.labels.shape == (n,)


@pytest.mark.parametrize("library", ["kmeans_core", "scikit-learn"])
def test_default_fit_off_grid(timed, off_grid_case, off_grid_data, library):
    """``KMeans(k, random_state=0).fit(X)``: seeding, overhead and iterations together."""
    n, d, k, dtype = off_grid_case
    X, _ = off_grid_data
    if library == "kmeans_core":
        from kmeans_core import KMeans
    else:
        from sklearn.cluster import KMeans
    model = timed(
        f"default fit off-grid n={n:,} d={d} k={k} {dtype}",
        lambda: KMeans(k, random_state=0).fit(X),
        library=library,
    )
    assert model.cluster_centers_.dtype == X.dtype
