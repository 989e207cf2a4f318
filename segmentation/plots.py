"""Pictures of a segmentation, drawn with matplotlib and never shown in a window.

Every function draws on a given ``Axes`` (or makes its own ``Figure``) and
returns what it drew on; :func:`make_figures` makes the report's set and
:func:`figure_to_png` renders one to PNG bytes. Figures are built with
:class:`matplotlib.figure.Figure` rather than pyplot, so nothing is kept in
pyplot's global list of open figures and no GUI is needed; the Agg backend is
selected on import when pyplot has not been imported yet, as a safeguard for
code that calls pyplot afterwards on a machine without a display.

Large tables are thinned for drawing only (a random sample of
``max_points`` customers, said in the title); every number comes from all
customers.
"""

from __future__ import annotations

import io
import sys

import matplotlib

if "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

__all__ = [
    "plot_elbow",
    "plot_silhouette",
    "plot_segments",
    "plot_scatter_matrix",
    "plot_profile_bars",
    "plot_dendrogram",
    "plot_pca",
    "principal_components",
    "strongest_columns",
    "make_figures",
    "figure_to_png",
    "segment_colors",
]

#: Customers drawn in a scatter plot before it is thinned to a random sample.
MAX_POINTS = 20_000
_CHOSEN_COLOR = "#d62728"


def segment_colors(n_segments: int) -> list:
    """One colour per segment, in segment order (tab10, or tab20 beyond ten)."""
    cmap = matplotlib.colormaps["tab10" if n_segments <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n_segments)]


def _new_axes(ax, figsize=(6.4, 4.4)):
    if ax is not None:
        return ax
    figure = Figure(figsize=figsize, layout="constrained")
    return figure.add_subplot()


def plot_elbow(selection, ax=None):
    """WCSS against k, with the chosen k (and the elbow, if different) marked.

    Parameters
    ----------
    selection : KSelection
        ``SegmentationResult.selection``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax)
    ks, wcss = selection.k_values, selection.inertia
    ax.plot(ks, wcss, "o-", color="#1f77b4", label="WCSS")
    if selection.k in ks:
        chosen = list(ks).index(selection.k)
        ax.plot(
            [selection.k],
            [wcss[chosen]],
            "o",
            markersize=14,
            markerfacecolor="none",
            markeredgecolor=_CHOSEN_COLOR,
            markeredgewidth=2,
            label=f"chosen k = {selection.k}",
        )
    ax.axvline(selection.k, color=_CHOSEN_COLOR, linestyle="--", linewidth=1)
    if selection.elbow_k is not None and selection.elbow_k != selection.k:
        ax.axvline(
            selection.elbow_k,
            color="grey",
            linestyle=":",
            linewidth=1,
            label=f"elbow at k = {selection.elbow_k}",
        )
    ax.set_xticks(ks)
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("within-cluster sum of squares (scaled units)")
    ax.set_title("Elbow: WCSS against k")
    ax.legend(frameon=False)
    return ax


def plot_silhouette(selection, ax=None):
    """Mean silhouette against k (undefined at k = 1), with the chosen k marked.

    Parameters
    ----------
    selection : KSelection
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax)
    ks, silhouette = selection.k_values, selection.silhouette
    defined = np.isfinite(silhouette)
    ax.plot(ks[defined], silhouette[defined], "o-", color="#2ca02c", label="mean silhouette")
    if selection.k in ks and np.isfinite(silhouette[list(ks).index(selection.k)]):
        value = silhouette[list(ks).index(selection.k)]
        ax.plot(
            [selection.k],
            [value],
            "o",
            markersize=14,
            markerfacecolor="none",
            markeredgecolor=_CHOSEN_COLOR,
            markeredgewidth=2,
            label=f"chosen k = {selection.k}",
        )
    ax.axvline(selection.k, color=_CHOSEN_COLOR, linestyle="--", linewidth=1)
    ax.set_xticks(ks)
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("mean silhouette (higher is better)")
    title = "Silhouette against k"
    if selection.silhouette_sample_size:
        title += f" (random sample of {selection.silhouette_sample_size:,} customers)"
    ax.set_title(title)
    ax.legend(frameon=False)
    return ax


def _sample_rows(n_rows: int, max_points: int, random_state=0) -> np.ndarray:
    if n_rows <= max_points:
        return np.arange(n_rows)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n_rows, size=max_points, replace=False))


def _numeric_columns(result) -> list[str]:
    return [f.encoded_columns[0] for f in result.features if not f.is_categorical]


def plot_segments(
    result, x: str | None = None, y: str | None = None, ax=None, max_points=MAX_POINTS
):
    """The customers in the plane of two features, coloured by segment, centroids marked.

    Parameters
    ----------
    result : SegmentationResult
    x, y : str, optional
        Feature columns for the axes; default the first two numeric features
        (income and spending score in the classic analysis).
    ax : matplotlib.axes.Axes, optional
    max_points : int
        Draw at most this many customers (a random sample) to keep the picture
        readable and quick.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax, figsize=(8, 6))
    numeric = _numeric_columns(result)
    if len(numeric) > 2:
        # Many features: the plane of the two that separate the segments most.
        strongest = strongest_columns(result, len(result.feature_values.columns))
        ranked = [c for c in _rank_by_strength(result, strongest) if c in numeric]
        numeric = ranked[:2] + [c for c in numeric if c not in ranked[:2]]
    all_columns = list(result.feature_values.columns)
    x = x or (numeric[0] if numeric else all_columns[0])
    others = [c for c in (numeric or all_columns) if c != x] or [c for c in all_columns if c != x]
    y = y or (others[0] if others else None)
    rows = _sample_rows(len(result.labels), max_points)
    labels = result.labels[rows]
    xs = result.feature_values[x].to_numpy()[rows]
    # With a single feature, spread the points vertically at random so they can be seen.
    ys = (
        result.feature_values[y].to_numpy()[rows]
        if y is not None
        else np.random.default_rng(0).uniform(-1, 1, len(rows))
    )
    colors = segment_colors(result.k)
    point_size = 18 if len(rows) <= 2_000 else 4
    for segment in result.segments:
        members = labels == segment.number
        ax.scatter(
            xs[members],
            ys[members],
            s=point_size,
            color=colors[segment.number - 1],
            alpha=0.75,
            linewidths=0,
            label=f"{segment.number}. {segment.name} ({segment.size:,})",
        )
    for segment in result.segments:
        cx = segment.centroid[x]
        cy = segment.centroid[y] if y is not None else 0.0
        ax.scatter(
            [cx],
            [cy],
            marker="X",
            s=180,
            color=colors[segment.number - 1],
            edgecolors="black",
            linewidths=1.2,
            zorder=3,
        )
        ax.annotate(
            segment.name,
            (cx, cy),
            xytext=(0, 12),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            fontweight="bold",
            bbox=dict(boxstyle="round,pad=0.2", facecolor="white", alpha=0.8, linewidth=0),
        )
    ax.set_xlabel(x)
    ax.set_ylabel(y if y is not None else "(random vertical spread)")
    title = f"{result.k} customer segments"
    if "synthetic" in result.source:
        title += " of synthetic customers"
    if len(rows) < len(result.labels):
        title += f" (random {len(rows):,} of {len(result.labels):,} customers shown)"
    ax.set_title(title)
    ax.legend(
        fontsize=8,
        loc="best",
        frameon=True,
        framealpha=0.85,
        markerscale=2 if point_size < 10 else 1,
    )
    return ax


def strongest_columns(result, n_columns: int) -> list[str]:
    """The encoded feature columns that separate the segments most, in table order.

    A column's strength is the largest |z| of a segment mean against the overall
    mean (the z-scores of the drivers table).
    """
    values = result.feature_values
    columns = list(values.columns)
    if len(columns) <= n_columns:
        return columns
    means = np.vstack([s.centroid[columns].to_numpy(dtype=float) for s in result.segments])
    overall = result.overall_means[columns].to_numpy(dtype=float)
    spread = values.std(ddof=0).to_numpy()
    spread = np.where(spread > 0, spread, 1.0)
    strength = np.max(np.abs(means - overall) / spread, axis=0)
    keep = set(np.argsort(-strength, kind="stable")[:n_columns])
    return [c for i, c in enumerate(columns) if i in keep]


def _rank_by_strength(result, columns) -> list[str]:
    means = np.vstack([s.centroid[columns].to_numpy(dtype=float) for s in result.segments])
    overall = result.overall_means[columns].to_numpy(dtype=float)
    spread = result.feature_values[columns].std(ddof=0).to_numpy()
    spread = np.where(spread > 0, spread, 1.0)
    strength = np.max(np.abs(means - overall) / spread, axis=0)
    return [columns[i] for i in np.argsort(-strength, kind="stable")]


def principal_components(scaled: np.ndarray, n_components: int = 2):
    """Project rows on their first principal components (numpy SVD, no scikit-learn).

    Returns
    -------
    projected : numpy.ndarray, shape (n_rows, n_components)
    explained : numpy.ndarray
        Share of the total variance each component explains.
    mean, components : numpy.ndarray
        To project other points: ``(x - mean) @ components.T``.
    """
    array = np.asarray(scaled, dtype=np.float64)
    mean = array.mean(axis=0)
    centred = array - mean
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    # Fix the sign of each component (largest loading positive) so pictures do not flip.
    signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    vt = vt * signs[:, None]
    total = float(np.sum(singular**2)) or 1.0
    components = vt[:n_components]
    return centred @ components.T, singular[:n_components] ** 2 / total, mean, components


def plot_pca(result, ax=None, max_points=MAX_POINTS):
    """The customers on their first two principal components (of the scaled features).

    Every feature counts, so this shows how well the segments separate when there
    are too many features to look at in pairs.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax, figsize=(8, 6))
    projected, explained, _, _ = principal_components(result.scaled_features)
    if projected.shape[1] < 2:
        projected = np.column_stack([projected, np.zeros(len(projected))])
        explained = np.append(explained, 0.0)
    rows = _sample_rows(len(result.labels), max_points)
    labels = result.labels[rows]
    colors = segment_colors(result.k)
    point_size = 14 if len(rows) <= 2_000 else 4
    for segment in result.segments:
        members = labels == segment.number
        ax.scatter(
            projected[rows][members, 0],
            projected[rows][members, 1],
            s=point_size,
            color=colors[segment.number - 1],
            alpha=0.7,
            linewidths=0,
            label=f"{segment.number}. {segment.name} ({segment.size:,})",
        )
    ax.set_xlabel(f"first principal component ({explained[0]:.0%} of the variance)")
    ax.set_ylabel(f"second principal component ({explained[1]:.0%} of the variance)")
    title = f"{result.k} segments, all {result.feature_values.shape[1]} feature columns"
    if len(rows) < len(result.labels):
        title += f" (random {len(rows):,} of {len(result.labels):,} shown)"
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best", frameon=True, framealpha=0.85)
    return ax


#: With more feature columns than this, the scatter matrix shows only the strongest.
MAX_MATRIX_COLUMNS = 5
#: Panels of the profile bar chart, at most (the strongest drivers).
MAX_PROFILE_PANELS = 9


def plot_scatter_matrix(result, max_points=2_500, max_columns=MAX_MATRIX_COLUMNS) -> Figure:
    """Pairs of features, coloured by segment; histograms on the diagonal.

    Parameters
    ----------
    result : SegmentationResult
    max_points : int
        Draw at most this many customers (a random sample).
    max_columns : int
        With more feature columns than this, only the ``max_columns`` that
        separate the segments most (see :func:`strongest_columns`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    columns = strongest_columns(result, max_columns)
    n = len(columns)
    figure = Figure(figsize=(2.4 * n + 1, 2.4 * n + 0.6), layout="constrained")
    axes = figure.subplots(n, n, squeeze=False)
    rows = _sample_rows(len(result.labels), max_points)
    labels = result.labels[rows]
    values = result.feature_values[columns].to_numpy()[rows]
    colors = segment_colors(result.k)
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            if i == j:
                edges = np.histogram_bin_edges(values[:, j], bins=20)
                for segment in result.segments:
                    ax.hist(
                        values[labels == segment.number, j],
                        bins=edges,
                        histtype="step",
                        color=colors[segment.number - 1],
                        linewidth=1.2,
                    )
            else:
                for segment in result.segments:
                    members = labels == segment.number
                    ax.scatter(
                        values[members, j],
                        values[members, i],
                        s=3,
                        color=colors[segment.number - 1],
                        alpha=0.6,
                        linewidths=0,
                    )
            if i == n - 1:
                ax.set_xlabel(columns[j], fontsize=8)
            else:
                ax.set_xticklabels([])
            if j == 0:
                ax.set_ylabel(columns[i], fontsize=8)
            elif i != j:
                ax.set_yticklabels([])
            ax.tick_params(labelsize=7)
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=colors[s.number - 1],
            label=f"{s.number}. {s.name}",
        )
        for s in result.segments
    ]
    figure.legend(
        handles=handles,
        loc="outside upper center",
        ncols=min(3, result.k),
        fontsize=8,
        frameon=False,
    )
    if n < result.feature_values.shape[1]:
        figure.suptitle(
            f"The {n} of {result.feature_values.shape[1]} feature columns that "
            "separate the segments most",
            fontsize=10,
        )
    return figure


def plot_profile_bars(result) -> Figure:
    """Mean of each feature per segment, against the overall mean (dashed).

    Parameters
    ----------
    result : SegmentationResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    columns = strongest_columns(result, MAX_PROFILE_PANELS)
    n_panels = len(columns)
    n_cols = min(3, n_panels)
    n_rows = (n_panels + n_cols - 1) // n_cols
    figure = Figure(figsize=(4.3 * n_cols, 3.3 * n_rows + 0.4), layout="constrained")
    axes = figure.subplots(n_rows, n_cols, squeeze=False).ravel()
    colors = segment_colors(result.k)
    numbers = [s.number for s in result.segments]
    overall = result.overall_means
    for ax, column in zip(axes, columns):
        means = [s.centroid[column] for s in result.segments]
        ax.bar(numbers, means, color=colors[: len(numbers)])
        ax.axhline(
            overall[column], color="black", linestyle="--", linewidth=1, label="all customers"
        )
        ax.set_title(column if "=" not in column else f"share {column}", fontsize=10)
        ax.set_xticks(numbers)
        ax.set_xlabel("segment")
        ax.tick_params(labelsize=8)
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8, frameon=False)
    figure.suptitle("Segment centroids in original units (dashed: all customers)")
    return figure


def plot_dendrogram(comparison, ax=None):
    """Ward's dendrogram from a :class:`~segmentation.compare.HierarchyComparison`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax, figsize=(9, 4.8))
    comparison.plot_dendrogram(ax=ax)
    sample = " (random sample)" if comparison.sampled else ""
    ax.set_title(
        f"Ward's hierarchical clustering of {comparison.n_compared:,} customers{sample}; "
        f"ARI against K-Means = {comparison.ari:.2f}",
        fontsize=10,
    )
    return ax


def make_figures(result, comparison=None) -> dict[str, Figure]:
    """The report's figures, by file stem.

    ``elbow``, ``silhouette`` and ``segments`` always; ``scatter_matrix`` when
    there are more than two feature columns (the five strongest when there are
    more); ``pca`` when there are more than five; ``profile``; ``dendrogram``
    when a hierarchical comparison is given.
    """
    figures = {}
    if len(result.selection.k_values) > 1:
        figures["elbow"] = plot_elbow(result.selection).figure
        if np.isfinite(result.selection.silhouette).any():
            figures["silhouette"] = plot_silhouette(result.selection).figure
    figures["segments"] = plot_segments(result).figure
    if result.feature_values.shape[1] > 2:
        figures["scatter_matrix"] = plot_scatter_matrix(result)
    if result.feature_values.shape[1] > MAX_MATRIX_COLUMNS:
        figures["pca"] = plot_pca(result).figure
    figures["profile"] = plot_profile_bars(result)
    if comparison is not None:
        figures["dendrogram"] = plot_dendrogram(comparison).figure
    return figures


def figure_to_png(figure: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
