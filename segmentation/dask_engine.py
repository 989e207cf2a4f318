"""Segmenting a table too large for memory: the analysis of :mod:`segmentation.analysis` on Dask.

:func:`segment_collection` reads a Parquet folder or a set of CSV files with
``dask.dataframe`` (one partition per file) and runs the in-memory pipeline's
steps as passes over the partitions, each a map over partitions that returns
a small summary and a reduction of those summaries, in partition order, in
the client (Spark's ``mapPartitions`` + ``reduce``; docs/STYLE "Scale-out"):

* reading: the separator, decimal mark and encoding are sniffed on the first
  CSV file by :func:`segmentation.reading.sniff_text_format`, and every file is
  then read with those options; column names must agree across files. One
  pass settles each column's type over all files (whole numbers in one file
  and decimals in another become decimals everywhere, as one read would).
* checks (IDs, non-numeric, missing, infinite, out-of-range values) return the
  offending rows' global numbers, so the messages are the in-memory ones.
* scaling statistics, skewness, category shares and the outliers' robust
  z-scores come from reductions; medians and quartiles are exact order
  statistics (:func:`order_statistics`), not Dask's approximate quantiles, so
  the numbers are the in-memory ones up to the order of additions.
* K-Means for each k is :class:`kmeans_core.KMeans` on the Dask array of scaled
  rows (:mod:`kmeans_core.dask`).
* segment means, medians, shares and sizes are reductions by segment.

What needs the rows themselves uses a reproducible sample of at most
:data:`SAMPLE_SIZE` customers (``numpy.random.RandomState(seed).permutation``,
the draw :func:`kmeans_core.choose_k` makes for its silhouette subset): the
silhouette, the bootstrap stability and the plots. With fewer customers the
"sample" is everyone, in row order, and the report is the in-memory engine's.
The report says when a sample was used. ``customers.csv`` is written partition
by partition and never held whole.

Not available on this engine (a clear error says so): ``features="all"`` and
``dates=``.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation._errors import DataQualityWarning, SegmentationError
from segmentation.analysis import (
    DEFAULT_K_RANGE,
    DEFAULT_N_INIT,
    MAX_OUTLIER_SHARE,
    SILHOUETTE_SAMPLE_SIZE,
    KSelection,
    SegmentationResult,
    _check_labels,
    _check_parameters,
    _fit_single,
    _reason,
    _segment_order,
    _segment_warnings,
    _with_roles,
    outlier_rows_table,
    segment_cards,
)
from segmentation.data import CustomerTable, _recognise_roles, format_rows
from segmentation.features import (
    _VALID_RANGES,
    MAX_AUTO_CATEGORIES,
    Feature,
    _category_values,
    _default_requests,
    _is_text,
    _resolve_column,
    encode_for_model,
    gender_values,
)
from segmentation.model import SEGMENT_COLUMN, SEGMENT_NAME_COLUMN
from segmentation.outliers import (
    OUTLIER_THRESHOLD,
    largest_z,
    robust_spread,
    z_scores_from,
)
from segmentation.profile import AGE_BANDS
from segmentation.reading import FILE_TYPES, ReadInfo, _check_header, sniff_text_format
from segmentation.scaling import describe_scaling, robust_center_and_scale, scaling_from_statistics

__all__ = ["SAMPLE_SIZE", "order_statistics", "read_collection", "segment_collection"]

#: Customers drawn (reproducibly) for the silhouette, the stability and the plots.
SAMPLE_SIZE = SILHOUETTE_SAMPLE_SIZE
# The first CSV file is sniffed on its first 16 MiB: enough lines for the separator and
# decimal mark, and a multi-gigabyte file is not read twice.
_SNIFF_BYTES = 16 << 20
# Order statistics: bins per refining pass, and the count below which the values left
# in an interval are brought back and sorted.
_BINS = 1024
_GATHER_LIMIT = 100_000


def _dask_dataframe():
    try:
        import dask.dataframe as dd
    except ImportError as error:
        raise SegmentationError(
            "--engine dask needs the optional packages dask[dataframe] (and distributed for a "
            "cluster): install them with `pip install 'kmeans-core[dask]'`, or leave out "
            "--engine dask to read the table into memory"
        ) from error
    return dd


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def input_files(path) -> list[Path]:
    """The files a path, a folder or a glob pattern names, sorted; one kind of file only.

    Raises
    ------
    SegmentationError
        When nothing matches, or the files mix kinds (CSV and Parquet) or are not
        CSV/text or Parquet files.
    """
    text = str(path)
    folder = Path(text)
    if folder.is_dir():
        files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
        files = [f for f in files if FILE_TYPES.get(f.suffix.lower()) in ("text", "parquet")]
        if not files:
            raise SegmentationError(
                f"input folder {text!r} holds no Parquet (.parquet, .pq) or CSV files"
            )
    elif glob.has_magic(text):
        files = sorted(Path(f) for f in glob.glob(text) if Path(f).is_file())
        if not files:
            raise SegmentationError(f"input pattern {text!r} matches no files")
    elif folder.is_file():
        files = [folder]
    else:
        raise SegmentationError(f"input file {text!r} does not exist")
    kinds = {FILE_TYPES.get(f.suffix.lower()) for f in files}
    if kinds - {"text", "parquet"}:
        odd = next(f for f in files if FILE_TYPES.get(f.suffix.lower()) not in ("text", "parquet"))
        raise SegmentationError(
            f"--engine dask reads CSV/text and Parquet files, not {odd.name!r}; save it as CSV"
        )
    if len(kinds) > 1:
        raise SegmentationError(
            f"input {text!r} mixes CSV and Parquet files; give one kind (a pattern such as "
            "'folder/*.csv')"
        )
    return files


def _read_text_file(path: str, options: dict) -> pd.DataFrame:
    return pd.read_csv(path, **options)


def _read_parquet_file(path: str) -> pd.DataFrame:
    return pd.read_parquet(path)


def _first_line(path: Path, encoding: str, separator: str) -> list[str]:
    with open(path, "rb") as stream:
        head = stream.read(1 << 16)
    text = head.decode(encoding, errors="replace")
    if encoding == "utf-8-sig" or text.startswith("\ufeff"):
        text = text.lstrip("\ufeff")
    return next(csv.reader(io.StringIO(text), delimiter=separator), [])


def _check_same_columns(files: list[Path], names: list[list[str]]) -> None:
    first = [str(n).strip() for n in names[0]]
    for path, columns in zip(files[1:], names[1:]):
        columns = [str(n).strip() for n in columns]
        if columns != first:
            missing = [c for c in first if c not in columns]
            extra = [c for c in columns if c not in first]
            detail = []
            if missing:
                detail.append(f"lacks {', '.join(map(repr, missing))}")
            if extra:
                detail.append(f"has {', '.join(map(repr, extra))} in addition")
            if not detail:
                detail.append("has them in another order")
            raise SegmentationError(
                f"the files disagree on their columns: {path.name!r} {' and '.join(detail)} "
                f"(compared with {files[0].name!r}: {', '.join(first)})"
            )


def read_collection(path, *, sep=None, decimal=None, encoding=None):
    """Open a Parquet folder, a CSV glob or one file as a Dask DataFrame, one partition a file.

    Parameters
    ----------
    path : path-like or str
        A folder of Parquet (or CSV) files, a glob pattern such as
        ``"exports/*.csv"``, or one file.
    sep, decimal, encoding : str, optional
        For CSV files; detected on the first file when omitted (see
        :func:`segmentation.reading.sniff_text_format`) and applied to all.

    Returns
    -------
    frame : dask.dataframe.DataFrame
    info : segmentation.reading.ReadInfo
    files : list of pathlib.Path

    Raises
    ------
    SegmentationError
        When Dask is not installed, nothing matches, a file is empty, or the
        files disagree on their columns (the message names the file).
    """
    dd = _dask_dataframe()
    files = input_files(path)
    if FILE_TYPES[files[0].suffix.lower()] == "parquet":
        if sep is not None or decimal is not None or encoding is not None:
            raise SegmentationError("sep, decimal and encoding apply to CSV files, not to Parquet")
        import pyarrow.parquet as pq

        names = []
        for file in files:
            try:
                names.append(list(pq.read_schema(file).names))
            except Exception as error:  # pyarrow raises many types for a corrupt file
                raise SegmentationError(
                    f"cannot read Parquet file {str(file)!r}: {error}"
                ) from error
        names = [[n for n in columns if not n.startswith("__index_level_")] for columns in names]
        _check_header(names[0], files[0], "")
        _check_same_columns(files, names)
        frame = dd.from_map(_read_parquet_file, [str(f) for f in files])
        return frame, ReadInfo("parquet"), files
    with open(files[0], "rb") as stream:
        raw = stream.read(_SNIFF_BYTES)
    if not raw.strip():
        raise SegmentationError(f"input file {str(files[0])!r} is empty")
    if len(raw) == _SNIFF_BYTES:  # cut at a line end, not inside a multi-byte character
        raw = raw[: raw.rfind(b"\n") + 1] or raw
    layout = sniff_text_format(raw, files[0], sep, decimal, encoding)
    separator, used = layout.info.separator, layout.info.encoding
    _check_same_columns(
        files, [layout.header] + [_first_line(f, used, separator) for f in files[1:]]
    )
    options = layout.read_options()
    frame = dd.from_map(_read_text_file, [str(f) for f in files], options=options)
    return frame, layout.info, files


# ---------------------------------------------------------------------------
# Partitions: a map over them that returns small summaries, reduced in order
# ---------------------------------------------------------------------------


def _compute(*values):
    import dask

    return dask.compute(*values)


class _Partitions:
    """A table as a list of Dask-delayed pandas partitions with their row counts known.

    ``offsets[i]`` is the global row number of partition ``i``'s first row, so
    messages and the outlier list number rows as the in-memory engine does.
    """

    def __init__(self, parts, lengths):
        self.parts = list(parts)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    @property
    def total(self) -> int:
        return int(self.lengths.sum())

    def map(self, function, *args, lengths=None, others=()):
        """Apply ``function(part, *other_parts, *args)`` to every partition (lazily)."""
        from dask import delayed

        call = delayed(function, pure=True)
        parts = [
            call(part, *(other.parts[i] for other in others), *args)
            for i, part in enumerate(self.parts)
        ]
        return _Partitions(parts, self.lengths if lengths is None else lengths)

    def summaries(self, function, *args, others=(), with_offsets=False):
        """``function(part, *other_parts, *args[, offset])`` of every partition, computed."""
        from dask import delayed

        call = delayed(function, pure=True)
        tasks = [
            call(
                part,
                *(other.parts[i] for other in others),
                *args,
                *((int(self.offsets[i]),) if with_offsets else ()),
            )
            for i, part in enumerate(self.parts)
        ]
        return list(_compute(*tasks))

    def keep(self, masks: list[np.ndarray]):
        """The rows where the per-partition boolean masks are true, renumbered."""
        lengths = [int(m.sum()) for m in masks]
        from dask import delayed

        call = delayed(_take_rows, pure=True)
        return _Partitions([call(p, m) for p, m in zip(self.parts, masks)], lengths)

    def gather(self, positions: np.ndarray):
        """The rows at global ``positions`` (any order) of a table or array, brought back."""
        positions = np.asarray(positions, dtype=np.int64)
        order = np.argsort(positions, kind="stable")
        ordered = positions[order]
        owner = np.searchsorted(self.offsets, ordered, side="right") - 1
        from dask import delayed

        call = delayed(_rows_at, pure=True)
        tasks = [
            call(part, ordered[owner == i] - self.offsets[i])
            for i, part in enumerate(self.parts)
            if np.any(owner == i)
        ]
        pieces = _compute(*tasks)
        stacked = (
            pd.concat(pieces, ignore_index=True)
            if isinstance(pieces[0], pd.DataFrame)
            else np.concatenate(pieces)
        )
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        if isinstance(stacked, pd.DataFrame):
            return stacked.iloc[back].reset_index(drop=True)
        return stacked[back]

    def dask_array(self, width: int):
        """The partitions (float64 arrays, ``width`` columns) as one Dask array, a block each."""
        import dask.array as da

        blocks = [
            da.from_delayed(part, shape=(int(n), width), dtype=np.float64)
            for part, n in zip(self.parts, self.lengths)
            if n > 0
        ]
        return da.concatenate(blocks, axis=0)


def _take_rows(part, mask):
    if isinstance(part, np.ndarray):
        return part[mask]
    return part.loc[mask].reset_index(drop=True)


def _rows_at(part, local):
    if isinstance(part, np.ndarray):
        return part[local]
    return part.iloc[local].reset_index(drop=True)


def _dtypes_and_length(part: pd.DataFrame):
    return part.dtypes, len(part)


def _settle_types(part: pd.DataFrame, dtypes: dict) -> pd.DataFrame:
    part = part.reset_index(drop=True)
    changed = {c: t for c, t in dtypes.items() if part[c].dtype != t}
    return part.astype(changed) if changed else part


def _common_dtype(dtypes: list):
    """The type one read of all the files would give a column."""
    if all(t == dtypes[0] for t in dtypes):
        return dtypes[0]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in dtypes):
        return np.result_type(*dtypes)
    return np.dtype(object)


def _open(frame) -> _Partitions:
    """Partitions with settled column types and known lengths (one pass over the files)."""
    parts = frame.to_delayed()
    found = _compute(*[_delayed(_dtypes_and_length)(p) for p in parts])
    columns = list(found[0][0].index)
    dtypes = {c: _common_dtype([d[c] for d, _ in found]) for c in columns}
    lengths = [n for _, n in found]
    opened = _Partitions(parts, lengths).map(_settle_types, dtypes)
    opened.meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
    return opened


def _delayed(function):
    from dask import delayed

    return delayed(function, pure=True)


# ---------------------------------------------------------------------------
# Exact order statistics by reductions
# ---------------------------------------------------------------------------


def _interval_block(values, groups, targets, bins):
    """Per target (column, group, lo, hi, gather): counts, minima, maxima per bin, or the values."""
    out = []
    for column, group, lo, hi, gather in targets:
        x = values[:, int(column)]
        chosen = ~np.isnan(x) & (x >= lo) & (x <= hi)
        if groups is not None:
            chosen &= groups == group
        x = x[chosen]
        if gather:
            out.append(np.sort(x))
            continue
        if not np.isfinite(lo) or not np.isfinite(hi) or hi == lo:
            where = np.zeros(len(x), dtype=np.int64)
        else:
            where = np.minimum(((x - lo) / (hi - lo) * bins).astype(np.int64), bins - 1)
        counts = np.bincount(where, minlength=bins)
        minima = np.full(bins, np.inf)
        maxima = np.full(bins, -np.inf)
        np.minimum.at(minima, where, x)
        np.maximum.at(maxima, where, x)
        out.append((counts, minima, maxima))
    return out


def _combine_intervals(*blocks):
    """Add the blocks' histograms (in block order) and merge their gathered values."""
    combined = []
    for per_target in zip(*blocks):
        if isinstance(per_target[0], np.ndarray):
            combined.append(np.sort(np.concatenate(per_target), kind="stable"))
        else:
            counts = np.sum([c for c, _, _ in per_target], axis=0)
            minima = np.min([m for _, m, _ in per_target], axis=0)
            maxima = np.max([m for _, _, m in per_target], axis=0)
            combined.append((counts, minima, maxima))
    return combined


def order_statistics(values: _Partitions, groups: _Partitions | None, wanted) -> np.ndarray:
    """Exact order statistics of columns of a partitioned float matrix, per group.

    Parameters
    ----------
    values : _Partitions of numpy.ndarray (rows x columns)
        NaN values are left out.
    groups : _Partitions of int arrays, optional
        The group of each row; None for one group.
    wanted : sequence of (column, group, rank)
        ``rank`` is 0-based among the group's non-NaN values in that column.

    Returns
    -------
    numpy.ndarray
        The value at each wanted rank.

    Notes
    -----
    Each pass bins the values left in every target's interval into
    :data:`_BINS` bins (one summary per partition, added in partition order);
    the bin holding the rank becomes the next interval, bounded by the actual
    smallest and largest values in it. An interval of equal values is the
    answer; one with at most :data:`_GATHER_LIMIT` values is brought back and
    sorted. Dask's own quantiles are approximate; these are the values
    ``numpy.percentile`` would interpolate between.
    """
    state = [[c, g, -np.inf, np.inf, int(r), None] for c, g, r in wanted]  # ..., rank left, count
    answers = np.full(len(state), np.nan)
    done = np.zeros(len(state), dtype=bool)
    while not done.all():
        active = np.flatnonzero(~done)
        targets = [
            (s[0], s[1], s[2], s[3], s[5] is not None and s[5] <= _GATHER_LIMIT)
            for s in (state[i] for i in active)
        ]
        call = _delayed(_interval_block)
        tasks = [
            call(part, groups.parts[i] if groups is not None else None, targets, _BINS)
            for i, part in enumerate(values.parts)
        ]
        (result,) = _compute(_delayed(_combine_intervals)(*tasks))
        for target, found in zip(active, result):
            entry = state[target]
            if isinstance(found, np.ndarray):
                answers[target] = found[entry[4]]
                done[target] = True
                continue
            counts, minima, maxima = found
            before = np.cumsum(counts) - counts
            chosen = int(np.searchsorted(np.cumsum(counts), entry[4], side="right"))
            if chosen >= len(counts):
                raise SegmentationError("order_statistics: rank beyond the values present")
            entry[2], entry[3] = float(minima[chosen]), float(maxima[chosen])
            entry[4] -= int(before[chosen])
            entry[5] = int(counts[chosen])
            if entry[2] == entry[3]:
                answers[target] = entry[2]
                done[target] = True
    return answers


def _percentile(sorted_at, n: int, q: float) -> float:
    """numpy.percentile's linear interpolation from order statistics ``sorted_at(rank)``."""
    position = (n - 1) * (q / 100)
    below = int(np.floor(position))
    t = position - below
    a = sorted_at(below)
    b = sorted_at(min(below + 1, n - 1))
    # numpy's _lerp: computed from the nearer end, so a t of 0 or 1 gives an end exactly.
    return float(b - (b - a) * (1 - t)) if t >= 0.5 else float(a + (b - a) * t)


def _quantiles(values: _Partitions, groups, counts: dict, requests) -> dict:
    """``{(column, group, q): value}`` for percentiles q (``"median"`` for the median)."""
    ranks = {}
    for column, group, q in requests:
        n = counts[(column, group)]
        if n == 0:
            continue
        if q == "median":
            ranks[(column, group, (n - 1) // 2)] = None
            ranks[(column, group, n // 2)] = None
        else:
            position = (n - 1) * (q / 100)
            ranks[(column, group, int(np.floor(position)))] = None
            ranks[(column, group, min(int(np.floor(position)) + 1, n - 1))] = None
    keys = list(ranks)
    found = dict(zip(keys, order_statistics(values, groups, keys) if keys else []))
    out = {}
    for column, group, q in requests:
        n = counts[(column, group)]
        if n == 0:
            out[(column, group, q)] = np.nan
        elif q == "median":
            a, b = found[(column, group, (n - 1) // 2)], found[(column, group, n // 2)]
            out[(column, group, q)] = a if n % 2 else (a + b) / 2  # numpy.median's mean of two
        else:
            out[(column, group, q)] = _percentile(
                lambda rank, c=column, g=group: found[(c, g, rank)], n, q
            )
    return out


# ---------------------------------------------------------------------------
# Sums by group (means, shares, moments)
# ---------------------------------------------------------------------------


def _group_sums_block(values, groups, n_groups, center, power):
    """Per group and column: count of non-NaN values and sum of (x - center)^power."""
    x = values if center is None else values - center
    if power != 1:
        x = x**power
    present = ~np.isnan(values)
    codes = np.zeros(len(values), dtype=np.int64) if groups is None else groups
    keep = codes >= 0
    counts = np.zeros((n_groups, values.shape[1]), dtype=np.int64)
    sums = np.zeros((n_groups, values.shape[1]))
    for j in range(values.shape[1]):
        rows = keep & present[:, j]
        counts[:, j] = np.bincount(codes[rows], minlength=n_groups)
        for g in range(n_groups):
            # np.sum per group (pairwise), as the in-memory means sum one column at a time.
            sums[g, j] = np.sum(x[rows & (codes == g), j])
    return counts, sums


def _group_sums(values, groups, n_groups, center=None, power=1):
    blocks = (
        values.summaries(
            _group_sums_block, n_groups, center, power, others=(groups,) if groups else ()
        )
        if groups is not None
        else values.summaries(_ungrouped_sums_block, center, power)
    )
    counts = np.sum([c for c, _ in blocks], axis=0)
    sums = np.zeros_like(blocks[0][1])
    for _, s in blocks:  # partition order: the same additions whatever the scheduler did
        sums = sums + s
    return counts, sums


def _ungrouped_sums_block(values, center, power):
    return _group_sums_block(values, None, 1, center, power)


def _group_means(values, groups, n_groups):
    counts, sums = _group_sums(values, groups, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), counts


# ---------------------------------------------------------------------------
# The column statistics of segmentation.scaling, by reductions
# ---------------------------------------------------------------------------


def _float_block(part: pd.DataFrame) -> np.ndarray:
    return part.to_numpy(dtype=np.float64)


def _masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Rows not kept become NaN (left out of every sum, count and order statistic)."""
    out = values.copy()
    out[~keep] = np.nan
    return out


def _log_columns(values: np.ndarray, columns) -> np.ndarray:
    out = values.copy()
    out[:, columns] = np.log1p(out[:, columns])
    return out


class DaskColumnStatistics:
    """:class:`segmentation.scaling.ColumnStatistics`, computed by reductions over partitions.

    Parameters
    ----------
    values : _Partitions of numpy.ndarray
        Encoded features in original units.
    fit_masks : _Partitions of bool arrays
        The customers the centres and scales are learned from.
    """

    def __init__(self, values: _Partitions, fit_masks: _Partitions):
        self.values = values
        self.fit = values.map(_masked, others=(fit_masks,))
        self._cache = {}

    def _moments(self, matrix, key):
        if key not in self._cache:
            counts, sums = _group_sums(matrix, None, 1)
            mean = sums[0] / counts[0]
            _, squares = _group_sums(matrix, None, 1, center=mean, power=2)
            _, cubes = _group_sums(matrix, None, 1, center=mean, power=3)
            self._cache[key] = counts[0], mean, squares[0], cubes[0]
        return self._cache[key]

    def minimum(self, column: int) -> float:
        if "extremes" not in self._cache:
            found = self.values.summaries(_extremes_block)
            self._cache["extremes"] = (
                np.min([lo for lo, _ in found], axis=0),
                np.max([hi for _, hi in found], axis=0),
            )
        return float(self._cache["extremes"][0][column])

    def skewness(self, column: int) -> float:
        """Pandas' ``Series.skew`` (adjusted Fisher-Pearson), from the moment sums."""
        count, _, m2, m3 = (v[column] for v in self._moments(self.values, "all"))
        if count < 3:
            return float("nan")
        # pandas zeroes sums below 1e-14 (floating-point noise) before dividing.
        m2 = 0.0 if abs(m2) < 1e-14 else m2
        m3 = 0.0 if abs(m3) < 1e-14 else m3
        if m2 == 0:
            return 0.0
        return float((count * (count - 1) ** 0.5 / (count - 2)) * (m3 / m2**1.5))

    def _fit_matrix(self, log: bool):
        if not log:
            return self.fit
        if "log-matrix" not in self._cache:
            self._cache["log-matrix"] = self.fit.map(np.log1p)
        return self._cache["log-matrix"]

    def center_and_scale(self, column: int, method: str) -> tuple[float, float]:
        matrix = self._fit_matrix(method == "log")
        key = "log" if method == "log" else "fit"
        if method in ("standard", "log"):
            count, mean, squares, _ = self._moments(matrix, key)
            return float(mean[column]), float(np.sqrt(squares[column] / count[column]))
        if method == "robust":
            count = self._moments(matrix, key)[0]
            found = _quantiles(
                matrix,
                None,
                {(column, 0): int(count[column])},
                [(column, 0, q) for q in (25, 50, 75)],
            )
            q1, median, q3 = (found[(column, 0, q)] for q in (25, 50, 75))
            moments = self._moments(matrix, key)
            return robust_center_and_scale(
                q1, median, q3, lambda: float(np.sqrt(moments[2][column] / moments[0][column]))
            )
        if method == "minmax":
            found = matrix.summaries(_extremes_block)
            low = float(np.min([lo[column] for lo, _ in found]))
            high = float(np.max([hi[column] for _, hi in found]))
            return low, high - low
        return 0.0, 1.0

    def shares(self, columns: slice) -> np.ndarray:
        count, mean, _, _ = self._moments(self.fit, "fit")
        return mean[columns]


def _extremes_block(values):
    if len(values) == 0:
        width = values.shape[1]
        return np.full(width, np.inf), np.full(width, -np.inf)
    return np.nanmin(values, axis=0), np.nanmax(values, axis=0)


# ---------------------------------------------------------------------------
# Checks and encoding, with global row numbers
# ---------------------------------------------------------------------------


def _positions_block(part, column, test, offset):
    return np.flatnonzero(test(part[column]).to_numpy()) + offset


def _not_numeric(values):
    return pd.to_numeric(values, errors="coerce").isna() & values.notna()


def _text_column_block(part, column):
    values = part[column]
    numbers = pd.to_numeric(values, errors="coerce")
    distinct = set(values.dropna().unique()[: 10 * MAX_AUTO_CATEGORIES])
    return int(numbers.notna().sum()), int(values.notna().sum()), distinct


def _kind(parts, table, column, role, categorical) -> str:
    """segmentation.features._kind_of, with the text columns' counts from a pass."""
    if role == "gender" or column in categorical:
        return "category"
    if _is_text(table.frame[column]) and role is None:
        found = parts.summaries(_text_column_block, column)
        numbers = sum(n for n, _, _ in found)
        present = sum(p for _, p, _ in found)
        if numbers < 0.5 * present:
            n_values = len(set().union(*(d for _, _, d in found)))
            if n_values <= MAX_AUTO_CATEGORIES:
                return "category"
            raise SegmentationError(
                f"column {column!r} holds text with {n_values} or more different values, too "
                f"many to encode automatically (at most {MAX_AUTO_CATEGORIES}); name it with "
                "--categorical to one-hot encode it anyway, or leave it out of the features"
            )
    return "numeric"


def _check_block(part, columns, kinds, id_column, offset):
    """One partition's problems: rows with bad, missing and infinite values (global numbers)."""
    found = {"not_numeric": {}, "examples": {}, "missing": {}, "missing_rows": None, "inf": {}}
    missing = pd.DataFrame(index=part.index)
    for column, role in columns:
        raw = part[column]
        if kinds[column] == "numeric" and not pd.api.types.is_bool_dtype(raw):
            numbers = pd.to_numeric(raw, errors="coerce")
            bad = (numbers.isna() & raw.notna()).to_numpy()
            found["not_numeric"][column] = np.flatnonzero(bad) + offset
            found["examples"][column] = [repr(v) for v in raw[bad].head(3)]
            found["inf"][column] = np.flatnonzero(np.isinf(numbers.to_numpy(float))) + offset
            missing[column] = numbers.isna().to_numpy()
        elif kinds[column] == "category":
            missing[column] = _category_values(_table_of(part), column, role).isna().to_numpy()
        else:
            missing[column] = raw.isna().to_numpy()
    if id_column is not None:
        missing[id_column] = part[id_column].isna().to_numpy()
    found["missing"] = missing.sum().to_dict()
    found["missing_rows"] = missing.any(axis=1).to_numpy()
    return found


def _table_of(part):
    return CustomerTable(part, {}, "partition")


def _categories_block(part, column, role):
    return set(str(v) for v in _category_values(_table_of(part), column, role).dropna().unique())


def _range_block(part, column, low, high, offset):
    numbers = pd.to_numeric(part[column], errors="coerce")
    return np.flatnonzero(((numbers < low) | (numbers > high)).to_numpy()) + offset


def _merge_positions(found) -> np.ndarray:
    return np.concatenate(found) if found else np.array([], dtype=np.int64)


def _check_ids(parts: _Partitions, frame, id_column) -> None:
    """segmentation.data._check_ids: missing or repeated IDs refused, naming the rows."""
    missing = _merge_positions(
        parts.summaries(_positions_block, id_column, pd.isna, with_offsets=True)
    )
    if len(missing):
        raise SegmentationError(
            f"customer ID column {id_column!r} has {len(missing)} missing value(s) at "
            f"{format_rows(missing)}"
        )
    # value_counts spreads the IDs over the workers; only the repeated ones come back.
    counts = frame[id_column].value_counts()
    repeated = counts[counts > 1].compute()
    if len(repeated):
        values = set(repeated.index)
        rows = _merge_positions(
            parts.summaries(
                _positions_block, id_column, lambda s: s.isin(values), with_offsets=True
            )
        )
        first = parts.gather(rows[:1])[id_column].iloc[0]
        raise SegmentationError(
            f"customer ID column {id_column!r} has {len(values)} repeated ID(s), e.g. "
            f"{first!r}; {len(rows)} rows are affected: {format_rows(rows)}"
        )


def _build_features(parts, frame, table, features, missing, strict, categorical):
    """segmentation.features.build_features on partitions: (table parts, table, features, notes)."""
    import warnings

    from segmentation.features import DEFAULT_FEATURES

    if features is not None and isinstance(features, str):
        features = [features]
    categorical_requests = list(categorical or [])
    if features is not None and [str(f).strip().lower() for f in features] == ["all"]:
        raise SegmentationError(
            "--features all is not available with --engine dask (it looks at every column's "
            "values to choose); name the feature columns, or leave out --engine dask"
        )
    if features is not None:
        requests = list(features) + categorical_requests
    elif categorical_requests:
        classic = "income" in table.roles and "spending" in table.roles
        requests = (list(DEFAULT_FEATURES) if classic else []) + categorical_requests
    else:
        requests = list(_default_requests(table))
    categorical_columns = {_resolve_column(c, table)[0] for c in categorical_requests}
    columns = []
    for request in requests:
        resolved = _resolve_column(request, table)
        if resolved not in columns:
            columns.append(resolved)
    kinds = {c: _kind(parts, table, c, r, categorical_columns) for c, r in columns}

    found = parts.summaries(_check_block, columns, kinds, table.id_column, with_offsets=True)
    for column, _role in columns:
        bad = _merge_positions([f["not_numeric"].get(column, np.array([], int)) for f in found])
        if len(bad):
            examples = [e for f in found for e in f["examples"].get(column, [])][:3]
            raise SegmentationError(
                f"column {column!r} has non-numeric values ({', '.join(examples)}) at "
                f"{format_rows(bad)}"
            )
    per_column = {}
    for f in found:
        for column, count in f["missing"].items():
            per_column[column] = per_column.get(column, 0) + int(count)
    masks = [f["missing_rows"] for f in found]
    rows_missing = np.concatenate(masks)
    if rows_missing.any():
        listed = ", ".join(f"{column!r} ({count})" for column, count in per_column.items() if count)
        where = format_rows(np.flatnonzero(rows_missing))
        if missing == "error":
            raise SegmentationError(
                f"{int(rows_missing.sum())} customer(s) have missing values in {listed} at "
                f"{where}; fix them, or drop those customers with missing='drop' (--drop-missing)"
            )
        note = (
            f"Dropped {int(rows_missing.sum())} of {table.n_customers} customers with missing "
            f"values in {listed} ({where})."
        )
        parts = parts.keep([~m for m in masks])
        table = _with_count(table, parts.total).with_note(note)
        if table.n_customers < 2:
            raise SegmentationError(
                f"only {table.n_customers} customer(s) are left after dropping missing values; "
                "segmenting needs at least 2"
            )
        found = parts.summaries(_check_block, columns, kinds, table.id_column, with_offsets=True)
    for column, _role in columns:
        infinite = _merge_positions([f["inf"].get(column, np.array([], int)) for f in found])
        if len(infinite):
            raise SegmentationError(
                f"column {column!r} has infinite values at {format_rows(infinite)}"
            )
    for role, (low, high, what) in _VALID_RANGES.items():
        column = table.roles.get(role)
        if column is None:
            continue
        outside = _merge_positions(
            parts.summaries(_range_block, column, low, high, with_offsets=True)
        )
        if not len(outside):
            continue
        message = f"column {column!r} has {len(outside)} value(s) {what} at {format_rows(outside)}"
        if strict:
            raise SegmentationError(message)
        warnings.warn(message + "; they are kept", DataQualityWarning, stacklevel=4)
        table = table.with_note(message + "; they were kept.")

    chosen = []
    for column, role in columns:
        if kinds[column] == "category":
            seen = set().union(*parts.summaries(_categories_block, column, role))
            chosen.append(Feature(column, role, tuple(sorted(seen))))
        else:
            chosen.append(Feature(column, role))
    return parts, table, chosen


def _with_count(table: CustomerTable, n: int) -> CustomerTable:
    from dataclasses import replace

    return replace(table, roles=dict(table.roles), n_rows=n)


def _encode_block(part, features):
    return encode_for_model(part, features).to_numpy(dtype=np.float64)


# ---------------------------------------------------------------------------
# Outliers: the robust z-scores of segmentation.outliers, from exact quartiles
# ---------------------------------------------------------------------------


def _outlier_block(values, log_columns, columns, median, spread):
    pre = _log_columns(values, log_columns)[:, columns]
    return largest_z(z_scores_from(pre, median, spread), columns)


def _flags_block(values, log_columns, columns, median, spread):
    return _outlier_block(values, log_columns, columns, median, spread)[0]


def _abs_deviation_block(values, log_columns, columns, median):
    return np.abs(_log_columns(values, log_columns)[:, columns] - median)


def _flagged_rows_block(values, part, log_columns, columns, median, spread, id_column, offset):
    flagged, largest, worst = _outlier_block(values, log_columns, columns, median, spread)
    rows = np.flatnonzero(flagged)
    ids = part[id_column].to_numpy()[rows] if id_column is not None else None
    return rows + offset, ids, worst[rows], values[rows, worst[rows]], largest[rows]


def _find_outliers(values: _Partitions, scaler):
    """(median, spread, judged columns) of the robust z-score, or None without numeric columns."""
    columns = np.array([i for i, m in enumerate(scaler.column_methods) if m != "category"])
    if not len(columns):
        return None
    log_columns = np.flatnonzero(scaler.log_columns) if scaler.transforms else np.array([], int)
    pre = values.map(_log_columns, log_columns).map(_rows_columns, columns)
    counts = {(j, 0): values.total for j in range(len(columns))}
    found = _quantiles(
        pre, None, counts, [(j, 0, q) for j in range(len(columns)) for q in ("median", 25, 75)]
    )
    median = np.array([found[(j, 0, "median")] for j in range(len(columns))])
    q1 = np.array([found[(j, 0, 25)] for j in range(len(columns))])
    q3 = np.array([found[(j, 0, 75)] for j in range(len(columns))])
    deviation = values.map(_abs_deviation_block, log_columns, columns, median)
    mad = _quantiles(deviation, None, counts, [(j, 0, "median") for j in range(len(columns))])
    mad = np.array([mad[(j, 0, "median")] for j in range(len(columns))])

    def mean_absolute_deviation():
        count, sums = _group_sums(deviation, None, 1)
        return sums[0] / count[0]

    spread = robust_spread(q1, q3, mad, mean_absolute_deviation)
    return log_columns, columns, median, spread


def _rows_columns(values, columns):
    return values[:, columns]


def _no_flags_block(values):
    return np.zeros(len(values), dtype=bool)


# ---------------------------------------------------------------------------
# The lazy customer table of the result
# ---------------------------------------------------------------------------


def _labelled_block(part, labels, flagged, names, with_outlier):
    out = part.copy()
    out[SEGMENT_COLUMN] = labels
    out[SEGMENT_NAME_COLUMN] = pd.Categorical.from_codes(labels - 1, categories=names)
    if with_outlier:
        out["Outlier"] = flagged
    return out


class PartitionedCustomers:
    """The customer table with its segments, partition by partition, never held whole.

    Stands in for ``SegmentationResult.customers`` of a Dask run: ``len`` is the
    number of customers, :meth:`to_csv` writes the table partition after
    partition, and ``sample_labels`` are the segments of the sampled customers
    that ``feature_values`` and the plots show.
    """

    def __init__(self, parts: _Partitions, columns, sample_labels: np.ndarray):
        self.parts = parts
        self.columns = pd.Index(columns)
        self.sample_labels = sample_labels

    def __len__(self) -> int:
        return self.parts.total

    def to_csv(self, path, index: bool = False) -> None:
        """Write the table as one CSV file (UTF-8, comma-separated), a partition at a time."""
        with open(path, "w", encoding="utf-8", newline="") as stream:
            for number, part in enumerate(self.parts.parts):
                (frame,) = _compute(part)
                frame.to_csv(stream, index=index, header=number == 0)

    def compute(self) -> pd.DataFrame:
        """The whole table in memory (for tests and small data)."""
        return pd.concat(_compute(*self.parts.parts), ignore_index=True)


# ---------------------------------------------------------------------------
# The analysis
# ---------------------------------------------------------------------------


def _distinct_rows_block(values, cap):
    return np.unique(values, axis=0)[: cap + 1] if len(values) else values


def _count_distinct(scaled_fit: _Partitions, cap: int) -> int:
    """Distinct fitted rows, exactly up to ``cap`` (enough to compare with every k)."""
    found = scaled_fit.summaries(_distinct_rows_block, cap)
    return len(np.unique(np.concatenate(found), axis=0))


def _sample_positions(n: int, size: int, seed) -> np.ndarray:
    """Everyone in row order up to ``size``; above, the rows choose_k's silhouette draws."""
    from kmeans_core._validation import check_random_state

    if n <= size:
        return np.arange(n)
    return check_random_state(seed).permutation(n)[:size]


def _assign_block(scaled, centers):
    from segmentation.model import _nearest_center

    return _nearest_center(centers, scaled) + 1


def _silhouette(X, labels) -> float:
    from kmeans_core import silhouette_score

    if not 2 <= np.unique(labels).size <= len(X) - 1:
        return float("nan")
    return silhouette_score(X, labels)


def segment_collection(
    path,
    *,
    features: Sequence[str] | str | None = None,
    k: int | str = "auto",
    scale: str = "auto",
    k_range: Sequence[int] = DEFAULT_K_RANGE,
    n_init: int = DEFAULT_N_INIT,
    random_state: int | None = 0,
    missing: str = "error",
    strict: bool = False,
    id_column: str | None = None,
    progress=None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    categorical: Sequence[str] | None = None,
    dates: Sequence[str] | None = None,
    outliers: str = "flag",
    labels: dict[int, str] | None = None,
    stability: bool = True,
    roles: dict[str, str] | None = None,
) -> SegmentationResult:
    """:func:`segmentation.segment_customers` on a table read with Dask, by reductions.

    Parameters
    ----------
    path : path-like or str
        A folder of Parquet files, a glob of CSV files (``"exports/*.csv"``),
        or one CSV or Parquet file (see :func:`read_collection`).
    features, k, scale, k_range, n_init, random_state, missing, strict, id_column, progress, \
sep, decimal, encoding, categorical, outliers, labels, stability, roles
        As for :func:`segmentation.segment_customers`.
    dates : None
        Not available on this engine.

    Returns
    -------
    SegmentationResult
        As the in-memory engine's, except that ``customers`` is a
        :class:`PartitionedCustomers` (written to CSV partition by partition),
        and ``feature_values`` / ``scaled_features`` hold the sampled customers
        (everyone up to :data:`SAMPLE_SIZE`) that the plots show.

    Raises
    ------
    SegmentationError
        As :func:`segmentation.segment_customers`; also when Dask is missing,
        the path matches nothing, or the files disagree on their columns.

    Notes
    -----
    K-Means runs on whatever Dask scheduler is current: a ``distributed.Client``
    when one exists, else Dask's threaded scheduler. Every reduction adds the
    partitions' summaries in partition order, so the answer does not depend
    on the scheduler.
    """
    from kmeans_core import KMeans, find_knee
    from segmentation.naming import feature_levels, name_segments, segment_drivers
    from segmentation.stability import segment_stability

    step = progress.step if progress is not None else (lambda message: contextlib.nullcontext())
    k_values = _check_parameters(k, scale, n_init, k_range, outliers)
    requested = "auto" if isinstance(k, str) and k.strip().lower() == "auto" else int(k)
    if dates:
        raise SegmentationError(
            "--dates is not available with --engine dask yet; leave out --engine dask to use it"
        )

    with step("reading and checking the customer table with Dask"):
        frame, info, files = read_collection(path, sep=sep, decimal=decimal, encoding=encoding)
        parts = _open(frame)
        source = Path(str(path)).name or str(path)
        if len(files) > 1:
            source = f"{source} ({len(files)} files)"
        if parts.total == 0:
            raise SegmentationError(f"the customer table from {source} has no rows")
        if parts.total == 1:
            raise SegmentationError(
                f"the customer table from {source} has only 1 row; segmenting needs at least 2 "
                "customers"
            )
        table = CustomerTable(
            parts.meta,
            _recognise_roles(list(parts.meta.columns), id_column),
            source,
            reading=info.describe(),
            n_rows=parts.total,
        )
        if table.id_column is not None:
            _check_ids(parts, frame, table.id_column)
        if roles:
            table = _with_roles(table, roles)
        parts, table, chosen = _build_features(
            parts, frame, table, features, missing, strict, categorical
        )
        values = parts.map(_encode_block, chosen)
        columns = [name for feature in chosen for name in feature.encoded_columns]
        extremes = values.summaries(_extremes_block)
        low, high = (
            np.min([lo for lo, _ in extremes], axis=0),
            np.max([h for _, h in extremes], axis=0),
        )
        for feature in chosen:
            for name in feature.encoded_columns:
                j = columns.index(name)
                if low[j] == high[j]:
                    raise SegmentationError(
                        f"feature {feature.column!r} has the same value for every customer, so it "
                        "cannot separate segments; leave it out of the features"
                    )

        everyone = values.map(_all_true)
        scaler = scaling_from_statistics(DaskColumnStatistics(values, everyone), chosen, scale)
        outlier_model = _find_outliers(values, scaler) if outliers != "keep" else None
        flags = (
            values.map(_flags_block, *outlier_model)
            if outlier_model is not None
            else values.map(_no_flags_block)
        )
        n_flagged = int(sum(int(f.sum()) for f in flags.summaries(np.asarray)))
        if n_flagged > MAX_OUTLIER_SHARE * table.n_customers:
            table = table.with_note(
                f"{n_flagged} customers ({n_flagged / table.n_customers:.0%}) have a robust z-score "
                f"above {OUTLIER_THRESHOLD}: too many to set aside as outliers (more than "
                f"{MAX_OUTLIER_SHARE:.0%}): the columns have long tails or well-separated "
                "groups rather than a few odd customers, so everyone was clustered."
            )
            outlier_model, n_flagged = None, 0
            flags = values.map(_no_flags_block)
        outlier_rows = _outlier_list(values, parts, outlier_model, table, columns)
        if n_flagged and outliers == "exclude":
            keep = [~f for f in flags.summaries(np.asarray)]
            table = table.with_note(
                f"Left out {n_flagged} extreme customer(s) (robust z-score above "
                f"{OUTLIER_THRESHOLD}); they are not in the results."
            )
            parts, values = parts.keep(keep), values.keep(keep)
            table = _with_count(table, parts.total)
            outlier_model, n_flagged = None, 0
            flags = values.map(_no_flags_block)
        fit_masks = flags.map(np.logical_not)
        statistics = DaskColumnStatistics(values, fit_masks)
        scaler = scaling_from_statistics(statistics, chosen, scale)
        scaled = values.map(scaler.transform)
        fit_lengths = [int(m.sum()) for m in fit_masks.summaries(np.asarray)]
        scaled_fit = scaled.map(_take_rows, others=(fit_masks,), lengths=fit_lengths)
        X = scaled_fit.dask_array(len(columns))

    n_fit = scaled_fit.total
    n_distinct = _count_distinct(
        scaled_fit, max(max(k_values), 0 if requested == "auto" else requested)
    )
    if requested != "auto" and requested > n_distinct:
        raise SegmentationError(
            f"k = {requested} is more than the {n_distinct} distinct customers in the table"
        )
    k_values = [value for value in k_values if value <= min(n_distinct, n_fit - 1)]
    if requested == "auto" and len(k_values) < 3:
        raise SegmentationError(
            f"k = 'auto' needs at least 3 values of k to find an elbow, but the table has only "
            f"{n_distinct} distinct customers; give k as a number"
        )
    sample_rows = _sample_positions(n_fit, SAMPLE_SIZE, random_state)
    sampled = len(sample_rows) < n_fit
    X_sample = scaled_fit.gather(sample_rows)
    with step(
        f"fitting K-Means on Dask for k = {k_values[0]}..{k_values[-1]} ({n_init} restarts each)"
    ):
        if len(k_values) >= 3:
            models = {
                value: KMeans(n_clusters=value, n_init=n_init, random_state=random_state).fit(X)
                for value in k_values
            }
            ks = np.asarray(k_values, dtype=int)
            inertia = np.array([models[value].inertia_ for value in k_values], dtype=np.float64)
            silhouette = np.array(
                [
                    _silhouette(
                        X_sample,
                        np.asarray(models[v].labels_[np.sort(sample_rows)].compute())[
                            np.argsort(np.argsort(sample_rows))
                        ],
                    )
                    for v in k_values
                ]
            )
            knee = find_knee(ks, inertia, S=1.0, curve="convex", direction="decreasing")
            elbow_k = int(knee) if knee is not None else None
            defined = np.isfinite(silhouette)
            silhouette_k = (
                int(ks[defined][np.argmax(silhouette[defined])]) if defined.any() else None
            )

            def silhouette_at(value):
                return float(silhouette[list(ks).index(value)]) if value in ks else float("nan")

            chosen_k, reason = _reason(requested, elbow_k, silhouette_k, silhouette_at)
            selection = KSelection(
                ks,
                inertia,
                silhouette,
                elbow_k,
                silhouette_k,
                chosen_k,
                requested,
                reason,
                len(sample_rows) if sampled else None,
            )
            fitted = models.get(chosen_k) or KMeans(
                n_clusters=chosen_k, n_init=n_init, random_state=random_state
            ).fit(X)
        else:
            selection, fitted = _fit_single(X, requested, random_state, n_init)

    k = selection.k
    centers_scaled = np.asarray(fitted.cluster_centers_, dtype=np.float64)
    cluster_labels = scaled.map(_assign_block, centers_scaled)  # 1..k, every customer
    scores = np.full(k, np.nan)
    if stability and k > 1:
        with step(f"checking segment stability ({k} segments, bootstrap)"):
            sample_labels = cluster_labels.map(_take_rows, others=(fit_masks,), lengths=fit_lengths)
            scores = segment_stability(
                X_sample, sample_labels.gather(sample_rows) - 1, k, random_state=random_state
            )

    with step("naming and profiling the segments"):
        typical = values.map(_masked, others=(fit_masks,))
        codes = cluster_labels.map(_minus_one)
        population_mean = _group_means(typical, None, 1)[0][0]
        counts, squares = _group_sums(typical, None, 1, center=population_mean, power=2)
        population_std = np.sqrt(squares[0] / counts[0])
        cluster_means = pd.DataFrame(_group_means(typical, codes, k)[0], columns=columns)
        population_mean = pd.Series(population_mean, index=columns)
        population_std = pd.Series(population_std, index=columns)
        levels = feature_levels(chosen, cluster_means, population_mean, population_std)
        order = _segment_order(levels, cluster_means.to_numpy())
        segment_of_cluster = np.empty(len(order), dtype=np.int64)
        segment_of_cluster[order] = np.arange(1, len(order) + 1)
        segments = cluster_labels.map(_renumber, segment_of_cluster)
        segment_means = pd.DataFrame(
            cluster_means.to_numpy()[order], columns=columns, index=pd.RangeIndex(1, k + 1)
        )
        numeric = [j for j, f in enumerate(chosen) if not f.is_categorical]
        numeric_columns = [chosen[j].encoded_columns[0] for j in numeric]
        correlation = (
            _correlation(
                typical,
                [columns.index(c) for c in numeric_columns],
                population_mean.to_numpy(),
                numeric_columns,
            )
            if len(numeric_columns) > 1
            else None
        )
        generated = name_segments(
            chosen, segment_means, population_mean, population_std, correlation=correlation
        )
        renamed = _check_labels(labels, k)
        names = [renamed.get(n, label.name) for n, label in enumerate(generated, start=1)]
        if len(set(names)) < len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise SegmentationError(
                f"labels: segment names must differ; repeated: {', '.join(repeated)}"
            )
        profile, overall = _profile(parts, typical, segments, chosen, table, columns, names)
        flagged_segments = np.concatenate(
            [s[f] for s, f in zip(segments.summaries(np.asarray), flags.summaries(np.asarray))]
        )
        outliers_per_segment = np.bincount(flagged_segments, minlength=k + 1)[1:]
        stability_ordered = np.asarray(scores, dtype=np.float64)[order]
        profile["Stability"] = stability_ordered
        if len(outlier_rows) and n_flagged:
            numbers = _segment_at(segments, outlier_rows["Row"].to_numpy() - 1)
            outlier_rows = outlier_rows.assign(Segment=numbers)
        plot_rows = _sample_positions(parts.total, SAMPLE_SIZE, random_state)
        sample_segments = segments.gather(plot_rows)
        customers = PartitionedCustomers(
            parts.map(_labelled_block, names, n_flagged > 0, others=(segments, flags)),
            list(table.frame.columns) + [SEGMENT_COLUMN, SEGMENT_NAME_COLUMN],
            sample_segments,
        )
        if len(plot_rows) < parts.total:
            table = table.with_note(
                f"Read with Dask from {len(files)} file(s); the silhouette, stability and plots "
                f"use a reproducible random sample of {len(plot_rows):,} of "
                f"{parts.total:,} customers (seed {random_state})."
            )
        segments_list = segment_cards(
            generated, names, profile, segment_means, stability_ordered, outliers_per_segment
        )
        model_result = _model(
            chosen, scaler, centers_scaled[order], names, generated, segment_means
        )
        drivers = segment_drivers(chosen, segment_means, population_mean, population_std)
        feature_values = pd.DataFrame(values.gather(plot_rows), columns=columns)
        return SegmentationResult(
            customers=customers,
            segments=segments_list,
            profile=profile,
            overall=overall,
            selection=selection,
            model=model_result,
            table=table,
            feature_values=feature_values,
            scaled_features=scaled.gather(plot_rows),
            inertia=float(fitted.inertia_),
            random_state=random_state,
            n_init=n_init,
            outliers=outlier_rows,
            drivers=drivers,
            scaling=describe_scaling(scaler, columns, statistics),
            warnings=_segment_warnings(segments_list, table.n_customers),
            outlier_policy=outliers,
            overall_means=population_mean,
        )


def _all_true(values):
    return np.ones(len(values), dtype=bool)


def _minus_one(labels):
    return labels - 1


def _renumber(labels, segment_of_cluster):
    return segment_of_cluster[labels - 1]


def _segment_at(segments: _Partitions, positions: np.ndarray) -> np.ndarray:
    return segments.gather(positions) if len(positions) else np.array([], dtype=np.int64)


def _products_block(values, columns, mean):
    deviation = values[:, columns] - mean
    return deviation.T @ deviation


def _correlation(typical: _Partitions, columns, mean, names) -> pd.DataFrame:
    """Pearson correlation of the typical customers' numeric columns (DataFrame.corr)."""
    found = typical.summaries(_products_block_kept, columns, mean[columns])
    products = np.zeros((len(columns), len(columns)))
    for block in found:  # partition order
        products = products + block
    scale = np.sqrt(np.diag(products))
    return pd.DataFrame(products / np.outer(scale, scale), index=names, columns=names)


def _products_block_kept(values, columns, mean):
    kept = values[~np.isnan(values[:, columns]).any(axis=1)]
    return _products_block(kept, columns, mean)


def _outlier_list(values, parts, outlier_model, table, columns) -> pd.DataFrame:
    """The flagged customers (row, ID, column, value, robust z); they come back to the client."""
    if outlier_model is None:
        return outlier_rows_table([], table.id_column, [], [], [], [])
    found = values.summaries(
        _flagged_rows_block, *outlier_model, table.id_column, others=(parts,), with_offsets=True
    )
    rows, ids, worst, chosen, z = ([piece[i] for piece in found] for i in range(5))
    return outlier_rows_table(
        np.concatenate(rows),
        table.id_column,
        np.concatenate(ids) if table.id_column is not None else None,
        [columns[i] for i in np.concatenate(worst)],
        np.concatenate(chosen),
        np.concatenate(z),
    )


def _model(features, scaler, centers, names, generated, segment_means):
    from segmentation.model import SegmentModel

    return SegmentModel(
        features=features,
        scaler=scaler,
        centers=centers,
        names=names,
        descriptions=[label.description for label in generated],
        actions=[label.action for label in generated],
        generated_names=[label.name for label in generated],
        means=segment_means.to_numpy(dtype=np.float64),
    )


def _gender_block(part, column):
    return set(str(v) for v in gender_values(part[column]).dropna().unique())


def _profile_block(part, typical, spec):
    """The columns the profile averages, one per spec entry (NaN where a row does not count)."""
    out = np.full((len(part), len(spec)), np.nan)
    for j, (kind, argument) in enumerate(spec):
        if kind == "typical":
            out[:, j] = typical[:, argument]
        elif kind == "rest":
            out[:, j] = 1.0 - typical[:, argument].sum(axis=1)
        elif kind == "number":
            out[:, j] = pd.to_numeric(part[argument], errors="coerce").to_numpy(dtype=np.float64)
        elif kind == "band":
            column, low, high = argument
            ages = pd.to_numeric(part[column], errors="coerce")
            out[:, j] = ((ages >= low) & (ages < high)).astype("float64").where(ages.notna())
        else:  # "gender"
            column, category = argument
            genders = gender_values(part[column])
            out[:, j] = (genders == category).astype("float64").where(genders.notna())
    return out


def _profile(parts, typical, segments, features, table, columns, names):
    """segmentation.profile.profile_segments by reductions: (profile, overall)."""
    spec, labels, medians = [], [], []
    feature_columns = [f.column for f in features]
    for feature in features:
        if feature.is_categorical:
            if feature.role == "gender":
                continue
            for category in feature.categories:
                encoded = f"{feature.column}={category}"
                if encoded in columns:
                    spec.append(("typical", columns.index(encoded)))
                else:
                    spec.append(("rest", [columns.index(c) for c in feature.encoded_columns]))
                labels.append(f"{encoded} share")
            continue
        column = feature.encoded_columns[0]
        spec.append(("typical", columns.index(column)))
        labels += [f"{column} mean", f"{column} median"]
        medians.append(len(spec) - 1)
    age_column = table.roles.get("age")
    if age_column is not None:
        if age_column not in feature_columns:
            spec.append(("number", age_column))
            labels += [f"{age_column} mean", f"{age_column} median"]
            medians.append(len(spec) - 1)
        for label, low, high in AGE_BANDS:
            spec.append(("band", (age_column, low, high)))
            labels.append(f"Age {label} share")
    gender_column = table.roles.get("gender")
    if gender_column is not None:
        categories = sorted(set().union(*parts.summaries(_gender_block, gender_column)))
        for category in categories:
            spec.append(("gender", (gender_column, category)))
            labels.append(f"{category} share")
    matrix = parts.map(_profile_block, spec, others=(typical,))
    k = len(names)
    n = parts.total

    def describe(groups, n_groups):
        means, counts = _group_means(matrix, groups, n_groups)
        wanted = [(j, g, "median") for j in medians for g in range(n_groups)]
        found = _quantiles(
            matrix, groups, {(j, g): int(counts[g, j]) for j, g, _ in wanted}, wanted
        )
        sizes = np.bincount(
            np.concatenate(groups.summaries(np.asarray))
            if groups is not None
            else np.zeros(n, int),
            minlength=n_groups,
        )[:n_groups]
        table_ = {"Customers": sizes, "Share": sizes / n}
        position = 0
        for j in range(len(spec)):
            table_[labels[position]] = means[:, j]
            position += 1
            if j in medians:
                table_[labels[position]] = [found[(j, g, "median")] for g in range(n_groups)]
                position += 1
        return pd.DataFrame(table_)

    profile = describe(segments.map(_minus_one), k)
    profile.index = pd.RangeIndex(1, k + 1, name="Segment")
    profile.insert(0, "Name", list(names))
    profile["Customers"] = profile["Customers"].astype("int64")
    overall = describe(None, 1).iloc[0]
    overall = pd.concat([pd.Series({"Name": "All customers"}), overall.astype("object")])
    overall["Customers"] = int(overall["Customers"])
    return profile, overall
