"""Silhouette timing: kmeans_core against scikit-learn, side by side in one process.

Both compute the exact mean silhouette of the same data and labels (Gaussian
blobs, 5 clusters). Before anything is timed, each library runs once on small
data, so numba's compile (or on-disk cache load) is never inside a timing;
that first call is reported on its own. Each figure is the best of
``--repeat`` runs. scikit-learn is skipped above ``--sklearn-max`` samples,
where its chunked n x n distance computation takes minutes.

Usage::

    python3 benchmarks/bench_silhouette.py              # n = 20,000 (both) and 200,000 (ours)
    python3 benchmarks/bench_silhouette.py --sizes 20000x2 5000x10 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_CLUSTERS = 5


def blobs(n_samples, n_features, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-10, 10, size=(N_CLUSTERS, n_features))
    labels = rng.randint(N_CLUSTERS, size=n_samples)
    X = centers[labels] + rng.standard_normal((n_samples, n_features))
    return X, labels


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def best_of(function, X, labels, repeat):
    """Best wall time of ``function(X, labels)`` over ``repeat`` runs, and its value."""
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function(X, labels)
        times.append(time.perf_counter() - started)
    return min(times), value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["20000x2", "200000x2"],
        help="n_samples x n_features cases (default: 20000x2 200000x2)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is kept")
    parser.add_argument(
        "--sklearn-max",
        type=int,
        default=50_000,
        help="largest n_samples on which scikit-learn is timed too",
    )
    args = parser.parse_args(argv)

    import numba
    import sklearn
    from sklearn.metrics import silhouette_score as sklearn_silhouette

    started = time.perf_counter()
    from kmeans_core import silhouette_score

    import_seconds = time.perf_counter() - started

    # Warm-up: compile (or load from numba's cache) and let scikit-learn
    # import its lazily loaded parts, on small data.
    X_small, labels_small = blobs(500, 2)
    started = time.perf_counter()
    silhouette_score(X_small, labels_small)
    first_call = time.perf_counter() - started
    sklearn_silhouette(X_small, labels_small)

    print(
        f"Machine: {cpu_name()}, {platform.machine()}, {os.cpu_count()} CPUs, numba threads "
        f"{numba.get_num_threads()}; Python {platform.python_version()}, numpy "
        f"{np.__version__}, numba {numba.__version__}, scikit-learn {sklearn.__version__}"
    )
    print(
        f"import kmeans_core (after numpy, numba, scikit-learn): {import_seconds:.2f} s; "
        f"first silhouette call (compile or "
        f"cache load, n=500): {first_call:.2f} s"
    )
    print()
    header = f"{'n':>9} {'d':>3} {'kmeans_core s':>14} {'sklearn s':>10} {'ratio':>7} {'|diff|':>9}"
    print(header)
    print("-" * len(header))
    for case in args.sizes:
        n_samples, n_features = (int(part) for part in case.lower().split("x"))
        X, labels = blobs(n_samples, n_features)
        ours_seconds, ours = best_of(silhouette_score, X, labels, args.repeat)
        if n_samples <= args.sklearn_max:
            theirs_seconds, theirs = best_of(sklearn_silhouette, X, labels, args.repeat)
            print(
                f"{n_samples:>9,} {n_features:>3} {ours_seconds:>14.3f} {theirs_seconds:>10.3f} "
                f"{ours_seconds / theirs_seconds:>7.3f} {abs(ours - theirs):>9.1e}"
            )
        else:
            print(
                f"{n_samples:>9,} {n_features:>3} {ours_seconds:>14.3f} {'-':>10} {'-':>7} {'-':>9}"
            )
    print()
    print(
        "ratio = kmeans_core time / scikit-learn time (below 1: kmeans_core is faster); "
        f"best of {args.repeat}."
    )


if __name__ == "__main__":
    main()
