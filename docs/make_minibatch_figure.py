"""Draw docs/figures/minibatch.png: mini-batch against full K-Means, in three panels.

    python docs/make_minibatch_figure.py [--out docs/figures]

1. Inertia over all of X (2,000,000 rows) against elapsed time: full K-Means (one point per
   Lloyd iteration) and mini-batch K-Means (one point every few steps of 1,024
   rows), from the same initial centers.
2. The per-center learning rate ``1 / counts_j`` of a few centers, step by
   step: it falls like 1 / (rows the center has received), so a center first
   moves fast, then settles.
3. Why reassignment exists: from a bad start (every center on one blob),
   centers that never win a row keep a zero count and never move without
   reassignment; with the default ``reassignment_ratio`` they are moved onto
   rows of a batch and find the other blobs.

The data are made here with fixed seeds; times depend on the machine (the
figure's caption says which). Numbers quoted in docs/minibatch.md are printed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kmeans_core import KMeans, MiniBatchKMeans, wcss

FIGURES = Path(__file__).resolve().parent / "figures"
DPI = 80


def blobs(n_samples, n_blobs, spread, random_state):
    rng = np.random.RandomState(random_state)
    centers = rng.uniform(-20, 20, size=(n_blobs, 2))
    groups = rng.randint(n_blobs, size=n_samples)
    return centers[groups] + rng.standard_normal((n_samples, 2)) * spread


def full_kmeans_trace(X, init, max_iter=100):
    """(seconds, inertia) after each Lloyd iteration of one fit from ``init``.

    The inertias are the fit's own record (``record_history``); the times
    spread the fit's measured time evenly over its iterations (every Lloyd
    iteration does the same work).
    """
    KMeans(len(init), init=init, n_init=1, max_iter=2).fit(X[:1000])  # compile first
    start = time.perf_counter()
    model = KMeans(
        len(init), init=init, n_init=1, max_iter=max_iter, algorithm="lloyd", record_history=True
    ).fit(X)
    seconds = time.perf_counter() - start
    inertias = [record["inertia"] for record in model.history_] + [model.inertia_]
    times = seconds * np.arange(1, len(inertias) + 1) / len(inertias)
    return np.column_stack([times, inertias]), model


def minibatch_trace(X, init, n_steps=300, every=5, batch_size=1024, random_state=0):
    """(seconds, inertia over X, 1/counts of every center) every ``every`` steps.

    One ``partial_fit`` per step on a uniformly drawn batch: the algorithm of
    ``fit`` made visible. Only the steps are timed, not the evaluation.
    """
    rng = np.random.RandomState(random_state)
    model = MiniBatchKMeans(
        len(init), init=init, batch_size=batch_size, random_state=0, compute_labels=False
    )
    elapsed, trace = 0.0, []
    for step in range(n_steps):
        batch = X[rng.randint(0, len(X), batch_size)]
        start = time.perf_counter()
        model.partial_fit(batch)
        elapsed += time.perf_counter() - start
        if step % every == 0 or step == n_steps - 1:
            rates = np.where(model._counts > 0, 1 / np.maximum(model._counts, 1e-300), np.nan)
            trace.append((elapsed, wcss(X, model.cluster_centers_), step + 1, rates))
    return trace


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIGURES)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    X = blobs(2_000_000, 12, 3.0, random_state=0)
    init = X[np.random.RandomState(1).choice(len(X), 12, replace=False)]
    full, final_full = full_kmeans_trace(X, init)
    # warm the mini-batch kernels before timing
    MiniBatchKMeans(12, init=init, batch_size=1024).fit(X[:5000]).partial_fit(X[:2048])
    mini = minibatch_trace(X, init, n_steps=2000, every=10)
    start = time.perf_counter()
    default_fit = MiniBatchKMeans(12, init=init, random_state=0).fit(X)
    default_seconds = time.perf_counter() - start

    fig = Figure(figsize=(14, 4.3))
    ax_time, ax_rate, ax_reassign = fig.subplots(1, 3)

    ax_time.plot(full[:, 0], full[:, 1], "o-", ms=3, label="full K-Means (1 point = 1 iteration)")
    ax_time.plot(
        [t for t, *_ in mini],
        [inertia for _, inertia, *_ in mini],
        "-",
        lw=1.5,
        label="mini-batch, 1,024 rows per step",
    )
    ax_time.plot(
        [default_seconds],
        [default_fit.inertia_],
        "*",
        ms=12,
        color="tab:green",
        label=f"MiniBatchKMeans().fit: {default_fit.n_steps_} steps, with labels",
    )
    ax_time.axhline(final_full.inertia_, color="grey", ls=":", lw=1, label="full K-Means converged")
    ax_time.set_xscale("log")
    ax_time.set_xlabel("seconds (log scale)")
    ax_time.set_ylabel(f"inertia over all {len(X):,} rows")
    ax_time.set_title("Cheap steps: most of the way, early")
    ax_time.set_ylim(final_full.inertia_ * 0.97, final_full.inertia_ * 1.35)
    ax_time.legend(fontsize=8, loc="upper right")

    steps = np.array([s for *_, s, _ in mini])
    rates = np.array([r for *_, r in mini])
    for j in range(4):
        ax_rate.plot(steps, rates[:, j], lw=1.2, label=f"center {j}")
    ax_rate.plot(steps, 12 / (1024 * steps), "k:", lw=1, label="12 / (1024 · step)")
    ax_rate.set_yscale("log")
    ax_rate.set_xscale("log")
    ax_rate.set_xlabel("step")
    ax_rate.set_ylabel("learning rate 1 / counts_j")
    ax_rate.set_title("Per-center learning rate falls like 1/t")
    ax_rate.legend(fontsize=8)

    # Reassignment: all 8 centers start on one blob of an 8-blob mixture.
    Y = blobs(40_000, 8, 1.5, random_state=3)
    first_blob = Y[np.argsort(np.linalg.norm(Y - Y[0], axis=1))[:2000]]
    bad_init = first_blob[np.random.RandomState(0).choice(2000, 8, replace=False)]
    ax_reassign.scatter(Y[::20, 0], Y[::20, 1], s=2, color="lightgrey")
    outcomes = {}
    for ratio, marker, color in ((0.0, "x", "tab:red"), (0.01, "o", "tab:blue")):
        model = MiniBatchKMeans(
            8, init=bad_init, batch_size=1024, random_state=0, reassignment_ratio=ratio
        ).fit(Y)
        outcomes[ratio] = model.inertia_
        ax_reassign.scatter(
            *model.cluster_centers_.T,
            marker=marker,
            s=60,
            color=color,
            facecolors="none" if marker == "o" else None,
            linewidths=1.8,
            label=f"reassignment_ratio={ratio}: inertia {model.inertia_:,.0f}",
        )
    ax_reassign.scatter(*bad_init.T, marker="+", s=40, color="black", label="initial centers")
    ax_reassign.set_title("Reassignment rescues starved centers")
    ax_reassign.legend(fontsize=7, loc="upper left")
    ax_reassign.set_xticks([])
    ax_reassign.set_yticks([])

    fig.tight_layout()
    path = args.out / "minibatch.png"
    fig.savefig(path, dpi=DPI)
    print(f"wrote {path}")
    within = next((t for t, inertia, *_ in mini if inertia <= 1.05 * final_full.inertia_), None)
    print(
        f"full K-Means: {final_full.n_iter_} iterations, {full[-1, 0]:.3f} s, "
        f"inertia {final_full.inertia_:,.0f}"
    )
    print(
        f"mini-batch steps: within 5% of it after {within} s; inertia {mini[-1][1]:,.0f} "
        f"after {mini[-1][2]} steps, {mini[-1][0]:.3f} s"
    )
    print(
        f"MiniBatchKMeans().fit: {default_fit.n_steps_} steps, {default_seconds:.3f} s, "
        f"inertia {default_fit.inertia_:,.0f} "
        f"({default_fit.inertia_ / final_full.inertia_:.3f} x full)"
    )
    print(f"reassignment: inertia without {outcomes[0.0]:,.0f}, with {outcomes[0.01]:,.0f}")


if __name__ == "__main__":
    main()
