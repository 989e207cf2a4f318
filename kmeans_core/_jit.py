"""The one place that decides how kernels are compiled.

Every numba kernel in the package is decorated with :func:`jit` (serial) or
:func:`jit_parallel` (``prange`` loops), so the compile policy lives here:

* ``cache=True``: compiled machine code is stored beside the sources, so only the
  first run on a machine pays the compile time.
* ``fastmath`` stays **off**. Full fastmath lets LLVM assume there are no
  infinities (our ``best = inf`` starts would become undefined) and lets it
  reorder sums, which would break bitwise reproducibility across thread counts.
* ``error_model="numpy"``: division by zero gives inf/nan like NumPy instead of
  raising inside a kernel (the Python layer validates so this never happens).

Set ``KMEANS_CORE_DISABLE_CACHE=1`` to compile without the on-disk cache (useful
on read-only installs). ``NUMBA_DISABLE_JIT=1`` runs every kernel as plain
Python, for debugging and coverage.
"""

from __future__ import annotations

import os

import numba

_CACHE = os.environ.get("KMEANS_CORE_DISABLE_CACHE", "0") != "1"

_OPTIONS = dict(nogil=True, cache=_CACHE, fastmath=False, error_model="numpy")


def jit(function=None, **overrides):
    """Compile ``function`` as a serial nopython kernel with the project policy."""
    options = {**_OPTIONS, **overrides}
    if function is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(function)


def jit_parallel(function=None, **overrides):
    """Compile ``function`` as a parallel (``prange``) kernel with the project policy."""
    options = {**_OPTIONS, "parallel": True, **overrides}
    if function is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(function)


# Rows per chunk in every chunked parallel reduction. A chunk, not a thread, owns
# a slot of the partial-sum buffer, and the slots are summed in chunk order, so the
# result does not depend on how many threads ran the chunks.
CHUNK_ROWS = 1024


def n_chunks(n_rows: int) -> int:
    """Number of fixed-size chunks covering ``n_rows`` rows."""
    return (n_rows + CHUNK_ROWS - 1) // CHUNK_ROWS
