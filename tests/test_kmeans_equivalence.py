"""Same answers as scikit-learn: the grid of the core issue.

For each (n, d, k, dtype, weights, init) the fitted models must have identical
labels and n_iter_, and centers and inertia equal within the tolerances of
conftest.py. float32 has one documented exception, tested explicitly: where
scikit-learn's own float32 arithmetic (float32 BLAS distances and float32
sums) makes it disagree with its float64 fit of the very same values, we must
agree with the float64 fit instead.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

from conftest import make_blobs, rtol_for
from kmeans_core import KMeans, kmeans_plusplus

N_VALUES = [1, 10, 100, 1000, 10_000]
D_VALUES = [1, 2, 5, 50]
K_VALUES = [1, 2, 5, 20]

GRID = [
    (n, d, k, dtype, weighted, init)
    for n, d, k, dtype, weighted, init in itertools.product(
        N_VALUES, D_VALUES, K_VALUES, [np.float64, np.float32], [False, True], ["array", "k-means++"]
    )
    if k <= n
]


def _case(n, d, k, dtype, weighted, init):
    rng = np.random.RandomState(n * 7 + d * 3 + k)
    X = make_blobs(n, d, min(k, 5), seed=n + d + k, dtype=dtype)
    weights = rng.uniform(0.1, 3.0, size=n).astype(dtype) if weighted else None
    init_value = X[rng.choice(n, k, replace=False)] if init == "array" else "k-means++"
    return X, weights, init_value


def _fit_both(X, k, init, weights, algorithm="lloyd"):
    with warnings.catch_warnings():
        # Duplicate points at tiny n can leave fewer distinct clusters: both warn alike.
        # k = 1 with a bounds algorithm warns that Lloyd's is used instead.
        warnings.simplefilter("ignore")
        ours = KMeans(k, init=init, n_init=1, random_state=0, algorithm=algorithm).fit(
            X, sample_weight=weights)
        theirs = SklearnKMeans(k, init=init, n_init=1, random_state=0).fit(X, sample_weight=weights)
    return ours, theirs


def _assert_same_model(ours, theirs, rtol):
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    scale = max(np.abs(theirs.cluster_centers_).max(), 1e-300)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol,
                               atol=rtol * scale)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=rtol, abs=1e-12)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
@pytest.mark.parametrize("n, d, k, dtype, weighted, init", GRID,
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_same_answer_as_sklearn(n, d, k, dtype, weighted, init, algorithm):
    """Every algorithm of ours against scikit-learn's Lloyd (exact algorithms: same answer)."""
    X, weights, init_value = _case(n, d, k, dtype, weighted, init)
    ours, theirs = _fit_both(X, k, init_value, weights, algorithm)
    assert ours.cluster_centers_.dtype == dtype
    assert ours.labels_.dtype == np.int32

    if dtype == np.float64 or np.array_equal(ours.labels_, theirs.labels_):
        _assert_same_model(ours, theirs, rtol_for(dtype))
        return

    # float32 and the labels differ: it must be scikit-learn's float32 rounding.
    # Re-run both from the same starting centers on the same values in float64.
    if init == "k-means++":
        centered = X - X.mean(axis=0)
        _, our_seeds = kmeans_plusplus(centered, k, sample_weight=weights, random_state=0)
        _, their_seeds = sklearn_kmeans_plusplus(
            centered, k, sample_weight=weights, random_state=0)
        np.testing.assert_array_equal(our_seeds, their_seeds)
        init_value = X[our_seeds]
    X64 = X.astype(np.float64)
    w64 = None if weights is None else weights.astype(np.float64)
    exact = SklearnKMeans(k, init=init_value.astype(np.float64), n_init=1).fit(X64, sample_weight=w64)
    assert not np.array_equal(theirs.labels_, exact.labels_), (
        "labels differ from scikit-learn's float32 fit, yet its float32 and float64 fits agree")
    _assert_same_model(ours, exact, rtol_for(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_local_trials", [None, 1, 5])
def test_kmeans_plusplus_picks_sklearn_seeds(dtype, weighted, n_local_trials):
    X = make_blobs(3000, 3, 8, seed=4, dtype=dtype)
    weights = np.random.RandomState(1).uniform(0, 2, 3000).astype(dtype) if weighted else None
    ours = kmeans_plusplus(X, 12, sample_weight=weights, random_state=7,
                           n_local_trials=n_local_trials)
    theirs = sklearn_kmeans_plusplus(X, 12, sample_weight=weights, random_state=7,
                                     n_local_trials=n_local_trials)
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[0].dtype == dtype


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("n_init", [1, 4, "auto"])
def test_restarts_follow_sklearn_random_sequence(init, n_init):
    """n_init runs draw from one RandomState in sequence, and the best run is kept."""
    X = make_blobs(2000, 2, 6, seed=3)
    ours = KMeans(6, init=init, n_init=n_init, random_state=11).fit(X)
    theirs = SklearnKMeans(6, init=init, n_init=n_init, random_state=11).fit(X)
    _assert_same_model(ours, theirs, 1e-9)


def test_callable_init_receives_centered_data_and_random_state():
    X = make_blobs(500, 2, 3, seed=5)
    seen = {}

    def init(data, n_clusters, random_state):
        seen["mean"] = data.mean(axis=0)
        seen["random_state"] = random_state
        return data[random_state.choice(len(data), n_clusters, replace=False)]

    ours = KMeans(3, init=init, n_init=2, random_state=0).fit(X)
    theirs = SklearnKMeans(3, init=init, n_init=2, random_state=0).fit(X)
    np.testing.assert_allclose(seen["mean"], 0, atol=1e-12)
    assert isinstance(seen["random_state"], np.random.RandomState)
    _assert_same_model(ours, theirs, 1e-9)


@pytest.mark.parametrize("random_state", [None, 0, np.random.RandomState(3)])
def test_random_state_forms_match(random_state):
    X = make_blobs(800, 2, 4, seed=9)
    if random_state is None:
        np.random.seed(5)
    ours = KMeans(4, random_state=random_state, n_init=3).fit(X)
    if random_state is None:
        np.random.seed(5)
    elif isinstance(random_state, np.random.RandomState):
        random_state = np.random.RandomState(3)
    theirs = SklearnKMeans(4, random_state=random_state, n_init=3).fit(X)
    _assert_same_model(ours, theirs, 1e-9)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
def test_max_iter_and_tol_stop_like_sklearn(algorithm):
    X = make_blobs(5000, 4, 10, seed=2)
    for max_iter, tol in [(1, 1e-4), (3, 0.0), (300, 0.0), (300, 1e-2)]:
        ours = KMeans(10, max_iter=max_iter, tol=tol, random_state=1, algorithm=algorithm).fit(X)
        theirs = SklearnKMeans(10, max_iter=max_iter, tol=tol, random_state=1).fit(X)
        _assert_same_model(ours, theirs, 1e-9)


def test_predict_transform_score_match_sklearn():
    X = make_blobs(3000, 5, 6, seed=8)
    X_new = make_blobs(700, 5, 6, seed=9)
    ours = KMeans(6, random_state=0).fit(X)
    theirs = SklearnKMeans(6, random_state=0).fit(X)
    np.testing.assert_array_equal(ours.predict(X_new), theirs.predict(X_new))
    np.testing.assert_allclose(ours.transform(X_new), theirs.transform(X_new), rtol=1e-9)
    weights = np.random.RandomState(0).uniform(0, 2, 700)
    assert ours.score(X_new, sample_weight=weights) == pytest.approx(
        theirs.score(X_new, sample_weight=weights), rel=1e-9)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
def test_verbose_prints_sklearn_lines(capsys, algorithm):
    X = make_blobs(300, 2, 3, seed=1)
    KMeans(3, random_state=0, verbose=1, algorithm=algorithm).fit(X)
    out = capsys.readouterr().out
    assert out.startswith("Initialization complete\nIteration 0, inertia ")
    assert "Converged at iteration" in out


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
def test_empty_cluster_is_relocated_like_sklearn(algorithm):
    """A center far from all data gets no points; it must move to the farthest sample."""
    X = make_blobs(400, 2, 3, seed=6)
    init = np.vstack([X[:2], [[1e4, 1e4]]])
    ours = KMeans(3, init=init, n_init=1, algorithm=algorithm).fit(X)
    theirs = SklearnKMeans(3, init=init, n_init=1).fit(X)
    assert np.isfinite(ours.cluster_centers_).all()
    assert len(np.unique(ours.labels_)) == 3
    _assert_same_model(ours, theirs, 1e-9)


def test_first_seed_draw_is_numpy_choice():
    """The first k-means++ center: the index RandomState.choice(n, p=w/sum(w)) gives, same stream."""
    from kmeans_core._seeding import _weighted_draw

    rng = np.random.RandomState(0)
    for trial in range(300):
        # Up to 50 chunks of rows: the search resumes from a chunk start.
        n = rng.randint(1, 5000) if trial % 3 else rng.randint(5000, 50_000)
        weights = rng.uniform(0, 3, n) if trial % 2 else np.ones(n)
        if trial % 7 == 0:
            weights[rng.randint(n)] = 0.0
        if trial % 5 == 0:
            # Runs of zero weight, some across chunk boundaries: the cdf is flat there.
            for start in rng.randint(0, n, size=4):
                weights[start:start + rng.randint(1, 3000)] = 0.0
            weights[rng.randint(n)] = 1.0  # never all zero
        seed = rng.randint(2**30)
        expected = np.random.RandomState(seed).choice(n, p=weights / weights.sum())
        ours_rng = np.random.RandomState(seed)
        assert _weighted_draw(weights, weights.sum(), ours_rng.random_sample()) == expected
        # and the stream is left where choice leaves it
        reference_rng = np.random.RandomState(seed)
        reference_rng.choice(n, p=weights / weights.sum())
        assert ours_rng.random_sample() == reference_rng.random_sample()
