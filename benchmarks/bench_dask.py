"""K-Means on Dask, side by side on one LocalCluster: kmeans_core.dask, dask-ml, in memory.

Usage::

    python -m benchmarks.bench_dask                      # small (n=4e5), a few minutes
    python -m benchmarks.bench_dask --n 4000000 --repeats 3   # the issue's table

Same data, same cluster (``--workers`` processes x 1 thread), X persisted in
``--blocks`` blocks, and for the fixed-init rows the same init array and
``tol`` for every library. Two measurements:

* **per iteration**: a fit from the init array, its time divided by the
  iterations it ran (dask-ml's ``tol`` is absolute and ours relative, so the
  iteration counts differ: seconds per iteration is the comparable figure);
* **default fit**: each library's default seeding (both k-means||) plus its
  iterations, ``random_state=0``.

Timings are medians over ``--repeats`` runs after one warm-up fit (compile
time and worker imports stay out). dask-ml is optional (``pip install
'kmeans-core[bench]'``); without it its rows are skipped.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _median_time(fit, repeats):
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def run(n, d, k, blocks, workers, repeats, seed=0, peers=True):
    import dask.array as da
    from distributed import Client, LocalCluster

    from kmeans_core import KMeans
    from kmeans_core import dask as kd

    try:
        from dask_ml.cluster import KMeans as DaskMLKMeans
    except ImportError:  # pragma: no cover - the bench extra is optional
        DaskMLKMeans = None
    if not peers:
        DaskMLKMeans = None

    rng = np.random.default_rng(seed)
    true_centers = rng.uniform(-10, 10, size=(k, d))
    X_memory = true_centers[rng.integers(0, k, n)] + rng.standard_normal((n, d))
    init = X_memory[rng.choice(n, k, replace=False)]
    rows = []
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster),
    ):
        X = da.from_array(X_memory, chunks=(-(-n // blocks), d)).persist()

        def ours_fixed():
            return KMeans(k, init=init, tol=1e-4).fit(X)

        def memory_fixed():
            return KMeans(k, init=init, tol=1e-4, algorithm="lloyd").fit(X_memory)

        def ours_default():
            return kd.KMeans(k, random_state=0).fit(X)

        fixed = [
            ("kmeans_core.dask (Lloyd)", ours_fixed),
            ("kmeans_core in memory (Lloyd)", memory_fixed),
        ]
        default = [("kmeans_core.dask, k-means||", ours_default)]
        if DaskMLKMeans is not None:
            fixed.append(("dask-ml", lambda: DaskMLKMeans(k, init=init, tol=1e-4, n_init=1).fit(X)))
            default.append(("dask-ml, k-means||", lambda: DaskMLKMeans(k, random_state=0).fit(X)))

        for label, fit in fixed + default:
            fit()  # warm-up: compile, imports on the workers
            seconds, model = _median_time(fit, repeats)
            n_iter = int(np.max(model.n_iter_))
            rows.append(
                (
                    label,
                    "fixed init" if (label, fit) in fixed else "default",
                    seconds,
                    n_iter,
                    seconds / n_iter,
                )
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400_000)
    parser.add_argument("--d", type=int, default=8)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = run(args.n, args.d, args.k, args.blocks, args.workers, args.repeats)
    print(
        f"n={args.n:,} d={args.d} k={args.k}, {args.blocks} blocks, LocalCluster "
        f"{args.workers} workers x 1 thread, medians of {args.repeats}"
    )
    print("| run | start | fit (s) | iterations | s / iteration |")
    print("|---|---|---|---|---|")
    for label, start, seconds, n_iter, per_iteration in rows:
        print(f"| {label} | {start} | {seconds:.3f} | {n_iter} | {per_iteration:.4f} |")
    return rows


if __name__ == "__main__":
    main()
