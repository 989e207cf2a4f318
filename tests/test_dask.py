"""The Dask fit (kmeans_core.dask) against its oracle, the in-memory fit.

Run on a real ``distributed.LocalCluster`` (two worker processes, one thread
each, a small memory limit), plus Dask's threaded and synchronous schedulers.

Tolerances. Blocks whose row counts are multiples of the in-memory chunk
length reproduce its chunked sums exactly, so there everything is compared
bitwise. Other layouts regroup the same additions: labels and ``n_iter_``
must still be equal, centers and inertia agree to ``RTOL_REGROUPED`` (a few
hundred float64 roundings, far below any meaningful difference).
"""

from __future__ import annotations

import ctypes
import os
import signal

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from kmeans_core import KMeans  # noqa: E402 (after the importorskip lines)
from kmeans_core import dask as kd  # noqa: E402 (after the importorskip lines)
from kmeans_core._kernels.jit import CHUNK_ROWS  # noqa: E402 (after the importorskip lines)

RTOL_REGROUPED = 1e-12
# float32 centers are float64 sums rounded to float32: a regrouped sum can round
# to the neighbouring float32.
RTOL_REGROUPED_FLOAT32 = 2 * float(np.finfo(np.float32).eps)


def blobs(n=6144, d=4, k=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(k, d))
    X = centers[rng.integers(0, k, n)] + rng.standard_normal((n, d))
    weights = rng.uniform(0.2, 3.0, n)
    init = X[rng.choice(n, k, replace=False)] + 0.5
    return X.astype(dtype), weights, init


def in_memory(X, init, sample_weight=None, **params):
    params.setdefault("algorithm", "lloyd")
    return KMeans(init.shape[0], init=init, **params).fit(X, sample_weight=sample_weight)


def assert_same_fit(fitted, reference, *, bitwise, dtype=np.float64):
    labels = fitted.labels_
    assert isinstance(labels, da.Array)
    labels = labels.compute()
    np.testing.assert_array_equal(labels, reference.labels_)
    assert labels.dtype == reference.labels_.dtype
    assert fitted.n_iter_ == reference.n_iter_
    assert fitted.cluster_centers_.dtype == reference.cluster_centers_.dtype
    if bitwise:
        np.testing.assert_array_equal(fitted.cluster_centers_, reference.cluster_centers_)
        assert fitted.inertia_ == reference.inertia_
    else:
        rtol = RTOL_REGROUPED if dtype == np.float64 else RTOL_REGROUPED_FLOAT32
        scale = np.abs(reference.cluster_centers_).max()
        np.testing.assert_allclose(
            fitted.cluster_centers_, reference.cluster_centers_, rtol=0, atol=rtol * scale
        )
        assert fitted.inertia_ == pytest.approx(reference.inertia_, rel=rtol)


# Row blocks: aligned with the 1024-row chunks (bitwise), or not.
LAYOUTS = {
    "aligned": (2 * CHUNK_ROWS, True),
    "one block": (-1, True),
    "uneven aligned": ((CHUNK_ROWS, 3 * CHUNK_ROWS, 2 * CHUNK_ROWS), True),
    "unaligned": (1500, False),
    "ragged": ((100, 2900, 1, 3143), False),
}


# The iterations the Dask fit runs (``algorithm="elkan"`` runs Hamerly's there).
DASK_ALGORITHMS = ("lloyd", "hamerly")


def _layout_cases():
    """Every layout x dtype x weights x algorithm: an all-pairs cover by default, the rest slow."""
    from allpairs import all_pairs

    factors = [list(LAYOUTS), [np.float64, np.float32], [False, True], list(DASK_ALGORITHMS)]
    quick = {
        (layout, np.dtype(dtype).name, weighted, algorithm)
        for layout, dtype, weighted, algorithm in all_pairs(factors)
    }
    for algorithm in DASK_ALGORITHMS:
        for weighted in (False, True):
            for dtype in (np.float64, np.float32):
                for layout in LAYOUTS:
                    case = (layout, np.dtype(dtype).name, weighted, algorithm)
                    yield pytest.param(
                        layout,
                        dtype,
                        weighted,
                        algorithm,
                        marks=() if case in quick else (pytest.mark.slow,),
                        id=f"{algorithm}-{weighted}-{np.dtype(dtype).name}-{layout}",
                    )


@pytest.mark.parametrize("layout, dtype, weighted, algorithm", list(_layout_cases()))
def test_matches_in_memory_fit_on_a_local_cluster(client, layout, dtype, weighted, algorithm):
    X, weights, init = blobs(dtype=dtype)
    chunks, bitwise = LAYOUTS[layout]
    weights = weights if weighted else None
    reference = in_memory(X, init, weights)
    dask_X = da.from_array(X, chunks=(chunks, -1))
    if algorithm == "hamerly":
        # Where bounds belong: X held by the workers, each block's state kept beside it.
        dask_X = dask_X.persist()
    # Weights in blocks of their own: the fit aligns them with X's.
    dask_weights = None if weights is None else da.from_array(weights, chunks=1000)
    fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
        dask_X, sample_weight=dask_weights
    )
    assert_same_fit(fitted, reference, bitwise=bitwise, dtype=dtype)


def test_hamerly_on_dask_is_the_in_memory_hamerly_and_lloyd_fit_bit_for_bit(client):
    # d=8, k=8: the in-memory "auto" runs Hamerly's too; every fit compared with every other.
    X, weights, init = blobs(n=3 * 2 * CHUNK_ROWS + 500, d=8, k=8, seed=21)
    dask_X = da.from_array(X, chunks=(2 * CHUNK_ROWS, -1)).persist()
    fits = [in_memory(X, init, weights, algorithm=algorithm) for algorithm in ("lloyd", "hamerly")]
    fits += [
        KMeans(8, init=init, algorithm=algorithm).fit(dask_X, sample_weight=weights)
        for algorithm in ("lloyd", "hamerly", "auto", "elkan")
    ]
    assert fits[0].n_iter_ > 3
    for fitted in fits[2:]:
        assert_same_fit(fitted, fits[0], bitwise=True)
        assert_same_fit(fitted, fits[1], bitwise=True)


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
@pytest.mark.parametrize("scheduler,workers", [("threads", 1), ("threads", 3), ("synchronous", 1)])
def test_same_answer_on_every_scheduler_and_worker_count(scheduler, workers, algorithm):
    X, weights, init = blobs(n=5000, seed=1)
    reference = in_memory(X, init, weights)
    with dask.config.set(scheduler=scheduler, num_workers=workers):
        fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
            da.from_array(X, chunks=(1024, -1)), sample_weight=weights
        )
        assert_same_fit(fitted, reference, bitwise=True)


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_a_table_of_one_chunk_sums_its_inertia_as_in_memory(algorithm):
    # Up to one chunk of rows both fits sum the inertia with the kernel's serial
    # twin, chosen by the whole data's rows (``_iterations.inertia_kernel``).
    from kmeans_core._iterations import inertia_kernel
    from kmeans_core._kernels.common import inertia_per_chunk

    X, weights, init = blobs(n=700, seed=4)
    assert inertia_kernel(700) is not inertia_per_chunk
    reference = in_memory(X, init, weights)
    with dask.config.set(scheduler="threads"):
        dask_X = da.from_array(X, chunks=(-1, -1))
        fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
            dask_X, sample_weight=weights
        )
        assert_same_fit(fitted, reference, bitwise=True)
        score = fitted.score(dask_X, sample_weight=weights).compute()
    assert score == reference.score(X, sample_weight=weights)


# DataFrame tests run on the threaded scheduler: pandas and dask.dataframe add ~70 MB
# to a worker process, more than the memory-limited cluster's workers have to spare.
THREADS = {"scheduler": "threads"}


def test_integers_and_dataframes_are_read_as_in_memory():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, _, init = blobs(n=4096, d=3, seed=2)
    frame = pd.DataFrame(np.round(X * 10).astype(np.int64), columns=["a", "b", "c"])
    reference = in_memory(frame, init * 10)
    with dask.config.set(THREADS):
        fitted = KMeans(init.shape[0], init=init * 10).fit(dd.from_pandas(frame, npartitions=4))
    assert_same_fit(fitted, reference, bitwise=False)
    np.testing.assert_array_equal(fitted.feature_names_in_, ["a", "b", "c"])


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_an_empty_cluster_takes_the_farthest_point_as_in_memory(client, algorithm):
    X, _, init = blobs(n=4096, d=3, k=4, seed=3)
    init[2] = 1000.0  # nothing is nearest to it: empty after the first assignment
    reference = in_memory(X, init)
    assert np.abs(reference.cluster_centers_).max() < 100  # the far center did move
    fitted = KMeans(4, init=init, algorithm=algorithm).fit(
        da.from_array(X, chunks=(1024, -1)).persist()
    )
    assert_same_fit(fitted, reference, bitwise=True)
    unaligned = KMeans(4, init=init, algorithm=algorithm).fit(da.from_array(X, chunks=(777, -1)))
    assert_same_fit(unaligned, reference, bitwise=False)


def test_farthest_points_are_chosen_across_blocks_by_the_documented_rule():
    # Two empty clusters; the two farthest rows lie in different blocks, and
    # a tie at the largest distance goes to the lower row index.
    X = np.zeros((12, 1))
    X[:, 0] = [0, 0.1, 0.2, 5, 0.1, 0, 0.3, 0.2, -5, 0.1, 0, 0.2]
    init = np.array([[0.0], [100.0], [200.0]])
    with dask.config.set(scheduler="synchronous"):
        fitted = KMeans(3, init=init, max_iter=1).fit(da.from_array(X, chunks=4))
    # Row 3 (x=5) and row 8 (x=-5) tie; row 3 goes to the first empty cluster.
    mean_rest = (X.sum() - 5 + 5) / 10
    np.testing.assert_allclose(fitted.cluster_centers_[:, 0], [mean_rest, 5.0, -5.0], atol=1e-12)


def test_predict_transform_score_are_lazy_and_match_in_memory(client):
    X, weights, init = blobs(n=3000, seed=4)
    fitted = KMeans(init.shape[0], init=init).fit(da.from_array(X, chunks=(1024, -1)))
    reference = in_memory(X, init)
    dask_X = da.from_array(X, chunks=(700, -1))
    labels = fitted.predict(dask_X)
    distances = fitted.transform(dask_X)
    score = fitted.score(dask_X, sample_weight=weights)
    for result in (labels, distances, score):
        assert isinstance(result, da.Array)
    np.testing.assert_array_equal(labels.compute(), reference.predict(X))
    np.testing.assert_allclose(distances.compute(), reference.transform(X), rtol=1e-12)
    assert float(score.compute()) == pytest.approx(
        reference.score(X, sample_weight=weights), rel=1e-12
    )
    np.testing.assert_array_equal(fitted.fit_predict(dask_X).compute(), reference.labels_)


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_verbose_and_history_as_in_memory(client, capsys, algorithm):
    X, _, init = blobs(n=2048, seed=5)
    reference = in_memory(X, init, verbose=1, record_history=True, algorithm=algorithm)
    expected = capsys.readouterr().out
    fitted = KMeans(
        init.shape[0], init=init, verbose=1, record_history=True, algorithm=algorithm
    ).fit(da.from_array(X, chunks=(1024, -1)))
    # One line more than in memory, first: which iterations run, and why.
    first, rest = capsys.readouterr().out.split("\n", 1)
    assert (
        first == f"algorithm='{algorithm}' on Dask input: {algorithm}'s iterations (as requested)."
    )
    assert rest == expected
    assert [h["inertia"] for h in fitted.history_] == [h["inertia"] for h in reference.history_]
    for ours, theirs in zip(fitted.history_, reference.history_):
        assert ours["center_shift"] == theirs["center_shift"]
        np.testing.assert_array_equal(ours["centers"], theirs["centers"])


def _algorithm_line(fit, capsys):
    fit()
    return capsys.readouterr().out.splitlines()[0]


def test_auto_runs_hamerly_on_persisted_data_and_lloyd_on_data_read_afresh(client, capsys):
    X, _, init = blobs(n=4096, d=8, k=8, seed=22)
    lazy = da.from_array(X, chunks=(1024, -1))
    persisted = lazy.persist()
    # A graph that computes its blocks, as one reading zarr or Parquet does.
    computed = lazy * 1.0

    def fit(data, k=8, algorithm="auto"):
        start = init[:k, : data.shape[1]]
        return lambda: KMeans(k, init=start, verbose=1, algorithm=algorithm).fit(data)

    assert _algorithm_line(fit(persisted), capsys) == (
        "algorithm='auto' on Dask input: hamerly's iterations (X is persisted: each block "
        "keeps its bounds where it is held)."
    )
    for streamed in (lazy, computed):  # on a cluster, X's blocks are not held by the workers
        line = _algorithm_line(fit(streamed), capsys)
        assert line.startswith("algorithm='auto' on Dask input: lloyd's iterations (X is read")
    # The in-memory rule by speed still holds: few clusters in few dimensions stay Lloyd's.
    narrow = da.from_array(X[:, :3], chunks=(1024, -1)).persist()
    assert "k < 8 and d < 8" in _algorithm_line(fit(narrow, k=4), capsys)
    assert "Elkan's n x k lower bounds" in _algorithm_line(
        fit(persisted, algorithm="elkan"), capsys
    )
    with dask.config.set(THREADS):
        # Without a cluster: blocks that are values in the graph are in memory.
        assert "hamerly's" in _algorithm_line(fit(lazy), capsys)
        assert "lloyd's" in _algorithm_line(fit(computed), capsys)
    with dask.config.set(scheduler="processes", num_workers=1):
        # A fresh process per pass keeps nothing: bounds would be rebuilt every pass.
        assert "the processes scheduler" in _algorithm_line(fit(lazy[:1024]), capsys)


def test_auto_runs_lloyd_where_hamerly_state_would_not_fit(client, capsys, monkeypatch):
    X, _, init = blobs(n=4096, d=8, k=8, seed=22)
    persisted = da.from_array(X, chunks=(1024, -1)).persist()
    # Each block's state as large as 1 GiB: beyond 60% of the workers' 2 GiB.
    monkeypatch.setattr(kd, "hamerly_state_bytes", lambda *args: 2**30)
    fit = KMeans(8, init=init, verbose=1).fit
    line = _algorithm_line(lambda: fit(persisted), capsys)
    assert line.startswith("algorithm='auto' on Dask input: lloyd's iterations (X is persisted, ")
    assert "60% of that worker's memory limit" in line
    # Asked for by name, Hamerly's runs all the same (and gives the same answer).
    fitted = KMeans(8, init=init, algorithm="hamerly").fit(persisted)
    assert_same_fit(fitted, in_memory(X, init), bitwise=True)
    with dask.config.set(THREADS):
        monkeypatch.setattr(kd, "memory_budget_bytes", lambda: 2**20)
        line = _algorithm_line(lambda: fit(da.from_array(X, chunks=(1024, -1))), capsys)
    assert "would exceed half the memory available" in line


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("n", "d"), [(5000, 7), (5000, 3), (1000, 7)])  # row norms kept or not
def test_hamerly_state_bytes_is_what_a_block_state_holds(dtype, n, d):
    X, weights, _ = blobs(n=n, d=d, k=9, seed=27, dtype=dtype)
    rows, n_features = X.shape
    state = kd._HamerlyBlockState(
        X, X.mean(axis=0), np.dtype(dtype), weights.astype(dtype), np.zeros(rows, np.int32), 9, 1024
    )
    arrays = [value for value in vars(state).values() if isinstance(value, np.ndarray)]
    arrays += list(state.kept)  # the four kept sum arrays (a KeptSums tuple)
    held = sum(array.nbytes for array in arrays)
    assert kd.hamerly_state_bytes(rows, n_features, 9, 1024, np.dtype(dtype).itemsize) == held


def test_hamerly_with_one_cluster_runs_lloyd_with_the_in_memory_warning():
    X, _, _ = blobs(n=2048, seed=23)
    with dask.config.set(THREADS), pytest.warns(RuntimeWarning, match="single cluster"):
        fitted = KMeans(1, init=X[:1], algorithm="hamerly").fit(da.from_array(X, chunks=1024))
    np.testing.assert_array_equal(fitted.cluster_centers_, in_memory(X, X[:1]).cluster_centers_)


def _block_pass(X, weights, mean, algorithm, iteration, centers, previous):
    """One block pass (block 0 of run "run") with ``centers``; ``previous``: the pass before's."""
    pair = (kd.transposed(centers), kd.squared_norms(centers))
    spec = kd._IterationPass(
        mean, pair, previous, CHUNK_ROWS, X.dtype, "run", iteration, X.shape[0]
    )
    if algorithm == "hamerly":
        half_separation = np.empty(centers.shape[0])
        kd.half_separations(centers, half_separation)
        shifts = np.zeros(centers.shape[0])
        if previous is not None:
            shifts = np.sqrt(((centers - previous[0].T) ** 2).sum(axis=1))
        return kd._hamerly_block(X, weights, 0, spec, (half_separation, shifts), None), pair
    return kd._lloyd_block(X, weights, 0, spec, False), pair


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_a_block_returns_only_the_chunks_whose_labels_changed(algorithm):
    # A pass that changes no label returns no sums: the client keeps the last ones.
    X, weights, init = blobs(n=3 * CHUNK_ROWS, seed=24)
    mean = X.mean(axis=0)
    centers = init - mean
    n_clusters = centers.shape[0]
    first, pair = _block_pass(X, weights, mean, algorithm, 0, centers, None)
    n_changed, slots, sums, slot_weights, inertia = first
    # The first pass: every cluster of every chunk (slot = chunk * k + cluster).
    assert n_changed == X.shape[0] and list(slots) == list(range(3 * n_clusters))
    assert inertia is None and sums.shape == (3 * n_clusters, X.shape[1])
    np.testing.assert_allclose(slot_weights.sum(), weights.sum(), rtol=1e-12)
    (n_changed, slots, sums, _, _), _ = _block_pass(X, weights, mean, algorithm, 1, centers, pair)
    assert n_changed == 0 and slots.size == 0 and sums.shape[0] == 0
    kd._forget_run("run")


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_returned_sums_patch_the_clients_copy_to_the_full_sums(algorithm):
    # Pass 1 moves the centers a little: a few labels change. What it returns,
    # written over pass 0's sums, gives bit for bit the full sums of a first
    # pass with pass 1's centers, though only the clusters that rows left or
    # joined come back, not every cluster of a changed chunk.
    X, weights, init = blobs(n=8 * CHUNK_ROWS, k=8, seed=31)
    mean = X.mean(axis=0)
    centers = init - mean
    n_clusters, n_features = centers.shape
    moved = centers + np.random.default_rng(1).normal(scale=0.3, size=centers.shape)
    first, pair = _block_pass(X, weights, mean, algorithm, 0, centers, None)
    (n_changed, slots, sums, slot_weights, _), _ = _block_pass(
        X, weights, mean, algorithm, 1, moved, pair
    )
    kd._forget_run("run")
    kept = kd._KeptChunkSums([X.shape[0]], CHUNK_ROWS, n_clusters, n_features)
    kept.reduce([first])
    kept.reduce([(n_changed, slots, sums, slot_weights, None)])
    (_, _, full_sums, full_weights, _), _ = _block_pass(X, weights, mean, "lloyd", 0, moved, None)
    kd._forget_run("run")
    np.testing.assert_array_equal(kept.chunk_sums.reshape(-1, n_features), full_sums)
    np.testing.assert_array_equal(kept.chunk_weights.reshape(-1), full_weights)
    changed_chunks = np.unique(slots // n_clusters)
    assert 0 < n_changed and 0 < changed_chunks.size
    assert slots.size < changed_chunks.size * n_clusters


def test_a_sum_that_changes_only_its_sign_bit_is_returned():
    # 0.0 == -0.0, but the client's copy must hold the block's bits.
    chunk_sums = np.zeros((2, 3, 2))
    chunk_weights = np.ones((2, 3))
    before = (chunk_sums.copy(), chunk_weights.copy())
    chunk_sums[1, 2, 0] = -0.0
    differ = kd._sums_that_differ(chunk_sums, chunk_weights, before)
    slots, sums, slot_weights = kd._changed_sums(
        chunk_sums, chunk_weights, np.array([0, 1]), differ
    )
    assert list(slots) == [1 * 3 + 2]
    assert np.signbit(sums[0, 0]) and slot_weights.tolist() == [1.0]


def test_the_clusters_a_row_left_or_joined_are_marked_in_its_chunk():
    labels_before = np.array([0, 1, 2, 0, 1, 2], dtype=np.int32)
    labels = np.array([0, 2, 2, 0, 1, 0], dtype=np.int32)  # rows 1 (1 -> 2) and 5 (2 -> 0)
    moved = kd._clusters_moved(labels_before, labels, 4, 3)  # chunks: rows 0-3, 4-5
    np.testing.assert_array_equal(moved, [[False, True, True], [True, False, True]])


# --- the shape of an iteration: one graph, one task per worker thread --------------------


class _GraphCounter(distributed.diagnostics.plugin.SchedulerPlugin):
    """Records, on the scheduler, the keys of every graph a client submits.

    And, for each final-pass block task, the workers it asked for and whether
    loosely (``final_asked``: ``{block index: (workers, loose)}``) and the
    worker that computed it (``final_places``: ``{block index: worker}``).
    """

    name = "kmeans-core-graph-counter"

    def __init__(self):
        self.graphs = []
        self.final_places, self.final_asked = {}, {}

    def update_graph(self, scheduler, *, tasks, **kwargs):
        self.graphs.append([dask.utils.key_split(key) for key in tasks])
        for key in tasks:
            if str(key).startswith("kmeans_final_block-"):
                task = scheduler.tasks[key]
                self.final_asked[int(str(key).rsplit("-", 1)[1])] = (
                    sorted(task.worker_restrictions or ()),
                    task.loose_restrictions,
                )

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and str(key).startswith("kmeans_final_block-"):
            self.final_places[int(str(key).rsplit("-", 1)[1])] = kwargs.get("worker")


def _graphs_submitted(dask_scheduler):
    return dask_scheduler.plugins[_GraphCounter.name].graphs


def _final_places(dask_scheduler):
    plugin = dask_scheduler.plugins[_GraphCounter.name]
    return plugin.final_asked, plugin.final_places


def _persisted_before_counting(X):
    """X persisted in 1024-row blocks under keys no earlier test used.

    A persist of keys the cluster already holds (the same X hashed to the same
    name by an earlier test) completes on the client at once, while its graph
    may still be on the way to the scheduler: the graph counter registered next
    would then count it. Fresh keys make ``wait`` return only after the
    scheduler has seen the graph.
    """
    dask_X = da.from_array(X, chunks=(1024, -1), name=False).persist()
    distributed.wait(dask_X)
    return dask_X


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_iterations_on_held_data_go_to_the_workers_runners_not_the_scheduler(
    client, algorithm, capsys
):
    X, weights, init = blobs(n=8192, seed=15)
    reference = in_memory(X, init, weights, verbose=1)
    # Strict convergence: the final pass reads the last pass's labels (where they
    # were kept); otherwise it assigns every block to the final centers anyway.
    strict = "strict convergence" in capsys.readouterr().out
    assert reference.n_iter_ > 3
    dask_X = _persisted_before_counting(X)
    # Where each block lives (and its runner keeps its labels), before the fit.
    holders_of = client.who_has(distributed.futures_of(dask_X))
    homes = {
        b: sorted(holders_of[key])[0]
        for b, key in enumerate(dask.core.flatten(dask_X.__dask_keys__()))
    }
    assert len(homes) == 8
    recomputed_before = client.run(kd.recomputed_labels_count)
    runner_passes_before = client.run(kd.runner_passes_count)
    client.register_plugin(_GraphCounter())
    try:
        # NumPy weights: sent to the workers once, not with every pass (those a
        # runner's worker does not hold, to that runner).
        fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
            dask_X, sample_weight=weights
        )
        graphs = client.run_on_scheduler(_graphs_submitted)
        final_asked, final_places = client.run_on_scheduler(_final_places)
    finally:
        client.unregister_scheduler_plugin(_GraphCounter.name)
    assert_same_fit(fitted, reference, bitwise=True)
    new_tasks = [
        [key for key in graph if key != dask.utils.key_split(dask_X.name)] for graph in graphs
    ]
    # No iteration reached the scheduler: each ran as one call on the runner of
    # each worker holding blocks (made once, a task each), over that worker's blocks.
    assert not any(f"kmeans_{algorithm}_blocks" in graph for graph in new_tasks)
    runners = [graph for graph in new_tasks if "kmeans_block_runner" in graph]
    assert all(graph == ["kmeans_block_runner"] for graph in runners)
    holders = {worker for worker, n in client.run(_holds_any, dask_X.name).items() if n}
    assert len(runners) == len(holders)
    passes = client.run(kd.runner_passes_count)
    ran = {worker: passes[worker] - runner_passes_before[worker] for worker in passes}
    # The iterations and the two centering passes, on every worker holding blocks.
    assert ran == {w: (fitted.n_iter_ + 2 if w in holders else 0) for w in passes}
    # The runners found every block's labels (and bounds) where the previous pass
    # left them. The final pass is tasks (its labels are kept as Dask results):
    # one the scheduler still runs on the other worker (work stealing may move
    # a loosely placed task) relabels its block, with the same bits (see the
    # next tests). So the labels computed again are exactly those of the final
    # blocks that ran away from home: none of the iterations', none at home.
    # Each final task asks for its block's home (loosely: were it lost, another).
    assert final_asked == {b: ([home], True) for b, home in homes.items()}
    assert sorted(final_places) == list(range(8))
    moved = sum(final_places[b] != homes[b] for b in homes)
    recomputed_after = client.run(kd.recomputed_labels_count)
    recomputed = sum(recomputed_after[w] - recomputed_before[w] for w in recomputed_after)
    assert recomputed == (moved if strict else 0)
    # Beside them: the weights sent once and the final pass (its labels
    # persisted beside its inertia, which comes back as its future's result).
    assert len(graphs) == len(runners) + 2


def _holds_any(name, dask_worker):
    """How many blocks of the array named ``name`` this worker holds."""
    return sum(1 for key in dask_worker.data if isinstance(key, tuple) and key[0] == name)


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_a_runner_asked_for_blocks_its_worker_lacks_leaves_the_passes_to_tasks(
    client, monkeypatch, algorithm
):
    # Every group planned on the wrong worker: the runners find none of its
    # blocks, the pass and the rest of the fit run as tasks, the answer is the same.
    X, weights, init = blobs(n=8192, seed=17)
    reference = in_memory(X, init, weights)
    dask_X = _persisted_before_counting(X)
    block_groups = kd._DaskFit._block_groups

    def groups_planned_elsewhere(self):
        groups = block_groups(self)
        workers = sorted(client.nthreads())
        self._group_homes = {
            group: workers[1 - workers.index(home)] for group, home in self._group_homes.items()
        }
        return groups

    monkeypatch.setattr(kd._DaskFit, "_block_groups", groups_planned_elsewhere)
    passes_before = sum(client.run(kd.runner_passes_count).values())
    fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
        dask_X, sample_weight=weights
    )
    assert_same_fit(fitted, reference, bitwise=True)
    assert sum(client.run(kd.runner_passes_count).values()) == passes_before


@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_labels_recomputed_where_they_were_not_kept_are_the_same(monkeypatch, algorithm):
    # Every pass finds no state kept (as when a block's next pass runs on
    # another worker): each is assigned again from the previous centers (and
    # Hamerly's bounds and sums rebuilt from the current ones).
    X, weights, init = blobs(n=6144, seed=16)
    init[2] = 1000.0  # an empty cluster: the relocation reads the labels too
    reference = in_memory(X, init, weights)
    monkeypatch.setattr(kd, "_kept_value", lambda *args, **kwargs: None)
    before = kd.recomputed_labels_count()
    with dask.config.set(THREADS):
        fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
            da.from_array(X, chunks=(2 * CHUNK_ROWS, -1)), sample_weight=weights
        )
    assert_same_fit(fitted, reference, bitwise=True)
    assert kd.recomputed_labels_count() - before >= 3 * (fitted.n_iter_ - 1)


def test_hamerly_state_lost_for_some_blocks_some_passes_changes_no_bit(monkeypatch):
    # Block b loses its state before pass t when (b + t) % 3 == 0: kept and
    # rebuilt states meet in the same iteration, at every pass, block by block.
    X, weights, init = blobs(n=8 * CHUNK_ROWS, d=6, k=7, seed=26)
    init[3] = 1000.0  # and an empty cluster, whose relocation reads the kept labels
    reference = in_memory(X, init, weights)
    assert reference.n_iter_ > 4
    kept_value = kd._kept_value
    lost = []

    def sometimes_lost(run_id, block_index, step, *, take):
        value = kept_value(run_id, block_index, step, take=take)
        if take and isinstance(value, kd._HamerlyBlockState) and (block_index + step) % 3 == 0:
            lost.append((block_index, step))
            return None
        return value

    monkeypatch.setattr(kd, "_kept_value", sometimes_lost)
    with dask.config.set(THREADS):
        fitted = KMeans(7, init=init, algorithm="hamerly").fit(
            da.from_array(X, chunks=(CHUNK_ROWS, -1)), sample_weight=weights
        )
    assert_same_fit(fitted, reference, bitwise=True)
    assert len({step for _, step in lost}) >= reference.n_iter_ - 2
    assert not kd._kept


@pytest.mark.parametrize("stop", ["tol", "strict"])
def test_wide_hamerly_blocks_keep_no_centred_copy(monkeypatch, stop):
    """Wide rows (``_iterations.centers_rows_as_read``): each block's Hamerly state keeps the
    block and the mean, not a centred copy; the in-memory fit's bits (which makes no copy
    either), the final re-assignment and an emptied cluster included."""
    from kmeans_core._iterations import CENTER_AS_READ_MIN_FEATURES, centers_rows_as_read
    from kmeans_core._kernels.jit import SERIAL_BELOW_ROWS

    n, d = SERIAL_BELOW_ROWS + 4 * CHUNK_ROWS, CENTER_AS_READ_MIN_FEATURES
    assert centers_rows_as_read("hamerly", n, d, False)
    X, weights, init = blobs(n=n, d=d, k=6, seed=31)
    X += 500.0  # far from the origin: the centring matters
    init = init + 500.0
    init[-1] = 1e4  # empty after the first pass, relocated
    params = {"tol": 1e-2} if stop == "tol" else {"tol": 0.0}
    reference = in_memory(X, init, weights, algorithm="hamerly", **params)
    copies = []
    real = kd._centered_block
    monkeypatch.setattr(kd, "_centered_block", lambda *args: copies.append(1) or real(*args))
    with dask.config.set(THREADS):
        fitted = KMeans(6, init=init, algorithm="hamerly", **params).fit(
            da.from_array(X, chunks=(5 * CHUNK_ROWS, -1)), sample_weight=weights
        )
    assert_same_fit(fitted, reference, bitwise=True)
    assert_same_fit(fitted, in_memory(X, init, weights, **params), bitwise=True)  # Lloyd's
    assert not copies
    assert not kd._kept


@pytest.mark.parametrize("stop", ["tol", "max_iter", "strict"])
def test_hamerly_final_labels_come_from_the_kept_bounds(monkeypatch, stop):
    """A Hamerly run that stops on ``tol`` or ``max_iter`` re-assigns each block with its
    kept bounds (as the in-memory Hamerly run does), one that converges strictly keeps its
    last labels: the in-memory fit's bits either way (threaded scheduler)."""
    X, weights, init = blobs(n=8 * CHUNK_ROWS, d=8, k=8, seed=27)
    params = {
        "tol": {"tol": 1e-2},
        "max_iter": {"tol": 0.0, "max_iter": 3},
        "strict": {"tol": 0.0},
    }[stop]
    strict = in_memory(X, init, weights, tol=0.0)
    reference = in_memory(X, init, weights, **params)
    if stop != "strict":
        assert reference.n_iter_ < strict.n_iter_  # it did not converge strictly
    calls = []
    hamerly_pass = kd.hamerly_pass

    def counted(*args):
        calls.append(args[-2])  # sums_mode (the ranking, ``narrow``, is last)
        return hamerly_pass(*args)

    monkeypatch.setattr(kd, "hamerly_pass", counted)
    with dask.config.set(THREADS):
        fitted = KMeans(8, init=init, algorithm="hamerly", **params).fit(
            da.from_array(X, chunks=(2 * CHUNK_ROWS, -1)), sample_weight=weights
        )
    assert_same_fit(fitted, reference, bitwise=True)
    assert_same_fit(
        fitted, in_memory(X, init, weights, algorithm="hamerly", **params), bitwise=True
    )
    final_reassignments = calls.count(kd.SUMS_NONE)
    assert final_reassignments == (0 if stop == "strict" else 4)
    assert not kd._kept


def test_a_run_leaves_no_labels_behind():
    X, _, init = blobs(n=4096, seed=17)
    with dask.config.set(THREADS):
        KMeans(init.shape[0], init=init).fit(da.from_array(X, chunks=(1024, -1)))
    assert not kd._kept
    # An interrupted run's labels are bounded: a process keeps the last KEPT_RUNS runs.
    for run in range(kd.KEPT_RUNS + 3):
        kd._keep(f"run-{run}", 0, 0, np.zeros(3, dtype=np.int32))
    assert list(kd._kept) == [f"run-{run}" for run in range(3, kd.KEPT_RUNS + 3)]
    kd._kept.clear()


@pytest.fixture
def fresh_mallopt_lookup():
    kd._fixed_mmap_threshold_mallopt.cache_clear()
    yield
    kd._fixed_mmap_threshold_mallopt.cache_clear()


def test_tasks_raise_the_mmap_threshold_while_any_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(
        kd, "_fixed_mmap_threshold_mallopt", lambda: lambda *args: calls.append(args)
    )
    with kd._kernel_task(), kd._kernel_task():  # overlapping tasks: set once, restored once
        assert calls == [(-3, 32 * 2**20)]
    assert calls == [(-3, 32 * 2**20), (-3, 128 * 2**10)]


@pytest.mark.usefixtures("fresh_mallopt_lookup")
def test_the_mmap_threshold_is_touched_only_where_the_environment_fixed_it(monkeypatch):
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert kd._fixed_mmap_threshold_mallopt() is None  # glibc adapts the threshold itself
    kd._fixed_mmap_threshold_mallopt.cache_clear()
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # as distributed's nanny sets it
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1048576")
    assert kd._fixed_mmap_threshold_mallopt() is None  # the user's own threshold stays
    kd._fixed_mmap_threshold_mallopt.cache_clear()
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.skip("not glibc")
    assert callable(kd._fixed_mmap_threshold_mallopt())


# --- bad input: the in-memory errors, before the first iteration -------------------------


def fit_quietly(X, capsys, **params):
    """Fit with verbose output, and check no iteration ran before the error."""
    init = params.pop("init", np.zeros((2, X.shape[1])))
    weights = params.pop("w", None)
    with pytest.raises(ValueError) as error:
        KMeans(2, init=init, verbose=1, **params).fit(X, sample_weight=weights)
    assert "Iteration" not in capsys.readouterr().out
    return str(error.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_are_refused_with_their_rows(client, capsys, bad):
    X = np.arange(40.0).reshape(20, 2)
    X[13, 1] = bad
    message = fit_quietly(da.from_array(X, chunks=(6, -1)), capsys)
    assert "NaN or infinity" in message and "rows 13" in message


def test_huge_values_are_refused_as_overflow(client, capsys):
    X = np.full((20, 2), 1e308)
    message = fit_quietly(da.from_array(X, chunks=(6, -1)), capsys)
    assert "too large" in message


@pytest.mark.parametrize("init", ["k-means||", "k-means++", "random"])
def test_overflowing_deviations_are_refused_before_any_iteration_whatever_the_seeding(capsys, init):
    # Finite means (0), squared deviations that overflow: k-means|| reads the
    # variances in its first pass, the other seedings before their first.
    X = np.full((40, 2), 1e200)
    X[::2] *= -1
    with dask.config.set(THREADS), pytest.raises(ValueError, match="too large") as error:
        kd.KMeans(2, init=init, verbose=1).fit(da.from_array(X, chunks=(6, -1)))
    assert "squared deviations overflow" in str(error.value)
    assert "Iteration" not in capsys.readouterr().out


def test_non_numeric_input_is_refused(capsys):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"spend": np.arange(10.0), "city": list("abcdefghij")})
    with dask.config.set(THREADS):
        message = fit_quietly(dd.from_pandas(frame, npartitions=2), capsys)
    assert "city" in message and "not numeric" in message
    strings = da.from_array(np.array([["a", "b"]] * 10), chunks=(5, -1))
    assert "numbers only" in fit_quietly(strings, capsys)


def test_unknown_chunk_sizes_are_refused_with_the_fix(capsys):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = dd.from_pandas(pd.DataFrame({"a": np.arange(10.0), "b": 1.0}), npartitions=2)
    with dask.config.set(THREADS):
        message = fit_quietly(frame.to_dask_array(), capsys)
    assert "unknown chunk sizes" in message and "compute_chunk_sizes" in message


def test_bad_sample_weights_are_refused(client, capsys):
    X = da.from_array(np.arange(40.0).reshape(20, 2), chunks=(6, -1))
    weights = np.ones(20)
    weights[7] = -1
    message = fit_quietly(X, capsys, w=da.from_array(weights, chunks=5))
    assert "Negative values in sample_weight" in message and "index 7" in message
    message = fit_quietly(X, capsys, w=da.from_array(np.zeros(20), chunks=5))
    assert "sums to zero" in message
    assert "expected (20,)" in fit_quietly(X, capsys, w=da.ones(19, chunks=5))


def test_kmeans_core_imports_without_dask():
    # A fresh interpreter where importing dask fails: kmeans_core still works.
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['dask'] = None; import numpy as np, kmeans_core; "
        "print(kmeans_core.KMeans(2, n_init=1, random_state=0).fit(np.eye(4)).n_iter_)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# --- out of core and faults --------------------------------------------------------------


@pytest.mark.slow
def test_a_store_larger_than_the_workers_memory_streams_through_them(small_memory_client, tmp_path):
    client = small_memory_client
    # Read from the cluster, not imported from conftest: the workers import this module to
    # run the helpers below, and on a worker ``conftest`` may resolve to the root one.
    worker_memory_limit = min(
        worker["memory_limit"] for worker in client.scheduler_info()["workers"].values()
    )
    zarr = pytest.importorskip("zarr")
    del zarr
    # Twice one worker's memory limit (~5x what a worker has left beside its
    # baseline), written block by block by the workers themselves.
    n_features, block_rows = 8, 2**17
    n_blocks = int(np.ceil(2.0 * worker_memory_limit / (8 * n_features * block_rows)))
    store = str(tmp_path / "X.zarr")
    generated = da.random.RandomState(7).standard_normal(
        (n_blocks * block_rows, n_features), chunks=(block_rows, n_features)
    )
    generated.to_zarr(store, compressors=None)  # random numbers do not compress: save the CPU
    # Compile the kernels here first, into numba's on-disk cache, and have every worker
    # load them before the fit: compiling takes a burst of memory that a process keeps
    # (LLVM's), which is not the fit's working set. Compiled in the workers themselves
    # on an empty cache, it held them above the pause threshold for good and the fit
    # never ran (reproduced with an empty NUMBA_CACHE_DIR: stopped at 400 s). The
    # Dask block kernels only here (a Dask fit inside ``client.run`` would run on the
    # worker's event loop); the workers load them from the cache when the tasks run.
    _compile_kernels()
    _compile_dask_kernels()
    client.run(_compile_kernels)
    pids_before = client.run(os.getpid)

    X = da.from_zarr(store)
    assert X.nbytes >= 2.0 * worker_memory_limit
    init = X[:5].compute() + 0.1
    client.run(_start_rss_sampler)
    fitted = KMeans(5, init=init, max_iter=1).fit(X)
    peaks = client.run(_stop_rss_sampler)

    assert client.run(os.getpid) == pids_before  # no worker was killed for memory
    assert max(peaks.values()) < worker_memory_limit
    # The oracle reads the store in this process (through the workers it would not fit).
    reference = in_memory(X.compute(scheduler="synchronous"), init, max_iter=1)
    assert_same_fit(fitted, reference, bitwise=True)


def _compile_kernels():
    """A small in-memory fit: compiles (or loads from the cache) the kernels it shares with the tasks."""
    KMeans(5, init="random", n_init=1, algorithm="lloyd", max_iter=2, random_state=0).fit(
        np.random.RandomState(0).standard_normal((20_000, 8))
    )
    return True


def _compile_dask_kernels():
    """The test's Dask fit in small (float64 blocks of 8 features, k=5, an init array,
    one iteration) on the threaded scheduler: compiles the block kernels into the cache."""
    X = np.random.RandomState(0).standard_normal((20_000, 8))
    with dask.config.set(scheduler="threads"):
        KMeans(5, init=X[:5] + 0.1, max_iter=1).fit(da.from_array(X, chunks=(5_000, 8)))


def _start_rss_sampler(dask_worker):
    """Sample this worker's resident memory every 5 ms until :func:`_stop_rss_sampler`."""
    import threading
    import time

    import psutil

    process = psutil.Process()
    state = {"peak": process.memory_info().rss, "stop": False}

    def sample():
        while not state["stop"]:
            state["peak"] = max(state["peak"], process.memory_info().rss)
            time.sleep(0.005)

    state["thread"] = threading.Thread(target=sample, daemon=True)
    state["thread"].start()
    dask_worker._kmeans_core_rss = state
    return True


def _stop_rss_sampler(dask_worker):
    """The largest resident memory sampled since :func:`_start_rss_sampler`, in bytes."""
    state = dask_worker._kmeans_core_rss
    state["stop"] = True
    state["thread"].join()
    return state["peak"]


def _kill_a_worker_after_the_second_iteration(client, monkeypatch, before=lambda: None):
    """Make the fit kill a worker (``before()`` first) after its second iteration; the killed, listed."""
    converged = kd._converged
    killed = []

    def kill_then_test(iteration, *args):
        if iteration == 1 and not killed:
            before()
            address, pid = min(client.run(os.getpid).items())
            os.kill(pid, signal.SIGKILL)
            killed.append(address)
        return converged(iteration, *args)

    monkeypatch.setattr(kd, "_converged", kill_then_test)
    return killed


@pytest.mark.slow  # seconds of processes/browser: CI runs it with -m slow
@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_a_worker_killed_mid_fit_does_not_change_the_answer(client, monkeypatch, algorithm):
    X, weights, init = blobs(n=8192, seed=8)
    reference = in_memory(X, init, weights)
    assert reference.n_iter_ > 3
    # The labels kept on that worker are lost with it: the next iteration must
    # rebuild them from their lineage.
    killed = _kill_a_worker_after_the_second_iteration(client, monkeypatch)
    fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
        da.from_array(X, chunks=(1024, -1)), sample_weight=da.from_array(weights, chunks=1024)
    )
    assert killed
    assert_same_fit(fitted, reference, bitwise=True)


@pytest.mark.slow  # a cluster of its own: CI runs it with -m slow
@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_a_runner_runs_a_group_per_worker_thread(algorithm):
    # One worker process with 2 threads: its runner gets two groups of blocks
    # a pass, runs them side by side on the worker's threads and returns them
    # in order.
    X, weights, init = blobs(n=8192, seed=19)
    reference = in_memory(X, init, weights)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as own_client,
    ):
        dask_X = _persisted_before_counting(X)
        fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
            dask_X, sample_weight=weights
        )
        (passes,) = own_client.run(kd.runner_passes_count).values()
        assert_same_fit(fitted, reference, bitwise=True)  # labels_ are on this cluster
    assert passes == fitted.n_iter_ + 2  # the iterations and the two centring passes


@pytest.mark.slow  # seconds of processes: CI runs it with -m slow
@pytest.mark.parametrize("algorithm", DASK_ALGORITHMS)
def test_a_worker_killed_under_its_runner_does_not_change_the_answer(
    client, monkeypatch, algorithm
):
    # X persisted: the passes go to the workers' runners until one of them dies
    # with its worker; that pass and the rest run as tasks, which find the lost
    # blocks again from their lineage.
    X, weights, init = blobs(n=8192, seed=18)
    reference = in_memory(X, init, weights)
    assert reference.n_iter_ > 3
    dask_X = _persisted_before_counting(X)
    passes_before, passes_at_kill = client.run(kd.runner_passes_count), {}
    killed = _kill_a_worker_after_the_second_iteration(
        client,
        monkeypatch,
        before=lambda: passes_at_kill.update(client.run(kd.runner_passes_count)),
    )
    fitted = KMeans(init.shape[0], init=init, algorithm=algorithm).fit(
        dask_X, sample_weight=weights
    )
    assert killed
    assert_same_fit(fitted, reference, bitwise=True)
    # Until the kill the runners ran the passes: the two centering passes and
    # two iterations on each worker holding blocks.
    ran = {w: passes_at_kill[w] - passes_before[w] for w in passes_before}
    assert set(ran.values()) <= {0, 4} and sum(ran.values()) >= 4


# --- seeding -----------------------------------------------------------------------------


def test_kmeans_parallel_is_reproducible_and_independent_of_the_block_layout():
    X, weights, _ = blobs(n=6000, d=3, k=6, seed=9)
    fits = []
    with dask.config.set(THREADS):
        for chunks in (1024, 777, -1):
            fits.append(
                kd.KMeans(6, random_state=11).fit(
                    da.from_array(X, chunks=(chunks, -1)), sample_weight=weights
                )
            )
        again = kd.KMeans(6, random_state=11).fit(
            da.from_array(X, chunks=(1024, -1)), sample_weight=weights
        )
    first = fits[0]
    np.testing.assert_array_equal(again.cluster_centers_, first.cluster_centers_)
    for other in fits[1:]:
        np.testing.assert_array_equal(other.labels_.compute(), first.labels_.compute())
        np.testing.assert_allclose(
            other.cluster_centers_,
            first.cluster_centers_,
            rtol=0,
            atol=RTOL_REGROUPED * np.abs(X).max(),
        )
    # As good as the in-memory k-means++ fit on well-separated blobs.
    reference = KMeans(6, random_state=0, n_init=3).fit(X, sample_weight=weights)
    assert first.inertia_ <= 1.01 * reference.inertia_


@pytest.mark.slow  # seconds of processes/browser: CI runs it with -m slow
def test_kmeans_parallel_on_a_local_cluster_matches_the_threaded_scheduler(client):
    X, _, _ = blobs(n=5000, d=2, k=4, seed=10)
    fitted = kd.KMeans(4, random_state=5).fit(da.from_array(X, chunks=(1024, -1)))
    with dask.config.set(THREADS):
        threaded = kd.KMeans(4, random_state=5).fit(da.from_array(X, chunks=(1024, -1)))
    np.testing.assert_array_equal(fitted.cluster_centers_, threaded.cluster_centers_)


def test_random_init_draws_what_the_in_memory_fit_draws():
    X, weights, _ = blobs(n=3000, seed=12)
    reference = KMeans(5, init="random", n_init=3, random_state=4, algorithm="lloyd").fit(
        X, sample_weight=weights
    )
    with dask.config.set(THREADS):
        fitted = KMeans(5, init="random", n_init=3, random_state=4).fit(
            da.from_array(X, chunks=(1024, -1)), sample_weight=weights
        )
    assert_same_fit(fitted, reference, bitwise=True)


def test_the_sibling_class_defaults_to_kmeans_parallel():
    assert kd.KMeans().init == "k-means||"
    assert isinstance(kd.KMeans(), KMeans)


@pytest.mark.parametrize("n_features", [3, 8])  # the in-memory seeding's two distance forms
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("chunks,bitwise", [(2 * CHUNK_ROWS, True), (1500, False)])
def test_kmeans_plusplus_draws_what_the_in_memory_fit_draws(n_features, dtype, chunks, bitwise):
    X, weights, _ = blobs(n=6000, d=n_features, k=6, seed=13, dtype=dtype)
    reference = KMeans(6, random_state=7, algorithm="lloyd").fit(X, sample_weight=weights)
    with dask.config.set(THREADS):
        fitted = KMeans(6, random_state=7).fit(
            da.from_array(X, chunks=(chunks, -1)), sample_weight=weights
        )
    assert_same_fit(fitted, reference, bitwise=bitwise, dtype=dtype)


def test_kmeans_plusplus_block_potentials_do_not_depend_on_blas_threads():
    """A block's k-means++ potentials have the same bits whatever the worker's BLAS threads.

    Each is a dot product over the block's rows, which OpenBLAS splits between
    its threads on long blocks (rounding differently with their number); the
    task computes them on one BLAS thread. 20 blocks of 200,000 rows: before
    that, most blocks' potentials changed between one and two BLAS threads.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(21)
    for _ in range(20):
        block = rng.normal(size=(200_000, 3))
        weights = rng.uniform(0.5, 2.0, 200_000)
        candidates = block[rng.integers(0, 200_000, 4)]
        args = (block, weights, None, np.zeros(3), block[0], candidates, np.float64)
        with threadpool_limits(limits=1, user_api="blas"):
            _, one_thread = kd._plusplus_score_block(*args)
        with threadpool_limits(limits=2, user_api="blas"):
            _, two_threads = kd._plusplus_score_block(*args)
        np.testing.assert_array_equal(two_threads, one_thread)


def test_kmeans_parallel_in_memory_draws_what_the_dask_fit_draws():
    X, weights, _ = blobs(n=5000, d=4, k=5, seed=14)
    in_memory_fit = KMeans(5, init="k-means||", random_state=2, algorithm="lloyd").fit(
        X, sample_weight=weights
    )
    with dask.config.set(THREADS):
        dask_fit = KMeans(5, init="k-means||", random_state=2).fit(
            da.from_array(X, chunks=(1000, -1)), sample_weight=weights
        )
    # The same rows are drawn; the potentials are summed in a different order
    # (by block), hence centers equal to rounding rather than bitwise.
    assert_same_fit(dask_fit, in_memory_fit, bitwise=False)
    assert in_memory_fit.n_iter_ >= 1


def _uniforms_oracle(seed, round_index, rows):
    # The counter-based generator as first written, in NumPy uint64 arithmetic.
    with np.errstate(over="ignore"):
        z = (
            np.uint64(seed)
            + np.uint64(round_index) * np.uint64(0xD1B54A32D192ED03)
            + (rows.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 2.0**53)


def test_kmeans_parallel_kernels_match_their_numpy_oracles():
    from kmeans_core._kernels.seeding import oversampled_rows, round_key
    from kmeans_core._kmeans_parallel import nearest_candidate, uniforms_for_rows

    rng = np.random.default_rng(21)
    rows = np.concatenate([np.arange(5000), rng.integers(0, 2**40, 5000)])
    for seed, round_index in [(0, 0), (2**63 - 1, 5), (123456789 * 2**32 + 987654321, 3)]:
        expected = _uniforms_oracle(seed, round_index, rows)
        np.testing.assert_array_equal(uniforms_for_rows(seed, round_index, rows), expected)
        # The fused draw: the rows NumPy's comparison draws, with their uniforms.
        weighted = rng.exponential(size=5000)
        potential, oversampling = float(weighted.sum()), 40.0
        drawn, uniforms = np.empty(5000, dtype=np.int64), np.empty(5000)
        n_drawn = oversampled_rows(
            round_key(seed, round_index), 7, weighted, potential, oversampling, drawn, uniforms
        )
        first = _uniforms_oracle(seed, round_index, np.arange(5000) + 7)
        wanted = np.flatnonzero(first * potential < oversampling * weighted)
        np.testing.assert_array_equal(drawn[:n_drawn], wanted)
        np.testing.assert_array_equal(uniforms[:n_drawn], first[wanted])
    # The nearest candidate: NumPy's expanded form, argmin and clip, bit for bit
    # (ties included: duplicated candidates, rows equal to a candidate).
    X = rng.standard_normal((9000, 5))
    candidates = np.concatenate([X[:20], X[:3], rng.standard_normal((10, 5))])
    mean = X.mean(axis=0)
    centered = X - mean
    closest, nearest = nearest_candidate(X, candidates, mean)
    norms = np.einsum("ij,ij->i", candidates, candidates)
    for start in range(0, 9000, 4096):
        rows = centered[start : start + 4096]
        squared = (norms - 2.0 * rows @ candidates.T) + np.einsum("ij,ij->i", rows, rows)[:, None]
        np.testing.assert_array_equal(nearest[start : start + 4096], np.argmin(squared, axis=1))
        np.testing.assert_array_equal(
            closest[start : start + 4096], np.maximum(squared.min(axis=1), 0.0)
        )


def test_kmeans_parallel_rounds_go_to_the_workers_runners(client):
    X, _, _ = blobs(n=16384, d=4, k=6, seed=22)
    dask_X = _persisted_before_counting(X)
    recomputed_before = client.run(kd.recomputed_distances_count)
    passes_before = client.run(kd.runner_passes_count)
    client.register_plugin(_GraphCounter())
    try:
        fitted = kd.KMeans(6, random_state=3).fit(dask_X)
        graphs = client.run_on_scheduler(_graphs_submitted)
    finally:
        client.unregister_scheduler_plugin(_GraphCounter.name)
    with dask.config.set(THREADS):
        threaded = kd.KMeans(6, random_state=3).fit(da.from_array(X, chunks=(1024, -1)))
    np.testing.assert_array_equal(fitted.cluster_centers_, threaded.cluster_centers_)
    new_tasks = [
        [key for key in graph if key != dask.utils.key_split(dask_X.name)] for graph in graphs
    ]
    # No pass reached the scheduler as tasks: the rounds, the candidates' weights
    # and the variances (which ride on round 0) ran on the runners.
    for name in ("kmeans_parallel_blocks", "kmeans_parallel_weights", "kmeans_center_statistics"):
        assert not any(name in graph for graph in new_tasks)
    runners = [graph for graph in new_tasks if graph == ["kmeans_block_runner"]]
    holders = {worker for worker, n in client.run(_holds_any, dask_X.name).items() if n}
    assert len(runners) == len(holders)
    passes = client.run(kd.runner_passes_count)
    for worker in passes:
        ran = passes[worker] - passes_before[worker]
        if worker not in holders:
            assert ran == 0
            continue
        # Beside the column sums, the candidates' weights and the iterations:
        # rounds 0 and 2..5 (round 0's pass draws round 1's rows), plus a
        # drawing pass wherever the potential fell more than 64-fold.
        rounds = ran - 2 - fitted.n_iter_
        assert kd.KMEANS_PARALLEL_ROUNDS <= rounds <= 2 * kd.KMEANS_PARALLEL_ROUNDS - 1
    # The distances stayed where the previous round left them.
    assert client.run(kd.recomputed_distances_count) == recomputed_before
    # Beside the runners: the first row, the chosen centers' rows and the final pass.
    assert len(graphs) <= len(runners) + 3


def test_kmeans_parallel_distances_recomputed_where_not_kept_are_the_same(monkeypatch):
    X, weights, _ = blobs(n=6000, d=3, k=6, seed=23)
    with dask.config.set(THREADS):
        kept = kd.KMeans(6, random_state=4).fit(
            da.from_array(X, chunks=(1000, -1)), sample_weight=weights
        )
        monkeypatch.setattr(kd, "_kept_value", lambda *args, **kwargs: None)
        before = kd.recomputed_distances_count()
        recomputed = kd.KMeans(6, random_state=4).fit(
            da.from_array(X, chunks=(1000, -1)), sample_weight=weights
        )
    np.testing.assert_array_equal(recomputed.cluster_centers_, kept.cluster_centers_)
    # Every block's distances, in each of rounds 2..5 (round 1 has no pass of its own).
    assert kd.recomputed_distances_count() - before >= 6 * (kd.KMEANS_PARALLEL_ROUNDS - 1)


def test_kmeans_parallel_streamed_keeps_no_index_and_draws_the_same(monkeypatch):
    # Rounded rows: many exact duplicates, so candidates tie and the index
    # found again set by set must keep the earlier one, as the kept index does.
    X, weights, _ = blobs(n=6000, d=3, k=6, seed=25)
    X = np.round(X)
    with dask.config.set(THREADS):
        held = kd.KMeans(6, random_state=4).fit(
            da.from_array(X, chunks=(1000, -1)), sample_weight=weights
        )
        kept = []
        keep = kd._keep
        monkeypatch.setattr(kd, "_keep", lambda *args: (kept.append(args[-1]), keep(*args))[1])
        # A graph of tasks, not values: X is not held in memory, as when read from storage.
        streamed = kd.KMeans(6, random_state=4).fit(
            da.from_array(X, chunks=(1000, -1)).map_blocks(np.copy), sample_weight=weights
        )
    np.testing.assert_array_equal(streamed.cluster_centers_, held.cluster_centers_)
    np.testing.assert_array_equal(streamed.labels_.compute(), held.labels_.compute())
    seeding_states = [value for value in kept if isinstance(value, tuple) and len(value) == 2]
    assert seeding_states and all(index is None for _, index in seeding_states)


def test_nearest_candidate_kernel_keeps_numpys_nan_and_tie_rules():
    from kmeans_core._kernels.seeding import nearest_of_cross_terms

    rng = np.random.default_rng(24)
    rows = rng.standard_normal((64, 8))
    row_norms = np.einsum("ij,ij->i", rows, rows)
    for n_candidates in (1, 4, 7, 33):
        for _ in range(50):
            candidates = rng.standard_normal((n_candidates, 8))
            candidates[n_candidates // 2] = candidates[0]  # a tie in every row
            cross = rows @ candidates.T
            cross[rng.random(cross.shape) < 0.05] = np.nan
            cross[rng.random(cross.shape) < 0.05] = -np.inf
            norms = np.einsum("ij,ij->i", candidates, candidates)
            closest, nearest = np.empty(64), np.empty(64, dtype=np.int64)
            nearest_of_cross_terms(cross, norms, row_norms, closest, nearest, 0)
            squared = (norms - 2.0 * cross) + row_norms[:, None]
            np.testing.assert_array_equal(nearest, np.argmin(squared, axis=1))
            np.testing.assert_array_equal(closest, np.maximum(squared.min(axis=1), 0.0))


@pytest.mark.parametrize("scale", [1e300, 1e-320])
@pytest.mark.parametrize("as_dask", [False, True])
def test_extreme_weights_give_the_unit_weight_answer(scale, as_dask):
    """Weights of 1e300 or subnormal ones are rescaled by a power of two, as in memory:
    the in-memory fit's bits, the unit-weight labels, the inertia in the caller's units
    (NumPy or Dask weights; the threaded scheduler)."""
    X, _, init = blobs(n=3000, seed=11)
    weights = np.full(X.shape[0], scale)
    X_dask = da.from_array(X, chunks=(1024, X.shape[1]))
    sample_weight = da.from_array(weights, chunks=1024) if as_dask else weights
    with dask.config.set(scheduler="threads"):
        unit = KMeans(5, init=init, n_init=1).fit(X_dask)
        weighted = KMeans(5, init=init, n_init=1).fit(X_dask, sample_weight=sample_weight)
        score = float(weighted.score(X_dask, sample_weight=weights))
    memory = KMeans(5, init=init, n_init=1).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(np.asarray(weighted.labels_), np.asarray(unit.labels_))
    # Rescaled weights are not 1 (1e300 * 2**-997 = 0.86...): the unit fit's centres to
    # rounding, the in-memory fit's (which rescales the same way) to the bit.
    np.testing.assert_allclose(weighted.cluster_centers_, unit.cluster_centers_, rtol=1e-13)
    np.testing.assert_array_equal(weighted.cluster_centers_, memory.cluster_centers_)
    assert weighted.inertia_ == memory.inertia_
    assert np.isfinite(weighted.inertia_) and weighted.inertia_ > 0
    assert -score == pytest.approx(weighted.inertia_, rel=1e-12)
    if scale > 1:  # not subnormal: the relative precision holds
        assert weighted.inertia_ == pytest.approx(unit.inertia_ * scale, rel=1e-12)
