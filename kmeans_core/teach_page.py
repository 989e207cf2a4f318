"""An interactive K-Means page for lectures: one self-contained HTML file.

``kmeans-teach page lesson.html`` writes a single HTML file (scripts, styles
and data inline; nothing is fetched over the network) in which a learner
picks a data set, k and the seeding, then steps through the fit one
half-step at a time: k-means++ with its D^2 probabilities, assignment
(Voronoi regions), update, the WCSS after every half-step, the moment of
convergence, and which distances the bounds of Hamerly and Elkan skip.

Where the numbers come from
---------------------------
* For the preset data sets every number shown is the package's: the page
  embeds the trace of :func:`kmeans_core.teach.kmeans_steps` (the readable
  NumPy reference, which the test suite holds equal to the fast
  :class:`kmeans_core.KMeans`) for every k offered and both seedings, and the
  per-point distance counts of :func:`distance_marks`.
* Points the learner adds and centres the learner drags are run by a small
  JavaScript engine in the page (``teach_page_assets/page.js``) that follows
  the reference's rules: centring on the column means, ties to the lowest
  centre index, empty clusters taking the samples farthest from their
  centres (a cluster still empty joins the heaviest), the tolerance
  ``tol * mean(var(X))`` on the total squared centre shift, strict
  convergence when no label changes and no cluster was relocated, a final
  assignment otherwise. The browser tests replay every embedded trace through
  that engine and require the same labels and centres within 1e-12.

The page template lives in ``teach_page_assets/`` (package data); this module
computes the traces and fills the template in.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from kmeans_core import reference, teach
from kmeans_core._validation import check_array

__all__ = [
    "PAGE_DATASETS",
    "distance_marks",
    "main",
    "page_data",
    "page_dataset",
    "read_mall",
    "render_page",
    "write_page",
]

#: The k a learner can choose on the page; a trace is embedded for each.
K_CHOICES = tuple(range(2, 9))
INITS = ("k-means++", "random")
MAX_ITER = 300
TOL = 1e-4
# Labels and per-point distance counts travel as one character each.
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

MALL_COLUMNS = ("Annual Income (k$)", "Spending Score (1-100)")


# ---------------------------------------------------------------------------
# The preset data sets
# ---------------------------------------------------------------------------


def _separated_blobs(rng):
    centers = np.array([[-5.0, 4.0], [4.0, 5.0], [5.0, -4.0], [-4.0, -5.0]])
    labels = rng.randint(len(centers), size=200)
    return centers[labels] + rng.standard_normal((200, 2)) * 0.9


def _unequal(rng):
    X, _ = teach.teaching_data("unequal", n_samples=200, random_state=rng)
    return X


def _anisotropic(rng):
    # Round blobs stretched and sheared by one linear map: elongated, tilted
    # clusters that K-Means's round Voronoi-cell view cuts across.
    centers = np.array([[-3.0, 0.0], [0.0, 3.0], [3.0, -1.0]])
    labels = rng.randint(len(centers), size=210)
    round_blobs = centers[labels] + rng.standard_normal((210, 2)) * 0.8
    stretch = np.array([[1.4, -0.9], [-0.5, 0.7]])
    return round_blobs @ stretch


def _rings(rng):
    # Two concentric rings: no straight line separates them.
    outer = rng.rand(200) < 0.6
    radius = np.where(outer, 3.0, 1.0) + rng.standard_normal(200) * 0.15
    angle = rng.uniform(0.0, 2 * np.pi, 200)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def _uniform_noise(rng):
    # No clusters at all: K-Means still returns k of them.
    return rng.uniform(0.0, 10.0, size=(200, 2))


#: Preset 2-D data sets: name -> (maker(rng) -> X, title, what it teaches, default k).
PAGE_DATASETS = {
    "blobs": (
        _separated_blobs,
        "Well-separated blobs",
        "Four round, well-separated groups: the case K-Means is made for.",
        4,
    ),
    "unequal": (
        _unequal,
        "Unequal sizes",
        (
            "One large spread-out group beside two small tight ones: the inertia prefers "
            "to split the big group."
        ),
        3,
    ),
    "anisotropic": (
        _anisotropic,
        "Anisotropic",
        (
            "Stretched, tilted groups: Voronoi cells are cut by straight bisectors, so "
            "long clusters get cut across."
        ),
        3,
    ),
    "rings": (_rings, "Rings", "Two concentric rings: not convex, so no k finds them.", 2),
    "noise": (
        _uniform_noise,
        "Uniform noise",
        "No structure at all: K-Means still returns k tidy cells.",
        5,
    ),
}


def page_dataset(name: str) -> np.ndarray:
    """The 2-D points of a preset data set of the page (always the same points).

    Parameters
    ----------
    name : str
        A key of :data:`PAGE_DATASETS`.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)

    Examples
    --------
    >>> from kmeans_core.teach_page import page_dataset
    >>> page_dataset("rings").shape
    (200, 2)
    """
    if name not in PAGE_DATASETS:
        raise ValueError(f"name must be one of {sorted(PAGE_DATASETS)}, got {name!r}.")
    make = PAGE_DATASETS[name][0]
    # One fixed stream per data set, so a lesson shows the same points every time.
    return make(np.random.RandomState(sorted(PAGE_DATASETS).index(name)))


def read_mall(path) -> np.ndarray:
    """Annual income and spending score from a Mall Customers CSV, shape (n, 2).

    Parameters
    ----------
    path : str or Path
        A CSV with the columns ``Annual Income (k$)`` and
        ``Spending Score (1-100)`` (the public "Mall Customers" table).

    Raises
    ------
    ValueError
        When the file cannot be read, a column is missing, or a value is
        missing or not a number (the message names the column).
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--mall: no such file: {path}")
    try:
        table = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError, OSError) as error:
        raise ValueError(f"--mall: cannot read {path} as CSV: {error}") from None
    missing = [column for column in MALL_COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(
            f"--mall: {path} has no column {missing[0]!r}; the Mall Customers table has "
            f"{list(MALL_COLUMNS)} (found {list(table.columns)})."
        )
    for column in MALL_COLUMNS:
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise ValueError(
                f"--mall: column {column!r} has a missing or non-numeric value in data row "
                f"{row + 1}."
            )
    X = table[list(MALL_COLUMNS)].to_numpy(dtype=np.float64)
    if X.shape[0] < max(K_CHOICES):
        raise ValueError(
            f"--mall: {path} has {X.shape[0]} rows; the page offers k up to {max(K_CHOICES)}."
        )
    return check_array(X, dtype=np.float64, estimator="read_mall")


# ---------------------------------------------------------------------------
# Which distances the bounds skip, point by point
# ---------------------------------------------------------------------------


_MARKERS = ("hamerly", "elkan")


def distance_marks(algorithm: str, X, centers_per_iteration) -> list:
    """Point-to-centre distances each sample computes, iteration by iteration.

    The per-point view of :func:`kmeans_core.teach.distance_counts`: the
    same rules, the same centres, so the counts add up to its
    ``point_center`` (the tests check it). A 0 means the bounds proved the
    sample keeps its label without measuring anything.

    Parameters
    ----------
    algorithm : {"hamerly", "elkan"}
    X : array-like of shape (n_samples, n_features)
    centers_per_iteration : list of ndarray of shape (n_clusters, n_features)
        The centres each assignment step starts from.

    Returns
    -------
    list of (counts, labels)
        One pair per iteration: ``counts`` (int64, one per sample) and the
        labels that assignment found (Lloyd's labels: the bounds are exact).
    """
    if algorithm not in _MARKERS:
        raise ValueError(f"algorithm must be one of {sorted(_MARKERS)}, got {algorithm!r}.")
    X = check_array(X, dtype=np.float64, estimator="distance_marks")
    # The rules and the counts are the reference's (teach.distance_counts sums them).
    return [
        (computed, bounds.labels.copy())
        for bounds, computed, _ in reference.bounds_assignments(algorithm, X, centers_per_iteration)
    ]


# ---------------------------------------------------------------------------
# Traces, as the page reads them
# ---------------------------------------------------------------------------


def _code(values) -> str:
    return "".join(_DIGITS[int(value)] for value in values)


def _floats(array):
    # float() of a float64 gives Python's shortest repr, which JSON carries
    # exactly and JavaScript parses back to the same double.
    return np.asarray(array, dtype=np.float64).tolist()


def _trace(X, n_clusters, init, random_state):
    stages = list(
        teach.kmeans_steps(
            X, n_clusters, init=init, random_state=random_state, max_iter=MAX_ITER, tol=TOL
        )
    )
    centers_per_iteration = [
        stage.centers for stage in stages if stage.kind == "assignment" and not stage.final
    ]
    marks = {
        algorithm: iter(distance_marks(algorithm, X, centers_per_iteration))
        for algorithm in _MARKERS
    }
    out = []
    for stage in stages:
        if stage.kind == "seeding":
            out.append(
                {
                    "kind": "seeding",
                    "index": stage.index,
                    "chosen": stage.chosen,
                    "candidates": stage.candidates.tolist(),
                    "candidate_potentials": _floats(stage.candidate_potentials),
                    "inertia": stage.inertia,
                }
            )
        elif stage.kind == "assignment":
            entry = {
                "kind": "assignment",
                "iteration": stage.iteration,
                "labels": _code(stage.labels),
                "centers": _floats(stage.centers),
                "inertia": stage.inertia,
                "n_changed": stage.n_changed,
                "final": stage.final,
            }
            if not stage.final:
                entry["marks"] = {
                    algorithm: _code(next(iterator)[0]) for algorithm, iterator in marks.items()
                }
            out.append(entry)
        elif stage.kind == "update":
            out.append(
                {
                    "kind": "update",
                    "iteration": stage.iteration,
                    "labels": _code(stage.labels),
                    "centers": _floats(stage.centers),
                    "center_shift": stage.center_shift,
                    "inertia": stage.inertia,
                    "relocated": [list(pair) for pair in stage.relocated],
                }
            )
        else:
            out.append(
                {
                    "kind": "converged",
                    "n_iter": stage.n_iter,
                    "reason": stage.reason,
                    "labels": _code(stage.labels),
                    "centers": _floats(stage.centers),
                    "inertia": stage.inertia,
                    "tol": stage.tol,
                }
            )
    return out


def page_data(mall=None, random_state: int = 0) -> dict:
    """Everything the page embeds: the data sets and their traces (JSON-ready).

    Parameters
    ----------
    mall : str or Path, optional
        A Mall Customers CSV; adds its income/score table as a data set.
    random_state : int, default=0
        The seed of every embedded k-means++ and random seeding.

    Returns
    -------
    dict
        ``{"datasets": [...], "k_choices": [...], "inits": [...], "tol": ...,
        "max_iter": ..., "random_state": ...}``; each data set has ``name``,
        ``title``, ``description``, ``default_k``, ``X`` and
        ``traces[init][str(k)]``, a list of stages.
    """
    if (
        not isinstance(random_state, (int, np.integer))
        or isinstance(random_state, bool)
        or not 0 <= random_state < 2**32
    ):
        raise ValueError(
            f"random_state (--seed) must be an int in [0, 2**32), got {random_state!r}."
        )
    sets = [
        (name, page_dataset(name), title, description, default_k)
        for name, (_, title, description, default_k) in PAGE_DATASETS.items()
    ]
    if mall is not None:
        mall_X = read_mall(mall)
        sets.append(
            (
                "mall",
                mall_X,
                "Mall customers",
                (
                    f"The Mall Customers table: annual income (k$) against spending score "
                    f"(1-100), {mall_X.shape[0]} customers."
                ),
                5,
            )
        )
    datasets = []
    for name, X, title, description, default_k in sets:
        traces = {
            init: {str(k): _trace(X, k, init, int(random_state)) for k in K_CHOICES}
            for init in INITS
        }
        axes = list(MALL_COLUMNS) if name == "mall" else ["x", "y"]
        datasets.append(
            {
                "name": name,
                "title": title,
                "description": description,
                "default_k": default_k,
                "axes": axes,
                "X": _floats(X),
                "traces": traces,
            }
        )
    return {
        "datasets": datasets,
        "k_choices": list(K_CHOICES),
        "inits": list(INITS),
        "tol": TOL,
        "max_iter": MAX_ITER,
        "random_state": int(random_state),
    }


def _asset(name: str) -> str:
    return resources.files("kmeans_core").joinpath("teach_page_assets", name).read_text("utf-8")


def render_page(data: dict) -> str:
    """The page's HTML, with its style, script and ``data`` (from :func:`page_data`) inline."""
    # "</" inside a <script> element would end it early; JSON allows "<\/".
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    page = _asset("page.html")
    for marker, text in (
        ("/*__STYLE__*/", _asset("page.css")),
        ("/*__SCRIPT__*/", _asset("page.js")),
        ("/*__DATA__*/", payload),
    ):
        if page.count(marker) != 1:
            raise RuntimeError(f"page.html must hold {marker} exactly once")  # a packaging bug
        page = page.replace(marker, text)
    return page


def write_page(path, mall=None, random_state: int = 0) -> Path:
    """Write the self-contained teaching page to ``path``; returns the path.

    The file is written to a temporary file beside ``path`` and renamed over
    it, so a reader never sees half a page and no other file is touched.

    Raises
    ------
    ValueError
        When ``path`` is a folder, its folder does not exist, or ``mall`` is
        not a readable Mall Customers table.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"output path {path} is a folder; give a file name such as lesson.html.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"the folder of the output path does not exist: {folder}")
    html = render_page(page_data(mall=mall, random_state=random_state))
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(html)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------
# Command line: kmeans-teach page lesson.html
# ---------------------------------------------------------------------------

PROG = "kmeans-teach"
EXIT_BAD_INPUT = 2


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser of ``kmeans-teach``."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Teaching material for K-Means, made by kmeans_core."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    page = commands.add_parser(
        "page",
        help="write the interactive K-Means page (one self-contained HTML file)",
        description="Write one self-contained HTML page (no network needed) in which a learner "
        "steps through K-Means: seeding with the D^2 probabilities, assignment and "
        "update half-steps, Voronoi regions, the WCSS, convergence, and the "
        "distances the bounds of Hamerly and Elkan skip.",
    )
    page.add_argument("output", type=Path, help="the HTML file to write (e.g. lesson.html)")
    page.add_argument(
        "--mall",
        type=Path,
        metavar="PATH",
        help="Mall_Customers.csv: adds its income/score table as a data set",
    )
    page.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="random seed of the embedded seedings (default: 0)",
    )
    return parser


def main(argv=None, prog: str = PROG) -> int:
    """Entry point of ``kmeans-teach``; returns the exit status (2 on bad input)."""
    args = build_parser(prog).parse_args(argv)
    try:
        path = write_page(args.output, mall=args.mall, random_state=args.seed)
    except ValueError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
