"""The engine's numba kernels: a small vocabulary every algorithm is written in.

Private: the public API is in ``kmeans_core`` (``KMeans``, ``MiniBatchKMeans``,
``kmeans_core.dask``, ...), thin Python shells that validate, choose and
orchestrate, then call these kernels on prepared arrays.

* ``jit``: the one compile policy (``jit``, ``jit_parallel``, the fastmath
  relaxation ``VECTOR_SUMS``, ``serial`` twins of strict parallel kernels for
  small inputs), the fixed chunking of rows that makes every sum independent
  of the thread count, BLAS and numba thread limits.
* ``distances``: the tie rule (which centre is a row's nearest) and the block
  primitive that applies it to a chunk of rows (``nearest_centers_ranked``:
  a BLAS product and a row scan, or sweeps across rows on narrow data, chosen
  when the calling kernel compiles; the rows' squared norms passed in when a
  fit made them once, else computed for the block), centre shifts.
* ``common``: small kernels shared by the algorithms, the estimator and the
  metrics: a chunk's rows as float64, row norms (of a block, and the
  streaming pass a fit and its seeding share), inertia per chunk,
  distances for ``transform``, label bookkeeping, the centring pass.
* ``lloyd``: Lloyd's pass (one chunk kernel, run in parallel or serially,
  writing a ``ChunkPartials``), the sum slots and their ordered reduction,
  the small-table whole run.
* ``bounds``: Hamerly's and Elkan's passes on the same chunks and slots.
* ``seeding``: greedy k-means++ drawing scikit-learn's random numbers.

Every assignment rule is a *block kernel* with one contract (rows in fixed
chunks, labels in place, per-chunk partial sums built from slots in order):
``docs/design.md`` states it and shows how to add a rule.
"""
