"""K-Means on Dask, side by side on one LocalCluster: kmeans_core.dask, dask-ml, in memory.

Usage::

    python -m benchmarks.bench_dask                      # small (n=4e5), a few minutes
    python -m benchmarks.bench_dask --n 4000000 --repeats 3   # the issue's table
    python -m benchmarks.bench_dask --plot docs/figures/dask_per_iteration.png
                                                  # seconds per iteration against n
    python -m benchmarks.bench_dask --stages --n 4000000   # our default fit, phase by phase

Same data, same cluster (``--workers`` processes x 1 thread), X persisted in
``--blocks`` blocks, and for the fixed-init rows the same init array and
``tol`` for every library. Two measurements:

* **per iteration**: a fit from the init array, its time divided by the
  iterations it ran (dask-ml's ``tol`` is absolute and ours relative, so the
  iteration counts differ: seconds per iteration is the comparable figure);
* **default fit**: each library's default seeding (both k-means||) plus its
  iterations, ``random_state=0``.

Timings are medians over ``--repeats`` runs after one warm-up fit (compile
time and worker imports stay out). Every row says which iterations it ran:
ours in Lloyd's and in Hamerly's (the same answer, bit for bit), dask-ml's
Lloyd's; our default fit's ``algorithm="auto"`` is read from its verbose
output (Hamerly's on this persisted X).

``--plot PATH`` measures the time per iteration at each of ``--sizes`` instead
(our Dask and in-memory fits, each in Lloyd's and in Hamerly's iterations,
and dask-ml; the same cluster and layout): for each library a fit from the
init array with ``tol=0`` to ``max_iter=1`` and to ``max_iter=--iterations``;
their time difference over their iteration difference is one iteration,
without what every fit pays once (our centering passes and final labelling,
dask-ml's setup), and dask-ml's long runs stay short. The same difference
of the client's process time gives our Dask fits' client CPU per iteration
(on a ``LocalCluster`` the scheduler runs in the client process, so its
work is in it): the fixed cost of a pass the workers' compute does not
show. It writes the figure
to PATH and the table beside it (PATH with ``.txt``, a Markdown table). Keep
``--iterations`` small: dask-ml runs every iteration it is allowed
(``tol=0``), at about half a second each at n=4e6.

dask-ml is optional (``pip install 'kmeans-core[bench]'``); without it its
rows are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

import numpy as np

from kmeans_core import KMeans


def _median_time(fit, repeats):
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def _auto_algorithm(make_model, X):
    """The iterations ``algorithm="auto"`` runs on X: the first line of a verbose fit."""
    model = make_model()
    model.set_params(verbose=1)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        model.fit(X)
    line = output.getvalue().splitlines()[0]  # "algorithm='auto' on Dask input: hamerly's ..."
    return line.split(": ", 1)[1].split("'", 1)[0]


def run(n, d, k, blocks, workers, repeats, seed=0, peers=True):
    import dask.array as da
    from distributed import Client, LocalCluster

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

        def fixed_init(data, algorithm):
            return lambda: KMeans(k, init=init, tol=1e-4, algorithm=algorithm).fit(data)

        fixed = [
            ("kmeans_core.dask", "lloyd", fixed_init(X, "lloyd")),
            ("kmeans_core in memory", "lloyd", fixed_init(X_memory, "lloyd")),
            ("kmeans_core.dask", "hamerly", fixed_init(X, "hamerly")),
            ("kmeans_core in memory", "hamerly", fixed_init(X_memory, "hamerly")),
        ]
        default = [
            (
                "kmeans_core.dask, k-means||",
                _auto_algorithm(lambda: kd.KMeans(k, random_state=0), X),
                lambda: kd.KMeans(k, random_state=0).fit(X),
            )
        ]
        if DaskMLKMeans is not None:
            fixed.append(
                ("dask-ml", "lloyd", lambda: DaskMLKMeans(k, init=init, tol=1e-4, n_init=1).fit(X))
            )
            default.append(
                ("dask-ml, k-means||", "lloyd", lambda: DaskMLKMeans(k, random_state=0).fit(X))
            )

        for start, fits in (("fixed init", fixed), ("default", default)):
            for label, algorithm, fit in fits:
                fit()  # warm-up: compile, imports on the workers
                seconds, model = _median_time(fit, repeats)
                n_iter = int(np.max(model.n_iter_))
                rows.append((label, algorithm, start, seconds, n_iter, seconds / n_iter))
    return rows


@contextlib.contextmanager
def _timed_stages(stages):
    """Append ``(stage, seconds)`` (the client's wall clock) for each phase of a Dask fit.

    Wraps the fit driver's passes (``kmeans_core.dask._DaskFit``): the column
    means' pass, every pass named by its tasks' key (the variances' when it
    has one of its own, each k-means|| round, the candidates' weights, each
    iteration), the read of k-means||'s first row, k-means++ on the
    candidates, and ``iterations_run`` whole. Restored on exit.
    """
    from kmeans_core import dask as kd

    originals = []

    def wrap(holder, name, label_of):
        original = getattr(holder, name)
        originals.append((holder, name, original))

        def timed(*args, **kwargs):
            start = time.perf_counter()
            result = original(*args, **kwargs)
            label = label_of(args)
            if label is not None:
                stages.append((label, time.perf_counter() - start))
            return result

        setattr(holder, name, timed)

    def pass_label(args):
        # (self, "kmeans_hamerly_blocks-<run>-<iteration>", ...) -> "kmeans_hamerly_blocks";
        # None for the column sums' pass, timed within "column means (pass 1)".
        label = args[1].split("-", 1)[0]
        return None if label == "kmeans_column_sums" else label

    fit_class = kd._DaskFit
    wrap(fit_class, "prepare", lambda args: "column means (pass 1)")
    wrap(fit_class, "_group_pass", pass_label)
    wrap(fit_class, "_rows", lambda args: "read rows (k-means|| first row)")
    wrap(kd, "centers_from_candidates", lambda args: "k-means++ on the candidates (client)")
    wrap(fit_class, "iterations_run", lambda args: "iterations_run (whole)")
    try:
        yield
    finally:
        for holder, name, original in originals:
            setattr(holder, name, original)


def default_fit_stages(n, d, k, blocks, workers, repeats, seed=0):
    """Where our default fit's time goes: rows ``(stage, calls, median seconds per fit)``.

    The benchmark's data and cluster; ``repeats`` fits after a warm-up, each
    stage's total per fit, median over the fits. "final labels and inertia"
    is ``iterations_run`` less its iterations' passes.
    """
    import dask.array as da
    from distributed import Client, LocalCluster

    from kmeans_core import dask as kd

    rng = np.random.default_rng(seed)
    true_centers = rng.uniform(-10, 10, size=(k, d))
    X_memory = true_centers[rng.integers(0, k, n)] + rng.standard_normal((n, d))
    per_fit = []
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster),
    ):
        X = da.from_array(X_memory, chunks=(-(-n // blocks), d)).persist()
        kd.KMeans(k, random_state=0).fit(X)  # warm-up
        for _ in range(repeats):
            stages = []
            with _timed_stages(stages):
                start = time.perf_counter()
                kd.KMeans(k, random_state=0).fit(X)
                stages.append(("whole default fit", time.perf_counter() - start))
            per_fit.append(stages)
    rows = []
    for stage in dict.fromkeys(label for stages in per_fit for label, _ in stages):
        totals = [sum(s for label, s in stages if label == stage) for stages in per_fit]
        calls = sum(label == stage for label, _ in per_fit[0])
        rows.append((stage, calls, statistics.median(totals)))
    iterations = sum(
        seconds for stage, _, seconds in rows if stage.startswith(("kmeans_lloyd", "kmeans_ham"))
    )
    whole = dict((stage, seconds) for stage, _, seconds in rows)["iterations_run (whole)"]
    rows.append(
        ("final labels and inertia (iterations_run less its passes)", 1, whole - iterations)
    )
    return rows


def per_iteration(sizes, d, k, blocks, workers, repeats, iterations, seed=0, peers=True):
    """Seconds per iteration at each n of ``sizes``: rows ``(n, library, s, n_iter)``.

    ``library`` names the fit and its iterations: ours (Dask and in memory) in
    Lloyd's and in Hamerly's, dask-ml's (Lloyd's).

    One cluster for every size; each library warmed up once on the first size.
    ``s`` is the median over ``repeats`` of (t(max_iter=iterations) -
    t(max_iter=1)) / (their iteration difference); ``n_iter`` the long fit's;
    ``client_s`` the same median of the client process's CPU time.
    """
    import dask.array as da
    from distributed import Client, LocalCluster

    try:
        from dask_ml.cluster import KMeans as DaskMLKMeans
    except ImportError:  # pragma: no cover - the bench extra is optional
        DaskMLKMeans = None
    if not peers:
        DaskMLKMeans = None

    rows, warmed = [], set()
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster),
    ):
        for n in sizes:
            rng = np.random.default_rng(seed)
            true_centers = rng.uniform(-10, 10, size=(k, d))
            X_memory = true_centers[rng.integers(0, k, n)] + rng.standard_normal((n, d))
            init = X_memory[rng.choice(n, k, replace=False)]
            X = da.from_array(X_memory, chunks=(-(-n // blocks), d)).persist()
            fits = _fits_from(init, X, X_memory, k, DaskMLKMeans)
            for library, fit in fits.items():
                if library not in warmed:
                    fit(2)  # compile, imports on the workers
                    warmed.add(library)
                seconds, n_iter, client_s = _seconds_per_iteration(fit, repeats, iterations)
                rows.append((n, library, seconds, n_iter, client_s))
    return rows


def _fits_from(init, X, X_memory, k, DaskMLKMeans):
    """``{library: fit(max_iter)}`` from ``init`` with ``tol=0``, on X (Dask) or X_memory."""

    def ours(data, algorithm):
        return lambda max_iter: KMeans(
            k, init=init, n_init=1, tol=0.0, max_iter=max_iter, algorithm=algorithm
        ).fit(data)

    fits = {}
    for algorithm in ("lloyd", "hamerly"):
        fits[f"kmeans_core.dask ({algorithm})"] = ours(X, algorithm)
        fits[f"kmeans_core in memory ({algorithm})"] = ours(X_memory, algorithm)
    if DaskMLKMeans is not None:
        fits["dask-ml (lloyd)"] = lambda max_iter: DaskMLKMeans(
            k, init=init, n_init=1, tol=0.0, max_iter=max_iter
        ).fit(X)
    return fits


def _seconds_per_iteration(fit, repeats, iterations):
    """Medians of (t(iterations) - t(1)) / (iteration difference), wall and client CPU.

    Returns ``(wall seconds, the long fit's n_iter, client process seconds)``.
    """
    slopes, client_slopes = [], []
    for _ in range(repeats):
        short_s, short_cpu, short = _timed(lambda: fit(1))
        long_s, long_cpu, long = _timed(lambda: fit(iterations))
        extra = max(int(np.max(long.n_iter_)) - int(np.max(short.n_iter_)), 1)
        slopes.append((long_s - short_s) / extra)
        client_slopes.append((long_cpu - short_cpu) / extra)
    return statistics.median(slopes), int(np.max(long.n_iter_)), statistics.median(client_slopes)


def _timed(function):
    """``(wall seconds, client process seconds, result)`` of ``function()``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - start, time.process_time() - start_cpu, result


def per_iteration_table(rows):
    """Markdown: one row per n, seconds per iteration per library, ratios, our client CPU."""
    libraries = list(dict.fromkeys(library for _, library, *_ in rows))
    seconds = {(n, library): s for n, library, s, *_ in rows}
    client = {(n, library): c for n, library, _, _, c in rows}
    dask_fits = [library for library in libraries if library.startswith("kmeans_core.dask")]
    header = "| n | " + " | ".join(f"{library} (s)" for library in libraries)
    ratios = []
    for algorithm in ("lloyd", "hamerly"):
        ours = f"kmeans_core.dask ({algorithm})"
        if "dask-ml (lloyd)" in libraries:
            ratios.append((f"dask-ml / ours ({algorithm})", "dask-ml (lloyd)", ours))
        ratios.append(
            (f"ours / in memory ({algorithm})", ours, f"kmeans_core in memory ({algorithm})")
        )
    client_columns = [f"{library} client CPU (s)" for library in dask_fits]
    lines = [
        header + " | " + " | ".join([name for name, _, _ in ratios] + client_columns) + " |",
        "|---" * (1 + len(libraries) + len(ratios) + len(dask_fits)) + "|",
    ]
    for n in dict.fromkeys(n for n, *_ in rows):
        cells = [f"{seconds[n, library]:.4f}" for library in libraries]
        cells += [f"{seconds[n, a] / seconds[n, b]:.1f}x" for _, a, b in ratios]
        cells += [f"{client[n, library]:.4f}" for library in dask_fits]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_per_iteration(rows, path, caption):
    """Seconds per iteration against n, log-log, one line per library, written to ``path``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.2), dpi=100)
    axes = figure.subplots()
    markers = {"kmeans_core.dask": "o", "kmeans_core in memory": "s", "dask-ml": "^"}
    lines = {"(lloyd)": "-", "(hamerly)": ":"}
    for library in dict.fromkeys(library for _, library, *_ in rows):
        points = [(n, s) for n, name, s, *_ in rows if name == library]
        name, algorithm = library.rsplit(" ", 1)
        style = markers.get(name, "o") + lines.get(algorithm, "-")
        axes.loglog(*zip(*points), style, label=library)
    axes.set_xlabel("n (rows)")
    axes.set_ylabel("seconds per iteration")
    axes.set_title(caption, fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400_000)
    parser.add_argument("--d", type=int, default=8)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--sizes",
        default="100000,250000,500000,1000000,2000000,4000000",
        help="with --plot: the n of each point, comma-separated",
    )
    parser.add_argument(
        "--iterations", type=int, default=6, help="with --plot: max_iter of the long fits"
    )
    parser.add_argument("--plot", default=None, help="measure s/iteration against n; figure here")
    parser.add_argument(
        "--stages", action="store_true", help="where our default fit's time goes, phase by phase"
    )
    args = parser.parse_args(argv)
    if args.plot:
        return _plot_main(args)
    if args.stages:
        return _stages_main(args)
    rows = run(args.n, args.d, args.k, args.blocks, args.workers, args.repeats)
    print(
        f"n={args.n:,} d={args.d} k={args.k}, {args.blocks} blocks, LocalCluster "
        f"{args.workers} workers x 1 thread, medians of {args.repeats}"
    )
    print("| run | iterations run | start | fit (s) | iterations | s / iteration |")
    print("|---|---|---|---|---|---|")
    for label, algorithm, start, seconds, n_iter, per_iteration in rows:
        print(
            f"| {label} | {algorithm} | {start} | {seconds:.3f} | {n_iter} | {per_iteration:.4f} |"
        )
    return rows


def _stages_main(args):
    rows = default_fit_stages(args.n, args.d, args.k, args.blocks, args.workers, args.repeats)
    print(
        f"kmeans_core.dask.KMeans({args.k}, random_state=0).fit(X): n={args.n:,} d={args.d}, "
        f"{args.blocks} persisted blocks, LocalCluster {args.workers} workers x 1 thread, "
        f"the client's wall clock, medians of {args.repeats} fits"
    )
    print("| stage | passes | s per fit |")
    print("|---|---|---|")
    for stage, calls, seconds in rows:
        print(f"| {stage} | {calls} | {seconds:.3f} |")
    return rows


def _plot_main(args):
    import os
    import platform
    from pathlib import Path

    sizes = [int(size) for size in args.sizes.split(",")]
    rows = per_iteration(
        sizes, args.d, args.k, args.blocks, args.workers, args.repeats, args.iterations
    )
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    caption = (
        f"d={args.d}, k={args.k}, {args.blocks} persisted blocks, LocalCluster "
        f"{args.workers} workers x 1 thread; {machine}"
    )
    table = per_iteration_table(rows)
    path = Path(args.plot)
    plot_per_iteration(rows, path, caption)
    load = os.getloadavg()[0]
    text = (
        f"{caption}; median of {args.repeats} (t(max_iter={args.iterations}) - t(max_iter=1)) / "
        f"iterations; load average at the end {load:.2f}\n\n{table}\n"
    )
    path.with_suffix(".txt").write_text(text)
    print(text)
    return rows


if __name__ == "__main__":
    main()
