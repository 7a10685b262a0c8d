"""``python -m belarus_timeline``: the same command line as ``belarus-timeline``."""

import sys

from belarus_timeline.cli import main

sys.exit(main())
