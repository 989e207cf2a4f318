"""The model file: its schema, its checksum, and a loader that trusts nothing in it.

A model file is JSON written by :meth:`segmentation.SegmentModel.to_json`. It is
read back by code that runs on customer data, so every field is checked before
any of it is used, and every problem is a :class:`SegmentationError` that names
the field (``scaler.scale[1]``, ``segments[2].number``), never a deeper
library's internals. Reading never executes anything: the file is JSON parsed by
:mod:`json`, nothing else.

The checks run in this order, each before the next can be fooled:

1. size (``MAX_MODEL_BYTES``), before the file is read into memory;
2. text (UTF-8) and nesting depth (``MAX_NESTING``), before the JSON parser
   runs, so a file of ten thousand ``[`` is refused without a RecursionError;
3. JSON syntax, with NaN/Infinity and repeated keys refused;
4. the schema: every field's type, length, sign and finiteness, and the
   agreements between fields (one scaler value and one centre value per
   feature column, segment numbers 1..k);
5. the checksum: ``sha256`` of the canonical JSON of everything else, so a
   hand-edited file that still looks valid is detected.

Adding a field to the format
----------------------------
Add its check to :data:`TOP_LEVEL_FIELDS` (or to the per-segment / per-feature /
scaler tables below) and write it in ``SegmentModel.to_dict``. Unknown fields
are refused, so a field that is written but not checked fails the round-trip
test at once. The checksum needs no change: it covers every field.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable

import numpy as np

from segmentation._errors import SegmentationError

__all__ = [
    "MODEL_FORMAT",
    "MAX_MODEL_BYTES",
    "MAX_NESTING",
    "CHECKSUM_FIELD",
    "seal",
    "checksum_of",
    "parse_model_bytes",
    "validate_description",
]

#: Identifies the model file format; bumped when the layout changes.
MODEL_FORMAT = "kmeans-segment-model/1"
#: A model with 1,000 segments over 1,000 feature columns is about 50 MB of JSON;
#: real ones are a few KB. Anything larger is refused before it is read.
MAX_MODEL_BYTES = 64 * 2**20
#: The format nests 4 deep (file, segments list, segment, centre list); the
#: margin leaves room for new fields. Python's parser recurses once per level.
MAX_NESTING = 16
#: The top-level field holding ``"sha256:<hex>"`` of the rest of the file.
CHECKSUM_FIELD = "checksum"
_CHECKSUM_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")


class _FieldError(Exception):
    """A problem with one field; turned into a SegmentationError naming the file."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path} {problem}" if path else problem)


# ---------------------------------------------------------------------------
# Checksum


def checksum_of(description: dict) -> str:
    """``"sha256:<hex>"`` of the canonical JSON of ``description`` without its checksum field.

    Canonical: keys sorted, no spaces, UTF-8. Python's ``json`` writes each float
    as its shortest exact repr and reads it back to the same float, so the text
    re-made from a parsed file is byte for byte the text that was hashed.
    """
    content = {key: value for key, value in description.items() if key != CHECKSUM_FIELD}
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(description: dict) -> str:
    """The model file text of ``description``, with its checksum added."""
    sealed = {key: value for key, value in description.items() if key != CHECKSUM_FIELD}
    sealed[CHECKSUM_FIELD] = checksum_of(sealed)
    return json.dumps(sealed, indent=2, allow_nan=False)


# ---------------------------------------------------------------------------
# Before the parser: size, text, nesting

# A complete JSON string: quote, then runs of ordinary characters or escapes.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def nesting_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in ``text``, brackets inside strings not counted.

    Linear in the text and without recursion, so it is safe on any input. An
    unterminated string ends the count (the parser will then refuse the text).
    """
    outside_strings = _JSON_STRING.sub("0", text)
    stray_quote = outside_strings.find('"')
    if stray_quote >= 0:
        outside_strings = outside_strings[:stray_quote]
    codes = np.frombuffer(outside_strings.encode("utf-8", "replace"), dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def _refuse_constant(name: str):
    raise _FieldError("", f"contains {name}, which is not a number JSON allows")


def _refuse_repeated_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        raise _FieldError("", f"repeats the key(s) {', '.join(map(repr, repeated))} in one object")
    return dict(pairs)


def parse_model_bytes(data: bytes, source: str, *, verify_checksum: bool = True) -> dict:
    """Check and parse the bytes of a model file; return its validated description.

    Parameters
    ----------
    data : bytes
        The file's content.
    source : str
        How to name the file in messages (its path).
    verify_checksum : bool
        Refuse a file whose checksum is missing or does not match its content.
        False accepts a deliberately edited file (its schema is still checked).

    Raises
    ------
    SegmentationError
        For any problem, naming the file and the field.
    """
    where = f"model file {source!r}"
    if not isinstance(data, (bytes, bytearray)):
        raise SegmentationError(f"{where}: expected bytes, not {type(data).__name__}")
    if len(data) > MAX_MODEL_BYTES:
        raise SegmentationError(
            f"{where} is {len(data):,} bytes, more than a model file can be "
            f"({MAX_MODEL_BYTES:,}); it is not a model written by kmeans-segment"
        )
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SegmentationError(
            f"{where} is not UTF-8 text (byte {error.start} cannot be decoded); "
            "it is not a model written by kmeans-segment"
        ) from None
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise SegmentationError(
            f"{where} nests lists or objects {depth} deep; a model file has at most "
            f"{MAX_NESTING} levels, so it is not a model written by kmeans-segment"
        )
    try:
        description = json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_repeated_keys
        )
    except _FieldError as error:
        raise SegmentationError(f"{where} is not a valid model: it {error}") from None
    except json.JSONDecodeError as error:
        raise SegmentationError(f"{where} is not valid JSON: {error}") from None
    except (ValueError, RecursionError) as error:
        # ValueError: an integer with more digits than Python converts.
        raise SegmentationError(f"{where} is not valid JSON: {error}") from None
    validate_description(description, source=source)
    if verify_checksum:
        _verify_checksum(description, where)
    return description


def _verify_checksum(description: dict, where: str) -> None:
    stored = description.get(CHECKSUM_FIELD)
    if stored is None:
        raise SegmentationError(
            f"{where} has no {CHECKSUM_FIELD!r} field, so it cannot be shown to be unedited; "
            "write the model again with kmeans-segment (or read it with verify_checksum=False)"
        )
    if stored != checksum_of(description):
        raise SegmentationError(
            f"{where} was changed after kmeans-segment wrote it: its {CHECKSUM_FIELD!r} field "
            "does not match its content. Run the segmentation again to get a sound model "
            "(or read it with verify_checksum=False if the edit was deliberate)"
        )


# ---------------------------------------------------------------------------
# The schema


def _describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return f"{type(value).__name__} {value!r}"[:60]


def _shorten(items: list, shown: int = 8) -> str:
    text = ", ".join(repr(item)[:40] for item in items[:shown])
    return f"[{text}{', ...' if len(items) > shown else ''}]"


def _text(value, path: str, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise _FieldError(path, f"must be text, not {_describe(value)}")
    if not empty_ok and not value.strip():
        raise _FieldError(path, "must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _FieldError(path, "contains an unpaired surrogate escape (not a character)") from None
    return value


def _optional_text(value, path: str) -> str | None:
    return None if value is None else _text(value, path)


def _list(value, path: str, *, non_empty: bool = True) -> list:
    if not isinstance(value, list):
        raise _FieldError(path, f"must be a list, not {_describe(value)}")
    if non_empty and not value:
        raise _FieldError(path, "must not be empty")
    return value


def _distinct_texts(value, path: str, *, non_empty: bool = True) -> list[str]:
    items = _list(value, path, non_empty=non_empty)
    texts = [_text(item, f"{path}[{i}]") for i, item in enumerate(items)]
    if len(set(texts)) != len(texts):
        repeated = sorted({t for t in texts if texts.count(t) > 1})
        raise _FieldError(path, f"repeats {', '.join(map(repr, repeated))}")
    return texts


def _finite_number(value, path: str) -> float:
    # bool is an int in Python but never a number in a model file.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _FieldError(path, f"must be a number, not {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _FieldError(path, f"must be a finite number, not {_describe(value)}")
    return number


def _numbers(value, path: str, length: int, length_of: str) -> np.ndarray:
    items = _list(value, path, non_empty=False)
    if len(items) != length:
        raise _FieldError(path, f"has {len(items)} value(s) but the model has {length} {length_of}")
    return np.array(
        [_finite_number(item, f"{path}[{i}]") for i, item in enumerate(items)], dtype=np.float64
    )


def _object(value, path: str, fields: dict[str, tuple[bool, Callable]]) -> dict:
    """Check that ``value`` is an object with exactly the known fields; run each field's check."""
    if not isinstance(value, dict):
        raise _FieldError(path or "the file", f"must be an object, not {_describe(value)}")
    unknown = [key for key in value if key not in fields]
    if unknown:
        shown = ", ".join(repr(key)[:40] for key in unknown[:5])
        known = ", ".join(fields)
        raise _FieldError(
            path or "the file", f"has unknown field(s) {shown}; known fields: {known}"
        )
    for key, (required, check) in fields.items():
        field_path = f"{path}.{key}" if path else key
        if key not in value:
            if required:
                raise _FieldError(field_path, "is missing")
            continue
        check(value[key], field_path)
    return value


def _check_format(value, path: str) -> None:
    if value != MODEL_FORMAT:
        raise _FieldError(
            path,
            f"is {_describe(value)}, expected {MODEL_FORMAT!r}: not a segmentation model "
            "of this version",
        )


def _check_role(value, path: str) -> None:
    _optional_text(value, path)


def _check_categories(value, path: str) -> None:
    _distinct_texts(value, path, non_empty=False)


#: What each encoded column went through before scaling (``scaler.transforms``).
TRANSFORMS = ("identity", "log1p")
#: How each encoded column was scaled (``scaler.column_methods``).
COLUMN_METHODS = ("standard", "robust", "log", "minmax", "none", "category")


def _choices(allowed):
    def check(value, path: str) -> None:
        for i, item in enumerate(_list(value, path)):
            if item not in allowed:
                raise _FieldError(
                    f"{path}[{i}]", f"is {_describe(item)}, expected one of {', '.join(allowed)}"
                )

    return check


def _check_iso_date(value, path: str) -> None:
    import datetime

    text = _text(value, path)
    try:
        datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise _FieldError(path, f"is {_describe(value)}, not a date (YYYY-MM-DD)") from None


#: Fields of one entry of ``features``: name -> (required, check).
FEATURE_FIELDS: dict[str, tuple[bool, Callable]] = {
    "column": (True, _text),
    "role": (False, _check_role),
    "categories": (True, _check_categories),
    "reference_date": (False, _check_iso_date),  # date features: ages counted from it
}


def _check_features(value, path: str) -> None:
    for i, feature in enumerate(_list(value, path)):
        _object(feature, f"{path}[{i}]", FEATURE_FIELDS)
    columns = [feature["column"] for feature in value]
    if len(set(columns)) != len(columns):
        repeated = sorted({column for column in columns if columns.count(column) > 1})
        raise _FieldError(path, f"name a column twice: {', '.join(map(repr, repeated))}")


def _check_method(value, path: str) -> None:
    from segmentation.scaling import SCALE_CHOICES

    if value not in SCALE_CHOICES:
        raise _FieldError(
            path, f"is {_describe(value)}, expected one of {', '.join(SCALE_CHOICES)}"
        )


def _check_number_list(value, path: str) -> None:
    # Lengths are checked against the feature columns once those are known.
    for i, item in enumerate(_list(value, path)):
        _finite_number(item, f"{path}[{i}]")


#: Fields of ``scaler``.
SCALER_FIELDS: dict[str, tuple[bool, Callable]] = {
    "method": (True, _check_method),
    "center": (True, _check_number_list),
    "scale": (True, _check_number_list),
    "transforms": (False, _choices(TRANSFORMS)),
    "column_methods": (False, _choices(COLUMN_METHODS)),
}


def _check_scaler(value, path: str) -> None:
    _object(value, path, SCALER_FIELDS)


def _check_segment_number(value, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(path, f"must be a whole number, not {_describe(value)}")


def _check_description_text(value, path: str) -> None:
    _text(value, path, empty_ok=True)


#: Fields of one entry of ``segments``.
SEGMENT_FIELDS: dict[str, tuple[bool, Callable]] = {
    "number": (True, _check_segment_number),
    "name": (True, _text),
    "description": (True, _check_description_text),
    "action": (True, _check_description_text),
    "center_scaled": (True, _check_number_list),
    "center_original": (True, _check_number_list),
    "generated_name": (False, _text),  # the rule's name when --labels renamed the segment
    "mean_original": (False, _check_number_list),
}


def _check_segments(value, path: str) -> None:
    for i, segment in enumerate(_list(value, path)):
        _object(segment, f"{path}[{i}]", SEGMENT_FIELDS)


def _check_checksum_text(value, path: str) -> None:
    if not isinstance(value, str) or not _CHECKSUM_PATTERN.fullmatch(value):
        raise _FieldError(
            path, f"must be 'sha256:' and 64 hexadecimal digits, not {_describe(value)}"
        )


#: Top-level fields of a model file: name -> (required, check). The checks see
#: one field each; the agreements between fields are in _check_agreements.
TOP_LEVEL_FIELDS: dict[str, tuple[bool, Callable]] = {
    "format": (True, _check_format),
    "features": (True, _check_features),
    "feature_columns": (True, _distinct_texts),
    "scaler": (True, _check_scaler),
    "segments": (True, _check_segments),
    CHECKSUM_FIELD: (False, _check_checksum_text),
}


def _check_agreements(description: dict) -> None:
    """What no single field can show: lengths, numbering and centres agree with each other."""
    from segmentation.features import Feature

    features = [
        Feature(f["column"], f.get("role"), tuple(f["categories"])) for f in description["features"]
    ]
    expected_columns = [name for feature in features for name in feature.encoded_columns]
    if description["feature_columns"] != expected_columns:
        raise _FieldError(
            "feature_columns",
            f"is {_shorten(description['feature_columns'])} but the features make "
            f"{_shorten(expected_columns)}",
        )
    n_columns = len(expected_columns)
    columns_word = f"feature column(s) ({', '.join(expected_columns)})"
    scaler = description["scaler"]
    center = _numbers(scaler["center"], "scaler.center", n_columns, columns_word)
    scale = _numbers(scaler["scale"], "scaler.scale", n_columns, columns_word)
    logged = np.zeros(n_columns, dtype=bool)
    for field in ("transforms", "column_methods"):
        if field in scaler and len(scaler[field]) != n_columns:
            raise _FieldError(
                f"scaler.{field}",
                f"has {len(scaler[field])} value(s) but the model has {n_columns} {columns_word}",
            )
    if "transforms" in scaler:
        logged = np.array([t == "log1p" for t in scaler["transforms"]], dtype=bool)
    not_positive = np.flatnonzero(scale <= 0)
    if len(not_positive):
        i = int(not_positive[0])
        raise _FieldError(
            f"scaler.scale[{i}]",
            f"is {float(scale[i])!r}; every scale must be positive "
            f"(it divides feature column {expected_columns[i]!r})",
        )

    segments = description["segments"]
    k = len(segments)
    numbers = [segment["number"] for segment in segments]
    if sorted(numbers) != list(range(1, k + 1)):
        raise _FieldError(
            "segments",
            f"are numbered {sorted(numbers)}; {k} segment(s) must be numbered 1 to {k}, each once",
        )
    names = [segment["name"] for segment in segments]
    if len(set(names)) != k:
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise _FieldError("segments", f"repeat the name(s) {', '.join(map(repr, repeated))}")
    centers = np.empty((k, n_columns))
    for i, segment in enumerate(segments):
        path = f"segments[{i}]"
        centers[i] = _numbers(
            segment["center_scaled"], f"{path}.center_scaled", n_columns, columns_word
        )
        original = _numbers(
            segment["center_original"], f"{path}.center_original", n_columns, columns_word
        )
        # Both were written from the same floats by the same formula, so they
        # agree to rounding; a larger gap means one of them was changed.
        if "mean_original" in segment:
            _numbers(segment["mean_original"], f"{path}.mean_original", n_columns, columns_word)
        with np.errstate(all="ignore"):  # an overflow just means "does not match"
            expected = centers[i] * scale + center
            expected[logged] = np.expm1(expected[logged])
            tolerance = 1e-12 * (np.abs(center) + scale).max()
            matches = np.allclose(original, expected, rtol=1e-9, atol=tolerance)
        if not matches:
            raise _FieldError(
                f"{path}.center_original", "does not match center_scaled through the scaler"
            )
    if k > 1 and len(np.unique(centers, axis=0)) < k:
        raise _FieldError("segments", "have two identical centres (center_scaled)")


def validate_description(description, *, source: str = "<model>") -> dict:
    """Check a parsed model description against the schema; return it unchanged.

    Raises
    ------
    SegmentationError
        Naming the source and the field at fault.
    """
    try:
        _object(description, "", TOP_LEVEL_FIELDS)
        _check_agreements(description)
    except _FieldError as error:
        raise SegmentationError(f"model file {source!r} is not a valid model: {error}") from None
    return description
