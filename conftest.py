"""Collection rules for the whole repository: the documentation's code blocks and the doctests.

The default ``python -m pytest`` (see ``testpaths`` in pyproject.toml) runs the tests under
``tests/``, the docstring examples of ``kmeans_core`` and ``segmentation`` (``--doctest-modules``)
and every ```` ```python ```` block of README.md and ``docs/`` (Sybil, below). The convention for
code blocks is written in docs/contributing.md.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

ROOT = Path(__file__).resolve().parent

# Regenerates the figures (minutes of drawing); run by hand, not a test.
collect_ignore = ["docs/make_figures.py"]

# Packages a module of ours may import at its top level although the core install lacks them
# (dask, the file formats...). A module that imports one that is not installed is left out of
# the doctest run rather than failing to import; its own tests skip in the same case.
OPTIONAL_PACKAGES = (
    "dask",
    "distributed",
    "zarr",
    "dask_ml",
    "polars",
    "pyarrow",
    "openpyxl",
    "sklearn",
    "faiss",
    "sklearnex",
)
_TOP_LEVEL_IMPORT = re.compile(r"^(?:import|from)\s+(\w+)", re.MULTILINE)


def pytest_ignore_collect(collection_path, config):
    """Skip doctest collection of a package module whose optional dependency is missing."""
    path = Path(collection_path)
    packages = (ROOT / "kmeans_core", ROOT / "segmentation")
    if path.suffix != ".py" or not any(package in path.parents for package in packages):
        return None
    imported = set(_TOP_LEVEL_IMPORT.findall(path.read_text(encoding="utf-8")))
    for package in imported.intersection(OPTIONAL_PACKAGES):
        if importlib.util.find_spec(package) is None:
            return True
    return None


def _enter_scratch_folder(namespace):
    """Run a page's examples in a fresh folder: they write pictures and reports there."""
    namespace["_previous_cwd"] = os.getcwd()
    namespace["_scratch"] = tempfile.mkdtemp(prefix="docs-example-")
    os.environ.setdefault("MPLBACKEND", "Agg")  # no GUI in tests
    os.chdir(namespace["_scratch"])


def _leave_scratch_folder(namespace):
    import matplotlib.pyplot as plt

    plt.close("all")
    os.chdir(namespace["_previous_cwd"])
    shutil.rmtree(namespace["_scratch"], ignore_errors=True)


# One namespace per page: a page's blocks run in order and share names, as a reader would run
# them. Only ```python blocks run; console, bash and text blocks are never executed, and a
# python block preceded by <!-- skip: next --> is skipped (it must say why next to it).
pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["*.md"],
    excludes=["results/*"],
    setup=_enter_scratch_folder,
    teardown=_leave_scratch_folder,
).pytest()
