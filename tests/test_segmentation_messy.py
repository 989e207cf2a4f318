"""Real-world tables: messy files, skewed money, categories, outliers, many columns.

Every table here is built by the test; none is read from disk except what the
test wrote.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation import SegmentationError, datasets, load_customers
from segmentation.cli import main
from segmentation.reading import read_customer_file


@pytest.fixture(scope="module")
def accented() -> pd.DataFrame:
    """Classic columns plus a decimal amount and accented text (the encoding matters)."""
    frame = datasets.make_customers(30, random_state=1)
    frame["Spend"] = np.linspace(0.5, 100.25, 30)
    frame["City"] = ["Zoë's town" if i % 2 else "São José" for i in range(30)]
    return frame


# --- reading: separators, decimal marks, encodings -------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize(
    "separator, decimal, word",
    [(",", ".", "comma"), (";", ",", "semicolon"), ("\t", ",", "tab"), ("|", ".", "pipe")],
)
def test_separator_decimal_and_encoding_are_detected(
    tmp_path, accented, separator, decimal, word, encoding
):
    path = tmp_path / "export.csv"  # a .csv name whatever the separator, as exports do
    accented.to_csv(path, sep=separator, decimal=decimal, index=False, encoding=encoding)
    frame, info = read_customer_file(path)
    pd.testing.assert_frame_equal(frame, accented, check_dtype=False)
    assert (info.separator, info.decimal) == (separator, decimal)
    assert info.encoding == encoding
    assert set(info.detected) == {"encoding", "separator", "decimal"}
    described = info.describe()
    assert f"separator {word} (detected)" in described
    assert ("decimal comma" if decimal == "," else "decimal point") in described


def test_latin1_bytes_outside_cp1252_are_read(tmp_path):
    # 0x81 is undefined in cp1252; only latin-1 reads it.
    path = tmp_path / "old.csv"
    path.write_bytes(b"id,Name,Spend\n1,A\x81B,3\n2,\xe9t\xe9,4\n")
    frame, info = read_customer_file(path)
    assert info.encoding == "latin-1"
    assert frame["Name"].tolist() == ["A\x81B", "été"]


def test_overrides_are_used_and_reported(tmp_path, accented):
    path = tmp_path / "export.txt"
    accented.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
    frame, info = read_customer_file(path, sep="semicolon", decimal=",", encoding="cp1252")
    pd.testing.assert_frame_equal(frame, accented, check_dtype=False)
    assert info.detected == ()
    assert "separator semicolon (given)" in info.describe()


def test_wrong_separator_says_what_was_found_and_what_to_try(tmp_path, accented):
    path = tmp_path / "export.csv"
    accented.to_csv(path, sep=";", index=False)
    with pytest.raises(
        SegmentationError, match=r"read as one column.*semicolon.*try --sep semicolon"
    ):
        read_customer_file(path, sep=",")


def test_wrong_encoding_override_says_what_to_try(tmp_path, accented):
    path = tmp_path / "export.csv"
    accented.to_csv(path, index=False, encoding="cp1252")
    with pytest.raises(SegmentationError, match=r"cannot read 'export.csv' as utf-8.*cp1252"):
        read_customer_file(path, encoding="utf-8")


def test_ragged_rows_name_the_reading_and_suggest_a_separator(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id,a,b\n1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(SegmentationError, match=r"separator comma \(detected\).*try another --sep"):
        read_customer_file(path)


@pytest.mark.parametrize(
    "header, message",
    [
        ("id,Spend,Spend", r"repeated column names: 'Spend' in columns 2, 3"),
        ("id,,Spend", r"empty header: column 2 \(after 'id'\)"),
        ("id, ,Spend", r"empty header: column 2"),
    ],
)
def test_duplicate_and_empty_headers_are_refused(tmp_path, header, message):
    path = tmp_path / "bad.csv"
    path.write_text(header + "\n1,2,3\n2,3,4\n")
    with pytest.raises(SegmentationError, match=message):
        load_customers(path)


def test_excel_input_and_its_header_checks(tmp_path, accented):
    pytest.importorskip("openpyxl")
    path = tmp_path / "customers.xlsx"
    accented.to_excel(path, index=False)
    frame, info = read_customer_file(path)
    pd.testing.assert_frame_equal(frame, accented, check_dtype=False)
    assert info.describe() == "Excel workbook (first sheet)"
    twice = accented.rename(columns={"Age": "Spend"})
    twice.to_excel(path, index=False)
    with pytest.raises(SegmentationError, match="repeated column names: 'Spend'"):
        read_customer_file(path)
    with pytest.raises(SegmentationError, match="apply to text files"):
        read_customer_file(path, sep=";")


def test_bad_override_values_are_errors(tmp_path, accented):
    path = tmp_path / "export.csv"
    accented.to_csv(path, index=False)
    with pytest.raises(SegmentationError, match="sep 'colon' must be one character"):
        read_customer_file(path, sep="colon")
    with pytest.raises(SegmentationError, match="decimal must be"):
        read_customer_file(path, decimal="·")
    with pytest.raises(SegmentationError, match="not an encoding Python knows"):
        read_customer_file(path, encoding="klingon")


def test_cli_reads_a_semicolon_cp1252_file_and_reports_it(tmp_path, capsys):
    frame = datasets.make_customers(120, random_state=2)
    frame["Annual Income (k$)"] = frame["Annual Income (k$)"] + 0.5
    path = tmp_path / "kunden.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
    status = main(
        [
            "run",
            str(path),
            "--k",
            "5",
            "--n-init",
            "2",
            "--no-plots",
            "--out",
            str(tmp_path / "report"),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "separator semicolon (detected), decimal comma (detected)" in out
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "separator semicolon" in html
    assigned = tmp_path / "assigned.csv"
    assert (
        main(
            [
                "assign",
                str(tmp_path / "report" / "model.json"),
                str(path),
                "--sep",
                "semicolon",
                "--out",
                str(assigned),
            ]
        )
        == 0
    )
    assert len(pd.read_csv(assigned)) == 120


# --- features: all, categories, dates ---------------------------------------------------------------

QUICK = {"n_init": 2, "k_range": range(1, 7), "stability": False}


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """17 numeric columns (skewed money), a text category, a date, two absurd balances."""
    return datasets.make_wide_customers(600, n_features=17, random_state=0)


def test_features_all_takes_numeric_columns_and_few_valued_text_but_not_ids(wide):
    from segmentation.features import build_features

    table = load_customers(wide)
    matrix = build_features(table, "all")
    used = [f.column for f in matrix.features]
    assert "CUST_ID" not in used and "Customer Since" not in used
    assert len([f for f in matrix.features if not f.is_categorical]) == 17
    plan = next(f for f in matrix.features if f.column == "Plan")
    assert plan.categories == ("Basic", "Classic", "Gold", "Platinum")
    assert any("left out: CUST_ID (the customer ID)" in note for note in matrix.table.notes)
    # A counter column is an ID too, even when its name does not say so.
    counted = wide.assign(RowNumber=np.arange(1, len(wide) + 1))
    assert "RowNumber" not in [
        f.column for f in build_features(load_customers(counted), "all").features
    ]


def test_features_all_takes_whole_number_codes_as_categories(wide):
    """Channel 1/2 or region 1/2/3 are codes: one-hot encoded and named with their column
    ("Mostly Channel 2"), never "High Channel"; a count with many values stays numeric."""
    from segmentation import segment_customers
    from segmentation.features import build_features

    rng = np.random.RandomState(1)
    coded = wide.assign(Channel=rng.choice([1, 2], len(wide)), Visits=rng.poisson(6, len(wide)))
    matrix = build_features(load_customers(coded), "all")
    channel = next(f for f in matrix.features if f.column == "Channel")
    assert channel.is_categorical and channel.categories == ("1", "2")
    assert not next(f for f in matrix.features if f.column == "Visits").is_categorical
    assert any("taken as categories" in note and "Channel" in note for note in matrix.table.notes)
    result = segment_customers(
        coded[["CUST_ID", "BALANCE", "PURCHASES", "Channel"]].assign(
            Channel=np.where(coded["BALANCE"] > coded["BALANCE"].median(), 2, 1)
        ),
        features="all",
        k=2,
        **QUICK,
    )
    assert all("High Channel" not in name and "Low Channel" not in name for name in result.names)
    assert any("Channel" in name for name in result.names)


def test_text_with_many_values_says_how_to_use_it(wide):
    from segmentation.features import build_features

    with pytest.raises(
        SegmentationError, match=r"'Customer Since' holds text.*--categorical.*--dates"
    ):
        build_features(load_customers(wide), ["BALANCE", "Customer Since"])


def test_dates_become_ages_in_days_and_travel_into_the_model(wide):
    from segmentation import segment_customers

    result = segment_customers(wide, features=["PURCHASES"], dates=["Customer Since"], k=3, **QUICK)
    column = "Customer Since (days)"
    ages = result.feature_values[column]
    since = pd.to_datetime(wide["Customer Since"])
    np.testing.assert_array_equal(ages.to_numpy(), (since.max() - since).dt.days.to_numpy())
    feature = next(f for f in result.features if f.is_date)
    assert feature.reference_date.startswith(str(since.max().date()))
    # New customers are aged against the same reference date, not against their own latest.
    new = wide.head(5)
    np.testing.assert_array_equal(result.model.predict(new), result.labels[:5])


def test_one_categorical_column_weighs_like_one_numeric_column():
    from segmentation.features import Feature
    from segmentation.scaling import fit_scaling

    rng = np.random.default_rng(0)
    plan = rng.choice(["a", "b", "c", "d", "e"], size=500, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    values = pd.DataFrame({"x": rng.normal(size=500)})
    for category in "abcde":
        values[f"plan={category}"] = (plan == category).astype(float)
    features = [Feature("x"), Feature("plan", None, tuple("abcde"))]
    scaled = fit_scaling(values, features, "standard").transform(values)
    variances = scaled.var(axis=0)
    assert variances[0] == pytest.approx(1.0)
    # The five indicators together carry the variance of one standardised column.
    assert variances[1:].sum() == pytest.approx(1.0)
    assert np.all(variances[1:] < 1.0)


def test_categories_are_profiled_as_shares_per_segment(wide):
    from segmentation import segment_customers

    result = segment_customers(
        wide, features=["PURCHASES", "BALANCE"], categorical=["Plan"], k=3, **QUICK
    )
    shares = result.profile[[f"Plan={p} share" for p in ("Basic", "Classic", "Gold", "Platinum")]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


# --- scaling --------------------------------------------------------------------------------------


def test_auto_scaling_logs_skewed_money_and_reports_each_choice(wide):
    from segmentation import segment_customers
    from segmentation.scaling import SKEW_THRESHOLD

    result = segment_customers(
        wide, features=["BALANCE", "PURCHASES", "PURCHASES_RATIO_1"], k=3, **QUICK
    )
    chosen = dict(zip(result.scaling["Feature"], result.scaling["Scaling"]))
    skew = dict(zip(result.scaling["Feature"], result.scaling["Skewness"]))
    for column, method in chosen.items():
        assert method == ("log" if skew[column] > SKEW_THRESHOLD else "standard"), column
    assert chosen["BALANCE"] == "log"
    # Centres and segment means are reported in original units (money, not log-money).
    originals = result.model.centers_original
    assert originals["BALANCE"].min() > 50
    for segment in result.segments:
        members = result.feature_values[
            (result.labels == segment.number) & ~result.customers["Outlier"].to_numpy()
        ]
        np.testing.assert_allclose(segment.centroid.to_numpy(), members.mean().to_numpy())


@pytest.mark.parametrize("scale", ["standard", "robust", "log", "none"])
def test_every_scaling_round_trips_through_the_model_file(wide, scale, tmp_path):
    from segmentation import read_model, segment_customers, write_model

    result = segment_customers(
        wide, features=["PURCHASES", "CASH_ADVANCE"], scale=scale, k=3, **QUICK
    )
    loaded = read_model(write_model(result.model, tmp_path / "model.json"))
    np.testing.assert_array_equal(loaded.predict(wide), result.model.predict(wide))
    assert loaded.scaler.column_methods == result.model.scaler.column_methods
    # The saved means are the report's segment means (original units), whatever the scaling.
    np.testing.assert_allclose(loaded.means, np.vstack([s.centroid for s in result.segments]))


# --- outliers, small segments ---------------------------------------------------------------------


def test_extreme_customers_are_flagged_not_given_a_segment(wide):
    from segmentation import segment_customers

    absurd = wide.index[wide["BALANCE"] > 1e7]
    assert len(absurd) == 2
    features = ["BALANCE", "PURCHASES", "CASH_ADVANCE"]
    flagged = segment_customers(wide, features=features, k=4, **QUICK)
    assert set(absurd + 1) <= set(flagged.outliers["Row"])
    # Listed most extreme first, each with the segment it was given.
    z = flagged.outliers["Robust z"].to_numpy()
    assert np.all(np.diff(z) <= 0)
    rows = flagged.outliers["Row"].to_numpy() - 1
    np.testing.assert_array_equal(flagged.outliers["Segment"], flagged.labels[rows])
    assert flagged.customers["Outlier"].sum() == len(flagged.outliers)
    assert min(s.size for s in flagged.segments) > 20  # nobody got a segment of their own
    assert len(flagged.customers) == len(wide)
    excluded = segment_customers(wide, features=features, k=4, outliers="exclude", **QUICK)
    assert len(excluded.customers) == len(wide) - len(flagged.outliers)
    # Kept and standardised, the absurd balances take a segment of their own: what flagging avoids.
    kept = segment_customers(
        wide, features=features, k=4, outliers="keep", scale="standard", **QUICK
    )
    assert min(s.size for s in kept.segments) == 2
    assert any("is small: 2 customer(s)" in w for w in kept.warnings)


def test_robust_z_matches_a_hand_computation():
    from segmentation.outliers import robust_z_scores

    values = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [100.0]])
    median = 3.5
    mad_spread = 1.5 / 0.6745
    iqr_spread = (4.75 - 2.25) / 1.349
    expected = (values[:, 0] - median) / max(mad_spread, iqr_spread)
    np.testing.assert_allclose(robust_z_scores(values)[:, 0], expected)


# --- names, drivers, labels -----------------------------------------------------------------------


def test_generic_columns_get_driver_names_and_no_invented_actions(wide):
    from segmentation import segment_customers
    from segmentation.naming import NO_ACTION

    result = segment_customers(wide, features="all", k=4, **QUICK)
    assert all(s.action == NO_ACTION for s in result.segments)
    for segment in result.segments:
        drivers = result.drivers[result.drivers["Segment"] == segment.number]
        assert len(drivers) == 3
        assert list(drivers["z"].abs()) == sorted(drivers["z"].abs(), reverse=True)


def test_user_roles_unlock_the_classic_actions():
    from segmentation import segment_customers

    frame = datasets.make_customers(200, random_state=0).rename(
        columns={"Annual Income (k$)": "Pay", "Spending Score (1-100)": "Points"}
    )
    result = segment_customers(
        frame,
        features=["Pay", "Points"],
        k=5,
        roles={"income": "Pay", "spending": "Points"},
        **QUICK,
    )
    assert "Low Income, High Spending" in result.names
    assert any("loyalty" in s.action for s in result.segments)
    with pytest.raises(SegmentationError, match="unknown role 'wealth'"):
        segment_customers(frame, features=["Pay"], roles={"wealth": "Pay"}, **QUICK)


def test_labels_rename_segments_into_the_model_and_assign(tmp_path, capsys):
    frame = datasets.make_customers(200, random_state=0)
    data = tmp_path / "customers.csv"
    frame.to_csv(data, index=False)
    labels = tmp_path / "labels.csv"
    labels.write_text("Segment,Name\n2,Bargain hunters\n5,VIP\n")
    out = tmp_path / "report"
    assert (
        main(
            [
                "run",
                str(data),
                "--k",
                "5",
                "--labels",
                str(labels),
                "--n-init",
                "2",
                "--no-plots",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "Bargain hunters" in capsys.readouterr().out
    assigned = tmp_path / "assigned.csv"
    assert main(["assign", str(out / "model.json"), str(data), "--out", str(assigned)]) == 0
    names = set(pd.read_csv(assigned)["Segment Name"])
    assert {"Bargain hunters", "VIP"} <= names
    import json

    saved = json.loads((out / "model.json").read_text())
    assert saved["segments"][1]["name"] == "Bargain hunters"
    assert saved["segments"][1]["generated_name"] == "Low Income, High Spending"
    labels.write_text("Segment,Name\n9,Nobody\n")
    assert main(["run", str(data), "--k", "5", "--labels", str(labels), "--out", str(out)]) == 2
    assert "segment 9 does not exist" in capsys.readouterr().err


def test_assign_drop_missing(tmp_path, capsys):
    frame = datasets.make_customers(200, random_state=0)
    data = tmp_path / "customers.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "report"
    assert (
        main(["run", str(data), "--k", "5", "--n-init", "2", "--no-plots", "--out", str(out)]) == 0
    )
    holes = frame.copy()
    holes.loc[[3, 7], "Annual Income (k$)"] = np.nan
    holes.to_csv(data, index=False)
    assigned = tmp_path / "assigned.csv"
    assert main(["assign", str(out / "model.json"), str(data), "--out", str(assigned)]) == 2
    capsys.readouterr()
    assert (
        main(
            ["assign", str(out / "model.json"), str(data), "--drop-missing", "--out", str(assigned)]
        )
        == 0
    )
    assert "left out 2 of 200 customers" in capsys.readouterr().err
    assert len(pd.read_csv(assigned)) == 198


# --- one segment mean, fixed curves, stability, the report ------------------------------------------


def test_requested_k_does_not_move_the_comparison_curves():
    from segmentation import segment_customers

    frame = datasets.make_customers(200, random_state=0)
    five = segment_customers(frame, k=5, **QUICK)
    twelve = segment_customers(frame, k=12, **QUICK)
    assert twelve.k == 12
    assert (
        twelve.selection.k_values.tolist() == five.selection.k_values.tolist() == list(range(1, 7))
    )
    np.testing.assert_array_equal(twelve.selection.inertia, five.selection.inertia)
    assert twelve.selection.elbow_k == five.selection.elbow_k


def test_stability_separates_real_groups_from_an_arbitrary_split():
    from segmentation import segment_customers
    from segmentation.stability import STABLE_JACCARD

    real = segment_customers(
        datasets.make_customers(200, random_state=0), k=5, n_init=2, k_range=range(1, 7)
    )
    assert all(s.is_stable for s in real.segments)
    rng = np.random.default_rng(0)
    blob = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    arbitrary = segment_customers(
        blob, features=["a", "b"], k=7, n_init=2, k_range=range(1, 8), outliers="keep"
    )
    assert min(s.stability for s in arbitrary.segments) < STABLE_JACCARD
    assert any("unstable" in w for w in arbitrary.warnings)


def test_report_of_many_columns_is_small_and_cards_match_the_profile(wide, tmp_path):
    from segmentation import segment_customers, write_report

    result = segment_customers(wide, features="all", k=4, **QUICK)
    written = write_report(result, tmp_path / "report")
    html = written["html"].read_text(encoding="utf-8")
    assert (tmp_path / "report" / "plots" / "pca.png").is_file()
    assert "principal components" in html
    assert written["html"].stat().st_size < 1_500_000
    assert '<div class="scroll">' in html
    # Every card figure is the profile's number for that segment.
    for segment in result.segments:
        for column in ("BALANCE", "PURCHASES"):
            assert result.profile.loc[segment.number, f"{column} mean"] == pytest.approx(
                segment.centroid[column]
            )


def test_html_tables_have_no_empty_header_row():
    from segmentation import segment_customers
    from segmentation.report import render_html

    html = render_html(
        segment_customers(datasets.make_customers(100, random_state=0), k=3, **QUICK)
    )
    assert "<th>k</th>" in html
    assert "<th>0</th>" not in html  # no stray 0, 1, 2 ... index column
    assert "<th></th>\n      <th></th>" not in html
    for header in html.split("<thead>")[1:]:
        assert header.split("</thead>")[0].count("<tr") == 1


@pytest.mark.parametrize(
    "module_name",
    [
        "segmentation.reading",
        "segmentation.scaling",
        "segmentation.outliers",
        "segmentation.rfm",
        "segmentation.datasets",
    ],
)
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    outcome = doctest.testmod(importlib.import_module(module_name))
    assert outcome.attempted > 0 and outcome.failed == 0


def test_wholesale_keeps_its_answer_with_the_old_options_and_loses_the_segment_of_one():
    from pathlib import Path

    from segmentation import segment_customers

    path = (
        Path(__file__).resolve().parents[1].parent
        / "shared"
        / "data"
        / "Wholesale_customers_data.csv"
    )
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    features = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    # The earlier defaults (standardised, nobody set aside) give the earlier answer ...
    old = segment_customers(
        path, features=features, scale="standard", outliers="keep", stability=False
    )
    assert sorted(s.size for s in old.segments) == [1, 10, 63, 96, 270]
    # ... whose segment of one customer is what log scaling and outlier flagging remove.
    new = segment_customers(path, features=features, stability=False)
    assert set(new.model.scaler.column_methods) == {"log"}
    assert min(s.size for s in new.segments) >= 0.05 * 440
    assert new.profile["Customers"].sum() == 440


def test_stability_of_a_large_table_uses_a_subset(monkeypatch):
    from segmentation import stability

    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = rng.integers(0, 3, size=3_000)
    scaled = centers[labels] + rng.normal(size=(3_000, 2))
    monkeypatch.setattr(stability, "STABILITY_SAMPLE_SIZE", 500)
    scores = stability.segment_stability(scaled, labels, 3, random_state=0)
    np.testing.assert_allclose(scores, 1.0)  # three far-apart blobs come back every time
    # Same seed, same answer.
    np.testing.assert_array_equal(
        stability.segment_stability(scaled, labels, 3, random_state=0), scores
    )


def test_a_whole_distant_group_is_not_set_aside_as_outliers():
    from segmentation import segment_customers

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 170), rng.normal(50, 1, 30)])  # 15% far away
    frame = pd.DataFrame({"x": x, "y": rng.normal(0, 1, 200)})
    result = segment_customers(frame, features=["x", "y"], k=2, **QUICK)
    assert len(result.outliers) == 0 and "Outlier" not in result.customers.columns
    assert any("too many to set aside" in note for note in result.notes)
    assert sorted(s.size for s in result.segments) == [30, 170]
