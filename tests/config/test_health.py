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


def test_without_secret_key_a_random_one_is_made_once_and_shared(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", STRATA_SECRET_FILE=str(tmp_path / "secret"))
    show = "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY, s.FIELD_ENCRYPTION_KEYS[0])"

    def keys():
        run = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 0, run.stderr
        return run.stdout.split()

    first, second = keys(), keys()  # e.g. the web server and a worker
    assert first == second and len(first[0]) >= 50 and "insecure" not in first[0]
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    deploy = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert "strata.W001" in deploy.stdout + deploy.stderr
