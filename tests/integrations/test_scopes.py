"""The permissions Strata asks for are the ones its features use, and every page and document says so.

That they suffice is shown by the whole suite: the `bitbucket` fixture connects through a sandbox
consumer with exactly OAUTH_SCOPES, and the sandbox answers 403 to a call outside them.
"""
from __future__ import annotations

import json
import re

import pytest

from integrations.bitbucket.scopes import API_TOKEN_SCOPES, OAUTH_SCOPES
from tests.fixtures.bitbucket import CONSUMER
from tests.support import ROOT

UNUSED = ("pullrequest", "pipeline")  # no feature reads them yet


def consumer_scopes(seed: str, key: str) -> set[str]:
    consumers = json.loads((ROOT / "sandbox" / "seeds" / seed).read_text())["consumers"]
    return set(next(c for c in consumers if c["key"] == key)["scopes"].split())


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_the_demo_consumer_and_the_tests_consumer_ask_for_exactly_what_strata_uses():
    assert consumer_scopes("demo.json", "strata-demo") == set(OAUTH_SCOPES)
    assert consumer_scopes("test.json", CONSUMER) == set(OAUTH_SCOPES)


def test_the_readme_lists_exactly_the_permissions_and_token_scopes():
    section = readme_section("A real Bitbucket OAuth consumer")
    for described in OAUTH_SCOPES.values():
        assert described.split(" (")[0] in section  # "Account: Read", "Webhooks: Read and write"…
    listed = set(re.findall(r"`([a-z]+:[a-z]+:bitbucket)`", section))
    assert listed == set(API_TOKEN_SCOPES)
    for unused in UNUSED:
        assert f"read:{unused}:bitbucket" not in section


@pytest.mark.django_db
def test_the_integrations_card_says_what_strata_reads_and_writes(signed_in):
    html = signed_in.get("/integrations/").content.decode()
    assert "Strata only reads" not in html
    assert "the only thing it writes is its own webhooks" in html
    shown = set(re.findall(r"<code>([a-z]+:[a-z]+:bitbucket)</code>", html))
    assert shown == set(API_TOKEN_SCOPES)
    for unused in UNUSED:
        assert unused not in html
