"""The two ways the segmentation layer tells a user that their input is not right."""

from __future__ import annotations


class SegmentationError(ValueError):
    """Input that cannot be segmented as given.

    The message names the column or parameter at fault and says why, so the
    command line can print it as a single line. It subclasses :class:`ValueError`
    so callers that already catch ``ValueError`` keep working.
    """


class DataQualityWarning(UserWarning):
    """Suspicious but usable input, such as a spending score outside 1-100.

    Pass ``strict=True`` (``--strict`` on the command line) to turn these into
    :class:`SegmentationError`.
    """
