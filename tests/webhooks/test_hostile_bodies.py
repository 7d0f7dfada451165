"""Signed but hostile bodies: a clear 400 or a delivery handled once, never a 500, a crash or a loop."""
from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import Repository
from knowledge.models import KnowledgeLayer
from tests.webhooks.helpers import create_layer, post_delivery
from webhooks.models import Delivery, Hook

pytestmark = pytest.mark.django_db(transaction=True)

API_UUID = "{a1c0e000-0000-4000-8000-0000000000a1}"  # acme/api in sandbox/seeds/test.json


def nested(depth: int, *, opener: bytes, closer: bytes) -> bytes:
    return opener * depth + b"1" + closer * depth


def assert_logs_short(caplog) -> None:
    """A screen at most per record, and no traceback: a hostile body is not our error."""
    for record in caplog.records:
        assert record.exc_info is None and len(record.getMessage()) < 500, record.getMessage()[:200]


@pytest.mark.parametrize("depth", [65, 480, 700, 999, 5_000, 200_000])
def test_a_body_nested_deeper_than_real_payloads_is_refused_with_400(acme, client, caplog, depth):
    hook = Hook.objects.get(workspace=acme)
    caplog.set_level(logging.INFO)
    for body in (b'{"a":' + nested(depth, opener=b"[", closer=b"]") + b"}", nested(depth, opener=b'{"a":', closer=b"}")):
        answer = post_delivery(client, hook, body)
        assert answer.status_code == 400, body[:20]
        assert answer.json()["error"] in ("The body is nested deeper than 64 levels.", "The body is not JSON.")
    assert Delivery.objects.count() == 0
    assert_logs_short(caplog)


def test_nesting_as_deep_as_the_limit_is_stored(acme, client):
    answer = post_delivery(client, Hook.objects.get(workspace=acme), b'{"a":' + nested(63, opener=b"[", closer=b"]") + b"}")
    assert answer.status_code == 202 and Delivery.objects.get().status == Delivery.Status.IGNORED  # no repository named


def test_a_number_too_large_to_store_is_refused_and_a_large_finite_one_is_kept(acme, client, caplog):
    hook = Hook.objects.get(workspace=acme)
    caplog.set_level(logging.INFO)
    for body in (b'{"a": 1e400}', b'{"a": -1e400}', b'{"a": [0, {"b": 2E+999}]}'):
        answer = post_delivery(client, hook, body)
        assert (answer.status_code, answer.json()["error"]) == (400, "The body holds a number too large to store."), body
    assert Delivery.objects.count() == 0
    big = int("9" * 4000)
    answer = post_delivery(client, hook, json.dumps({"a": 1.7976931348623157e308, "b": -5e-324, "c": big}).encode())
    assert answer.status_code == 202
    stored = Delivery.objects.get().payload  # jsonb keeps decimal digits: a float may come back as an int
    assert (float(stored["a"]), float(stored["b"]), stored["c"]) == (1.7976931348623157e308, -5e-324, big)
    assert_logs_short(caplog)


def test_a_push_whose_branch_names_are_lists_or_objects_is_handled_once_without_a_crash(acme, signed_in, client, caplog):
    layer = create_layer(signed_in, acme, "api")
    hook = Hook.objects.get(workspace=acme)
    caplog.set_level(logging.INFO)
    odd = [{"new": {"type": "branch", "name": ["main"]}}, {"new": {"type": "branch", "name": {"main": 1}}},
           {"new": {"type": ["branch"], "name": "main"}}, {"new": "main"}, {"old": {"name": "main"}, "new": None}, 7, None]
    answer = post_delivery(client, hook, json.dumps({"repository": {"uuid": API_UUID}, "push": {"changes": odd}}).encode())
    assert answer.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.tries, delivery.outcome) == (Delivery.Status.PROCESSED, 1, "the main branch did not move")
    # The same with one well-formed change among them: that one counts.
    well_formed = [*odd, {"new": {"type": "branch", "name": "main"}}]
    post_delivery(client, hook, json.dumps({"repository": {"uuid": API_UUID}, "push": {"changes": well_formed}}).encode())
    assert Delivery.objects.latest("pk").outcome == "layer rebuild queued"
    layer.refresh_from_db()  # built once: the sandbox's head did not move, so the build found it served
    assert layer.active_generation == 1 and layer.status == KnowledgeLayer.Status.ACTIVE
    assert_logs_short(caplog)


# -- a small fuzz: signed hostile bodies of every shape ------------------------------------------

leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                      max_leaves=12)
change = st.fixed_dictionaries({
    "new": st.none() | values | st.fixed_dictionaries({"type": st.sampled_from(["branch", "tag"]) | values,
                                                      "name": st.sampled_from(["main", "dev"]) | values}),
    "old": st.none() | values,
})
push = st.fixed_dictionaries({
    "repository": values | st.fixed_dictionaries({"uuid": st.sampled_from([API_UUID, "{a-stranger}"]) | values}),
    "push": values | st.fixed_dictionaries({"changes": values | st.lists(change | values, max_size=4)}),
})
bodies = st.one_of(
    st.binary(max_size=200),
    values.map(lambda value: json.dumps(value).encode()),  # NaN and Infinity included
    push.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 3_000).map(lambda depth: nested(depth, opener=b'{"a":', closer=b"}")),
    st.integers(300, 5_000).map(lambda exponent: f'{{"n": 1e{exponent}}}'.encode()),
)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, event=st.sampled_from(["repo:push", "pullrequest:created", "repo:fork"]))
def test_no_signed_body_gets_a_server_error_or_leaves_a_delivery_unfinished(acme, signed_in, client, body, event):
    if not Repository.objects.filter(layer__isnull=False).exists():
        create_layer(signed_in, acme, "api")
    answer = post_delivery(client, Hook.objects.get(workspace=acme), body, event=event)
    assert answer.status_code in (202, 400), (answer.status_code, body[:100])
    assert answer.headers["Content-Type"] == "application/json"
    if answer.status_code == 202:
        delivery = Delivery.objects.get(pk=answer.json()["delivery"])
        assert (delivery.status, delivery.tries, delivery.error) in (
            (Delivery.Status.PROCESSED, 1, ""), (Delivery.Status.IGNORED, 1, "")), (delivery.error, body[:100])
