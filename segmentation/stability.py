"""How stable each segment is: bootstrap Jaccard similarity of its members.

A segment that exists in the data comes back when the customers are
resampled; one that K-Means carved out of a uniform cloud moves. Following
Hennig (2007, "Cluster-wise assessment of cluster stability"), each of
:data:`N_BOOTSTRAP` bootstrap samples (customers drawn with replacement) is
clustered again with the same k; every customer is then assigned to the
nearest new centre, and each original segment is matched with the new
cluster that shares the most members by the Jaccard index
``|A ∩ B| / |A ∪ B|``. A segment's stability is its mean best Jaccard over the
samples: above :data:`STABLE_JACCARD` (0.75) it is stable, 0.6-0.75 it shows a
pattern but its boundary moves, below 0.6 it should not be trusted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["N_BOOTSTRAP", "STABILITY_SAMPLE_SIZE", "STABLE_JACCARD", "segment_stability"]

#: Bootstrap samples clustered again.
N_BOOTSTRAP = 10
#: Above this many customers, stability is measured on a random subset of this size: the
#: Jaccard of a segment's members is estimated as well from 20,000 customers as from a
#: million, at a fiftieth of the cost (each bootstrap is a full K-Means fit).
STABILITY_SAMPLE_SIZE = 20_000
#: Mean Jaccard above which a segment is called stable.
STABLE_JACCARD = 0.75
# Restarts per bootstrap fit: enough to find the same optimum as the main fit most
# of the time, few enough to keep the report quick.
_BOOTSTRAP_N_INIT = 3


def segment_stability(
    scaled: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    random_state: int | None = 0,
    n_bootstrap: int = N_BOOTSTRAP,
) -> np.ndarray:
    """Mean best bootstrap Jaccard of each segment.

    Parameters
    ----------
    scaled : numpy.ndarray, shape (n_customers, n_columns)
        The customers as clustered.
    labels : numpy.ndarray of int
        Segment of each customer, 0 to k - 1.
    k : int
    random_state : int or None
    n_bootstrap : int

    Returns
    -------
    numpy.ndarray, shape (k,)
        NaN for every segment when k = 1 (nothing to compare).
    """
    from kmeans_core import KMeans

    labels = np.asarray(labels)
    rng = np.random.default_rng(random_state)
    if len(labels) > STABILITY_SAMPLE_SIZE:
        subset = np.sort(rng.choice(len(labels), size=STABILITY_SAMPLE_SIZE, replace=False))
        scaled, labels = np.ascontiguousarray(scaled[subset]), labels[subset]
    n = len(labels)
    if k < 2 or n < 2 * k:
        return np.full(k, np.nan)
    members = [labels == segment for segment in range(k)]
    totals = np.zeros(k)
    done = 0
    for _ in range(n_bootstrap):
        sample = rng.integers(0, n, size=n)
        seed = int(rng.integers(0, 2**31 - 1))
        resampled = np.ascontiguousarray(scaled[sample])
        if len(pd.DataFrame(resampled).drop_duplicates()) < k:
            continue
        done += 1
        fitted = KMeans(n_clusters=k, n_init=_BOOTSTRAP_N_INIT, random_state=seed).fit(resampled)
        again = np.asarray(fitted.predict(np.ascontiguousarray(scaled)))
        for segment in range(k):
            best = 0.0
            for cluster in range(k):
                other = again == cluster
                union = np.count_nonzero(members[segment] | other)
                if union:
                    best = max(best, np.count_nonzero(members[segment] & other) / union)
            totals[segment] += best
    return totals / done if done else np.full(k, np.nan)
