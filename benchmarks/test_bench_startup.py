"""Startup cost in a fresh process: import, and import + first fit with a cold and a warm cache.

Each timed call is a whole ``python -c`` process (interpreter start and the
numpy import included, the same for both libraries); the child's own
import and first-fit times are stored in ``extra_info``. The first fit is
small (see ``benchmarks.compare.STARTUP_FIT``), so what it measures is
numba's compile time (cold: ``NUMBA_CACHE_DIR`` is a new empty folder every
round) or cache load time (warm: a folder filled beforehand).
"""

from __future__ import annotations

import itertools

import pytest

from benchmarks.compare import run_startup_child, startup_script


@pytest.mark.parametrize("library", ["kmeans_core", "scikit-learn"])
def test_import(timed, benchmark, sizes, tmp_path, library):
    script = startup_script(library, None)
    timings = timed(
        "startup: fresh process, import",
        lambda: run_startup_child(script, tmp_path),
        rounds=sizes.startup_rounds,
        library=library,
    )
    benchmark.extra_info.update(timings)


def test_first_fit_cold_cache(timed, benchmark, sizes, tmp_path, cold_start):
    library, algorithm = cold_start
    script = startup_script(library, algorithm)
    fresh_dirs = (tmp_path / f"cache{i}" for i in itertools.count())

    def empty_cache():
        cache_dir = next(fresh_dirs)
        cache_dir.mkdir()
        return (script, cache_dir), {}

    timings = timed(
        "startup: fresh process, import + first fit, cold numba cache",
        run_startup_child,
        setup=empty_cache,
        warmup_rounds=0,
        rounds=sizes.startup_rounds,
        library=library,
        algorithm=algorithm,
    )
    benchmark.extra_info.update(timings)


def test_first_fit_warm_cache(timed, benchmark, sizes, tmp_path, warm_start):
    library, algorithm = warm_start
    script = startup_script(library, algorithm)
    run_startup_child(script, tmp_path)  # fills the cache (not timed)
    timings = timed(
        "startup: fresh process, import + first fit, warm numba cache",
        lambda: run_startup_child(script, tmp_path),
        warmup_rounds=0,
        rounds=sizes.startup_rounds,
        library=library,
        algorithm=algorithm,
    )
    benchmark.extra_info.update(timings)
