"""Fit benchmarks: one fit from an init array at each grid case, and the full n_init=10 fit.

Every peer fits the same X from the same init array with the same ``tol``
and ``max_iter`` (``n_init=1``): the same work, so the group compares speed
only. Labels and inertia agreement is checked by ``benchmarks/compare.py``.
"""

from __future__ import annotations

from benchmarks.compare import MAX_ITER, TOL


def test_fit_from_init(timed, benchmark, case, peer, data):
    n, d, k = case
    X, init = data
    result = timed(f"fit n={n:,} d={d} k={k}",
                   lambda: peer.fit_from_init(X, init, MAX_ITER, TOL),
                   library=peer.library, algorithm=peer.resolved_algorithm(n, d, k))
    benchmark.extra_info.update(n_iter=result.n_iter, inertia=result.inertia)
    assert result.labels.shape == (n,)


def test_fit_n_init_10(timed, benchmark, n_init_data, peer):
    """The default way people call it: k-means++ seeding, 10 restarts, best kept."""
    (n, d, k), X = n_init_data
    model = timed(
        f"fit n_init=10 k-means++ n={n:,} d={d} k={k}",
        lambda: peer.make_estimator(k, init="k-means++", n_init=10, random_state=0,
                                    max_iter=MAX_ITER, tol=TOL).fit(X),
        library=peer.library, algorithm=peer.resolved_algorithm(n, d, k))
    benchmark.extra_info.update(inertia=float(model.inertia_))
    assert model.labels_.shape == (n,)
