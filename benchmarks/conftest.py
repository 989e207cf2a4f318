"""The pytest-benchmark suite's sizes, data and warm-up.

Two sizes, chosen with ``--bench-size`` (or the ``KMEANS_BENCH_SIZE``
environment variable; the option wins):

``quick`` (default)  every case on tiny data: a smoke test that keeps the suite
                     from rotting (``pytest benchmarks/ --benchmark-disable``,
                     well under a minute).
``full``             the core issue's grid and real sizes, for timing
                     (``pytest benchmarks/ --bench-size=full --benchmark-only``).

Each case is one benchmark group holding kmeans_core (every algorithm of
``kmeans_core._kmeans.ALGORITHMS``) and scikit-learn, so pytest-benchmark's
own table compares them. Every fit uses the same data and init array,
``n_init=1`` (except the ``n_init=10`` case), ``tol`` and a fixed
``max_iter``. Compile time stays out of the timings: a session fixture fits
every library on small data first, and each benchmark runs one warm-up round
before its timed rounds; compile time is measured on its own in
``test_bench_startup.py``.

Every test here carries the ``bench`` marker, so ``-m "not bench"`` leaves the
suite out of a mixed run.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import numpy as np
import pytest

from benchmarks.compare import (
    CORE_GRID,
    OFF_GRID,
    QUICK_GRID,
    QUICK_OFF_GRID,
    kmeans_core_peers,
    optional_peers,
    sklearn_peers,
    warm_up,
)
from benchmarks.compare_lloyd import make_data
from kmeans_core._kmeans import ALGORITHMS

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BENCHMARKS_DIR = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class SuiteSizes:
    grid: list  # (n, d, k) of the fit, seeding, predict and wcss cases
    off_grid: list  # (n, d, k, dtype): tiny, wide, float32, high k (issue 20)
    n_init_case: tuple  # (n, d, k) of the full n_init=10 fit
    rounds: int  # timed rounds per benchmark (after one warm-up round)
    startup_rounds: int  # fresh processes per startup benchmark
    startup_algorithms: int  # how many of ALGORITHMS (from the first) get first-fit cases


SUITE_SIZES = {
    "quick": SuiteSizes(
        grid=QUICK_GRID,
        off_grid=QUICK_OFF_GRID,
        n_init_case=(2_000, 16, 16),
        rounds=3,
        startup_rounds=1,
        startup_algorithms=1,
    ),
    "full": SuiteSizes(
        grid=CORE_GRID,
        off_grid=OFF_GRID,
        n_init_case=(200_000, 16, 16),
        rounds=5,
        startup_rounds=3,
        startup_algorithms=len(ALGORITHMS),
    ),
}


def pytest_addoption(parser):
    group = parser.getgroup("kmeans_core benchmarks")
    group.addoption(
        "--bench-size",
        choices=sorted(SUITE_SIZES),
        default=None,
        help="quick: tiny data, a smoke test (default); full: the real sizes. "
        "Default from $KMEANS_BENCH_SIZE, else quick.",
    )
    group.addoption(
        "--bench-rounds",
        type=int,
        default=None,
        help="timed rounds per benchmark (default: 3 quick, 5 full)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "bench: a kmeans_core benchmark (benchmarks/); deselect with -m 'not bench'"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BENCHMARKS_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.bench)


def _size_name(config):
    name = config.getoption("--bench-size") or os.environ.get("KMEANS_BENCH_SIZE", "quick")
    if name not in SUITE_SIZES:
        raise pytest.UsageError(
            f"KMEANS_BENCH_SIZE must be one of {sorted(SUITE_SIZES)}, got {name!r}"
        )
    return name


def suite_sizes(config) -> SuiteSizes:
    return SUITE_SIZES[_size_name(config)]


def estimator_peers():
    """Peers with scikit-learn's estimator API: ours, scikit-learn's, sklearnex when installed."""
    return [
        peer
        for peer in kmeans_core_peers() + sklearn_peers() + optional_peers()
        if peer.make_estimator is not None
    ]


def case_id(case):
    n, d, k = case[:3]
    return f"n={n}-d={d}-k={k}" + (f"-{case[3]}" if len(case) > 3 else "")


def case_group(what, case):
    n, d, k = case
    return f"{what} n={n:,} d={d} k={k}"


def startup_cases(sizes):
    """(library, algorithm) pairs of the first-fit startup cases.

    A cold start compiles every kernel a fit needs (seconds each), so the
    quick size keeps only the first algorithm; scikit-learn is always there.
    """
    ours = ALGORITHMS[: sizes.startup_algorithms]
    return [("kmeans_core", algorithm) for algorithm in ours] + [("scikit-learn", "lloyd")]


def pytest_generate_tests(metafunc):
    """Parametrise ``case`` (the grid of the chosen size) and ``peer``, case outermost.

    Also ``cold_start`` / ``warm_start``: the (library, algorithm) pairs of the
    startup cases.
    """
    sizes = suite_sizes(metafunc.config)
    for cache in ("cold", "warm"):
        name = f"{cache}_start"
        if name in metafunc.fixturenames:
            cases = startup_cases(sizes)
            metafunc.parametrize(name, cases, ids=[f"{lib}-{alg}" for lib, alg in cases])
    if "off_grid_case" in metafunc.fixturenames:
        cases = sizes.off_grid
        if "peer" in metafunc.fixturenames:
            pairs = [(case, peer) for case in cases for peer in estimator_peers()]
            metafunc.parametrize(
                "off_grid_case, peer", pairs, ids=[f"{case_id(c)}-{p.test_id}" for c, p in pairs]
            )
        else:
            metafunc.parametrize("off_grid_case", cases, ids=[case_id(c) for c in cases])
    elif "case" in metafunc.fixturenames and "peer" in metafunc.fixturenames:
        pairs = [(case, peer) for case in sizes.grid for peer in estimator_peers()]
        metafunc.parametrize(
            "case, peer", pairs, ids=[f"{case_id(c)}-{p.test_id}" for c, p in pairs]
        )
    elif "peer" in metafunc.fixturenames:
        peers = estimator_peers()
        metafunc.parametrize("peer", peers, ids=[p.test_id for p in peers])
    elif "case" in metafunc.fixturenames:
        metafunc.parametrize("case", sizes.grid, ids=[case_id(c) for c in sizes.grid])


@pytest.fixture(scope="session")
def sizes(request) -> SuiteSizes:
    return suite_sizes(request.config)


@pytest.fixture(scope="session")
def rounds(request, sizes) -> int:
    return request.config.getoption("--bench-rounds") or sizes.rounds


@pytest.fixture
def timed(benchmark, rounds):
    """``timed(group, function, **extra_info)``: one warm-up call, then ``rounds`` timed calls.

    Returns the function's last result. pytest-benchmark's pedantic mode keeps
    the number of calls fixed, so the full run's cost is bounded; with
    ``--benchmark-disable`` the function runs exactly once.
    """

    def run(group, function, *, setup=None, warmup_rounds=1, rounds=rounds, **extra_info):
        benchmark.group = group
        benchmark.extra_info.update(extra_info)
        return benchmark.pedantic(
            function, setup=setup, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1
        )

    return run


@pytest.fixture
def data(case):
    """(X, init) of the test's ``case``."""
    return blobs(*case)


@pytest.fixture
def off_grid_data(off_grid_case):
    """(X, init) of the test's off-grid case, in its dtype."""
    n, d, k, dtype = off_grid_case
    X, init = blobs(n, d, k)
    return X.astype(dtype, copy=False), init.astype(dtype, copy=False)


@pytest.fixture
def n_init_data(sizes):
    """((n, d, k), X) of the n_init=10 case."""
    X, _ = blobs(*sizes.n_init_case)
    return sizes.n_init_case, X


@functools.lru_cache(maxsize=2)
def blobs(n, d, k):
    """Data and init array of a case (cached: consecutive tests share a case)."""
    return make_data(n, d, k)


@pytest.fixture(scope="session", autouse=True)
def compiled():
    """Fit every library once on small data, so no benchmark times numba's compilation."""
    warm_up(estimator_peers())
    import sklearn.cluster

    import kmeans_core

    X, init = make_data(2_000, 4, 8, seed=1)
    for plusplus in (kmeans_core.kmeans_plusplus, sklearn.cluster.kmeans_plusplus):
        plusplus(X, 8, random_state=0)
    model = kmeans_core.KMeans(8, init=init, n_init=1).fit(X)
    model.predict(X)
    kmeans_core.wcss(X, model.cluster_centers_)
    kmeans_core.wcss(X, model.cluster_centers_, model.labels_)


@pytest.fixture(scope="session")
def customers():
    """The customer data of the elbow case: (X, source), X of shape (n, 2) float64.

    Annual income and spending score of the real Mall Customers table when
    ../shared/data has it; else the synthetic table of
    ``segmentation.datasets``; else 200 seeded blobs with 2 features.
    """
    income, score = "Annual Income (k$)", "Spending Score (1-100)"
    path = SHARED_DATA / "Mall_Customers.csv"
    if path.is_file():
        import pandas as pd

        table = pd.read_csv(path)
        return table[[income, score]].to_numpy(dtype=np.float64), f"{path.name} ({len(table)} rows)"
    try:
        from segmentation.datasets import make_customers
    except ImportError:
        make_customers = None
    if make_customers is not None:
        table = make_customers(200, random_state=0)
        return (
            table[[income, score]].to_numpy(dtype=np.float64),
            "segmentation.datasets.make_customers(200, random_state=0)",
        )
    X, _ = make_data(200, 2, 5, seed=0)
    return X, "make_data(200, 2, 5) blobs"
