"""The elbow loop: fit k = 1..10 on the customer data (n_init=10, k-means++), keep each inertia.

Small data, many fits: this measures per-fit overhead, which dominates what
a user waits for in an interactive segmentation session.
"""

from __future__ import annotations

from benchmarks.compare import MAX_ITER, TOL

K_RANGE = range(1, 11)


def test_elbow(timed, benchmark, customers, peer):
    X, source = customers

    def elbow():
        # Elkan and Hamerly fall back to Lloyd at k = 1 with a warning; ask for Lloyd directly.
        return [
            peer.make_estimator(
                k,
                n_init=10,
                random_state=0,
                max_iter=MAX_ITER,
                tol=TOL,
                **({} if k > 1 else {"algorithm": "lloyd"}),
            )
            .fit(X)
            .inertia_
            for k in K_RANGE
        ]

    inertias = timed(
        f"elbow k=1..10 n_init=10 on {X.shape[0]} customers",
        elbow,
        library=peer.library,
        algorithm=peer.algorithm,
        data=source,
    )
    benchmark.extra_info.update(inertias=[float(value) for value in inertias])
    assert len(inertias) == len(K_RANGE)
