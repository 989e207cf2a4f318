"""The teaching stepper (kmeans_core.teach), its pictures (kmeans_core.teach_plots), its command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import RTOL_FLOAT64, make_blobs
from kmeans_core import KMeans, reference, teach
from kmeans_core.teach import (
    DISTANCE_COUNTERS,
    AssignmentStep,
    Converged,
    SeedingStep,
    UpdateStep,
    distance_counts,
    kmeans_steps,
    teaching_data,
)

# Inertia can only fall from stage to stage in real arithmetic. In floating
# point an update that leaves a center where it was recomputes the same mean
# with different rounding, so a "rise" of a few ulps of the total is allowed.
INERTIA_ROUNDING = 1e-12


def _stages(*args, **kwargs):
    return list(kmeans_steps(*args, **kwargs))


def _assert_same_fit(final, model):
    np.testing.assert_array_equal(final.labels, model.labels_)
    assert final.n_iter == model.n_iter_
    np.testing.assert_allclose(
        final.centers, model.cluster_centers_, rtol=RTOL_FLOAT64, atol=RTOL_FLOAT64
    )
    assert final.inertia == pytest.approx(model.inertia_, rel=RTOL_FLOAT64)


def _iteration_inertia(stages):
    return [stage.inertia for stage in stages if stage.kind in ("assignment", "update")]


# --- the stepper reaches KMeans's answer -------------------------------------------


@pytest.mark.parametrize(
    "n, d, k, seed", [(30, 2, 3, 0), (300, 2, 4, 1), (500, 3, 6, 7), (200, 5, 8, 3), (50, 1, 1, 2)]
)
def test_kmeans_plusplus_run_matches_kmeans_and_reference(n, d, k, seed):
    X = make_blobs(n, d, k, seed=seed)
    stages = _stages(X, k, random_state=seed)
    final = stages[-1]
    assert isinstance(final, Converged)
    _assert_same_fit(final, KMeans(k, random_state=seed).fit(X))
    # The stepper *is* the reference fit: the same functions, so the same bits.
    labels, centers, inertia, n_iter = reference.kmeans(X, k, random_state=seed)
    np.testing.assert_array_equal(final.labels, labels)
    np.testing.assert_array_equal(final.centers, centers)
    assert (final.inertia, final.n_iter) == (inertia, n_iter)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
def test_array_init_matches_kmeans(algorithm):
    X = make_blobs(400, 2, 5, seed=11)
    init = X[[3, 50, 100, 150, 200]] + 0.5
    final = _stages(X, init=init)[-1]
    _assert_same_fit(final, KMeans(5, init=init, n_init=1, algorithm=algorithm).fit(X))


def test_random_init_and_weights_match_kmeans():
    X = make_blobs(250, 2, 4, seed=5)
    weights = np.random.RandomState(0).uniform(0.2, 3.0, len(X))
    stages = _stages(X, 4, init="random", sample_weight=weights, random_state=9)
    model = KMeans(4, init="random", n_init=1, random_state=9).fit(X, sample_weight=weights)
    _assert_same_fit(stages[-1], model)
    seeding = [stage for stage in stages if stage.kind == "seeding"]
    assert [stage.method for stage in seeding] == ["random"] * 4
    assert len({stage.chosen for stage in seeding}) == 4  # without replacement


def test_stops_on_tolerance_with_a_final_assignment():
    X = make_blobs(300, 2, 4, seed=2)
    init = X[:4]
    stages = _stages(X, init=init, tol=0.5)
    final = stages[-1]
    assert final.reason == teach.STOP_TOLERANCE
    assert stages[-2].kind == "assignment" and stages[-2].final
    np.testing.assert_array_equal(stages[-2].labels, final.labels)
    _assert_same_fit(final, KMeans(4, init=init, n_init=1, tol=0.5).fit(X))


def test_stops_on_max_iter():
    X = make_blobs(300, 2, 4, seed=2)
    stages = _stages(X, init=X[:4], max_iter=2)
    assert stages[-1].reason == teach.STOP_MAX_ITER
    assert stages[-1].n_iter == 2
    _assert_same_fit(stages[-1], KMeans(4, init=X[:4], n_init=1, max_iter=2).fit(X))


# --- what each stage holds ----------------------------------------------------------


def test_stage_sequence_and_contents():
    X = make_blobs(200, 2, 4, seed=0)
    stages = _stages(X, 4, random_state=3)
    kinds = [stage.kind for stage in stages]
    assert kinds[:4] == ["seeding"] * 4
    body = kinds[4:-1]
    assert body[0::2] == ["assignment"] * (len(body) // 2)
    assert body[1::2] == ["update"] * (len(body) // 2)
    assert kinds[-1] == "converged"

    weights = np.ones(len(X))
    for stage in stages:
        if isinstance(stage, AssignmentStep):
            np.testing.assert_array_equal(stage.labels, reference.assign(X, stage.centers))
            assert stage.inertia == pytest.approx(
                reference.inertia(X, stage.centers, stage.labels), rel=1e-12
            )
        if isinstance(stage, UpdateStep):
            # Centers are the means of their members (no cluster was empty here).
            assert stage.relocated == ()
            expected = reference.update(X, stage.labels, weights, stage.previous_centers)
            np.testing.assert_allclose(stage.centers, expected, rtol=1e-12)
            assert stage.center_shift == pytest.approx(
                ((stage.centers - stage.previous_centers) ** 2).sum(), rel=1e-9
            )
    first = next(stage for stage in stages if stage.kind == "assignment")
    assert first.iteration == 1 and first.n_changed == len(X)


def test_seeding_probabilities():
    X = make_blobs(150, 2, 5, seed=4)
    seeding = [stage for stage in _stages(X, 5, random_state=0) if stage.kind == "seeding"]
    assert [stage.index for stage in seeding] == list(range(5))
    for stage in seeding:
        assert isinstance(stage, SeedingStep)
        assert stage.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
        assert (stage.probabilities >= 0).all()
        assert stage.chosen in stage.candidates
        assert stage.centers.shape == (stage.index + 1, 2)
        np.testing.assert_allclose(stage.centers[-1], X[stage.chosen], atol=1e-12)
        # Greedy: the kept candidate leaves the smallest potential.
        best = stage.candidate_potentials.min()
        assert stage.inertia == best
        assert stage.candidate_potentials[list(stage.candidates).index(stage.chosen)] == best
    # After the first draw, a point already chosen can never be drawn again (D = 0)...
    for stage in seeding[1:]:
        previous = [s.chosen for s in seeding[: stage.index]]
        assert (stage.probabilities[previous] == 0).all()
        # ...and each point's chance is its share of the potential sum(D^2).
        closest = reference.squared_distances(X, stage.centers[:-1]).min(axis=1)
        np.testing.assert_allclose(stage.probabilities, closest / closest.sum(), atol=1e-12)
    # The potential falls with every center chosen.
    potentials = [stage.inertia for stage in seeding]
    assert all(b <= a for a, b in zip(potentials, potentials[1:]))
    # The same rows as KMeans's (and scikit-learn's) seeding on centered data.
    _, indices = reference.kmeans_plusplus(X - X.mean(axis=0), 5, random_state=0)
    assert [stage.chosen for stage in seeding] == indices.tolist()


def test_empty_cluster_is_relocated_and_inertia_still_falls():
    X = make_blobs(300, 2, 3, seed=6)
    init = np.vstack([X[:2], [[1e4, 1e4]]])  # the third center wins no point
    stages = _stages(X, init=init)
    updates = [stage for stage in stages if stage.kind == "update"]
    cluster, row = updates[0].relocated[0]
    assert cluster == 2
    np.testing.assert_allclose(updates[0].centers[2], X[row])
    assert updates[0].labels[row] == 2
    values = _iteration_inertia(stages)
    assert all(b <= a * (1 + INERTIA_ROUNDING) for a, b in zip(values, values[1:]))
    _assert_same_fit(stages[-1], KMeans(3, init=init, n_init=1).fit(X))


# Small data of moderate magnitude, with duplicates (rounded values) and any k.
small_data = st.integers(min_value=2, max_value=40).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, (n, 2), elements=st.floats(-50, 50, allow_nan=False, width=16)),
        st.integers(1, min(n, 6)),
        st.integers(0, 2**16),
        st.sampled_from(["k-means++", "random"]),
    )
)


@settings(deadline=None)
@given(small_data)
def test_inertia_never_rises(case):
    X, k, seed, init = case
    stages = _stages(X, k, init=init, random_state=seed)
    values = _iteration_inertia(stages)
    scale = max(values[0], 1.0)
    assert all(b <= a + INERTIA_ROUNDING * scale for a, b in zip(values, values[1:]))
    seeding = [stage.inertia for stage in stages if stage.kind == "seeding"]
    assert all(b <= a + INERTIA_ROUNDING * scale for a, b in zip(seeding, seeding[1:]))
    assert stages[-1].inertia <= values[-1] + INERTIA_ROUNDING * scale
    for stage in stages:
        if stage.kind == "seeding":
            assert stage.probabilities.sum() == pytest.approx(1.0, abs=1e-9)


# --- KMeans(record_history=True) ------------------------------------------------------


def test_kmeans_history_matches_the_stepper():
    X = make_blobs(400, 2, 5, seed=8)
    model = KMeans(5, random_state=2, algorithm="lloyd", record_history=True).fit(X)
    stages = _stages(X, 5, random_state=2)
    assignments = [s for s in stages if s.kind == "assignment" and not s.final]
    updates = [s for s in stages if s.kind == "update"]
    assert len(model.history_) == model.n_iter_ == len(updates)
    scale = np.mean(np.var(X, axis=0))
    for record, assignment, update in zip(model.history_, assignments, updates):
        assert record["iteration"] == assignment.iteration - 1  # history counts from 0
        # KMeans's per-iteration inertia comes from |c|^2 - 2 x.c + |x|^2
        # (rounding ~1e-16 of |x|^2 per sample): close, not bit-equal.
        assert record["inertia"] == pytest.approx(assignment.inertia, rel=1e-9)
        assert record["center_shift"] == pytest.approx(
            update.center_shift, rel=1e-7, abs=1e-12 * scale
        )
        np.testing.assert_allclose(
            record["centers"], update.centers, rtol=RTOL_FLOAT64, atol=RTOL_FLOAT64
        )


@pytest.mark.parametrize("algorithm", ["hamerly", "elkan"])
def test_kmeans_history_is_the_same_for_bounds_algorithms(algorithm):
    X = make_blobs(300, 3, 6, seed=1)
    lloyd = KMeans(6, random_state=0, algorithm="lloyd", record_history=True).fit(X)
    other = KMeans(6, random_state=0, algorithm=algorithm, record_history=True).fit(X)
    assert len(other.history_) == len(lloyd.history_)
    for a, b in zip(lloyd.history_, other.history_):
        assert b["inertia"] == pytest.approx(a["inertia"], rel=1e-9)
        np.testing.assert_allclose(b["centers"], a["centers"], rtol=RTOL_FLOAT64)


def test_kmeans_history_is_off_by_default():
    X = make_blobs(100, 2, 3, seed=0)
    model = KMeans(3, random_state=0).fit(X)
    assert not hasattr(model, "history_")
    model.set_params(record_history=True).fit(X)
    assert len(model.history_) == model.n_iter_
    model.set_params(record_history=False).fit(X)
    assert not hasattr(model, "history_")


# --- counting distance computations -----------------------------------------------


def test_lloyd_counts_every_distance_every_iteration():
    X = make_blobs(200, 2, 4, seed=3)
    counts = distance_counts(X, 4, algorithm="lloyd", random_state=0)
    n_iter = _stages(X, 4, random_state=0)[-1].n_iter
    assert counts.point_center.tolist() == [200 * 4] * n_iter
    assert counts.center_center.tolist() == [0] * n_iter
    np.testing.assert_array_equal(counts.fraction_of_lloyd, 1.0)


@pytest.mark.parametrize("algorithm", ["hamerly", "elkan"])
@pytest.mark.parametrize("n, d, k, seed", [(600, 2, 8, 0), (300, 4, 5, 1), (100, 2, 1, 2)])
def test_bounds_algorithms_are_exact_and_save_work(algorithm, n, d, k, seed):
    X = make_blobs(n, d, k, seed=seed, spread=1.5)
    lloyd = distance_counts(X, k, algorithm="lloyd", random_state=seed)
    bounded = distance_counts(X, k, algorithm=algorithm, random_state=seed)
    assert len(bounded.point_center) == len(lloyd.point_center)
    for labels_lloyd, labels_bounded in zip(lloyd.labels, bounded.labels):
        np.testing.assert_array_equal(labels_bounded, labels_lloyd)
    assert bounded.point_center[0] == n * k  # no bounds yet: every distance
    assert (bounded.point_center <= n * k + n).all()  # at most a tightening more per sample
    if len(bounded.point_center) > 2 and k > 1:
        assert bounded.point_center[1:].sum() < lloyd.point_center[1:].sum()
        assert (bounded.center_center[1:] == k * (k - 1) // 2).all()


def test_a_new_counter_can_be_registered(monkeypatch):
    def count_nothing(X, centers_per_iteration):
        return [(0, 0, reference.assign(X, centers)) for centers in centers_per_iteration]

    monkeypatch.setitem(DISTANCE_COUNTERS, "oracle", count_nothing)
    X = make_blobs(50, 2, 2, seed=0)
    counts = distance_counts(X, 2, algorithm="oracle")
    assert counts.algorithm == "oracle" and counts.point_center.sum() == 0


def test_unknown_counting_algorithm():
    with pytest.raises(ValueError, match="algorithm must be one of"):
        distance_counts(np.zeros((5, 2)), 2, algorithm="magic")


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, kwargs, message",
    [
        (np.zeros((3, 2)), {"n_clusters": 5}, "n_clusters=5 is more than the 3 samples"),
        (np.zeros((3, 2)), {"n_clusters": 0}, "n_clusters must be an int >= 1"),
        (np.zeros((3, 2)), {}, "n_clusters is required"),
        (np.zeros(6), {"n_clusters": 2}, "Expected a 2D array"),
        (np.zeros((4, 2)), {"n_clusters": 2, "init": "best"}, "init must be"),
        (np.zeros((4, 2)), {"n_clusters": 2, "init": np.zeros((3, 2))}, r"init has shape \(3, 2\)"),
        (np.zeros((4, 2)), {"n_clusters": 2, "tol": -1.0}, "tol must be"),
        (np.zeros((4, 2)), {"n_clusters": 2, "max_iter": 0}, "max_iter must be"),
        (np.array([[0.0, np.nan]]), {"n_clusters": 1}, "NaN"),
    ],
)
def test_bad_input_is_a_clear_value_error(X, kwargs, message):
    with pytest.raises(ValueError, match=message):
        kmeans_steps(X, **kwargs)  # raised at the call, before the first stage


def test_teaching_data():
    for name in teach.TEACHING_DATA:
        X, groups = teaching_data(name, n_samples=50, random_state=1)
        assert X.shape == (50, 2) and groups.shape == (50,)
        np.testing.assert_array_equal(X, teaching_data(name, 50, random_state=1)[0])
    with pytest.raises(ValueError, match="name must be one of"):
        teaching_data("spirals")


# --- pictures -------------------------------------------------------------------------


# Tiny data and a low resolution keep the drawing tests fast.
@pytest.fixture(scope="module")
def tiny_run():
    X, _ = teaching_data("blobs", n_samples=40, random_state=0)
    return X, _stages(X, 3, random_state=0)


def test_stage_figures_are_written(tmp_path, tiny_run):
    from kmeans_core.teach_plots import save_stage_figures

    X, stages = tiny_run
    paths = save_stage_figures(stages, X, tmp_path / "stages", dpi=30)
    assert len(paths) == len(stages)
    for path, stage in zip(paths, stages):
        assert path.name.endswith(f"_{stage.kind}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_animation_is_a_valid_gif(tmp_path, tiny_run):
    from PIL import Image

    from kmeans_core.teach_plots import write_animation

    X, stages = tiny_run
    path = write_animation(stages, X, tmp_path / "out" / "run.gif", dpi=30, title="tiny")
    assert path.read_bytes()[:6] == b"GIF89a"
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames > 5
        assert gif.n_frames >= len(stages)


def test_plots_of_one_stage_counts_and_history(tiny_run):
    from kmeans_core.teach_plots import (
        plot_distance_counts,
        plot_history,
        plot_inertia,
        plot_stage,
    )

    X, stages = tiny_run
    for stage in stages:
        ax = plot_stage(stage, X)
        assert ax.get_title()
    assert plot_inertia(stages).get_ylabel().startswith("inertia")
    counts = [distance_counts(X, 3, algorithm=a) for a in ("lloyd", "hamerly", "elkan")]
    ax = plot_distance_counts(counts)
    assert len(ax.get_lines()) == 3
    model = KMeans(3, random_state=0, record_history=True).fit(X)
    inertia_ax, shift_ax = plot_history(model.history_)
    assert len(inertia_ax.get_lines()[0].get_xdata()) == model.n_iter_


def test_pictures_need_2d_data(tmp_path):
    from kmeans_core.teach_plots import plot_stage, save_stage_figures, write_animation

    X = make_blobs(30, 3, 2, seed=0)
    stages = _stages(X, 2)
    with pytest.raises(ValueError, match="2-D data"):
        write_animation(stages, X, tmp_path / "x.gif")
    with pytest.raises(ValueError, match="2-D data"):
        save_stage_figures(stages, X, tmp_path)
    with pytest.raises(ValueError, match="2-D data"):
        plot_stage(stages[-1], X)
    X2 = X[:, :2]
    with pytest.raises(ValueError, match="must end in .gif"):
        write_animation(_stages(X2, 2), X2, tmp_path / "x.mp4")
    with pytest.raises(ValueError, match="30 samples but X has 10"):
        write_animation(_stages(X2, 2), X2[:10], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="stages is empty"):
        write_animation([], X2, tmp_path / "x.gif")


# --- the command ----------------------------------------------------------------------


def test_command_writes_the_animation(tmp_path, capsys):
    status = teach.main(
        ["--out", str(tmp_path), "--n-samples", "40", "-k", "3", "--fps", "4", "--stage-figures"]
    )
    assert status == 0
    assert (tmp_path / "kmeans.gif").read_bytes()[:6] == b"GIF89a"
    assert len(list((tmp_path / "stages").glob("*.png"))) > 5
    assert "kmeans.gif" in capsys.readouterr().out


def test_command_bad_input(tmp_path, capsys):
    assert teach.main(["--out", str(tmp_path), "--n-samples", "5", "-k", "9"]) == 2
    assert "n_clusters=9 is more than the 5 samples" in capsys.readouterr().err
    assert not (tmp_path / "kmeans.gif").exists()


@pytest.mark.slow  # seconds of processes/browser: CI runs it with -m slow
def test_python_m_entry_point(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "kmeans_core.teach",
            "--out",
            str(tmp_path),
            "--data",
            "moons",
            "-k",
            "2",
            "--n-samples",
            "30",
            "--fps",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kmeans.gif").is_file()
