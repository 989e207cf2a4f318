"""Knee (elbow) detection with the Kneedle algorithm.

Satopää, Albrecht, Irwin & Raghavan, "Finding a 'Kneedle' in a Haystack:
Detecting Knee Points in System Behavior", ICDCS Workshops 2011. The knee of a
curve is the point of maximum curvature; Kneedle finds it without derivatives:

1. **Normalise** x and y to [0, 1] (min-max), so the answer does not depend on
   the units of either axis.
2. **Bring the curve to one canonical shape**, concave and increasing (rising
   steeply, then flattening): a decreasing curve has y mirrored
   (``y -> 1 - y``) or x mirrored (``x -> 1 - x``, points taken in reverse
   order), whichever makes it increasing and concave. A WCSS-versus-k curve
   is convex and decreasing; mirroring y turns its elbow into a knee.
3. **Difference curve** ``D = y - x``: how far the normalised curve rises
   above the straight line from (0, 0) to (1, 1). Knees are local maxima of D.
4. **Threshold**: each local maximum ``D_m`` gets the threshold
   ``T_m = D_m - S * mean(diff(x))`` -- with evenly spaced x, S steps of x
   below the peak. If D drops below ``T_m`` before the next local maximum, the
   local maximum is a knee. The sensitivity S trades early detection (small
   S) against conservative detection (large S, which needs a clear drop);
   the paper suggests S = 1 offline.

Offline mode returns the first knee found; online mode keeps scanning the
whole curve and returns the last knee found (a later, more pronounced knee
replaces an earlier one, as new points would in the paper's streaming mode).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["find_knee"]

_CURVES = ("convex", "concave")
_DIRECTIONS = ("increasing", "decreasing")


def _check_curve_args(S, curve, direction, online):
    if curve not in _CURVES:
        raise ValueError(f"curve must be one of {list(_CURVES)}, got {curve!r}.")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {list(_DIRECTIONS)}, got {direction!r}.")
    if isinstance(S, bool) or not isinstance(S, numbers.Real) or not np.isfinite(S) or S < 0:
        raise ValueError(f"S (sensitivity) must be a finite number >= 0, got {S!r}.")
    if not isinstance(online, (bool, np.bool_)):
        raise ValueError(f"online must be True or False, got {online!r}.")


def _check_xy(x, y):
    try:
        x_values = np.asarray(x, dtype=np.float64)
        y_values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"x and y must be 1-D arrays of numbers: {exc}") from exc
    if x_values.ndim != 1 or y_values.ndim != 1:
        raise ValueError(f"x and y must be 1-D, got shapes {x_values.shape} and {y_values.shape}.")
    if x_values.shape != y_values.shape:
        raise ValueError(
            f"x and y must be the same length, got {x_values.shape[0]} and {y_values.shape[0]}."
        )
    if not (np.isfinite(x_values).all() and np.isfinite(y_values).all()):
        raise ValueError("x and y must be finite (no NaN or infinity).")
    if x_values.size > 1 and not (np.diff(x_values) > 0).all():
        raise ValueError("x must be strictly increasing.")
    return x_values, y_values


def kneedle(x, y, *, S=1.0, curve="convex", direction="decreasing", online=False):
    """Kneedle with its intermediate curves (validated input).

    Returns
    -------
    knee_index : int or None
        Index into ``x`` of the knee, None when there is none.
    x_difference, y_difference : ndarray
        The difference curve: canonical normalised x and ``D``, in the order
        the algorithm scans them (reversed for x-mirrored shapes).
    order : ndarray of int
        Index into ``x`` of each point of the difference curve.
    """
    x_values, y_values = _check_xy(x, y)
    _check_curve_args(S, curve, direction, online)
    n_points = x_values.size
    order = np.arange(n_points)
    # Fewer than 3 points have no interior point to bend at; a flat curve has
    # no bend at all (and cannot be normalised).
    if n_points < 3 or y_values.max() == y_values.min():
        return None, np.zeros(n_points), np.zeros(n_points), order

    # Step 1: min-max normalisation.
    x_norm = (x_values - x_values.min()) / (x_values.max() - x_values.min())
    y_norm = (y_values - y_values.min()) / (y_values.max() - y_values.min())

    # Step 2: canonical concave-increasing shape.
    # convex + decreasing (elbow of a falling curve): mirror y.
    # concave + increasing: already canonical.
    # concave + decreasing: mirror x (and scan from the right).
    # convex + increasing: mirror both.
    mirror_x = (curve == "concave") == (direction == "decreasing")
    mirror_y = curve == "convex"
    if mirror_y:
        y_norm = 1.0 - y_norm
    if mirror_x:
        order = order[::-1]
        x_norm = 1.0 - x_norm[order]
        y_norm = y_norm[order]

    # Step 3: difference curve.
    difference = y_norm - x_norm

    # Step 4: local maxima (at least as high as each neighbour; an end point
    # has one neighbour), each with its threshold.
    higher_than_left = np.r_[True, difference[1:] >= difference[:-1]]
    higher_than_right = np.r_[difference[:-1] >= difference[1:], True]
    maxima = np.flatnonzero(higher_than_left & higher_than_right)
    step = np.mean(np.diff(x_norm))

    knee = None
    for number, peak in enumerate(maxima):
        threshold = difference[peak] - S * step
        next_peak = maxima[number + 1] if number + 1 < maxima.size else n_points
        if (difference[peak + 1 : next_peak] < threshold).any():
            knee = int(order[peak])
            if not online:
                break
    return knee, x_norm, difference, order


def find_knee(x, y, *, S=1.0, curve="convex", direction="decreasing", online=False):
    """Knee (or elbow) of a curve by the Kneedle algorithm (Satopää et al., 2011).

    The curve is normalised to the unit square, brought to a concave
    increasing shape, and compared with the diagonal: the knee is a local
    maximum of ``D = y_norm - x_norm`` after which D falls by more than ``S``
    average x-steps (see the module docstring for the steps). The defaults
    find the elbow of a falling convex curve such as WCSS against k.

    Parameters
    ----------
    x : array-like of shape (n_points,)
        Strictly increasing x values (e.g. k).
    y : array-like of shape (n_points,)
        Curve values (e.g. WCSS).
    S : float, default=1.0
        Sensitivity: how many average x-steps D must drop below a local
        maximum to confirm it as a knee. Larger S is more conservative and may
        find no knee at all; S = 0 accepts any local maximum followed by a fall.
    curve : {"convex", "concave"}, default="convex"
        Shape of the curve: convex bends upward (``1/x``, WCSS), concave bends
        downward (``log x``).
    direction : {"decreasing", "increasing"}, default="decreasing"
        Whether y falls or rises with x.
    online : bool, default=False
        False: return the first knee found scanning x upward (the paper's
        offline use, and the ``kneed`` package's default). True: keep
        scanning and return the last knee found.

    Returns
    -------
    knee : x's element type or None
        The x value of the knee. None when there is no knee: fewer than 3
        points, a constant y, or no local maximum of D followed by a large
        enough drop (try a smaller ``S``, or check ``curve``/``direction``).

    Raises
    ------
    ValueError
        When x and y are not 1-D finite arrays of the same length, x is not
        strictly increasing, S is negative or not finite, or curve/direction
        are unknown.

    Examples
    --------
    >>> from kmeans_core import find_knee
    >>> k = [1, 2, 3, 4, 5, 6, 7, 8]
    >>> wcss = [100, 40, 15, 12, 10, 9, 8, 7]
    >>> find_knee(k, wcss)
    3
    """
    knee, _, _, _ = kneedle(x, y, S=S, curve=curve, direction=direction, online=online)
    if knee is None:
        return None
    value = np.asarray(x)[knee]
    return value.item() if isinstance(value, np.generic) else value
