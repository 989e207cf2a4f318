"""Choosing the number of clusters k.

One fit per k, every score from the same fits:

* :func:`choose_k` -- fit K-Means for each k of a range and pick k by one of
  five rules, returning a :class:`ChooseKResult` (all scores per k, the chosen
  k, a sentence saying why, the fitted models, and a plot);
* :func:`elbow` -- just the WCSS (inertia) curve;
* :func:`gap_statistic` -- Tibshirani, Walther & Hastie's gap and its
  standard error.

The methods of :func:`choose_k`:

=====================  ===================================================
``"elbow"``            Kneedle (:func:`kmeans_core.find_knee`) on the WCSS
                       curve, convex and decreasing.
``"silhouette"``       highest mean silhouette (undefined at k = 1).
``"calinski_harabasz"``  highest Calinski-Harabasz index (undefined at k = 1).
``"davies_bouldin"``   lowest Davies-Bouldin index (undefined at k = 1).
``"gap"``              Tibshirani's rule: the smallest k with
                       ``Gap(k) >= Gap(k+1) - s(k+1)``.
=====================  ===================================================

What is reused: X is validated and converted to float64 once; each k is fitted
once (with ``n_init`` restarts, keeping the best, exactly as ``KMeans`` does),
and the WCSS of the gap statistic and every extra score are computed from that
same fit, whose model is returned so the chosen k need not be refitted.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from kmeans_core._knee import find_knee
from kmeans_core._metrics import (
    _silhouette_samples,
    calinski_harabasz_score,
    davies_bouldin_score,
)
from kmeans_core._validation import check_array, check_random_state, check_sample_weight

__all__ = ["ChooseKResult", "choose_k", "elbow", "gap_statistic", "METHODS", "SCORES"]

#: Selection rules understood by :func:`choose_k`.
METHODS = ("elbow", "silhouette", "calinski_harabasz", "davies_bouldin", "gap")
#: Scores that can be computed per k (``ChooseKResult.scores`` keys; the gap
#: also adds ``"gap_se"``, its standard error ``s_k``).
SCORES = ("silhouette", "calinski_harabasz", "davies_bouldin", "gap")

_SCORE_TITLES = {
    "inertia": "WCSS (inertia)",
    "silhouette": "mean silhouette",
    "calinski_harabasz": "Calinski-Harabasz index",
    "davies_bouldin": "Davies-Bouldin index",
    "gap": "gap statistic",
}


# ---------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------


@dataclass(repr=False)
class ChooseKResult:
    """What :func:`choose_k` found: every score per k, the chosen k and why.

    Attributes
    ----------
    k_values : ndarray of int
        The k compared, increasing.
    inertia : ndarray of float
        WCSS (``KMeans.inertia_``, weighted when sample weights were given)
        per k, always computed.
    scores : dict of str to ndarray
        Each computed score per k, aligned with ``k_values``: the method's own
        score and those asked for with ``scores=``. NaN where a score is
        undefined: silhouette, Calinski-Harabasz and Davies-Bouldin need 2 to
        n_samples - 1 distinct labels, so they are NaN at k = 1 and k =
        n_samples; the gap is NaN where a WCSS is 0 (as many clusters as
        points). ``"gap"`` comes with ``"gap_se"``, its standard error.
    k : int or None
        The chosen k. None only for ``method="elbow"`` when Kneedle finds no
        knee (``reason`` says so); every other method always chooses.
    method : str
        The selection rule used.
    reason : str
        One plain-English sentence: why this k.
    models : dict of int to KMeans
        The fitted model for every k, so ``models[k]`` reuses the chosen fit.
    S : float
        Kneedle sensitivity used by the elbow method.
    """

    k_values: np.ndarray
    inertia: np.ndarray
    scores: dict
    k: int | None
    method: str
    reason: str
    models: dict = field(default_factory=dict)
    S: float = 1.0

    def __repr__(self):
        scores = ", ".join(self.scores)
        return (
            f"ChooseKResult(method={self.method!r}, k={self.k}, "
            f"k_values={self.k_values.tolist()}, scores=[{scores}])"
        )

    def to_frame(self):
        """The scores as a pandas DataFrame indexed by k (inertia first)."""
        import pandas as pd

        columns = {"inertia": self.inertia, **self.scores}
        return pd.DataFrame(columns, index=pd.Index(self.k_values, name="k"))

    def _curve_names(self):
        return ["inertia"] + [name for name in self.scores if name != "gap_se"]

    def _method_curve(self):
        return "inertia" if self.method == "elbow" else self.method

    def plot(self, ax=None):
        """Draw the curves against k with the chosen k marked.

        Parameters
        ----------
        ax : matplotlib Axes, sequence of Axes, or None
            None: a new figure with one panel per curve (WCSS first, then each
            score). One Axes: only the curve the method used (WCSS for the
            elbow). A sequence: one curve per Axes, in the order WCSS, then
            ``scores``; its length must be the number of curves.

        Returns
        -------
        Axes or ndarray of Axes
            What was drawn on: the single Axes given, or an array.
        """
        import matplotlib.pyplot as plt

        names = self._curve_names()
        if ax is None:
            _, axes = plt.subplots(
                1,
                len(names),
                figsize=(4.2 * len(names), 3.4),
                squeeze=False,
                constrained_layout=True,
            )
            axes = axes[0]
        elif hasattr(ax, "plot"):
            self._draw_curve(ax, self._method_curve())
            return ax
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if axes.size != len(names):
                raise ValueError(
                    f"ax must be one Axes or {len(names)} Axes (one per curve: {names}), "
                    f"got {axes.size}."
                )
        for axis, name in zip(axes, names, strict=True):
            self._draw_curve(axis, name)
        return axes

    def _draw_curve(self, ax, name):
        values = self.inertia if name == "inertia" else self.scores[name]
        defined = np.isfinite(values)
        used = name == self._method_curve()
        color = "#1f77b4" if used else "#7f7f7f"
        if name == "gap" and "gap_se" in self.scores:
            ax.errorbar(
                self.k_values[defined],
                values[defined],
                yerr=self.scores["gap_se"][defined],
                fmt="o-",
                color=color,
                capsize=3,
                label="Gap(k) ± s(k)",
            )
        else:
            ax.plot(
                self.k_values[defined],
                values[defined],
                "o-",
                color=color,
                label=_SCORE_TITLES[name],
            )
        if self.k is not None:
            ax.axvline(
                self.k,
                color="#d62728",
                linestyle="--",
                linewidth=1,
                label=f"chosen k = {self.k} ({self.method})",
            )
            where = np.flatnonzero(self.k_values == self.k)
            if where.size and np.isfinite(values[where[0]]):
                ax.plot(
                    [self.k],
                    [values[where[0]]],
                    "o",
                    color="#d62728",
                    markersize=9,
                    fillstyle="none",
                )
        ax.set_xlabel("number of clusters k")
        ax.set_ylabel(_SCORE_TITLES[name])
        ax.set_xticks(self.k_values)
        ax.set_title(_SCORE_TITLES[name] + (" (used to choose k)" if used else ""), fontsize=10)
        ax.legend(fontsize=8)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _check_k_range(k_range, n_samples):
    """k_range as a sorted int64 array of distinct values in 1..n_samples."""
    if isinstance(k_range, (str, bytes)) or k_range is None:
        raise ValueError(f"k_range must be a sequence of integers, got {k_range!r}.")
    if isinstance(k_range, numbers.Integral):
        raise ValueError(
            f"k_range must be a sequence of integers (e.g. range(1, {int(k_range) + 1})), "
            f"got the single integer {k_range!r}."
        )
    try:
        values = list(k_range)
    except TypeError as exc:
        raise ValueError(f"k_range must be a sequence of integers, got {k_range!r}.") from exc
    if not values:
        raise ValueError("k_range is empty: give at least one number of clusters.")
    bad = [
        v for v in values if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral)
    ]
    if bad:
        raise ValueError(f"k_range must contain integers only, got {bad[0]!r}.")
    k_values = np.array(sorted(int(v) for v in values), dtype=np.int64)
    if np.any(np.diff(k_values) == 0):
        duplicate = k_values[np.flatnonzero(np.diff(k_values) == 0)[0]]
        raise ValueError(f"k_range contains k={duplicate} more than once.")
    outside = k_values[(k_values < 1) | (k_values > n_samples)]
    if outside.size:
        raise ValueError(
            f"k_range contains k={outside[0]}, outside 1..n_samples={n_samples}: "
            "each k must be at least 1 and at most the number of samples."
        )
    return k_values


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_data_for_clustering(X, k_values, function):
    """Refuse constant X (when k > 1 is asked for), and more clusters than distinct points."""
    k_max = int(k_values[-1])
    n_samples = X.shape[0]
    # Counting distinct rows sorts them; a prefix usually has enough already,
    # which spares sorting millions of rows.
    prefix = min(n_samples, 64 * k_max)
    n_distinct = np.unique(X[:prefix], axis=0).shape[0]
    if n_distinct >= k_max:
        return
    if prefix < n_samples:
        n_distinct = np.unique(X, axis=0).shape[0]
    if n_distinct == 1:
        raise ValueError(
            f"{function}: X is constant (all {n_samples} rows are identical), so there is no "
            "cluster structure to choose k from."
        )
    if n_distinct < k_max:
        raise ValueError(
            f"{function}: k_range goes up to k={k_max} but X has only {n_distinct} "
            "distinct rows; K-Means cannot form more clusters than distinct points."
        )


def _prepare(X, k_range, sample_weight, kmeans_params, function):
    X = check_array(X, name="X", dtype=np.float64, estimator=function)
    k_values = _check_k_range(k_range, X.shape[0])
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, X.shape[0], np.float64)
    if "n_clusters" in kmeans_params:
        raise ValueError(
            f"{function}: do not pass n_clusters; the numbers of clusters come from k_range."
        )
    _check_data_for_clustering(X, k_values, function)
    return X, k_values, sample_weight


# ---------------------------------------------------------------------------
# Fitting and scoring
# ---------------------------------------------------------------------------


def _fit_each_k(X, k_values, sample_weight, random_state, n_init, kmeans_params):
    """One KMeans fit per k (with its restarts); returns ``({k: model}, inertia)``.

    ``inertia`` is the float64 array of the models' ``inertia_`` in the
    order of ``k_values``. An int ``random_state`` seeds every k
    identically, so ``models[k]`` is what ``KMeans(k,
    random_state=random_state, ...)`` gives on its own; a RandomState
    instance is drawn from in sequence.
    """
    from kmeans_core._kmeans import KMeans

    models = {}
    for k in k_values:
        model = KMeans(n_clusters=int(k), n_init=n_init, random_state=random_state, **kmeans_params)
        models[int(k)] = model.fit(X, sample_weight=sample_weight)
    inertia = np.array([models[int(k)].inertia_ for k in k_values], dtype=np.float64)
    return models, inertia


def _defined_labels(labels, n_samples):
    """True when a labelling has 2..n_samples-1 distinct labels (scores defined)."""
    n_distinct = np.unique(labels).size
    return 2 <= n_distinct <= n_samples - 1


def _silhouette_or_nan(X, labels, sample_size, seed):
    """Mean silhouette, on the same random subset for every k, NaN where undefined."""
    if sample_size is not None and sample_size < X.shape[0]:
        rows = check_random_state(seed).permutation(X.shape[0])[:sample_size]
        X, labels = X[rows], labels[rows]
    if not _defined_labels(labels, X.shape[0]):
        return np.nan
    return float(np.mean(_silhouette_samples(X, labels, "choose_k")))


def _label_scores(X, models, k_values, names, *, silhouette_sample_size, silhouette_seed):
    """Silhouette / Calinski-Harabasz / Davies-Bouldin per k from the fitted labels."""
    functions = {
        "calinski_harabasz": calinski_harabasz_score,
        "davies_bouldin": davies_bouldin_score,
    }
    scores = {name: np.full(k_values.size, np.nan) for name in names}
    for position, k in enumerate(k_values):
        labels = models[int(k)].labels_
        for name in names:
            if name == "silhouette":
                value = _silhouette_or_nan(X, labels, silhouette_sample_size, silhouette_seed)
            elif _defined_labels(labels, X.shape[0]):
                value = functions[name](X, labels)
            else:
                value = np.nan
            scores[name][position] = value
    return scores


def _gap(X, k_values, inertia, sample_weight, n_refs, random_state, n_init, kmeans_params):
    """Gap(k) and s_k (Tibshirani, Walther & Hastie 2001, eqs. 3 and 4, reference (a)).

    Reference data: ``n_refs`` data sets of X's shape, each feature uniform
    over the range of the observed values (the paper's reference (a)), with
    X's sample weights. ``Gap(k) = mean_b log W*_kb - log W_k`` and
    ``s_k = sd_k * sqrt(1 + 1/B)`` with ``sd_k`` the standard deviation (1/B)
    of the ``log W*_kb``. W is the (weighted) WCSS, which for squared
    Euclidean distances equals the paper's pooled within-cluster sum
    ``sum_r D_r / (2 n_r)``.
    """
    from kmeans_core._kmeans import KMeans

    rng = check_random_state(random_state)
    # An int seeds the reference fits like the data fits; otherwise the fits
    # draw from the same stream as the reference data.
    fit_state = random_state if isinstance(random_state, numbers.Integral) else rng
    low, high = X.min(axis=0), X.max(axis=0)
    log_reference = np.empty((n_refs, k_values.size))
    for b in range(n_refs):
        reference = rng.uniform(low, high, size=X.shape)
        for position, k in enumerate(k_values):
            model = KMeans(
                n_clusters=int(k), n_init=n_init, random_state=fit_state, **kmeans_params
            )
            wcss = model.fit(reference, sample_weight=sample_weight).inertia_
            log_reference[b, position] = np.log(wcss) if wcss > 0 else np.nan
    log_data = np.full(k_values.size, np.nan)
    positive = inertia > 0
    log_data[positive] = np.log(inertia[positive])
    expected = log_reference.mean(axis=0)
    gap = expected - log_data
    spread = np.sqrt(np.mean((log_reference - expected) ** 2, axis=0))
    standard_error = spread * np.sqrt(1.0 + 1.0 / n_refs)
    undefined = ~np.isfinite(gap) | ~np.isfinite(standard_error)
    gap[undefined] = np.nan
    standard_error[undefined] = np.nan
    return gap, standard_error


def _span(k_values):
    if k_values.size > 1 and np.all(np.diff(k_values) == 1):
        return f"k={k_values[0]}..{k_values[-1]}"
    return "k in {" + ", ".join(str(k) for k in k_values) + "}"


def _select_elbow(k_values, inertia, S):
    knee = find_knee(k_values, inertia, S=S, curve="convex", direction="decreasing")
    if knee is None:
        return None, (
            f"Kneedle (Satopää et al. 2011, sensitivity S={S:g}) found no elbow in the WCSS "
            f"curve over {_span(k_values)}: it bends too little for that sensitivity, so no k "
            "is chosen (try a smaller S, a wider k_range, or another method)."
        )
    knee = int(knee)
    position = int(np.flatnonzero(k_values == knee)[0])
    total_drop = inertia[0] - inertia.min()
    share = (inertia[0] - inertia[position]) / total_drop if total_drop > 0 else 1.0
    return knee, (
        f"The WCSS curve bends most sharply at k={knee} (Kneedle, Satopää et al. 2011, "
        f"sensitivity S={S:g}): by k={knee} it has made {share:.0%} of its whole drop over "
        f"{_span(k_values)}, and each further cluster reduces it much less."
    )


def _select_extreme(k_values, values, method):
    best = np.nanargmin(values) if method == "davies_bouldin" else np.nanargmax(values)
    k = int(k_values[best])
    label, word = {
        "silhouette": ("mean silhouette", "highest"),
        "calinski_harabasz": ("Calinski-Harabasz index", "highest"),
        "davies_bouldin": ("Davies-Bouldin index", "lowest"),
    }[method]
    undefined = k_values[~np.isfinite(values)]
    note = (
        f" ({label} is undefined at k={', '.join(str(u) for u in undefined)})"
        if undefined.size
        else ""
    )
    return k, (f"k={k} has the {word} {label} ({values[best]:.4g}) among {_span(k_values)}{note}.")


def _select_gap(k_values, gap, standard_error):
    for position in range(k_values.size - 1):
        here, following, se = gap[position], gap[position + 1], standard_error[position + 1]
        if (
            np.isfinite(here)
            and np.isfinite(following)
            and np.isfinite(se)
            and here >= following - se
        ):
            k, k_next = int(k_values[position]), int(k_values[position + 1])
            return k, (
                f"k={k} is the smallest k with Gap(k) >= Gap(k+1) - s(k+1) (Tibshirani, "
                f"Walther & Hastie 2001): Gap({k}) = {here:.4f} >= Gap({k_next}) - s({k_next}) "
                f"= {following:.4f} - {se:.4f}."
            )
    k = int(k_values[-1])
    return k, (
        f"No k in {_span(k_values)} satisfies Gap(k) >= Gap(k+1) - s(k+1) (Tibshirani, "
        f"Walther & Hastie 2001): the gap keeps rising, so the largest k, {k}, is returned; "
        "the best k may lie beyond the range."
    )


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def choose_k(
    X,
    k_range=range(1, 11),
    method="elbow",
    *,
    scores=(),
    random_state=0,
    n_init="auto",
    sample_weight=None,
    silhouette_sample_size=None,
    S=1.0,
    n_refs=10,
    **kmeans_params,
):
    """Fit K-Means for each k of ``k_range`` and choose k.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data (computed in float64).
    k_range : iterable of int, default=range(1, 11)
        Numbers of clusters to compare, each in 1..n_samples, no repeats
        (sorted before use). The elbow needs at least 3 values, the gap 2,
        the label scores at least one k >= 2.
    method : {"elbow", "silhouette", "calinski_harabasz", "davies_bouldin", "gap"}
        How k is chosen (see the module docstring).
    scores : iterable of str, default=()
        Extra scores to compute per k besides the method's own, from
        ``("silhouette", "calinski_harabasz", "davies_bouldin", "gap")``; e.g.
        ``method="elbow", scores=("silhouette",)`` checks the elbow against
        the silhouette in one call. Inertia is always computed.
    random_state : int, numpy.random.RandomState or None, default=0
        Seeds everything: each k's fit (an int gives every k the same seed, so
        ``models[k]`` equals ``KMeans(k, random_state=random_state).fit(X)``),
        the silhouette subset (the same subset for every k) and the gap's
        reference data. None is not reproducible.
    n_init : "auto" or int, default="auto"
        Restarts per fit, as in :class:`kmeans_core.KMeans`.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights for the fits (and so the WCSS and the gap). The silhouette,
        Calinski-Harabasz and Davies-Bouldin scores are unweighted, as in
        scikit-learn.
    silhouette_sample_size : int or None, default=None
        Compute the silhouette on a random subset of this many samples (at
        least 2; see :func:`kmeans_core.silhouette_score`); None: all samples.
    S : float, default=1.0
        Kneedle sensitivity for the elbow.
    n_refs : int, default=10
        Number of uniform reference data sets B for the gap statistic.
    **kmeans_params
        Other :class:`kmeans_core.KMeans` parameters (``init``, ``max_iter``,
        ``tol``, ``algorithm``, ...), used for every fit.

    Returns
    -------
    ChooseKResult
        ``k_values``, ``inertia``, ``scores``, the chosen ``k`` (None when the
        elbow method finds no knee), ``method``, ``reason``, ``models`` and
        ``plot()``.

    Raises
    ------
    ValueError
        For invalid X, a k outside 1..n_samples or repeated in ``k_range``, a
        k_range too short for the method, constant X, more clusters than
        distinct rows, an unknown method or score, ``n_clusters`` among the
        KMeans parameters, or invalid ``S``, ``n_refs``,
        ``silhouette_sample_size`` or ``sample_weight``.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import choose_k
    >>> rng = np.random.RandomState(0)
    >>> centers = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    >>> X = np.vstack([c + rng.randn(50, 2) for c in centers])
    >>> result = choose_k(X, range(1, 9), scores=("silhouette",))
    >>> result.k
    4
    >>> int(result.k_values[np.nanargmax(result.scores["silhouette"])])
    4
    >>> result.models[4].cluster_centers_.shape
    (4, 2)
    """
    function = "choose_k"
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}.")
    extra = (scores,) if isinstance(scores, str) else tuple(scores)
    unknown = [name for name in extra if name not in SCORES]
    if unknown:
        raise ValueError(f"scores must be names from {list(SCORES)}, got {unknown[0]!r}.")
    wanted = ([] if method == "elbow" else [method]) + [n for n in extra if n != method]
    wanted = list(dict.fromkeys(wanted))  # keep order, drop repeats
    if isinstance(S, bool) or not isinstance(S, numbers.Real) or not np.isfinite(S) or S < 0:
        raise ValueError(f"S (sensitivity) must be a finite number >= 0, got {S!r}.")
    n_refs = _check_positive_int(n_refs, "n_refs")
    if silhouette_sample_size is not None:
        silhouette_sample_size = _check_positive_int(
            silhouette_sample_size, "silhouette_sample_size", minimum=2
        )
    X, k_values, sample_weight = _prepare(X, k_range, sample_weight, kmeans_params, function)
    n_samples = X.shape[0]
    if method == "elbow" and k_values.size < 3:
        raise ValueError(
            f"method='elbow' needs at least 3 values in k_range to find a bend, got "
            f"{k_values.tolist()}."
        )
    if method == "gap" and k_values.size < 2:
        raise ValueError(
            f"method='gap' compares Gap(k) with Gap(k+1): k_range needs at least 2 values, "
            f"got {k_values.tolist()}."
        )
    if method in ("silhouette", "calinski_harabasz", "davies_bouldin") and not np.any(
        (k_values >= 2) & (k_values <= n_samples - 1)
    ):
        raise ValueError(
            f"method={method!r} is defined for 2 <= k <= n_samples - 1 = {n_samples - 1} only; "
            f"k_range {k_values.tolist()} has no such k."
        )

    models, inertia = _fit_each_k(X, k_values, sample_weight, random_state, n_init, kmeans_params)

    # The silhouette subset must be the same for every k: fix its seed once.
    if isinstance(random_state, numbers.Integral):
        silhouette_seed = random_state
    else:
        silhouette_seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    label_names = [name for name in wanted if name != "gap"]
    result_scores = _label_scores(
        X,
        models,
        k_values,
        label_names,
        silhouette_sample_size=silhouette_sample_size,
        silhouette_seed=silhouette_seed,
    )
    if "gap" in wanted:
        gap, standard_error = _gap(
            X, k_values, inertia, sample_weight, n_refs, random_state, n_init, kmeans_params
        )
        result_scores["gap"] = gap
        result_scores["gap_se"] = standard_error
    ordered = {}
    for name in wanted:
        ordered[name] = result_scores[name]
        if name == "gap":
            ordered["gap_se"] = result_scores["gap_se"]

    if method == "elbow":
        k, reason = _select_elbow(k_values, inertia, S)
    elif method == "gap":
        k, reason = _select_gap(k_values, ordered["gap"], ordered["gap_se"])
    else:
        k, reason = _select_extreme(k_values, ordered[method], method)
    return ChooseKResult(
        k_values=k_values,
        inertia=inertia,
        scores=ordered,
        k=k,
        method=method,
        reason=reason,
        models=models,
        S=float(S),
    )


def elbow(
    X, k_range=range(1, 11), *, sample_weight=None, random_state=0, n_init="auto", **kmeans_params
):
    """WCSS (inertia) for each k: the data of an elbow plot.

    Each k is fitted once with ``n_init`` restarts (the best run kept), on X
    validated and converted once. To also locate the elbow, keep the fitted
    models, or plot, use ``choose_k(X, k_range, method="elbow")``, which
    returns the same curve as ``result.inertia``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    k_range : iterable of int, default=range(1, 11)
        Each k in 1..n_samples, no repeats (sorted before use).
    sample_weight : array-like of shape (n_samples,), default=None
    random_state : int, numpy.random.RandomState or None, default=0
        An int seeds every k's fit identically.
    n_init : "auto" or int, default="auto"
    **kmeans_params
        Other :class:`kmeans_core.KMeans` parameters.

    Returns
    -------
    k_values : ndarray of int64
    inertia : ndarray of float64
        ``KMeans(k, ...).fit(X).inertia_`` for each k.

    Raises
    ------
    ValueError
        As :func:`choose_k`.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import elbow
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> k, wcss = elbow(X, range(1, 4))
    >>> k
    array([1, 2, 3])
    >>> wcss
    array([101. ,   1. ,   0.5])
    """
    X, k_values, sample_weight = _prepare(X, k_range, sample_weight, kmeans_params, "elbow")
    _, inertia = _fit_each_k(X, k_values, sample_weight, random_state, n_init, kmeans_params)
    return k_values, inertia


def gap_statistic(
    X,
    k_range=range(1, 11),
    *,
    n_refs=10,
    random_state=0,
    n_init="auto",
    sample_weight=None,
    **kmeans_params,
):
    """Gap statistic and its standard error per k (Tibshirani, Walther & Hastie, 2001).

    ``Gap(k) = E*[log W*_k] - log W_k``: how much smaller the WCSS of X is
    than that of structureless data. The expectation is estimated from
    ``n_refs`` reference data sets, each feature drawn uniformly over its
    observed range (the paper's reference (a)); ``s_k = sd_k sqrt(1 + 1/B)``.
    The paper's rule picks the smallest k with ``Gap(k) >= Gap(k+1) -
    s_{k+1}``; ``choose_k(X, k_range, method="gap")`` applies it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    k_range : iterable of int, default=range(1, 11)
    n_refs : int, default=10
        Number of reference data sets B.
    random_state : int, numpy.random.RandomState or None, default=0
        Seeds the reference data and every fit: the same int gives the same
        answer.
    n_init : "auto" or int, default="auto"
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of X's samples, also given to every reference data set.
    **kmeans_params
        Other :class:`kmeans_core.KMeans` parameters.

    Returns
    -------
    k_values : ndarray of int64
    gap : ndarray of float64
        NaN where a WCSS is 0 (as many clusters as points).
    standard_error : ndarray of float64
        ``s_k``; NaN where ``gap`` is.

    Raises
    ------
    ValueError
        As :func:`choose_k`.
    """
    n_refs = _check_positive_int(n_refs, "n_refs")
    X, k_values, sample_weight = _prepare(X, k_range, sample_weight, kmeans_params, "gap_statistic")
    _, inertia = _fit_each_k(X, k_values, sample_weight, random_state, n_init, kmeans_params)
    gap, standard_error = _gap(
        X, k_values, inertia, sample_weight, n_refs, random_state, n_init, kmeans_params
    )
    return k_values, gap, standard_error
