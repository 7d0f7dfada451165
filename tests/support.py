"""Helpers for tests that need something outside the repository (../shared, Chromium).

A fresh clone alone must pass `make test`, so such tests skip with a visible reason when the thing
is missing. CI sets STRATA_REQUIRE_ALL=1, which turns every such skip into a failure.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("STRATA_SHARED_DIR", ROOT.parent / "shared"))
CHROMIUM = Path(os.environ.get("STRATA_CHROMIUM", "/usr/bin/chromium"))


def require(condition: bool, reason: str) -> None:
    """Skip (or, under STRATA_REQUIRE_ALL=1, fail) the calling test unless `condition` holds."""
    if condition:
        return
    if os.environ.get("STRATA_REQUIRE_ALL") == "1":
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path inside ../shared/, or a skip naming what is missing."""
    path = SHARED.joinpath(*parts)
    require(path.exists(), f"{path} is not here (../shared/ sits beside the project in CI)")
    return path
