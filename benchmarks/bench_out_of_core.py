"""K-Means on a zarr store several times the workers' memory: kmeans_core.dask, out of core.

Usage::

    python -m benchmarks.bench_out_of_core                       # 3 GB store, 1 GiB workers
    python -m benchmarks.bench_out_of_core --gb 0.2 --worker-memory 400MiB   # a quick look

Writes a zarr store of blobs (``--gb`` GB of float64 rows, ``--d`` columns, blocks
of ``--block-mb`` MB) into a new temporary folder under ``--dir`` (the system's
temporary directory by default; the folder is removed at the end, whatever
happens), starts a ``LocalCluster`` of ``--workers`` processes x 1 thread, each
limited to ``--worker-memory``, and measures on it, X never persisted:

* **read once**: ``X.sum(axis=0).compute()``, the store read and decoded by the
  workers once (median of ``--repeats``; each repeat reads once, then runs the
  two fits below, so that on a shared machine both see about the same load);
* **per iteration**: Lloyd fits from one init array with ``tol=0``, run to
  ``--iterations`` and to 1 iteration; the difference of their times over the
  difference of their iteration counts is the time of one iteration, without
  the centering passes and the final labelling pass that every fit pays once
  (median of ``--repeats`` pairs). The ratio to the read-once time is the
  out-of-core target (issue 14: at most 1.3);
* **seeding passes**: a default fit (``init="k-means||"``, ``max_iter=1``);
  a scheduler plugin counts every block read from the store and attributes it
  to the pass that consumed it (the key name of the task that depends on it),
  so "passes" is reads / blocks, for each phase of the fit;
* **peak worker memory**: each worker process's resident set size (RSS,
  ``psutil``), sampled every 5 ms by a thread in the worker during the fits,
  beside its memory limit. RSS includes the worker's baseline (Python, NumPy,
  numba, distributed, zarr).

The store is written just before it is read, so on a machine with more RAM
than the store it is read from the operating system's page cache: "read" is
then zarr's decoding and copying, not the disk. The figures printed say so
with the machine's memory.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import shutil
import signal
import statistics
import tempfile
import threading
import time

import numpy as np
from distributed.diagnostics.plugin import SchedulerPlugin

READS = "kmeans_store_reads"
WAITING = ("waiting", "processing", "queued", "no-worker")


def blob_block(block, n_clusters, seed, block_info=None):
    """One block of the store: rows around ``n_clusters`` fixed centers (a seed per block)."""
    rows, d = block.shape
    index = block_info[None]["chunk-location"][0]
    centers = np.random.default_rng(seed).uniform(-4, 4, size=(n_clusters, d))
    rng = np.random.default_rng([seed, index])
    return centers[rng.integers(0, n_clusters, rows)] + rng.standard_normal((rows, d))


def write_store(path, n_rows, d, block_rows, n_clusters, seed, compressed):
    """Write the blobs to a zarr store at ``path``, block by block on the workers."""
    import dask.array as da

    layout = da.zeros((n_rows, d), chunks=(block_rows, d))
    X = layout.map_blocks(blob_block, n_clusters, seed, dtype=np.float64)
    if compressed:
        X.to_zarr(path)  # zarr's default codecs (zstd)
    else:
        X.to_zarr(path, compressors=None)


# --- counting the reads of the store, on the scheduler -----------------------------------


class StoreReads(SchedulerPlugin):
    """A scheduler plugin: each block of array ``name`` read, with the pass that read it.

    ``records``: ``(time, block index, phase)``, phase being the name (before its
    first ``-``) of a task that depends on the block, ``"other"`` when none of
    ours does (e.g. the slicing that reads the seeding's first row).
    """

    name = READS

    def __init__(self, array_name):
        self.array_name = array_name
        self.records = []
        self.scheduler = None

    def transition(self, key, start, finish, *args, **kwargs):
        if finish != "memory" or not isinstance(key, tuple) or key[0] != self.array_name:
            return
        task = self.scheduler.tasks.get(key)
        # The pass that reads it is a dependent still to run (the tasks of earlier passes
        # that read this key may still be held in memory: persisted labels).
        phases = sorted(
            {
                str(dependent.key).split("-")[0]
                for dependent in (task.dependents if task is not None else ())
                if str(dependent.key).startswith("kmeans_") and dependent.state in WAITING
            }
        )
        self.records.append((time.time(), key[1], phases[0] if phases else "other"))


def _install_plugin(dask_scheduler, plugin):
    plugin.scheduler = dask_scheduler
    dask_scheduler.add_plugin(plugin, name=READS)


def _take_records(dask_scheduler):
    plugin = dask_scheduler.plugins[READS]
    records, plugin.records = plugin.records, []
    return records


def reads_by_phase(records, n_blocks):
    """``{phase: passes}``: the blocks read by each phase, over the number of blocks."""
    counts = collections.Counter(phase for _, _, phase in records)
    return {phase: count / n_blocks for phase, count in sorted(counts.items())}


# --- peak resident memory, sampled in the workers ----------------------------------------

# The sampler's state lives on the worker object: these functions may travel by value
# (from ``__main__``), with their own copy of any module global.


def _start_rss_sampler(dask_worker):
    import psutil

    process = psutil.Process()
    state = {"peak": process.memory_info().rss, "start": process.memory_info().rss, "stop": False}

    def sample():
        while not state["stop"]:
            state["peak"] = max(state["peak"], process.memory_info().rss)
            time.sleep(0.005)

    state["thread"] = threading.Thread(target=sample, daemon=True)
    state["thread"].start()
    dask_worker.kmeans_rss_sampler = state
    return state["start"]


def _stop_rss_sampler(dask_worker):
    state = dask_worker.kmeans_rss_sampler
    state["stop"] = True
    state["thread"].join()
    return state["start"], state["peak"]


def _compile_kernels():
    """A small in-process fit: compiles (or loads from cache) the kernels the tasks run."""
    from kmeans_core import KMeans

    KMeans(5, init="random", n_init=1, algorithm="lloyd", max_iter=2, random_state=0).fit(
        np.random.default_rng(0).standard_normal((20_000, 8))
    )
    return True


def _recomputed_labels():
    from kmeans_core import dask as kd

    return kd.recomputed_labels_count()


# --- the measurements ----------------------------------------------------------------------


def _timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run(
    gb=3.0,
    d=8,
    k=16,
    block_mb=64,
    workers=2,
    worker_memory="1GiB",
    iterations=6,
    repeats=2,
    directory=None,
    compressed=True,
    seed=0,
):
    """Run every measurement; a dict of the figures (see ``report``)."""
    import dask
    import dask.array as da
    from dask.utils import parse_bytes
    from distributed import Client, LocalCluster

    from kmeans_core import KMeans
    from kmeans_core import dask as kd

    itemsize = 8
    # Blocks of whole 1024-row chunks: the fit is then the in-memory one, bit for bit.
    block_rows = max(1024, int(block_mb * 1e6 / (d * itemsize)) // 1024 * 1024)
    n_rows = max(block_rows, int(gb * 1e9 / (d * itemsize)) // 1024 * 1024)
    memory_limit = parse_bytes(worker_memory) if isinstance(worker_memory, str) else worker_memory
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{_total_memory() / 2**30:.0f} GiB RAM",
        "n": n_rows,
        "d": d,
        "k": k,
        "store_bytes": n_rows * d * itemsize,
        "block_rows": block_rows,
        "workers": workers,
        "worker_memory_limit": memory_limit,
        "compressed": compressed,
    }
    folder = tempfile.mkdtemp(prefix="kmeans-out-of-core-", dir=directory)
    # A SIGTERM (``timeout``, a CI job cancelled) ends the run through ``finally`` too.
    previous_handler = _exit_on_sigterm()
    try:
        store = os.path.join(folder, "X.zarr")
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                memory_limit=memory_limit,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            seconds, _ = _timed(
                lambda: write_store(store, n_rows, d, block_rows, k, seed, compressed)
            )
            figures["write_s"] = seconds
            figures["store_bytes_on_disk"] = _folder_size(store)
            client.run(_compile_kernels)
            X = da.from_zarr(store)
            n_blocks = len(X.chunks[0])
            figures["blocks"] = n_blocks
            client.run_on_scheduler(_install_plugin, plugin=StoreReads(X.name))
            # A small Dask fit first: the task paths warm, nothing of it timed.
            warm = X[: 4 * block_rows] if n_blocks > 4 else X
            kd.KMeans(k, random_state=0, max_iter=2).fit(warm)
            init = X[:k].compute() + 0.5
            client.run_on_scheduler(_take_records)

            client.run(_start_rss_sampler)

            def lloyd(max_iter):
                # n_iter_ only: the model, and its labels held on the workers (4 bytes a
                # row), go as soon as the fit returns, as they would in a loop of fits.
                return (
                    KMeans(k, init=init, n_init=1, tol=0.0, max_iter=max_iter, algorithm="lloyd")
                    .fit(X)
                    .n_iter_
                )

            # Each repeat reads the store once, then runs the two fits: on a shared
            # machine both figures of a repeat see about the same load.
            read_times, per_iteration, fit_rows = [], [], []
            labels_before = sum(client.run(_recomputed_labels).values())
            for _ in range(repeats):
                seconds, _ = _timed(lambda: X.sum(axis=0).compute())
                read_times.append(seconds)
                short_s, short = _timed(lambda: lloyd(1))
                long_s, long = _timed(lambda: lloyd(iterations))
                per_iteration.append((long_s - short_s) / (long - short))
                fit_rows.append((short_s, short, long_s, long))
            figures["recomputed_label_blocks"] = (
                sum(client.run(_recomputed_labels).values()) - labels_before
            )
            figures["lloyd_passes"] = reads_by_phase(
                client.run_on_scheduler(_take_records), n_blocks
            )
            figures["read_once_s"] = statistics.median(read_times)
            figures["read_times"] = read_times
            figures["iteration_s"] = statistics.median(per_iteration)
            figures["iteration_times"] = per_iteration
            figures["lloyd_fits"] = fit_rows
            figures["ratio"] = figures["iteration_s"] / figures["read_once_s"]

            seconds, _ = _timed(lambda: kd.KMeans(k, random_state=0, max_iter=1).fit(X).n_iter_)
            records = client.run_on_scheduler(_take_records)
            figures["default_fit_s"] = seconds
            figures["default_passes"] = reads_by_phase(records, n_blocks)
            figures["seeding_s"] = _phase_span(records, ("kmeans_parallel_blocks", "other"))
            seeding_reads = sum(
                1
                for _, _, phase in records
                if phase.startswith("kmeans_parallel") or phase == "other"
            )
            figures["seeding_passes"] = seeding_reads / n_blocks

            peaks = client.run(_stop_rss_sampler)
            figures["rss_start"] = max(start for start, _ in peaks.values())
            figures["rss_peak"] = max(peak for _, peak in peaks.values())
            figures["dask"] = dask.__version__
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    figures["load_average"] = os.getloadavg()
    return figures


def _exit_on_sigterm():
    """Turn SIGTERM into SystemExit (main thread only); the previous handler, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, stop)


def _phase_span(records, phases):
    """Seconds from the first to the last read of the given phases (the seeding's reads)."""
    times = [t for t, _, phase in records if phase.startswith(phases)]
    return max(times) - min(times) if times else float("nan")


def _folder_size(path):
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(path)
        for name in names
    )


def _total_memory():
    import psutil

    return psutil.virtual_memory().total


def report(figures):
    """The figures as a few lines of Markdown."""
    f = figures
    mib = 2**20
    lines = [
        f"Machine: {f['machine']}; load average at the end {f['load_average'][0]:.2f}. "
        f"Store: {f['n']:,} rows x {f['d']} float64 = {f['store_bytes'] / 1e9:.2f} GB "
        f"({f['store_bytes_on_disk'] / 1e9:.2f} GB on disk, "
        f"{'zstd' if f['compressed'] else 'uncompressed'}), {f['blocks']} blocks of "
        f"{f['block_rows']:,} rows; k={f['k']}; {f['workers']} workers x 1 thread, "
        f"{f['worker_memory_limit'] / mib:.0f} MiB each "
        f"(store = {f['store_bytes'] / f['worker_memory_limit']:.1f}x one worker's limit).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| read the store once (`X.sum(axis=0)`) | {f['read_once_s']:.2f} s |",
        f"| one Lloyd iteration, streaming from the store | {f['iteration_s']:.2f} s |",
        f"| iteration / read once | {f['ratio']:.2f} |",
        f"| k-means‖ seeding: passes over the store | {f['seeding_passes']:.2f} |",
        f"| k-means‖ seeding: time (first to last read) | {f['seeding_s']:.1f} s |",
        f"| default fit (`max_iter=1`) | {f['default_fit_s']:.1f} s |",
        f"| peak worker RSS (limit {f['worker_memory_limit'] / mib:.0f} MiB) | "
        f"{f['rss_peak'] / mib:.0f} MiB (at start {f['rss_start'] / mib:.0f} MiB) |",
        "",
        "Read once (s): "
        + ", ".join(f"{t:.2f}" for t in f["read_times"])
        + "; one iteration (s): "
        + ", ".join(f"{t:.2f}" for t in f["iteration_times"])
        + ". Store reads per block, by pass: Lloyd fits "
        + _passes(f["lloyd_passes"])
        + "; default fit "
        + _passes(f["default_passes"])
        + f". Blocks assigned again (their labels on the other worker): "
        f"{f['recomputed_label_blocks']}.",
        "Lloyd fits (1 iteration s, n_iter, long fit s, n_iter): "
        + ", ".join(f"({a:.2f}, {b}, {c:.2f}, {e})" for a, b, c, e in f["lloyd_fits"])
        + f". Writing the store took {f['write_s']:.1f} s.",
    ]
    return "\n".join(lines)


def _passes(passes):
    return ", ".join(f"{phase} {count:.2f}" for phase, count in passes.items())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=3.0, help="store size in GB (1e9 bytes)")
    parser.add_argument("--d", type=int, default=8)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--block-mb", type=float, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="1GiB")
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--dir", default=None, help="parent of the temporary store folder")
    parser.add_argument("--uncompressed", action="store_true", help="store without zstd")
    args = parser.parse_args(argv)
    figures = run(
        gb=args.gb,
        d=args.d,
        k=args.k,
        block_mb=args.block_mb,
        workers=args.workers,
        worker_memory=args.worker_memory,
        iterations=args.iterations,
        repeats=args.repeats,
        directory=args.dir,
        compressed=not args.uncompressed,
    )
    print(report(figures))
    return figures


if __name__ == "__main__":
    main()
