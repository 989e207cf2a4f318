"""Watch K-Means work, one stage at a time.

:func:`kmeans_steps` runs one K-Means fit on the readable NumPy reference
(:mod:`kmeans_core.reference`) and *yields* every stage of it, so a learner
can stop after each one and look:

1. :class:`SeedingStep` -- one per initial center. With k-means++ it carries
   the D^2 sampling probabilities, the candidates drawn and the potential
   each candidate would leave.
2. :class:`AssignmentStep` -- every point joins its nearest center.
3. :class:`UpdateStep` -- every center moves to the mean of its points.
4. Steps 2 and 3 alternate until a stopping rule holds; a last
   :class:`Converged` stage says which one and holds the result.

The stages are the reference's own steps (``kmeans_plusplus_steps`` and
``lloyd_steps``, with its assignment, update and relocation rules, which are
the fast path's), so the fit is exactly :func:`kmeans_core.reference.kmeans`,
and, to rounding, what :class:`kmeans_core.KMeans` returns with the same
``init`` and ``random_state`` (the test suite checks both).

:func:`distance_counts` counts the point-to-center distances each iteration
computes, for Lloyd's algorithm and for the bounds-based algorithms of
Hamerly and Elkan, on the same sequence of centers: the picture of how the
accelerated algorithms save work. The bounds and the counts are those of
:func:`kmeans_core.reference.bounds_assignments`. Pictures live in
:mod:`kmeans_core.teach_plots`; ``python -m kmeans_core.teach --out DIR``
writes the animation.

Each tool lives in a module of its own -- the stages and the stepper in
:mod:`kmeans_core.teach_steps`, the distance counts in
:mod:`kmeans_core.teach_counts`, the built-in data in
:mod:`kmeans_core.teach_data` -- and this module gathers them, so one import
serves, and holds the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

# The teaching tools live in one module each; this module gathers them, so
# ``from kmeans_core.teach import ...`` is the one import a learner needs, and
# holds the command line.
from kmeans_core.teach_counts import DISTANCE_COUNTERS, DistanceCounts, distance_counts
from kmeans_core.teach_data import TEACHING_DATA, teaching_data
from kmeans_core.teach_steps import (  # noqa: F401 (re-exported through __all__)
    STOP_MAX_ITER,
    STOP_TOLERANCE,
    STOP_UNCHANGED,
    AssignmentStep,
    Converged,
    SeedingStep,
    Stage,
    UpdateStep,
    kmeans_steps,
)
from kmeans_core.teach_steps import __all__ as _STEP_NAMES

__all__ = [
    *_STEP_NAMES,  # the stages and the stepper, imported above
    "DistanceCounts",
    "distance_counts",
    "DISTANCE_COUNTERS",
    "teaching_data",
    "TEACHING_DATA",
    "build_parser",
    "main",
]


# ---------------------------------------------------------------------------
# Command line: python -m kmeans_core.teach --out DIR
# ---------------------------------------------------------------------------

PROG = "python -m kmeans_core.teach"
EXIT_BAD_INPUT = 2


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}") from None
    if not value > 0 or not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser of ``python -m kmeans_core.teach`` (``prog`` names it in messages)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Watch K-Means work: write an animated GIF of one fit on built-in 2-D data "
            "(k-means++ seeding, then assignment and update steps until convergence, with "
            "the inertia curve beside it)."
        ),
        epilog="data sets:\n"
        + "\n".join(
            f"  {name:9s} {description}" for name, (_, description) in TEACHING_DATA.items()
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder to write into (created if needed)",
    )
    parser.add_argument(
        "--data",
        choices=sorted(TEACHING_DATA),
        default="blobs",
        help="built-in data set (default: blobs)",
    )
    parser.add_argument(
        "--n-clusters",
        "-k",
        type=int,
        default=4,
        metavar="K",
        help="number of clusters (default: 4)",
    )
    parser.add_argument(
        "--n-samples", type=int, default=300, metavar="N", help="number of points (default: 300)"
    )
    parser.add_argument(
        "--init",
        choices=["k-means++", "random"],
        default="k-means++",
        help="how the first centers are chosen (default: k-means++)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="random seed of the data and the seeding (default: 0)",
    )
    parser.add_argument(
        "--fps",
        type=_positive_float,
        default=1.5,
        metavar="F",
        help="frames per second (default: 1.5)",
    )
    parser.add_argument(
        "--stage-figures", action="store_true", help="also write one PNG per stage into OUT/stages/"
    )
    return parser


def main(argv=None, prog: str = PROG) -> int:
    """Entry point of ``python -m kmeans_core.teach``; returns the exit status.

    Writes ``OUT/kmeans.gif`` (and, with ``--stage-figures``, one PNG per
    stage under ``OUT/stages/``) and prints each path written. Data or a
    ``k`` that cannot work print one line on stderr and return 2; argparse
    usage errors exit with status 2 as well. Another command can reuse it as
    a sub-command: ``main(argv, prog="kmeans-segment teach")``.
    """
    args = build_parser(prog).parse_args(argv)
    from kmeans_core import teach_plots  # matplotlib is imported only when drawing

    try:
        X, _ = teaching_data(args.data, args.n_samples, args.seed)
        stages = list(kmeans_steps(X, args.n_clusters, init=args.init, random_state=args.seed))
    except ValueError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args.out.mkdir(parents=True, exist_ok=True)
    title = f"K-Means on '{args.data}', k={args.n_clusters}"
    # Income against age cannot share one scale; every other data set can.
    equal_aspect = args.data != "scales"
    written = [
        teach_plots.write_animation(
            stages, X, args.out / "kmeans.gif", fps=args.fps, title=title, equal_aspect=equal_aspect
        )
    ]
    if args.stage_figures:
        written += teach_plots.save_stage_figures(
            stages, X, args.out / "stages", title=title, equal_aspect=equal_aspect
        )
    for path in written:
        print(path)
    final = stages[-1]
    print(
        f"{len(stages)} stages; converged after {final.n_iter} iterations "
        f"({final.reason}), inertia {final.inertia:.4g}."
    )
    return 0


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy's, so the stage
    # classes are the ones kmeans_core.teach_plots knows.
    from kmeans_core.teach import main as _main

    raise SystemExit(_main())
