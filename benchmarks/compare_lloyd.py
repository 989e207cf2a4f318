"""Side-by-side timing of Lloyd's iterations: kmeans_core vs scikit-learn, one process.

Both fit the same data from the same init array with the same ``tol`` and
``max_iter`` (``n_init=1``), after a warm-up fit so numba's compile time is out
of the figures. Each time is the best of ``--repeat`` fits. Labels must be
identical; the table says so per row.

Run: ``python -m benchmarks.compare_lloyd [--quick] [--markdown]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

GRID = [(100_000, 2, 5), (1_000_000, 2, 5), (200_000, 16, 16), (100_000, 64, 64), (1_000_000, 8, 32)]
QUICK_GRID = [(20_000, 2, 5), (5_000, 16, 16)]


def make_data(n, d, k, seed=0):
    """Gaussian blobs: k centers in a box, unit-variance noise, float64."""
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-10, 10, size=(k, d))
    X = centers[rng.randint(k, size=n)] + rng.standard_normal((n, d))
    init = X[rng.choice(n, k, replace=False)]
    return X, init


def best_time(fit, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return min(times), model


def machine_description():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numba
    import sklearn

    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}, numba {numba.__version__}, scikit-learn {sklearn.__version__}")


def startup_times():
    """Import time and first fit in a fresh process (numba cache warm: it was filled above)."""
    code = (
        "import time; t0 = time.perf_counter(); import kmeans_core; t1 = time.perf_counter();"
        "import numpy as np; X = np.random.RandomState(0).rand(1000, 2);"
        "t2 = time.perf_counter(); kmeans_core.KMeans(3, random_state=0).fit(X);"
        "t3 = time.perf_counter(); print(t1 - t0, t3 - t2)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import_s, first_fit_s = map(float, out.stdout.split())
    return import_s, first_fit_s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=100)
    args = parser.parse_args(argv)

    from sklearn.cluster import KMeans as SklearnKMeans

    from kmeans_core import KMeans

    grid = QUICK_GRID if args.quick else GRID
    X, init = make_data(2000, 2, 3)
    KMeans(3, init=init, n_init=1).fit(X)  # warm-up: compile (or load from cache)

    print(f"Machine: {machine_description()}")
    print(f"Lloyd, init array, n_init=1, tol=1e-4, max_iter={args.max_iter}, best of {args.repeat}\n")
    print("| n | d | k | iterations | kmeans_core (s) | scikit-learn (s) | ratio sklearn/ours | identical labels |")
    print("|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for n, d, k in grid:
        X, init = make_data(n, d, k)
        ours_s, ours = best_time(
            lambda: KMeans(k, init=init, n_init=1, max_iter=args.max_iter).fit(X), args.repeat)
        theirs_s, theirs = best_time(
            lambda: SklearnKMeans(k, init=init, n_init=1, max_iter=args.max_iter,
                                  algorithm="lloyd").fit(X), args.repeat)
        same = np.array_equal(ours.labels_, theirs.labels_) and ours.n_iter_ == theirs.n_iter_
        print(f"| {n:,} | {d} | {k} | {ours.n_iter_} | {ours_s:.3f} | {theirs_s:.3f} | "
              f"{theirs_s / ours_s:.2f} | {'yes' if same else 'NO'} |")
    import_s, first_fit_s = startup_times()
    print(f"\nFresh process, warm numba cache: import kmeans_core {import_s:.2f} s, "
          f"first fit (n=1000, d=2, k=3) {first_fit_s:.2f} s")


if __name__ == "__main__":
    main()
