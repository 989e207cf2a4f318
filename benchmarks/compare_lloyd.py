"""The acceptance tables of the core and accelerated-algorithm issues, measured side by side.

Everything runs in one process, ours and scikit-learn's on the same data:

1. **Lloyd vs Lloyd**: ``KMeans(algorithm="lloyd")`` against scikit-learn's
   ``algorithm="lloyd"``, same init array, tol and max_iter, ``n_init=1``.
2. **Ours (each algorithm, and "auto") vs scikit-learn's best** of its
   ``lloyd`` and ``elkan`` on the same problems.
3. **Default fit**: ``KMeans(k, random_state=0)`` (k-means++ seeding + auto)
   against scikit-learn's default ``KMeans(k, random_state=0)``.
4. **Lloyd's pass against the memory bound**: seconds per iteration of our
   Lloyd pass, against the time a streaming kernel takes to read X once.
5. **Startup**: import time and first fit in fresh processes, with a warm
   and with a cold numba cache.
6. **Off the hand-picked grid** (issue 20): tiny tables, wide data, float32
   and high k, as ratios ours / scikit-learn's (lower is better; 0.33 is 3x
   faster) for ``auto`` against scikit-learn's best and for the default fit
   against scikit-learn's default.

Times are the best of ``--repeat`` runs (compile time out: it falls on the
first), ours and scikit-learn's taking turns in each round of the side-by-side
tables, so a change in the machine's speed falls on both sides alike.
Labels must be identical; each row says so.

Run: ``python -m benchmarks.compare_lloyd [--quick]`` (the full run takes a
few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

CORE_GRID = [
    (100_000, 2, 5),
    (1_000_000, 2, 5),
    (200_000, 16, 16),
    (100_000, 64, 64),
    (1_000_000, 8, 32),
]
ACCELERATED_GRID = CORE_GRID + [(1_000_000, 2, 64)]
DEFAULT_FIT_GRID = [(1_000_000, 8, 16), (1_000_000, 2, 5)]
QUICK_GRID = [(20_000, 2, 5), (5_000, 16, 16)]
# (n, d, k, dtype): where users are rather than where the kernels shine (issue 20).
OFF_GRID = [
    (200, 2, 5, "float64"),
    (2_000, 2, 3, "float64"),
    (10_000, 8, 8, "float64"),
    (100_000, 128, 8, "float64"),
    (50_000, 300, 10, "float64"),
    (1_000_000, 8, 32, "float32"),
    (100_000, 2, 256, "float64"),
    (300_000, 32, 128, "float64"),
]
QUICK_OFF_GRID = [(200, 2, 5, "float64"), (5_000, 64, 8, "float32"), (5_000, 2, 64, "float64")]


def make_data(n, d, k, seed=0, dtype="float64"):
    """Gaussian blobs: k centers uniform in [-10, 10]^d, unit-variance noise (float64, then ``dtype``)."""
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-10, 10, size=(k, d))
    X = centers[rng.randint(k, size=n)] + rng.standard_normal((n, d))
    init = X[rng.choice(n, k, replace=False)]
    return X.astype(dtype, copy=False), init.astype(dtype, copy=False)


def best_time(fit, repeat, clock=time.perf_counter):
    """Best time of ``repeat`` calls (wall time by default), and the last result."""
    return best_times_taking_turns([fit], repeat, clock)[0]


# Seconds to wait before each timed call when calls take turns. After a BLAS
# call OpenBLAS's worker threads keep spinning for about 2^28 cycles (its
# default thread timeout, ~0.1 s) on the other core, so a fit timed right
# after another library's ran beside them: the default fit at 1e5 x 128 x 8,
# two threads, min of 5 (2026-12-04, AMD host), ours 64.5-67.3 ms right after
# scikit-learn's against 55.6-58.3 ms after a 0.3 s pause (and 54-57 ms
# either way with ``OPENBLAS_THREAD_TIMEOUT=4``); scikit-learn's own fits the
# same within the noise either way.
SETTLE_S = 0.2


def best_times_taking_turns(calls, repeat, clock=time.perf_counter, per_repeat=1):
    """Best time per call of each of ``calls`` and its last result, the calls taking turns.

    Each of the ``repeat`` rounds times every call once (``per_repeat``
    calls in a row, the time divided by it: for fits well under a
    millisecond), one after the other, so a change in the machine's speed
    during a row (the AMD host of 2026-12-04 varied by up to a third from
    minute to minute) falls on every side alike instead of on whichever was
    timed then. With several calls each waits ``SETTLE_S`` first, so that no
    call is timed beside the threads the one before left spinning. Returns
    ``[(seconds, result), ...]`` in the order of ``calls``.
    """
    best = [np.inf] * len(calls)
    results = [None] * len(calls)
    for _ in range(repeat):
        for c, call in enumerate(calls):
            if len(calls) > 1:
                time.sleep(SETTLE_S)
            start = clock()
            for _ in range(per_repeat):
                results[c] = call()
            best[c] = min(best[c], (clock() - start) / per_repeat)
    return list(zip(best, results))


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

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {numba.__version__}, scikit-learn {sklearn.__version__}"
    )


def _same(ours, theirs):
    return np.array_equal(ours.labels_, theirs.labels_) and ours.n_iter_ == theirs.n_iter_


def lloyd_table(grid, repeat, max_iter):
    from sklearn.cluster import KMeans as SklearnKMeans

    from kmeans_core import KMeans

    print(
        f"\n### Lloyd vs Lloyd (init array, n_init=1, tol=1e-4, max_iter={max_iter}, "
        f"best of {repeat})\n"
    )
    print(
        "| n | d | k | iterations | kmeans_core lloyd (s) | scikit-learn lloyd (s) "
        "| speed-up | identical labels |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for n, d, k in grid:
        X, init = make_data(n, d, k)
        (ours_s, ours), (theirs_s, theirs) = best_times_taking_turns(
            [
                lambda: KMeans(k, init=init, n_init=1, max_iter=max_iter, algorithm="lloyd").fit(X),
                lambda: SklearnKMeans(
                    k, init=init, n_init=1, max_iter=max_iter, algorithm="lloyd"
                ).fit(X),
            ],
            repeat,
        )
        print(
            f"| {n:,} | {d} | {k} | {ours.n_iter_} | {ours_s:.3f} | {theirs_s:.3f} | "
            f"{theirs_s / ours_s:.2f}x | {'yes' if _same(ours, theirs) else 'NO'} |",
            flush=True,
        )


def accelerated_table(grid, repeat, max_iter):
    from sklearn.cluster import KMeans as SklearnKMeans

    from kmeans_core import KMeans
    from kmeans_core._iterations import choose_algorithm

    print(
        f"\n### Our algorithms vs scikit-learn's best (init array, n_init=1, tol=1e-4, "
        f"max_iter={max_iter}, best of {repeat})\n"
    )
    print(
        "| n | d | k | lloyd (s) | hamerly (s) | elkan (s) | auto picks | auto (s) "
        "| sklearn lloyd (s) | sklearn elkan (s) | auto speed-up vs sklearn best "
        "| identical labels |"
    )
    print("|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|:---:|")
    for n, d, k in grid:
        X, init = make_data(n, d, k)
        ours = ("lloyd", "hamerly", "elkan", "auto")
        theirs = ("lloyd", "elkan")
        calls = [
            lambda algorithm=algorithm: KMeans(
                k, init=init, n_init=1, max_iter=max_iter, algorithm=algorithm
            ).fit(X)
            for algorithm in ours
        ] + [
            lambda algorithm=algorithm: SklearnKMeans(
                k, init=init, n_init=1, max_iter=max_iter, algorithm=algorithm
            ).fit(X)
            for algorithm in theirs
        ]
        names = list(ours) + ["sk_" + algorithm for algorithm in theirs]
        timed = best_times_taking_turns(calls, repeat)
        times = {name: seconds for name, (seconds, _) in zip(names, timed)}
        models = {name: model for name, (_, model) in zip(names, timed)}
        sk_best = min(times["sk_lloyd"], times["sk_elkan"])
        same = all(
            _same(models[a], models["sk_lloyd"]) for a in ("lloyd", "hamerly", "elkan", "auto")
        )
        print(
            f"| {n:,} | {d} | {k} | {times['lloyd']:.3f} | {times['hamerly']:.3f} | "
            f"{times['elkan']:.3f} | {choose_algorithm(n, d, k)} | {times['auto']:.3f} | "
            f"{times['sk_lloyd']:.3f} | {times['sk_elkan']:.3f} | "
            f"{sk_best / times['auto']:.2f}x | {'yes' if same else 'NO'} |",
            flush=True,
        )


def default_fit_table(grid, repeat):
    from sklearn.cluster import KMeans as SklearnKMeans
    from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

    from kmeans_core import KMeans, kmeans_plusplus

    print(f"\n### Default fit: KMeans(k, random_state=0), k-means++ + auto (best of {repeat})\n")
    print(
        "| n | d | k | our seeding (s) | sklearn seeding (s) | our fit (s) | sklearn fit (s) "
        "| speed-up | identical labels |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for n, d, k in grid:
        X, _ = make_data(n, d, k)
        (seed_ours, _), (seed_theirs, _) = best_times_taking_turns(
            [
                lambda: kmeans_plusplus(X, k, random_state=0),
                lambda: sklearn_kmeans_plusplus(X, k, random_state=0),
            ],
            repeat,
        )
        (ours_s, ours), (theirs_s, theirs) = best_times_taking_turns(
            [
                lambda: KMeans(k, random_state=0).fit(X),
                lambda: SklearnKMeans(k, random_state=0).fit(X),
            ],
            repeat,
        )
        print(
            f"| {n:,} | {d} | {k} | {seed_ours:.3f} | {seed_theirs:.3f} | {ours_s:.3f} | "
            f"{theirs_s:.3f} | {theirs_s / ours_s:.2f}x | "
            f"{'yes' if _same(ours, theirs) else 'NO'} |",
            flush=True,
        )


def off_grid_table(grid, repeat, max_iter, one_thread=False):
    """Issue 20's rows: ratios ours / scikit-learn's, lower is better (0.33 = 3x faster).

    ``auto`` and scikit-learn's lloyd and elkan start from the same init
    array; the default fits are ``KMeans(k, random_state=0)`` on both sides,
    and their k-means++ is also timed alone (on the centred data, where both
    fits draw their seeds), so a row's default ratio splits into seeding
    and iterations.
    float32 labels are compared with the fraction that agree (scikit-learn's
    float32 differs from its float64 by as much); float64 must be identical.

    ``one_thread``: every library on one thread (numba, BLAS and OpenMP)
    and CPU time (``process_time``) instead of wall time: the work each
    library does, which a shared machine's noise barely moves.
    """
    import contextlib

    import numba
    from threadpoolctl import threadpool_limits

    clock = time.process_time if one_thread else time.perf_counter
    threads = numba.get_num_threads()
    if one_thread:
        numba.set_num_threads(1)
    limits = threadpool_limits(1) if one_thread else contextlib.nullcontext()
    how = "one thread each, CPU time" if one_thread else "wall time"
    print(
        f"\n### Off the hand-picked grid: tiny, wide, float32, high k (n_init=1 for the init "
        f"array, tol=1e-4, max_iter={max_iter}, best of {repeat}, ours and scikit-learn's "
        f"taking turns, {how}; "
        f"ratio = ours / sklearn)\n"
    )
    print(
        "| n | d | k | dtype | auto picks | auto (s) | sklearn best (s) | auto / sklearn best "
        "| default fit (s) | sklearn default (s) | default / sklearn default "
        "| k-means++ (s) | sklearn k-means++ (s) | same seeds | labels agree (auto, default) |"
    )
    print("|---:|---:|---:|---|:---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|")
    with limits:
        for case in grid:
            _off_grid_row(case, repeat, max_iter, clock)
    numba.set_num_threads(threads)


def _off_grid_row(case, repeat, max_iter, clock):
    from sklearn.cluster import KMeans as SklearnKMeans
    from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

    from kmeans_core import KMeans, kmeans_plusplus
    from kmeans_core._iterations import choose_algorithm

    n, d, k, dtype = case
    X, init = make_data(n, d, k, dtype=dtype)
    # Small problems are timed over many fits (a fit is well under a millisecond).
    fits = max(1, int(2e5 // (n * d)))

    def side_by_side(*calls):
        return best_times_taking_turns(calls, repeat, clock, per_repeat=fits)

    (auto_s, auto), (sk_lloyd_s, sk_lloyd), (sk_elkan_s, _) = side_by_side(
        lambda: KMeans(k, init=init, n_init=1, max_iter=max_iter).fit(X),
        lambda: SklearnKMeans(k, init=init, n_init=1, max_iter=max_iter, algorithm="lloyd").fit(X),
        lambda: SklearnKMeans(k, init=init, n_init=1, max_iter=max_iter, algorithm="elkan").fit(X),
    )
    (default_s, default), (sk_default_s, sk_default) = side_by_side(
        lambda: KMeans(k, random_state=0).fit(X),
        lambda: SklearnKMeans(k, random_state=0).fit(X),
    )
    # The default fits' k-means++ alone, on the centred data both fits seed from.
    centered = X - X.mean(axis=0)
    (seed_s, (_, our_seeds)), (sk_seed_s, (_, their_seeds)) = side_by_side(
        lambda: kmeans_plusplus(centered, k, random_state=0),
        lambda: sklearn_kmeans_plusplus(centered, k, random_state=0),
    )
    sk_best = min(sk_lloyd_s, sk_elkan_s)
    agree = (
        np.mean(auto.labels_ == sk_lloyd.labels_),
        np.mean(default.labels_ == sk_default.labels_),
    )
    print(
        f"| {n:,} | {d} | {k} | {dtype} | {choose_algorithm(n, d, k)} | {auto_s:.4f} | "
        f"{sk_best:.4f} | {auto_s / sk_best:.2f} | {default_s:.4f} | {sk_default_s:.4f} | "
        f"{default_s / sk_default_s:.2f} | {seed_s:.4f} | {sk_seed_s:.4f} | "
        f"{'yes' if np.array_equal(our_seeds, their_seeds) else 'NO'} | "
        f"{agree[0]:.4f}, {agree[1]:.4f} |",
        flush=True,
    )


def lloyd_pass_arguments(n, d, k):
    """``make_data(n, d, k)``'s X and the arguments of one ``lloyd_pass`` over it from its init."""
    from kmeans_core._iterations import squared_norms, transposed
    from kmeans_core._kernels.distances import narrow_rows
    from kmeans_core._kernels.jit import chunk_rows_for, n_chunks
    from kmeans_core._kernels.lloyd import ChunkPartials

    X, init = make_data(n, d, k)
    rows = chunk_rows_for(n, k, d)
    chunks = n_chunks(n, rows)
    partials = ChunkPartials(
        np.empty((chunks, k, d)),
        np.empty((chunks, k)),
        np.empty(chunks),
        np.empty(chunks, dtype=np.int64),
        rows,
    )
    labels = np.full(n, -1, dtype=np.int32)
    # The rows' squared norms, which a fit makes once with its centred copy.
    row_norms = np.einsum("ij,ij->i", X, X)
    pass_args = (transposed(init), squared_norms(init), labels, partials, True, narrow_rows(d))
    return X, (X, np.ones(n), row_norms, *pass_args)


def bandwidth_table(grid, repeat):
    """Seconds per Lloyd pass against the time to stream X once (same process)."""
    import numba

    from kmeans_core._kernels.jit import single_threaded_blas
    from kmeans_core._kernels.lloyd import lloyd_pass

    @numba.njit(parallel=True, cache=False)
    def stream_sum(values):
        total = 0.0
        for i in numba.prange(values.shape[0]):
            total += values[i]
        return total

    print(f"\n### Lloyd's pass against the memory-bandwidth bound (best of {repeat})\n")
    print(
        "| n | d | k | X size (MB) | one Lloyd pass (ms) | reading X once (ms) "
        "| streaming bandwidth (GB/s) | pass / bound |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, d, k in grid:
        X, args = lloyd_pass_arguments(n, d, k)
        flat = X.reshape(-1)
        stream_sum(flat)
        read_s, _ = best_time(lambda: stream_sum(flat), repeat + 2)
        with single_threaded_blas():
            lloyd_pass(*args)
            pass_s, _ = best_time(lambda: lloyd_pass(*args), repeat + 2)
        print(
            f"| {n:,} | {d} | {k} | {X.nbytes / 1e6:.0f} | {pass_s * 1e3:.1f} | "
            f"{read_s * 1e3:.1f} | {X.nbytes / read_s / 1e9:.1f} | {pass_s / read_s:.1f} |",
            flush=True,
        )


def breakdown_table(grid, repeat):
    """Where one Lloyd pass goes, stage by stage, on one thread (cumulative stage kernels).

    Each stage kernel runs the pass's own building blocks over the same
    chunks, adding one stage at a time: the ranking of the centres (a BLAS
    cross terms by centre and the sweeps across rows, or the feature sweeps on narrow data:
    whichever ``nearest_centers_ranked`` runs), then the near-tie sweep
    (the rows' norms given, as a fit gives them), then the whole pass
    (labels, inertia, the slot sums). One numba thread
    and one BLAS thread, so the stages add up; the difference between two
    rows of a stage is that stage's cost.
    """
    import numba

    from kmeans_core._kernels.common import rows_as_float64
    from kmeans_core._kernels.distances import (
        SWEEP_MAX_FEATURES,
        cross_terms,
        narrow_rows,
        nearest_centers_ranked,
        nearest_two_by_feature_sweeps,
        nearest_two_of_cross,
    )
    from kmeans_core._kernels.jit import n_chunks, single_threaded_blas
    from kmeans_core._kernels.lloyd import lloyd_pass

    @numba.njit(parallel=True, cache=False)
    def read_once(X, out):
        for chunk in numba.prange(out.shape[0]):
            total = 0.0
            for i in range(chunk * 1024, min((chunk + 1) * 1024, X.shape[0])):
                for f in range(X.shape[1]):
                    total += X[i, f]
            out[chunk] = total

    @numba.njit(parallel=True, cache=False)
    def stages(X, row_norms, centers_t, norms, chunk_rows, out, stage, narrow):
        for chunk in numba.prange(out.shape[0]):
            start = chunk * chunk_rows
            stop = min(start + chunk_rows, X.shape[0])
            rows = rows_as_float64(X, start, stop)
            if stage == 0:
                if rows.shape[1] <= SWEEP_MAX_FEATURES:
                    out[chunk] = nearest_two_by_feature_sweeps(
                        rows, centers_t, norms, row_norms[start:stop]
                    )[1][0]
                else:
                    out[chunk] = nearest_two_of_cross(cross_terms(rows, centers_t), norms)[1][0]
            else:
                out[chunk] = nearest_centers_ranked(
                    rows, centers_t, norms, narrow, row_norms[start:stop]
                )[1][0]

    print(f"\n### One Lloyd pass, stage by stage (one thread, best of {repeat + 2})\n")
    print(
        "| n | d | k | reading X (ms) | ranking (ms) | ranked by "
        "| near-tie sweep (ms) | labels, inertia, sums (ms) | whole pass (ms) "
        "| ns per row |"
    )
    print("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for n, d, k in grid:
            X, args = lloyd_pass_arguments(n, d, k)
            row_norms, centers_t, norms, partials = args[2], args[3], args[4], args[6]
            rows = partials.rows
            out = np.empty(partials.inertia.shape[0])
            times = []
            with single_threaded_blas():
                read_once(X, np.empty(n_chunks(n)))
                times.append(best_time(lambda: read_once(X, np.empty(n_chunks(n))), repeat + 2)[0])
                for stage in range(2):
                    stage_args = (X, row_norms, centers_t, norms, rows, out, stage, narrow_rows(d))
                    stages(*stage_args)
                    times.append(best_time(lambda: stages(*stage_args), repeat + 2)[0])
                lloyd_pass(*args)
                times.append(best_time(lambda: lloyd_pass(*args), repeat + 2)[0])
            read, ranked, settled, whole = (1e3 * t for t in times)
            method = "feature sweeps" if d <= SWEEP_MAX_FEATURES else "BLAS + sweeps by centre"
            print(
                f"| {n:,} | {d} | {k} | {read:.1f} | {ranked:.1f} | {method} | "
                f"{settled - ranked:.1f} | {whole - settled:.1f} | {whole:.1f} | "
                f"{whole * 1e6 / n:.0f} |",
                flush=True,
            )
    finally:
        numba.set_num_threads(threads)


_STARTUP = (
    "import time; t0 = time.perf_counter(); import kmeans_core; t1 = time.perf_counter();"
    "import numpy as np; X = np.random.RandomState(0).rand({n}, {d});"
    "t2 = time.perf_counter(); kmeans_core.KMeans({k}, random_state=0).fit(X);"
    "t3 = time.perf_counter(); print(t1 - t0, t3 - t2)"
)
# The acceptance shape (``benchmarks.compare.STARTUP_FIT``'s size) and a small
# table with more clusters and features, which compiled an expanded ranking
# and its k-means++ passes before 2026-12-04.
_STARTUP_SHAPES = ((1_000, 2, 3), (1_000, 8, 8))


def startup_table():
    """Import and first fit in fresh processes: cold cache (empty NUMBA_CACHE_DIR), then warm."""
    print("\n### Startup (fresh processes)\n")
    fits = " | ".join(f"first fit, n={n}, d={d}, k={k} (s)" for n, d, k in _STARTUP_SHAPES)
    print(f"| numba cache | import kmeans_core (s) | {fits} |")
    print("|---|---:|" + "---:|" * len(_STARTUP_SHAPES))
    caches = [tempfile.TemporaryDirectory() for _ in _STARTUP_SHAPES]
    try:
        for label in ("cold (empty cache: compiles)", "warm (cache filled by the run above)"):
            imports, fits = [], []
            for (n, d, k), cache in zip(_STARTUP_SHAPES, caches):
                out = subprocess.run(
                    [sys.executable, "-c", _STARTUP.format(n=n, d=d, k=k)],
                    env={**os.environ, "NUMBA_CACHE_DIR": cache.name},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                import_s, fit_s = map(float, out.stdout.split())
                imports.append(import_s)
                fits.append(fit_s)
            cells = " | ".join(f"{fit_s:.2f}" for fit_s in fits)
            print(f"| {label} | {imports[0]:.2f} | {cells} |", flush=True)
    finally:
        for cache in caches:
            cache.cleanup()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument(
        "--one-thread",
        action="store_true",
        help="offgrid table: every library on one thread, CPU time",
    )
    parser.add_argument(
        "--tables",
        default="lloyd,accelerated,default,offgrid,bandwidth,breakdown,startup",
        help="comma-separated subset of the tables to print",
    )
    args = parser.parse_args(argv)
    tables = set(args.tables.split(","))

    from kmeans_core import KMeans

    X, init = make_data(2000, 2, 3)
    for algorithm in ("lloyd", "hamerly", "elkan"):
        KMeans(3, init=init, n_init=1, algorithm=algorithm).fit(X)  # warm-up: compile or load
        KMeans(3, init=init.astype(np.float32), n_init=1, algorithm=algorithm).fit(
            X.astype(np.float32)
        )
    KMeans(3, random_state=0).fit(X)
    KMeans(3, random_state=0).fit(X.astype(np.float32))

    print(f"Machine: {machine_description()}")
    if "lloyd" in tables:
        lloyd_table(QUICK_GRID if args.quick else CORE_GRID, args.repeat, args.max_iter)
    if "accelerated" in tables:
        accelerated_table(
            QUICK_GRID if args.quick else ACCELERATED_GRID, args.repeat, args.max_iter
        )
    if "default" in tables:
        default_fit_table(QUICK_GRID if args.quick else DEFAULT_FIT_GRID, args.repeat)
    if "offgrid" in tables:
        off_grid_table(
            QUICK_OFF_GRID if args.quick else OFF_GRID, args.repeat, args.max_iter, args.one_thread
        )
    if "bandwidth" in tables:
        bandwidth_table(QUICK_GRID if args.quick else CORE_GRID, args.repeat)
    if "breakdown" in tables:
        breakdown_table(QUICK_GRID if args.quick else CORE_GRID, args.repeat)
    if "startup" in tables:
        startup_table()


if __name__ == "__main__":
    main()
