"""Smoke test of benchmarks/bench_dask.py: it runs end to end on tiny data.

Timing is the script's job (``python -m benchmarks.bench_dask``); here only
that every row comes back with a plausible iteration count, so the script
does not rot.
"""

from __future__ import annotations

import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")


def test_bench_dask_runs_on_tiny_data():
    from benchmarks.bench_dask import run

    rows = run(n=4000, d=3, k=4, blocks=4, workers=1, repeats=1, peers=False)
    labels = [row[0] for row in rows]
    assert "kmeans_core.dask (Lloyd)" in labels and "kmeans_core.dask, k-means||" in labels
    for _, _, seconds, n_iter, per_iteration in rows:
        assert seconds > 0 and n_iter >= 1 and per_iteration > 0
