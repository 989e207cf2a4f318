"""Choosing, checking, encoding and scaling the features that segments are built on.

The classic analysis clusters on annual income and spending score; age and
gender are added on request (``features=["income", "spending", "age",
"gender"]``), and any other numeric column can be named. Gender is encoded as
indicator columns (one for a two-valued column, one per category otherwise).

Validation here is about the columns in use (the features and the ID). What is
an error and what is a warning:

===================================================  =========================================
Problem                                              Outcome
===================================================  =========================================
feature column not in the table                      error, naming it and listing the columns
non-numeric value in a numeric feature               error, naming the column and the rows
missing value in a feature                           error with count and rows, unless
                                                     ``missing="drop"``: rows dropped, count noted
infinite value in a feature                          error, naming the column and the rows
feature with the same value for every customer       error (it cannot separate segments)
the customer-ID column named as a feature            error
spending score outside 1-100, negative income or     :class:`DataQualityWarning` (kept, noted in the
age, age above 120                                   report); an error with ``strict=True``
===================================================  =========================================
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation._errors import DataQualityWarning, SegmentationError
from segmentation.data import CustomerTable, format_rows

__all__ = [
    "Feature",
    "FeatureMatrix",
    "Scaler",
    "build_features",
    "DEFAULT_FEATURES",
    "FEATURE_KEYWORDS",
    "SCALE_METHODS",
]

#: The classic analysis: income and spending score.
DEFAULT_FEATURES = ("income", "spending")
#: Words that stand for a classic column, whatever it is called in the file.
FEATURE_KEYWORDS = {
    "income": "income",
    "spending": "spending",
    "score": "spending",
    "spending_score": "spending",
    "age": "age",
    "gender": "gender",
    "genre": "gender",
    "sex": "gender",
}
SCALE_METHODS = ("standard", "minmax", "none")
#: A text column with at most this many different values is one-hot encoded without being named.
MAX_AUTO_CATEGORIES = 12

# The range each classic column states (the spending score is "(1-100)").
_VALID_RANGES = {
    "spending": (1.0, 100.0, "outside its stated range 1-100"),
    "income": (0.0, np.inf, "negative"),
    "age": (0.0, 120.0, "negative or above 120"),
}
_NOUNS = {"income": "Income", "spending": "Spending", "age": "Age", "gender": "Gender"}
# Short spellings of gender values, mapped to the usual words.
_GENDER_SPELLINGS = {"m": "Male", "male": "Male", "f": "Female", "female": "Female"}


@dataclass(frozen=True)
class Feature:
    """One column of the customer table used to build segments.

    Attributes
    ----------
    column : str
        The column in the customer table.
    role : str or None
        Its classic role (``"income"``, ``"spending"``, ``"age"``, ``"gender"``),
        or None for another numeric column named by the user.
    categories : tuple of str
        For a categorical feature (gender, or a text column one-hot encoded),
        every category seen when the segments were built; empty otherwise.
    reference_date : str or None
        For a date column turned into an age in days: the date ages are
        counted back from (ISO format, the latest date when the segments were
        built); None otherwise.
    """

    column: str
    role: str | None = None
    categories: tuple[str, ...] = field(default=())
    reference_date: str | None = None

    @property
    def is_date(self) -> bool:
        """True for a date column used as its age in days."""
        return self.reference_date is not None

    @property
    def is_categorical(self) -> bool:
        """True for an indicator-encoded feature."""
        return bool(self.categories)

    @property
    def indicator_categories(self) -> tuple[str, ...]:
        """The categories that get an indicator column.

        Two categories carry one piece of information, so they get a single
        indicator (for the first in sorted order); otherwise each gets one.
        """
        return self.categories[:1] if len(self.categories) == 2 else self.categories

    @property
    def noun(self) -> str:
        """The word segment names use for this feature ("Income", "Spending", "Fresh")."""
        if self.is_date:
            return self.encoded_columns[0]
        return _NOUNS.get(self.role, str(self.column))

    @property
    def encoded_columns(self) -> list[str]:
        """Names of the columns this feature becomes in the feature matrix."""
        if self.is_date:
            return [f"{self.column} (days)"]
        if not self.is_categorical:
            return [str(self.column)]
        return [f"{self.column}={category}" for category in self.indicator_categories]

    def to_dict(self) -> dict:
        """A JSON-ready description."""
        description = {
            "column": str(self.column),
            "role": self.role,
            "categories": list(self.categories),
        }
        if self.is_date:
            description["reference_date"] = self.reference_date
        return description

    @classmethod
    def from_dict(cls, description: dict) -> Feature:
        """Rebuild a feature from :meth:`to_dict` output."""
        return cls(
            description["column"],
            description.get("role"),
            tuple(description["categories"]),
            description.get("reference_date"),
        )


@dataclass(frozen=True)
class FeatureMatrix:
    """The features of every customer, in original units, ready to scale.

    Attributes
    ----------
    table : CustomerTable
        The customer table the rows come from (rows dropped for missing values
        are gone from it too).
    features : list of Feature
    values : pandas.DataFrame
        One float64 column per encoded feature column, one row per customer of
        ``table``, in original units (indicators are 0/1).
    """

    table: CustomerTable
    features: list[Feature]
    values: pd.DataFrame


def _resolve_column(request: str, table: CustomerTable) -> tuple[str, str | None]:
    """Turn a requested feature (a keyword or a column name) into (column, role)."""
    columns = list(table.frame.columns)
    present = ", ".join(map(str, columns))
    by_role = {column: role for role, column in table.roles.items()}
    if request in columns:
        column = request
    else:
        matches = [c for c in columns if str(c).strip().lower() == str(request).strip().lower()]
        keyword = FEATURE_KEYWORDS.get(str(request).strip().lower().replace(" ", "_"))
        if matches:
            column = matches[0]
        elif keyword is not None:
            if keyword not in table.roles:
                raise SegmentationError(
                    f"feature {request!r} asks for the {keyword} column, but no column was "
                    f"recognised as {keyword}; columns present: {present}"
                )
            column = table.roles[keyword]
        else:
            raise SegmentationError(
                f"feature {request!r} is not a column of the table; columns present: {present} "
                f"(or use the keywords income, spending, age, gender)"
            )
    role = by_role.get(column)
    if role == "id":
        raise SegmentationError(
            f"feature {request!r} is the customer-ID column {column!r}; IDs are never a feature"
        )
    return column, role


def _default_requests(table: CustomerTable) -> Sequence[str]:
    if "income" in table.roles and "spending" in table.roles:
        return DEFAULT_FEATURES
    numeric = [
        str(c)
        for c in table.frame.columns
        if c != table.id_column and pd.api.types.is_numeric_dtype(table.frame[c])
    ]
    raise SegmentationError(
        "features: no income and spending-score columns were recognised (the classic "
        "'Annual Income (k$)' and 'Spending Score (1-100)'), so name the feature columns "
        f"(features=[...], --features ...); numeric columns present: {', '.join(numeric) or 'none'}"
    )


def _numeric_column(table: CustomerTable, column: str) -> pd.Series:
    """The column as float64, refusing values that are present but not numbers."""
    raw = table.frame[column]
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    numbers = pd.to_numeric(raw, errors="coerce")
    not_numbers = (numbers.isna() & raw.notna()).to_numpy().nonzero()[0]
    if len(not_numbers):
        examples = ", ".join(repr(raw.iloc[i]) for i in not_numbers[:3])
        raise SegmentationError(
            f"column {column!r} has non-numeric values ({examples}) at {format_rows(not_numbers)}"
        )
    return numbers.astype("float64")


def gender_values(raw: pd.Series) -> pd.Series:
    """Gender values as text with M/F spelt out and stray spaces removed; missing stays missing."""
    # Spell each distinct value once: a million rows hold only a handful of them.
    spelling = {
        value: _GENDER_SPELLINGS.get(str(value).strip().lower(), str(value).strip())
        for value in raw.dropna().unique()
    }
    return raw.map(spelling).astype("object")


def _check_ranges(table: CustomerTable, strict: bool) -> CustomerTable:
    """Warn (or, when strict, refuse) about classic columns outside their stated range."""
    for role, (low, high, what) in _VALID_RANGES.items():
        column = table.roles.get(role)
        if column is None:
            continue
        numbers = pd.to_numeric(table.frame[column], errors="coerce")
        outside = ((numbers < low) | (numbers > high)).to_numpy().nonzero()[0]
        if not len(outside):
            continue
        message = f"column {column!r} has {len(outside)} value(s) {what} at {format_rows(outside)}"
        if strict:
            raise SegmentationError(message)
        warnings.warn(message + "; they are kept", DataQualityWarning, stacklevel=3)
        table = table.with_note(message + "; they were kept.")
    return table


def _looks_like_id(column, values: pd.Series) -> bool:
    """A column that identifies rows rather than describing customers.

    Its name is "id" or ends in "id"/"number"/"no" (``CustomerID``, ``Client_No``)
    and no value repeats, or it is whole numbers counting up one row at a time.
    """
    if values.isna().any() or not values.is_unique:
        return False
    key = re.sub(r"[^0-9a-z]", "", str(column).lower())
    if key == "id" or key.endswith(("id", "number", "no", "key")):
        return True
    if pd.api.types.is_integer_dtype(values) and len(values) >= 20:
        steps = np.diff(values.to_numpy())
        return bool(np.all(steps == 1))
    return False


def _is_text(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values))


#: Under ``features="all"``, a numeric column of whole numbers with at most this many
#: different values is a code (channel 1/2, region 1/2/3), encoded as categories:
#: "High Channel" would mean nothing to an analyst.
MAX_CODE_CATEGORIES = 5


def _is_code(values: pd.Series) -> bool:
    present = values.dropna()
    if not 2 <= present.nunique() <= MAX_CODE_CATEGORIES:
        return False
    numbers = pd.to_numeric(present, errors="coerce").to_numpy(dtype="float64")
    return bool(np.isfinite(numbers).all() and (numbers == np.round(numbers)).all())


def _all_requests(table: CustomerTable, categorical, dates) -> tuple[list[str], str, list[str]]:
    """Every usable column for ``features="all"``, with what was left out and what is a code.

    Returns the chosen columns, a note of what was left out and why, and the
    numeric columns taken as coded categories.
    """
    chosen, skipped, codes = [], [], []
    for column in table.frame.columns:
        values = table.frame[column]
        if column == table.id_column:
            skipped.append(f"{column} (the customer ID)")
        elif column in categorical or column in dates:
            chosen.append(column)
        elif _is_text(values):
            n_values = values.dropna().nunique()
            if n_values <= MAX_AUTO_CATEGORIES:
                chosen.append(column)
            else:
                skipped.append(f"{column} (text with {n_values} different values)")
        elif _looks_like_id(column, values):
            skipped.append(f"{column} (looks like an ID)")
        elif values.nunique(dropna=True) <= 1:
            skipped.append(f"{column} (the same value for everyone)")
        elif _is_code(values):
            chosen.append(column)
            codes.append(column)
        else:
            chosen.append(column)
    note = f"Features: all usable columns ({len(chosen)})"
    if codes:
        note += (
            f"; taken as categories (whole-number codes with at most "
            f"{MAX_CODE_CATEGORIES} values): {', '.join(map(str, codes))}"
        )
    note += f"; left out: {', '.join(map(str, skipped))}." if skipped else "."
    return chosen, note, codes


def _category_values(table: CustomerTable, column: str, role: str | None) -> pd.Series:
    """Category labels as text (gender spellings unified); missing stays missing."""
    raw = table.frame[column]
    if role == "gender":
        return gender_values(raw)
    spelling = {value: str(value).strip() for value in raw.dropna().unique()}
    return raw.map(spelling).astype("object")


def _date_column(table: CustomerTable, column: str) -> pd.Series:
    """The column parsed as dates, refusing values that are present but not dates."""
    raw = table.frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw
    dates = pd.to_datetime(raw, errors="coerce", format="mixed")
    not_dates = (dates.isna() & raw.notna()).to_numpy().nonzero()[0]
    if len(not_dates):
        examples = ", ".join(repr(raw.iloc[i]) for i in not_dates[:3])
        raise SegmentationError(
            f"date column {column!r} has values that are not dates ({examples}) at "
            f"{format_rows(not_dates)}; write them as YYYY-MM-DD"
        )
    return dates


def _age_in_days(dates: pd.Series, reference: pd.Timestamp) -> np.ndarray:
    return ((reference - dates) / pd.Timedelta(days=1)).to_numpy(dtype="float64")


def _kind_of(table, column, role, categorical, dates) -> str:
    """Whether a resolved feature column is "numeric", "category" or "date"."""
    if column in dates:
        return "date"
    if role == "gender" or column in categorical:
        return "category"
    values = table.frame[column]
    if _is_text(values) and role is None:
        numbers = pd.to_numeric(values, errors="coerce")
        # Mostly numbers with a few typos is a numeric column with bad values (refused later
        # with the rows); words are categories.
        if numbers.notna().sum() < 0.5 * values.notna().sum():
            n_values = values.dropna().nunique()
            if n_values <= MAX_AUTO_CATEGORIES:
                return "category"
            raise SegmentationError(
                f"column {column!r} holds text with {n_values} different values, too many to "
                f"encode automatically (at most {MAX_AUTO_CATEGORIES}); name it with "
                "categorical=[...] (--categorical) to one-hot encode it anyway, with "
                "dates=[...] (--dates) if it holds dates, or leave it out of the features"
            )
    return "numeric"


def build_features(
    table: CustomerTable,
    features: Sequence[str] | None = None,
    *,
    missing: str = "error",
    strict: bool = False,
    categorical: Sequence[str] | None = None,
    dates: Sequence[str] | None = None,
) -> FeatureMatrix:
    """Pick, check and encode the features of a customer table.

    Parameters
    ----------
    table : CustomerTable
        From :func:`segmentation.load_customers`.
    features : sequence of str or "all", optional
        Column names or the keywords ``income``, ``spending`` (or ``score``),
        ``age`` and ``gender``. Defaults to income and spending score, the
        classic analysis; tables without those columns must name their
        features. ``"all"`` takes every numeric column except IDs (the
        recognised ID column, columns named like IDs whose values never
        repeat, and whole-number counters), constant columns, and every text
        column with at most :data:`MAX_AUTO_CATEGORIES` values as a category.
    missing : {"error", "drop"}
        What to do with customers that have a missing value in a feature or in
        the ID column: refuse (the default) or drop them, noting how many.
    strict : bool
        Turn data-quality warnings (values outside a column's stated range) into
        errors.
    categorical : sequence of str, optional
        Columns to one-hot encode (one indicator per category; two categories
        get one). Text columns with at most :data:`MAX_AUTO_CATEGORIES` values
        are encoded so without being named. Named columns are features.
    dates : sequence of str, optional
        Date columns to use as their age in days, counted back from the latest
        date in the column ("customer since" becomes tenure). Named columns are
        features.

    Returns
    -------
    FeatureMatrix

    Raises
    ------
    SegmentationError
        See the module docstring for the full list; every message names the
        column and, where it applies, the rows.
    """
    if missing not in ("error", "drop"):
        raise SegmentationError(f"missing must be 'error' or 'drop', not {missing!r}")
    if features is not None and isinstance(features, str):
        features = [features]
    categorical_requests = list(categorical or [])
    date_requests = list(dates or [])
    all_note = None
    if features is not None and [str(f).strip().lower() for f in features] == ["all"]:
        categorical_set = {_resolve_column(c, table)[0] for c in categorical_requests}
        date_set = {_resolve_column(c, table)[0] for c in date_requests}
        requests, all_note, codes = _all_requests(table, categorical_set, date_set)
        categorical_requests += codes
    elif features is not None:
        requests = list(features) + categorical_requests + date_requests
    elif categorical_requests or date_requests:
        classic = "income" in table.roles and "spending" in table.roles
        requests = (
            (list(DEFAULT_FEATURES) if classic else []) + categorical_requests + date_requests
        )
    else:
        requests = list(_default_requests(table))
    if not requests:
        raise SegmentationError("features: at least one feature is needed")

    categorical_columns = {_resolve_column(c, table)[0] for c in categorical_requests}
    date_columns = {_resolve_column(c, table)[0] for c in date_requests}
    both = categorical_columns & date_columns
    if both:
        raise SegmentationError(
            f"column(s) {', '.join(map(repr, sorted(both)))} cannot be both categorical and a date"
        )
    columns: list[tuple[str, str | None]] = []
    for request in requests:
        resolved = _resolve_column(request, table)
        if resolved not in columns:
            columns.append(resolved)
    kinds = {
        column: _kind_of(table, column, role, categorical_columns, date_columns)
        for column, role in columns
    }

    # Convert first, so that non-numeric values are reported before missing ones.
    converted: dict[str, pd.Series] = {}
    for column, role in columns:
        if kinds[column] == "category":
            converted[column] = _category_values(table, column, role)
        elif kinds[column] == "date":
            converted[column] = _date_column(table, column)
        else:
            converted[column] = _numeric_column(table, column)

    checked = dict(converted)
    if table.id_column is not None:
        checked[table.id_column] = table.frame[table.id_column]
    missing_mask = pd.DataFrame(checked).isna()
    rows_missing = missing_mask.any(axis=1).to_numpy()
    if rows_missing.any():
        per_column = ", ".join(
            f"{column!r} ({int(count)})" for column, count in missing_mask.sum().items() if count
        )
        where = format_rows(rows_missing.nonzero()[0])
        if missing == "error":
            raise SegmentationError(
                f"{int(rows_missing.sum())} customer(s) have missing values in {per_column} at "
                f"{where}; fix them, or drop those customers with missing='drop' (--drop-missing)"
            )
        note = (
            f"Dropped {int(rows_missing.sum())} of {table.n_customers} customers with missing "
            f"values in {per_column} ({where})."
        )
        table = table.with_rows(~rows_missing, note)
        converted = {c: s[~rows_missing].reset_index(drop=True) for c, s in converted.items()}
        if table.n_customers < 2:
            raise SegmentationError(
                f"only {table.n_customers} customer(s) are left after dropping missing values; "
                "segmenting needs at least 2"
            )

    for column, _role in columns:
        if kinds[column] == "numeric":
            not_finite = (~np.isfinite(converted[column].to_numpy())).nonzero()[0]
            if len(not_finite):
                raise SegmentationError(
                    f"column {column!r} has infinite values at {format_rows(not_finite)}"
                )
    table = _check_ranges(table, strict)
    if all_note is not None:
        table = table.with_note(all_note)

    chosen: list[Feature] = []
    encoded: dict[str, np.ndarray] = {}
    for column, role in columns:
        values = converted[column]
        if kinds[column] == "category":
            categories = tuple(sorted({str(v) for v in values.unique()}))
            feature = Feature(column, role, categories)
            for category, name in zip(feature.indicator_categories, feature.encoded_columns):
                encoded[name] = (values == category).to_numpy(dtype="float64")
        elif kinds[column] == "date":
            reference = values.max()
            feature = Feature(column, role, reference_date=reference.isoformat())
            encoded[feature.encoded_columns[0]] = _age_in_days(values, reference)
        else:
            feature = Feature(column, role)
            encoded[feature.encoded_columns[0]] = values.to_numpy()
        for name in feature.encoded_columns:
            if np.all(encoded[name] == encoded[name][0]):
                raise SegmentationError(
                    f"feature {column!r} has the same value for every customer, so it cannot "
                    "separate segments; leave it out of the features"
                )
        chosen.append(feature)
    return FeatureMatrix(table, chosen, pd.DataFrame(encoded))


def encode_for_model(frame: pd.DataFrame, features: Sequence[Feature]) -> pd.DataFrame:
    """Encode new customers with the features (and categories) a model was fitted on.

    Parameters
    ----------
    frame : pandas.DataFrame
        New customers; must have every feature's column.
    features : sequence of Feature
        The model's features.

    Returns
    -------
    pandas.DataFrame
        One float64 column per encoded feature column.

    Raises
    ------
    SegmentationError
        When a column is missing, or a value is non-numeric, missing, infinite
        or (for gender) a category the model has never seen.
    """
    table = CustomerTable(frame.reset_index(drop=True), {}, "new customers")
    present = ", ".join(map(str, frame.columns))
    encoded: dict[str, np.ndarray] = {}
    for feature in features:
        if feature.column not in frame.columns:
            raise SegmentationError(
                f"the model needs column {feature.column!r}, which the new customer table "
                f"lacks; columns present: {present}"
            )
        if feature.is_categorical:
            values = _category_values(table, feature.column, feature.role)
        elif feature.is_date:
            values = _date_column(table, feature.column)
        else:
            values = _numeric_column(table, feature.column)
        absent = values.isna().to_numpy().nonzero()[0]
        if len(absent):
            raise SegmentationError(
                f"column {feature.column!r} has {len(absent)} missing value(s) at "
                f"{format_rows(absent)}; every new customer needs every feature"
            )
        if feature.is_categorical:
            unknown = sorted({str(v) for v in values.unique()} - set(feature.categories))
            if unknown:
                raise SegmentationError(
                    f"column {feature.column!r} has categories the model has never seen: "
                    f"{', '.join(unknown)}"
                )
            for category, name in zip(feature.indicator_categories, feature.encoded_columns):
                encoded[name] = (values == category).to_numpy(dtype="float64")
        elif feature.is_date:
            reference = pd.Timestamp(feature.reference_date)
            encoded[feature.encoded_columns[0]] = _age_in_days(values, reference)
        else:
            not_finite = (~np.isfinite(values.to_numpy())).nonzero()[0]
            if len(not_finite):
                raise SegmentationError(
                    f"column {feature.column!r} has infinite values at {format_rows(not_finite)}"
                )
            encoded[feature.encoded_columns[0]] = values.to_numpy()
    return pd.DataFrame(encoded)


@dataclass(frozen=True)
class Scaler:
    """A per-column rescaling, ``scaled = (transform(value) - center) / scale``.

    ``transform`` is the identity or ``log1p`` (see ``transforms``); the rest is
    affine, so a model file needs no code to undo it: ``standard`` uses the
    mean and the (population) standard deviation, ``minmax`` the minimum and
    the range, ``none`` zero and one. :func:`segmentation.scaling.fit_scaling`
    makes per-column choices (``auto``, ``robust``, ``log``, categories).

    Attributes
    ----------
    method : str
        What was asked for: ``standard``, ``minmax``, ``none`` (from
        :meth:`fit`), or ``auto``, ``robust``, ``log`` (from ``fit_scaling``).
    center, scale : numpy.ndarray
        One value per feature column.
    transforms : tuple of str, optional
        Per column, ``"log1p"`` or ``"identity"``, applied before the affine
        step; empty means identity everywhere.
    column_methods : tuple of str, optional
        Per column, what was done, for the report: ``standard``, ``robust``,
        ``log``, ``minmax``, ``none`` or ``category``; empty means ``method``
        everywhere.
    """

    method: str
    center: np.ndarray
    scale: np.ndarray
    transforms: tuple[str, ...] = ()
    column_methods: tuple[str, ...] = ()

    @classmethod
    def fit(cls, values: pd.DataFrame | np.ndarray, method: str = "standard") -> Scaler:
        """Learn the rescaling of ``values`` (customers x feature columns).

        Raises
        ------
        SegmentationError
            For an unknown ``method``.
        """
        array = np.asarray(values, dtype=np.float64)
        if method == "standard":
            center, scale = array.mean(axis=0), array.std(axis=0)
        elif method == "minmax":
            center, scale = array.min(axis=0), np.ptp(array, axis=0)
        elif method == "none":
            center, scale = np.zeros(array.shape[1]), np.ones(array.shape[1])
        else:
            raise SegmentationError(
                f"scale must be one of {', '.join(SCALE_METHODS)}, not {method!r}"
            )
        # build_features refuses constant columns; this guard only keeps a
        # hand-made matrix from dividing by zero.
        scale = np.where(scale > 0, scale, 1.0)
        return cls(method, center, scale)

    @property
    def log_columns(self) -> np.ndarray:
        """Boolean mask of the columns that are log1p-transformed."""
        return np.array([t == "log1p" for t in self.transforms], dtype=bool)

    def pre_transform(self, values: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Apply the per-column log1p (no centring or scaling), as float64."""
        array = np.array(values, dtype=np.float64)  # a copy: never modify the caller's data
        if self.transforms:
            logged = self.log_columns
            if logged.any():
                negative = array[:, logged] < 0
                if negative.any():
                    raise SegmentationError(
                        f"{int(negative.sum())} value(s) are negative in column(s) that the "
                        "segments log-transform (log1p needs values >= 0)"
                    )
                array[:, logged] = np.log1p(array[:, logged])
        return array

    def transform(self, values: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Original units to scaled units, as a C-ordered float64 array."""
        array = self.pre_transform(values)
        return np.ascontiguousarray((array - self.center) / self.scale)

    def inverse_transform(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled units back to original units."""
        array = np.asarray(scaled, dtype=np.float64) * self.scale + self.center
        if self.transforms and self.log_columns.any():
            array[:, self.log_columns] = np.expm1(array[:, self.log_columns])
        return array

    def to_dict(self) -> dict:
        """A JSON-ready description."""
        description = {
            "method": self.method,
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
        }
        if self.transforms:
            description["transforms"] = list(self.transforms)
        if self.column_methods:
            description["column_methods"] = list(self.column_methods)
        return description

    @classmethod
    def from_dict(cls, description: dict) -> Scaler:
        """Rebuild a scaler from :meth:`to_dict` output."""
        return cls(
            description["method"],
            np.asarray(description["center"], dtype=np.float64),
            np.asarray(description["scale"], dtype=np.float64),
            tuple(description.get("transforms", ())),
            tuple(description.get("column_methods", ())),
        )
