"""Small tables: the one-call compiled Lloyd run gives the Python loop's bits.

``lloyd_single_run`` runs inputs below ``SERIAL_BELOW_ROWS`` rows in one
kernel call (``_kernels.lloyd.lloyd_run_compiled``) and falls back to the Python
loop when a cluster empties; asking for a history forces the Python loop,
so the two can be compared on the same input. The compiled run ranks centres
either by the direct distance or by the expanded form (chosen by shape), and
some kernels a small fit calls are the serial twins of the parallel ones
(``_kernels.jit.serial``): both choices are checked for the same bits here.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from kmeans_core import KMeans, reference
from kmeans_core import _metrics as metrics
from kmeans_core._iterations import (
    _IterationBuffers,
    assign_labels,
    direct_ranking_pays,
    lloyd_single_run,
)
from kmeans_core._kernels import common, seeding
from kmeans_core._kernels.jit import n_chunks, serial


def _case(seed, dtype):
    rng = np.random.default_rng(seed)
    n_samples, n_features, n_clusters = (
        rng.integers(20, 400),
        rng.integers(1, 6),
        rng.integers(1, 9),
    )
    if seed % 3 == 0:  # integer points: exact ties, duplicates, empty clusters
        X = rng.integers(0, 4, size=(n_samples, n_features)).astype(dtype)
    else:
        X = rng.normal(size=(n_samples, n_features)) * 3 + rng.integers(0, 5, (n_samples, 1))
        X = X.astype(dtype)
    weights = (
        rng.uniform(0.5, 2.0, n_samples).astype(dtype) if seed % 2 else np.ones(n_samples, dtype)
    )
    init = X[
        rng.choice(n_samples, n_clusters, replace=seed % 5 != 0)
    ].copy()  # repeats: empty clusters
    return X, weights, init


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_run_matches_python_loop(dtype):
    for seed in range(40):
        X, weights, init = _case(seed, dtype)
        tol = 1e-4 * float(X.var(axis=0).mean()) if seed % 4 else 0.0
        compiled = lloyd_single_run(X, weights, init, 300, tol)
        python = lloyd_single_run(X, weights, init, 300, tol, history=[])
        np.testing.assert_array_equal(compiled[0], python[0])
        assert compiled[1] == python[1]
        np.testing.assert_array_equal(compiled[2], python[2])
        assert compiled[2].dtype == dtype
        assert compiled[3] == python[3]


def test_max_iter_one_stops_after_one_update():
    X, weights, init = _case(7, np.float64)
    compiled = lloyd_single_run(X, weights, init, 1, 0.0)
    python = lloyd_single_run(X, weights, init, 1, 0.0, history=[])
    assert compiled[3] == python[3] == 1
    np.testing.assert_array_equal(compiled[0], python[0])
    np.testing.assert_array_equal(compiled[2], python[2])


def test_small_fit_is_sklearns():
    from sklearn.cluster import KMeans as SklearnKMeans

    X, _, _ = _case(4, np.float64)
    for seed in range(5):
        ours = KMeans(4, random_state=seed).fit(X)
        theirs = SklearnKMeans(4, random_state=seed).fit(X)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-12)


def _compiled_run(X, weights, init, tol, direct_ranking, row_norms=None):
    n_samples, n_features = X.shape
    buffers = _IterationBuffers(n_samples, n_features, init.shape[0])
    centers = init.copy()
    labels = np.full(n_samples, -1, dtype=np.int32)
    row_norms = np.empty(0) if row_norms is None else row_norms
    n_iter = buffers.compiled_run(X, weights, row_norms, centers, labels, 300, tol, direct_ranking)
    return labels, centers, n_iter


def _row_norms(X):
    """X's row squared norms as a fit's centring makes them (float64 values, summed in order)."""
    out = np.empty(X.shape[0])
    common.row_squared_norms(X.astype(np.float64), None, out)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_direct_and_expanded_rankings_agree(dtype):
    # Both are the tie rule: the same labels, so the same sums, centers and
    # inertia; the expanded one with the rows' norms given (as a fit gives
    # them) or computed chunk by chunk.
    for seed in range(40):
        X, weights, init = _case(seed, dtype)
        tol = 1e-4 * float(X.var(axis=0).mean()) if seed % 4 else 0.0
        direct = _compiled_run(X, weights, init, tol, True)
        for row_norms in (None, _row_norms(X)):
            expanded = _compiled_run(X, weights, init, tol, False, row_norms)
            np.testing.assert_array_equal(direct[0], expanded[0])
            np.testing.assert_array_equal(direct[1], expanded[1])
            assert direct[2] == expanded[2]


def test_centring_makes_the_row_norms_the_rankings_compute():
    # ``centered_copy``'s norms are, bit for bit, what a ranking computes for
    # the centred rows (so a fit that hands them over changes no label or
    # bound): ``row_squared_norms_of_block`` on the float64 rows. Rows the
    # feature sweeps rank (at most 4 features) and tables of one chunk get none.
    from kmeans_core._iterations import centered_copy
    from kmeans_core._kernels.common import row_squared_norms_of_block, rows_as_float64

    @numba.njit
    def ranking_norms(X):
        out = np.empty(X.shape[0])
        row_squared_norms_of_block(rows_as_float64(X, 0, X.shape[0]), None, out)
        return out

    rng = np.random.default_rng(4)
    for dtype in (np.float64, np.float32):
        for n_samples, n_features in ((1025, 5), (700, 7), (3000, 7), (2500, 40), (1500, 4)):
            X = (rng.normal(size=(n_samples, n_features)) * 10.0 ** rng.uniform(-8, 8)).astype(
                dtype
            )
            X_centered, _, _, row_norms = centered_copy(X)
            if n_features <= 4 or n_samples <= 1024:
                assert row_norms.shape == (0,)
            else:
                np.testing.assert_array_equal(row_norms, ranking_norms(X_centered))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tiny_tables_label_by_the_rule(dtype):
    # ``predict`` on a tiny table ranks by the direct distance alone, above it
    # by the expanded form: both give the rule's labels (the reference's).
    from kmeans_core._iterations import squared_norms, transposed
    from kmeans_core._kernels.distances import narrow_rows
    from kmeans_core._kernels.lloyd import labels_only_partials, lloyd_pass

    direct_cases = 0
    for seed in range(40):
        X, _, centers = _case(seed, dtype)
        if seed % 2:  # 800-16,000 rows: most rank by the expanded form
            X = np.tile(X, (40, 1))
        n_samples, n_features = X.shape
        direct_cases += direct_ranking_pays(n_samples, n_features, centers.shape[0])
        labels = assign_labels(X, centers)
        expanded = np.full(n_samples, -1, dtype=np.int32)
        serial(lloyd_pass)(
            X,
            np.ones(n_samples, dtype=dtype),
            np.empty(0),
            transposed(centers),
            squared_norms(centers),
            expanded,
            labels_only_partials(n_chunks(n_samples, 1024), 1024),
            False,
            narrow_rows(n_features),
        )
        np.testing.assert_array_equal(labels, reference.assign(X, centers))
        np.testing.assert_array_equal(labels, expanded)
    assert 10 < direct_cases < 40  # both paths were taken


@pytest.mark.parametrize("n_samples", [1, 100, 1024, 3000])
@pytest.mark.parametrize("n_features", [1, 3, 7])
def test_serial_twins_give_the_parallel_bits(n_samples, n_features):
    rng = np.random.default_rng(n_samples + n_features)
    X = rng.normal(size=(n_samples, n_features)) * 30
    chunks = n_chunks(n_samples)
    X32 = X.astype(np.float32)
    candidates = X32[rng.integers(0, n_samples, 4)].astype(np.float64)
    calls = {
        common.column_sums_per_chunk: lambda: (X, np.empty((chunks, n_features))),
        common.center_into: lambda: (
            X,
            X[0].copy(),
            np.empty_like(X),
            *(np.empty((chunks, n_features)) for _ in range(3)),
        ),
        common.row_squared_norms: lambda: (X, None, np.empty(n_samples)),
        # The silhouette's twin runs up to one chunk of rows (3 clusters, sorted).
        metrics.silhouette_sorted: lambda: (
            np.ascontiguousarray(X.T),
            np.sort(np.arange(n_samples) % 3),
            np.searchsorted(np.sort(np.arange(n_samples) % 3), np.arange(4)).astype(np.int64),
            np.empty(n_samples),
            metrics.silhouette_scratch(n_samples, n_features, 3),
        ),
        seeding.float32_candidate_distances: lambda: (
            X32,
            seeding._upcast_squared_norms(X32),
            np.ascontiguousarray(candidates.T),
            np.einsum("ij,ij->i", candidates, candidates),
            np.full(n_samples, np.inf, dtype=np.float32),
            np.empty((4, n_samples), dtype=np.float32),
        ),
    }
    for kernel, arguments in calls.items():
        parallel, twin = arguments(), arguments()
        kernel(*parallel)
        serial(kernel)(*twin)
        for a, b in zip(parallel, twin):
            if isinstance(a, tuple):
                continue  # scratch buffers
            np.testing.assert_array_equal(a, b, err_msg=kernel.__name__)


def test_no_serial_twin_for_relaxed_arithmetic():
    with pytest.raises(ValueError, match="exact_scoring_pass"):
        serial(seeding.exact_scoring_pass)
    # ... unless the caller says it accepts other last bits (k-means++ on tiny tables).
    assert serial(seeding.exact_scoring_pass, relaxed=True) is not seeding.exact_scoring_pass


@pytest.mark.parametrize("n_features", [2, 7])
def test_serial_lloyd_pass_gives_the_parallel_bits(n_features):
    # ``predict`` on small inputs runs ``serial(lloyd_pass)``; fits run the parallel pass.
    from kmeans_core._iterations import squared_norms, transposed
    from kmeans_core._kernels.distances import narrow_rows
    from kmeans_core._kernels.lloyd import ChunkPartials, lloyd_pass

    rng = np.random.default_rng(n_features)
    X = rng.normal(size=(3000, n_features))
    weights = rng.uniform(0.5, 2.0, 3000)
    centers = X[:6].copy()
    results = []
    for kernel in (lloyd_pass, serial(lloyd_pass)):
        chunks = n_chunks(3000, 512)
        partials = ChunkPartials(
            np.empty((chunks, 6, n_features)),
            np.empty((chunks, 6)),
            np.empty(chunks),
            np.empty(chunks, dtype=np.int64),
            512,
        )
        labels = np.full(3000, -1, dtype=np.int32)
        arguments = (transposed(centers), squared_norms(centers), labels, partials)
        kernel(X, weights, _row_norms(X), *arguments, True, narrow_rows(n_features))
        results.append((labels, *partials[:4]))
    for parallel, twin in zip(*results):
        np.testing.assert_array_equal(parallel, twin)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n_features", "compiled", "not_compiled"),
    [
        (2, "nearest_two_by_feature_sweeps", "nearest_centers_of_cross"),
        (8, "nearest_centers_of_cross", "nearest_two_by_feature_sweeps"),
    ],
)
def test_fits_compile_one_ranking_once(tmp_path, n_features, compiled, not_compiled):
    # A fresh process with an empty numba cache: Lloyd's small-table run
    # (10,000 rows: beyond the tables the direct distance ranks,
    # ``direct_ranking_pays``) and the parallel passes of Lloyd and Hamerly
    # (20,000 rows) compile the ranking the width needs and not the other
    # (both cost seconds); and the kernels a ``prange`` body calls with its
    # chunk index compile once, for an int64 index (``chunk_index``), not
    # again for the uint64 index numba gives the body's parallel function.
    import os
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from kmeans_core import KMeans\n"
        "from kmeans_core._kernels import bounds, distances, lloyd\n"
        f"X = np.random.default_rng(0).normal(size=(20_000, {n_features}))\n"
        "KMeans(5, algorithm='lloyd', random_state=0).fit(X[:10_000])\n"
        "for algorithm in ('lloyd', 'hamerly'):\n"
        "    KMeans(5, algorithm=algorithm, random_state=0).fit(X)\n"
        f"print(len(distances.{compiled}.signatures), len(distances.{not_compiled}.signatures))\n"
        "for kernel in (lloyd.lloyd_chunk, lloyd.add_slot_to_chunk, bounds.refresh_chunk_sums):\n"
        "    print(len(kernel.signatures), sum('uint64' in str(s) for s in kernel.signatures))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), KMEANS_CORE_DISABLE_CACHE="1")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    lines = [line.split() for line in done.stdout.strip().splitlines()]
    assert int(lines[0][0]) >= 1 and lines[0][1] == "0"
    for compiled_count, unsigned in lines[1:]:
        assert int(compiled_count) >= 1 and unsigned == "0"


# --- One chunk of rows: twins and the one-call k-means++ -------------------------


def _bits(values):
    """The float64 bits of ``values`` (``assert_array_equal`` takes -0.0 for 0.0)."""
    return np.asarray(values, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("n_samples", [1, 2, 100, 1023, 1024])
@pytest.mark.parametrize("n_features", [1, 3, 4, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_chunk_twins_give_the_kernels_bits(n_samples, n_features, dtype):
    from kmeans_core._kernels.jit import for_one_chunk

    rng = np.random.default_rng(n_samples * 10 + n_features)
    X = (rng.normal(size=(n_samples, n_features)) * 30).astype(dtype)
    X[rng.random((n_samples, n_features)) < 0.2] = -0.0  # x - 0.0 must keep a -0.0
    twin = for_one_chunk(common.column_sums_per_chunk, n_samples)
    assert twin is common.column_sums_of_one_chunk
    kernel_sums, twin_sums = np.full((1, n_features), np.nan), np.full((1, n_features), np.nan)
    common.column_sums_per_chunk(X, kernel_sums)
    twin(X, twin_sums)
    np.testing.assert_array_equal(_bits(kernel_sums), _bits(twin_sums))

    # The inertia's twin against the serial twin it replaces (relaxed sums:
    # the parallel kernel may differ in the last bit, ``_iterations.inertia_kernel``).
    centers = X[rng.integers(0, n_samples, 3)].copy()
    labels = rng.integers(0, 3, n_samples).astype(np.int32)
    weights = rng.uniform(0.5, 2.0, n_samples).astype(dtype)
    twin = for_one_chunk(common.inertia_per_chunk, n_samples, relaxed=True)
    assert twin is common.inertia_of_one_chunk
    kernel_inertia, twin_inertia = np.full(1, np.nan), np.full(1, np.nan)
    serial(common.inertia_per_chunk, relaxed=True)(
        X, None, weights, centers, labels, kernel_inertia
    )
    twin(X, None, weights, centers, labels, twin_inertia)
    np.testing.assert_array_equal(_bits(kernel_inertia), _bits(twin_inertia))


def test_one_chunk_twins_only_up_to_one_chunk():
    from kmeans_core._kernels.jit import CHUNK_ROWS, for_one_chunk

    assert for_one_chunk(common.inertia_per_chunk, CHUNK_ROWS, relaxed=True) is (
        common.inertia_of_one_chunk
    )
    beyond = for_one_chunk(common.inertia_per_chunk, CHUNK_ROWS + 1, relaxed=True)
    assert beyond is common.inertia_per_chunk
    assert for_one_chunk(common.column_sums_per_chunk, CHUNK_ROWS + 1) is (
        common.column_sums_per_chunk
    )


def test_column_sums_twin_signed_zero_totals():
    # A column of -0.0 sums to +0.0 from 0.0 (the kernel's start); the twin
    # about a zero mean must not give -0.0 (its mean would centre -0.0 to 0.0).
    X = np.array([[-0.0, 1.0], [-0.0, -1.0]])
    for n_features in (2, 1):
        part = np.ascontiguousarray(X[:, :n_features])
        kernel_sums, twin_sums = np.empty((1, n_features)), np.empty((1, n_features))
        common.column_sums_per_chunk(part, kernel_sums)
        common.column_sums_of_one_chunk(part, twin_sums)
        np.testing.assert_array_equal(_bits(kernel_sums), _bits(twin_sums))
        assert not np.signbit(twin_sums).any()


def test_potential_of_rows_is_the_scoring_pass_sum():
    # The one-call k-means++ sums a candidate's potential with its own copy of
    # ``exact_scoring_pass``'s relaxed loop: the same bits, at every length
    # (vector lanes and remainders).
    rng = np.random.default_rng(3)
    for n_samples in (1, 2, 3, 5, 8, 13, 31, 64, 100, 257, 999, 1024):
        for n_features in (1, 2, 3, 4):
            X = rng.normal(size=(n_samples, n_features)) * rng.uniform(0.1, 100)
            weights = rng.uniform(0, 3, n_samples)
            closest = rng.uniform(0, 50, n_samples)
            winner = X[rng.integers(n_samples)].copy()
            candidates = X[rng.integers(0, n_samples, 3)]
            chunk_potentials = np.empty((1, 3))
            applied = closest.copy()
            serial(seeding.exact_scoring_pass, relaxed=True)(
                X, weights, applied, winner, candidates, chunk_potentials
            )
            rows_t = np.ascontiguousarray(X.T)
            squared = np.empty(n_samples)
            seeding._squared_distances_of_rows(rows_t, winner, squared)
            ours = np.minimum(closest, squared)
            np.testing.assert_array_equal(ours, applied)
            for t in range(3):
                seeding._squared_distances_of_rows(rows_t, candidates[t], squared)
                potential = seeding._potential_of_rows(weights, ours, squared)
                assert _bits(potential) == _bits(chunk_potentials[0, t])


def _seeding_tables(n_tables):
    # Small float64 tables of every kind k-means++ meets, many degenerate:
    # exact ties, duplicates, k close to n, zero weights, scales 1e-8..1e8.
    rng = np.random.RandomState(12345)
    for case in range(n_tables):
        n = int(rng.choice([1, 2, 3, 5, 10, 50, 200, 999, 1000, 1023, 1024, rng.randint(1, 1025)]))
        n_features = int(rng.randint(1, 5))
        kind = case % 5
        if kind == 0:
            X = rng.standard_normal((n, n_features))
        elif kind == 1:
            X = rng.randint(0, 4, (n, n_features)).astype(float)
        elif kind == 2:
            X = rng.standard_normal((n, n_features)) * 10.0 ** rng.randint(-8, 9)
        elif kind == 3:
            X = np.repeat(rng.standard_normal((max(1, n // 7), n_features)), 7, axis=0)[:n]
            if X.shape[0] < n:
                X = np.vstack([X, rng.standard_normal((n - X.shape[0], n_features))])
        else:
            X = rng.uniform(-1, 1, (n, n_features)) + 1e3
        X = np.ascontiguousarray(X - X.mean(axis=0))
        n_clusters = int(rng.randint(1, min(n, 40) + 1))
        if case % 3 == 0:
            weights = np.ones(n)
        elif case % 3 == 1:
            weights = rng.uniform(0, 3, n)
        else:
            weights = rng.randint(0, 3, n).astype(float)
            if weights.sum() == 0:
                weights[0] = 1.0
        trials = 2 + int(np.log(n_clusters)) if case % 4 else int(rng.randint(1, 6))
        yield X, n_clusters, weights, trials, int(rng.randint(2**31))


def test_one_call_kmeans_plusplus_chooses_the_scorers_seeds():
    # Every seed of the one-call kernel is the chunked scorer's, and the
    # random stream is left where the scorer leaves it. Among these tables,
    # a strict (unrelaxed) rewrite of the potentials chose other seeds on 4
    # (ties but for rounding, k close to n): this test catches that.
    for X, n_clusters, weights, trials, seed in _seeding_tables(600):
        one_call, chunked = np.random.RandomState(seed), np.random.RandomState(seed)
        centers, indices = seeding._greedy_kmeans_plusplus_float64(
            X, n_clusters, weights, one_call, trials, None
        )
        expected_centers, expected = seeding._greedy_kmeans_plusplus_float64(
            X, n_clusters, weights, chunked, trials, None, one_call=False
        )
        np.testing.assert_array_equal(indices, expected)
        np.testing.assert_array_equal(centers, expected_centers)
        assert one_call.random_sample() == chunked.random_sample()


def test_one_call_kmeans_plusplus_first_seed_is_numpy_choice():
    rng = np.random.RandomState(1)
    for trial in range(200):
        n = rng.randint(1, 1025)
        weights = rng.uniform(0, 3, n) if trial % 2 else np.ones(n)
        if trial % 5 == 0:
            weights[rng.randint(n) : rng.randint(n) + 200] = 0.0
            weights[rng.randint(n)] = 1.0
        seed = rng.randint(2**30)
        X = np.random.RandomState(seed).standard_normal((n, 2))
        expected = np.random.RandomState(seed).choice(n, p=weights / weights.sum())
        _, indices = seeding.greedy_kmeans_plusplus(X, 1, weights, np.random.RandomState(seed))
        assert indices[0] == expected


@pytest.mark.slow
@pytest.mark.parametrize("n_features, n_clusters", [(2, 3), (2, 5), (8, 8), (16, 4)])
def test_a_small_first_fit_compiles_no_chunked_seeding_or_twins(tmp_path, n_features, n_clusters):
    # A fresh process with an empty numba cache: a first fit on 1,000 rows
    # compiles the one-call k-means++ and none of the kernels it replaces,
    # nor the twins that one-chunk twins stand in for, nor an expanded
    # ranking (the compiled run ranks by the direct distance).
    import ast
    import os
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from kmeans_core import KMeans\n"
        "from kmeans_core._kernels import common, jit, lloyd, seeding\n"
        f"X = np.random.default_rng(0).normal(size=(1000, {n_features}))\n"
        f"KMeans({n_clusters}, n_init=1, random_state=0).fit(X)\n"
        "print(len(seeding.one_chunk_kmeans_plusplus.signatures))\n"
        "print(sorted(twin.py_func.__name__ for twin in jit._SERIAL_TWINS.values()))\n"
        "for kernel in (seeding.exact_search, seeding._weighted_draw, common.n_distinct_labels,\n"
        "               seeding.expanded_search, lloyd.lloyd_chunk):\n"
        "    print(kernel.__name__, len(kernel.signatures))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), KMEANS_CORE_DISABLE_CACHE="1")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "1"
    twins = ast.literal_eval(lines[1])  # the names of the serial twins compiled
    assert "center_into_serial" in twins
    replaced = {
        "first_center_pass_serial",
        "exact_scoring_pass_serial",
        "expanded_scoring_pass_serial",
        "row_squared_norms_serial",
        "column_sums_per_chunk_serial",
        "inertia_per_chunk_serial",
    }
    assert not replaced & set(twins)
    assert lines[2:] == [
        "exact_search 0",
        "_weighted_draw 0",
        "n_distinct_labels 0",
        "expanded_search 0",
        "lloyd_chunk 0",
    ]


def test_distinct_label_count_on_either_side_of_one_chunk():
    rng = np.random.RandomState(2)
    for n in (1, 5, 1024, 1025, 3000):
        for n_clusters in (1, 3, 40):
            labels = rng.randint(0, n_clusters, n).astype(np.int32)
            labels[labels == n_clusters - 1] = 0  # one cluster left empty when k > 1
            expected = len(np.unique(labels))
            assert common.distinct_label_count(labels, n_clusters) == expected
            assert common.n_distinct_labels(labels, n_clusters) == expected


def test_available_memory_is_read_at_most_once_a_second(monkeypatch):
    from kmeans_core import _iterations

    readings = []
    clock = [1000.0]

    def reading():
        readings.append(clock[0])
        return 2**30 + len(readings)

    monkeypatch.setattr(_iterations, "available_memory_bytes", reading)
    monkeypatch.setattr(_iterations.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(_iterations, "_memory_reading", [-np.inf, None])
    assert _iterations.memory_budget_bytes() == (2**30 + 1) // 2
    clock[0] += 0.5
    assert _iterations.memory_budget_bytes() == (2**30 + 1) // 2  # the same reading
    assert readings == [1000.0]
    clock[0] += 0.6
    assert _iterations.memory_budget_bytes() == (2**30 + 2) // 2  # a fresh one
    assert readings == [1000.0, 1001.1]


@pytest.mark.slow
def test_a_python_call_of_a_ranking_after_a_fit_cached_its_overload(tmp_path):
    # A fit whose passes rank by the BLAS product compiles the ranking as an
    # overload's implementation (no wrapper for Python calls) and caches it;
    # a later process calling the same ranking's kernel from Python (an
    # internal kernel, as tests and benchmarks call them), with the same
    # argument types, must not load that entry: it crashed the interpreter
    # (signal 11) before the implementation got a name of its own.
    import os
    import subprocess
    import sys

    fit = (
        "import numpy as np\n"
        "from kmeans_core import KMeans\n"
        "X = np.random.default_rng(0).normal(size=(20_000, 300))\n"
        "KMeans(10, n_init=1, random_state=0, algorithm='lloyd').fit(X)\n"
    )
    call = (
        "import numpy as np\n"
        "from kmeans_core._kernels.distances import nearest_centers_by_cross_product\n"
        "rng = np.random.default_rng(1)\n"
        "rows, centers_t = rng.normal(size=(1024, 300)), rng.normal(size=(300, 10))\n"
        "norms = (centers_t ** 2).sum(axis=0)\n"
        "row_norms = (rows ** 2).sum(axis=1)\n"  # given, as the fit's passes give them
        "nearest = nearest_centers_by_cross_product(rows, centers_t, norms, None, row_norms)[0]\n"
        "distances = ((rows[:, :, None] - centers_t[None]) ** 2).sum(axis=1)\n"
        "print(int((nearest == distances.argmin(axis=1)).all()))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    for script in (fit, call):
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1"]


@pytest.mark.parametrize("n_features", [1, 7, 15, 16, 17, 64, 300])
@pytest.mark.parametrize("n_rows", [1, 7, 8, 9, 1024, 1030])
def test_block_row_norms_are_the_row_by_row_norms(n_features, n_rows):
    # Eight rows side by side from ROW_NORMS_SIDE_BY_SIDE_FEATURES features on,
    # one at a time below and for the rows left over: every norm summed in
    # feature order from 0.0, so bit for bit the one-row kernel's. Values
    # spread over many magnitudes, so that a different order would show.
    import numba

    rng = np.random.default_rng(n_rows * 1000 + n_features)
    rows = rng.normal(size=(n_rows, n_features)) * 10.0 ** rng.integers(-8, 9, (n_rows, n_features))

    @numba.njit
    def one_at_a_time(rows, out):
        for r in range(rows.shape[0]):
            out[r] = common.row_squared_norm(rows, None, r)

    expected, block = np.empty(n_rows), np.empty(n_rows)
    one_at_a_time(rows, expected)
    common.row_squared_norms_of_block(rows, None, block)
    np.testing.assert_array_equal(_bits(block), _bits(expected))
    # With column means subtracted as read: the streaming pass's norms.
    mean = rng.normal(size=n_features) * 10.0 ** rng.integers(-8, 9, n_features)
    common.row_squared_norms(rows, mean, expected)
    common.row_squared_norms_of_block(rows, mean, block)
    np.testing.assert_array_equal(_bits(block), _bits(expected))
