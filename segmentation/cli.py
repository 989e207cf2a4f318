"""The ``kmeans-segment`` command: segment a customer table and write a report.

Sub-commands::

    kmeans-segment demo   [--out DIR]                 built-in synthetic customers
    kmeans-segment run    FILE [--features ...] [--k auto|N] [--scale ...] [--out DIR]
    kmeans-segment rfm    FILE --customer COL --date COL --amount COL   transactions -> RFM segments
    kmeans-segment assign MODEL FILE [--out FILE]     new customers -> segments

Also ``python -m segmentation``. Bad input gives one line on stderr and exit
status 2; nothing is left half-written in the output folder. The rules on
files (what is written, what is refused) are in docs/segmentation-files.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from segmentation._errors import DataQualityWarning, SegmentationError
from segmentation._output import ReportFolderWarning

__all__ = ["main", "build_parser"]

PROG = "kmeans-segment"
DEFAULT_OUT = "segmentation-report"
EXIT_BAD_INPUT = 2
EXIT_OS_ERROR = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away
# Warnings shown as one "kmeans-segment: warning: ..." line each.
_USER_WARNINGS = (DataQualityWarning, ReportFolderWarning)

_DESCRIPTION = """\
Find customer segments with K-Means and write a report you can act on:
which groups exist, how big they are, what characterises them, who is in
each, and pictures. The number of segments is chosen automatically (the elbow
of the within-cluster sum of squares, checked against the silhouette) unless
you give one.
"""

_EPILOG = f"""\
examples:
  {PROG} demo                                  try it on built-in synthetic customers
  {PROG} run Mall_Customers.csv --out report   income and spending, k chosen for you
  {PROG} run customers.csv --features income spending age gender --k 6
  {PROG} run wholesale.csv --features Fresh Milk Grocery --scale standard
  {PROG} run cards.csv --features all --categorical Plan --scale auto
  {PROG} run 'exports/*.csv' --engine dask --features Income Spend --out report
  {PROG} rfm orders.csv --customer CustomerID --date OrderDate --amount Total
  {PROG} rfm --demo                            RFM on built-in synthetic transactions
  {PROG} assign report/model.json new_customers.csv --out assigned.csv

The report folder holds report.html (open it in a browser), summary.md,
customers.csv (every customer with its segment), profile.csv, model.json
(for 'assign') and plots/*.png.
"""


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are a single line on stderr."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _k_argument(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be 'auto' or a positive integer, not {text!r}"
        ) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def _add_analysis_options(parser: argparse.ArgumentParser, *, with_features: bool) -> None:
    from segmentation.analysis import DEFAULT_N_INIT
    from segmentation.outliers import OUTLIER_POLICIES, OUTLIER_THRESHOLD
    from segmentation.scaling import SCALE_CHOICES, SKEW_THRESHOLD

    if with_features:
        parser.add_argument(
            "--features",
            nargs="+",
            metavar="FEATURE",
            help="columns to segment on: the keywords income, spending, age, gender, or column "
            "names (quote names with spaces; commas also separate), or 'all' (every numeric "
            "column except IDs, plus text columns with few values as categories). "
            "Default: income spending",
        )
        parser.add_argument(
            "--categorical",
            nargs="+",
            metavar="COLUMN",
            help="columns to one-hot encode (each counts like one numeric column); text "
            "columns with few values are encoded without being named",
        )
        parser.add_argument(
            "--dates",
            nargs="+",
            metavar="COLUMN",
            help="date columns to use as their age in days (e.g. customer-since -> tenure)",
        )
    parser.add_argument(
        "--outliers",
        choices=OUTLIER_POLICIES,
        default="flag",
        help=f"extreme customers (robust z-score above {OUTLIER_THRESHOLD:g}): 'flag' (default) "
        "leaves them out of fitting, then assigns and lists them; 'exclude' drops them; "
        "'keep' treats them like everyone",
    )
    parser.add_argument(
        "--labels",
        metavar="FILE",
        help="rename segments: a CSV with columns Segment,Name (or a JSON object "
        '{"1": "name", ...}); the names go into model.json and \'assign\'',
    )
    parser.add_argument(
        "--k",
        type=_k_argument,
        default="auto",
        metavar="auto|N",
        help="number of segments, or 'auto' (default): the elbow of WCSS over k = 1..10, "
        "checked against the silhouette",
    )
    parser.add_argument(
        "--scale",
        choices=SCALE_CHOICES,
        default="auto",
        help=f"feature scaling before clustering (default: auto = log1p for never-negative "
        f"columns with skewness above {SKEW_THRESHOLD:g}, standard otherwise); results "
        "are always reported in the original units",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"report folder (default: ./{DEFAULT_OUT})",
    )
    parser.add_argument(
        "--n-init",
        type=_positive_int,
        default=DEFAULT_N_INIT,
        metavar="N",
        help=f"K-Means restarts per k (default: {DEFAULT_N_INIT})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; the same input and seed give the same segments (default: 0)",
    )
    parser.add_argument(
        "--compare-hierarchical",
        action="store_true",
        help="also cluster with Ward's hierarchical method and add the dendrogram, "
        "adjusted Rand index and side-by-side sizes to the report",
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the pictures (faster)")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )


def _add_reading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sep",
        metavar="SEP",
        help="field separator of a text file: comma, semicolon, tab, pipe or one "
        "character (default: detected)",
    )
    parser.add_argument(
        "--decimal", choices=(".", ","), help="decimal mark of a text file (default: detected)"
    )
    parser.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding, e.g. utf-8, cp1252, latin-1 (default: detected)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kmeans-segment``."""
    parser = _OneLineParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="segment built-in synthetic customers and write a report",
        description="Generate a synthetic customer table with the classic schema (CustomerID, "
        "Gender, Age, Annual Income (k$), Spending Score (1-100)) and five groups, "
        "segment it, write the report and print a summary.",
    )
    demo.add_argument(
        "--customers",
        type=_positive_int,
        default=200,
        metavar="N",
        help="number of synthetic customers (default: 200)",
    )
    _add_analysis_options(demo, with_features=True)

    run = commands.add_parser(
        "run",
        help="segment a customer table (CSV or Parquet) and write a report",
        description="Segment the customers in FILE and write a report folder. Recognises the "
        "classic columns (CustomerID, Gender or Genre, Age, Annual Income (k$), "
        "Spending Score (1-100)) by name; other numeric columns can be named with "
        "--features.",
    )
    run.add_argument(
        "file",
        metavar="FILE",
        help="customer table: .csv/.tsv/.txt (separator, decimal mark and encoding "
        "detected), .parquet or .xlsx; with --engine dask also a folder of Parquet files "
        "or a quoted glob of CSV files ('exports/*.csv')",
    )
    run.add_argument(
        "--engine",
        choices=("memory", "dask"),
        default="memory",
        help="'memory' (default) reads the table into memory; 'dask' reads a Parquet folder "
        "or CSV glob with dask.dataframe and segments it by passes over the files (on the "
        "current distributed client, else Dask's threads), with the same report: needs "
        "`pip install 'kmeans-core[dask]'`; not with --features all or --dates",
    )
    _add_analysis_options(run, with_features=True)
    _add_reading_options(run)
    run.add_argument(
        "--id-column",
        metavar="COLUMN",
        help="the customer-ID column, if not recognised by name (never a feature)",
    )
    run.add_argument(
        "--role",
        action="append",
        metavar="ROLE=COLUMN",
        help="give a column a business role (income, spending, age, gender, recency, "
        "frequency, monetary) so segments get suggested actions; repeatable",
    )
    run.add_argument(
        "--drop-missing",
        action="store_true",
        help="drop customers with missing values in the features (default: refuse them)",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="treat out-of-range values (score outside 1-100, negative income or age) "
        "as errors instead of warnings",
    )

    rfm = commands.add_parser(
        "rfm",
        help="segment customers by recency, frequency and monetary value of their purchases",
        description="Build recency (days since the last purchase), frequency (number of purchases) "
        "and monetary value (total spent) per customer from a transactions table (one "
        "row per purchase), segment them, and name the segments with the usual RFM "
        "personas (Champions, Loyal Customers, At Risk, Hibernating ...).",
    )
    rfm.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="transactions: .csv/.tsv/.txt, .parquet or .xlsx (or --demo)",
    )
    rfm.add_argument("--customer", metavar="COLUMN", help="the customer column")
    rfm.add_argument("--date", metavar="COLUMN", help="the purchase-date column")
    rfm.add_argument("--amount", metavar="COLUMN", help="the amount column")
    rfm.add_argument(
        "--as-of",
        metavar="DATE",
        help="count recency to this date (default: the day after the last purchase)",
    )
    rfm.add_argument(
        "--demo",
        action="store_true",
        help="use built-in synthetic transactions (segmentation.datasets.make_transactions)",
    )
    rfm.add_argument(
        "--drop-missing",
        action="store_true",
        help="drop purchases with a missing customer, date or amount (default: refuse)",
    )
    _add_analysis_options(rfm, with_features=False)
    _add_reading_options(rfm)

    assign = commands.add_parser(
        "assign",
        help="put new customers into the segments of a saved model",
        description="Assign each customer in FILE to the nearest segment of MODEL (the model.json "
        "of a report folder). Writes the table with 'Segment' and 'Segment Name' "
        "columns added, to --out or to standard output.",
    )
    assign.add_argument("model", metavar="MODEL", help="model.json from a report folder")
    assign.add_argument("file", metavar="FILE", help="new customers: .csv, .tsv, .parquet or .xlsx")
    assign.add_argument(
        "--out", metavar="FILE", help="write the CSV here (default: standard output)"
    )
    assign.add_argument(
        "--drop-missing",
        action="store_true",
        help="leave out customers with a missing value in a feature the model "
        "needs, and say how many (default: refuse them)",
    )
    _add_reading_options(assign)

    # Handled by kmeans_core.teach (see main); listed here so --help shows it.
    commands.add_parser(
        "teach",
        help="watch K-Means work step by step: write an animated GIF (kmeans-segment teach --help)",
        add_help=False,
    )
    return parser


def _split_features(features):
    if features is None:
        return None
    return [part.strip() for item in features for part in item.split(",") if part.strip()]


def _segment_and_report(data, args) -> int:
    from segmentation import compare, export, report
    from segmentation._progress import StageProgress
    from segmentation.analysis import segment_customers

    # Refuse a bad --out before the analysis, not after it; write_report checks again.
    protect = [args.file] if getattr(args, "file", None) else []
    if getattr(args, "engine", "memory") == "dask":
        from segmentation.dask_engine import input_files

        # A folder or a glob: every file it names is the user's and must not be touched.
        protect = [str(path) for path in input_files(args.file)]
    export.check_report_folder(args.out, protect)
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = StageProgress(show_progress)
    run = segment_customers
    extra = {}
    if getattr(args, "engine", "memory") == "dask":
        from segmentation.dask_engine import segment_collection

        run = segment_collection
    if args.command == "rfm":
        from segmentation.rfm import segment_rfm

        run = segment_rfm
        extra = {
            "customer": args.customer,
            "date": args.date,
            "amount": args.amount,
            "as_of": args.as_of,
        }
    result = run(
        data,
        **extra,
        **_feature_options(args),
        outliers=args.outliers,
        labels=_read_labels(args.labels) if args.labels else None,
        k=args.k,
        scale=args.scale,
        n_init=args.n_init,
        random_state=args.seed,
        missing="drop" if getattr(args, "drop_missing", False) else "error",
        strict=getattr(args, "strict", False),
        id_column=getattr(args, "id_column", None),
        progress=progress,
        sep=getattr(args, "sep", None),
        decimal=getattr(args, "decimal", None),
        encoding=getattr(args, "encoding", None),
    )
    comparison = None
    if args.compare_hierarchical:
        with progress.step("comparing with Ward's hierarchical clustering"):
            comparison = compare.compare_hierarchical(result, random_state=args.seed)
    with progress.step(f"writing the report to {args.out}"):
        written = export.write_report(
            result, args.out, comparison=comparison, plots=not args.no_plots, protect=protect
        )
    print(report.render_summary(result, comparison))
    print()
    print(f"Report: {written['html']}")
    print(
        f"Summary: {written['markdown']}; customers with segments: {written['customers']}; "
        f"model: {written['model']}"
    )
    return 0


def _feature_options(args) -> dict:
    if args.command == "rfm":
        return {}
    roles = {}
    for item in getattr(args, "role", None) or []:
        role, sep, column = item.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise SegmentationError(f"--role must look like ROLE=COLUMN, not {item!r}")
        roles[role.strip().lower()] = column.strip()
    return {
        "roles": roles or None,
        "features": _split_features(args.features),
        "categorical": _split_features(args.categorical),
        "dates": _split_features(args.dates),
    }


def _rfm(args) -> int:
    if args.demo:
        from segmentation.datasets import make_transactions

        if args.file is not None:
            raise SegmentationError("give either FILE or --demo, not both")
        data = make_transactions(300, random_state=args.seed)
        args.customer, args.date, args.amount = "Customer", "Date", "Amount"
        return _segment_and_report(data, args)
    if args.file is None:
        raise SegmentationError("rfm needs a transactions FILE (or --demo)")
    absent = [f"--{name}" for name in ("customer", "date", "amount") if getattr(args, name) is None]
    if absent:
        raise SegmentationError(
            f"rfm needs {', '.join(absent)}: the columns holding the customer, the purchase "
            "date and the amount"
        )
    return _segment_and_report(args.file, args)


def _read_labels(path) -> dict[int, str]:
    """Segment names from a CSV (Segment,Name) or JSON ({"1": "name"}) file."""
    import json

    import pandas as pd

    from segmentation.data import read_table

    path = Path(path)
    if path.suffix.lower() == ".json":
        try:
            labels = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SegmentationError(f"cannot read labels file {str(path)!r}: {error}") from error
        if not isinstance(labels, dict):
            raise SegmentationError(
                f'labels file {str(path)!r} must hold an object like {{"1": "Bargain hunters"}}'
            )
        return labels
    frame, _ = read_table(path)
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "segment" not in columns or "name" not in columns:
        raise SegmentationError(
            f"labels file {str(path)!r} needs columns Segment and Name; it has "
            f"{', '.join(map(str, frame.columns))}"
        )
    numbers = pd.to_numeric(frame[columns["segment"]], errors="coerce")
    if numbers.isna().any():
        raise SegmentationError(f"labels file {str(path)!r}: column Segment must hold numbers")
    return dict(zip(numbers.astype(int), frame[columns["name"]].astype(str)))


def _demo(args) -> int:
    from segmentation.datasets import make_customers

    return _segment_and_report(make_customers(args.customers, random_state=args.seed), args)


def _run(args) -> int:
    return _segment_and_report(args.file, args)


def _assign(args) -> int:
    from segmentation.data import read_table
    from segmentation.export import check_table_target, read_model, write_assigned

    protect = [args.model, args.file]
    if args.out is not None:
        check_table_target(args.out, protect)  # before the work, not after
    model = read_model(args.model)
    customers, _ = read_table(args.file, sep=args.sep, decimal=args.decimal, encoding=args.encoding)
    if args.drop_missing:
        customers = _drop_incomplete(customers, model)
    assigned = model.assign(customers)
    if args.out is None:
        _write_csv_to_stdout(assigned)
        return 0
    target = write_assigned(assigned, args.out, protect)
    counts = assigned["Segment"].value_counts().sort_index()
    print(f"Assigned {len(assigned):,} customers to {model.n_segments} segments; wrote {target}")
    for number, count in counts.items():
        print(f"  {number}. {model.names[number - 1]}: {count:,}")
    return 0


def _write_csv_to_stdout(frame) -> None:
    """The CSV on stdout as UTF-8 bytes, as in a file, whatever the terminal's encoding."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (tests, IDEs)
        frame.to_csv(sys.stdout, index=False)
        return
    sys.stdout.flush()
    remaining = memoryview(frame.to_csv(index=False).encode("utf-8"))
    # A write to a pipe whose reader leaves part-way can report a short count
    # instead of failing; writing on until all is written surfaces the
    # BrokenPipeError rather than losing the rest silently.
    while remaining:
        written = buffer.write(remaining)
        remaining = remaining[written if written is not None else 0 :]
    buffer.flush()


class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that clean-up code runs."""


def _raise_terminated(signum, frame):
    raise _Terminated()


@contextlib.contextmanager
def _sigterm_raises():
    """SIGTERM raises _Terminated while the command runs (the default would skip all clean-up)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _printable_streams():
    """Replace what the terminal's encoding cannot show instead of failing on it.

    With ``PYTHONIOENCODING=ascii`` (or a legacy console) printing a segment or
    column name with an accent would raise UnicodeEncodeError after the work is
    done; ``errors="replace"`` prints ``?`` for it instead.
    """
    changed = []
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            with contextlib.suppress(ValueError, OSError):  # a closed stream
                stream.reconfigure(errors="replace")
                changed.append(stream)
    try:
        yield
    finally:
        for stream in changed:
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="strict")


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the exit-time flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass  # not a real file descriptor (tests): nothing is flushed at exit


def _drop_incomplete(customers, model):
    """The customers with every column the model needs; tell stderr how many were left out."""
    from segmentation.data import format_rows

    needed = [f.column for f in model.features if f.column in customers.columns]
    incomplete = customers[needed].isna().any(axis=1).to_numpy()
    if incomplete.any():
        print(
            f"{PROG}: note: left out {int(incomplete.sum())} of {len(customers):,} customers "
            f"with missing values in the model's columns ({format_rows(incomplete.nonzero()[0])})",
            file=sys.stderr,
        )
    kept = customers.loc[~incomplete].reset_index(drop=True)
    if len(kept) == 0:
        raise SegmentationError("every customer has a missing value in a column the model needs")
    return kept


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def main(argv=None) -> int:
    """Run ``kmeans-segment`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    with _printable_streams(), _sigterm_raises():
        try:
            status = _main(argv)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return status
        except BrokenPipeError:
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        except _Terminated:
            _print_error("terminated")
            return EXIT_TERMINATED
        except KeyboardInterrupt:
            _print_error("interrupted")
            return EXIT_INTERRUPTED


def _print_error(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(f"{PROG}: {message}", file=sys.stderr)


def _main(argv: list[str]) -> int:
    if argv[:1] == ["teach"]:
        # The teaching animation has its own options: hand everything after "teach" over.
        from kmeans_core.teach import main as teach_main

        try:
            return teach_main(argv[1:], prog=f"{PROG} teach")
        except SystemExit as exit_request:
            return int(exit_request.code or 0)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    handlers = {"demo": _demo, "run": _run, "rfm": _rfm, "assign": _assign}
    try:
        with warnings.catch_warnings(record=True) as caught:
            for category in _USER_WARNINGS:
                warnings.simplefilter("always", category)
            status = handlers[args.command](args)
        for warning in caught:
            if issubclass(warning.category, _USER_WARNINGS):
                print(f"{PROG}: warning: {_one_line(warning.message)}", file=sys.stderr)
            else:
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        return status
    except (SegmentationError, ValueError) as error:
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        raise  # handled in main: not an error of the run
    except OSError as error:
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_OS_ERROR
