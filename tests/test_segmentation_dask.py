"""``kmeans-segment run --engine dask`` against its oracle, the in-memory engine.

A messy customer table (decimal commas and semicolons in the CSVs, a
skewed money column with an absurd value, "F"/"Female" spellings, a text
category, missing ages dropped) is written as a Parquet folder of several
files and as several CSV files; both are segmented through Dask and compared
with the in-memory run on the same rows: the same customers.csv and labels,
centres within ``RTOL_ENGINES``, the same profile.

Schedulers. The equality tests use Dask's threaded scheduler (no cluster is
needed for a single machine, and it starts instantly); one slow test runs the
same comparison on the shared real ``distributed.LocalCluster`` fixture
(``client`` in conftest.py).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")

from segmentation import datasets  # noqa: E402 (after the importorskip lines)
from segmentation.cli import main  # noqa: E402
from segmentation.dask_engine import _Partitions, _quantiles  # noqa: E402

# The engines add the same numbers in different orders (per-partition sums, then
# partitions in order, against NumPy's pairwise sums over a column): a few roundings.
RTOL_ENGINES = 1e-12
OPTIONS = [
    "--features",
    "income",
    "spending",
    "age",
    "Balance",
    "gender",
    "--categorical",
    "Plan",
    "--drop-missing",
    "--n-init",
    "1",
    "--no-plots",
]


def messy_customers(n=150, seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = datasets.make_customers(n, random_state=seed)
    frame["Balance"] = np.round(rng.lognormal(8, 1.5, n), 2)
    frame.loc[7, "Balance"] = 9e8  # an absurd value: flagged as an outlier
    frame["Plan"] = rng.choice(["Basic", "Plus", "Gold"], n)
    frame["Gender"] = frame["Gender"].where(rng.random(n) > 0.2, "F")
    frame.loc[[5, 30], "Age"] = np.nan
    return frame


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """The same customers as one CSV, a Parquet folder of 3 files and 3 European CSVs."""
    folder = tmp_path_factory.mktemp("customers")
    frame = messy_customers()
    frame.to_csv(folder / "all.csv", index=False)
    (folder / "parquet").mkdir()
    (folder / "csv").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(folder / "parquet" / f"part-{i}.parquet", index=False)
        frame.iloc[rows].to_csv(folder / "csv" / f"c{i}.csv", sep=";", decimal=",", index=False)
    return folder


def run_cli(args, capsys):
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def in_memory_report(tables):
    out = tables / "memory-report"
    assert main(["run", str(tables / "all.csv"), *OPTIONS, "--out", str(out)]) == 0
    return out


def assert_same_report(report, reference):
    assert (report / "customers.csv").read_bytes() == (reference / "customers.csv").read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_csv(report / "profile.csv", index_col=0),
        pd.read_csv(reference / "profile.csv", index_col=0),
        rtol=RTOL_ENGINES,
    )
    model, expected = (json.loads((r / "model.json").read_text()) for r in (report, reference))
    centers = np.array([s["center_scaled"] for s in model["segments"]])
    expected_centers = np.array([s["center_scaled"] for s in expected["segments"]])
    np.testing.assert_allclose(
        centers, expected_centers, rtol=0, atol=RTOL_ENGINES * np.abs(expected_centers).max()
    )
    assert [s["name"] for s in model["segments"]] == [s["name"] for s in expected["segments"]]
    assert model["features"] == expected["features"]


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["parquet", "csv"])
def test_dask_engine_gives_the_in_memory_report(tables, in_memory_report, layout, capsys):
    source = tables / "parquet" if layout == "parquet" else tables / "csv" / "c*.csv"
    out = tables / f"dask-report-{layout}"
    with dask.config.set(scheduler="threads"):
        status, printed, errors = run_cli(
            ["run", str(source), "--engine", "dask", *OPTIONS, "--out", str(out)], capsys
        )
    assert status == 0, errors
    assert "Dropped 2 of 150 customers" in (out / "summary.md").read_text()
    assert_same_report(out, in_memory_report)


@pytest.mark.slow
def test_dask_engine_on_a_local_cluster(client, tables, in_memory_report, capsys):
    out = tables / "dask-report-cluster"
    status, _, errors = run_cli(
        ["run", str(tables / "parquet"), "--engine", "dask", *OPTIONS, "--out", str(out)], capsys
    )
    assert status == 0, errors
    assert_same_report(out, in_memory_report)


def test_order_statistics_are_numpys(tmp_path):
    """Medians and percentiles by reductions equal numpy's, ties and NaN included."""
    from dask import delayed

    rng = np.random.default_rng(0)
    column = np.concatenate([rng.lognormal(0, 3, 3000), np.full(500, 2.5), [np.nan] * 7])
    rng.shuffle(column)
    values = np.column_stack([column, np.round(column)])
    pieces = np.array_split(values, 4)
    parts = _Partitions([delayed(p) for p in pieces], [len(p) for p in pieces])
    present = [int(np.sum(~np.isnan(values[:, j]))) for j in range(2)]
    requests = [(j, 0, q) for j in range(2) for q in ("median", 25, 75, 90)]
    found = _quantiles(parts, None, {(j, 0): present[j] for j in range(2)}, requests)
    for j in range(2):
        kept = values[~np.isnan(values[:, j]), j]
        assert found[(j, 0, "median")] == np.median(kept)
        for q in (25, 75, 90):
            assert found[(j, 0, q)] == np.percentile(kept, q)


def test_a_pattern_that_matches_nothing_is_named(tmp_path, capsys):
    status, _, errors = run_cli(
        ["run", str(tmp_path / "none-*.csv"), "--engine", "dask", "--out", str(tmp_path / "r")],
        capsys,
    )
    assert status == 2
    assert "none-*.csv' matches no files" in errors


def test_files_that_disagree_on_columns_are_named(tmp_path, capsys):
    frame = messy_customers(40)
    frame.iloc[:20].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[20:].drop(columns="Plan").to_csv(tmp_path / "b.csv", index=False)
    status, _, errors = run_cli(
        ["run", str(tmp_path / "*.csv"), "--engine", "dask", "--out", str(tmp_path / "r")], capsys
    )
    assert status == 2
    assert "'b.csv' lacks 'Plan'" in errors
    assert not (tmp_path / "r").exists()


def test_parquet_files_that_disagree_on_columns_are_named(tmp_path, capsys):
    frame = messy_customers(40)
    frame.iloc[:20].to_parquet(tmp_path / "a.parquet", index=False)
    frame.iloc[20:].rename(columns={"Plan": "Tier"}).to_parquet(tmp_path / "b.parquet", index=False)
    status, _, errors = run_cli(
        ["run", str(tmp_path), "--engine", "dask", "--out", str(tmp_path.parent / "r-pq")], capsys
    )
    assert status == 2
    assert "'b.parquet' lacks 'Plan' and has 'Tier' in addition" in errors


def test_without_dask_the_option_is_named(tmp_path, capsys, monkeypatch):
    messy_customers(40).to_csv(tmp_path / "a.csv", index=False)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)  # import fails as if not installed
    status, _, errors = run_cli(
        ["run", str(tmp_path / "a.csv"), "--engine", "dask", "--out", str(tmp_path / "r")], capsys
    )
    assert status == 2
    assert "--engine dask needs the optional packages dask[dataframe]" in errors


def test_options_the_engine_lacks_are_refused(tmp_path, capsys):
    messy_customers(40).to_csv(tmp_path / "a.csv", index=False)
    status, _, errors = run_cli(
        ["run", str(tmp_path / "a.csv"), "--engine", "dask", "--features", "all"], capsys
    )
    assert status == 2
    assert "--features all is not available with --engine dask" in errors


def test_the_input_folder_is_never_the_report_folder(tables, capsys):
    before = sorted(p.name for p in (tables / "parquet").iterdir())
    status, _, errors = run_cli(
        ["run", str(tables / "parquet"), "--engine", "dask", "--out", str(tables / "parquet")],
        capsys,
    )
    assert status == 2
    assert "holds the input file" in errors
    assert sorted(p.name for p in (tables / "parquet").iterdir()) == before
