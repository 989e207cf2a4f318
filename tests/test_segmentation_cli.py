"""The kmeans-segment command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from segmentation import datasets
from segmentation.cli import main

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def customers_csv(tmp_path):
    path = tmp_path / "customers.csv"
    datasets.make_customers(120, random_state=1).to_csv(path, index=False)
    return path


def run(argv, capsys):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_help_explains_the_commands(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0
    for word in ("demo", "run", "assign", "examples:", "report.html"):
        assert word in out
    status, out, _ = run(["run", "--help"], capsys)
    assert status == 0 and "--features" in out and "--drop-missing" in out


def test_no_command_is_a_one_line_error(capsys):
    status, _, err = run([], capsys)
    assert status == 2 and len(err.strip().splitlines()) == 1


def test_demo_writes_the_report_and_prints_the_summary(tmp_path, capsys):
    out = tmp_path / "demo"
    status, stdout, err = run(["demo", "--out", out, "--no-plots", "--n-init", "3"], capsys)
    assert status == 0, err
    assert "5 segments among 200 customers (synthetic" in stdout
    assert f"Report: {out / 'report.html'}" in stdout
    assert (out / "report.html").is_file() and (out / "model.json").is_file()
    assert err == ""


def test_run_then_assign(tmp_path, customers_csv, capsys):
    out = tmp_path / "report"
    status, stdout, err = run(
        [
            "run",
            customers_csv,
            "--features",
            "income,spending",
            "--k",
            "5",
            "--out",
            out,
            "--no-plots",
            "--progress",
            "--n-init",
            "2",
        ],
        capsys,
    )
    assert status == 0, err
    assert "fitting K-Means" in err and "done in" in err
    assert "k = 5 was requested" in stdout

    new = datasets.make_customers(9, random_state=11)
    new_csv = tmp_path / "new.csv"
    new.to_csv(new_csv, index=False)
    assigned_csv = tmp_path / "assigned.csv"
    status, stdout, err = run(
        ["assign", out / "model.json", new_csv, "--out", assigned_csv], capsys
    )
    assert status == 0, err
    assigned = pd.read_csv(assigned_csv)
    assert len(assigned) == 9 and set(assigned["Segment"]) <= {1, 2, 3, 4, 5}
    assert "Assigned 9 customers to 5 segments" in stdout

    status, stdout, _ = run(["assign", out / "model.json", new_csv], capsys)
    assert status == 0 and stdout.startswith("CustomerID,Gender,Age")


@pytest.mark.parametrize(
    ("edit", "extra", "message"),
    [
        (lambda f: f.drop(columns="Spending Score (1-100)"), [], "no income and spending-score"),
        (
            lambda f: f.astype({"Age": object}).assign(
                Age=lambda g: g["Age"].where(g.index != 4, "x")
            ),
            ["--features", "income", "age"],
            "'Age' has non-numeric values ('x') at row 5",
        ),
        (lambda f: f.assign(CustomerID=1), [], "repeated ID"),
        (lambda f: f.head(1), [], "only 1 row"),
        (lambda f: f, ["--features", "Loyalty"], "feature 'Loyalty' is not a column"),
        (lambda f: f, ["--scale", "cube-root"], "argument --scale: invalid choice"),
        (lambda f: f, ["--k", "-3"], "argument --k"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, edit, extra, message):
    path = tmp_path / "bad.csv"
    edit(datasets.make_customers(30, random_state=1)).to_csv(path, index=False)
    out = tmp_path / "out"
    status, stdout, err = run(["run", path, "--out", out, *extra], capsys)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and message in err
    assert err.startswith("kmeans-segment")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_data_quality_warnings_go_to_stderr(tmp_path, capsys):
    frame = datasets.make_customers(60, random_state=1)
    frame.loc[0, "Spending Score (1-100)"] = 150
    path = tmp_path / "odd.csv"
    frame.to_csv(path, index=False)
    status, _, err = run(
        ["run", path, "--out", tmp_path / "o", "--no-plots", "--k", "3", "--n-init", "2"], capsys
    )
    assert status == 0
    assert err.strip() == (
        "kmeans-segment: warning: column 'Spending Score (1-100)' has 1 value(s) "
        "outside its stated range 1-100 at row 1; they are kept"
    )
    status, _, err = run(["run", path, "--out", tmp_path / "p", "--strict"], capsys)
    assert status == 2 and "outside its stated range" in err


def test_assign_errors(tmp_path, capsys, customers_csv):
    status, _, err = run(["assign", tmp_path / "none.json", customers_csv], capsys)
    assert status == 2 and "model file" in err and "does not exist" in err


def test_python_dash_m_segmentation(tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "segmentation",
            "demo",
            "--customers",
            "80",
            "--k",
            "3",
            "--n-init",
            "2",
            "--no-plots",
            "--out",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "3 segments among 80 customers" in completed.stdout


def test_mall_customers_from_the_command_line(tmp_path, capsys):
    path = DATA / "Mall_Customers.csv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    # The library test checks the defaults; three restarts find the same optimum here.
    status, stdout, err = run(
        ["run", path, "--out", tmp_path / "mall", "--n-init", "3", "--compare-hierarchical"], capsys
    )
    assert status == 0, err
    assert "5 segments among 200 customers" in stdout
    assert "Low Income, High Spending" in stdout
    assert (tmp_path / "mall" / "plots" / "segments.png").is_file()
    assert "adjusted Rand index" in stdout
    assert (tmp_path / "mall" / "plots" / "dendrogram.png").is_file()


def test_teach_subcommand_writes_the_animation(tmp_path, capsys):
    from segmentation.cli import main

    status = main(["teach", "--out", str(tmp_path), "--n-samples", "60", "--fps", "4"])
    assert status == 0
    gif = tmp_path / "kmeans.gif"
    assert gif.is_file() and gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    assert "kmeans.gif" in capsys.readouterr().out
    assert main(["teach", "--n-clusters", "0", "--out", str(tmp_path)]) == 2
