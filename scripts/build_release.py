"""Validate data/ and build the versioned release into dist/ (``make release``).

A thin entry point: the work is ``belarus_timeline.release.build_release``; arguments are the
``belarus-timeline build`` command's (e.g. ``--dist DIR``, ``--no-exports``)."""

import sys

from belarus_timeline.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
