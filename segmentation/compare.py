"""A second opinion: Ward's hierarchical clustering of the same customers.

Ward's method (via ``kmeans_core.hierarchy.ward_comparison``) merges customers
bottom-up, minimising the growth of the within-cluster sum of squares, so it
optimises the same criterion as K-Means by a different route. Cutting its tree
into k groups and comparing them with the K-Means segments (adjusted Rand index,
sizes side by side) shows whether the segments are a property of the data or of
the algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation._errors import SegmentationError

__all__ = ["HierarchyComparison", "compare_hierarchical", "WARD_MAX_CUSTOMERS"]

#: Ward's method needs all pairwise distances (memory grows with the square of
#: the number of customers), so above this many it runs on a random sample.
WARD_MAX_CUSTOMERS = 2_000


@dataclass(frozen=True)
class HierarchyComparison:
    """K-Means segments against Ward's clusters on the same (scaled) features.

    Attributes
    ----------
    ari : float
        Adjusted Rand index between the two labellings (1 = identical
        partitions, about 0 = no better than chance).
    sizes : pandas.DataFrame
        Indexed by segment number: ``Name``, ``K-Means`` and ``Ward`` sizes
        (each Ward cluster matched to the segment it overlaps most, by
        ``kmeans_core``) and ``In both`` (customers in that segment under
        both methods).
    n_compared : int
        Customers compared.
    sampled : bool
        True when ``n_compared`` is a random sample of the customers.
    ward : object
        The ``kmeans_core.hierarchy`` result (``linkage``, ``ward_labels``,
        ``plot_dendrogram``).
    """

    ari: float
    sizes: pd.DataFrame
    n_compared: int
    sampled: bool
    ward: object

    def plot_dendrogram(self, ax=None):
        """Draw Ward's tree (delegates to ``kmeans_core``)."""
        return self.ward.plot_dendrogram(ax=ax)


def compare_hierarchical(
    result,
    *,
    max_customers: int = WARD_MAX_CUSTOMERS,
    random_state: int | None = 0,
) -> HierarchyComparison:
    """Compare a segmentation with Ward's hierarchical clustering cut at the same k.

    Parameters
    ----------
    result : SegmentationResult
        From :func:`segmentation.segment_customers`.
    max_customers : int
        Above this many customers, a random sample of this size is compared.
    random_state : int or None
        Seed of that sample.

    Returns
    -------
    HierarchyComparison

    Raises
    ------
    SegmentationError
        When ``max_customers`` is below 2, or ``kmeans_core.hierarchy`` is not
        available.
    """
    if (
        isinstance(max_customers, bool)
        or not isinstance(max_customers, (int, np.integer))
        or max_customers < 2
    ):
        raise SegmentationError(f"max_customers must be an integer >= 2, not {max_customers!r}")
    try:
        from kmeans_core.hierarchy import ward_comparison
    except ImportError as error:
        raise SegmentationError(
            "the hierarchical comparison needs kmeans_core.hierarchy.ward_comparison, "
            "which this installation of kmeans_core does not provide"
        ) from error

    scaled = result.scaled_features
    labels = result.labels
    sampled = len(scaled) > max_customers
    if sampled:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(len(scaled), size=max_customers, replace=False))
        scaled, labels = scaled[rows], labels[rows]
    # Segment numbers are 1-based; kmeans_core's labels are 0-based.
    ward = ward_comparison(np.ascontiguousarray(scaled), labels - 1, n_clusters=result.k)
    return HierarchyComparison(
        ari=float(ward.ari),
        sizes=_sizes_by_segment(ward.sizes, result.names),
        n_compared=len(scaled),
        sampled=sampled,
        ward=ward,
    )


def _sizes_by_segment(sizes: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """kmeans_core's size table relabelled with segment numbers and names.

    kmeans_core matches each Ward cluster to the K-Means cluster it overlaps
    most; a Ward cluster left without a match gets a label past the last
    segment and is shown as such.
    """
    table = sizes.rename(columns={"kmeans": "K-Means", "ward": "Ward", "shared": "In both"})
    table.index = pd.Index(np.asarray(sizes.index) + 1, name="Segment")
    table.insert(
        0,
        "Name",
        [
            names[n - 1] if n <= len(names) else "(Ward cluster with no K-Means match)"
            for n in table.index
        ],
    )
    return table
