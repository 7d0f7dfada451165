"""`make demo` on other ports: everything follows STRATA_PORT / SANDBOX_PORT, and OAuth works there."""
from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from integrations.models import Connection
from tests.fixtures.bitbucket import consent
from tests.fixtures.sandbox import start_sandbox
from tests.support import ROOT

DEMO_VARIABLES = ("STRATA_PORT", "SANDBOX_PORT", "PUBLIC_URL", "BITBUCKET_WEB_URL", "BITBUCKET_API_URL",
                  "BITBUCKET_OAUTH_KEY", "BITBUCKET_OAUTH_SECRET", "DEBUG", "DATABASE_URL")
CALLBACK_PATH = "/accounts/bitbucket/login/callback/"
MOVED = "http://127.0.0.1:8035"
CONSUMER = ("strata-callback", "strata-callback-secret")  # sandbox/seeds/test.json: it has a callback URL


def demo_environment(**given: str) -> tuple[int, dict[str, str], str]:
    """Source scripts/demo-env.sh with only `given` set; its exit status, environment and errors."""
    base = {k: v for k, v in os.environ.items() if k not in DEMO_VARIABLES}
    done = subprocess.run(["bash", "-c", "source scripts/demo-env.sh && env -0"], cwd=ROOT,
                          env={**base, **given}, capture_output=True, text=True, timeout=30)
    environment = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    return done.returncode, environment, done.stderr


def test_the_demo_settings_follow_the_two_ports():
    status, moved, _ = demo_environment(STRATA_PORT="8035", SANDBOX_PORT="8036")
    assert status == 0
    assert moved["PUBLIC_URL"] == "http://127.0.0.1:8035"
    assert moved["BITBUCKET_WEB_URL"] == moved["BITBUCKET_API_URL"] == "http://127.0.0.1:8036"
    assert moved["DEMO_CALLBACK_URL"] == "http://127.0.0.1:8035" + CALLBACK_PATH
    assert moved["DEBUG"] == "0"  # Strata's own error pages, unless DEBUG=1 is asked for
    assert demo_environment(DEBUG="1")[1]["DEBUG"] == "1"

    status, default, _ = demo_environment()
    assert (default["STRATA_PORT"], default["SANDBOX_PORT"], default["PUBLIC_URL"]) == (
        "8000", "8001", "http://127.0.0.1:8000")

    status, chosen, _ = demo_environment(STRATA_PORT="8035", PUBLIC_URL="https://strata.example/")
    assert chosen["PUBLIC_URL"] == "https://strata.example/"
    assert chosen["DEMO_CALLBACK_URL"] == "https://strata.example" + CALLBACK_PATH


@pytest.mark.parametrize("given, words", [
    ({"STRATA_PORT": "eighty"}, "must be port numbers"),
    ({"SANDBOX_PORT": "70000"}, "must be port numbers"),
    ({"STRATA_PORT": "8035", "SANDBOX_PORT": "8035"}, "must differ"),
])
def test_ports_that_cannot_work_stop_the_demo_with_a_reason(given, words):
    status, _, errors = demo_environment(**given)
    assert status == 2 and words in errors


def test_public_url_follows_strata_port_unless_set():
    base = {k: v for k, v in os.environ.items() if k not in DEMO_VARIABLES}
    read = [sys.executable, "-c", "from django.conf import settings; print(settings.PUBLIC_URL, settings.CSRF_TRUSTED_ORIGINS)"]
    environment = {**base, "DJANGO_SETTINGS_MODULE": "config.settings_test", "STRATA_PORT": "8035"}
    shown = subprocess.run(read, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True)
    assert shown.stdout.split() == ["http://127.0.0.1:8035", "['http://127.0.0.1:8035']"]


@pytest.fixture(scope="module")
def sandbox_on_other_ports():
    """A sandbox started as `make demo` starts it with STRATA_PORT=8035: the consumer's callback moved."""
    running = start_sandbox(args=["--callback-url", f"{CONSUMER[0]}={MOVED}{CALLBACK_PATH}"])
    yield running
    running.stop()


@pytest.fixture
def product_on(settings, sandbox_on_other_ports):
    sandbox_on_other_ports.reset()
    settings.BITBUCKET_WEB_URL = settings.BITBUCKET_API_URL = sandbox_on_other_ports.url
    settings.BITBUCKET_OAUTH_KEY, settings.BITBUCKET_OAUTH_SECRET = CONSUMER
    settings.SOCIALACCOUNT_PROVIDERS = {
        "bitbucket": {"APP": {"client_id": CONSUMER[0], "secret": CONSUMER[1]}, "OAUTH_PKCE_ENABLED": False}}

    def at(public_url: str):
        settings.PUBLIC_URL = public_url
        return sandbox_on_other_ports

    return at


@pytest.mark.django_db(transaction=True)
def test_oauth_works_on_other_ports(client, product_on):
    sandbox = product_on(MOVED)
    start = client.post("/accounts/bitbucket/login/", {"process": "login"})
    authorize = urlsplit(start["Location"])
    assert parse_qs(authorize.query)["redirect_uri"] == [MOVED + CALLBACK_PATH]
    back = urlsplit(consent(start["Location"], user="alice"))
    assert f"{back.scheme}://{back.netloc}{back.path}" == MOVED + CALLBACK_PATH
    client.get(f"{back.path}?{back.query}", follow=True)
    user = get_user_model().objects.get()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Connection.objects.get(user=user).status == Connection.Status.CONNECTED
    assert sandbox.requests_seen()  # it was this sandbox that was asked


@pytest.mark.django_db
def test_a_callback_the_consumer_does_not_have_is_refused_by_bitbucket(client, product_on):
    product_on("http://127.0.0.1:8000")  # the app moved, but not its PUBLIC_URL
    start = client.post("/accounts/bitbucket/login/", {"process": "login"})
    page = requests.get(start["Location"], timeout=10)
    assert page.status_code == 400 and "Invalid redirect_uri" in page.text
