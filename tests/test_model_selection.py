"""Kneedle, elbow, gap statistic and choose_k: known answers, oracles, seeding, bad input."""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot
import numpy as np
import pytest

import kmeans_core
import kmeans_core._knee
import kmeans_core.model_selection
from kmeans_core import (
    ChooseKResult,
    KMeans,
    choose_k,
    elbow,
    find_knee,
    gap_statistic,
    silhouette_score,
)
from kmeans_core.model_selection import METHODS

matplotlib.use("Agg")

K = np.arange(1, 11)


# -- data ---------------------------------------------------------------------


def square_blobs(k=4, per_cluster=40, spread=1.0, seed=0):
    """k equal, well-separated round clusters on a circle (a clear answer for every method)."""
    rng = np.random.RandomState(seed)
    angles = 2 * np.pi * np.arange(k) / k
    centers = 20 * np.c_[np.cos(angles), np.sin(angles)]
    X = np.vstack([c + spread * rng.standard_normal((per_cluster, 2)) for c in centers])
    return X, np.repeat(np.arange(k), per_cluster)


# -- Kneedle ------------------------------------------------------------------

# Piecewise linear curves whose knee is the corner, one per curve/direction.
KNOWN_KNEES = [
    # falling steeply, then slowly: elbow at the last steep point
    ("convex", "decreasing", [100, 80, 60, 40, 20, 18, 16, 14, 12, 10], 5),
    # rising steeply, then slowly
    ("concave", "increasing", [0, 20, 40, 60, 80, 82, 84, 86, 88, 90], 5),
    # falling slowly, then steeply
    ("concave", "decreasing", [90, 88, 86, 84, 82, 80, 60, 40, 20, 0], 6),
    # rising slowly, then steeply
    ("convex", "increasing", [0, 2, 4, 6, 8, 10, 30, 50, 70, 90], 6),
]


@pytest.mark.parametrize("curve, direction, y, knee", KNOWN_KNEES)
def test_piecewise_linear_knees(curve, direction, y, knee):
    assert find_knee(K, y, curve=curve, direction=direction) == knee
    # Units do not matter (min-max normalisation), nor a shift of x.
    assert (
        find_knee(K * 3.0 + 7, np.array(y) * 1e6 - 5, curve=curve, direction=direction)
        == knee * 3.0 + 7
    )


def test_reciprocal_curve():
    # y = 1/x on 1..10: the normalised distance to the chord peaks at x = 3
    # (continuous optimum sqrt(10) = 3.16) and falls by more than one x-step
    # (1/9) by x = 6.
    assert find_knee(K, 1.0 / K) == 3
    # y = 1 - 1/x is the same shape rising (concave increasing).
    assert find_knee(K, 1 - 1.0 / K, curve="concave", direction="increasing") == 3


def test_sensitivity():
    y = [100, 80, 60, 40, 20, 18, 16, 14, 12, 10]
    # The difference curve peaks at 4/9 at x = 5 and falls by 1/45 per step to 0:
    # a drop of S/9 is reached for S up to 4 (exclusive).
    assert find_knee(K, y, S=0) == 5
    assert find_knee(K, y, S=1) == 5
    assert find_knee(K, y, S=3.9) == 5
    assert find_knee(K, y, S=4) is None
    # A gentle bend: only a small S accepts it.
    gentle = 10 - K + 0.08 * np.minimum(K - 5, 0) ** 2
    assert find_knee(K, gentle, S=0.1) is not None
    assert find_knee(K, gentle, S=1) is None


def test_online_returns_the_last_knee():
    x = np.arange(1, 14)
    y = [100, 70, 40, 38, 36, 34, 32, 30, 10, 9, 8, 7, 6.0]
    assert find_knee(x, y) == 3
    assert find_knee(x, y, online=True) == 9


def test_no_knee_documented_cases():
    assert find_knee([1, 2], [5, 1]) is None  # fewer than 3 points
    assert find_knee(K, np.full(10, 3.0)) is None  # flat
    assert find_knee(K, 10.0 - K) is None  # a straight line has no bend


def test_knee_type_follows_x():
    assert isinstance(find_knee(K, 1.0 / K), int)
    assert isinstance(find_knee(K.astype(float), 1.0 / K), float)


def test_kneedle_matches_kneed():
    kneed = pytest.importorskip("kneed")
    rng = np.random.RandomState(0)
    for _ in range(400):
        n = rng.randint(3, 25)
        x = np.arange(1, n + 1) if rng.rand() < 0.6 else np.cumsum(rng.uniform(0.1, 2, n))
        shape = rng.randint(3)
        if shape == 0:
            y = 1 / x ** rng.uniform(0.3, 3) + rng.normal(0, 0.02, n)
        elif shape == 1:
            y = np.log(x + rng.uniform(0.1, 3)) + rng.normal(0, 0.02, n)
        else:
            y = rng.standard_normal(n).cumsum()
        curve = ("convex", "concave")[rng.randint(2)]
        direction = ("increasing", "decreasing")[rng.randint(2)]
        S = (0.0, 0.5, 1.0, 2.0, 5.0)[rng.randint(5)]
        online = bool(rng.randint(2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kneed warns when it finds no knee
            expected = kneed.KneeLocator(
                x, y, S=S, curve=curve, direction=direction, online=online
            ).knee
        ours = find_knee(x, y, S=S, curve=curve, direction=direction, online=online)
        if expected is None:
            assert ours is None
        else:
            assert ours == pytest.approx(expected)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x=[1, 2, 3], y=[3, 2]), "same length"),
        (dict(x=[1, 3, 2], y=[3, 2, 1]), "strictly increasing"),
        (dict(x=[1, 1, 2], y=[3, 2, 1]), "strictly increasing"),
        (dict(x=[1, 2, 3], y=[3, np.nan, 1]), "finite"),
        (dict(x=[[1, 2, 3]], y=[[3, 2, 1]]), "1-D"),
        (dict(x=["a", "b", "c"], y=[3, 2, 1]), "numbers"),
        (dict(x=[1, 2, 3], y=[3, 2, 1], S=-1), "S .*>= 0"),
        (dict(x=[1, 2, 3], y=[3, 2, 1], S=np.inf), "S .*finite"),
        (dict(x=[1, 2, 3], y=[3, 2, 1], curve="elbow"), "curve must be one of"),
        (dict(x=[1, 2, 3], y=[3, 2, 1], direction="down"), "direction must be one of"),
        (dict(x=[1, 2, 3], y=[3, 2, 1], online="yes"), "online must be True or False"),
    ],
)
def test_find_knee_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        find_knee(**kwargs)


# -- elbow ----------------------------------------------------------------------


def test_elbow_is_the_inertia_of_each_fit():
    X, _ = square_blobs(seed=1)
    ks, wcss = elbow(X, range(1, 7))
    np.testing.assert_array_equal(ks, np.arange(1, 7))
    expected = [KMeans(k, random_state=0).fit(X).inertia_ for k in range(1, 7)]
    np.testing.assert_array_equal(wcss, expected)


def test_elbow_honours_restarts_weights_and_kmeans_params():
    X, _ = square_blobs(k=5, spread=4.0, seed=2)
    weights = np.random.RandomState(0).uniform(0.5, 2, len(X))
    ks, wcss = elbow(
        X, [6, 2, 4], sample_weight=weights, random_state=3, n_init=4, init="random", max_iter=50
    )
    np.testing.assert_array_equal(ks, [2, 4, 6])  # sorted
    expected = [
        KMeans(k, random_state=3, n_init=4, init="random", max_iter=50)
        .fit(X, sample_weight=weights)
        .inertia_
        for k in (2, 4, 6)
    ]
    np.testing.assert_array_equal(wcss, expected)


# -- choose_k -------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("true_k", [3, 4])
def test_choose_k_finds_true_k_on_blobs(method, true_k):
    X, _ = square_blobs(k=true_k, seed=true_k)
    result = choose_k(X, range(1, 9), method=method)
    assert result.k == true_k, result.reason
    assert result.method == method
    assert f"k={true_k}" in result.reason


def test_choose_k_result_contents():
    X, truth = square_blobs(k=4, seed=5)
    result = choose_k(X, range(1, 8), scores=("silhouette", "davies_bouldin", "calinski_harabasz"))
    assert isinstance(result, ChooseKResult)
    np.testing.assert_array_equal(result.k_values, np.arange(1, 8))
    assert list(result.scores) == ["silhouette", "davies_bouldin", "calinski_harabasz"]
    assert sorted(result.models) == list(range(1, 8))
    for position, k in enumerate(result.k_values):
        model = result.models[k]
        assert model.n_clusters == k
        assert result.inertia[position] == model.inertia_
        if k == 1:  # undefined for one cluster
            assert all(np.isnan(values[position]) for values in result.scores.values())
        else:
            assert result.scores["silhouette"][position] == silhouette_score(X, model.labels_)
            assert result.scores["davies_bouldin"][position] == kmeans_core.davies_bouldin_score(
                X, model.labels_
            )
            assert result.scores["calinski_harabasz"][
                position
            ] == kmeans_core.calinski_harabasz_score(X, model.labels_)
    assert kmeans_core.adjusted_rand_score(truth, result.models[result.k].labels_) == 1.0
    frame = result.to_frame()
    assert list(frame.columns) == ["inertia", "silhouette", "davies_bouldin", "calinski_harabasz"]
    assert "k=4" in repr(result)


def test_choose_k_silhouette_sample_size_uses_the_same_subset_for_every_k():
    X, _ = square_blobs(k=3, per_cluster=100, spread=6.0, seed=6)
    result = choose_k(
        X, range(2, 6), method="silhouette", silhouette_sample_size=120, random_state=4
    )
    for position, k in enumerate(result.k_values):
        labels = result.models[k].labels_
        assert result.scores["silhouette"][position] == pytest.approx(
            silhouette_score(X, labels, sample_size=120, random_state=4), abs=1e-15
        )


def test_choose_k_undefined_scores_at_k_equal_n():
    X = np.array([[0.0, 0], [0, 1], [5, 5], [5, 6], [9, 0], [9, 1.5]])
    result = choose_k(X, range(1, 7), method="silhouette", scores=("gap",), n_refs=3)
    assert np.isnan(result.scores["silhouette"][[0, -1]]).all()
    assert np.isfinite(result.scores["silhouette"][1:-1]).all()
    assert np.isnan(result.scores["gap"][-1])  # WCSS is 0 at k = n
    assert result.k == 3


def test_elbow_without_a_knee_chooses_none_and_says_why():
    X, _ = square_blobs(k=4, seed=7)
    result = choose_k(X, range(1, 9), S=50.0)
    assert result.k is None
    assert "no elbow" in result.reason and "S=50" in result.reason


def test_gap_is_seeded_and_reproducible():
    X, _ = square_blobs(k=3, per_cluster=30, spread=3.0, seed=8)
    first = gap_statistic(X, range(1, 6), n_refs=5, random_state=11)
    again = gap_statistic(X, range(1, 6), n_refs=5, random_state=11)
    other = gap_statistic(X, range(1, 6), n_refs=5, random_state=12)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])
    result = choose_k(X, range(1, 6), method="gap", n_refs=5, random_state=11)
    np.testing.assert_array_equal(result.scores["gap"], first[1])
    np.testing.assert_array_equal(result.scores["gap_se"], first[2])
    assert (first[2] > 0).all()


def test_gap_on_structureless_data_chooses_one_cluster():
    X = np.random.RandomState(9).uniform(size=(300, 2))
    result = choose_k(X, range(1, 7), method="gap", n_refs=10, random_state=0)
    assert result.k == 1, result.reason


def test_gap_standard_error_rule_by_hand():
    X, _ = square_blobs(k=3, seed=11)
    ks, gap, se = gap_statistic(X, range(1, 7), n_refs=10, random_state=0)
    rule = [i for i in range(len(ks) - 1) if gap[i] >= gap[i + 1] - se[i + 1]]
    result = choose_k(X, range(1, 7), method="gap", n_refs=10, random_state=0)
    assert result.k == ks[rule[0]] == 3


def test_gap_rule_never_met_returns_largest_k_and_says_so():
    # Four clusters, k up to 3: the gap is still rising at the end of the range.
    X, _ = square_blobs(k=4, seed=11)
    result = choose_k(X, range(1, 4), method="gap", n_refs=10)
    assert result.k == 3
    assert "No k in k=1..3" in result.reason


def test_choose_k_reproducible_with_int_seed_and_random_state_instance():
    X, _ = square_blobs(k=3, spread=5.0, seed=12)
    a = choose_k(X, range(1, 6), scores=("gap", "silhouette"), n_refs=3, random_state=5)
    b = choose_k(X, range(1, 6), scores=("gap", "silhouette"), n_refs=3, random_state=5)
    np.testing.assert_array_equal(a.inertia, b.inertia)
    for name in a.scores:
        np.testing.assert_array_equal(a.scores[name], b.scores[name])
    c = choose_k(X, range(1, 6), random_state=np.random.RandomState(5))
    assert c.k == a.k


def test_plot():
    plt = pytest.importorskip("matplotlib.pyplot")
    X, _ = square_blobs(k=3, seed=13)
    result = choose_k(X, range(1, 7), method="gap", scores=("silhouette",), n_refs=3)
    axes = result.plot()
    assert len(axes) == 3  # inertia, gap (with its error bars), silhouette
    assert [ax.get_ylabel() for ax in axes] == [
        "WCSS (inertia)",
        "gap statistic",
        "mean silhouette",
    ]
    for ax in axes:  # chosen k marked on every panel
        assert any(list(line.get_xdata()) == [3, 3] for line in ax.get_lines())
    fig, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    assert ax.get_ylabel() == "gap statistic"
    fig, many = plt.subplots(1, 3)
    assert len(result.plot(ax=many)) == 3
    with pytest.raises(ValueError, match="ax must be one Axes or 3 Axes"):
        result.plot(ax=many[:2])
    no_knee = choose_k(X, range(1, 7), S=50.0)
    no_knee.plot()  # k is None: nothing marked, still draws
    plt.close("all")


# -- bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(k_range=range(0, 5)), r"k_range contains k=0, outside 1..n_samples=20"),
        (dict(k_range=[2, 21]), r"k_range contains k=21, outside 1..n_samples=20"),
        (dict(k_range=[]), "k_range is empty"),
        (dict(k_range=[2, 3, 3]), "k_range contains k=3 more than once"),
        (dict(k_range=[2, 3.5]), "k_range must contain integers only"),
        (dict(k_range=[2, True]), "k_range must contain integers only"),
        (dict(k_range=5), "k_range must be a sequence of integers"),
        (dict(k_range="1-5"), "k_range must be a sequence of integers"),
        (dict(method="knee"), "method must be one of"),
        (dict(scores=("silhouette", "bic")), "scores must be names from"),
        (dict(n_refs=0, method="gap"), "n_refs must be an integer >= 1"),
        (dict(S=-0.5), r"S \(sensitivity\) must be a finite number >= 0"),
        (dict(silhouette_sample_size=1), "silhouette_sample_size must be an integer >= 2"),
        (dict(n_clusters=3), "do not pass n_clusters"),
        (dict(k_range=[1, 2]), "method='elbow' needs at least 3 values in k_range"),
        (dict(k_range=[2], method="gap"), "k_range needs at least 2 values"),
        (dict(k_range=[1], method="silhouette"), "defined for 2 <= k <= n_samples - 1"),
        (dict(k_range=[1, 20], method="davies_bouldin"), "defined for 2 <= k <= n_samples - 1"),
        (dict(sample_weight=np.ones(3)), "sample_weight has 3 values"),
    ],
)
def test_choose_k_bad_input(kwargs, match):
    X = np.random.RandomState(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match=match):
        choose_k(X, **{"k_range": range(1, 6), **kwargs})


def test_constant_data_and_too_few_distinct_points():
    with pytest.raises(ValueError, match="X is constant"):
        choose_k(np.ones((30, 2)), range(1, 6))
    with pytest.raises(ValueError, match="X is constant"):
        elbow(np.ones((30, 2)), range(1, 6))
    X = np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 0.0]], 10, axis=0)
    with pytest.raises(ValueError, match="k=5 but X has only 3 distinct rows"):
        choose_k(X, range(1, 6))
    with pytest.raises(ValueError, match="NaN or infinity"):
        choose_k(
            np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 3.0]]), range(1, 3), method="silhouette"
        )


def test_gap_statistic_and_elbow_bad_input():
    X = np.random.RandomState(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match="n_refs must be an integer >= 1"):
        gap_statistic(X, range(1, 4), n_refs=1.5)
    with pytest.raises(ValueError, match="outside 1..n_samples=20"):
        gap_statistic(X, range(1, 30))
    with pytest.raises(ValueError, match="outside 1..n_samples=20"):
        elbow(X, range(1, 30))


# -- real data -------------------------------------------------------------------


def test_mall_customers_elbow_and_silhouette_agree_on_five(mall_customers_path):
    pd = pytest.importorskip("pandas")
    data = pd.read_csv(mall_customers_path)
    X = data[["Annual Income (k$)", "Spending Score (1-100)"]]
    result = choose_k(X, range(1, 11), method="elbow", scores=("silhouette",))
    assert result.k == 5, result.reason
    silhouette = result.scores["silhouette"]
    assert result.k_values[np.nanargmax(silhouette)] == 5
    assert silhouette[4] == pytest.approx(0.55, abs=0.01)
    assert sorted(np.bincount(result.models[5].labels_)) == [22, 23, 35, 39, 81]


# -- package ----------------------------------------------------------------------


def test_exported_from_package():
    for name in ["find_knee", "elbow", "gap_statistic", "choose_k", "ChooseKResult"]:
        assert name in kmeans_core.__all__
        assert hasattr(kmeans_core, name)
