"""Ward comparison: SciPy's tree, matched labels, our ARI against scikit-learn's, sizes, plot."""

from __future__ import annotations

import doctest

import matplotlib
import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score as sklearn_ari

import kmeans_core
import kmeans_core.hierarchy
from kmeans_core import KMeans, adjusted_rand_score
from kmeans_core.hierarchy import WardComparison, ward_comparison

matplotlib.use("Agg")


def blobs(k=3, per_cluster=30, spread=1.0, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-30, 30, size=(k, 2))
    sizes = per_cluster + 7 * np.arange(k)  # unequal sizes, so the table is informative
    return np.vstack(
        [
            center + spread * rng.standard_normal((size, 2))
            for center, size in zip(centers, sizes, strict=True)
        ]
    )


def test_separated_blobs_agree_completely():
    X = blobs(seed=1)
    labels = KMeans(3, random_state=0).fit(X).labels_
    result = ward_comparison(X, labels)
    assert isinstance(result, WardComparison)
    assert result.ari == 1.0
    # Matched labels: Ward's clusters carry the K-Means numbers.
    np.testing.assert_array_equal(result.ward_labels, labels)
    assert list(result.sizes.columns) == ["kmeans", "ward", "shared"]
    assert result.sizes.index.name == "cluster"
    np.testing.assert_array_equal(result.sizes["kmeans"], np.bincount(labels))
    np.testing.assert_array_equal(result.sizes["ward"], result.sizes["kmeans"])
    np.testing.assert_array_equal(result.sizes["shared"], result.sizes["kmeans"])
    assert result.n_clusters == 3
    assert "ari=1.0000" in repr(result)


def test_linkage_labels_and_ari_against_scipy_and_sklearn():
    X = blobs(k=4, spread=8.0, seed=2)  # overlapping: the two methods disagree somewhat
    labels = KMeans(4, random_state=0).fit(X).labels_
    result = ward_comparison(X, labels)
    np.testing.assert_array_equal(result.linkage, linkage(X, method="ward"))
    raw = fcluster(result.linkage, t=4, criterion="maxclust")
    # Renumbering only: the same partition as SciPy's cut ...
    assert adjusted_rand_score(raw, result.ward_labels) == 1.0
    # ... and as scikit-learn's Ward clustering.
    theirs = AgglomerativeClustering(n_clusters=4, linkage="ward").fit_predict(X)
    assert adjusted_rand_score(theirs, result.ward_labels) == 1.0
    # Our ARI is scikit-learn's.
    assert result.ari == pytest.approx(sklearn_ari(labels, raw), abs=1e-15)
    assert result.ari < 1.0
    # The table adds up and is consistent with the contingency table.
    assert result.sizes["kmeans"].sum() == result.sizes["ward"].sum() == len(X)
    contingency = result.contingency
    assert contingency.to_numpy().sum() == len(X)
    for cluster, row in result.sizes.iterrows():
        assert row["shared"] == contingency.loc[cluster, cluster]
    # The matching maximises the total overlap: no relabelling shares more.
    assert result.sizes["shared"].sum() >= np.trace(contingency.to_numpy())


def test_more_ward_clusters_than_kmeans_clusters():
    X = blobs(k=4, seed=3)
    labels = KMeans(2, random_state=0).fit(X).labels_
    result = ward_comparison(X, labels, n_clusters=4)
    assert result.n_clusters == 4
    assert np.unique(result.ward_labels).size == 4
    assert set(result.sizes.index) == {0, 1, 2, 3}
    np.testing.assert_array_equal(result.sizes.loc[[2, 3], "kmeans"], [0, 0])
    assert result.ari == pytest.approx(sklearn_ari(labels, result.ward_labels), abs=1e-15)


def test_labels_may_be_any_integers():
    X = blobs(seed=4)
    labels = KMeans(3, random_state=0).fit(X).labels_
    shifted = ward_comparison(X, labels.astype(np.int64) + 1)  # 1-based segments
    np.testing.assert_array_equal(shifted.ward_labels, labels + 1)
    floats = ward_comparison(X, labels.astype(float))
    assert floats.ari == 1.0


def test_plot_dendrogram_small_and_truncated():
    plt = pytest.importorskip("matplotlib.pyplot")
    X = blobs(k=3, per_cluster=5, seed=5)
    small = ward_comparison(X[:12], KMeans(2, random_state=0).fit(X[:12]).labels_)
    ax = small.plot_dendrogram()
    assert len(ax.get_xticklabels()) == 12  # every leaf
    large = ward_comparison(X, KMeans(3, random_state=0).fit(X).labels_)
    fig, ax = plt.subplots()
    assert large.plot_dendrogram(ax=ax) is ax
    assert len(ax.get_xticklabels()) == 30  # truncated to the last 30 merges
    cut = large.cut_height()
    heights = np.sort(large.linkage[:, 2])
    assert heights[-3] < cut < heights[-2]  # between 3 clusters and 2
    assert any(list(line.get_ydata()) == [cut, cut] for line in ax.get_lines())
    ax = large.plot_dendrogram(max_leaves=10, no_labels=True)
    assert len(ax.get_xticklabels()) == 0
    with pytest.raises(ValueError, match="max_leaves must be at least 2"):
        large.plot_dendrogram(max_leaves=1)
    plt.close("all")


def test_bad_input(monkeypatch):
    X = blobs(seed=6)
    labels = np.zeros(len(X), dtype=int)
    labels[:10] = 1
    with pytest.raises(ValueError, match="kmeans_labels has 5 entries but X has"):
        ward_comparison(X, labels[:5])
    with pytest.raises(ValueError, match="kmeans_labels must be 1-D"):
        ward_comparison(X, labels[:, None])
    with pytest.raises(ValueError, match="kmeans_labels must be integer cluster labels"):
        ward_comparison(X, labels + 0.5)
    with pytest.raises(ValueError, match="kmeans_labels must be integer cluster labels"):
        ward_comparison(X, labels.astype(str))
    for bad in (0, len(X) + 1, 2.0, True):
        with pytest.raises(ValueError, match="n_clusters must be an integer in 1..n_samples"):
            ward_comparison(X, labels, n_clusters=bad)
    with pytest.raises(ValueError, match="at least 2 samples"):
        ward_comparison(X[:1], labels[:1])
    bad_X = X.copy()
    bad_X[3, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        ward_comparison(bad_X, labels)
    monkeypatch.setattr(kmeans_core.hierarchy, "WARD_MAX_BYTES", 1000)
    with pytest.raises(ValueError, match="subsample"):
        ward_comparison(X, labels)


def test_mall_customers_kmeans_and_ward_mostly_agree(mall_customers_path):
    pd = pytest.importorskip("pandas")
    data = pd.read_csv(mall_customers_path)
    X = data[["Annual Income (k$)", "Spending Score (1-100)"]].to_numpy(dtype=float)
    labels = KMeans(5, random_state=0).fit(X).labels_
    result = ward_comparison(X, labels)
    assert result.ari > 0.9
    assert sorted(result.sizes["kmeans"]) == [22, 23, 35, 39, 81]


def test_exported_from_package():
    assert kmeans_core.ward_comparison is ward_comparison
    assert "ward_comparison" in kmeans_core.__all__


def test_docstring_examples():
    failures, attempted = doctest.testmod(
        kmeans_core.hierarchy, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert attempted > 0
    assert failures == 0
