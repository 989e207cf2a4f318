"""Shared test fixtures and the tolerances every test uses (stated once, with the reason)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (derandomize), so the test
# command gives the same verdict on every machine and CI cannot fail on a new
# random draw. To search further, HYPOTHESIS_PROFILE=explore draws fresh random
# examples, 40 times as many; pin what it finds with @example.
settings.register_profile("default", derandomize=True, database=None, max_examples=50)
settings.register_profile("explore", derandomize=False, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# float64: our sums are accumulated in a different (fixed, chunked) order from
# scikit-learn's per-thread sums, so centers and inertia agree to rounding
# (~1e-15 relative); 1e-9 leaves room for the ~40 iterations that compound it.
RTOL_FLOAT64 = 1e-9
# float32: scikit-learn accumulates centers and inertia in float32 (relative
# error up to ~n * 6e-8); ours accumulates in float64.
RTOL_FLOAT32 = 1e-4

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def rtol_for(dtype):
    return RTOL_FLOAT64 if np.dtype(dtype) == np.float64 else RTOL_FLOAT32


@pytest.fixture
def mall_customers_path():
    """The real Mall Customers table from ../shared/data, or skip when it is absent."""
    path = SHARED_DATA / "Mall_Customers.csv"
    if not path.is_file():
        pytest.skip(f"shared data not present: {path}")
    return path


def make_blobs(n, d, k, seed=0, dtype=np.float64, spread=3.0):
    """Gaussian blobs around k random centers, with unequal feature scales."""
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-spread * k, spread * k, size=(max(k, 1), d))
    X = centers[rng.randint(max(k, 1), size=n)] + rng.standard_normal((n, d)) * rng.uniform(
        0.5, 2, d
    )
    return X.astype(dtype)


WORKER_MEMORY_LIMIT = 400 * 2**20


@contextlib.contextmanager
def _local_cluster_client(memory_limit, memory_policy):
    """A real ``distributed.LocalCluster`` (two worker processes, one thread each) and its client."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with (
        # No work stealing: a stolen task runs where its block's labels are not kept,
        # which changes nothing in the answer but makes the tests that count
        # recomputed labels depend on timing.
        dask.config.set(
            {
                "distributed.scheduler.allowed-failures": 5,
                "distributed.scheduler.work-stealing": False,
                **memory_policy,
            }
        ),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            # A random port: dashboard_address=None still binds the scheduler's
            # HTTP server to 8787, and another cluster on the machine may hold it.
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two single-threaded worker processes with room to compile and fit.

    2 GiB a worker: on a fresh machine a worker compiles numba kernels for
    each new kind of task (a burst of a few hundred MB on top of its ~250 MB
    baseline); a tighter limit paused the workers for good in the middle of
    a fit. The out-of-core test has its own memory-limited cluster.
    """
    with _local_cluster_client(2 * 2**30, {}) as dask_client:
        yield dask_client


@pytest.fixture
def small_memory_client():
    """Workers limited to ``WORKER_MEMORY_LIMIT`` (400 MiB): for data several times that size.

    A worker's baseline (Python, NumPy, numba, distributed, zarr) is ~250 MB
    of it: no spilling, pausing only near the limit, and the nanny still
    kills a worker that passes 95% of it, so a fit that gathered the data
    would fail.
    """
    memory_policy = {
        "distributed.worker.memory.target": False,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": 0.85,
    }
    with _local_cluster_client(WORKER_MEMORY_LIMIT, memory_policy) as dask_client:
        yield dask_client
