"""Where the project lives: the one place its public locations are written down.

Everything else is derived from these two addresses or checked against them by a test
(``tests/test_citation.py``): ``pyproject.toml``'s ``[project.urls]``, ``CITATION.cff``,
``.zenodo.json``, ``datapackage.json``'s ``homepage``, the README, the downloader's default
location and the address the command line gives for bug reports.

These are the chosen locations of the project (a GitHub repository and its GitHub Pages site,
which the release workflow ``.github/workflows/release.yml`` publishes to), not a deployment
the toolkit has verified: users override the download location by argument, environment or
configuration file (see :mod:`belarus_timeline.downloader`).
"""

from __future__ import annotations

#: The source repository.
REPOSITORY = "https://github.com/belarus-timeline/belarus-timeline"

#: The published static tree: ``index.json``, ``<version>/…``, ``latest/…`` and the zips.
SITE = "https://belarus-timeline.github.io/belarus-timeline/"

#: Where bugs are reported.
ISSUES = f"{REPOSITORY}/issues"

#: Where each version's changes are described.
CHANGELOG = f"{REPOSITORY}/blob/main/CHANGELOG.md"

#: The default location the downloader fetches releases from (no trailing slash).
DEFAULT_BASE_URL = SITE.rstrip("/")


def release_url(version: str, path: str = "", base_url: str = DEFAULT_BASE_URL) -> str:
    """The URL of a file of a published release (``path`` relative to the release folder)."""
    return f"{base_url.rstrip('/')}/{version}/{path}"
