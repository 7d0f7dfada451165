"""Security settings as an attacker or an operator meets them: CSP, the admin's sign-in,
throttling shared through the database, two-factor sign-in, TLS behind a proxy, check --deploy."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.db import connection

from tests.support import ROOT

pytestmark = pytest.mark.django_db


def test_every_page_sends_a_content_security_policy_that_loads_nothing_from_elsewhere(client, settings):
    settings.BITBUCKET_WEB_URL = "http://127.0.0.1:9"
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"  # a README's remote image is never fetched
    assert directives["frame-ancestors"] == "'none'"
    # Connect Bitbucket posts here and is redirected to Bitbucket's consent page, wherever it is.
    assert directives["form-action"] == "'self' http://127.0.0.1:9"


def test_the_admin_signs_in_through_strata_not_its_own_unthrottled_form(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"
    # Posting passwords to the admin's own form is not a way around the throttle either.
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302


def test_wrong_passwords_are_throttled_in_the_shared_cache(client, make_user):
    make_user("root@example.com", password="the-right-Passw0rd!")
    for _ in range(5):
        page = client.post("/accounts/login/", {"login": "root@example.com", "password": "wrong-guess-1234"})
        assert "_auth_user_id" not in client.session
    blocked = client.post("/accounts/login/", {"login": "root@example.com", "password": "wrong-guess-1234"})
    assert "Too many failed login attempts" in blocked.content.decode()
    # The count lives in the database cache every web and worker process shares, not in one
    # process's memory (where each gunicorn worker would allow its own five tries).
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM strata_cache")
        assert cursor.fetchone()[0] > 0
    assert page.status_code == 200


def test_two_factor_sign_in_with_an_authenticator_app(client, make_user):
    user = make_user("mfa@example.com", password="the-right-Passw0rd!")
    client.force_login(user)
    # Setting up a second factor asks for the password again first.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert urlsplit(asked["Location"]).path == "/accounts/reauthenticate/"
    client.post(asked["Location"], {"password": "the-right-Passw0rd!"})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    activated = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert activated.status_code == 302
    client.logout()

    first = client.post("/accounts/login/", {"login": "mfa@example.com", "password": "the-right-Passw0rd!"})
    assert first.status_code == 302 and urlsplit(first["Location"]).path == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # the password alone does not sign in
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_behind_a_tls_proxy_the_oauth_callback_is_https(client, make_user, settings, bitbucket):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.PUBLIC_URL = "https://strata.example.com"
    settings.ALLOWED_HOSTS = ["strata.example.com"]
    client.force_login(make_user())
    start = client.post("/accounts/bitbucket/login/", {"process": "connect"},
                        HTTP_HOST="strata.example.com", HTTP_X_FORWARDED_PROTO="https", secure=False)
    assert start.status_code == 302
    redirect_uri = parse_qs(urlsplit(start["Location"]).query)["redirect_uri"][0]
    assert redirect_uri == "https://strata.example.com/accounts/bitbucket/login/callback/"


def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""), "DEBUG": "0", "SECRET_KEY": "x" * 20 + "-production-like-secret-" + "y" * 30,
        "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMtISE=", "ALLOWED_HOSTS": "strata.example.com",
        "PUBLIC_URL": "https://strata.example.com", "TLS_PROXY_HEADER": "X-Forwarded-Proto", "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "STRATA_SECRET_FILE": str(tmp_path / "unused"),
    }
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_address_of_another_account_cannot_be_added_and_its_owner_gets_no_mail(client, make_user, mailoutbox):
    make_user("owner@example.com")
    client.force_login(make_user("other@example.com"))
    page = client.post("/accounts/email/", {"action_add": "", "email": "Owner@example.com"})
    assert "already" in page.content.decode().lower()
    assert mailoutbox == []
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.filter(email__iexact="owner@example.com").count() == 1
