"""Writing a segmentation to files, all or nothing.

:func:`write_report` fills an output folder::

    report.html        the report, one self-contained file (images embedded)
    summary.md         the same in Markdown, linking the PNGs below
    customers.csv      the customer table with "Segment" and "Segment Name"
    profile.csv        the profile table (per segment, plus "All")
    k_selection.csv    WCSS and silhouette for each k compared
    model.json         features, scaler, centroids, names: assigns new customers
    hierarchy_sizes.csv  (with a hierarchical comparison) K-Means vs Ward sizes
    plots/*.png        elbow, silhouette, segments, scatter_matrix, pca, profile, dendrogram

Everything is first written to a temporary folder beside the output folder and
swapped in only when complete, so a failure never leaves a half-written report
behind; the folder must be new, empty or an earlier report (see
:mod:`segmentation._output` for the rules, and docs/segmentation-files.md).
"""

from __future__ import annotations

from pathlib import Path

from segmentation import _model_file, _output
from segmentation._errors import SegmentationError
from segmentation.model import SegmentModel
from segmentation.profile import with_overall_row

__all__ = [
    "write_report",
    "write_model",
    "read_model",
    "write_table",
    "write_assigned",
    "check_report_folder",
    "check_table_target",
    "REPORT_FILES",
]

#: The checks :func:`write_report` and :func:`write_assigned` make on their
#: target, for callers that want to fail fast (before a long analysis).
check_report_folder = _output.check_report_folder
check_table_target = _output.check_table_target

#: Every file a report folder can hold, relative to it.
REPORT_FILES = (
    "report.html",
    "summary.md",
    "customers.csv",
    "profile.csv",
    "k_selection.csv",
    "model.json",
    "hierarchy_sizes.csv",
    *(
        f"plots/{stem}.png"
        for stem in (
            "elbow",
            "silhouette",
            "segments",
            "scatter_matrix",
            "pca",
            "profile",
            "dendrogram",
        )
    ),
)


def write_table(frame, path, index: bool = False) -> None:
    """Write a DataFrame as CSV (UTF-8, comma-separated)."""
    frame.to_csv(path, index=index)


def write_report(
    result, out_dir, *, comparison=None, plots: bool = True, protect=()
) -> dict[str, Path]:
    """Write the report, tables, model and plots of a segmentation to a folder.

    Parameters
    ----------
    result : SegmentationResult
    out_dir : path-like
        The output folder: a new folder, an empty one, or an earlier report
        (which is replaced as a whole). A folder holding anything else is
        refused. The report appears whole or not at all.
    comparison : HierarchyComparison, optional
        Adds the dendrogram, the adjusted Rand index and the side-by-side sizes.
    plots : bool
        Draw the figures (PNG files, embedded in the HTML). False skips all
        drawing, for speed.
    protect : iterable of path-like
        Files the report must never touch (the input table): a folder that
        holds one is refused.

    Returns
    -------
    dict of str to pathlib.Path
        What was written, by kind: ``html``, ``markdown``, ``customers``,
        ``profile``, ``k_selection``, ``model``, ``hierarchy_sizes`` and
        ``plot:<name>``.

    Raises
    ------
    SegmentationError
        When ``out_dir`` is an existing file, a folder that holds other files,
        the current folder, or cannot be created; or when another run holds
        its lock for longer than ``KMEANS_SEGMENT_LOCK_TIMEOUT`` seconds.
    """
    from segmentation import report

    _output.check_report_folder(out_dir, protect)
    images: dict[str, bytes] = {}
    if plots:
        from segmentation.plots import figure_to_png, make_figures

        images = {stem: figure_to_png(f) for stem, f in make_figures(result, comparison).items()}

    written: dict[str, str] = {}
    with _output.replacing_folder(out_dir, protect) as staging:
        if images:
            (staging / "plots").mkdir()
        for stem, png in images.items():
            (staging / "plots" / f"{stem}.png").write_bytes(png)
            written[f"plot:{stem}"] = f"plots/{stem}.png"
        image_paths = {stem: f"plots/{stem}.png" for stem in images}
        texts = {
            "html": ("report.html", report.render_html(result, images, comparison)),
            "markdown": ("summary.md", report.render_markdown(result, image_paths, comparison)),
            "model": ("model.json", result.model.to_json()),
        }
        for kind, (name, text) in texts.items():
            (staging / name).write_text(text, encoding="utf-8")
            written[kind] = name
        _output.pause_for_tests("writing")
        write_table(result.customers, staging / "customers.csv")
        write_table(
            with_overall_row(result.profile, result.overall), staging / "profile.csv", index=True
        )
        write_table(result.selection.to_frame(), staging / "k_selection.csv", index=True)
        written.update(
            customers="customers.csv", profile="profile.csv", k_selection="k_selection.csv"
        )
        if comparison is not None:
            write_table(comparison.sizes, staging / "hierarchy_sizes.csv", index=True)
            written["hierarchy_sizes"] = "hierarchy_sizes.csv"
    return {kind: Path(out_dir) / relative for kind, relative in written.items()}


def write_model(model: SegmentModel, path) -> Path:
    """Save a model as JSON, whole or not at all (a temporary file renamed into place).

    ``path`` must be a new file or an earlier model file; anything else is refused.

    Returns
    -------
    pathlib.Path
    """
    _output.check_model_target(path)
    text = model.to_json()
    with _output.replacing_file(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)


def write_assigned(frame, path, protect=()) -> Path:
    """Write the table of :meth:`SegmentModel.assign` as CSV, whole or not at all.

    ``path`` must be a new file or an earlier output of ``assign`` (its header
    ends with Segment, Segment Name); the files in ``protect`` (the input table
    and the model) are never written.

    Returns
    -------
    pathlib.Path
    """
    _output.check_table_target(path, protect)
    with _output.replacing_file(path) as temporary:
        write_table(frame, temporary)
    return Path(path)


def read_model(path, *, verify_checksum: bool = True) -> SegmentModel:
    """Load a model saved by :func:`write_model` or :func:`write_report`.

    The file is checked before anything in it is used: its size, its nesting,
    its fields against the model schema, and its checksum. Reading parses JSON
    and executes nothing.

    Parameters
    ----------
    path : path-like
    verify_checksum : bool
        True (default) refuses a file edited after it was written. False
        accepts a deliberate edit (renamed segments, say) that still passes
        every schema check.

    Raises
    ------
    SegmentationError
        When the file is missing, too large, not a model of this format, fails
        a check (the message names the field), or was edited.
    """
    path = Path(path)
    if not path.exists():
        raise SegmentationError(f"model file {str(path)!r} does not exist")
    if not path.is_file():
        raise SegmentationError(f"model file {str(path)!r} is not a regular file")
    try:
        with open(path, "rb") as stream:
            data = stream.read(_model_file.MAX_MODEL_BYTES + 1)
    except OSError as error:
        raise SegmentationError(f"cannot read model file {str(path)!r}: {error}") from error
    return SegmentModel.from_json(data, source=str(path), verify_checksum=verify_checksum)
