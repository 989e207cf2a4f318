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
def test_separator_decimal_and_encoding_are_detected(tmp_path, accented, separator, decimal, word,
                                                    encoding):
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
    with pytest.raises(SegmentationError, match=r"read as one column.*semicolon.*try --sep semicolon"):
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
    status = main(["run", str(path), "--k", "5", "--n-init", "2", "--no-plots",
                   "--out", str(tmp_path / "report")])
    out = capsys.readouterr().out
    assert status == 0
    assert "separator semicolon (detected), decimal comma (detected)" in out
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "separator semicolon" in html
    assigned = tmp_path / "assigned.csv"
    assert main(["assign", str(tmp_path / "report" / "model.json"), str(path), "--sep", "semicolon",
                 "--out", str(assigned)]) == 0
    assert len(pd.read_csv(assigned)) == 120
