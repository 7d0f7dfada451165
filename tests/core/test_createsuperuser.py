"""`manage.py createsuperuser` asks for the e-mail address sign-in uses, and the superuser signs in with it."""
from __future__ import annotations

import builtins
import getpass
import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "a-long-Passw0rd!"


class Terminal(io.StringIO):
    """Standard input as a person at a terminal has it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def typed(monkeypatch):
    """Script what the person types: answers to input() and getpass() in order; the prompts seen."""
    prompts: list[str] = []

    def script(*answers: str) -> list[str]:
        queue = list(answers)

        def answer(prompt: str = "") -> str:
            prompts.append(prompt)
            return queue.pop(0)

        monkeypatch.setattr(builtins, "input", answer)
        monkeypatch.setattr(getpass, "getpass", answer)
        return prompts

    return script


def can_sign_in(client, email: str, password: str) -> None:
    """Signs in on Strata's page, which is also where /admin/ sends people to sign in."""
    page = client.post("/accounts/login/?next=/admin/", {"login": email, "password": password})
    assert page.status_code == 302 and page["Location"] == "/admin/", page.content[:300]
    assert client.get("/admin/").status_code == 200


def test_noinput_takes_the_email_and_password_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Ops@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("createsuperuser", "--noinput", stdout=out)
    user = User.objects.get()
    assert user.is_superuser and user.is_staff and user.email == "ops@example.com" and user.username == "ops"
    assert EmailAddress.objects.filter(user=user, email="ops@example.com", verified=True, primary=True).exists()
    assert "ops@example.com created" in out.getvalue()
    can_sign_in(client, "ops@example.com", PASSWORD)


def test_usernames_are_derived_and_never_collide(monkeypatch, make_user):
    make_user("ops@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", "--email", "ops@elsewhere.example", stdout=io.StringIO())
    assert User.objects.get(email="ops@elsewhere.example").username == "ops2"


@pytest.mark.parametrize("environment, expected", [
    ({"DJANGO_SUPERUSER_PASSWORD": PASSWORD}, "set DJANGO_SUPERUSER_EMAIL"),
    ({"DJANGO_SUPERUSER_EMAIL": "ops@example.com"}, "Set DJANGO_SUPERUSER_PASSWORD"),
    ({"DJANGO_SUPERUSER_EMAIL": "not an address", "DJANGO_SUPERUSER_PASSWORD": PASSWORD}, "is not an e-mail address"),
    ({"DJANGO_SUPERUSER_EMAIL": "ADA@example.com", "DJANGO_SUPERUSER_PASSWORD": PASSWORD}, "already exists"),
], ids=["no-email", "no-password", "bad-email", "taken"])
def test_noinput_refuses_what_would_not_sign_in(monkeypatch, make_user, environment, expected):
    make_user("ada@example.com")
    for name in ("DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(CommandError, match=expected):
        call_command("createsuperuser", "--noinput")
    assert User.objects.count() == 1 and not User.objects.filter(is_superuser=True).exists()


def test_interactive_asks_for_the_email_and_a_password_until_both_will_do(client, make_user, typed):
    make_user("ada@example.com")
    prompts = typed(
        "not-an-address", "ada@example.com", "grace@example.com",   # Email address
        PASSWORD, "something else",                                   # mismatch
        "", "",                                                       # blank
        "1234", "1234", "n",                                          # too weak, not bypassed
        PASSWORD, PASSWORD,
    )
    err = io.StringIO()
    call_command("createsuperuser", stdin=Terminal(), stdout=io.StringIO(), stderr=err)
    assert prompts[:3] == ["Email address: "] * 3
    assert "Username" not in "".join(prompts)
    errors = err.getvalue()
    for words in ("is not an e-mail address", "ada@example.com already exists", "didn't match",
                  "Blank passwords aren't allowed", "too short"):
        assert words in errors
    user = User.objects.get(email="grace@example.com")
    assert user.is_superuser and user.username == "grace"
    can_sign_in(client, "grace@example.com", PASSWORD)


def test_interactive_outside_a_terminal_says_how_to_run_it(typed):
    typed()
    with pytest.raises(CommandError, match="--noinput with DJANGO_SUPERUSER_EMAIL"):
        call_command("createsuperuser", stdin=io.StringIO())
    assert not User.objects.exists()
