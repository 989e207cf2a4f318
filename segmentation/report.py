"""The report's words and tables: a self-contained HTML page, a Markdown summary, a console summary.

Everything here returns text; :mod:`segmentation.export` writes it to files.
Images are passed in as PNG bytes (embedded in the HTML as ``data:`` URIs) or
as relative paths (linked from the Markdown).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from segmentation.outliers import OUTLIER_THRESHOLD
from segmentation.profile import with_overall_row
from segmentation.scaling import SKEW_THRESHOLD
from segmentation.stability import STABLE_JACCARD

__all__ = ["render_html", "render_markdown", "render_summary", "format_profile", "IMAGE_TITLES"]

#: Extreme customers listed in the report (all are in customers.csv).
OUTLIERS_LISTED = 50

#: Caption of each figure of :func:`segmentation.plots.make_figures`, by file stem.
IMAGE_TITLES = {
    "segments": "Segments in the feature plane (X marks each centroid)",
    "elbow": "Elbow: within-cluster sum of squares against k",
    "silhouette": "Silhouette against k",
    "scatter_matrix": "Pairs of features",
    "pca": "Customers projected on their first two principal components (scaled features)",
    "profile": "Segment profiles",
    "dendrogram": "Ward's hierarchical clustering",
}


def format_value(value) -> str:
    """A number for people, as text.

    One decimal from 1 up ("1,234.5"), three significant digits below (ratios
    such as 0.0123 would all read "0.0" otherwise).
    """
    value = float(value)
    if not np.isfinite(value):
        return ""
    if value == 0 or abs(value) >= 1:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def format_profile(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile table as display strings: shares in %, values to one decimal."""
    shown = pd.DataFrame(index=profile.index)
    for column in profile.columns:
        values = profile[column]
        if column == "Name":
            shown[column] = values.astype(str)
        elif column == "Customers":
            shown[column] = [f"{int(v):,}" for v in values]
        elif column == "Share" or column.endswith(" share"):
            shown[column] = ["" if pd.isna(v) else f"{float(v):.0%}" for v in values]
        elif column == "Stability":
            shown[column] = ["" if pd.isna(v) else f"{float(v):.2f}" for v in values]
        else:
            shown[column] = ["" if pd.isna(v) else format_value(v) for v in values]
    return shown


def _profile_with_overall(result) -> pd.DataFrame:
    return format_profile(with_overall_row(result.profile, result.overall))


def _markdown_table(frame: pd.DataFrame) -> str:
    header = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, row in frame.iterrows():
        cells = [str(index)] + [str(v).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _reading(result) -> str:
    return f" Read as {result.table.reading}." if result.table.reading else ""


_SCALING_WORDS = {
    "standard": "standardised (mean 0, standard deviation 1)",
    "minmax": "rescaled to 0-1",
    "none": "in raw units (no scaling)",
    "robust": "centred on the median, scaled by the interquartile range",
    "log": "log1p then standardised",
    "category": "one-hot, weighted like one numeric column",
}


def _scaling_words(result) -> str:
    scaling = result.scaling
    if scaling is None or scaling.empty:
        return _SCALING_WORDS.get(result.model.scaler.method, result.model.scaler.method)
    methods = scaling["Scaling"].tolist()
    if len(set(methods)) == 1:
        return _SCALING_WORDS[methods[0]]
    groups = []
    for method in dict.fromkeys(methods):
        columns = scaling.loc[scaling["Scaling"] == method, "Feature"].tolist()
        if method == "category":
            columns = list(dict.fromkeys(c.split("=")[0] for c in columns))
        groups.append(f"{_SCALING_WORDS[method]}: {', '.join(columns)}")
    return "; ".join(groups)


def _features_sentence(result) -> str:
    columns = ", ".join(f.column for f in result.features)
    how = result.model.scaler.method
    rule = (
        f" (scale={how}: log1p for never-negative columns with skewness above "
        f"{SKEW_THRESHOLD:g}, standard otherwise)"
        if how == "auto"
        else f" (scale={how})"
    )
    return (
        f"Features: {columns}. Scaling{rule}: {_scaling_words(result)}. K-Means (kmeans_core, "
        f"k-means++ seeding, {result.n_init} restarts, random_state={result.random_state}); "
        "all figures below are in the original units."
    )


def _drivers_table(result) -> pd.DataFrame:
    drivers = result.drivers
    return pd.DataFrame(
        {
            "Segment": drivers["Segment"].astype(int),
            "Name": [result.segments[n - 1].name for n in drivers["Segment"]],
            "Driver": drivers["Feature"],
            "Segment mean": [
                _number(v, f) for v, f in zip(drivers["Segment mean"], drivers["Feature"])
            ],
            "Overall mean": [
                _number(v, f) for v, f in zip(drivers["Overall mean"], drivers["Feature"])
            ],
            "z": [f"{z:+.2f}" for z in drivers["z"]],
        }
    )


def _number(value, feature) -> str:
    return f"{value:.0%}" if str(feature).endswith("(share)") else format_value(value)


def _outlier_table(result) -> pd.DataFrame:
    shown = result.outliers.head(OUTLIERS_LISTED).copy()
    shown["Value"] = [format_value(v) for v in shown["Value"]]
    shown["Robust z"] = [f"{z:.1f}" for z in shown["Robust z"]]
    if "Segment" in shown.columns:
        shown["Segment"] = [f"{n}. {result.segments[n - 1].name}" for n in shown["Segment"]]
    return shown


def _outlier_sentence(result) -> str:
    n = len(result.outliers)
    listed = f" (the first {OUTLIERS_LISTED} are listed)" if n > OUTLIERS_LISTED else ""
    if result.outlier_policy == "flag":
        what = (
            "were left out of fitting, then assigned to their nearest segment; "
            "customers.csv marks them in its Outlier column"
        )
    else:
        what = "were left out of fitting and of the results"
    return (
        f"{n} customer(s) have a robust z-score above {OUTLIER_THRESHOLD:g} on at least one "
        f"feature ((x - median) / robust spread, see segmentation.outliers) and {what}{listed}."
    )


def _selection_table(result) -> pd.DataFrame:
    curves = result.selection.to_frame()
    return pd.DataFrame(
        {
            "k": curves.index.to_numpy(),
            "WCSS": [f"{v:,.1f}" for v in curves["WCSS"]],
            "Silhouette": ["" if not np.isfinite(v) else f"{v:.3f}" for v in curves["Silhouette"]],
            "": ["chosen" if k == result.k else "" for k in curves.index],
        }
    )


def render_summary(result, comparison=None) -> str:
    """A short plain-text summary for the console.

    Parameters
    ----------
    result : SegmentationResult
    comparison : HierarchyComparison, optional

    Returns
    -------
    str
    """
    lines = [
        f"{result.k} segments among {len(result.customers):,} customers ({result.source}).",
    ]
    if result.table.reading:
        lines.append(f"Read as {result.table.reading}.")
    lines += [result.selection.reason, ""]
    width = max(len(s.name) for s in result.segments)
    numeric = [f.encoded_columns[0] for f in result.features if not f.is_categorical]
    numeric = numeric[:4]  # the console line stays readable; the report has every column
    for segment in result.segments:
        means = ", ".join(
            f"{column} {format_value(segment.centroid[column])}" for column in numeric
        )
        stable = f"  stability {segment.stability:.2f}" if np.isfinite(segment.stability) else ""
        lines.append(
            f"  {segment.number}. {segment.name:<{width}}  {segment.size:>9,} ({segment.share:5.1%})"
            + stable
            + (f"  {means}" if means else "")
        )
    if result.outliers is not None and len(result.outliers):
        lines += ["", _outlier_sentence(result)]
    if result.warnings:
        lines += [""] + [f"Warning: {w}" for w in result.warnings]
    if comparison is not None:
        lines += ["", _comparison_sentence(comparison)]
    if result.notes:
        lines += [""] + [f"Note: {note}" for note in result.notes]
    return "\n".join(lines)


def _comparison_sentence(comparison) -> str:
    sample = " (a random sample)" if comparison.sampled else ""
    return (
        f"Ward's hierarchical clustering of {comparison.n_compared:,} customers{sample} agrees "
        f"with K-Means with an adjusted Rand index of {comparison.ari:.2f} (1 = the same segments)."
    )


def render_markdown(result, image_paths: Mapping[str, str] = None, comparison=None) -> str:
    """The Markdown summary: choice of k, the segments, the profile, notes.

    Parameters
    ----------
    result : SegmentationResult
    image_paths : mapping of str to str, optional
        Figure stem to a path relative to the Markdown file.
    comparison : HierarchyComparison, optional

    Returns
    -------
    str
    """
    image_paths = image_paths or {}
    out = [f"# Customer segmentation: {result.k} segments", ""]
    out += [f"Data: {result.source}, {len(result.customers):,} customers.{_reading(result)}", ""]
    out += [_features_sentence(result), ""]
    if "segments" in image_paths:
        out += [f"![{IMAGE_TITLES['segments']}]({image_paths['segments']})", ""]
    out += ["## Number of segments", "", result.selection.reason, ""]
    if len(result.selection.k_values) > 1:
        out += [_markdown_table(_selection_table(result).set_index("k")), ""]
    for stem in ("elbow", "silhouette"):
        if stem in image_paths:
            out += [f"![{IMAGE_TITLES[stem]}]({image_paths[stem]})", ""]
    out += ["## Segments", ""]
    if result.warnings:
        out += [f"> **Warning:** {w}" for w in result.warnings] + [""]
    for segment in result.segments:
        out += [
            f"### {segment.number}. {segment.name}",
            "",
            f"{segment.size:,} customers ({segment.share:.1%}). {_stability_words(segment)}"
            f"{segment.description}",
            "",
            f"**Suggested action:** {segment.action}",
            "",
        ]
    out += ["## Profile", "", _markdown_table(_profile_with_overall(result)), ""]
    if result.drivers is not None and len(result.drivers):
        out += [
            "## Drivers",
            "",
            _DRIVERS_TEXT,
            "",
            _markdown_table(_drivers_table(result).set_index("Segment")),
            "",
        ]
    if result.outliers is not None and len(result.outliers):
        out += [
            "## Extreme customers",
            "",
            _outlier_sentence(result),
            "",
            _markdown_table(_outlier_table(result).set_index("Row")),
            "",
        ]
    if result.scaling is not None and len(result.scaling):
        out += ["## Scaling", "", _markdown_table(_scaling_table(result).set_index("Feature")), ""]
    for stem in ("profile", "pca", "scatter_matrix"):
        if stem in image_paths:
            out += [f"![{IMAGE_TITLES[stem]}]({image_paths[stem]})", ""]
    if comparison is not None:
        out += ["## Hierarchical comparison", "", _comparison_sentence(comparison), ""]
        out += [_markdown_table(comparison.sizes), ""]
        if "dendrogram" in image_paths:
            out += [f"![{IMAGE_TITLES['dendrogram']}]({image_paths['dendrogram']})", ""]
    if result.notes:
        out += ["## Data notes", ""] + [f"- {note}" for note in result.notes] + [""]
    return "\n".join(out)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } .muted { color: #666; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; }
th { background: #f4f4f4; } td:nth-child(2) { text-align: left; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 1em; }
.card { border: 1px solid #ddd; border-left: 6px solid var(--c); border-radius: 6px; padding: 0.6em 1em; }
.card h3 { margin: 0.2em 0; } figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { color: #555; font-size: 0.9em; } .note { background: #fff8e1; padding: 0.5em 1em; }
.scroll { max-height: 32em; overflow: auto; max-width: 100%; }
.scroll th { position: sticky; top: 0; } ul.means { margin: 0.2em 0; padding-left: 1.2em; }
"""


def _img(images: Mapping[str, bytes], stem: str) -> str:
    if stem not in images:
        return ""
    data = base64.b64encode(images[stem]).decode("ascii")
    title = html.escape(IMAGE_TITLES.get(stem, stem))
    return (
        f'<figure><img alt="{title}" src="data:image/png;base64,{data}">'
        f"<figcaption>{title}</figcaption></figure>"
    )


def _html_table(frame: pd.DataFrame, index: bool = True) -> str:
    if index and frame.index.name:
        # The index as an ordinary first column: pandas would otherwise put its name on a
        # header row of its own, empty but for that name.
        frame = frame.reset_index()
        index = False
    table = frame.to_html(escape=True, border=0, na_rep="", index=index)
    # Long or wide tables scroll inside their box instead of stretching the page.
    return f'<div class="scroll">{table}</div>'


_DRIVERS_TEXT = (
    "The features that set each segment apart most: z is the segment mean minus the overall "
    "mean in overall standard deviations (for a category, its share against the overall share)."
)


def _stability_words(segment) -> str:
    if not np.isfinite(segment.stability):
        return ""
    verdict = "stable" if segment.is_stable else "UNSTABLE"
    return f"Stability {segment.stability:.2f} ({verdict}; above {STABLE_JACCARD} is stable). "


def _card_means(result, segment) -> str:
    """The segment's strongest drivers with their means, the same numbers as the profile."""
    if result.drivers is None or not len(result.drivers):
        return ""
    rows = result.drivers[result.drivers["Segment"] == segment.number]
    items = "".join(
        f"<li>{html.escape(str(feature))}: {_number(mean, feature)} "
        f"(all: {_number(overall, feature)})</li>"
        for feature, mean, overall in zip(
            rows["Feature"], rows["Segment mean"], rows["Overall mean"]
        )
    )
    return f'<ul class="means">{items}</ul>'


def _scaling_table(result) -> pd.DataFrame:
    scaling = result.scaling
    return pd.DataFrame(
        {
            "Feature": scaling["Feature"],
            "Scaling": scaling["Scaling"],
            "Skewness": ["" if not np.isfinite(v) else f"{v:.2f}" for v in scaling["Skewness"]],
        }
    )


def render_html(result, images: Mapping[str, bytes] = None, comparison=None) -> str:
    """The report as one self-contained HTML page (images embedded, no external files).

    Parameters
    ----------
    result : SegmentationResult
    images : mapping of str to bytes, optional
        Figure stem to PNG bytes (see :func:`segmentation.plots.make_figures`).
    comparison : HierarchyComparison, optional

    Returns
    -------
    str
    """
    from segmentation.plots import segment_colors

    images = images or {}
    esc = html.escape
    colors = segment_colors(result.k)
    body = [
        f"<h1>Customer segmentation: {result.k} segments</h1>",
        f'<p class="muted">Data: {esc(result.source)}, {len(result.customers):,} customers.'
        f"{esc(_reading(result))} {esc(_features_sentence(result))}</p>",
    ]
    if result.notes:
        body.append(
            '<div class="note"><strong>Data notes</strong><ul>'
            + "".join(f"<li>{esc(n)}</li>" for n in result.notes)
            + "</ul></div>"
        )
    body.append(_img(images, "segments") + _img(images, "pca"))
    body.append("<h2>Segments</h2>")
    if result.warnings:
        body.append(
            '<div class="note"><strong>Warnings</strong><ul>'
            + "".join(f"<li>{esc(w)}</li>" for w in result.warnings)
            + "</ul></div>"
        )
    body.append('<div class="cards">')
    for segment in result.segments:
        r, g, b, _ = (int(255 * c) for c in colors[segment.number - 1])
        body.append(
            f'<div class="card" style="--c: rgb({r},{g},{b})">'
            f"<h3>{segment.number}. {esc(segment.name)}</h3>"
            f"<p><strong>{segment.size:,}</strong> customers ({segment.share:.1%})"
            f"{esc(' · ' + _stability_words(segment).strip()) if np.isfinite(segment.stability) else ''}</p>"
            f"{_card_means(result, segment)}"
            f"<p>{esc(segment.description)}</p>"
            f"<p><strong>Suggested action:</strong> {esc(segment.action)}</p></div>"
        )
    body.append("</div>")
    body.append("<h2>Number of segments</h2>")
    body.append(f"<p>{esc(result.selection.reason)}</p>")
    if len(result.selection.k_values) > 1:
        body.append(_html_table(_selection_table(result), index=False))
    body.append(_img(images, "elbow") + _img(images, "silhouette"))
    body.append("<h2>Profile</h2>")
    body.append(_html_table(_profile_with_overall(result)))
    if result.drivers is not None and len(result.drivers):
        body.append(f"<h2>Drivers</h2><p>{esc(_DRIVERS_TEXT)}</p>")
        body.append(_html_table(_drivers_table(result), index=False))
    if result.outliers is not None and len(result.outliers):
        body.append(f"<h2>Extreme customers</h2><p>{esc(_outlier_sentence(result))}</p>")
        body.append(_html_table(_outlier_table(result), index=False))
    if result.scaling is not None and len(result.scaling):
        body.append("<h2>Scaling</h2>")
        body.append(_html_table(_scaling_table(result), index=False))
    body.append(_img(images, "profile") + _img(images, "scatter_matrix"))
    if comparison is not None:
        body.append("<h2>Hierarchical comparison</h2>")
        body.append(f"<p>{esc(_comparison_sentence(comparison))}</p>")
        body.append(_html_table(comparison.sizes))
        body.append(_img(images, "dendrogram"))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Customer segmentation: {result.k} segments</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(part for part in body if part) + "\n</body></html>\n"
    )
