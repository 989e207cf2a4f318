"""Drop-in completeness and numeric hardening of KMeans (issue 12).

One section per gap found by running scikit-learn's own expectations and a
fault-injection pass against the estimator: kmeans_plusplus's signature, the
same bits whatever the algorithm, the tie rule, set_output, the clusterer
tags, the public assignment function, labels_ consistent with predict, and
faults (overflow, extreme weights, memory) that must end in a finite correct
answer or a ValueError naming the problem.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_blobs
from kmeans_core import (
    KMeans,
    assign_to_centers,
    choose_k,
    kmeans_plusplus,
    reference,
    silhouette_score,
)

ALGORITHMS = ("lloyd", "hamerly", "elkan", "auto")


# --- 1. kmeans_plusplus takes scikit-learn's full signature -----------------------


def test_kmeans_plusplus_signature_is_sklearns():
    from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

    ours = inspect.signature(kmeans_plusplus).parameters
    theirs = inspect.signature(sklearn_kmeans_plusplus).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == [
        (p.name, p.kind, p.default) for p in theirs.values()
    ]


@pytest.mark.parametrize("n_features", [2, 8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("offset", [0.0, 3.0])
def test_kmeans_plusplus_uses_the_given_squared_norms(n_features, dtype, offset):
    """Given norms are used as scikit-learn uses them: with the true norms the draws are
    scikit-learn's, and with altered norms (offset) still the ones scikit-learn draws from
    the same altered norms, wherever the distance form reads them."""
    from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

    X = make_blobs(3_000, n_features, 6, seed=n_features, dtype=dtype)
    norms = (X.astype(np.float64) ** 2).sum(axis=1) + offset
    for seed in range(5):
        ours = kmeans_plusplus(X, 6, x_squared_norms=norms, random_state=seed)
        theirs = sklearn_kmeans_plusplus(
            X, 6, x_squared_norms=norms.astype(dtype), random_state=seed
        )
        np.testing.assert_array_equal(ours[1], theirs[1])
        np.testing.assert_array_equal(ours[0], theirs[0])


@pytest.mark.parametrize(
    "norms, match",
    [
        (np.ones(10), r"x_squared_norms must have one value per row of X: expected shape \(50,\)"),
        (np.ones((50, 1)), r"x_squared_norms must have one value per row"),
        (np.full(50, np.nan), "x_squared_norms must be finite"),
        (-np.ones(50), "x_squared_norms must be finite and non-negative"),
        (np.array(["a"] * 50), "x_squared_norms must be real numbers"),
    ],
)
def test_kmeans_plusplus_rejects_bad_squared_norms(norms, match):
    X = make_blobs(50, 3, 2)
    with pytest.raises(ValueError, match=match):
        kmeans_plusplus(X, 2, x_squared_norms=norms, random_state=0)


# --- 2 and 3. The same bits whatever the algorithm; one tie rule --------------------


def _fit_all(X, init, sample_weight=None, **params):
    return {
        algorithm: KMeans(init.shape[0], init=init, n_init=1, algorithm=algorithm, **params).fit(
            X, sample_weight=sample_weight
        )
        for algorithm in ALGORITHMS
    }


def _assert_same_bits(models):
    lloyd = models["lloyd"]
    for algorithm, model in models.items():
        np.testing.assert_array_equal(model.labels_, lloyd.labels_, err_msg=algorithm)
        assert model.cluster_centers_.tobytes() == lloyd.cluster_centers_.tobytes(), algorithm
        assert model.inertia_ == lloyd.inertia_, algorithm
        assert model.n_iter_ == lloyd.n_iter_, algorithm


def _case(seed):
    """Small data of many kinds: blobs, integer points with heavy ties, weights, float32."""
    rng = np.random.RandomState(seed)
    n, d, k = rng.randint(40, 900), rng.randint(1, 10), rng.randint(2, 10)
    kind = seed % 4
    if kind == 0:  # repeated integer points: exact ties everywhere
        X = rng.randint(0, 4, size=(n, d)).astype(np.float64)
    elif kind == 1:  # blobs on unequal scales
        X = make_blobs(n, d, k, seed=seed)
    elif kind == 2:  # float32 blobs
        X = make_blobs(n, d, k, seed=seed, dtype=np.float32)
    else:  # few distinct points: empty clusters get relocated
        X = rng.randint(0, 3, size=(n, 1)).astype(np.float64) @ rng.uniform(1, 2, (1, d))
    init = X[rng.choice(n, k, replace=False)]
    weights = rng.uniform(0, 3, n) if seed % 3 == 0 else None
    return X, init, weights


@pytest.mark.parametrize("block", range(6))
def test_every_algorithm_gives_lloyds_bits(block):
    """labels_, cluster_centers_, inertia_ and n_iter_ identical across the algorithms
    (120 seeds in all, over six test cases)."""
    for seed in range(block * 20, block * 20 + 20):
        X, init, weights = _case(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
            _assert_same_bits(_fit_all(X, init, weights, max_iter=60))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_default_fit_same_bits_as_lloyd(algorithm):
    X = make_blobs(20_000, 8, 16, seed=3)
    ours = KMeans(16, random_state=0, algorithm=algorithm).fit(X)
    lloyd = KMeans(16, random_state=0, algorithm="lloyd").fit(X)
    _assert_same_bits({"lloyd": lloyd, algorithm: ours})


def test_exact_ties_go_to_the_lowest_center_index():
    """Integer points between integer centers: many samples are exactly equidistant
    from two centers; the assignment step gives each to the lower index, like the
    NumPy reference and every algorithm's first step."""
    grid = np.array([[x, y] for x in range(-4, 5) for y in range(-4, 5)], dtype=np.float64)
    centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    squared = reference.squared_distances(grid, centers)
    ties = (squared == squared.min(axis=1, keepdims=True)).sum(axis=1) > 1
    assert ties.sum() >= 15  # the test is about ties: make sure there are many
    expected = squared.argmin(axis=1)  # the first of the minima
    np.testing.assert_array_equal(assign_to_centers(grid, centers), expected)
    np.testing.assert_array_equal(reference.assign(grid, centers), expected)
    # Each algorithm's first assignment step (max_iter=1 keeps the first labels
    # only through the final re-assignment, so compare the one-step centers).
    one_step = _fit_all(grid, centers, max_iter=1)
    _assert_same_bits(one_step)
    means = np.array([grid[expected == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(one_step["lloyd"].cluster_centers_, means, rtol=0, atol=1e-15)


def test_issue_tie_case_elkan_equals_lloyd():
    """The reported case: 150 rows of repeated integer points (Elkan's labels differed
    from Lloyd's on 27 of them)."""
    rng = np.random.RandomState(12)
    for _ in range(30):
        X = rng.randint(0, 5, size=(150, 2)).astype(np.float64)
        init = X[rng.choice(150, 6, replace=False)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
            _assert_same_bits(_fit_all(X, init))


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 23),
    n_clusters=st.integers(1, 9),
    seed=st.integers(0, 2**31 - 1),
    repeated=st.booleans(),
)
def test_block_ranking_is_the_one_row_ranking(n_rows, n_clusters, seed, repeated):
    """The passes rank a block's rows centre by centre, across rows; each row must
    get exactly its own argmin of E (lowest index among equal E), that E and the
    smallest E of the other centres, whatever the block length and with exact ties
    in E."""
    from kmeans_core._kernels.distances import nearest_two_of_cross

    rng = np.random.RandomState(seed % (2**32))
    if repeated:  # small integers: many exactly equal E across centers
        cross = rng.randint(-2, 3, size=(n_clusters, n_rows)).astype(np.float64)
        norms = rng.randint(0, 3, size=n_clusters).astype(np.float64)
    else:
        cross = rng.standard_normal((n_clusters, n_rows))
        norms = rng.uniform(0, 2, n_clusters)
    nearest, best, second = nearest_two_of_cross(cross, norms)
    for r in range(n_rows):
        expanded = norms - 2.0 * cross[:, r]
        label = np.flatnonzero(expanded == expanded.min())[0]
        others = np.delete(expanded, label)
        assert (nearest[r], best[r]) == (label, expanded[label])
        assert second[r] == (others.min() if others.size else np.inf)


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 70),
    n_clusters=st.integers(1, 12),
    n_features=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_feature_sweeps_rank_as_the_block_scan(n_rows, n_clusters, n_features, seed):
    """Narrow rows are ranked across rows, feature by feature, instead of by a
    BLAS product and the sweep by centre: on small integers (every E exact, many equal)
    both give the same argmin (lowest index among equals), best, runner-up and
    row norms."""
    from kmeans_core._kernels.distances import nearest_two_by_feature_sweeps, nearest_two_of_cross

    rng = np.random.RandomState(seed % (2**32))
    rows = rng.randint(-3, 4, size=(n_rows, n_features)).astype(np.float64)
    centers_t = rng.randint(-3, 4, size=(n_features, n_clusters)).astype(np.float64)
    norms = (centers_t**2).sum(axis=0)
    nearest, best, second, row_norms = nearest_two_by_feature_sweeps(
        rows, centers_t, norms, np.empty(0)
    )
    for got, expected in zip(
        (nearest, best, second), nearest_two_of_cross(centers_t.T @ rows.T, norms)
    ):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(row_norms, (rows**2).sum(axis=1))
    # Norms given (as a fit gives them) are used as they are, and rank the same.
    given = (rows**2).sum(axis=1) + 0.0
    ranked = nearest_two_by_feature_sweeps(rows, centers_t, norms, given)
    for got, expected in zip(ranked, (nearest, best, second, given)):
        np.testing.assert_array_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 40),
    n_clusters=st.integers(1, 9),
    n_features=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
)
def test_block_labels_follow_the_tie_rule(n_rows, n_clusters, n_features, seed):
    """The block primitive every pass uses gives the reference's labels (direct
    distance, lowest index among exact equals) on integer data full of ties, and
    E of the label plus |x|^2 is that label's squared distance to rounding."""
    rng = np.random.RandomState(seed % (2**32))
    rows = rng.randint(-3, 4, size=(n_rows, n_features)).astype(np.float64)
    centers = rng.randint(-3, 4, size=(n_clusters, n_features)).astype(np.float64)
    centers_t = np.ascontiguousarray(centers.T)
    norms = (centers**2).sum(axis=1)
    # The rows' norms computed by the ranking, or given (as a fit gives them).
    for row_norms_argument in (np.empty(0), (rows**2).sum(axis=1)):
        _check_block_labels(rows, centers, centers_t, norms, row_norms_argument)


def _check_block_labels(rows, centers, centers_t, norms, row_norms_argument):
    from kmeans_core._kernels.distances import (
        nearest_centers_by_cross_product,
        nearest_centers_by_feature_sweeps,
        nearest_centers_of_cross,
    )

    n_rows = rows.shape[0]
    # Both rankings at every width (a fit picks one by ``narrow_rows``).
    for nearest, own, _, row_norms in (
        nearest_centers_by_cross_product(rows, centers_t, norms, None, row_norms_argument),
        nearest_centers_by_feature_sweeps(rows, centers_t, norms, True, row_norms_argument),
        nearest_centers_of_cross(rows, centers @ rows.T, centers_t, norms, row_norms_argument),
    ):
        np.testing.assert_array_equal(nearest, reference.assign(rows, centers))
        squared = reference.squared_distances(rows, centers)[np.arange(n_rows), nearest]
        np.testing.assert_allclose(own + row_norms, squared, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(row_norms, (rows**2).sum(axis=1))


@pytest.mark.parametrize("n_rows", [1, 2, 109, 300])
@pytest.mark.parametrize("n_clusters", [1, 10])
def test_cross_terms_by_centre_on_either_side_of_the_width_limit(n_rows, n_clusters):
    """The cross terms come by centre, (k, rows), whether BLAS computes them in that
    layout (up to ``BY_CENTRE_PRODUCT_MAX_FEATURES``) or row-major and copied (wider
    rows); and the ranking built on them gives the reference's labels on wide integer
    rows full of ties."""
    from kmeans_core._kernels.distances import (
        BY_CENTRE_PRODUCT_MAX_FEATURES,
        cross_terms,
        nearest_centers_by_cross_product,
    )

    rng = np.random.RandomState(n_rows * 31 + n_clusters)
    for n_features in (8, BY_CENTRE_PRODUCT_MAX_FEATURES, BY_CENTRE_PRODUCT_MAX_FEATURES + 1, 300):
        rows = rng.standard_normal((n_rows, n_features))
        centers = rng.standard_normal((n_clusters, n_features))
        centers_t = np.ascontiguousarray(centers.T)
        cross = cross_terms(rows, centers_t)
        assert cross.shape == (n_clusters, n_rows) and cross.flags.c_contiguous
        np.testing.assert_allclose(cross, centers @ rows.T, rtol=1e-12, atol=1e-12)
        # Integers: every product exact, many rows equidistant from two centres.
        rows = rng.randint(-1, 2, size=(n_rows, n_features)).astype(np.float64)
        centers = rng.randint(-1, 2, size=(n_clusters, n_features)).astype(np.float64)
        centers[-1] = centers[0]  # an exact tie for every row
        nearest = nearest_centers_by_cross_product(
            rows,
            np.ascontiguousarray(centers.T),
            (centers**2).sum(axis=1),
            None,
            np.empty(0),
        )[0]
        np.testing.assert_array_equal(nearest, reference.assign(rows, centers))


# --- 4. set_output and feature names ---------------------------------------------


def test_set_output_pandas_and_feature_names():
    X = pd.DataFrame(
        make_blobs(60, 3, 3), columns=["a", "b", "c"], index=[f"row{i}" for i in range(60)]
    )
    model = KMeans(3, random_state=0).set_output(transform="pandas")
    out = model.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert list(out.index) == list(X.index)
    np.testing.assert_array_equal(out.to_numpy(), KMeans(3, random_state=0).fit_transform(X))
    assert list(model.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2"]
    assert isinstance(model.set_output(transform="default").transform(X), np.ndarray)
    with pytest.raises(ValueError, match="set_output: transform must be"):
        model.set_output(transform="arrow")


def test_set_output_polars():
    pl = pytest.importorskip("polars")
    X = make_blobs(40, 2, 2)
    out = KMeans(2, random_state=0).set_output(transform="polars").fit_transform(X)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["kmeans0", "kmeans1"]


def test_global_transform_output_config_applies():
    X = make_blobs(40, 2, 2)
    model = KMeans(2, random_state=0).fit(X)
    with sklearn.config_context(transform_output="pandas"):
        out = model.transform(X)
        assert isinstance(out, pd.DataFrame)
        # The estimator's own setting wins over the global one.
        assert isinstance(model.set_output(transform="default").transform(X), np.ndarray)
    assert isinstance(KMeans(2, random_state=0).fit(X).transform(X), np.ndarray)


def test_set_output_in_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = pd.DataFrame(make_blobs(50, 2, 2), columns=["x", "y"])
    pipeline = make_pipeline(StandardScaler(), KMeans(2, random_state=0))
    out = pipeline.set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["kmeans0", "kmeans1"]


# --- 5. A clusterer, as scikit-learn's tools ask ---------------------------------------


def test_is_a_clusterer():
    from sklearn.base import is_clusterer

    assert KMeans._estimator_type == "clusterer"
    assert is_clusterer(KMeans())


def test_yellowbrick_visualizers_accept_it():
    """yellowbrick 1.5 asks ``isinstance(model, sklearn.base.BaseEstimator)``, which a
    class with no runtime dependency on scikit-learn cannot answer yes to: its own
    ``contrib.wrapper.wrap`` is the documented way in, and then the clusterer tag is
    what its cluster visualizers check (scikit-learn's own KMeans, without
    ``_estimator_type`` since 1.8, is refused there)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = make_blobs(300, 2, 4, seed=1)
    # yellowbrick restyles matplotlib when imported (fonts, colors): keep that
    # inside this test, so later tests draw with the defaults.
    with matplotlib.rc_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yellowbrick's own deprecation chatter
        from yellowbrick.cluster import KElbowVisualizer, SilhouetteVisualizer
        from yellowbrick.contrib.wrapper import wrap

        elbow = KElbowVisualizer(wrap(KMeans(random_state=0)), k=(2, 7), timings=False)
        elbow.fit(X)
        assert elbow.elbow_value_ == 4
        # Explicit colors: yellowbrick 1.5's default colormap lookup fails on
        # current matplotlib, whatever the estimator.
        silhouette = SilhouetteVisualizer(
            wrap(KMeans(4, random_state=0)), colors=["C0", "C1", "C2", "C3"]
        )
        silhouette.fit(X)
        plt.close("all")
    assert silhouette.silhouette_score_ == pytest.approx(
        silhouette_score(X, KMeans(4, random_state=0).fit_predict(X)), rel=1e-12
    )


# --- 6. A public assignment function ----------------------------------------------


def test_assign_to_centers_matches_predict_and_distances():
    X = make_blobs(500, 3, 4, seed=2)
    model = KMeans(4, random_state=0).fit(X)
    labels, distances = assign_to_centers(X, model.cluster_centers_, return_distances=True)
    np.testing.assert_array_equal(labels, model.predict(X))
    expected = np.sqrt(((X - model.cluster_centers_[labels]) ** 2).sum(axis=1))
    np.testing.assert_allclose(distances, expected, rtol=1e-12)
    np.testing.assert_allclose(distances, model.transform(X).min(axis=1), rtol=1e-12)


@pytest.mark.parametrize(
    "X, centers, match",
    [
        ([[0.0, 1.0]], [[0.0]], "centers has 1 features but X has 2"),
        ([[np.nan, 1.0]], [[0.0, 0.0]], "contains NaN"),
        ([[0.0, 1.0]], [[np.inf, 0.0]], "Input centers contains NaN or infinity"),
        ([[0.0, 1.0]], [], "centers"),
        ([0.0, 1.0], [[0.0, 0.0]], "Expected a 2D array"),
    ],
)
def test_assign_to_centers_validation(X, centers, match):
    with pytest.raises(ValueError, match=match):
        assign_to_centers(X, centers)


# --- 7. labels_ always equals predict(X) ---------------------------------------------


@given(seed=st.integers(0, 10_000), k=st.integers(2, 8), algorithm=st.sampled_from(ALGORITHMS))
@settings(max_examples=60, deadline=None)
def test_labels_equal_predict_on_training_data(seed, k, algorithm):
    """Including data with few distinct points, where empty clusters are relocated
    (possibly in the last iteration, when no label changes)."""
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 4, size=(rng.randint(k + 2, 80), 2)) * rng.uniform(0.5, 2, 2)
    if np.unique(X, axis=0).shape[0] < k:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        model = KMeans(
            k,
            init="random",
            n_init=3,
            random_state=seed,
            algorithm=algorithm,
            max_iter=rng.randint(1, 6),
        ).fit(X)
    np.testing.assert_array_equal(model.labels_, model.predict(X))


def test_relocation_in_the_last_iteration_is_not_strict_convergence():
    from kmeans_core._iterations import _converged

    assert _converged(3, 0, False, 1.0, 0.0, 0) == (True, True)
    assert _converged(3, 0, True, 1.0, 0.0, 0) == (False, True)  # stop, then re-assign
    assert _converged(3, 5, True, 1.0, 0.0, 0) == (False, False)


def test_predict_uses_edited_centers():
    X = make_blobs(100, 2, 3)
    model = KMeans(3, random_state=0).fit(X)
    model.cluster_centers_ = model.cluster_centers_[::-1].copy()
    np.testing.assert_array_equal(model.predict(X), 2 - model.labels_)


# --- Numeric faults ----------------------------------------------------------------------


def test_wide_data_that_overflows_is_refused():
    X = np.random.RandomState(0).uniform(0.5, 1.0, (20, 1000)) * 1e153
    with pytest.raises(ValueError, match="too large for K-Means.*1000 features"):
        KMeans(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="too large for K-Means"):
        kmeans_plusplus(X, 2, random_state=0)
    # The same data rescaled fits, finite.
    assert np.isfinite(KMeans(2, random_state=0).fit(X / 1e153).inertia_)


def test_huge_and_tiny_weights_give_the_unit_weight_answer():
    X = make_blobs(300, 3, 4, seed=4)
    unit = KMeans(4, random_state=0).fit(X)
    for scale in (1e300, 1e-300, 1e-320, 2.0**-1070):
        weighted = KMeans(4, random_state=0).fit(X, sample_weight=np.full(300, scale))
        np.testing.assert_array_equal(weighted.labels_, unit.labels_)
        np.testing.assert_allclose(weighted.cluster_centers_, unit.cluster_centers_, rtol=1e-13)
        assert np.isfinite(weighted.inertia_) and weighted.inertia_ > 0
        if scale >= 1e-300:  # inertia not subnormal: relative precision holds
            assert weighted.inertia_ == pytest.approx(unit.inertia_ * scale, rel=1e-12)


def test_weights_rescaled_by_a_power_of_two_give_the_same_bits():
    X = make_blobs(400, 3, 4, seed=5)
    weights = np.random.RandomState(0).uniform(0.1, 2, 400)
    base = KMeans(4, random_state=0).fit(X, sample_weight=weights)
    for exponent in (-1000, -600, 600, 1000):  # weights stay normal numbers
        scaled = KMeans(4, random_state=0).fit(X, sample_weight=np.ldexp(weights, exponent))
        assert scaled.cluster_centers_.tobytes() == base.cluster_centers_.tobytes()
        np.testing.assert_array_equal(scaled.labels_, base.labels_)
        seeds = kmeans_plusplus(X, 4, sample_weight=np.ldexp(weights, exponent), random_state=3)
        np.testing.assert_array_equal(
            seeds[1], kmeans_plusplus(X, 4, sample_weight=weights, random_state=3)[1]
        )


def test_weights_whose_inertia_overflows_are_refused():
    X = make_blobs(300, 3, 4, seed=4)
    with pytest.raises(ValueError, match="sample_weight is too large.*overflows float64"):
        KMeans(4, random_state=0).fit(X, sample_weight=np.full(300, 1e308))


@pytest.mark.parametrize(
    "weights, match",
    [
        (np.ones(50) * (1 + 1j), "sample_weight must be real numbers, got complex"),
        ([1 + 0j] * 50, "sample_weight must be real numbers"),
        (np.full(50, np.inf), "sample_weight contains NaN or infinity"),
        (
            np.r_[np.ones(49), np.nan],
            r"sample_weight contains NaN or infinity \(1 values, first at "
            r"index 49\)",
        ),
    ],
)
def test_bad_weights_are_refused_by_name(weights, match):
    X = make_blobs(50, 2, 2)
    for call in (
        lambda: KMeans(2).fit(X, sample_weight=weights),
        lambda: kmeans_plusplus(X, 2, sample_weight=weights),
        lambda: choose_k(X, k_range=range(1, 4), sample_weight=weights),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ComplexWarning on the way
            with pytest.raises(ValueError, match=match):
                call()


def test_float32_weights_beyond_float32_range_are_rescaled():
    X = make_blobs(200, 2, 3, dtype=np.float32)
    unit = KMeans(3, random_state=0).fit(X)
    big = KMeans(3, random_state=0).fit(X, sample_weight=np.full(200, 1e300))
    np.testing.assert_array_equal(big.labels_, unit.labels_)
    np.testing.assert_allclose(big.cluster_centers_, unit.cluster_centers_, rtol=1e-6)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_silhouette_of_extreme_scales(scale):
    from sklearn.metrics import silhouette_score as sklearn_silhouette

    rng = np.random.RandomState(0)
    X, labels = rng.rand(80, 3), rng.randint(0, 3, 80)
    expected = sklearn_silhouette(X, labels)
    assert silhouette_score(X * scale, labels) == pytest.approx(expected, rel=1e-12)


def test_kmeans_plusplus_with_overflowing_potential_picks_the_unit_weight_seeds():
    from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus

    X = make_blobs(2_000, 3, 5, seed=6)
    expected = sklearn_kmeans_plusplus(X, 5, random_state=0)[1]
    ours = kmeans_plusplus(X, 5, sample_weight=np.full(2_000, 1e308), random_state=0)[1]
    np.testing.assert_array_equal(ours, expected)


# --- Memory rule ------------------------------------------------------------------------


def test_hamerly_keeps_no_k_squared_state():
    from kmeans_core._iterations import memory_needed_bytes

    hamerly = memory_needed_bytes("hamerly", 100_000, 2, 20_000, n_threads=2)
    elkan = memory_needed_bytes("elkan", 100_000, 2, 20_000, n_threads=2)
    lloyd = memory_needed_bytes("lloyd", 100_000, 2, 20_000, n_threads=2)
    # Two bounds per sample, O(k), and the per-slot sums (here one slot per chunk, as
    # large as Lloyd's own per-chunk sums, themselves capped at 64 MiB): no k * k table,
    # which would be 3.2 GB here.
    assert 16 * 100_000 + 8 * 20_000 <= hamerly - lloyd <= 16 * 100_000 + 8 * 20_000 + 2**26
    assert elkan > 8 * 100_000 * 20_000  # n * k lower bounds


def test_auto_chooses_by_memory_and_explicit_bounds_are_refused(monkeypatch):
    import kmeans_core._kmeans as kmeans_module

    # Wide enough that speed alone picks Hamerly (a small table with little work
    # per pass would get Lloyd's compiled run whatever the memory).
    X = make_blobs(5_000, 16, 10, seed=7)
    budget = [None]
    monkeypatch.setattr(kmeans_module, "memory_budget_bytes", lambda: budget[0])
    model = KMeans(10, random_state=0)
    assert model._resolved_algorithm(X) == "hamerly"
    budget[0] = 10_000  # far too little for Hamerly's 16 bytes per sample
    assert model._resolved_algorithm(X) == "lloyd"
    for algorithm in ("hamerly", "elkan"):
        with pytest.raises(
            ValueError,
            match=rf"algorithm='{algorithm}' would need about .* "
            r"GiB.*Use algorithm='lloyd'",
        ):
            KMeans(10, algorithm=algorithm).fit(X)
    # And auto's answer under the budget is Lloyd's, bit for bit.
    _assert_same_bits(
        {
            "lloyd": KMeans(10, random_state=0, algorithm="lloyd").fit(X),
            "auto": KMeans(10, random_state=0).fit(X),
        }
    )


def test_the_memory_guard_counts_the_centred_copy(monkeypatch):
    """The budget is read before the fit's centred copy exists: the copy is taken out of it."""
    import kmeans_core._kmeans as kmeans_module
    from kmeans_core._iterations import memory_needed_bytes

    X = make_blobs(5_000, 16, 10, seed=7)
    hamerly = memory_needed_bytes("hamerly", 5_000, 16, 10)
    budget = [hamerly + X.nbytes // 2]  # room for Hamerly beside the copy
    monkeypatch.setattr(kmeans_module, "memory_budget_bytes", lambda: budget[0])
    model = KMeans(10, random_state=0)
    assert model._resolved_algorithm(X) == "hamerly"
    budget[0] = hamerly + X.nbytes // 4  # enough for Hamerly alone, not beside the copy
    assert model._resolved_algorithm(X) == "lloyd"
    # A fit on 5,000 rows runs on one numba thread: Hamerly's needs for one thread.
    budget[0] = memory_needed_bytes("hamerly", 5_000, 16, 10, n_threads=1) + X.nbytes // 4
    with pytest.raises(ValueError, match="beside the fit's centred copy of X"):
        KMeans(10, algorithm="hamerly").fit(X)
