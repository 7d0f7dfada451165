"""`GET /healthz` tells a load balancer whether the database and the queue can be used."""
import os
import subprocess
import sys

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_json_when_database_and_queue_work(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "queue": True}


def test_healthz_answers_503_when_the_queue_is_unreachable(client, settings, monkeypatch):
    from django_q import brokers

    class DeadBroker:
        def ping(self):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(brokers, "get_broker", lambda *a, **k: DeadBroker())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] is False and response.json()["status"] == "unavailable"


def test_pages_need_a_signed_in_user(client):
    for url in ["/knowledge/", "/integrations/", "/integrations/bitbucket/workspaces/", "/knowledge/repositories/", "/search/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_production_refuses_to_start_without_its_secrets():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    run = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode != 0 and "Set SECRET_KEY" in run.stderr
    env["SECRET_KEY"] = "a-real-secret"
    run = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode != 0 and "Set FIELD_ENCRYPTION_KEYS" in run.stderr
