"""Input checks at the door: everything the kernels assume is established here.

Each function either returns clean arrays (C-contiguous, float32 or float64,
finite, of the right shape) or raises a ``ValueError``/``TypeError`` whose
message names the argument and the problem. Nothing the caller passed is
modified: arrays that need changing are copied.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np

FLOAT_DTYPES = (np.float64, np.float32)


class InputTypeError(ValueError, TypeError):
    """Input of the wrong kind (sparse, non-numeric objects).

    Both a ``ValueError`` (the project's rule: bad input is a ValueError) and
    a ``TypeError`` (what NumPy and scikit-learn raise for the same input), so
    either ``except`` clause catches it.
    """


def _is_sparse(X) -> bool:
    return hasattr(X, "toarray") and hasattr(X, "nnz") and hasattr(X, "format")


def feature_names_of(X):
    """Column names of a DataFrame-like ``X`` as an object array, or None.

    Names are only kept when every column name is a string (scikit-learn's rule).
    """
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    names = np.asarray(list(columns), dtype=object)
    if len(names) == 0:
        return None
    are_strings = [isinstance(name, str) for name in names]
    if all(are_strings):
        return names
    if any(are_strings):
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            f"but your input has {sorted({type(n).__name__ for n in names})} as feature name "
            "types. Convert all column names to str, e.g. X.columns = X.columns.astype(str)."
        )
    return None


def check_array(X, *, name="X", dtype=None, copy=False, check_finite=True, estimator="KMeans"):
    """Validate a 2-D sample matrix and return it as a C-contiguous float array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    name : str
        How the argument is called in error messages.
    dtype : numpy dtype or None
        Target dtype. None keeps float32/float64 and turns anything else
        (integers, booleans) into float64.
    copy : bool
        Always return a new array when True.
    check_finite : bool
        Refuse NaN and infinity. A caller that passes False must check
        itself (:func:`check_all_finite`), as the fit does inside its
        centering pass.
    """
    if _is_sparse(X):
        raise InputTypeError(
            f"{estimator} does not support sparse input: {name} is a scipy.sparse "
            f"{X.format} matrix. Convert it with {name}.toarray() first."
        )
    if isinstance(X, (str, bytes)) or X is None:
        raise ValueError(f"{name} must be a 2-D array of numbers, got {type(X).__name__}.")
    try:
        array = np.asarray(X)
    except Exception as exc:  # ragged lists, objects numpy cannot stack
        raise ValueError(f"{name} could not be read as a numeric array: {exc}") from exc
    if array.dtype.kind in "OUSV":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputTypeError(
                f"{name} must contain numbers only; converting it to float failed: {exc}"
            ) from exc
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {array.dtype}.")
    if array.ndim != 2:
        if array.ndim == 1:
            raise ValueError(
                f"Expected a 2D array, got a 1D array instead: {name} has shape {array.shape}. "
                "Reshape your data either using array.reshape(-1, 1) if your data has a single "
                "feature or array.reshape(1, -1) if it contains a single sample."
            )
        raise ValueError(
            f"Expected a 2D array for {name}, got {array.ndim}D with shape {array.shape}."
        )
    n_samples, n_features = array.shape
    if n_samples < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={array.shape}) while a minimum of 1 is "
            f"required by {estimator}: {name} is empty."
        )
    if n_features < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is "
            f"required by {estimator}: {name} has no columns."
        )
    if dtype is None:
        dtype = array.dtype if array.dtype in FLOAT_DTYPES else np.float64
    result = (
        np.array(array, dtype=dtype, order="C", copy=True)
        if copy
        else np.ascontiguousarray(array, dtype=dtype)
    )
    if check_finite:
        check_all_finite(result, name=name, estimator=estimator)
    return result


def check_all_finite(X, *, name="X", estimator="KMeans"):
    """Raise a ValueError that counts and locates NaN/inf values in X, if there are any."""
    # A sum is finite only if every term is (NaN and inf propagate, +inf + -inf
    # is NaN), and it reads X once without isfinite's boolean temporary:
    # scikit-learn's _assert_all_finite takes the same shortcut. Only a finite
    # X whose sum overflows pays for the full test below (that overflow is
    # expected, not worth a warning).
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(X)
    if np.isfinite(total):
        return
    if not np.isfinite(X).all():
        n_nan = int(np.isnan(X).sum())
        n_inf = int(np.isinf(X).sum())
        rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise ValueError(
            f"Input {name} contains NaN or infinity ({n_nan} NaN, {n_inf} inf, in rows {shown}); "
            f"{estimator} needs finite values: drop or impute them first."
        )


# Weights whose largest value lies outside [2**-100, 2**100] are rescaled by a
# power of two (see check_sample_weight).
_WEIGHT_EXPONENT_LIMIT = 100


def check_sample_weight(sample_weight, n_samples, dtype, *, rescale=False):
    """Return sample weights as a 1-D array of ``dtype``: ones when None, validated otherwise.

    Weights must be real, finite and non-negative, with a positive sum; every
    message names ``sample_weight``.

    With ``rescale=True`` the weights come back with an exponent ``e``:
    ``weights * 2**e`` are the caller's weights. K-Means results depend on
    relative weights only, and multiplying by a power of two is exact, so
    weights far from 1 (1e308, or subnormal 1e-320, whose sums or reciprocals
    would overflow) are brought near 1 without changing a single bit of the
    centers or labels; the inertia is multiplied back by ``2**e``.
    """
    if sample_weight is None:
        ones = np.ones(n_samples, dtype=dtype)
        return (ones, 0) if rescale else ones
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        if isinstance(sample_weight, numbers.Complex) and not isinstance(
            sample_weight, numbers.Real
        ):
            raise ValueError(
                f"sample_weight must be real, got the complex value {sample_weight!r}."
            )
        weights = np.full(n_samples, sample_weight, dtype=np.float64)
    else:
        raw = np.asarray(sample_weight) if not hasattr(sample_weight, "dtype") else sample_weight
        kind = getattr(raw, "dtype", np.dtype(object)).kind
        if kind == "c":
            raise ValueError(
                f"sample_weight must be real numbers, got complex values (dtype {raw.dtype})."
            )
        if kind == "O" and any(isinstance(v, complex) for v in np.ravel(raw)):
            raise ValueError("sample_weight must be real numbers, got complex values.")
        try:
            weights = np.array(raw, dtype=np.float64, order="C", copy=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"sample_weight must be numeric: {exc}") from exc
        if weights.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D of shape ({n_samples},), got shape {weights.shape}."
            )
        if weights.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight has {weights.shape[0]} values but X has {n_samples} samples; "
                f"sample_weight.shape == ({weights.shape[0]},), expected ({n_samples},)."
            )
    if not np.isfinite(weights).all():
        rows = np.flatnonzero(~np.isfinite(weights))
        raise ValueError(
            f"sample_weight contains NaN or infinity ({len(rows)} values, first at index "
            f"{rows[0]})."
        )
    if (weights < 0).any():
        rows = np.flatnonzero(weights < 0)
        raise ValueError(
            f"Negative values in sample_weight are not allowed ({len(rows)} negative, first at "
            f"index {rows[0]})."
        )
    largest = weights.max()
    if not largest > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")
    exponent = 0
    if rescale and not (2.0**-_WEIGHT_EXPONENT_LIMIT <= largest <= 2.0**_WEIGHT_EXPONENT_LIMIT):
        exponent = int(np.frexp(largest)[1])
        weights = np.ldexp(weights, -exponent)
    elif not np.isfinite(weights.sum()):
        raise ValueError(
            "sample_weight sums to infinity: the weights are too large to add up in float64. "
            "Only relative weights matter: divide them by their largest value."
        )
    if np.dtype(dtype) != np.float64:
        if weights.max() > np.finfo(dtype).max:
            raise ValueError(
                f"sample_weight has values above the largest {np.dtype(dtype).name} "
                f"({weights.max():.3g}); divide the weights by their largest value."
            )
        weights = weights.astype(dtype)
    return (weights, exponent) if rescale else weights


def check_random_state(seed):
    """Turn ``seed`` into a ``np.random.RandomState``, as scikit-learn does.

    None gives NumPy's global RandomState (so ``np.random.seed`` applies), an
    int gives a new RandomState seeded with it, a RandomState is used as is.
    """
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if not 0 <= int(seed) <= 2**32 - 1:
            raise ValueError(f"random_state must be between 0 and 2**32 - 1, got {seed}.")
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(
        f"random_state must be None, an int or a numpy.random.RandomState, got {seed!r}. "
        "(A numpy.random.Generator draws a different sequence from scikit-learn's, so it "
        "is not accepted.)"
    )


# ``RandomState(seed)`` costs ~0.17 ms (measured on the 2-core machine): the
# MT19937 behind it first seeds itself from a SeedSequence, which the legacy
# seeding then overwrites. That is a third of a whole fit on a 200-row table.
# ``RandomState.seed(seed)`` reaches the very same state (the same legacy
# seeding, Gaussian cache cleared) in a few microseconds, so calls that use a
# RandomState only while they run borrow a spare one and reseed it.
_SPARE_RANDOM_STATES: list = []
_MAX_SPARE_RANDOM_STATES = 8


@contextlib.contextmanager
def borrowed_random_state(seed):
    """Context manager: :func:`check_random_state` for use inside the ``with`` block only.

    An int seed gives a spare ``RandomState`` reseeded with it, the same
    draws as ``RandomState(seed)``, returned to the spares on exit; other
    seeds are :func:`check_random_state`'s. Only for callers that hand the
    RandomState to no one who could keep it (a user's ``init`` callable
    gets :func:`check_random_state`'s own). Safe across threads: a spare is
    taken by one caller at a time (``list.pop``/``append`` are atomic).
    """
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        yield check_random_state(seed)
        return
    if not 0 <= int(seed) <= 2**32 - 1:
        check_random_state(seed)  # raises the ValueError that names the parameter
    try:
        state = _SPARE_RANDOM_STATES.pop()
    except IndexError:
        state = np.random.RandomState()
    state.seed(int(seed))
    try:
        yield state
    finally:
        if len(_SPARE_RANDOM_STATES) < _MAX_SPARE_RANDOM_STATES:
            _SPARE_RANDOM_STATES.append(state)
