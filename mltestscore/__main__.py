"""``python -m mltestscore``: the same command line as ``mltestscore``."""

from __future__ import annotations

import sys

from mltestscore.cli import main

if __name__ == "__main__":
    sys.exit(main())
