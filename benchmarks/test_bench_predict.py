"""Using a fitted model: ``predict`` and the within-cluster sum of squares (``wcss``).

The models are fitted (outside the timing) from the case's init array for
two iterations: the cost of predict and wcss does not depend on how good the
centers are, and both libraries then hold the same centers.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.compare import TOL
from benchmarks.compare_lloyd import make_data

FIT_ITERATIONS = 2


def _fitted(library, X, init):
    if library == "kmeans_core":
        from kmeans_core import KMeans
    else:
        from sklearn.cluster import KMeans
    return KMeans(init.shape[0], init=init, n_init=1, max_iter=FIT_ITERATIONS, tol=TOL).fit(X)


@pytest.mark.parametrize("library", ["kmeans_core", "scikit-learn"])
def test_predict(timed, case, data, library):
    n, d, k = case
    X, init = data
    model = _fitted(library, X, init)
    labels = timed(f"predict n={n:,} d={d} k={k}", lambda: model.predict(X), library=library)
    assert labels.shape == (n,)


def _wcss_given_labels(library, X, centers, labels):
    if library == "kmeans_core":
        from kmeans_core import wcss

        return lambda: wcss(X, centers, labels)
    # The obvious NumPy expression: what people write when no library offers one.
    return lambda: float(((X - centers[labels]) ** 2).sum())


@pytest.mark.parametrize("library", ["kmeans_core", "numpy"])
def test_wcss_given_labels(timed, case, data, library):
    n, d, k = case
    X, init = data
    model = _fitted("kmeans_core", X, init)
    centers, labels = model.cluster_centers_, model.labels_
    value = timed(
        f"wcss, labels given n={n:,} d={d} k={k}",
        _wcss_given_labels(library, X, centers, labels),
        library=library,
    )
    assert np.isclose(value, model.inertia_, rtol=1e-6)


@pytest.mark.parametrize("library", ["kmeans_core", "scikit-learn"])
def test_wcss_nearest_center(timed, case, data, library):
    """Inertia on fitted centers, labels found on the way: ``wcss(X, centers)`` vs ``-score``."""
    n, d, k = case
    X, init = data
    model = _fitted(library, X, init)
    if library == "kmeans_core":
        from kmeans_core import wcss

        function = lambda: wcss(X, model.cluster_centers_)  # noqa: E731
    else:
        function = lambda: -model.score(X)  # noqa: E731
    value = timed(f"wcss, nearest center n={n:,} d={d} k={k}", function, library=library)
    assert value > 0


@pytest.mark.parametrize("library", ["kmeans_core", "scikit-learn"])
def test_predict_one_row(timed, library):
    """A model serving one customer at a time: ``predict`` on a single row."""
    X, init = make_data(200, 2, 5)
    model = _fitted(library, X, init)
    row = X[:1]
    labels = timed(
        "predict one row (model fitted on n=200 d=2 k=5)",
        lambda: model.predict(row),
        library=library,
    )
    assert labels.shape == (1,)
