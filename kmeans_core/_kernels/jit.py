"""The one place that decides how kernels are compiled.

Every numba kernel in the package is decorated with :func:`jit` (serial) or
:func:`jit_parallel` (``prange`` loops), so the compile policy lives here:

* ``cache=True``: compiled machine code is stored beside the sources, so only the
  first run on a machine pays the compile time.
* ``fastmath`` is **off** by default. Full fastmath lets LLVM assume there are
  no infinities (our ``best = inf`` starts would become undefined). A few hot
  kernels opt into ``reassoc``/``contract`` alone, with the measured reason
  beside them: the grouping they allow is fixed by the compiled code, and every
  sum over samples is still taken in fixed chunks, so results do not depend on
  the thread count.
* ``error_model="numpy"``: division by zero gives inf/nan like NumPy instead of
  raising inside a kernel (the Python layer validates so this never happens).
* Allocation and numba's builtin ``min``/``max`` stay out of the kernels a
  small table's first fit compiles (the centring twin, one-chunk k-means++,
  the compiled Lloyd run): numba compiles each as a function of its own per
  argument type, 20-90 ms apiece on a fresh machine, so those kernels take
  their buffers from the caller and write ``min(a, b)`` as ``b if b < a else
  a`` (the builtin's own rule: the same value, NaN and signed zeros included).

The kernels' runtime policy lives here too: chunk sizes, BLAS threads, one
thread for small inputs (and there the serial twin of a strict parallel
kernel, :func:`serial`, which compiles in a third of the time, or for one
chunk of rows a twin that compiles no kernel of its own,
:func:`one_chunk_twin`), and :func:`prefaulted_empty` for the n-sized
buffers they fill.

Set ``KMEANS_CORE_DISABLE_CACHE=1`` to compile without the on-disk cache (useful
on read-only installs). ``NUMBA_DISABLE_JIT=1`` runs every kernel as plain
Python, for debugging and coverage.
"""

from __future__ import annotations

import contextlib
import os
import types

import numba
import numpy as np

_CACHE = os.environ.get("KMEANS_CORE_DISABLE_CACHE", "0") != "1"


def _drop_stale_cache():
    """Delete the package's numba cache when any of its sources changed since it was written.

    numba keys a cached kernel on its own file's timestamp only: a kernel that
    calls (and inlines) a function from another module keeps its old machine
    code after that other module is edited, silently. A stamp of every
    source's size and time, kept beside the cache, catches that: on a mismatch
    the package's ``*.nbi``/``*.nbc`` files are removed and recompiled on use.
    An installed release never trips it (its files do not change); an editable
    checkout being worked on does.
    """
    # The whole kmeans_core package (this file is in its _kernels subpackage):
    # kernels anywhere in it call and inline kernels from here.
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cache = os.path.join(package, "__pycache__")
    try:
        sources = sorted(
            os.path.relpath(os.path.join(folder, name), package)
            for folder, _, names in os.walk(package)
            for name in names
            if name.endswith(".py")
        )
        stamp = ";".join(
            f"{name}:{os.stat(os.path.join(package, name)).st_size}:"
            f"{os.stat(os.path.join(package, name)).st_mtime_ns}"
            for name in sources
        )
        stamp_path = os.path.join(cache, "kmeans_core_sources.stamp")
        try:
            with open(stamp_path) as handle:
                if handle.read() == stamp:
                    return
        except OSError:
            pass
        os.makedirs(cache, exist_ok=True)
        for folder, _, names in os.walk(package):
            if os.path.basename(folder) != "__pycache__":
                continue
            for name in names:
                if name.endswith((".nbi", ".nbc")):
                    try:
                        os.remove(os.path.join(folder, name))
                    except OSError:
                        pass  # another process got there first
        with open(stamp_path, "w") as handle:
            handle.write(stamp)
    except OSError:
        pass  # a read-only install: numba falls back to its own cache location


if _CACHE:
    _drop_stale_cache()

_OPTIONS = dict(nogil=True, cache=_CACHE, fastmath=False, error_model="numpy")

# ``jit_options`` of the ``numba.extending.overload`` implementations (kernels
# chosen at compile time from an argument's type): cached, with NumPy's error
# model, like every kernel.
OVERLOAD_OPTIONS = {"cache": _CACHE, "error_model": "numpy"}

# The one relaxation any kernel may opt into (``fastmath=VECTOR_SUMS``), for
# sums it owns: ``reassoc`` lets LLVM add the terms of a loop in vector lanes
# (a single chain of dependent additions costs ~4 cycles a term) and
# ``contract`` fuses multiply-adds. The grouping is then fixed by the compiled
# code and the chunk's row count, never by the thread count, so results stay
# reproducible; each user states what it sums and why the last bits do not
# matter there (bounds covered by a margin, potentials, an inertia).
# ``nnan``/``ninf`` are never used: kernels start minima at ``inf``. (A set:
# numba refuses a frozenset; never modify it.)
VECTOR_SUMS = {"reassoc", "contract"}


def jit(function=None, **overrides):
    """Compile ``function`` as a serial nopython kernel with the project policy."""
    options = {**_OPTIONS, **overrides}
    if function is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(function)


def jit_parallel(function=None, **overrides):
    """Compile ``function`` as a parallel (``prange``) kernel with the project policy.

    :func:`serial` gives the same kernel compiled without ``parallel``, for
    small inputs.
    """
    if function is None:
        return lambda f: jit_parallel(f, **overrides)
    options = {**_OPTIONS, **overrides}
    kernel = numba.njit(**options, parallel=True)(function)
    if hasattr(kernel, "py_func"):  # not with NUMBA_DISABLE_JIT: plain Python then
        _SERIAL_OPTIONS[kernel] = options
    return kernel


# --- Serial twins: small inputs compile no parallel kernel ------------------------
# A parallel kernel costs 3-4x the compile time of the same loops compiled
# serially (numba outlines the ``prange`` body into a gufunc and builds the
# scheduling around it: center_into 0.63 s against 0.22 s on a fresh machine).
# Below ``SERIAL_BELOW_ROWS`` rows a kernel runs on one thread anyway, so a
# first fit on a small table can compile a kernel's serial twin instead: the
# same source, where ``prange`` is a plain ``range``, the same operations in
# the same order (chunks, not threads, fix every sum), so the same bits.
#
# Only for kernels with no relaxed arithmetic (``fastmath``) anywhere in their
# call tree: LLVM optimizes relaxed sums again in every function they are
# inlined into, and the outlined parallel loop and the serial one are
# different functions, so the twin may round differently in the last bit
# (seen: the k-means++ first pass, whose distances use ``VECTOR_SUMS``, at
# d=3). Strict IEEE arithmetic leaves LLVM no such choice.
#
# Where no other path has to reproduce a relaxed kernel's bits (k-means++'s
# potentials only rank and draw; nothing else recomputes them), a caller may
# still take its twin for small inputs with ``relaxed=True``: the choice is by
# row count, never by thread count, so a given input still gives one answer.
_SERIAL_OPTIONS = {}  # parallel kernel -> its jit options, without ``parallel``
_SERIAL_TWINS = {}  # parallel kernel -> its serial twin, built on first use


def serial(kernel, relaxed=False):
    """The serial twin of the :func:`jit_parallel` ``kernel`` (compiled on first call).

    The twin is a copy of the kernel's Python function under its own name
    (``<name>_serial``), so numba keeps its machine code in a cache file of
    its own instead of beside the parallel one's. ``kernel`` and the kernels
    it calls must be compiled without ``fastmath`` (see above); a kernel
    with ``fastmath`` of its own is refused unless ``relaxed`` says its
    caller accepts sums that may differ from the parallel kernel's in the
    last bit (see above).
    """
    if kernel not in _SERIAL_OPTIONS:  # NUMBA_DISABLE_JIT: plain Python already
        return kernel
    # Checked on every call, not only when the twin is built: one caller's
    # ``relaxed`` does not speak for the next.
    if _SERIAL_OPTIONS[kernel]["fastmath"] and not relaxed:
        raise ValueError(
            f"{kernel.py_func.__name__} relaxes floating-point arithmetic: a serial "
            "twin could round differently from it"
        )
    twin = _SERIAL_TWINS.get(kernel)
    if twin is None:
        copy = renamed_copy(kernel.py_func, "_serial")
        twin = _SERIAL_TWINS[kernel] = numba.njit(**_SERIAL_OPTIONS[kernel])(copy)
    return twin


def renamed_copy(function, suffix):
    """``function`` under the name ``<name><suffix>``: the same code, a numba cache file of its own.

    numba names a kernel's cache files after its Python function and keeps
    every compiled signature of that function in one index, whoever compiled
    it. Two compilations of one function that must not load each other's
    machine code get two names: a serial twin and its parallel kernel, or an
    overload's implementation (compiled without the wrapper that Python calls
    go through) and the kernel of the same function called from Python (a
    Python call that loaded the implementation's entry crashed the
    interpreter).
    """
    copy = types.FunctionType(
        function.__code__,
        function.__globals__,
        function.__name__ + suffix,
        function.__defaults__,
        function.__closure__,
    )
    copy.__qualname__ = function.__qualname__ + suffix
    copy.__module__ = function.__module__
    copy.__doc__ = function.__doc__
    return copy


def for_rows(kernel, n_rows: int, serial_below: int | None = None, relaxed: bool = False):
    """``kernel``, or its serial twin below ``serial_below`` rows (default ``SERIAL_BELOW_ROWS``).

    The default matches :func:`threads_for`: where the parallel kernel would
    run on one thread anyway. A kernel whose twin runs slower (see
    ``_iterations.centered_copy``) passes a lower bound. ``relaxed``: as
    :func:`serial`'s.
    """
    if serial_below is None:
        serial_below = SERIAL_BELOW_ROWS
    return kernel if n_rows >= serial_below else serial(kernel, relaxed)


def for_one_chunk(kernel, n_rows: int, relaxed: bool = False):
    """``kernel``, or its serial twin for at most one chunk (``CHUNK_ROWS``) of rows.

    For kernels whose twin runs slower than the parallel kernel on one thread
    beyond a chunk (numba's parallel compile tells LLVM the outlined loop's
    arrays are distinct, which a serial kernel cannot), or whose twin may
    round differently (``relaxed``): up to one chunk the twin costs the run
    microseconds at most and saves a first fit on a fresh machine the
    parallel kernel's compile. ``relaxed``: as :func:`serial`'s.

    Where the kernel has a one-chunk twin (:func:`one_chunk_twin`), that
    twin instead: the same bits, and no kernel of its own to compile.
    """
    if n_rows <= CHUNK_ROWS and kernel in _ONE_CHUNK_TWINS:
        return _ONE_CHUNK_TWINS[kernel]
    return for_rows(kernel, n_rows, CHUNK_ROWS + 1, relaxed)


# --- One-chunk twins: no kernel of their own to compile ---------------------------
# Up to one chunk of rows, some kernels' work can be done with the same bits
# by kernels a first fit compiles anyway: the per-chunk kernel of a chunked
# reduction called once from Python (``common.inertia_of_one_chunk``), or a
# kernel that computes the same values among others (the column sums of the
# centring kernel's twin about a zero mean, ``common.column_sums_of_one_chunk``).
# A first fit on a small table then compiles neither the parallel kernel
# nor its serial twin (on the 2-core benchmark machine: the column sums'
# twin 0.14 s, the inertia's 0.1 s besides its per-chunk kernel). NumPy
# would compute some of them with the same bits too (``np.cumsum`` adds in
# row order), but three to four times slower than a fused kernel: 40-80 us
# more a small fit for the centring. Each twin states the argument for its
# bits beside it, and a test compares it with the kernel bit for bit.
_ONE_CHUNK_TWINS = {}  # parallel kernel -> its twin for at most one chunk of rows


def one_chunk_twin(kernel):
    """Decorator: register the decorated function as ``kernel``'s twin for one chunk of rows.

    The function takes the kernel's arguments and writes the same bits into
    its outputs whenever X has at most ``CHUNK_ROWS`` rows (``n_chunks`` of
    them is then 1); :func:`for_one_chunk` chooses it there.
    """

    def register(function):
        _ONE_CHUNK_TWINS[kernel] = function
        return function

    return register


# Rows per chunk in every chunked parallel reduction. A chunk, not a thread, owns
# a slot of the partial-sum buffer, and the slots are summed in chunk order, so the
# result does not depend on how many threads ran the chunks.
CHUNK_ROWS = 1024


def n_chunks(n_rows: int, chunk_rows: int = CHUNK_ROWS) -> int:
    """Number of chunks of ``chunk_rows`` rows covering ``n_rows`` rows."""
    return max(1, (n_rows + chunk_rows - 1) // chunk_rows)


# Upper bound on the per-chunk partial center sums (n_chunks * n_clusters *
# n_features float64 values) before chunks are made longer than CHUNK_ROWS.
_PARTIAL_SUMS_BUDGET_BYTES = 64 * 2**20
_MIN_CHUNKS = 64


def chunk_rows_for(n_rows: int, n_clusters: int, n_features: int) -> int:
    """Rows per chunk for reductions that keep a (n_clusters, n_features) slot per chunk.

    ``CHUNK_ROWS`` rows by default; longer chunks when that many slots would
    exceed a 64 MiB budget, but never fewer than 64 chunks' worth of
    parallelism when the data has that many default chunks. Depends on the
    data's shape only, so results stay independent of the thread count.
    """
    slot_bytes = 8 * n_clusters * max(n_features, 1)
    max_chunks = max(_MIN_CHUNKS, _PARTIAL_SUMS_BUDGET_BYTES // slot_bytes)
    wanted = n_chunks(n_rows)
    if wanted <= max_chunks:
        return CHUNK_ROWS
    return -(-n_rows // max_chunks)


# --- BLAS threads ---------------------------------------------------------------
# The Lloyd pass calls BLAS (through numba's np.dot, which binds to SciPy's
# OpenBLAS) once per chunk, from numba's own threads. Left multi-threaded,
# BLAS would start its threads inside each of ours and the two pools fight for
# the cores (measured: 2x slower at d=64 on 2 cores). threadpoolctl (the
# library scikit-learn uses for the same job) caps BLAS at one thread for the
# duration of a kernel call and restores the user's setting afterwards.
#
# threadpoolctl's ``limit`` context re-reads every library's settings on each
# entry (about 15 us a call, several calls per fit and per ``predict``), so
# the BLAS libraries are looked up once and only their thread counts are
# read and set around each call; nothing is set when they already run one
# thread.
# Mini-batch steps (0.15 ms a 1,024-row batch) use it too: a few microseconds a call.
_blas_controller = None
_blas_libraries = None


def _blas_lib_controllers():
    global _blas_controller, _blas_libraries
    if _blas_libraries is None:
        import scipy.linalg.cython_blas  # noqa: F401  (load it so threadpoolctl can see it)
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController()
        _blas_libraries = [
            library for library in _blas_controller.lib_controllers if library.user_api == "blas"
        ]
    return _blas_libraries


@contextlib.contextmanager
def single_threaded_blas():
    """Context manager: BLAS runs single-threaded inside, as set by the user outside."""
    libraries = _blas_lib_controllers()
    previous = [library.num_threads for library in libraries]
    changed = [library for library, threads in zip(libraries, previous) if threads != 1]
    for library in changed:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, threads in zip(libraries, previous):
            if threads != 1:
                library.set_num_threads(threads)


# --- Small inputs run on one thread ---------------------------------------------
# Starting a parallel region costs microseconds on an idle machine but can cost
# milliseconds when the cores are busy (threads wait to be scheduled): on a few
# thousand rows that dominates. Below this many rows every kernel runs on the
# calling thread. Results do not change: chunks, not threads, fix the order of
# every sum.
SERIAL_BELOW_ROWS = 16 * CHUNK_ROWS


@contextlib.contextmanager
def one_numba_thread():
    """Context manager: numba's kernels run on the calling thread, the thread count restored after."""
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


@contextlib.contextmanager
def threads_for(n_rows: int, serial_below: int = SERIAL_BELOW_ROWS):
    """Context manager: one numba thread below ``serial_below`` rows, the configured number otherwise."""
    if n_rows >= serial_below:
        yield
        return
    with one_numba_thread():
        yield


# --- Fresh buffers for parallel kernels ----------------------------------------
# A large new array is only address space until each page is first written, and
# the first write to a page costs a page fault. Faults taken concurrently by
# numba's threads were about 4x slower than the same faults taken in turn by one
# thread (measured on the 2-core benchmark machine: 64 MB centered copy 41 ms
# against 10 ms, Hamerly's first pass 35 ms against 19 ms with its bounds).
# Touching one value per page from the calling thread maps the pages at the
# cheaper rate before a kernel writes them.
_PAGE_BYTES = 4096


def prefaulted_empty(shape, dtype=np.float64):
    """``np.empty(shape, dtype)`` (C order) with every page already mapped; the values are undefined."""
    out = np.empty(shape, dtype=dtype)
    out.reshape(-1)[:: max(1, _PAGE_BYTES // out.itemsize)] = 0
    return out
