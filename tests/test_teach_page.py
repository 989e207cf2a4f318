"""The interactive teaching page (kmeans_core.teach_page, ``kmeans-teach page``).

Two kinds of test:

* Python only: the per-point distance marks add up to teach.distance_counts,
  the preset traces are the fast KMeans's answer, the command writes one
  self-contained file and refuses what it must refuse.
* In a real headless browser (Debian's ``chromium``, driven by Playwright):
  the page's JavaScript engine replays every embedded trace with the same
  labels and centres as the Python trace within 1e-12; a click-through of a
  whole run shows the trace's WCSS and labels; dragged centres and added
  points run by the same rules; nothing is fetched from the network; a
  screenshot for the docs is saved to docs/figures/teach_page.png.

The browser tests need ``apt-get install chromium`` and ``pip install playwright``
(the ``test`` extra); without them they FAIL with a message saying so. Set
KMEANS_TEACH_CHROMIUM to use a browser at another path.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import RTOL_FLOAT64, SHARED_DATA
from kmeans_core import KMeans, teach
from kmeans_core import teach_page as tp

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = REPO / "docs" / "figures" / "teach_page.png"
MALL = SHARED_DATA / "Mall_Customers.csv"
CHROMIUM = os.environ.get("KMEANS_TEACH_CHROMIUM", "/usr/bin/chromium")

# The page's engine repeats the reference's operations in the same order, so
# labels must be identical; centres and WCSS may differ only by the rounding
# of a differently ordered sum (the column means, the variance behind tol):
# the bound is 1e-12.
ENGINE_TOL = 1e-12
# The page shows the WCSS with 8 significant digits.
SHOWN_DIGITS_RTOL = 5e-8


def _python_stages(X, k, init, **kwargs):
    return list(
        teach.kmeans_steps(
            X, k, init=init, random_state=0, max_iter=tp.MAX_ITER, tol=tp.TOL, **kwargs
        )
    )


def _iteration_centers(stages):
    return [s.centers for s in stages if s.kind == "assignment" and not s.final]


# --- Python side ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(tp.PAGE_DATASETS))
@pytest.mark.parametrize("algorithm", ["hamerly", "elkan"])
def test_distance_marks_add_up_to_distance_counts(name, algorithm):
    X = tp.page_dataset(name)
    k = tp.PAGE_DATASETS[name][3]
    counts = teach.distance_counts(X, k, algorithm=algorithm, random_state=0)
    stages = _python_stages(X, k, "k-means++")
    marks = tp.distance_marks(algorithm, X, _iteration_centers(stages))
    assert [int(computed.sum()) for computed, _ in marks] == counts.point_center.tolist()
    lloyd_labels = [s.labels for s in stages if s.kind == "assignment" and not s.final]
    for (computed, labels), expected in zip(marks, lloyd_labels, strict=True):
        np.testing.assert_array_equal(labels, expected)  # the bounds are exact
        assert computed.min() >= 0 and computed.max() <= k + 1
    assert (marks[0][0] == k).all()  # no bounds before the first iteration


def test_docstring_examples():
    failures, attempted = doctest.testmod(tp, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failures == 0


def test_distance_marks_rejects_unknown_algorithm():
    with pytest.raises(ValueError, match="algorithm"):
        tp.distance_marks("lloyd", np.zeros((3, 2)), [np.zeros((1, 2))])


@pytest.mark.parametrize("name", sorted(tp.PAGE_DATASETS))
@pytest.mark.parametrize("init", tp.INITS)
def test_preset_traces_are_the_fast_kmeans_answer(name, init):
    """The reference trace the page embeds and the numba KMeans agree, for every algorithm."""
    X = tp.page_dataset(name)
    k = tp.PAGE_DATASETS[name][3]
    stages = _python_stages(X, k, init)
    seeds = [s for s in stages if s.kind == "seeding"][-1].centers
    final = stages[-1]
    for algorithm in ("lloyd", "hamerly", "elkan"):
        model = KMeans(k, init=seeds, n_init=1, algorithm=algorithm, tol=tp.TOL).fit(X)
        np.testing.assert_array_equal(model.labels_, final.labels, err_msg=algorithm)
        assert model.n_iter_ == final.n_iter, algorithm
        np.testing.assert_allclose(
            model.cluster_centers_, final.centers, rtol=RTOL_FLOAT64, atol=RTOL_FLOAT64
        )


def test_page_data_decodes_to_the_python_trace():
    data = tp.page_data()
    dataset = data["datasets"][1]
    X = np.asarray(dataset["X"])
    np.testing.assert_array_equal(X, tp.page_dataset(dataset["name"]))
    stages = _python_stages(X, 3, "random")
    trace = dataset["traces"]["random"]["3"]
    assert [s["kind"] for s in trace] == [s.kind for s in stages]
    for entry, stage in zip(trace, stages, strict=True):
        assert entry["inertia"] == stage.inertia
        if "labels" in entry:
            assert [int(c) for c in entry["labels"]] == stage.labels.tolist()
            np.testing.assert_array_equal(np.asarray(entry["centers"]), stage.centers)


def _run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kmeans_core.teach_page", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )


def test_cli_writes_one_self_contained_file_and_nothing_else(tmp_path):
    neighbour = tmp_path / "notes.txt"
    neighbour.write_text("keep me")
    output = tmp_path / "lesson.html"
    output.write_text("an old page")  # the named output is replaced, atomically
    result = _run_cli("page", output)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.html", "notes.txt"]
    assert neighbour.read_text() == "keep me"
    # The mode a plain open() gives, not the temporary file's private 0600.
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o666 & ~umask
    html = output.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no external scripts, styles, images, fonts or requests.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html, re.IGNORECASE)
    for needle in ("http://", "https://", "url(", "fetch(", "XMLHttpRequest", "import("):
        assert needle not in html, needle
    assert html.count("<script") == 2  # the data and the engine, both inline
    data = json.loads(
        re.search(
            r'<script id="page-data" type="application/json">(.*?)</script>', html, re.DOTALL
        ).group(1)
    )
    assert [d["name"] for d in data["datasets"]] == list(tp.PAGE_DATASETS)


def test_cli_refuses_a_folder_and_a_missing_folder(tmp_path):
    result = _run_cli("page", tmp_path)
    assert result.returncode == 2 and "is a folder" in result.stderr
    result = _run_cli("page", tmp_path / "no" / "lesson.html")
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_seed_changes_the_embedded_seedings_and_is_checked(tmp_path):
    seeds = [
        [
            s["chosen"]
            for s in tp.page_data(random_state=seed)["datasets"][0]["traces"]["k-means++"]["4"]
            if s["kind"] == "seeding"
        ]
        for seed in (0, 1)
    ]
    assert seeds[0] != seeds[1]
    result = _run_cli("page", tmp_path / "lesson.html", "--seed", "-1")
    assert result.returncode == 2 and "random_state" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # seconds of processes/browser: CI runs it with -m slow
def test_cli_mall_errors_name_the_problem(tmp_path):
    bad = tmp_path / "mall.csv"
    bad.write_text("CustomerID,Age\n1,20\n")
    result = _run_cli("page", tmp_path / "lesson.html", "--mall", bad)
    assert result.returncode == 2 and "Annual Income (k$)" in result.stderr
    bad.write_text("Annual Income (k$),Spending Score (1-100)\n" + "15,39\n" * 9 + "x,40\n")
    result = _run_cli("page", tmp_path / "lesson.html", "--mall", bad)
    assert result.returncode == 2 and "row 10" in result.stderr
    result = _run_cli("page", tmp_path / "lesson.html", "--mall", tmp_path / "absent.csv")
    assert result.returncode == 2 and "no such file" in result.stderr
    assert not (tmp_path / "lesson.html").exists()


def test_console_script_and_package_data_are_declared():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'kmeans-teach = "kmeans_core.teach_page:main"' in pyproject
    assert "teach_page_assets/*.js" in pyproject
    for name in ("page.html", "page.js", "page.css"):
        assert (REPO / "kmeans_core" / "teach_page_assets" / name).is_file()


# --- in the browser -----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "The teaching-page tests need Playwright: pip install playwright "
            "(in the 'test' extra). They drive Debian's chromium, so do NOT run "
            "'playwright install'."
        )
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"The teaching-page tests need a Chromium at {CHROMIUM}: "
            "apt-get install -y chromium (or set KMEANS_TEACH_CHROMIUM to its path)."
        )
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """The page, with the Mall table when the shared data are present."""
    path = tmp_path_factory.mktemp("page") / "lesson.html"
    tp.write_page(path, mall=MALL if MALL.is_file() else None)
    return path


@pytest.fixture
def page(browser, lesson):
    """A fresh tab on the lesson; fails the test on any script error or network request."""
    context = browser.new_context(viewport={"width": 1180, "height": 800})
    outside = []

    def refuse_network(route):
        outside.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!file:|data:|blob:|about:)"), refuse_network)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    tab.goto(lesson.as_uri())
    tab.wait_for_function("() => window.kmeansPage !== undefined")
    yield tab
    context.close()
    assert errors == [], errors
    assert outside == [], f"the page asked the network for {outside}"


def _compare_engine_with_python(js_stages, py_stages, X, where):
    assert [s["kind"] for s in js_stages if s["kind"] != "init"] == [s.kind for s in py_stages], (
        where
    )
    js_stages = [s for s in js_stages if s["kind"] != "init"]
    marks = {
        algorithm: iter(tp.distance_marks(algorithm, X, _iteration_centers(py_stages)))
        for algorithm in ("hamerly", "elkan")
    }
    for js, py in zip(js_stages, py_stages, strict=True):
        at = f"{where}, {py.kind} {getattr(py, 'iteration', getattr(py, 'index', ''))}"
        if py.kind == "seeding":
            assert js["chosen"] == py.chosen, at
            np.testing.assert_allclose(
                js["probabilities"], py.probabilities, rtol=ENGINE_TOL, atol=ENGINE_TOL, err_msg=at
            )
            continue
        np.testing.assert_array_equal(js["labels"], py.labels, err_msg=at)
        np.testing.assert_allclose(
            js["centers"], py.centers, rtol=ENGINE_TOL, atol=ENGINE_TOL, err_msg=at
        )
        assert js["inertia"] == pytest.approx(py.inertia, rel=ENGINE_TOL), at
        if py.kind == "assignment":
            assert js["nChanged"] == py.n_changed and js["final"] == py.final, at
            if not py.final:
                for algorithm, iterator in marks.items():
                    np.testing.assert_array_equal(
                        js["marks"][algorithm], next(iterator)[0], err_msg=f"{at} {algorithm}"
                    )
        elif py.kind == "update":
            assert js["centerShift"] == pytest.approx(py.center_shift, rel=ENGINE_TOL, abs=1e-300)
            assert [tuple(pair) for pair in js["relocated"]] == list(py.relocated), at
        else:
            assert (js["nIter"], js["reason"]) == (py.n_iter, py.reason), at
            assert js["tol"] == pytest.approx(py.tol, rel=ENGINE_TOL), at


@pytest.mark.slow  # every preset x seeding x k in the browser: CI runs it with -m slow
def test_page_engine_matches_the_python_trace_on_every_preset(page):
    """The 1e-12 test: every data set, both seedings, every k the page offers."""
    names = page.evaluate("() => kmeansPage.DATA.datasets.map((d) => d.name)")
    assert names[: len(tp.PAGE_DATASETS)] == list(tp.PAGE_DATASETS)
    compared = 0
    for name in names:
        X = tp.page_dataset(name) if name != "mall" else tp.read_mall(MALL)
        for init in tp.INITS:
            replays = page.evaluate(
                "([name, init, ks]) => ks.map((k) => kmeansPage.replay(name, init, k))",
                [name, init, list(tp.K_CHOICES)],
            )
            for k, js_stages in zip(tp.K_CHOICES, replays, strict=True):
                py_stages = _python_stages(X, k, init)
                _compare_engine_with_python(js_stages, py_stages, X, f"{name} {init} k={k}")
                compared += 1
    assert compared >= len(tp.PAGE_DATASETS) * len(tp.INITS) * len(tp.K_CHOICES)


# Hand-made starts for the rules the presets never reach: a tie between two
# centres, one and two empty clusters, an empty cluster when every point sits
# on its centre (nothing to relocate), a stop on the tolerance.
RULE_CASES = {
    "tie to the lower index": ([[0, 0], [2, 0], [1, 0], [1, 1], [1, -1]], [[0, 0], [2, 0]]),
    "one empty cluster": (
        [[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 6], [9, 0]],
        [[0, 0], [5, 5], [100, 100]],
    ),
    "two empty clusters": (
        [[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 6], [9, 0], [3, 3]],
        [[0, 0], [-80, -80], [5, 5], [100, 100]],
    ),
    "empty, all points on centres": ([[0, 0], [0, 0], [1, 1], [1, 1]], [[0, 0], [1, 1], [50, 50]]),
    "equal distances, far points first": (
        [[0, 0], [2, 0], [-2, 0], [0, 2], [0, -2]],
        [[0, 0], [40, 40], [-40, 40]],
    ),
    # Once one point is off its centre, every empty cluster takes a point, even
    # one sitting on its centre; a cluster that loses its last point goes onto
    # the heaviest cluster's centre.
    "two empty clusters, one point off its centre": (
        [[0, 0], [0, 0], [0, 0], [1, 1], [1, 1], [1, 1.2]],
        [[0, 0], [1, 1], [50, 50], [60, 60]],
    ),
    # No label changes in an iteration that relocated: the run stops, but not
    # on a fixed point, so a final assignment follows (as in KMeans).
    "empty cluster relocated, labels unchanged": (
        [[2, 1], [0, 1], [0, 2], [0, 1], [2, 1]],
        [[1, 3], [-1, 2], [0, 3]],
    ),
}


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_page_engine_follows_the_rules_on_hand_made_starts(page, case):
    points, init = RULE_CASES[case]
    X, init = np.asarray(points, dtype=float), np.asarray(init, dtype=float)
    js_stages = page.evaluate(
        "([X, init]) => kmeansPage.KM.runFrom(X, init)", [X.tolist(), init.tolist()]
    )
    py_stages = list(teach.kmeans_steps(X, init=init, max_iter=tp.MAX_ITER, tol=tp.TOL))
    _compare_engine_with_python(js_stages, py_stages, X, case)
    if "empty" in case:
        relocated = [pair for s in py_stages if s.kind == "update" for pair in s.relocated]
        assert bool(relocated) == ("all points on centres" not in case)
    if "labels unchanged" in case:
        assert py_stages[-1].reason == teach.STOP_UNCHANGED and py_stages[-2].final
    # The numba fit, from the same start, follows the same rules.
    with warnings.catch_warnings():
        # Duplicate points may leave fewer distinct clusters than centres: expected here.
        warnings.filterwarnings("ignore", message="Number of distinct clusters")
        model = KMeans(init.shape[0], init=init, n_init=1, tol=tp.TOL).fit(X)
    np.testing.assert_array_equal(model.labels_, py_stages[-1].labels)
    assert model.n_iter_ == py_stages[-1].n_iter
    np.testing.assert_allclose(
        model.cluster_centers_, py_stages[-1].centers, rtol=RTOL_FLOAT64, atol=RTOL_FLOAT64
    )


def test_page_engine_stops_on_the_tolerance_like_python(page):
    X = tp.page_dataset("noise")
    init = X[:6] + 0.01
    for tol in (1e-4, 1e-2):
        js_stages = page.evaluate(
            "([X, init, tol]) => kmeansPage.KM.runFrom(X, init, {tol})",
            [X.tolist(), init.tolist(), tol],
        )
        py_stages = list(teach.kmeans_steps(X, init=init, max_iter=tp.MAX_ITER, tol=tol))
        _compare_engine_with_python(js_stages, py_stages, X, f"tol={tol}")
    assert py_stages[-1].reason == teach.STOP_TOLERANCE


def _shown(page):
    return page.evaluate("""() => ({
        title: document.getElementById('stage-title').textContent,
        wcssText: document.getElementById('wcss').textContent,
        wcssValue: document.getElementById('wcss').dataset.value,
        labels: kmeansPage.shownLabels(),
        kind: kmeansPage.stage() && kmeansPage.stage().kind,
        converged: !document.getElementById('converged').hidden,
        bounds: (document.getElementById('bounds-count') || {}).textContent || null,
    })""")


def test_click_through_a_run_shows_the_python_numbers(page):
    page.select_option("#dataset", label="Unequal sizes")
    page.select_option("#k", "3")
    page.select_option("#init", "k-means++")
    page.select_option("#algorithm", "hamerly")
    X = tp.page_dataset("unequal")
    stages = _python_stages(X, 3, "k-means++")
    hamerly = iter(teach.distance_counts(X, 3, algorithm="hamerly", random_state=0).point_center)
    assert _shown(page)["title"] == "Start"
    for position, stage in enumerate(stages):
        assert page.is_enabled("#step"), f"Step disabled before stage {position}"
        page.click("#step")
        shown = _shown(page)
        assert shown["kind"] == stage.kind
        # The value behind the display is the trace's double; the text, its 8 digits.
        assert float(shown["wcssValue"]) == stage.inertia
        assert float(shown["wcssText"]) == pytest.approx(stage.inertia, rel=SHOWN_DIGITS_RTOL)
        if stage.kind == "seeding":
            assert shown["title"] == f"Seeding: centre {stage.index + 1} of 3"
            assert shown["labels"] is None
            continue
        assert shown["labels"] == stage.labels.tolist()
        if stage.kind == "assignment" and not stage.final:
            assert shown["bounds"] == f"{next(hamerly)} of {X.shape[0] * 3}"
        assert shown["converged"] == (stage.kind == "converged")
    assert not page.is_enabled("#step")
    final = stages[-1]
    assert f"{final.n_iter} iteration" in page.text_content("#converged")
    # One line per half-step in the WCSS list, with the trace's values.
    listed = page.eval_on_selector_all("#wcss-list li", "items => items.map(i => i.dataset.value)")
    half_steps = [s.inertia for s in stages if s.kind in ("assignment", "update")]
    assert [float(v) for v in listed] == half_steps
    # Back, rewind, then Run plays to the end on its own; Pause stops it.
    page.click("#back")
    assert _shown(page)["kind"] == stages[-2].kind
    page.click("#rewind")
    assert _shown(page)["title"] == "Start"
    page.evaluate("() => { kmeansPage.runInterval = 15; }")
    page.click("#run")
    page.wait_for_selector("#converged:not([hidden])", timeout=20_000)
    assert _shown(page)["labels"] == final.labels.tolist()
    page.click("#rewind")
    page.evaluate("() => { kmeansPage.runInterval = 400; }")
    page.click("#run")
    page.click("#pause")
    assert not page.is_enabled("#pause") and not _shown(page)["converged"]


def test_keys_step_back_and_run(page):
    page.locator("#wcss-chart").click()  # focus off the controls
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => kmeansPage.state.position") == 1
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("() => kmeansPage.state.position") == 0
    page.evaluate("() => { kmeansPage.runInterval = 15; }")
    page.keyboard.press(" ")
    page.wait_for_selector("#converged:not([hidden])", timeout=20_000)


def _canvas_pixel(page, point):
    box = page.locator("#plot").bounding_box()
    px, py = page.evaluate("(p) => kmeansPage.state.view.toPixel(p)", point)
    width = page.evaluate("() => document.getElementById('plot').width")
    return box["x"] + px * box["width"] / width, box["y"] + py * box["height"] / width


def test_dragged_centre_runs_by_the_package_rules(page):
    page.select_option("#dataset", label="Well-separated blobs")
    page.select_option("#k", "4")
    for _ in range(4 + 1):  # the four seeds, then the first assignment
        page.click("#step")
    centers = page.evaluate("() => kmeansPage.stage().centers")
    # A bad start: drag centre 0 onto centre 1.
    start = _canvas_pixel(page, centers[0])
    end = _canvas_pixel(page, [centers[1][0] + 0.3, centers[1][1] + 0.2])
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=5)
    page.mouse.up()
    run = page.evaluate("() => kmeansPage.state.run")
    assert run[0]["kind"] == "init"
    assert "page's own engine" in page.text_content("#source")
    X = tp.page_dataset("blobs")
    init = np.asarray(run[0]["centers"])
    np.testing.assert_allclose(init[1:], np.asarray(centers)[1:], rtol=0, atol=0)
    assert np.linalg.norm(init[0] - np.asarray(centers)[0]) > 1.0
    py_stages = list(teach.kmeans_steps(X, init=init, max_iter=tp.MAX_ITER, tol=tp.TOL))
    _compare_engine_with_python(run, py_stages, X, "dragged start")


def test_centre_dragged_off_the_plot_empties_its_cluster(page):
    """The lesson's empty-cluster demo: a centre thrown far beyond the data gets no point."""
    page.select_option("#dataset", label="Uniform noise")
    for _ in range(5 + 1):
        page.click("#step")
    centers = page.evaluate("() => kmeansPage.stage().centers")
    box = page.locator("#plot").bounding_box()
    corner = max(range(len(centers)), key=lambda j: sum(_canvas_pixel(page, centers[j])))
    page.mouse.move(*_canvas_pixel(page, centers[corner]))
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 400, box["y"] + box["height"] + 150, steps=4)
    page.mouse.up()
    run = page.evaluate("() => kmeansPage.state.run")
    X = tp.page_dataset("noise")
    py_stages = list(
        teach.kmeans_steps(X, init=np.asarray(run[0]["centers"]), max_iter=tp.MAX_ITER, tol=tp.TOL)
    )
    first_update = next(s for s in py_stages if s.kind == "update")
    assert [cluster for cluster, _ in first_update.relocated] == [corner]
    _compare_engine_with_python(run, py_stages, X, "centre dragged off the plot")
    page.click("#step")
    page.click("#step")
    assert f"Cluster {corner} was empty" in page.text_content("#stage-detail")


def test_added_points_run_by_the_package_rules(page):
    page.select_option("#dataset", label="Your points (click to add)")
    page.select_option("#k", "3")
    assert "Add points" in page.text_content("#stage-title")
    box = page.locator("#plot").bounding_box()
    rng = np.random.RandomState(5)
    for cx, cy in [(0.25, 0.3), (0.7, 0.25), (0.5, 0.75)]:
        for dx, dy in rng.uniform(-0.06, 0.06, size=(6, 2)):
            page.mouse.click(
                box["x"] + (cx + dx) * box["width"], box["y"] + (cy + dy) * box["height"]
            )
    X = np.asarray(page.evaluate("() => kmeansPage.state.X"))
    assert X.shape == (18, 2)
    run = page.evaluate("() => kmeansPage.state.run")
    seeds = [s for s in run if s["kind"] == "seeding"]
    assert len(seeds) == 3
    # The page drew its own seeds; each drawn with the D^2 chances of the reference.
    centered = X - X.mean(axis=0)
    closest = None
    for seed in seeds:
        if closest is not None:
            np.testing.assert_allclose(
                seed["probabilities"], closest / closest.sum(), rtol=ENGINE_TOL, atol=ENGINE_TOL
            )
        to_seed = ((centered - centered[seed["chosen"]]) ** 2).sum(axis=1)
        closest = to_seed if closest is None else np.minimum(closest, to_seed)
    init = X[[seed["chosen"] for seed in seeds]]
    py_stages = list(teach.kmeans_steps(X, init=init, max_iter=tp.MAX_ITER, tol=tp.TOL))
    lloyd = [s for s in run if s["kind"] != "seeding"]
    _compare_engine_with_python(lloyd, py_stages, X, "added points")
    page.click("#clear-points")
    assert page.evaluate("() => kmeansPage.state.X.length") == 0


def test_screenshot_for_the_docs(page):
    """A mid-run view with Elkan's skipped distances: docs/figures/teach_page.png."""
    page.select_option("#dataset", label="Anisotropic")
    page.select_option("#k", "3")
    page.select_option("#algorithm", "elkan")
    stages = page.evaluate("() => kmeansPage.state.run.map((s) => s.kind + (s.iteration || ''))")
    target = stages.index("assignment3")
    for _ in range(target + 1):
        page.click("#step")
    assert page.text_content("#stage-title") == "Iteration 3: assignment"
    assert int(page.text_content("#bounds-count").split()[0]) < 3 * 210
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000
