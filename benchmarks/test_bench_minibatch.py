"""MiniBatchKMeans benchmarks: ours and scikit-learn's in one group per case.

* ``fit``: default parameters, ``random_state=0``, on the issue's rows
  (``--bench-size=full``) or tiny data (``quick``, the smoke test). Both
  libraries must give the same centers and ``n_steps_``; the group compares
  speed only.
* ``partial_fit``: median time of one call on a batch of 10,000 and of 1,024
  rows, after the init call.

The side-by-side report with speed-ups is ``python -m benchmarks.bench_minibatch``.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.bench_minibatch import blobs

FIT_CASES = {
    "quick": [(20_000, 2, 8), (5_000, 16, 16)],
    "full": [(1_000_000, 2, 8), (1_000_000, 8, 32), (100_000, 64, 64)],
}
PARTIAL_FIT_CASES = {
    "quick": [((5_000, 8, 32), 1_024)],
    "full": [((1_000_000, 8, 32), 10_000), ((1_000_000, 8, 32), 1_024)],
}
LIBRARIES = ["kmeans_core", "scikit-learn"]


def estimator_class(library):
    if library == "kmeans_core":
        from kmeans_core import MiniBatchKMeans
    else:
        from sklearn.cluster import MiniBatchKMeans
    return MiniBatchKMeans


def pytest_generate_tests(metafunc):
    from benchmarks.conftest import SUITE_SIZES, suite_sizes  # the suite's --bench-size

    size = "full" if suite_sizes(metafunc.config) is SUITE_SIZES["full"] else "quick"
    if "minibatch_case" in metafunc.fixturenames:
        cases = FIT_CASES[size]
        metafunc.parametrize(
            "minibatch_case", cases, ids=[f"n={n}-d={d}-k={k}" for n, d, k in cases]
        )
    if "partial_fit_case" in metafunc.fixturenames:
        cases = PARTIAL_FIT_CASES[size]
        metafunc.parametrize(
            "partial_fit_case",
            cases,
            ids=[f"n={c[0]}-d={c[1]}-k={c[2]}-rows={rows}" for c, rows in cases],
        )
    if "library" in metafunc.fixturenames:
        metafunc.parametrize("library", LIBRARIES)


@pytest.fixture(scope="module")
def sklearn_answers():
    """scikit-learn's fit of each case, to check ours against (computed once per case)."""
    return {}


def test_minibatch_fit(timed, benchmark, minibatch_case, library, sklearn_answers):
    n, d, k = minibatch_case
    X = blobs(n, d, k)
    cls = estimator_class(library)
    model = timed(
        f"MiniBatchKMeans fit n={n:,} d={d} k={k}",
        lambda: cls(k, random_state=0).fit(X),
        library=library,
    )
    benchmark.extra_info.update(n_steps=model.n_steps_, inertia=float(model.inertia_))
    key = minibatch_case
    if key in sklearn_answers:
        other = sklearn_answers[key]
        np.testing.assert_array_equal(model.cluster_centers_, other.cluster_centers_)
        assert model.n_steps_ == other.n_steps_
    else:
        sklearn_answers[key] = model


def test_minibatch_partial_fit(timed, partial_fit_case, library):
    (n, d, k), rows = partial_fit_case
    X = blobs(n, d, k)
    batches = iter([X[s : s + rows] for s in range(rows, n - rows + 1, rows)])
    model = estimator_class(library)(k, random_state=0).partial_fit(X[:rows])
    timed(
        f"MiniBatchKMeans partial_fit rows={rows:,} d={d} k={k}",
        lambda: model.partial_fit(next(batches)),
        library=library,
    )
    assert model.n_steps_ >= 2


def test_compare_report_has_the_minibatch_tables(tmp_path):
    """``compare.py --sections minibatch`` writes bench_minibatch's rows into the report."""
    import json

    from benchmarks import bench_minibatch, compare

    status = compare.main(
        ["--quick", "--no-optional", "--sections", "minibatch", "--out", str(tmp_path)]
    )
    assert status == 0
    report = json.loads((tmp_path / "comparison.json").read_text())
    fit_rows = report["minibatch"]["fit"]
    # bench_minibatch's cases (scaled down), the n = 1e7 row left out by --quick
    expected = [
        (int(n * compare.QUICK_MINIBATCH_SCALE), d, k)
        for n, d, k in bench_minibatch.FIT_ROWS
        if n < 10_000_000
    ]
    assert [(r["n"], r["d"], r["k"]) for r in fit_rows] == expected
    assert all(r["same_centers"] and r["ours_steps"] == r["sklearn_steps"] for r in fit_rows)
    partial_rows = report["minibatch"]["partial_fit"]
    assert [r["batch_rows"] for r in partial_rows] == list(bench_minibatch.PARTIAL_FIT_BATCHES)
    assert all(r["same_centers"] for r in partial_rows)
    markdown = (tmp_path / "comparison.md").read_text()
    assert "## MiniBatchKMeans: kmeans_core against scikit-learn" in markdown
    assert "rows per batch" in markdown
