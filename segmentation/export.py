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
moved into place only when complete, so a failure never leaves a half-written
report behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from segmentation._errors import SegmentationError
from segmentation.model import SegmentModel
from segmentation.profile import with_overall_row

__all__ = ["write_report", "write_model", "read_model", "write_table", "REPORT_FILES"]

#: Every file a report folder can hold, relative to it.
REPORT_FILES = (
    "report.html",
    "summary.md",
    "customers.csv",
    "profile.csv",
    "k_selection.csv",
    "model.json",
    "hierarchy_sizes.csv",
    *(f"plots/{stem}.png" for stem in
      ("elbow", "silhouette", "segments", "scatter_matrix", "pca", "profile", "dendrogram")),
)


def _staging_folder(target: Path) -> Path:
    """A new empty folder beside ``target`` (same file system, so moves are renames)."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SegmentationError(f"cannot create output folder {str(parent)!r}: {error}") from error
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    # mkdtemp makes the folder private (0700); the report folder it becomes should
    # get the permissions any new folder gets under the user's umask.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    return staging


def _move_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    # The folder already exists (perhaps with the user's own files): replace our
    # files one by one, each move atomic, and remove our files that this run
    # did not produce so that the folder describes a single run.
    produced = {path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file()}
    for relative in produced:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, destination)
    for relative in REPORT_FILES:
        if relative not in produced and (target / relative).is_file():
            (target / relative).unlink()


def write_table(frame, path, index: bool = False) -> None:
    """Write a DataFrame as CSV (UTF-8, comma-separated)."""
    frame.to_csv(path, index=index)


def write_report(result, out_dir, *, comparison=None, plots: bool = True) -> dict[str, Path]:
    """Write the report, tables, model and plots of a segmentation to a folder.

    Parameters
    ----------
    result : SegmentationResult
    out_dir : path-like
        The output folder; created if needed. Existing files of an earlier
        report are replaced; other files in it are left alone.
    comparison : HierarchyComparison, optional
        Adds the dendrogram, the adjusted Rand index and the side-by-side sizes.
    plots : bool
        Draw the figures (PNG files, embedded in the HTML). False skips all
        drawing, for speed.

    Returns
    -------
    dict of str to pathlib.Path
        What was written, by kind: ``html``, ``markdown``, ``customers``,
        ``profile``, ``k_selection``, ``model``, ``hierarchy_sizes`` and
        ``plot:<name>``.

    Raises
    ------
    SegmentationError
        When ``out_dir`` is an existing file or cannot be created.
    """
    from segmentation import report

    target = Path(out_dir)
    if target.exists() and not target.is_dir():
        raise SegmentationError(f"output folder {str(target)!r} exists and is not a folder")
    images: dict[str, bytes] = {}
    if plots:
        from segmentation.plots import figure_to_png, make_figures

        images = {stem: figure_to_png(f) for stem, f in make_figures(result, comparison).items()}

    staging = _staging_folder(target)
    try:
        written: dict[str, str] = {}
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
        write_table(result.customers, staging / "customers.csv")
        write_table(with_overall_row(result.profile, result.overall), staging / "profile.csv", index=True)
        write_table(result.selection.to_frame(), staging / "k_selection.csv", index=True)
        written.update(customers="customers.csv", profile="profile.csv", k_selection="k_selection.csv")
        if comparison is not None:
            write_table(comparison.sizes, staging / "hierarchy_sizes.csv", index=True)
            written["hierarchy_sizes"] = "hierarchy_sizes.csv"
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {kind: target / relative for kind, relative in written.items()}


def write_model(model: SegmentModel, path) -> Path:
    """Save a model as JSON (written to a temporary file, then renamed into place).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(model.to_json())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def read_model(path) -> SegmentModel:
    """Load a model saved by :func:`write_model` or :func:`write_report`.

    Raises
    ------
    SegmentationError
        When the file is missing or not a segmentation model.
    """
    path = Path(path)
    if not path.is_file():
        raise SegmentationError(f"model file {str(path)!r} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SegmentationError(f"cannot read model file {str(path)!r}: {error}") from error
    return SegmentModel.from_json(text)
