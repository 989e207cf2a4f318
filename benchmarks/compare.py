"""Side-by-side comparison of kmeans_core and its peers: tables, JSON and plots.

Every library fits the same data from the same init array (k rows of X drawn
with seed 0), with the same ``tol`` and a fixed ``max_iter``, ``n_init=1``, in
one process. Before any timing each library fits small data once, so numba's
compile time (or cache load) and scikit-learn's lazy imports are out of the
figures; compile time is reported on its own in the startup section.

A time is the best (minimum) of ``--repeat`` fits: on a machine shared with
other work, noise only ever adds time, so the minimum is the most repeatable
estimate of the cost of the work itself. The median is saved in the JSON too.

Each row says whether its labels are identical (exactly, same indices) to
scikit-learn's lloyd on the same case, and ``|inertia - inertia_sklearn| /
inertia_sklearn``.

Sections (``--sections``):

``grid``     the core issue's grid of (n, d, k), the main table.
``offgrid``  where users are rather than where the kernels shine (issue 20):
             a 200-row table, wide data, float32, high k; cases are
             (n, d, k, dtype).
``n``        time against n, 1e3 .. 1e7, at fixed d and k (log-log plot).
``k``        time against k at fixed n and d.
``d``        time against d at fixed n and k.
``memory``   peak memory of one fit on the largest grid case, each library in a
             fresh process (peak RSS during the fit minus RSS after loading X).
``startup``  import time and first fit in a fresh process, with an empty (cold)
             and a filled (warm) numba cache.
``minibatch`` MiniBatchKMeans, ours against scikit-learn's: ``fit`` with default
             parameters and ``partial_fit`` per batch, on the cases and with the
             method of ``benchmarks/bench_minibatch.py`` (imported, not copied).
             ``python -m benchmarks.compare --sections minibatch --out DIR``
             runs this table alone.

Peers: scikit-learn's lloyd and elkan always; scikit-learn-intelex and
faiss-cpu when installed (never required). Ours: every entry of
``kmeans_core._kmeans.ALGORITHMS``.

Run (from the repository root)::

    python -m benchmarks.compare --quick          # smoke run, ~1 minute, writes to a temp dir
    python -m benchmarks.compare                  # full run, writes benchmarks/results/
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.compare_lloyd import OFF_GRID, SETTLE_S, machine_description, make_data

REPOSITORY = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"

TOL = 1e-4
MAX_ITER = 100
REFERENCE = "scikit-learn lloyd"  # the oracle every row's labels and inertia are checked against

# The core issue's grid of (n, d, k); QUICK_GRID keeps its d and k on small n.
CORE_GRID = [
    (100_000, 2, 5),
    (1_000_000, 2, 5),
    (200_000, 16, 16),
    (100_000, 64, 64),
    (1_000_000, 8, 32),
]
QUICK_GRID = [(2_000, 2, 5), (10_000, 2, 5), (2_000, 16, 16), (1_000, 64, 64), (5_000, 8, 32)]
# OFF_GRID, issue 20's rows (n, d, k, dtype) off the hand-picked grid above, is the
# acceptance script's table (imported above): one list for both reports and the suite.
QUICK_OFF_GRID = [
    (200, 2, 5, "float64"),
    (2_000, 128, 8, "float64"),
    (5_000, 8, 32, "float32"),
    (3_000, 2, 128, "float64"),
]


@dataclasses.dataclass(frozen=True)
class Sizes:
    """The work of one comparison run; ``full`` and ``quick`` below."""

    grid: list
    off_grid: list  # (n, d, k, dtype)
    n_sweep: tuple  # (list of n, d, k)
    k_sweep: tuple  # (n, d, list of k)
    d_sweep: tuple  # (n, list of d, k)
    memory_case: tuple  # (n, d, k)
    repeat: int


FULL = Sizes(
    grid=CORE_GRID,
    off_grid=OFF_GRID,
    n_sweep=([1_000, 10_000, 100_000, 1_000_000, 10_000_000], 2, 5),
    k_sweep=(100_000, 8, [2, 4, 8, 16, 32, 64, 128]),
    d_sweep=(100_000, [2, 4, 8, 16, 32, 64, 128], 16),
    memory_case=max(CORE_GRID, key=lambda case: case[0] * case[1]),
    repeat=3,
)
QUICK = Sizes(
    grid=QUICK_GRID,
    off_grid=QUICK_OFF_GRID,
    n_sweep=([1_000, 3_000, 10_000], 2, 5),
    k_sweep=(3_000, 8, [2, 4, 8]),
    d_sweep=(3_000, [2, 4, 8], 4),
    memory_case=(20_000, 8, 32),
    repeat=1,
)
SECTIONS = ("grid", "offgrid", "n", "k", "d", "memory", "startup", "minibatch")

# The mini-batch section reuses bench_minibatch's cases (FIT_ROWS, PARTIAL_FIT_CASE,
# PARTIAL_FIT_BATCHES); --quick multiplies every n by this factor, leaves out the
# n = 1e7 row, and times partial_fit over as many batches as the smaller data holds.
QUICK_MINIBATCH_SCALE = 0.01
QUICK_MINIBATCH_PARTIAL_FIT_ROWS = 50_000


# ---------------------------------------------------------------------------
# Peers: one uniform way to fit each library from an init array
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FitResult:
    labels: np.ndarray
    inertia: float
    n_iter: int


@dataclasses.dataclass(frozen=True)
class Peer:
    """One library and algorithm under comparison.

    ``fit_from_init(X, init, max_iter, tol)`` runs one fit (n_init=1) and
    returns a :class:`FitResult`; it is the timed call. ``make_estimator`` is
    ``(n_clusters, **params) -> estimator`` for libraries with scikit-learn's
    API (the pytest suite uses it), None otherwise.
    """

    name: str
    library: str
    algorithm: str
    fit_from_init: Callable
    make_estimator: Callable | None = None
    # No convergence test (faiss): such a peer is given the iteration count
    # scikit-learn's lloyd needed on the case, so that it does the same work.
    fixed_iterations: bool = False

    @property
    def test_id(self) -> str:
        return self.name.replace(" ", "-")

    def resolved_algorithm(self, n, d, k) -> str:
        """What the fit runs: ``auto`` named with its choice, e.g. ``auto (hamerly)``."""
        if self.library == "kmeans_core" and self.algorithm == "auto":
            from kmeans_core import _kmeans

            choose = getattr(_kmeans, "choose_algorithm", None)
            if choose is not None:
                return f"auto ({choose(n, d, k)})"
        return self.algorithm


def _estimator_fit(make_estimator):
    def fit_from_init(X, init, max_iter, tol):
        model = make_estimator(init.shape[0], init=init, n_init=1, max_iter=max_iter, tol=tol).fit(
            X
        )
        return FitResult(np.asarray(model.labels_), float(model.inertia_), int(model.n_iter_))

    return fit_from_init


def _kmeans_core_estimator(algorithm):
    def make_estimator(n_clusters, **params):
        from kmeans_core import KMeans

        return KMeans(n_clusters, **{"algorithm": algorithm, **params})

    return make_estimator


def _sklearn_estimator(algorithm, module="sklearn.cluster"):
    def make_estimator(n_clusters, **params):
        KMeans = importlib.import_module(module).KMeans
        return KMeans(n_clusters, **{"algorithm": algorithm, **params})

    return make_estimator


def _faiss_fit(X, init, max_iter, tol):
    """faiss: float32 only, exactly ``max_iter`` iterations (it has no tol), all of X used."""
    import faiss

    X32 = np.ascontiguousarray(X, dtype=np.float32)
    n, d = X32.shape
    k = init.shape[0]
    # max_points_per_centroid: by default faiss trains on a subsample of 256 * k points.
    kmeans = faiss.Kmeans(
        d,
        k,
        niter=max_iter,
        seed=0,
        verbose=False,
        max_points_per_centroid=max(n // k + 1, 256),
        min_points_per_centroid=1,
    )
    kmeans.train(X32, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
    _, labels = kmeans.index.search(X32, 1)  # a fit ends with labels, as scikit-learn's does
    labels = labels.ravel()
    inertia = float(((X - kmeans.centroids.astype(np.float64)[labels]) ** 2).sum())
    return FitResult(labels, inertia, max_iter)


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def kmeans_core_peers():
    from kmeans_core._kmeans import ALGORITHMS

    return [
        Peer(
            f"kmeans_core {algorithm}",
            "kmeans_core",
            algorithm,
            _estimator_fit(_kmeans_core_estimator(algorithm)),
            _kmeans_core_estimator(algorithm),
        )
        for algorithm in ALGORITHMS
    ]


def sklearn_peers():
    return [
        Peer(
            f"scikit-learn {algorithm}",
            "scikit-learn",
            algorithm,
            _estimator_fit(_sklearn_estimator(algorithm)),
            _sklearn_estimator(algorithm),
        )
        for algorithm in ("lloyd", "elkan")
    ]


def optional_peers():
    """scikit-learn-intelex and faiss-cpu, when importable; never required."""
    peers = []
    if _installed("sklearnex"):
        make = _sklearn_estimator("lloyd", module="sklearnex.cluster")
        peers.append(Peer("sklearnex lloyd", "sklearnex", "lloyd", _estimator_fit(make), make))
    if _installed("faiss"):
        peers.append(Peer("faiss", "faiss", "lloyd (float32)", _faiss_fit, fixed_iterations=True))
    return peers


def all_peers(optional=True):
    return kmeans_core_peers() + sklearn_peers() + (optional_peers() if optional else [])


def peer_by_name(name):
    for peer in all_peers():
        if peer.name == name:
            return peer
    raise ValueError(f"unknown peer {name!r}; known: {[p.name for p in all_peers()]}")


def warm_up(peers):
    """One small fit per peer: numba compiles (or loads its cache), libraries finish importing."""
    X, init = make_data(2_000, 4, 8, seed=1)
    for peer in peers:
        peer.fit_from_init(X, init, MAX_ITER, TOL)
        # float32 kernels are compiled separately (the off-grid float32 rows).
        peer.fit_from_init(X.astype(np.float32), init.astype(np.float32), MAX_ITER, TOL)


def library_versions():
    versions = {}
    for module, label in (("sklearnex", "scikit-learn-intelex"), ("faiss", "faiss-cpu")):
        if _installed(module):
            try:
                versions[label] = importlib.import_module(module).__version__
            except Exception as error:  # an optional peer must never break the report
                versions[label] = f"unknown ({type(error).__name__})"
    return versions


def thread_counts():
    import numba
    from threadpoolctl import threadpool_info

    info = {"numba threads": numba.get_num_threads()}
    for pool in threadpool_info():
        info[f"{pool['user_api']} ({pool['internal_api']})"] = pool["num_threads"]
    return info


# ---------------------------------------------------------------------------
# Timing sections
# ---------------------------------------------------------------------------


class Budget:
    """Wall-clock budget of the timing sections; None means unlimited."""

    def __init__(self, max_seconds):
        self.max_seconds = max_seconds
        self.start = time.perf_counter()

    def exhausted(self):
        return self.max_seconds is not None and time.perf_counter() - self.start > self.max_seconds


def _case_shape(case):
    """(n, d, k, dtype) of a case; grid and sweep cases are (n, d, k) in float64."""
    n, d, k = case[:3]
    return n, d, k, case[3] if len(case) > 3 else "float64"


def _skipped(section, case, peer, reason):
    n, d, k, dtype = _case_shape(case)
    return {
        "section": section,
        "n": n,
        "d": d,
        "k": k,
        "dtype": dtype,
        "peer": peer.name,
        "library": peer.library,
        "algorithm": peer.resolved_algorithm(n, d, k),
        "status": "skipped",
        "reason": reason,
    }


def time_case(section, case, peers, args, budget, too_slow):
    """Time every peer on one (n, d, k); return one record per peer.

    ``too_slow`` (a set of peer names, updated here) holds peers whose single
    fit took longer than ``--max-fit-seconds`` earlier in this sweep: they are
    skipped at the larger cases that follow.
    """
    n, d, k, dtype = _case_shape(case)
    if budget.exhausted():  # skip before paying for the data
        return [_skipped(section, case, peer, "--max-seconds budget spent") for peer in peers]
    X, init = make_data(n, d, k, dtype=dtype)
    records, labels = [], {}
    # The reference runs first: fixed-iteration peers need its iteration count.
    reference_first = sorted(peers, key=lambda peer: peer.name != REFERENCE)
    for peer in reference_first:
        if peer.name in too_slow:
            records.append(
                _skipped(
                    section, case, peer, f"a smaller case took over {args.max_fit_seconds:g} s"
                )
            )
            continue
        if budget.exhausted():
            records.append(_skipped(section, case, peer, "--max-seconds budget spent"))
            continue
        record = {
            "section": section,
            "n": n,
            "d": d,
            "k": k,
            "dtype": dtype,
            "peer": peer.name,
            "library": peer.library,
            "algorithm": peer.resolved_algorithm(n, d, k),
        }
        max_iter = args.max_iter
        if peer.fixed_iterations:
            done = [r for r in records if r["peer"] == REFERENCE and r["status"] == "ok"]
            max_iter = done[0]["n_iter"] if done else args.max_iter
        times = []
        # The previous peer's threads (OpenMP runtimes, OpenBLAS's workers) spin
        # for a moment after their last parallel region or BLAS call.
        time.sleep(SETTLE_S)
        try:
            for _ in range(args.repeat):
                start = time.perf_counter()
                result = peer.fit_from_init(X, init, max_iter, args.tol)
                times.append(time.perf_counter() - start)
                if times[-1] > args.max_fit_seconds:
                    too_slow.add(peer.name)  # one fit is enough to place it on the plot
                    break
        except Exception as error:  # noqa: BLE001  (a failing peer is reported, not fatal)
            record.update(status="error", reason=f"{type(error).__name__}: {error}")
            records.append(record)
            continue
        labels[peer.name] = result.labels
        record.update(
            status="ok",
            best_s=min(times),
            median_s=statistics.median(times),
            times_s=times,
            n_iter=result.n_iter,
            inertia=result.inertia,
        )
        records.append(record)
        print(
            f"  {section:>4} n={n:<9,} d={d:<3} k={k:<3} {dtype:<7} {peer.name:<22} "
            f"{min(times):8.4f} s  ({result.n_iter} iterations)",
            flush=True,
        )

    position = {peer.name: i for i, peer in enumerate(peers)}
    records.sort(key=lambda record: position[record["peer"]])
    reference = next((r for r in records if r["peer"] == REFERENCE and r["status"] == "ok"), None)
    for record in records:
        if record["status"] != "ok" or reference is None:
            continue
        record["identical_labels"] = bool(np.array_equal(labels[record["peer"]], labels[REFERENCE]))
        record["same_n_iter"] = record["n_iter"] == reference["n_iter"]
        record["rel_inertia_diff"] = (
            abs(record["inertia"] - reference["inertia"]) / reference["inertia"]
        )
        record["speedup_vs_reference"] = reference["best_s"] / record["best_s"]
    return records


def run_timings(section, cases, peers, args, budget, growing):
    """Time ``cases`` in order. ``growing``: each case is bigger than the one before
    (a sweep), so a peer too slow on one case is not tried on the next ones."""
    too_slow = set()
    records = []
    for case in cases:
        records += time_case(section, case, peers, args, budget, too_slow if growing else set())
    return records


# ---------------------------------------------------------------------------
# Peak memory: one fresh process per peer
# ---------------------------------------------------------------------------

_RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


def _max_rss_bytes():
    import resource  # POSIX only; imported here so the rest runs anywhere

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT


def _proc_status_bytes(field):
    """``VmRSS`` / ``VmHWM`` of this process from /proc (Linux), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"{field} not in /proc/self/status")


def _reset_peak_rss():
    """Linux: restart the kernel's RSS high-water mark (VmHWM) from the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        _proc_status_bytes("VmHWM")
        return True
    except OSError:
        return False


def memory_child(peer_name, data_dir, max_iter, tol):
    """Run in a fresh process: the peak resident memory a fit adds on top of the loaded data.

    Resident set size, not tracemalloc: tracemalloc sees NumPy's buffers but
    not what numba's runtime allocates inside kernels nor scikit-learn's
    C/OpenMP buffers, so it would under-count each side differently; the RSS
    sees every page the process touches. On Linux the high-water mark is
    reset just before the fit (``/proc/self/clear_refs``) and the figure is
    VmHWM after the fit minus VmRSS before it. Elsewhere it is ``ru_maxrss``
    after minus before; as that is a high-water mark since process start, the
    order matters: warm up on tiny data, then ``np.load`` X (no temporaries),
    then fit. Memory freed by the warm-up and reused by the fit is not
    counted, so figures of a few MiB are noise.
    """
    peer = peer_by_name(peer_name)
    warm_up([peer])
    X = np.load(Path(data_dir) / "X.npy")
    init = np.load(Path(data_dir) / "init.npy")
    exact = _reset_peak_rss()
    baseline = _proc_status_bytes("VmRSS") if exact else _max_rss_bytes()
    start = time.perf_counter()
    result = peer.fit_from_init(X, init, max_iter, tol)
    seconds = time.perf_counter() - start
    peak = _proc_status_bytes("VmHWM") if exact else _max_rss_bytes()
    print(
        json.dumps(
            {
                "baseline_bytes": baseline,
                "peak_bytes": peak,
                "fit_extra_bytes": peak - baseline,
                "data_bytes": X.nbytes,
                "seconds": seconds,
                "n_iter": result.n_iter,
                "method": "VmHWM - VmRSS (peak reset before the fit)"
                if exact
                else "ru_maxrss after - before",
            }
        )
    )


def run_memory(case, peers, args):
    n, d, k = case
    X, init = make_data(n, d, k)
    records = []
    with tempfile.TemporaryDirectory(prefix="kmeans_memory_") as data_dir:
        np.save(Path(data_dir) / "X.npy", X)
        np.save(Path(data_dir) / "init.npy", init)
        del X
        for peer in peers:
            command = [
                sys.executable,
                "-m",
                "benchmarks.compare",
                "--memory-child",
                peer.name,
                "--data-dir",
                data_dir,
                "--max-iter",
                str(args.max_iter),
                "--tol",
                str(args.tol),
            ]
            record = {
                "section": "memory",
                "n": n,
                "d": d,
                "k": k,
                "peer": peer.name,
                "library": peer.library,
                "algorithm": peer.resolved_algorithm(n, d, k),
            }
            done = subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY)
            if done.returncode != 0:
                record.update(
                    status="error", reason=(done.stderr.strip().splitlines() or ["no output"])[-1]
                )
            else:
                record.update(status="ok", **json.loads(done.stdout.strip().splitlines()[-1]))
                print(
                    f"  memory n={n:,} d={d} k={k} {peer.name:<22} "
                    f"+{record['fit_extra_bytes'] / 2**20:8.1f} MiB",
                    flush=True,
                )
            records.append(record)
    reference = next((r for r in records if r["peer"] == REFERENCE and r["status"] == "ok"), None)
    for record in records:
        if reference is not None and record["status"] == "ok" and reference["fit_extra_bytes"] > 0:
            record["ratio_vs_reference"] = record["fit_extra_bytes"] / reference["fit_extra_bytes"]
    return records


# ---------------------------------------------------------------------------
# Startup: import and first fit in a fresh process
# ---------------------------------------------------------------------------

STARTUP_FIT = (1_000, 2, 3)  # n, d, k of the first fit: small, so the figure is compile/load cost


def startup_script(library, algorithm):
    """Python source that imports ``library``, fits once and prints its two timings as JSON.

    numpy is imported before the clock starts: both libraries need it and
    anyone calling them has it loaded already. ``algorithm=None``: import
    only (``first_fit_s`` is then null).
    """
    n, d, k = STARTUP_FIT
    if library == "kmeans_core":
        import_line, estimator = "import kmeans_core", "kmeans_core.KMeans"
    elif library == "scikit-learn":
        import_line, estimator = "import sklearn.cluster", "sklearn.cluster.KMeans"
    else:
        raise ValueError(f"no startup script for {library!r}")
    lines = [
        "import json, time",
        "import numpy as np",
        "start = time.perf_counter()",
        import_line,
        "imported = time.perf_counter()",
        "first_fit_s = None",
    ]
    if algorithm is not None:
        lines += [
            f"X = np.random.RandomState(0).standard_normal(({n}, {d}))",
            "fit_start = time.perf_counter()",
            f"{estimator}({k}, n_init=1, random_state=0, algorithm={algorithm!r}).fit(X)",
            "first_fit_s = time.perf_counter() - fit_start",
        ]
    lines.append("print(json.dumps({'import_s': imported - start, 'first_fit_s': first_fit_s}))")
    return "\n".join(lines)


def run_startup_child(script, cache_dir):
    """Run ``script`` in a fresh interpreter with numba's cache in ``cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPOSITORY,
        check=True,
    )
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    timings["process_s"] = time.perf_counter() - start
    return timings


def run_startup(algorithms):
    """Cold (empty numba cache dir) then warm (same dir, second process) for each library."""
    cases = [("kmeans_core", algorithm) for algorithm in algorithms]
    cases += [("scikit-learn", "lloyd")]
    records = []
    for library, algorithm in cases:
        with tempfile.TemporaryDirectory(prefix="kmeans_numba_cache_") as cache_dir:
            script = startup_script(library, algorithm)
            cold = run_startup_child(script, cache_dir)
            warm = run_startup_child(script, cache_dir)
        records.append(
            {
                "section": "startup",
                "library": library,
                "algorithm": algorithm,
                "fit": dict(zip("ndk", STARTUP_FIT)),
                "cold": cold,
                "warm": warm,
            }
        )
        print(
            f"  startup {library} {algorithm:<8} import {warm['import_s']:.2f} s, first fit "
            f"cold {cold['first_fit_s']:.2f} s, warm {warm['first_fit_s']:.2f} s",
            flush=True,
        )
    return records


# ---------------------------------------------------------------------------
# MiniBatchKMeans: bench_minibatch's rows, in this report
# ---------------------------------------------------------------------------


def run_minibatch(args):
    """MiniBatchKMeans fit and partial_fit rows, ours against scikit-learn's.

    The cases and the timing are ``benchmarks.bench_minibatch``'s (its
    ``FIT_ROWS``, ``PARTIAL_FIT_CASE``, ``PARTIAL_FIT_BATCHES``, ``fit_row``
    and ``partial_fit_rows``), so this table and ``python -m
    benchmarks.bench_minibatch`` measure the same thing: fit, the median of
    ``repeat`` fits with default parameters and ``random_state=0``;
    partial_fit, the median time per call over a stream of batches after
    the init call. The n = 1e7 fit row runs ours only (scikit-learn needs
    minutes there), as the bench script does by default.
    """
    from benchmarks import bench_minibatch

    bench_minibatch.warm_up()
    scale = QUICK_MINIBATCH_SCALE if args.quick else 1.0
    fit_rows = []
    for n, d, k in bench_minibatch.FIT_ROWS:
        huge = n >= 10_000_000
        if huge and args.quick:
            continue
        n = int(n * scale)
        print(f"  MiniBatchKMeans fit n={n:,} d={d} k={k}", flush=True)
        fit_rows.append(
            bench_minibatch.fit_row(n, d, k, 1 if huge else args.repeat, with_sklearn=not huge)
        )
    n, d, k = bench_minibatch.PARTIAL_FIT_CASE
    if args.quick:
        n = QUICK_MINIBATCH_PARTIAL_FIT_ROWS
    n_batches = min(60, n // max(bench_minibatch.PARTIAL_FIT_BATCHES))
    print(f"  MiniBatchKMeans partial_fit n={n:,} d={d} k={k}, {n_batches} batches", flush=True)
    partial_rows = bench_minibatch.partial_fit_rows(
        n, d, k, bench_minibatch.PARTIAL_FIT_BATCHES, n_batches=n_batches
    )
    for row in partial_rows:
        row.update(n=n, d=d, k=k, n_batches=n_batches)
    return {"fit": fit_rows, "partial_fit": partial_rows}


def minibatch_fit_table(rows):
    lines = [
        "| n | d | k | scikit-learn fit (s) | kmeans_core fit (s) | speed-up "
        "| steps (theirs / ours) | same centers | \\|Δinertia\\| / inertia |",
        "|---:|---:|---:|---:|---:|---:|---:|:---:|---:|",
    ]
    for r in rows:
        head = f"| {r['n']:,} | {r['d']} | {r['k']} |"
        if "sklearn_s" not in r:
            lines.append(
                f"{head} not run | {_seconds(r['ours_s'])} | | — / {r['ours_steps']:,} | | |"
            )
            continue
        same = "yes" if r["same_centers"] else "**no**"
        lines.append(
            f"{head} {_seconds(r['sklearn_s'])} | {_seconds(r['ours_s'])} | "
            f"{r['speedup']:.2f}× | {r['sklearn_steps']:,} / {r['ours_steps']:,} | {same} | "
            f"{_inertia_diff(r['inertia_rel_diff'])} |"
        )
    return "\n".join(lines)


def minibatch_partial_fit_table(rows):
    lines = [
        "| n | d | k | rows per batch | scikit-learn (ms per call) | kmeans_core (ms per call) "
        "| speed-up | same centers |",
        "|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        same = "yes" if r["same_centers"] else "**no**"
        lines.append(
            f"| {r['n']:,} | {r['d']} | {r['k']} | {r['batch_rows']:,} | {r['sklearn_ms']:.2f} | "
            f"{r['ours_ms']:.2f} | {r['speedup']:.2f}× | {same} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Outputs: Markdown, JSON, plots
# ---------------------------------------------------------------------------


def _seconds(value):
    return f"{value:.4f}" if value < 1 else f"{value:.2f}"


def _inertia_diff(value):
    return "0" if value == 0 else f"{value:.1e}"


def timing_table(records, dtype_column=False):
    lines = [
        "| n | d | k |" + (" dtype |" if dtype_column else "") + " library | algorithm "
        "| time (s) | speed-up vs scikit-learn lloyd "
        "| iterations | identical labels | \\|Δinertia\\| / inertia |",
        "|---:|---:|---:|"
        + (":---|" if dtype_column else "")
        + ":---|:---|---:|---:|---:|:---:|---:|",
    ]
    for r in records:
        dtype = f" {r.get('dtype', 'float64')} |" if dtype_column else ""
        head = f"| {r['n']:,} | {r['d']} | {r['k']} |{dtype} {r['library']} | {r['algorithm']} |"
        if r["status"] != "ok":
            lines.append(f"{head} {r['status']}: {r['reason']} | | | | |")
            continue
        identical = {True: "yes", False: "**no**", None: "n/a"}[r.get("identical_labels")]
        speedup = f"{r['speedup_vs_reference']:.2f}×" if "speedup_vs_reference" in r else "n/a"
        diff = _inertia_diff(r["rel_inertia_diff"]) if "rel_inertia_diff" in r else "n/a"
        lines.append(
            f"{head} {_seconds(r['best_s'])} | {speedup} | {r['n_iter']} | {identical} | {diff} |"
        )
    return "\n".join(lines)


def memory_table(records):
    lines = [
        "| library | algorithm | X (MiB) | peak extra memory of the fit (MiB) "
        "| vs scikit-learn lloyd | fit time in the child (s) |",
        "|:---|:---|---:|---:|---:|---:|",
    ]
    for r in records:
        if r["status"] != "ok":
            lines.append(
                f"| {r['library']} | {r['algorithm']} | {r['status']}: {r['reason']} | | | |"
            )
            continue
        ratio = f"{r['ratio_vs_reference']:.2f}×" if "ratio_vs_reference" in r else "n/a"
        lines.append(
            f"| {r['library']} | {r['algorithm']} | {r['data_bytes'] / 2**20:.1f} | "
            f"{r['fit_extra_bytes'] / 2**20:.1f} | {ratio} | {_seconds(r['seconds'])} |"
        )
    return "\n".join(lines)


def startup_table(records):
    lines = [
        "| library | algorithm | import (s) | first fit, cold cache (s) "
        "| first fit, warm cache (s) | whole process, cold (s) | whole process, warm (s) |",
        "|:---|:---|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        cold, warm = r["cold"], r["warm"]
        lines.append(
            f"| {r['library']} | {r['algorithm']} | {warm['import_s']:.2f} | "
            f"{cold['first_fit_s']:.2f} | {warm['first_fit_s']:.2f} | "
            f"{cold['process_s']:.2f} | {warm['process_s']:.2f} |"
        )
    return "\n".join(lines)


SWEEP_AXES = {
    "n": ("n", "number of samples n"),
    "k": ("k", "number of clusters k"),
    "d": ("d", "number of features d"),
}


def plot_sweep(records, section, title, path):
    """Time against the swept size, one line per peer, log-log; PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key, label = SWEEP_AXES[section]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    for peer in dict.fromkeys(r["peer"] for r in records):
        points = sorted(
            (r[key], r["best_s"]) for r in records if r["peer"] == peer and r["status"] == "ok"
        )
        if not points:
            continue
        style = "-" if peer.startswith("kmeans_core") else "--"
        axes.plot(*zip(*points), style, marker="o", markersize=4, label=peer)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(label)
    axes.set_ylabel("fit time (s), best of repeats")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_outputs(report, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = report["settings"]
    md = [
        "# K-Means benchmark: kmeans_core and its peers",
        "",
        f"Machine: {report['machine']}.",
        f"Threads: {', '.join(f'{k} {v}' for k, v in report['threads'].items())}.",
        "",
        f"Every fit: the same data (Gaussian blobs, `make_data` of benchmarks/compare_lloyd.py), "
        f"the same init array, `n_init=1`, `tol={settings['tol']:g}`, "
        f"`max_iter={settings['max_iter']}`; time = best of {settings['repeat']} "
        f"fit{'s' if settings['repeat'] > 1 else ''} after a warm-up (compile time is in the "
        "startup table). Labels and inertia are compared with scikit-learn's lloyd on the same "
        "case."
        + (
            " faiss has no `tol`: it runs as many iterations as scikit-learn's lloyd "
            "needed, in float32."
            if any(p["library"] == "faiss" for p in report["peers"])
            else ""
        ),
    ]
    sweeps = report["sweeps"]
    if report["grid"]:
        md += ["", "## The core grid", "", timing_table(report["grid"])]
    if report.get("off_grid"):
        md += [
            "",
            "## Off the hand-picked grid: tiny, wide, float32, high k",
            "",
            "float32 labels are compared with scikit-learn's lloyd on the same float32 data; "
            "the two may differ where scikit-learn's own float32 and float64 runs do.",
            "",
            timing_table(report["off_grid"], dtype_column=True),
        ]
    for section, (key, _label) in SWEEP_AXES.items():
        if sweeps.get(section):
            fixed = ", ".join(
                f"{axis}={value:,}"
                for axis, value in zip("ndk", (sweeps[section][0][a] for a in "ndk"))
                if axis != key
            )
            title = f"Time against {key} ({fixed})"
            png = f"time_vs_{key}.png"
            md += ["", f"## {title}", ""]
            if any(r["status"] == "ok" for r in sweeps[section]):
                plot_sweep(
                    sweeps[section], section, f"{title}\n{report['machine_short']}", out_dir / png
                )
                md += [f"![{title}]({png})", ""]
            md.append(timing_table(sweeps[section]))
    if report["memory"]:
        n, d, k = (report["memory"][0][a] for a in "ndk")
        md += [
            "",
            f"## Peak memory of one fit (n={n:,}, d={d}, k={k})",
            "",
            "Each library fits in a fresh process, after loading X; the figure is the peak "
            "resident memory during the fit minus the resident memory just before it "
            f"({report['memory'][0].get('method', 'see comparison.json')}), so X itself is "
            "not counted and the copy a fit makes is. RSS, not tracemalloc, because "
            "tracemalloc misses numba's and scikit-learn's native allocations.",
            "",
            memory_table(report["memory"]),
        ]
    if report["startup"]:
        n, d, k = STARTUP_FIT
        md += [
            "",
            f"## Startup (fresh process; first fit n={n:,}, d={d}, k={k})",
            "",
            "Cold: `NUMBA_CACHE_DIR` points at an empty directory, so every kernel the fit "
            "needs is compiled. Warm: a second process with the same directory. Import time "
            "is the warm process's (numpy is imported before the clock starts). scikit-learn "
            "has no JIT: its cold/warm columns are just its first and second process.",
            "",
            startup_table(report["startup"]),
        ]
    minibatch = report.get("minibatch")
    if minibatch:
        md += [
            "",
            "## MiniBatchKMeans: kmeans_core against scikit-learn",
            "",
            "The cases and method of `benchmarks/bench_minibatch.py`: data from "
            "`make_blobs(n, d, centers=k, cluster_std=2, random_state=0)`, default parameters, "
            "`random_state=0`, both libraries on their default threads in this process. Fit: "
            "median of the repeats (wall clock); same centers = bitwise equal "
            "`cluster_centers_`.",
            "",
            minibatch_fit_table(minibatch["fit"]),
        ]
        if minibatch["partial_fit"]:
            n_batches = minibatch["partial_fit"][0]["n_batches"]
            md += [
                "",
                f"`partial_fit`: median time per call over {n_batches - 1} calls after the "
                "first (the init call).",
                "",
                minibatch_partial_fit_table(minibatch["partial_fit"]),
            ]
    if report["errors"]:
        md += ["", "## Errors", ""] + [f"- {e}" for e in report["errors"]]
    (out_dir / "comparison.md").write_text("\n".join(md) + "\n")
    (out_dir / "comparison.json").write_text(
        json.dumps(report, indent=1, default=_json_default) + "\n"
    )


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description="Compare kmeans_core with scikit-learn (and faiss / scikit-learn-intelex "
        "when installed): Markdown table, JSON and PNG plots.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, one repeat: a smoke run of every section (~1 min)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: benchmarks/results, or a temporary folder with --quick)",
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="fits per case; the best is reported (default 3, 1 with --quick)",
    )
    parser.add_argument("--max-iter", type=int, default=MAX_ITER)
    parser.add_argument("--tol", type=float, default=TOL)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=1800.0,
        help="wall-clock budget of the timing sections (grid, n, k, d), in "
        "seconds (default 1800); fits not started when it is spent are "
        "listed as skipped. 0 or less: no budget",
    )
    parser.add_argument(
        "--max-fit-seconds",
        type=float,
        default=60.0,
        help="a peer whose single fit takes longer is timed once and skipped "
        "at the larger cases of that sweep (default 60)",
    )
    parser.add_argument(
        "--no-optional",
        action="store_true",
        help="leave out faiss and scikit-learn-intelex even when installed",
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    args.sections = sections
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, args.data_dir, args.max_iter, args.tol)
        return 0

    sizes = QUICK if args.quick else FULL
    args.repeat = args.repeat or sizes.repeat
    out_dir = args.out or (
        Path(tempfile.mkdtemp(prefix="kmeans_compare_quick_")) if args.quick else RESULTS_DIR
    )
    peers = all_peers(optional=not args.no_optional)
    machine = machine_description()
    extra = library_versions()
    if extra:
        machine += ", " + ", ".join(f"{name} {version}" for name, version in extra.items())
    print(f"Machine: {machine}")
    print(f"Peers: {', '.join(p.name for p in peers)}")
    started = time.perf_counter()
    warm_up(peers)

    report = {
        "machine": machine,
        "machine_short": machine.split(", Python")[0],
        "threads": thread_counts(),
        "settings": {
            "quick": args.quick,
            "tol": args.tol,
            "max_iter": args.max_iter,
            "repeat": args.repeat,
            "timing": "min of repeat (median also saved)",
            "init": "k rows of X drawn with seed 0",
            "n_init": 1,
            "max_seconds": args.max_seconds,
            "max_fit_seconds": args.max_fit_seconds,
            "reference": REFERENCE,
        },
        "peers": [{"name": p.name, "library": p.library, "algorithm": p.algorithm} for p in peers],
        "grid": [],
        "off_grid": [],
        "sweeps": {},
        "memory": [],
        "startup": [],
        "minibatch": {},
        "errors": [],
    }
    budget = Budget(args.max_seconds if args.max_seconds > 0 else None)
    if "grid" in args.sections:
        print("Core grid")
        report["grid"] = run_timings("grid", sizes.grid, peers, args, budget, growing=False)
    if "offgrid" in args.sections:
        print("Off the hand-picked grid")
        report["off_grid"] = run_timings(
            "offgrid", sizes.off_grid, peers, args, budget, growing=False
        )
    n_values, n_d, n_k = sizes.n_sweep
    k_n, k_d, k_values = sizes.k_sweep
    d_n, d_values, d_k = sizes.d_sweep
    sweep_cases = {
        "n": [(n, n_d, n_k) for n in n_values],
        "k": [(k_n, k_d, k) for k in k_values],
        "d": [(d_n, d, d_k) for d in d_values],
    }
    for section, cases in sweep_cases.items():
        if section in args.sections:
            print(f"Time against {section}")
            report["sweeps"][section] = run_timings(
                section, cases, peers, args, budget, growing=True
            )
    if "memory" in args.sections:
        print("Peak memory")
        report["memory"] = run_memory(sizes.memory_case, peers, args)
    if "startup" in args.sections:
        print("Startup")
        from kmeans_core._kmeans import ALGORITHMS

        report["startup"] = run_startup(ALGORITHMS)
    if "minibatch" in args.sections:
        print("MiniBatchKMeans")
        report["minibatch"] = run_minibatch(args)

    all_records = (
        report["grid"] + report["off_grid"] + sum(report["sweeps"].values(), []) + report["memory"]
    )
    report["errors"] = [
        f"{r['section']} n={r['n']} d={r['d']} k={r['k']} {r['peer']}: {r['reason']}"
        for r in all_records
        if r["status"] == "error"
    ]
    report["elapsed_s"] = time.perf_counter() - started
    write_outputs(report, out_dir)
    print(
        f"Wrote {out_dir / 'comparison.md'}, comparison.json and the plots "
        f"({report['elapsed_s']:.0f} s)."
    )
    if report["errors"]:
        print("Errors:\n  " + "\n  ".join(report["errors"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
