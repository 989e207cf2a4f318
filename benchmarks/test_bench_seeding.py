"""k-means++ seeding alone: kmeans_core.kmeans_plusplus against scikit-learn's, same seed."""

from __future__ import annotations

import pytest


def _seeder(library):
    if library == "kmeans_core":
        from kmeans_core import kmeans_plusplus
    else:
        from sklearn.cluster import kmeans_plusplus
    return kmeans_plusplus


@pytest.mark.parametrize("library", ["kmeans_core", "scikit-learn"])
def test_kmeans_plusplus(timed, case, data, library):
    n, d, k = case
    X, _ = data
    seed = _seeder(library)
    centers, indices = timed(
        f"kmeans++ seeding n={n:,} d={d} k={k}", lambda: seed(X, k, random_state=0), library=library
    )
    assert centers.shape == (k, d) and indices.shape == (k,)


@pytest.mark.parametrize("library", ["kmeans_core", "scikit-learn"])
def test_kmeans_plusplus_off_grid(timed, off_grid_case, off_grid_data, library):
    """Seeding where users are: float32 (scikit-learn's float32 roundings), wide, high k."""
    n, d, k, dtype = off_grid_case
    X, _ = off_grid_data
    seed = _seeder(library)
    centers, indices = timed(
        f"kmeans++ seeding off-grid n={n:,} d={d} k={k} {dtype}",
        lambda: seed(X, k, random_state=0),
        library=library,
    )
    assert centers.dtype == X.dtype and indices.shape == (k,)
