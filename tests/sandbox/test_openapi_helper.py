"""The schema helper itself: the real captures pass, and a real mismatch fails."""
from __future__ import annotations

import json

import pytest

from tests.sandbox.openapi import validate, validate_named
from tests.support import shared_path


def capture(name: str) -> dict:
    return json.loads(shared_path("bitbucket", "rest", name).read_text())


@pytest.mark.parametrize("name, path", [
    ("repository.json", "/repositories/{workspace}/{repo_slug}"),
    ("repository-refs-branches_pagelen_100.json", "/repositories/{workspace}/{repo_slug}/refs/branches"),
    ("repository-pullrequests_pagelen_50.json", "/repositories/{workspace}/{repo_slug}/pullrequests"),
    ("repository-hooks_pagelen_100.json", "/repositories/{workspace}/{repo_slug}/hooks"),
    ("repository-diffstat-feature_2Fdiffstat..174561d.json", "/repositories/{workspace}/{repo_slug}/diffstat/{spec}"),
])
def test_real_captures_match_the_relaxed_spec(name, path):
    validate(capture(name), path)


def test_real_file_meta_matches_commit_file():
    validate_named(capture("repository-src-fb522a6f08c7c7df337312e4e65ec1b57710672e-script.bat_format_meta.json"),
                   "commit_file")


def test_a_wrong_type_is_still_a_fault():
    broken = capture("repository.json")
    broken["is_private"] = "no"
    with pytest.raises(AssertionError, match="is_private"):
        validate(broken, "/repositories/{workspace}/{repo_slug}")
