"""A small deterministic all-pairs (pairwise) covering set for parametrised test grids.

A full product grid tests every combination of its factors; most bugs need only two factors to
meet (a dtype with a weighting, an algorithm with a dimension), so a set of cases in which every
pair of values of every two factors occurs at least once finds them at a small fraction of the
cost. The exhaustive grid stays available under the ``slow`` marker.

The set is built greedily from the full product, in its order: each step keeps the case that
covers the most pairs not covered yet (the first such case on a tie), until every pair that
occurs in some valid case is covered. No randomness, so the same grid always gives the same
cases; a pair that no valid case contains (``k > n``) is never required.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence


def _pairs_of(case: tuple) -> set[tuple]:
    """Every (factor i, value, factor j, value) pair that one case contains."""
    return {(i, case[i], j, case[j]) for i, j in itertools.combinations(range(len(case)), 2)}


def all_pairs(factors: Sequence[Sequence], valid: Callable[[tuple], bool] | None = None) -> list:
    """Cases (tuples, one value per factor) in which every pair of values occurs at least once.

    Parameters
    ----------
    factors : sequence of sequences
        The values of each factor, in order; values must be hashable.
    valid : callable, optional
        ``valid(case) -> bool``: cases for which it is false are never chosen, and pairs that
        occur only in such cases are not required.

    Returns
    -------
    list of tuple
        The covering set, in the order the greedy search chose it.
    """
    candidates = [case for case in itertools.product(*factors) if valid is None or valid(case)]
    if len(factors) < 2:
        return candidates
    candidate_pairs = [_pairs_of(case) for case in candidates]
    uncovered = set().union(*candidate_pairs)
    chosen = []
    while uncovered:
        best = max(range(len(candidates)), key=lambda i: len(candidate_pairs[i] & uncovered))
        chosen.append(candidates[best])
        uncovered -= candidate_pairs[best]
    return chosen


def split_grid(full_grid: Sequence[tuple], covering: Sequence[tuple], slow_mark) -> list:
    """The full grid as pytest params: the covering cases first, every other case marked slow.

    The default run (``-m "not slow"``) runs the covering set; ``-m slow`` runs the rest, so the
    two runs together cover the whole grid once.
    """
    import pytest

    in_cover = set(covering)
    return [pytest.param(*case) for case in covering] + [
        pytest.param(*case, marks=slow_mark) for case in full_grid if case not in in_cover
    ]
