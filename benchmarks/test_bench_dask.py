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
    runs = {(label, algorithm) for label, algorithm, *_ in rows}
    for algorithm in ("lloyd", "hamerly"):
        assert ("kmeans_core.dask", algorithm) in runs
        assert ("kmeans_core in memory", algorithm) in runs
    # "auto" at k < 8 and d < 8 runs Lloyd's, as in memory, and the row says so.
    assert ("kmeans_core.dask, k-means||", "lloyd") in runs
    for _, _, _, seconds, n_iter, per_iteration in rows:
        assert seconds > 0 and n_iter >= 1 and per_iteration > 0


def test_per_iteration_table_has_both_algorithms():
    from benchmarks.bench_dask import per_iteration, per_iteration_table

    rows = per_iteration(
        [3000], d=3, k=4, blocks=3, workers=1, repeats=1, iterations=3, peers=False
    )
    table = per_iteration_table(rows)
    assert "kmeans_core.dask (hamerly) (s)" in table and "ours / in memory (hamerly)" in table
    assert "kmeans_core.dask (hamerly) client CPU (s)" in table
    assert all(seconds == seconds and client == client for _, _, seconds, _, client in rows)


def test_default_fit_stages_account_for_the_whole_fit():
    from benchmarks.bench_dask import default_fit_stages

    rows = default_fit_stages(n=6000, d=8, k=8, blocks=3, workers=1, repeats=1)
    stages = {stage: (calls, seconds) for stage, calls, seconds in rows}
    # k-means|| rounds 0 and 2..5 (at least), its weights, Hamerly's iterations (d=8).
    assert stages["kmeans_parallel_blocks"][0] >= 5
    assert stages["kmeans_parallel_weights"][0] == 1
    assert stages["kmeans_hamerly_blocks"][0] >= 1
    # The variances ride on the first round: no pass of their own.
    assert "kmeans_center_statistics" not in stages
    whole = stages["whole default fit"][1]
    parts = sum(
        seconds
        for stage, (_, seconds) in stages.items()
        if stage not in ("whole default fit", "iterations_run (whole)")
    )
    assert 0 < parts <= whole
