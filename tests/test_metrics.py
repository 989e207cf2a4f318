"""Cluster metrics against scikit-learn, worked examples, thread-count determinism, bad input."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics

import kmeans_core
import kmeans_core._metrics
from kmeans_core import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)

# Tolerances, stated once. Silhouette and Davies-Bouldin are O(1) numbers and
# must agree with scikit-learn to 1e-10 absolute (the requirement); the
# remaining differences come from scikit-learn's |x|^2 - 2x.y + |y|^2 distance
# expansion (~1e-13 here). Calinski-Harabasz grows with the separation of the
# clusters (values of 1e2..1e5), so it is compared relatively, to 1e-10.
ATOL_SCORE = 1e-10
RTOL_CALINSKI = 1e-10

REPOSITORY = Path(__file__).resolve().parents[1]

SCORE_FUNCTIONS = [
    silhouette_samples,
    silhouette_score,
    calinski_harabasz_score,
    davies_bouldin_score,
]

# (n_samples, n_features, n_clusters, seed, singletons): random data, some
# clusters overlapping, some forced to a single sample.
CASES = [
    (5, 1, 2, 0, 0),
    (6, 2, 3, 1, 1),
    (40, 3, 5, 2, 2),
    (257, 2, 4, 3, 1),
    (1031, 5, 7, 4, 3),
    (2500, 2, 3, 5, 0),
    (3001, 8, 12, 6, 2),
    (600, 1, 30, 7, 5),
    (9, 2, 8, 8, 7),  # k = n - 1: every cluster but one is a singleton
]


def random_labelled(n_samples, n_features, n_clusters, seed, singletons):
    """Gaussian clusters (partly overlapping) with ``singletons`` one-sample clusters."""
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-4, 4, size=(n_clusters, n_features))
    labels = np.arange(n_samples) % (n_clusters - singletons)
    rng.shuffle(labels)
    alone = rng.choice(n_samples, size=singletons, replace=False)
    labels[alone] = n_clusters - singletons + np.arange(singletons)
    X = centers[labels] + rng.standard_normal((n_samples, n_features)) * rng.uniform(0.3, 2.0)
    return X, labels


def case_id(case):
    n, d, k, _, singletons = case
    return f"n{n}-d{d}-k{k}-single{singletons}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_silhouette_matches_sklearn(case):
    X, labels = random_labelled(*case)
    ours = silhouette_samples(X, labels)
    theirs = sk_metrics.silhouette_samples(X, labels)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=ATOL_SCORE)
    assert silhouette_score(X, labels) == pytest.approx(
        sk_metrics.silhouette_score(X, labels), abs=ATOL_SCORE
    )
    singleton_clusters = np.flatnonzero(np.bincount(labels) == 1)
    assert (ours[np.isin(labels, singleton_clusters)] == 0.0).all()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_calinski_harabasz_matches_sklearn(case):
    X, labels = random_labelled(*case)
    assert calinski_harabasz_score(X, labels) == pytest.approx(
        sk_metrics.calinski_harabasz_score(X, labels), rel=RTOL_CALINSKI
    )


@pytest.mark.parametrize("case", [c for c in CASES if c[4] == 0], ids=case_id)
def test_davies_bouldin_matches_sklearn(case):
    X, labels = random_labelled(*case)
    assert davies_bouldin_score(X, labels) == pytest.approx(
        sk_metrics.davies_bouldin_score(X, labels), abs=ATOL_SCORE
    )


def davies_bouldin_direct(X, labels):
    """Obviously-correct Davies-Bouldin with distances computed directly."""
    clusters = np.unique(labels)
    centroids = np.array([X[labels == c].mean(axis=0) for c in clusters])
    spreads = np.array(
        [
            np.sqrt(((X[labels == c] - centroids[i]) ** 2).sum(axis=1)).mean()
            for i, c in enumerate(clusters)
        ]
    )
    worst = []
    for i in range(len(clusters)):
        ratios = [
            (spreads[i] + spreads[j]) / np.sqrt(((centroids[i] - centroids[j]) ** 2).sum())
            for j in range(len(clusters))
            if j != i
        ]
        worst.append(max(ratios))
    return float(np.mean(worst))


@pytest.mark.parametrize("case", [c for c in CASES if c[4] > 0], ids=case_id)
def test_davies_bouldin_with_singletons(case):
    # scikit-learn's spread of a one-sample cluster is sqrt of a rounding
    # residue (up to ~1e-8 |x|) instead of 0, so these cases are checked
    # against a direct computation; see the next test for scikit-learn itself.
    X, labels = random_labelled(*case)
    assert davies_bouldin_score(X, labels) == pytest.approx(
        davies_bouldin_direct(X, labels), abs=ATOL_SCORE
    )


def test_davies_bouldin_singletons_match_sklearn_on_integer_data():
    # On small integers scikit-learn's distance expansion is exact, so a
    # singleton's spread is 0 there too and the two must agree.
    rng = np.random.RandomState(11)
    X = rng.randint(-20, 20, size=(300, 3)).astype(float)
    labels = rng.randint(0, 6, size=300)
    labels[[5, 17]] = [6, 7]
    assert davies_bouldin_score(X, labels) == pytest.approx(
        sk_metrics.davies_bouldin_score(X, labels), abs=ATOL_SCORE
    )


def test_worked_example():
    # Two pairs on a line: a(0) = 1, b(0) = mean(10, 11) = 10.5.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    labels = [0, 0, 1, 1]
    np.testing.assert_allclose(
        silhouette_samples(X, labels), [9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5], rtol=1e-15
    )
    # B = 2 * 2 * 5^2 = 100 over k - 1 = 1; W = 4 * 0.25 = 1 over n - k = 2.
    assert calinski_harabasz_score(X, labels) == 200.0
    # spreads 0.5 and 0.5, centroid distance 10.
    assert davies_bouldin_score(X, labels) == pytest.approx(0.1, rel=1e-15)


def test_labels_of_any_type_and_order():
    X, labels = random_labelled(300, 3, 4, 9, 1)
    names = np.array(["d", "a", "zz", "b"])[labels]
    shifted = labels * 7 - 3
    for other in (names, shifted, list(shifted)):
        np.testing.assert_array_equal(silhouette_samples(X, other), silhouette_samples(X, labels))
        # Other label values may order the clusters differently, and so the
        # sums over clusters: equal to rounding.
        assert calinski_harabasz_score(X, other) == pytest.approx(
            calinski_harabasz_score(X, labels), rel=1e-14
        )
        assert davies_bouldin_score(X, other) == pytest.approx(
            davies_bouldin_score(X, labels), rel=1e-14
        )


def test_input_types_float32_lists_dataframe():
    pd = pytest.importorskip("pandas")
    X, labels = random_labelled(200, 2, 3, 10, 0)
    reference = silhouette_samples(X, labels)
    np.testing.assert_array_equal(silhouette_samples(X.tolist(), labels.tolist()), reference)
    np.testing.assert_array_equal(silhouette_samples(pd.DataFrame(X), pd.Series(labels)), reference)
    np.testing.assert_array_equal(silhouette_samples(np.asfortranarray(X), labels), reference)
    # float32 input is computed in float64 (from the float32 values).
    X32 = X.astype(np.float32)
    np.testing.assert_array_equal(
        silhouette_samples(X32, labels), silhouette_samples(X32.astype(np.float64), labels)
    )
    read_only = X.copy()
    read_only.flags.writeable = False
    np.testing.assert_array_equal(silhouette_samples(read_only, labels), reference)
    assert calinski_harabasz_score(read_only, labels) == calinski_harabasz_score(X, labels)
    assert davies_bouldin_score(read_only, labels) == davies_bouldin_score(X, labels)


def test_silhouette_sample_size_follows_sklearn():
    X, labels = random_labelled(3000, 2, 4, 12, 0)
    for sample_size, seed in [(500, 0), (1000, 42), (2999, 1)]:
        ours = silhouette_score(X, labels, sample_size=sample_size, random_state=seed)
        theirs = sk_metrics.silhouette_score(X, labels, sample_size=sample_size, random_state=seed)
        assert ours == pytest.approx(theirs, abs=ATOL_SCORE)
    ours = silhouette_score(X, labels, sample_size=700, random_state=np.random.RandomState(3))
    theirs = sk_metrics.silhouette_score(
        X, labels, sample_size=700, random_state=np.random.RandomState(3)
    )
    assert ours == pytest.approx(theirs, abs=ATOL_SCORE)
    # Larger than n: every sample, like scikit-learn.
    assert silhouette_score(X, labels, sample_size=10**6, random_state=0) == pytest.approx(
        silhouette_score(X, labels), abs=1e-14
    )


def test_constant_data_gives_documented_values():
    X = np.full((10, 2), 0.1)
    labels = [0] * 5 + [1] * 5
    np.testing.assert_array_equal(silhouette_samples(X, labels), np.zeros(10))
    assert silhouette_score(X, labels) == 0.0 == sk_metrics.silhouette_score(X, labels)
    assert calinski_harabasz_score(X, labels) == 1.0
    assert sk_metrics.calinski_harabasz_score(X, labels) == 1.0
    assert davies_bouldin_score(X, labels) == 0.0 == sk_metrics.davies_bouldin_score(X, labels)
    # Each cluster constant, clusters apart: within dispersion exactly 0.
    X = np.repeat([[0.1, 0.7], [0.3, 0.3]], 5, axis=0)
    assert calinski_harabasz_score(X, labels) == 1.0


def test_adjusted_rand_matches_sklearn():
    rng = np.random.RandomState(13)
    for _ in range(60):
        n = rng.randint(1, 400)
        a = rng.randint(0, rng.randint(1, 12), size=n)
        b = rng.randint(0, rng.randint(1, 12), size=n)
        if rng.rand() < 0.3:  # correlated labellings
            b = np.where(rng.rand(n) < 0.7, a, b)
        assert adjusted_rand_score(a, b) == pytest.approx(
            sk_metrics.adjusted_rand_score(a, b), abs=1e-14
        )
        assert adjusted_rand_score(a, b) == adjusted_rand_score(b, a)


@pytest.mark.parametrize(
    "labels_true, labels_pred",
    [
        ([], []),
        ([3], [7]),
        ([0, 0, 0], [1, 1, 1]),
        ([0, 1, 2], [5, 4, 3]),
        ([0, 0, 1, 1], [1, 1, 0, 0]),
        ([0, 0, 1, 1], [0, 0, 0, 0]),
        (["a", "a", "b"], [1, 2, 2]),
    ],
)
def test_adjusted_rand_degenerate_cases(labels_true, labels_pred):
    assert adjusted_rand_score(labels_true, labels_pred) == pytest.approx(
        sk_metrics.adjusted_rand_score(labels_true, labels_pred), abs=1e-15
    )


def test_adjusted_rand_large_n_no_overflow():
    # Products of pair counts exceed int64 here (n^4 / 4 ~ 1e22); ours uses
    # Python integers.
    rng = np.random.RandomState(14)
    a = rng.randint(0, 3, size=200_000)
    b = np.where(rng.rand(200_000) < 0.9, a, rng.randint(0, 3, size=200_000))
    assert adjusted_rand_score(a, b) == pytest.approx(
        sk_metrics.adjusted_rand_score(a, b), abs=1e-14
    )


@settings(deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_samples=st.integers(3, 60),
    n_clusters=st.integers(2, 6),
)
def test_silhouette_invariances(seed, n_samples, n_clusters):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_samples, 2))
    labels = rng.randint(0, n_clusters, size=n_samples)
    if not 2 <= np.unique(labels).size <= n_samples - 1:
        return
    values = silhouette_samples(X, labels)
    assert ((values >= -1) & (values <= 1)).all()
    # Reordering the rows reorders the values; renaming clusters changes nothing.
    order = rng.permutation(n_samples)
    np.testing.assert_allclose(
        silhouette_samples(X[order], labels[order]), values[order], rtol=0, atol=1e-12
    )
    np.testing.assert_array_equal(silhouette_samples(X, 10 - labels), values)
    # Translating or uniformly scaling X changes no score (up to rounding).
    np.testing.assert_allclose(silhouette_samples(3.0 * X + 5.0, labels), values, atol=1e-12)


# -- determinism across thread counts ---------------------------------------

THREADS_SCRIPT = textwrap.dedent(
    """
    import hashlib, numpy as np, numba
    from kmeans_core import calinski_harabasz_score, davies_bouldin_score, silhouette_samples
    rng = np.random.RandomState(5)
    X = rng.standard_normal((4103, 3)) + rng.randint(0, 4, size=(4103, 1)) * 2.0
    labels = rng.randint(0, 6, size=4103)
    labels[17] = 6  # a singleton
    digest = hashlib.sha256(silhouette_samples(X, labels).tobytes())
    digest.update(np.float64(calinski_harabasz_score(X, labels)).tobytes())
    digest.update(np.float64(davies_bouldin_score(X, labels)).tobytes())
    print(numba.get_num_threads(), digest.hexdigest())
    """
)


def test_bitwise_identical_for_any_thread_count():
    digests = {}
    for threads in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
        completed = subprocess.run(
            [sys.executable, "-c", THREADS_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPOSITORY,
        )
        assert completed.returncode == 0, completed.stderr
        used, digest = completed.stdout.split()
        assert int(used) == threads
        digests[threads] = digest
    assert digests[1] == digests[2]


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize("function", SCORE_FUNCTIONS)
def test_number_of_labels_must_be_between_2_and_n_minus_1(function):
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="1 distinct label.*A single cluster"):
        function(X, np.zeros(6, dtype=int))
    with pytest.raises(ValueError, match="6 distinct label"):
        function(X, np.arange(6))


@pytest.mark.parametrize("function", SCORE_FUNCTIONS)
def test_bad_X_and_labels(function):
    X = np.arange(12.0).reshape(6, 2)
    labels = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="labels has 5 entries but X has 6 samples"):
        function(X, labels[:5])
    with pytest.raises(ValueError, match="labels must be 1-D"):
        function(X, np.ones((6, 2)))
    with pytest.raises(ValueError, match="labels contains NaN"):
        function(X, np.array([0, 0, np.nan, 1, 1, 1]))
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        function(bad, labels)
    with pytest.raises(ValueError, match="2D array"):
        function(X[:, 0], labels)
    with pytest.raises(ValueError, match="labels must be a 1-D array"):
        function(X, None)


@pytest.mark.parametrize("function", [silhouette_samples, silhouette_score])
def test_silhouette_metric_must_be_euclidean(function):
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="metric='cosine' is not supported"):
        function(X, [0, 0, 0, 1, 1, 1], metric="cosine")


@pytest.mark.parametrize("sample_size", [0, -3, 2.5, True, "10"])
def test_silhouette_sample_size_must_be_positive_int(sample_size):
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="sample_size must be None or an integer >= 1"):
        silhouette_score(X, [0, 0, 0, 1, 1, 1], sample_size=sample_size)


def test_silhouette_subset_with_one_label_is_an_error():
    X = np.arange(20.0).reshape(10, 2)
    labels = [0] * 9 + [1]
    with pytest.raises(ValueError, match="distinct label"):
        silhouette_score(X, labels, sample_size=2, random_state=0)


def test_adjusted_rand_bad_input():
    with pytest.raises(ValueError, match="labels_pred has 2 entries but labels_true has 3"):
        adjusted_rand_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="labels_true must be a 1-D array"):
        adjusted_rand_score(None, [0, 1])
    with pytest.raises(ValueError, match="labels_true must be 1-D"):
        adjusted_rand_score([[0, 1], [1, 0]], [0, 1])


def test_exported_from_package():
    for name in [
        "silhouette_score",
        "silhouette_samples",
        "calinski_harabasz_score",
        "davies_bouldin_score",
        "adjusted_rand_score",
    ]:
        assert name in kmeans_core.__all__
        assert getattr(kmeans_core, name) is getattr(kmeans_core._metrics, name)


def test_docstring_examples():
    failures, attempted = doctest.testmod(
        kmeans_core._metrics, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert attempted > 0
    assert failures == 0
