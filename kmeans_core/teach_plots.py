"""Pictures of a K-Means fit on 2-D data: one figure per stage, an animated GIF.

Drawing is kept apart from the numerics: :mod:`kmeans_core.teach` yields the
stages, this module only draws them. Figures are built on
``matplotlib.figure.Figure`` directly, never through ``pyplot``, so nothing
here changes the caller's matplotlib backend or leaves figures open; the
animation is written with matplotlib's Pillow writer.

* :func:`plot_stage` -- one stage on one axes (seeding probabilities,
  assignment regions, update arrows, the converged result);
* :func:`plot_inertia` -- the inertia after every assignment and update step
  (or, during seeding, the potential after every chosen center);
* :func:`save_stage_figures` -- one PNG per stage, both panels;
* :func:`write_animation` -- the same frames as a GIF;
* :func:`plot_distance_counts` -- distances computed per iteration, by
  algorithm (see :func:`kmeans_core.teach.distance_counts`);
* :func:`plot_history` -- ``KMeans(record_history=True).history_`` as curves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kmeans_core import reference
from kmeans_core._validation import check_array

__all__ = [
    "plot_stage",
    "plot_inertia",
    "save_stage_figures",
    "write_animation",
    "plot_distance_counts",
    "plot_history",
    "cluster_colors",
]

_GRID_POINTS = 160  # per side of the grid that paints the assignment regions
_FRAME_SIZE = (10.0, 4.6)  # inches, both panels
_STAGE_TITLE_SIZE = 10


def _figure(figsize):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _axes(ax, figsize):
    """``ax``, or the axes of a new figure of ``figsize`` when it is None."""
    return _figure(figsize).add_subplot() if ax is None else ax


def cluster_colors(n_clusters):
    """RGBA colors of clusters 0..n_clusters-1, shape (n_clusters, 4).

    matplotlib's "tab10" cycle, or "tab20" for more than 10 clusters.
    """
    from matplotlib import colormaps

    palette = colormaps["tab10"] if n_clusters <= 10 else colormaps["tab20"]
    return np.array([palette(j % palette.N) for j in range(n_clusters)])


def _check_points(X):
    X = check_array(X, dtype=np.float64, estimator="kmeans_core.teach_plots")
    if X.shape[1] != 2:
        raise ValueError(
            f"The pictures need 2-D data (2 features); X has {X.shape[1]} features. Plot two "
            "of its columns, or a 2-D projection (e.g. the first two principal components)."
        )
    return X


def _check_stages(stages, X):
    stages = list(stages)
    if not stages:
        raise ValueError("stages is empty: pass the stages of kmeans_steps(...).")
    for stage in stages:
        kind = getattr(stage, "kind", None)
        if kind not in ("seeding", "assignment", "update", "converged"):
            raise ValueError(
                f"stages must come from kmeans_core.teach.kmeans_steps, got {type(stage).__name__}."
            )
        labels = getattr(stage, "labels", None)
        size = len(labels) if labels is not None else len(stage.probabilities)
        if size != X.shape[0]:
            raise ValueError(
                f"The stages describe {size} samples but X has {X.shape[0]}: pass the X the "
                "stages were computed from."
            )
        if stage.centers.shape[1] != 2:
            raise ValueError(
                f"The pictures need 2-D data (2 features); the centers have "
                f"{stage.centers.shape[1]} features."
            )
    return stages


def _limits(X):
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.06 * np.where(high > low, high - low, 1.0)
    return low - margin, high + margin


# ---------------------------------------------------------------------------
# One stage
# ---------------------------------------------------------------------------


def plot_stage(stage, X, ax=None, *, regions=True, equal_aspect=True, limits=None, title=None):
    """Draw one stage of :func:`kmeans_core.teach.kmeans_steps` on 2-D data.

    * seeding: each point colored (and sized) by its chance of being drawn,
      the candidates circled, the chosen one a star, earlier centers crosses;
    * assignment: the regions each center wins (painted lightly), points in
      their new cluster's color;
    * update: arrows from the old centers to the new ones (the means);
    * converged: the final clusters and centers.

    Parameters
    ----------
    stage : SeedingStep, AssignmentStep, UpdateStep or Converged
    X : array-like of shape (n_samples, 2)
        The data the stage was computed from.
    ax : matplotlib Axes, optional
        Drawn into; a new figure is made when None (``ax.figure`` to save it).
    regions : bool, default=True
        Paint the nearest-center regions (assignment and converged stages).
    equal_aspect : bool, default=True
        Same scale on both axes, so distances look like distances. Turn off
        for features on very different scales.
    limits : (low, high) pair of length-2 arrays, optional
        Axis limits; by default the data's range with a margin.
    title : str, optional
        Replaces the stage's own description.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        When X does not have exactly 2 features or does not match the stage.
    """
    X = _check_points(X)
    _check_stages([stage], X)
    ax = _axes(ax, (5.0, 4.6))
    low, high = limits if limits is not None else _limits(X)
    n_clusters = stage.n_clusters if stage.kind == "seeding" else stage.centers.shape[0]
    colors = cluster_colors(n_clusters)
    draw = {
        "seeding": _draw_seeding,
        "assignment": _draw_assignment,
        "update": _draw_update,
        "converged": _draw_converged,
    }[stage.kind]
    default_title = draw(ax, stage, X, colors, regions, (low, high))
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_aspect("equal" if equal_aspect else "auto", adjustable="box")
    ax.set_title(default_title if title is None else title, fontsize=_STAGE_TITLE_SIZE)
    ax.tick_params(labelsize=8)
    return ax


def _draw_centers(ax, centers, *, faded=False):
    ax.scatter(
        centers[:, 0],
        centers[:, 1],
        marker="X",
        s=150 if not faded else 90,
        c="black" if not faded else "0.6",
        edgecolors="white",
        linewidths=1.2,
        zorder=5,
    )


def _draw_regions(ax, centers, colors, limits):
    from matplotlib.colors import ListedColormap

    low, high = limits
    xs = np.linspace(low[0], high[0], _GRID_POINTS)
    ys = np.linspace(low[1], high[1], _GRID_POINTS)
    grid = np.column_stack(
        [np.repeat(xs[None, :], len(ys), 0).ravel(), np.repeat(ys[:, None], len(xs), 1).ravel()]
    )
    owner = reference.assign(grid, centers).reshape(len(ys), len(xs))
    ax.imshow(
        owner,
        extent=(low[0], high[0], low[1], high[1]),
        origin="lower",
        cmap=ListedColormap(colors[: centers.shape[0]]),
        vmin=-0.5,
        vmax=centers.shape[0] - 0.5,
        alpha=0.13,
        interpolation="nearest",
        aspect="auto",
        zorder=0,
    )


def _draw_points(ax, X, labels, colors):
    ax.scatter(X[:, 0], X[:, 1], c=colors[labels], s=14, linewidths=0, zorder=2)


def _draw_seeding(ax, stage, X, colors, regions, limits):
    probabilities = stage.probabilities
    if stage.index == 0 or stage.method == "random":
        # Drawn by weight alone: D^2 plays no part, so there is nothing to color.
        ax.scatter(X[:, 0], X[:, 1], c="0.55", s=14, linewidths=0, zorder=2)
    else:
        scaled = probabilities / probabilities.max()
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=scaled,
            cmap="YlOrRd",
            vmin=-0.15,
            vmax=1.0,
            s=8 + 70 * scaled,
            linewidths=0.3,
            edgecolors="0.5",
            zorder=2,
        )
    if stage.index > 0:
        _draw_centers(ax, stage.centers[:-1])
    candidates = X[stage.candidates]
    ax.scatter(
        candidates[:, 0],
        candidates[:, 1],
        s=220,
        facecolors="none",
        edgecolors="black",
        linewidths=1.2,
        zorder=4,
    )
    chosen = X[stage.chosen]
    ax.scatter(
        [chosen[0]],
        [chosen[1]],
        marker="*",
        s=420,
        c=[colors[stage.index]],
        edgecolors="black",
        linewidths=1.0,
        zorder=6,
    )
    position = f"Seeding {stage.index + 1}/{stage.n_clusters}"
    if stage.index == 0:
        return f"{position}: the first center, drawn at random\n(in proportion to weight)"
    if stage.method == "random":
        return (
            f"{position}: drawn at random among the points left\n"
            "(in proportion to weight; D² plays no part)"
        )
    return (
        f"{position}: {len(stage.candidates)} candidates drawn with chance ∝ D²\n"
        "(bigger, redder = likelier); the star lowers Σ w·D² most"
    )


def _draw_assignment(ax, stage, X, colors, regions, limits):
    if regions:
        _draw_regions(ax, stage.centers, colors, limits)
    _draw_points(ax, X, stage.labels, colors)
    _draw_centers(ax, stage.centers)
    if stage.final:
        return (
            f"Final assignment: labels match the final centers\n"
            f"{stage.n_changed} changed · inertia {stage.inertia:.4g}"
        )
    return (
        f"Iteration {stage.iteration} · assign: each point joins its nearest center\n"
        f"{stage.n_changed} labels changed · inertia {stage.inertia:.4g}"
    )


def _draw_update(ax, stage, X, colors, regions, limits):
    _draw_points(ax, X, stage.labels, colors)
    _draw_centers(ax, stage.previous_centers, faded=True)
    for old, new in zip(stage.previous_centers, stage.centers):
        if np.any(old != new):
            ax.annotate(
                "",
                xy=new,
                xytext=old,
                zorder=4,
                arrowprops=dict(arrowstyle="-|>", color="black", lw=1.4, shrinkA=0, shrinkB=4),
            )
    _draw_centers(ax, stage.centers)
    for cluster, row in stage.relocated:
        ax.scatter(
            [X[row, 0]],
            [X[row, 1]],
            s=300,
            facecolors="none",
            edgecolors=[colors[cluster]],
            linewidths=2.0,
            zorder=6,
        )
    note = f" · {len(stage.relocated)} empty cluster(s) relocated" if stage.relocated else ""
    return (
        f"Iteration {stage.iteration} · update: each center moves to its points' mean\n"
        f"center shift² {stage.center_shift:.3g} · inertia {stage.inertia:.4g}{note}"
    )


def _draw_converged(ax, stage, X, colors, regions, limits):
    if regions:
        _draw_regions(ax, stage.centers, colors, limits)
    _draw_points(ax, X, stage.labels, colors)
    _draw_centers(ax, stage.centers)
    return (
        f"Converged after {stage.n_iter} iteration{'s' if stage.n_iter > 1 else ''} "
        f"({stage.reason})\ninertia {stage.inertia:.4g}"
    )


# ---------------------------------------------------------------------------
# The inertia panel
# ---------------------------------------------------------------------------


def _iteration_points(stages):
    """(x, inertia, kind, stage position) of every assignment/update stage.

    The assignment of iteration t sits at t - 0.5 and its update at t, so
    the curve reads as a staircase over iterations; a final assignment sits
    half an iteration after the last update.
    """
    points = []
    for position, stage in enumerate(stages):
        if stage.kind == "assignment":
            x = stage.iteration + 0.5 if stage.final else stage.iteration - 0.5
            points.append((x, stage.inertia, "assignment", position))
        elif stage.kind == "update":
            points.append((float(stage.iteration), stage.inertia, "update", position))
    return points


def plot_inertia(stages, ax=None, *, current=None):
    """Inertia after every assignment and update step; the seeding potential during seeding.

    Parameters
    ----------
    stages : list of stages
        All the stages of one run (``list(kmeans_steps(...))``).
    ax : matplotlib Axes, optional
    current : int, optional
        Position in ``stages`` of the stage being shown. Stages after it are
        drawn faded (so the axes stay the same from frame to frame); when it
        is a seeding stage the panel shows the potential ``sum(w * D^2)``
        after each chosen center instead. None shows the whole run.

    Returns
    -------
    matplotlib.axes.Axes
    """
    stages = list(stages)
    if not stages:
        raise ValueError("stages is empty: pass the stages of kmeans_steps(...).")
    ax = _axes(ax, (5.0, 4.0))
    position = len(stages) - 1 if current is None else int(current)
    if not 0 <= position < len(stages):
        raise ValueError(f"current must be in 0..{len(stages) - 1}, got {current!r}.")
    if stages[position].kind == "seeding":
        _plot_seeding_potential(ax, stages, position)
    else:
        _plot_iteration_inertia(ax, stages, position)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    return ax


def _plot_seeding_potential(ax, stages, position):
    seeding = [stage for stage in stages if stage.kind == "seeding"]
    steps = np.arange(1, len(seeding) + 1)
    potentials = np.array([stage.inertia for stage in seeding])
    shown = steps <= position + 1
    ax.bar(steps, potentials, color=np.where(shown, "tab:red", "0.85"), width=0.6)
    ax.set_xticks(steps)
    ax.set_xlabel("centers chosen", fontsize=9)
    ax.set_ylabel("potential Σ w·D²", fontsize=9)
    ax.set_title("Seeding: the potential falls with every center", fontsize=_STAGE_TITLE_SIZE)


def _plot_iteration_inertia(ax, stages, position):
    points = _iteration_points(stages)
    if not points:
        return
    xs = np.array([x for x, _, _, _ in points])
    values = np.array([value for _, value, _, _ in points])
    done = np.array([where <= position for _, _, _, where in points])
    ax.plot(xs, values, color="0.85", lw=1.5, zorder=1)
    ax.plot(xs[done], values[done], color="tab:blue", lw=1.5, zorder=2)
    for kind, marker, name in (
        ("assignment", "o", "after assign"),
        ("update", "s", "after update"),
    ):
        mask = np.array([k == kind for _, _, k, _ in points])
        ax.scatter(xs[mask & ~done], values[mask & ~done], marker=marker, s=28, c="0.85", zorder=2)
        ax.scatter(
            xs[mask & done],
            values[mask & done],
            marker=marker,
            s=28,
            c="tab:blue" if kind == "assignment" else "tab:orange",
            zorder=3,
            label=name,
        )
    now = [i for i, (_, _, _, where) in enumerate(points) if where == position]
    if now:
        ax.scatter(
            xs[now],
            values[now],
            s=160,
            facecolors="none",
            edgecolors="black",
            linewidths=1.5,
            zorder=4,
        )
    ax.set_xlabel("iteration", fontsize=9)
    ax.set_ylabel("inertia Σ w·‖x − c‖²", fontsize=9)
    ax.set_title("Inertia never rises", fontsize=_STAGE_TITLE_SIZE)
    ax.legend(fontsize=8, loc="upper right")
    # Integer iterations only: a half step is the assignment inside one.
    last = int(np.ceil(xs.max()))
    ax.set_xticks(np.arange(1, last + 1, max(1, last // 10)))
    spread = values.max() - values.min()
    pad = 0.08 * spread if spread > 0 else 0.05 * max(abs(values.max()), 1.0)
    ax.set_ylim(values.min() - pad, values.max() + pad)


# ---------------------------------------------------------------------------
# Frames: figures and the animation
# ---------------------------------------------------------------------------


def _frame_figure():
    from matplotlib.figure import Figure

    return Figure(figsize=_FRAME_SIZE)


def _draw_frame(fig, stages, position, X, limits, title, regions, equal_aspect):
    fig.clear()
    # A fixed layout, the same for every frame: the panels do not jump between
    # frames, and it draws in about half the time of a constrained layout.
    left, right = fig.subplots(
        1,
        2,
        gridspec_kw={
            "width_ratios": [1.15, 1.0],
            "left": 0.065,
            "right": 0.985,
            "bottom": 0.11,
            "top": 0.80 if title else 0.86,
            "wspace": 0.22,
        },
    )
    plot_stage(stages[position], X, left, regions=regions, equal_aspect=equal_aspect, limits=limits)
    plot_inertia(stages, right, current=position)
    if title:
        fig.suptitle(title, fontsize=11)


def save_stage_figures(
    stages, X, out_dir, *, dpi=80, prefix="stage", title=None, regions=True, equal_aspect=True
):
    """Write one PNG per stage (the stage beside the inertia panel).

    Parameters
    ----------
    stages : iterable of stages
        From :func:`kmeans_core.teach.kmeans_steps`.
    X : array-like of shape (n_samples, 2)
    out_dir : str or Path
        Created if needed. Files are ``{prefix}_{NN}_{kind}.png``.
    dpi : int, default=80
    prefix, title : str, optional
    regions, equal_aspect : bool
        As in :func:`plot_stage`.

    Returns
    -------
    list of Path
        The files written, in stage order.

    Raises
    ------
    ValueError
        When X is not 2-D data matching the stages, or there are no stages.
    """
    X = _check_points(X)
    stages = _check_stages(stages, X)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    limits = _limits(X)
    fig = _frame_figure()
    width = len(str(len(stages) - 1))
    written = []
    for position, stage in enumerate(stages):
        _draw_frame(fig, stages, position, X, limits, title, regions, equal_aspect)
        path = out_dir / f"{prefix}_{position:0{max(2, width)}d}_{stage.kind}.png"
        fig.savefig(path, dpi=dpi)
        written.append(path)
    return written


def write_animation(
    stages, X, path, *, fps=1.5, dpi=72, title=None, hold_last=3, regions=True, equal_aspect=True
):
    """Write the whole run as an animated GIF (matplotlib's Pillow writer).

    One frame per stage, in order: the seeding steps (with the potential
    bars), then assignment and update alternating with the inertia curve
    growing beside them, then the converged result, held for ``hold_last``
    extra frames.

    Parameters
    ----------
    stages : iterable of stages
        From :func:`kmeans_core.teach.kmeans_steps`.
    X : array-like of shape (n_samples, 2)
    path : str or Path
        The ``.gif`` file to write; its folder is created if needed.
    fps : float, default=1.5
        Frames per second.
    dpi : int, default=72
        10 x 4.6 inch frames: 720 x 331 pixels at 72 dpi.
    title : str, optional
        A title above both panels.
    hold_last : int, default=3
        Extra copies of the last frame, so the result stays on screen.
    regions, equal_aspect : bool
        As in :func:`plot_stage`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        When X is not 2-D data matching the stages, there are no stages, the
        file name does not end in ``.gif``, or ``fps`` is not positive.
    """
    from matplotlib.animation import PillowWriter

    X = _check_points(X)
    stages = _check_stages(stages, X)
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"The animation is written as a GIF: path must end in .gif, got {path}.")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    limits = _limits(X)
    fig = _frame_figure()
    writer = PillowWriter(fps=fps)
    with writer.saving(fig, str(path), dpi):
        for position in range(len(stages)):
            _draw_frame(fig, stages, position, X, limits, title, regions, equal_aspect)
            writer.grab_frame()
        for _ in range(hold_last):
            writer.grab_frame()
    return path


# ---------------------------------------------------------------------------
# Distance counts and KMeans history
# ---------------------------------------------------------------------------


def plot_distance_counts(counts, ax=None, *, log=True):
    """Sample-to-center distances computed per iteration, one line per algorithm.

    Parameters
    ----------
    counts : iterable of DistanceCounts
        From :func:`kmeans_core.teach.distance_counts`, on the same data.
    ax : matplotlib Axes, optional
    log : bool, default=True
        Log scale on the y axis (the bounds-based counts fall by orders of
        magnitude once few points move).

    Returns
    -------
    matplotlib.axes.Axes
    """
    counts = list(counts)
    if not counts:
        raise ValueError("counts is empty: pass one or more distance_counts(...) results.")
    ax = _axes(ax, (6.0, 4.0))
    styles = {"lloyd": ("o", "tab:gray"), "hamerly": ("s", "tab:blue"), "elkan": ("^", "tab:green")}
    for result in counts:
        marker, color = styles.get(result.algorithm, ("D", None))
        iterations = np.arange(1, len(result.point_center) + 1)
        total = int(result.point_center.sum())
        share = total / (result.lloyd_per_iteration * len(result.point_center))
        ax.plot(
            iterations,
            np.maximum(result.point_center, 0.5),
            marker=marker,
            color=color,
            ms=4,
            label=f"{result.algorithm}: {total:,} in all ({share:.0%} of Lloyd's)",
        )
    ax.set_xlabel("iteration")
    ax.set_ylabel("sample-to-center distances computed")
    if log:
        ax.set_yscale("log")
    first = counts[0]
    ax.set_title(
        f"Distance computations, n={first.n_samples}, k={first.n_clusters}",
        fontsize=_STAGE_TITLE_SIZE,
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return ax


def plot_history(history, axes=None):
    """Plot ``KMeans(record_history=True).history_``: inertia and center shift per iteration.

    Parameters
    ----------
    history : list of dict
        ``model.history_``: ``iteration`` (from 0), ``inertia`` (before the
        update), ``center_shift`` (squared), ``centers`` (after the update).
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    (Axes, Axes)
        The inertia axes and the center-shift axes (log scale).
    """
    history = list(history)
    if not history:
        raise ValueError("history is empty: fit KMeans(record_history=True) first.")
    if axes is None:
        axes = _figure((8.0, 3.2)).subplots(1, 2)
    inertia_ax, shift_ax = axes
    iterations = np.array([record["iteration"] for record in history]) + 1
    inertia_ax.plot(iterations, [record["inertia"] for record in history], "o-", ms=4)
    inertia_ax.set_xlabel("iteration")
    inertia_ax.set_ylabel("inertia (after assignment)")
    shifts = np.array([record["center_shift"] for record in history])
    shift_ax.semilogy(
        iterations, np.maximum(shifts, np.finfo(float).tiny), "s-", ms=4, color="tab:orange"
    )
    shift_ax.set_xlabel("iteration")
    shift_ax.set_ylabel("center shift² (total)")
    for ax in axes:
        ax.grid(alpha=0.3)
    return inertia_ax, shift_ax
