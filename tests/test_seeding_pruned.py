"""High-k k-means++ that scores only the rows a candidate may lower: the same bits as the full pass.

``_kernels/seeding.py`` (``_PrunedScorer``) skips a row when the triangle
inequality, with a margin for rounding, shows that no lane of the step can
lower its distance to the nearest chosen center. The skipped rows then add
their unchanged distance to every potential, which is what the full pass's
min keeps, so the potentials must be the full pass's to the last bit: these
tests run both scorers side by side on the same draws and compare every
step's chunk potentials and running minimum exactly, over shapes where
the margin matters (data far from the origin, duplicated rows, near ties),
with weights, and through the gathered and the whole-chunk paths. They also
compare the seeds with scikit-learn's.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

from conftest import make_blobs
from kmeans_core import kmeans_plusplus
from kmeans_core._kernels import seeding
from kmeans_core._kernels.jit import CHUNK_ROWS, n_chunks, single_threaded_blas


def _blobs_far_from_origin(n, d, k, seed):
    """Blobs at 1e6 from the origin: the expanded distances' rounding is what the margin covers."""
    return make_blobs(n, d, k, seed=seed) + 1e6


def _duplicated_rows(n, d, k, seed):
    """Each row repeated: ties between candidates and chosen centers, distances of exactly 0."""
    X = make_blobs(n // 4, d, k, seed=seed)
    return np.repeat(X, 4, axis=0)[np.random.RandomState(seed).permutation(4 * (n // 4))]


def _grid(n, d, k, seed):
    """Integer points: many rows at equal distances from several centers."""
    return np.random.RandomState(seed).randint(0, 4, size=(n, d)).astype(np.float64)


DATA = {
    "blobs": lambda n, d, k, seed: make_blobs(n, d, k, seed=seed),
    "far_from_origin": _blobs_far_from_origin,
    "duplicated_rows": _duplicated_rows,
    "grid": _grid,
}


def _narrow_scorers(X, sample_weight, first, n_clusters):
    """The expanded scorer and its pruned twin (the winner a lane of each product)."""
    return (
        seeding._ExpandedScorer(X, sample_weight, first),
        seeding._PrunedScorer(X, sample_weight, first, n_clusters=n_clusters),
    )


def _wide_scorers(mean):
    """The stored scorer (wide rows: the winner's distances kept) unpruned and pruned."""

    def scorers(X, sample_weight, first, n_clusters):
        return (
            seeding._StoredScorer(X, sample_weight, first, mean=mean),
            seeding._StoredScorer(X, sample_weight, first, mean=mean, n_clusters=n_clusters),
        )

    return scorers


def _lockstep(X, n_clusters, sample_weight, seed, n_local_trials, scorers=_narrow_scorers):
    """Run the full and the pruned scorer on the same draws; assert equal bits at every step."""
    n_samples = X.shape[0]
    random_state = np.random.RandomState(seed)
    first = int(random_state.randint(n_samples))
    fractions, fewest = [], n_samples
    with single_threaded_blas():
        full, pruned = scorers(X, sample_weight, first, n_clusters)
        np.testing.assert_array_equal(full.chunk_totals, pruned.chunk_totals)
        potential = full.chunk_totals.sum()
        full_potentials = np.empty((n_chunks(n_samples), n_local_trials))
        pruned_potentials = np.empty_like(full_potentials)
        for step in range(1, n_clusters):
            targets = random_state.uniform(size=n_local_trials) * potential
            candidates = full.search(targets)
            np.testing.assert_array_equal(pruned.search(targets), candidates)
            full.score(candidates, full_potentials)
            pruned.score(candidates, pruned_potentials)
            np.testing.assert_array_equal(pruned_potentials, full_potentials, err_msg=f"{step=}")
            np.testing.assert_array_equal(pruned.closest_sq, full.closest_sq, err_msg=f"{step=}")
            chunk_scored = pruned.pruning.chunk_scored
            fractions.append(chunk_scored.sum() / n_samples)
            scored = chunk_scored[chunk_scored > 0]
            fewest = min(fewest, scored.min(initial=n_samples))
            potentials = full_potentials.sum(axis=0)
            best = int(np.argmin(potentials))
            potential = potentials[best]
            full.choose(best, full_potentials)
            pruned.choose(best, pruned_potentials)
    return np.array(fractions), fewest


@pytest.mark.parametrize("family", list(DATA))
@pytest.mark.parametrize("n_features", [5, 8, 32, 63])
@pytest.mark.parametrize("weighted", [False, True])
def test_pruned_pass_is_the_full_pass_bit_for_bit(family, n_features, weighted, monkeypatch):
    # Listing the rows at every step, and gathering up to a quarter of a chunk,
    # exercise the listing, the gathered and the whole-chunk paths.
    monkeypatch.setattr(seeding, "_PRUNE_MOST_SCORED", 1.0)
    monkeypatch.setattr(seeding, "_GATHER_MOST_ROWS", CHUNK_ROWS // 4)
    n_samples, n_clusters = 5_000, 48
    X = DATA[family](n_samples, n_features, 40, seed=n_features)
    weights = np.ones(n_samples)
    if weighted:
        weights = np.random.RandomState(1).uniform(0, 2, n_samples)
        weights[::7] = 0.0
    fractions, _ = _lockstep(X, n_clusters, weights, seed=3, n_local_trials=4)
    if family == "blobs":
        # The pruning did something: the test would pass vacuously otherwise.
        assert fractions[-10:].mean() < 0.5


def test_a_lone_row_to_score_gets_the_full_pass_bits():
    """A chunk with one row to score multiplies it (twice: see the seeding notes) gathered.

    Every row but one lies near the origin with ``closest_sq`` 1; the lanes lie
    near the one row far away, so it alone can be lowered, and the limits list
    it alone (a wrong limit for the others would show as different potentials).
    """
    rng = np.random.default_rng(0)
    n_samples, n_features = 2 * CHUNK_ROWS + 5, 9
    X = rng.normal(scale=0.1, size=(n_samples, n_features))
    lone = CHUNK_ROWS + 7
    X[lone] = 100.0 + rng.normal(size=n_features)
    lanes = X[lone] + rng.normal(scale=0.5, size=(5, n_features))
    lanes_t = np.ascontiguousarray(lanes.T)
    lanes_squared_norms = np.einsum("ij,ij->i", lanes, lanes)
    row_norms = np.einsum("ij,ij->i", X, X)
    weights = rng.uniform(0.5, 1.5, n_samples)
    closest = np.ones(n_samples)
    closest[lone] = 1e3
    nearest = np.zeros(n_samples, dtype=np.int32)
    nearest[lone] = 1
    limits = np.array([np.inf, -np.inf])
    full_potentials = np.empty((n_chunks(n_samples), 4))
    pruned_potentials = np.empty_like(full_potentials)
    full_closest = closest.copy()
    scored = np.empty(n_chunks(n_samples), dtype=np.int64)
    with single_threaded_blas():
        seeding.expanded_scoring_pass(
            X, row_norms, weights, full_closest, lanes_t, lanes_squared_norms, 0,
            seeding._NONE, full_potentials, seeding._NO_ROWS, None,
        )  # fmt: skip
        seeding.pruned_scoring_pass(
            X, row_norms, weights, closest, nearest, lanes_t, lanes_squared_norms, 0,
            seeding._NONE, 7, limits, CHUNK_ROWS, pruned_potentials, scored,
            seeding._NO_ROWS, None,
        )  # fmt: skip
    np.testing.assert_array_equal(scored, [0, 1, 0])
    assert closest[lone] < 1e3 and nearest[lone] == 7
    np.testing.assert_array_equal(closest, full_closest)
    np.testing.assert_array_equal(pruned_potentials, full_potentials)


@pytest.mark.parametrize("n_features", [5, 8, 16, 32, 48, 63])
@pytest.mark.parametrize("n_lanes", [4, 5, 7, 8])
def test_gathered_rows_get_the_chunks_cross_terms(n_features, n_lanes):
    """What the pruned pass relies on: BLAS gives a row the same cross terms in any block of 2+ rows."""
    rng = np.random.default_rng(n_features * 10 + n_lanes)
    X = rng.normal(size=(CHUNK_ROWS, n_features)) * rng.uniform(0.1, 100, size=(CHUNK_ROWS, 1))
    lanes_t = np.ascontiguousarray(rng.normal(size=(n_features, n_lanes)))
    whole = seeding._chunk_cross_terms(X, None, 0, CHUNK_ROWS, lanes_t)
    for n_rows in [2, 3, 7, 16, 100, 511, 1000]:
        rows = np.sort(rng.choice(CHUNK_ROWS, n_rows, replace=False))
        block = np.ascontiguousarray(X[rows])
        gathered = seeding._chunk_cross_terms(block, None, 0, n_rows, lanes_t)
        np.testing.assert_array_equal(gathered, whole[:, rows])


@pytest.mark.parametrize(
    "family, n_samples, n_features, n_clusters",
    [
        ("blobs", 6_000, 8, 64),
        ("blobs", 4_000, 32, 128),
        ("far_from_origin", 5_000, 16, 64),
        ("duplicated_rows", 5_000, 12, 80),
        ("grid", 3_000, 6, 64),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_high_k_seeds_are_sklearns(
    family, n_samples, n_features, n_clusters, dtype, weighted, monkeypatch
):
    pruned_runs = []

    class CountedPrunedScorer(seeding._PrunedScorer):
        def __init__(self, *args, **kwargs):
            pruned_runs.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(seeding, "_PrunedScorer", CountedPrunedScorer)
    X = DATA[family](n_samples, n_features, n_clusters, seed=2).astype(dtype)
    weights = None
    if weighted:
        weights = np.random.RandomState(4).uniform(0, 2, n_samples).astype(dtype)
    for seed in range(2):
        ours = kmeans_plusplus(X, n_clusters, sample_weight=weights, random_state=seed)
        theirs = sklearn_kmeans_plusplus(X, n_clusters, sample_weight=weights, random_state=seed)
        np.testing.assert_array_equal(ours[1], theirs[1])
        np.testing.assert_array_equal(ours[0], theirs[0])
    # float64 runs the pruned scorer at these shapes; float32 keeps scikit-learn's roundings.
    assert len(pruned_runs) == (2 if dtype == np.float64 else 0)


@pytest.mark.parametrize("n_features", [2, 5, 8, 32, 63, 64, 128, 300])
def test_seeds_from_narrow_to_wide_are_sklearns(n_features):
    """Each width's scorer at a k where the pruned one runs (4 < d < 64), and around it."""
    X = make_blobs(2_500, n_features, 64, seed=n_features)
    ours = kmeans_plusplus(X, 64, random_state=6)
    theirs = sklearn_kmeans_plusplus(X, 64, random_state=6)
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_pruned_seeding_is_the_full_seeding_and_thread_independent(monkeypatch):
    X = make_blobs(20_000, 16, 96, seed=8)
    weights = np.random.RandomState(0).uniform(0.5, 1.5, len(X))
    pruned = kmeans_plusplus(X, 96, sample_weight=weights, random_state=2)[1]
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert np.array_equal(
            kmeans_plusplus(X, 96, sample_weight=weights, random_state=2)[1], pruned
        )
    finally:
        numba.set_num_threads(threads)
    monkeypatch.setattr(seeding, "_PRUNE_MIN_CLUSTERS", 10**9)
    full = kmeans_plusplus(X, 96, sample_weight=weights, random_state=2)[1]
    np.testing.assert_array_equal(pruned, full)


@pytest.mark.parametrize("family", ["blobs", "far_from_origin", "duplicated_rows"])
@pytest.mark.parametrize("n_features", [64, 128, 300])
@pytest.mark.parametrize("centred", [True, False])
def test_pruned_wide_pass_is_the_full_pass_bit_for_bit(family, n_features, centred, monkeypatch):
    """Wide rows (``_StoredScorer``): the kept distances' pass, pruned, against the full one.

    ``centred=False`` reads X with its column means, as the default fit does
    on wide float64 rows (no centred copy). Rows gathered a block at a time
    (several blocks per chunk from 64 features, a lone row in a block at
    d = 300) and whole chunks.
    """
    monkeypatch.setattr(seeding, "_GATHER_MOST_ROWS", CHUNK_ROWS // 2)
    n_samples, n_clusters = 3_000, 16
    X = DATA[family](n_samples, n_features, 12, seed=n_features)
    weights = np.random.RandomState(1).uniform(0, 2, n_samples)
    weights[::5] = 0.0
    if centred:
        X, mean = X - X.mean(axis=0), None
    else:
        mean = X.mean(axis=0)
    for n_local_trials in (4, 5):
        fractions, fewest = _lockstep(
            X, n_clusters, weights, seed=5, n_local_trials=n_local_trials,
            scorers=_wide_scorers(mean),
        )  # fmt: skip
        if family == "blobs":
            assert fractions[-5:].mean() < 0.5
            assert fewest < CHUNK_ROWS // 2  # the gathered path ran


@pytest.mark.parametrize("n_features", [64, 128, 300])
@pytest.mark.parametrize("n_rows", [1, 2, 3, 110, 111, 219, 512, 1000])
def test_listed_rows_get_the_chunks_cross_terms(n_features, n_rows):
    """Rows gathered from a list, a block at a time, get the bits of the whole chunk's blocks."""
    rng = np.random.default_rng(n_features + n_rows)
    X = rng.normal(size=(CHUNK_ROWS, n_features)) * rng.uniform(0.1, 100, size=(CHUNK_ROWS, 1))
    mean = rng.normal(size=n_features)
    for n_lanes in (4, 5, 7):
        lanes_t = np.ascontiguousarray(rng.normal(size=(n_features, n_lanes)))
        with single_threaded_blas():
            whole = seeding._chunk_cross_terms(X, mean, 0, CHUNK_ROWS, lanes_t)
            listed = np.sort(rng.choice(CHUNK_ROWS, n_rows, replace=False))
            gathered = seeding._listed_cross_terms(X, mean, 0, listed, n_rows, lanes_t)
        np.testing.assert_array_equal(gathered, whole[:, listed])


@pytest.mark.parametrize("n_features, n_clusters", [(64, 8), (128, 12), (300, 10), (96, 30)])
@pytest.mark.parametrize("weighted", [False, True])
def test_wide_default_seeds_are_sklearns_and_pruned(n_features, n_clusters, weighted, monkeypatch):
    passes = {"pruned_scoring_pass": 0, "expanded_scoring_pass": 0}

    def counting(name):
        original = getattr(seeding, name)

        def counted(*args):
            passes[name] += 1
            return original(*args)

        return counted

    for name in passes:
        monkeypatch.setattr(seeding, name, counting(name))
    X = make_blobs(4_000, n_features, n_clusters, seed=3) + 5.0
    weights = None
    if weighted:
        weights = np.random.RandomState(4).uniform(0, 2, len(X))
    for seed in range(2):
        ours = kmeans_plusplus(X, n_clusters, sample_weight=weights, random_state=seed)
        theirs = sklearn_kmeans_plusplus(X, n_clusters, sample_weight=weights, random_state=seed)
        np.testing.assert_array_equal(ours[1], theirs[1])
        np.testing.assert_array_equal(ours[0], theirs[0])
    # Every pass through the pruned kernel, the first (every row scored) too:
    # a fit compiles one scoring kernel.
    assert passes == {"pruned_scoring_pass": 2 * n_clusters, "expanded_scoring_pass": 0}
