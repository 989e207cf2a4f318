"""kmeans_core: a numba-accelerated K-Means that gives scikit-learn's answers.

Public API
----------
KMeans
    Drop-in replacement for :class:`sklearn.cluster.KMeans`.
kmeans_plusplus
    Greedy k-means++ seeding, drawing the same random numbers as scikit-learn.
assign_to_centers
    The assignment step alone: nearest center (and distance) of each row.
wcss
    Within-cluster sum of squares (inertia) of a labelling, vectorized.
"""

from kmeans_core._kmeans import (
    ConvergenceWarning,
    KMeans,
    NotFittedError,
    assign_to_centers,
    kmeans_plusplus,
    wcss,
)

__all__ = [
    "KMeans",
    "kmeans_plusplus",
    "assign_to_centers",
    "wcss",
    "ConvergenceWarning",
    "NotFittedError",
]

# --- model selection and cluster metrics (issue 5) are exported below this line ---
from kmeans_core._knee import find_knee  # noqa: E402
from kmeans_core._metrics import (  # noqa: E402
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)
from kmeans_core.hierarchy import WardComparison, ward_comparison  # noqa: E402
from kmeans_core.model_selection import (  # noqa: E402
    ChooseKResult,
    choose_k,
    elbow,
    gap_statistic,
)

__all__ += [
    "silhouette_score",
    "silhouette_samples",
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "adjusted_rand_score",
    "find_knee",
    "elbow",
    "gap_statistic",
    "choose_k",
    "ChooseKResult",
    "ward_comparison",
    "WardComparison",
]

# --- mini-batch K-Means (issue 15) ---
from kmeans_core._minibatch import MiniBatchKMeans, partial_fit_stream  # noqa: E402

__all__ += ["MiniBatchKMeans", "partial_fit_stream"]
