"""The examples in the public docstrings run and print what they say."""

import doctest

import pytest

import kmeans_core._kmeans


@pytest.mark.parametrize("module", [kmeans_core._kmeans])
def test_docstring_examples(module):
    failures, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failures == 0
