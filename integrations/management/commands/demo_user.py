"""Create the demo's user once, for `make demo`; later runs leave it (and its sessions) alone.

Setting the same password again would store a new hash (a new salt), and Django signs every
session with the password hash: each restart of the demo would sign the demo user out.
"""
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from core.users import email_normalize, user_create


class Command(BaseCommand):
    help = "Create the verified demo user, or make sure it still signs in with this password."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, email: str, password: str, **options):
        email = email_normalize(email)
        user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
        if user is None:
            user_create(email=email, password=password)
            self.stdout.write(f"Created {email}")
            return
        if not user.check_password(password):  # changed since: put the demo password back
            user.set_password(password)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
        self.stdout.write(f"Kept {email}")
