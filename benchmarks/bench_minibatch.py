"""MiniBatchKMeans, ours against scikit-learn's, side by side in one process.

The issue's table: default parameters, ``random_state=0``, data from
``sklearn.datasets.make_blobs(n, d, centers=k, cluster_std=2, random_state=0)``.
For each row: the median fit time of each library (after a warm-up fit on
small data, so numba's compile time is out), the speed-up, and whether the
answers agree (centers bitwise, ``n_steps_``). Then ``partial_fit``: median
time per call over a stream of batches of 10,000 and of 1,024 rows.

scikit-learn runs with its default threads; ours with numba's default. The
answers are compared with scikit-learn's own result, whatever its thread count
(its batch inertia sum, and so in rare near-ties its stopping step, depends
on it; see docs/minibatch.md).

Run: ``python -m benchmarks.bench_minibatch [--scale 0.1] [--repeat 3] [--skip-huge]
[--threads 1]``. On a shared machine scikit-learn's OpenMP threads wait for busy
cores (its fit ran 6x slower with 2 threads than with 1 while other jobs ran),
so ``--threads 1`` gives the steadier comparison.
``--scale`` multiplies every n (for a busy machine: say so with the numbers).
The (1e7, 2, 8) row runs ours only unless ``--sklearn-huge`` is given (scikit-
learn needs minutes there).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.compare_lloyd import machine_description

FIT_ROWS = [(1_000_000, 2, 8), (1_000_000, 8, 32), (100_000, 64, 64), (10_000_000, 2, 8)]
PARTIAL_FIT_CASE = (1_000_000, 8, 32)
PARTIAL_FIT_BATCHES = (10_000, 1_024)


def blobs(n, d, k):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=2.0, random_state=0)
    return X


def median_time(function, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def warm_up():
    from sklearn.cluster import MiniBatchKMeans as Theirs

    from kmeans_core import MiniBatchKMeans as Ours

    for dtype in (np.float64, np.float32):
        X = blobs(3_000, 4, 8).astype(dtype)
        for cls in (Ours, Theirs):
            model = cls(8, random_state=0, batch_size=256).fit(X)
            model.partial_fit(X[:500])
            model.predict(X)


def fit_row(n, d, k, repeat, with_sklearn=True):
    from sklearn.cluster import MiniBatchKMeans as Theirs

    from kmeans_core import MiniBatchKMeans as Ours

    X = blobs(n, d, k)
    ours_time, ours = median_time(lambda: Ours(k, random_state=0).fit(X), repeat)
    row = {"n": n, "d": d, "k": k, "ours_s": ours_time, "ours_steps": ours.n_steps_}
    if with_sklearn:
        theirs_time, theirs = median_time(lambda: Theirs(k, random_state=0).fit(X), repeat)
        row.update(
            sklearn_s=theirs_time,
            sklearn_steps=theirs.n_steps_,
            speedup=theirs_time / ours_time,
            same_centers=bool(np.array_equal(ours.cluster_centers_, theirs.cluster_centers_)),
            inertia_rel_diff=abs(ours.inertia_ - theirs.inertia_) / theirs.inertia_,
        )
    return row


class _ChoiceWithCachedTable(np.random.RandomState):
    """A RandomState whose weighted ``choice`` reuses its cumulative table between calls.

    NumPy's legacy ``choice(n, size, p=p)`` computes ``cdf = cumsum(p); cdf /= cdf[-1]``,
    draws ``random_sample(size)`` and returns ``searchsorted(cdf, u, side="right")``.
    This does exactly that with the table kept from the first call, so scikit-learn's
    fit consumes the same numbers and gets the same indices, minus its O(n) per step:
    it makes checking scikit-learn's answer at n = 1e7 a matter of seconds.
    """

    _table = None

    def choice(self, a, size=None, replace=True, p=None):
        if p is None or not replace or size is None:
            return super().choice(a, size=size, replace=replace, p=p)
        if self._table is None:
            table = np.cumsum(np.asarray(p, dtype=np.float64))
            table /= table[-1]
            self._table = table
        return self._table.searchsorted(self.random_sample(size), side="right")


def check_huge_row(n, d, k):
    """Ours against scikit-learn at (n, d, k) with scikit-learn's batch table cached."""
    from sklearn.cluster import MiniBatchKMeans as Theirs

    from kmeans_core import MiniBatchKMeans as Ours

    X = blobs(n, d, k)
    ours = Ours(k, random_state=np.random.RandomState(0)).fit(X)
    start = time.perf_counter()
    theirs = Theirs(k, random_state=_ChoiceWithCachedTable(0)).fit(X)
    seconds = time.perf_counter() - start
    same = bool(np.array_equal(ours.cluster_centers_, theirs.cluster_centers_))
    print(
        f"\n({n:,}, {d}, {k}) checked against scikit-learn with its batch table cached "
        f"({seconds:.1f} s): same centers {same}, steps {theirs.n_steps_:,} / {ours.n_steps_:,}, "
        f"inertia rel. diff {abs(ours.inertia_ - theirs.inertia_) / theirs.inertia_:.1e}"
    )


def partial_fit_rows(n, d, k, batch_rows, n_batches=60):
    from sklearn.cluster import MiniBatchKMeans as Theirs

    from kmeans_core import MiniBatchKMeans as Ours

    X = blobs(n, d, k)
    rows = []
    for rows_per_batch in batch_rows:
        batches = [
            X[s : s + rows_per_batch] for s in range(0, rows_per_batch * n_batches, rows_per_batch)
        ]
        result = {"batch_rows": rows_per_batch}
        for name, cls in (("ours", Ours), ("sklearn", Theirs)):
            model = cls(k, random_state=0)
            model.partial_fit(batches[0])  # the init call is timed apart from the steps
            times = []
            for batch in batches[1:]:
                start = time.perf_counter()
                model.partial_fit(batch)
                times.append(time.perf_counter() - start)
            result[f"{name}_ms"] = 1e3 * statistics.median(times)
            result[f"{name}_centers"] = model.cluster_centers_
        result["speedup"] = result["sklearn_ms"] / result["ours_ms"]
        result["same_centers"] = bool(
            np.array_equal(result.pop("ours_centers"), result.pop("sklearn_centers"))
        )
        rows.append(result)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every n by this")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-huge", action="store_true", help="leave out the n=1e7 row")
    parser.add_argument(
        "--sklearn-huge",
        action="store_true",
        help="also run scikit-learn on the n=1e7 row (minutes)",
    )
    parser.add_argument(
        "--check-huge",
        action="store_true",
        help="compare the n=1e7 answer with scikit-learn's, its batch table "
        "cached between steps (same draws, seconds instead of minutes)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="run both libraries on this many threads (scikit-learn's OpenMP "
        "and BLAS through threadpoolctl, ours through numba)",
    )
    args = parser.parse_args(argv)
    import numba
    import sklearn

    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        numba.set_num_threads(args.threads)
        limits = threadpool_limits(limits=args.threads)  # noqa: F841 (held for the whole run)

    print(
        f"machine: {machine_description()}; numba threads {numba.get_num_threads()}; "
        f"scikit-learn {sklearn.__version__}; scale {args.scale}; median of {args.repeat}"
    )
    warm_up()
    print(
        "\n| n, d, k | scikit-learn fit (s) | ours (s) | speed-up | steps (theirs / ours) "
        "| same centers | inertia rel. diff |"
    )
    print("|---|---|---|---|---|---|---|")
    for n, d, k in FIT_ROWS:
        huge = n >= 10_000_000
        if huge and args.skip_huge:
            continue
        n = int(n * args.scale)
        with_sklearn = not huge or args.sklearn_huge
        row = fit_row(n, d, k, 1 if huge else args.repeat, with_sklearn)
        if with_sklearn:
            print(
                f"| {n:,}, {d}, {k} | {row['sklearn_s']:.3f} | {row['ours_s']:.3f} | "
                f"{row['speedup']:.1f}x | {row['sklearn_steps']:,} / {row['ours_steps']:,} | "
                f"{row['same_centers']} | {row['inertia_rel_diff']:.1e} |",
                flush=True,
            )
        else:
            print(
                f"| {n:,}, {d}, {k} | not run | {row['ours_s']:.3f} | | — / "
                f"{row['ours_steps']:,} | | |",
                flush=True,
            )
    if args.check_huge:
        n, d, k = FIT_ROWS[-1]
        check_huge_row(int(n * args.scale), d, k)
    n, d, k = PARTIAL_FIT_CASE
    n = int(n * args.scale)
    print(f"\npartial_fit on ({n:,}, {d}, {k}), median per call over 59 calls after the first:")
    print("| rows per batch | scikit-learn (ms) | ours (ms) | speed-up | same centers |")
    print("|---|---|---|---|---|")
    for row in partial_fit_rows(n, d, k, PARTIAL_FIT_BATCHES):
        print(
            f"| {row['batch_rows']:,} | {row['sklearn_ms']:.2f} | {row['ours_ms']:.2f} | "
            f"{row['speedup']:.1f}x | {row['same_centers']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
