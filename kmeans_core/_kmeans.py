"""The ``KMeans`` estimator: the validating shell around the iteration drivers.

This module owns everything scikit-learn users rely on: parameters and their
checks, fitted attributes, the order of random draws, warnings and error
messages, ``predict``/``transform``/``score``, :func:`kmeans_plusplus` and
:func:`assign_to_centers`. A fit validates and normalises its input once
(dtype, order, weights rescaled by a power of two, the centred private copy),
draws the seeds (``_kernels/seeding.py``) and hands clean arrays to the drivers of
``_iterations.py``, one run per ``n_init``, keeping the best run that is not a
relabelled twin. It holds no iteration loop and no numerics: the drivers call
the block kernels (``_kernels/lloyd.py``, ``_kernels/bounds.py``) and the shared update, and
labels follow the one tie rule of ``_kernels/distances.py``, so every ``algorithm``
gives the same bits. ``docs/design.md`` describes the layers.
"""

from __future__ import annotations

import contextlib
import inspect
import numbers
import sys
import warnings

import numpy as np

from kmeans_core._iterations import (
    assign_labels,
    bounded_single_run,
    centered_copy,
    centered_statistics,
    centers_rows_as_read,
    choose_algorithm,
    distances_to_centers_of,
    inertia_of,
    lloyd_single_run,
    memory_budget_bytes,
    memory_needed_bytes,
    norms_to_fill,
    squared_distance_bound,
    transposed,
)
from kmeans_core._kernels.common import (
    centered_rows,
    column_extremes_per_chunk,
    distinct_label_count,
    euclidean_distances_to_centers,
    is_same_clustering,
)
from kmeans_core._kernels.jit import n_chunks, prefaulted_empty, threads_for
from kmeans_core._kernels.seeding import (
    greedy_kmeans_plusplus,
    random_choice_init,
    reads_rows_centred,
)
from kmeans_core._validation import (
    borrowed_random_state,
    check_array,
    check_random_state,
    check_sample_weight,
    feature_names_of,
)

ALGORITHMS = ("lloyd", "elkan", "hamerly", "auto")


class ConvergenceWarning(UserWarning):
    """The fit ended with fewer distinct clusters than asked for."""


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``."""


_interoperable = {}


def _interoperable_class(ours, sklearn_name):
    """``ours``, or a subclass of it that is also scikit-learn's class of the same name.

    When scikit-learn is installed, code written for it (``except
    sklearn.exceptions.NotFittedError``, a warnings filter on its
    ConvergenceWarning) then works unchanged with our estimator. scikit-learn
    is looked up only when such an error or warning is raised, never imported
    at runtime otherwise.
    """
    if ours not in _interoperable:
        try:
            import sklearn.exceptions

            theirs = getattr(sklearn.exceptions, sklearn_name)
            _interoperable[ours] = type(ours.__name__, (ours, theirs), {"__module__": __name__})
        except ImportError:
            _interoperable[ours] = ours
    return _interoperable[ours]


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def _check_n_clusters(n_clusters, n_samples, name="n_clusters"):
    if not isinstance(n_clusters, numbers.Integral) or isinstance(n_clusters, bool):
        raise ValueError(f"{name} must be an int >= 1, got {n_clusters!r}.")
    if n_clusters < 1:
        raise ValueError(f"{name} must be >= 1, got {n_clusters}.")
    if n_samples < n_clusters:
        raise ValueError(
            f"n_samples={n_samples} should be >= {name}={n_clusters}: cannot make more "
            "clusters than there are samples."
        )


def _check_int(value, name, minimum=1, allow_none=False):
    """``int(value)`` (or None where allowed); a ValueError naming ``name`` otherwise."""
    if allow_none and value is None:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        also = " or None" if allow_none else ""
        raise ValueError(f"{name} must be an int >= {minimum}{also}, got {value!r}.")
    return int(value)


def _check_real(value, name):
    """Refuse anything but a finite real number >= 0 (``tol`` and its kin)."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")


def _check_init(init, strategies):
    """Refuse an ``init`` that is neither one of the named ``strategies``, an array nor a callable."""
    named = ", ".join(repr(strategy) for strategy in strategies)
    expected = f"init must be {named}, an array of shape (n_clusters, n_features) or a callable"
    if isinstance(init, str):
        if init not in strategies:
            raise ValueError(f"{expected}, got {init!r}.")
    elif not callable(init) and not _is_array_like(init):
        raise ValueError(f"{expected}, got {type(init).__name__}.")


def kmeans_plusplus(
    X,
    n_clusters,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_local_trials=None,
):
    """Choose initial centers with greedy k-means++.

    Draws the same random numbers as :func:`sklearn.cluster.kmeans_plusplus`,
    so the same ``random_state`` gives the same centers and indices.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data to pick seeds from.
    n_clusters : int
        Number of centers to choose.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples; a sample is drawn with probability proportional
        to ``weight * D(x)^2``.
    x_squared_norms : array-like of shape (n_samples,), default=None
        Squared Euclidean norm of each row of X, when already known; computed
        when None. Used by the distance form that needs them (float64 data
        with more than 4 features), as scikit-learn uses them.
    random_state : int, numpy.random.RandomState or None, default=None
        Source of randomness (see :class:`KMeans`).
    n_local_trials : int, default=None
        Candidates tried for each center after the first; None means
        ``2 + int(log(n_clusters))``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen centers, in X's float dtype.
    indices : ndarray of shape (n_clusters,)
        Row of X behind each center: ``X[indices[i]] == centers[i]``.

    Raises
    ------
    ValueError
        On NaN/inf or empty X, ``n_clusters`` out of ``1..n_samples``, bad
        sample weights or ``x_squared_norms``, or ``n_local_trials < 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import kmeans_plusplus
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> centers, indices = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> centers
    array([[10.,  2.],
           [ 1.,  0.]])
    >>> indices
    array([3, 2])
    """
    X = check_array(X)
    _check_n_clusters(n_clusters, X.shape[0])
    if n_local_trials is not None and (
        not isinstance(n_local_trials, numbers.Integral) or n_local_trials < 1
    ):
        raise ValueError(f"n_local_trials must be None or an int >= 1, got {n_local_trials!r}.")
    sample_weight, _ = check_sample_weight(sample_weight, X.shape[0], X.dtype, rescale=True)
    row_norms = _check_squared_norms(x_squared_norms, X)
    check_distance_range(X)
    with threads_for(X.shape[0]), borrowed_random_state(random_state) as random_state:
        return greedy_kmeans_plusplus(
            X, n_clusters, sample_weight, random_state, n_local_trials, row_norms
        )


def _check_squared_norms(x_squared_norms, X):
    """``x_squared_norms`` as a float64 vector of one value per row of X, or None."""
    if x_squared_norms is None:
        return None
    norms = np.asarray(x_squared_norms)
    if norms.dtype.kind not in "iuf":
        raise ValueError(f"x_squared_norms must be real numbers, got dtype {norms.dtype}.")
    norms = np.ascontiguousarray(norms, dtype=np.float64)
    if norms.ndim != 1 or norms.shape[0] != X.shape[0]:
        raise ValueError(
            f"x_squared_norms must have one value per row of X: expected shape "
            f"({X.shape[0]},), got {norms.shape}."
        )
    if not np.isfinite(norms).all() or (norms < 0).any():
        raise ValueError("x_squared_norms must be finite and non-negative (squared norms).")
    return norms


def check_distance_range(X):
    """Refuse data whose squared distances, summed over samples, would overflow float64."""
    chunk_extremes = np.empty((n_chunks(X.shape[0]), X.shape[1]))
    with threads_for(X.shape[0]):
        column_extremes_per_chunk(X, chunk_extremes)
    extremes = chunk_extremes.max(axis=0)
    if not np.isfinite(squared_distance_bound(extremes, X.shape[0])):
        raise ValueError(
            f"X has values too large for K-Means (largest |x| = {extremes.max():.3g} over "
            f"{X.shape[1]} features): squared distances summed over the samples would overflow "
            "float64. Rescale X (for example divide it by its largest absolute value)."
        )


def assign_to_centers(X, centers, *, return_distances=False):
    """Nearest center of each row of X: the assignment step of K-Means on its own.

    Uses the package's tie rule (the center of smallest squared distance;
    the lowest index among exactly equal ones) and the same validation as
    :meth:`KMeans.predict`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The rows to assign.
    centers : array-like of shape (n_clusters, n_features)
        The centers to assign them to.
    return_distances : bool, default=False
        Also return each row's Euclidean distance to its center.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
        Index of the nearest center.
    distances : ndarray of shape (n_samples,), float64
        Only with ``return_distances=True``.

    Raises
    ------
    ValueError
        When X or centers hold NaN/inf or non-numbers, are empty, or disagree
        on the number of features.

    Examples
    --------
    >>> from kmeans_core import assign_to_centers
    >>> labels, distances = assign_to_centers([[0, 0], [9, 9]], [[1, 0], [10, 10]],
    ...                                       return_distances=True)
    >>> labels
    array([0, 1], dtype=int32)
    >>> distances.round(3)
    array([1.   , 1.414])
    """
    X = check_array(X)
    centers = check_array(centers, name="centers", dtype=X.dtype)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"centers has {centers.shape[1]} features but X has {X.shape[1]}: both must "
            "describe the same columns."
        )
    with threads_for(X.shape[0]):
        labels = assign_labels(X, centers)
        if not return_distances:
            return labels
        return labels, np.sqrt(distances_to_centers_of(X, centers, labels))


def wcss(X, centers, labels=None, sample_weight=None):
    """Within-cluster sum of squares (the K-Means objective, a.k.a. inertia).

    ``sum_i w_i * ||x_i - centers[labels_i]||^2``, computed directly (not via
    the norm expansion, which cancels badly) in a parallel, fixed-order
    reduction: no Python loop over samples.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    labels : array-like of shape (n_samples,), default=None
        Cluster of each sample; None assigns each sample to its nearest center.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On shape mismatches, labels outside ``0..n_clusters-1``, NaN/inf, or
        bad sample weights.

    Examples
    --------
    >>> from kmeans_core import wcss
    >>> wcss([[0.0], [2.0], [10.0]], centers=[[1.0], [10.0]])
    2.0
    """
    X = check_array(X)
    centers = check_array(centers, name="centers", dtype=X.dtype)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(f"centers has {centers.shape[1]} features but X has {X.shape[1]}.")
    sample_weight, weight_exponent = check_sample_weight(
        sample_weight, X.shape[0], X.dtype, rescale=True
    )
    if labels is not None:
        labels = _check_labels(labels, X.shape[0], centers.shape[0])
    with threads_for(X.shape[0]):
        if labels is None:
            labels = assign_labels(X, centers)
        return _unscaled_inertia(inertia_of(X, sample_weight, centers, labels), weight_exponent)


def _unscaled_inertia(inertia, weight_exponent):
    """The inertia in the caller's weight units (see ``check_sample_weight(rescale=True)``)."""
    with np.errstate(over="ignore"):
        value = float(np.ldexp(inertia, weight_exponent))
    if not np.isfinite(value):
        raise ValueError(
            f"sample_weight is too large for this data: the weighted inertia ({inertia:.3g} * "
            f"2**{weight_exponent}) overflows float64. Only relative weights matter: divide "
            "sample_weight by its largest value."
        )
    return value


def _check_labels(labels, n_samples, n_clusters):
    """Labels as a C-contiguous int32 array of cluster indices, or a ValueError saying why not."""
    labels = np.asarray(labels)
    if labels.shape != (n_samples,):
        raise ValueError(f"labels must have shape ({n_samples},) to match X, got {labels.shape}.")
    if labels.dtype.kind not in "iu":
        integral = (
            labels.dtype.kind == "f"
            and np.all(np.isfinite(labels))
            and np.all(labels == np.round(labels))
        )
        if not integral:
            raise ValueError(f"labels must be integers, got dtype {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= n_clusters:
        raise ValueError(
            f"labels must lie in 0..{n_clusters - 1} (one per center), got values "
            f"from {labels.min()} to {labels.max()}."
        )
    return np.ascontiguousarray(labels, dtype=np.int32)


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class KMeans:
    """K-Means clustering, a drop-in replacement for :class:`sklearn.cluster.KMeans`.

    Same parameters, same fitted attributes and, for the same ``random_state``,
    the same answer: the random draws (k-means++ candidates, random init,
    the sequence across ``n_init`` runs) are scikit-learn's, and Lloyd's
    iterations stop by the same rules. The work is done by numba kernels that
    read X once per iteration and give bitwise-identical results for any
    number of threads.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (k), between 1 and the number of samples.
    init : {"k-means++", "k-means||", "random"}, callable or array-like of shape \
(n_clusters, n_features), default="k-means++"
        How the first centers are chosen:

        * ``"k-means++"``: greedy k-means++, ``2 + int(log(k))`` candidates per
          step, sampled with probability proportional to ``weight * D(x)^2``.
        * ``"k-means||"``: k-means parallel (Bahmani et al. 2012): 5 rounds
          drawing ~2k rows each, then weighted k-means++ on those candidates;
          a few passes over X instead of one per center (the default of
          ``kmeans_core.dask.KMeans``; see docs/dask.md).
        * ``"random"``: k distinct samples, drawn with probability
          proportional to their weight.
        * an array: these centers (one run; a RuntimeWarning if ``n_init`` > 1
          was asked for).
        * a callable ``init(X, n_clusters, random_state) -> centers``. As in
          scikit-learn it receives X centered on its column means.
    n_init : "auto" or int, default="auto"
        Number of runs from different seeds; the run of lowest inertia is
        kept. ``"auto"`` is 1 for k-means++ or an array, 10 for random or a
        callable.
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when the total squared center shift
        is at most ``tol * mean(var(X, axis=0))``.
    verbose : int, default=0
        Print progress (the same lines as scikit-learn).
    random_state : int, numpy.random.RandomState or None, default=None
        Seed of the initialisation. None uses NumPy's global RandomState.
        (A ``numpy.random.Generator`` is refused: it draws different numbers.)
    copy_x : bool, default=True
        Accepted for compatibility. The caller's X is never modified: the fit
        always works on a private centered copy.
    algorithm : {"auto", "lloyd", "hamerly", "elkan"}, default="auto"
        The iteration used. All are exact: from the same start they give the
        same labels, iterations and (to rounding) centers as Lloyd's.

        * ``"lloyd"``: every distance every iteration, one fused pass over X.
        * ``"hamerly"`` (Hamerly 2010): two bounds per sample skip most distance
          computations once few points move; memory O(n).
        * ``"elkan"`` (Elkan 2003): one lower bound per sample *and center*:
          memory ``8 * n_samples * n_clusters`` bytes. A fit that would need
          more than half the available memory raises a ValueError instead of
          running out of memory.
        * ``"auto"``: Lloyd's for k < 8 and d < 8 and on small tables with little
          work per pass, Hamerly's otherwise (the rule and the measurements
          behind it: :func:`choose_algorithm`, docs/performance.md).

        scikit-learn's default is ``"lloyd"``; ours is ``"auto"``, which gives
        the same answer faster. ``"elkan"``/``"hamerly"`` with one cluster fall
        back to Lloyd's with a RuntimeWarning, as scikit-learn's elkan does.
    record_history : bool, default=False
        Keep a light per-iteration record of the kept run in ``history_``
        (inertia before the update, squared center shift, centers after).
        Off by default; costs nothing when off.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centers, in X's float dtype (float32 in, float32 out).
    labels_ : ndarray of shape (n_samples,), int32
        Cluster of each training sample, matching ``cluster_centers_``.
    inertia_ : float
        Weighted sum of squared distances of samples to their center.
    n_iter_ : int
        Iterations run by the kept run.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X was a DataFrame with string column names.
    history_ : list of dict
        Only with ``record_history=True``.

    Notes
    -----
    Empty clusters: when an update step leaves a cluster without weight, the
    samples farthest from their assigned centers (largest squared distance,
    the farthest first) become the new centers of the empty clusters and
    their weight leaves their old cluster. If all samples sit exactly on
    their centers (more clusters than distinct points) the empty cluster is
    placed on the heaviest cluster's center and a ConvergenceWarning reports
    fewer distinct clusters than asked for. A fit never returns NaN centers.

    Like scikit-learn, the data are centered on their column means before
    seeding and iterating (it makes distances more accurate); the means are
    added back to ``cluster_centers_``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> km.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> km.predict([[0, 0], [12, 3]])
    array([1, 0], dtype=int32)
    >>> km.cluster_centers_
    array([[10.,  2.],
           [ 1.,  2.]])
    """

    # DaskKMeans (dask.py) repeats this signature with its own default init:
    # scikit-learn reads an estimator's parameters from its __init__ signature.
    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="auto",
        record_history=False,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.record_history = record_history

    # -- scikit-learn estimator protocol ------------------------------------

    @classmethod
    def _get_param_names(cls):
        signature = inspect.signature(cls.__init__)
        return sorted(name for name in signature.parameters if name != "self")

    def get_params(self, deep=True):
        """Parameters of this estimator, as a dict (scikit-learn protocol)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set parameters by name and return self (scikit-learn protocol)."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self.__class__.__name__}(). "
                    f"Valid parameters are: {valid!r}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {
            name: p.default
            for name, p in inspect.signature(self.__class__.__init__).parameters.items()
            if name != "self"
        }
        changed = []
        for name in self._get_param_names():
            value, default = getattr(self, name), defaults[name]
            if isinstance(value, np.ndarray) or value is not default and value != default:
                shown = "array(...)" if isinstance(value, np.ndarray) else repr(value)
                changed.append(f"{name}={shown}")
        return f"{self.__class__.__name__}({', '.join(changed)})"

    # How scikit-learn (``is_clusterer`` before tags) and tools built on it,
    # such as yellowbrick's visualizers, recognise a clusterer.
    _estimator_type = "clusterer"

    def __sklearn_tags__(self):
        # Imported here: scikit-learn is needed only by whoever asks for tags
        # (its common checks), never at runtime.
        from sklearn.utils import Tags, TargetTags, TransformerTags

        tags = Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]),
            regressor_tags=None,
            classifier_tags=None,
        )
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "cluster_centers_")

    # -- validation -----------------------------------------------------------

    def _resolved_n_init(self):
        init = self.init
        if isinstance(self.n_init, str):
            if self.n_init != "auto":
                raise ValueError(f"n_init must be 'auto' or an int >= 1, got {self.n_init!r}.")
            n_init = (
                1
                if (isinstance(init, str) and init in ("k-means++", "k-means||"))
                or _is_array_like(init)
                else 10
            )
        elif isinstance(self.n_init, numbers.Integral) and not isinstance(self.n_init, bool):
            if self.n_init < 1:
                raise ValueError(f"n_init must be >= 1, got {self.n_init}.")
            n_init = int(self.n_init)
        else:
            raise ValueError(f"n_init must be 'auto' or an int >= 1, got {self.n_init!r}.")
        if _is_array_like(init) and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{self.__class__.__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        return n_init

    def _check_params(self, X):
        _check_n_clusters(self.n_clusters, X.shape[0])
        _check_int(self.max_iter, "max_iter")
        _check_real(self.tol, "tol")
        if not isinstance(self.verbose, numbers.Integral) or self.verbose < 0:
            raise ValueError(f"verbose must be an int >= 0, got {self.verbose!r}.")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"algorithm must be one of {list(ALGORITHMS)}, got {self.algorithm!r}."
            )
        _check_init(self.init, ("k-means++", "k-means||", "random"))
        return self._resolved_n_init()

    def _resolved_algorithm(self, X):
        """The iteration a fit will run ("lloyd", "hamerly" or "elkan"); see ``algorithm``."""
        n_samples, n_features = X.shape
        k = self.n_clusters
        if k == 1:
            if self.algorithm in ("elkan", "hamerly"):
                warnings.warn(
                    f"algorithm='{self.algorithm}' doesn't make sense for a single cluster. "
                    "Using 'lloyd' instead.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return "lloyd"
        # Read before the fit's centred copy of X exists (the algorithm decides
        # whether there is one: ``centers_rows_as_read``), and counted as if it
        # did, since ``memory_needed_bytes`` is what a run needs beyond it: half
        # of what stays available once the copy is made.
        budget = memory_budget_bytes()
        if budget is not None:
            budget = max(budget - X.nbytes // 2, 0)
        if self.algorithm == "auto":
            return choose_algorithm(n_samples, n_features, k, budget)
        if self.algorithm in ("elkan", "hamerly"):
            needed = memory_needed_bytes(self.algorithm, n_samples, n_features, k)
            if budget is not None and needed > budget:
                lloyd = memory_needed_bytes("lloyd", n_samples, n_features, k)
                raise ValueError(
                    f"algorithm='{self.algorithm}' would need about {needed / 2**30:.2f} GiB "
                    f"for {n_samples} samples and {k} clusters (its bounds and buffers), more "
                    f"than half of the {2 * budget / 2**30:.1f} GiB of memory available beside "
                    "the fit's centred copy of X. Use "
                    f"algorithm='lloyd' (about {lloyd / 2**30:.2f} GiB) or 'auto', which "
                    "chooses by memory as well as speed."
                )
        return self.algorithm

    def _check_init_centers(self, centers, X, what):
        centers = check_array(centers, name=what, dtype=X.dtype, copy=True)
        if centers.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match the number "
                f"of clusters {self.n_clusters} ({what} must have {self.n_clusters} rows)."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match the number "
                f"of features of the data {X.shape[1]} ({what} must have {X.shape[1]} columns)."
            )
        return centers

    def _check_fitted(self):
        if not hasattr(self, "cluster_centers_"):
            raise _interoperable_class(NotFittedError, "NotFittedError")(
                f"This {self.__class__.__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _check_feature_names(self, X, *, reset):
        names = feature_names_of(X)
        if reset:
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return
        fitted = getattr(self, "feature_names_in_", None)
        if fitted is None and names is None:
            return
        if fitted is not None and names is None:
            warnings.warn(
                f"X does not have valid feature names, but {self.__class__.__name__} was "
                "fitted with feature names",
                UserWarning,
                stacklevel=3,
            )
            return
        if fitted is None:
            warnings.warn(
                f"X has feature names, but {self.__class__.__name__} was fitted without "
                "feature names",
                UserWarning,
                stacklevel=3,
            )
            return
        if len(fitted) != len(names) or np.any(fitted != names):
            unexpected = sorted(set(names) - set(fitted))
            missing = sorted(set(fitted) - set(names))
            message = "The feature names should match those that were passed during fit.\n"
            if unexpected:
                message += "Feature names unseen at fit time:\n" + "".join(
                    f"- {n}\n" for n in unexpected
                )
            if missing:
                message += "Feature names seen at fit time, yet now missing:\n" + "".join(
                    f"- {n}\n" for n in missing
                )
            if not unexpected and not missing:
                message += "Feature names must be in the same order as they were in fit.\n"
            raise ValueError(message)

    def _check_test_data(self, X, estimator="KMeans"):
        self._check_fitted()
        self._check_feature_names(X, reset=False)
        X = check_array(X, estimator=estimator)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {self.__class__.__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X

    # -- fitting ----------------------------------------------------------------

    def _initial_centers(
        self, X, init_centers, random_state, sample_weight, row_norms=None, centering=None
    ):
        """The run's seeds, centred; ``centering``: the mean when X is not (the fit's frame)."""
        init = self.init
        if isinstance(init, str) and init == "k-means++":
            # The fit's row norms when it made them (``fit_row_norms``: the same
            # kernel and bits as the seeding's own), so X is not read once more.
            known = row_norms is not None and row_norms.shape[0] == X.shape[0]
            centers, _ = greedy_kmeans_plusplus(
                X,
                self.n_clusters,
                sample_weight,
                random_state,
                computed_row_norms=row_norms if known else None,
                mean=centering,
            )
        elif isinstance(init, str) and init == "k-means||":
            from kmeans_core._kmeans_parallel import kmeans_parallel

            centers = kmeans_parallel(X, self.n_clusters, sample_weight, random_state)
        elif isinstance(init, str) and init == "random":
            # Rows drawn by index alone: centred after the draw, the same values.
            centers = centered_rows(
                random_choice_init(X, self.n_clusters, sample_weight, random_state), centering
            )
        elif init_centers is not None:
            centers = init_centers
        else:
            centers = self._check_init_centers(
                init(X, self.n_clusters, random_state=random_state), X, "the centers init returned"
            )
        return centers

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (array, list of lists or DataFrame). Integers become
            float64; float32 stays float32. Never modified.
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; None gives every sample weight 1.

        Returns
        -------
        self : KMeans
            The fitted estimator.

        Raises
        ------
        ValueError
            On NaN/inf, empty or 1-D X, ``n_clusters`` outside ``1..n_samples``,
            bad sample weights, an init array of the wrong shape, or an
            unknown ``init``/``algorithm``.
        """
        if _is_dask_collection(X):  # fitted block by block, never gathered: kmeans_core.dask
            from kmeans_core import dask as on_dask

            return on_dask.fit(self, X, sample_weight)
        self._check_feature_names(X, reset=True)
        # Not copied and not yet checked for NaN/inf: the fit centers X into
        # a private copy and checks it in the same pass (X is only read).
        X = check_array(X, check_finite=False)
        # The RandomState is used only during the fit, unless a user's init
        # callable receives it (it may keep it): then it is a fresh one.
        if callable(self.init):
            random_states = contextlib.nullcontext(check_random_state(self.random_state))
        else:
            random_states = borrowed_random_state(self.random_state)
        with threads_for(X.shape[0]), random_states as random_state:
            return self._fit(X, sample_weight, random_state)

    def _fit(self, X, sample_weight, random_state):
        n_init = self._check_params(X)
        # Weights far from 1 are rescaled by an exact power of two (the same
        # centers and labels); the inertia is scaled back at the end.
        sample_weight, weight_exponent = check_sample_weight(
            sample_weight, X.shape[0], X.dtype, rescale=True
        )

        init_centers = None
        if _is_array_like(self.init):
            init_centers = self._check_init_centers(self.init, X, "init")

        # Center the data: distances are more accurate near the origin, and
        # scikit-learn draws its seeds on centered data. Into a private copy,
        # or, for a Hamerly run on a large wide table from given seeds or
        # wide float64 k-means++ (``centers_rows_as_read``), as the kernels
        # read each row (``centering``: the same values, no copy).
        algorithm = self._resolved_algorithm(X)
        centering = None
        kmeans_plusplus = isinstance(self.init, str) and self.init == "k-means++"
        seeds_need_copy = (
            init_centers is None
            and not (isinstance(self.init, str) and self.init == "random")
            and not (kmeans_plusplus and reads_rows_centred(X.dtype, *X.shape, self.n_clusters))
        )
        if centers_rows_as_read(algorithm, *X.shape, seeds_need_copy):
            # k-means++ reads the rows' norms first (the run's first pass
            # refills them): they come with the variances' read of X.
            X_mean, variances, row_norms = centered_statistics(X, with_row_norms=kmeans_plusplus)
            centering = X_mean
            if not kmeans_plusplus:
                # Filled by the run's first pass (see ``_kernels.bounds.hamerly_pass``).
                row_norms = norms_to_fill(*X.shape)
        else:
            X, X_mean, variances, row_norms = centered_copy(X)
        tol = float(np.mean(variances) * self.tol)
        if init_centers is not None:
            init_centers -= X_mean

        best = None
        for _ in range(n_init):
            centers = self._initial_centers(
                X, init_centers, random_state, sample_weight, row_norms, centering
            )
            if self.verbose:
                print("Initialization complete")
            history = [] if self.record_history else None
            if algorithm == "lloyd":
                labels, inertia, centers, n_iter = lloyd_single_run(
                    X, sample_weight, centers, self.max_iter, tol, self.verbose, history, row_norms
                )
            else:
                labels, inertia, centers, n_iter = bounded_single_run(
                    algorithm,
                    X,
                    sample_weight,
                    centers,
                    self.max_iter,
                    tol,
                    self.verbose,
                    history,
                    row_norms,
                    centering,
                )
            # Keep a run only if it is better and not the same partition relabelled
            # (rounding can make a relabelled twin look marginally better).
            if best is None or (
                inertia < best[1]
                and not is_same_clustering(
                    labels, best[0], np.full(self.n_clusters, -1, dtype=np.int64)
                )
            ):
                best = (labels, inertia, centers, n_iter, history)

        labels, inertia, centers, n_iter, history = best
        inertia = _unscaled_inertia(inertia, weight_exponent)
        # predict() assigns in the fit's frame (X - X_mean against these
        # centers), so labels_ == predict(X) bit for bit on the training data.
        self._fit_frame = (X_mean, centers.copy())
        centers += X_mean
        if history is not None:
            for record in history:
                record["centers"] = record["centers"] + X_mean

        distinct = distinct_label_count(labels, self.n_clusters)
        if distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({self.n_clusters}). Possibly due to duplicate points in X.",
                _interoperable_class(ConvergenceWarning, "ConvergenceWarning"),
                stacklevel=2,
            )

        self.cluster_centers_ = centers
        self._fit_frame += (centers.copy(),)
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self.n_features_in_ = X.shape[1]
        if history is not None:
            self.history_ = history
        elif hasattr(self, "history_"):
            del self.history_
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then return the distances of X to the centers (see :meth:`transform`)."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def set_output(self, *, transform=None):
        """Choose the container :meth:`transform` and :meth:`fit_transform` return.

        The scikit-learn API (``sklearn.base.TransformerMixin.set_output``):
        ``"pandas"`` gives a DataFrame with columns ``kmeans0``, ``kmeans1``,
        ... (:meth:`get_feature_names_out`) and X's index when X was a
        DataFrame; ``"polars"`` a polars DataFrame; ``"default"`` a NumPy
        array. None leaves the setting unchanged. Without a setting here,
        scikit-learn's global ``set_config(transform_output=...)`` applies
        when scikit-learn is in use.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None

        Returns
        -------
        self : KMeans
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas", "polars"):
            raise ValueError(
                f"set_output: transform must be 'default', 'pandas', 'polars' or None, got "
                f"{transform!r}."
            )
        # The attribute scikit-learn's own estimators keep it in, so its
        # Pipeline and ColumnTransformer see the setting.
        self._sklearn_output_config = {
            **getattr(self, "_sklearn_output_config", {}),
            "transform": transform,
        }
        return self

    def _output_container(self):
        chosen = getattr(self, "_sklearn_output_config", {}).get("transform")
        if chosen is None:
            sklearn = sys.modules.get("sklearn")  # only when the caller uses scikit-learn
            chosen = (
                sklearn.get_config().get("transform_output", "default") if sklearn else "default"
            )
        return chosen

    def _wrap_output(self, distances, X_original):
        container = self._output_container()
        if container == "default":
            return distances
        columns = list(self.get_feature_names_out())
        if container == "pandas":
            import pandas as pd

            index = (
                X_original.index
                if hasattr(X_original, "iloc") and len(X_original.index) == distances.shape[0]
                else None
            )
            return pd.DataFrame(distances, columns=columns, index=index)
        try:
            import polars as pl
        except ImportError as exc:
            raise ValueError(
                "set_output(transform='polars') needs polars: pip install polars"
            ) from exc
        return pl.DataFrame(distances, schema=columns)

    # -- using a fitted model ---------------------------------------------------

    def predict(self, X):
        """Nearest center of each sample of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32
        """
        if _is_dask_collection(X):
            from kmeans_core import dask as on_dask

            return on_dask.predict(self, X)
        X = self._check_test_data(X)
        with threads_for(X.shape[0]):
            return self._assign(X)

    def _assign(self, X):
        """Labels of validated X by the tie rule, in the fit's centered frame when it applies.

        The fit labels the centered copy ``X - mean`` against centered
        centers; assigning new data the same way (the same subtraction, in
        X's dtype) gives the training rows their ``labels_`` exactly, even on
        near-ties. If ``cluster_centers_`` was replaced or edited since the
        fit, the centers as they are now are used.
        """
        frame = getattr(self, "_fit_frame", None)
        if (
            frame is not None
            and len(frame) == 3
            and X.dtype == frame[1].dtype
            and np.array_equal(frame[2], self.cluster_centers_)
        ):
            mean, centered_centers, _ = frame
            return assign_labels(X - mean, centered_centers)
        return assign_labels(X, self.cluster_centers_.astype(X.dtype, copy=False))

    def transform(self, X):
        """Euclidean (not squared) distances of each sample to each center.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters), X's float dtype
            Or a DataFrame, as :meth:`set_output` chose.
        """
        if _is_dask_collection(X):
            from kmeans_core import dask as on_dask

            return on_dask.transform(self, X)
        X_original = X
        X = self._check_test_data(X)
        out = prefaulted_empty((X.shape[0], self.cluster_centers_.shape[0]), X.dtype)
        with threads_for(X.shape[0]):
            euclidean_distances_to_centers(X, transposed(self.cluster_centers_), out)
        return self._wrap_output(out, X_original)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the (weighted) inertia of X on the fitted centers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``-sum_i w_i * min_j ||x_i - c_j||^2`` (higher is better).
        """
        if _is_dask_collection(X):
            from kmeans_core import dask as on_dask

            return on_dask.score(self, X, sample_weight)
        X = self._check_test_data(X)
        sample_weight, weight_exponent = check_sample_weight(
            sample_weight, X.shape[0], X.dtype, rescale=True
        )
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        with threads_for(X.shape[0]):
            labels = self._assign(X)
            return -_unscaled_inertia(
                inertia_of(X, sample_weight, centers, labels), weight_exponent
            )

    def get_feature_names_out(self, input_features=None):
        """Names of the transformed columns: ``kmeans0``, ``kmeans1``, ...

        Parameters
        ----------
        input_features : array-like of str or None
            Checked against the fitted input names when given; unused otherwise.

        Returns
        -------
        ndarray of str objects
        """
        self._check_fitted()
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            fitted = getattr(self, "feature_names_in_", None)
            if fitted is not None and not np.array_equal(input_features, fitted):
                raise ValueError("input_features is not equal to feature_names_in_")
            if len(input_features) != self.n_features_in_:
                raise ValueError(
                    f"input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(input_features)}"
                )
        prefix = self.__class__.__name__.lower()
        return np.asarray(
            [f"{prefix}{i}" for i in range(self.cluster_centers_.shape[0])], dtype=object
        )


def _is_dask_collection(value):
    """True for a Dask array or DataFrame (see ``kmeans_core.dask``); never imports Dask."""
    return (type(value).__module__ or "").split(".")[0] == "dask" and hasattr(
        value, "__dask_graph__"
    )


def _is_array_like(value):
    """True for arrays, lists and DataFrames, False for strings, callables and scalars."""
    if isinstance(value, str) or callable(value):
        return False
    return hasattr(value, "__len__") or hasattr(value, "shape") or hasattr(value, "__array__")
