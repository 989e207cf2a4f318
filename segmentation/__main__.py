"""``python -m segmentation``: the same as the ``kmeans-segment`` command."""

import sys

from segmentation.cli import main

if __name__ == "__main__":
    sys.exit(main())
