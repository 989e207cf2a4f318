"""K-Means against Ward's hierarchical clustering on the same features.

Ward's method (Ward, 1963) merges, bottom-up, the two clusters whose union
raises the within-cluster sum of squares least: the criterion K-Means
minimises, optimised greedily instead of iteratively. Cutting Ward's tree into
the same number of clusters and comparing the two partitions tells whether a
segmentation is a property of the data (high agreement) or of the algorithm
and its seed (low agreement).

:func:`ward_comparison` returns the linkage matrix (SciPy's), Ward's labels
matched to the K-Means clusters, the adjusted Rand index
(:func:`kmeans_core.adjusted_rand_score`), a side-by-side table of cluster
sizes and a dendrogram plot. SciPy, pandas and matplotlib are imported only
when needed.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from kmeans_core._metrics import adjusted_rand_score
from kmeans_core._validation import check_array

__all__ = ["WardComparison", "ward_comparison", "WARD_MAX_BYTES"]

#: Ward's linkage needs the n (n - 1) / 2 pairwise distances in memory
#: (SciPy's ``linkage`` on observations computes them first). Inputs whose
#: distance matrix would exceed this many bytes (about n = 23,000) are refused
#: with advice to subsample, instead of running out of memory.
WARD_MAX_BYTES = 2 * 2**30

#: Leaves shown by :meth:`WardComparison.plot_dendrogram` before it truncates
#: the tree to its last merges.
DENDROGRAM_MAX_LEAVES = 30


@dataclass(repr=False)
class WardComparison:
    """K-Means clusters side by side with Ward's hierarchical clusters.

    Attributes
    ----------
    linkage : ndarray of shape (n_samples - 1, 4)
        SciPy linkage matrix of Ward's method (merged clusters, merge height,
        size of the new cluster).
    ward_labels : ndarray of shape (n_samples,), int64
        Ward's tree cut into ``n_clusters`` clusters, renumbered so each Ward
        cluster carries the label of the K-Means cluster it shares most
        samples with (a one-to-one matching maximising the total overlap);
        Ward clusters left unmatched get labels above the largest K-Means
        label.
    kmeans_labels : ndarray of shape (n_samples,), int64
        The K-Means labels compared.
    n_clusters : int
        Number of clusters Ward's tree was cut into.
    ari : float
        Adjusted Rand index of the two labellings: 1 = the same partition,
        about 0 = no more agreement than chance.
    sizes : pandas.DataFrame
        Indexed by cluster label, columns ``kmeans`` and ``ward`` (cluster
        sizes) and ``shared`` (samples in that cluster under both methods).
    contingency : pandas.DataFrame
        Samples per (K-Means cluster, Ward cluster) pair.
    """

    linkage: np.ndarray
    ward_labels: np.ndarray
    kmeans_labels: np.ndarray
    n_clusters: int
    ari: float
    sizes: object
    contingency: object

    def __repr__(self):
        return (
            f"WardComparison(n_samples={self.ward_labels.size}, n_clusters={self.n_clusters}, "
            f"ari={self.ari:.4f})"
        )

    def cut_height(self):
        """A merge height between the cut into ``n_clusters`` and the one into one fewer."""
        heights = self.linkage[:, 2]
        n_merges = heights.size
        if self.n_clusters <= 1:
            return float(heights[-1]) * 1.05 if n_merges else 1.0
        if self.n_clusters > n_merges:
            return float(heights[0]) / 2 if n_merges else 0.0
        # The last n_clusters - 1 merges are undone by the cut.
        below = heights[n_merges - self.n_clusters]
        above = heights[n_merges - self.n_clusters + 1]
        return float((below + above) / 2)

    def plot_dendrogram(self, ax=None, *, max_leaves=DENDROGRAM_MAX_LEAVES, **dendrogram_kwargs):
        """Draw Ward's tree with the cut into ``n_clusters`` clusters marked.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; None creates a figure.
        max_leaves : int, default=30
            With more samples than this, only the last ``max_leaves`` merges
            are drawn (SciPy's ``truncate_mode="lastp"``), each leaf labelled
            with its number of samples; drawing every leaf of a large tree is
            slow and unreadable.
        **dendrogram_kwargs
            Passed to :func:`scipy.cluster.hierarchy.dendrogram`, overriding
            the defaults chosen here.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt
        from scipy.cluster.hierarchy import dendrogram

        max_leaves = int(max_leaves)
        if max_leaves < 2:
            raise ValueError(f"max_leaves must be at least 2, got {max_leaves}.")
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
        cut = self.cut_height()
        options = dict(ax=ax, color_threshold=cut, above_threshold_color="#7f7f7f")
        n_samples = self.ward_labels.size
        if n_samples > max_leaves:
            options.update(
                truncate_mode="lastp", p=max_leaves, show_leaf_counts=True, leaf_rotation=90
            )
        options.update(dendrogram_kwargs)
        dendrogram(self.linkage, **options)
        ax.axhline(
            cut,
            color="#d62728",
            linestyle="--",
            linewidth=1,
            label=f"cut into {self.n_clusters} clusters",
        )
        ax.set_ylabel("Ward merge distance")
        ax.set_xlabel("samples (leaf counts in brackets)" if n_samples > max_leaves else "samples")
        ax.set_title(
            f"Ward's hierarchical clustering (ARI with K-Means = {self.ari:.3f})", fontsize=10
        )
        ax.legend(fontsize=8)
        return ax


def _check_labels(kmeans_labels, n_samples):
    labels = np.asarray(kmeans_labels)
    if labels.ndim != 1:
        raise ValueError(f"kmeans_labels must be 1-D, got shape {labels.shape}.")
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"kmeans_labels has {labels.shape[0]} entries but X has {n_samples} rows; "
            "they must be the same length."
        )
    if labels.dtype.kind not in "iu":
        whole = (
            labels.dtype.kind == "f"
            and np.isfinite(labels).all()
            and (labels == np.round(labels)).all()
        )
        if whole:
            labels = labels.astype(np.int64)
        else:
            raise ValueError(
                f"kmeans_labels must be integer cluster labels (like KMeans.labels_), "
                f"got dtype {labels.dtype}."
            )
    return labels.astype(np.int64)


def _match_to(reference, other):
    """Relabel ``other``: each cluster takes the label of the ``reference`` cluster it matches.

    The matching is one-to-one and maximises the number of samples the
    matched clusters share (Hungarian algorithm on the contingency table).
    """
    from scipy.optimize import linear_sum_assignment

    reference_values, reference_codes = np.unique(reference, return_inverse=True)
    other_values, other_codes = np.unique(other, return_inverse=True)
    table = np.zeros((reference_values.size, other_values.size), dtype=np.int64)
    np.add.at(table, (reference_codes, other_codes), 1)
    rows, columns = linear_sum_assignment(table, maximize=True)
    new_label = np.empty(other_values.size, dtype=np.int64)
    new_label[columns] = reference_values[rows]
    unmatched = np.setdiff1d(np.arange(other_values.size), columns)
    # Unmatched clusters (more Ward clusters than K-Means ones): new labels,
    # largest cluster first.
    unmatched = unmatched[np.argsort(-table[:, unmatched].sum(axis=0), kind="stable")]
    new_label[unmatched] = reference_values.max() + 1 + np.arange(unmatched.size)
    return new_label[other_codes.reshape(-1)]


def ward_comparison(X, kmeans_labels, n_clusters=None):
    """Compare K-Means labels with Ward's agglomerative clustering of the same X.

    Ward's linkage is SciPy's (:func:`scipy.cluster.hierarchy.linkage` with
    ``method="ward"``, Euclidean), cut with ``fcluster(...,
    criterion="maxclust")``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The features K-Means was fitted on (scaled the same way).
    kmeans_labels : array-like of int, shape (n_samples,)
        The K-Means cluster of each row (``KMeans.labels_``).
    n_clusters : int or None, default=None
        Clusters to cut Ward's tree into; None: as many as there are distinct
        K-Means labels.

    Returns
    -------
    WardComparison
        ``linkage``, ``ward_labels`` (matched to the K-Means labels), ``ari``,
        ``sizes`` (DataFrame), ``contingency`` and ``plot_dendrogram()``.

    Raises
    ------
    ValueError
        For invalid X (fewer than 2 rows, NaN, ...), labels of the wrong
        length or not integers, ``n_clusters`` outside 1..n_samples, or an X
        so large that the pairwise distances would exceed
        :data:`WARD_MAX_BYTES` (subsample it first).

    Notes
    -----
    Time O(n^2) and memory O(n^2): fine for a few thousand samples.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeans_core import KMeans
    >>> from kmeans_core.hierarchy import ward_comparison
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10.0]])
    >>> labels = KMeans(2, random_state=0).fit(X).labels_
    >>> comparison = ward_comparison(X, labels)
    >>> comparison.ari
    1.0
    >>> comparison.sizes.to_dict("list")
    {'kmeans': [3, 3], 'ward': [3, 3], 'shared': [3, 3]}
    """
    import pandas as pd
    from scipy.cluster.hierarchy import fcluster, linkage

    X = check_array(X, name="X", dtype=np.float64, estimator="ward_comparison")
    n_samples = X.shape[0]
    if n_samples < 2:
        raise ValueError(
            f"ward_comparison needs at least 2 samples to build a tree, X has {n_samples}."
        )
    labels = _check_labels(kmeans_labels, n_samples)
    if n_clusters is None:
        n_clusters = int(np.unique(labels).size)
    elif (
        isinstance(n_clusters, bool)
        or not isinstance(n_clusters, numbers.Integral)
        or not 1 <= n_clusters <= n_samples
    ):
        raise ValueError(
            f"n_clusters must be an integer in 1..n_samples={n_samples}, got {n_clusters!r}."
        )
    n_clusters = int(n_clusters)
    distance_bytes = n_samples * (n_samples - 1) // 2 * 8
    if distance_bytes > WARD_MAX_BYTES:
        raise ValueError(
            f"ward_comparison: Ward's linkage on {n_samples} samples needs their "
            f"{n_samples * (n_samples - 1) // 2:,} pairwise distances "
            f"({distance_bytes / 2**30:.1f} GiB), above the {WARD_MAX_BYTES / 2**30:.0f} GiB "
            "limit; compare on a random subsample of X (and the matching labels)."
        )

    tree = linkage(X, method="ward", metric="euclidean")
    ward_raw = fcluster(tree, t=n_clusters, criterion="maxclust")
    ward_labels = _match_to(labels, ward_raw)
    ari = float(adjusted_rand_score(labels, ward_labels))

    all_labels = np.union1d(labels, ward_labels)
    kmeans_sizes = pd.Series(labels).value_counts().reindex(all_labels, fill_value=0)
    ward_sizes = pd.Series(ward_labels).value_counts().reindex(all_labels, fill_value=0)
    shared = (
        pd.Series(labels[labels == ward_labels]).value_counts().reindex(all_labels, fill_value=0)
    )
    index = pd.Index(all_labels, name="cluster")
    sizes = pd.DataFrame(
        {
            "kmeans": kmeans_sizes.to_numpy(dtype=np.int64),
            "ward": ward_sizes.to_numpy(dtype=np.int64),
            "shared": shared.to_numpy(dtype=np.int64),
        },
        index=index,
    )
    contingency = pd.crosstab(pd.Series(labels, name="kmeans"), pd.Series(ward_labels, name="ward"))
    return WardComparison(
        linkage=tree,
        ward_labels=ward_labels,
        kmeans_labels=labels,
        n_clusters=n_clusters,
        ari=ari,
        sizes=sizes,
        contingency=contingency,
    )
