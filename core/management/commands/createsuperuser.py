"""`manage.py createsuperuser` that asks for what sign-in uses: the e-mail address (and a password).

Replaces django.contrib.auth's command (`core` comes before it in INSTALLED_APPS), which would
ask for a username nobody signs in with. The username is derived; the address is stored as
allauth's verified primary EmailAddress, so the superuser signs in at /accounts/login/ and /admin/.
Interactive, or `--noinput` with DJANGO_SUPERUSER_EMAIL (or --email) and DJANGO_SUPERUSER_PASSWORD.
"""
from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from core.users import email_normalize, email_taken, user_create


class Command(BaseCommand):
    help = "Create a superuser who signs in with an e-mail address and a password."
    stealth_options = ("stdin",)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", help="the superuser's e-mail address (else asked, or DJANGO_SUPERUSER_EMAIL)")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help="ask nothing: take DJANGO_SUPERUSER_EMAIL (or --email) and DJANGO_SUPERUSER_PASSWORD",
        )

    def execute(self, *args, **options):
        self.stdin = options.get("stdin", sys.stdin)  # used to tell whether a person is typing
        return super().execute(*args, **options)

    def handle(self, *args, email: str | None, interactive: bool, verbosity: int, **options) -> None:
        try:
            if interactive:
                if hasattr(self.stdin, "isatty") and not self.stdin.isatty():
                    raise CommandError(
                        "Not running in a terminal: use --noinput with DJANGO_SUPERUSER_EMAIL and "
                        "DJANGO_SUPERUSER_PASSWORD."
                    )
                email = self._ask_email(email)
                password = self._ask_password(email)
            else:
                email, password = self._from_environment(email)
        except KeyboardInterrupt:
            self.stderr.write("\nOperation cancelled.")
            sys.exit(1)
        user_create(email=email, password=password, is_staff=True, is_superuser=True)
        if verbosity >= 1:
            self.stdout.write(f"Superuser {email_normalize(email)} created: sign in at /accounts/login/ or /admin/.")

    def _problem(self, email: str) -> str:
        """What is wrong with `email` as a new superuser's address, or ""."""
        try:
            validate_email(email)
        except ValidationError:
            return f"{email!r} is not an e-mail address."
        if email_taken(email):
            return f"An account with {email_normalize(email)} already exists."
        return ""

    def _ask_email(self, given: str | None) -> str:
        email = given
        while True:
            if email is None:
                email = input("Email address: ").strip()
            problem = self._problem(email) if email else "The e-mail address cannot be blank."
            if not problem:
                return email
            self.stderr.write(f"Error: {problem}")
            email = None

    def _ask_password(self, email: str) -> str:
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("Error: Your passwords didn't match.")
                continue
            if not password.strip():
                self.stderr.write("Error: Blank passwords aren't allowed.")
                continue
            try:
                validate_password(password, get_user_model()(email=email_normalize(email)))
            except ValidationError as err:
                self.stderr.write("\n".join(err.messages))
                if input("Bypass password validation and create user anyway? [y/N]: ").strip().lower() != "y":
                    continue
            return password

    def _from_environment(self, given: str | None) -> tuple[str, str]:
        email = (given or os.environ.get("DJANGO_SUPERUSER_EMAIL", "")).strip()
        if not email:
            raise CommandError("You must use --email or set DJANGO_SUPERUSER_EMAIL with --noinput.")
        if problem := self._problem(email):
            raise CommandError(problem)
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not password:
            # Django would make a superuser with no usable password; one who cannot sign in helps nobody.
            raise CommandError("Set DJANGO_SUPERUSER_PASSWORD with --noinput: the superuser signs in with it.")
        return email, password
