"""Pull requests (state filter, one, activity) and pipelines, seeded and made through the control API."""
from __future__ import annotations

import json

from tests.sandbox.helpers import get
from tests.sandbox.openapi import validate, validate_page
from tests.support import shared_path

PRS = "/repositories/{workspace}/{repo_slug}/pullrequests"
ONE_PR = "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}"
PIPELINES = "/repositories/{workspace}/{repo_slug}/pipelines"


def test_pull_requests_default_to_open(sandbox):
    answer = get(sandbox, "/2.0/repositories/acme/api/pullrequests").json()
    validate(answer, PRS)
    assert [(p["id"], p["state"]) for p in answer["values"]] == [(1, "OPEN")]
    real = json.loads(shared_path("bitbucket", "rest", "repository-pullrequests_pagelen_50.json").read_text())
    assert set(real["values"][0]) - {"rendered", "queued"} <= set(answer["values"][0])


def test_state_filter_repeats(sandbox):
    answer = get(sandbox, "/2.0/repositories/acme/api/pullrequests?state=OPEN&state=DECLINED").json()
    assert [(p["id"], p["state"]) for p in answer["values"]] == [(2, "DECLINED"), (1, "OPEN")]
    assert get(sandbox, "/2.0/repositories/acme/api/pullrequests?state=LOST").status_code == 400


def test_one_pull_request(sandbox):
    pr = get(sandbox, "/2.0/repositories/acme/api/pullrequests/1").json()
    validate(pr, ONE_PR)
    login = get(sandbox, "/2.0/repositories/acme/api/refs/branches/feature/login").json()["target"]["hash"]
    assert pr["source"]["branch"]["name"] == "feature/login"
    assert pr["source"]["commit"]["hash"] == login[:12]
    assert pr["destination"]["branch"]["name"] == "main"
    assert pr["author"]["nickname"] == "bob" and [r["nickname"] for r in pr["reviewers"]] == ["alice"]
    assert pr["merge_commit"] is None and pr["closed_by"] is None
    assert get(sandbox, "/2.0/repositories/acme/api/pullrequests/99").status_code == 404


def test_lifecycle_through_the_control_api_shows_in_activity(sandbox_clean):
    base = "/_sandbox/repositories/acme/api/pullrequests"
    sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits", json={
        "branch": "feature/x", "files": {"x.py": "X = 1\n"}, "author": "bob"})
    created = sandbox_clean.control("POST", base, json={
        "title": "Add x", "source": "feature/x", "destination": "main", "author": "bob"})
    assert created.status_code == 201
    number = created.json()["id"]
    assert sandbox_clean.control("POST", f"{base}/{number}/approve", json={"user": "alice"}).status_code == 200
    merged = sandbox_clean.control("POST", f"{base}/{number}/merge", json={"user": "alice"}).json()
    assert merged["state"] == "MERGED" and merged["closed_by"]["nickname"] == "alice"
    main = get(sandbox_clean, "/2.0/repositories/acme/api/refs/branches/main").json()["target"]
    assert merged["merge_commit"]["hash"] == main["hash"][:12] and len(main["parents"]) == 2
    assert get(sandbox_clean, "/2.0/repositories/acme/api/src/main/x.py").text == "X = 1\n"
    assert sandbox_clean.control("POST", f"{base}/{number}/decline").status_code == 400
    activity = get(sandbox_clean, f"/2.0/repositories/acme/api/pullrequests/{number}/activity").json()
    validate_page(activity)
    kinds = [("approval" if "approval" in a else a["update"]["state"]) for a in activity["values"]]
    assert kinds == ["MERGED", "approval", "OPEN"]
    assert activity["values"][1]["approval"]["user"]["nickname"] == "alice"
    pr = get(sandbox_clean, f"/2.0/repositories/acme/api/pullrequests/{number}").json()
    assert pr["participants"][0]["approved"] is True


def test_pipelines_sorted_newest_first(sandbox_clean):
    made = sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/pipelines", json={
        "state": "IN_PROGRESS", "duration_s": 12, "branch": "main"})
    assert made.status_code == 201
    answer = get(sandbox_clean, "/2.0/repositories/acme/api/pipelines/?sort=-created_on").json()
    validate(answer, PIPELINES)
    states = [(p["build_number"], p["state"]["name"], (p["state"].get("result") or {}).get("name"))
              for p in answer["values"]]
    assert states == [(3, "IN_PROGRESS", None), (2, "COMPLETED", "FAILED"), (1, "COMPLETED", "SUCCESSFUL")]
    finished = answer["values"][2]
    assert finished["target"]["ref_name"] == "main" and finished["build_seconds_used"] == 95
    assert finished["completed_on"] > finished["created_on"]
    oldest_first = get(sandbox_clean, "/2.0/repositories/acme/api/pipelines").json()
    assert [p["build_number"] for p in oldest_first["values"]] == [1, 2, 3]
    assert sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/pipelines",
                                 json={"state": "MAYBE"}).status_code == 400
