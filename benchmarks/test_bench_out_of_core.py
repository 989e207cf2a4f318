"""benchmarks/bench_out_of_core.py end to end: a store written, fitted from, and removed.

Quick size (the default, CI): a ~20 MB store in blocks of ~1 MB, one iteration
pair, to keep the script from rotting. Full size (``--bench-size=full``): a 2 GB
store, twice the 1 GiB each worker may use. The figures to quote come from
``python -m benchmarks.bench_out_of_core`` (see docs/dask.md); here the checks
are the ones that hold at any size: every Lloyd iteration reads each block once,
the k-means|| seeding reads the store a bounded number of times, the workers stay
under their limit, and the temporary store is gone afterwards.
"""

from __future__ import annotations

import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("zarr")
pytest.importorskip("psutil")

OUT_OF_CORE = {
    "quick": {"gb": 0.02, "block_mb": 1, "iterations": 3, "repeats": 1},
    "full": {"gb": 2.0, "block_mb": 64, "iterations": 6, "repeats": 2},
}


@pytest.fixture
def out_of_core_size(request):
    from benchmarks.conftest import SUITE_SIZES, suite_sizes  # the suite's --bench-size

    return "full" if suite_sizes(request.config) is SUITE_SIZES["full"] else "quick"


def test_bench_out_of_core_streams_the_store(out_of_core_size, tmp_path):
    from benchmarks.bench_out_of_core import report, run

    figures = run(
        d=8,
        k=8,
        workers=2,
        worker_memory="1GiB",
        directory=tmp_path,
        **OUT_OF_CORE[out_of_core_size],
    )
    print(report(figures))
    assert list(tmp_path.iterdir()) == []  # the store's folder removed
    assert figures["lloyd_passes"]["kmeans_lloyd_blocks"] == pytest.approx(
        sum(short + long for _, short, _, long in figures["lloyd_fits"])
    )
    assert 1 <= figures["seeding_passes"] <= 8
    assert figures["read_once_s"] > 0 and figures["iteration_s"] > 0
    assert figures["rss_peak"] < figures["worker_memory_limit"]
