"""Shared fixtures: users, a signed-in client, and the sandbox (tests/fixtures/sandbox.py)."""
from __future__ import annotations

import os

import pytest
from django.test import Client

pytest_plugins = ["tests.fixtures.bitbucket", "tests.fixtures.cluster"]

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# beside one unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def make_user(django_user_model):
    def make(email: str = "ada@example.com", password: str = "a-long-Passw0rd!"):
        user = django_user_model.objects.create_user(username=email.split("@")[0], email=email, password=password)
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(django_user_model):
    """A superuser's own browser, beside the signed-in user's (`signed_in`)."""
    admin = django_user_model.objects.create_superuser(username="root", email="root@example.com", password="x-Admin-Passw0rd")
    browser = Client()
    browser.force_login(admin)
    return browser
