"""A minimal progress display for the command line: one line per stage, with its duration."""

from __future__ import annotations

import contextlib
import sys
import time


class StageProgress:
    """Prints "name ... done in 1.2 s" for each stage, to stderr, when enabled.

    :func:`segmentation.segment_customers` calls :meth:`step` around each
    stage; the analysis itself prints nothing.
    """

    def __init__(self, enabled: bool, stream=None):
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr

    @contextlib.contextmanager
    def step(self, message: str):
        """Announce a stage, run it, then report how long it took."""
        if not self.enabled:
            yield
            return
        self.stream.write(f"  {message} ...")
        self.stream.flush()
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            self.stream.write(" failed\n")
            self.stream.flush()
            raise
        self.stream.write(f" done in {time.perf_counter() - started:.1f} s\n")
        self.stream.flush()
