"""Each fast kernel step against the readable NumPy reference (kmeans_core.reference).

One step at a time, from the same inputs: the assignment (labels, tie rule
included), the update (weighted sums and centres, empty clusters relocated),
the relocation choices, and the bounds Hamerly's and Elkan's kernels keep
(they must really bound the true distances). Then the reference's own bounds
and distance counts. Small data: every test here runs in well under a second
once the kernels are compiled.

The fast path is reached through ``kmeans_core._iterations``, the layer that
feeds the kernels their buffers; the few calls into it are gathered in the
helpers below, so a change of that layer is a change here only.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_blobs
from kmeans_core import reference
from kmeans_core._iterations import (
    _Bounds,
    _IterationBuffers,
    _lloyd_pass,
    assign_labels,
    distances_to_centers_of,
    farthest_rows,
    farthest_rows_within_bounds,
    relocate_empty_clusters,
    squared_norms,
    sum_slots_per_chunk,
    transposed,
)
from kmeans_core._kernels.bounds import (
    SUMS_REFRESH,
    KeptSums,
    distance,
    empty_sum_slots,
    half_separations,
    hamerly_pass,
)
from kmeans_core._kernels.common import row_squared_norms
from kmeans_core._kernels.distances import BOUND_MARGIN, cross_block_rows, narrow_rows
from kmeans_core._kernels.lloyd import reduce_chunks

# Sums over samples are added in a fixed chunk/slot order by the fast path
# and by np.add.at here: the same terms in another order, so they agree to
# rounding, a few ulps per addition of the ~2500 here (relative 1e-12 is
# ~4500 ulps). Labels and relocation choices are compared exactly.
RTOL_SUMS = 1e-12


# --- The fast path, step by step ----------------------------------------------------


def row_norms_of(X):
    """X's row squared norms as a fit hands them to its passes (``centered_copy``'s bits)."""
    out = np.empty(X.shape[0])
    row_squared_norms(np.asarray(X, dtype=np.float64), None, out)
    return out


def fast_lloyd_step(X, weights, centers, labels):
    """One Lloyd pass and update: (labels, sums, weights per cluster, new centres, relocated)."""
    n_samples, n_features = X.shape
    buffers = _IterationBuffers(n_samples, n_features, centers.shape[0])
    labels = labels.astype(np.int32).copy()
    _lloyd_pass(X, weights, row_norms_of(X), centers, labels, buffers, True)
    sums, totals = np.empty_like(buffers.sums), np.empty_like(buffers.weights)
    reduce_chunks(buffers.chunk_sums, buffers.chunk_weights, sums, totals)
    new_centers, relocated, _ = buffers.update(X, weights, centers, labels)
    return labels, sums, totals, new_centers, relocated


def fast_bounded_run(algorithm, X, weights, centers, n_iter):
    """Hamerly's or Elkan's kernels for ``n_iter`` iterations, yielding after each assignment.

    Yields ``(centers, labels, upper, lower, new_centers)``: the centres
    assigned to, what the kernel kept, and the centres of the update.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    buffers = _IterationBuffers(n_samples, n_features, n_clusters)
    bounds = _Bounds(algorithm, n_samples, n_clusters, buffers, n_features)
    row_norms = row_norms_of(X)
    for iteration in range(n_iter):
        bounds.assign(X, weights, row_norms, centers, buffers, iteration == 0, SUMS_REFRESH)
        labels = bounds.labels.copy()
        new_centers, _, _ = buffers.update(X, weights, centers, bounds.labels)
        yield centers, labels, bounds.upper.copy(), bounds.lower.copy(), new_centers
        centers = new_centers


def tie_data(d):
    """Integer points with centres at integer positions: exact ties everywhere."""
    rng = np.random.RandomState(d)
    values = 4 if d < 8 else 2  # fewer values in more dimensions keep ties frequent
    X = rng.randint(0, values, size=(300, d)).astype(np.float64)
    centers = rng.randint(0, values, size=(6, d)).astype(np.float64)
    return X, centers


# --- Assignment ---------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 9, 20])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_assignment_follows_the_tie_rule(d, dtype):
    X, centers = tie_data(d)
    X, centers = X.astype(dtype), centers.astype(dtype)
    expected = reference.assign(X, centers)
    # The tie rule is exercised: many rows have two centres at the same distance.
    squared = reference.squared_distances(X, centers)
    assert (np.sort(squared, axis=1)[:, 1] == squared.min(axis=1)).sum() > 20
    np.testing.assert_array_equal(assign_labels(X, centers), expected)


@pytest.mark.parametrize("d", [2, 9])
def test_assignment_on_blobs(d):
    X = make_blobs(2500, d, 7, seed=d)
    centers = X[::400].copy()
    np.testing.assert_array_equal(assign_labels(X, centers), reference.assign(X, centers))


# --- Update: sums, centres, relocation -------------------------------------------------


@pytest.mark.parametrize("d", [2, 9, 300])
@pytest.mark.parametrize("weighted", [False, True])
def test_update_sums_and_centres(d, weighted):
    # Three chunks of rows, many sum slots; at d = 300 each chunk is ranked in
    # several blocks (``cross_block_rows``).
    X = make_blobs(2500, d, 6, seed=10 + d)
    weights = (
        np.random.RandomState(d).uniform(0.1, 3, X.shape[0]) if weighted else np.ones(X.shape[0])
    )
    centers = X[[0, 500, 1000, 1500, 2000, 2400]].copy()
    labels, sums, totals, new_centers, relocated = fast_lloyd_step(
        X, weights, centers, np.full(X.shape[0], -1)
    )
    expected_labels = reference.assign(X, centers)
    np.testing.assert_array_equal(labels, expected_labels)
    expected_sums, expected_totals = reference.cluster_sums(X, expected_labels, weights, 6)
    np.testing.assert_allclose(sums, expected_sums, rtol=RTOL_SUMS)
    np.testing.assert_allclose(totals, expected_totals, rtol=RTOL_SUMS)
    assert not relocated
    np.testing.assert_allclose(
        new_centers,
        reference.update(X, labels, weights, centers),
        rtol=RTOL_SUMS,
        atol=RTOL_SUMS * np.abs(X).max(),
    )


def test_update_relocates_like_the_reference():
    """Two centres far from the data get no points: each takes a far-away sample."""
    X = make_blobs(400, 3, 4, seed=3)
    weights = np.random.RandomState(3).uniform(0.5, 2, 400)
    centers = np.vstack([X[:3], [[1e3, 1e3, 1e3], [-1e3, 0, 0]]])
    labels, _, _, new_centers, relocated = fast_lloyd_step(X, weights, centers, np.full(400, -1))
    moves = reference.empty_cluster_relocations(X, labels, weights, centers)
    assert relocated and [cluster for cluster, _ in moves] == [3, 4]
    for cluster, row in moves:
        # A relocated cluster is its one sample (to the rounding of w * x * (1 / w)).
        np.testing.assert_allclose(new_centers[cluster], X[row], rtol=1e-15)
    np.testing.assert_allclose(
        new_centers, reference.update(X, labels, weights, centers), rtol=RTOL_SUMS
    )


# Degenerate cases where the old reference and the fast path drifted apart.
RELOCATION_CASES = {
    # Every sample on its centre: nothing moves; the empty cluster joins the heaviest.
    "all on centres": ([[0, 0], [0, 0], [1, 1], [1, 1], [1, 1]], [[0, 0], [1, 1], [50, 50]]),
    # One sample off its centre, two empty clusters: the second takes a sample
    # at distance 0 (the lowest such row), as scikit-learn's rule does.
    "one off centre": (
        [[0, 0], [0, 0], [0, 0], [1, 1], [1, 1], [1, 1.2]],
        [[0, 0], [1, 1], [50, 50], [60, 60]],
    ),
    # Both members of cluster 1 are taken: cluster 1 ends empty and joins the heaviest.
    "cluster emptied": (
        [[0, 0], [0, 0], [0, 0], [1, 1], [1, 1.2]],
        [[0, 0], [1, 1.1], [50, 50], [60, 60]],
    ),
}


@pytest.mark.parametrize("case", sorted(RELOCATION_CASES))
def test_relocation_choices_in_degenerate_cases(case):
    X, centers = (np.asarray(a, dtype=np.float64) for a in RELOCATION_CASES[case])
    weights = np.ones(X.shape[0])
    labels = reference.assign(X, centers)
    sums, totals = reference.cluster_sums(X, labels, weights, centers.shape[0])
    moves = reference.empty_cluster_relocations(X, labels, weights, centers)
    fast_sums, fast_totals = sums.copy(), totals.copy()
    relocated = relocate_empty_clusters(
        X, weights, centers, fast_sums, fast_totals, labels.astype(np.int32)
    )
    assert relocated == bool(moves)
    for cluster, row in moves:
        sums[labels[row]] -= weights[row] * X[row]
        totals[labels[row]] -= weights[row]
        sums[cluster], totals[cluster] = weights[row] * X[row], weights[row]
    np.testing.assert_array_equal(fast_sums, sums)
    np.testing.assert_array_equal(fast_totals, totals)
    _, _, _, new_centers, _ = fast_lloyd_step(X, weights, centers, np.full(X.shape[0], -1))
    np.testing.assert_array_equal(new_centers, reference.update(X, labels, weights, centers))
    if case == "all on centres":
        assert moves == [] and (new_centers[2] == new_centers[1]).all()  # heaviest: cluster 1
    if case == "one off centre":
        assert moves == [(2, 5), (3, 0)]
    if case == "cluster emptied":
        assert moves == [(2, 3), (3, 4)] and (new_centers[1] == new_centers[0]).all()


def test_farthest_rows_order():
    """Largest distance first, equal distances in row order (a stable sort of -d)."""
    rng = np.random.RandomState(0)
    for _ in range(50):
        distances = rng.randint(0, 5, size=rng.randint(1, 40)).astype(np.float64)
        count = rng.randint(1, distances.size + 1)
        expected = np.argsort(-distances, kind="stable")[:count]
        np.testing.assert_array_equal(farthest_rows(distances, count), expected)


@pytest.mark.parametrize("looseness", ["tight", "loose", "useless"])
def test_farthest_rows_within_bounds_choose_the_rules_rows(looseness, monkeypatch):
    """The bounded selection picks :func:`farthest_rows` of every row's distance, ties included.

    Bounds as the runs keep them: at or above the true distance, a few
    exactly on it (a tightened bound), some rows duplicated so that distances
    tie across the cut. "loose" bounds, from a handful of first candidates,
    need the candidates widened (retries); "useless" bounds (all equal)
    leave the caller the full computation (None).
    """
    from kmeans_core import _iterations

    if looseness == "loose":
        monkeypatch.setattr(_iterations, "RELOCATION_CANDIDATE_ROWS", 8)
    rng = np.random.RandomState(7)
    found = 0
    for _ in range(20):
        n = rng.randint(600, 6000)
        X = rng.standard_normal((n, 5)) * rng.uniform(0.5, 3.0, size=(n, 1))
        # Duplicates of far rows: equal distances that must go to the lowest row.
        far = np.argsort(-np.abs(X).sum(axis=1))[:4]
        X[rng.choice(n, 4, replace=False)] = X[far]
        centers = rng.standard_normal((4, 5)) * 0.1
        labels = assign_labels(X, centers)
        distances = distances_to_centers_of(X, centers, labels)
        count = rng.randint(1, 4)
        expected = farthest_rows(distances, count)
        if looseness == "useless":
            upper = np.full(n, np.sqrt(distances.max()) * 2.0)
        else:
            spread = 0.05 if looseness == "tight" else 0.5
            upper = np.sqrt(distances) * (1.0 + rng.uniform(0.0, spread, n))
            on_bound = rng.rand(n) < 0.3
            upper[on_bound] = np.sqrt(distances[on_bound])
        chosen = farthest_rows_within_bounds(
            np.ascontiguousarray(X), transposed(centers), labels, upper, count
        )
        if looseness == "useless":
            assert chosen is None
        elif chosen is not None:  # None: the bounds left too many candidates
            np.testing.assert_array_equal(chosen, expected)
            found += 1
    assert found >= (20 if looseness == "tight" else 10) or looseness == "useless"


# --- Bounds ---------------------------------------------------------------------------


def assert_bounds_hold(algorithm, X, centers, labels, upper, lower, margin):
    """``upper`` bounds the distance to the own centre from above, ``lower`` the others' from below."""
    distances = np.sqrt(reference.squared_distances(X, centers))
    rows = np.arange(X.shape[0])
    own = distances[rows, labels]
    assert np.all(upper * (1 + margin) >= own)
    if algorithm == "hamerly":
        others = distances.copy()
        others[rows, labels] = np.inf
        assert np.all(lower <= others.min(axis=1) * (1 + margin))
    else:
        assert np.all(lower <= distances * (1 + margin))


@pytest.mark.parametrize("algorithm", ["hamerly", "elkan"])
@pytest.mark.parametrize("d", [2, 9, 300])
def test_fast_bounds_bound_the_true_distances(algorithm, d):
    """The kernels' bounds after each assignment, against every true distance.

    The kernels keep their bounds valid up to the relative margin
    ``BOUND_MARGIN`` they prune with (it covers the rounding of the bound
    updates); the labels are the reference's, exactly. At d = 300 Hamerly
    ranks a chunk's rescanned rows in several blocks (``cross_block_rows``).
    """
    if d == 300:
        assert cross_block_rows(d) < 1024 // 4
    X = make_blobs(1500, d, 8, seed=d)
    weights = np.ones(X.shape[0])
    pruned_something = False
    for centers, labels, upper, lower, new_centers in fast_bounded_run(
        algorithm, X, weights, X[:8].copy(), 8
    ):
        np.testing.assert_array_equal(labels, reference.assign(X, centers))
        assert_bounds_hold(algorithm, X, centers, labels, upper, lower, BOUND_MARGIN)
        np.testing.assert_allclose(
            new_centers,
            reference.update(X, labels, weights, centers),
            rtol=RTOL_SUMS,
            atol=RTOL_SUMS * np.abs(X).max(),
        )
        # Pruning happened: some bound is not an exact distance.
        distances = np.sqrt(reference.squared_distances(X, centers))
        pruned_something |= bool(np.any(upper > distances[np.arange(X.shape[0]), labels]))
    assert pruned_something


def lloyd_centers(X, centers, n_iter=30):
    """The centres each assignment step of a reference Lloyd run starts from."""
    return [
        step["centers"]
        for step in reference.lloyd_steps(X, centers, max_iter=n_iter)
        if step["step"] == "assignment" and not step["final"]
    ]


@pytest.mark.parametrize("algorithm", ["hamerly", "elkan"])
@pytest.mark.parametrize("d", [2, 5])
def test_reference_bounds_are_exact_and_save_work(algorithm, d):
    X = make_blobs(400, d, 6, seed=20 + d)
    centers_per_iteration = lloyd_centers(X, X[:6].copy())
    assert len(centers_per_iteration) > 3
    n, k = X.shape[0], 6
    steps = list(reference.bounds_assignments(algorithm, X, centers_per_iteration))
    for t, ((bounds, computed, center_center), centers) in enumerate(
        zip(steps, centers_per_iteration, strict=True)
    ):
        np.testing.assert_array_equal(bounds.labels, reference.assign(X, centers))
        # Exact-looking NumPy: the bounds hold up to the rounding of one sqrt and a few
        # additions per iteration, far below 1e-12 relative.
        assert_bounds_hold(algorithm, X, centers, bounds.labels, bounds.upper, bounds.lower, 1e-12)
        if t == 0:
            assert (computed == k).all() and center_center == 0
        else:
            assert center_center == k * (k - 1) // 2
            if algorithm == "hamerly":
                # Nothing, the own centre only, or the own centre and then all k.
                assert set(np.unique(computed)) <= {0, 1, k + 1}
            else:
                assert computed.max() <= k
    later = sum(int(computed.sum()) for _, computed, _ in steps[1:])
    assert later < 0.5 * n * k * (len(steps) - 1)  # the bounds save most of Lloyd's work


def hamerly_pass_on(X, centers, shifts, state, first):
    """One ``hamerly_pass`` over X in chunks of ``state["chunk_rows"]`` rows (sums refreshed)."""
    centers = centers.astype(np.float64)
    half_separation = np.empty(centers.shape[0])
    half_separations(centers, half_separation)
    hamerly_pass(
        X,
        None,
        np.ones(X.shape[0], dtype=X.dtype),
        row_norms_of(X),
        transposed(centers),
        squared_norms(centers),
        half_separation,
        shifts,
        state["labels"],
        state["upper"],
        state["lower"],
        state["kept"],
        state["chunk_changed"],
        state["chunk_rows"],
        first,
        SUMS_REFRESH,
        narrow_rows(X.shape[1]),
    )
    return half_separation


def hamerly_state(X, centers, chunk_rows):
    """A Hamerly run's per-row state and kept sums after its first pass over ``centers``."""
    (n_samples, n_features), n_clusters = X.shape, centers.shape[0]
    chunks = -(-n_samples // chunk_rows)
    slots = sum_slots_per_chunk(chunk_rows, chunks, n_clusters, n_features)
    state = {
        "labels": np.full(n_samples, -1, dtype=np.int32),
        "upper": np.empty(n_samples),
        "lower": np.empty(n_samples),
        "kept": KeptSums(
            *empty_sum_slots(chunks, slots, n_clusters, n_features),
            np.empty((chunks, n_clusters, n_features)),
            np.empty((chunks, n_clusters)),
        ),
        "chunk_changed": np.empty(chunks, dtype=np.int64),
        "chunk_rows": chunk_rows,
    }
    hamerly_pass_on(X, centers, np.zeros(n_clusters), state, True)
    return state


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_later_hamerly_pass_moves_tests_and_tightens_every_bound_as_stated(dtype):
    """A later ``hamerly_pass``, row by row, against its rule written out in NumPy.

    Every row's bounds move by the shifts (``u + s(own)``, ``l`` minus the
    largest shift of another centre); a row whose ``u * (1 + margin)`` is not
    below ``max(l, half separation)`` is tightened to :func:`distance`, and
    rescanned if the test still fails. The rows kept must hold exactly the
    moved (or tightened) bounds, the others Lloyd's labels; the chunk sums
    must be those of a first pass from the new centres (the same labels, so
    the same bits). On tied data: integer points, two identical centres (a
    half separation of 0, a chunk where every row fails), bounds lowered
    until the test holds with equality, and tied largest shifts.
    """
    rng = np.random.RandomState(3)
    X = rng.randint(0, 4, size=(300, 2)).astype(np.float64)
    X[128:192] = [1.0, 1.0]  # chunk 2: every row at the two identical centres
    X = X.astype(dtype)
    centers = np.array([[0, 0], [3, 0], [0, 3], [3, 3], [1, 1], [1, 1]], dtype=np.float64)
    state = hamerly_state(X, centers, chunk_rows=64)
    # Moves by powers of two along an axis: the shifts are exact. Centres 2, 4
    # and 5 share the largest shift; 4 and 5 stay identical.
    moves = np.array([[0, 0], [0.25, 0], [0, -0.5], [0, 0], [0.5, 0], [0.5, 0]])
    new_centers = centers + moves
    shifts = np.sqrt((moves**2).sum(axis=1))
    labels = state["labels"].copy()
    upper = state["upper"] + shifts[labels]
    widen = 1.0 + BOUND_MARGIN
    largest = int(np.argmax(shifts))
    drop = np.where(np.arange(6) == largest, np.delete(shifts, largest).max(), shifts[largest])
    half_separation = np.empty(6)
    half_separations(new_centers, half_separation)
    # Chunk 1: lower the kept lower bounds (still valid) so that the moved
    # bound equals ``u * widen`` exactly, where that decides the test.
    equal = np.zeros(X.shape[0], dtype=bool)
    for i in range(64, 128):
        target = upper[i] * widen
        stored = target + drop[labels[i]]
        for _ in range(4):
            moved = stored - drop[labels[i]]
            if moved == target:
                break
            stored = np.nextafter(stored, np.inf if moved < target else -np.inf)
        if moved == target and stored <= state["lower"][i] and target >= half_separation[labels[i]]:
            state["lower"][i] = stored
            equal[i] = True
    lower = state["lower"] - drop[labels]
    bound = np.maximum(half_separation[labels], lower)
    listed = upper * widen >= bound
    rows_centers = np.ascontiguousarray(new_centers)
    tightened = upper.copy()
    for i in np.flatnonzero(listed):
        tightened[i] = distance(X, None, i, rows_centers, labels[i])
    rescanned = listed & (tightened * widen >= bound)

    assert hamerly_pass_on(X, new_centers, shifts, state, False).tolist() == list(half_separation)
    new_labels = reference.assign(X, new_centers)
    np.testing.assert_array_equal(state["labels"], new_labels)
    kept = ~rescanned
    np.testing.assert_array_equal(state["upper"][kept], tightened[kept])
    np.testing.assert_array_equal(state["lower"][kept], lower[kept])
    assert_bounds_hold(
        "hamerly", X, new_centers, new_labels, state["upper"], state["lower"], BOUND_MARGIN
    )
    changed = np.add.reduceat((new_labels != labels).astype(np.int64), np.arange(0, 300, 64))
    np.testing.assert_array_equal(state["chunk_changed"], changed)
    fresh = hamerly_state(X, new_centers, chunk_rows=64)
    for ours, theirs in zip(state["kept"], fresh["kept"]):
        np.testing.assert_array_equal(ours, theirs)
    # Every case the rule distinguishes occurred.
    assert equal.any() and listed[equal].all()
    assert (~listed).any() and (listed & ~rescanned).any() and rescanned.any()
    assert rescanned[128:192].all() and (new_labels[128:192] == 4).all()
    assert (new_labels != labels).any()


def test_bounds_assignments_rejects_lloyd():
    with pytest.raises(ValueError, match="algorithm"):
        next(reference.bounds_assignments("lloyd", np.zeros((3, 2)), [np.zeros((1, 2))]))


# --- The iteration ----------------------------------------------------------------------


def test_relocation_with_unchanged_labels_is_not_a_fixed_point():
    """The reference stops like the fast path: re-assign after a last relocation."""
    from kmeans_core._iterations import lloyd_single_run

    X = np.array([[2.0, 1.0], [0.0, 1.0], [0.0, 2.0], [0.0, 1.0], [2.0, 1.0]])
    init = np.array([[1.0, 3.0], [-1.0, 2.0], [0.0, 3.0]])
    steps = list(reference.lloyd_steps(X, init, tol=0.0))
    assert steps[-3]["step"] == "update" and steps[-3]["relocated"]
    assert steps[-2]["final"] and steps[-1]["reason"] == reference.STOP_UNCHANGED
    labels, _, centers, n_iter = lloyd_single_run(X, np.ones(5), init, 300, 0.0)
    np.testing.assert_array_equal(labels, steps[-1]["labels"])
    np.testing.assert_array_equal(centers, steps[-1]["centers"])
    assert n_iter == steps[-1]["n_iter"]


def small_integer_case(seed):
    """Few integer points (sums exact in any order), some far or repeated starting centres."""
    rng = np.random.RandomState(seed)
    n, d, k = rng.randint(3, 30), rng.randint(1, 4), rng.randint(2, 7)
    X = rng.randint(0, 4, size=(n, d)).astype(np.float64)
    init = rng.randint(-3, 8, size=(k, d)).astype(np.float64)
    if seed % 3 == 0:
        init[-1] = 100.0  # a centre no point is near: an empty cluster at once
    weights = rng.randint(1, 4, n).astype(np.float64) if seed % 2 else np.ones(n)
    return X, init, weights


@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_whole_runs_are_the_reference_bit_for_bit(tol):
    """Lloyd's fast run against reference.lloyd on small integer data, 200 starts.

    Integer points and weights make every sum exact whatever the order of
    additions, so the two must agree bit for bit: labels (ties everywhere),
    centres, the number of iterations, through empty clusters, relocations of
    points on their centres and clusters emptied by a relocation.
    """
    from kmeans_core._iterations import lloyd_single_run

    relocations = 0
    for seed in range(200):
        X, init, weights = small_integer_case(seed)
        steps = list(reference.lloyd_steps(X, init, weights, max_iter=50, tol=tol))
        relocations += sum(bool(s["relocated"]) for s in steps if s["step"] == "update")
        expected = steps[-1]
        absolute_tol = tol * np.mean(np.var(X, axis=0))
        labels, _, centers, n_iter = lloyd_single_run(X, weights, init, 50, absolute_tol)
        np.testing.assert_array_equal(labels, expected["labels"], err_msg=f"seed {seed}")
        np.testing.assert_array_equal(centers, expected["centers"], err_msg=f"seed {seed}")
        assert n_iter == expected["n_iter"], f"seed {seed}"
    assert relocations > 100  # the degenerate rules were exercised
