"""The estimator contract: scikit-learn's common checks, dtypes, inputs, errors, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

from conftest import make_blobs
from kmeans_core import ConvergenceWarning, KMeans, NotFittedError, kmeans_plusplus, wcss

# --- scikit-learn's common estimator checks ---------------------------------

EXPECTED_FAILED_CHECKS = {
    # scikit-learn marks these two as expected failures for its own KMeans:
    # weighting a sample by 2 and repeating it draw different seeds.
    "check_sample_weight_equivalence_on_dense_data": "seeding draws differ with repeated rows",
    "check_sample_weight_equivalence_on_sparse_data": "sparse input is not supported",
}


# KMeans deliberately does not inherit scikit-learn's BaseEstimator (scikit-learn
# is not a runtime dependency); the checks warn about that once, at collection.
# The array-API check is left out: it needs SCIPY_ARRAY_API and array-api-strict,
# and KMeans (like scikit-learn's) takes NumPy input only.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Estimator KMeans does not inherit")
    _COMMON_CHECKS = []
    for _estimator, _check in estimator_checks_generator(KMeans(n_init=2), legacy=True):
        _name = getattr(_check, "func", _check).__name__
        if "array_api" in _name:
            continue
        _marks = (
            [pytest.mark.xfail(strict=True, reason=EXPECTED_FAILED_CHECKS[_name])]
            if _name in EXPECTED_FAILED_CHECKS
            else []
        )
        _COMMON_CHECKS.append(pytest.param(_estimator, _check, id=_name, marks=_marks))


@pytest.mark.filterwarnings("ignore:Estimator KMeans does not inherit")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator, check", _COMMON_CHECKS)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


# --- dtypes and input forms ------------------------------------------------


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.int64, np.float64),
        (np.int32, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_dtype_policy(dtype, expected):
    X = (
        np.random.RandomState(0).uniform(0, 2, size=(200, 3)) * (dtype != np.bool_) * 30
        + (np.random.RandomState(1).rand(200, 3) > 0.5)
    ).astype(dtype)
    model = KMeans(3, random_state=0).fit(X)
    assert model.cluster_centers_.dtype == expected
    assert model.transform(X).dtype == expected
    assert model.labels_.dtype == np.int32
    assert isinstance(model.inertia_, float)


def test_orders_lists_and_dataframes_give_the_same_fit():
    X = make_blobs(500, 3, 4, seed=2)
    reference = KMeans(4, random_state=0).fit(X)
    frame = pd.DataFrame(X, columns=["income", "score", "age"])
    for variant in (np.asfortranarray(X), X.tolist(), frame, X[::1].copy()):
        model = KMeans(4, random_state=0).fit(variant)
        np.testing.assert_array_equal(model.labels_, reference.labels_)
        np.testing.assert_array_equal(model.cluster_centers_, reference.cluster_centers_)
    model = KMeans(4, random_state=0).fit(frame)
    assert list(model.feature_names_in_) == ["income", "score", "age"]
    assert not hasattr(reference, "feature_names_in_")
    assert list(model.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2", "kmeans3"]


def test_read_only_input_is_accepted_and_nothing_is_modified():
    X = make_blobs(300, 2, 3, seed=3)
    weights = np.linspace(0.5, 2, 300)
    init = X[:3].copy()
    X_before, w_before, init_before = X.copy(), weights.copy(), init.copy()
    for array in (X, weights, init):
        array.flags.writeable = False
    frame = pd.DataFrame(X_before.copy(), columns=["a", "b"])
    frame_before = frame.copy()
    KMeans(3, init=init, copy_x=False).fit(X, sample_weight=weights)
    KMeans(3, random_state=0).fit(frame)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(weights, w_before)
    np.testing.assert_array_equal(init, init_before)
    pd.testing.assert_frame_equal(frame, frame_before)


def test_fit_predict_and_fit_transform_are_consistent():
    X = make_blobs(400, 2, 3, seed=4)
    model = KMeans(3, random_state=0)
    labels = model.fit_predict(X)
    np.testing.assert_array_equal(labels, model.labels_)
    np.testing.assert_array_equal(model.predict(X), labels)
    distances = KMeans(3, random_state=0).fit_transform(X)
    np.testing.assert_allclose(distances, model.transform(X))
    assert model.score(X) == pytest.approx(-model.inertia_, rel=1e-12)


def test_hand_worked_example():
    # Two obvious groups; k-means++ from seed 0 starts from rows 3 and 2.
    X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    model = KMeans(2, random_state=0).fit(X)
    np.testing.assert_array_equal(model.labels_, [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(model.cluster_centers_, [[10, 2], [1, 2]])
    assert model.inertia_ == 16.0  # 4 points at distance 2, squared, and 2 on their center
    assert model.n_iter_ == 2  # one update, then a pass where no label changes
    assert wcss(X, model.cluster_centers_) == 16.0
    assert (
        wcss(
            X,
            model.cluster_centers_,
            np.array([1, 1, 1, 0, 0, 0]),
            sample_weight=[1, 1, 1, 1, 1, 3],
        )
        == 24.0
    )


def test_sample_weight_scaling_invariance():
    X = make_blobs(600, 3, 4, seed=5)
    weights = np.random.RandomState(0).uniform(0.2, 2, 600)
    a = KMeans(4, random_state=0).fit(X, sample_weight=weights)
    b = KMeans(4, random_state=0).fit(X, sample_weight=weights * 10)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
    assert b.inertia_ == pytest.approx(10 * a.inertia_, rel=1e-12)


def test_duplicate_points_warn_and_never_give_nan():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(2\) found smaller"):
        model = KMeans(3, random_state=0).fit(X)
    assert np.isfinite(model.cluster_centers_).all()
    assert model.inertia_ == 0.0


def test_distinct_label_count_matches_numpy():
    from kmeans_core._kernels.common import n_distinct_labels

    rng = np.random.RandomState(0)
    for n_clusters in (1, 2, 5, 40):
        for n_used in {1, max(1, n_clusters - 1), n_clusters}:
            used = rng.choice(n_clusters, n_used, replace=False)
            labels = used[rng.randint(n_used, size=3000)].astype(np.int32)
            assert n_distinct_labels(labels, n_clusters) == len(np.unique(labels))


def test_convergence_warning_is_sklearns_too():
    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

    X = np.zeros((4, 1))
    with pytest.warns(SklearnConvergenceWarning):
        KMeans(2, random_state=0).fit(X)


def test_history_records_each_iteration_and_costs_nothing_when_off():
    X = make_blobs(1000, 2, 4, seed=6)
    plain = KMeans(4, random_state=0).fit(X)
    assert not hasattr(plain, "history_")
    recorded = KMeans(4, random_state=0, record_history=True).fit(X)
    assert len(recorded.history_) == recorded.n_iter_
    np.testing.assert_array_equal(recorded.labels_, plain.labels_)
    np.testing.assert_allclose(recorded.history_[-1]["centers"], recorded.cluster_centers_)
    inertias = [step["inertia"] for step in recorded.history_]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(inertias, inertias[1:]))


def test_repr_and_params_roundtrip():
    model = KMeans(3, random_state=0, algorithm="auto")
    assert repr(model) == "KMeans(n_clusters=3, random_state=0)"
    assert repr(KMeans(algorithm="elkan")) == "KMeans(algorithm='elkan')"
    params = model.get_params()
    assert params["n_clusters"] == 3 and params["init"] == "k-means++"
    assert model.set_params(n_clusters=5) is model and model.n_clusters == 5
    with pytest.raises(ValueError, match="Invalid parameter 'n_cluster'"):
        model.set_params(n_cluster=4)


# --- bad input ----------------------------------------------------------------

X_GOOD = make_blobs(50, 2, 3, seed=7)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), r"NaN or infinity \(1 NaN, 0 inf, in rows 0\)"),
        (np.array([[1.0, 2.0], [np.inf, 3.0]]), r"NaN or infinity \(0 NaN, 1 inf, in rows 1\)"),
        (np.empty((0, 2)), "0 sample"),
        (np.empty((3, 0)), "0 feature"),
        (np.arange(5.0), "Expected a 2D array, got a 1D array"),
        (np.ones((2, 2, 2)), "Expected a 2D array for X, got 3D"),
        ([["a", "b"], ["c", "d"]], "must contain numbers only"),
        ("not data", "must be a 2-D array"),
    ],
)
def test_bad_X_is_a_clear_value_error(X, match):
    with pytest.raises(ValueError, match=match):
        KMeans(1).fit(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_is_found_in_the_centering_pass_for_every_dtype(dtype):
    # The fit reads X once to center it, and finds NaN/inf from the column
    # means; the message must still count and locate them.
    X = make_blobs(5000, 3, 2, seed=1).astype(dtype)
    X[4321, 2] = np.nan
    X[17, 0] = -np.inf
    with pytest.raises(ValueError, match=r"\(1 NaN, 1 inf, in rows 17, 4321\)"):
        KMeans(2).fit(X)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1e308, 0.0], [1.5e308, 1.0], [-1e308, 2.0]]), "column sums overflow"),
        (np.array([[1e200, 0.0], [-1e200, 1.0], [0.0, 2.0]]), "squared deviations overflow"),
    ],
)
def test_values_too_large_to_square_are_refused(X, match):
    with pytest.raises(ValueError, match=match + r".*largest \|x\| = .*Rescale X"):
        KMeans(2).fit(X)


def test_fit_centers_a_private_copy_of_contiguous_float64_input():
    # C-contiguous float64 X is passed to the centering kernel as it is (no
    # upfront copy); the kernel writes the centered values elsewhere.
    X = make_blobs(3000, 4, 3, seed=2)
    X_before = X.copy()
    KMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_clusters=0), "n_clusters must be >= 1"),
        (dict(n_clusters=2.5), "n_clusters must be an int"),
        (dict(n_clusters=51), r"n_samples=50 should be >= n_clusters=51"),
        (dict(n_init=0), "n_init must be >= 1"),
        (dict(n_init="many"), "n_init must be 'auto'"),
        (dict(max_iter=0), "max_iter must be an int >= 1"),
        (dict(tol=-1.0), "tol must be a finite number >= 0"),
        (dict(algorithm="fast"), "algorithm must be one of"),
        (dict(init="kmeans++"), "init must be 'k-means\\+\\+', 'k-means\\|\\|', 'random'"),
        (
            dict(init=np.zeros((2, 2))),
            r"initial centers \(2, 2\) does not match the number of clusters 3",
        ),
        (dict(init=np.zeros((3, 5))), r"does not match the number of features of the data 2"),
        (dict(init=np.full((3, 2), np.nan)), "init contains NaN"),
        (
            dict(random_state="seed"),
            "random_state must be None, an int or a numpy.random.RandomState",
        ),
        (dict(random_state=np.random.default_rng(0)), "Generator draws a different sequence"),
    ],
)
def test_bad_parameters_are_clear_value_errors(params, match):
    params = {"n_clusters": 3, **params}
    with pytest.raises(ValueError, match=match):
        KMeans(**params).fit(X_GOOD)


@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(50), "Negative values in sample_weight"),
        (np.ones(49), "sample_weight has 49 values but X has 50 samples"),
        (np.ones((50, 1)), r"sample_weight must be 1-D"),
        (np.zeros(50), "sums to zero"),
        (np.full(50, np.nan), "sample_weight contains NaN"),
    ],
)
def test_bad_sample_weight(weights, match):
    with pytest.raises(ValueError, match=match):
        KMeans(3).fit(X_GOOD, sample_weight=weights)


def test_callable_init_returning_wrong_shape():
    with pytest.raises(ValueError, match="the centers init returned"):
        KMeans(3, init=lambda X, k, random_state: X[:2]).fit(X_GOOD)


def test_predict_checks_fit_and_feature_count():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        KMeans(3).predict(X_GOOD)
    model = KMeans(3, random_state=0).fit(X_GOOD)
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError, match="X has 3 features, but KMeans is expecting 2"):
            method(np.ones((4, 3)))
        with pytest.raises(ValueError, match="NaN"):
            method(np.array([[np.nan, 1.0]]))


def test_feature_names_are_checked_at_predict():
    frame = pd.DataFrame(X_GOOD, columns=["income", "score"])
    model = KMeans(3, random_state=0).fit(frame)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        model.predict(frame[["score", "income"]])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        model.predict(X_GOOD)


def test_sparse_input_is_refused_with_advice():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(ValueError, match=r"does not support sparse input.*toarray"):
        KMeans(2).fit(scipy_sparse.csr_matrix(X_GOOD))


def test_array_init_with_n_init_warns():
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        model = KMeans(3, init=X_GOOD[:3], n_init=5).fit(X_GOOD)
    assert model.n_iter_ >= 1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: kmeans_plusplus(X_GOOD, 0), "n_clusters must be >= 1"),
        (lambda: kmeans_plusplus(X_GOOD, 3, n_local_trials=0), "n_local_trials"),
        (lambda: wcss(X_GOOD, np.zeros((3, 3))), "centers has 3 features but X has 2"),
        (lambda: wcss(X_GOOD, np.zeros((3, 2)), labels=np.full(50, 3)), r"labels must lie in 0..2"),
        (
            lambda: wcss(X_GOOD, np.zeros((3, 2)), labels=np.zeros(10, dtype=int)),
            "labels must have shape",
        ),
    ],
)
def test_function_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- determinism ----------------------------------------------------------------

_FIT_SCRIPT = """
import hashlib, json, numpy as np
from kmeans_core import KMeans, kmeans_plusplus
rng = np.random.RandomState(0)
X = rng.standard_normal((60_000, 6)) + rng.randint(0, 8, size=(60_000, 1)) * 2.0
w = rng.uniform(0.5, 2.0, 60_000)
out = {}
for algorithm in ("lloyd", "hamerly", "elkan"):
    for dtype in ("float64", "float32"):
        m = KMeans(9, random_state=3, n_init=2, algorithm=algorithm).fit(
            X.astype(dtype), sample_weight=w.astype(dtype))
        digest = hashlib.sha256(m.cluster_centers_.tobytes() + m.labels_.tobytes()).hexdigest()
        out[algorithm + dtype] = [digest, repr(m.inertia_), m.n_iter_,
                                  repr(m.score(X.astype(dtype)))]
# Both k-means++ scorers: exact differences (<= 4 features), expanded form (more).
for n_features in (3, 6):
    centers, indices = kmeans_plusplus(X[:, :n_features], 12, sample_weight=w, random_state=5)
    out[f"seeds{n_features}"] = [indices.tolist(), centers.tobytes().hex()]
import numba
out["threads"] = numba.get_num_threads()
print(json.dumps(out))
"""


def test_bitwise_identical_for_any_thread_count():
    results = []
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        done = subprocess.run(
            [sys.executable, "-c", _FIT_SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        results.append(json.loads(done.stdout))
    assert results[0]["threads"] == 1 and results[1]["threads"] == 2
    assert len(results[0]) == 9
    assert results[0] == {**results[1], "threads": 1}


# --- algorithm choice -----------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["elkan", "hamerly"])
def test_bounds_algorithms_fall_back_to_lloyd_for_one_cluster(algorithm):
    with pytest.warns(RuntimeWarning, match=f"algorithm='{algorithm}' doesn't make sense"):
        model = KMeans(1, algorithm=algorithm).fit(X_GOOD)
    np.testing.assert_allclose(model.cluster_centers_[0], X_GOOD.mean(axis=0))


def test_elkan_memory_is_guarded(monkeypatch):
    import kmeans_core._kmeans as kmeans_module

    # Pretend half the free memory is 1 MiB: Elkan's buffers for 50 samples fit,
    # its 400,000 * 4 bounds do not.
    monkeypatch.setattr(kmeans_module, "memory_budget_bytes", lambda: 2**20)
    KMeans(3, algorithm="elkan", random_state=0).fit(X_GOOD)
    big = np.random.RandomState(0).rand(400_000, 1)
    with pytest.raises(ValueError, match=r"algorithm='elkan' would need about 0\.0\d GiB"):
        KMeans(3, algorithm="elkan", max_iter=1).fit(big)


def test_auto_rule_on_small_tables():
    """Below SERIAL_BELOW_ROWS rows Lloyd's compiled run is picked while n * k * max(d, 4) is small."""
    from kmeans_core._iterations import choose_algorithm
    from kmeans_core._kernels.jit import SERIAL_BELOW_ROWS

    assert choose_algorithm(10_000, 8, 8) == "lloyd"
    assert choose_algorithm(10_000, 2, 16) == "lloyd"
    assert choose_algorithm(2_000, 8, 32) == "lloyd"
    assert choose_algorithm(2_000, 8, 64) == "hamerly"
    assert choose_algorithm(10_000, 12, 8) == "hamerly"
    # The same work on a table large enough for threads: the bounds again.
    assert choose_algorithm(SERIAL_BELOW_ROWS, 2, 8) == "hamerly"


def test_auto_rule():
    from kmeans_core._iterations import choose_algorithm

    assert choose_algorithm(10**6, 2, 5) == "lloyd"
    assert choose_algorithm(10**6, 2, 64) == "hamerly"
    assert choose_algorithm(10**6, 8, 32) == "hamerly"
    assert choose_algorithm(10**5, 64, 64) == "hamerly"
    model = KMeans(5, algorithm="auto", random_state=0).fit(X_GOOD)
    reference = KMeans(5, algorithm="lloyd", random_state=0).fit(X_GOOD)
    np.testing.assert_array_equal(model.labels_, reference.labels_)
