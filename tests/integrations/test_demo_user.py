"""`manage.py demo_user` (run by every `make demo`) keeps the demo user signed in across restarts."""
import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db

DEMO = ("demo@strata.local", "strata-demo")


def demo_user() -> None:
    call_command("demo_user", "--email", DEMO[0], "--password", DEMO[1], stdout=io.StringIO())


def test_a_restart_of_the_demo_keeps_the_demo_user_signed_in(client):
    demo_user()
    answer = client.post("/accounts/login/", {"login": DEMO[0], "password": DEMO[1]})
    assert answer.status_code == 302
    assert client.get("/knowledge/").status_code == 200

    demo_user()  # the next `make demo`
    assert client.get("/knowledge/").status_code == 200, "the demo user was signed out"
    user = get_user_model().objects.get()
    assert EmailAddress.objects.get(user=user).verified


def test_a_changed_password_is_put_back_to_the_demo_one(client):
    demo_user()
    user = get_user_model().objects.get()
    user.set_password("something-else-entirely")
    user.save()
    demo_user()
    assert client.post("/accounts/login/", {"login": DEMO[0], "password": DEMO[1]}).status_code == 302
