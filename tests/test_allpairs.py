"""The all-pairs generator that shrinks the default equivalence grid (tests/allpairs.py)."""

import itertools

from allpairs import all_pairs


def _every_pair_is_covered(factors, cases, valid):
    for i, j in itertools.combinations(range(len(factors)), 2):
        for a, b in itertools.product(factors[i], factors[j]):
            possible = any(
                case[i] == a and case[j] == b for case in itertools.product(*factors) if valid(case)
            )
            present = any(case[i] == a and case[j] == b for case in cases)
            assert present == possible, (i, a, j, b)


def test_covers_every_pair_and_is_much_smaller_than_the_product():
    factors = [
        [1, 10, 100],
        [1, 2, 5, 50],
        [1, 2, 5],
        ["f32", "f64"],
        [False, True],
        ["a", "b", "c"],
    ]
    cases = all_pairs(factors)
    _every_pair_is_covered(factors, cases, lambda case: True)
    product_size = len(list(itertools.product(*factors)))
    # the largest pair of factors (4 x 3 values) bounds it from below; greedy stays close
    assert 12 <= len(cases) <= 20 < product_size
    assert len(set(cases)) == len(cases)


def test_respects_a_constraint_and_only_requires_possible_pairs():
    factors = [[1, 10, 100], [1, 2, 5, 20], ["x", "y"]]

    def valid(case):
        return case[1] <= case[0]

    cases = all_pairs(factors, valid)
    assert all(valid(case) for case in cases)
    _every_pair_is_covered(factors, cases, valid)


def test_is_deterministic():
    factors = [[0, 1, 2], [0, 1, 2], [0, 1], [0, 1, 2, 3]]
    assert all_pairs(factors) == all_pairs(factors)
