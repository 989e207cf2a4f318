"""Reading messy customer files: encoding, separator and decimal mark, found and reported.

Real exports are rarely the clean comma-separated UTF-8 a tutorial uses: a
European spreadsheet writes ``;`` with decimal commas, a marketing tool writes
tab-separated text under a ``.csv`` name, an old Windows program writes
cp1252. This module finds out which, reads the table, and says what it found
(:class:`ReadInfo`) so the report can show it and a wrong guess can be
overridden (``sep=``, ``decimal=``, ``encoding=``; ``--sep``, ``--decimal``,
``--encoding`` on the command line).

How the guesses are made, and why this code rather than a library
-----------------------------------------------------------------

*Encoding.* A UTF-8 byte-order mark means UTF-8 (the mark is dropped). Bytes
that decode as UTF-8 are UTF-8: text in another 8-bit encoding almost never
forms valid UTF-8 sequences by accident. Otherwise cp1252 (the Windows superset
of latin-1 that spreadsheets on Windows write), and latin-1 for the five bytes
cp1252 leaves undefined. charset-normalizer guesses among ~90 encodings from
letter statistics; a customer table is mostly digits and short names, where
such statistics are thin and it can answer cp1250 or mac-roman for a cp1252
file. The three encodings the tool promises are told apart exactly by the
rule above, so no new dependency is needed.

*Separator.* Each candidate (``,`` ``;`` tab ``|``) splits the first lines
with :mod:`csv` (which respects quotes); the one that gives the same number of
fields (more than one) on the most lines wins, ties going to the one that
gives more fields. :class:`csv.Sniffer` was tried and not used: it guesses
from character frequencies, raises "Could not determine delimiter" on short
or regular files, and picks ``,`` in ``1,5;2,5`` decimal-comma rows.

*Decimal comma.* Only when the separator is not a comma: if some column's
values look like ``12,5`` (digits, one comma, digits) and none of that column's
values has a decimal point, the decimal mark is a comma (thousands written
``1.234,5`` are understood too).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from segmentation._errors import SegmentationError

__all__ = [
    "ENCODINGS",
    "FILE_TYPES",
    "SEPARATORS",
    "ReadInfo",
    "TextFormat",
    "read_customer_file",
    "sniff_text_format",
]

#: Separators the sniffer chooses among, with the words used in messages.
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: Encodings the sniffer tells apart (others can be named with ``encoding=``).
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
#: File extensions read, and how.
FILE_TYPES = {
    ".csv": "text",
    ".txt": "text",
    ".tsv": "text",
    ".tab": "text",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
}
# Lines looked at to guess the separator and decimal mark.
_SNIFF_LINES = 200
_SNIFF_CHARS = 1 << 16
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
_NUMBER_WITH_POINT = re.compile(r"^[+-]?\d*\.\d+$")
_THOUSANDS_POINT = re.compile(r"(^|[^\d.])\d{1,3}(\.\d{3})+,\d")
_SPOKEN_SEPARATORS = {
    "comma": ",",
    ",": ",",
    "semicolon": ";",
    ";": ";",
    "tab": "\t",
    "\\t": "\t",
    "\t": "\t",
    "pipe": "|",
    "|": "|",
}


@dataclass(frozen=True)
class ReadInfo:
    """How a file was read: what was detected, what was given.

    Attributes
    ----------
    file_type : {"text", "parquet", "excel"}
    encoding, separator, decimal : str or None
        For text files; None for Parquet and Excel.
    detected : tuple of str
        Which of ``encoding``, ``separator``, ``decimal`` were guessed rather than given.
    """

    file_type: str
    encoding: str | None = None
    separator: str | None = None
    decimal: str | None = None
    detected: tuple[str, ...] = ()

    def describe(self) -> str:
        """One sentence for the report: "UTF-8, separator ';' (detected), decimal comma"."""
        if self.file_type != "text":
            return {"parquet": "Parquet file", "excel": "Excel workbook (first sheet)"}[
                self.file_type
            ]

        def how(what):
            return "detected" if what in self.detected else "given"

        encoding = {"utf-8-sig": "UTF-8 with byte-order mark"}.get(
            self.encoding, self.encoding.upper()
        )
        return (
            f"text, encoding {encoding} ({how('encoding')}), "
            f"separator {SEPARATORS.get(self.separator, repr(self.separator))} ({how('separator')}), "
            f"decimal {'comma' if self.decimal == ',' else 'point'} ({how('decimal')})"
        )


def _decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str, bool]:
    """Text, encoding name and whether it was detected."""
    if encoding is not None:
        try:
            return raw.decode(encoding), encoding, False
        except LookupError:
            raise SegmentationError(
                f"encoding {encoding!r} is not an encoding Python knows; try utf-8, cp1252 or latin-1"
            ) from None
        except UnicodeDecodeError as error:
            raise SegmentationError(
                f"cannot read {path.name!r} as {encoding}: byte 0x{raw[error.start]:02x} at "
                f"position {error.start} is not valid there; leave out --encoding to detect it, "
                "or try cp1252 or latin-1"
            ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig", True
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16", True
    for candidate in ("utf-8", "cp1252"):
        try:
            return raw.decode(candidate), candidate, True
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1", True


def _sample_rows(text: str, separator: str) -> list[list[str]]:
    # Only the head is split: splitting a million-line text just to keep 200 lines is slow.
    lines = text[:_SNIFF_CHARS].splitlines()[:_SNIFF_LINES]
    return [row for row in csv.reader(lines, delimiter=separator) if row]


def _sniff_separator(text: str) -> str:
    """The candidate separator that splits the most sampled lines into the same field count."""
    best, best_key = ",", (-1.0, 0)
    for separator in SEPARATORS:
        rows = _sample_rows(text, separator)
        if not rows:
            continue
        widths = pd.Series([len(row) for row in rows])
        width = int(widths.mode().max())
        if width < 2:
            continue
        key = (float((widths == width).mean()), width)
        if key > best_key:
            best, best_key = separator, key
    return best


def _sniff_decimal(text: str, separator: str) -> str:
    if separator == ",":
        return "."
    rows = _sample_rows(text, separator)[1:]
    if not rows:
        return "."
    width = max(len(row) for row in rows)
    for column in range(width):
        cells = [row[column].strip() for row in rows if column < len(row) and row[column].strip()]
        if (
            cells
            and any(_DECIMAL_COMMA.match(c) for c in cells)
            and not any(_NUMBER_WITH_POINT.match(c) for c in cells)
        ):
            return ","
    return "."


def _parse_separator(sep: str) -> str:
    separator = _SPOKEN_SEPARATORS.get(sep.lower() if len(sep) > 1 else sep, sep)
    if len(separator) != 1:
        raise SegmentationError(
            f"sep {sep!r} must be one character or one of comma, semicolon, tab, pipe"
        )
    return separator


def _check_header(names: list, path: Path, hint: str) -> None:
    """Refuse empty and repeated column names, which pandas would silently rename."""
    texts = ["" if name is None else str(name).strip() for name in names]
    empty = [i for i, name in enumerate(texts) if not name or name.lower() == "nan"]
    if empty:
        where = ", ".join(
            f"column {i + 1}" + (f" (after {texts[i - 1]!r})" if i > 0 and texts[i - 1] else "")
            for i in empty[:5]
        )
        raise SegmentationError(
            f"{path.name!r} has {len(empty)} column(s) with an empty header: {where}; give every "
            f"column a name in the first line{hint}"
        )
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(texts, start=1):
        seen.setdefault(name, []).append(position)
    repeated = {name: where for name, where in seen.items() if len(where) > 1}
    if repeated:
        listed = "; ".join(
            f"{name!r} in columns {', '.join(map(str, where))}" for name, where in repeated.items()
        )
        raise SegmentationError(
            f"{path.name!r} has repeated column names: {listed}; rename them so each column "
            "has its own name"
        )


@dataclass(frozen=True)
class TextFormat:
    """How a text table is laid out, as :func:`sniff_text_format` found it.

    Attributes
    ----------
    info : ReadInfo
        Encoding, separator and decimal mark, and which were detected.
    header : list of str
        The column names of the first line.
    thousands : str or None
        ``"."`` when numbers like ``1.234,5`` were seen (decimal comma), else None.
    """

    info: ReadInfo
    header: list
    thousands: str | None

    def read_options(self) -> dict:
        """Keyword arguments of :func:`pandas.read_csv` that read the table as sniffed."""
        return {
            "sep": self.info.separator,
            "decimal": self.info.decimal,
            "thousands": self.thousands,
            "skipinitialspace": True,
            "encoding": self.info.encoding,
        }


def sniff_text_format(raw: bytes, path: Path, sep=None, decimal=None, encoding=None) -> TextFormat:
    """Find (or take as given) the encoding, separator and decimal mark of a text table.

    Parameters
    ----------
    raw : bytes
        The file's bytes, or its first part (then the guesses rest on that part).
    path : pathlib.Path
        Named in messages; a ``.tsv``/``.tab`` suffix means tab-separated.
    sep, decimal, encoding : str, optional
        As for :func:`read_customer_file`; detected when omitted.

    Returns
    -------
    TextFormat

    Raises
    ------
    SegmentationError
        An unknown encoding or one the bytes do not fit, a separator that
        leaves the header in one column, empty or repeated column names.
    """
    text, used_encoding, encoding_detected = _decode(raw, path, encoding)
    detected = ["encoding"] if encoding_detected else []
    if sep is None:
        separator = "\t" if path.suffix.lower() in (".tsv", ".tab") else _sniff_separator(text)
        detected.append("separator")
    else:
        separator = _parse_separator(sep)
    if decimal is None:
        decimal_mark = _sniff_decimal(text, separator)
        detected.append("decimal")
    elif decimal in (".", ","):
        decimal_mark = decimal
    else:
        raise SegmentationError(f"decimal must be '.' or ',', not {decimal!r}")
    if decimal_mark == separator:
        raise SegmentationError(
            f"the decimal mark and the separator are both {decimal_mark!r}; give --sep or --decimal"
        )
    info = ReadInfo("text", used_encoding, separator, decimal_mark, tuple(detected))
    hint = f" (read as {info.describe()})"
    header = next(csv.reader(io.StringIO(text[:_SNIFF_CHARS]), delimiter=separator), [])
    if len(header) == 1:
        others = {
            word: header[0].count(candidate)
            for candidate, word in SEPARATORS.items()
            if candidate != separator and header[0].count(candidate)
        }
        if others:
            found = ", ".join(f"{count} {word}(s)" for word, count in others.items())
            likely = max(others, key=others.get)
            raise SegmentationError(
                f"{path.name!r} was read as one column{hint}, but its first line holds {found}; "
                f"the separator looks wrong: try --sep {likely}"
            )
    _check_header(header, path, hint)
    # Only when seen: pandas' parser with a thousands mark is a unit in the last place off.
    thousands = "." if decimal_mark == "," and _THOUSANDS_POINT.search(text) else None
    return TextFormat(info, header, thousands)


def _read_text(path: Path, sep, decimal, encoding) -> tuple[pd.DataFrame, ReadInfo]:
    raw = path.read_bytes()
    if not raw.strip():
        raise SegmentationError(f"input file {str(path)!r} is empty")
    layout = sniff_text_format(raw, path, sep, decimal, encoding)
    info = layout.info
    hint = f" (read as {info.describe()})"
    try:
        # pandas reads the file itself with the encoding found (faster than parsing a copy
        # of the decoded text).
        frame = pd.read_csv(path, **layout.read_options())
    except pd.errors.EmptyDataError as error:
        raise SegmentationError(f"input file {str(path)!r} is empty") from error
    except pd.errors.ParserError as error:
        message = str(error).strip().splitlines()[-1] if str(error).strip() else "parse error"
        raise SegmentationError(
            f"cannot read {path.name!r} as a table{hint}: {message}; rows have different "
            "numbers of fields, so try another --sep (comma, semicolon, tab, pipe) or check "
            "the quoting on those lines"
        ) from error
    return frame, info


def _read_excel(path: Path) -> tuple[pd.DataFrame, ReadInfo]:
    try:
        import openpyxl  # noqa: F401  (pandas needs it; importing it here gives a clear message)
    except ImportError as error:
        raise SegmentationError(
            f"reading Excel file {str(path)!r} needs the optional package openpyxl: install it "
            "with `pip install openpyxl` (or the `segmentation` extra), or save the sheet as CSV"
        ) from error
    try:
        # header=None: pandas would rename repeated names ("Spend", "Spend.1") before we saw them.
        grid = pd.read_excel(path, header=None, engine="openpyxl")
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise SegmentationError(f"cannot read Excel file {str(path)!r}: {error}") from error
    if grid.empty:
        raise SegmentationError(f"input file {str(path)!r} is empty")
    header = list(grid.iloc[0])
    _check_header(header, path, " (first sheet of the workbook)")
    frame = grid.iloc[1:].reset_index(drop=True)
    frame.columns = [str(name).strip() for name in header]
    # Columns came through as object (the header row was text); let each find its type again.
    frame = frame.infer_objects()
    return frame, ReadInfo("excel")


def _read_parquet(path: Path) -> tuple[pd.DataFrame, ReadInfo]:
    try:
        import pyarrow  # noqa: F401  (pandas needs it; importing it here gives a clear message)
    except ImportError as error:
        raise SegmentationError(
            f"reading Parquet file {str(path)!r} needs the optional package pyarrow: "
            "install it with `pip install pyarrow`, or save the table as CSV"
        ) from error
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises many types for a corrupt file
        raise SegmentationError(f"cannot read Parquet file {str(path)!r}: {error}") from error
    _check_header(list(frame.columns), path, "")
    return frame, ReadInfo("parquet")


def read_customer_file(
    path, *, sep: str | None = None, decimal: str | None = None, encoding: str | None = None
) -> tuple[pd.DataFrame, ReadInfo]:
    r"""Read a CSV/TSV/text, Parquet or Excel file, guessing what is not given.

    Parameters
    ----------
    path : path-like
    sep : str, optional
        Field separator of a text file: one character, or ``comma``,
        ``semicolon``, ``tab``, ``pipe``. Detected when omitted.
    decimal : {".", ","}, optional
        Decimal mark of a text file. Detected when omitted.
    encoding : str, optional
        Text encoding (any Python codec name). Detected when omitted: UTF-8
        (with or without byte-order mark), else cp1252, else latin-1.

    Returns
    -------
    frame : pandas.DataFrame
    info : ReadInfo

    Raises
    ------
    SegmentationError
        Missing, empty or unreadable file; empty or repeated column names; a
        separator that leaves the whole line in one column. Messages say what
        was detected and what to try.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "eu.csv").write_bytes("id;Spend\n1;12,5\n2;7,25\n".encode("cp1252"))
    >>> frame, info = read_customer_file(folder / "eu.csv")
    >>> frame["Spend"].tolist(), info.separator, info.decimal
    ([12.5, 7.25], ';', ',')
    """
    path = Path(path)
    if not path.exists():
        raise SegmentationError(f"input file {str(path)!r} does not exist")
    if path.is_dir():
        raise SegmentationError(f"input file {str(path)!r} is a folder, not a file")
    kind = FILE_TYPES.get(path.suffix.lower())
    if kind is None:
        raise SegmentationError(
            f"input file {str(path)!r} has an unknown extension {path.suffix!r}; "
            f"use one of {', '.join(sorted(FILE_TYPES))}"
        )
    if kind != "text" and (sep is not None or decimal is not None or encoding is not None):
        raise SegmentationError(
            f"sep, decimal and encoding apply to text files, not to the {kind} file {path.name!r}"
        )
    if kind == "parquet":
        return _read_parquet(path)
    if kind == "excel":
        return _read_excel(path)
    return _read_text(path, sep, decimal, encoding)
