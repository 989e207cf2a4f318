"""End-to-end timing of the segmentation tool on a large synthetic customer table.

What is timed is what ``kmeans-segment run customers.csv`` does: read the CSV,
validate, choose k automatically over k = 1..10 (10 K-Means restarts per k,
silhouette on a random 10,000-customer sample), name and profile the segments,
draw the plots and write the report folder (HTML, Markdown, CSVs, model).

Before timing, a small run compiles (or loads from numba's on-disk cache) every
kernel, so the figure is the steady-state cost a user sees from the second run
on; the compile cost of a cold first run is printed separately.

Usage::

    python3 benchmarks/bench_segmentation.py                 # 1,000,000 customers
    python3 benchmarks/bench_segmentation.py --customers 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segmentation import datasets, export, segment_customers  # noqa: E402
from segmentation.analysis import DEFAULT_N_INIT  # noqa: E402


class StageTimer:
    """Collects the duration of each stage ``segment_customers`` announces."""

    def __init__(self):
        self.durations: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, message):
        started = time.perf_counter()
        yield
        self.durations[message] = time.perf_counter() - started


def one_run(csv_path: Path, out_dir: Path, n_init: int, plots: bool) -> tuple[float, dict, object]:
    timer = StageTimer()
    started = time.perf_counter()
    result = segment_customers(csv_path, n_init=n_init, progress=timer)
    written_at = time.perf_counter()
    export.write_report(result, out_dir, plots=plots)
    finished = time.perf_counter()
    timer.durations["writing the report (plots, HTML, CSVs, model)"] = finished - written_at
    return finished - started, timer.durations, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--n-init", type=int, default=DEFAULT_N_INIT)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-segmentation-"))
    try:
        warm_csv = workdir / "warm.csv"
        datasets.make_customers(2_000, random_state=1).to_csv(warm_csv, index=False)
        started = time.perf_counter()
        one_run(warm_csv, workdir / "warm-report", args.n_init, plots=not args.no_plots)
        print(
            f"warm-up on 2,000 customers (JIT compile or cache load): {time.perf_counter() - started:.1f} s"
        )

        big_csv = workdir / "customers.csv"
        started = time.perf_counter()
        datasets.make_customers(args.customers, random_state=0).to_csv(big_csv, index=False)
        print(
            f"generated {args.customers:,} synthetic customers in {time.perf_counter() - started:.1f} s "
            "(not timed below)"
        )

        import numba

        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, numba threads "
            f"{numba.get_num_threads()}, Python {platform.python_version()}"
        )
        totals = []
        for repeat in range(args.repeat):
            total, stages, result = one_run(
                big_csv, workdir / f"report-{repeat}", args.n_init, plots=not args.no_plots
            )
            totals.append(total)
            print(
                f"\nrun {repeat + 1}: {total:.1f} s end to end, k = {result.k} "
                f"({result.selection.reason})"
            )
            for stage, seconds in stages.items():
                print(f"  {seconds:6.1f} s  {stage}")
            sizes = ", ".join(f"{s.name}: {s.size:,}" for s in result.segments)
            print(f"  segments: {sizes}")
        print(f"\nbest of {args.repeat}: {min(totals):.1f} s for {args.customers:,} customers")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
