"""Plots, the report folder (all or nothing) and the hierarchical comparison."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from segmentation import compare_hierarchical, datasets, export, plots, report, segment_customers

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result():
    return segment_customers(datasets.make_customers(150, random_state=2), n_init=3)


@pytest.fixture(scope="module")
def wide_result():
    customers = datasets.make_customers(120, random_state=5)
    return segment_customers(
        customers,
        features=["income", "spending", "age", "gender"],
        k=4,
        n_init=2,
        k_range=range(1, 7),
    )


def test_report_folder_contents(result, tmp_path):
    out = tmp_path / "report"
    written = export.write_report(result, out)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == sorted(
        [
            "report.html",
            "summary.md",
            "customers.csv",
            "profile.csv",
            "k_selection.csv",
            "model.json",
            "plots/elbow.png",
            "plots/silhouette.png",
            "plots/segments.png",
            "plots/profile.png",
            ".kmeans-segment-report",
        ]
    )
    assert written["html"] == out / "report.html"
    for png in out.glob("plots/*.png"):
        assert png.read_bytes().startswith(PNG_SIGNATURE)
    customers = pd.read_csv(out / "customers.csv")
    assert len(customers) == 150 and list(customers.columns[-2:]) == ["Segment", "Segment Name"]
    profile = pd.read_csv(out / "profile.csv", index_col=0)
    assert profile.index.tolist() == ["1", "2", "3", "4", "5", "All"]
    assert json.loads((out / "model.json").read_text())["format"].startswith("kmeans-segment-model")
    assert pd.read_csv(out / "k_selection.csv").columns.tolist() == ["k", "WCSS", "Silhouette"]
    # Nothing is left over from the temporary folder; the lock file beside it stays (it is ours).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".report.kmeans-segment.lock", "report"]


def test_html_is_self_contained(result, tmp_path):
    export.write_report(result, tmp_path / "r")
    page = (tmp_path / "r" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "http" not in page.replace("https://", "")
    for name in result.names:
        assert name in page
    assert "synthetic" in page


def test_markdown_summary(result):
    text = report.render_markdown(result, {"segments": "plots/segments.png"})
    assert text.startswith("# Customer segmentation: 5 segments")
    assert "![Segments in the feature plane" in text
    assert "| Segment | Name | Customers | Share |" in text
    assert "**Suggested action:**" in text


def test_console_summary(result):
    text = report.render_summary(result)
    assert text.splitlines()[0].startswith("5 segments among 150 customers (synthetic")
    assert "Low Income, High Spending" in text


def test_scatter_matrix_only_with_more_than_two_features(result, wide_result):
    assert "scatter_matrix" not in plots.make_figures(result)
    figures = plots.make_figures(wide_result)
    assert set(figures) == {"elbow", "silhouette", "segments", "scatter_matrix", "profile"}
    assert len(figures["scatter_matrix"].axes) == 16


def test_plots_draw_on_given_axes(result):
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.add_subplot()
    assert plots.plot_elbow(result.selection, ax=ax) is ax
    assert plots.plot_segments(result, ax=figure.add_subplot(2, 1, 2), max_points=50) is not None
    assert plots.figure_to_png(figure).startswith(PNG_SIGNATURE)


def test_no_plots_writes_no_images(result, tmp_path):
    export.write_report(result, tmp_path / "r", plots=False)
    assert not (tmp_path / "r" / "plots").exists()
    assert "data:image" not in (tmp_path / "r" / "report.html").read_text()


def test_failure_leaves_nothing_half_written(result, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "render_markdown", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        export.write_report(result, tmp_path / "r", plots=False)
    assert [p.name for p in tmp_path.iterdir()] == [".r.kmeans-segment.lock"]


def test_an_earlier_report_is_replaced_as_a_whole_and_other_folders_are_refused(result, tmp_path):
    out = tmp_path / "r"
    export.write_report(result, out)
    assert (out / "plots" / "elbow.png").is_file()
    export.write_report(result, out, plots=False)
    assert not (out / "plots").exists()
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    # A folder that is not one of our reports is never written into (see test_segmentation_files).
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a kmeans-segment report .*notes.txt"):
        export.write_report(result, other, plots=False)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_output_path_that_is_a_file_is_an_error(result, tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        export.write_report(result, target)


def test_hierarchical_comparison(result, tmp_path):
    comparison = compare_hierarchical(result)
    assert comparison.n_compared == 150 and not comparison.sampled
    assert 0.5 < comparison.ari <= 1.0
    sizes = comparison.sizes
    assert sizes.index.tolist() == [1, 2, 3, 4, 5]
    assert sizes["Name"].tolist() == result.names
    assert sizes[["K-Means", "Ward"]].sum().tolist() == [150, 150]
    assert sizes["K-Means"].tolist() == [s.size for s in result.segments]
    written = export.write_report(result, tmp_path / "r", comparison=comparison)
    assert written["plot:dendrogram"].read_bytes().startswith(PNG_SIGNATURE)
    assert "Hierarchical comparison" in written["markdown"].read_text()
    assert "adjusted Rand index" in written["html"].read_text()
    sampled = compare_hierarchical(result, max_customers=60)
    assert sampled.sampled and sampled.n_compared == 60
    with pytest.raises(ValueError, match="max_customers"):
        compare_hierarchical(result, max_customers=1)
