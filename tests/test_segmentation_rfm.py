"""RFM from a transactions table: the table, the names and actions, the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation import SegmentationError, datasets
from segmentation.cli import main
from segmentation.naming import NO_ACTION
from segmentation.rfm import RFM_COLUMNS, rfm_table, segment_rfm

QUICK = {"n_init": 3, "k_range": range(1, 7)}


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return datasets.make_transactions(200, random_state=0)


def test_rfm_table_matches_a_hand_computation():
    purchases = pd.DataFrame(
        {
            "Who": ["a", "b", "a", "c", "a", "b"],
            "When": [
                "2025-03-01",
                "2025-03-05",
                "2025-03-10",
                "2025-01-01",
                "2025-02-01",
                "2025-03-07",
            ],
            "Paid": [10.0, 4.0, 5.0, 100.0, 2.5, 6.0],
        }
    )
    table = rfm_table(purchases, customer="Who", date="When", amount="Paid")
    frame = table.frame.set_index("Who")
    # Recency counts to the day after the latest purchase (2025-03-11).
    assert frame[RFM_COLUMNS["recency"]].to_dict() == {"a": 1, "b": 4, "c": 69}
    assert frame[RFM_COLUMNS["frequency"]].to_dict() == {"a": 3, "b": 2, "c": 1}
    assert frame[RFM_COLUMNS["monetary"]].to_dict() == {"a": 17.5, "b": 10.0, "c": 100.0}
    assert table.roles["recency"] == "Recency (days)" and table.id_column == "Who"
    later = rfm_table(purchases, customer="Who", date="When", amount="Paid", as_of="2025-04-10")
    assert later.frame.set_index("Who")[RFM_COLUMNS["recency"]]["a"] == 31


def test_rfm_table_refuses_bad_input_clearly():
    purchases = pd.DataFrame({"Who": ["a", "b"], "When": ["2025-01-01", "soon"], "Paid": [1, 2]})
    with pytest.raises(SegmentationError, match=r"date column 'When'.*'soon'.*row 2"):
        rfm_table(purchases, customer="Who", date="When", amount="Paid")
    purchases["When"] = ["2025-01-01", "2025-01-02"]
    with pytest.raises(SegmentationError, match="amount column 'Price' is not a column"):
        rfm_table(purchases, customer="Who", date="When", amount="Price")
    with pytest.raises(SegmentationError, match="before the latest purchase"):
        rfm_table(purchases, customer="Who", date="When", amount="Paid", as_of="2024-12-31")
    purchases.loc[1, "Paid"] = np.nan
    with pytest.raises(SegmentationError, match="missing customer, date or amount at row 2"):
        rfm_table(purchases, customer="Who", date="When", amount="Paid")


def test_rfm_segments_get_rfm_names_and_actions(transactions):
    result = segment_rfm(
        transactions, customer="Customer", date="Date", amount="Amount", k=4, **QUICK
    )
    assert result.k == 4
    by_name = {s.name: s for s in result.segments}
    assert "Champions" in by_name and "Hibernating" in by_name
    champions, hibernating = by_name["Champions"], by_name["Hibernating"]
    # Champions bought more recently, more often and for more than the hibernating.
    assert champions.centroid["Recency (days)"] < hibernating.centroid["Recency (days)"]
    assert champions.centroid["Frequency"] > hibernating.centroid["Frequency"]
    assert champions.centroid["Monetary"] > hibernating.centroid["Monetary"]
    assert all(s.action != NO_ACTION for s in result.segments)
    assert "loyal" in champions.action.lower() or "reward" in champions.action.lower()


def test_rfm_from_the_command_line(tmp_path, transactions, capsys):
    path = tmp_path / "orders.csv"
    transactions.to_csv(path, sep=";", decimal=",", index=False)
    out = tmp_path / "report"
    status = main(
        [
            "rfm",
            str(path),
            "--customer",
            "Customer",
            "--date",
            "Date",
            "--amount",
            "Amount",
            "--k",
            "4",
            "--n-init",
            "2",
            "--no-plots",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "Champions" in printed and "separator semicolon" in printed
    customers = pd.read_csv(out / "customers.csv")
    assert list(customers.columns[:4]) == ["Customer", "Recency (days)", "Frequency", "Monetary"]
    assert main(["rfm", str(path), "--customer", "Customer", "--out", str(out)]) == 2
    assert "rfm needs --date, --amount" in capsys.readouterr().err


def test_rfm_demo(tmp_path, capsys):
    status = main(["rfm", "--demo", "--n-init", "2", "--no-plots", "--out", str(tmp_path / "r")])
    assert status == 0
    assert "synthetic transactions" in capsys.readouterr().out
