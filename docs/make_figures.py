"""Regenerate every figure of docs/tutorial.md (and the README's animation).

    python docs/make_figures.py                 # all figures into docs/figures/
    python docs/make_figures.py --only seeding  # one figure
    python docs/make_figures.py --list

Every figure is drawn from data made here with fixed seeds, so a rerun gives
the same pictures. Figures are built on ``matplotlib.figure.Figure`` (no
pyplot) and written at a modest resolution to keep docs/figures/ small.
Numbers the tutorial quotes are printed as the figures are made.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kmeans_core import KMeans, find_knee, silhouette_score, teach
from kmeans_core.teach import distance_counts, kmeans_steps, teaching_data
from kmeans_core.teach_plots import (
    cluster_colors,
    plot_distance_counts,
    plot_history,
    plot_inertia,
    plot_stage,
)

FIGURES = Path(__file__).resolve().parent / "figures"
DPI = 80


def _save(fig, out, name):
    path = out / name
    fig.savefig(path, dpi=DPI)
    print(f"wrote {path}")
    return path


def _grid_blobs(n_per_blob=60, random_state=0):
    """Six tight, well-separated blobs on a 3 x 2 grid: the right k is obvious."""
    rng = np.random.RandomState(random_state)
    centers = np.array([[0, 0], [6, 0], [12, 0], [0, 6], [6, 6], [12, 6]], dtype=float)
    groups = np.repeat(np.arange(len(centers)), n_per_blob)
    return centers[groups] + rng.standard_normal((len(groups), 2)) * 0.8, groups


def _many_blobs(n_samples=5000, n_blobs=15, random_state=0):
    """A larger 2-D mixture of overlapping blobs (fits take a few dozen iterations)."""
    rng = np.random.RandomState(random_state)
    centers = rng.uniform(-20, 20, size=(n_blobs, 2))
    groups = rng.randint(n_blobs, size=n_samples)
    return centers[groups] + rng.standard_normal((n_samples, 2)) * 3.0, groups


# ---------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------


def figure_objective(out):
    """Inertia as the sum of squared segment lengths, point to center."""
    X, _ = teaching_data("blobs", n_samples=300, random_state=0)
    final = list(kmeans_steps(X, 4, random_state=0))[-1]
    colors = cluster_colors(4)
    fig = Figure(figsize=(5.6, 5.0), layout="constrained")
    ax = fig.add_subplot()
    for point, label in zip(X, final.labels):
        center = final.centers[label]
        ax.plot(
            [point[0], center[0]], [point[1], center[1]], color=colors[label], lw=0.6, alpha=0.6
        )
    ax.scatter(X[:, 0], X[:, 1], c=colors[final.labels], s=10, zorder=2)
    ax.scatter(
        final.centers[:, 0],
        final.centers[:, 1],
        marker="X",
        s=160,
        c="black",
        edgecolors="white",
        zorder=3,
    )
    ax.set_aspect("equal")
    ax.set_title(
        f"inertia = sum of the squared lengths of these segments = {final.inertia:.1f}", fontsize=10
    )
    print(f"objective: inertia {final.inertia:.1f}")
    return [_save(fig, out, "objective.png")]


def figure_two_steps(out):
    """Iteration 1 of the README run: assignment, update, and the whole inertia curve."""
    X, _ = teaching_data("blobs", n_samples=300, random_state=0)
    stages = list(kmeans_steps(X, 4, random_state=0))
    assignment = next(s for s in stages if s.kind == "assignment")
    update = next(s for s in stages if s.kind == "update")
    fig = Figure(figsize=(14.0, 4.6), layout="constrained")
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.05]})
    plot_stage(assignment, X, axes[0])
    plot_stage(update, X, axes[1])
    plot_inertia(stages, axes[2])
    print(
        f"two_steps: {stages[-1].n_iter} iterations, inertia after each stage:",
        ", ".join(f"{s.inertia:.1f}" for s in stages if s.kind in ("assignment", "update")),
    )
    return [_save(fig, out, "two_steps.png")]


def figure_animation(out):
    """The README animation: exactly what ``python -m kmeans_core.teach --out DIR`` writes."""
    status = teach.main(["--out", str(out)])
    if status != 0:
        raise RuntimeError("python -m kmeans_core.teach failed")
    return [out / "kmeans.gif"]


def figure_seeding(out):
    """k-means++ on six blobs: the D^2 probabilities at each seeding step."""
    X, _ = _grid_blobs()
    seeding = [s for s in kmeans_steps(X, 6, random_state=1) if s.kind == "seeding"]
    fig = Figure(figsize=(13.0, 7.4), layout="constrained")
    for ax, stage in zip(fig.subplots(2, 3).ravel(), seeding):
        if stage.index == 0:
            title = "1/6: first center, drawn uniformly"
        else:
            title = (
                f"{stage.index + 1}/6: chance ∝ D², {len(stage.candidates)} candidates,\n"
                f"potential {seeding[stage.index - 1].inertia:.0f} → {stage.inertia:.0f}"
            )
        plot_stage(stage, X, ax, title=title)
    print("seeding: potentials", [round(s.inertia) for s in seeding])
    return [_save(fig, out, "seeding.png")]


def figure_restarts(out):
    """Local minima: random init lands in bad ones; k-means++ and restarts avoid them."""
    X, _ = _grid_blobs()
    seeds = range(100)
    random_runs = [KMeans(6, init="random", n_init=1, random_state=s).fit(X) for s in seeds]
    plusplus_runs = [KMeans(6, init="k-means++", n_init=1, random_state=s).fit(X) for s in seeds]
    restarted = [KMeans(6, init="random", n_init=10, random_state=s).fit(X) for s in range(30)]
    random_inertia = np.array([m.inertia_ for m in random_runs])
    plusplus_inertia = np.array([m.inertia_ for m in plusplus_runs])
    best = min(random_runs, key=lambda m: m.inertia_)
    worst = max(random_runs, key=lambda m: m.inertia_)
    optimum = best.inertia_

    fig = Figure(figsize=(14.0, 4.4), layout="constrained")
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.3]})
    colors = cluster_colors(6)
    for ax, model, name in ((axes[0], best, "best"), (axes[1], worst, "worst")):
        ax.scatter(X[:, 0], X[:, 1], c=colors[model.labels_], s=10)
        ax.scatter(*model.cluster_centers_.T, marker="X", s=150, c="black", edgecolors="white")
        ax.set_aspect("equal")
        ax.set_title(f"random init, {name} of 100 seeds: inertia {model.inertia_:.0f}", fontsize=10)
    ratio = [
        random_inertia / optimum,
        plusplus_inertia / optimum,
        np.array([m.inertia_ for m in restarted]) / optimum,
    ]
    bins = np.linspace(1, max(r.max() for r in ratio) * 1.02, 30)
    axes[2].hist(ratio[0], bins=bins, alpha=0.6, label="random init, 1 run")
    axes[2].hist(ratio[1], bins=bins, alpha=0.6, label="k-means++, 1 run")
    axes[2].hist(ratio[2], bins=bins, alpha=0.6, label="random init, best of n_init=10")
    axes[2].set_xlabel("final inertia / best inertia found")
    axes[2].set_ylabel("runs")
    axes[2].legend(fontsize=8)
    axes[2].set_title("Where 100 runs end", fontsize=10)
    share = [float(np.mean(r < 1 + 1e-6)) for r in ratio]
    print(
        f"restarts: reached the best inertia: random {share[0]:.0%}, k-means++ {share[1]:.0%}, "
        f"random with n_init=10 {share[2]:.0%}; worst random {worst.inertia_ / optimum:.1f}x"
    )
    return [_save(fig, out, "restarts.png")]


def figure_choosing_k(out):
    """Elbow (inertia against k) and mean silhouette on the six blobs."""
    X, _ = _grid_blobs()
    k_values = np.arange(1, 11)
    models = [KMeans(int(k), random_state=0, n_init=3).fit(X) for k in k_values]
    inertia = np.array([m.inertia_ for m in models])
    silhouette = np.array([np.nan] + [silhouette_score(X, m.labels_) for m in models[1:]])
    knee = find_knee(k_values, inertia)
    fig = Figure(figsize=(10.0, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot(k_values, inertia, "o-")
    if knee is not None:
        left.axvline(knee, color="tab:red", ls="--", label=f"elbow (Kneedle): k = {knee}")
        left.legend(fontsize=8)
    left.set_xlabel("k")
    left.set_ylabel("inertia")
    left.set_title("Inertia always falls as k grows: look for the bend", fontsize=10)
    right.plot(k_values, silhouette, "s-", color="tab:green")
    best = int(k_values[np.nanargmax(silhouette)])
    right.axvline(best, color="tab:red", ls="--", label=f"highest: k = {best}")
    right.legend(fontsize=8)
    right.set_xlabel("k")
    right.set_ylabel("mean silhouette")
    right.set_title("Silhouette: tight, well-separated clusters score high", fontsize=10)
    for ax in (left, right):
        ax.set_xticks(k_values)
        ax.grid(alpha=0.3)
    print(f"choosing_k: elbow {knee}, silhouette {best}")
    return [_save(fig, out, "choosing_k.png")]


def figure_scaling(out):
    """Income in dollars swamps age in years until both are standardized."""
    X, groups = teaching_data("scales", n_samples=400, random_state=0)
    raw = KMeans(2, random_state=0).fit(X)
    standardized = (X - X.mean(axis=0)) / X.std(axis=0)
    scaled = KMeans(2, random_state=0).fit(standardized)
    colors = cluster_colors(2)
    fig = Figure(figsize=(10.0, 4.0), layout="constrained")
    for ax, model, name in zip(
        fig.subplots(1, 2), (raw, scaled), ("raw features", "standardized features")
    ):
        ax.scatter(X[:, 0], X[:, 1], c=colors[model.labels_], s=10)
        agreement = max(np.mean(model.labels_ == groups), np.mean(model.labels_ != groups))
        ax.set_title(f"K-Means on {name}: {agreement:.0%} match the age groups", fontsize=10)
        ax.set_xlabel("income ($)")
        ax.set_ylabel("age (years)")
        print(f"scaling: {name}: {agreement:.0%} match the age groups")
    return [_save(fig, out, "scaling.png")]


def figure_failures(out):
    """Non-convex shapes and unequal sizes: true groups against K-Means."""
    fig = Figure(figsize=(10.0, 8.4), layout="constrained")
    axes = fig.subplots(2, 2)
    for row, (name, k) in enumerate((("moons", 2), ("unequal", 3))):
        X, groups = teaching_data(name, n_samples=500, random_state=0)
        model = KMeans(k, random_state=0, n_init=10).fit(X)
        colors = cluster_colors(k)
        axes[row, 0].scatter(X[:, 0], X[:, 1], c=colors[groups], s=8)
        axes[row, 0].set_title(f"'{name}': the groups the data came from", fontsize=10)
        plot_stage(
            _final_stage(X, model), X, axes[row, 1], title=f"K-Means, k={k} (best of 10 runs)"
        )
        axes[row, 0].set_aspect("equal")
        axes[row, 0].set_xlim(axes[row, 1].get_xlim())
        axes[row, 0].set_ylim(axes[row, 1].get_ylim())
    return [_save(fig, out, "failures.png")]


def _final_stage(X, model):
    """A Converged stage built from a fitted KMeans, to draw it like the stepper's result."""
    return teach.Converged(
        n_iter=model.n_iter_,
        reason="",
        labels=model.labels_,
        centers=model.cluster_centers_,
        inertia=model.inertia_,
        tol=0.0,
    )


def figure_distance_counts(out):
    """Distances computed per iteration: Lloyd against Hamerly and Elkan."""
    X, _ = _many_blobs()
    counts = [
        distance_counts(X, 15, algorithm=name, random_state=0)
        for name in ("lloyd", "hamerly", "elkan")
    ]
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    plot_distance_counts(counts, fig.add_subplot())
    for result in counts:
        share = result.point_center.sum() / (result.lloyd_per_iteration * len(result.point_center))
        print(
            f"distance_counts: {result.algorithm}: {len(result.point_center)} iterations, "
            f"{result.point_center.sum():,} distances ({share:.0%} of Lloyd's)"
        )
    return [_save(fig, out, "distance_counts.png")]


def figure_history(out):
    """``KMeans(record_history=True).history_`` on the same data."""
    X, _ = _many_blobs()
    model = KMeans(15, random_state=0, record_history=True).fit(X)
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    plot_history(model.history_, fig.subplots(1, 2))
    fig.suptitle(f"KMeans(record_history=True): {model.n_iter_} iterations", fontsize=10)
    print(f"history: {model.n_iter_} iterations")
    return [_save(fig, out, "history.png")]


ALL = {
    "objective": figure_objective,
    "two_steps": figure_two_steps,
    "animation": figure_animation,
    "seeding": figure_seeding,
    "restarts": figure_restarts,
    "choosing_k": figure_choosing_k,
    "scaling": figure_scaling,
    "failures": figure_failures,
    "distance_counts": figure_distance_counts,
    "history": figure_history,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIGURES, help=f"default: {FIGURES}")
    parser.add_argument(
        "--only", choices=sorted(ALL), action="append", help="make only this figure (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, function in ALL.items():
            print(f"{name:16s} {function.__doc__.splitlines()[0]}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or ALL:
        ALL[name](args.out)
    total = sum(path.stat().st_size for path in args.out.iterdir() if path.is_file())
    print(f"{args.out}: {total / 2**20:.2f} MiB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
