"""What the Bitbucket client hands on from Bitbucket's answers."""
from __future__ import annotations

import json

import pytest
import requests

from integrations.bitbucket.client import clean_json, json_of
from integrations.bitbucket.errors import BitbucketError


def _answer(body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content, response.url = status, body, "https://api.bitbucket.org/2.0/user"
    response.request = requests.Request("GET", response.url).prepare()
    return response


def test_text_from_bitbucket_is_cleaned_of_what_no_database_can_store():
    body = json.loads('{"name": "a\\u0000b", "tags": ["\\ud800x", 1, null], "nested": {"k\\u0000": "\\udfff"}}')
    assert clean_json(body) == {"name": "ab", "tags": ["?x", 1, None], "nested": {"k": "?"}}
    assert clean_json(body)["tags"][0].encode("utf-8") == b"?x"  # encodable now


def test_an_answer_that_is_not_json_is_a_bitbucket_error_not_a_crash():
    assert json_of(_answer(b'{"ok": "\\u0000yes"}')) == {"ok": "yes"}
    for body in (b"<html>maintenance</html>", b"", b"[" * 100_000):
        with pytest.raises(BitbucketError, match="with something that is not JSON"):
            json_of(_answer(body))
