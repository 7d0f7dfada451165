"""Strata accounts are known by their e-mail address: making one that can sign in at once.

The default User model keeps a `username`; nobody types it (sign-in is by e-mail,
ACCOUNT_LOGIN_METHODS = {"email"}), so it is derived from the address and kept unique.
"""
from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

USERNAME_MAX = 150


def email_normalize(email: str) -> str:
    """How addresses are stored and compared here (allauth lower-cases them the same way)."""
    return email.strip().lower()


def email_taken(email: str) -> bool:
    """Whether any account already holds this address, as its e-mail or among its addresses, in
    any letter case (rows made outside allauth, by admin or scripts, may keep capitals)."""
    email = email_normalize(email)
    return (EmailAddress.objects.filter(email__iexact=email).exists()
            or get_user_model().objects.filter(email__iexact=email).exists())


def username_for(email: str) -> str:
    """A free username made from the address's local part: `ada`, then `ada2`, `ada3`…"""
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0])[: USERNAME_MAX - 8] or "user"
    taken = set(get_user_model().objects.filter(username__istartswith=base).values_list("username", flat=True))
    taken = {name.lower() for name in taken}
    if base.lower() not in taken:
        return base
    number = 2
    while f"{base}{number}".lower() in taken:
        number += 1
    return f"{base}{number}"


def user_display(user: AbstractBaseUser) -> str:
    """How pages and messages name a user (ACCOUNT_USER_DISPLAY): by the address they sign in with."""
    return user.email or user.get_username()


def user_create(
    *, email: str, password: str | None = None, is_staff: bool = False, is_superuser: bool = False,
) -> AbstractBaseUser:
    """A user who signs in with `email` (verified, primary) and `password` (None: no password;
    they can set one through "Forgot your password?")."""
    email = email_normalize(email)
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=username_for(email), email=email, password=password,
            is_staff=is_staff, is_superuser=is_superuser,
        )
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user
