"""Webhook delivery: real headers and HMAC signature, retries on 5xx and time-outs, payload shapes."""
from __future__ import annotations

import hmac
import json
import uuid

from sandbox.delivery import signature
from tests.fixtures.sandbox import start_sandbox
from tests.sandbox.helpers import Receiver, send
from tests.support import shared_path

SECRET = "Gkvl$k$wyNpQAF42-local"


def register(sandbox, url: str, events=("repo:push",), secret: str | None = SECRET,
             path: str = "/2.0/repositories/acme/api/hooks") -> dict:
    answer = send(sandbox, "POST", path, json={"url": url, "description": "test", "active": True,
                                               "events": list(events), "secret": secret})
    assert answer.status_code == 201, answer.text
    return answer.json()


def push(sandbox, branch: str = "main", **files: str) -> dict:
    answer = sandbox.control("POST", "/_sandbox/repositories/acme/api/commits", json={
        "branch": branch, "files": files or {"CHANGELOG.md": "changed\n"}, "message": "Change"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_signing_function_reproduces_the_real_signed_delivery():
    real = shared_path("bitbucket", "webhooks", "signed_payload.json").read_bytes()
    index = json.loads(shared_path("bitbucket", "webhooks", "index.json").read_text())["signed_payload.json"]
    assert index["secret"] == "Gkvl$k$wyNpQAF42"
    assert signature(real, index["secret"]) == (
        "sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035")
    assert signature(real + b" ", index["secret"]) != index["x_hub_signature"]


def test_push_is_delivered_signed_with_bitbucket_headers(sandbox_clean):
    with Receiver() as receiver:
        hook = register(sandbox_clean, receiver.url)
        commit = push(sandbox_clean)
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 1)
    [got] = receiver.received
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["x-event-key"] == "repo:push"
    assert headers["x-hook-uuid"] == hook["uuid"].strip("{}")
    assert headers["x-attempt-number"] == "1" and headers["user-agent"] == "Bitbucket-Webhooks/2.0"
    assert headers["content-type"] == "application/json"
    uuid.UUID(headers["x-request-uuid"])
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, "sha256").hexdigest()
    assert headers["x-hub-signature"] == expected
    payload = json.loads(got.body)
    [change] = payload["push"]["changes"]
    assert change["new"]["name"] == "main" and change["new"]["target"]["hash"] == commit["hash"]
    assert change["old"]["target"]["hash"] == commit["parents"][0]["hash"]
    assert (change["created"], change["closed"], change["forced"], change["truncated"]) == (False, False, False, False)
    assert [c["hash"] for c in change["commits"]] == [commit["hash"]]
    assert payload["repository"]["uuid"] == "{a1c0e000-0000-4000-8000-0000000000a1}"
    assert payload["actor"]["nickname"] == "alice"
    real = json.loads(shared_path("bitbucket", "webhooks", "signed_payload.json").read_text())
    assert set(real) == set(payload)
    assert set(real["push"]["changes"][0]) <= set(change)
    assert set(real["repository"]) <= set(payload["repository"])
    [logged] = sandbox_clean.deliveries()
    assert logged["status"] == 200 and logged["attempt"] == 1 and logged["signed"] is True
    assert logged["request_uuid"] == headers["x-request-uuid"] and logged["hook_uuid"] == hook["uuid"]


def test_a_push_that_rewrites_the_branch_says_forced(sandbox_clean):
    first = push(sandbox_clean)
    with Receiver() as receiver:
        register(sandbox_clean, receiver.url)
        rewritten = sandbox_clean.control("POST", "/_sandbox/repositories/acme/api/commits", json={
            "branch": "main", "parent": first["parents"][0]["hash"], "files": {"other.md": "instead\n"}}).json()
        ahead = push(sandbox_clean)
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 2)
    changes = [json.loads(got.body)["push"]["changes"][0] for got in receiver.received]
    by_new = {change["new"]["target"]["hash"]: change for change in changes}
    assert by_new[rewritten["hash"]]["forced"] is True and by_new[rewritten["hash"]]["old"]["target"]["hash"] == first["hash"]
    assert by_new[ahead["hash"]]["forced"] is False


def test_no_signature_without_a_secret_and_no_delivery_when_inactive_or_unsubscribed(sandbox_clean):
    with Receiver() as plain, Receiver() as idle, Receiver() as other:
        register(sandbox_clean, plain.url, secret=None)
        idle_hook = register(sandbox_clean, idle.url)
        send(sandbox_clean, "PUT", f"/2.0/repositories/acme/api/hooks/{idle_hook['uuid']}", json={"active": False})
        register(sandbox_clean, other.url, events=["pullrequest:created"])
        push(sandbox_clean)
        push(sandbox_clean, **{"again.txt": "x"})     # two events: stray deliveries would show by now
        sandbox_clean.wait_for_deliveries(lambda d: len(d) >= 2)
    assert "X-Hub-Signature" not in plain.received[0].headers
    assert idle.received == [] and other.received == []
    assert [d["url"] for d in sandbox_clean.deliveries()] == [plain.url, plain.url]


def test_5xx_is_retried_with_the_same_request_uuid(sandbox_clean):
    with Receiver(statuses=[500, 503, 200]) as receiver:
        register(sandbox_clean, receiver.url)
        push(sandbox_clean)
        log = sandbox_clean.wait_for_deliveries(lambda d: len(d) == 3)
    assert [(d["attempt"], d["status"]) for d in log] == [(1, 500), (2, 503), (3, 200)]
    assert len({d["request_uuid"] for d in log}) == 1
    numbers = [r.headers["X-Attempt-Number"] for r in receiver.received]
    assert numbers == ["1", "2", "3"]
    assert len({r.headers["X-Request-UUID"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1


def test_gives_up_after_three_attempts(sandbox_clean):
    with Receiver(statuses=[500, 500, 500]) as receiver:
        register(sandbox_clean, receiver.url)
        push(sandbox_clean)
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 3)
        push(sandbox_clean, **{"next.txt": "x"})     # a later event is delivered: the first is over
        log = sandbox_clean.wait_for_deliveries(lambda d: any(e["status"] == 200 for e in d))
    first = [e for e in log if e["request_uuid"] == log[0]["request_uuid"]]
    assert [(e["attempt"], e["status"]) for e in first] == [(1, 500), (2, 500), (3, 500)]
    assert len(receiver.received) == 4


def test_4xx_is_not_retried(sandbox_clean):
    with Receiver(statuses=[410]) as receiver:
        register(sandbox_clean, receiver.url)
        push(sandbox_clean)
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 1)
        push(sandbox_clean, **{"second.txt": "x"})      # a later event still goes out, once
        log = sandbox_clean.wait_for_deliveries(lambda d: len(d) == 2)
    assert [(d["attempt"], d["status"]) for d in log] == [(1, 410), (1, 200)]
    assert len(receiver.received) == 2


def test_time_out_is_retried():
    """A sandbox of its own with a short SANDBOX_WEBHOOK_TIMEOUT: the held first attempt times out."""
    impatient = start_sandbox(env={"SANDBOX_WEBHOOK_TIMEOUT": "0.5"})
    try:
        with Receiver(hold_first=True) as receiver:
            register(impatient, receiver.url)
            push(impatient)
            log = impatient.wait_for_deliveries(lambda d: len(d) == 2)
            receiver.release()
    finally:
        impatient.stop()
    assert log[0]["attempt"] == 1 and log[0]["status"] is None and "timed out" in log[0]["error"].lower()
    assert (log[1]["attempt"], log[1]["status"]) == (2, 200)


def test_refused_connection_is_retried_and_logged(sandbox_clean):
    with Receiver() as receiver:
        url = receiver.url
    register(sandbox_clean, url)             # nobody listens there any more
    push(sandbox_clean)
    log = sandbox_clean.wait_for_deliveries(lambda d: len(d) == 3)
    assert all(d["status"] is None and d["error"] for d in log)


def test_workspace_hooks_fire_for_every_repository(sandbox_clean):
    with Receiver() as receiver:
        register(sandbox_clean, receiver.url, path="/2.0/workspaces/acme/hooks")
        sandbox_clean.control("POST", "/_sandbox/repositories/acme/web/commits", json={"files": {"a.ts": "1"}})
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 1)
    assert json.loads(receiver.received[0].body)["repository"]["full_name"] == "acme/web"


def test_new_branch_and_deleted_branch(sandbox_clean):
    with Receiver() as receiver:
        register(sandbox_clean, receiver.url)
        push(sandbox_clean, branch="feature/new")
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 1)
        removed = sandbox_clean.control("DELETE", "/_sandbox/repositories/acme/api/branches/feature/new")
        assert removed.status_code == 204
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 2)
    created, deleted = (json.loads(r.body)["push"]["changes"][0] for r in receiver.received)
    assert created["created"] is True and created["old"] is None and created["new"]["name"] == "feature/new"
    assert deleted["closed"] is True and deleted["new"] is None and deleted["old"]["name"] == "feature/new"


def test_pull_request_events(sandbox_clean):
    events = ["pullrequest:created", "pullrequest:updated", "pullrequest:approved",
              "pullrequest:fulfilled", "pullrequest:rejected", "repo:push"]
    base = "/_sandbox/repositories/acme/api/pullrequests"
    with Receiver() as receiver:
        register(sandbox_clean, receiver.url, events=events)
        number = sandbox_clean.control("POST", base, json={
            "title": "Login", "source": "feature/login", "author": "bob"}).json()["id"]
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 1)
        sandbox_clean.control("POST", f"{base}/{number}/update", json={"title": "Login v2"})
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 2)
        sandbox_clean.control("POST", f"{base}/{number}/approve", json={"user": "alice"})
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 3)
        sandbox_clean.control("POST", f"{base}/{number}/merge", json={"user": "alice"})
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 5)
        sandbox_clean.control("POST", f"{base}/1/decline")
        sandbox_clean.wait_for_deliveries(lambda d: len(d) == 6)
    keys = [r.headers["X-Event-Key"] for r in receiver.received]
    assert keys[:3] == ["pullrequest:created", "pullrequest:updated", "pullrequest:approved"]
    assert sorted(keys[3:5]) == ["pullrequest:fulfilled", "repo:push"] and keys[5] == "pullrequest:rejected"
    bodies = {r.headers["X-Event-Key"]: json.loads(r.body) for r in receiver.received}
    real = json.loads(shared_path("bitbucket", "webhooks", "pullrequest-fulfilledPayload.json").read_text())
    fulfilled = bodies["pullrequest:fulfilled"]
    assert set(real) == set(fulfilled) and set(real["pullrequest"]) <= set(fulfilled["pullrequest"])
    pr = fulfilled["pullrequest"]
    assert pr["state"] == "MERGED" and len(pr["merge_commit"]["hash"]) == 12
    assert len(pr["source"]["commit"]["hash"]) == 12 and pr["source"]["branch"]["name"] == "feature/login"
    assert pr["closed_by"]["nickname"] == "alice" and pr["title"] == "Login v2"
    assert bodies["pullrequest:approved"]["approval"]["user"]["nickname"] == "alice"
    assert bodies["pullrequest:rejected"]["pullrequest"]["state"] == "DECLINED"
