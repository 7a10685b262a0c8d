"""Semantic versions (SemVer 2.0.0): the one parser and ordering every part of the toolkit uses.

Parsing and precedence are the ``semver`` library's (python-semver), which implements SemVer
2.0.0 exactly, pre-releases included: ``1.1.0-rc.1 < 1.1.0``, ``1.0.0-alpha < 1.0.0-alpha.1``,
and build metadata (``+build.5``) is ignored for precedence. ``packaging.version`` was not used:
it implements PEP 440, which reads ``1.0.0-alpha.beta`` differently or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

import semver as _semver

Version = _semver.Version

BUMPS = ("none", "patch", "minor", "major")


def parse(version: str) -> Version:
    """The version as a comparable object; ``ValueError`` naming the value if it is not SemVer."""
    if not isinstance(version, str) or version != version.strip():
        raise ValueError(f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    try:
        return Version.parse(version)
    except (ValueError, TypeError):
        raise ValueError(f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH)") from None


def is_semver(version: object) -> bool:
    """Whether ``version`` is a SemVer 2.0.0 string."""
    try:
        parse(version)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def sort_key(version: str) -> Version:
    """Key for sorting version strings by SemVer precedence."""
    return parse(version)


def newest(versions: Iterable[str]) -> str | None:
    """The newest version by precedence, preferring releases to pre-releases (what "latest"
    means: 1.1.0-rc.1 is not the latest while 1.0.0 is published)."""
    ordered = sorted(versions, key=sort_key)
    stable = [v for v in ordered if not parse(v).prerelease]
    pool = stable or ordered
    return pool[-1] if pool else None


def bump_rank(bump: str) -> int:
    """Order of bumps: none < patch < minor < major."""
    return BUMPS.index(bump)


def bump_between(old: str, new: str) -> str:
    """The bump from ``old`` to ``new``: none, patch, minor or major (ValueError if backwards).

    A pre-release of the next version counts as that version's bump (1.0.0 → 1.1.0-rc.1 is
    MINOR); going from a pre-release to its release (1.1.0-rc.1 → 1.1.0) is none."""
    a, b = parse(old), parse(new)
    if b < a:
        raise ValueError(f"version {new} is older than {old}")
    if b.major > a.major:
        return "major"
    if b.minor > a.minor:
        return "minor"
    if b.patch > a.patch:
        return "patch"
    return "none"
