"""Validate the repository's data package (``make validate``).

A thin entry point: the work is ``belarus_timeline.validate.validate_package``; arguments are
the ``belarus-timeline validate`` command's (default: the repository)."""

import sys

from belarus_timeline.cli import main

if __name__ == "__main__":
    sys.exit(main(["validate", *(sys.argv[1:] or ["."])]))
