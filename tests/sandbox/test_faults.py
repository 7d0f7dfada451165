"""Injected faults (429/500/503, delays, `times`), the switchable rate limit, and the request log."""
from __future__ import annotations

import time

import pytest
import requests

from tests.sandbox.helpers import get


@pytest.mark.parametrize("status, message", [(429, "Rate limit for this resource has been exceeded"),
                                             (500, "Internal Server Error"),
                                             (503, "Service Unavailable")])
def test_status_faults_hit_matching_requests_once_by_default(sandbox_clean, status, message):
    made = sandbox_clean.control("POST", "/_sandbox/faults",
                                 json={"path": r"^/2\.0/repositories/acme\?", "status": status})
    assert made.status_code == 201
    assert get(sandbox_clean, "/2.0/repositories/globex").status_code == 200      # does not match
    hit = get(sandbox_clean, "/2.0/repositories/acme?pagelen=5")
    assert hit.status_code == status
    assert hit.json() == {"type": "error", "error": {"message": message}}
    assert get(sandbox_clean, "/2.0/repositories/acme?pagelen=5").status_code == 200


def test_times_is_honoured_and_faults_can_be_cleared(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/faults", json={"path": "/2.0/user$", "status": 503, "times": 2})
    assert [get(sandbox_clean, "/2.0/user").status_code for _ in range(3)] == [503, 503, 200]
    sandbox_clean.control("POST", "/_sandbox/faults", json={"path": "/2.0/user$", "status": 500, "times": None})
    assert [get(sandbox_clean, "/2.0/user").status_code for _ in range(3)] == [500, 500, 500]
    assert len(sandbox_clean.control("GET", "/_sandbox/faults").json()["faults"]) == 1
    assert sandbox_clean.control("DELETE", "/_sandbox/faults").status_code == 204
    assert get(sandbox_clean, "/2.0/user").status_code == 200


def test_faults_apply_to_the_web_host_too(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/faults", json={"path": "/site/oauth2/access_token", "status": 500})
    answer = requests.post(sandbox_clean.url + "/site/oauth2/access_token", timeout=10,
                           data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert answer.status_code == 500


def test_a_delay_makes_the_client_time_out_then_the_next_call_works(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/faults", json={"path": "/2.0/user$", "delay_s": 1.0})
    with pytest.raises(requests.exceptions.ReadTimeout):
        get(sandbox_clean, "/2.0/user", timeout=0.3)
    assert get(sandbox_clean, "/2.0/user", timeout=5).status_code == 200


def test_bad_faults_are_refused(sandbox_clean):
    assert sandbox_clean.control("POST", "/_sandbox/faults", json={"path": "(", "status": 500}).status_code == 400
    assert sandbox_clean.control("POST", "/_sandbox/faults", json={"path": "x", "status": 404}).status_code == 400
    assert sandbox_clean.control("POST", "/_sandbox/faults", json={"path": "x"}).status_code == 400


def test_rate_limit_switch(sandbox_clean):
    assert sandbox_clean.control("POST", "/_sandbox/ratelimit", json={"limit": 3, "window_s": 600}).status_code == 200
    statuses = [get(sandbox_clean, "/2.0/user").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = get(sandbox_clean, "/2.0/user")
    assert limited.json()["error"]["message"] == "Rate limit for this resource has been exceeded"
    sandbox_clean.control("POST", "/_sandbox/ratelimit", json={"limit": None})
    assert get(sandbox_clean, "/2.0/user").status_code == 200


def test_rate_limit_window_rolls(sandbox_clean):
    sandbox_clean.control("POST", "/_sandbox/ratelimit", json={"limit": 1, "window_s": 0.2})
    assert get(sandbox_clean, "/2.0/user").status_code == 200
    assert get(sandbox_clean, "/2.0/user").status_code == 429
    # Bounded polling: the window is 0.2 s, so the limit lifts well within the deadline.
    deadline = time.monotonic() + 5
    while get(sandbox_clean, "/2.0/user").status_code == 429:
        assert time.monotonic() < deadline, "the rate-limit window never rolled"
        time.sleep(0.05)


def test_request_log_sees_api_and_web_requests_but_not_control(sandbox_clean):
    sandbox_clean.control("DELETE", "/_sandbox/requests")
    get(sandbox_clean, "/2.0/user")
    get(sandbox_clean, "/2.0/repositories/acme/nothing")
    requests.get(sandbox_clean.url + "/site/oauth2/authorize?client_id=strata-test&response_type=code"
                 "&redirect_uri=http://127.0.0.1:9/cb", timeout=10)
    seen = sandbox_clean.requests_seen()
    assert [(r["method"], r["path"], r["status"]) for r in seen] == [
        ("GET", "/2.0/user", 200), ("GET", "/2.0/repositories/acme/nothing", 404),
        ("GET", "/site/oauth2/authorize?client_id=strata-test&response_type=code"
                "&redirect_uri=http://127.0.0.1:9/cb", 200)]
    assert sandbox_clean.requests_seen(since=seen[1]["seq"])[0]["path"].startswith("/site/")
